//! The Kafka source (issue 10; `docs/SCALING.md`): picket as one member of
//! a consumer group, each instance owning some partitions, with no
//! clustering of its own.
//!
//! ```text
//!  KafkaSource::run (calling thread)            one thread per assigned partition
//!  ─────────────────────────────────            ─────────────────────────────────
//!  poll ─▶ message ─▶ PartitionWorker ──Msg──▶  its own Pipeline (windows, baselines,
//!   │  rebalance callbacks (same thread)          suppression) ─▶ sinks ─▶ Progress
//!   │   revoke: finish, wait durable, commit,  ◀──────────── (stamp, offset) ┘
//!   │           snapshot                        SnapshotStore: state.dir/kafka/<group>/…
//!   │   assign: fetch snapshot, start             (+ compacted state topic)
//!   └─ every commit_interval: commit offsets whose alerts are durable
//! ```
//!
//! **Offsets** are committed only when every alert raised by the messages
//! before them is durable in every sink, by the daemon's rule: each
//! pipeline ack is stamped with the sinks' batch count and committed once
//! every sink made that many batches durable ([`partition::Progress`]).
//! Auto-commit is off.
//!
//! **State follows partitions.** Each assigned partition runs its own
//! [`Pipeline`] (a [`Pipeline::sibling`] of the configured one), so
//! correlation windows, baselines and suppression are per partition. On a
//! revoke the partition's pipeline is drained (open windows flush, as at the
//! end of a replay), its alerts made durable, its offset committed and its
//! baselines saved (and published to the state topic). On an assign the
//! partition's snapshot is fetched and loaded before its first message.
//! Producers must key messages by the entity rules group by; see
//! `docs/SCALING.md` for what happens to rules grouped otherwise.

pub mod client;
pub mod index;
pub mod partition;
pub mod state;

pub use client::client_config;
pub use state::{SnapshotError, SnapshotStore};

use crate::config::{KafkaSourceConfig, ReadFrom};
use crate::daemon::ledger::durable;
use crate::pipeline::Pipeline;
use crate::sink::SinkQueue;
use crate::source::FileTable;
use crate::telemetry::Metrics;
use partition::{ChunkLimits, Msg, PartitionWorker, enqueued};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Why the Kafka source could not start or had to stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaSourceError {
    /// The settings were refused (by picket or librdkafka).
    #[error("kafka source {source_name}: {message}")]
    Config {
        /// The source name.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A partition's pipeline failed (a sink was aborted, a thread panicked).
    #[error("kafka source {source_name}: {message}")]
    Failed {
        /// The source name.
        source_name: String,
        /// What failed.
        message: String,
    },
}

/// What a run did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KafkaRunStats {
    /// Messages handed to partition pipelines.
    pub messages: u64,
    /// Partition assignments started (a partition assigned twice counts
    /// twice).
    pub assigned: u64,
    /// Partitions revoked (including the final stop).
    pub revoked: u64,
    /// Offset commits that succeeded.
    pub commits: u64,
}

/// The group member's state, shared by the poll loop and the rebalance
/// callbacks (which librdkafka runs inside `poll`, on the same thread).
struct Member {
    name: Arc<str>,
    cfg: KafkaSourceConfig,
    template: Pipeline,
    queues: Vec<Arc<SinkQueue>>,
    workers: BTreeMap<(String, i32), PartitionWorker>,
    snapshots: SnapshotStore,
    table: FileTable,
    failed: Option<String>,
    stats: KafkaRunStats,
    /// Final offsets of revoked partitions whose commit the group refused
    /// during the rebalance; committed as soon as it has settled.
    retry: BTreeMap<(String, i32), i64>,
    /// Stopping: assignments are no longer started.
    stopping: bool,
    /// The group has settled on an assignment (between a revoke and the
    /// next assign it has not): periodic commits wait, since a commit with
    /// the old generation makes librdkafka rejoin, and retried every
    /// interval it can keep the rebalance from ever completing.
    settled: bool,
    /// Where this member finished each partition it gave up: if one comes
    /// back to it before its last commit landed (the eager protocol revokes
    /// and reassigns everything at each rebalance, and librdkafka fetches
    /// the committed offset before `post_rebalance` can retry), messages
    /// before it were already processed and delivered, and are skipped.
    resume: BTreeMap<(String, i32), i64>,
    metrics: Metrics,
    /// Periodic commits are failing (reported once, not every interval).
    commit_failing: bool,
}

