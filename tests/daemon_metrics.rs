//! SPEC §7 on the daemon: `/metrics` passes `promtool check metrics`, a
//! real Prometheus scrapes it over loopback and answers a query for
//! `picket_events_total`, and `/healthz` says healthy. promtool and
//! prometheus come from Debian's `prometheus` package; without them the
//! tests say SKIPPED.

#[path = "daemon_support/mod.rs"]
mod common;

use common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn start_daemon(dir: &Path) -> Daemon {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let text: String = (1..=500).map(line).collect();
    std::fs::write(dir.join("logs/access.log"), text).unwrap();
    let cfg = dir.join("picket.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[[sources]]
name = "web"
path = "{logs}/*.log"
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
            logs = dir.join("logs").display(),
            dir = dir.display()
        ),
    )
    .unwrap();
    let d = Daemon::start(&cfg, &[]);
    wait_for("500 lines read", Duration::from_secs(20), || {
        d.metric("picket_lines_total{source=\"web\"}") == Some(500.0)
    });
    d
}

#[test]
fn metrics_pass_promtool_and_health_is_reported() {
    let dir = tempdir();
    let d = start_daemon(dir.path());
    let (status, body) = d.get("/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let text = d.metrics();
    for name in [
        "picket_events_total{format=\"combined\",source=\"web\"}",
        "picket_lines_total{source=\"web\"} 500",
        "picket_source_lag_bytes{source=\"web\"} 0",
        "picket_source_files{source=\"web\"} 1",
        "# TYPE picket_pipeline_latency_seconds histogram",
        "picket_sink_queue_bytes{sink=\"file\"}",
        "picket_config_last_reload_successful 1",
        "picket_build_info{version=",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(name), "missing {name} in\n{text}");
    }
    assert!(metric_sum(&text, "picket_pipeline_latency_seconds_count") > 0.0);
    d.stop();
    if !have("promtool") {
        skipped("promtool check metrics: promtool is not installed (apt-get install prometheus)");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

/// A free loopback port (bound and released; Prometheus binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn prometheus_scrapes_the_daemon() {
    if !have("prometheus") {
        skipped(
            "prometheus_scrapes_the_daemon: prometheus is not installed (apt-get install prometheus)",
        );
        return;
    }
    let dir = tempdir();
    let d = start_daemon(dir.path());
    let prom_cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_cfg,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: picket\n    static_configs:\n      - targets: ['{}']\n",
            d.addr
        ),
    )
    .unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut prom = Command::new("prometheus")
        .arg(format!("--config.file={}", prom_cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={listen}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let mut answer = String::new();
    let found = (0..120).any(|_| {
        std::thread::sleep(Duration::from_millis(250));
        answer = http_get(&listen, "/api/v1/query?query=picket_events_total").1;
        answer.contains("\"__name__\":\"picket_events_total\"")
    });
    let up = http_get(&listen, "/api/v1/query?query=up").1;
    let _ = prom.kill();
    let _ = prom.wait();
    d.stop();
    assert!(
        found,
        "Prometheus never returned picket_events_total: {answer}\nup: {up}"
    );
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let r = &v["data"]["result"][0];
    assert_eq!(r["metric"]["source"], "web");
    assert_eq!(r["metric"]["format"], "combined");
    assert_eq!(r["metric"]["job"], "picket");
    eprintln!(
        "Prometheus: picket_events_total{{source=\"web\"}} = {}",
        r["value"][1]
    );
}
