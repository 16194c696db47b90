//! The simulated population: tenants, application accounts, staff, service
//! accounts, browsers and probes, each with a stable address and user agent.
//!
//! Stable identities matter: rules and baselines key on `user.name` and
//! `source.ip`, so an account must keep coming from the same place unless a
//! scenario deliberately moves it.

use super::rng::Rand;
use super::text::{push_ipv4, push_ipv6_doc};
use super::vocab::{self, Db};

/// One client identity. `name` is `-` for unauthenticated clients.
#[derive(Clone, Debug)]
pub(super) struct Actor {
    pub(super) name: String,
    pub(super) ip: String,
    pub(super) ua: &'static str,
    /// Index into [`World::tenants`]: the tenant whose data this actor uses.
    pub(super) tenant: usize,
}

/// Everyone who appears in the logs.
pub(super) struct World {
    pub(super) tenants: Vec<String>,
    /// CouchDB basic-auth application accounts `app-1`…`app-N`.
    pub(super) apps: Vec<Actor>,
    pub(super) support: Vec<Actor>,
    pub(super) ops: Vec<Actor>,
    pub(super) backup: Actor,
    pub(super) indexer: Actor,
    pub(super) etl: Actor,
    pub(super) metrics: Actor,
    /// Anonymous web clients (browsers, bots, scripts).
    pub(super) visitors: Vec<Actor>,
    /// Health checkers of the load balancer / orchestrator.
    pub(super) probes: Vec<Actor>,
    /// Cluster nodes: where the replicator's own requests come from.
    pub(super) nodes: Vec<String>,
}

fn ip(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut v = Vec::with_capacity(40);
    f(&mut v);
    String::from_utf8(v).expect("addresses are ASCII")
}

/// An address inside the data centre, `10.{net}.x.y`.
pub(super) fn internal_ip(rng: &mut Rand, net: u8) -> String {
    let (a, b) = (rng.below(256) as u8, rng.range(1, 254) as u8);
    ip(|v| push_ipv4(v, [10, net, a, b]))
}

/// A client address on the internet, from the documentation ranges
/// (RFC 5737, RFC 3849). `203.0.113.128/25` and `2001:db8:ffff::/48` are kept
/// for [`attacker_ip`] so that an attacker's address is never someone's usual one.
pub(super) fn external_ip(rng: &mut Rand) -> String {
    if rng.chance(0.15) {
        let (a, b, c) = (
            rng.range(1, 0xfffe) as u16,
            rng.range(1, 0xffff) as u16,
            rng.range(1, 0xffff) as u16,
        );
        return ip(|v| push_ipv6_doc(v, a, b, c));
    }
    let host = rng.range(1, 254) as u8;
    match rng.below(3) {
        0 => ip(|v| push_ipv4(v, [192, 0, 2, host])),
        1 => ip(|v| push_ipv4(v, [198, 51, 100, host])),
        _ => ip(|v| push_ipv4(v, [203, 0, 113, host % 127 + 1])),
    }
}

/// An address nobody in the world normally uses.
pub(super) fn attacker_ip(rng: &mut Rand) -> String {
    if rng.chance(0.2) {
        let (b, c) = (rng.range(1, 0xffff) as u16, rng.range(1, 0xffff) as u16);
        return ip(|v| push_ipv6_doc(v, 0xffff, b, c));
    }
    let host = rng.range(128, 254) as u8;
    ip(|v| push_ipv4(v, [203, 0, 113, host]))
}

fn tenant_name(i: usize) -> String {
    let base = vocab::TENANTS[i % vocab::TENANTS.len()];
    match i / vocab::TENANTS.len() {
        0 => base.to_owned(),
        round => format!("{base}{}", round + 1),
    }
}

impl World {
    pub(super) fn new(rng: &mut Rand, users: usize, tenants: usize) -> Self {
        let tenants: Vec<String> = (0..tenants.max(1)).map(tenant_name).collect();
        let apps = (1..=users.max(1))
            .map(|i| {
                let ip = if rng.chance(0.4) {
                    internal_ip(rng, 1)
                } else {
                    external_ip(rng)
                };
                Actor {
                    name: format!("app-{i}"),
                    ip,
                    ua: rng.word(vocab::API_CLIENTS),
                    tenant: (i - 1) % tenants.len(),
                }
            })
            .collect();
        let staff = |rng: &mut Rand, names: &[&str], first_host: u8| -> Vec<Actor> {
            names
                .iter()
                .zip(first_host..)
                .map(|(n, host)| Actor {
                    name: (*n).to_owned(),
                    ip: ip(|v| push_ipv4(v, [198, 51, 100, host])),
                    ua: rng.word(vocab::BROWSERS),
                    tenant: 0,
                })
                .collect()
        };
        let support = staff(rng, vocab::SUPPORT_STAFF, 10);
        let ops = staff(rng, vocab::OPS_STAFF, 20);
        let service = |name: &str, host: u8, ua: &'static str| Actor {
            name: name.to_owned(),
            ip: ip(|v| push_ipv4(v, [10, 0, 2, host])),
            ua,
            tenant: 0,
        };
        let visitors = (0..(users * 10).clamp(200, 20_000))
            .map(|_| {
                let ua = match rng.below(100) {
                    0..=89 => *rng.pick(vocab::BROWSERS),
                    90..=92 => *rng.pick(vocab::BOTS),
                    _ => *rng.pick(vocab::API_CLIENTS),
                };
                Actor {
                    name: "-".to_owned(),
                    ip: external_ip(rng),
                    ua,
                    tenant: rng.below(tenants.len()),
                }
            })
            .collect();
        let probes = (2..5)
            .map(|h| Actor {
                name: "-".to_owned(),
                ip: ip(|v| push_ipv4(v, [10, 0, 0, h])),
                ua: vocab::PROBE,
                tenant: 0,
            })
            .collect();
        let nodes = (11..14)
            .map(|h| ip(|v| push_ipv4(v, [10, 0, 1, h])))
            .collect();
        World {
            tenants,
            apps,
            support,
            ops,
            backup: service("svc-backup", 5, "python-requests/2.31.0"),
            indexer: service("svc-indexer", 6, "nano/10.1.3"),
            etl: service("svc-etl", 7, "Apache-HttpClient/4.5.14 (Java/17.0.9)"),
            metrics: service("svc-metrics", 9, vocab::PROMETHEUS),
            visitors,
            probes,
            nodes,
        }
    }

    /// An application account, busy ones more often.
    pub(super) fn app(&self, rng: &mut Rand) -> &Actor {
        &self.apps[rng.skewed(self.apps.len())]
    }

    /// An anonymous web client, busy ones more often.
    pub(super) fn visitor(&self, rng: &mut Rand) -> &Actor {
        &self.visitors[rng.skewed(self.visitors.len())]
    }

    /// Appends the database name `{tenant}_{db}`.
    pub(super) fn push_db(&self, out: &mut Vec<u8>, tenant: usize, db: Db) {
        out.extend_from_slice(self.tenants[tenant].as_bytes());
        out.push(b'_');
        out.extend_from_slice(db.name().as_bytes());
    }

    /// The database name `{tenant}_{db}` as a string (for scenarios).
    pub(super) fn db_name(&self, tenant: usize, db: Db) -> String {
        format!("{}_{}", self.tenants[tenant], db.name())
    }
}
