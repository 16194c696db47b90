//! Detector state snapshots per partition, so a partition's new owner
//! resumes with the baselines its last owner learned.
//!
//! Every partition's pipeline keeps its baselines in its own directory,
//! `state.dir/kafka/<group>/<topic>-<partition>/baselines.json` (the
//! pipeline's usual `baselines.json`, saved periodically and when the
//! partition is revoked). With a state topic, that file is also published
//! to the topic under the key `<group>/<topic>/<partition>` (the topic
//! should be compacted: only the latest snapshot of each key matters), and
//! fetched from it when the partition is assigned, replacing the local
//! copy: the topic is the truth, shared by every instance.

use super::client::client_config;
use crate::detect::correlation::BASELINE_FILE;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long fetching or publishing snapshots may take: a revoke waits for
/// it, so it is kept well under librdkafka's rebalance timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A snapshot store failure (reported; the partition then starts from what
/// the local directory holds, or afresh).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The state topic could not be read or written.
    #[error("state topic {topic}: {message}")]
    Topic {
        /// The topic.
        topic: String,
        /// What failed.
        message: String,
    },
    /// The local snapshot file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The shared state topic, when configured.
struct StateTopic {
    topic: String,
    config: ClientConfig,
    producer: BaseProducer,
}

/// Where snapshots of one consumer group's partitions live.
pub struct SnapshotStore {
    dir: PathBuf,
    group: String,
    topic: Option<StateTopic>,
    /// What was last published per partition directory, to skip repeats.
    published: HashMap<PathBuf, Vec<u8>>,
}

impl std::fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotStore")
            .field("dir", &self.dir)
            .field("topic", &self.topic.as_ref().map(|t| &t.topic))
            .finish_non_exhaustive()
    }
}

/// A name safe as a path component (topic names are `[a-zA-Z0-9._-]`, but
/// a group id may be anything).
fn component(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl SnapshotStore {
    /// Snapshots under `state_dir/kafka/<group>/`, and on `topic` when
    /// given (reached with `brokers` and the pass-through `extra`).
    pub fn new(
        state_dir: &Path,
        group: &str,
        topic: Option<&str>,
        brokers: &str,
        extra: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let topic = match topic {
            None => None,
            Some(t) => {
                let config = client_config(brokers, extra)?;
                let mut pc = config.clone();
                // A typo must not create an uncompacted topic on brokers
                // that auto-create them.
                pc.set("enable.idempotence", "true")
                    .set("allow.auto.create.topics", "false")
                    .set("acks", "all")
                    .set("message.timeout.ms", TIMEOUT.as_millis().to_string());
                let producer: BaseProducer = pc
                    .create()
                    .map_err(|e| format!("state topic {t}: producer: {e}"))?;
                check_topic(&producer, t)?;
                Some(StateTopic {
                    topic: t.to_string(),
                    config,
                    producer,
                })
            }
        };
        Ok(SnapshotStore {
            dir: state_dir.join("kafka").join(component(group)),
            group: group.to_string(),
            topic,
            published: HashMap::new(),
        })
    }

    /// The directory of a partition's baselines.
    pub fn partition_dir(&self, topic: &str, partition: i32) -> PathBuf {
        self.dir.join(format!("{}-{partition}", component(topic)))
    }

    fn key(&self, topic: &str, partition: i32) -> String {
        format!("{}/{topic}/{partition}", self.group)
    }

    /// Before `partitions` start: replaces their local snapshots with the
    /// state topic's latest (or removes them when the topic has none, so a
    /// stale local copy from an earlier ownership is not resumed). Without
    /// a state topic, the local directory is the store and this does
    /// nothing.
    pub fn fetch(&mut self, partitions: &[(String, i32)]) -> Result<usize, SnapshotError> {
        let Some(st) = &self.topic else {
            return Ok(0);
        };
        let wanted: HashMap<String, (String, i32)> = partitions
            .iter()
            .map(|(t, p)| (self.key(t, *p), (t.clone(), *p)))
            .collect();
        let found = read_latest(st, &wanted)?;
        let mut n = 0;
        for (key, (t, p)) in &wanted {
            let dir = self.partition_dir(t, *p);
            let path = dir.join(BASELINE_FILE);
            let io = |source| SnapshotError::Io {
                path: crate::logging::path(&path).to_string(),
                source,
            };
            match found.get(key) {
                Some(bytes) => {
                    crate::source::checkpoint::write_atomic(&dir, &path, bytes).map_err(io)?;
                    self.published.insert(dir, bytes.clone());
                    n += 1;
                }
                None => match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(e)),
                },
            }
        }
        Ok(n)
    }

    /// Publishes a partition's local snapshot to the state topic if it
    /// changed since it was last published or fetched. Returns whether
    /// something was sent.
    pub fn publish(&mut self, topic: &str, partition: i32) -> Result<bool, SnapshotError> {
        let Some(st) = &self.topic else {
            return Ok(false);
        };
        let dir = self.partition_dir(topic, partition);
        let path = dir.join(BASELINE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(source) => {
                return Err(SnapshotError::Io {
                    path: crate::logging::path(&path).to_string(),
                    source,
                });
            }
        };
        if self.published.get(&dir) == Some(&bytes) {
            return Ok(false);
        }
        let key = self.key(topic, partition);
        let err = |message: String| SnapshotError::Topic {
            topic: st.topic.clone(),
            message,
        };
        st.producer
            .send(
                BaseRecord::<str, [u8]>::to(&st.topic)
                    .key(&key)
                    .payload(&bytes),
            )
            .map_err(|(e, _)| err(e.to_string()))?;
        // Synchronous on purpose: a revoke must not hand the partition over
        // before its snapshot is on the topic.
        st.producer.flush(TIMEOUT).map_err(|e| err(e.to_string()))?;
        self.published.insert(dir, bytes);
        Ok(true)
    }
}

