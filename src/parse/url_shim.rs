//! Stand-in for `parse::url`, which is being rewritten on another branch.
//!
//! TODO(merge): use parse::url — replace [`set_url_fields_fallback`] with the
//! colleague's `set_url_fields(event, target)` at every call site (all are
//! marked with the same TODO) and delete this module. Behaviour here:
//! `url.original` is the target as logged, `url.path`/`url.query` split at
//! the first `?`, and `db.name`/`db.doc_id` follow CouchDB's URL layout
//! `/{db}/{docid}[/{attachment}]`, percent-decoded.

use super::fields;
use crate::event::{Event, Field, Value};
use std::borrow::Cow;

/// Sets `url.original`, `url.path`, `url.query`, `db.name` and `db.doc_id`
/// from a request target (`/db/doc?x=1`, or an absolute URL).
pub(crate) fn set_url_fields_fallback<'a>(ev: &mut Event<'a>, target: Cow<'a, str>) {
    if target.is_empty() {
        return;
    }
    match target {
        Cow::Borrowed(t) => {
            let (path, query) = split_target(t);
            ev.set_str(Field::UrlPath, path);
            if let Some(q) = query {
                ev.set_str(Field::UrlQuery, q);
            }
            set_db_fields(ev, path);
            ev.set_str(Field::UrlOriginal, t);
        }
        Cow::Owned(t) => {
            let (path, query) = split_target(&t);
            ev.set(Field::UrlPath, Value::Str(Cow::Owned(path.to_owned())));
            if let Some(q) = query {
                ev.set(Field::UrlQuery, Value::Str(Cow::Owned(q.to_owned())));
            }
            let (db, doc) = db_and_doc(path);
            if let Some(db) = db {
                ev.set(Field::DbName, Value::Str(Cow::Owned(db.into_owned())));
            }
            if let Some(doc) = doc {
                ev.set(Field::DbDocId, Value::Str(Cow::Owned(doc.into_owned())));
            }
            ev.set(Field::UrlOriginal, Value::Str(Cow::Owned(t)));
        }
    }
}

/// Sets `url.original`, `url.path` and `url.query` only, for targets that
/// are not document-database URLs (the Kubernetes API).
pub(crate) fn set_url_parts_fallback<'a>(ev: &mut Event<'a>, target: Cow<'a, str>) {
    if target.is_empty() {
        return;
    }
    let (path, query) = split_target(&target);
    let (path, query) = (
        fields::sub(&target, path),
        query.map(|q| fields::sub(&target, q)),
    );
    ev.set(Field::UrlPath, Value::Str(path));
    if let Some(q) = query {
        ev.set(Field::UrlQuery, Value::Str(q));
    }
    ev.set(Field::UrlOriginal, Value::Str(target));
}

/// Sets `db.name`/`db.doc_id` from a URL path that borrows from the line.
pub(crate) fn set_db_fields<'a>(ev: &mut Event<'a>, path: &'a str) {
    let (db, doc) = db_and_doc(path);
    if let Some(db) = db {
        ev.set(Field::DbName, Value::Str(db));
    }
    if let Some(doc) = doc {
        ev.set(Field::DbDocId, Value::Str(doc));
    }
}

/// Path and query (without `?`) of a request target; an absolute URL's
/// scheme and authority are skipped, a fragment is dropped.
fn split_target(t: &str) -> (&str, Option<&str>) {
    let t = t.split_once('#').map_or(t, |(a, _)| a);
    let t = match t.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !scheme.contains('/') => rest
            .find(['/', '?'])
            .map_or("", |i| rest.get(i..).unwrap_or("")),
        _ => t,
    };
    match t.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (t, None),
    }
}

/// CouchDB's layout: the first segment is a database unless it starts with
/// `_` (`/_all_dbs`, `/_session`); the second is a document id unless it is
/// an endpoint (`_all_docs`, `_find`, …), except that `_design/x` and
/// `_local/x` are ids.
fn db_and_doc(path: &str) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    let mut segs = path.trim_start_matches('/').split('/');
    let db = match segs.next() {
        Some(s) if !s.is_empty() && !s.starts_with('_') => s,
        _ => return (None, None),
    };
    let doc = match segs.next() {
        Some(s @ ("_design" | "_local")) => match segs.next() {
            Some(name) if !name.is_empty() => Some(match percent_decode(name) {
                Cow::Borrowed(_) => Cow::Owned(format!("{s}/{name}")),
                Cow::Owned(n) => Cow::Owned(format!("{s}/{n}")),
            }),
            _ => None,
        },
        Some(s) if !s.is_empty() && !s.starts_with('_') => Some(percent_decode(s)),
        _ => None,
    };
    (Some(percent_decode(db)), doc)
}

/// Percent-decodes `s`; borrowed when there is nothing to decode, and the
/// raw text when the decoded bytes are not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(d) => Cow::Owned(d),
        Err(_) => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    fn fields(target: &str) -> Vec<(String, String)> {
        let mut ev = Event::new(Format::Json, Default::default());
        set_url_fields_fallback(&mut ev, Cow::Borrowed(target));
        let mut owned = Event::new(Format::Json, Default::default());
        set_url_fields_fallback(&mut owned, Cow::Owned(target.to_owned()));
        let a: Vec<_> = ev
            .fields()
            .map(|(f, v)| (f.name().to_owned(), v.to_string()))
            .collect();
        let b: Vec<_> = owned
            .fields()
            .map(|(f, v)| (f.name().to_owned(), v.to_string()))
            .collect();
        assert_eq!(a, b, "borrowed and owned agree");
        a
    }

    fn get(f: &[(String, String)], name: &str) -> Option<String> {
        f.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn couchdb_layout() {
        let f = fields("/acme_customers/jane%40example.com?rev=1-a");
        assert_eq!(get(&f, "db.name").as_deref(), Some("acme_customers"));
        assert_eq!(get(&f, "db.doc_id").as_deref(), Some("jane@example.com"));
        assert_eq!(
            get(&f, "url.path").as_deref(),
            Some("/acme_customers/jane%40example.com")
        );
        assert_eq!(get(&f, "url.query").as_deref(), Some("rev=1-a"));
        let f = fields("/acme_customers/_all_docs?include_docs=true");
        assert_eq!(get(&f, "db.name").as_deref(), Some("acme_customers"));
        assert_eq!(get(&f, "db.doc_id"), None);
        let f = fields("/db/_design/app/_view/by_email");
        assert_eq!(get(&f, "db.doc_id").as_deref(), Some("_design/app"));
        let f = fields("/_all_dbs");
        assert_eq!(get(&f, "db.name"), None);
        let f = fields("https://acct.cloudant.com/orders/o-17#frag");
        assert_eq!(get(&f, "url.path").as_deref(), Some("/orders/o-17"));
        assert_eq!(get(&f, "db.doc_id").as_deref(), Some("o-17"));
        assert_eq!(get(&f, "db.name").as_deref(), Some("orders"));
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("%E3%82%88%E3%81%86"), "よう");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%FF"), "%FF");
        assert!(matches!(percent_decode("plain"), Cow::Borrowed(_)));
    }
}
