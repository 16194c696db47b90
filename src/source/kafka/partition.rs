//! One assigned partition: a thread running the partition's own
//! [`Pipeline`] (its own correlation windows, baselines and suppression),
//! fed the partition's messages in offset order.
//!
//! ```text
//!  consumer thread ──Msg──▶ producer: messages → chunks ─▶ workers ─▶ collector ─▶ KafkaRefs ─▶ QueuedSink …
//!                  (bounded)   OffsetIndex (line ↔ offset) ◀───────── PartitionAcks ─▶ Progress (stamp, offset)
//! ```
//!
//! A message becomes one or more lines of a virtual input
//! (`kafka:<topic>/<partition>`); the [`OffsetIndex`] maps lines back to
//! offsets so that alerts name the Kafka offset (`log.offset`) and acks
//! become commit offsets. Like the daemon's [`crate::daemon::Ledger`],
//! every ack is stamped with the number of alert batches the sinks had been
//! handed at that moment: its offset may be committed once every sink has
//! made that many batches durable.

use super::index::OffsetIndex;
use crate::alert::{Alert, LogRef};
use crate::pipeline::{AckListener, Outputs, Pipeline, PipelineError};
use crate::sink::{QueuedSink, Sink, SinkError, SinkQueue};
use crate::source::{Chunk, ChunkSink, FileInfo};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Messages waiting per partition between the consumer and the pipeline.
const CHANNEL_MESSAGES: usize = 4096;

/// One consumed message, owned.
#[derive(Debug)]
pub struct Msg {
    /// Its offset.
    pub offset: i64,
    /// Its value (empty for a tombstone).
    pub payload: Vec<u8>,
}

/// Batches handed to the sinks so far (the most any sink was given).
pub fn enqueued(queues: &[Arc<SinkQueue>]) -> u64 {
    queues.iter().map(|q| q.enqueued()).max().unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Acknowledged commit offsets of a partition, waiting for their alerts to
/// become durable.
#[derive(Debug, Default)]
pub struct Progress {
    pending: Mutex<VecDeque<(u64, i64)>>,
}

impl Progress {
    /// Offsets before `offset` are done once batch `stamp` is durable.
    pub fn record(&self, stamp: u64, offset: i64) {
        let mut p = lock(&self.pending);
        match p.back_mut() {
            Some(last) if last.0 == stamp => last.1 = last.1.max(offset),
            _ => p.push_back((stamp, offset)),
        }
    }

    /// The highest offset whose batches are all durable (`stamp <=
    /// durable`), removing what it covers.
    pub fn take_durable(&self, durable: u64) -> Option<i64> {
        let mut p = lock(&self.pending);
        let mut best = None;
        while let Some(&(stamp, offset)) = p.front() {
            if stamp > durable {
                break;
            }
            best = Some(offset);
            p.pop_front();
        }
        best
    }

    /// Whether acks wait for their alerts.
    pub fn is_empty(&self) -> bool {
        lock(&self.pending).is_empty()
    }
}

/// The pipeline's acks → [`Progress`].
struct PartitionAcks {
    index: Arc<Mutex<OffsetIndex>>,
    progress: Arc<Progress>,
    queues: Vec<Arc<SinkQueue>>,
}

impl AckListener for PartitionAcks {
    fn delivered(&mut self, _: &FileInfo, _: u64, _: bool) {}

    fn delivered_at(&mut self, _: &FileInfo, _: u64, next_line: u64, _: bool) {
        let offset = lock(&self.index).commit_offset(next_line);
        if let Some(o) = offset {
            self.progress.record(enqueued(&self.queues), o);
        }
    }
}

/// A sink in front of a queued sink that rewrites alerts' `log` (and
/// `log.first`) from virtual lines to the message's Kafka offset and the
/// line within the message.
struct KafkaRefs {
    inner: QueuedSink,
    index: Arc<Mutex<OffsetIndex>>,
    batch: Vec<Alert>,
}

fn rewrite(ix: &OffsetIndex, log: &mut LogRef) {
    match ix.position(log.line) {
        Some(p) => {
            log.offset = u64::try_from(p.offset).unwrap_or(0);
            log.line = p.line;
        }
        // Older than the index reaches back (docs/SCALING.md): unknown.
        None => {
            log.offset = 0;
            log.line = 0;
        }
    }
}

impl Sink for KafkaRefs {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), SinkError> {
        self.batch.clear();
        {
            let ix = lock(&self.index);
            for a in alerts {
                let mut a = a.clone();
                rewrite(&ix, &mut a.log);
                if let Some(f) = a.first.as_mut() {
                    rewrite(&ix, f);
                }
                self.batch.push(a);
            }
        }
        self.inner.deliver(&self.batch)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush()
    }

    fn reports_deliveries(&self) -> bool {
        self.inner.reports_deliveries()
    }
}

