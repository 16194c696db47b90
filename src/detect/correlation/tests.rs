//! Correlation engine tests: every correlation type, window edges (exactly
//! at `timespan`, out of order within the lateness, late), memory caps,
//! `generate`, chains and aliases; and a model-based property test of
//! `event_count` windows against a naive oracle (STYLE practice 12).

use super::{CorrelationEngine, CorrelationSettings, DropReason, observe};
use crate::alert::{Alert, AlertKind, LogRef};
use crate::detect::rule::RuleSet;
use crate::event::{Event, Field, Origin, Timestamp, Value};
use crate::parse::Format;
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

const BASE: &str = "
title: Failed login
name: failed_login
id: failed-login
detection:
    sel:
        event.outcome: failure
    condition: sel
---
title: Successful login
name: ok_login
id: ok-login
detection:
    sel:
        event.outcome: success
    condition: sel
";

fn set(correlation: &str) -> Arc<RuleSet> {
    let yaml = format!("{BASE}---\n{correlation}");
    Arc::new(RuleSet::from_yaml(Path::new("c.yml"), &yaml).unwrap_or_else(|e| panic!("{e:?}")))
}

/// One test event: seconds, outcome, user, and an optional `bytes`/`ip`.
#[derive(Clone, Debug)]
struct Ev {
    t: i64,
    outcome: &'static str,
    user: String,
    extra: Option<(&'static str, Value<'static>)>,
}

fn ev(t: i64, outcome: &'static str, user: &str) -> Ev {
    Ev {
        t,
        outcome,
        user: user.into(),
        extra: None,
    }
}

fn with(mut e: Ev, name: &'static str, v: Value<'static>) -> Ev {
    e.extra = Some((name, v));
    e
}

fn feed_all(
    set: &Arc<RuleSet>,
    settings: CorrelationSettings,
    evs: &[Ev],
) -> (Vec<Alert>, CorrelationEngine) {
    let mut engine = CorrelationEngine::new(set.clone(), settings);
    let mut scratch = set.new_scratch();
    let mut hits = Vec::new();
    let mut alerts = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let event = event_at(1_772_438_400 + e.t, e.outcome, &e.user, e.extra.as_slice());
        feed_event(
            &mut engine,
            set,
            &mut scratch,
            &mut hits,
            &event,
            i,
            &mut alerts,
        );
    }
    engine.flush(&mut alerts);
    (alerts, engine)
}

/// A JSON-format event at `unix` seconds for `user`, with extra fields.
pub(super) fn event_at<'a>(
    unix: i64,
    outcome: &'a str,
    user: &'a str,
    extra: &[(&'static str, Value<'static>)],
) -> Event<'a> {
    let mut event = Event::new(Format::Json, Origin::default());
    event.timestamp = Some(Timestamp::from_unix(unix, 0));
    event.set_str(Field::EventOutcome, outcome);
    event.set_str(Field::UserName, user);
    for (n, v) in extra {
        match Field::from_name(n) {
            Some(f) => event.set(f, v.clone()),
            None => event.set_extra(*n, v.clone()),
        }
    }
    event
}

/// What the pipeline does with an event, in one place: evaluate the rules
/// (worker), then feed the observations of the hits to the engine
/// (collector). `index` is the event's 0-based position (its line - 1).
pub(super) fn feed_event(
    engine: &mut CorrelationEngine,
    set: &RuleSet,
    scratch: &mut crate::detect::rule::RuleScratch,
    hits: &mut Vec<usize>,
    event: &Event<'_>,
    index: usize,
    alerts: &mut Vec<Alert>,
) {
    set.evaluate(event, scratch, hits);
    for &h in hits.iter() {
        let log = LogRef {
            path: "t.log".into(),
            line: index as u64 + 1,
            offset: 0,
        };
        let mut batch = engine.new_batch();
        if observe(set.correlations(), h, event, log, &mut batch) {
            engine.feed(batch, alerts);
        }
    }
}

fn run(set: &Arc<RuleSet>, evs: &[Ev]) -> Vec<Alert> {
    feed_all(set, CorrelationSettings::default(), evs).0
}

fn lines(alerts: &[Alert]) -> Vec<(u64, u64)> {
    alerts
        .iter()
        .map(|a| (a.first.as_ref().map_or(0, |f| f.line), a.log.line))
        .collect()
}

const COUNT3: &str = "
title: Brute force
id: brute-force
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user.name]
    timespan: 60s
    condition: {gte: 3}
level: high
";

