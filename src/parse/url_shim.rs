//! Stand-in for `parse::url`, which is being rewritten on another branch.
//!
//! `set_url_fields_fallback` now delegates to [`super::url::set_url_fields`];
//! what remains here is URL splitting without document-database fields (the
//! Kubernetes API) and a percent-decoder kept for the CouchDB user field.

use super::fields;
use crate::event::{Event, Field, Value};
use std::borrow::Cow;

/// Sets `url.original`, `url.path`, `url.query`, `db.name` and `db.doc_id`
/// from a request target (`/db/doc?x=1`, or an absolute URL).
pub(crate) fn set_url_fields_fallback<'a>(ev: &mut Event<'a>, target: Cow<'a, str>) {
    if target.is_empty() {
        return;
    }
    super::url::set_url_fields(ev, target);
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
        // `_`-prefixed segments are endpoints, not document ids (parse::url).
        let f = fields("/db/_design/app/_view/by_email");
        assert_eq!(get(&f, "db.doc_id"), None);
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
