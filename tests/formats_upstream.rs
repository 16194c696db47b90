//! The line-based formats against the full third-party sets in
//! `../shared/data` (see its README). Each check prints a SKIPPED note and
//! passes when that folder is absent, so a fresh clone's `cargo test` needs
//! only the vendored subsets of `formats_fixtures.rs`.
//!
//! Run with `--nocapture` to see how many events each set produced.

mod support;

use picket::parse::{Format, sniff};
use serde_json::{Map, Value as Json};
use std::net::IpAddr;
use support::*;

/// Falco's k8s audit traces: every trace parses with zero errors, except
/// `fal_01_003.json`, which Falco's own tests expect to be rejected.
#[test]
fn falco_k8s_audit_traces() {
    let Some(dir) = shared("falcosecurity-falco/test/trace_files/k8s_audit") else {
        return skipped("falco k8s audit traces");
    };
    let (mut files, mut events) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let (evs, errors) = parse_file(Format::K8sAudit, &path);
        let data = std::fs::read(&path).unwrap();
        if path.ends_with("fal_01_003.json") {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_ne!(sniff(&data), Some(Format::K8sAudit));
            continue;
        }
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert_eq!(sniff(&data), Some(Format::K8sAudit), "{}", path.display());
        for ev in &evs {
            assert!(
                ev.contains_key("event.action") && ev.contains_key("@timestamp"),
                "{ev:?}"
            );
        }
        files += 1;
        events += evs.len();
    }
    println!(
        "falco: {files} traces, {events} events, 0 errors (+ fal_01_003 rejected as upstream expects)"
    );
    assert_eq!(files, 46);
}

/// The `log` objects of Panther's rule tests in a rules folder (`None` logs,
/// tests that only use mocks, are counted and skipped).
fn panther_logs(folder: &str) -> Option<(Vec<Map<String, Json>>, usize)> {
    let path = shared("panther-labs-panther-analysis/panther_rule_tests_flat.json")?;
    let rows: Vec<Json> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut nulls = 0;
    let logs = rows
        .into_iter()
        .filter(|r| r["rule_file"].as_str().unwrap().split('/').nth(1) == Some(folder))
        .filter_map(|r| match &r["log"] {
            Json::Object(o) => Some(o.clone()),
            _ => {
                nulls += 1;
                None
            }
        })
        .collect();
    Some((logs, nulls))
}

/// Parses each log (compacted to one line) and checks it against `check`;
/// also sniffs a file of all of them. `rejectable` names logs that are not
/// events of the format at all and must fail.
fn panther_set(
    folder: &str,
    format: Format,
    check: fn(&Map<String, Json>, &Map<String, Json>),
    rejectable: fn(&Map<String, Json>) -> bool,
) {
    let Some((logs, nulls)) = panther_logs(folder) else {
        return skipped(folder);
    };
    let mut text = Vec::new();
    let mut rejected = 0;
    for log in &logs {
        let line = serde_json::to_string(log).unwrap();
        if rejectable(log) {
            assert!(parse(format, line.as_bytes()).is_err(), "{line}");
            rejected += 1;
            continue;
        }
        let evs = parse(format, line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(evs.len(), 1, "{line}");
        check(log, &evs[0]);
        text.extend_from_slice(line.as_bytes());
        text.push(b'\n');
    }
    assert_eq!(
        sniff(&text[..text.len().min(64 * 1024)]),
        Some(format),
        "{folder}"
    );
    println!(
        "panther {folder}: {} events, 0 errors ({rejected} non-audit logs rejected as expected, {nulls} tests without a log skipped)",
        logs.len() - rejected
    );
}

fn str_at<'j>(log: &'j Map<String, Json>, keys: &[&str]) -> Option<&'j str> {
    keys.iter().find_map(|k| log.get(*k)?.as_str())
}

#[test]
fn panther_cloudtrail() {
    panther_set(
        "aws_cloudtrail_rules",
        Format::Cloudtrail,
        cloudtrail_check,
        |_| false,
    );
}

