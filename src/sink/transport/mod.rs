//! Transports: how a daemon sink puts rendered alerts on the wire or disk.
//!
//! A transport only delivers; queueing, spooling and retrying are the
//! queue's ([`super::queue`]). Each sends rendered alerts (safe JSON lines)
//! and reports a failure as retryable (with a server's hint) or not.

mod file;
mod http;
#[cfg(feature = "kafka")]
mod kafka;
mod syslog;

pub use file::{FileTransport, StdoutTransport};
pub use http::{AlertmanagerTransport, WebhookTransport};
#[cfg(feature = "kafka")]
pub use kafka::{KafkaTransport, alert_key};
pub use syslog::SyslogTransport;

use crate::config::SinkConfig;
use std::time::Duration;

/// Why a delivery failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// What went wrong (no alert content: status codes, error kinds).
    pub message: String,
    /// Retry later (`true`), or give the alerts up (`false`: the
    /// destination rejected them, retrying cannot help).
    pub retry: bool,
    /// The destination's `Retry-After`, if it said.
    pub retry_after: Option<Duration>,
    /// How many of the alerts were delivered before the failure (sent in
    /// several requests); the retry resumes after them.
    pub delivered: usize,
}

impl SendError {
    /// A retryable failure.
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retry: true,
            retry_after: None,
            delivered: 0,
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            retry: false,
            ..Self::transient(message)
        }
    }
}

/// Delivers rendered alerts somewhere.
pub trait Transport: Send {
    /// Delivers `alerts` (safe JSON lines, no newlines), in order.
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError>;
}

/// A sink that cannot be built from its config.
#[derive(Debug, thiserror::Error)]
#[error("sink {sink}: {message}")]
pub struct TransportError {
    /// The sink label.
    pub sink: String,
    /// What is wrong.
    pub message: String,
}

/// Builds the transport of a `[[sinks]]` entry labelled `label`.
pub fn build(label: &str, cfg: &SinkConfig) -> Result<Box<dyn Transport>, TransportError> {
    let err = |message: String| TransportError {
        sink: label.to_string(),
        message,
    };
    Ok(match cfg {
        SinkConfig::Stdout(_) => Box::new(StdoutTransport),
        SinkConfig::File(c) => Box::new(
            FileTransport::open(&c.path, c.rotate_bytes.0, c.rotate_keep)
                .map_err(|e| err(format!("{}: {e}", crate::logging::path(&c.path))))?,
        ),
        SinkConfig::Webhook(c) => {
            Box::new(WebhookTransport::new(&c.url, c.batch_max_alerts, c.timeout.0).map_err(err)?)
        }
        SinkConfig::Alertmanager(c) => Box::new(
            AlertmanagerTransport::new(&c.url, c.batch_max_alerts, c.timeout.0, c.resolve_after.0)
                .map_err(err)?,
        ),
        SinkConfig::Syslog(c) => Box::new(
            SyslogTransport::new(&c.address, &c.facility, &c.app_name, c.timeout.0).map_err(err)?,
        ),
        #[cfg(feature = "kafka")]
        SinkConfig::Kafka(c) => Box::new(KafkaTransport::new(label, c)?),
        #[cfg(not(feature = "kafka"))]
        SinkConfig::Kafka(_) => {
            return Err(err(
                "this picket was built without the `kafka` feature (cargo build --features kafka)"
                    .into(),
            ));
        }
    })
}
