//! NCSA common and combined access logs (SPEC §2 `common`, `combined`), as
//! written by Apache, nginx, and HAProxy in CLF mode.
//!
//! ```text
//! common     %h %l %u %t "%r" %>s %b
//! combined   %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" [trailing…]
//! vhost      %v[:%p] followed by either of the above
//! ```
//!
//! The parser works on bytes: nom for the structure, one small function per
//! production, memchr to find quotes and separators. Values borrow from the
//! line; only a value containing a backslash escape (or invalid UTF-8) is
//! copied. A line is given without its `\n`; a trailing `\r` is ignored.
//!
//! # Fields
//!
//! | log field | event field |
//! |---|---|
//! | `%h` | `source.ip` if it parses as an IP address (v4, v6, v6 with `%zone`), else `source.domain` if it is a plausible host name (with `HostnameLookups On`); anything else is [`Reason::BadClient`]. nginx's `unix:` (unix-socket clients) is accepted and sets neither. |
//! | `%l` | ignored (identd is dead) |
//! | `%u` | `user.name`, escapes decoded, not percent-decoded; `-` omitted |
//! | `%t` | `@timestamp` (UTC), see [`parse_clf`]; fractional seconds allowed |
//! | `"%r"` | `http.request.method`, `url.original`, `url.path`, `url.query`, `http.version`, `db.name`, `db.doc_id` (see [`super::url`]) |
//! | `%>s` | `http.response.status_code`, `event.outcome` (`success` below 400, `failure` from 400, `unknown` below 100); `-` omitted |
//! | `%b` / `%O` | `http.response.body.bytes`; `-` omitted |
//! | `"%{Referer}i"` | `http.request.referrer` |
//! | `"%{User-Agent}i"` | `user_agent.original` |
//! | `%v` / `%v:%p` | `host.name`, `server.port` |
//!
//! Absent values (`-`, and also an empty `""`, which HAProxy writes for its
//! referrer and user agent) are omitted, never set to `-` or `""`.
//!
//! # Decisions on ambiguous variants
//!
//! - **vhost prefix.** A line whose timestamp is the fifth token instead of
//!   the fourth is `vhost_combined` (or `vhost_common`) when its second token
//!   is an IP address, or a host name that contains a dot or follows a
//!   `host:port` first token. Otherwise the extra token belongs to a
//!   `%u` containing a space (Apache and nginx do not escape spaces), so
//!   `1.2.3.4 - john doe [...]` has `user.name = john doe`.
//! - **Request lines.** `"METHOD TARGET PROTOCOL"`; the target may contain
//!   spaces (Apache logs the raw line). `"GET /"` (HTTP/0.9) has no
//!   version. A request whose first word is not a method (letters, `-`,
//!   `_`), such as a TLS handshake sent to a plain-HTTP port
//!   (`"\x16\x03\x01…"`), `"-"` and `""` are not errors: nginx logs them
//!   with status 400, and the event keeps every other field.
//! - **Quotes.** `\"`, `\\`, `\xHH` and Apache's `\n`-style escapes are
//!   decoded (see `escape`). For writers that do not escape quotes, a `"`
//!   closes a field only when a space or the end of the line follows it.
//!   A user agent whose closing quote is missing at the end of the line is
//!   accepted as ending there (real logs have lines cut inside the user
//!   agent: one of the 10,000 lines of the elastic sample); any other
//!   unterminated quote is [`Reason::UnterminatedQuote`].
//! - **Unquoted `-` referrer / user agent** (`… 200 512 - -`, as VRL's tests
//!   have it) is accepted as absent.
//! - **`common` vs `combined`.** The `common` parser stops after the byte
//!   count and ignores whatever follows (so it accepts combined lines, but
//!   sets no referrer or user agent). The `combined` parser requires the
//!   referrer and user-agent fields: a common line is
//!   [`Reason::Truncated`]. This is what lets [`super::sniff`] tell the two
//!   apart: combined wins ties because it comes first in [`Format::ALL`].
//! - **Trailing fields** (combined only) are read by `trailing`, and
//!   unknown ones are ignored, never an error:
//!   - the first quoted field holding a comma-separated list with a valid IP
//!     address (nginx `"$http_x_forwarded_for"`) sets
//!     `network.forwarded_ip` to the first valid address in it (a `:port`
//!     suffix is dropped; `unknown` items are skipped);
//!   - `rt=SECONDS` or `request_time=SECONDS` (quoted or not) sets
//!     `event.duration` in nanoseconds;
//!   - otherwise the first unquoted decimal number with a `.` does
//!     (nginx `$request_time`, as in ingress-nginx's `upstreaminfo`):
//!     integers are ignored because `$request_length`, Apache `%D` (µs) and
//!     `%T` (s) are indistinguishable from each other;
//!   - quoted numbers (nginx `"$gzip_ratio"`), upstream addresses,
//!     `[upstream-name]`, request ids and other `key=value`s are ignored.
//! - **Timestamps** must carry a UTC offset; HAProxy's offset-less `%tr`
//!   is rejected ([`Reason::BadTimestamp`]) rather than guessed.
//!
//! Malformed lines give a [`ParseError`] with a [`Reason`] and the byte
//! position where parsing stopped; no input makes the parser panic (fuzzed
//! and property-tested).

