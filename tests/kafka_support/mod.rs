//! Fixtures of the Kafka tests (`tests/kafka.rs`): the mock cluster, the
//! keyed test events and their expected alerts, member configs, and
//! readers of the alert, event and state topics.
#![allow(dead_code)] // shared by tests that each use a subset

use super::common::{self, Daemon, wait_for};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

pub const EVENTS: usize = 100_000;
pub const USERS: usize = 50;
pub const PARTITIONS: i32 = 4;
pub const GROUP: &str = "picket-test";

/// Event `i`: user `u{i % 50}`, at 08:00:00 + `i` s on 2 March 2026. In
/// the first 150 events of every 1,000 each user fails a login 3 times,
/// 50 s apart (the correlation fires on 2 within 60 s); otherwise every
/// tenth event is an admin page.
pub fn event(i: usize) -> String {
    let t = 8 * 3600 + i;
    let (day, h, m, s) = (2 + t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    let (method, path, status) = match kind(i) {
        Kind::Failed => ("POST", "/login".to_string(), 401),
        Kind::Admin => ("GET", format!("/admin/{i}"), 200),
        Kind::Page => ("GET", format!("/page/{i}"), 200),
    };
    format!(
        "10.1.{}.{} - u{} [{day:02}/Mar/2026:{h:02}:{m:02}:{s:02} +0000] \"{method} {path} HTTP/1.1\" {status} 1 \"-\" \"t\"",
        i % 200,
        i % 250,
        i % USERS
    )
}

#[derive(PartialEq, Eq, Clone, Copy)]
pub enum Kind {
    Failed,
    Admin,
    Page,
}

pub fn kind(i: usize) -> Kind {
    if (i / USERS) % 20 < 3 {
        Kind::Failed
    } else if i % 10 == 7 {
        Kind::Admin
    } else {
        Kind::Page
    }
}

/// The event an alert names by its `@timestamp`.
pub fn event_of(alert: &Value) -> usize {
    common::seq_of_alert(alert).expect("alert timestamp") as usize
}

pub const RULES: &str = r#"title: Failed login
id: kafka-test-login-failed
name: login_failed
status: test
level: low
logsource:
  category: webserver
detection:
  sel:
    url.path: '/login'
    http.response.status_code: 401
  condition: sel
---
title: Unauthorized request
id: kafka-test-401
status: test
level: low
logsource:
  category: webserver
detection:
  sel:
    http.response.status_code: 401
  condition: sel
---
title: Admin page
id: kafka-test-admin
status: test
level: low
logsource:
  category: webserver
detection:
  sel:
    url.path|startswith: '/admin/'
  condition: sel
---
title: Repeated failed logins
id: kafka-test-brute
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [user.name]
  timespan: 60s
  condition: {gte: 2}
level: high
"#;

/// Rules whose matches are alerts (`login_failed` only feeds the
/// correlation: Sigma's referenced rules are silent).
pub const MATCH_RULES: [&str; 2] = ["kafka-test-401", "kafka-test-admin"];

/// Produces `(key, line)` messages to `events`.
pub fn produce_lines(brokers: &str, msgs: &[(String, String)]) {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    let p: BaseProducer = c.create().unwrap();
    for (key, line) in msgs {
        p.send(BaseRecord::to("events").key(key).payload(line))
            .map_err(|(e, _)| e)
            .unwrap();
    }
    p.flush(Duration::from_secs(60)).unwrap();
}

/// Produces events `range` to `brokers`, keyed by user (the entity the
/// correlation groups by).
pub fn produce(brokers: &str, range: std::ops::Range<usize>) {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    let p: BaseProducer = c.create().unwrap();
    for i in range {
        let key = format!("u{}", i % USERS);
        let line = event(i);
        let mut rec = BaseRecord::to("events").key(&key).payload(&line);
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((_, r)) => {
                    rec = r;
                    p.poll(Duration::from_millis(5));
                }
            }
        }
    }
    p.flush(Duration::from_secs(60)).unwrap();
}

pub struct Cluster {
    pub mock: MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
}

