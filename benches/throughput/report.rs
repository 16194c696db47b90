//! Rows, the tables printed from them (plain text and a markdown table for
//! `docs/PERFORMANCE.md`), and the issue 8 acceptance verdict.
//!
//! The verdict is printed, never asserted: timings on a shared machine do
//! not belong in pass/fail tests.

use std::fmt::Write as _;

/// What a row stands for, so the ratios and the verdict can find their
/// reference rows without matching on labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The practical limit: a memchr line count of the same bytes.
    Memchr,
    /// `picket replay` with the default rules and PI, default threads.
    Full,
    /// The same with `--threads 1`.
    FullOneThread,
    /// `--no-default-rules`: no rules, PI detectors still on.
    NoRules,
    /// `--no-default-rules` and `[privacy] categories = []`: parse only.
    ParseOnly,
    /// `rg -c` with the PI regex union.
    Ripgrep,
    /// GoAccess, COMBINED → JSON.
    GoAccess,
    /// A row measured inside this process (for "where time goes").
    InProcess,
}

/// One measured task. `bytes` are uncompressed bytes, also for `.gz` input,
/// so MB/s compare across the two sections.
#[derive(Clone, Debug)]
pub struct Row {
    /// Which reference this row is, for the ratios and the verdict.
    pub kind: Kind,
    /// Exactly what ran, as a user would type it (or the in-process stage).
    pub name: String,
    /// Wall seconds.
    pub wall: f64,
    /// User + system CPU seconds (of the child and its children; for an
    /// in-process row, of this process over the row).
    pub cpu: f64,
    /// Peak RSS of the child in KiB; `None` for in-process rows, where the
    /// bench's own peak would say nothing about the task.
    pub rss_kib: Option<u64>,
    /// Uncompressed bytes the row read.
    pub bytes: u64,
    /// Lines the row read (the memchr count of the same bytes for tools
    /// that do not report it).
    pub lines: u64,
    /// A sanity figure from the tool's own output (lines picket counted,
    /// alerts, rg's matching lines, GoAccess's valid requests).
    pub note: String,
}

impl Row {
    fn rate(&self) -> f64 {
        self.bytes as f64 / self.wall
    }
}

/// The rows of one input (the plain file, or its `.gz`).
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
    /// Rows that did not run, with the reason (a tool not installed, …).
    pub skipped: Vec<String>,
}

impl Section {
    fn find(&self, kind: Kind) -> Option<&Row> {
        self.rows.iter().find(|r| r.kind == kind)
    }

    fn reference(&self, kind: Kind) -> Option<f64> {
        self.find(kind).map(Row::rate)
    }

    /// The table: plain text for the terminal, or markdown to paste into
    /// `docs/PERFORMANCE.md`.
    pub fn table(&self, markdown: bool) -> String {
        let memchr = self.reference(Kind::Memchr);
        let rg = self.reference(Kind::Ripgrep);
        let ga = self.reference(Kind::GoAccess);
        let ratio = |base: Option<f64>, r: &Row| match base {
            Some(b) if b > 0.0 => format!("{:.3}", r.rate() / b),
            _ => "-".into(),
        };
        let head = [
            "task",
            "wall s",
            "CPU s",
            "MB/s",
            "MB/CPU-s",
            "lines/s",
            "peak RSS MiB",
            "×memchr",
            "×rg",
            "×GoAccess",
            "check",
        ];
        let mut out = String::new();
        if markdown {
            let _ = writeln!(out, "| {} |", head.join(" | "));
            let _ = writeln!(out, "|---|{}---|", "---:|".repeat(head.len() - 2));
        } else {
            let _ = writeln!(out, "== {} ==", self.title);
            let _ = writeln!(
                out,
                "{:<70} {:>7} {:>7} {:>8} {:>8} {:>11} {:>7} {:>8} {:>7} {:>9}  {}",
                head[0],
                head[1],
                head[2],
                head[3],
                head[4],
                head[5],
                "RSS MiB",
                head[7],
                head[8],
                head[9],
                head[10]
            );
        }
        for r in &self.rows {
            let cells = [
                format!("{:.2}", r.wall),
                format!("{:.2}", r.cpu),
                format!("{:.0}", r.rate() / 1e6),
                if r.cpu > 0.0 {
                    format!("{:.0}", r.bytes as f64 / r.cpu / 1e6)
                } else {
                    "-".into()
                },
                format!("{:.0}", r.lines as f64 / r.wall),
                r.rss_kib
                    .map_or("-".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
                ratio(memchr, r),
                ratio(rg, r),
                ratio(ga, r),
            ];
            if markdown {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    r.name.replace('|', "\\|"),
                    cells.join(" | "),
                    r.note
                );
            } else {
                let _ = writeln!(
                    out,
                    "{:<70} {:>7} {:>7} {:>8} {:>8} {:>11} {:>7} {:>8} {:>7} {:>9}  {}",
                    r.name,
                    cells[0],
                    cells[1],
                    cells[2],
                    cells[3],
                    cells[4],
                    cells[5],
                    cells[6],
                    cells[7],
                    cells[8],
                    r.note
                );
            }
        }
        for s in &self.skipped {
            let _ = writeln!(out, "SKIPPED: {s}");
        }
        out
    }

    /// The issue 8 acceptance ratios from this section's rows, by wall time
    /// as the issue asks, plus full replay / rg per CPU-second, which moves
    /// less when other jobs share the machine.
    pub fn verdict(&self) -> String {
        let mut out = format!("-- acceptance ({}; printed, not asserted) --\n", self.title);
        let Some(full) = self.find(Kind::Full) else {
            out.push_str("no full replay row: nothing to judge\n");
            return out;
        };
        let check = |out: &mut String, what: &str, got: Option<f64>, want: f64| {
            let _ = match got {
                Some(g) => writeln!(
                    out,
                    "{:<52} {:>9.3}  (≥ {want})  {}",
                    what,
                    g,
                    if g >= want { "PASS" } else { "FAIL" }
                ),
                None => writeln!(out, "{what:<52} {:>9}  (≥ {want})  n/a", "-"),
            };
        };
        let over = |kind: Kind, of: &Row| self.reference(kind).map(|b| of.rate() / b);
        check(
            &mut out,
            "full replay / rg PI regex count",
            over(Kind::Ripgrep, full),
            1.5,
        );
        check(
            &mut out,
            "full replay / GoAccess",
            over(Kind::GoAccess, full),
            50.0,
        );
        check(
            &mut out,
            "full replay / memchr line count",
            over(Kind::Memchr, full),
            0.1,
        );
        if let Some(parse) = self.find(Kind::ParseOnly) {
            check(
                &mut out,
                "parse only (no rules, PI off) / memchr line count",
                over(Kind::Memchr, parse),
                0.15,
            );
        }
        if let Some(k) = full.rss_kib {
            let mib = k as f64 / 1024.0;
            let _ = writeln!(
                out,
                "{:<52} {:>9.1}  (< 256 MiB)  {}",
                "full replay peak RSS, MiB",
                mib,
                if mib < 256.0 { "PASS" } else { "FAIL" }
            );
        }
        if let Some(rg) = self.find(Kind::Ripgrep) {
            let _ = writeln!(
                out,
                "{:<52} {:>9.3}  (CPU-time view: MB per CPU-second, full / rg)",
                "full replay / rg, per CPU-second",
                (full.bytes as f64 / full.cpu) / (rg.bytes as f64 / rg.cpu)
            );
        }
        out
    }
}