/// Refuses a state topic the brokers say does not exist (a typo would
/// otherwise stall every revoke until the publish times out). Brokers that
/// cannot be reached now are only reported: the consumer waits for them
/// too.
fn check_topic(producer: &BaseProducer, topic: &str) -> Result<(), String> {
    match producer.client().fetch_metadata(Some(topic), TIMEOUT) {
        Ok(md) => {
            let ok = md
                .topics()
                .iter()
                .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "state topic {topic} does not exist (create it with cleanup.policy=compact)"
                ))
            }
        }
        Err(e) => {
            crate::warn!("kafka: state topic {topic} not checked: {e}");
            Ok(())
        }
    }
}

/// Reads the state topic from the start to its current end and returns the
/// latest value of each wanted key (a tombstone removes it).
fn read_latest(
    st: &StateTopic,
    wanted: &HashMap<String, (String, i32)>,
) -> Result<HashMap<String, Vec<u8>>, SnapshotError> {
    let err = |message: String| SnapshotError::Topic {
        topic: st.topic.clone(),
        message,
    };
    let mut c = st.config.clone();
    // Assigned, never subscribed: the group id is only for librdkafka's
    // sake; nothing is committed.
    c.set("group.id", "picket-state-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    let consumer: BaseConsumer = c.create().map_err(|e| err(e.to_string()))?;
    let md = consumer
        .fetch_metadata(Some(&st.topic), TIMEOUT)
        .map_err(|e| err(e.to_string()))?;
    let parts: Vec<i32> = md
        .topics()
        .iter()
        .filter(|t| t.name() == st.topic)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if parts.is_empty() {
        return Err(err("no such topic (create it, compacted)".into()));
    }
    let mut tpl = TopicPartitionList::new();
    let mut ends: HashMap<i32, i64> = HashMap::new();
    for p in &parts {
        let (low, high) = consumer
            .fetch_watermarks(&st.topic, *p, TIMEOUT)
            .map_err(|e| err(e.to_string()))?;
        if high > low {
            ends.insert(*p, high);
            tpl.add_partition_offset(&st.topic, *p, Offset::Beginning)
                .map_err(|e| err(e.to_string()))?;
        }
    }
    let mut found = HashMap::new();
    if ends.is_empty() {
        return Ok(found);
    }
    consumer.assign(&tpl).map_err(|e| err(e.to_string()))?;
    let deadline = Instant::now() + TIMEOUT;
    while !ends.is_empty() {
        if Instant::now() > deadline {
            return Err(err("timed out reading snapshots".into()));
        }
        let Some(r) = consumer.poll(Duration::from_millis(100)) else {
            // Compaction or transaction markers can leave the last offsets
            // without a message: the position still reaches the end.
            if let Ok(pos) = consumer.position() {
                for e in pos.elements() {
                    if let Offset::Offset(o) = e.offset()
                        && ends.get(&e.partition()).is_some_and(|end| o >= *end)
                    {
                        ends.remove(&e.partition());
                    }
                }
            }
            continue;
        };
        let m = r.map_err(|e| err(e.to_string()))?;
        if let Some(key) = m.key().and_then(|k| std::str::from_utf8(k).ok())
            && wanted.contains_key(key)
        {
            match m.payload() {
                Some(v) => found.insert(key.to_string(), v.to_vec()),
                None => found.remove(key),
            };
        }
        if ends
            .get(&m.partition())
            .is_some_and(|end| m.offset() + 1 >= *end)
        {
            ends.remove(&m.partition());
        }
    }
    Ok(found)
}