impl Cluster {
    pub fn new() -> Cluster {
        let mock = MockCluster::new(3).expect("mock cluster");
        mock.create_topic("events", PARTITIONS, 1).unwrap();
        // The mock keeps a few MB per partition and drops older messages:
        // enough partitions that none of the ~12 MB of alerts is dropped
        // (`read_all` checks).
        mock.create_topic("alerts", 8, 1).unwrap();
        mock.create_topic("picket-state", 1, 1).unwrap();
        Cluster { mock }
    }

    pub fn brokers(&self) -> String {
        self.mock.bootstrap_servers()
    }

    pub fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.brokers());
        c
    }

    /// Produces events `range`, keyed by user.
    pub fn produce(&self, range: std::ops::Range<usize>) {
        produce(&self.brokers(), range);
    }

    /// Every message of `topic` now: (partition, offset, value).
    pub fn read_all(&self, topic: &str) -> Vec<(i32, i64, String)> {
        let mut c = self.client();
        c.set("group.id", "picket-test-reader")
            .set("enable.auto.commit", "false");
        let consumer: BaseConsumer = c.create().unwrap();
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .unwrap();
        let parts: Vec<i32> = md.topics()[0].partitions().iter().map(|p| p.id()).collect();
        let mut ends = HashMap::new();
        let mut tpl = TopicPartitionList::new();
        for p in parts {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap();
            assert_eq!(low, 0, "the mock cluster dropped messages of {topic}/{p}");
            if high > 0 {
                ends.insert(p, high);
                tpl.add_partition_offset(topic, p, Offset::Beginning)
                    .unwrap();
            }
        }
        let mut out = Vec::new();
        if ends.is_empty() {
            return out;
        }
        consumer.assign(&tpl).unwrap();
        let t = std::time::Instant::now();
        while !ends.is_empty() {
            assert!(t.elapsed() < Duration::from_secs(120), "reading {topic}");
            let Some(m) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let m = m.unwrap();
            let v = String::from_utf8(m.payload().unwrap_or_default().to_vec()).unwrap();
            out.push((m.partition(), m.offset(), v));
            if ends
                .get(&m.partition())
                .is_some_and(|e| m.offset() + 1 >= *e)
            {
                ends.remove(&m.partition());
            }
        }
        out
    }

    /// The group's committed offset per partition of `events`.
    pub fn committed(&self) -> BTreeMap<i32, i64> {
        let mut c = self.client();
        c.set("group.id", GROUP).set("enable.auto.commit", "false");
        let consumer: BaseConsumer = c.create().unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            tpl.add_partition("events", p);
        }
        let got = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .unwrap();
        got.elements()
            .iter()
            .map(|e| {
                let o = match e.offset() {
                    Offset::Offset(o) => o,
                    _ => 0,
                };
                (e.partition(), o)
            })
            .collect()
    }

    /// Each partition's end offset.
    pub fn ends(&self) -> BTreeMap<i32, i64> {
        let consumer: BaseConsumer = self.client().create().unwrap();
        (0..PARTITIONS)
            .map(|p| {
                let (_, h) = consumer
                    .fetch_watermarks("events", p, Duration::from_secs(10))
                    .unwrap();
                (p, h)
            })
            .collect()
    }
}

/// Rebalance protocols: picket's default, incremental (`cooperative-sticky`:
/// only partitions that change owner are revoked), and librdkafka's
/// default, eager (`range,roundrobin`: every rebalance revokes and
/// reassigns every partition).
#[derive(Clone, Copy)]
pub enum Protocol {
    Eager,
    Cooperative,
}

/// A test directory with the rules and one config per member.
pub fn setup(
    dir: &Path,
    cluster: &Cluster,
    commit_interval: &str,
    protocol: Protocol,
) -> Vec<std::path::PathBuf> {
    let strategy = match protocol {
        Protocol::Eager => "\"partition.assignment.strategy\" = \"range,roundrobin\"",
        Protocol::Cooperative => "",
    };
    std::fs::write(dir.join("rules.yml"), RULES).unwrap();
    (0..2)
        .map(|n| {
            let state = dir.join(format!("state{n}"));
            let cfg = format!(
                r#"
[[sources]]
name = "events"
read_from = "beginning"
[sources.kafka]
brokers = "{brokers}"
topics = ["events"]
group_id = "{GROUP}"
format = "combined"
state_topic = "picket-state"
commit_interval = "{commit_interval}"
[sources.kafka.librdkafka]
"session.timeout.ms" = "10000"
"heartbeat.interval.ms" = "500"
{strategy}

[[sinks]]
type = "kafka"
brokers = "{brokers}"
topic = "alerts"

[alerts]
suppress_window = "0s"

[privacy]
fingerprint_key = "kafka-test"

[state]
dir = "{state}"

[metrics]
listen = "127.0.0.1:0"
"#,
                brokers = cluster.brokers(),
                state = state.display()
            );
            let p = dir.join(format!("picket{n}.toml"));
            std::fs::write(&p, cfg).unwrap();
            p
        })
        .collect()
}