#[test]
fn event_count_alert_shape() {
    let s = set(COUNT3);
    let a = run(
        &s,
        &[
            ev(0, "failure", "bob"),
            ev(10, "failure", "bob"),
            ev(20, "failure", "eve"),
            ev(30, "failure", "bob"),
        ],
    );
    assert_eq!(a.len(), 1);
    let a = &a[0];
    assert_eq!(a.kind, AlertKind::Correlation);
    assert_eq!(a.rule.id, "brute-force");
    assert_eq!(a.entity, [("user.name".to_owned(), "bob".to_owned())]);
    let w = a.window.as_ref().unwrap();
    assert_eq!((w.count, w.distinct, w.sum), (3, None, None));
    assert_eq!(w.start, Some(Timestamp::from_unix(1_772_438_400, 0)));
    assert_eq!(w.end, Some(Timestamp::from_unix(1_772_438_430, 0)));
    assert_eq!((a.first.as_ref().unwrap().line, a.log.line), (1, 4));
    assert!(
        a.message
            .contains("3 events (gte 3) within 1m for user.name=bob"),
        "{}",
        a.message
    );
    let json: serde_json::Value = serde_json::from_str(&a.to_json_line()).unwrap();
    assert_eq!(json["kind"], "correlation");
    assert_eq!(json["log"]["first"]["line"], 1);
    assert_eq!(json["window"]["count"], 3);
}

#[test]
fn window_edges() {
    let s = set(COUNT3);
    // Exactly `timespan` after the first event: still inside.
    let a = run(
        &s,
        &[
            ev(0, "failure", "u"),
            ev(30, "failure", "u"),
            ev(60, "failure", "u"),
        ],
    );
    assert_eq!(lines(&a), [(1, 3)]);
    // One second later: the first has left the window.
    let a = run(
        &s,
        &[
            ev(0, "failure", "u"),
            ev(30, "failure", "u"),
            ev(61, "failure", "u"),
        ],
    );
    assert!(a.is_empty());
    // After an alert the window starts afresh.
    let evs: Vec<Ev> = (0..6).map(|i| ev(i, "failure", "u")).collect();
    assert_eq!(lines(&run(&s, &evs)), [(1, 3), (4, 6)]);
}

#[test]
fn out_of_order_within_lateness_and_late() {
    let s = set(COUNT3);
    // Arrival order 0, 50, 20, 70 (s): sorted, 20..70 fits the 60s window
    // with 50, and 0..50 does too: the alert covers 0, 20, 50.
    let evs = [
        ev(0, "failure", "u"),
        ev(50, "failure", "u"),
        ev(20, "failure", "u"),
        ev(70, "failure", "u"),
    ];
    let a = run(&s, &evs);
    assert_eq!(
        lines(&a),
        [(1, 2)],
        "first = line 1 (t=0), last = line 2 (t=50)"
    );
    // With no lateness, t=20 arrives after t=50 was processed: dropped.
    let strict = CorrelationSettings {
        lateness_ns: 0,
        ..Default::default()
    };
    let (a, mut engine) = feed_all(&s, strict, &evs);
    assert!(a.is_empty(), "0 and 50, then 50 and 70: never 3 within 60s");
    let mut drops = Vec::new();
    engine.drain_counts(&mut [], |r, why, n| drops.push((r.to_owned(), why, n)));
    assert_eq!(
        drops,
        [("brute-force".to_owned(), Some(DropReason::Late), 1)]
    );
}

#[test]
fn caps_evict_oldest_group_and_truncate_windows() {
    let s = set(COUNT3);
    let settings = CorrelationSettings {
        max_groups: 2,
        ..Default::default()
    };
    // a, b, c: c evicts a (updated longest ago); a's next two events then
    // start a fresh window and do not reach 3.
    let evs = [
        ev(0, "failure", "a"),
        ev(1, "failure", "a"),
        ev(2, "failure", "b"),
        ev(3, "failure", "c"),
        ev(4, "failure", "a"),
    ];
    let (a, mut engine) = feed_all(&s, settings, &evs);
    assert!(a.is_empty());
    assert_eq!(engine.groups(), 2);
    let mut evicted = 0;
    engine.drain_counts(&mut [], |_, why, n| {
        if why.is_none() {
            evicted += n;
        }
    });
    assert_eq!(evicted, 2, "a evicted by c, then b by a");
    let settings = CorrelationSettings {
        max_entries: 2,
        ..Default::default()
    };
    let (a, mut engine) = feed_all(&s, settings, &evs[..2]);
    assert!(a.is_empty());
    let (_, mut e2) = feed_all(
        &s,
        settings,
        &[
            ev(0, "failure", "a"),
            ev(1, "failure", "a"),
            ev(2, "failure", "a"),
        ],
    );
    let mut truncated = 0;
    e2.drain_counts(&mut [], |_, why, n| {
        if why == Some(DropReason::Truncated) {
            truncated += n;
        }
    });
    assert_eq!(truncated, 1);
    engine.drain_counts(&mut [], |_, _, _| panic!("nothing to report"));
}

