//! CouchDB 2.x/3.x logs (`couch_log` file writer), whose request lines are
//!
//! ```text
//! [notice] 2026-03-02T08:00:01.123456Z couchdb@node1 <0.1234.0> 1a2b3c4d5e host.example:5984 203.0.113.9 app-7 GET /acme_customers/_all_docs?include_docs=true 200 ok 12
//! [LEVEL]  TIMESTAMP                   NODE          PID         NONCE      HOST              PEER        USER  METHOD PATH                                  CODE STATUS MS
//! ```
//!
//! The prefix up to the nonce is `couch_log`'s (`"[~s] ~s ~s ~p ~s "`), the
//! rest is chttpd's request message. Other messages of the same log (nonce
//! `--------`, or request-scoped errors) are kept as events with `message`
//! rather than counted as malformed: they are CouchDB lines, just not
//! requests. Only a malformed prefix is an error.

use super::fields::{set_source, set_status};
use super::url_shim::{percent_decode, set_url_fields_fallback};
use super::{Format, LineParser, ParseError, Reason, datetime};
use crate::event::{Event, Field, Value};
use std::borrow::Cow;

/// Parser for `couchdb`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CouchdbParser;

impl LineParser for CouchdbParser {
    fn format(&self) -> Format {
        Format::Couchdb
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let text = std::str::from_utf8(line)
            .map_err(|e| ParseError::at(Reason::BadUtf8, e.valid_up_to()))?;
        let mut cur = Cursor { text, pos: 0 };

        let level = cur
            .bracketed()
            .filter(|l| {
                !l.is_empty() && l.len() <= 16 && l.bytes().all(|c| c.is_ascii_alphabetic())
            })
            .ok_or(ParseError::at(Reason::BadSeparator, 0))?;
        let ts_at = cur.pos;
        let ts = cur
            .token()
            .ok_or(ParseError::at(Reason::Truncated, ts_at))?;
        ev.timestamp =
            Some(datetime::rfc3339(ts).ok_or(ParseError::at(Reason::BadTimestamp, ts_at))?);
        let node = cur
            .token()
            .ok_or(ParseError::at(Reason::Truncated, cur.pos))?;
        let pid_at = cur.pos;
        let pid = cur
            .token()
            .ok_or(ParseError::at(Reason::Truncated, pid_at))?;
        if !(pid.len() > 2 && pid.starts_with('<') && pid.ends_with('>')) {
            return Err(ParseError::at(Reason::BadSeparator, pid_at));
        }
        let nonce = cur
            .token()
            .ok_or(ParseError::at(Reason::Truncated, cur.pos))?;
        let message = cur.rest();
        if message.is_empty() {
            return Err(ParseError::at(Reason::Truncated, cur.pos));
        }

        ev.set_str(Field::HostName, node);
        ev.push_extra("couchdb.level", Value::str(level));
        ev.push_extra("couchdb.pid", Value::str(pid));
        if !nonce.bytes().all(|c| c == b'-') {
            ev.push_extra("couchdb.request_id", Value::str(nonce));
        }
        match request(message) {
            Some(req) => req.apply(ev),
            None => ev.push_extra("message", Value::str(message)),
        }
        Ok(())
    }
}

/// The fields of chttpd's request message.
struct Request<'a> {
    host: &'a str,
    peer: &'a str,
    user: &'a str,
    method: &'a str,
    path: &'a str,
    code: i64,
    status: &'a str,
    millis: i64,
}

/// Splits `HOST PEER USER METHOD PATH CODE STATUS MS`; `None` when the
/// message is not a request line. The path is whatever lies between the
/// method and the code, so a path with a space cannot shift the fields.
fn request(msg: &str) -> Option<Request<'_>> {
    let (head, millis) = msg.rsplit_once(' ')?;
    let (head, status) = head.rsplit_once(' ')?;
    let (head, code) = head.rsplit_once(' ')?;
    let mut it = head.splitn(5, ' ');
    let (host, peer, user, method, path) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    let plausible = !host.is_empty()
        && !peer.is_empty()
        && !user.is_empty()
        && !method.is_empty()
        && method
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'_' || c == b'-')
        && !path.is_empty()
        && code.len() == 3
        && !status.is_empty()
        && status
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_');
    if !plausible {
        return None;
    }
    Some(Request {
        host,
        peer,
        user,
        method,
        path,
        code: code.parse().ok().filter(|c| (100..=599).contains(c))?,
        status,
        millis: millis.parse().ok().filter(|m| *m >= 0)?,
    })
}

impl<'a> Request<'a> {
    fn apply(self, ev: &mut Event<'a>) {
        set_source(ev, Cow::Borrowed(self.peer));
        // chttpd writes `undefined` for an anonymous request and
        // percent-encodes names that are not ASCII.
        if self.user != "undefined" {
            ev.set(Field::UserName, Value::Str(percent_decode(self.user)));
        }
        ev.set_str(Field::HttpRequestMethod, self.method);
        // TODO(merge): use parse::url
        set_url_fields_fallback(ev, Cow::Borrowed(self.path));
        set_status(ev, self.code);
        ev.set(
            Field::EventDuration,
            Value::Int(self.millis.saturating_mul(1_000_000)),
        );
        if self.host != "undefined" {
            let (domain, port) = split_host(self.host);
            ev.push_extra("url.domain", Value::str(domain));
            if let Some(p) = port {
                ev.push_extra("url.port", Value::Int(p));
            }
        }
        ev.push_extra("couchdb.status", Value::str(self.status));
    }
}

