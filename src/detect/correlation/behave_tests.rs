//! Tests of the baseline types: learning period, window edges, decay,
//! persistence round trip, corrupt and future files, eviction.

use super::tests::{event_at, feed_event};
use super::{Baselines, CorrelationEngine, CorrelationSettings};
use crate::alert::{Alert, AlertKind};
use crate::detect::rule::RuleSet;
use crate::event::Value;
use std::path::Path;
use std::sync::Arc;

const BASE: &str = "
title: Access
name: access
id: access
detection:
    sel:
        event.outcome: success
    condition: sel
";

/// Monday 2026-03-02 00:00 UTC.
const MON: i64 = 1_772_409_600;
const H: i64 = 3_600;
const D: i64 = 86_400;

fn set(correlation: &str) -> Arc<RuleSet> {
    let yaml = format!("{BASE}---\n{correlation}");
    Arc::new(RuleSet::from_yaml(Path::new("b.yml"), &yaml).unwrap_or_else(|e| panic!("{e:?}")))
}

fn compile_err(correlation: &str) -> String {
    let yaml = format!("{BASE}---\n{correlation}");
    match RuleSet::from_yaml(Path::new("b.yml"), &yaml) {
        Ok(_) => panic!("compiled: {correlation}"),
        Err(e) => format!("{e:?}"),
    }
}

/// An event: seconds after Monday 00:00, user, then extra fields.
type Ev = (i64, &'static str, Vec<(&'static str, Value<'static>)>);

fn feed(engine: &mut CorrelationEngine, set: &Arc<RuleSet>, evs: &[Ev]) -> Vec<Alert> {
    let mut scratch = set.new_scratch();
    let mut hits = Vec::new();
    let mut alerts = Vec::new();
    for (i, (t, user, extra)) in evs.iter().enumerate() {
        let event = event_at(MON + t, "success", user, extra);
        feed_event(engine, set, &mut scratch, &mut hits, &event, i, &mut alerts);
    }
    engine.flush(&mut alerts);
    alerts
}

fn run(set: &Arc<RuleSet>, evs: &[Ev]) -> (Vec<Alert>, CorrelationEngine) {
    let mut e = CorrelationEngine::new(set.clone(), CorrelationSettings::default());
    let a = feed(&mut e, set, evs);
    (a, e)
}

fn tenant(t: &'static str) -> Vec<(&'static str, Value<'static>)> {
    vec![("tenant", Value::Str(t.into()))]
}

const NEW_TENANT: &str = "
title: New tenant
id: new-tenant
correlation:
    type: new_terms
    rules: [access]
    group-by: [user.name]
    condition:
        field: tenant
level: medium
";

#[test]
fn new_terms_alert_after_learning_only() {
    let s = set(NEW_TENANT);
    let evs: Vec<Ev> = vec![
        (10 * H, "ops-1", tenant("acme")),
        (3 * D, "ops-1", tenant("globex")), // learning: no alert
        (8 * D, "ops-1", tenant("acme")),   // known
        (8 * D + H, "ops-1", tenant("initech")), // new after learning
        (9 * D, "ops-1", tenant("initech")), // known now
        (9 * D, "ops-2", tenant("initech")), // ops-2 is learning
    ];
    let (a, e) = run(&s, &evs);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].kind, AlertKind::Anomaly);
    assert_eq!(a[0].log.line, 4);
    assert_eq!(
        a[0].entity,
        vec![
            ("user.name".to_owned(), "ops-1".to_owned()),
            ("tenant".to_owned(), "initech".to_owned())
        ]
    );
    assert!(a[0].message.contains("initech"), "{}", a[0].message);
    assert_eq!(e.baseline_entities(), 2);
}

#[test]
fn learning_period_edge_is_inclusive() {
    let s = set(&NEW_TENANT.replace("level:", "    x-picket-learning: 2d\nlevel:"));
    let evs: Vec<Ev> = vec![
        (0, "u", tenant("a")),
        (2 * D - 1, "u", tenant("b")), // one second short
        (2 * D, "u", tenant("c")),     // exactly two days: learned
    ];
    let (a, _) = run(&s, &evs);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].log.line, 3);
}

const VOLUME: &str = "
title: Egress
id: egress
correlation:
    type: anomaly
    rules: [access]
    group-by: [user.name]
    timespan: 1h
    x-picket-measure: sum
    condition:
        field: http.response.body.bytes
        gte: 1000000
level: high
";

fn bytes(n: i64) -> Vec<(&'static str, Value<'static>)> {
    vec![("http.response.body.bytes", Value::Int(n))]
}

