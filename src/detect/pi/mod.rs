//! Personal-information detectors (SPEC §4).
//!
//! A [`PiScanner`] is built once from a [`PiConfig`] and shared by every
//! worker thread; each thread owns a [`PiScratch`] with the reusable decode
//! buffers. [`PiScanner::scan_event`] walks the fields SPEC §4 names
//! (`url.path`, `url.query`, `db.doc_id`, `http.request.referrer`,
//! `process.command_line`, `file.path`) and appends one [`PiFinding`] per
//! distinct value found.
//!
//! How a field is read (see `docs/PI.md` for the full rules):
//!
//! 1. `scan`: the field is split into units (path segments, query keys and
//!    values, document-id parts, command-line tokens).
//! 2. `prefilter`: one pass over each unit's bytes computes a class mask; a
//!    unit that cannot hold any category is dropped here, without decoding or
//!    allocating.
//! 3. `decode`: percent-decoding (repeated for double encoding), `+` as space
//!    in queries, and base64/base64url units that decode to printable text.
//! 4. `detectors`: hand-written byte scanners find candidates, `validate`
//!    confirms them (Luhn, mod-97, Verhoeff, …), and key context (`phone=`,
//!    `dob=`, `password=`, …) decides the key-only categories.
//! 5. `mask` and `fingerprint` turn a confirmed value into a finding; the raw
//!    value never leaves this module unless [`PiConfig::reveal`] is set.
//!
//! ```
//! use picket::detect::pi::{PiConfig, PiScanner};
//!
//! let scanner = PiScanner::new(&PiConfig::new(b"install-key".to_vec()));
//! let mut scratch = scanner.new_scratch();
//! let mut out = Vec::new();
//! scanner.scan_value("url.query", "page=2&email=jane.doe%40example.com", &mut scratch, &mut out);
//! assert_eq!(out.len(), 1);
//! assert_eq!(out[0].category, "email");
//! assert_eq!(out[0].key.as_deref(), Some("email"));
//! assert!(!out[0].masked.contains("jane"));
//! ```

mod decode;
mod detectors;
mod fingerprint;
mod keys;
mod mask;
mod memo;
mod prefilter;
mod scan;
mod validate;

use crate::event::{Event, Field};
use hmac::{Hmac, KeyInit};
use serde::Serialize;
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

/// One piece of personal information found in an event field. Never holds
/// the raw value: only a masked preview and a keyed fingerprint — unless the
/// scanner was built with [`PiConfig::reveal`], in which case [`value`]
/// carries it.
///
/// `Debug` never prints [`value`], so a finding can be logged safely.
///
/// [`value`]: PiFinding::value
#[derive(Clone, PartialEq, Eq, Serialize)]
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
    /// The raw value, only when `privacy.reveal = true` (SPEC §4); absent
    /// from JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl fmt::Debug for PiFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiFinding")
            .field("category", &self.category)
            .field("field", &self.field)
            .field("key", &self.key)
            .field("masked", &self.masked)
            .field("fingerprint", &self.fingerprint)
            // Debug output ends up in logs and panics: never the raw value.
            .field("value", &self.value.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

macro_rules! categories {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// A PI category of SPEC §4.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Category {
            $( $(#[$doc])* $variant, )*
        }

        impl Category {
            /// Every category, in SPEC §4 order.
            pub const ALL: &'static [Category] = &[ $( Category::$variant, )* ];

            /// The SPEC name, used in findings and in the
            /// `picket_pi_findings_total{category}` label.
            pub const fn name(self) -> &'static str {
                match self { $( Category::$variant => $name, )* }
            }

            /// Looks a category up by its SPEC name.
            pub fn from_name(name: &str) -> Option<Category> {
                match name { $( $name => Some(Category::$variant), )* _ => None }
            }
        }
    };
}

categories! {
    /// `local@domain.tld`, also percent-encoded.
    Email => "email",
    /// E.164 and national formats of US, UK, IN, DE, FR, ES, IT, NL, JP.
    Phone => "phone",
    /// Payment card numbers (Luhn and issuer prefix).
    CreditCard => "credit_card",
    /// International bank account numbers (length table and mod-97).
    Iban => "iban",
    /// US social security numbers.
    UsSsn => "us_ssn",
    /// Indian Aadhaar numbers (Verhoeff).
    InAadhaar => "in_aadhaar",
    /// Indian permanent account numbers.
    InPan => "in_pan",
    /// UK national insurance numbers.
    UkNino => "uk_nino",
    /// IPv4 and IPv6 addresses inside URLs.
    IpAddress => "ip_address",
    /// Credentials: JWTs, cloud and chat tokens, password-like parameters.
    Secret => "secret",
    /// Values of birth-date keys that look like dates.
    DateOfBirth => "date_of_birth",
    /// Values of person-name keys.
    PersonName => "person_name",
    /// Latitude/longitude values.
    Geo => "geo",
    /// Values of national-id keys.
    NationalId => "national_id",
    /// Values of passport keys.
    Passport => "passport",
    /// GDPR Art. 9 data named by a key or a path word.
    SpecialCategory => "special_category",
}

