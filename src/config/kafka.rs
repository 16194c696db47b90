//! Kafka settings of `picket.toml` (issue 10): the `[sources.kafka]` table
//! of a `[[sources]]` entry and the `type = "kafka"` sink.
//!
//! They are parsed in every build, so a config file means the same thing
//! whether or not picket was built with the `kafka` feature; a build
//! without it refuses to *run* them, with a clear message. Values that can
//! be checked while parsing (formats, empty lists) are checked here, so the
//! error carries the key's `FILE:LINE:COL`.

use super::{BufferConfig, ConfigError, ConfigFile, Duration, RetryConfig, SourceConfig};
use crate::parse::Format;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// A concrete input format for a Kafka topic. `auto` is refused: sniffing
/// decides per *file* from its first 64 KiB, and a topic has no first
/// bytes that stand for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicFormat(pub Format);

impl<'de> Deserialize<'de> for TopicFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "auto" {
            return Err(serde::de::Error::custom(
                "Kafka topics need an explicit format (`auto` sniffs files, not streams)",
            ));
        }
        Format::from_name(&s).map(TopicFormat).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            serde::de::Error::custom(format!(
                "unknown format `{s}`; expected one of {}",
                names.join(", ")
            ))
        })
    }
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    if v.is_empty() || v.iter().any(String::is_empty) {
        return Err(serde::de::Error::custom(
            "needs at least one topic, and no empty name",
        ));
    }
    Ok(v)
}

fn non_blank<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(s)
}

/// `[sources.kafka]`: the source consumes these topics as a member of a
/// consumer group instead of tailing files (`docs/SCALING.md`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSourceConfig {
    /// `bootstrap.servers`: `host:port` list, comma-separated.
    #[serde(deserialize_with = "non_blank")]
    pub brokers: String,
    /// Topics to consume.
    #[serde(deserialize_with = "non_empty")]
    pub topics: Vec<String>,
    /// `group.id`: every picket instance of one deployment uses the same.
    #[serde(deserialize_with = "non_blank")]
    pub group_id: String,
    /// Format of all topics; `formats` overrides it per topic.
    pub format: TopicFormat,
    /// Format per topic name, for topics whose format differs.
    #[serde(default)]
    pub formats: BTreeMap<String, TopicFormat>,
    /// Where detector state snapshots go: a compacted topic (created by the
    /// operator with `cleanup.policy=compact`). Without it, they go to
    /// `state.dir/kafka/<group>/`.
    #[serde(default)]
    pub state_topic: Option<String>,
    /// How often acknowledged offsets are committed.
    #[serde(default = "default_commit_interval")]
    pub commit_interval: Duration,
    /// How often each partition's baselines are snapshotted while it runs
    /// (state directory only; a state topic gets a snapshot when the
    /// partition is revoked and at shutdown).
    #[serde(default = "default_snapshot_interval")]
    pub snapshot_interval: Duration,
    /// On a revoke or a stop: how long to wait for the sinks to make the
    /// partition's alerts durable before giving its offsets up uncommitted
    /// (the next owner then reads them again: duplicates, not losses).
    #[serde(default = "default_revoke_timeout")]
    pub revoke_timeout: Duration,
    /// Worker threads of each assigned partition's pipeline.
    #[serde(default = "default_threads")]
    pub threads_per_partition: usize,
    /// Bytes of messages gathered into one pipeline chunk at most.
    #[serde(default = "default_chunk_bytes")]
    pub chunk_bytes: super::ByteSize,
    /// Passed to librdkafka as they are: `security.protocol`,
    /// `sasl.mechanism`, `sasl.username`, `ssl.ca.location`,
    /// `session.timeout.ms`, … (librdkafka's CONFIGURATION.md). Keys picket
    /// sets itself (`group.id`, `bootstrap.servers`,
    /// `enable.auto.commit`, …) cannot be overridden here.
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
}

