//! The shipped rules, examples, messages and entities.

use super::{compile, event, rule};
use crate::alert::Level;
use crate::detect::rule::{ExampleResult, RuleSet, run_examples};
use crate::event::Value;
use crate::parse::Format;

#[test]
fn builtin_rules_load() {
    let set = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = set.rules().iter().map(|r| r.info.id.as_str()).collect();
    for want in [
        "bulk-read-document-database",
        "exfil-docdb-replication",
        "web-docdb-purge",
        "web-docdb-admin-endpoints",
        "failed-login",
        "document-deletion",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let correlations: Vec<&str> = set
        .correlations()
        .rules()
        .iter()
        .map(|r| r.info.id.as_str())
        .collect();
    assert_eq!(
        correlations,
        [
            "bulk-read-by-new-reader",
            "staff-document-enumeration",
            "document-enumeration-anomaly",
            "document-enumeration",
            "egress-volume-anomaly-user",
            "egress-volume-anomaly-tenant",
            "replication-by-new-user",
            "staff-off-hours-access",
            "staff-new-tenant",
            "staff-tenant-breadth",
            "login-brute-force",
            "credential-stuffing",
            "login-brute-force-step",
            "login-after-brute-force",
            "mass-document-deletion",
            "new-source-address-for-user",
        ]
    );
    for c in set.correlations().rules() {
        assert!(c.examples.is_some(), "{} has no x-picket-tests", c.info.id);
    }
    let bulk = set
        .rules()
        .iter()
        .find(|r| r.info.id == "bulk-read-document-database")
        .unwrap();
    assert_eq!(bulk.info.level, Level::Low);
    assert!(bulk.info.tags.iter().any(|t| t == "attack.t1530"));
    assert!(
        bulk.source.path.starts_with("detections/exfil"),
        "{}",
        bulk.source
    );
    let formats: Vec<_> = bulk.formats().collect();
    assert_eq!(
        formats,
        [
            Format::Combined,
            Format::Common,
            Format::Couchdb,
            Format::Json
        ]
    );
    for r in set.rules() {
        assert!(r.has_examples(), "{} has no x-picket-tests", r.info.id);
        assert!(
            r.needs_hit,
            "{} should be gated by the prefilter",
            r.info.id
        );
    }
}

#[test]
fn builtin_examples_pass() {
    let report = crate::detect::run_rule_examples(&[], true, &Default::default());
    assert!(report.is_ok(), "{report}");
    assert!(report.errors.is_empty());
    assert_eq!(report.untested, 0);
    for r in &report.rules {
        // Correlation scenarios: "sequence of N events|lines (expect M)".
        let is_events = |o: &&crate::detect::rule::ExampleOutcome| {
            o.input.starts_with('{') || o.input.contains(" events (expect")
        };
        // Hundreds of distinct documents make an unreadable scenario: the
        // positive cases of these are `enumeration_rules_fire` below. A
        // chain step raises nothing itself: its positive case is its parent's.
        let long = [
            "staff-document-enumeration",
            "document-enumeration-anomaly",
            "login-brute-force-step",
        ];
        let events = r.outcomes.iter().filter(is_events);
        let (pos, neg): (Vec<_>, Vec<_>) = events.partition(|o| o.expect_match);
        assert!(
            (!pos.is_empty() || long.contains(&r.id.as_str())) && !neg.is_empty(),
            "{}: needs match_events and no_match_events",
            r.id
        );
        assert!(
            pos.iter()
                .chain(&neg)
                .all(|o| o.result == ExampleResult::Pass),
            "{report}"
        );
        let lines = r.outcomes.iter().filter(|o| !is_events(o));
        assert!(
            (lines.clone().any(|o| o.expect_match) || long.contains(&r.id.as_str()))
                && lines.clone().any(|o| !o.expect_match),
            "{}",
            r.id
        );
    }
    // Until the combined parser lands its raw lines are skipped; after, they must pass.
    assert_eq!(
        report.count(|r| matches!(r, ExampleResult::Fail(_))),
        0,
        "{report}"
    );
}

#[test]
fn message_and_entity() {
    let set = RuleSet::builtin().unwrap();
    let ev = event(
        Format::Couchdb,
        &[
            ("url.path", Value::str("/acme_customers/_all_docs")),
            ("url.query", Value::str("include_docs=true")),
            ("http.request.method", Value::str("GET")),
            ("user.name", Value::str("app-7")),
            ("source.ip", Value::str("203.0.113.9")),
            ("db.name", Value::str("acme_customers")),
        ],
    );
    let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
    set.evaluate(&ev, &mut scratch, &mut hits);
    let rules: Vec<_> = hits.iter().map(|&i| &set.rules()[i]).collect();
    assert_eq!(
        rules.len(),
        1,
        "{:?}",
        rules.iter().map(|r| &r.info.id).collect::<Vec<_>>()
    );
    assert_eq!(
        rules[0].message(&ev),
        "Bulk read of acme_customers by app-7 (GET /acme_customers/_all_docs)"
    );
    let entity = rules[0].entity(&ev);
    let want = [
        ("user.name", "app-7"),
        ("source.ip", "203.0.113.9"),
        ("db.name", "acme_customers"),
    ];
    assert_eq!(entity, want.map(|(k, v)| (k.to_owned(), v.to_owned())));

    let plain = compile(&rule("sel:\n  url.path: /x\ncondition: sel")).unwrap();
    let ev = event(
        Format::Json,
        &[
            ("url.path", Value::str("/x")),
            ("tenant", Value::str("acme")),
        ],
    );
    assert_eq!(plain.rules()[0].message(&ev), "test rule");
    assert_eq!(
        plain.rules()[0].entity(&ev),
        [("tenant".to_owned(), "acme".to_owned())]
    );
}

#[test]
fn examples_report_failures_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.yml");
    let yaml = format!(
        "{}x-picket-tests:\n    format: json\n    match_events:\n        - {{url.path: /a}}\n        - {{url.path: /b}}\n    no_match_events:\n        - {{url.path: /a}}\n",
        rule("sel:\n  url.path: /a\ncondition: sel")
    );
    std::fs::write(&file, yaml).unwrap();
    let report = run_examples(std::slice::from_ref(&file), false, &Default::default());
    assert!(!report.is_ok());
    let results: Vec<_> = report.rules[0]
        .outcomes
        .iter()
        .map(|o| (o.line, o.result.clone()))
        .collect();
    assert_eq!(
        results,
        [
            (10, ExampleResult::Pass),
            (11, ExampleResult::Fail("the rule did not match".into())),
            (13, ExampleResult::Fail("the rule matched".into())),
        ]
    );
    let shown = report.to_string();
    assert!(shown.starts_with("FAIL test (test rule)\n"), "{shown}");
    assert!(
        shown.contains(
            "r.yml:11: match example failed: the rule did not match: {\"url.path\":\"/b\"}"
        ),
        "{shown}"
    );
    assert!(
        shown.ends_with(
            "1 rules with examples (0 without): 1 passed, 2 failed, 0 skipped; 0 rules did not load"
        ),
        "{shown}"
    );

    // An example in a format the rule does not apply to says so.
    let web = "title: w\nid: w\nlogsource: {category: webserver}\ndetection: {s: {url.path: /a}, condition: s}\nx-picket-tests: {format: auditd, match_events: [{url.path: /a}]}\n";
    std::fs::write(&file, web).unwrap();
    let report = run_examples(std::slice::from_ref(&file), false, &Default::default());
    let why = &report.rules[0].outcomes[0].result;
    assert_eq!(
        *why,
        ExampleResult::Fail("the rule's logsource does not apply to format auditd".into())
    );
}