mod addr;
mod escape;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
mod trailing;

use addr::{Client, client, is_vhost, split_port};
use escape::{text, unescape};

use super::timestamp::parse_clf;
use super::url::{set_url_fields, slice_cow};
use super::{Format, LineParser, ParseError, Reason};
use crate::event::{Event, Field, Timestamp, Value};
use memchr::{memchr, memchr_iter, memchr2};
use nom::bytes::complete::{take_till, take_while1};
use nom::character::complete::char;
use nom::sequence::delimited;
use nom::{IResult, Parser};
use std::borrow::Cow;
use std::ops::Range;

/// Parser for `combined` and `common`.
#[derive(Debug, Clone)]
pub struct CombinedParser {
    format: Format,
}

impl CombinedParser {
    /// The `combined` parser.
    pub fn combined() -> Self {
        CombinedParser {
            format: Format::Combined,
        }
    }
    /// The `common` parser.
    pub fn common() -> Self {
        CombinedParser {
            format: Format::Common,
        }
    }
}

impl LineParser for CombinedParser {
    fn format(&self) -> Format {
        self.format
    }

    fn parse<'a>(&self, line: &'a [u8], event: &mut Event<'a>) -> Result<(), ParseError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let with_agent = self.format == Format::Combined;
        match access_line(line, with_agent) {
            Ok((_, parsed)) => {
                fill(event, parsed, &Src::new(line));
                Ok(())
            }
            Err(nom::Err::Error(f) | nom::Err::Failure(f)) => {
                Err(ParseError::at(f.reason, line.len().saturating_sub(f.rest)))
            }
            Err(nom::Err::Incomplete(_)) => Err(ParseError::at(Reason::Truncated, line.len())),
        }
    }
}

/// A parse failure: why, and how much of the line was left (the position
/// is computed from it once, at the edge).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Fail {
    reason: Reason,
    rest: usize,
}

