//! The daemon's sections of `picket.toml`: `[[sources]]`, `[tail]`,
//! `[state]`, `[metrics]`, `[daemon]` and `[[sinks]]` (SPEC §5).
//!
//! `picket replay` ignores all of these; every key has a default and is
//! documented in `docs/CONFIG.md`.

use super::{ByteSize, Duration};
use serde::Deserialize;
use std::path::PathBuf;

/// Where to start in a file seen for the first time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadFrom {
    /// From the first byte.
    #[default]
    Beginning,
    /// From the current end.
    End,
}

/// `[[sources]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Name used as the `source` metric label (defaults to `source-N`).
    pub name: Option<String>,
    /// Glob of files to tail; rotated names may match too. Required unless
    /// the source is a Kafka source (`[sources.kafka]`).
    #[serde(default)]
    pub path: String,
    /// Globs of files to leave alone even though `path` matches them.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Format, or `auto`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Where to start in files present when the source is first tailed.
    #[serde(default)]
    pub read_from: ReadFrom,
    /// `[sources.kafka]`: consume Kafka topics as a consumer group instead
    /// of tailing files (`path` must then be absent).
    #[serde(default)]
    pub kafka: Option<super::KafkaSourceConfig>,
}

fn default_format() -> String {
    "auto".into()
}

impl SourceConfig {
    /// The configured name, or `source-N` for the `index`-th (0-based) source.
    pub fn name_or_default(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("source-{}", index + 1))
    }
}

/// How changes in tailed files are noticed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// inotify (via `notify`) wakes the tailer early; polling still runs as
    /// a safety net, and alone when inotify is unavailable.
    #[default]
    Auto,
    /// Polling only (network and FUSE filesystems without inotify).
    Poll,
}

/// `[tail]`: how files are followed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TailConfig {
    /// Change notification: `auto` (inotify plus polling) or `poll`.
    pub watch: WatchMode,
    /// How often files are checked for new data without a notification.
    pub poll_interval: Duration,
    /// How often `[[sources]]` globs are expanded again for new files.
    pub rescan_interval: Duration,
    /// How long a rotated-away or deleted file is kept open after its last
    /// growth, for writers that have not reopened yet.
    pub rotate_wait: Duration,
    /// A file's identity includes a hash of its first line, up to this many
    /// bytes; a file is not read before its first line is complete.
    pub fingerprint_bytes: usize,
    /// Most bytes read from one file before the others get a turn.
    pub read_batch_bytes: ByteSize,
}

impl Default for TailConfig {
    fn default() -> Self {
        TailConfig {
            watch: WatchMode::Auto,
            poll_interval: Duration(std::time::Duration::from_millis(250)),
            rescan_interval: Duration::from_secs(2),
            rotate_wait: Duration::from_secs(5),
            fingerprint_bytes: 256,
            read_batch_bytes: ByteSize::mib(2),
        }
    }
}

/// `[state]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// Checkpoints, sink spools, baselines and the generated fingerprint key.
    pub dir: PathBuf,
    /// How often tailing positions are written to the checkpoint file (also
    /// on shutdown).
    pub checkpoint_interval: Duration,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: PathBuf::from("/var/lib/picket"),
            checkpoint_interval: Duration::from_secs(1),
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of `/metrics` and `/healthz`; loopback by default.
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

/// `[daemon]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// On SIGTERM/SIGINT: how long to drain and deliver before giving up on
    /// a failing sink (undelivered alerts stay in its spool or are re-read).
    pub shutdown_timeout: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// `[sinks.buffer]`: what a sink holds while its destination is slow or down.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BufferConfig {
    /// Rendered alerts held in memory.
    pub memory_max_bytes: ByteSize,
    /// Then alerts held on disk, under `state.dir/spool/<sink>/`; `0`
    /// disables the spool. When both are full, reading stops (backpressure).
    pub spool_max_bytes: ByteSize,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            memory_max_bytes: ByteSize::mib(4),
            spool_max_bytes: ByteSize::mib(256),
        }
    }
}

/// `[sinks.retry]`: exponential backoff with full jitter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// First delay.
    pub initial: Duration,
    /// Longest delay (also caps a server's `Retry-After`).
    pub max: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial: Duration(std::time::Duration::from_millis(500)),
            max: Duration::from_secs(30),
        }
    }
}

/// Settings every sink has.
pub trait SinkCommon {
    /// `name`.
    fn name(&self) -> Option<&str>;
    /// `buffer`.
    fn buffer(&self) -> &BufferConfig;
    /// `retry`.
    fn retry(&self) -> &RetryConfig;
}

