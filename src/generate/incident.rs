//! Incidents and their benign look-alikes: multi-line scripts interleaved
//! with background traffic in event time.
//!
//! Each UTC day is planned when the clock first reaches it: every incident
//! kind `incidents_per_day` times at a random moment in its window (the
//! off-hours staff access between 02:00 and 03:05), plus a fixed set of
//! benign scenarios. A script then emits its lines at its own pace; the
//! generator interleaves them with background lines by due time, so event
//! time never goes backwards.

use super::line::{DAY, HOUR, MIN, Moment};
use super::rng::Rand;
use super::traffic::{Ctx, push_doc_id, push_rev, push_seq_doc_id, small_body, staff_read};
use super::truth::{BenignKind, IncidentKind, PlantKind, Planted};
use super::vocab::{self, Db};
use super::world::{Actor, World, attacker_ip, internal_ip};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Incident(IncidentKind),
    Benign(BenignKind),
}

/// One scenario in progress. The fields are interpreted per kind; see
/// [`Script::step`].
struct Script {
    kind: Kind,
    due: i64,
    emitted: u32,
    total: u32,
    /// Index of this script's record in the planted list, once it started.
    plant: Option<usize>,
    actor: Actor,
    db: Db,
    /// First document number (enumeration).
    seq: u64,
    /// Which form of the scenario (e.g. cookie vs basic-auth logins).
    variant: u8,
    /// Lines before the turning point (failed attempts, deletions).
    count: u32,
    /// Gap between lines, milliseconds.
    gap_ms: (u64, u64),
    /// A replicator checkpoint id, constant within the script.
    local_id: String,
    detail: String,
}

/// All scripts planned and in progress.
pub(super) struct Scheduler {
    scripts: Vec<Script>,
    /// The next UTC day (days since the epoch) to plan; `i64::MAX` when
    /// incidents are off.
    next_day: i64,
    per_day: u32,
    start_ns: i64,
    /// Scripts created so far: staff take turns, so that concurrent
    /// scenarios have distinct actors.
    created: usize,
}

/// Benign scenarios per day: kind, how many, window (from, to), weekdays only.
const BENIGN_PER_DAY: &[(BenignKind, u32, i64, i64, bool)] = &[
    (
        BenignKind::BackupReplication,
        1,
        HOUR,
        HOUR + 5 * MIN,
        false,
    ),
    (BenignKind::StaffBusinessHours, 2, 9 * HOUR, 17 * HOUR, true),
    (BenignKind::LoginTypo, 3, 7 * HOUR, 22 * HOUR, false),
    (BenignKind::SmallCleanup, 2, 8 * HOUR, 19 * HOUR, false),
];

fn ms_range(rng: &mut Rand, (lo, hi): (u64, u64)) -> i64 {
    rng.range(lo, hi) as i64 * 1_000_000
}

impl Scheduler {
    pub(super) fn new(start_ns: i64, per_day: u32, enabled: bool) -> Self {
        Scheduler {
            scripts: Vec::new(),
            next_day: if enabled {
                start_ns.div_euclid(DAY)
            } else {
                i64::MAX
            },
            per_day,
            start_ns,
            created: 0,
        }
    }

    /// The earliest due script, as (index, due time).
    pub(super) fn next_due(&self) -> Option<(usize, i64)> {
        self.scripts
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.due))
            .min_by_key(|&(i, due)| (due, i))
    }

    /// Plans every day up to and including the day of `t`; scripts never
    /// start before `not_before` (the last line written).
    pub(super) fn plan_through(&mut self, t: i64, not_before: i64, rng: &mut Rand, world: &World) {
        while self.next_day <= t.div_euclid(DAY) {
            self.plan_day(self.next_day, not_before, rng, world);
            self.next_day += 1;
        }
    }

    fn plan_day(&mut self, day: i64, not_before: i64, rng: &mut Rand, world: &World) {
        let day_ns = day * DAY;
        let weekday = Moment::at(day_ns).weekday;
        let mut add = |rng: &mut Rand, kind: Kind, from: i64, to: i64| {
            let start = day_ns + from + rng.range(0, (to - from) as u64) as i64;
            if start >= self.start_ns {
                let mut s = Script::new(kind, rng, world, self.created);
                self.created += 1;
                s.due = start.max(not_before);
                self.scripts.push(s);
            }
        };
        for kind in IncidentKind::ALL {
            let (from, to) = match kind {
                IncidentKind::OffHoursStaffAccess => (2 * HOUR, 3 * HOUR + 5 * MIN),
                _ => (0, DAY - HOUR),
            };
            for _ in 0..self.per_day {
                add(rng, Kind::Incident(kind), from, to);
            }
        }
        for &(kind, times, from, to, weekdays_only) in BENIGN_PER_DAY {
            if weekdays_only && weekday >= 5 {
                continue;
            }
            for _ in 0..times {
                add(rng, Kind::Benign(kind), from, to);
            }
        }
    }

    /// Emits the next line of script `i` into `c.req` and records it.
    /// Returns true if this line started an incident.
    pub(super) fn emit(
        &mut self,
        i: usize,
        c: &mut Ctx<'_>,
        line: u64,
        planted: &mut Vec<Planted>,
    ) -> bool {
        let s = &mut self.scripts[i];
        s.step(c);
        let started = match s.plant {
            Some(idx) => {
                let p = &mut planted[idx];
                p.last_line = line;
                p.lines.push(line);
                false
            }
            None => {
                s.plant = Some(planted.len());
                planted.push(s.record(line));
                matches!(s.kind, Kind::Incident(_))
            }
        };
        s.emitted += 1;
        if s.emitted >= s.total {
            self.scripts.swap_remove(i);
        } else {
            s.due += ms_range(c.rng, s.gap_ms).max(1);
        }
        started
    }
}

