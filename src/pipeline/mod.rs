//! The engine: one pipeline for replay and the daemon.
//!
//! ```text
//!  producer thread            worker threads (N)              collector (calling thread)
//!  ───────────────            ──────────────────              ──────────────────────────
//!  source → Chunk ──bounded──▶ frame → parse → enrich ──bounded──▶ reorder by seq → suppress
//!       ▲                      → detect → ChunkOutput              → sinks → metrics → ack
//!       └───────────── recycled buffers ◀──────────────────────────────┘
//! ```
//!
//! Chunks carry a global sequence number; the collector handles outputs in
//! that order, so results are identical for any number of workers. After
//! reordering, it feeds each chunk's correlation observations to the
//! [`CorrelationEngine`] (event-time windows; their alerts join the chunk's
//! batch) and flushes the engine at the end of the run. It
//! reports each input offset only once everything before it was delivered
//! to the sinks ([`AckListener`]): the daemon checkpoints from there. Both
//! channels are bounded, so a slow sink slows reading instead of growing
//! queues.

mod auditd;
mod collect;
mod shards;
mod stats;
mod worker;

pub use stats::{ChunkStats, ERROR_SAMPLES, ErrorSample, InputSummary, Summary};
pub use worker::{ChunkOutput, Mode, Stages, WorkerScratch, process_chunk};

use crate::alert::Suppressor;
use crate::detect::correlation::{Baselines, CorrelationEngine, CorrelationSettings};
use crate::sink::{Sink, SinkError};
use crate::source::{Chunk, FileInfo};
use crate::telemetry::Metrics;
use crossbeam_channel::{Receiver, Sender, bounded};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Told when input offsets are fully processed and delivered.
pub trait AckListener {
    /// Every line of `file` before `offset` has been processed and its
    /// alerts delivered to every sink. `last` marks the end of the input.
    fn delivered(&mut self, file: &FileInfo, offset: u64, last: bool);

    /// Like [`AckListener::delivered`], also telling the 1-based number of
    /// the line that starts at `offset`, so a reader resuming there (the
    /// daemon's checkpoints) keeps numbering lines correctly. The collector
    /// calls this one; the default forwards to `delivered`.
    fn delivered_at(&mut self, file: &FileInfo, offset: u64, next_line: u64, last: bool) {
        let _ = next_line;
        self.delivered(file, offset, last);
    }
}

impl AckListener for () {
    fn delivered(&mut self, _: &FileInfo, _: u64, _: bool) {}
}

/// Told about each chunk the collector finished (progress bars).
pub trait Observer {
    /// A chunk's results were delivered: `alerts` of them (after suppression).
    fn chunk_done(&mut self, out: &ChunkOutput, alerts: usize);
}

impl Observer for () {
    fn chunk_done(&mut self, _: &ChunkOutput, _: usize) {}
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// A sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// Writing rendered events failed.
    #[error("writing events: {0}")]
    Output(#[source] std::io::Error),
    /// A pipeline thread panicked (a bug: reported, not hidden).
    #[error("internal error: a pipeline thread panicked")]
    Panicked,
}

impl PipelineError {
    /// True when the reader of our output went away (`picket … | head`):
    /// a normal way to stop, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            PipelineError::Sink(SinkError::Io { source, .. }) => source,
            PipelineError::Output(e) => e,
            _ => return false,
        };
        io.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Hands chunks from a producer to the workers, numbering them.
#[derive(Debug)]
pub struct ChunkSender {
    tx: Sender<(Chunk, Instant)>,
    pool: Receiver<Vec<u8>>,
    /// One token per chunk allowed in flight; the collector returns it when
    /// the chunk is done.
    tokens: Receiver<()>,
    seq: u64,
    audit: auditd::AuditStage,
}

impl ChunkSender {
    fn queue(&mut self, mut chunk: Chunk) -> bool {
        // Bounds the chunks between here and delivery: without it, one
        // worker stalled on chunk k lets the others run ahead and the
        // collector hold everything after k while it waits.
        if self.tokens.recv().is_err() {
            return false;
        }
        chunk.seq = self.seq;
        self.seq += 1;
        self.tx.send((chunk, Instant::now())).is_ok()
    }

    /// Flushes auditd events still waiting for records (end of the run).
    fn finish(&mut self) {
        for chunk in self.audit.finish() {
            if !self.queue(chunk) {
                break;
            }
        }
    }
}

impl crate::source::ChunkSink for ChunkSender {
    /// A buffer to read the next chunk into (recycled when possible).
    fn buffer(&self) -> Vec<u8> {
        self.pool.try_recv().unwrap_or_default()
    }

    /// Sends a chunk; `false` when the pipeline has stopped and the
    /// producer should stop too.
    fn send(&mut self, mut chunk: Chunk) -> bool {
        self.audit.prepare(&mut chunk);
        self.queue(chunk)
    }