impl nom::error::ParseError<&[u8]> for Fail {
    fn from_error_kind(input: &[u8], _kind: nom::error::ErrorKind) -> Self {
        Fail {
            reason: Reason::BadSeparator,
            rest: input.len(),
        }
    }
    fn append(_input: &[u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a [u8], T, Fail>;

/// Fails with `reason` at the start of `at`.
fn fail<T>(reason: Reason, at: &[u8]) -> PResult<'_, T> {
    Err(nom::Err::Error(Fail {
        reason,
        rest: at.len(),
    }))
}

/// Runs a nom parser, reporting any failure as `reason` (nom's own
/// `ErrorKind` means nothing to a metric reader).
fn labeled<'a, O>(
    reason: Reason,
    mut p: impl Parser<&'a [u8], Output = O, Error = Fail>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O> {
    move |i| p.parse(i).map_err(|e| e.map(|f| Fail { reason, ..f }))
}

/// The pieces of a line before interpretation.
#[derive(Debug)]
struct AccessLine<'a> {
    head: Head<'a>,
    timestamp: Timestamp,
    request: Quoted<'a>,
    status: Option<u16>,
    bytes: Option<i64>,
    referrer: Quoted<'a>,
    agent: Quoted<'a>,
    /// Whatever follows the user agent (combined only).
    trailing: &'a [u8],
}

/// `line = head SP timestamp SP request SP status SP bytes [SP referrer SP agent trailing]`
fn access_line(i: &[u8], with_agent: bool) -> PResult<'_, AccessLine<'_>> {
    let (i, head) = head(i)?;
    let (i, _) = sep(i)?;
    let (i, timestamp) = timestamp(i)?;
    let (i, _) = sep(i)?;
    let (i, request) = quoted(i)?;
    let (i, _) = sep(i)?;
    let (i, status) = status(i)?;
    let (i, _) = sep(i)?;
    let (i, bytes) = body_bytes(i)?;
    let mut line = AccessLine {
        head,
        timestamp,
        request,
        status,
        bytes,
        referrer: Quoted::ABSENT,
        agent: Quoted::ABSENT,
        trailing: b"",
    };
    if !with_agent {
        // `common` ignores anything after the byte count.
        return Ok((b"", line));
    }
    let (i, _) = sep(i)?;
    let (i, referrer) = quoted_or_dash(i)?;
    let (i, _) = sep(i)?;
    let (i, agent) = user_agent(i)?;
    line.referrer = referrer;
    line.agent = agent;
    line.trailing = i;
    Ok((b"", line))
}

/// One or more spaces between fields ([`Reason::Truncated`] at the end of
/// the line). More than one is tolerated.
fn sep(i: &[u8]) -> PResult<'_, ()> {
    if i.is_empty() {
        return fail(Reason::Truncated, i);
    }
    let (i, _) = labeled(Reason::BadSeparator, take_while1(|b| b == b' ')).parse(i)?;
    Ok((i, ()))
}

/// A field up to the next space or the end of the line.
fn token(i: &[u8]) -> PResult<'_, &[u8]> {
    if i.is_empty() {
        return fail(Reason::Truncated, i);
    }
    // Tokens are short: a plain scan beats memchr's call overhead here.
    let end = i.iter().position(|c| *c == b' ').unwrap_or(i.len());
    let (tok, rest) = i.split_at(end);
    Ok((rest, tok))
}

/// The fields before the timestamp.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Head<'a> {
    /// `%v` and `%p` of `vhost_combined`.
    vhost: Option<(&'a [u8], Option<u16>)>,
    client: Client<'a>,
    /// `%u`, raw (may contain spaces).
    user: &'a [u8],
}