impl KafkaSourceConfig {
    /// The format of `topic`.
    pub fn format_of(&self, topic: &str) -> Format {
        self.formats.get(topic).unwrap_or(&self.format).0
    }
}

fn default_commit_interval() -> Duration {
    Duration(std::time::Duration::from_millis(500))
}

fn default_snapshot_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_revoke_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_threads() -> usize {
    1
}

fn default_chunk_bytes() -> super::ByteSize {
    super::ByteSize(256 * 1024)
}

/// `type = "kafka"`: alerts as JSON messages to a topic, keyed by rule id
/// and entity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// `bootstrap.servers`.
    #[serde(deserialize_with = "non_blank")]
    pub brokers: String,
    /// The alert topic.
    #[serde(deserialize_with = "non_blank")]
    pub topic: String,
    /// How long one batch may take to be acknowledged by the brokers
    /// (`acks=all`) before it is retried.
    #[serde(default = "default_sink_timeout")]
    pub timeout: Duration,
    /// Passed to librdkafka as they are (security settings, `linger.ms`,
    /// `compression.type`, …).
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_sink_timeout() -> Duration {
    Duration::from_secs(30)
}

impl ConfigFile {
    /// Every `[[sources]]` entry is a file source (`path`) or a Kafka source
    /// (`[sources.kafka]`), not both and not neither; the error points at
    /// the entry's `[[sources]]` line.
    pub(super) fn check_source_kinds(&self, text: &str, name: &str) -> Result<(), ConfigError> {
        for (i, s) in self.sources.iter().enumerate() {
            let message = match (s.path.is_empty(), s.kafka.is_some()) {
                (true, false) => {
                    "a source needs `path` (a glob of files to tail) or a [sources.kafka] table"
                }
                (false, true) => "a Kafka source has no `path`",
                _ => continue,
            };
            let line = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("[[sources]]"))
                .nth(i)
                .map_or(1, |(n, _)| n + 1);
            return Err(ConfigError {
                path: name.to_string(),
                line,
                col: 1,
                message: message.to_string(),
            });
        }
        Ok(())
    }

    /// The Kafka source and its index in `[[sources]]`, if there is one.
    /// A Kafka source runs alone: with file sources or a second Kafka source
    /// beside it, with `path`/`exclude`, or with a source-level `format`
    /// (its formats are in `[sources.kafka]`), it is refused.
    pub fn kafka_source(&self) -> Result<Option<(usize, &SourceConfig)>, String> {
        let Some((i, s)) = self
            .sources
            .iter()
            .enumerate()
            .find(|(_, s)| s.kafka.is_some())
        else {
            return Ok(None);
        };
        let name = s.name_or_default(i);
        if self.sources.len() > 1 {
            return Err(format!(
                "source `{name}`: a Kafka source must be the only [[sources]] entry (run one picket per source)"
            ));
        }
        if !s.path.is_empty() || !s.exclude.is_empty() {
            return Err(format!(
                "source `{name}`: a Kafka source has no `path` or `exclude`"
            ));
        }
        if s.format != "auto" {
            return Err(format!(
                "source `{name}`: a Kafka source takes `format` (and `formats`) in [sources.kafka]"
            ));
        }
        Ok(Some((i, s)))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigFile, SinkConfig};
    use crate::parse::Format;

    const SOURCE: &str = r#"
[[sources]]
name = "edge"
[sources.kafka]
brokers = "k1:9092,k2:9092"
topics = ["nginx", "audit"]
group_id = "picket"
format = "combined"
formats = { audit = "auditd" }
state_topic = "picket-state"
[sources.kafka.librdkafka]
"security.protocol" = "SASL_SSL"
"sasl.mechanism" = "SCRAM-SHA-512"