    fn end_of_input(&mut self, file: &Arc<FileInfo>) -> bool {
        match self.audit.end_of_input(file.id) {
            Some(chunk) => self.queue(chunk),
            None => true,
        }
    }
}

/// Builds a [`Pipeline`].
#[derive(Debug, Clone)]
pub struct PipelineBuilder {
    threads: usize,
    queue: usize,
    correlation: CorrelationSettings,
    baseline_key: Option<Vec<u8>>,
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        PipelineBuilder {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue: 16,
            correlation: CorrelationSettings::default(),
            baseline_key: None,
        }
    }
}

impl PipelineBuilder {
    /// Worker threads (at least 1).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Chunks in flight per channel (at least 1).
    pub fn queue(mut self, n: usize) -> Self {
        self.queue = n.max(1);
        self
    }

    /// Correlation lateness and memory bounds.
    pub fn correlation(mut self, settings: CorrelationSettings) -> Self {
        self.correlation = settings;
        self
    }

    /// The key for the fingerprints that name baseline entities in the
    /// state directory: the PI fingerprint key (SPEC §4).
    pub fn baseline_key(mut self, key: Vec<u8>) -> Self {
        self.baseline_key = Some(key);
        self
    }

    /// Freezes the configuration with its stages, metrics and suppression.
    pub fn build(self, mut stages: Stages, metrics: Metrics, suppressor: Suppressor) -> Pipeline {
        let correlation = self.engine(&stages);
        stages.detector.key_observations_for(&correlation);
        Pipeline {
            cfg: self,
            stages: Arc::new(stages),
            metrics,
            suppressor,
            correlation,
            persist: None,
        }
    }

    fn engine(&self, stages: &Stages) -> CorrelationEngine {
        // One shard per worker: correlation state is split by group key.
        let mut e = CorrelationEngine::with_shards(
            stages.detector.rules_arc(),
            self.correlation,
            self.threads,
        );
        if let Some(k) = &self.baseline_key {
            e.set_key(k);
        }
        e
    }
}

/// Where learned baselines are saved, and how often.
#[derive(Debug)]
struct Persist {
    dir: PathBuf,
    every: Option<Duration>,
    saved_at: Instant,
}

/// A configured engine, ready to run producers through.
#[derive(Debug)]
pub struct Pipeline {
    cfg: PipelineBuilder,
    stages: Arc<Stages>,
    metrics: Metrics,
    suppressor: Suppressor,
    correlation: CorrelationEngine,
    persist: Option<Persist>,
}

/// Where a run's results go.
pub struct Outputs<'o> {
    /// Alert sinks, delivered in order.
    pub sinks: &'o mut [Box<dyn Sink>],
    /// Rendered events (mode [`Mode::Events`]).
    pub events: Option<&'o mut dyn Write>,
    /// Delivery acknowledgements.
    pub acks: &'o mut dyn AckListener,
    /// Progress.
    pub observer: &'o mut dyn Observer,
}

impl Pipeline {
    /// The metrics the pipeline reports into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The frozen stages.
    pub fn stages(&self) -> &Stages {
        &self.stages
    }

    /// A new pipeline with this one's settings, stages and metrics but its
    /// own correlation windows, baselines and suppression, running
    /// `threads` workers: one per Kafka partition (`source::kafka`), so a
    /// partition's detector state can move with the partition.
    pub fn sibling(&self, threads: usize) -> Pipeline {
        let s = &*self.stages;
        let stages = Stages::new(s.mode, s.enricher.clone(), s.detector.clone(), s.max_line);
        let b = self.cfg.clone().threads(threads);
        b.build(stages, self.metrics.clone(), self.suppressor.fresh())
    }

    /// Replaces the stages (rules, enrichment, detectors) for the next
    /// [`Pipeline::run`], keeping metrics and suppression state: the
    /// daemon's reload between two runs.
    pub fn set_stages(&mut self, mut stages: Stages) {
        // Correlation windows refer to rules by their number in the old
        // set: a reload starts them afresh (the run that just ended has
        // flushed what was pending).
        // Baselines are keyed by rule id, not number: they carry over.
        let learned = self.correlation.baselines();
        self.correlation = self.cfg.engine(&stages);
        for note in self.correlation.restore(learned) {
            crate::warn!("reload: {note}");
        }
        stages.detector.key_observations_for(&self.correlation);
        self.stages = Arc::new(stages);
    }

    /// Loads the learned baselines from `dir` (`--state`, `state.dir`) and
    /// saves them there at the end of every run and, with `every`, that
    /// often while running. Returns what to report: how much was loaded,
    /// or why nothing was (a corrupt or unknown file is not an error: it is
    /// reported and picket learns afresh).
    pub fn use_state_dir(&mut self, dir: &Path, every: Option<Duration>) -> Vec<String> {
        let mut notes = Vec::new();
        match Baselines::load(dir) {
            Ok(None) => {}
            Ok(Some(b)) => {
                let n = b.entities();
                notes.extend(self.correlation.restore(b));
                notes.push(format!(
                    "{} baseline entities loaded from {}",
                    self.correlation.baseline_entities().min(n),
                    dir.display()
                ));
            }
            Err(e) => notes.push(e.to_string()),
        }
        self.persist = Some(Persist {
            dir: dir.to_path_buf(),
            every,
            saved_at: Instant::now(),
        });
        notes
    }

