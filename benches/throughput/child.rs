//! Subprocess rows: the real `picket` binary, `rg` and GoAccess, each timed
//! from outside with its own peak RSS and CPU time.
//!
//! `getrusage(RUSAGE_CHILDREN)` reports the largest peak RSS over *all*
//! waited-for children of a process, and their summed CPU time. Asked in the
//! bench itself, the peak of an earlier, bigger row (GoAccess holds its whole
//! report in memory) would hide a later one. So the bench runs every command
//! through a copy of itself started with [`WRAP_ENV`] set: that process runs
//! the one command, waits for it, and writes its own `RUSAGE_CHILDREN` (the
//! command and, for a shell pipeline, the processes in it) to the named
//! file. nix's `getrusage` is the safe wrapper; the crate forbids `unsafe`.

use crate::report::{Kind, Row};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Set (to the file for the figures) when this binary runs as the wrapper.
pub const WRAP_ENV: &str = "PICKET_BENCH_WRAP_OUT";

/// The PI regex union a grep user would run: emails, cards, SSNs, IBANs,
/// phones.
pub const PI_REGEX: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:\d[ -]?){13,19}\b|\b\d{3}-\d{2}-\d{4}\b|\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b|\+\d{7,15}";

/// Wrapper mode: runs `PROGRAM ARGS…` (this process's arguments), waits,
/// writes `max_rss_kib user_s sys_s` to `out`, and exits with the
/// command's status.
pub fn wrapper_main(out: &OsStr) -> ! {
    let mut args = std::env::args_os().skip(1);
    let Some(prog) = args.next() else {
        eprintln!("{WRAP_ENV} is set but no command was given");
        std::process::exit(2);
    };
    let status = match Command::new(&prog).args(args).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", prog.to_string_lossy());
            std::process::exit(127);
        }
    };
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage(RUSAGE_CHILDREN)");
    let secs = |t: TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    let figures = format!(
        "{} {} {}\n",
        u.max_rss(),
        secs(u.user_time()),
        secs(u.system_time())
    );
    std::fs::write(out, figures).expect("write the wrapper's figures");
    std::process::exit(status.code().unwrap_or(128));
}

/// What one run of a command cost.
pub struct Measured {
    /// Wall seconds, spawn to exit.
    pub wall: f64,
    /// User + system CPU seconds of the command and its children.
    pub cpu: f64,
    /// Peak RSS of the command (its largest process), KiB.
    pub rss_kib: u64,
    /// What the command printed.
    pub stdout: Vec<u8>,
}

/// Runs `prog args` through the wrapper with stdin from `/dev/null`.
pub fn measure(prog: &OsStr, args: &[OsString], work: &Path) -> Result<Measured, String> {
    let figures = work.join("rusage.txt");
    let _ = std::fs::remove_file(&figures);
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let t = Instant::now();
    let out = Command::new(exe)
        .env(WRAP_ENV, &figures)
        .arg(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("spawn: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        return Err(format!(
            "{} exited with {}: {}",
            prog.to_string_lossy(),
            out.status,
            tail.join(" / ")
        ));
    }
    let text = std::fs::read_to_string(&figures).map_err(|e| format!("wrapper figures: {e}"))?;
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [rss, user, sys] = f[..] else {
        return Err(format!("wrapper figures: {text:?}"));
    };
    Ok(Measured {
        wall,
        cpu: user + sys,
        rss_kib: rss as u64,
        stdout: out.stdout,
    })
}

/// True when `cmd --version` runs and succeeds.
pub fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// How to read a tool's own sanity figure off a finished run.
#[derive(Clone, Copy)]
pub enum Check {
    /// `picket_lines_total` and `picket_alerts_total` from `--metrics-out`.
    PicketMetrics,
    /// `rg -c` prints the number of matching lines.
    RgCount,
    /// `valid_requests` in GoAccess's JSON report.
    GoAccessJson,
}

/// One subprocess row: the command and how to label and check it.
pub struct Spec {
    /// Which reference row this is.
    pub kind: Kind,
    /// The label: what runs, as a user would type it.
    pub name: String,
    /// The program and its arguments.
    pub program: OsString,
    pub args: Vec<OsString>,
    /// How to read the tool's own sanity figure.
    pub check: Check,
}

impl Spec {
    /// Runs the row once.
    pub fn run(&self, work: &Path, bytes: u64, lines: u64) -> Result<Row, String> {
        // No stale report from an earlier row may pass for this one's.
        for f in ["metrics.prom", "goaccess.json"] {
            let _ = std::fs::remove_file(work.join(f));
        }
        let m = measure(&self.program, &self.args, work)?;
        Ok(Row {
            kind: self.kind,
            name: self.name.clone(),
            wall: m.wall,
            cpu: m.cpu,
            rss_kib: Some(m.rss_kib),
            bytes,
            lines,
            note: self.note(&m, work),
        })
    }

