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

#[path = "kafka_support/mod.rs"]
mod fixtures;

use common::wait_for;
use fixtures::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

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
    let t = std::time::Instant::now();
    while cluster.committed() != cluster.ends() {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "a did not take over and commit everything: committed {:?}, ends {:?}\n{}\n{}",
            cluster.committed(),
            cluster.ends(),
            a.log(),
            a.metrics()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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

#[test]
fn a_missing_state_topic_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new();
    let cfgs = setup(dir.path(), &cluster, "500ms", Protocol::Eager);
    let text = std::fs::read_to_string(&cfgs[0]).unwrap().replace(
        "state_topic = \"picket-state\"",
        "state_topic = \"picket-stat\"",
    );
    std::fs::write(&cfgs[0], text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["run", "--no-default-rules", "--config"])
        .arg(&cfgs[0])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if waited > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("picket run kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("state topic picket-stat does not exist"),
        "{err}"
    );
}
