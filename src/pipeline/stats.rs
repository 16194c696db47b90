//! Tallies: per-chunk counts made by workers, and the run summary the
//! collector folds them into.

use crate::alert::{Alert, Level};
use crate::parse::{Format, Reason};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many malformed-line examples a run keeps for its summary.
pub const ERROR_SAMPLES: usize = 5;

/// A malformed line, for the summary (`file:line: reason`). Holds no line
/// content: a malformed line may contain PI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorSample {
    /// Input path.
    pub path: Arc<str>,
    /// 1-based line.
    pub line: u64,
    /// 1-based column where parsing stopped.
    pub column: usize,
    /// Why.
    pub reason: Reason,
}

/// Counts for one chunk, made by the worker without touching shared state.
#[derive(Clone, Debug, Default)]
pub struct ChunkStats {
    /// Lines seen (including blank and malformed ones).
    pub lines: u64,
    /// Bytes seen.
    pub bytes: u64,
    /// Events parsed.
    pub events: u64,
    /// Malformed lines by reason.
    pub errors: BTreeMap<Reason, u64>,
    /// First few malformed lines.
    pub error_samples: Vec<ErrorSample>,
    /// PI findings by (category, field).
    pub pi: BTreeMap<(&'static str, &'static str), u64>,
}

impl ChunkStats {
    /// Records a malformed line.
    pub fn error(&mut self, path: &Arc<str>, line: u64, column: usize, reason: Reason) {
        *self.errors.entry(reason).or_default() += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(ErrorSample {
                path: path.clone(),
                line,
                column,
                reason,
            });
        }
    }
}

/// Per-input facts for the summary.
#[derive(Clone, Debug)]
pub struct InputSummary {
    /// Path.
    pub path: Arc<str>,
    /// Format it was parsed as.
    pub format: Format,
    /// Whether the format was sniffed (`auto`).
    pub sniffed: bool,
}

/// What a run did: the end-of-run summary and the test contract of replay.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Inputs in the order read.
    pub inputs: Vec<InputSummary>,
    /// Lines read.
    pub lines: u64,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Events by format.
    pub events: BTreeMap<Format, u64>,
    /// Malformed lines by (format, reason).
    pub errors: BTreeMap<(Format, Reason), u64>,
    /// First few malformed lines.
    pub error_samples: Vec<ErrorSample>,
    /// Alerts delivered by (rule id, level).
    pub alerts: BTreeMap<(String, Level), u64>,
    /// Alerts suppressed as repeats.
    pub suppressed: u64,
    /// PI findings by (category, field).
    pub pi: BTreeMap<(&'static str, &'static str), u64>,
    /// Wall time of the run in seconds.
    pub elapsed_secs: f64,
}

impl Summary {
    /// Folds a chunk's counts in.
    pub fn add_chunk(&mut self, format: Format, stats: &ChunkStats) {
        self.lines += stats.lines;
        self.bytes += stats.bytes;
        if stats.events > 0 {
            *self.events.entry(format).or_default() += stats.events;
        }
        for (r, n) in &stats.errors {
            *self.errors.entry((format, *r)).or_default() += n;
        }
        for s in &stats.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES {
                self.error_samples.push(s.clone());
            }
        }
        for (k, n) in &stats.pi {
            *self.pi.entry(*k).or_default() += n;
        }
    }

    /// Counts a delivered alert.
    pub fn add_alert(&mut self, alert: &Alert) {
        *self
            .alerts
            .entry((alert.rule.id.clone(), alert.rule.level))
            .or_default() += 1;
    }

    /// Total malformed lines.
    pub fn total_errors(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Total alerts delivered.
    pub fn total_alerts(&self) -> u64 {
        self.alerts.values().sum()
    }

    /// The human summary printed to stderr at the end of a replay.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let secs = self.elapsed_secs.max(1e-9);
        let _ = writeln!(
            s,
            "picket: {} lines, {:.1} MB in {:.2}s ({:.1} MB/s, {:.0} lines/s)",
            self.lines,
            self.bytes as f64 / 1e6,
            self.elapsed_secs,
            self.bytes as f64 / 1e6 / secs,
            self.lines as f64 / secs
        );
        for i in &self.inputs {
            let how = if i.sniffed { "detected" } else { "given" };
            let _ = writeln!(s, "  input {}: format {} ({how})", i.path, i.format);
        }
        let _ = writeln!(s, "events by format:");
        if self.events.is_empty() {
            let _ = writeln!(s, "  (none)");
        }
        for (f, n) in &self.events {
            let _ = writeln!(s, "  {:<12} {n}", f.name());
        }
        let _ = writeln!(s, "parse errors: {}", self.total_errors());
        for ((f, r), n) in &self.errors {
            let _ = writeln!(s, "  {:<12} {:<20} {n}", f.name(), r.label());
        }
        for e in &self.error_samples {
            let _ = writeln!(
                s,
                "  {}:{}:{}: {}",
                e.path,
                e.line,
                e.column,
                e.reason.text()
            );
        }
        let _ = writeln!(
            s,
            "alerts: {} ({} suppressed as repeats)",
            self.total_alerts(),
            self.suppressed
        );
        for ((rule, level), n) in &self.alerts {
            let _ = writeln!(s, "  {:<13} {rule:<40} {n}", level.name());
        }
        if !self.pi.is_empty() {
            let _ = writeln!(s, "PI findings:");
            for ((c, f), n) in &self.pi {
                let _ = writeln!(s, "  {c:<16} {f:<24} {n}");
            }
        }
        s
    }
}
