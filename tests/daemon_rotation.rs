//! SPEC §8 under load: a writer appends 200,000 numbered lines, rotating by
//! rename every 20,000 and once by copytruncate, while the daemon is
//! killed (`kill -9`) and restarted three times — or, in the clean
//! variant, stopped with SIGTERM and restarted.
//!
//! What is checked, per line:
//! - through the ack trace (`--ack-log`: which byte ranges of which file
//!   identity were processed and their alerts handed to the sinks; works
//!   with any parser or rule engine): every line at least once; a line
//!   processed twice only when the run that processed it first was
//!   killed; with clean restarts, exactly once;
//! - through the file sink: the same for alerts, keyed by their
//!   `@timestamp`.
//!
//! The copytruncate happens once the daemon's saved checkpoints know the
//! file (`wait_until_known`): so it is always one picket can notice, live
//! or at a restart, and the test checks that it did.

#[path = "daemon_support/mod.rs"]
mod common;

use common::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const TOTAL: u64 = 200_000;
const ROTATE_EVERY: u64 = 20_000;
const COPYTRUNCATE_AT: u64 = 115_000;
const BURST: u64 = 1_000;

/// Waits until the daemon's saved checkpoints know the file `app` by its
/// inode and first line, i.e. until some run of it has seen the content a
/// copytruncate is about to move: a file truncated before picket ever
/// opened it is, to picket, just a new file beside a new copy (nothing to
/// notice, nothing lost). A precondition with a generous deadline, not a
/// timing assumption.
fn wait_until_known(state: &Path, app: &Path, first_line: &str) {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(app).unwrap().ino();
    let fp = picket::source::fingerprint::Fingerprint::of_prefix(first_line.as_bytes()).to_string();
    wait_for(
        "the daemon to checkpoint the file before its copytruncate",
        Duration::from_secs(120),
        || {
            let Ok(text) = std::fs::read_to_string(state.join("checkpoints.json")) else {
                return false;
            };
            let Ok(cp) = serde_json::from_str::<serde_json::Value>(&text) else {
                return false;
            };
            cp["files"].as_array().is_some_and(|files| {
                files.iter().any(|f| {
                    f["ino"].as_u64() == Some(ino)
                        && f["dev"].as_u64() != Some(u64::MAX)
                        && f["fingerprint"].as_str() == Some(fp.as_str())
                })
            })
        },
    );
}

/// Appends every line, rotating as described; returns when done.
fn write_lines(logs: &Path, state: &Path) {
    let app = logs.join("app.log");
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&app)
            .unwrap()
    };
    let mut f = open();
    let mut buf = String::new();
    let mut rotations = 0;
    for seq in 1..=TOTAL {
        buf.push_str(&line(seq));
        let rotate = seq % ROTATE_EVERY == 0 && seq != TOTAL;
        let copytruncate = seq == COPYTRUNCATE_AT;
        if seq % BURST == 0 || rotate || copytruncate {
            f.write_all(buf.as_bytes()).unwrap();
            buf.clear();
            // ~50,000 lines/s: the whole run takes about 4 s.
            std::thread::sleep(Duration::from_millis(20));
        }
        if rotate {
            rotations += 1;
            std::fs::rename(&app, logs.join(format!("app.log.{rotations}"))).unwrap();
            f = open();
        }
        if copytruncate {
            let first = line(COPYTRUNCATE_AT - COPYTRUNCATE_AT % ROTATE_EVERY + 1);
            wait_until_known(state, &app, &first);
            std::fs::copy(&app, logs.join("app.log.copied")).unwrap();
            f.set_len(0).unwrap();
        }
    }
    f.write_all(buf.as_bytes()).unwrap();
}

