//! `syslog`: RFC 3164 and RFC 5424 envelopes around a message that is parsed
//! again as one of the line formats.
//!
//! Accepted envelopes:
//!
//! - RFC 5424: `<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD [MSG]`;
//! - RFC 3164: `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, also without
//!   `<PRI>` (rsyslog's file format), without HOST (`haproxy[1]: …`), and
//!   with an RFC 3339 time instead of the BSD one (rsyslog's
//!   high-precision file format).
//!
//! The message is tried against `couchdb`, `combined`, `common`, `cadf`,
//! `cloudtrail`, `k8s-audit` and `json`, in that order, among those whose
//! first byte and keys fit; the first that parses gives the event its fields
//! and its `event.dataset`, and the envelope adds `log.syslog.*` (and
//! `host.name`, `@timestamp` when the message has none). A message that no
//! format reads is not an error: the event is a plain syslog event with
//! `message`, because a syslog line is a well-formed event in its own right
//! (`su` failures, daemon notices). Only a malformed envelope is an error.
//!
//! RFC 3164 times have no year and no zone: they are read as UTC, in the
//! year that puts them at most a day after the parser's reference time
//! (the start of the run), so a December line read in January lands in the
//! right year. Replays of old year-less logs therefore get the wrong year;
//! prefer RFC 5424 or rsyslog's high-precision format.

mod sd;

use super::{Format, LineParser, ParseError, Reason, datetime, parser_for};
use crate::event::{Event, Field, Timestamp, Value};
use std::borrow::Cow;

/// Formats a syslog message may carry, in the order they are tried.
const INNER: &[Format] = &[
    Format::Couchdb,
    Format::Combined,
    Format::Common,
    Format::Cadf,
    Format::Cloudtrail,
    Format::K8sAudit,
    Format::Auditd,
    Format::Json,
];

/// Parser for `syslog`.
#[derive(Debug)]
pub struct SyslogParser {
    inner: Vec<Box<dyn LineParser>>,
    reference: Timestamp,
}

impl Default for SyslogParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SyslogParser {
    /// A parser whose year-less times resolve against the current time.
    pub fn new() -> Self {
        Self::with_reference_time(Timestamp::now())
    }

    /// A parser whose year-less times resolve against `reference` (tests,
    /// replays of a known period).
    pub fn with_reference_time(reference: Timestamp) -> Self {
        SyslogParser {
            inner: INNER.iter().filter_map(|f| parser_for(*f)).collect(),
            reference,
        }
    }

    /// The first inner format that reads `msg`, as an event.
    fn inner_event<'a>(&self, msg: &'a [u8], ev: &Event<'a>) -> Option<Event<'a>> {
        let first = *msg.first()?;
        self.inner
            .iter()
            .filter(|p| plausible(p.format(), first, msg))
            .find_map(|p| {
                let mut inner = Event::new(p.format(), ev.origin);
                p.parse(msg, &mut inner).ok().map(|()| inner)
            })
    }
}

/// Whether a format is worth trying on a message: JSON formats need `{`
/// and one of their keys, CouchDB `[`, the access logs neither.
fn plausible(format: Format, first: u8, msg: &[u8]) -> bool {
    let has = |needles: &[&str]| {
        needles
            .iter()
            .any(|n| memchr::memmem::find(msg, n.as_bytes()).is_some())
    };
    match format {
        Format::Couchdb => first == b'[',
        Format::Combined | Format::Common => first != b'{' && first != b'[',
        Format::Cadf => first == b'{' && has(&["\"action\"", "cloud/audit"]),
        Format::Cloudtrail => {
            first == b'{'
                && has(&[
                    "\"eventSource\"",
                    "\"eventName\"",
                    "\"eventsource\"",
                    "\"eventname\"",
                    "\"Records\"",
                ])
        }
        Format::K8sAudit => {
            first == b'{'
                && has(&[
                    "\"verb\"",
                    "\"objectRef\"",
                    "\"auditID\"",
                    "\"protoPayload\"",
                    "\"kind\"",
                    "\"category\"",
                    "\"sourceIPs\"",
                    "\"records\"",
                ])
        }
        // audisp-syslog: one record per message, not grouped.
        Format::Auditd => super::auditd::looks_like_record(msg),
        _ => first == b'{',
    }
}

/// The envelope's fields.
#[derive(Default)]
struct Envelope<'a> {
    pri: Option<u8>,
    version: Option<i64>,
    timestamp: Option<Timestamp>,
    hostname: Option<&'a str>,
    appname: Option<&'a str>,
    procid: Option<&'a str>,
    msgid: Option<&'a str>,
    sd: Vec<(Cow<'a, str>, Value<'a>)>,
}