/// How messages become chunks.
#[derive(Debug, Clone, Copy)]
pub struct ChunkLimits {
    /// Bytes gathered into one chunk at most (a message is never split).
    pub chunk_bytes: usize,
    /// Messages longer than this are one skipped, counted line.
    pub max_line: usize,
}

/// The producer of a partition's pipeline: messages → chunks of whole
/// messages, each message ending in a newline. It waits for the first
/// message of a chunk, then takes what is already queued, so a quiet
/// partition's events are not held back.
fn produce(
    s: &mut dyn ChunkSink,
    rx: &Receiver<Msg>,
    file: &Arc<FileInfo>,
    index: &Mutex<OffsetIndex>,
    limits: ChunkLimits,
) {
    let mut byte = 0u64;
    while let Ok(first) = rx.recv() {
        let mut data = s.buffer();
        data.clear();
        let mut start = (byte, lock(index).next_line());
        let mut next = Some(first);
        while let Some(m) = next.take() {
            if m.payload.len() > limits.max_line {
                if !data.is_empty() && !s.send(chunk(file, std::mem::take(&mut data), start)) {
                    return;
                }
                let line = lock(index).push(m.offset, 1);
                let len = m.payload.len() as u64;
                let mut c = chunk(file, Vec::new(), (byte, line));
                c.oversized = Some(len);
                if !s.send(c) {
                    return;
                }
                byte += len + 1;
                start = (byte, line + 1);
            } else if !m.payload.is_empty() {
                let p = &m.payload;
                let lines =
                    memchr::memchr_iter(b'\n', p).count() as u64 + u64::from(!p.ends_with(b"\n"));
                lock(index).push(m.offset, lines);
                data.extend_from_slice(p);
                if !p.ends_with(b"\n") {
                    data.push(b'\n');
                }
                byte = start.0 + data.len() as u64;
            }
            if data.len() >= limits.chunk_bytes {
                break;
            }
            next = rx.try_recv().ok();
        }
        if !data.is_empty() && !s.send(chunk(file, data, start)) {
            return;
        }
    }
}

fn chunk(file: &Arc<FileInfo>, data: Vec<u8>, (offset, line): (u64, u64)) -> Chunk {
    Chunk {
        file: file.clone(),
        seq: 0,
        data,
        start_offset: offset,
        start_line: line,
        oversized: None,
        last: false,
        audit: None,
    }
}

/// A running partition.
#[derive(Debug)]
pub struct PartitionWorker {
    tx: Option<Sender<Msg>>,
    handle: Option<JoinHandle<Result<(), PipelineError>>>,
    /// Acks waiting for durability.
    pub progress: Arc<Progress>,
    /// Messages before this offset were processed and delivered by this
    /// member before (see `Member::resume`): skipped.
    pub skip_below: i64,
    /// The highest offset whose alerts are durable (commit candidate).
    pub done: Option<i64>,
    /// The offset last committed for this assignment.
    pub committed: Option<i64>,
}

impl PartitionWorker {
    /// Starts `pipeline` on a thread for the partition `file` stands for;
    /// alerts go to a [`QueuedSink`] per queue.
    pub fn start(
        mut pipeline: Pipeline,
        file: Arc<FileInfo>,
        queues: Vec<Arc<SinkQueue>>,
        limits: ChunkLimits,
    ) -> std::io::Result<Self> {
        let (tx, rx) = bounded::<Msg>(CHANNEL_MESSAGES);
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        let handle = std::thread::Builder::new()
            .name(format!("picket-{}", file.path))
            .spawn(move || {
                let index = Arc::new(Mutex::new(OffsetIndex::new()));
                let mut sinks: Vec<Box<dyn Sink>> = queues
                    .iter()
                    .map(|q| {
                        Box::new(KafkaRefs {
                            inner: QueuedSink::new(q.clone()),
                            index: index.clone(),
                            batch: Vec::new(),
                        }) as Box<dyn Sink>
                    })
                    .collect();
                let mut acks = PartitionAcks {
                    index: index.clone(),
                    progress: p,
                    queues,
                };
                pipeline
                    .run(
                        |s| produce(s, &rx, &file, &index, limits),
                        Outputs {
                            sinks: &mut sinks,
                            events: None,
                            acks: &mut acks,
                            observer: &mut (),
                        },
                    )
                    .map(|_| ())
            })?;
        Ok(PartitionWorker {
            tx: Some(tx),
            handle: Some(handle),
            progress,
            skip_below: 0,
            done: None,
            committed: None,
        })
    }

