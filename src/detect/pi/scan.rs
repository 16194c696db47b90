//! Field walking: how each SPEC §4 field is cut into units, and what
//! happens to a unit (prefilter → decode → detectors → key context →
//! base64).
//!
//! | field | units |
//! |---|---|
//! | `url.path`, `file.path` | `/`-separated segments (`\` too for files); `;k=v` matrix parameters; the segment before a value is its key context (`/phone/4155550132`) |
//! | `url.query` | `&`/`;`-separated pairs split at the first `=`; keys and values, `+` as space |
//! | `db.doc_id` | the whole id, then its `:`, `/`, `\|` parts with the previous part as key context (`ssn:078051123`) |
//! | `http.request.referrer`, `url.original` | user info (a password there is a secret), host, path, query and fragment as above |
//! | `process.command_line` (and free text) | whitespace-separated tokens: URLs, `--key=value`, `--key value`, `KEY=value`, else path-like |
//!
//! Decoding happens per unit and only when the unit has a `%XX` escape, a
//! `+` in a query, or the shape of base64; the decoded text goes into the
//! reusable [`Bufs`].

use super::Category;
use super::decode::{
    base64_decode_into, has_escape, is_printable_text, may_decode_to_text, url_decode_into,
};
use super::detectors::{Ctx, Emitter, context, detect_text};
use super::fingerprint::Norm;
use super::keys::{self, KeyCache, KeyClass, KeyInfo};
use super::prefilter::{Features, LOWER, NOT_B64, PCT, PLUS, SEMI, UPPER};
use std::mem;

/// Levels of decoding: 0 for a field's own units, 1 for text found inside a
/// base64 unit. Base64 inside base64 is not followed.
const DEPTHS: usize = 2;

/// Decode buffers, one set per depth, and the key caches, owned by a
/// [`PiScratch`](super::PiScratch).
#[derive(Default)]
pub(crate) struct Bufs {
    /// Query keys and command-line flags.
    keys: KeyCache,
    /// Path segments and document-id parts.
    segments: KeyCache,
    /// Art. 9 words in ids and other non-word segments, by digit-folded text.
    specials: KeyCache,
    /// The unit after percent- and `+`-decoding.
    text: [Vec<u8>; DEPTHS],
    /// The unit percent-decoded but with `+` kept: the base64 source for
    /// query values, where `+` is a base64 digit, not a space.
    plain: [Vec<u8>; DEPTHS],
    /// Base64-decoded text.
    b64: [Vec<u8>; DEPTHS],
}

impl Bufs {
    /// Total bytes reserved, for `Debug`.
    pub(crate) fn capacity(&self) -> usize {
        let decode: usize = [&self.text, &self.plain, &self.b64]
            .iter()
            .flat_map(|set| set.iter())
            .map(Vec::capacity)
            .sum();
        decode + self.keys.capacity() + self.segments.capacity() + self.specials.capacity()
    }
}

/// How a unit is decoded.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Kind {
    /// Query keys and values: `+` is a space.
    Query,
    /// Everything else.
    Other,
}

/// Entry point: walks one field.
pub(crate) fn scan_field(field: &str, v: &[u8], bufs: &mut Bufs, em: &mut Emitter<'_>) {
    match field {
        "url.path" => match memchr::memchr(b'?', v) {
            // Some parsers leave the query on the path; read it as one.
            Some(q) => {
                scan_segments(&v[..q], Segments::Url, bufs, em);
                scan_query(&v[q + 1..], 0, bufs, em);
            }
            None => scan_segments(v, Segments::Url, bufs, em),
        },
        "url.query" => scan_query(v, 0, bufs, em),
        "db.doc_id" => scan_doc_id(v, bufs, em),
        "http.request.referrer" | "url.original" => scan_url(v, bufs, em),
        "file.path" => scan_segments(v, Segments::File, bufs, em),
        _ => scan_tokens(v, bufs, em),
    }
}

