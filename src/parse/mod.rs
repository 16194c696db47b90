//! Parsing: one line of bytes into one [`Event`].
//!
//! Each format is a [`LineParser`]. Parsers borrow from the line and allocate
//! only to unescape values. A line that does not parse yields a
//! [`ParseError`] whose [`Reason`] is a bounded label for
//! `picket_parse_errors_total{format,reason}`; it is counted and skipped,
//! never fatal.
//!
//! To add a format: add a variant to [`Format`], a module with a parser, a
//! case in [`parser_for`], and a place in [`SNIFF_ORDER`] (see
//! `docs/ARCHITECTURE.md`). Field mappings of every format are documented in
//! `docs/FORMATS.md`.
//!
//! A line usually holds one event; a CloudTrail `{"Records":[…]}` file holds
//! many on one line, which is why the pipeline calls
//! [`LineParser::parse_multi`].
//! An auditd event is the other way round: several lines (records) make
//! one event, grouped by [`auditd::Assembler`] before parsing (see
//! `src/pipeline/auditd.rs`); its [`LineParser`] reads one record alone.

pub mod auditd;
pub mod cadf;
pub mod cloudtrail;
pub mod combined;
pub mod couchdb;
pub mod datetime;
mod fields;
pub mod json;
mod jsonwalk;
pub mod k8s_audit;
pub mod syslog;
pub mod timestamp;
pub mod url;
mod url_shim;

use crate::event::{Event, Origin};
use std::fmt;
use std::str::FromStr;

