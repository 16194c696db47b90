//! `picket replay --report FILE.html`: a self-contained HTML page of a run
//! for people who read findings rather than counters.
//!
//! Two inputs feed it: the run's [`Summary`] (inputs, lines, events, parse
//! errors, PI findings by category and field), and [`Findings`], which a
//! [`ReportSink`] placed beside the real sinks folds every delivered alert
//! into (timeline by level, rules, top entities, *masked* PI examples).
//! [`render`] turns both into one HTML document with inline CSS and SVG:
//! it loads nothing, and everything that came from the logs is escaped.
//!
//! ```
//! use picket::pipeline::Summary;
//! use picket::report::{Meta, ReportSink, render};
//!
//! let sink = ReportSink::new(); // put a clone into the run's sinks
//! let html = render(&Meta::now(), &Summary::default(), &sink.findings());
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! ```

mod collect;
mod html;
mod svg;

pub use collect::{
    ENTITY_SLOTS, Findings, MAX_BUCKETS, PI_EXAMPLES, PiExamples, ReportSink, RuleTally, Timeline,
    TopK,
};
pub use html::esc;

use crate::event::Timestamp;
use crate::pipeline::Summary;

/// Rules listed (by alerts, most first) in the rules and entities sections.
pub const TOP_RULES: usize = 20;

/// Entities listed per rule.
pub const TOP_ENTITIES: usize = 5;

/// Facts about the report itself.
#[derive(Clone, Debug)]
pub struct Meta {
    /// When it was generated (wall clock, RFC 3339).
    pub generated: String,
    /// picket's version.
    pub version: String,
}

impl Meta {
    /// Generated now, by this build.
    pub fn now() -> Meta {
        let t = Timestamp::now();
        Meta {
            generated: Timestamp::from_unix(t.unix_seconds(), 0).to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The report page for a run.
pub fn render(meta: &Meta, summary: &Summary, findings: &Findings) -> String {
    html::page(meta, summary, findings)
}
