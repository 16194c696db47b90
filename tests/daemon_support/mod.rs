//! Helpers for the daemon tests: a `picket run` process, its log, its
//! metrics, signals, the ack trace, and the every-line rule.
#![allow(dead_code)] // each test binary uses a different subset

pub mod server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A combined-format test line for sequence number `seq`: the number is in
/// the path and in the timestamp (08:00:00 UTC on 2 March 2026 plus `seq`
/// seconds), so an alert's `@timestamp` tells which line raised it.
pub fn line(seq: u64) -> String {
    let t = 8 * 3600 + seq;
    let (day, h, m, s) = (2 + t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    format!(
        "10.0.0.1 - u1 [{day:02}/Mar/2026:{h:02}:{m:02}:{s:02} +0000] \"GET /seq/{seq:06} HTTP/1.1\" 200 1 \"-\" \"t\"\n"
    )
}

/// The sequence number of a test line.
pub fn seq_of(text: &str) -> Option<u64> {
    let i = text.find("/seq/")? + 5;
    text.get(i..i + 6)?.parse().ok()
}

/// The sequence number of the line that raised an alert, from its
/// `@timestamp` (`2026-03-DDTHH:MM:SSZ`).
pub fn seq_of_alert(alert: &serde_json::Value) -> Option<u64> {
    let ts = alert["@timestamp"].as_str()?;
    let day: u64 = ts.get(8..10)?.parse().ok()?;
    let h: u64 = ts.get(11..13)?.parse().ok()?;
    let m: u64 = ts.get(14..16)?.parse().ok()?;
    let s: u64 = ts.get(17..19)?.parse().ok()?;
    ((day - 2) * 86_400 + h * 3600 + m * 60 + s).checked_sub(8 * 3600)
}

/// A rule that matches every test line.
pub const EVERY_LINE_RULE: &str = r#"title: Every test request
id: daemon-test-every-line
status: test
level: low
description: Matches every line the daemon tests write.
logsource:
  category: webserver
detection:
  sel:
    url.path|startswith: '/seq/'
  condition: sel
"#;

/// Waits until `f` holds, panicking with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `picket run`.
pub struct Daemon {
    pub child: Child,
    pub addr: String,
    log: Arc<Mutex<String>>,
    /// Copies its standard error into `log`; done at the process's exit.
    reader: Option<std::thread::JoinHandle<()>>,
}

fn picket() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_picket"));
    // The daemons' log level is the tests' own: `PICKET_TEST_LOG=debug`
    // shows the tailer's decisions when a test fails.
    match std::env::var_os("PICKET_TEST_LOG") {
        Some(level) => c.env("PICKET_LOG", level),
        None => c.env_remove("PICKET_LOG"),
    };
    c
}

impl Daemon {
    /// Starts `picket run --config config` with `args`; waits until it
    /// serves metrics.
    pub fn start(config: &Path, args: &[&str]) -> Daemon {
        let mut child = picket()
            .arg("run")
            .arg("--config")
            .arg(config)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn picket run");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let reader = {
            let log = log.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut g = log.lock().unwrap();
                    g.push_str(&l);
                    g.push('\n');
                }
            })
        };
        let mut d = Daemon {
            child,
            addr: String::new(),
            log,
            reader: Some(reader),
        };
        wait_for(
            "the daemon to serve metrics",
            Duration::from_secs(60),
            || {
                if let Ok(Some(st)) = d.child.try_wait() {
                    panic!("picket run exited early ({st}):\n{}", d.log());
                }
                let log = d.log();
                match log.split("on http://").nth(1) {
                    Some(rest) => {
                        d.addr = rest.split_whitespace().next().unwrap_or("").to_string();
                        true
                    }
                    None => false,
                }
            },
        );
        d
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// GET `path` on its HTTP port: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&self.addr, path)
    }

    /// The Prometheus exposition.
    pub fn metrics(&self) -> String {
        self.get("/metrics").1
    }

    /// The value of a sample (`name{labels}` exactly as exposed), if present.
    pub fn metric(&self, sample: &str) -> Option<f64> {
        metric_value(&self.metrics(), sample)
    }

    /// Sends a signal by name (`TERM`, `HUP`, `KILL`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for it to exit, at most `timeout`.
    pub fn wait(mut self, timeout: Duration) -> (ExitStatus, String) {
        let t = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st, self.full_log());
            }
            if t.elapsed() > timeout {
                let _ = self.child.kill();
                panic!(
                    "picket run did not exit within {timeout:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(self) -> String {
        self.signal("TERM");
        let (st, log) = self.wait(Duration::from_secs(30));
        assert!(st.success(), "exit status {st} after SIGTERM:\n{log}");
        log
    }

    /// kill -9; returns what it logged.
    pub fn crash(mut self) -> String {
        self.child.kill().unwrap();
        let _ = self.child.wait();
        self.full_log()
    }

    /// Everything it logged, once it exited: waits (up to 30 s) until the
    /// stderr reader has copied the last line, however loaded the machine.
    fn full_log(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let t = Instant::now();
            while !reader.is_finished() && t.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(10));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        self.log()
    }
}