macro_rules! formats {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// An input format (SPEC §2). `auto` is not a format but a
        /// [`FormatChoice`].
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Format { $( $(#[$doc])* $variant, )* }

        impl Format {
            /// Every format.
            pub const ALL: &'static [Format] = &[ $( Format::$variant, )* ];
            /// The name used on the command line, in `event.dataset` and in metrics.
            pub const fn name(self) -> &'static str {
                match self { $( Format::$variant => $name, )* }
            }
            /// Looks a format up by name.
            pub fn from_name(name: &str) -> Option<Format> {
                match name { $( $name => Some(Format::$variant), )* _ => None }
            }
        }
    };
}

formats! {
    /// NCSA combined (nginx default, Apache `combined`, `vhost_combined`).
    Combined => "combined",
    /// NCSA common log format.
    Common => "common",
    /// CouchDB 2.x/3.x request log.
    Couchdb => "couchdb",
    /// One JSON object per line.
    Json => "json",
    /// CADF audit events.
    Cadf => "cadf",
    /// AWS CloudTrail records.
    Cloudtrail => "cloudtrail",
    /// Kubernetes API server audit events.
    K8sAudit => "k8s-audit",
    /// Linux audit log.
    Auditd => "auditd",
    /// RFC 3164 / 5424 syslog envelope.
    Syslog => "syslog",
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the user asked for with `--format`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Sniff each input's first lines.
    #[default]
    Auto,
    /// Use this format for every input.
    Fixed(Format),
}

impl FromStr for FormatChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(FormatChoice::Auto);
        }
        Format::from_name(s)
            .map(FormatChoice::Fixed)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}` (expected auto, {})", names.join(", "))
            })
    }
}

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident => ($label:literal, $text:literal), )*) => {
        /// Why a line did not parse. The label is a bounded metric label.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Reason { $( $(#[$doc])* $variant, )* }

        impl Reason {
            /// Every reason.
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];
            /// The `reason` metric label, e.g. `bad_timestamp`.
            pub const fn label(self) -> &'static str {
                match self { $( Reason::$variant => $label, )* }
            }
            /// A human description.
            pub const fn text(self) -> &'static str {
                match self { $( Reason::$variant => $text, )* }
            }
        }
    };
}

reasons! {
    /// The line exceeded the configured maximum length.
    LineTooLong => ("line_too_long", "line longer than the maximum length"),
    /// The input's format is not supported by this build.
    Unsupported => ("unsupported_format", "format not supported"),
    /// A required field is missing (the line ends early).
    Truncated => ("truncated", "line ends before all fields"),
    /// The client address field is empty or malformed.
    BadClient => ("bad_client", "malformed client address"),
    /// The `[...]` timestamp is malformed.
    BadTimestamp => ("bad_timestamp", "malformed timestamp"),
    /// A quoted field is not terminated.
    UnterminatedQuote => ("unterminated_quote", "quoted field is not terminated"),
    /// The status code is not a 3-digit number.
    BadStatus => ("bad_status", "malformed status code"),
    /// The byte count is neither a number nor `-`.
    BadBytes => ("bad_bytes", "malformed byte count"),
    /// A separator (space, quote, bracket) is missing where one is required.
    BadSeparator => ("bad_separator", "expected separator not found"),
    /// Text follows the last field that no known variant writes.
    TrailingGarbage => ("trailing_garbage", "unexpected text after the last field"),
    /// The line is not valid JSON, or not an object.
    BadJson => ("bad_json", "not a JSON object"),
    /// The line is valid but lacks fields the format requires.
    WrongShape => ("wrong_shape", "valid syntax but not this format's fields"),
    /// Text that must be UTF-8 is not.
    BadUtf8 => ("bad_utf8", "text is not valid UTF-8"),
    /// A JSON field has an unexpected type (or appears twice).
    WrongType => ("wrong_type", "a JSON field has an unexpected type"),
    /// The line is a fragment of pretty-printed (multi-line) JSON.
    MultilineJson => ("multiline_json", "fragment of multi-line JSON; one object per line is required (e.g. `jq -c`)"),
    /// The syslog `<PRI>` is malformed or out of range.
    BadPriority => ("bad_priority", "malformed syslog priority"),
    /// A duration field is not a number.
    BadDuration => ("bad_duration", "malformed duration"),
}

/// A line that did not parse.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} (column {column})", reason.text())]
pub struct ParseError {
    /// Why.
    pub reason: Reason,
    /// 1-based byte column where parsing stopped.
    pub column: usize,
}

impl ParseError {
    /// An error at a byte position of the line (0-based in, 1-based stored).
    pub fn at(reason: Reason, pos: usize) -> Self {
        ParseError {
            reason,
            column: pos + 1,
        }
    }
}

/// Parses one line of one format into an event.
pub trait LineParser: Send + Sync + std::fmt::Debug {
    /// The format this parser reads.
    fn format(&self) -> Format;

    /// Parses `line` (without its line terminator) into `event`, which the
    /// caller created empty with the line's origin.
    ///
    /// A line that holds several events (a CloudTrail `Records` file) is an
    /// error here unless it holds exactly one: use [`parse_multi`](Self::parse_multi).
    fn parse<'a>(&self, line: &'a [u8], event: &mut Event<'a>) -> Result<(), ParseError>;

    /// Parses `line` into zero or more events, handing each to `emit` in
    /// order, and returns how many were emitted. This is what the pipeline
    /// calls; the default emits the one event of [`parse`](Self::parse).
    ///
    /// Every event of the line gets the line's `origin`. When a parser fails
    /// part-way through a multi-event line, the events already emitted stand
    /// and the error is counted once for the line.
    fn parse_multi<'a>(
        &self,
        line: &'a [u8],
        origin: Origin,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<usize, ParseError> {
        let mut event = Event::new(self.format(), origin);
        self.parse(line, &mut event)?;
        emit(event);
        Ok(1)
    }
}

/// The parser of a format, or `None` when this build cannot read it yet.
pub fn parser_for(format: Format) -> Option<Box<dyn LineParser>> {
    match format {
        Format::Combined => Some(Box::new(combined::CombinedParser::combined())),
        Format::Common => Some(Box::new(combined::CombinedParser::common())),
        Format::Couchdb => Some(Box::new(couchdb::CouchdbParser)),
        Format::Json => Some(Box::new(json::JsonParser::default())),
        Format::Cadf => Some(Box::new(cadf::CadfParser)),
        Format::Cloudtrail => Some(Box::new(cloudtrail::CloudtrailParser)),
        Format::K8sAudit => Some(Box::new(k8s_audit::K8sAuditParser)),
        Format::Syslog => Some(Box::new(syslog::SyslogParser::new())),
        // One record per call; the pipeline groups records into events first
        // (`auditd::Assembler`).
        Format::Auditd => Some(Box::new(auditd::AuditdParser)),
    }
}

/// The order in which [`sniff`] prefers formats that parse equally many
/// lines: specific before general. The JSON-based formats come before the
/// catch-all `json`, which parses every one of their lines too; `syslog` comes
/// after the formats it can carry, although without an envelope it accepts
/// none of their lines anyway.
pub const SNIFF_ORDER: &[Format] = &[
    Format::Combined,
    Format::Common,
    Format::Couchdb,
    Format::Cadf,
    Format::Cloudtrail,
    Format::K8sAudit,
    Format::Auditd,
    Format::Syslog,
    Format::Json,
];

/// How many non-blank lines [`sniff`] tries.
const SNIFF_LINES: usize = 32;

/// Guesses the format of an input from its first lines: every available
/// parser tries up to 32 non-blank lines and the one that parses most wins;
/// ties go to the earlier format in [`SNIFF_ORDER`]. `None` if no parser
/// accepts any line and the sample does not look like pretty-printed JSON.
///
/// The sample is a prefix of the input, so its last line may be cut short:
/// when the sample does not end with a newline, that line counts for a parser
/// that emitted at least one event from it before failing (a CloudTrail
/// `Records` file is often one line longer than the sample).
///
/// When nothing parses but the sample starts like JSON (a pretty-printed
/// file), the JSON format whose keys appear in it is returned, so that its
/// lines are reported as `multiline_json` under the right format.
///
/// The tie rule is also what separates `combined` from `common`: the
/// `common` parser also accepts combined lines (it ignores what follows the
/// byte count), while the `combined` parser rejects common lines.
pub fn sniff(sample: &[u8]) -> Option<Format> {
    let cut_short = !sample.is_empty() && !sample.ends_with(b"\n");
    let mut lines: Vec<(&[u8], bool)> = Vec::new();
    let mut rest = sample;
    while !rest.is_empty() && lines.len() < SNIFF_LINES {
        let (line, next, last) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..], false),
            None => (rest, &rest[rest.len()..], true),
        };
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(u8::is_ascii_whitespace) {
            lines.push((line, last && cut_short));
        }
    }
    let mut best: Option<(Format, usize)> = None;
    for &format in SNIFF_ORDER {
        let Some(parser) = parser_for(format) else {
            continue;
        };
        let ok = lines
            .iter()
            .filter(|(line, maybe_cut)| {
                let mut emitted = 0usize;
                let result = parser.parse_multi(line, Origin::default(), &mut |_| emitted += 1);
                result.is_ok() || (*maybe_cut && emitted > 0)
            })
            .count();
        if ok > 0 && best.is_none_or(|(_, n)| ok > n) {
            best = Some((format, ok));
        }
    }
    best.map(|(f, _)| f).or_else(|| sniff_pretty_json(sample))
}

/// The JSON format a pretty-printed sample most likely belongs to, by the
/// keys it mentions; `None` unless the sample starts with `{` or `[`.
fn sniff_pretty_json(sample: &[u8]) -> Option<Format> {
    let first = sample.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    let has = |needle: &str| memchr::memmem::find(sample, needle.as_bytes()).is_some();
    Some(if has("\"Records\"") || has("\"eventSource\"") {
        Format::Cloudtrail
    } else if has("audit.k8s.io") || has("\"protoPayload\"") || has("\"objectRef\"") {
        Format::K8sAudit
    } else if has("cloud/audit") || has("\"initiator\"") {
        Format::Cadf
    } else {
        Format::Json
    })
}

/// For the parser tests: an event as (name, text) pairs, `@timestamp`
/// first, then the slots, then the extras.
#[cfg(test)]
pub(crate) fn field_pairs(ev: &Event<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(t) = ev.timestamp {
        out.push(("@timestamp".to_owned(), t.to_string()));
    }
    out.extend(
        ev.fields()
            .map(|(f, v)| (f.name().to_owned(), v.to_string())),
    );
    out.extend(ev.extras().map(|(n, v)| (n.to_owned(), v.to_string())));
    out
}