impl Script {
    fn new(kind: Kind, rng: &mut Rand, world: &World, turn: usize) -> Self {
        // Uniform, not skewed like background traffic: incidents should not
        // pile up on the few busiest accounts.
        let actor = world.apps[rng.below(world.apps.len())].clone();
        let mut s = Script {
            kind,
            due: 0,
            emitted: 0,
            total: 1,
            plant: None,
            db: rng.weighted(vocab::DB_WEIGHTS),
            actor,
            seq: 0,
            variant: 0,
            count: 0,
            gap_ms: (1_000, 5_000),
            local_id: String::new(),
            detail: String::new(),
        };
        let mut id = Vec::with_capacity(32);
        rng.hex(&mut id, 32);
        s.local_id = String::from_utf8(id).expect("hex is ASCII");
        let tenant = world.tenants[s.actor.tenant].clone();
        match kind {
            Kind::Incident(IncidentKind::BulkRead) => {
                s.total = rng.range(1, 3) as u32;
                s.gap_ms = (30_000, 300_000);
                let moved = rng.chance(0.4);
                if moved {
                    s.actor.ip = attacker_ip(rng);
                    s.actor.ua = *rng.pick(&["curl/8.5.0", "python-requests/2.32.3"]);
                }
                s.detail = format!(
                    "{} whole-database read(s) of {tenant}'s databases{}",
                    s.total,
                    if moved {
                        " from an address the account never used"
                    } else {
                        ""
                    }
                );
            }
            Kind::Incident(IncidentKind::OffHoursStaffAccess)
            | Kind::Benign(BenignKind::StaffBusinessHours) => {
                s.actor = world.support[turn % world.support.len()].clone();
                s.actor.tenant = rng.below(world.tenants.len());
                let off = kind == Kind::Incident(IncidentKind::OffHoursStaffAccess);
                if off && rng.chance(0.5) {
                    s.actor.ip = internal_ip(rng, 8); // VPN from home
                }
                s.total = if off {
                    rng.range(8, 20)
                } else {
                    rng.range(5, 12)
                } as u32;
                s.gap_ms = if off {
                    (30_000, 150_000)
                } else {
                    (60_000, 300_000)
                };
                s.detail = format!(
                    "{} reads of {}'s customer data",
                    s.total, world.tenants[s.actor.tenant]
                );
            }
            Kind::Incident(IncidentKind::ExternalReplication)
            | Kind::Benign(BenignKind::BackupReplication) => {
                let backup = kind == Kind::Benign(BenignKind::BackupReplication);
                if backup {
                    s.actor = world.backup.clone();
                    s.actor.tenant = rng.below(world.tenants.len());
                    s.variant = 0;
                } else {
                    s.variant = rng.below(3) as u8;
                }
                s.db = *rng.pick(vocab::CUSTOMER_DBS);
                s.count = rng.range(4, 8) as u32;
                s.total = s.count + u32::from(s.variant != 2);
                s.gap_ms = (1_000, 5_000);
                let db = world.db_name(s.actor.tenant, s.db);
                s.detail = match (backup, s.variant) {
                    (true, _) => format!(
                        "POST /_replicate of {db} to the backup cluster, then replicator reads"
                    ),
                    (false, 0) => format!(
                        "POST /_replicate by a non-service account, then replicator reads of {db}"
                    ),
                    (false, 1) => format!(
                        "PUT /_replicator/… by a non-service account, then replicator reads of {db}"
                    ),
                    _ => {
                        s.actor.ip = attacker_ip(rng);
                        format!("a CouchDB replicator pulling {db} from an outside address")
                    }
                };
            }
            Kind::Incident(IncidentKind::MassDeletion) | Kind::Benign(BenignKind::SmallCleanup) => {
                let mass = kind == Kind::Incident(IncidentKind::MassDeletion);
                // Databases with many documents (not the few `settings` ones).
                s.db = *rng.pick(&[
                    Db::Customers,
                    Db::Orders,
                    Db::Invoices,
                    Db::Events,
                    Db::Contacts,
                    Db::Users,
                ]);
                if mass {
                    s.count = rng.range(25, 80) as u32;
                    s.variant = u8::from(rng.chance(0.5)); // then _purge
                    // Spread over 15–50 s, so the whole burst fits in a minute.
                    let mean = rng.range(15_000, 50_000) / u64::from(s.count);
                    s.gap_ms = (mean * 4 / 5, mean * 6 / 5);
                } else {
                    s.count = rng.range(3, 8) as u32;
                    s.gap_ms = (20_000, 120_000);
                }
                s.total = s.count + u32::from(s.variant);
                let db = world.db_name(s.actor.tenant, s.db);
                s.detail = format!(
                    "{} DELETEs in {db}{}",
                    s.count,
                    if s.variant == 1 { ", then _purge" } else { "" }
                );
            }
            Kind::Incident(IncidentKind::Enumeration) => {
                s.db = *rng.pick(&[Db::Customers, Db::Orders, Db::Invoices]);
                s.seq = rng.range(1, 90_000);
                s.total = rng.range(25, 60) as u32;
                s.gap_ms = (1_000, 6_000);
                if rng.chance(0.5) {
                    s.actor.ua =
                        *rng.pick(&["python-requests/2.32.3", "curl/8.5.0", "Go-http-client/1.1"]);
                }
                let mut first = Vec::new();
                push_seq_doc_id(&mut first, s.db, s.seq);
                s.detail = format!(
                    "{} sequential ids in {} from {} on",
                    s.total,
                    world.db_name(s.actor.tenant, s.db),
                    String::from_utf8_lossy(&first)
                );
            }
            Kind::Incident(IncidentKind::FailedLogins) | Kind::Benign(BenignKind::LoginTypo) => {
                let brute = kind == Kind::Incident(IncidentKind::FailedLogins);
                s.variant = rng.below(2) as u8; // 0: cookie `_session`, 1: basic auth
                if brute {
                    s.actor.ip = attacker_ip(rng);
                    s.actor.ua = *rng.pick(vocab::API_CLIENTS);
                    s.count = rng.range(12, 30) as u32;
                    s.total = s.count + 1 + rng.range(0, 2) as u32;
                    s.gap_ms = (1_000, 6_000);
                } else {
                    s.count = rng.range(1, 2) as u32;
                    s.total = s.count + 1;
                    s.gap_ms = (3_000, 15_000);
                }
                s.detail = match s.variant {
                    0 => format!("{} failed POST /_session, then a success", s.count),
                    _ => format!(
                        "{} failed basic-auth requests as {}, then a success",
                        s.count, s.actor.name
                    ),
                };
            }
        }
        s
    }

