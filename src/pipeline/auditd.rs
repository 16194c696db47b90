//! auditd in the pipeline: records of one event span lines and chunks.
//!
//! The producer side ([`AuditStage`], inside [`ChunkSender`](super::ChunkSender))
//! runs each auditd input's [`Assembler`] over every chunk **in input order**
//! before the chunk is numbered and queued. The assembler reads headers
//! only and attaches an [`AuditPlan`] to the chunk: the events it completes,
//! with copies of their records that came in earlier chunks. Workers then
//! build, enrich and detect those events in parallel ([`process_planned`]),
//! borrowing from the chunk and the plan, and the collector keeps chunk
//! order as for any format. So the events and their order do not depend on
//! chunk boundaries or the thread count.
//!
//! Events still open when an input ends (lost `EOE`) are flushed in an
//! extra, empty chunk of that input; so are those open when the run ends
//! (the daemon's stop). Acknowledged offsets do not wait for open events:
//! after a crash, up to `max_open` events waiting for more records may lose
//! the records read before the checkpoint.

use super::stats::ChunkStats;
use super::worker::{Stages, WorkerScratch, count_line, handle_event};
use crate::alert::Alert;
use crate::event::Event;
use crate::frame::Lines;
use crate::parse::Format;
use crate::parse::auditd::{Assembler, AssemblerConfig, AuditPlan, build_event};
use crate::source::{Chunk, FileId, FileInfo};
use std::collections::HashMap;
use std::sync::Arc;

/// One auditd input being read.
#[derive(Debug)]
struct Input {
    assembler: Assembler,
    file: Arc<FileInfo>,
    end_offset: u64,
    next_line: u64,
}

/// The assemblers of the auditd inputs of a run, on the producer side.
#[derive(Debug)]
pub(crate) struct AuditStage {
    cfg: AssemblerConfig,
    inputs: HashMap<FileId, Input>,
}

impl AuditStage {
    /// No inputs yet; lines longer than `max_line` are not records.
    pub(crate) fn new(max_line: usize) -> Self {
        AuditStage {
            cfg: AssemblerConfig {
                max_line,
                ..AssemblerConfig::default()
            },
            inputs: HashMap::new(),
        }
    }

    /// Attaches the plan to a chunk of an auditd input; other chunks pass.
    pub(crate) fn prepare(&mut self, chunk: &mut Chunk) {
        if chunk.file.format != Format::Auditd {
            return;
        }
        let cfg = self.cfg;
        let id = chunk.file.id;
        let input = self.inputs.entry(id).or_insert_with(|| Input {
            assembler: Assembler::new(cfg),
            file: chunk.file.clone(),
            end_offset: 0,
            next_line: 1,
        });
        input.end_offset = chunk.end_offset();
        input.next_line = chunk.next_line();
        if chunk.oversized.is_some() {
            // No records (the worker counts the line); open events wait for
            // the next chunk or the end of the input.
            return;
        }
        let mut plan =
            input
                .assembler
                .read_chunk(&chunk.data, chunk.start_line, chunk.start_offset, id);
        if chunk.last {
            plan.append(input.assembler.finish());
            self.inputs.remove(&id);
        }
        chunk.audit = Some(Box::new(plan));
    }

    /// An input ended: a chunk that flushes its open events, if any.
    pub(crate) fn end_of_input(&mut self, id: FileId) -> Option<Chunk> {
        let mut input = self.inputs.remove(&id)?;
        let plan = input.assembler.finish();
        Some(flush_chunk(&input, plan, true))
    }

    /// The run ends: chunks that flush every input's open events.
    pub(crate) fn finish(&mut self) -> Vec<Chunk> {
        let mut ids: Vec<FileId> = self.inputs.keys().copied().collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| {
                let mut input = self.inputs.remove(&id)?;
                let plan = input.assembler.finish();
                (!plan.is_empty()).then(|| flush_chunk(&input, plan, false))
            })
            .collect()
    }
}

fn flush_chunk(input: &Input, plan: AuditPlan, last: bool) -> Chunk {
    Chunk {
        file: input.file.clone(),
        seq: 0,
        data: Vec::new(),
        start_offset: input.end_offset,
        start_line: input.next_line,
        oversized: None,
        last,
        audit: Some(Box::new(plan)),
    }
}

/// The worker side: counts the chunk's lines and builds, enriches and
/// detects the events of its plan.
#[allow(clippy::too_many_arguments)] // one call site, mirrors `process_line`
pub(crate) fn process_planned(
    stages: &Stages,
    scratch: &mut WorkerScratch,
    file: &FileInfo,
    chunk: &Chunk,
    plan: &AuditPlan,
    stats: &mut ChunkStats,
    alerts: &mut Vec<Alert>,
    rendered: &mut Vec<u8>,
) {
    for line in Lines::new(&chunk.data, chunk.start_line, chunk.start_offset) {
        // Records are built from the plan, not from these lines.
        count_line(stages, file, &line, stats);
    }
    for (line, e) in &plan.errors {
        stats.error(&file.path, *line, e.column, e.reason);
    }
    for i in 0..plan.events.len() {
        let mut records = plan.event(&chunk.data, i).peekable();
        let Some(&(_, origin)) = records.peek() else {
            continue;
        };
        let mut ev = Event::new(Format::Auditd, origin);
        match build_event(records, &mut ev) {
            Ok(()) => handle_event(stages, scratch, file, ev, stats, alerts, rendered),
            Err(e) => stats.error(&file.path, origin.line, e.column, e.reason),
        }
    }
}
