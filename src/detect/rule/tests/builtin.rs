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
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let bulk = set
        .rules()
        .iter()
        .find(|r| r.info.id == "bulk-read-document-database")
        .unwrap();
    assert_eq!(bulk.info.level, Level::Medium);
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
    let report = crate::detect::run_rule_examples(&[], true);
    assert!(report.is_ok(), "{report}");
    assert!(report.errors.is_empty());
    assert_eq!(report.untested, 0);
    for r in &report.rules {
        let events = r.outcomes.iter().filter(|o| o.input.starts_with('{'));
        let (pos, neg): (Vec<_>, Vec<_>) = events.partition(|o| o.expect_match);
        assert!(
            !pos.is_empty() && !neg.is_empty(),
            "{}: needs match_events and no_match_events",
            r.id
        );
        assert!(
            pos.iter()
                .chain(&neg)
                .all(|o| o.result == ExampleResult::Pass),
            "{report}"
        );
        let lines = r.outcomes.iter().filter(|o| !o.input.starts_with('{'));
        assert!(
            lines.clone().any(|o| o.expect_match) && lines.clone().any(|o| !o.expect_match),
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
    let report = run_examples(std::slice::from_ref(&file), false);
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
    let report = run_examples(std::slice::from_ref(&file), false);
    let why = &report.rules[0].outcomes[0].result;
    assert_eq!(
        *why,
        ExampleResult::Fail("the rule's logsource does not apply to format auditd".into())
    );
}