/// For a document request (`url.path` = `/{db}/{doc}` with `doc` exactly
/// the `db.doc_id`), the `/{db}` part: the id segment then needs no second
/// scan as a path segment. `None` when the path has another shape, when the
/// id was percent-decoded or has matrix parameters (the path reads those
/// differently), or when the database name gives the id key context
/// (`/phone/4155550132` is a phone, as a path only).
pub(crate) fn doc_path_prefix<'p>(path: &'p str, doc: &str, bufs: &mut Bufs) -> Option<&'p str> {
    let db = path.strip_suffix(doc)?.strip_suffix('/')?;
    let name = db.strip_prefix('/')?.as_bytes();
    if name.is_empty() || memchr::memchr3(b'/', b';', b'?', name).is_some() {
        return None;
    }
    if memchr::memchr3(b'%', b';', b'?', doc.as_bytes()).is_some() {
        return None;
    }
    let f = Features::of(name);
    if f.is_word()
        && bufs
            .segments
            .get(name, |s| keys::classify_segment(s, true, true))
            .class
            != KeyClass::None
    {
        return None;
    }
    Some(db)
}

/// The key context a path segment or id part gives the unit after it.
/// Password-like names only make the next unit a secret when it is
/// token-shaped: `/password/reset` is a route, `/reset-password/Xk29…` a
/// credential.
fn positional(class: KeyClass) -> KeyClass {
    match class {
        KeyClass::SecretStrict => KeyClass::SecretToken,
        c => c,
    }
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Segments {
    /// URL path: `/` separated, `;k=v` matrix parameters.
    Url,
    /// File path: `/` or `\` separated.
    File,
}

/// Reports the first GDPR Art. 9 word of a document id, with the part
/// holding it as the value.
fn special_in_path(
    text: &[u8],
    is_sep: fn(u8) -> bool,
    specials: &mut KeyCache,
    em: &mut Emitter<'_>,
) {
    if !em.enabled(Category::SpecialCategory) || !keys::has_special(text, specials) {
        return;
    }
    if let Some((s, e)) = keys::find_special(text) {
        let a = text[..s]
            .iter()
            .rposition(|&b| is_sep(b))
            .map_or(0, |p| p + 1);
        let b = text[e..]
            .iter()
            .position(|&b| is_sep(b))
            .map_or(text.len(), |p| e + p);
        em.emit(Category::SpecialCategory, None, &text[a..b], Norm::Lower);
    }
}

fn scan_segments(path: &[u8], kind: Segments, bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let is_sep: fn(u8) -> bool = match kind {
        Segments::Url => |b| b == b'/',
        Segments::File => |b| b == b'/' || b == b'\\',
    };
    // One Art. 9 finding per path: the first segment naming such data.
    let mut special = em.enabled(Category::SpecialCategory);
    let mut prev = KeyClass::None;
    for seg in path.split(|&b| is_sep(b)) {
        if seg.is_empty() {
            continue;
        }
        let mut f = Features::of(seg);
        let (seg, params) = match (kind, f.has(SEMI)) {
            (Segments::Url, true) => {
                let p = memchr::memchr(b';', seg).unwrap_or(seg.len());
                f = Features::of(&seg[..p]);
                (&seg[..p], seg.get(p + 1..))
            }
            _ => (seg, None),
        };
        let ctx = Ctx {
            class: positional(prev),
            ..Ctx::default()
        };
        scan_unit(seg, &f, Kind::Other, ctx, 0, bufs, em);
        // Identifier words repeat from line to line; the rest is ids.
        let info = if f.is_word() {
            bufs.segments
                .get(seg, |s| keys::classify_segment(s, true, true))
        } else {
            // Ids (`cust_097246`, `order:2026-060971`): no key context, and
            // the Art. 9 test memoized with digits folded.
            KeyInfo {
                class: KeyClass::None,
                special: f.has(UPPER | LOWER) && keys::has_special(seg, &mut bufs.specials),
            }
        };
        if special && info.special {
            em.emit(Category::SpecialCategory, None, seg, Norm::Lower);
            special = false;
        }
        prev = info.class;
        if let Some(params) = params {
            for p in params.split(|&b| b == b';') {
                match memchr::memchr(b'=', p) {
                    Some(eq) => scan_kv(&p[..eq], &p[eq + 1..], Kind::Other, 0, bufs, em),
                    None => scan_unit(
                        p,
                        &Features::of(p),
                        Kind::Other,
                        Ctx::default(),
                        0,
                        bufs,
                        em,
                    ),
                }
            }
        }
    }
}

fn scan_query(q: &[u8], depth: usize, bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let mut start = 0;
    while start <= q.len() {
        let end = memchr::memchr2(b'&', b';', &q[start..]).map_or(q.len(), |p| start + p);
        let pair = &q[start..end];
        start = end + 1;
        if pair.is_empty() {
            continue;
        }
        match memchr::memchr(b'=', pair) {
            Some(eq) => scan_kv(&pair[..eq], &pair[eq + 1..], Kind::Query, depth, bufs, em),
            None => scan_unit(
                pair,
                &Features::of(pair),
                Kind::Query,
                Ctx::default(),
                depth,
                bufs,
                em,
            ),
        }
    }
}

/// Longest key named in findings.
const MAX_KEY_NAME: usize = 64;

/// A key and its value.
fn scan_kv(
    key: &[u8],
    val: &[u8],
    kind: Kind,
    depth: usize,
    bufs: &mut Bufs,
    em: &mut Emitter<'_>,
) {
    let fk = Features::of(key);
    if fk.detectors() != 0 || fk.has(PCT) {
        // The key itself can be the leak (`?jane@example.com=1`).
        scan_unit(key, &fk, kind, Ctx::default(), depth, bufs, em);
    }
    let KeyInfo { class, special } = bufs.keys.get(key, keys::classify_key);
    let special = special && em.enabled(Category::SpecialCategory);
    // Findings name the key; it is decoded only then (see `Emitter::emit`).
    let name = (key.len() <= MAX_KEY_NAME).then_some(key);
    let ctx = Ctx {
        key: name,
        class,
        special,
    };
    scan_unit(val, &Features::of(val), kind, ctx, depth, bufs, em);
}

/// One unit: decode if needed, then detect.
fn scan_unit(
    raw: &[u8],
    f: &Features,
    kind: Kind,
    ctx: Ctx<'_>,
    depth: usize,
    bufs: &mut Bufs,
    em: &mut Emitter<'_>,
) {
    let plus = kind == Kind::Query && f.has(PLUS);
    let pct = f.has(PCT) && has_escape(raw);
    let maybe_b64 = depth == 0 && f.may_hold_base64();
    let keyed = ctx.class != KeyClass::None || ctx.special;
    if !plus && !pct {
        // The common case: nothing to decode, and usually nothing to find.
        if keyed || maybe_b64 || f.detectors() != 0 {
            analyze(raw, f, ctx, depth, bufs, em);
        }
        return;
    }
    let mut text = mem::take(&mut bufs.text[depth]);
    url_decode_into(raw, plus, &mut text);
    let ft = Features::of(&text);
    analyze(&text, &ft, ctx, depth, bufs, em);
    if plus && depth == 0 {
        // `+` may have been base64, not a space.
        let mut plain = mem::take(&mut bufs.plain[depth]);
        url_decode_into(raw, false, &mut plain);
        let fp = Features::of(&plain);
        if fp.base64_candidate() {
            try_base64(&plain, &fp, ctx, bufs, em);
        }
        bufs.plain[depth] = plain;
    }
    bufs.text[depth] = text;
}

/// Detectors, base64, then key context, on decoded text.
fn analyze(
    text: &[u8],
    f: &Features,
    ctx: Ctx<'_>,
    depth: usize,
    bufs: &mut Bufs,
    em: &mut Emitter<'_>,
) {
    if ctx.class == KeyClass::SecretStrict {
        // The whole value is the credential; nothing inside it is reported
        // again.
        context::secret_value(text, ctx, em);
        return;
    }
    let hits = em.hits;
    detect_text(text, f, ctx, em);
    if depth == 0 && f.may_hold_base64() {
        try_base64(text, f, ctx, bufs, em);
    }
    if em.hits == hits && ctx.class != KeyClass::None {
        context::apply(text, ctx, em);
        // Short values under a naming key are often base64 too
        // (`surname=T2thZm9y`, `first_name=Q2hsb2U`), below the length at
        // which unkeyed text is worth decoding. Tried last, so a raw value
        // that the key accepts is never read as base64.
        if em.hits == hits && depth == 0 && f.len >= 4 && !f.has(NOT_B64) {
            decode_and_scan(text, ctx, bufs, em);
        }
    }
    if ctx.special {
        context::special_value(text, ctx, em);
    }
}

/// Decodes `text` as base64 when it has the shape, and scans what it
/// holds. A unit that fails as a whole is retried piece by piece at `_` and
/// `-` (`order_NDExMTEx…`, `user-amFuZUBl…`).
fn try_base64(text: &[u8], f: &Features, ctx: Ctx<'_>, bufs: &mut Bufs, em: &mut Emitter<'_>) {
    if f.base64_candidate() && decode_and_scan(text, ctx, bufs, em) {
        return;
    }
    if memchr::memchr2(b'_', b'-', text).is_some() {
        for piece in text.split(|&b| b == b'_' || b == b'-') {
            let fp = Features::of(piece);
            if fp.base64_candidate() {
                decode_and_scan(piece, Ctx::default(), bufs, em);
            }
        }
    }
}

/// Decodes `src` as base64 and scans the text when it is printable. The
/// key context `ctx` of the encoded value carries over to the decoded one
/// (`dob=MTk4NS0wMy0xNA` is a date of birth); its Art. 9 flag does not, as
/// the encoded value is reported for that already.
fn decode_and_scan(src: &[u8], ctx: Ctx<'_>, bufs: &mut Bufs, em: &mut Emitter<'_>) -> bool {
    if !may_decode_to_text(src) {
        return false;
    }
    let mut dec = mem::take(&mut bufs.b64[0]);
    let ok = base64_decode_into(src, &mut dec) && is_printable_text(&dec);
    if ok {
        let ctx = Ctx {
            special: false,
            ..ctx
        };
        scan_decoded(&dec, ctx, bufs, em);
    }
    bufs.b64[0] = dec;
    ok
}

/// Text found inside base64: a query string when it starts with `key=`,
/// else one unit of free text (JSON, a bare value).
fn scan_decoded(text: &[u8], ctx: Ctx<'_>, bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let query = memchr::memchr(b'=', text).is_some_and(|eq| {
        eq > 0
            && eq <= MAX_KEY_NAME
            && text[..eq]
                .iter()
                .all(|b| b.is_ascii_graphic() && *b != b'&')
    });
    if query {
        scan_query(text, 1, bufs, em);
    } else {
        scan_unit(text, &Features::of(text), Kind::Other, ctx, 1, bufs, em);
    }
}