/// `head = [vhost SP] client SP ident SP user`, everything before the
/// ` [` that opens the timestamp. It is split on spaces first because the
/// vhost prefix can only be recognised by counting tokens.
fn head(i: &[u8]) -> PResult<'_, Head<'_>> {
    let end = timestamp_start(i).unwrap_or(i.len());
    let (h, rest) = i.split_at(end);
    // Up to four token ranges; more than four only matters for `%u`.
    let mut toks: [Range<usize>; 4] = [0..0, 0..0, 0..0, 0..0];
    let mut n = 0;
    let mut pos = 0;
    while n < toks.len() {
        pos += h
            .get(pos..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| **c == b' ')
            .count();
        if pos >= h.len() {
            break;
        }
        let tail = h.get(pos..).unwrap_or_default();
        let tok_end = tail
            .iter()
            .position(|c| *c == b' ')
            .map_or(h.len(), |k| pos + k);
        toks[n] = pos..tok_end;
        n += 1;
        pos = tok_end;
    }
    let tok = |k: usize| h.get(toks[k].clone()).unwrap_or_default();
    let at = |offset: usize| i.get(offset..).unwrap_or_default();
    if n == 0 {
        let reason = if rest.is_empty() {
            Reason::Truncated
        } else {
            Reason::BadClient
        };
        return fail(reason, i);
    }
    // `n` stops at four: four means "four or more tokens before the `[`".
    let vhost = n == 4 && is_vhost(tok(0), tok(1));
    let c = usize::from(vhost);
    let Some(client) = client(tok(c)) else {
        return fail(Reason::BadClient, at(toks[c].start));
    };
    let user_tok = 2 + c;
    if n <= user_tok {
        let reason = if rest.is_empty() {
            Reason::Truncated
        } else {
            Reason::BadSeparator
        };
        return fail(reason, at(end));
    }
    if rest.is_empty() && n > 3 {
        // No timestamp anywhere: report the token that should have been it.
        return fail(Reason::BadTimestamp, at(toks[3].start));
    }
    let user_end = h.iter().rposition(|c| *c != b' ').map_or(0, |p| p + 1);
    let user = h.get(toks[user_tok].start..user_end).unwrap_or_default();
    let head = Head {
        vhost: vhost.then(|| split_port(tok(0))),
        client,
        user,
    };
    Ok((rest, head))
}

/// Where ` [` opens the timestamp: the first `[` that follows a space.
fn timestamp_start(i: &[u8]) -> Option<usize> {
    memchr_iter(b'[', i)
        .find(|&k| k > 0 && i.get(k - 1) == Some(&b' '))
        .map(|k| k - 1)
}

/// `timestamp = "[" clf-date "]"`; errors point at the `[`.
fn timestamp(i: &[u8]) -> PResult<'_, Timestamp> {
    let bracketed = delimited(char('['), take_till(|b| b == b']'), char(']'));
    let parsed = labeled(Reason::BadTimestamp, bracketed).parse(i);
    match parsed.map(|(rest, inner)| (rest, parse_clf(inner))) {
        Ok((rest, Some(ts))) => Ok((rest, ts)),
        _ => fail(Reason::BadTimestamp, i),
    }
}

/// The raw content of a quoted field, and whether it contains a backslash
/// (found while scanning for the closing quote, so that decoding does not
/// have to look again).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Quoted<'a> {
    raw: &'a [u8],
    escaped: bool,
}

impl<'a> Quoted<'a> {
    /// An absent field (`-`).
    const ABSENT: Quoted<'static> = Quoted {
        raw: b"-",
        escaped: false,
    };

    /// The raw bytes, escapes not decoded.
    fn raw(self) -> &'a [u8] {
        self.raw
    }

    /// The decoded text, or `None` for an absent (`-` or empty) value.
    fn text(self, src: &Src<'a>) -> Option<Cow<'a, str>> {
        match self.raw {
            b"" | b"-" => None,
            raw if self.escaped => Some(unescape(raw)),
            raw => Some(src.text(raw)),
        }
    }
}

/// `quoted = '"' content '"'`. A `"` after a backslash is content; a `"`
/// not followed by a space or the end of the line is content too (see the
/// module docs).
fn quoted(i: &[u8]) -> PResult<'_, Quoted<'_>> {
    let Some(body) = i.strip_prefix(b"\"") else {
        let reason = if i.is_empty() {
            Reason::Truncated
        } else {
            Reason::BadSeparator
        };
        return fail(reason, i);
    };
    let mut pos = 0;
    let mut escaped = false;
    while let Some(k) = body.get(pos..).and_then(|b| memchr2(b'"', b'\\', b)) {
        let at = pos + k;
        if body.get(at) == Some(&b'\\') {
            escaped = true;
            pos = at + 2;
            continue;
        }
        match body.get(at + 1) {
            None | Some(b' ') => {
                let (raw, rest) = body.split_at(at);
                return Ok((rest.get(1..).unwrap_or_default(), Quoted { raw, escaped }));
            }
            Some(_) => pos = at + 1,
        }
    }
    fail(Reason::UnterminatedQuote, i)
}

