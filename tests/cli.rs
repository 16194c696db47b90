//! End-to-end tests of the `picket` binary: exit codes, inputs, outputs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn picket() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_picket"));
    // Fingerprint keys go to a throwaway state dir, never the user's.
    c.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("picket-test-state"),
    );
    c
}

fn run(args: &[&str]) -> Output {
    picket().args(args).output().expect("spawn picket")
}

fn stdout_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// A small log with a bulk read, a plain read and two malformed lines.
const LOG: &str = r#"203.0.113.9 - app-7 [02/Mar/2026:08:00:01 +0000] "GET /acme_customers/_all_docs?include_docs=true HTTP/1.1" 200 183422 "-" "python-requests/2.31.0"
198.51.100.4 - web-1 [02/Mar/2026:08:00:02 +0000] "GET /acme_orders/order:2026-000123 HTTP/1.1" 200 512 "-" "Mozilla/5.0"
this is not an access log line
2001:db8::7 - support-bob [02/Mar/2026:08:00:03 +0000] "POST /globex_customers/_find?limit=50000 HTTP/1.1" 200 9000 "-" "curl/8.5.0"
198.51.100.4 - - [02/Mar/2026:08:00:04 +0000] "GET / HTTP/1.1" 2x0 1 "-" "x"
"#;

fn write_log(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn replay_raises_alerts_with_spec_fields() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "access.log", LOG.as_bytes());
    let o = run(&["replay", "--quiet", log.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let alerts = stdout_lines(&o);
    assert_eq!(alerts.len(), 2, "bulk reads on lines 1 and 4: {alerts:?}");
    for a in &alerts {
        assert_eq!(a["rule"]["id"], "bulk-read-document-database");
        assert!(a["rule"]["level"].is_string());
        assert!(
            a["@timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2026-03-02T08:00:0")
        );
        assert_eq!(a["kind"], "match");
        assert!(a["entity"].is_object());
        assert_eq!(a["log"]["file"]["path"], log.to_str().unwrap());
    }
    assert_eq!(alerts[0]["log"]["line"], 1);
    assert_eq!(alerts[0]["entity"]["user.name"], "app-7");
    assert_eq!(alerts[1]["log"]["line"], 4);
    assert_eq!(alerts[1]["entity"]["tenant"], "globex");
}

#[test]
fn summary_counts_parse_errors_by_reason_with_locations() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "access.log", LOG.as_bytes());
    // Not a terminal, so no progress bar; the summary still goes to stderr.
    let o = run(&["replay", log.to_str().unwrap()]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("parse errors: 2"), "{err}");
    assert!(err.contains(&format!("{}:3:", log.display())), "{err}");
    assert!(err.contains(&format!("{}:5:", log.display())), "{err}");
    assert!(err.contains("bad_status"), "{err}");
    assert!(err.contains("format combined (detected)"), "{err}");
    let q = run(&["replay", "--quiet", log.to_str().unwrap()]);
    assert!(
        q.stderr.is_empty(),
        "--quiet prints nothing: {}",
        String::from_utf8_lossy(&q.stderr)
    );
}

