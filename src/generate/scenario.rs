//! A ten-day behavioural scenario (`samples/access-10days.log.gz`):
//! a week of ordinary work for the baselines to learn, then incidents
//! that only a learned baseline can tell from that work, next to benign
//! look-alikes (a nightly backup, a late-working staff member, a traffic
//! surge, a mistyped password).
//!
//! Unlike [`Generator`](super::Generator) it is a script, not a random
//! process: every actor's routine is written out, with a little jitter
//! from a fixed seed, so the story is easy to read in the log.

use super::rng::Rand;
use crate::event::civil_from_days;
use std::fmt::Write as _;

/// Monday 2026-02-16 00:00 UTC: the first day. The scenario ends before
/// the other samples begin (2026-03-02), and its file name sorts first,
/// so `replay samples/` reads every file in event-time order and no
/// correlation match arrives late.
pub const SCENARIO_START: i64 = 1_771_200_000;
const H: i64 = 3_600;
const D: i64 = 86_400;
const DAYS: i64 = 10;

/// Something planted in the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioPlant {
    /// Short name (`staff_off_hours`, `nightly_backup`, …).
    pub kind: &'static str,
    /// An incident (must alert) or a benign look-alike (must not alert at
    /// medium or above).
    pub incident: bool,
    /// The rule ids an incident must raise (empty for benign plants).
    pub rules: &'static [&'static str],
    /// Who.
    pub user: &'static str,
    /// What, for the README.
    pub detail: String,
    /// First line (1-based).
    pub first_line: u64,
    /// Last line.
    pub last_line: u64,
}

/// The scenario's log (nginx `combined`) and what is planted where.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The log, one line per request, in time order.
    pub log: Vec<u8>,
    /// Planted incidents and look-alikes, in order of first line.
    pub plants: Vec<ScenarioPlant>,
}

struct Req {
    t: i64,
    ip: &'static str,
    user: &'static str,
    method: &'static str,
    path: String,
    status: u16,
    bytes: u64,
    ua: &'static str,
    plant: Option<usize>,
}

struct Builder {
    rng: Rand,
    reqs: Vec<Req>,
    plants: Vec<(ScenarioPlant, bool)>,
}

const TENANTS: [&str; 6] = ["acme", "globex", "initech", "umbrella", "hooli", "stark"];
const DBS: [&str; 3] = ["customers", "orders", "invoices"];

impl Builder {
    #[allow(clippy::too_many_arguments)] // one request, written out
    fn req(
        &mut self,
        t: i64,
        ip: &'static str,
        user: &'static str,
        method: &'static str,
        path: String,
        status: u16,
        bytes: u64,
        ua: &'static str,
        plant: Option<usize>,
    ) {
        self.reqs.push(Req {
            t,
            ip,
            user,
            method,
            path,
            status,
            bytes,
            ua,
            plant,
        });
    }

    fn plant(
        &mut self,
        kind: &'static str,
        rules: &'static [&'static str],
        user: &'static str,
        detail: String,
    ) -> usize {
        self.plants.push((
            ScenarioPlant {
                kind,
                incident: !rules.is_empty(),
                rules,
                user,
                detail,
                first_line: 0,
                last_line: 0,
            },
            false,
        ));
        self.plants.len() - 1
    }

    fn doc(&mut self, tenant: &str) -> String {
        let db = *self.rng.pick(&DBS);
        format!(
            "/{tenant}_{db}/{}-{:05}",
            db.get(..1).unwrap_or("d"),
            self.rng.range(1, 40_000)
        )
    }
}