/// The consumer context: rebalances go to the [`Member`].
struct GroupContext {
    member: Mutex<Member>,
}

impl GroupContext {
    fn lock(&self) -> MutexGuard<'_, Member> {
        self.member.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientContext for GroupContext {
    /// librdkafka's statistics (every `statistics.interval.ms`, served by
    /// `poll`): the consumer lag of the partitions this member owns.
    fn stats(&self, statistics: Statistics) {
        let lag: i64 = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.iter())
            .filter(|(p, part)| **p >= 0 && part.consumer_lag >= 0)
            .map(|(_, part)| part.consumer_lag)
            .sum();
        let m = self.lock();
        m.metrics.kafka_lag.with_label_values(&[&m.name]).set(lag);
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<(String, i32)> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, c: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        match r {
            Rebalance::Revoke(tpl) => {
                // Lost (this member was too slow and the group moved on):
                // another member already owns the partitions, so committing
                // would be wrong; the work is still finished (duplicates).
                let commit = !c.assignment_lost();
                let mut m = self.lock();
                // One commit attempt here (brokers accept it from the
                // generation being revoked); if refused, it is retried once
                // the group has settled.
                m.revoke(c, &partitions(tpl), commit);
                m.settled = false;
            }
            Rebalance::Error(e) => crate::warn!("kafka: rebalance failed: {e}"),
            Rebalance::Assign(_) => {}
        }
    }

    fn post_rebalance(&self, c: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = r {
            let mut m = self.lock();
            m.settled = true;
            // First the revoked partitions' last offsets, before their new
            // owners commit anything of their own.
            m.retry_commits(c);
            if !m.stopping {
                m.assign(&partitions(tpl));
            }
        }
    }
}

impl Member {
    /// Starts the partitions not running yet, each with its snapshot.
    fn assign(&mut self, parts: &[(String, i32)]) {
        let new: Vec<(String, i32)> = parts
            .iter()
            .filter(|p| !self.workers.contains_key(*p))
            .cloned()
            .collect();
        if new.is_empty() {
            return;
        }
        match self.snapshots.fetch(&new) {
            Ok(n) if n > 0 => crate::info!("kafka: {n} partition snapshot(s) fetched"),
            Ok(_) => {}
            Err(e) => crate::warn!("kafka: {e}; partitions start from their local snapshots"),
        }
        for (topic, partition) in new {
            let mut pipeline = self.template.sibling(self.cfg.threads_per_partition.max(1));
            let dir = self.snapshots.partition_dir(&topic, partition);
            for note in pipeline.use_state_dir(&dir, Some(self.cfg.snapshot_interval.0)) {
                crate::info!("kafka {topic}/{partition}: {note}");
            }
            let file = self.table.register(
                &format!("kafka:{topic}/{partition}"),
                &self.name,
                self.cfg.format_of(&topic),
                false,
            );
            let limits = ChunkLimits {
                chunk_bytes: usize::try_from(self.cfg.chunk_bytes.0)
                    .unwrap_or(usize::MAX)
                    .max(1),
                max_line: self.template.stages().max_line,
            };
            match PartitionWorker::start(pipeline, file, self.queues.clone(), limits) {
                Ok(mut w) => {
                    let key = (topic.clone(), partition);
                    w.skip_below = self.resume.remove(&key).unwrap_or(0);
                    // A final offset of ours still waiting to be committed
                    // is this worker's to commit now: a later retry must
                    // not rewind what the worker commits meanwhile.
                    if let Some(o) = self.retry.remove(&key) {
                        w.done = Some(o);
                    }
                    crate::info!("kafka: assigned {topic}/{partition}");
                    self.stats.assigned += 1;
                    self.count_rebalance("assign");
                    self.workers.insert((topic, partition), w);
                }
                Err(e) => self.failed = Some(format!("starting {topic}/{partition}: {e}")),
            }
        }
        self.set_partitions();
    }

