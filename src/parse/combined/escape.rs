//! Backslash escapes that Apache and nginx write inside logged values.
//!
//! Both servers escape `"` and `\` and bytes outside printable ASCII so that
//! a log line stays one line of text: nginx writes `\xHH` for all of them
//! (and `\"`, `\\` in older versions), Apache (≥ 2.0.46) writes `\"`, `\\`,
//! C escapes `\b \n \r \t \v` and `\xhh`. Since both escape a literal
//! backslash as `\\`, any other backslash sequence can only have come from
//! the server, so decoding them all is safe. An unknown sequence (`\q`)
//! is kept as written.

use memchr::memchr;
use std::borrow::Cow;

/// A logged value without escapes as text: borrowed when it is UTF-8
/// (the common case, checked with `from_utf8`'s ASCII fast path rather than
/// `from_utf8_lossy`'s chunk iterator), U+FFFD for invalid bytes otherwise.
#[inline]
pub(super) fn text(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(String::from_utf8_lossy(raw).into_owned()),
    }
}

/// Decodes the escapes of a logged value. Borrows when `raw` has no
/// backslash and is UTF-8; decoded bytes that are not UTF-8 become U+FFFD.
pub(super) fn unescape(raw: &[u8]) -> Cow<'_, str> {
    let Some(first) = memchr(b'\\', raw) else {
        return text(raw);
    };
    let (plain, mut rest) = raw.split_at(first);
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(plain);
    // Invariant at the top of the loop: `rest` starts with a backslash.
    loop {
        rest = match rest {
            [b'\\', b'x', h, l, more @ ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                out.push((hex(*h) << 4) | hex(*l));
                more
            }
            [b'\\', c @ (b'"' | b'\\'), more @ ..] => {
                out.push(*c);
                more
            }
            [b'\\', b'n', more @ ..] => {
                out.push(b'\n');
                more
            }
            [b'\\', b'r', more @ ..] => {
                out.push(b'\r');
                more
            }
            [b'\\', b't', more @ ..] => {
                out.push(b'\t');
                more
            }
            [b'\\', b'b', more @ ..] => {
                out.push(0x08);
                more
            }
            [b'\\', b'v', more @ ..] => {
                out.push(0x0b);
                more
            }
            [c, more @ ..] => {
                out.push(*c);
                more
            }
            [] => break,
        };
        match memchr(b'\\', rest) {
            Some(k) => {
                let (plain, tail) = rest.split_at(k);
                out.extend_from_slice(plain);
                rest = tail;
            }
            None => {
                out.extend_from_slice(rest);
                break;
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

    #[test]
    fn table() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "plain"),
            (b"", ""),
            (br#"say \"hi\""#, r#"say "hi""#),
            (br"back\\slash", r"back\slash"),
            (br"\x22quoted\x22", "\"quoted\""),
            (br"caf\xC3\xA9", "café"),
            (br"caf\xc3\xa9", "café"),
            (br"\x16\x03\x01", "\u{16}\u{3}\u{1}"),
            (br"bad\xFFbyte", "bad\u{fffd}byte"),
            (br"\xE4\xE5", "\u{fffd}\u{fffd}"),
            (br"a\nb\tc\rd\be\vf", "a\nb\tc\rd\u{8}e\u{b}f"),
            (br"unknown\q", r"unknown\q"),
            (br"short\x4", r"short\x4"),
            (br"nothex\xZZ", r"nothex\xZZ"),
            (br"trailing\", r"trailing\"),
            (br"\\x41", r"\x41"),
            (br"\\\x41", r"\A"),
        ];
        for (raw, want) in cases {
            assert_eq!(unescape(raw), *want, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn borrows_without_backslash() {
        assert!(matches!(unescape(b"/a/b?c=d"), Cow::Borrowed(_)));
        assert!(matches!(unescape(br"/a\x20b"), Cow::Owned(_)));
    }
}