#[test]
fn compressed_stdin_and_plain_inputs_give_the_same_alerts() {
    let d = tempfile::tempdir().unwrap();
    let plain = write_log(d.path(), "a.log", LOG.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(LOG.as_bytes()).unwrap();
    let gz = write_log(d.path(), "b.log.gz", &gz.finish().unwrap());
    let zst = write_log(
        d.path(),
        "c.log.zst",
        &zstd::encode_all(LOG.as_bytes(), 3).unwrap(),
    );
    let strip = |o: &Output| -> Vec<serde_json::Value> {
        stdout_lines(o)
            .into_iter()
            .map(|mut a| {
                a["log"]["file"]["path"] = serde_json::Value::Null;
                a
            })
            .collect()
    };
    let want = strip(&run(&["replay", "-q", plain.to_str().unwrap()]));
    assert_eq!(want.len(), 2);
    for p in [&gz, &zst] {
        assert_eq!(
            strip(&run(&["replay", "-q", p.to_str().unwrap()])),
            want,
            "{}",
            p.display()
        );
    }
    let mut child = picket()
        .args(["replay", "-q", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(LOG.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(strip(&o), want);
    assert_eq!(stdout_lines(&o)[0]["log"]["file"]["path"], "-");
}

#[test]
fn directories_are_read_recursively_and_alerts_can_go_to_a_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    write_log(d.path(), "sub/x.log", LOG.as_bytes());
    write_log(d.path(), "y.log", LOG.as_bytes());
    let out = d.path().join("alerts.jsonl");
    let o = run(&[
        "replay",
        "-q",
        "--alerts",
        out.to_str().unwrap(),
        d.path().to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    // Both files raise the same two alerts (same rule, entity and event
    // time): the second file's repeats are suppressed (SPEC §6).
    assert_eq!(text.lines().count(), 2);
    let cfg = write_log(
        d.path(),
        "nosup.toml",
        b"[alerts]\nsuppress_window = \"0s\"\n",
    );
    // The second run replaces the file (no remove): 4 lines, not 2 + 4.
    let o = run(&[
        "replay",
        "-q",
        "--config",
        cfg.to_str().unwrap(),
        "--alerts",
        out.to_str().unwrap(),
        d.path().join("sub").to_str().unwrap(),
        d.path().join("y.log").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
}

#[test]
fn thread_count_does_not_change_results() {
    let d = tempfile::tempdir().unwrap();
    let big: String = LOG.repeat(3000);
    let log = write_log(d.path(), "big.log", big.as_bytes());
    let one = run(&["replay", "-q", "--threads", "1", log.to_str().unwrap()]);
    let four = run(&["replay", "-q", "--threads", "4", log.to_str().unwrap()]);
    assert!(one.status.success() && four.status.success());
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, four.stdout, "same alerts in the same order");
}

#[test]
fn metrics_out_passes_promtool() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "access.log", LOG.as_bytes());
    let prom = d.path().join("metrics.prom");
    let o = run(&[
        "replay",
        "-q",
        "--metrics-out",
        prom.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = std::fs::read_to_string(&prom).unwrap();
    for want in [
        "picket_events_total{format=\"combined\",source=\"replay\"} 3",
        "picket_parse_errors_total{format=\"combined\",reason=\"bad_status\"} 1",
        "picket_alerts_total{kind=\"match\",level=",
        "picket_bytes_read_total{source=\"replay\"}",
        "picket_build_info{version=",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
    assert!(
        !text.contains("app-7") && !text.contains("203.0.113.9"),
        "no users or IPs in labels"
    );
    match Command::new("promtool")
        .arg("check")
        .arg("metrics")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Err(_) => eprintln!(
            "SKIPPED: promtool not installed (apt-get install prometheus); .ci/run installs it"
        ),
        Ok(mut child) => {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn parse_prints_spec_field_names() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "access.log", LOG.as_bytes());
    let o = run(&["parse", log.to_str().unwrap()]);
    assert!(o.status.success());
    let evs = stdout_lines(&o);
    assert_eq!(evs.len(), 3);
    let e = &evs[0];
    assert_eq!(e["@timestamp"], "2026-03-02T08:00:01Z");
    assert_eq!(e["event.dataset"], "combined");
    assert_eq!(e["source.ip"], "203.0.113.9");
    assert_eq!(e["user.name"], "app-7");
    assert_eq!(e["http.request.method"], "GET");
    assert_eq!(e["url.path"], "/acme_customers/_all_docs");
    assert_eq!(e["url.query"], "include_docs=true");
    assert_eq!(e["http.response.status_code"], 200);
    assert_eq!(e["http.response.body.bytes"], 183422);
    assert_eq!(e["user_agent.original"], "python-requests/2.31.0");
    assert_eq!(e["db.name"], "acme_customers");
    assert!(
        e.get("db.doc_id").is_none(),
        "_all_docs is an endpoint, not a doc"
    );
    assert!(
        e.get("http.request.referrer").is_none(),
        "`-` is absent, not null"
    );
    assert_eq!(e["tenant"], "acme");
    assert_eq!(e["staff"], false);
    assert_eq!(e["log.file.path"], log.to_str().unwrap());
    assert_eq!(e["log.line"], 1);
    assert_eq!(evs[1]["db.doc_id"], "order:2026-000123");
    assert_eq!(evs[2]["source.ip"], "2001:db8::7");
    assert_eq!(evs[2]["staff"], true);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(":3:"),
        "malformed line located on stderr: {err}"
    );
}

#[test]
fn exit_codes_follow_the_spec() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "access.log", LOG.as_bytes());
    let missing = d.path().join("missing.log");
    // Unreadable input: the other inputs are still processed, then exit 1.
    let o = run(&[
        "replay",
        "-q",
        missing.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout_lines(&o).len(), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.log"));
    // Usage errors.
    assert_eq!(run(&["replay"]).status.code(), Some(2));
    assert_eq!(
        run(&["replay", "--format", "nope", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    // Bad config: FILE:LINE:COL.
    let cfg = write_log(d.path(), "picket.toml", b"[staff]\nusers = []\nbogus = 1\n");
    let o = run(&[
        "replay",
        "--config",
        cfg.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:3:1:", cfg.display())), "{err}");
    // Bad rules: FILE:LINE:COL, exit 1.
    let rule = write_log(d.path(), "bad.yml", b"title: x\nid: x\nlevel: high\nlogsource: {category: webserver}\ndetection:\n  sel:\n    url.path|nosuchmodifier: x\n  condition: sel\n");
    let o = run(&[
        "replay",
        "--rules",
        rule.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("bad.yml:7:"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn closed_stdout_is_not_an_error() {
    let d = tempfile::tempdir().unwrap();
    let log = write_log(d.path(), "big.log", LOG.repeat(20_000).as_bytes());
    let mut child = picket()
        .args(["replay", "-q", "--threads", "2", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up.
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    let _ = std::io::Read::read(&mut stdout, &mut buf).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `picket run` with a Kafka source: without the `kafka` feature it is
/// refused with a message naming the feature; with it, librdkafka settings
/// that cannot work are refused at start, before any broker is reached.
#[test]
fn kafka_source_needs_the_feature_and_valid_settings() {
    let d = tempfile::tempdir().unwrap();
    let config = |extra: &str| {
        let text = format!(
            "[[sources]]\nname = \"edge\"\n[sources.kafka]\nbrokers = \"127.0.0.1:1\"\ntopics = [\"t\"]\ngroup_id = \"g\"\nformat = \"combined\"\n{extra}\n[state]\ndir = \"{}\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
            d.path().join("state").display()
        );
        write_log(d.path(), "picket.toml", text.as_bytes())
    };
    let run_with = |cfg: &Path| {
        let o = run(&["run", "--config", cfg.to_str().unwrap()]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    if cfg!(feature = "kafka") {
        let cfg = config("[sources.kafka.librdkafka]\n\"no.such.setting\" = \"1\"\n");
        let (code, err) = run_with(&cfg);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("no.such.setting"), "{err}");
        let cfg = config("[sources.kafka.librdkafka]\n\"group.id\" = \"other\"\n");
        let (code, err) = run_with(&cfg);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("`group.id` is set by picket"), "{err}");
    } else {
        let (code, err) = run_with(&config(""));
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("`kafka` feature"), "{err}");
    }
}