/// Facility names as Vector (syslog_loose) writes them.
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clockd", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
/// Severity names as Vector and rsyslog write them.
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

impl LineParser for SyslogParser {
    fn format(&self) -> Format {
        Format::Syslog
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        // The envelope is ASCII; a message that is not UTF-8 is kept lossily.
        let (text, utf8) = match std::str::from_utf8(line) {
            Ok(t) => (t, true),
            Err(e) => (
                std::str::from_utf8(&line[..e.valid_up_to()]).unwrap_or(""),
                false,
            ),
        };
        let (mut env, mut pos) = match self.envelope(text) {
            Ok(r) => r,
            Err(_) if !utf8 => return Err(ParseError::at(Reason::BadUtf8, text.len())),
            Err(e) => return Err(e),
        };
        if env.version.is_none() {
            pos = self.tag(text, pos, &mut env, line, ev);
        }
        let msg_bytes = line.get(pos..).unwrap_or_default();
        let msg_bytes = msg_bytes
            .strip_prefix("\u{feff}".as_bytes())
            .unwrap_or(msg_bytes);
        let envelope_time = env.timestamp;

        if let Some(inner) = self.inner_event(msg_bytes, ev) {
            *ev = inner;
            if ev.timestamp.is_none() {
                ev.timestamp = envelope_time;
            }
        } else {
            ev.timestamp = envelope_time;
            let msg: Cow<'a, str> = match std::str::from_utf8(msg_bytes) {
                Ok(m) => Cow::Borrowed(m),
                Err(_) => Cow::Owned(String::from_utf8_lossy(msg_bytes).into_owned()),
            };
            if !msg.is_empty() {
                ev.set_extra("message", Value::Str(msg));
            }
        }
        apply(env, ev);
        Ok(())
    }
}

impl SyslogParser {
    /// Parses the envelope up to the message (RFC 5424) or up to the tag
    /// (RFC 3164); returns the fields and the position reached.
    fn envelope<'a>(&self, text: &'a str) -> Result<(Envelope<'a>, usize), ParseError> {
        let b = text.as_bytes();
        let mut env = Envelope::default();
        let mut pos = 0;
        if b.first() == Some(&b'<') {
            let end = b
                .iter()
                .take(5)
                .position(|c| *c == b'>')
                .ok_or(ParseError::at(Reason::BadPriority, 0))?;
            let digits = text.get(1..end).unwrap_or("");
            let pri: u8 = digits
                .parse()
                .ok()
                .filter(|p| {
                    *p <= 191 && !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
                })
                .ok_or(ParseError::at(Reason::BadPriority, 1))?;
            env.pri = Some(pri);
            pos = end + 1;
        }
        // RFC 5424: a version number and a space right after the PRI.
        let rest = text.get(pos..).unwrap_or("");
        let vlen = rest.bytes().take_while(u8::is_ascii_digit).count();
        if env.pri.is_some() && (1..=2).contains(&vlen) && rest.as_bytes().get(vlen) == Some(&b' ')
        {
            env.version = rest.get(..vlen).and_then(|v| v.parse().ok());
            pos += vlen + 1;
            return self.rfc5424(text, pos, env);
        }
        // RFC 3164: a BSD or RFC 3339 time.
        let at = text.get(pos..).unwrap_or("");
        if let Some((month, day, sod, used)) = datetime::bsd_prefix(at.as_bytes()) {
            env.timestamp = datetime::resolve_year(month, day, sod, self.reference);
            if env.timestamp.is_none() {
                return Err(ParseError::at(Reason::BadTimestamp, pos));
            }
            pos += used;
        } else if let Some(tok) = at
            .split(' ')
            .next()
            .filter(|t| t.len() >= 19 && t.as_bytes()[4] == b'-')
            && let Some(t) = datetime::rfc3339(tok)
        {
            env.timestamp = Some(t);
            pos += tok.len();
        } else if env.pri.is_some() {
            return Err(ParseError::at(Reason::BadTimestamp, pos));
        } else {
            // Neither a priority nor a time: not a syslog line.
            return Err(ParseError::at(Reason::WrongShape, 0));
        }
        match b.get(pos) {
            Some(b' ') => pos += 1,
            None => return Ok((env, pos)),
            Some(_) => return Err(ParseError::at(Reason::BadSeparator, pos)),
        }
        // A first token that looks like a tag means there is no hostname.
        let tok = token(text, pos);
        if !tok.is_empty() && !tok.ends_with(':') && !tok.contains('[') {
            env.hostname = Some(tok);
            pos += tok.len();
            if b.get(pos) == Some(&b' ') {
                pos += 1;
            }
        }
        Ok((env, pos))
    }

    /// RFC 5424 after `VERSION `.
    fn rfc5424<'a>(
        &self,
        text: &'a str,
        mut pos: usize,
        mut env: Envelope<'a>,
    ) -> Result<(Envelope<'a>, usize), ParseError> {
        let ts = token(text, pos);
        if ts.is_empty() {
            return Err(ParseError::at(Reason::Truncated, pos));
        }
        if ts != "-" {
            env.timestamp =
                Some(datetime::rfc3339(ts).ok_or(ParseError::at(Reason::BadTimestamp, pos))?);
        }
        pos += ts.len() + 1;
        let mut fields: [Option<&'a str>; 4] = [None; 4];
        for f in &mut fields {
            let tok = token(text, pos);
            if tok.is_empty() {
                return Err(ParseError::at(Reason::Truncated, pos));
            }
            if tok != "-" {
                *f = Some(tok);
            }
            pos += tok.len() + 1;
        }
        [env.hostname, env.appname, env.procid, env.msgid] = fields;
        let rest = text.get(pos..).unwrap_or("");
        if rest.starts_with('-') {
            pos += 1;
        } else if rest.starts_with('[') {
            pos += sd::parse(rest, pos, &mut env.sd)?;
        }
        if text.as_bytes().get(pos) == Some(&b' ') {
            pos += 1;
        }
        Ok((env, pos.min(text.len())))
    }

    /// RFC 3164's tag, `APP[PID]: `, at `pos`; returns where the message
    /// starts. A bare word without `:` or `[` is a tag only when the text
    /// from it on is not itself a message some format reads.
    fn tag<'a>(
        &self,
        text: &'a str,
        pos: usize,
        env: &mut Envelope<'a>,
        line: &'a [u8],
        ev: &Event<'a>,
    ) -> usize {
        let rest = text.get(pos..).unwrap_or("");
        let app_len = rest.find([' ', '[', ':']).unwrap_or(rest.len());
        let app = rest.get(..app_len).unwrap_or("");
        if app.is_empty() {
            return pos;
        }
        let mut i = app_len;
        let b = rest.as_bytes();
        let mut procid = None;
        if b.get(i) == Some(&b'[')
            && let Some(close) = rest.get(i..).and_then(|r| r.find(']'))
        {
            procid = rest.get(i + 1..i + close);
            i += close + 1;
        }
        let colon = b.get(i) == Some(&b':');
        if colon {
            i += 1;
        }
        if !colon && procid.is_none() {
            if b.get(i).is_some_and(|c| *c != b' ') {
                // Not a tag at all (`app[` without `]`, …): all message.
                return pos;
            }
            if self
                .inner_event(line.get(pos..).unwrap_or_default(), ev)
                .is_some()
            {
                return pos;
            }
        }
        if b.get(i) == Some(&b' ') {
            i += 1;
        }
        env.appname = Some(app);
        env.procid = procid.filter(|p| !p.is_empty());
        pos + i
    }
}

