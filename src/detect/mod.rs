//! Detection: rules and PI detectors applied to events.

pub mod pi;
pub mod rule;
