//! Configuration (`picket.toml`, SPEC §5).
//!
//! Two layers: [`ConfigFile`] is the serde model of the file (every section
//! optional, every setting defaulted, unknown keys rejected with their
//! location); runtime components are built from it once (for example
//! [`crate::enrich::Enricher::from_config`]), so the hot path never re-reads
//! options.

mod daemon;
mod duration;
mod kafka;
mod size;

pub use daemon::{
    AlertmanagerSinkConfig, BufferConfig, DaemonConfig, FileSinkConfig, MetricsConfig, ReadFrom,
    RetryConfig, SinkCommon, SinkConfig, SourceConfig, StateConfig, StdoutSinkConfig,
    SyslogSinkConfig, TailConfig, WatchMode, WebhookSinkConfig,
};
pub use duration::Duration;
pub use kafka::{KafkaSinkConfig, KafkaSourceConfig, TopicFormat};
pub use size::ByteSize;

use crate::detect::correlation::CorrelationSettings;
use crate::detect::rule::RuleOptions;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A configuration error, displayed as `FILE:LINE:COL: message`.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{col}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// `[privacy]`.
    pub privacy: PrivacyConfig,
    /// `[staff]`.
    pub staff: StaffConfig,
    /// `[tenants]`.
    pub tenants: TenantsConfig,
    /// `[[sources]]` (daemon only).
    pub sources: Vec<SourceConfig>,
    /// `[tail]`: how the daemon follows files.
    pub tail: TailConfig,
    /// `[state]`.
    pub state: StateConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[[sinks]]` (daemon; replay writes to stdout or `--alerts`).
    pub sinks: Vec<SinkConfig>,
    /// `[daemon]`: process-level settings of `picket run`.
    pub daemon: DaemonConfig,
    /// `[alerts]`: suppression of repeats.
    pub alerts: AlertsConfig,
    /// `[limits]`: memory and input bounds.
    pub limits: LimitsConfig,
    /// `[rules]`: rule compilation (placeholders).
    pub rules: RulesConfig,
    /// `[correlation]`: correlation windows.
    pub correlation: CorrelationConfig,
}

/// `[rules]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Values of `%name%` placeholders for the Sigma `expand` modifier, e.g.
    /// `Administrators = ["root", "admin*"]`. Rules using a placeholder
    /// that is not defined here are rejected.
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// Formats that rules with a given logsource key are evaluated on,
    /// overriding the built-in table: e.g. `"category:proxy" = ["combined",
    /// "json"]` for a forward proxy that writes combined logs (by default
    /// proxy rules only run on `json`).
    pub logsources: BTreeMap<String, Vec<String>>,
}

impl RulesConfig {
    /// The rule compilation settings; `Err` names a bad `logsources` entry.
    pub fn options(&self) -> Result<RuleOptions, String> {
        let mut o = RuleOptions {
            placeholders: self.placeholders.clone(),
            ..Default::default()
        };
        for (k, v) in &self.logsources {
            o.set_logsource_formats(k, v)
                .map_err(|e| format!("[rules.logsources] {e}"))?;
        }
        Ok(o)
    }
}

/// `[correlation]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorrelationConfig {
    /// How far behind the newest event (in event time) a match may arrive
    /// and still be counted in order; later ones are dropped and counted.
    /// Correlation alerts are delayed by up to this much event time.
    pub lateness: Duration,
    /// Most groups (distinct `group-by` values) kept per correlation rule;
    /// the group updated longest ago is evicted first (counted in
    /// `picket_correlation_evictions_total`).
    pub max_groups: usize,
    /// Most events kept in one group's window; older ones are dropped
    /// (counted as `truncated`).
    pub max_events_per_group: usize,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        let d = CorrelationSettings::default();
        CorrelationConfig {
            lateness: Duration::from_secs(30),
            max_groups: d.max_groups,
            max_events_per_group: d.max_entries,
        }
    }
}

impl CorrelationConfig {
    /// The engine settings.
    pub fn settings(&self) -> CorrelationSettings {
        CorrelationSettings {
            lateness_ns: self.lateness.as_nanos_i64(),
            max_groups: self.max_groups.max(1),
            max_entries: self.max_events_per_group.max(1),
            ..CorrelationSettings::default()
        }
    }
}

/// `[privacy]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// HMAC key for PI fingerprints; when absent, a random per-install key
    /// is kept in the state directory.
    pub fingerprint_key: Option<String>,
    /// Write raw PI values into alerts (off by default; never do this in
    /// production).
    pub reveal: bool,
    /// PI categories to detect (SPEC §4 names); all when absent, none when
    /// empty.
    pub categories: Option<Vec<String>>,
}

/// `[staff]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffConfig {
    /// Glob patterns on `user.name` that mark staff identities.
    pub users: Vec<String>,
    /// Business hours `HH:MM-HH:MM`, Monday–Friday, in `timezone`.
    pub business_hours: String,
    /// Time zone of the business hours (`UTC` or a fixed offset like `+05:30`).
    pub timezone: String,
}

impl Default for StaffConfig {
    fn default() -> Self {
        StaffConfig {
            users: vec!["ops-*".into(), "support-*".into()],
            business_hours: "08:00-19:00".into(),
            timezone: "UTC".into(),
        }
    }
}

/// `[tenants]`: how an event's tenant is derived; first match wins.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantsConfig {
    /// Regex on `db.name` with a `tenant` capture group.
    pub from_db: Option<String>,
    /// A field whose value is the tenant.
    pub from_field: Option<String>,
}

