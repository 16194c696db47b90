//! Latency of the daemon at 10,000 lines/s: from a line's append to the
//! moment its alerts are handed to the sinks (the ack trace), and to their
//! arrival in the file sink. The daemon runs the shipped rules (the
//! built-ins of `detections/`, embedded in the binary) plus one rule that
//! matches every test line, so every line has an alert to time. A
//! measurement, not a pass/fail test: run it on an otherwise idle machine,
//! in release mode:
//!
//! ```sh
//! cargo test --release --test daemon_latency -- --ignored --nocapture
//! ```

#[path = "daemon_support/mod.rs"]
mod common;

use common::*;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const RATE: u64 = 10_000;
const SECONDS: u64 = 10;
const TICK_MS: u64 = 10;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn percentiles(name: &str, mut v: Vec<f64>) {
    if v.is_empty() {
        eprintln!("{name}: no samples");
        return;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{name}: n={} p50={:.1}ms p90={:.1}ms p99={:.1}ms max={:.1}ms",
        v.len(),
        p(0.5),
        p(0.9),
        p(0.99),
        v[v.len() - 1]
    );
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture, preferably --release"]
fn latency_at_ten_thousand_lines_per_second() {
    let d = tempdir();
    let dir = d.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    require_alerts(dir);
    let cfg = dir.join("picket.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[sources]]\nname = \"app\"\npath = \"{}/logs/app.log\"\nformat = \"combined\"\n[state]\ndir = \"{}/state\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n[alerts]\nsuppress_window = \"0s\"\n[privacy]\nfingerprint_key = \"t\"\n[[sinks]]\ntype = \"file\"\npath = \"{}/alerts.jsonl\"\n",
            dir.display(),
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    let rule = dir.join("every-line.yml");
    let acks = dir.join("acks.log");
    let daemon = Daemon::start(
        &cfg,
        &[
            "--rules",
            rule.to_str().unwrap(),
            "--ack-log",
            acks.to_str().unwrap(),
        ],
    );
    // Alerts as they land in the file sink (seq → arrival time).
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<u64, u128>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (arrivals, stop, path) = (arrivals.clone(), stop.clone(), dir.join("alerts.jsonl"));
        std::thread::spawn(move || {
            let mut pos = 0u64;
            let mut carry = String::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(mut f) = std::fs::File::open(&path) {
                    let _ = f.seek(SeekFrom::Start(pos));
                    let mut s = String::new();
                    let n = f.read_to_string(&mut s).unwrap_or(0) as u64;
                    pos += n;
                    carry.push_str(&s);
                    let t = now_ns();
                    while let Some(i) = carry.find('\n') {
                        let l: String = carry.drain(..=i).collect();
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&l)
                            && let Some(seq) = seq_of_alert(&v)
                        {
                            arrivals.lock().unwrap().entry(seq).or_insert(t);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    // The writer: RATE lines/s in ticks; (end offset, first seq, last seq, time).
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("logs/app.log"))
        .unwrap();
    let per_tick = RATE * TICK_MS / 1000;
    let mut writes = Vec::new();
    let mut offset = 0u64;
    let start = Instant::now();
    for tick in 0..SECONDS * 1000 / TICK_MS {
        let due = start + Duration::from_millis(tick * TICK_MS);
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        let first = tick * per_tick + 1;
        let s: String = (first..first + per_tick).map(line).collect();
        // The clock is read before the write: the daemon may see the bytes
        // before write() returns.
        let t = now_ns();
        f.write_all(s.as_bytes()).unwrap();
        offset += s.len() as u64;
        writes.push((offset, first, first + per_tick - 1, t));
    }
    let total = SECONDS * RATE;
    wait_for("everything acknowledged", Duration::from_secs(60), || {
        read_acks(&acks).last().is_some_and(|a| a.end >= offset)
    });
    wait_for("every alert", Duration::from_secs(60), || {
        arrivals.lock().unwrap().len() as u64 >= total
    });
    let m = daemon.metrics();
    daemon.stop();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    reader.join().unwrap();

    let ack_list = read_acks(&acks);
    let mut ack_ms = Vec::new();
    let mut i = 0;
    for (end, _, _, t) in &writes {
        while i < ack_list.len() && ack_list[i].end < *end {
            i += 1;
        }
        if let Some(a) = ack_list.get(i) {
            ack_ms.push((a.ns.saturating_sub(*t)) as f64 / 1e6);
        }
    }
    eprintln!(
        "latency at {RATE} lines/s for {SECONDS}s ({} build, {} rules, {} acks):",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        metric_value(&m, "picket_rules_loaded").unwrap_or(0.0),
        ack_list.len()
    );
    percentiles("  append → alerts handed to sinks (ack)", ack_ms);
    let sum = metric_value(&m, "picket_pipeline_latency_seconds_sum").unwrap_or(0.0);
    let count = metric_value(&m, "picket_pipeline_latency_seconds_count").unwrap_or(1.0);
    eprintln!(
        "  read → handed to sinks (picket_pipeline_latency_seconds): mean {:.2}ms over {count} chunks",
        sum / count * 1e3
    );
    let arr = arrivals.lock().unwrap();
    let mut sink_ms = Vec::new();
    for (_, first, last, t) in &writes {
        for seq in *first..=*last {
            if let Some(a) = arr.get(&seq) {
                sink_ms.push(a.saturating_sub(*t) as f64 / 1e6);
            }
        }
    }
    percentiles("  append → alert in the file sink", sink_ms);
}
