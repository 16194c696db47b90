//! Issue 9: every query of the Grafana dashboard (`deploy/grafana/picket.json`)
//! works against a real Prometheus that scraped a running `picket run` and
//! loaded the rules of `deploy/prometheus/picket-rules.yml`: each parses and
//! returns at least one series. Also checks the dashboard's shape (data
//! source variable, unique panel ids, layout) and that every metric it names
//! is one picket exports (`src/telemetry/names.rs`) or a recording rule.
//!
//! `prometheus` comes from Debian's `prometheus` package (`.ci/run`
//! installs it); without it the live part says SKIPPED.

#[path = "daemon_support/mod.rs"]
mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn dashboard() -> Value {
    let text = std::fs::read_to_string(repo("deploy/grafana/picket.json")).unwrap();
    serde_json::from_str(&text).expect("the dashboard is valid JSON")
}

/// Every panel, rows' nested panels included.
fn panels(d: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().expect("panels") {
        out.push(p);
        if let Some(inner) = p["panels"].as_array() {
            out.extend(inner);
        }
    }
    out
}

/// (panel title, expr) of every query.
fn queries(d: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in panels(d) {
        for t in p["targets"].as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("?").to_string();
            out.push((title, t["expr"].as_str().expect("expr").to_string()));
        }
    }
    out
}

/// Grafana's variables, replaced the way Grafana would with "All" selected.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "15s")
        .replace("$__range", "1m")
        .replace("$__interval", "5s")
        .replace("$job", ".+")
        .replace("$instance", ".+")
        .replace("$source", ".+")
}

/// Metric names a PromQL expression mentions (`picket_…`, `picket:…`,
/// `process_…`).
fn metric_names(expr: &str) -> BTreeSet<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| {
            t.starts_with("picket_") || t.starts_with("picket:") || t.starts_with("process_")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn dashboard_is_well_formed_and_uses_only_exported_metrics() {
    let d = dashboard();
    let names = std::fs::read_to_string(repo("src/telemetry/names.rs")).unwrap();
    let rules = std::fs::read_to_string(repo("deploy/prometheus/picket-rules.yml")).unwrap();
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(vars, ["datasource", "job", "instance", "source"]);
    assert_eq!(d["templating"]["list"][0]["type"], "datasource");
    assert_eq!(d["templating"]["list"][0]["query"], "prometheus");
    let mut ids = HashSet::new();
    let mut count = 0;
    for p in panels(&d) {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "duplicate panel id");
        let g = &p["gridPos"];
        let (x, w) = (g["x"].as_u64().unwrap(), g["w"].as_u64().unwrap());
        assert!(x + w <= 24, "panel {} is wider than the grid", p["title"]);
        if p["type"] == "row" {
            continue;
        }
        count += 1;
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        assert!(!p["targets"].as_array().unwrap().is_empty());
        assert!(!p["description"].as_str().unwrap_or("").is_empty());
    }
    assert!(count >= 20, "{count} panels");
    let mut seen = BTreeSet::new();
    for (title, expr) in queries(&d) {
        for m in metric_names(&expr) {
            let ok = if m.starts_with("picket:") {
                rules.contains(&format!("record: {m}\n"))
            } else if m.starts_with("process_") {
                true
            } else {
                let base = m.strip_suffix("_bucket").unwrap_or(&m);
                names.contains(&format!("\"{base}\""))
            };
            assert!(ok, "panel {title}: {m} is not exported by picket");
            seen.insert(m);
        }
    }
    // The issue's list of panels.
    for m in [
        "picket_events_total",
        "picket:parse_error_ratio:rate5m",
        "picket_alerts_total",
        "picket_pi_findings_total",
        "picket:pipeline_latency_seconds:p99_rate5m",
        "picket_source_lag_bytes",
        "picket_sink_deliveries_total",
        "picket_state_entities",
        "picket_correlation_evictions_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    ] {
        assert!(seen.contains(m), "no panel shows {m}");
    }
}

#[test]
fn alert_rules_use_only_exported_metrics() {
    let names = std::fs::read_to_string(repo("src/telemetry/names.rs")).unwrap();
    let rules = std::fs::read_to_string(repo("deploy/prometheus/picket-rules.yml")).unwrap();
    let mut n = 0;
    for m in metric_names(&rules) {
        n += 1;
        let ok = if m.starts_with("picket:") {
            rules.contains(&format!("record: {m}\n"))
        } else {
            let base = m.strip_suffix("_bucket").unwrap_or(&m);
            names.contains(&format!("\"{base}\""))
        };
        assert!(ok, "picket-rules.yml: {m} is neither exported nor recorded");
    }
    assert!(n > 10, "{n} metric names");
}

