//! Behavioural detections end to end: a multi-day log through `picket
//! replay` with the shipped rules; the same alerts and baselines for any
//! `--threads`; baselines resumed from `--state`; the entity cap under a
//! million distinct users.

use picket::alert::Suppressor;
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::parse::{Format, FormatChoice};
use picket::pipeline::{Mode, Outputs, Pipeline, PipelineBuilder, Stages};
use picket::source::{ChunkReaderBuilder, FileTable, read_inputs};
use picket::telemetry::Metrics;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// Monday 2026-03-02 00:00 UTC.
const MON: i64 = 1_772_409_600;
const H: i64 = 3_600;
const D: i64 = 86_400;

fn clf(t: i64, ip: &str, user: &str, req: &str, status: u16, bytes: u64) -> (i64, String) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let odt = time::OffsetDateTime::from_unix_timestamp(MON + t).unwrap();
    let line = format!(
        "{ip} - {user} [{:02}/{}/{}:{:02}:{:02}:{:02} +0000] \"{req} HTTP/1.1\" {status} {bytes} \"-\" \"test/1.0\"\n",
        odt.day(),
        MONTHS[odt.month() as usize - 1],
        odt.year(),
        odt.hour(),
        odt.minute(),
        odt.second()
    );
    (t, line)
}

/// Ten days: a staff member's office hours on two tenants, a nightly
/// backup, an application; on day 9 (Wednesday) the staff member opens a
/// third tenant at 02:30, and the backup reads 20× its usual volume.
fn ten_days() -> (String, String) {
    let mut learn = Vec::new();
    let mut incident = Vec::new();
    for d in 0..10 {
        let out = if d < 9 { &mut learn } else { &mut incident };
        if d % 7 < 5 {
            for h in 9..17 {
                let tenant = if h % 2 == 0 { "acme" } else { "globex" };
                for m in 0..3 {
                    out.push(clf(
                        d * D + h * H + m * 900,
                        "192.0.2.50",
                        "support-1",
                        &format!("GET /{tenant}_customers/c-{}", h * 10 + m),
                        200,
                        900,
                    ));
                }
            }
        }
        let night = if d == 9 { 20 } else { 1 };
        for m in 0..4 {
            out.push(clf(
                d * D + 2 * H + m * 600,
                "192.0.2.60",
                "backup",
                "GET /acme_customers/_all_docs?include_docs=true&limit=500",
                200,
                250_000_000 * night,
            ));
        }
        for m in 0..48 {
            out.push(clf(
                d * D + m * 1_800,
                "203.0.113.9",
                "app-7",
                &format!("GET /acme_orders/o-{m}"),
                200,
                400,
            ));
        }
    }
    incident.push(clf(
        9 * D + 2 * H + 1_800,
        "192.0.2.50",
        "support-1",
        "GET /initech_customers/c-1",
        200,
        900,
    ));
    let render = |mut v: Vec<(i64, String)>| {
        v.sort();
        v.into_iter().map(|(_, l)| l).collect::<String>()
    };
    (render(learn), render(incident))
}