    fn count_rebalance(&self, kind: &str) {
        self.metrics
            .kafka_rebalances
            .with_label_values(&[&self.name, kind])
            .inc();
    }

    fn count_commit(&self, outcome: &str) {
        self.metrics
            .kafka_commits
            .with_label_values(&[&self.name, outcome])
            .inc();
    }

    fn set_partitions(&self) {
        self.metrics
            .kafka_partitions
            .with_label_values(&[&self.name])
            .set(i64::try_from(self.workers.len()).unwrap_or(i64::MAX));
    }

    /// Finishes the partitions' in-flight work, waits (up to
    /// `revoke_timeout`) for their alerts to be durable, commits their
    /// offsets (`commit`) and publishes their snapshots.
    fn revoke<C: ConsumerContext>(
        &mut self,
        c: &BaseConsumer<C>,
        parts: &[(String, i32)],
        commit: bool,
    ) {
        let mut done = Vec::new();
        for p in parts {
            let Some(mut w) = self.workers.remove(p) else {
                continue;
            };
            if let Err(e) = w.finish() {
                self.failed = Some(format!("{}/{}: {e}", p.0, p.1));
            }
            done.push((p.clone(), w));
        }
        if done.is_empty() {
            return;
        }
        // Everything the drained pipelines handed over must be durable.
        let target = enqueued(&self.queues);
        let deadline = Instant::now() + self.cfg.revoke_timeout.0;
        while durable(&self.queues) < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let now = durable(&self.queues);
        let mut last = BTreeMap::new();
        for ((topic, partition), w) in &mut done {
            self.stats.revoked += 1;
            self.count_rebalance(if commit { "revoke" } else { "lost" });
            if let Some(o) = w.progress.take_durable(now) {
                w.done = w.done.max(Some(o));
            }
            if let Some(o) = w.done {
                // Everything before `o` was delivered durably by this
                // member, whether or not its commit lands.
                self.resume.insert((topic.clone(), *partition), o);
                if w.committed != Some(o) {
                    last.insert((topic.clone(), *partition), o);
                }
            }
            if !w.progress.is_empty() {
                crate::warn!(
                    "kafka: {topic}/{partition}: alerts not durable after {}; the next owner reads the rest again",
                    self.cfg.revoke_timeout
                );
            }
        }
        if commit && !last.is_empty() {
            self.retry.extend(last);
            self.retry_commits(c);
        }
        for ((topic, partition), _) in &done {
            if let Err(e) = self.snapshots.publish(topic, *partition) {
                crate::warn!("kafka: {topic}/{partition}: snapshot not published: {e}");
            }
            crate::info!("kafka: revoked {topic}/{partition}");
        }
        self.set_partitions();
    }