[[sinks]]
type = "kafka"
brokers = "k1:9092"
topic = "picket-alerts"
"#;

    #[test]
    fn kafka_source_and_sink_parse() {
        let c = ConfigFile::parse(SOURCE, "p.toml").unwrap();
        let k = c.sources[0].kafka.as_ref().unwrap();
        assert_eq!(k.topics, ["nginx", "audit"]);
        assert_eq!(k.format_of("nginx"), Format::Combined);
        assert_eq!(k.format_of("audit"), Format::Auditd);
        assert_eq!(k.librdkafka["sasl.mechanism"], "SCRAM-SHA-512");
        assert!(c.sources[0].path.is_empty());
        let SinkConfig::Kafka(s) = &c.sinks[0] else {
            panic!("not a kafka sink: {:?}", c.sinks[0]);
        };
        assert_eq!(s.topic, "picket-alerts");
        assert_eq!(c.sinks[0].label(0, &c.sinks), "kafka");
    }

    #[test]
    fn shipped_kafka_example_parses() {
        let c = ConfigFile::parse(
            include_str!("../../deploy/picket-kafka.toml"),
            "deploy/picket-kafka.toml",
        )
        .unwrap();
        let (_, s) = c.kafka_source().unwrap().unwrap();
        let k = s.kafka.as_ref().unwrap();
        assert_eq!(k.format_of("couchdb"), Format::Couchdb);
        assert_eq!(c.sinks[0].kind(), "kafka");
    }

    #[test]
    fn a_kafka_source_runs_alone() {
        let c = ConfigFile::parse(SOURCE, "p.toml").unwrap();
        assert_eq!(c.kafka_source().unwrap().unwrap().0, 0);
        assert!(
            ConfigFile::parse("", "p.toml")
                .unwrap()
                .kafka_source()
                .unwrap()
                .is_none()
        );
        for (extra, what) in [
            (
                "[[sources]]\npath = \"/var/log/x.log\"\n",
                "only [[sources]] entry",
            ),
            ("", "no `path` or `exclude`"),
            ("", "takes `format`"),
        ] {
            let mut text = SOURCE.to_string();
            if what == "no `path` or `exclude`" {
                text = text.replace("name = \"edge\"", "name = \"edge\"\nexclude = [\"*.gz\"]");
            } else if what == "takes `format`" {
                text = text.replace("name = \"edge\"", "name = \"edge\"\nformat = \"json\"");
            }
            text.push_str(extra);
            let c = ConfigFile::parse(&text, "p.toml").unwrap();
            let e = c.kafka_source().unwrap_err();
            assert!(e.contains(what), "{e}");
            assert!(e.contains("`edge`"), "{e}");
        }
    }

    #[test]
    fn a_source_is_files_or_kafka_with_location() {
        let e = ConfigFile::parse(
            "[staff]\nusers = []\n\n[[sources]]\nname = \"x\"\n",
            "p.toml",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (4, 1), "{e}");
        assert!(e.message.contains("needs `path`"), "{e}");
        let text = SOURCE.replace("name = \"edge\"", "name = \"edge\"\npath = \"/x\"");
        let e = ConfigFile::parse(&text, "p.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("no `path`"), "{e}");
    }

    #[test]
    fn bad_kafka_settings_fail_with_location() {
        for (bad, line, what) in [
            (
                "format = \"combined\"",
                "format = \"auto\"",
                "explicit format",
            ),
            (
                "format = \"combined\"",
                "format = \"nginx\"",
                "unknown format",
            ),
            (
                "topics = [\"nginx\", \"audit\"]",
                "topics = []",
                "at least one topic",
            ),
            ("group_id = \"picket\"", "group_id = \" \"", "empty"),
            ("state_topic", "stat_topic", "stat_topic"),
        ] {
            let text = SOURCE.replace(bad, line);
            let e = ConfigFile::parse(&text, "p.toml").unwrap_err();
            let want = text.lines().position(|l| l.starts_with(line)).unwrap() + 1;
            assert_eq!(e.line, want, "{e}");
            assert!(e.message.contains(what), "{e}");
            assert!(e.to_string().starts_with(&format!("p.toml:{want}:")), "{e}");
        }
    }
}
