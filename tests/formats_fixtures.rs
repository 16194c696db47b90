//! The line-based formats against vendored fixtures: other projects' data
//! (under `tests/fixtures/<project>/`, with their LICENSE_NOTE) and picket's
//! own small files (`tests/fixtures/picket/`). Needs nothing outside the
//! repository; `formats_upstream.rs` runs the full upstream sets.

mod support;

use picket::parse::{Format, Reason, sniff};
use serde_json::Value as Json;
use support::*;

/// Every fixture file and the format it is in.
const FILES: &[(&str, Format)] = &[
    ("picket/couchdb.log", Format::Couchdb),
    ("picket/nginx.json.log", Format::Json),
    ("picket/caddy.json.log", Format::Json),
    ("picket/envoy.json.log", Format::Json),
    ("picket/cadf-cloudant.jsonl", Format::Cadf),
    ("picket/cloudtrail-records.json", Format::Cloudtrail),
    ("picket/cloudtrail-lines.jsonl", Format::Cloudtrail),
    ("picket/k8s-audit.jsonl", Format::K8sAudit),
    ("picket/k8s-audit-gke.jsonl", Format::K8sAudit),
    ("picket/k8s-audit-aks.jsonl", Format::K8sAudit),
    ("picket/syslog-rfc3164.log", Format::Syslog),
    ("picket/syslog-rfc5424.log", Format::Syslog),
    ("picket/syslog-couchdb.log", Format::Syslog),
    (
        "panther-labs-panther-analysis/cloudtrail.jsonl",
        Format::Cloudtrail,
    ),
    (
        "panther-labs-panther-analysis/kubernetes.jsonl",
        Format::K8sAudit,
    ),
];

/// Falco's fuzzing regression `{"kind": 0}`, which Falco itself rejects
/// ("data not recognized as a k8s audit event"): an error here too.
const FALCO_MALFORMED: &str = "fal_01_003.json";