/// A quoted field, or a bare `-` for an absent one.
fn quoted_or_dash(i: &[u8]) -> PResult<'_, Quoted<'_>> {
    if i.first() == Some(&b'"') {
        return quoted(i);
    }
    match token(i)? {
        (rest, b"-") => Ok((rest, Quoted::ABSENT)),
        _ => fail(Reason::BadSeparator, i),
    }
}

/// The user agent: like [`quoted_or_dash`], but a missing closing quote
/// at the end of the line is tolerated (a line cut short).
fn user_agent(i: &[u8]) -> PResult<'_, Quoted<'_>> {
    match quoted_or_dash(i) {
        Err(nom::Err::Error(Fail {
            reason: Reason::UnterminatedQuote,
            ..
        })) => {
            let raw = i.get(1..).unwrap_or_default();
            let escaped = memchr(b'\\', raw).is_some();
            Ok((b"", Quoted { raw, escaped }))
        }
        other => other,
    }
}

/// `status = 3DIGIT / "-"`
fn status(i: &[u8]) -> PResult<'_, Option<u16>> {
    match token(i)? {
        (rest, b"-") => Ok((rest, None)),
        (rest, &[a, b, c]) if [a, b, c].iter().all(u8::is_ascii_digit) => {
            let n = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            Ok((rest, Some(n)))
        }
        _ => fail(Reason::BadStatus, i),
    }
}

/// `bytes = 1*18DIGIT / "-"`
fn body_bytes(i: &[u8]) -> PResult<'_, Option<i64>> {
    match token(i)? {
        (rest, b"-") => Ok((rest, None)),
        (rest, digits)
            if (1..=18).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) =>
        {
            let n = digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
            Ok((rest, Some(n)))
        }
        _ => fail(Reason::BadBytes, i),
    }
}

/// A text field that may be absent (`-` or empty).
fn present(raw: &[u8]) -> Option<&[u8]> {
    (!raw.is_empty() && raw != b"-").then_some(raw)
}

/// The line being parsed, and the same line as text when it is UTF-8.
/// Checking the whole line once is cheaper than one `from_utf8` per field
/// (a tenth of parse time when done per field).
struct Src<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Src<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Src {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
        }
    }

    /// A part of the line as text: the matching part of the checked line
    /// when there is one, else checked on its own (lossy if invalid).
    fn text(&self, part: &'a [u8]) -> Cow<'a, str> {
        // The offset of `part` in the line; the pointer comparison below
        // makes sure `part` really is inside the line.
        let start = (part.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize);
        let end = start.checked_add(part.len());
        let same = self
            .text
            .and_then(|t| t.get(start..end?))
            .filter(|s| std::ptr::eq(s.as_ptr(), part.as_ptr()));
        match same {
            Some(s) => Cow::Borrowed(s),
            None => text(part),
        }
    }
}