fn replay(args: &[&str], files: &[&Path]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .arg("replay")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn rule_ids(alerts: &str) -> Vec<String> {
    alerts
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["rule"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn incidents_fire_identically_for_any_thread_count() {
    let d = tempfile::tempdir().unwrap();
    let (learn, incident) = ten_days();
    let a = d.path().join("a.log");
    let b = d.path().join("b.log");
    std::fs::write(&a, learn).unwrap();
    std::fs::write(&b, incident).unwrap();
    // One fingerprint key for both runs, so the two state files compare.
    let cfg = d.path().join("picket.toml");
    std::fs::write(&cfg, "[privacy]\nfingerprint_key = \"test key\"\n").unwrap();
    let c = cfg.to_str().unwrap();
    let mut runs = Vec::new();
    for threads in ["1", "4"] {
        let state = d.path().join(format!("state-{threads}"));
        let s = state.to_str().unwrap();
        let args = ["--config", c, "--threads", threads, "--state", s, "--quiet"];
        let (alerts, _) = replay(&args, &[&a, &b]);
        let saved = std::fs::read(state.join("baselines.json")).unwrap();
        runs.push((alerts, saved));
    }
    assert_eq!(runs[0].0, runs[1].0, "same alerts for 1 and 4 threads");
    assert!(runs[0].1 == runs[1].1, "same baselines for 1 and 4 threads");
    let ids = rule_ids(&runs[0].0);
    for want in [
        "staff-off-hours-access",
        "staff-new-tenant",
        "egress-volume-anomaly-user",
    ] {
        assert!(ids.iter().any(|i| i == want), "{want} not in {ids:?}");
    }
    // The benign traffic (the nightly backup among busy daytime hours)
    // raises nothing of medium or above, nor after the learning week.
    let learn_only = replay(&["--quiet"], &[&a]).0;
    assert!(!learn_only.contains("\"level\":\"medium\""), "{learn_only}");
    assert!(!learn_only.contains("\"level\":\"high\""), "{learn_only}");
    // The incident day: only the planted incidents, each once.
    let mut ids = ids;
    ids.sort();
    assert_eq!(
        ids,
        [
            "egress-volume-anomaly-tenant",
            "egress-volume-anomaly-user",
            "staff-new-tenant",
            "staff-off-hours-access",
        ],
        "{}",
        runs[0].0
    );
}

#[test]
fn state_resumes_learning_and_survives_corruption() {
    let d = tempfile::tempdir().unwrap();
    let (learn, incident) = ten_days();
    let a = d.path().join("a.log");
    let b = d.path().join("b.log");
    std::fs::write(&a, learn).unwrap();
    std::fs::write(&b, incident).unwrap();
    let state = d.path().join("state");
    let s = state.to_str().unwrap();
    replay(&["--state", s, "--quiet"], &[&a]);
    let text = std::fs::read_to_string(state.join("baselines.json")).unwrap();
    assert!(text.contains("\"version\":1"));
    for raw in ["support-1", "backup", "acme", "globex", "192.0.2.50"] {
        assert!(!text.contains(raw), "{raw} in the state file");
    }
    // The incident day alone, on top of the saved baselines: no new
    // learning period, so the incidents fire.
    let (alerts, _) = replay(&["--state", s, "--quiet"], &[&b]);
    let ids = rule_ids(&alerts);
    assert!(ids.iter().any(|i| i == "staff-new-tenant"), "{ids:?}");
    assert!(
        ids.iter().any(|i| i == "egress-volume-anomaly-user"),
        "{ids:?}"
    );
    // Without the state, the same day is a first sight: nothing learned.
    let (fresh, _) = replay(&["--quiet"], &[&b]);
    assert!(!rule_ids(&fresh).iter().any(|i| i == "staff-new-tenant"));

    std::fs::write(
        state.join("baselines.json"),
        b"{\"format\":\"picket-baselines\",\"version\":99}",
    )
    .unwrap();
    let (_, err) = replay(&["--state", s], &[&b]);
    assert!(err.contains("unknown version 99"), "{err}");
    assert!(state.join("baselines.json.corrupt").exists());
    let again = std::fs::read_to_string(state.join("baselines.json")).unwrap();
    assert!(again.contains("\"version\":1"), "saved afresh");
}

const NEW_IP: &str = "
title: Authenticated request
id: auth
name: auth
logsource: {category: webserver}
detection:
    sel:
        user.name|exists: true
    condition: sel
---
title: New address for user
id: new-ip
correlation:
    type: new_terms
    rules: [auth]
    group-by: [user.name]
    condition:
        field: source.ip
";

/// Runs one combined log through a library pipeline, without sinks.
fn replay_combined(p: &mut Pipeline, path: &Path, reader: &ChunkReaderBuilder) {
    let table = FileTable::new();
    p.run(
        |s| {
            read_inputs(
                &[path.to_path_buf()],
                FormatChoice::Fixed(Format::Combined),
                &table,
                reader,
                "t",
                s,
            );
        },
        Outputs {
            sinks: &mut [],
            events: None,
            acks: &mut (),
            observer: &mut (),
        },
    )
    .unwrap();
}

#[test]
fn a_million_users_stay_within_the_cap() {
    let n: usize = 1_000_000;
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("users.log");
    let mut text = String::with_capacity(n * 60);
    for i in 0..n {
        // One line per user, time increasing: 1M lines over ~11 days.
        let (_, l) = clf(i as i64, "192.0.2.1", &format!("u{i}"), "GET /a", 200, 1);
        text.push_str(&l);
    }
    std::fs::write(&path, text).unwrap();
    let cfg = ConfigFile::parse("[correlation]\nmax_groups = 1000\n", "t").unwrap();
    let rules = RuleSet::from_yaml(Path::new("r.yml"), NEW_IP).unwrap();
    let stages = Stages::new(
        Mode::Detect,
        Enricher::from_config(&cfg).unwrap(),
        Detector::new(Arc::new(rules), None),
        cfg.limits.max_line_bytes,
    );
    let metrics = Metrics::new();
    let mut p = PipelineBuilder::default()
        .threads(2)
        .correlation(cfg.correlation.settings())
        .build(stages, metrics.clone(), Suppressor::new(0, 10));
    replay_combined(&mut p, &path, &ChunkReaderBuilder::default());
    let text = metrics.render();
    let gauge = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(
        gauge("picket_state_entities{detector=\"baseline\"}"),
        1000.0
    );
    assert_eq!(
        gauge("picket_correlation_evictions_total{rule=\"new-ip\"}"),
        (n - 1000) as f64
    );
    assert_eq!(p.baselines().entities(), 1000);
}

/// The daemon's periodic save asks the shard threads for their baselines
/// while chunks are in flight; saving after every chunk must neither lose
/// nor reorder anything: the state equals a single-threaded run's.
#[test]
fn periodic_saves_from_shard_threads_match_one_thread() {
    let d = tempfile::tempdir().unwrap();
    let (learn, incident) = ten_days();
    let path = d.path().join("all.log");
    std::fs::write(&path, format!("{learn}{incident}")).unwrap();
    let mut saved = Vec::new();
    for threads in [1, 3] {
        let dir = d.path().join(format!("state-{threads}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = ConfigFile::default();
        let stages = Stages::new(
            Mode::Detect,
            Enricher::from_config(&cfg).unwrap(),
            Detector::new(Arc::new(RuleSet::builtin().unwrap()), None),
            cfg.limits.max_line_bytes,
        );
        let mut p = PipelineBuilder::default()
            .threads(threads)
            .baseline_key(b"test key".to_vec())
            .build(stages, Metrics::new(), Suppressor::new(0, 10));
        p.use_state_dir(&dir, Some(std::time::Duration::ZERO));
        // Small chunks: many chunks, so many snapshots among them.
        replay_combined(
            &mut p,
            &path,
            &ChunkReaderBuilder::default().chunk_size(2_048),
        );
        assert!(p.baselines().entities() > 0);
        saved.push(std::fs::read(dir.join("baselines.json")).unwrap());
    }
    assert!(saved[0] == saved[1], "same baselines for 1 and 3 threads");
}