    fn record(&self, line: u64) -> Planted {
        let (kind, category, rule) = match self.kind {
            Kind::Incident(k) => (PlantKind::Incident, k.as_str(), Some(k.rule_id())),
            Kind::Benign(k) => (PlantKind::Benign, k.as_str(), None),
        };
        let mut p = Planted::at(kind, category, line);
        let cookie_login = matches!(
            self.kind,
            Kind::Incident(IncidentKind::FailedLogins) | Kind::Benign(BenignKind::LoginTypo)
        ) && self.variant == 0;
        if !cookie_login {
            p.user = Some(self.actor.name.clone());
        }
        p.ip = Some(self.actor.ip.clone());
        p.rule = rule;
        p.detail = Some(self.detail.clone());
        p
    }

    /// Builds line number `self.emitted` of the script into `c.req`.
    fn step(&mut self, c: &mut Ctx<'_>) {
        let k = self.emitted;
        let tenant = self.actor.tenant;
        match self.kind {
            Kind::Incident(IncidentKind::BulkRead) => {
                c.actor(&self.actor);
                let db = c.rng.weighted(vocab::DB_WEIGHTS);
                c.path_db(tenant, db);
                let (method, rest) = *c.rng.pick(&[
                    ("GET", "/_all_docs?include_docs=true"),
                    ("GET", "/_all_docs?include_docs=true&limit=100000"),
                    ("GET", "/_changes?include_docs=true&since=0"),
                    ("POST", "/_find?limit=100000"),
                    ("GET", "/_all_docs?include_docs=true&attachments=true"),
                ]);
                c.lit(rest);
                let bytes = c.rng.range(20_000_000, 400_000_000);
                c.set(method, 200, bytes);
                c.rt(5_000, 90_000);
            }
            Kind::Incident(IncidentKind::OffHoursStaffAccess)
            | Kind::Benign(BenignKind::StaffBusinessHours) => {
                staff_read(c, &self.actor, tenant);
            }
            Kind::Incident(IncidentKind::ExternalReplication)
            | Kind::Benign(BenignKind::BackupReplication) => {
                if self.variant != 2 && k == 0 {
                    c.actor(&self.actor);
                    if self.variant == 1 {
                        c.lit("/_replicator/");
                        c.lit(&self.local_id);
                        c.set("PUT", 201, 95);
                    } else {
                        c.lit("/_replicate");
                        c.set("POST", 200, 92);
                    }
                    c.rt(20, 400);
                } else {
                    let j = k - u32::from(self.variant != 2);
                    self.replicator_read(c, j);
                }
            }
            Kind::Incident(IncidentKind::MassDeletion) | Kind::Benign(BenignKind::SmallCleanup) => {
                c.actor(&self.actor);
                c.path_db(tenant, self.db);
                if k < self.count {
                    c.req.target.push(b'/');
                    push_doc_id(c.rng, &mut c.req.target, self.db);
                    c.lit("?rev=");
                    push_rev(c.rng, &mut c.req.target);
                    let status = c.rng.weighted(&[(92, 200), (5, 404), (3, 409)]);
                    c.set("DELETE", status, small_body(status));
                    c.rt(3, 30);
                } else {
                    c.lit("/_purge");
                    let bytes = c.rng.range(200, 4_000);
                    c.set("POST", 201, bytes);
                    c.rt(20, 300);
                }
            }
            Kind::Incident(IncidentKind::Enumeration) => {
                c.actor(&self.actor);
                c.path_db(tenant, self.db);
                c.req.target.push(b'/');
                push_seq_doc_id(&mut c.req.target, self.db, self.seq + u64::from(k));
                let status = if c.rng.chance(0.85) { 200 } else { 404 };
                let bytes = if status == 200 {
                    c.rng.range(400, 5_000)
                } else {
                    small_body(status)
                };
                c.set("GET", status, bytes);
                c.rt(2, 30);
            }
            Kind::Incident(IncidentKind::FailedLogins) | Kind::Benign(BenignKind::LoginTypo) => {
                c.actor(&self.actor);
                let ok = k >= self.count;
                if self.variant == 0 {
                    // Cookie login: nginx sees no user name.
                    c.req.user.clear();
                    if k > self.count {
                        c.lit("/_session");
                        c.set("GET", 200, 160);
                    } else {
                        c.lit("/_session");
                        c.set("POST", if ok { 200 } else { 401 }, if ok { 45 } else { 67 });
                    }
                } else {
                    c.path_db(tenant, self.db);
                    if k > self.count {
                        c.lit("/_all_docs?limit=100");
                        let bytes = c.rng.range(5_000, 20_000);
                        c.set("GET", 200, bytes);
                    } else {
                        c.set("GET", if ok { 200 } else { 401 }, if ok { 480 } else { 67 });
                    }
                }
                c.rt(5, 120);
            }
        }
    }