    /// Commits the revoked partitions' final offsets still waiting. A group
    /// in the middle of a rebalance refuses commits (brokers that only
    /// accept them from a settled generation, and librdkafka's mock
    /// cluster): they wait in `retry` for the next assignment, which comes
    /// before the partitions' new owners can have committed anything.
    fn retry_commits<C: ConsumerContext>(&mut self, c: &BaseConsumer<C>) {
        if self.retry.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), o) in &self.retry {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*o));
        }
        match c.commit(&tpl, CommitMode::Sync) {
            Ok(()) => {
                self.stats.commits += 1;
                self.count_commit("success");
                self.retry.clear();
            }
            Err(e) => {
                self.count_commit("deferred");
                crate::debug!("kafka: commit of revoked partitions deferred: {e}");
            }
        }
    }

    /// Commits every offset whose alerts are durable and that is not
    /// committed yet. Synchronous (one round trip per `commit_interval`), so
    /// that a failed commit stays pending and is tried again.
    fn commit_durable<C: ConsumerContext>(&mut self, c: &BaseConsumer<C>) {
        let now = durable(&self.queues);
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), w) in &mut self.workers {
            if let Some(o) = w.progress.take_durable(now) {
                w.done = w.done.max(Some(o));
            }
            if let Some(o) = w.done
                && w.committed != Some(o)
            {
                let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(o));
            }
        }
        if tpl.count() == 0 {
            return;
        }
        match c.commit(&tpl, CommitMode::Sync) {
            Ok(()) => {
                self.stats.commits += 1;
                self.count_commit("success");
                self.commit_failing = false;
                for w in self.workers.values_mut() {
                    w.committed = w.done;
                }
            }
            Err(e) => {
                self.count_commit("failure");
                if !self.commit_failing {
                    crate::warn!("kafka: commit failed (tried again every interval): {e}");
                }
                self.commit_failing = true;
            }
        }
    }

    /// A partition pipeline that ended by itself failed (a sink was
    /// aborted, a thread panicked): its error becomes the member's.
    fn reap_stopped(&mut self) {
        let stopped: Vec<(String, i32)> = self
            .workers
            .iter()
            .filter(|(_, w)| w.has_stopped())
            .map(|(k, _)| k.clone())
            .collect();
        for (topic, partition) in stopped {
            if let Some(mut w) = self.workers.remove(&(topic.clone(), partition)) {
                let why = match w.finish() {
                    Err(e) => e.to_string(),
                    Ok(()) => "ended early".into(),
                };
                self.failed = Some(format!("{topic}/{partition}: pipeline stopped: {why}"));
            }
        }
        self.set_partitions();
    }

    fn publish_snapshots(&mut self) {
        let parts: Vec<(String, i32)> = self.workers.keys().cloned().collect();
        for (topic, partition) in parts {
            if let Err(e) = self.snapshots.publish(&topic, partition) {
                crate::warn!("kafka: {topic}/{partition}: snapshot not published: {e}");
            }
        }
    }

    fn dispatch(&mut self, topic: &str, partition: i32, offset: i64, payload: &[u8]) {
        let Some(w) = self.workers.get(&(topic.to_string(), partition)) else {
            // Fetched before a revoke took the partition away: its new
            // owner reads it from the committed offset.
            return;
        };
        if offset < w.skip_below {
            return;
        }
        let m = Msg {
            offset,
            payload: payload.to_vec(),
        };
        if w.send(m) {
            self.stats.messages += 1;
        } else {
            self.failed = Some(format!("{topic}/{partition}: its pipeline stopped"));
        }
    }
}