/// Percent-encodes a query parameter.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// GET from Prometheus' HTTP API: (status, body). Prometheus answers
/// large bodies chunked, so this uses a real client (picket's own ureq).
fn api_get(prom: &str, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(format!("http://{prom}{path}")).call() {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.into_body().read_to_string().unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}

/// Runs an instant query: Ok(number of series) or Err(what went wrong).
fn query(prom: &str, q: &str) -> Result<usize, String> {
    let (status, body) = api_get(prom, &format!("/api/v1/query?query={}", enc(q)));
    let v: Value = serde_json::from_str(&body).map_err(|_| format!("HTTP {status}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("{}: {}", v["errorType"], v["error"]));
    }
    Ok(v["data"]["result"].as_array().map_or(0, Vec::len))
}

/// A Prometheus server, killed on drop.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_prometheus() -> bool {
    Command::new("prometheus")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A log that makes every dashboard panel have data: normal requests, PI
/// in query strings (alerts, findings, and repeats that are suppressed),
/// and malformed lines (parse errors).
fn scenario_log() -> String {
    let mut s = String::new();
    for i in 1..=200u64 {
        s.push_str(&line(i));
        if i % 20 == 0 {
            s.push_str(&format!(
                "198.51.100.7 - - [02/Mar/2026:09:00:{:02} +0000] \"GET /search?email=jane.doe@example.com HTTP/1.1\" 200 10 \"-\" \"t\"\n",
                i / 20
            ));
        }
        if i % 50 == 0 {
            s.push_str("this line is not in any log format\n");
        }
    }
    s
}

#[test]
fn every_dashboard_query_returns_series_from_a_live_prometheus() {
    if !have_prometheus() {
        skipped("prometheus not found (apt-get install prometheus): dashboard queries not checked");
        return;
    }
    let dir = tempdir();
    let dir = dir.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/access.log"), scenario_log()).unwrap();
    let cfg = dir.join("picket.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[[sources]]
name = "web"
path = "{dir}/logs/*.log"
format = "combined"
[state]
dir = "{dir}/state"
[metrics]
listen = "127.0.0.1:0"
[privacy]
fingerprint_key = "test"
[[sinks]]
type = "file"
path = "{dir}/alerts.jsonl"
"#,
            dir = dir.display()
        ),
    )
    .unwrap();
    let picket = Daemon::start(&cfg, &[]);
    wait_for("the log to be read", Duration::from_secs(30), || {
        picket.metric("picket_lines_total{source=\"web\"}") == Some(214.0)
    });
    let exposition = picket.metrics();
    for s in [
        "picket_alerts_suppressed_total{",
        "picket_parse_errors_total{",
        "picket_pi_findings_total{",
        "picket_state_entities{detector=\"suppression\"}",
        "picket_sink_deliveries_total{outcome=\"failure\",sink=\"file\"} 0",
        "picket_source_rotations_total{kind=\"rename\",source=\"web\"} 0",
    ] {
        assert!(exposition.contains(s), "{s} missing in\n{exposition}");
    }

    let prom_cfg = dir.join("prometheus.yml");
    std::fs::write(
        &prom_cfg,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - '{}'\n\
             scrape_configs:\n  - job_name: picket\n    static_configs:\n      - targets: ['{}']\n",
            repo("deploy/prometheus/picket-rules.yml").display(),
            picket.addr
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let prom_addr = format!("127.0.0.1:{port}");
    let prom_log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let _prom = Prometheus(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={prom_addr}"))
            .stdout(Stdio::null())
            .stderr(prom_log)
            .spawn()
            .expect("start prometheus"),
    );

    let d = dashboard();
    let mut exprs: Vec<(String, String)> = queries(&d)
        .into_iter()
        .map(|(t, e)| (t, substitute(&e)))
        .collect();
    // Variable queries: `label_values(SELECTOR, label)` must find values.
    for v in d["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["definition"].as_str() {
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|r| r.rsplit_once(','))
                .map(|(sel, _)| substitute(sel))
                .expect("label_values query");
            exprs.push((format!("variable {}", v["name"]), inner));
        }
    }
    // Poll until every query has data (rates need two scrapes, recording
    // rules an evaluation), then report what still fails.
    let started = Instant::now();
    let mut failing: Vec<String>;
    loop {
        failing = exprs
            .iter()
            .filter_map(|(title, q)| match query(&prom_addr, q) {
                Ok(n) if n > 0 => None,
                Ok(_) => Some(format!("{title}: no series for {q}")),
                Err(e) => Some(format!("{title}: {e} for {q}")),
            })
            .collect();
        if failing.is_empty() || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let prom_stderr = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    assert!(
        failing.is_empty(),
        "{} of {} dashboard queries failed:\n{}\nprometheus log tail:\n{}",
        failing.len(),
        exprs.len(),
        failing.join("\n"),
        prom_stderr
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every recording and alerting rule evaluated without error.
    let (_, body) = api_get(&prom_addr, "/api/v1/rules");
    let v: Value = serde_json::from_str(&body).unwrap();
    let mut n = 0;
    for g in v["data"]["groups"].as_array().unwrap() {
        for r in g["rules"].as_array().unwrap() {
            n += 1;
            assert_eq!(r["health"], "ok", "rule {}: {}", r["name"], r["lastError"]);
        }
    }
    assert!(n >= 15, "{n} rules loaded");
    eprintln!(
        "{} dashboard queries and {n} rules checked against Prometheus in {:.1}s",
        exprs.len(),
        started.elapsed().as_secs_f64()
    );
    picket.stop();
}

#[test]
fn metric_names_are_extracted() {
    let m = metric_names(
        "sum by (le) (rate(picket_pipeline_latency_seconds_bucket{job=~\".+\"}[1m])) / picket:x:rate5m + process_open_fds",
    );
    let v: Vec<&str> = m.iter().map(String::as_str).collect();
    assert_eq!(
        v,
        [
            "picket:x:rate5m",
            "picket_pipeline_latency_seconds_bucket",
            "process_open_fds"
        ]
    );
}