/// Builds the scenario (deterministic).
pub fn behaviour_scenario() -> Scenario {
    let mut b = Builder {
        rng: Rand::new(20_260_302),
        reqs: Vec::new(),
        plants: Vec::new(),
    };
    let backup = b.plant(
        "nightly_backup",
        &[],
        "svc-backup",
        "every night 01:30: pages through every database (`_all_docs?include_docs=true&limit=500`, ~0.4 GB) and replicates to the backup cluster".into(),
    );
    let late = b.plant(
        "late_staff_on_usual_tenants",
        &[],
        "support-raj",
        "works until 21:00 every weekday; Tuesday of week 2 at 20:40 on his usual tenants".into(),
    );
    let surge = b.plant(
        "traffic_surge",
        &[],
        "shop-api",
        "twice its usual request rate all of Wednesday of week 2".into(),
    );
    let typo = b.plant(
        "login_typo",
        &[],
        "-",
        "one mistyped password, then a success, from a known address".into(),
    );
    for d in 0..DAYS {
        let day = d * D;
        let weekday = d % 7 < 5;
        // Applications: 06:00–23:00, every day, on their own tenants.
        for (app, ip, tenants) in [
            ("shop-api", "10.1.0.11", ["acme", "globex"]),
            ("billing-api", "10.1.0.12", ["initech", "umbrella"]),
            ("crm-api", "10.1.0.13", ["hooli", "stark"]),
        ] {
            let rate = if app == "shop-api" && d == 9 { 12 } else { 6 };
            for h in 6..23 {
                for i in 0..rate {
                    let t = day + h * H + i * (H / rate) + b.rng.range(0, 300) as i64;
                    let tenant = tenants[i as usize % 2];
                    let (method, path, bytes) = if i % 3 == 2 {
                        (
                            "POST",
                            format!("/{tenant}_orders/_find"),
                            b.rng.range(2_000, 30_000),
                        )
                    } else {
                        ("GET", b.doc(tenant), b.rng.range(400, 6_000))
                    };
                    let p = (rate == 12).then_some(surge);
                    b.req(
                        t,
                        ip,
                        app,
                        method,
                        path,
                        200,
                        bytes,
                        "python-requests/2.31.0",
                        p,
                    );
                }
            }
        }
        // The nightly backup.
        for (i, t) in TENANTS.iter().enumerate() {
            for (j, db) in DBS.iter().enumerate() {
                for page in 0..3 {
                    let ts = day + H + 30 * 60 + (i as i64 * 3 + j as i64) * 60 + page * 15;
                    let path = format!(
                        "/{t}_{db}/_all_docs?include_docs=true&limit=500&skip={}",
                        page * 500
                    );
                    let bytes = b.rng.range(6_000_000, 9_000_000);
                    b.req(
                        ts,
                        "10.0.2.5",
                        "svc-backup",
                        "GET",
                        path,
                        200,
                        bytes,
                        "couchbackup/2.9",
                        Some(backup),
                    );
                }
            }
        }
        b.req(
            day + 2 * H,
            "10.0.2.5",
            "svc-backup",
            "POST",
            "/_replicate".into(),
            200,
            120,
            "couchbackup/2.9",
            Some(backup),
        );
        if !weekday {
            continue;
        }
        // Staff: office hours on their usual tenants; ops also polls the cluster.
        for (who, ip, from, to, tenants) in [
            ("support-maria", "192.0.2.21", 9, 17, ["acme", "globex"]),
            ("support-tom", "192.0.2.22", 9, 18, ["initech", "umbrella"]),
            ("ops-lena", "192.0.2.23", 8, 16, ["hooli", "hooli"]),
            ("support-raj", "192.0.2.24", 11, 21, ["stark", "hooli"]),
        ] {
            for h in from..to {
                for i in 0..4 {
                    let t = day + h * H + i * 900 + b.rng.range(0, 600) as i64;
                    let path = b.doc(tenants[i as usize % 2]);
                    let bytes = b.rng.range(500, 4_000);
                    b.req(
                        t,
                        ip,
                        who,
                        "GET",
                        path,
                        200,
                        bytes,
                        "Mozilla/5.0 Fauxton",
                        None,
                    );
                }
                if who == "ops-lena" {
                    for ep in [
                        "/_active_tasks",
                        "/_node/_local/_stats",
                        "/_membership",
                        "/_up",
                    ] {
                        let t = day + h * H + b.rng.range(0, 3_000) as i64;
                        b.req(t, ip, who, "GET", ep.into(), 200, 900, "curl/8.5.0", None);
                    }
                }
            }
        }
    }
    // Week 2, Tuesday (day 8) and Wednesday (day 9): the incidents.
    let day8 = 8 * D;
    let day9 = 9 * D;
    b.req(
        day8 + 20 * H + 40 * 60,
        "192.0.2.24",
        "support-raj",
        "GET",
        "/stark_orders/o-00042".into(),
        200,
        1_200,
        "Mozilla/5.0 Fauxton",
        Some(late),
    );
    b.req(
        day8 + 10 * H + 5,
        "10.1.0.11",
        "shop-api",
        "GET",
        "/acme_orders/o-00001".into(),
        401,
        67,
        "python-requests/2.31.0",
        Some(typo),
    );
    b.req(
        day8 + 10 * H + 9,
        "10.1.0.11",
        "shop-api",
        "GET",
        "/acme_orders/o-00001".into(),
        200,
        900,
        "python-requests/2.31.0",
        Some(typo),
    );

    let p = b.plant(
        "staff_new_tenant",
        &["staff-new-tenant"],
        "support-tom",
        "reads stark's customers, a tenant he never worked on".into(),
    );
    for i in 0..5 {
        let path = format!("/stark_customers/c-{:05}", 700 + i * 13);
        b.req(
            day8 + 14 * H + i * 120,
            "192.0.2.22",
            "support-tom",
            "GET",
            path,
            200,
            2_100,
            "Mozilla/5.0 Fauxton",
            Some(p),
        );
    }
    let p = b.plant(
        "staff_breadth",
        &["staff-tenant-breadth", "staff-new-tenant"],
        "ops-lena",
        "opens customer documents of all six tenants within 40 minutes".into(),
    );
    for (i, t) in TENANTS.iter().enumerate() {
        let path = format!("/{t}_customers/c-{:05}", 100 + i);
        b.req(
            day8 + 10 * H + 20 * 60 + i as i64 * 400,
            "192.0.2.23",
            "ops-lena",
            "GET",
            path,
            200,
            2_400,
            "curl/8.5.0",
            Some(p),
        );
    }
    let p = b.plant(
        "staff_enumeration",
        &["staff-document-enumeration", "document-enumeration"],
        "support-raj",
        "reads 150 consecutive customer ids of stark in five minutes".into(),
    );
    for i in 0..150 {
        let path = format!("/stark_customers/c-{:05}", 20_000 + i);
        b.req(
            day8 + 16 * H + i * 2,
            "192.0.2.24",
            "support-raj",
            "GET",
            path,
            200,
            1_800,
            "python-requests/2.31.0",
            Some(p),
        );
    }
    let p = b.plant(
        "brute_force_then_success",
        &["login-brute-force", "login-after-brute-force"],
        "-",
        "15 failed `POST /_session` from one outside address, then a success".into(),
    );
    for i in 0..16 {
        let status = if i == 15 { 200 } else { 401 };
        b.req(
            day8 + 22 * H + i * 8,
            "203.0.113.66",
            "-",
            "POST",
            "/_session".into(),
            status,
            67,
            "python-requests/2.31.0",
            Some(p),
        );
    }
    let p = b.plant(
        "staff_off_hours",
        &["staff-off-hours-access"],
        "support-maria",
        "reads acme's customers at 03:10 on a Wednesday, from an address she never used".into(),
    );
    for i in 0..6 {
        let path = format!("/acme_customers/c-{:05}", 3_000 + i * 7);
        b.req(
            day9 + 3 * H + 10 * 60 + i * 60,
            "203.0.113.77",
            "support-maria",
            "GET",
            path,
            200,
            2_600,
            "Mozilla/5.0 Fauxton",
            Some(p),
        );
    }
    let p = b.plant(
        "replication_by_new_user",
        &["replication-by-new-user"],
        "crm-api",
        "creates a `_replicator` job copying hooli's customers; it never replicated before".into(),
    );
    b.req(
        day9 + 11 * H,
        "10.1.0.13",
        "crm-api",
        "PUT",
        "/_replicator/hooli-copy".into(),
        201,
        95,
        "python-requests/2.31.0",
        Some(p),
    );
    let p = b.plant(
        "egress_volume",
        &["egress-volume-anomaly-user", "egress-volume-anomaly-tenant"],
        "billing-api",
        "40 Mango queries of umbrella's orders returning 25 MB each within an hour (usually kilobytes)".into(),
    );
    for i in 0..40 {
        b.req(
            day9 + 15 * H + i * 80,
            "10.1.0.12",
            "billing-api",
            "POST",
            "/umbrella_orders/_find".into(),
            200,
            25_000_000 + i as u64,
            "python-requests/2.31.0",
            Some(p),
        );
    }
    render(b)
}

