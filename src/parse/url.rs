//! Request targets: splitting into `url.path` / `url.query`, and deriving
//! `db.name` / `db.doc_id` for document-database requests.
//!
//! Shared by every parser that sees an HTTP request target (combined,
//! couchdb, json). Values borrow from the target when it is borrowed; only
//! percent-decoding a database name or document id that contains `%`
//! allocates.
//!
//! # Targets
//!
//! [`split_target`] understands the four request-target forms of RFC 9112
//! §3.2: origin-form (`/path?query`), absolute-form (`http://host/path?q`,
//! sent to proxies: the path is the part after the authority, `/` when it is
//! empty), asterisk-form (`*`, path `*`) and authority-form (`host:port`,
//! sent with `CONNECT`: no path). A `#fragment` (never sent by browsers, but
//! scanners do) is dropped from path and query; `url.original` keeps it.
//! Anything else, such as a scanner's `index.php`, is taken as a relative
//! path so that PI detectors still see it.
//!
//! # Document databases
//!
//! [`db_from_path`] reads CouchDB-style paths `/{db}/{docid}[/attachment…]`.
//! The first segment, percent-decoded, must be a valid CouchDB database name
//! (`^[a-z][a-z0-9_$()+/-]*$`), which rules out files (`/index.html`) and
//! server endpoints (`/_utils`, `/_all_dbs`, `/_session`, …). A second
//! segment starting with `_` is a database endpoint (`_all_docs`, `_changes`,
//! `_find`, `_design`, `_local`, …) and yields no document id. Generic web
//! paths such as `/api/users` also fit the shape and get `db.name = api`;
//! rules that care should match on the database names they know.

use crate::event::{Event, Field, Value};
use memchr::{memchr, memchr2};
use std::borrow::Cow;
use std::ops::Range;

/// Where the path of a target is.
enum PathSpan {
    /// These bytes of the target.
    At(Range<usize>),
    /// An absolute-form target with an empty path, which means `/`.
    Root,
    /// An authority-form target (`host:port`): no path.
    Absent,
}

/// Byte ranges of the path and the query. Every boundary sits on an ASCII
/// byte (`?`, `#`, `/`), so the ranges are valid `str` boundaries.
fn spans(target: &str) -> (PathSpan, Option<Range<usize>>) {
    let b = target.as_bytes();
    // One scan for the first `?` or `#`; a `#` ends everything, a `?` starts
    // the query, which a later `#` ends.
    let (path_end, query) = match memchr2(b'?', b'#', b) {
        Some(q) if b.get(q) == Some(&b'?') => {
            let tail = b.get(q + 1..).unwrap_or_default();
            let end = memchr(b'#', tail).map_or(b.len(), |k| q + 1 + k);
            (q, Some(q + 1..end))
        }
        Some(hash) => (hash, None),
        None => (b.len(), None),
    };
    let head = b.get(..path_end).unwrap_or_default();
    let path = head;
    let span = if path == b"*" || path.first() == Some(&b'/') {
        PathSpan::At(0..path_end)
    } else if let Some(n) = scheme_len(path) {
        let authority = n + 3;
        let after = path.get(authority..).unwrap_or_default();
        match memchr(b'/', after) {
            Some(k) => PathSpan::At(authority + k..path_end),
            None => PathSpan::Root,
        }
    } else if is_authority_form(path) {
        PathSpan::Absent
    } else {
        PathSpan::At(0..path_end)
    };
    (span, query)
}

/// Length of a URI scheme (`[A-Za-z][A-Za-z0-9+.-]*`) followed by `://`.
fn scheme_len(b: &[u8]) -> Option<usize> {
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
        .count();
    b.get(n..)?.starts_with(b"://").then_some(n)
}

