//! The worker stage: frame, parse, enrich and detect one chunk.
//!
//! Workers share nothing mutable: they read frozen [`Stages`] and write
//! their results into a [`ChunkOutput`] that the collector folds in, in
//! input order.

use super::stats::ChunkStats;
use crate::alert::Alert;
use crate::detect::correlation::Observations;
use crate::detect::{DetectScratch, Detector};
use crate::enrich::{EnrichScratch, Enricher};
use crate::event::{Origin, event_to_json};
use crate::frame::Lines;
use crate::parse::{Format, LineParser, Reason, parser_for};
use crate::source::{Chunk, FileInfo};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

/// What the pipeline produces per event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run detectors and produce alerts (`replay`, `run`).
    Detect,
    /// Render each normalized event as a JSON line (`parse`); PI findings
    /// are included, rules are not evaluated.
    Events,
}

/// Everything a worker needs, frozen for the run.
#[derive(Debug)]
pub struct Stages {
    /// Per-event output.
    pub mode: Mode,
    /// Config-derived fields.
    pub enricher: Enricher,
    /// PI detectors and rules.
    pub detector: Detector,
    /// Lines longer than this are counted and skipped.
    pub max_line: usize,
    parsers: HashMap<Format, Box<dyn LineParser>>,
}

impl Stages {
    /// Freezes the stages; parsers for every available format are built once.
    pub fn new(mode: Mode, enricher: Enricher, detector: Detector, max_line: usize) -> Self {
        let parsers = Format::ALL
            .iter()
            .filter_map(|f| parser_for(*f).map(|p| (*f, p)))
            .collect();
        Stages {
            mode,
            enricher,
            detector,
            max_line,
            parsers,
        }
    }
}

/// A worker's per-thread buffers.
#[derive(Debug)]
pub struct WorkerScratch {
    detect: DetectScratch,
    enrich: EnrichScratch,
}

impl WorkerScratch {
    /// Buffers for one worker thread.
    pub fn new(stages: &Stages) -> Self {
        WorkerScratch {
            detect: stages.detector.new_scratch(),
            enrich: EnrichScratch::default(),
        }
    }
}

/// The result of processing one chunk.
#[derive(Debug)]
pub struct ChunkOutput {
    /// The chunk's position in the run.
    pub seq: u64,
    /// Its input.
    pub file: Arc<FileInfo>,
    /// Offset just past the chunk: once delivered, everything before it is done.
    pub end_offset: u64,
    /// 1-based number of the line starting at `end_offset` (where a reader
    /// resuming after this chunk would start counting).
    pub next_line: u64,
    /// It was the input's last chunk.
    pub last: bool,
    /// Alerts raised, in line order.
    pub alerts: Vec<Alert>,
    /// Matches that feed correlations, in line order (the collector feeds
    /// them to the correlation engine after reordering).
    pub observations: Observations,
    /// Rendered events (mode [`Mode::Events`]).
    pub rendered: Vec<u8>,
    /// Counts.
    pub stats: ChunkStats,
    /// The chunk's buffer, returned for reuse.
    pub buffer: Vec<u8>,
    /// When the chunk entered the pipeline (for the latency histogram).
    pub read_at: Instant,
}

/// Processes one chunk.
pub fn process_chunk(
    stages: &Stages,
    scratch: &mut WorkerScratch,
    chunk: Chunk,
    read_at: Instant,
) -> ChunkOutput {
    let file = chunk.file.clone();
    let mut stats = ChunkStats::default();
    let mut alerts = Vec::new();
    let mut rendered = Vec::new();
    let end_offset = chunk.end_offset();
    let next_line = chunk.next_line();
    if let Some(len) = chunk.oversized {
        stats.lines = 1;
        stats.bytes = len + 1;
        stats.error(
            &file.path,
            chunk.start_line,
            stages.max_line + 1,
            Reason::LineTooLong,
        );
    } else if let Some(plan) = chunk.audit.as_deref() {
        // auditd: events were grouped across lines before the chunk came here.
        stats.bytes = chunk.data.len() as u64;
        super::auditd::process_planned(
            stages,
            scratch,
            &file,
            &chunk,
            plan,
            &mut stats,
            &mut alerts,
            &mut rendered,
        );
    } else {
        stats.bytes = chunk.data.len() as u64;
        match stages.parsers.get(&file.format) {
            Some(parser) => {
                for line in Lines::new(&chunk.data, chunk.start_line, chunk.start_offset) {
                    process_line(
                        stages,
                        scratch,
                        &file,
                        &**parser,
                        line,
                        &mut stats,
                        &mut alerts,
                        &mut rendered,
                    );
                }
            }
            None => {
                for line in Lines::new(&chunk.data, chunk.start_line, chunk.start_offset) {
                    stats.lines += 1;
                    stats.error(&file.path, line.number, 1, Reason::Unsupported);
                }
            }
        }
    }
    ChunkOutput {
        seq: chunk.seq,
        file,
        end_offset,
        next_line,
        last: chunk.last,
        alerts,
        observations: scratch.detect.take_observations(),
        rendered,
        stats,
        buffer: chunk.data,
        read_at,
    }
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
#[inline]
fn process_line(
    stages: &Stages,
    scratch: &mut WorkerScratch,
    file: &FileInfo,
    parser: &dyn LineParser,
    line: crate::frame::Line<'_>,
    stats: &mut ChunkStats,
    alerts: &mut Vec<Alert>,
    rendered: &mut Vec<u8>,
) {
    if !count_line(stages, file, &line, stats) {
        return;
    }
    if line.bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let origin = Origin {
        file: file.id,
        line: line.number,
        offset: line.offset,
    };
    // One line is usually one event; a CloudTrail `Records` file is many.
    let result = parser.parse_multi(line.bytes, origin, &mut |ev| {
        handle_event(stages, scratch, file, ev, stats, alerts, rendered);
    });
    if let Err(e) = result {
        stats.error(&file.path, line.number, e.column, e.reason);
    }
}

/// Counts a line; `false` (and a `line_too_long` error) when it is over
/// the configured maximum and must not be parsed.
#[inline]
pub(super) fn count_line(
    stages: &Stages,
    file: &FileInfo,
    line: &crate::frame::Line<'_>,
    stats: &mut ChunkStats,
) -> bool {
    stats.lines += 1;
    if line.bytes.len() > stages.max_line {
        stats.error(
            &file.path,
            line.number,
            stages.max_line + 1,
            Reason::LineTooLong,
        );
        return false;
    }
    true
}

/// Enriches one parsed event, then detects (or renders) it and counts it.
#[inline]
pub(super) fn handle_event(
    stages: &Stages,
    scratch: &mut WorkerScratch,
    file: &FileInfo,
    mut ev: crate::event::Event<'_>,
    stats: &mut ChunkStats,
    alerts: &mut Vec<Alert>,
    rendered: &mut Vec<u8>,
) {
    stats.events += 1;
    stages.enricher.enrich(&mut ev, &mut scratch.enrich);
    match stages.mode {
        Mode::Detect => stages
            .detector
            .detect(&mut ev, &mut scratch.detect, file, alerts),
        Mode::Events => {
            stages.detector.scan_pi(&mut ev, &mut scratch.detect);
            let obj = event_to_json(&ev, &file.path);
            if serde_json::to_writer(&mut *rendered, &obj).is_ok() {
                let _ = rendered.write_all(b"\n");
            }
        }
    }
    for f in &ev.pi {
        *stats.pi.entry((f.category, f.field)).or_default() += 1;
    }
}