    /// Hands a message over, waiting while the pipeline is full; `false`
    /// when the pipeline has stopped (it failed: see [`Self::finish`]).
    pub fn send(&self, m: Msg) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(m).is_ok())
    }

    /// Whether the pipeline thread ended by itself (a failure).
    pub fn has_stopped(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Ends the input and waits until everything sent is processed and
    /// handed to the sinks (the pipeline also saves its baselines then).
    pub fn finish(&mut self) -> Result<(), PipelineError> {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h.join().map_err(|_| PipelineError::Panicked)?,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;
    use crate::source::FileTable;

    #[derive(Default)]
    struct Chunks(Vec<Chunk>);

    impl ChunkSink for Chunks {
        fn buffer(&self) -> Vec<u8> {
            Vec::new()
        }
        fn send(&mut self, chunk: Chunk) -> bool {
            self.0.push(chunk);
            true
        }
    }

    fn msg(offset: i64, payload: &str) -> Msg {
        Msg {
            offset,
            payload: payload.as_bytes().to_vec(),
        }
    }

    #[test]
    fn messages_become_lines_of_whole_messages_and_map_back_to_offsets() {
        let table = FileTable::new();
        let file = table.register("kafka:t/0", "k", Format::Combined, false);
        let (tx, rx) = bounded(64);
        for m in [
            msg(5, "a"),
            msg(6, "b\n"),
            msg(7, "c1\nc2"),        // two lines
            msg(8, ""),              // a tombstone: no line
            msg(9, &"x".repeat(40)), // too long: one skipped line
            msg(12, "d"),            // after a gap (compaction)
        ] {
            tx.send(m).unwrap();
        }
        drop(tx);
        let index = Mutex::new(OffsetIndex::new());
        let mut out = Chunks::default();
        let limits = ChunkLimits {
            chunk_bytes: 1 << 20,
            max_line: 32,
        };
        produce(&mut out, &rx, &file, &index, limits);
        let c = &out.0;
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0].data, b"a\nb\nc1\nc2\n");
        assert_eq!((c[0].start_offset, c[0].start_line), (0, 1));
        assert_eq!(c[0].next_line(), 5);
        assert_eq!(c[1].oversized, Some(40));
        assert_eq!((c[1].start_offset, c[1].start_line), (c[0].end_offset(), 5));
        assert_eq!(c[2].data, b"d\n");
        assert_eq!((c[2].start_offset, c[2].start_line), (c[1].end_offset(), 6));
        let ix = index.lock().unwrap();
        let pos = |l| ix.position(l).map(|p| (p.offset, p.line));
        assert_eq!(pos(1), Some((5, 1)));
        assert_eq!(pos(3), Some((7, 1)));
        assert_eq!(pos(4), Some((7, 2)));
        assert_eq!(pos(5), Some((9, 1)));
        assert_eq!(pos(6), Some((12, 1)));
        // Acks at each chunk's end commit the offset after its last message.
        assert_eq!(ix.commit_offset(c[0].next_line()), Some(8));
        assert_eq!(ix.commit_offset(c[1].next_line()), Some(10));
        assert_eq!(ix.commit_offset(c[2].next_line()), Some(13));
    }

    #[test]
    fn chunks_end_at_the_size_limit_without_splitting_messages() {
        let table = FileTable::new();
        let file = table.register("kafka:t/0", "k", Format::Combined, false);
        let (tx, rx) = bounded(64);
        for o in 0..10 {
            tx.send(msg(o, "0123456789")).unwrap();
        }
        drop(tx);
        let index = Mutex::new(OffsetIndex::new());
        let mut out = Chunks::default();
        let limits = ChunkLimits {
            chunk_bytes: 25,
            max_line: 100,
        };
        produce(&mut out, &rx, &file, &index, limits);
        let sizes: Vec<usize> = out.0.iter().map(|c| c.data.len()).collect();
        assert_eq!(sizes, [33, 33, 33, 11]);
        let lines: Vec<u64> = out.0.iter().map(|c| c.start_line).collect();
        assert_eq!(lines, [1, 4, 7, 10]);
    }

    #[test]
    fn progress_commits_only_durable_stamps() {
        let p = Progress::default();
        p.record(1, 10);
        p.record(1, 12);
        p.record(3, 20);
        p.record(5, 30);
        assert_eq!(p.take_durable(0), None);
        assert_eq!(p.take_durable(4), Some(20));
        assert!(!p.is_empty());
        assert_eq!(p.take_durable(u64::MAX), Some(30));
        assert!(p.is_empty());
    }
}
