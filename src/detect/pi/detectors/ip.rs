//! IP addresses inside URL values (the client address field is not PI
//! detection's business).
//!
//! IPv4 is judged on digit windows (see `numeric`): exactly four dotted
//! octets 0–255 without leading zeros, optionally followed by `:port` or
//! `/prefix`. Five or more dotted groups are an OID or a version, never an
//! address. Because `1.2.3.4` is also a version string, a dotted quad is
//! *not* reported when:
//! - the key (or the path segment before it) is version-like (`version=`,
//!   `v=`, `/releases/…`, `/build/…`) or the word right before it is;
//! - it is glued to a letter (`v1.2.3.4`, `1.2.3.4b`) — the run scanner
//!   never sees those;
//! - it continues into a file extension or pre-release tag
//!   (`1.2.3.4.tar.gz`, `1.2.3.4-beta`);
//! - all four octets are single digits (`1.2.3.4`, `2.0.0.1`): versions
//!   look like that, and the only addresses that do are well-known
//!   resolvers (`1.1.1.1`, `8.8.8.8`, `9.9.9.9`), which are not personal.
//!
//! IPv6 is found in runs of hex digits, colons and dots with at least two
//! colons and a decimal digit, parsed by the standard library, and reported
//! in canonical form for the fingerprint.

use super::numeric::Win;
use super::{Ctx, Emitter, KeyClass, Spans, is_alnum};
use crate::detect::pi::Category;
use std::net::Ipv6Addr;
use std::str::FromStr;

/// Words that make the dotted quad after them a version.
const VERSION_WORDS: &[&[u8]] = &[
    b"v",
    b"ver",
    b"version",
    b"versions",
    b"release",
    b"releases",
    b"rel",
    b"build",
    b"builds",
    b"rev",
    b"revision",
    b"firmware",
    b"fw",
    b"sdk",
    b"tag",
    b"tags",
];

/// The alphanumeric word ending right before `end` (skipping one
/// separator).
fn word_before(text: &[u8], end: usize) -> &[u8] {
    let e = end.saturating_sub(1);
    let mut s = e;
    while s > 0 && is_alnum(text[s - 1]) {
        s -= 1;
    }
    &text[s..e]
}

/// An IPv4 address in a window: its byte span.
pub(crate) fn v4(w: &Win<'_>, ctx: Ctx<'_>) -> Option<(usize, usize)> {
    let n = w.groups.len();
    if w.plus || w.paren != 0 || !(4..=5).contains(&n) || w.seps[..3] != *b"..." {
        return None;
    }
    if n == 5 && !matches!(w.seps[3], b':' | b'/') {
        return None;
    }
    let mut single_digit = true;
    for &(s, e) in &w.groups[..4] {
        let o = &w.text[s..e];
        if o.len() > 3 || (o.len() > 1 && o[0] == b'0') || crate::detect::pi::validate::num(o) > 255
        {
            return None;
        }
        single_digit &= o.len() == 1;
    }
    let (s, e) = (w.groups[0].0, w.groups[3].1);
    if single_digit || ctx.class == KeyClass::Version {
        return None;
    }
    let after = &w.text[e..];
    if after.len() >= 2 && matches!(after[0], b'.' | b'-') && after[1].is_ascii_alphabetic() {
        return None;
    }
    if s > 0 && !w.text[s - 1].is_ascii_alphanumeric() {
        let before = word_before(w.text, s);
        if VERSION_WORDS.iter().any(|v| before.eq_ignore_ascii_case(v)) {
            return None;
        }
    }
    Some((s, e))
}

fn v6_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// The shape of an IPv6 address, checked before the standard parser runs:
/// groups of at most four hex digits (a dotted IPv4 tail aside), and either
/// `::` or seven colons (six before an IPv4 tail). Rejects CouchDB ids such
/// as `order:2024:001234` and times without parsing them.
fn v6_shape(c: &[u8]) -> bool {
    let colons = c.iter().filter(|&&b| b == b':').count();
    let v4_tail = c.contains(&b'.');
    let compressed = c.windows(2).any(|w| w == b"::");
    let groups_ok = c
        .split(|&b| b == b':')
        .all(|g| g.len() <= 4 || (v4_tail && g.contains(&b'.') && g.len() <= 15));
    groups_ok && (compressed || colons == 7 || (v4_tail && colons == 6)) && colons <= 8
}

/// Reports IPv6 addresses in `text`.
pub(crate) fn scan_v6(text: &[u8], ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    let mut i = 0;
    while i < text.len() {
        if !v6_char(text[i]) {
            i += 1;
            continue;
        }
        let s0 = i;
        // Walk the span, tracking the longest colon-separated group: a group
        // of five or more hex digits (`order:2024:001234`) rules out an
        // address before anything is parsed.
        let (mut group, mut longest, mut dotted) = (0, 0, false);
        while i < text.len() && v6_char(text[i]) {
            match text[i] {
                b':' => group = 0,
                b'.' => dotted = true,
                _ => {
                    group += 1;
                    longest = longest.max(group);
                }
            }
            i += 1;
        }
        if longest > 4 && !dotted {
            continue;
        }
        let mut e = i;
        while e > s0 && text[e - 1] == b'.' {
            e -= 1;
        }
        if e - s0 >= 2 && text[e - 1] == b':' && text[e - 2] != b':' {
            e -= 1;
        }
        let span = &text[s0..e];
        let colons = span.iter().filter(|&&b| b == b':').count();
        let glued_right = text.get(e).is_some_and(|&b| is_alnum(b));
        if colons < 2 || glued_right || !span.iter().any(u8::is_ascii_digit) {
            continue;
        }
        // `user:2001:db8::1`, `user:::1`: a leading colon may separate the
        // address from the word before it rather than belong to it.
        let parse = |s: usize| {
            if (s > 0 && is_alnum(text[s - 1])) || !v6_shape(&text[s..e]) {
                return None;
            }
            let c = std::str::from_utf8(&text[s..e]).ok()?;
            Ipv6Addr::from_str(c).ok().map(|a| (s, a))
        };
        let parsed = parse(s0).or_else(|| (text[s0] == b':').then(|| parse(s0 + 1)).flatten());
        let Some((s, addr)) = parsed else {
            continue;
        };
        if addr.is_unspecified() || spans.overlaps(s, e) {
            continue;
        }
        let canonical = addr.to_string();
        em.emit_canonical(
            Category::IpAddress,
            ctx.key,
            &text[s..e],
            canonical.as_bytes(),
        );
        spans.add(s, e);
    }
}