fn config(dir: &Path) -> std::path::PathBuf {
    let cfg = format!(
        r#"
[[sources]]
name = "app"
path = "{logs}/app.log*"
format = "combined"

[state]
dir = "{dir}/state"
checkpoint_interval = "200ms"

[metrics]
listen = "127.0.0.1:0"

[[sinks]]
type = "file"
path = "{dir}/alerts.jsonl"

[tail]
poll_interval = "100ms"
rotate_wait = "1s"

[alerts]
suppress_window = "0s"

[privacy]
fingerprint_key = "test"
"#,
        logs = dir.join("logs").display(),
        dir = dir.display()
    );
    let p = dir.join("picket.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

/// Per run: how often each line was processed.
fn processed(dir: &Path, runs: usize) -> Vec<HashMap<u64, u32>> {
    let contents = contents_by_fingerprint(&dir.join("logs"));
    (0..runs)
        .map(|r| {
            let mut counts = HashMap::new();
            for a in read_acks(&dir.join(format!("acks-{r}.log"))) {
                let data = contents
                    .get(&a.fingerprint)
                    .unwrap_or_else(|| panic!("no file with fingerprint {}", a.fingerprint));
                for s in seqs_in(data, a.start, a.end) {
                    *counts.entry(s).or_insert(0) += 1;
                }
            }
            counts
        })
        .collect()
}

/// Checks counts per run against how each run ended (`killed[r]`).
fn check(what: &str, per_run: &[HashMap<u64, u32>], killed: &[bool]) {
    let mut missing = Vec::new();
    let mut bad_dups = Vec::new();
    for seq in 1..=TOTAL {
        let runs: Vec<usize> = (0..per_run.len())
            .filter(|r| per_run[*r].contains_key(&seq))
            .collect();
        if runs.is_empty() {
            missing.push(seq);
            continue;
        }
        let within = runs.iter().any(|r| per_run[*r][&seq] > 1);
        // Every run but the last one that saw the line must have been killed.
        let after_clean = runs[..runs.len() - 1].iter().any(|r| !killed[*r]);
        if within || after_clean {
            bad_dups.push((seq, runs));
        }
    }
    assert!(
        missing.is_empty(),
        "{what}: {} lines never processed, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        bad_dups.is_empty(),
        "{what}: {} lines duplicated without a crash to explain it, first {:?}",
        bad_dups.len(),
        &bad_dups[..bad_dups.len().min(5)]
    );
    let dups: usize = (1..=TOTAL)
        .filter(|s| per_run.iter().filter(|c| c.contains_key(s)).count() > 1)
        .count();
    eprintln!("{what}: all {TOTAL} lines processed; {dups} processed twice (after kill -9)");
}

fn scenario(kill9: bool) {
    let d = tempdir();
    let dir = d.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    require_alerts(dir);
    let cfg = config(dir);
    let rule = dir.join("every-line.yml");
    let start = |run: usize| {
        let acks = dir.join(format!("acks-{run}.log"));
        Daemon::start(
            &cfg,
            &[
                "--no-default-rules",
                "--rules",
                rule.to_str().unwrap(),
                "--threads",
                "2",
                "--ack-log",
                acks.to_str().unwrap(),
            ],
        )
    };
    let logs = dir.join("logs");
    let state = dir.join("state");
    let writer = std::thread::spawn(move || write_lines(&logs, &state));
    let mut killed = Vec::new();
    let mut logs = String::new();
    let mut daemon = start(0);
    for run in 0..3 {
        std::thread::sleep(Duration::from_millis(1000));
        logs += &if kill9 { daemon.crash() } else { daemon.stop() };
        killed.push(kill9);
        daemon = start(run + 1);
    }
    writer.join().unwrap();
    // Until the last daemon caught up (or long enough to say what is missing).
    let t = std::time::Instant::now();
    while t.elapsed() < Duration::from_secs(300) {
        let per_run = processed(dir, 4);
        if (1..=TOTAL).all(|s| per_run.iter().any(|c| c.contains_key(&s))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    logs += &daemon.stop();
    killed.push(false);
    let what = if kill9 {
        "kill -9 restarts"
    } else {
        "clean restarts"
    };
    check(&format!("{what} (ack trace)"), &processed(dir, 4), &killed);
    // Noticed live, or (if the daemon was down then) recognised at restart.
    assert!(
        logs.contains("copytruncate") || logs.contains("continues a file read before"),
        "the copytruncate was noticed:\n{logs}"
    );

    // Positions: the last checkpoint covers every file completely.
    let cp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state/checkpoints.json")).unwrap())
            .unwrap();
    assert_eq!(cp["version"], 1);

    // Alerts: the same guarantees, seen in the file sink. A kill -9 in
    // the middle of a write leaves a partial line, which the next run ends
    // (and its alerts, not acknowledged, come again): at most one per kill.
    let text = std::fs::read_to_string(dir.join("alerts.jsonl")).unwrap();
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let mut partial = 0;
    for l in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            partial += 1;
            continue;
        };
        *counts
            .entry(seq_of_alert(&v).expect("seq in @timestamp"))
            .or_insert(0) += 1;
    }
    let kills = killed.iter().filter(|k| **k).count();
    assert!(
        partial <= kills,
        "{what}: {partial} partial alert lines after {kills} kills"
    );
    let missing = (1..=TOTAL).filter(|s| !counts.contains_key(s)).count();
    assert_eq!(missing, 0, "{what}: lines without an alert");
    let dups = counts.values().filter(|n| **n > 1).count();
    if !kill9 {
        assert_eq!(dups, 0, "duplicate alerts after clean restarts");
    }
    eprintln!("{what} (alerts): every line alerted; {dups} duplicates; {partial} partial lines");
}

#[test]
fn rotation_copytruncate_and_kill9_lose_nothing() {
    scenario(true);
}

#[test]
fn rotation_copytruncate_and_clean_restarts_duplicate_nothing() {
    scenario(false);
}
