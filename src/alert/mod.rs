//! Alerts (SPEC §6): what detectors raise and sinks deliver.

mod json;
mod suppress;

pub use suppress::Suppressor;

use crate::detect::pi::PiFinding;
use crate::event::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Sigma's severity levels, lowest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: &'static [Level] = &[
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// Sigma's name of the level.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// Parses Sigma's name of a level.
    pub fn from_name(s: &str) -> Option<Level> {
        Level::ALL.iter().copied().find(|l| l.name() == s)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of detection raised an alert.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A single event matched a rule.
    Match,
    /// A windowed count, distinct count, sum or sequence crossed a threshold.
    Correlation,
    /// An entity deviated from its learned baseline.
    Anomaly,
}

impl AlertKind {
    /// The name used in alerts and the `kind` metric label.
    pub const fn name(self) -> &'static str {
        match self {
            AlertKind::Match => "match",
            AlertKind::Correlation => "correlation",
            AlertKind::Anomaly => "anomaly",
        }
    }
}

/// The rule identity an alert carries; shared by every alert of the rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Rule id (Sigma `id`, or `name` for correlations).
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Rule level.
    pub level: Level,
    /// Rule tags (`attack.collection`, `gdpr.art32`, …).
    pub tags: Vec<String>,
}

/// A reference to the event that raised (or first contributed to) an alert.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogRef {
    /// `log.file.path`; `-` for stdin.
    pub path: Arc<str>,
    /// `log.line` (1-based).
    pub line: u64,
    /// `log.offset`: byte offset of the line in the decompressed input.
    pub offset: u64,
}

/// The window a correlation or anomaly alert summarises.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Window {
    /// First contributing event's time.
    pub start: Option<Timestamp>,
    /// Last contributing event's time.
    pub end: Option<Timestamp>,
    /// Number of contributing events.
    pub count: u64,
    /// Number of distinct values, for distinct-count detections.
    pub distinct: Option<u64>,
    /// Sum of values, for sum detections.
    pub sum: Option<f64>,
}

/// One alert. Owned: it outlives the buffer of the event that raised it.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Time of the event that raised it.
    pub timestamp: Option<Timestamp>,
    /// The rule.
    pub rule: Arc<RuleInfo>,
    /// Match, correlation or anomaly.
    pub kind: AlertKind,
    /// Who or what the alert is about: (`user.name`, `app-7`), …, in a stable order.
    pub entity: Vec<(String, String)>,
    /// PI findings that apply (masked; never raw).
    pub pi: Vec<PiFinding>,
    /// The window, for correlation and anomaly alerts.
    pub window: Option<Window>,
    /// The event that raised the alert.
    pub log: LogRef,
    /// The first contributing event, for correlation and anomaly alerts.
    pub first: Option<LogRef>,
    /// A sentence for humans.
    pub message: String,
    /// Repeats of this rule and entity suppressed since the last delivered alert.
    pub suppressed: u64,
}

impl Alert {
    /// The alert as one JSON line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}