#[test]
fn anomaly_learns_a_nightly_job_and_catches_an_order_of_magnitude() {
    let s = set(VOLUME);
    let mut evs: Vec<Ev> = Vec::new();
    // A backup reading ~2 GB at 02:00 every night for ten nights.
    for d in 0..10 {
        for m in 0..4 {
            evs.push((
                d * D + 2 * H + m * 600,
                "backup",
                bytes(500_000_000 + d * 1_000_000),
            ));
        }
    }
    // Night 11: the same; night 12: 25 GB.
    for m in 0..4 {
        evs.push((10 * D + 2 * H + m * 600, "backup", bytes(520_000_000)));
    }
    for m in 0..5 {
        evs.push((11 * D + 2 * H + m * 600, "backup", bytes(5_000_000_000)));
    }
    let (a, _) = run(&s, &evs);
    assert_eq!(a.len(), 1, "{a:#?}");
    let w = a[0].window.as_ref().unwrap();
    assert!(w.sum.unwrap() >= 1e10, "{w:?}");
    assert_eq!(w.count, 2, "raised as soon as the window crossed the limit");
    assert_eq!(
        a[0].first.as_ref().unwrap().line,
        45,
        "first event of the window"
    );
    assert!(a[0].message.contains("usual"), "{}", a[0].message);
}

#[test]
fn anomaly_is_silent_while_learning_and_below_the_minimum() {
    let s = set(VOLUME);
    let mut evs: Vec<Ev> = Vec::new();
    for d in 0..3 {
        evs.push((d * D + 10 * H, "u", bytes(1_000)));
    }
    // A huge window on day 3: still learning.
    evs.push((3 * D + 10 * H, "u", bytes(50_000_000_000)));
    for d in 4..10 {
        evs.push((d * D + 10 * H, "u", bytes(1_000)));
    }
    // 100× the usual but under `gte: 1000000`.
    evs.push((10 * D + 10 * H, "u", bytes(100_000)));
    let (a, _) = run(&s, &evs);
    assert!(a.is_empty(), "{a:#?}");
}

#[test]
fn anomaly_windows_are_aligned_and_alert_once_per_window() {
    let s = set(&VOLUME
        .replace("x-picket-measure: sum", "x-picket-measure: events")
        .replace(
            "        field: http.response.body.bytes\n        gte: 1000000",
            "        gte: 20",
        ));
    let mut evs: Vec<Ev> = Vec::new();
    for d in 0..8 {
        for m in 0..5 {
            evs.push((d * D + 10 * H + m * 60, "u", vec![]));
        }
    }
    // 30 events from 10:59:30 to 11:00:29 fall in two windows of 15 —
    // under the limit; then 60 in one window alert once.
    for i in 0..30 {
        evs.push((8 * D + 11 * H - 30 + i * 2, "u", vec![]));
    }
    for i in 0..60 {
        evs.push((9 * D + 10 * H + i * 10, "u", vec![]));
    }
    let (a, _) = run(&s, &evs);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(
        a[0].window.as_ref().unwrap().count,
        20,
        "alerted at `gte: 20`"
    );
}

const OFF_HOURS: &str = "
title: Off hours
id: off-hours
correlation:
    type: off_hours
    rules: [access]
    group-by: [user.name]
level: medium
";

#[test]
fn off_hours_uses_profile_and_business_hours() {
    let s = set(OFF_HOURS);
    let mut evs: Vec<Ev> = Vec::new();
    // Two weeks of 09:00–18:00 on weekdays, and Tuesday evenings to 21:00.
    for d in 0..14 {
        if d % 7 >= 5 {
            continue;
        }
        let end = if d % 7 == 1 { 21 } else { 18 };
        for h in 9..end {
            evs.push((d * D + h * H + 300, "ops-1", vec![]));
        }
    }
    // Learning (day 2, 03:00): no alert.
    evs.insert(20, (2 * D + 3 * H, "ops-1", vec![]));
    evs.sort_by_key(|e| e.0);
    let (a, mut e) = run(&s, &evs);
    assert!(a.is_empty(), "{a:#?}");
    let more: Vec<Ev> = vec![
        (14 * D + 10 * H, "ops-1", vec![]),      // Monday 10:00: usual
        (15 * D + 20 * H, "ops-1", vec![]),      // Tuesday 20:00: learned late hours
        (16 * D + 20 * H, "ops-1", vec![]),      // Wednesday 20:00: usual hour of day
        (17 * D + 3 * H, "ops-1", vec![]),       // Thursday 03:00: alert
        (17 * D + 3 * H + 600, "ops-1", vec![]), // same hour: once
        (19 * D + 11 * H, "ops-1", vec![]),      // Saturday: alert
    ];
    let a = feed(&mut e, &s, &more);
    let lines: Vec<u64> = a.iter().map(|a| a.log.line).collect();
    assert_eq!(lines, vec![4, 6], "{a:#?}");
    assert!(a[0].message.contains("Thu 03h"), "{}", a[0].message);
}

