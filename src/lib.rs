//! picket: a streaming audit-log analyzer with SIEM-style detection.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! source ──chunks──▶ frame ──lines──▶ parse ──Event──▶ enrich ──▶ detect ──Alert──▶ alert (suppress) ──▶ sink
//!   │                                                                                                   │
//!   └──────────────────────────── pipeline (threads, channels, acks) ───────────────────────────────────┘
//!                                         telemetry (metrics) beside every stage
//! ```
//!
//! - [`source`]: inputs become [`source::Chunk`]s that end on line boundaries,
//!   tagged with their origin (file, byte offset, line number).
//! - [`frame`]: splits a chunk into lines with memchr, without copying.
//! - [`parse`]: one [`parse::LineParser`] per format turns a line into an
//!   [`event::Event`] that borrows from the chunk.
//! - [`enrich`]: config-derived fields (`tenant`, `staff`).
//! - [`detect`]: compiled Sigma rules and PI detectors.
//! - [`alert`]: the alert model, JSON shape and suppression.
//! - [`sink`]: where alerts go.
//! - [`pipeline`]: wires the stages with bounded crossbeam channels and
//!   reports which input offsets are fully processed and delivered.
//! - [`telemetry`]: Prometheus metrics, all names in one place.
//! - [`report`]: the HTML report of a replay (`picket replay --report`).

pub mod alert;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod enrich;
pub mod event;
pub mod frame;
pub mod generate;
pub mod logging;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod sink;
pub mod source;
pub mod state;
pub mod telemetry;