fn cloudtrail_check(log: &Map<String, Json>, ev: &Map<String, Json>) {
    {
        assert_eq!(text(ev, "event.dataset").as_deref(), Some("cloudtrail"));
        if let Some(name) = str_at(log, &["eventName", "eventname"]) {
            assert_eq!(text(ev, "event.action").as_deref(), Some(name), "{log:?}");
        }
        if let Some(t) = str_at(log, &["eventTime", "eventtime"]) {
            // Panther's redacted samples (`"redacted"`, `"..."`) keep the text.
            let ok = ev.contains_key("@timestamp")
                || text(ev, "cloudtrail.event_time").as_deref() == Some(t);
            assert!(ok, "{log:?}");
        }
        if let Some(ip) = str_at(log, &["sourceIPAddress"]) {
            let field = if ip.parse::<IpAddr>().is_ok() {
                "source.ip"
            } else {
                "source.domain"
            };
            assert_eq!(text(ev, field).as_deref(), Some(ip), "{log:?}");
        }
        if let Some(acct) = str_at(log, &["recipientAccountId"]) {
            assert_eq!(
                text(ev, "cloud.account.id").as_deref(),
                Some(acct),
                "{log:?}"
            );
        }
        if str_at(log, &["errorCode"]).is_some_and(|c| !c.is_empty()) {
            assert_eq!(
                text(ev, "event.outcome").as_deref(),
                Some("failure"),
                "{log:?}"
            );
        }
        if let Some(u) = log
            .get("userIdentity")
            .and_then(|u| u.get("userName"))
            .and_then(Json::as_str)
        {
            assert_eq!(text(ev, "user.name").as_deref(), Some(u), "{log:?}");
        }
    }
}

/// The shape checks shared by every Kubernetes set.
fn k8s_check(log: &Map<String, Json>, ev: &Map<String, Json>) {
    assert_eq!(text(ev, "event.dataset").as_deref(), Some("k8s-audit"));
    if let Some(verb) = str_at(log, &["verb"]) {
        assert_eq!(text(ev, "event.action").as_deref(), Some(verb), "{log:?}");
    }
    if let Some(u) = log
        .get("user")
        .and_then(|u| u.get("username"))
        .and_then(Json::as_str)
    {
        assert_eq!(text(ev, "user.name").as_deref(), Some(u), "{log:?}");
    }
    if let Some(r) = log
        .get("objectRef")
        .and_then(|o| o.get("resource"))
        .and_then(Json::as_str)
    {
        assert_eq!(
            text(ev, "kubernetes.audit.objectRef.resource").as_deref(),
            Some(r),
            "{log:?}"
        );
    }
    if let Some(code) = log
        .get("responseStatus")
        .and_then(|s| s.get("code"))
        .and_then(Json::as_i64)
    {
        assert_eq!(
            text(ev, "http.response.status_code"),
            Some(code.to_string()),
            "{log:?}"
        );
    }
    if let Some(p) = log.get("protoPayload") {
        assert_eq!(text(ev, "kubernetes.audit.wrapper").as_deref(), Some("gke"));
        if let Some(e) = p
            .get("authenticationInfo")
            .and_then(|a| a.get("principalEmail"))
            .and_then(Json::as_str)
        {
            assert_eq!(text(ev, "user.name").as_deref(), Some(e), "{log:?}");
        }
    }
    if log.get("category").and_then(Json::as_str) == Some("kube-audit") {
        assert_eq!(text(ev, "kubernetes.audit.wrapper").as_deref(), Some("aks"));
        assert!(ev.contains_key("event.action"), "{log:?}");
    }
}

#[test]
fn panther_kubernetes() {
    panther_set("kubernetes_rules", Format::K8sAudit, k8s_check, |_| false);
    panther_set("aws_eks_rules", Format::K8sAudit, k8s_check, |_| false);
    // Two stubs of `gcp_k8s_ioc_activity` are bare `{"operation":…}`
    // LogEntry fragments without any audit payload.
    panther_set("gcp_k8s_rules", Format::K8sAudit, k8s_check, |log| {
        !log.contains_key("protoPayload")
    });
}