    fn note(&self, m: &Measured, work: &Path) -> String {
        match self.check {
            Check::PicketMetrics => {
                let text = std::fs::read_to_string(work.join("metrics.prom")).unwrap_or_default();
                format!(
                    "{} lines, {} alerts",
                    metric_sum(&text, "picket_lines_total"),
                    metric_sum(&text, "picket_alerts_total")
                )
            }
            Check::RgCount => format!(
                "{} matching lines",
                String::from_utf8_lossy(&m.stdout).trim()
            ),
            Check::GoAccessJson => {
                let text = std::fs::read_to_string(work.join("goaccess.json")).unwrap_or_default();
                let key = "\"valid_requests\":";
                let n = text.find(key).map_or("?".into(), |i| {
                    text.get(i + key.len()..)
                        .unwrap_or_default()
                        .trim_start()
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                });
                format!("{n} valid requests")
            }
        }
    }
}

/// Sum of every series of a metric in a Prometheus text exposition.
fn metric_sum(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The subprocess rows for one input file, in the order they run.
/// `gz` says whether `input` is the `.gz` (rg then needs `-z`, GoAccess a
/// `gzip -dc` pipe, since it cannot read gzip itself).
pub struct Plan<'a> {
    /// The `picket` binary under test.
    pub picket: &'a Path,
    /// The generated file or its `.gz`.
    pub input: &'a Path,
    /// Scratch directory for reports, configs and the wrapper's figures.
    pub work: &'a Path,
    /// Worker threads of the default `picket replay` (one per core).
    pub threads: usize,
    pub gz: bool,
}

impl Plan<'_> {
    /// The `picket replay` rows. Every one also gets
    /// `-q --alerts /dev/null --metrics-out WORK/metrics.prom`.
    pub fn picket_rows(&self) -> Vec<Spec> {
        let pi_off = self.work.join("pi-off.toml");
        std::fs::write(&pi_off, "[privacy]\ncategories = []\n").expect("write pi-off.toml");
        let t = self.threads;
        let rows: [(Kind, String, Vec<OsString>); 4] = [
            (
                Kind::Full,
                format!("picket replay: default rules + PI, {t} threads"),
                vec![],
            ),
            (
                Kind::FullOneThread,
                "picket replay --threads 1: default rules + PI".into(),
                vec!["--threads".into(), "1".into()],
            ),
            (
                Kind::NoRules,
                format!("picket replay --no-default-rules: PI only, {t} threads"),
                vec!["--no-default-rules".into()],
            ),
            (
                Kind::ParseOnly,
                format!("picket replay --no-default-rules, PI off: parse only, {t} threads"),
                vec![
                    "--no-default-rules".into(),
                    "--config".into(),
                    pi_off.into_os_string(),
                ],
            ),
        ];
        rows.into_iter()
            .map(|(kind, name, extra)| {
                let mut args: Vec<OsString> = ["replay", "-q", "--alerts", "/dev/null"]
                    .map(OsString::from)
                    .to_vec();
                args.push("--metrics-out".into());
                args.push(self.work.join("metrics.prom").into_os_string());
                args.extend(extra);
                args.push(self.input.into());
                Spec {
                    kind,
                    name: self.label(&name),
                    program: self.picket.into(),
                    args,
                    check: Check::PicketMetrics,
                }
            })
            .collect()
    }

    /// `rg -c --no-mmap PI_REGEX FILE`: `--no-mmap` so that the page cache
    /// of a mapped file does not count as rg's RSS. rg searches one file on
    /// one thread.
    pub fn ripgrep(&self) -> Spec {
        let mut args: Vec<OsString> = vec![];
        if self.gz {
            args.push("-z".into());
        }
        args.extend(["-c", "--no-mmap", PI_REGEX].map(OsString::from));
        args.push(self.input.into());
        let z = if self.gz { " -z" } else { "" };
        Spec {
            kind: Kind::Ripgrep,
            name: self.label(&format!("rg{z} -c --no-mmap PI-regex-union (1 thread)")),
            program: "rg".into(),
            args,
            check: Check::RgCount,
        }
    }

    /// `goaccess FILE --log-format=COMBINED --no-progress -o report.json`
    /// (GoAccess 1.7 parses on one thread); for a `.gz`, fed by
    /// `gzip -dc` through `sh -c`.
    pub fn goaccess(&self) -> Spec {
        let report = self.work.join("goaccess.json");
        let (program, args, name): (OsString, Vec<OsString>, &str) = if self.gz {
            (
                "sh".into(),
                vec![
                    "-c".into(),
                    "gzip -dc -- \"$1\" | goaccess - --log-format=COMBINED --no-progress -o \"$2\""
                        .into(),
                    "sh".into(),
                    self.input.into(),
                    report.into_os_string(),
                ],
                "gzip -dc | goaccess - --log-format=COMBINED -o json",
            )
        } else {
            (
                "goaccess".into(),
                vec![
                    self.input.into(),
                    "--log-format=COMBINED".into(),
                    "--no-progress".into(),
                    "-o".into(),
                    report.into_os_string(),
                ],
                "goaccess --log-format=COMBINED -o json (1 thread)",
            )
        };
        Spec {
            kind: Kind::GoAccess,
            name: self.label(name),
            program,
            args,
            check: Check::GoAccessJson,
        }
    }

    fn label(&self, name: &str) -> String {
        if self.gz {
            format!("[.gz] {name}")
        } else {
            name.to_string()
        }
    }
}

/// Where the bench keeps its inputs and per-run scratch files.
pub fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}
