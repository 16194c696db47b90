//! Personal-information detectors (SPEC §4).

use serde::Serialize;

/// One piece of personal information found in an event field. Never holds
/// the raw value: only a masked preview and a keyed fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PiFinding {
    /// Category, e.g. `email`, `credit_card`.
    pub category: &'static str,
    /// Field the value was found in, e.g. `db.doc_id`.
    pub field: &'static str,
    /// Query key, when the value was a query parameter's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Preview showing at most a quarter of the characters.
    pub masked: String,
    /// `hmac-sha256:` + 16 hex chars of HMAC-SHA256(key, normalized value).
    pub fingerprint: String,
}

/// Placeholder scanner (the real detectors land from the `pi` branch).
#[derive(Debug, Default)]
pub struct PiScanner;
/// Placeholder scratch.
#[derive(Debug, Default)]
pub struct PiScratch;
/// Placeholder config.
#[derive(Debug, Default, Clone)]
pub struct PiConfig {
    /// Key.
    pub fingerprint_key: Vec<u8>,
    /// Reveal.
    pub reveal: bool,
}
impl PiScanner {
    /// New.
    pub fn new(_cfg: &PiConfig) -> Self {
        PiScanner
    }
    /// Scratch.
    pub fn new_scratch(&self) -> PiScratch {
        PiScratch
    }
    /// Scan.
    pub fn scan_event(
        &self,
        _ev: &crate::event::Event<'_>,
        _s: &mut PiScratch,
        _out: &mut Vec<PiFinding>,
    ) {
    }
}