#[test]
fn vector_syslog() {
    let Some(cases) = shared("vectordotdev-vrl/vrl_parse_function_test_cases.json") else {
        return skipped("vector parse_syslog cases");
    };
    let rows: Vec<Json> = serde_json::from_slice(&std::fs::read(cases).unwrap()).unwrap();
    let (mut ok, mut errors) = (0, 0);
    for c in rows.iter().filter(|c| c["function"] == "parse_syslog") {
        let want = c.get("want");
        check_vrl_syslog(c["args"]["value"].as_str().unwrap(), want).unwrap();
        if want.is_some() { ok += 1 } else { errors += 1 }
    }
    let docs = shared("vectordotdev-vrl/vrl_doc_examples.json").unwrap();
    let docs: Vec<Json> = serde_json::from_slice(&std::fs::read(docs).unwrap()).unwrap();
    for d in docs.iter().filter(|d| d["function"] == "parse_syslog") {
        // `parse_syslog!(s'<input>')`
        let src = d["source"].as_str().unwrap();
        let input = src.split_once("s'").unwrap().1.rsplit_once("')").unwrap().0;
        check_vrl_syslog(input, d.get("return")).unwrap();
        ok += 1;
    }
    println!(
        "vector parse_syslog: {ok} cases give the same fields, {errors} error cases are errors"
    );
    assert_eq!((ok, errors), (11, 1));
}

#[test]
fn couchdb_and_pycadf() {
    let Some(cases) = shared("apache-couchdb/couchdb_access_log_format_cases.json") else {
        return skipped("couchdb cases");
    };
    let data = std::fs::read(cases).unwrap();
    let vendored = std::fs::read(fixture(
        "apache-couchdb/couchdb_access_log_format_cases.json",
    ))
    .unwrap();
    assert_eq!(data, vendored, "the vendored copy is current");
    for n in 1..=2 {
        let rel = format!("openstack-pycadf/examples/event_concept_example_{n}.json");
        let data = std::fs::read(shared(&rel).unwrap()).unwrap();
        let compact =
            serde_json::to_string(&serde_json::from_slice::<Json>(&data).unwrap()).unwrap();
        let ev = parse(Format::Cadf, compact.as_bytes()).unwrap().remove(0);
        for f in [
            "@timestamp",
            "event.action",
            "event.outcome",
            "user.name",
            "user.id",
        ] {
            assert!(ev.contains_key(f), "{f} in {ev:?}");
        }
    }
    println!("couchdb: 3 request lines + 1 error case; pycadf: 2 events");
}

/// SigmaHQ's CloudTrail field names reach what the cloudtrail parser
/// writes: `userIdentity.sessionContext.sessionIssuer.type` (nested keys
/// kept as written), `userIdentity.type` and `eventSource` (snake-cased
/// record keys), on the vendored Panther records.
#[test]
fn sigma_cloudtrail_names_reach_parsed_records() {
    use picket::detect::rule::RuleSet;
    use picket::event::{Event, Origin};
    use picket::parse::parser_for;
    let rule = "title: t\nid: t-ct\nlogsource:\n    product: aws\n    service: cloudtrail\n\
                detection:\n    selection:\n        userIdentity.sessionContext.sessionIssuer.type: Role\n        userIdentity.type: AssumedRole\n        eventSource|endswith: '.amazonaws.com'\n    condition: selection\n";
    let set = RuleSet::from_yaml(std::path::Path::new("t.yml"), rule).expect("rule compiles");
    let data = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/panther-labs-panther-analysis/cloudtrail.jsonl"),
    )
    .expect("fixture");
    let parser = parser_for(Format::Cloudtrail).expect("cloudtrail parser");
    let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
    let (mut events, mut matched, mut assumed) = (0, 0, 0);
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let _ = parser.parse_multi(line.as_bytes(), Origin::default(), &mut |ev: Event<'_>| {
            events += 1;
            set.evaluate(&ev, &mut scratch, &mut hits);
            matched += hits.len();
        });
        assumed +=
            usize::from(line.contains("\"AssumedRole\"") && line.contains("\"sessionIssuer\""));
    }
    assert!(events >= 30, "{events} events");
    assert!(assumed > 0);
    assert_eq!(
        matched, assumed,
        "one match per assumed-role record with a session issuer"
    );
}