fn render(mut b: Builder) -> Scenario {
    // A stable sort: requests at the same second keep their script order.
    b.reqs.sort_by_key(|r| r.t);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut log = String::new();
    for (n, r) in b.reqs.iter().enumerate() {
        let secs = SCENARIO_START + r.t;
        let (y, m, d) = civil_from_days(secs.div_euclid(D));
        let sod = secs.rem_euclid(D);
        let (hh, mm, ss) = (sod / H, sod % H / 60, sod % 60);
        let _ = writeln!(
            log,
            "{} - {} [{d:02}/{}/{y}:{hh:02}:{mm:02}:{ss:02} +0000] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\"",
            r.ip,
            r.user,
            MONTHS[(m as usize).saturating_sub(1) % 12],
            r.method,
            r.path,
            r.status,
            r.bytes,
            r.ua
        );
        if let Some((p, seen)) = r.plant.and_then(|i| b.plants.get_mut(i)) {
            let line = n as u64 + 1;
            if !*seen {
                p.first_line = line;
                *seen = true;
            }
            p.last_line = line;
        }
    }
    let mut plants: Vec<ScenarioPlant> = b.plants.into_iter().map(|(p, _)| p).collect();
    plants.sort_by_key(|p| (p.first_line, p.kind));
    Scenario {
        log: log.into_bytes(),
        plants,
    }
}
