//! Scale-out over Kafka (issue 10), against librdkafka's built-in mock
//! cluster (no broker needed): `picket run` processes with a Kafka source
//! and a Kafka sink, two of them in one consumer group over a 4-partition
//! topic of 100,000 events keyed by user.
//!
//! - nothing fails: every alert is produced exactly once, names its event
//!   by partition and Kafka offset, and the correlation rule (grouped by
//!   the message key) raises the same alerts as `picket replay` of the
//!   same events on one instance;
//!   (with incremental, `cooperative-sticky` rebalances);
//! - one member is killed (`kill -9`) mid-run: after the rebalance no
//!   event is lost, and every duplicate is of an event past the offset the
//!   killed member had committed (with eager rebalances);
//! - a partition's baselines reach its next owner through the state topic;
//! - no offset is committed while one of two sinks fails, and all are once
//!   it recovers.
#![cfg(feature = "kafka")]

#[path = "daemon_support/mod.rs"]
mod common;

use common::{Daemon, wait_for};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

const EVENTS: usize = 100_000;
const USERS: usize = 50;
const PARTITIONS: i32 = 4;
const GROUP: &str = "picket-test";

/// Event `i`: user `u{i % 50}`, at 08:00:00 + `i` s on 2 March 2026. In
/// the first 150 events of every 1,000 each user fails a login 3 times,
/// 50 s apart (the correlation fires on 2 within 60 s); otherwise every
/// tenth event is an admin page.
fn event(i: usize) -> String {
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
enum Kind {
    Failed,
    Admin,
    Page,
}

fn kind(i: usize) -> Kind {
    if (i / USERS) % 20 < 3 {
        Kind::Failed
    } else if i % 10 == 7 {
        Kind::Admin
    } else {
        Kind::Page
    }
}

/// The event an alert names by its `@timestamp`.
fn event_of(alert: &Value) -> usize {
    common::seq_of_alert(alert).expect("alert timestamp") as usize
}

const RULES: &str = r#"title: Failed login
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
const MATCH_RULES: [&str; 2] = ["kafka-test-401", "kafka-test-admin"];

/// Produces `(key, line)` messages to `events`.
fn produce_lines(brokers: &str, msgs: &[(String, String)]) {
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
fn produce(brokers: &str, range: std::ops::Range<usize>) {
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

struct Cluster {
    mock: MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
}

impl Cluster {
    fn new() -> Cluster {
        let mock = MockCluster::new(3).expect("mock cluster");
        mock.create_topic("events", PARTITIONS, 1).unwrap();
        // The mock keeps a few MB per partition and drops older messages:
        // enough partitions that none of the ~12 MB of alerts is dropped
        // (`read_all` checks).
        mock.create_topic("alerts", 8, 1).unwrap();
        mock.create_topic("picket-state", 1, 1).unwrap();
        Cluster { mock }
    }

    fn brokers(&self) -> String {
        self.mock.bootstrap_servers()
    }

    fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.brokers());
        c
    }

    /// Produces events `range`, keyed by user.
    fn produce(&self, range: std::ops::Range<usize>) {
        produce(&self.brokers(), range);
    }

    /// Every message of `topic` now: (partition, offset, value).
    fn read_all(&self, topic: &str) -> Vec<(i32, i64, String)> {
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
    fn committed(&self) -> BTreeMap<i32, i64> {
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
    fn ends(&self) -> BTreeMap<i32, i64> {
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

/// librdkafka's assignment strategies: the default (eager: every rebalance
/// revokes and reassigns every partition) and the incremental one.
#[derive(Clone, Copy)]
enum Protocol {
    Eager,
    Cooperative,
}

/// A test directory with the rules and one config per member.
fn setup(
    dir: &Path,
    cluster: &Cluster,
    commit_interval: &str,
    protocol: Protocol,
) -> Vec<std::path::PathBuf> {
    let strategy = match protocol {
        Protocol::Eager => "",
        Protocol::Cooperative => "\"partition.assignment.strategy\" = \"cooperative-sticky\"",
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

fn start(cfg: &Path, dir: &Path) -> Daemon {
    let rules = dir.join("rules.yml");
    Daemon::start(
        cfg,
        &["--no-default-rules", "--rules", rules.to_str().unwrap()],
    )
}

/// Partitions a member owns now, from its log.
fn owned(d: &Daemon) -> i64 {
    let log = d.log();
    log.matches("kafka: assigned").count() as i64 - log.matches("kafka: revoked").count() as i64
}

/// The partitions a member's log says it was assigned last.
fn owned_partitions(log: &str) -> Vec<i32> {
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
fn start_group(cfgs: &[std::path::PathBuf], dir: &Path) -> (Daemon, Daemon) {
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
fn expected_matches(n: usize) -> Vec<(String, usize)> {
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
fn alerts(cluster: &Cluster) -> Vec<Value> {
    cluster
        .read_all("alerts")
        .into_iter()
        .map(|(_, _, v)| serde_json::from_str(&v).unwrap())
        .collect()
}

/// What a correlation alert says, without where it was read from.
fn correlation_key(a: &Value) -> String {
    format!(
        "{} {} {} {}",
        a["rule"]["id"], a["entity"], a["@timestamp"], a["window"]
    )
}

/// (partition, offset) → event, from the events topic.
fn event_positions(cluster: &Cluster) -> HashMap<(i32, i64), usize> {
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
fn timestamp_of_line(line: &str) -> String {
    let i = line.find('[').unwrap() + 1;
    let s = line.get(i..i + 20).unwrap();
    format!(
        "2026-03-{}T{}Z",
        s.get(0..2).unwrap(),
        s.get(12..20).unwrap()
    )
}

/// The partition and offset an alert names.
fn position(a: &Value) -> (i32, i64) {
    let path = a["log"]["file"]["path"].as_str().unwrap();
    let p = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(path.starts_with("kafka:events/"), "{path}");
    (p, a["log"]["offset"].as_i64().unwrap())
}

#[test]
fn group_of_two_alerts_exactly_once_and_like_a_single_replay() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new();
    // Incremental rebalances: b's arrival and a's departure move only the
    // partitions that change owner.
    let cfgs = setup(dir.path(), &cluster, "500ms", Protocol::Cooperative);
    let (a, b) = start_group(&cfgs, dir.path());
    let parts = r#"picket_kafka_partitions{source="events"}"#;
    wait_for("the partition gauges", Duration::from_secs(10), || {
        a.metric(parts) == Some(2.0) && b.metric(parts) == Some(2.0)
    });
    cluster.produce(0..EVENTS);
    let sample = r#"picket_events_total{format="combined",source="events"}"#;
    wait_for("every event processed", Duration::from_secs(300), || {
        let n = a.metric(sample).unwrap_or(0.0) + b.metric(sample).unwrap_or(0.0);
        n >= EVENTS as f64
    });
    let (na, nb) = (a.metric(sample).unwrap(), b.metric(sample).unwrap());
    let commits = r#"picket_kafka_commits_total{outcome="success",source="events"}"#;
    assert!(a.metric(commits).unwrap() > 0.0, "{}", a.metrics());
    assert!(na > 0.0 && nb > 0.0, "both members worked: {na} + {nb}");
    let log_a = a.stop();
    let log_b = b.stop();
    assert_eq!(
        cluster.committed(),
        cluster.ends(),
        "every offset committed\n{log_a}\n{log_b}"
    );

    let all = alerts(&cluster);
    let positions = event_positions(&cluster);
    let mut matches: HashMap<(String, usize), usize> = HashMap::new();
    let mut correlations = Vec::new();
    for a in &all {
        let rule = a["rule"]["id"].as_str().unwrap().to_string();
        if MATCH_RULES.contains(&rule.as_str()) {
            let i = event_of(a);
            assert_eq!(
                positions[&position(a)],
                i,
                "log.offset names the event: {a}"
            );
            *matches.entry((rule, i)).or_default() += 1;
        } else {
            correlations.push(correlation_key(a));
        }
    }
    let expected = expected_matches(EVENTS);
    let dups = matches.values().filter(|n| **n > 1).count();
    assert_eq!(dups, 0, "no duplicates when nothing fails");
    assert_eq!(matches.len(), expected.len(), "every match alert once");
    for e in &expected {
        assert!(matches.contains_key(e), "missing {e:?}");
    }

    // The same events in one file, through `picket replay` on one instance.
    let mut text = String::new();
    for i in 0..EVENTS {
        text.push_str(&event(i));
        text.push('\n');
    }
    let file = dir.path().join("events.log");
    std::fs::write(&file, text).unwrap();
    let rcfg = dir.path().join("replay.toml");
    std::fs::write(&rcfg, "[alerts]\nsuppress_window = \"0s\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--quiet", "--no-default-rules", "--rules"])
        .arg(dir.path().join("rules.yml"))
        .arg("--config")
        .arg(&rcfg)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut single: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|a| a["rule"]["id"] == "kafka-test-brute")
        .map(|a| correlation_key(&a))
        .collect();
    single.sort();
    correlations.sort();
    assert!(
        single.len() > 1000,
        "the correlation fires: {}",
        single.len()
    );
    assert_eq!(
        correlations.len(),
        single.len(),
        "correlation alerts: group of two vs one replay"
    );
    assert!(correlations == single, "same correlation alerts");
    eprintln!(
        "kafka: {EVENTS} events, {} alerts ({} match, {} correlation), 0 duplicates; members processed {na} + {nb}",
        all.len(),
        matches.len(),
        correlations.len()
    );
}

#[test]
fn killed_member_loses_no_event_and_repeats_only_uncommitted_work() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new();
    // Commits every second, events arrive over ~10 s: the killed member
    // has committed some work and leaves uncommitted work behind.
    // Eager rebalances: a gives up and gets back its own partitions too.
    let cfgs = setup(dir.path(), &cluster, "1s", Protocol::Eager);
    let (a, b) = start_group(&cfgs, dir.path());
    let producer = {
        let brokers = cluster.brokers();
        std::thread::spawn(move || {
            for k in 0..20 {
                let n = EVENTS / 20;
                produce(&brokers, k * n..(k + 1) * n);
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let b_parts = owned_partitions(&b.log());
    assert_eq!(b_parts.len(), 2, "b owns two partitions:\n{}", b.log());
    let sample = r#"picket_events_total{format="combined",source="events"}"#;
    wait_for(
        "b to be busy and to have committed",
        Duration::from_secs(120),
        || {
            let c = cluster.committed();
            b.metric(sample).unwrap_or(0.0) >= 10_000.0 && b_parts.iter().all(|p| c[p] > 0)
        },
    );
    let b_log = b.crash();
    // What the killed member had committed: only what lies past it on its
    // partitions may be read again.
    let at_kill = cluster.committed();
    producer.join().unwrap();
    wait_for(
        "a to take over and commit everything",
        Duration::from_secs(300),
        || cluster.committed() == cluster.ends(),
    );
    let log_a = a.stop();
    assert!(
        log_a.matches("kafka: assigned").count() > 2,
        "a took b's partitions over:\n{log_a}"
    );

    let positions = event_positions(&cluster);
    let mut seen: HashMap<(String, usize), Vec<(i32, i64)>> = HashMap::new();
    for a in alerts(&cluster) {
        let rule = a["rule"]["id"].as_str().unwrap().to_string();
        if MATCH_RULES.contains(&rule.as_str()) {
            let pos = position(&a);
            assert_eq!(positions[&pos], event_of(&a), "log.offset names the event");
            seen.entry((rule, event_of(&a))).or_default().push(pos);
        }
    }
    let expected = expected_matches(EVENTS);
    for e in &expected {
        assert!(seen.contains_key(e), "lost {e:?}");
    }
    assert_eq!(seen.len(), expected.len());
    let _ = b_log;
    let mut dups = 0;
    for (e, pos) in &seen {
        if pos.len() > 1 {
            dups += pos.len() - 1;
            let (p, o) = pos[0];
            assert!(
                b_parts.contains(&p) && o >= at_kill[&p],
                "{e:?} repeated but its offset {o} of partition {p} was committed ({at_kill:?}, b had {b_parts:?})"
            );
        }
    }
    eprintln!(
        "kafka kill: {EVENTS} events, {} match alerts expected, all present; {dups} duplicates, all of uncommitted work (committed at kill: {at_kill:?})",
        expected.len()
    );
}

const NEW_TERMS_RULES: &str = r#"title: Document read
id: kafka-test-doc
name: doc_read
status: test
level: low
logsource:
  category: webserver
detection:
  sel:
    url.path|startswith: '/doc/'
  condition: sel
---
title: Document read from a new address
id: kafka-test-new-ip
correlation:
  type: new_terms
  rules: [doc_read]
  group-by: [user.name]
  condition:
    field: source.ip
  x-picket-learning: 1h
level: medium
"#;

/// A document read by `u1` from `ip` at `hh:mm` on 2 March 2026.
fn doc_read(ip: &str, hh: u32, mm: u32) -> (String, String) {
    (
        "u1".into(),
        format!(
            "{ip} - u1 [02/Mar/2026:{hh:02}:{mm:02}:00 +0000] \"GET /doc/{hh}{mm} HTTP/1.1\" 200 1 \"-\" \"t\""
        ),
    )
}

#[test]
fn baselines_follow_the_partition_through_the_state_topic() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new();
    let cfgs = setup(dir.path(), &cluster, "500ms", Protocol::Eager);
    std::fs::write(dir.path().join("rules.yml"), NEW_TERMS_RULES).unwrap();
    let sample = r#"picket_events_total{format="combined",source="events"}"#;

    // Member a learns u1's address over two hours (learning: one hour),
    // then stops: its partitions' snapshots go to the state topic.
    let a = start(&cfgs[0], dir.path());
    wait_for("a to own every partition", Duration::from_secs(60), || {
        owned(&a) == PARTITIONS as i64
    });
    let learn: Vec<_> = (0..13)
        .map(|k| doc_read("10.0.0.1", 8 + k / 6, k % 6 * 10))
        .collect();
    produce_lines(&cluster.brokers(), &learn);
    wait_for("a to read them", Duration::from_secs(60), || {
        a.metric(sample) == Some(13.0)
    });
    let log_a = a.stop();
    let snapshots: Vec<String> = cluster
        .read_all("picket-state")
        .into_iter()
        .map(|(_, _, v)| v)
        .collect();
    assert!(!snapshots.is_empty(), "snapshots published:\n{log_a}");

    // Member b, with its own state directory, takes every partition over:
    // u1 is known and past learning, so a new address alerts at once.
    let later = vec![doc_read("10.0.0.2", 10, 30), doc_read("10.0.0.1", 10, 31)];
    let b = start(&cfgs[1], dir.path());
    wait_for("b to own every partition", Duration::from_secs(60), || {
        owned(&b) == PARTITIONS as i64
    });
    produce_lines(&cluster.brokers(), &later);
    wait_for("b to read them", Duration::from_secs(60), || {
        b.metric(sample) == Some(2.0)
    });
    let log_b = b.stop();
    assert!(log_b.contains("partition snapshot(s) fetched"), "{log_b}");
    let new_ip: Vec<Value> = alerts(&cluster)
        .into_iter()
        .filter(|a| a["rule"]["id"] == "kafka-test-new-ip")
        .collect();
    assert_eq!(new_ip.len(), 1, "{new_ip:?}\n{log_b}");
    assert_eq!(
        new_ip[0]["entity"]["source.ip"], "10.0.0.2",
        "{:?}",
        new_ip[0]
    );

    // Control: the same two events on an instance without that state are
    // u1's first, inside its learning hour: no alert.
    let file = dir.path().join("later.log");
    let text: String = later.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--quiet", "--no-default-rules", "--rules"])
        .arg(dir.path().join("rules.yml"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("kafka-test-new-ip"),
        "without the snapshot nothing alerts"
    );
}

#[test]
fn offsets_wait_until_every_sink_has_the_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new();
    let cfgs = setup(dir.path(), &cluster, "200ms", Protocol::Eager);
    // A second sink, a webhook that fails until told otherwise.
    let hook = common::server::Receiver::start(common::server::Phase::Fail);
    let mut text = std::fs::read_to_string(&cfgs[0]).unwrap();
    text.push_str(&format!(
        "\n[[sinks]]\ntype = \"webhook\"\nurl = \"http://{}/alerts\"\nretry = {{ initial = \"100ms\", max = \"200ms\" }}\n",
        hook.addr
    ));
    std::fs::write(&cfgs[0], text).unwrap();
    let a = start(&cfgs[0], dir.path());
    wait_for("a to own every partition", Duration::from_secs(60), || {
        owned(&a) == PARTITIONS as i64
    });
    let n = 2_000;
    cluster.produce(0..n);
    let sample = r#"picket_events_total{format="combined",source="events"}"#;
    wait_for("a to read them", Duration::from_secs(60), || {
        a.metric(sample) == Some(n as f64)
    });
    wait_for(
        "the kafka sink to have alerts",
        Duration::from_secs(60),
        || !cluster.read_all("alerts").is_empty(),
    );
    std::thread::sleep(Duration::from_secs(2)); // ten commit intervals
    let none: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, 0)).collect();
    assert_eq!(
        cluster.committed(),
        none,
        "nothing is committed while a sink fails"
    );

    hook.set(common::server::Phase::Accept);
    wait_for("every offset committed", Duration::from_secs(60), || {
        cluster.committed() == cluster.ends()
    });
    a.stop();
    let seen = hook.seen.lock().unwrap();
    let got = seen
        .alerts
        .iter()
        .filter(|a| MATCH_RULES.contains(&a["rule"]["id"].as_str().unwrap_or("")))
        .count();
    assert_eq!(
        got,
        expected_matches(n).len(),
        "the webhook got every alert"
    );
}