/// A consumer-group member feeding per-partition pipelines.
pub struct KafkaSource {
    consumer: BaseConsumer<GroupContext>,
    name: String,
    topics: Vec<String>,
    commit_every: Duration,
    snapshot_every: Duration,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("name", &self.name)
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl KafkaSource {
    /// A member of `cfg.group_id` for source `name`. Each assigned
    /// partition runs a sibling of `template` whose alerts go to `queues`;
    /// snapshots live under `state_dir` (and on `cfg.state_topic`).
    /// `read_from` decides where a partition without a committed offset
    /// starts.
    pub fn new(
        name: &str,
        cfg: &KafkaSourceConfig,
        read_from: ReadFrom,
        template: Pipeline,
        queues: Vec<Arc<SinkQueue>>,
        state_dir: &std::path::Path,
    ) -> Result<Self, KafkaSourceError> {
        let err = |message: String| KafkaSourceError::Config {
            source_name: name.to_string(),
            message,
        };
        let mut c = client_config(&cfg.brokers, &cfg.librdkafka).map_err(err)?;
        if !cfg.librdkafka.contains_key("partition.assignment.strategy") {
            // Incremental rebalances: a partition that keeps its owner is
            // not revoked, so its correlation windows stay open (an eager
            // rebalance drains every partition of every member).
            c.set("partition.assignment.strategy", "cooperative-sticky");
        }
        if !cfg.librdkafka.contains_key("statistics.interval.ms") {
            // The lag gauge comes from librdkafka's statistics.
            c.set("statistics.interval.ms", "5000");
        }
        c.set("group.id", &cfg.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set(
                "auto.offset.reset",
                match read_from {
                    ReadFrom::Beginning => "earliest",
                    ReadFrom::End => "latest",
                },
            );
        let snapshots = SnapshotStore::new(
            state_dir,
            &cfg.group_id,
            cfg.state_topic.as_deref(),
            &cfg.brokers,
            &cfg.librdkafka,
        )
        .map_err(err)?;
        let metrics = template.metrics().clone();
        let l = [name];
        metrics.kafka_partitions.with_label_values(&l).set(0);
        metrics.kafka_lag.with_label_values(&l).set(0);
        for kind in ["assign", "revoke", "lost"] {
            metrics.kafka_rebalances.with_label_values(&[name, kind]);
        }
        for outcome in ["success", "failure", "deferred"] {
            metrics.kafka_commits.with_label_values(&[name, outcome]);
        }
        let member = Member {
            name: name.into(),
            cfg: cfg.clone(),
            template,
            queues,
            workers: BTreeMap::new(),
            snapshots,
            table: FileTable::new(),
            failed: None,
            stats: KafkaRunStats::default(),
            retry: BTreeMap::new(),
            stopping: false,
            settled: false,
            resume: BTreeMap::new(),
            metrics,
            commit_failing: false,
        };
        let consumer = c
            .create_with_context(GroupContext {
                member: Mutex::new(member),
            })
            .map_err(|e| err(format!("librdkafka: {e}")))?;
        Ok(KafkaSource {
            consumer,
            name: name.to_string(),
            topics: cfg.topics.clone(),
            commit_every: cfg.commit_interval.0,
            snapshot_every: cfg.snapshot_interval.0,
        })
    }

    /// Joins the group and consumes until `stop` returns true; then
    /// finishes every partition like a revoke (drain, durable, commit,
    /// snapshot) and leaves the group.
    pub fn run(&self, stop: &dyn Fn() -> bool) -> Result<KafkaRunStats, KafkaSourceError> {
        let failed = |message: String| KafkaSourceError::Failed {
            source_name: self.name.clone(),
            message,
        };
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&topics)
            .map_err(|e| failed(format!("subscribe: {e}")))?;
        let ctx = self.consumer.context().clone();
        let mut committed_at = Instant::now();
        let mut published_at = Instant::now();
        let mut last_error: Option<String> = None;
        let mut failure = None;
        while !stop() {
            // Never hold the member while polling: rebalance callbacks run
            // inside `poll` and take it.
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let payload = m.payload().unwrap_or_default();
                    ctx.lock()
                        .dispatch(m.topic(), m.partition(), m.offset(), payload);
                }
                Some(Err(e)) => {
                    // Reported once per kind: a broker that is down repeats
                    // the same error until it is back.
                    let s = e.to_string();
                    if last_error.as_deref() != Some(&s) {
                        crate::warn!("kafka: {s}");
                        last_error = Some(s);
                    }
                }
                None => {}
            }
            let mut m = ctx.lock();
            if committed_at.elapsed() >= self.commit_every && m.settled {
                committed_at = Instant::now();
                m.retry_commits(&self.consumer);
                m.commit_durable(&self.consumer);
            }
            if published_at.elapsed() >= self.snapshot_every {
                published_at = Instant::now();
                m.publish_snapshots();
            }
            if m.failed.is_none() {
                m.reap_stopped();
            }
            if let Some(f) = m.failed.take() {
                failure = Some(f);
                break;
            }
        }
        let deadline = {
            let mut m = ctx.lock();
            m.stopping = true;
            let all: Vec<(String, i32)> = m.workers.keys().cloned().collect();
            m.revoke(&self.consumer, &all, failure.is_none());
            Instant::now() + m.cfg.revoke_timeout.0
        };
        // A rebalance in progress refuses the last commits until this
        // member has rejoined, which takes polling (nothing new starts:
        // `stopping`).
        let mut tried = Instant::now();
        while !ctx.lock().retry.is_empty() && Instant::now() < deadline {
            let _ = self.consumer.poll(Duration::from_millis(100));
            let mut m = ctx.lock();
            if m.settled && tried.elapsed() >= Duration::from_secs(1) {
                tried = Instant::now();
                m.retry_commits(&self.consumer);
            }
        }
        let stats = {
            let mut m = ctx.lock();
            if !m.retry.is_empty() {
                crate::warn!(
                    "kafka: the last offsets could not be committed; the next owner reads them again"
                );
            }
            if failure.is_none() {
                failure = m.failed.take();
            }
            m.stats.clone()
        };
        self.consumer.unsubscribe();
        match failure {
            Some(f) => Err(failed(f)),
            None => Ok(stats),
        }
    }
}