#[test]
fn baselines_round_trip_byte_for_byte_and_resume() {
    let s = set(&format!("{NEW_TENANT}---\n{VOLUME}---\n{OFF_HOURS}"));
    let mut evs: Vec<Ev> = Vec::new();
    for d in 0..9 {
        let mut f = tenant("acme");
        f.extend(bytes(1_000 + d));
        evs.push((d * D + 10 * H, "ops-1", f));
    }
    let (_, e) = run(&s, &evs);
    let b = e.baselines();
    assert_eq!(b.entities(), 3);
    let bytes1 = b.to_bytes();
    let text = String::from_utf8(bytes1.clone()).unwrap();
    assert!(!text.contains("ops-1") && !text.contains("acme"), "{text}");
    let back = Baselines::from_bytes(&bytes1).unwrap();
    assert_eq!(back.to_bytes(), bytes1);

    // Through a fresh engine and a file: learning is not repeated.
    let dir = tempfile::tempdir().unwrap();
    b.save(dir.path()).unwrap();
    let loaded = Baselines::load(dir.path()).unwrap().unwrap();
    let mut e2 = CorrelationEngine::new(s.clone(), CorrelationSettings::default());
    assert!(e2.restore(loaded).is_empty());
    assert_eq!(e2.baselines().to_bytes(), bytes1);
    let a = feed(&mut e2, &s, &[(9 * D + 11 * H, "ops-1", tenant("initech"))]);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].rule.id, "new-tenant");

    // Another key: nothing is reused.
    let mut e3 = CorrelationEngine::new(s.clone(), CorrelationSettings::default());
    e3.set_key(b"another key");
    assert_eq!(e3.restore(b.clone()).len(), 1);
    assert_eq!(e3.baseline_entities(), 0);

    // Without the rules, the state is carried over, not erased.
    let only = set(NEW_TENANT);
    let mut e4 = CorrelationEngine::new(only, CorrelationSettings::default());
    e4.restore(b.clone());
    assert_eq!(e4.baselines().to_bytes(), bytes1);
}

#[test]
fn corrupt_or_future_files_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Baselines::load(dir.path()).unwrap().is_none(), "missing");
    let path = dir.path().join(super::BASELINE_FILE);
    std::fs::write(&path, b"{\"format\":\"picket-baselines\",\"vers").unwrap();
    let e = Baselines::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("unusable"), "{e}");
    assert!(!path.exists() && path.with_extension("json.corrupt").exists());
    let future = br#"{"format":"picket-baselines","version":2,"stuff":[]}"#;
    let e = Baselines::from_bytes(future).unwrap_err();
    assert!(e.contains("unknown version 2"), "{e}");
    for bad in [
        &br#"{"format":"other","version":1}"#[..],
        br#"{"format":"picket-baselines","version":1,"key_id":"zz","rules":[]}"#,
        br#"{"format":"picket-baselines","version":1,"key_id":"00","rules":[{"rule":"r","kind":"off_hours","timespan_ns":0,"entities":[{"id":"01","first":0,"last":0,"model":{"hours":{"bins":[1.0],"decayed_at":0,"last_hour":0}}}]}]}"#,
        b"\xff\xfe",
    ] {
        assert!(Baselines::from_bytes(bad).is_err());
    }
}

#[test]
fn entities_are_capped_and_evictions_counted() {
    let s = set(NEW_TENANT);
    let settings = CorrelationSettings {
        max_groups: 100,
        ..Default::default()
    };
    let mut e = CorrelationEngine::new(s.clone(), settings);
    let names: Vec<&'static str> = (0..5_000)
        .map(|i| &*Box::leak(format!("user-{i}").into_boxed_str()))
        .collect();
    let evs: Vec<Ev> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64, *n, tenant("acme")))
        .collect();
    feed(&mut e, &s, &evs);
    assert_eq!(e.baseline_entities(), 100);
    let mut evicted = 0;
    e.drain_counts(&mut [], |_, why, n| {
        if why.is_none() {
            evicted += n;
        }
    });
    assert_eq!(evicted, 4_900);
    // The survivors are the most recent: user-4999 is still learning, so
    // a new tenant for it raises nothing, but it is known.
    assert_eq!(e.baselines().entities(), 100);
}

#[test]
fn extension_options_are_checked() {
    let e = compile_err(&VOLUME.replace("x-picket-measure: sum", "x-picket-measure: bytes"));
    assert!(e.contains("x-picket-measure"), "{e}");
    let e = compile_err(&NEW_TENANT.replace(
        "type: new_terms",
        "type: value_count\n    x-picket-learning: 1d\n    timespan: 1h",
    ));
    assert!(e.contains("does not apply"), "{e}");
    let e = compile_err(&NEW_TENANT.replace("field: tenant", "field: tenant\n        gte: 3"));
    assert!(e.contains("no comparison"), "{e}");
    let e = compile_err(&VOLUME.replace("    timespan: 1h\n", ""));
    assert!(e.contains("timespan"), "{e}");
    let e = compile_err(&OFF_HOURS.replace("level:", "    x-picket-min-share: 2\nlevel:"));
    assert!(e.contains("min-share"), "{e}");
}
