//! Correlation shards on their own threads.
//!
//! The collector routes each chunk's observations
//! ([`CorrelationEngine::route`](crate::detect::correlation::CorrelationEngine::route))
//! and sends every shard its part, even an empty one, so each shard answers
//! each chunk once and in order. The collector keeps the chunk until all
//! shards have answered, merges their alerts into the single-shard order,
//! then delivers and acknowledges it as before. Shard inputs are bounded
//! (a slow shard slows the collector, and so reading); answers are not, so
//! the collector never blocks a shard that is waiting to answer.

use crate::detect::correlation::{LearnedPart, Observations, Ordered, Routed, Shard, ShardStats};
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;

/// A chunk number for the end-of-run flush.
pub(super) const FLUSH: u64 = u64::MAX;

/// Work for a shard thread.
pub(super) enum ToShard {
    /// Take these items and process up to `up_to`.
    Work {
        chunk: u64,
        batch: Arc<Observations>,
        items: Vec<Routed>,
        up_to: i64,
    },
    /// Send the learned baselines (the collector saves them).
    Snapshot,
}

/// A shard thread's answer.
pub(super) enum FromShard {
    /// The alerts of one chunk's work, and the shard's counts.
    Done {
        shard: usize,
        chunk: u64,
        alerts: Vec<Ordered>,
        stats: ShardStats,
    },
    /// Its learned baselines.
    Learned(LearnedPart),
}

/// Runs one shard until its input closes; returns it (its state stays
/// with the pipeline for the next run).
pub(super) fn run_shard(
    index: usize,
    mut shard: Shard,
    rx: Receiver<ToShard>,
    tx: Sender<FromShard>,
) -> Shard {
    for msg in rx {
        let reply = match msg {
            ToShard::Work {
                chunk,
                batch,
                items,
                up_to,
            } => {
                let mut alerts = Vec::new();
                shard.accept(&batch, &items, up_to, &mut alerts);
                FromShard::Done {
                    shard: index,
                    chunk,
                    alerts,
                    stats: shard.take_stats(),
                }
            }
            ToShard::Snapshot => FromShard::Learned(shard.learned_part()),
        };
        if tx.send(reply).is_err() {
            break;
        }
    }
    shard
}

/// The collector's side: one input per shard and the shared answers.
pub(super) struct ShardLink {
    pub txs: Vec<Sender<ToShard>>,
    pub rx: Receiver<FromShard>,
    /// What each shard last reported (counts accumulate until published).
    pub stats: Vec<ShardStats>,
}

impl ShardLink {
    /// No shard threads: the engine runs inline.
    pub fn inline() -> Self {
        ShardLink {
            txs: Vec::new(),
            rx: crossbeam_channel::never(),
            stats: Vec::new(),
        }
    }

    /// Whether shards run on threads.
    pub fn threaded(&self) -> bool {
        !self.txs.is_empty()
    }

    /// Records a shard's stats: counts add up, sizes are replaced.
    pub fn record(&mut self, shard: usize, stats: ShardStats) {
        if let Some(s) = self.stats.get_mut(shard) {
            s.absorb(stats);
        }
    }
}