/// Separators of document-id parts (`user:…`, `org/…`, `a|b`).
fn id_sep(b: u8) -> bool {
    matches!(b, b':' | b'/' | b'|')
}

fn scan_doc_id(id: &[u8], bufs: &mut Bufs, em: &mut Emitter<'_>) {
    special_in_path(id, id_sep, &mut bufs.specials, em);
    let f = Features::of(id);
    scan_unit(id, &f, Kind::Other, Ctx::default(), 0, bufs, em);
    if !id.iter().any(|&b| id_sep(b)) {
        return;
    }
    // Parts: key context from the part before (`ssn:078051123`), and base64
    // parts the whole-id pass could not see (`user:amFuZUBl…`). Values the
    // whole-id pass already reported are de-duplicated by fingerprint.
    let mut prev = KeyClass::None;
    for part in id.split(|&b| id_sep(b)) {
        if part.is_empty() {
            continue;
        }
        let fp = Features::of(part);
        let class = positional(prev);
        if class != KeyClass::None || fp.may_hold_base64() {
            let ctx = Ctx {
                class,
                ..Ctx::default()
            };
            scan_unit(part, &fp, Kind::Other, ctx, 0, bufs, em);
        }
        prev = if fp.is_word() {
            bufs.segments
                .get(part, |p| keys::classify_segment(p, true, true))
                .class
        } else {
            KeyClass::None
        };
    }
}