impl Drop for Daemon {
    /// A test that fails must not leave its daemon running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET over loopback.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The value of `sample` in an exposition.
pub fn metric_value(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(sample)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Sum of every sample of metric `name` (any labels).
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Writes the every-line rule to `dir/every-line.yml` and checks that this
/// build raises alerts with it (replaying one test line): the daemon tests'
/// alert assertions run, they are never skipped.
pub fn require_alerts(dir: &Path) {
    let rule = dir.join("every-line.yml");
    std::fs::write(&rule, EVERY_LINE_RULE).unwrap();
    let input = dir.join("probe.log");
    std::fs::write(&input, line(1)).unwrap();
    let out = picket()
        .env("XDG_STATE_HOME", dir.join("xdg"))
        .args(["replay", "--quiet", "--no-default-rules", "--rules"])
        .arg(&rule)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("daemon-test-every-line"),
        "the every-line rule raises no alert on a test line: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Prints that part of a test is skipped, visibly.
pub fn skipped(what: &str) {
    eprintln!("SKIPPED: {what}");
    println!("SKIPPED: {what}");
}

/// One line of the ack trace (`--ack-log`).
#[derive(Debug, Clone)]
pub struct Ack {
    pub ns: u128,
    pub fingerprint: String,
    pub start: u64,
    pub end: u64,
}

/// Reads an ack trace.
pub fn read_acks(path: &Path) -> Vec<Ack> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let fp = f.get(1)?.rsplit(':').next()?.to_string();
            Some(Ack {
                ns: f.first()?.parse().ok()?,
                fingerprint: fp,
                start: f.get(2)?.parse().ok()?,
                end: f.get(3)?.parse().ok()?,
            })
        })
        .collect()
}

/// The content of every file in `dir`, by the fingerprint picket gives it.
pub fn contents_by_fingerprint(dir: &Path) -> std::collections::HashMap<String, Vec<u8>> {
    let mut m = std::collections::HashMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let data = std::fs::read(e.path()).unwrap();
        let end = data
            .iter()
            .position(|b| *b == b'\n')
            .map_or(data.len(), |p| p + 1);
        let prefix = &data[..end.min(256)];
        let fp = picket::source::fingerprint::Fingerprint::of_prefix(prefix).to_string();
        m.insert(fp, data);
    }
    m
}

/// Sequence numbers of the lines in `data[start..end]`.
pub fn seqs_in(data: &[u8], start: u64, end: u64) -> Vec<u64> {
    let s = (start as usize).min(data.len());
    let e = (end as usize).min(data.len());
    String::from_utf8_lossy(&data[s..e])
        .lines()
        .filter_map(seq_of)
        .collect()
}

/// A fresh directory under the system temp dir, kept for inspection when
/// `PICKET_TEST_KEEP` is set.
pub fn tempdir() -> tempfile::TempDir {
    let keep = std::env::var_os("PICKET_TEST_KEEP").is_some();
    let d = tempfile::Builder::new()
        .prefix("picket-daemon-")
        .disable_cleanup(keep)
        .tempdir()
        .unwrap();
    if keep {
        eprintln!("test directory kept: {}", d.path().display());
    }
    d
}

/// Path helper.
pub fn p(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