/// `host:port` as sent with `CONNECT`: no `/`, and a numeric port.
fn is_authority_form(b: &[u8]) -> bool {
    if memchr(b'/', b).is_some() {
        return false;
    }
    match b.iter().rposition(|c| *c == b':') {
        Some(colon) => {
            let port = b.get(colon + 1..).unwrap_or_default();
            colon > 0 && !port.is_empty() && port.iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// Splits a request target into its path and its query (after `?`, without
/// the `?`; `None` when there is no `?`). See the [module docs](self) for
/// the target forms; the path is `""` for an authority-form target.
///
/// ```
/// use picket::parse::url::split_target;
/// assert_eq!(split_target("/db/doc?rev=1#top"), ("/db/doc", Some("rev=1")));
/// assert_eq!(split_target("http://proxy.example/a/b"), ("/a/b", None));
/// ```
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    let (span, query) = spans(target);
    let path = match span {
        PathSpan::At(r) => target.get(r).unwrap_or_default(),
        PathSpan::Root => "/",
        PathSpan::Absent => "",
    };
    (path, query.and_then(|r| target.get(r)))
}

/// A part of a borrowed-or-owned string, borrowed when the whole is.
pub(crate) fn slice_cow<'a>(whole: &Cow<'a, str>, r: Range<usize>) -> Cow<'a, str> {
    match whole {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(r).unwrap_or_default()),
        Cow::Owned(s) => Cow::Owned(s.get(r).unwrap_or_default().to_owned()),
    }
}

/// Sets `url.original` (the target as given), `url.path`, `url.query` and,
/// through [`set_db_fields`], `db.name` / `db.doc_id`. Nothing is set for an
/// empty target; `url.path` is omitted when the target has none and
/// `url.query` when it has no `?`.
pub fn set_url_fields<'a>(event: &mut Event<'a>, target: Cow<'a, str>) {
    if target.is_empty() {
        return;
    }
    let (span, query) = spans(&target);
    let path = match span {
        PathSpan::At(r) if !r.is_empty() => Some(slice_cow(&target, r)),
        PathSpan::At(_) | PathSpan::Absent => None,
        PathSpan::Root => Some(Cow::Borrowed("/")),
    };
    if let Some(q) = query {
        event.set(Field::UrlQuery, Value::Str(slice_cow(&target, q)));
    }
    if let Some(path) = path {
        set_db_fields(event, &path);
        event.set(Field::UrlPath, Value::Str(path));
    }
    event.set(Field::UrlOriginal, Value::Str(target));
}

/// Sets `db.name` and `db.doc_id` from a URL path, when it addresses a
/// document database (see [`db_from_path`]).
#[allow(
    clippy::ptr_arg,
    reason = "a borrowed path lets the fields borrow from the line; `&str` would lose 'a"
)]
pub fn set_db_fields<'a>(event: &mut Event<'a>, path: &Cow<'a, str>) {
    fn owned<'a>(c: Cow<'_, str>) -> Cow<'a, str> {
        Cow::Owned(c.into_owned())
    }
    let (db, doc) = match path {
        Cow::Borrowed(p) => match db_from_path(p) {
            Some(found) => found,
            None => return,
        },
        Cow::Owned(p) => match db_from_path(p) {
            Some((db, doc)) => (owned(db), doc.map(owned)),
            None => return,
        },
    };
    event.set(Field::DbName, Value::Str(db));
    if let Some(doc) = doc {
        event.set(Field::DbDocId, Value::Str(doc));
    }
}

/// The database name and document id addressed by a path
/// `/{db}/{docid}[/…]`, both percent-decoded; `None` when the first segment
/// is not a CouchDB database name, and no document id when the second
/// segment is empty or a `_` endpoint.
///
/// ```
/// use picket::parse::url::db_from_path;
/// let (db, doc) = db_from_path("/acme%2Fcrm/jane%40example.com/photo.jpg").unwrap();
/// assert_eq!((&*db, doc.as_deref()), ("acme/crm", Some("jane@example.com")));
/// assert!(db_from_path("/_all_dbs").is_none());
/// assert_eq!(db_from_path("/acme/_all_docs").unwrap().1, None);
/// ```
pub fn db_from_path(path: &str) -> Option<(Cow<'_, str>, Option<Cow<'_, str>>)> {
    let rest = path.strip_prefix('/')?;
    let (db, after) = segment(rest);
    // Most names need no decoding: check them in place, one table lookup
    // per byte, before trying the general path.
    let db = if db.bytes().all(|c| DB_NAME_BYTE[usize::from(c)]) {
        if !db.as_bytes().first().is_some_and(u8::is_ascii_lowercase) {
            return None;
        }
        Cow::Borrowed(db)
    } else {
        let db = percent_decode(db);
        if !is_couchdb_name(&db) {
            return None;
        }
        db
    };
    let doc = after
        .map(|a| segment(a).0)
        .filter(|seg| !seg.is_empty())
        .map(percent_decode)
        .filter(|doc| !doc.starts_with('_'));
    Some((db, doc))
}

