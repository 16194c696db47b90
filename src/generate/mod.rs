//! Synthetic access logs with planted incidents and PI, and the ground truth
//! of what was planted where.
//!
//! A [`Generator`] writes nginx `combined` lines for a simulated service: a
//! CouchDB/Cloudant-style document database (`/{tenant}_{db}/{docid}`,
//! `_all_docs`, `_changes`, `_find`, views, `_session`, replication) behind
//! the same proxy as a web application (static assets, `/api/v1/…`, login,
//! search). Into that background it plants:
//!
//! - **PI** on a share `pi_rate` of lines: valid emails, phones, cards,
//!   IBANs, SSNs, Aadhaar, PAN, NINO, secrets, key-context values (dob,
//!   names, lat/lng, …) and GDPR Art. 9 words, in document ids, path
//!   segments, query values and referrers, raw, percent-encoded,
//!   double-encoded or base64url;
//! - **look-alikes** on a share `lookalike_rate`: UUIDs, hashes,
//!   Luhn-failing digit runs, versions, OIDs, timestamps, ISBNs, …;
//! - **incidents** (bulk reads, off-hours staff access, external
//!   replication, mass deletion, enumeration, failed-login bursts) and
//!   benign scenarios that resemble them.
//!
//! Each is recorded as a [`Planted`] with its line number(s), so tests can
//! measure detector recall and precision and check that rules fire where
//! they should and stay quiet where they should. The same
//! [`GeneratorConfig`] gives byte-identical output.
//!
//! ```
//! use picket::generate::{Generator, GeneratorConfig, PlantKind};
//!
//! let mut g = Generator::new(GeneratorConfig { seed: 7, pi_rate: 0.05, ..GeneratorConfig::default() });
//! let mut out = Vec::new();
//! for _ in 0..1_000 {
//!     g.write_line(&mut out);
//! }
//! assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1_000);
//! assert!(g.planted().iter().any(|p| p.kind == PlantKind::Pi));
//! ```
//!
//! # Command line
//!
//! The binary exposes this as (wired in `main`, not here):
//!
//! ```text
//! picket generate --seed 42 --size 1GiB --out FILE [--truth FILE]
//! ```
//!
//! `--size` goes through [`parse_size`]; `--out` ending in `.gz` or `.zst`
//! is compressed; `--truth` writes [`Planted`] records as JSON lines. The
//! implementation is [`generate_to_path_with_truth`].

mod config;
mod decoy;
mod incident;
mod line;
mod pi;
mod pi_values;
mod rng;
#[cfg(test)]
mod tests;
mod text;
mod traffic;
mod truth;
mod valid;
mod vocab;
mod web;
mod world;

pub use config::GeneratorConfig;
pub use truth::{
    BenignKind, Encoding, GeneratedStats, IncidentKind, PlantKind, Planted, generate_to_path,
    generate_to_path_with_truth, parse_size, write_truth,
};

use crate::event::Timestamp;
use incident::Scheduler;
use line::{DAY, LineWriter, Moment, Req, SEC};
use rng::Rand;
use std::io::{self, Write};
use traffic::Ctx;
use world::World;

/// Relative traffic per UTC hour (mean exactly 1): quiet at night, busiest
/// in the afternoon.
const DAY_CURVE: [f64; 24] = [
    0.49, 0.42, 0.36, 0.34, 0.36, 0.46, 0.64, 0.89, 1.19, 1.39, 1.49, 1.54, 1.49, 1.54, 1.59, 1.54,
    1.44, 1.34, 1.24, 1.14, 0.99, 0.84, 0.69, 0.59,
];

/// How much output [`Generator::write_bytes`] buffers between writes.
const CHUNK: usize = 128 * 1024;

/// Running totals since the generator was created.
#[derive(Clone, Copy, Default)]
struct Counts {
    lines: u64,
    bytes: u64,
    pi_lines: u64,
    decoy_lines: u64,
    incidents: u64,
}

/// Writes a deterministic stream of log lines and remembers what it planted.
pub struct Generator {
    cfg: GeneratorConfig,
    rng: Rand,
    world: World,
    req: Req,
    writer: LineWriter,
    scheduler: Scheduler,
    planted: Vec<Planted>,
    /// Event time (ns) of the next background line.
    bg_due: i64,
    /// Event time (ns) of the last line written.
    last_ns: i64,
    counts: Counts,
}

