//! From pipeline acknowledgements to checkpoints.
//!
//! The collector acknowledges an input offset once every line before it
//! was processed and its alerts handed to every sink ([`AckTracker`]). A
//! queued sink may still hold those alerts in memory, so the ack waits in
//! the [`Ledger`], stamped with how many alert batches had been handed over
//! at that moment. It is committed to the checkpoints once every sink has
//! made that many batches durable (delivered or spooled). Acks stamped
//! with the same batch count are merged per input, which bounds the ledger
//! by the batches in flight.

use crate::pipeline::AckListener;
use crate::sink::SinkQueue;
use crate::source::tail::Registry;
use crate::source::{FileId, FileInfo};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Highest batch number durable in every sink (all of them without sinks).
pub fn durable(queues: &[Arc<SinkQueue>]) -> u64 {
    queues.iter().map(|q| q.durable()).min().unwrap_or(u64::MAX)
}

/// Batches handed over (the highest count: an ack must wait for the sink
/// that was given the most).
fn enqueued(queues: &[Arc<SinkQueue>]) -> u64 {
    queues.iter().map(|q| q.enqueued()).max().unwrap_or(0)
}

#[derive(Debug)]
struct Pending {
    seq: u64,
    acks: HashMap<FileId, (u64, u64)>,
}

/// Acknowledged offsets waiting for their alerts to become durable.
#[derive(Debug, Default)]
pub struct Ledger {
    pending: Mutex<VecDeque<Pending>>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Input `file` is done up to `offset` (line `line` starts there) once
    /// batch `seq` is durable.
    pub fn record(&self, seq: u64, file: FileId, offset: u64, line: u64) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match p.back_mut() {
            Some(last) if last.seq == seq => {
                let e = last.acks.entry(file).or_insert((offset, line));
                if offset >= e.0 {
                    *e = (offset, line);
                }
            }
            _ => p.push_back(Pending {
                seq,
                acks: HashMap::from([(file, (offset, line))]),
            }),
        }
    }

    /// Commits every ack whose batches are durable (`seq <= durable`) to
    /// `registry`; returns how many entries were committed.
    pub fn commit(&self, durable: u64, registry: &Registry) -> usize {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        while p.front().is_some_and(|e| e.seq <= durable) {
            if let Some(e) = p.pop_front() {
                for (file, (offset, line)) in e.acks {
                    registry.commit(file, offset, line);
                }
                n += 1;
            }
        }
        n
    }

    /// Entries waiting.
    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The daemon's [`AckListener`]: stamps acks with the sinks' batch count.
pub struct AckTracker {
    ledger: Arc<Ledger>,
    queues: Vec<Arc<SinkQueue>>,
    registry: Arc<Registry>,
    trace: Option<File>,
    /// Last acked offset per input (where the next acked range starts).
    last: HashMap<FileId, u64>,
}

impl std::fmt::Debug for AckTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckTracker").finish_non_exhaustive()
    }
}

impl AckTracker {
    /// A tracker feeding `ledger`. With `trace`, every ack is also appended
    /// to that file as `unix_ns TAB dev:ino:fingerprint TAB start TAB end
    /// TAB next_line TAB path`: the bytes `start..end` of that file were
    /// processed and their alerts handed to the sinks (a debugging and test
    /// aid: positions only, no content).
    pub fn new(
        ledger: Arc<Ledger>,
        queues: Vec<Arc<SinkQueue>>,
        registry: Arc<Registry>,
        trace: Option<&Path>,
    ) -> std::io::Result<Self> {
        let trace = match trace {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            None => None,
        };
        Ok(AckTracker {
            ledger,
            queues,
            registry,
            trace,
            last: HashMap::new(),
        })
    }
}

impl AckListener for AckTracker {
    fn delivered(&mut self, file: &FileInfo, offset: u64, last: bool) {
        // Without a line number the position cannot be resumed exactly;
        // `delivered_at` is what the collector calls.
        let _ = (file, offset, last);
    }

    fn delivered_at(&mut self, file: &FileInfo, offset: u64, next_line: u64, _last: bool) {
        if let Some(t) = self.trace.as_mut() {
            let input = self.registry.input(file.id);
            let start = self
                .last
                .get(&file.id)
                .copied()
                .or(input.map(|(_, s)| s))
                .unwrap_or(0);
            self.last.insert(file.id, offset);
            let ns = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let ident = input.map_or_else(
                || "-".to_string(),
                |(i, _)| format!("{}:{}:{}", i.key.dev, i.key.ino, i.fp),
            );
            // Unbuffered, and before the ledger: a checkpoint never covers
            // an ack the trace lacks, even across kill -9.
            let _ = writeln!(
                t,
                "{ns}\t{ident}\t{start}\t{offset}\t{next_line}\t{}",
                file.path
            );
        }
        self.ledger
            .record(enqueued(&self.queues), file.id, offset, next_line);
    }
}

/// When the next checkpoint write is due (injected time).
#[derive(Debug, Clone)]
pub struct CheckpointTimer {
    interval: Duration,
    last: Option<Instant>,
}

impl CheckpointTimer {
    /// Writes at most every `interval`.
    pub fn new(interval: Duration) -> Self {
        CheckpointTimer {
            interval,
            last: None,
        }
    }

    /// Whether a write is due at `now`; if so, `now` becomes the last write.
    pub fn due(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < self.interval)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::source::checkpoint::{Checkpoints, FileIdentity, Position};
    use crate::source::fingerprint::{FileKey, Fingerprint};

    #[test]
    fn acks_commit_only_once_their_batches_are_durable() {
        let registry = Registry::new(Checkpoints::new());
        let id = FileIdentity {
            key: FileKey { dev: 1, ino: 2 },
            fp: Fingerprint { hash: 3, len: 4 },
        };
        let pos = Position {
            offset: 0,
            line: 1,
            path: "a".into(),
            source: "s".into(),
            closed_at: None,
            head: None,
        };
        registry.open(FileId(0), id, pos, false);
        let l = Ledger::new();
        l.record(1, FileId(0), 100, 5);
        l.record(1, FileId(0), 200, 9); // merged
        l.record(2, FileId(0), 300, 12);
        assert_eq!(l.len(), 2);
        assert_eq!(l.commit(0, &registry), 0);
        assert_eq!(registry.snapshot()[0].1.offset, 0);
        assert_eq!(l.commit(1, &registry), 1);
        assert_eq!(
            (
                registry.snapshot()[0].1.offset,
                registry.snapshot()[0].1.line
            ),
            (200, 9)
        );
        assert_eq!(l.commit(u64::MAX, &registry), 1);
        assert_eq!(registry.snapshot()[0].1.offset, 300);
        assert!(l.is_empty());
    }

    #[test]
    fn checkpoint_timer_follows_a_fake_clock() {
        let c = FakeClock::new();
        let mut t = CheckpointTimer::new(Duration::from_secs(1));
        assert!(t.due(c.now()), "first write at once");
        c.advance(Duration::from_millis(999));
        assert!(!t.due(c.now()));
        c.advance(Duration::from_millis(1));
        assert!(t.due(c.now()));
        assert!(!t.due(c.now()));
    }
}