fn falco_traces() -> Vec<std::path::PathBuf> {
    let dir = fixture("falcosecurity-falco/test/trace_files/k8s_audit");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn sniff_file(path: &std::path::Path) -> Option<Format> {
    let data = std::fs::read(path).unwrap();
    sniff(&data[..data.len().min(64 * 1024)])
}

#[test]
fn sniffing_picks_the_right_format_for_every_fixture() {
    for (rel, want) in FILES {
        assert_eq!(sniff_file(&fixture(rel)), Some(*want), "{rel}");
    }
    for f in falco_traces() {
        let want = if f.ends_with(FALCO_MALFORMED) {
            Format::Json
        } else {
            Format::K8sAudit
        };
        assert_eq!(sniff_file(&f), Some(want), "{}", f.display());
    }
    // Pretty-printed CADF: nothing parses, but the keys say which format
    // to report the `multiline_json` lines under.
    for n in 1..=2 {
        let f = fixture(&format!(
            "openstack-pycadf/examples/event_concept_example_{n}.json"
        ));
        assert_eq!(sniff_file(&f), Some(Format::Cadf), "{}", f.display());
    }
}

#[test]
fn every_fixture_parses_without_errors() {
    let mut total = 0;
    for (rel, format) in FILES {
        let (events, errors) = parse_file(*format, &fixture(rel));
        assert!(errors.is_empty(), "{rel}: {errors:?}");
        assert!(!events.is_empty(), "{rel}");
        for ev in &events {
            // Syslog events carry their message's format when it has one.
            if *format != Format::Syslog {
                assert_eq!(
                    text(ev, "event.dataset").as_deref(),
                    Some(format.name()),
                    "{rel}"
                );
            }
        }
        total += events.len();
    }
    for f in falco_traces() {
        let (events, errors) = parse_file(Format::K8sAudit, &f);
        if f.ends_with(FALCO_MALFORMED) {
            assert_eq!(errors.len(), 1, "{errors:?}");
            continue;
        }
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        total += events.len();
    }
    assert!(total > 100, "{total}");
}

#[test]
fn picket_fixtures_map_to_spec_fields() {
    let (ev, _) = parse_file(Format::Couchdb, &fixture("picket/couchdb.log"));
    assert_fields(
        &ev[1],
        &[
            ("db.name", "acme_customers"),
            ("db.doc_id", "jane.doe@example.com"),
            ("user.name", "app-7"),
        ],
    );
    assert_fields(
        &ev[4],
        &[
            ("user.name", "ようこそ"),
            ("db.name", "acme_orders"),
            ("source.ip", "::1"),
        ],
    );
    // `_`-prefixed path segments are endpoints or design documents, never
    // reported as `db.doc_id` (see docs/FORMATS.md).
    assert!(ev[4].get("db.doc_id").is_none());
    let (ev, _) = parse_file(
        Format::Cloudtrail,
        &fixture("picket/cloudtrail-records.json"),
    );
    assert_eq!(ev.len(), 3);
    assert_fields(
        &ev[0],
        &[
            ("user.name", "jane@example.com"),
            ("db.doc_id", "customers/jane.doe@example.com.csv"),
        ],
    );
    assert_fields(
        &ev[1],
        &[
            ("event.outcome", "failure"),
            ("cloudtrail.error_code", "AccessDenied"),
        ],
    );
    assert_fields(
        &ev[2],
        &[
            ("source.domain", "cloudtrail.amazonaws.com"),
            (
                "cloudtrail.user_identity.invoked_by",
                "cloudtrail.amazonaws.com",
            ),
        ],
    );
    let (ev, _) = parse_file(Format::K8sAudit, &fixture("picket/k8s-audit-aks.jsonl"));
    assert_fields(
        &ev[0],
        &[
            ("event.action", "create"),
            ("user.name", "masterclient"),
            ("orchestrator.cluster.name", "AKS-PROD"),
            ("cloud.account.id", "0F1E2D3C-0000-1111-2222-333344445555"),
        ],
    );
    let (ev, _) = parse_file(Format::Syslog, &fixture("picket/syslog-couchdb.log"));
    assert_fields(
        &ev[0],
        &[
            ("event.dataset", "couchdb"),
            ("db.doc_id", "jane.doe@example.com"),
            ("log.syslog.hostname", "relay1"),
        ],
    );
    assert_fields(
        &ev[2],
        &[
            ("event.dataset", "couchdb"),
            ("message", "could not load validation funs"),
        ],
    );
    let (ev, _) = parse_file(Format::Json, &fixture("picket/nginx.json.log"));
    assert_fields(
        &ev[1],
        &[
            ("source.ip", "2001:db8::7"),
            ("http.request.referrer", "https://app.example/orders"),
            ("network.forwarded_ip", "198.51.100.7"),
            ("http.version", "2.0"),
        ],
    );
    let (ev, _) = parse_file(Format::Json, &fixture("picket/envoy.json.log"));
    assert_fields(
        &ev[1],
        &[
            ("http.response.status_code", "503"),
            ("event.outcome", "failure"),
            ("source.port", "40000"),
        ],
    );
}

/// The CouchDB request-message strings of `chttpd.erl`'s `log_format_test`,
/// behind a `couch_log` prefix.
#[test]
fn couchdb_upstream_cases() {
    let path = fixture("apache-couchdb/couchdb_access_log_format_cases.json");
    check_couchdb_cases(&std::fs::read(path).unwrap());
}

/// Checks the CouchDB cases file (vendored or upstream).
pub fn check_couchdb_cases(data: &[u8]) {
    let doc: Json = serde_json::from_slice(data).unwrap();
    let cases = doc["chttpd_log_format_test_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let msg = c["expected_message"].as_str().unwrap();
        let line = format!(
            "[notice] 2026-03-02T08:00:01.123456Z couchdb@node1 <0.1234.0> 1a2b3c4d5e {msg}"
        );
        let ev = parse(Format::Couchdb, line.as_bytes()).unwrap().remove(0);
        let user = match (&c["user"], c.get("user_utf8_bytes")) {
            (Json::String(u), _) => Some(u.clone()),
            (_, Some(Json::Array(bytes))) => {
                let b: Vec<u8> = bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect();
                Some(String::from_utf8(b).unwrap())
            }
            _ => None,
        };
        assert_eq!(text(&ev, "user.name"), user, "{line}");
        let code = c["code"].as_i64().unwrap().to_string();
        let ns = (c["duration_ms"].as_i64().unwrap() * 1_000_000).to_string();
        assert_fields(
            &ev,
            &[
                ("http.request.method", c["method"].as_str().unwrap()),
                ("url.original", c["raw_path"].as_str().unwrap()),
                ("source.ip", c["peer"].as_str().unwrap()),
                ("http.response.status_code", &code),
                ("couchdb.status", c["status"].as_str().unwrap()),
                ("event.duration", &ns),
                ("host.name", "couchdb@node1"),
                ("couchdb.request_id", "1a2b3c4d5e"),
                ("@timestamp", "2026-03-02T08:00:01.123456Z"),
            ],
        );
    }
    // couch_log's own writer test writes a placeholder timestamp.
    let line = doc["couch_log_writer_file_test_expected_line"]
        .as_str()
        .unwrap()
        .trim_end();
    assert_eq!(
        parse(Format::Couchdb, line.as_bytes()).unwrap_err().reason,
        Reason::BadTimestamp
    );
}

/// pycadf's two documented events: compacted to one line each they parse
/// into SPEC fields; as the pretty-printed files they are, every line is a
/// `multiline_json` error rather than something misleading.
#[test]
fn pycadf_examples() {
    for n in 1..=2 {
        let path = fixture(&format!(
            "openstack-pycadf/examples/event_concept_example_{n}.json"
        ));
        let data = std::fs::read(&path).unwrap();
        let compact =
            serde_json::to_string(&serde_json::from_slice::<Json>(&data).unwrap()).unwrap();
        let ev = parse(Format::Cadf, compact.as_bytes()).unwrap().remove(0);
        assert_fields(
            &ev,
            &[
                ("@timestamp", "2014-02-27T19:29:30.855665Z"),
                ("event.outcome", "success"),
            ],
        );
        if n == 1 {
            assert_fields(
                &ev,
                &[
                    ("event.action", "authenticate/logon"),
                    ("user.name", "admin"),
                    ("user.id", "68a3f50705a54f799ce94380fc02ed8a"),
                    ("source.ip", "9.26.26.250"),
                    ("user_agent.original", "python-novaclient"),
                    ("http.response.status_code", "200"),
                    (
                        "url.path",
                        "/v2/e7e2bcc9c0df4f3eabcd412ae62503f6/os-certificates",
                    ),
                    ("cadf.target.name", "nova"),
                ],
            );
            assert!(
                !compact.is_empty() && !ev.values().any(|v| v.to_string().contains("MIIQzgYJ"))
            );
        } else {
            assert_fields(
                &ev,
                &[
                    ("event.action", "monitor"),
                    ("user.name", "ceilometer-pollster"),
                ],
            );
        }
        let (events, errors) = parse_file(Format::Cadf, &path);
        assert!(events.is_empty());
        assert!(
            errors
                .iter()
                .all(|(_, e)| e.reason == Reason::MultilineJson),
            "{errors:?}"
        );
    }
}

#[test]
fn vector_syslog_cases() {
    let path = fixture("vectordotdev-vrl/vrl_parse_syslog_cases.json");
    let doc: Json = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut n = 0;
    for c in doc["parse_syslog_cases"].as_array().unwrap() {
        let input = c["args"]["value"].as_str().unwrap();
        check_vrl_syslog(input, c.get("want")).unwrap();
        n += 1;
    }
    assert_eq!(n, 11);
}

/// The whole pipeline: a `Records` file becomes one event per record, and
/// syslog-wrapped CouchDB lines are CouchDB events.
#[test]
fn picket_parse_end_to_end() {
    let run = |file: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["parse", "--threads", "2"])
            .arg(fixture(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Map<String, Json>>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let evs = run("picket/cloudtrail-records.json");
    assert_eq!(evs.len(), 3);
    for ev in &evs {
        assert_fields(ev, &[("event.dataset", "cloudtrail"), ("log.line", "1")]);
    }
    let evs = run("picket/syslog-couchdb.log");
    assert_eq!(evs.len(), 3);
    assert_fields(&evs[0], &[("event.dataset", "couchdb"), ("log.line", "1")]);
}

/// A CloudTrail file longer than the 64 KiB sniffing sample is one line cut
/// short: the records before the cut still decide.
#[test]
fn a_records_file_longer_than_the_sample_is_sniffed() {
    let lines = std::fs::read(fixture("panther-labs-panther-analysis/cloudtrail.jsonl")).unwrap();
    let recs: Vec<&[u8]> = lines
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut file = b"{\"Records\":[".to_vec();
    for i in 0..400 {
        if i > 0 {
            file.push(b',');
        }
        file.extend_from_slice(recs[i % recs.len()]);
    }
    file.extend_from_slice(b"]}\n");
    assert!(file.len() > 200 * 1024);
    assert_eq!(sniff(&file[..64 * 1024]), Some(Format::Cloudtrail));
    assert_eq!(
        parse(Format::Cloudtrail, &file[..file.len() - 1])
            .unwrap()
            .len(),
        400
    );
}

/// A pretty-printed `Records` file cannot be read line by line; it is
/// sniffed as CloudTrail and every line is reported as `multiline_json`.
#[test]
fn a_pretty_printed_records_file_is_reported_as_such() {
    let data = std::fs::read(fixture("picket/cloudtrail-records.json")).unwrap();
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_slice::<Json>(&data).unwrap()).unwrap();
    assert_eq!(sniff(pretty.as_bytes()), Some(Format::Cloudtrail));
    let mut n = 0;
    for line in pretty.lines() {
        let err = parse(Format::Cloudtrail, line.as_bytes()).unwrap_err();
        assert_eq!(err.reason, Reason::MultilineJson, "{line}");
        n += 1;
    }
    assert!(n > 50);
}
