//! Edges of the daemon: a corrupt checkpoint file, `read_from = "end"`,
//! oversized lines, compressed rotated files, an unhealthy sink on
//! `/healthz`, startup errors, and SIGINT while a sink hangs.

#[path = "daemon_support/mod.rs"]
mod common;

use common::server::{Phase, Receiver};
use common::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn config(dir: &Path, source_extra: &str, extra: &str) -> std::path::PathBuf {
    let p = dir.join("picket.toml");
    std::fs::write(
        &p,
        format!(
            "[[sources]]\nname = \"app\"\npath = \"{}/logs/app.log*\"\nformat = \"combined\"\n{source_extra}\n[state]\ndir = \"{}/state\"\ncheckpoint_interval = \"100ms\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n[privacy]\nfingerprint_key = \"t\"\n[tail]\npoll_interval = \"100ms\"\n{extra}",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    p
}

fn lines(d: &Daemon) -> f64 {
    d.metric("picket_lines_total{source=\"app\"}")
        .unwrap_or(0.0)
}

#[test]
fn a_corrupt_checkpoint_is_reported_and_set_aside() {
    let td = tempdir();
    let dir = td.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    std::fs::write(
        dir.join("state/checkpoints.json"),
        "{\"version\":1,\"files\":[{",
    )
    .unwrap();
    std::fs::write(
        dir.join("logs/app.log"),
        (1..=20).map(line).collect::<String>(),
    )
    .unwrap();
    let sink = format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"\n",
        dir.join("alerts.jsonl").display()
    );
    let cfg = config(dir, "", &sink);
    let d = Daemon::start(&cfg, &[]);
    wait_for("the file read", Duration::from_secs(20), || {
        lines(&d) == 20.0
    });
    assert_eq!(
        d.metric("picket_checkpoint_errors_total{op=\"load\"}"),
        Some(1.0)
    );
    let log = d.stop();
    assert!(
        log.contains("is unusable") && log.contains("corrupt-"),
        "{log}"
    );
    let moved = std::fs::read_dir(dir.join("state"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("corrupt-"));
    assert!(moved, "the corrupt file is kept for inspection");
    let cp = std::fs::read_to_string(dir.join("state/checkpoints.json")).unwrap();
    assert!(
        cp.contains("\"version\": 1"),
        "a good one was written: {cp}"
    );
}

#[test]
fn read_from_end_skips_the_backlog_on_first_start_only() {
    let td = tempdir();
    let dir = td.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(
        dir.join("logs/app.log"),
        (1..=50).map(line).collect::<String>(),
    )
    .unwrap();
    let cfg = config(dir, "read_from = \"end\"", "");
    let d = Daemon::start(&cfg, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("logs/app.log"))
        .unwrap();
    f.write_all((51..=55).map(line).collect::<String>().as_bytes())
        .unwrap();
    wait_for("the new lines", Duration::from_secs(20), || {
        lines(&d) == 5.0
    });
    d.stop();
    // Second start: the checkpoint, not read_from, decides; a new file is
    // read from its start.
    f.write_all((56..=57).map(line).collect::<String>().as_bytes())
        .unwrap();
    std::fs::write(
        dir.join("logs/app.log.new"),
        (1000..1003).map(line).collect::<String>(),
    )
    .unwrap();
    let d = Daemon::start(&cfg, &[]);
    wait_for("2 + 3 lines", Duration::from_secs(20), || lines(&d) == 5.0);
    d.stop();
}

#[test]
fn oversized_lines_are_counted_and_compressed_files_skipped() {
    let td = tempdir();
    let dir = td.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let mut text = line(1);
    text.push_str(&"x".repeat(10_000));
    text.push('\n');
    text.push_str(&line(2));
    std::fs::write(dir.join("logs/app.log"), text).unwrap();
    // A gzip-compressed rotated file matched by the glob.
    std::fs::write(
        dir.join("logs/app.log.2.gz"),
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0],
    )
    .unwrap();
    let cfg = config(dir, "", "[limits]\nmax_line_bytes = 1000\n");
    let d = Daemon::start(&cfg, &[]);
    wait_for("3 lines", Duration::from_secs(20), || lines(&d) == 3.0);
    assert_eq!(
        d.metric("picket_parse_errors_total{format=\"combined\",reason=\"line_too_long\"}"),
        Some(1.0)
    );
    assert_eq!(d.metric("picket_source_files{source=\"app\"}"), Some(1.0));
    let log = d.stop();
    assert!(log.contains("is compressed; not tailed"), "{log}");
}

#[test]
fn a_failing_sink_makes_healthz_unhealthy() {
    let td = tempdir();
    let dir = td.path();
    require_alerts(dir);
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/app.log"), line(1)).unwrap();
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    let cfg = config(
        dir,
        "",
        "[alerts]\nsuppress_window = \"0s\"\n[[sinks]]\ntype = \"webhook\"\nname = \"hook\"\nurl = \"http://127.0.0.1:9/\"\nretry = { initial = \"50ms\", max = \"200ms\" }\n",
    );
    let rule = dir.join("every-line.yml");
    let d = Daemon::start(
        &cfg,
        &["--no-default-rules", "--rules", rule.to_str().unwrap()],
    );
    wait_for("/healthz to say 503", Duration::from_secs(20), || {
        d.get("/healthz").0 == 503
    });
    let body = d.get("/healthz").1;
    assert!(body.contains("sink/hook"), "{body}");
    d.stop();
}

#[test]
fn startup_errors_exit_1_with_a_message() {
    let td = tempdir();
    let dir = td.path();
    let run = |cfg: &Path| {
        Command::new(env!("CARGO_BIN_EXE_picket"))
            .arg("run")
            .arg("--config")
            .arg(cfg)
            .output()
            .unwrap()
    };
    let cases = [
        (
            "no sources",
            "[state]\ndir = \"S\"\n",
            "at least one [[sources]]",
        ),
        (
            "bad glob",
            "[[sources]]\npath = \"/x/[\"\n[state]\ndir = \"S\"\n",
            "invalid glob",
        ),
        (
            "busy port",
            "[[sources]]\npath = \"/tmp/x.log\"\n[state]\ndir = \"S\"\n[metrics]\nlisten = \"BUSY\"\n",
            "metrics.listen",
        ),
        (
            "bad sink",
            "[[sources]]\npath = \"/tmp/x.log\"\n[state]\ndir = \"S\"\n[[sinks]]\ntype = \"syslog\"\naddress = \"carrier-pigeon\"\n",
            "sink syslog",
        ),
    ];
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    for (what, text, expect) in cases {
        let cfg = dir.join("picket.toml");
        let text = text
            .replace("S", &dir.join("state").display().to_string())
            .replace("BUSY", &busy.local_addr().unwrap().to_string());
        std::fs::write(&cfg, text).unwrap();
        let o = run(&cfg);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
    }
}

#[test]
fn a_missing_source_directory_makes_healthz_unhealthy_until_it_appears() {
    let td = tempdir();
    let dir = td.path();
    // logs/ does not exist yet.
    let cfg = config(dir, "", "");
    let d = Daemon::start(&cfg, &[]);
    wait_for("/healthz to say 503", Duration::from_secs(20), || {
        d.get("/healthz").0 == 503
    });
    let body = d.get("/healthz").1;
    assert!(
        body.contains("source/app") && body.contains("cannot list"),
        "{body}"
    );
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/app.log"), line(1)).unwrap();
    wait_for("healthy again", Duration::from_secs(20), || {
        d.get("/healthz").0 == 200
    });
    wait_for("the file read", Duration::from_secs(20), || {
        lines(&d) == 1.0
    });
    d.stop();
}

/// SIGINT while the webhook hangs: the daemon gives up on the sink after
/// `daemon.shutdown_timeout` and exits 0; what was not delivered is spooled
/// or (the batch in flight) read again, so the next start delivers every
/// alert once the receiver is back.
#[test]
fn sigint_with_a_hanging_sink_exits_0_in_time_and_loses_nothing() {
    let td = tempdir();
    let dir = td.path();
    require_alerts(dir);
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(
        dir.join("logs/app.log"),
        (1..=50).map(line).collect::<String>(),
    )
    .unwrap();
    let r = Receiver::start(Phase::Hang);
    let cfg = config(
        dir,
        "",
        &format!(
            "[alerts]\nsuppress_window = \"0s\"\n[daemon]\nshutdown_timeout = \"1s\"\n[[sinks]]\ntype = \"webhook\"\nname = \"hook\"\nurl = \"http://{}/alerts\"\ntimeout = \"60s\"\nretry = {{ initial = \"50ms\", max = \"200ms\" }}\n",
            r.addr
        ),
    );
    let rule = dir.join("every-line.yml");
    let args = ["--no-default-rules", "--rules", rule.to_str().unwrap()];
    let d = Daemon::start(&cfg, &args);
    wait_for("the file read", Duration::from_secs(20), || {
        lines(&d) == 50.0
    });
    wait_for("a request to hang", Duration::from_secs(20), || {
        !r.seen.lock().unwrap().requests.is_empty()
    });
    d.signal("INT");
    // 1 s of shutdown timeout, far less than the sink's 60 s timeout; the
    // deadline only guards against a hang.
    let (st, log) = d.wait(Duration::from_secs(30));
    assert!(st.success(), "exit status {st} after SIGINT:\n{log}");
    assert!(log.contains("SIGINT"), "{log}");
    // The batch in flight to the hanging receiver cannot be spooled (the
    // request owns it): its input is not checkpointed, and read again.
    assert!(log.contains("will be read again"), "{log}");
    assert!(r.seen.lock().unwrap().alerts.is_empty());

    r.set(Phase::Accept);
    let d = Daemon::start(&cfg, &args);
    wait_for("every alert delivered", Duration::from_secs(30), || {
        r.seen.lock().unwrap().alerts.len() >= 50
    });
    let seqs: std::collections::HashSet<u64> = r
        .seen
        .lock()
        .unwrap()
        .alerts
        .iter()
        .filter_map(seq_of_alert)
        .collect();
    assert_eq!(seqs.len(), 50, "every line's alert, after the restart");
    d.stop();
}
