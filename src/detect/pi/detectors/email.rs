//! Email addresses: `local@domain.tld` around each `@` (percent-encoded
//! `@` has been decoded before this runs). The TLD must look like one:
//! 2–24 letters or an IDNA `xn--` label, and not a file extension
//! (`logo@2x.png` is an image). When the last label fails, labels are
//! dropped from the right, so `jane@example.com.pdf` still yields the
//! address.

use super::{Ctx, Emitter, Spans};
use crate::detect::pi::Category;
use crate::detect::pi::fingerprint::Norm;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// Characters of a local part as they appear in URLs: the RFC 5322 atom
/// characters that are not URL delimiters.
fn local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b'\'')
}

fn domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Extensions that follow `@2x`-style names and are not TLDs.
const FILE_EXTENSIONS: &[&[u8]] = &[
    b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"ico", b"bmp", b"css", b"js", b"map",
    b"json", b"html", b"htm", b"xml", b"txt", b"pdf", b"zip", b"gz", b"tgz", b"woff", b"woff2",
    b"ttf", b"mp4", b"mp3", b"csv", b"log",
];

fn tld_ok(t: &[u8]) -> bool {
    if t.len() > 4 && t[..4].eq_ignore_ascii_case(b"xn--") {
        return t[4..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    }
    (2..=24).contains(&t.len())
        && t.iter().all(u8::is_ascii_alphabetic)
        && !FILE_EXTENSIONS.iter().any(|e| t.eq_ignore_ascii_case(e))
}

fn label_ok(l: &[u8]) -> bool {
    (1..=63).contains(&l.len()) && l[0] != b'-' && l[l.len() - 1] != b'-'
}

/// The end of the longest valid domain at the start of `d` (at least two
/// labels, valid TLD), if any.
fn domain_end(d: &[u8]) -> Option<usize> {
    let mut end = d.len();
    loop {
        let dom = &d[..end];
        let last_dot = dom.iter().rposition(|&b| b == b'.')?;
        let labels_ok = dom.split(|&b| b == b'.').all(label_ok);
        if labels_ok && tld_ok(&dom[last_dot + 1..]) {
            return Some(end);
        }
        end = last_dot;
    }
}

/// Reports every address in `text`.
pub(crate) fn scan(text: &[u8], ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    for at in memchr::memchr_iter(b'@', text) {
        let mut s = at;
        while s > 0 && local_char(text[s - 1]) && at - s < MAX_LOCAL {
            s -= 1;
        }
        // A local part neither starts nor ends with a dot, nor has two.
        while s < at && text[s] == b'.' {
            s += 1;
        }
        let local = &text[s..at];
        if local.is_empty() || local.ends_with(b".") || local.windows(2).any(|w| w == b"..") {
            continue;
        }
        let mut e = at + 1;
        while e < text.len() && domain_char(text[e]) && e - at <= MAX_DOMAIN {
            e += 1;
        }
        let Some(dlen) = domain_end(&text[at + 1..e]) else {
            continue;
        };
        let e = at + 1 + dlen;
        if spans.overlaps(s, e) {
            continue;
        }
        em.emit(Category::Email, ctx.key, &text[s..e], Norm::Lower);
        spans.add(s, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dom(s: &str) -> Option<&str> {
        domain_end(s.as_bytes()).and_then(|e| s.get(..e))
    }

    #[test]
    fn domains() {
        assert_eq!(dom("example.com"), Some("example.com"));
        assert_eq!(dom("xn--80ak6aa92e.com"), Some("xn--80ak6aa92e.com"));
        assert_eq!(dom("xn--d1acufc.xn--p1ai"), Some("xn--d1acufc.xn--p1ai"));
        assert_eq!(dom("example.com.pdf"), Some("example.com"));
        assert_eq!(dom("presidio."), None);
        assert_eq!(dom("2x.png"), None);
        assert_eq!(dom("4.17.21"), None);
        assert_eq!(dom("localhost"), None);
        assert_eq!(dom("-bad.com"), None);
    }
}