/// The token at `pos` up to a space or the end.
fn token(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    rest.get(..rest.find(' ').unwrap_or(rest.len()))
        .unwrap_or("")
}

/// Adds the envelope's fields. `set_extra` rather than `push_extra`: an
/// inner JSON message may already have a field of the same name.
fn apply<'a>(env: Envelope<'a>, ev: &mut Event<'a>) {
    if let Some(pri) = env.pri {
        let (fac, sev) = (usize::from(pri / 8), usize::from(pri % 8));
        ev.set_extra("log.syslog.priority", Value::Int(i64::from(pri)));
        ev.set_extra("log.syslog.facility.code", Value::Int(fac as i64));
        if let Some(name) = FACILITIES.get(fac) {
            ev.set_extra("log.syslog.facility.name", Value::str(name));
        }
        ev.set_extra("log.syslog.severity.code", Value::Int(sev as i64));
        if let Some(name) = SEVERITIES.get(sev) {
            ev.set_extra("log.syslog.severity.name", Value::str(name));
        }
    }
    if let Some(v) = env.version {
        ev.set_extra("log.syslog.version", Value::Int(v));
    }
    if let Some(h) = env.hostname {
        if ev.get(Field::HostName).is_none() {
            ev.set_str(Field::HostName, h);
        }
        ev.set_extra("log.syslog.hostname", Value::str(h));
    }
    if let Some(a) = env.appname {
        ev.set_extra("log.syslog.appname", Value::str(a));
    }
    if let Some(p) = env.procid {
        let v = p.parse().map_or(Value::str(p), Value::Int);
        ev.set_extra("log.syslog.procid", v);
    }
    if let Some(m) = env.msgid {
        ev.set_extra("log.syslog.msgid", Value::str(m));
    }
    for (name, value) in env.sd {
        ev.set_extra(name, value);
    }
}

#[cfg(test)]
mod tests;