/// A URL: `scheme://user:pass@host:port/path?query#fragment`, or a
/// relative reference.
fn scan_url(u: &[u8], bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let (u, frag) = match memchr::memchr(b'#', u) {
        Some(h) => (&u[..h], Some(&u[h + 1..])),
        None => (u, None),
    };
    let (u, query) = match memchr::memchr(b'?', u) {
        Some(q) => (&u[..q], Some(&u[q + 1..])),
        None => (u, None),
    };
    let path = match memchr::memmem::find(u, b"://") {
        Some(p) => {
            let rest = &u[p + 3..];
            let end = memchr::memchr(b'/', rest).unwrap_or(rest.len());
            scan_authority(&rest[..end], bufs, em);
            &rest[end..]
        }
        None => u,
    };
    scan_segments(path, Segments::Url, bufs, em);
    // OAuth implicit flows put `access_token=` in the fragment.
    for q in [query, frag].into_iter().flatten() {
        scan_query(q, 0, bufs, em);
    }
}

/// `user:password@host:port`: the password is a secret; user and host are
/// scanned (an email user, an IP host).
fn scan_authority(a: &[u8], bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let host = match memchr::memrchr(b'@', a) {
        Some(at) => {
            let userinfo = &a[..at];
            let user = match memchr::memchr(b':', userinfo) {
                Some(c) => {
                    let ctx = Ctx {
                        class: KeyClass::SecretStrict,
                        ..Ctx::default()
                    };
                    let pass = &userinfo[c + 1..];
                    scan_unit(pass, &Features::of(pass), Kind::Other, ctx, 0, bufs, em);
                    &userinfo[..c]
                }
                None => userinfo,
            };
            scan_unit(
                user,
                &Features::of(user),
                Kind::Other,
                Ctx::default(),
                0,
                bufs,
                em,
            );
            &a[at + 1..]
        }
        None => a,
    };
    scan_unit(
        host,
        &Features::of(host),
        Kind::Other,
        Ctx::default(),
        0,
        bufs,
        em,
    );
}