    /// Step `j` of a CouchDB replication as seen on the source: database
    /// info, checkpoint lookup, the full changes feed, then `_bulk_get`s.
    fn replicator_read(&self, c: &mut Ctx<'_>, j: u32) {
        if self.variant == 2 {
            c.req.ip.extend_from_slice(self.actor.ip.as_bytes());
        } else {
            let node = c.rng.pick(&c.world.nodes);
            c.req.ip.extend_from_slice(node.as_bytes());
        }
        c.req.user.extend_from_slice(self.actor.name.as_bytes());
        c.req.ua = vocab::REPLICATOR;
        c.path_db(self.actor.tenant, self.db);
        match j {
            0 => {
                c.lit("/");
                c.set("GET", 200, 452);
            }
            1 => {
                c.lit("/_local/");
                c.lit(&self.local_id);
                c.set("GET", 404, 41);
            }
            2 => {
                c.lit("/_changes?feed=normal&style=all_docs&since=0&timeout=10000");
                let bytes = c.rng.range(1_000_000, 20_000_000);
                c.set("GET", 200, bytes);
            }
            _ => {
                c.lit("/_bulk_get?latest=true&revs=true&attachments=false");
                let bytes = c.rng.range(1_000_000, 50_000_000);
                c.set("POST", 200, bytes);
            }
        }
        c.rt(20, 3_000);
    }
}