/// The positive cases of the enumeration rules, too long for YAML: 150
/// documents by a staff member in five minutes; an application reading
/// ~20 documents per ten minutes for ten days, then 400.
#[test]
fn enumeration_rules_fire() {
    use crate::alert::LogRef;
    use crate::detect::correlation::{CorrelationEngine, CorrelationSettings, observe};
    use crate::event::{Event, Field, Origin, Timestamp};
    let set = std::sync::Arc::new(RuleSet::builtin().unwrap());
    let run = |evs: &[(i64, &str, bool, String)]| -> Vec<String> {
        let mut engine = CorrelationEngine::new(set.clone(), CorrelationSettings::default());
        let mut scratch = set.new_scratch();
        let (mut hits, mut alerts) = (Vec::new(), Vec::new());
        for (i, (t, user, staff, doc)) in evs.iter().enumerate() {
            let mut ev = Event::new(Format::Json, Origin::default());
            ev.timestamp = Some(Timestamp::from_unix(1_772_409_600 + t, 0));
            ev.set_str(Field::UserName, user);
            ev.set_str(Field::HttpRequestMethod, "GET");
            ev.set(Field::HttpResponseStatusCode, Value::Int(200));
            ev.set(Field::Staff, Value::Bool(*staff));
            ev.set(Field::DbDocId, Value::Str(doc.clone().into()));
            set.evaluate(&ev, &mut scratch, &mut hits);
            for &h in &hits {
                let log = LogRef {
                    path: "t".into(),
                    line: i as u64 + 1,
                    offset: 0,
                };
                let mut batch = engine.new_batch();
                if observe(set.correlations(), h, &ev, log, &mut batch) {
                    engine.feed(batch, &mut alerts);
                }
            }
        }
        engine.flush(&mut alerts);
        alerts.iter().map(|a| a.rule.id.clone()).collect()
    };
    let staff: Vec<_> = (0..150)
        .map(|i| (36_000 + i * 2, "support-2", true, format!("c-{i}")))
        .collect();
    let ids = run(&staff);
    assert!(
        ids.contains(&"staff-document-enumeration".to_owned()),
        "{ids:?}"
    );
    let mut app: Vec<_> = Vec::new();
    for d in 0..10 {
        for w in 0..6 {
            for i in 0..20 {
                let t = d * 86_400 + 36_000 + w * 600 + i * 20;
                // Ids in no order: the application fetches what its users ask for.
                let id = (d * 7_919 + w * 1_031 + i * 3_889) % 100_000;
                app.push((t, "app-7", false, format!("c-{id}")));
            }
        }
    }
    let quiet = run(&app);
    assert!(
        !quiet.iter().any(|r| r.contains("enumeration")),
        "{quiet:?}"
    );
    for i in 0..400 {
        app.push((10 * 86_400 + 36_000 + i, "app-7", false, format!("c-{i}")));
    }
    let ids = run(&app);
    assert_eq!(
        ids.iter()
            .filter(|r| *r == "document-enumeration-anomaly")
            .count(),
        1,
        "{ids:?}"
    );
}