    /// The learned baselines now.
    pub fn baselines(&self) -> Baselines {
        self.correlation.baselines()
    }

    /// Whether a periodic save of the baselines is due.
    fn save_due(&self) -> bool {
        self.persist
            .as_ref()
            .is_some_and(|p| p.every.is_some_and(|e| p.saved_at.elapsed() >= e))
    }

    /// Saves baselines to the state directory, if one is set. Failures are
    /// logged, not fatal: the next save tries again.
    fn write_baselines(&mut self, b: &Baselines) {
        let Some(p) = &mut self.persist else {
            return;
        };
        p.saved_at = Instant::now();
        if let Err(e) = b.save(&p.dir) {
            crate::warn!("{e}");
        }
    }

    /// Runs `producer` (on its own thread) through the workers and delivers
    /// the results on the calling thread. Returns when the producer is done
    /// and every chunk was delivered, or on the first sink failure.
    pub fn run<P>(&mut self, producer: P, out: Outputs<'_>) -> Result<Summary, PipelineError>
    where
        P: FnOnce(&mut ChunkSender) + Send,
    {
        let started = Instant::now();
        let (chunk_tx, chunk_rx) = bounded::<(Chunk, Instant)>(self.cfg.queue);
        let (out_tx, out_rx) = bounded::<ChunkOutput>(self.cfg.queue);
        let (pool_tx, pool_rx) = bounded::<Vec<u8>>(self.cfg.queue + self.cfg.threads * 2);
        // Chunks in flight at most: both queues full plus one per worker.
        let in_flight = 2 * self.cfg.queue + 2 * self.cfg.threads;
        let (token_tx, token_rx) = bounded::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = token_tx.try_send(());
        }
        let stages_arc = self.stages.clone();
        let stages = &*stages_arc;
        // Correlation shards get their own threads when there are several.
        let shards = if self.correlation.is_active() && self.correlation.shard_count() > 1 {
            self.correlation.take_shards()
        } else {
            Vec::new()
        };
        let queue = self.cfg.queue;
        let result = std::thread::scope(|scope| {
            let mut link = shards::ShardLink::inline();
            let mut shard_handles = Vec::with_capacity(shards.len());
            if !shards.is_empty() {
                let (done_tx, done_rx) = crossbeam_channel::unbounded();
                link.rx = done_rx;
                link.stats = vec![Default::default(); shards.len()];
                for (i, shard) in shards.into_iter().enumerate() {
                    let (tx, rx) = bounded(queue);
                    link.txs.push(tx);
                    let done = done_tx.clone();
                    shard_handles.push(scope.spawn(move || shards::run_shard(i, shard, rx, done)));
                }
            }
            let producer_handle = scope.spawn(move || {
                let mut sender = ChunkSender {
                    tx: chunk_tx,
                    pool: pool_rx,
                    tokens: token_rx,
                    seq: 0,
                    audit: auditd::AuditStage::new(stages.max_line),
                };
                producer(&mut sender);
                sender.finish();
            });
            let mut workers = Vec::with_capacity(self.cfg.threads);
            for _ in 0..self.cfg.threads {
                let rx = chunk_rx.clone();
                let tx = out_tx.clone();
                workers.push(scope.spawn(move || {
                    let mut scratch = WorkerScratch::new(stages);
                    for (chunk, read_at) in rx {
                        let o = process_chunk(stages, &mut scratch, chunk, read_at);
                        if tx.send(o).is_err() {
                            break;
                        }
                    }
                }));
            }
            drop(chunk_rx);
            drop(out_tx);
            let collected = self.collect(out_rx, pool_tx, token_tx, out, link);
            let mut panicked = producer_handle.join().is_err();
            for w in workers {
                panicked |= w.join().is_err();
            }
            let mut back = Vec::with_capacity(shard_handles.len());
            for h in shard_handles {
                match h.join() {
                    Ok(shard) => back.push(shard),
                    Err(_) => panicked = true,
                }
            }
            if !back.is_empty() {
                self.correlation.put_shards(back);
            }
            match collected {
                Ok(s) if panicked => {
                    let _ = s;
                    Err(PipelineError::Panicked)
                }
                other => other,
            }
        });
        // With the shards back in the engine: the final save.
        if result.is_ok() && self.persist.is_some() {
            let b = self.correlation.baselines();
            self.write_baselines(&b);
        }
        result.map(|mut s| {
            s.elapsed_secs = started.elapsed().as_secs_f64();
            s
        })
    }
}
