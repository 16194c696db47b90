//! SPEC §8, failing sinks: a webhook receiver on 127.0.0.1 answers 500 for
//! a while, then hangs, then 429 with `Retry-After`, then recovers. No
//! alert may be lost, memory must stay under the configured bound, and the
//! counters must say what happened.
//!
//! Two levels: the sink machinery itself (memory queue, spool,
//! backpressure, retries, the real HTTP client) fed with alerts directly,
//! and the whole daemon with a rule that alerts on every line.

#[path = "daemon_support/mod.rs"]
mod common;

use common::server::{Phase, Receiver};
use common::*;
use picket::clock::SystemClock;
use picket::sink::backoff::Backoff;
use picket::sink::spool::Spool;
use picket::sink::transport::WebhookTransport;
use picket::sink::{SinkQueue, spawn_worker};
use picket::telemetry::{Health, Metrics};
use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

const MEMORY_MAX: u64 = 16 * 1024;

/// Walks the receiver through the outage; returns when it accepts again.
/// Each phase lasts at least `step` and until the sink has tried once in
/// it (retries back off, so a fixed duration would race on a busy machine).
fn outage(r: &Receiver, step: Duration) {
    hold(r, Phase::Fail, step, || {});
    hold(r, Phase::Hang, step, || {});
    hold(
        r,
        Phase::TooMany(1),
        step + Duration::from_millis(500),
        || {},
    );
    r.set(Phase::Accept);
}

/// Sets `phase` and calls `tick` every 50 ms for at least `min` and until a
/// request arrived during the phase (at most 30 s).
fn hold(r: &Receiver, phase: Phase, min: Duration, mut tick: impl FnMut()) {
    let name = format!("{phase:?}");
    r.set(phase);
    let t = Instant::now();
    let tried = || {
        r.seen
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|(_, p)| format!("{p:?}") == name)
    };
    while t.elapsed() < min || (!tried() && t.elapsed() < Duration::from_secs(30)) {
        tick();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The 429 answers were honoured: no retry came sooner than `Retry-After`.
fn check_retry_after(r: &Receiver) {
    let seen = r.seen.lock().unwrap();
    let times: Vec<Instant> = seen
        .requests
        .iter()
        .filter(|(_, p)| matches!(p, Phase::TooMany(_)))
        .map(|(t, _)| *t)
        .collect();
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap >= Duration::from_millis(950),
            "retried after {gap:?} despite Retry-After: 1"
        );
    }
    let phases: HashSet<String> = seen
        .requests
        .iter()
        .map(|(_, p)| format!("{p:?}"))
        .collect();
    for p in ["Fail", "Hang", "TooMany(1)", "Accept"] {
        assert!(phases.contains(p), "no request during {p}: {phases:?}");
    }
}

