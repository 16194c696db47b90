//! Parsing: one line of bytes into one [`Event`].
//!
//! Each format is a [`LineParser`]. Parsers borrow from the line and allocate
//! only to unescape values. A line that does not parse yields a
//! [`ParseError`] whose [`Reason`] is a bounded label for
//! `picket_parse_errors_total{format,reason}`; it is counted and skipped,
//! never fatal.
//!
//! To add a format: add a variant to [`Format`], a module with a parser, a
//! case in [`parser_for`], and sniffing support in [`sniff`] (see
//! `docs/ARCHITECTURE.md`).

pub mod combined;
pub mod timestamp;
pub mod url;

use crate::event::Event;
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
    fn parse<'a>(&self, line: &'a [u8], event: &mut Event<'a>) -> Result<(), ParseError>;
}

/// The parser of a format, or `None` when this build cannot read it yet.
pub fn parser_for(format: Format) -> Option<Box<dyn LineParser>> {
    match format {
        Format::Combined => Some(Box::new(combined::CombinedParser::combined())),
        Format::Common => Some(Box::new(combined::CombinedParser::common())),
        _ => None,
    }
}

/// Guesses the format of an input from its first lines: every available
/// parser tries up to 32 non-empty lines and the one that parses most wins
/// (ties go to the earlier format in [`Format::ALL`]). `None` if no parser
/// accepts any line.
///
/// The tie rule is what separates `combined` from `common`: the `common`
/// parser also accepts combined lines (it ignores what follows the byte
/// count), while the `combined` parser rejects common lines, so a file of
/// combined lines ties and goes to `combined`, listed first, and a file of
/// common lines goes to `common`.
pub fn sniff(sample: &[u8]) -> Option<Format> {
    let lines: Vec<&[u8]> = sample
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(32)
        .collect();
    let mut best: Option<(Format, usize)> = None;
    for &format in Format::ALL {
        let Some(parser) = parser_for(format) else {
            continue;
        };
        let ok = lines
            .iter()
            .filter(|l| {
                let mut ev = Event::new(format, Default::default());
                parser.parse(l, &mut ev).is_ok()
            })
            .count();
        if ok > 0 && best.is_none_or(|(_, n)| ok > n) {
            best = Some((format, ok));
        }
    }
    best.map(|(f, _)| f)
}