impl Default for TenantsConfig {
    fn default() -> Self {
        TenantsConfig {
            from_db: Some("^(?P<tenant>[a-z0-9-]+)_".into()),
            from_field: Some("cloud.account.id".into()),
        }
    }
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Repeats of the same rule and entity within this much event time are
    /// suppressed and counted (`0s` disables).
    pub suppress_window: Duration,
    /// Most (rule, entity) keys remembered for suppression.
    pub suppress_max_keys: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            suppress_window: Duration::from_secs(60),
            suppress_max_keys: 100_000,
        }
    }
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Longest input line in bytes; longer lines are counted
    /// (`reason="line_too_long"`) and skipped.
    pub max_line_bytes: usize,
    /// Chunks in flight between pipeline stages (bounds memory: each chunk
    /// is about 256 KiB).
    pub queue_chunks: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_line_bytes: 256 * 1024,
            queue_chunks: 16,
        }
    }
}

impl ConfigFile {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.display().to_string(),
            line: 1,
            col: 1,
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses config text; `name` is used in error locations.
    pub fn parse(text: &str, name: &str) -> Result<ConfigFile, ConfigError> {
        let c: ConfigFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError {
                path: name.to_string(),
                line,
                col,
                message: e.message().to_string(),
            }
        })?;
        c.check_source_kinds(text, name)?;
        Ok(c)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses() {
        let text = r#"
[privacy]
fingerprint_key = "change-me"
reveal = false

[staff]
users = ["ops-*", "support-*"]
business_hours = "08:00-19:00"
timezone = "UTC"

[tenants]
from_db = "^(?P<tenant>[a-z0-9-]+)_"
from_field = "cloud.account.id"

[[sources]]
path = "/var/log/nginx/access.log*"
format = "combined"
read_from = "beginning"

[state]
dir = "/var/lib/picket"

[metrics]
listen = "127.0.0.1:9464"

[[sinks]]
type = "stdout"

[[sinks]]
type = "file"
path = "/var/log/picket/alerts.jsonl"
"#;
        let c = ConfigFile::parse(text, "picket.toml").unwrap();
        assert_eq!(c.sources.len(), 1);
        assert_eq!(c.sinks.len(), 2);
        assert_eq!(c.privacy.fingerprint_key.as_deref(), Some("change-me"));
        assert_eq!(c.alerts.suppress_window, Duration::from_secs(60));
    }

    #[test]
    fn shipped_daemon_example_parses() {
        let c = ConfigFile::parse(
            include_str!("../../deploy/picket.toml"),
            "deploy/picket.toml",
        )
        .unwrap();
        assert_eq!(c.sources[0].read_from, ReadFrom::End);
        assert_eq!(c.sinks.len(), 1);
        assert_eq!(c.sinks[0].kind(), "file");
        let c = ConfigFile::parse(
            "[[sinks]]\ntype = \"webhook\"\nurl = \"http://x\"\nbuffer = { memory_max_bytes = \"1MiB\" }\n[sinks.retry]\nmax = \"5s\"\n",
            "x",
        )
        .unwrap();
        let common = c.sinks[0].common();
        assert_eq!(common.buffer().memory_max_bytes, ByteSize::mib(1));
        assert_eq!(common.retry().max, Duration::from_secs(5));
        assert!(
            ConfigFile::parse(
                "[[sinks]]\ntype = \"file\"\npath = \"a\"\nurl = \"b\"\n",
                "x"
            )
            .is_err()
        );
    }

    #[test]
    fn rules_and_correlation_sections() {
        let c = ConfigFile::parse(
            "[rules.placeholders]\nAdministrators = [\"root\", \"adm*\"]\n[correlation]\nlateness = \"5s\"\nmax_groups = 7\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(
            c.rules.options().unwrap().placeholders["Administrators"],
            ["root", "adm*"]
        );
        let l = ConfigFile::parse(
            "[rules.logsources]\n\"category:proxy\" = [\"combined\"]\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(
            l.rules.options().unwrap().logsource_formats["category:proxy"].len(),
            1
        );
        let l = ConfigFile::parse("[rules.logsources]\n\"proxy\" = [\"combined\"]\n", "p.toml")
            .unwrap();
        assert!(l.rules.options().unwrap_err().contains("category:NAME"));
        let s = c.correlation.settings();
        assert_eq!((s.lateness_ns, s.max_groups), (5_000_000_000, 7));
        assert_eq!(s.max_entries, 10_000);
        let d = ConfigFile::parse("", "p.toml")
            .unwrap()
            .correlation
            .settings();
        assert_eq!(d, CorrelationSettings::default());
        let e = ConfigFile::parse("[correlation]\nlatenes = \"5s\"\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = ConfigFile::parse("", "x").unwrap();
        assert_eq!(c.metrics.listen, "127.0.0.1:9464");
        assert_eq!(c.staff.users, ["ops-*", "support-*"]);
    }

    #[test]
    fn unknown_keys_fail_with_location() {
        let e = ConfigFile::parse("[staff]\nusers = []\nbogus = 1\n", "p.toml").unwrap_err();
        assert_eq!((e.line, e.col), (3, 1), "{e}");
        assert!(e.to_string().starts_with("p.toml:3:1: "), "{e}");
        assert!(e.message.contains("bogus"), "{e}");
        let e = ConfigFile::parse("[[sinks]]\ntype = \"carrier-pigeon\"\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = ConfigFile::parse("[alerts]\nsuppress_window = \"soon\"\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