macro_rules! sink_common {
    ($($t:ty),*) => {$(
        impl SinkCommon for $t {
            fn name(&self) -> Option<&str> { self.name.as_deref() }
            fn buffer(&self) -> &BufferConfig { &self.buffer }
            fn retry(&self) -> &RetryConfig { &self.retry }
        }
    )*};
}

/// `type = "stdout"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

/// `type = "file"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// The file, appended to (created if missing).
    pub path: PathBuf,
    /// Rotate when the file would grow past this size (`0`: never).
    #[serde(default)]
    pub rotate_bytes: ByteSize,
    /// Rotated files kept (`alerts.jsonl.1` … `.N`).
    #[serde(default = "default_rotate_keep")]
    pub rotate_keep: usize,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_rotate_keep() -> usize {
    5
}

/// `type = "webhook"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// The URL alerts are POSTed to, as a JSON array.
    pub url: String,
    /// Most alerts per request.
    #[serde(default = "default_batch_max")]
    pub batch_max_alerts: usize,
    /// Whole-request timeout (connect, send, response).
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_batch_max() -> usize {
    500
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

/// `type = "syslog"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// `udp://host:port` or `tcp://host:port`.
    pub address: String,
    /// Facility name (`local0` … `local7`, `auth`, `daemon`, …).
    #[serde(default = "default_facility")]
    pub facility: String,
    /// APP-NAME of the messages.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// Connect/send timeout (TCP).
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_facility() -> String {
    "local0".into()
}

fn default_app_name() -> String {
    "picket".into()
}

/// `type = "alertmanager"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSinkConfig {
    /// Name used as the `sink` metric label.
    pub name: Option<String>,
    /// Base URL of Alertmanager (`/api/v2/alerts` is appended).
    pub url: String,
    /// Most alerts per request.
    #[serde(default = "default_batch_max")]
    pub batch_max_alerts: usize,
    /// Whole-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// `endsAt` = `startsAt` + this: an alert resolves by itself after it.
    #[serde(default = "default_resolve_after")]
    pub resolve_after: Duration,
    /// Buffering.
    #[serde(default)]
    pub buffer: BufferConfig,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_resolve_after() -> Duration {
    Duration::from_secs(300)
}

sink_common!(
    StdoutSinkConfig,
    FileSinkConfig,
    WebhookSinkConfig,
    SyslogSinkConfig,
    AlertmanagerSinkConfig,
    super::KafkaSinkConfig
);

/// `[[sinks]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SinkConfig {
    /// JSON lines on standard output.
    Stdout(StdoutSinkConfig),
    /// JSON lines appended to a file.
    File(FileSinkConfig),
    /// HTTP POST of JSON batches.
    Webhook(WebhookSinkConfig),
    /// RFC 5424 syslog over UDP or TCP.
    Syslog(SyslogSinkConfig),
    /// Alertmanager v2 API.
    Alertmanager(AlertmanagerSinkConfig),
    /// JSON messages to a Kafka topic.
    Kafka(super::KafkaSinkConfig),
}

impl SinkConfig {
    /// The `type` name.
    pub fn kind(&self) -> &'static str {
        match self {
            SinkConfig::Stdout(_) => "stdout",
            SinkConfig::File(_) => "file",
            SinkConfig::Webhook(_) => "webhook",
            SinkConfig::Syslog(_) => "syslog",
            SinkConfig::Alertmanager(_) => "alertmanager",
            SinkConfig::Kafka(_) => "kafka",
        }
    }

    /// The settings every sink has.
    pub fn common(&self) -> &dyn SinkCommon {
        match self {
            SinkConfig::Stdout(c) => c,
            SinkConfig::File(c) => c,
            SinkConfig::Webhook(c) => c,
            SinkConfig::Syslog(c) => c,
            SinkConfig::Alertmanager(c) => c,
            SinkConfig::Kafka(c) => c,
        }
    }

    /// The `sink` metric label: `name`, else the type, suffixed `-N` when
    /// several sinks of one type are unnamed.
    pub fn label(&self, index: usize, all: &[SinkConfig]) -> String {
        if let Some(n) = self.common().name() {
            return n.to_string();
        }
        let same = all.iter().filter(|s| s.kind() == self.kind()).count();
        if same > 1 {
            format!("{}-{}", self.kind(), index + 1)
        } else {
            self.kind().to_string()
        }
    }
}