pub fn start(cfg: &Path, dir: &Path) -> Daemon {
    let rules = dir.join("rules.yml");
    Daemon::start(
        cfg,
        &["--no-default-rules", "--rules", rules.to_str().unwrap()],
    )
}

/// Partitions a member owns now, from its log.
pub fn owned(d: &Daemon) -> i64 {
    let log = d.log();
    log.matches("kafka: assigned").count() as i64 - log.matches("kafka: revoked").count() as i64
}

/// The partitions a member's log says it was assigned last.
pub fn owned_partitions(log: &str) -> Vec<i32> {
    let mut owned = Vec::new();
    for l in log.lines() {
        if let Some(p) = l.split("kafka: assigned events/").nth(1) {
            owned.push(p.trim().parse().unwrap());
        } else if let Some(p) = l.split("kafka: revoked events/").nth(1) {
            let p: i32 = p.trim().parse().unwrap();
            owned.retain(|x| *x != p);
        }
    }
    owned
}

/// Starts two members and waits until they share the 4 partitions.
pub fn start_group(cfgs: &[std::path::PathBuf], dir: &Path) -> (Daemon, Daemon) {
    let a = start(&cfgs[0], dir);
    wait_for("a to own every partition", Duration::from_secs(60), || {
        owned(&a) == PARTITIONS as i64
    });
    let b = start(&cfgs[1], dir);
    wait_for("the group to settle", Duration::from_secs(60), || {
        let (x, y) = (owned(&a), owned(&b));
        x > 0 && y > 0 && x + y == PARTITIONS as i64
    });
    (a, b)
}

/// The match alerts expected for events `0..n`: (rule, event).
pub fn expected_matches(n: usize) -> Vec<(String, usize)> {
    let mut v = Vec::new();
    for i in 0..n {
        match kind(i) {
            Kind::Failed => v.push((MATCH_RULES[0].to_string(), i)),
            Kind::Admin => v.push((MATCH_RULES[1].to_string(), i)),
            Kind::Page => {}
        }
    }
    v
}

/// Alerts on the alert topic, parsed.
pub fn alerts(cluster: &Cluster) -> Vec<Value> {
    cluster
        .read_all("alerts")
        .into_iter()
        .map(|(_, _, v)| serde_json::from_str(&v).unwrap())
        .collect()
}

/// What a correlation alert says, without where it was read from.
pub fn correlation_key(a: &Value) -> String {
    format!(
        "{} {} {} {}",
        a["rule"]["id"], a["entity"], a["@timestamp"], a["window"]
    )
}

/// (partition, offset) → event, from the events topic.
pub fn event_positions(cluster: &Cluster) -> HashMap<(i32, i64), usize> {
    cluster
        .read_all("events")
        .into_iter()
        .map(|(p, o, v)| {
            let t = common::seq_of_alert(&serde_json::json!({
                "@timestamp": timestamp_of_line(&v)
            }))
            .unwrap() as usize;
            ((p, o), t)
        })
        .collect()
}

/// The RFC 3339 time of an event line (`[DD/Mar/2026:HH:MM:SS +0000]`).
pub fn timestamp_of_line(line: &str) -> String {
    let i = line.find('[').unwrap() + 1;
    let s = line.get(i..i + 20).unwrap();
    format!(
        "2026-03-{}T{}Z",
        s.get(0..2).unwrap(),
        s.get(12..20).unwrap()
    )
}

/// The partition and offset an alert names.
pub fn position(a: &Value) -> (i32, i64) {
    let path = a["log"]["file"]["path"].as_str().unwrap();
    let p = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(path.starts_with("kafka:events/"), "{path}");
    (p, a["log"]["offset"].as_i64().unwrap())
}