#[test]
fn idle_groups_expire() {
    let s = set(COUNT3);
    let (_, engine) = feed_all(
        &s,
        CorrelationSettings::default(),
        &[ev(0, "failure", "a"), ev(500, "failure", "b")],
    );
    assert_eq!(engine.groups(), 1, "a's window is empty long before t=500");
}

#[test]
fn value_count() {
    let s = set("
title: Spray
id: spray
correlation:
    type: value_count
    rules: [failed_login]
    group-by: [source.ip]
    timespan: 10m
    condition: {field: user.name, gte: 3}
");
    let ip = |t, u: &str| with(ev(t, "failure", u), "source.ip", Value::str("203.0.113.9"));
    let a = run(
        &s,
        &[ip(0, "a"), ip(1, "a"), ip(2, "b"), ip(3, "b"), ip(4, "c")],
    );
    assert_eq!(a.len(), 1);
    let w = a[0].window.as_ref().unwrap();
    assert_eq!((w.count, w.distinct), (5, Some(3)));
    assert_eq!(
        a[0].entity,
        [("source.ip".to_owned(), "203.0.113.9".to_owned())]
    );
}

#[test]
fn temporal_and_temporal_ordered() {
    let t = set("
title: Fail and success
id: both
correlation:
    type: temporal
    rules: [failed_login, ok_login]
    group-by: [user.name]
    timespan: 5m
");
    assert_eq!(
        run(&t, &[ev(0, "success", "u"), ev(10, "failure", "u")]).len(),
        1
    );
    assert!(run(&t, &[ev(0, "success", "u"), ev(10, "failure", "v")]).is_empty());
    assert!(run(&t, &[ev(0, "success", "u"), ev(301, "failure", "u")]).is_empty());
    let o = set("
title: Fail then success
id: ordered
correlation:
    type: temporal_ordered
    rules: [failed_login, ok_login]
    group-by: [user.name]
    timespan: 5m
");
    assert!(run(&o, &[ev(0, "success", "u"), ev(10, "failure", "u")]).is_empty());
    let a = run(
        &o,
        &[
            ev(0, "success", "u"),
            ev(10, "failure", "u"),
            ev(20, "success", "u"),
        ],
    );
    assert_eq!(
        lines(&a),
        [(1, 3)],
        "first contributing event is the window's oldest"
    );
}

#[test]
fn value_sum_avg_percentile() {
    let bytes = |t, n: i64| {
        with(
            ev(t, "success", "u"),
            "http.response.body.bytes",
            Value::Int(n),
        )
    };
    let evs = [bytes(0, 100), bytes(1, 300), bytes(2, 800)];
    for (kind, cond, fires_at) in [
        ("value_sum", "gte: 1000", Some(1200.0)),
        ("value_sum", "gt: 1200", None),
        ("value_avg", "gte: 400", Some(1200.0)),
        ("value_avg", "gt: 400", None),
        ("value_percentile", "percentile: 50, gte: 300", Some(1200.0)),
        ("value_percentile", "percentile: 90, gte: 700", Some(1200.0)),
    ] {
        let s = set(&format!(
            "title: v\nid: v\ncorrelation:\n    type: {kind}\n    rules: [ok_login]\n    group-by: [user.name]\n    timespan: 1h\n    condition: {{field: http.response.body.bytes, {cond}}}\n"
        ));
        let a = run(&s, &evs);
        match fires_at {
            None => assert!(a.is_empty(), "{kind} {cond}: {a:?}"),
            Some(sum) => {
                assert_eq!(a.len(), 1, "{kind} {cond}");
                assert_eq!(
                    a[0].window.as_ref().unwrap().sum,
                    Some(sum),
                    "{kind} {cond}"
                );
            }
        }
    }
    // Events without a numeric value do not count.
    let s = set(
        "title: v\nid: v\ncorrelation:\n    type: value_sum\n    rules: [ok_login]\n    group-by: [user.name]\n    timespan: 1h\n    condition: {field: http.response.body.bytes, gte: 1}\n",
    );
    assert!(
        run(
            &s,
            &[with(
                ev(0, "success", "u"),
                "http.response.body.bytes",
                Value::str("n/a")
            )]
        )
        .is_empty()
    );
}

#[test]
fn generate_decides_base_alerts() {
    let s = set(COUNT3);
    let plan = s.correlations();
    let failed = s
        .rules()
        .iter()
        .position(|r| r.info.id == "failed-login")
        .unwrap();
    let ok = s
        .rules()
        .iter()
        .position(|r| r.info.id == "ok-login")
        .unwrap();
    assert!(plan.is_silent(failed), "generate defaults to false");
    assert!(!plan.is_silent(ok), "not referred to");
    let s = set(&COUNT3.replace("level: high", "level: high\ngenerate: true"));
    assert!(!s.correlations().is_silent(failed));
}

#[test]
fn chains_and_aliases() {
    // Many failures, then a success from the same source address, where
    // the base rules name the address differently (aliases).
    let s = set("
title: Many failures
name: many_failures
id: many-failures
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user.name]
    timespan: 10m
    condition: {gte: 2}
---
title: Failures then success
id: takeover
correlation:
    type: temporal_ordered
    rules: [many_failures, ok_login]
    group-by: [user.name]
    timespan: 10m
level: critical
");
    let plan = s.correlations();
    let inner = plan
        .rules()
        .iter()
        .find(|r| r.info.id == "many-failures")
        .unwrap();
    assert!(
        !inner.emits,
        "a chain step raises no alerts unless the outer rule generates"
    );
    let a = run(
        &s,
        &[
            ev(0, "failure", "u"),
            ev(5, "failure", "u"),
            ev(9, "success", "u"),
        ],
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].rule.id, "takeover");
    assert_eq!(lines(&a), [(2, 3)], "the inner correlation fired on line 2");

    let s = set("
title: Same address
id: same-address
correlation:
    type: temporal
    rules: [failed_login, ok_login]
    group-by: [addr]
    timespan: 10m
    aliases:
        addr:
            failed_login: source.ip
            ok_login: client_ip
");
    let f = with(
        ev(0, "failure", "a"),
        "source.ip",
        Value::str("198.51.100.4"),
    );
    let o = with(
        ev(1, "success", "b"),
        "client_ip",
        Value::str("198.51.100.4"),
    );
    let a = run(&s, &[f.clone(), o]);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].entity,
        [("addr".to_owned(), "198.51.100.4".to_owned())]
    );
    let other = with(
        ev(1, "success", "b"),
        "client_ip",
        Value::str("198.51.100.5"),
    );
    assert!(run(&s, &[f, other]).is_empty());
}

#[test]
fn cycles_and_unknown_references_are_errors() {
    let yaml = format!(
        "{BASE}---\ntitle: a\nname: a\ncorrelation:\n    type: temporal\n    rules: [b, ok_login]\n    timespan: 1m\n---\ntitle: b\nname: b\ncorrelation:\n    type: temporal\n    rules: [a]\n    timespan: 1m\n"
    );
    let e = RuleSet::from_yaml(Path::new("c.yml"), &yaml).unwrap_err();
    assert!(e.iter().any(|e| e.message.contains("cyclic")), "{e:?}");
}

// ---- model-based property test --------------------------------------------

/// The naive oracle: events sorted by time (stable), per group a list of
/// times, drop those more than `span` before the current one, alert and
/// clear at `n`.
fn model(evs: &[(i64, u8)], span: i64, n: usize) -> Vec<(u8, i64)> {
    let mut sorted: Vec<(usize, &(i64, u8))> = evs.iter().enumerate().collect();
    sorted.sort_by_key(|(i, (t, _))| (*t, *i));
    let mut groups: std::collections::HashMap<u8, Vec<i64>> = Default::default();
    let mut out = Vec::new();
    for (_, (t, g)) in sorted {
        let w = groups.entry(*g).or_default();
        w.retain(|x| *x >= t - span);
        w.push(*t);
        if w.len() >= n {
            out.push((*g, *t));
            w.clear();
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn event_count_matches_model(
        base in proptest::collection::vec((0i64..400, 0u8..3), 1..60),
        jitter in proptest::collection::vec(0i64..20, 60),
    ) {
        // Arrival order = base order; times disordered by at most 20 s,
        // inside the 30 s lateness.
        let evs: Vec<(i64, u8)> = base
            .iter()
            .scan(0i64, |clock, (dt, g)| {
                *clock += dt / 20;
                Some((*clock, *g))
            })
            .zip(&jitter)
            .map(|((t, g), j)| ((t - j).max(0), g))
            .collect();
        let s = set(&COUNT3.replace("timespan: 60s", "timespan: 30s"));
        let input: Vec<Ev> = evs
            .iter()
            .map(|(t, g)| ev(*t, "failure", &format!("g{g}")))
            .collect();
        let got: Vec<(u8, i64)> = run(&s, &input)
            .iter()
            .map(|a| {
                let g = a.entity[0].1.trim_start_matches('g').parse().unwrap();
                (g, a.timestamp.unwrap().unix_seconds() - 1_772_438_400)
            })
            .collect();
        prop_assert_eq!(got, model(&evs, 30, 3));
    }
}