impl Category {
    const fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A category name that is not one of SPEC §4's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown PI category {0:?} (expected one of the SPEC §4 names, e.g. \"email\")")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::from_name(s).ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

/// What the scanner needs from `[privacy]` (SPEC §5).
#[derive(Clone)]
pub struct PiConfig {
    /// HMAC key for fingerprints (`privacy.fingerprint_key`, else the
    /// per-install random key). There is deliberately no default: a known
    /// key would let anyone brute-force fingerprints of low-entropy values
    /// such as SSNs.
    pub fingerprint_key: Vec<u8>,
    /// `privacy.reveal`: put the raw value into [`PiFinding::value`].
    pub reveal: bool,
    /// Categories to report. [`PiConfig::new`] enables all of them; an empty
    /// list reports nothing.
    pub enabled: Vec<Category>,
}

impl PiConfig {
    /// All categories enabled, nothing revealed.
    pub fn new(fingerprint_key: Vec<u8>) -> PiConfig {
        PiConfig {
            fingerprint_key,
            reveal: false,
            enabled: Category::ALL.to_vec(),
        }
    }
}

impl fmt::Debug for PiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiConfig")
            .field("fingerprint_key", &"<redacted>")
            .field("reveal", &self.reveal)
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// The PI detector: immutable, `Send + Sync`, built once and shared.
#[derive(Clone)]
pub struct PiScanner {
    enabled: u32,
    reveal: bool,
    /// HMAC state already keyed: cloning it per finding skips re-hashing the
    /// key.
    mac: Hmac<Sha256>,
}

impl fmt::Debug for PiScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let enabled: Vec<&str> = Category::ALL
            .iter()
            .filter(|c| self.enabled & c.bit() != 0)
            .map(|c| c.name())
            .collect();
        f.debug_struct("PiScanner")
            .field("enabled", &enabled)
            .field("reveal", &self.reveal)
            .finish_non_exhaustive()
    }
}

/// Per-thread reusable buffers for [`PiScanner`]. Holds decoded text of the
/// last scanned field, so its `Debug` shows sizes only.
#[derive(Default)]
pub struct PiScratch {
    bufs: scan::Bufs,
    norm: Vec<u8>,
    /// Short values that held no PI, skipped when they come again.
    clean: memo::CleanMemo,
}

impl fmt::Debug for PiScratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiScratch")
            .field("capacity", &(self.bufs.capacity() + self.clean.capacity()))
            .finish_non_exhaustive()
    }
}

/// The event fields SPEC §4 applies the detectors to.
const SCANNED_FIELDS: [Field; 6] = [
    Field::UrlPath,
    Field::UrlQuery,
    Field::DbDocId,
    Field::HttpRequestReferrer,
    Field::ProcessCommandLine,
    Field::FilePath,
];

impl PiScanner {
    /// Builds the scanner.
    pub fn new(cfg: &PiConfig) -> PiScanner {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&cfg.fingerprint_key)
            .expect("HMAC-SHA256 takes keys of any length");
        PiScanner {
            enabled: cfg.enabled.iter().fold(0, |m, c| m | c.bit()),
            reveal: cfg.reveal,
            mac,
        }
    }

    /// Fresh per-thread buffers.
    pub fn new_scratch(&self) -> PiScratch {
        PiScratch::default()
    }

    /// Scans every field of SPEC §4 that the event has and appends the
    /// findings to `out` (typically `ev.pi` after the scan).
    pub fn scan_event(&self, ev: &Event<'_>, scratch: &mut PiScratch, out: &mut Vec<PiFinding>) {
        if self.enabled == 0 {
            return;
        }
        // A document request's path is `/{db}/{docid}` with the id as it is
        // in `db.doc_id`: scan the id once and report its findings in both
        // fields (alert redaction looks at each field's findings).
        let db = match (ev.get_str(Field::UrlPath), ev.get_str(Field::DbDocId)) {
            (Some(path), Some(doc)) => scan::doc_path_prefix(path, doc, &mut scratch.bufs),
            _ => None,
        };
        for field in SCANNED_FIELDS {
            let Some(text) = ev.get_str(field) else {
                continue;
            };
            match (field, db) {
                (Field::UrlPath, Some(db)) => self.scan_value("url.path", db, scratch, out),
                (Field::DbDocId, Some(_)) => {
                    let start = out.len();
                    self.scan_value("db.doc_id", text, scratch, out);
                    for i in start..out.len() {
                        let mut f = out[i].clone();
                        f.field = "url.path";
                        out.push(f);
                    }
                }
                _ => self.scan_value(field.name(), text, scratch, out),
            }
        }
    }

    /// Scans one field's raw text. `field` decides how the text is split:
    /// `url.path`, `url.query`, `db.doc_id`, `http.request.referrer` and
    /// `url.original` (URLs), `process.command_line`, `file.path`; any other
    /// name is read as whitespace-separated free text. Findings are
    /// de-duplicated within the call by category and fingerprint.
    pub fn scan_value(
        &self,
        field: &'static str,
        value: &str,
        scratch: &mut PiScratch,
        out: &mut Vec<PiFinding>,
    ) {
        if self.enabled == 0 || value.is_empty() {
            return;
        }
        let PiScratch { bufs, norm, clean } = scratch;
        let v = value.as_bytes();
        if clean.is_clean(field, v) {
            return;
        }
        let before = out.len();
        let mut em = detectors::Emitter::new(self, out, field, norm);
        scan::scan_field(field, v, bufs, &mut em);
        if out.len() == before {
            clean.insert(field, v);
        }
    }

    fn is_enabled(&self, c: Category) -> bool {
        self.enabled & c.bit() != 0
    }
}

#[cfg(test)]
mod tests;

/// What alert text shows instead of a field value that carries PI.
pub const REDACTED: &str = "[redacted]";

/// Whether `findings` include PI found in the field named `field`.
/// `url.original` holds `url.path` and `url.query`, so PI in either counts.
pub fn field_has_pi(findings: &[PiFinding], field: &str) -> bool {
    findings.iter().any(|f| {
        f.field == field || (field == "url.original" && matches!(f.field, "url.path" | "url.query"))
    })
}
