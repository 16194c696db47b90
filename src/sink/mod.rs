//! Sinks: where alerts are delivered.
//!
//! A [`Sink`] takes batches of alerts in order. Delivery returning `Ok`
//! means the alerts are handed over (written, acknowledged): the pipeline
//! acknowledges input offsets only after every sink returned `Ok`.
//!
//! To add a sink: a module with a type implementing [`Sink`], a variant in
//! [`crate::config::SinkConfig`], and a case where sinks are built from
//! config (see `docs/ARCHITECTURE.md`).

pub mod backoff;
mod jsonl;
pub mod queue;
pub mod render;
pub mod spool;
pub mod transport;

pub use jsonl::JsonLinesSink;
pub use queue::{QueuedSink, SinkQueue, spawn_worker};

use crate::alert::Alert;

/// A sink failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// Writing failed.
    #[error("sink {sink}: {source}")]
    Io {
        /// Sink name.
        sink: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A queued sink was aborted (shutdown timeout): the batch was not taken.
    #[error("sink {sink}: aborted")]
    Aborted {
        /// Sink name.
        sink: String,
    },
}

/// A destination for alerts.
pub trait Sink: Send {
    /// Name used as the `sink` metric label.
    fn name(&self) -> &str;

    /// Delivers a batch of alerts, in order.
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), SinkError>;

    /// Makes everything delivered so far durable or visible.
    fn flush(&mut self) -> Result<(), SinkError>;

    /// True when the sink counts its own `picket_sink_deliveries_total`:
    /// queued sinks accept a batch in [`Sink::deliver`] and deliver it
    /// later, so only they know the outcome. Otherwise the pipeline counts
    /// each `deliver` call.
    fn reports_deliveries(&self) -> bool {
        false
    }
}