/// The first `/`-separated segment of `s`, and what follows the `/`.
/// (A byte scan: segments are short, and `split_once` costs more here.)
fn segment(s: &str) -> (&str, Option<&str>) {
    match s.bytes().position(|c| c == b'/') {
        Some(k) => (s.get(..k).unwrap_or_default(), s.get(k + 1..)),
        None => (s, None),
    }
}

/// The bytes allowed in a CouchDB database name after the first:
/// `[a-z0-9_$()+/-]`.
static DB_NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(b, b'_' | b'$' | b'(' | b')' | b'+' | b'/' | b'-');
        c += 1;
    }
    t
};

/// Whether `name` is a valid CouchDB database name:
/// `^[a-z][a-z0-9_$()+/-]*$`.
pub fn is_couchdb_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.first().is_some_and(u8::is_ascii_lowercase) && b.iter().all(|c| DB_NAME_BYTE[usize::from(*c)])
}

/// Decodes `%HH` escapes (a `%` not followed by two hex digits is kept as
/// is; `+` stays `+`, as it does in paths). Borrows unless `s` contains `%`;
/// decoded bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    // Segments are short: a plain scan beats memchr's call overhead.
    let Some(first) = b.iter().position(|c| *c == b'%') else {
        return Cow::Borrowed(s);
    };
    let (plain, mut rest) = b.split_at(first);
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(plain);
    while let Some((&c, tail)) = rest.split_first() {
        match (c, tail) {
            (b'%', [h, l, more @ ..]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                out.push((hex(*h) << 4) | hex(*l));
                rest = more;
            }
            _ => {
                out.push(c);
                rest = tail;
            }
        }
    }
    Cow::Owned(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// The value of an ASCII hex digit (callers check `is_ascii_hexdigit`).
fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use crate::parse::Format;

    #[test]
    fn split_target_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("/", "/", None),
            ("/a/b", "/a/b", None),
            ("/a/b?x=1&y=2", "/a/b", Some("x=1&y=2")),
            ("/a?", "/a", Some("")),
            ("/a#frag", "/a", None),
            ("/a?x=1#frag?no", "/a", Some("x=1")),
            ("/a?x=http://b/c", "/a", Some("x=http://b/c")),
            ("//double/slash", "//double/slash", None),
            ("http://host/p/q?x", "/p/q", Some("x")),
            ("https://user@host:8443/p", "/p", None),
            ("http://host", "/", None),
            ("http://host?x=1", "/", Some("x=1")),
            ("HTTP://HOST/P", "/P", None),
            ("*", "*", None),
            ("example.com:443", "", None),
            ("[2001:db8::1]:443", "", None),
            ("index.php?id=1", "index.php", Some("id=1")),
            ("/café?q=é", "/café", Some("q=é")),
            ("", "", None),
        ];
        for (target, path, query) in cases {
            assert_eq!(split_target(target), (*path, *query), "{target}");
        }
    }

    #[test]
    fn db_table() {
        // (path, db.name, db.doc_id)
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "/acme_customers/jane.doe@example.com",
                Some("acme_customers"),
                Some("jane.doe@example.com"),
            ),
            ("/acme/doc1/attachment.pdf", Some("acme"), Some("doc1")),
            ("/acme/doc1/", Some("acme"), Some("doc1")),
            ("/acme", Some("acme"), None),
            ("/acme/", Some("acme"), None),
            ("/acme%2Fcrm/doc", Some("acme/crm"), Some("doc")),
            ("/a-b_c$d(e)f+g/x", Some("a-b_c$d(e)f+g"), Some("x")),
            ("/db9/x", Some("db9"), Some("x")),
            (
                "/db/jane%40example.com",
                Some("db"),
                Some("jane@example.com"),
            ),
            ("/db/caf%C3%A9", Some("db"), Some("café")),
            ("/db/bad%FFutf8", Some("db"), Some("bad\u{fffd}utf8")),
            ("/db/50%", Some("db"), Some("50%")),
            ("/db/a%2Fb/att", Some("db"), Some("a/b")),
            ("/db/%5Fdesign", Some("db"), None),
            // System endpoints: database set, no document.
            ("/acme/_all_docs", Some("acme"), None),
            ("/acme/_changes", Some("acme"), None),
            ("/acme/_find", Some("acme"), None),
            ("/acme/_bulk_get", Some("acme"), None),
            ("/acme/_bulk_docs", Some("acme"), None),
            ("/acme/_design/app/_view/by_email", Some("acme"), None),
            ("/acme/_local/checkpoint", Some("acme"), None),
            ("/acme/_purge", Some("acme"), None),
            ("/acme/_index", Some("acme"), None),
            // Not a database.
            ("/index.html", None, None),
            ("/favicon.ico", None, None),
            ("/_utils", None, None),
            ("/_utils/index.html", None, None),
            ("/_all_dbs", None, None),
            ("/_session", None, None),
            ("/_up", None, None),
            ("/_replicate", None, None),
            ("/Acme/doc", None, None),
            ("/9db/doc", None, None),
            ("/", None, None),
            ("", None, None),
            ("//doc", None, None),
            ("*", None, None),
            ("/db%20x/doc", None, None),
        ];
        for (path, db, doc) in cases {
            let got = db_from_path(path);
            let got = got.as_ref().map(|(d, doc)| (&**d, doc.as_deref()));
            let want = db.map(|d| (d, *doc));
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn percent_decode_borrows_without_percent() {
        assert!(matches!(percent_decode("/plain/path"), Cow::Borrowed(_)));
        assert_eq!(percent_decode("a%2fb%2Fc"), "a/b/c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("a+b"), "a+b");
    }

    fn fields(target: Cow<'_, str>) -> Vec<(&'static str, String)> {
        let mut ev = Event::new(Format::Combined, Origin::default());
        set_url_fields(&mut ev, target);
        ev.fields()
            .map(|(f, v)| (f.name(), v.to_string()))
            .collect()
    }

    #[test]
    fn set_url_fields_sets_what_applies() {
        let got = fields(Cow::Borrowed("/acme/jane%40x.org?rev=1-abc#f"));
        assert_eq!(
            got,
            [
                ("url.original", "/acme/jane%40x.org?rev=1-abc#f".to_string()),
                ("url.path", "/acme/jane%40x.org".into()),
                ("url.query", "rev=1-abc".into()),
                ("db.name", "acme".into()),
                ("db.doc_id", "jane@x.org".into()),
            ]
        );
        let got = fields(Cow::Owned("example.com:443".into()));
        assert_eq!(got, [("url.original", "example.com:443".to_string())]);
        assert!(fields(Cow::Borrowed("")).is_empty());
    }

    #[test]
    fn set_url_fields_borrows_when_it_can() {
        let mut ev = Event::new(Format::Combined, Origin::default());
        set_url_fields(&mut ev, Cow::Borrowed("/db/doc?x=1"));
        for f in [
            Field::UrlOriginal,
            Field::UrlPath,
            Field::UrlQuery,
            Field::DbName,
            Field::DbDocId,
        ] {
            assert!(
                matches!(ev.get(f), Some(Value::Str(Cow::Borrowed(_)))),
                "{f}"
            );
        }
        let mut ev = Event::new(Format::Combined, Origin::default());
        set_url_fields(&mut ev, Cow::Owned("/db/d%40c?x=1".into()));
        assert_eq!(ev.get_str(Field::DbDocId), Some("d@c"));
        assert_eq!(ev.get_str(Field::UrlQuery), Some("x=1"));
    }
}