/// A token without its surrounding quotes.
fn unquote(t: &[u8]) -> &[u8] {
    let t = t
        .strip_prefix(b"\"")
        .or_else(|| t.strip_prefix(b"'"))
        .unwrap_or(t);
    t.strip_suffix(b"\"")
        .or_else(|| t.strip_suffix(b"'"))
        .unwrap_or(t)
}

/// Command lines and other free text: whitespace-separated tokens.
fn scan_tokens(text: &[u8], bufs: &mut Bufs, em: &mut Emitter<'_>) {
    let mut tokens = text
        .split(u8::is_ascii_whitespace)
        .filter(|t| !t.is_empty())
        .map(unquote)
        .peekable();
    while let Some(tok) = tokens.next() {
        if memchr::memmem::find(tok, b"://").is_some() {
            scan_url(tok, bufs, em);
        } else if tok.first() == Some(&b'-') {
            let flag = &tok[tok.iter().take_while(|&&b| b == b'-').count()..];
            if let Some(eq) = memchr::memchr(b'=', flag) {
                scan_kv(&flag[..eq], &flag[eq + 1..], Kind::Other, 0, bufs, em);
            } else if keys::classify(flag) != KeyClass::None
                && tokens.peek().is_some_and(|n| n.first() != Some(&b'-'))
            {
                // `--password hunter2`: the next token is the flag's value.
                let value = tokens.next().unwrap_or_default();
                scan_kv(flag, value, Kind::Other, 0, bufs, em);
            } else {
                scan_unit(
                    flag,
                    &Features::of(flag),
                    Kind::Other,
                    Ctx::default(),
                    0,
                    bufs,
                    em,
                );
            }
        } else if let Some(eq) = memchr::memchr(b'=', tok).filter(|&e| e > 0) {
            scan_kv(&tok[..eq], &tok[eq + 1..], Kind::Other, 0, bufs, em);
        } else {
            scan_segments(tok, Segments::File, bufs, em);
        }
    }
}