/// A `Host` header's name and port (`[::1]:5984`, `db.example:5984`).
fn split_host(host: &str) -> (&str, Option<i64>) {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, tail)) => (v6, tail.strip_prefix(':')),
            None => (host, None),
        },
        None => match host.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (host, None),
        },
    };
    match port.map(str::parse::<u16>) {
        Some(Ok(p)) => (name, Some(i64::from(p))),
        Some(Err(_)) => (host, None),
        None => (name, None),
    }
}

/// Space-separated tokens of a line, with the byte position for errors.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// `[...]` followed by a space.
    fn bracketed(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.pos..)?.strip_prefix('[')?;
        let (inner, after) = rest.split_once("] ")?;
        self.pos = self.text.len() - after.len();
        Some(inner)
    }

    /// The next token up to a space (which is consumed) or the end.
    fn token(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.pos..)?;
        let (tok, adv) = match rest.find(' ') {
            Some(i) => (rest.get(..i)?, i + 1),
            None => (rest, rest.len()),
        };
        if tok.is_empty() {
            return None;
        }
        self.pos += adv;
        Some(tok)
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<(String, String)>, Reason> {
        let mut ev = Event::new(Format::Couchdb, Default::default());
        CouchdbParser
            .parse(line.as_bytes(), &mut ev)
            .map_err(|e| e.reason)?;
        let mut out: Vec<_> = ev
            .fields()
            .map(|(f, v)| (f.name().to_owned(), v.to_string()))
            .collect();
        out.extend(ev.extras().map(|(n, v)| (n.to_owned(), v.to_string())));
        if let Some(t) = ev.timestamp {
            out.push(("@timestamp".into(), t.to_string()));
        }
        Ok(out)
    }

    fn get<'v>(f: &'v [(String, String)], name: &str) -> Option<&'v str> {
        f.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn request_line() {
        let f = parse("[notice] 2026-03-02T08:00:01.123456Z couchdb@node1 <0.1234.0> 1a2b3c4d5e host.example:5984 203.0.113.9 app-7 GET /acme_customers/_all_docs?include_docs=true 200 ok 12").unwrap();
        for (k, v) in [
            ("@timestamp", "2026-03-02T08:00:01.123456Z"),
            ("host.name", "couchdb@node1"),
            ("source.ip", "203.0.113.9"),
            ("user.name", "app-7"),
            ("http.request.method", "GET"),
            (
                "url.original",
                "/acme_customers/_all_docs?include_docs=true",
            ),
            ("url.path", "/acme_customers/_all_docs"),
            ("url.query", "include_docs=true"),
            ("db.name", "acme_customers"),
            ("http.response.status_code", "200"),
            ("event.outcome", "success"),
            ("event.duration", "12000000"),
            ("couchdb.level", "notice"),
            ("couchdb.request_id", "1a2b3c4d5e"),
            ("couchdb.status", "ok"),
            ("url.domain", "host.example"),
            ("url.port", "5984"),
        ] {
            assert_eq!(get(&f, k), Some(v), "{k}");
        }
        assert_eq!(get(&f, "db.doc_id"), None);
    }

    #[test]
    fn anonymous_and_encoded_users_and_doc_ids() {
        let f = parse("[notice] 2026-03-02T08:00:01Z n@h <0.1.0> abc [::1]:5984 ::1 undefined PUT /db/jane%40example.com 409 ok 3").unwrap();
        assert_eq!(get(&f, "user.name"), None);
        assert_eq!(get(&f, "source.ip"), Some("::1"));
        assert_eq!(get(&f, "db.doc_id"), Some("jane@example.com"));
        assert_eq!(get(&f, "event.outcome"), Some("failure"));
        assert_eq!(get(&f, "url.domain"), Some("::1"));
        let f = parse("[notice] 2026-03-02T08:00:01Z n@h <0.1.0> abc h 127.0.0.1 %E3%82%88%E3%81%86%E3%81%93%E3%81%9D GET /_all_dbs 201 ok 10000").unwrap();
        assert_eq!(get(&f, "user.name"), Some("ようこそ"));
        assert_eq!(get(&f, "db.name"), None);
    }

    #[test]
    fn other_messages_are_events() {
        let f =
            parse("[error] 2026-03-02T08:00:01Z n@h <0.1.0> -------- could not open file").unwrap();
        assert_eq!(get(&f, "message"), Some("could not open file"));
        assert_eq!(get(&f, "couchdb.request_id"), None);
        assert_eq!(get(&f, "couchdb.level"), Some("error"));
    }

    #[test]
    fn malformed_prefixes() {
        assert_eq!(parse("notice 2026").unwrap_err(), Reason::BadSeparator);
        assert_eq!(
            parse("[info] time_stamp nonode@nohost <0.1.0> msg_id stuff").unwrap_err(),
            Reason::BadTimestamp
        );
        assert_eq!(
            parse("[info] 2026-03-02T08:00:01Z n@h 0.1.0 x y").unwrap_err(),
            Reason::BadSeparator
        );
        assert_eq!(
            parse("[info] 2026-03-02T08:00:01Z n@h <0.1.0> x").unwrap_err(),
            Reason::Truncated
        );
        assert_eq!(
            parse("[info] 2026-03-02T08:00:01Z").unwrap_err(),
            Reason::Truncated
        );
        let mut ev = Event::new(Format::Couchdb, Default::default());
        let bad = b"[info] 2026-03-02T08:00:01Z n\xff <0.1.0> x y";
        assert_eq!(
            CouchdbParser.parse(bad, &mut ev).unwrap_err().reason,
            Reason::BadUtf8
        );
    }
}