impl Generator {
    /// A generator for `cfg`; out-of-range settings are clamped.
    pub fn new(cfg: GeneratorConfig) -> Self {
        let cfg = cfg.sanitized();
        let mut rng = Rand::new(cfg.seed);
        let world = World::new(&mut rng, cfg.users, cfg.tenants);
        let start = cfg.start.0;
        let mut g = Generator {
            scheduler: Scheduler::new(start, cfg.incidents_per_day, cfg.incidents),
            cfg,
            rng,
            world,
            req: Req::new(),
            writer: LineWriter::new(),
            planted: Vec::new(),
            bg_due: start,
            last_ns: start,
            counts: Counts::default(),
        };
        g.plan();
        g
    }

    /// Appends one line (with its `\n`) to `out`.
    pub fn write_line(&mut self, out: &mut Vec<u8>) {
        let (t, script) = match self.scheduler.next_due() {
            Some((i, due)) if due <= self.bg_due => (due, Some(i)),
            _ => (self.bg_due, None),
        };
        let line = self.counts.lines + 1;
        self.req.clear();
        let mut c = Ctx {
            rng: &mut self.rng,
            world: &self.world,
            req: &mut self.req,
            m: Moment::at(t),
        };
        match script {
            Some(i) => {
                if self.scheduler.emit(i, &mut c, line, &mut self.planted) {
                    self.counts.incidents += 1;
                }
            }
            None => {
                let u = c.rng.unit();
                if u < self.cfg.pi_rate {
                    pi::plant(&mut c, line, &mut self.planted);
                    self.counts.pi_lines += 1;
                } else if u < self.cfg.pi_rate + self.cfg.lookalike_rate {
                    decoy::plant(&mut c, line, &mut self.planted);
                    self.counts.decoy_lines += 1;
                } else {
                    traffic::background(&mut c, self.cfg.couchdb_share);
                }
                let hour = (t.rem_euclid(DAY) / line::HOUR) as usize;
                let mean_ns = SEC as f64 / (self.cfg.lines_per_sec * DAY_CURVE[hour]);
                self.bg_due = t + (c.rng.exp(mean_ns) as i64).max(0);
            }
        }
        let trailing = self.rng.chance(self.cfg.trailing_share);
        let start = out.len();
        self.writer
            .write(out, &self.req, t.div_euclid(SEC), trailing);
        self.counts.bytes += (out.len() - start) as u64;
        self.counts.lines = line;
        self.last_ns = t;
        self.plan();
    }

    /// Plans scenario days up to the next line's day, so that
    /// [`next_timestamp`](Self::next_timestamp) is exact.
    fn plan(&mut self) {
        let next = self
            .scheduler
            .next_due()
            .map_or(self.bg_due, |(_, due)| due.min(self.bg_due));
        self.scheduler
            .plan_through(next, self.last_ns, &mut self.rng, &self.world);
    }

    /// Writes whole lines to `out` until at least `target_bytes` were
    /// written (the last line may go past it), buffering in 128 KiB chunks.
    pub fn write_bytes(
        &mut self,
        out: &mut impl Write,
        target_bytes: u64,
    ) -> io::Result<GeneratedStats> {
        let before = self.counts;
        let first = (target_bytes > 0).then(|| self.next_timestamp());
        let mut buf = Vec::with_capacity(CHUNK + 64 * 1024);
        while self.counts.bytes - before.bytes < target_bytes {
            self.write_line(&mut buf);
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
        out.flush()?;
        let now = self.counts;
        Ok(GeneratedStats {
            lines: now.lines - before.lines,
            bytes: now.bytes - before.bytes,
            pi_lines: now.pi_lines - before.pi_lines,
            decoy_lines: now.decoy_lines - before.decoy_lines,
            incidents: now.incidents - before.incidents,
            first,
            last: (now.lines > before.lines).then_some(Timestamp(self.last_ns)),
        })
    }

    /// Ground truth of everything planted so far, in order of first line.
    /// An incident still in progress has its lines so far.
    pub fn planted(&self) -> &[Planted] {
        &self.planted
    }

    /// Event time of the line the next [`write_line`](Self::write_line)
    /// will write (lines have whole-second timestamps; this is exact).
    pub fn next_timestamp(&self) -> Timestamp {
        let next = self
            .scheduler
            .next_due()
            .map_or(self.bg_due, |(_, due)| due.min(self.bg_due));
        Timestamp(next)
    }

    /// Number of lines written so far.
    pub fn lines_written(&self) -> u64 {
        self.counts.lines
    }
}