#[test]
fn webhook_outage_loses_nothing_and_stays_in_bounds() {
    let d = tempdir();
    let r = Receiver::start(Phase::Accept);
    let metrics = Metrics::new();
    let spool = Spool::open(&d.path().join("spool"), 128 * 1024).unwrap();
    let q = SinkQueue::new(
        "hook",
        MEMORY_MAX,
        Some(spool),
        metrics.clone(),
        Health::new(),
    );
    let t = WebhookTransport::new(
        &format!("http://{}/alerts", r.addr),
        50,
        Duration::from_millis(300),
    )
    .unwrap();
    let worker = spawn_worker(
        q.clone(),
        Box::new(t),
        Backoff::new(Duration::from_millis(20), Duration::from_secs(2), 7),
        SystemClock::shared(),
    )
    .unwrap();
    // Watch the memory queue all along.
    let peak = Arc::new(AtomicI64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (m, peak, done) = (metrics.clone(), peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let v = m.sink_queue_bytes.with_label_values(&["hook"]).get();
                peak.fetch_max(v, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let total = 3000u64;
    let producer = {
        let q = q.clone();
        std::thread::spawn(move || {
            for b in 0..total / 10 {
                let lines = (b * 10..b * 10 + 10)
                    .map(|i| format!("{{\"id\":{i},\"message\":\"{}\"}}", "x".repeat(80)))
                    .collect();
                q.push(lines).unwrap();
                std::thread::sleep(Duration::from_millis(3));
            }
        })
    };
    outage(&r, Duration::from_millis(700));
    producer.join().unwrap();
    q.close();
    let t0 = Instant::now();
    while !worker.is_finished() {
        assert!(t0.elapsed() < Duration::from_secs(30), "sink never drained");
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();

    let ids: Vec<u64> = r
        .seen
        .lock()
        .unwrap()
        .alerts
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (0..total).collect::<Vec<_>>(),
        "every alert, once, in order"
    );
    assert!(
        peak.load(Ordering::SeqCst) as u64 <= MEMORY_MAX,
        "memory queue over its bound"
    );
    check_retry_after(&r);
    let l = ["hook"];
    let retries = metrics.sink_retries.with_label_values(&l).get();
    let spooled = metrics.sink_spooled.with_label_values(&l).get();
    let blocked = metrics.sink_backpressure.with_label_values(&l).get();
    let delivered = metrics
        .sink_deliveries
        .with_label_values(&["hook", "success"])
        .get();
    let failed = metrics
        .sink_deliveries
        .with_label_values(&["hook", "failure"])
        .get();
    eprintln!(
        "webhook outage: {retries} retries, {spooled} alerts spooled, {blocked:.2}s of backpressure, {delivered} delivered, {failed} failed attempts (alerts)"
    );
    assert!(retries >= 4, "retries counted: {retries}");
    assert!(spooled > 0, "the memory bound pushed alerts to the spool");
    assert!(blocked > 0.0, "the full spool held the producer back");
    assert_eq!(delivered, total);
    assert_eq!(
        metrics
            .sink_dropped
            .with_label_values(&["hook", "rejected"])
            .get(),
        0
    );
    assert_eq!(
        metrics.sink_spool_bytes.with_label_values(&l).get(),
        0,
        "spool drained"
    );
}

/// Resident memory of a process, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn daemon_webhook_outage_loses_no_alert() {
    let d = tempdir();
    let dir = d.path();
    require_alerts(dir);
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let r = Receiver::start(Phase::Accept);
    let cfg = dir.join("picket.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[[sources]]
name = "app"
path = "{logs}/app.log"
format = "combined"
[state]
dir = "{dir}/state"
[metrics]
listen = "127.0.0.1:0"
[alerts]
suppress_window = "0s"
[privacy]
fingerprint_key = "test"
[[sinks]]
type = "webhook"
name = "hook"
url = "http://{addr}/alerts"
timeout = "300ms"
batch_max_alerts = 100
buffer = {{ memory_max_bytes = "{MEMORY_MAX}", spool_max_bytes = "256KiB" }}
retry = {{ initial = "20ms", max = "2s" }}
"#,
            logs = dir.join("logs").display(),
            dir = dir.display(),
            addr = r.addr
        ),
    )
    .unwrap();
    let rule = dir.join("every-line.yml");
    let daemon = Daemon::start(
        &cfg,
        &["--no-default-rules", "--rules", rule.to_str().unwrap()],
    );
    let pid = daemon.child.id();
    let total = 20_000u64;
    let writer = {
        let app = dir.join("logs/app.log");
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(app)
                .unwrap();
            for b in 0..total / 200 {
                let s: String = (b * 200 + 1..=b * 200 + 200).map(line).collect();
                f.write_all(s.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(25));
            }
        })
    };
    let mut peak_rss = 0;
    let mut peak_queue = 0.0f64;
    let sample = |peak_rss: &mut u64, peak_queue: &mut f64| {
        *peak_rss = (*peak_rss).max(rss_bytes(pid));
        let q = daemon
            .metric("picket_sink_queue_bytes{sink=\"hook\"}")
            .unwrap_or(0.0);
        *peak_queue = peak_queue.max(q);
    };
    for phase in [Phase::Fail, Phase::Hang, Phase::TooMany(1)] {
        hold(&r, phase, Duration::from_millis(900), || {
            sample(&mut peak_rss, &mut peak_queue)
        });
    }
    r.set(Phase::Accept);
    writer.join().unwrap();
    wait_for("every alert to arrive", Duration::from_secs(60), || {
        sample(&mut peak_rss, &mut peak_queue);
        r.seen.lock().unwrap().alerts.len() as u64 >= total
    });
    let m = daemon.metrics();
    daemon.stop();
    let got: HashSet<u64> = r
        .seen
        .lock()
        .unwrap()
        .alerts
        .iter()
        .filter_map(seq_of_alert)
        .collect();
    assert_eq!(got.len() as u64, total, "every line's alert arrived");
    assert!(
        peak_queue <= MEMORY_MAX as f64,
        "memory queue {peak_queue} over {MEMORY_MAX}"
    );
    assert!(peak_rss < 256 << 20, "resident memory {peak_rss}");
    check_retry_after(&r);
    assert!(metric_value(&m, "picket_sink_retries_total{sink=\"hook\"}").unwrap_or(0.0) >= 3.0);
    assert!(metric_value(&m, "picket_sink_spooled_total{sink=\"hook\"}").unwrap_or(0.0) > 0.0);
    eprintln!(
        "daemon webhook outage: peak RSS {} MiB, peak memory queue {peak_queue} bytes",
        peak_rss >> 20
    );
}