/// Writes a parsed line into the event.
fn fill<'a>(ev: &mut Event<'a>, line: AccessLine<'a>, src: &Src<'a>) {
    match line.head.client {
        Client::Ip(ip) => ev.set(Field::SourceIp, Value::Str(src.text(ip))),
        Client::Domain(name) => ev.set(Field::SourceDomain, Value::Str(src.text(name))),
        Client::Unix => {}
    }
    if let Some((host, port)) = line.head.vhost {
        ev.set(Field::HostName, Value::Str(src.text(host)));
        if let Some(port) = port {
            ev.set(Field::ServerPort, Value::Int(i64::from(port)));
        }
    }
    if let Some(user) = present(line.head.user) {
        ev.set(Field::UserName, Value::Str(unescape(user)));
    }
    ev.timestamp = Some(line.timestamp);
    if let Some(request) = line.request.text(src) {
        set_request(ev, request);
    }
    if let Some(status) = line.status {
        ev.set(Field::HttpResponseStatusCode, Value::Int(i64::from(status)));
        let outcome = match status {
            0..=99 => "unknown",
            100..=399 => "success",
            _ => "failure",
        };
        ev.set_str(Field::EventOutcome, outcome);
    }
    if let Some(bytes) = line.bytes {
        ev.set(Field::HttpResponseBodyBytes, Value::Int(bytes));
    }
    if let Some(referrer) = line.referrer.text(src) {
        ev.set(Field::HttpRequestReferrer, Value::Str(referrer));
    }
    if let Some(agent) = line.agent.text(src) {
        ev.set(Field::UserAgentOriginal, Value::Str(agent));
    }
    trailing::scan(line.trailing, ev, src);
}

/// Byte ranges of a request line's method, target and HTTP version.
#[derive(Debug, PartialEq, Eq)]
struct RequestParts {
    method: Range<usize>,
    target: Range<usize>,
    version: Option<Range<usize>>,
}

/// Splits `METHOD TARGET [PROTOCOL]`; `None` when the first word is not an
/// HTTP method (garbage such as a TLS handshake). All range boundaries are
/// at ASCII spaces, so they are valid `str` boundaries.
fn request_parts(req: &str) -> Option<RequestParts> {
    let b = req.as_bytes();
    let sp = memchr(b' ', b)?;
    let (method, after) = b.split_at(sp);
    let is_method = (1..=32).contains(&method.len())
        && method
            .iter()
            .all(|c| c.is_ascii_alphabetic() || *c == b'-' || *c == b'_');
    if !is_method {
        return None;
    }
    let start = sp + after.iter().take_while(|c| **c == b' ').count();
    let end = b
        .iter()
        .rposition(|c| *c != b' ')
        .map_or(0, |p| p + 1)
        .max(start);
    let rest = b.get(start..end).unwrap_or_default();
    let (target, version) = match rest.iter().rposition(|c| *c == b' ') {
        Some(k) => match protocol_version(rest.get(k + 1..).unwrap_or_default()) {
            Some(v) => {
                let target_end = start
                    + rest.get(..k).map_or(0, |t| {
                        t.iter().rposition(|c| *c != b' ').map_or(0, |p| p + 1)
                    });
                let version = v.map(|len| end - len..end);
                (start..target_end, version)
            }
            None => (start..end, None),
        },
        None => (start..end, None),
    };
    Some(RequestParts {
        method: 0..sp,
        target,
        version,
    })
}

/// `Some(Some(len))` for `HTTP/x.y` (the length of `x.y`), `Some(None)` for
/// another protocol (`RTSP/1.0`), `None` when the word is not a protocol.
fn protocol_version(word: &[u8]) -> Option<Option<usize>> {
    let slash = memchr(b'/', word)?;
    let (name, version) = word.split_at(slash);
    let version = version.get(1..).unwrap_or_default();
    let ok = !name.is_empty()
        && name.iter().all(u8::is_ascii_alphabetic)
        && version.first().is_some_and(u8::is_ascii_digit)
        && version.iter().all(|c| c.is_ascii_digit() || *c == b'.');
    ok.then(|| (name == b"HTTP").then_some(version.len()))
}

/// Sets the method, URL and version fields from a decoded request line.
fn set_request<'a>(ev: &mut Event<'a>, req: Cow<'a, str>) {
    let Some(parts) = request_parts(&req) else {
        return;
    };
    ev.set(
        Field::HttpRequestMethod,
        Value::Str(slice_cow(&req, parts.method)),
    );
    if let Some(v) = parts.version {
        ev.set(Field::HttpVersion, Value::Str(slice_cow(&req, v)));
    }
    set_url_fields(ev, slice_cow(&req, parts.target));
}
