//! Decoding before matching (SPEC §4): percent-decoding (repeated, so that
//! double-encoded `%2540` becomes `@`), `+` as space in query strings, and
//! base64/base64url. Everything decodes into caller-owned buffers from
//! [`PiScratch`](super::PiScratch); nothing here allocates once the buffers
//! have grown to the size of the longest unit seen.

/// Percent-decoding rounds: `%2540` → `%40` → `@` needs two; a third
/// covers triple encoding, which proxies chaining redirects do produce.
const MAX_ROUNDS: usize = 3;

/// Value of an ASCII hex digit.
#[inline]
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether `b` contains a well-formed `%XX` escape.
pub(crate) fn has_escape(b: &[u8]) -> bool {
    memchr::memchr_iter(b'%', b)
        .any(|i| i + 2 < b.len() && hex_val(b[i + 1]).is_some() && hex_val(b[i + 2]).is_some())
}

/// Decodes `%XX` escapes of `buf` in place (the output is never longer
/// than the input). Malformed escapes stay as they are. Returns whether
/// anything was decoded.
fn percent_round(buf: &mut Vec<u8>) -> bool {
    let mut r = 0;
    let mut w = 0;
    let mut changed = false;
    while r < buf.len() {
        let b = buf[r];
        if b == b'%' && r + 2 < buf.len() {
            if let (Some(h), Some(l)) = (hex_val(buf[r + 1]), hex_val(buf[r + 2])) {
                buf[w] = h << 4 | l;
                w += 1;
                r += 3;
                changed = true;
                continue;
            }
        }
        buf[w] = b;
        w += 1;
        r += 1;
    }
    buf.truncate(w);
    changed
}

/// Decodes `src` into `out`: `+` as space first when `plus_as_space`
/// (query strings, `application/x-www-form-urlencoded`), then up to
/// [`MAX_ROUNDS`] rounds of percent-decoding.
///
/// One exception to `+` as space: a unit that starts with `+` and a digit
/// keeps its `+`, because an unencoded E.164 number (`phone=+14155550132`)
/// is far more common in logs than a form value starting with a space.
pub(crate) fn url_decode_into(src: &[u8], plus_as_space: bool, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(src);
    if plus_as_space {
        let keep_first = src.len() > 1 && src[0] == b'+' && src[1].is_ascii_digit();
        for (i, b) in out.iter_mut().enumerate() {
            if *b == b'+' && !(i == 0 && keep_first) {
                *b = b' ';
            }
        }
    }
    for _ in 0..MAX_ROUNDS {
        if !percent_round(out) || !has_escape(out) {
            break;
        }
    }
}

#[inline]
fn b64_val(b: u8, url: bool) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' if !url => Some(62),
        b'/' if !url => Some(63),
        b'-' if url => Some(62),
        b'_' if url => Some(63),
        _ => None,
    }
}

/// Decodes base64 (standard or URL-safe alphabet, not mixed; padding
/// optional) into `out`. Returns `false` for anything that is not exactly
/// one well-formed encoding.
pub(crate) fn base64_decode_into(src: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let body = src
        .strip_suffix(b"==")
        .or_else(|| src.strip_suffix(b"="))
        .unwrap_or(src);
    if body.len() % 4 == 1 {
        return false;
    }
    let url = body.iter().any(|&b| b == b'-' || b == b'_');
    if url && body.iter().any(|&b| b == b'+' || b == b'/') {
        return false;
    }
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in body {
        let Some(v) = b64_val(b, url) else {
            return false;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    true
}

/// Whether decoded bytes are printable text worth scanning: valid UTF-8,
/// no control characters other than tab and newlines, and at least one
/// alphanumeric. Random bytes pass this with probability ~(95/256)^n, so
/// binary ids that happen to use the base64 alphabet are dropped here.
/// Whether base64 `src` can decode to text, judged on its first four
/// characters (three bytes) before anything is decoded: they must be
/// printable, tab or newline, or the start of valid UTF-8. Binary blobs
/// such as CouchDB update sequences (`g1AAAA…`) fail here.
pub(crate) fn may_decode_to_text(src: &[u8]) -> bool {
    let Some(quad) = src.get(..4) else {
        return true;
    };
    let url = src.iter().any(|&b| b == b'-' || b == b'_');
    let mut n: u32 = 0;
    for &c in quad {
        match b64_val(c, url) {
            Some(v) => n = n << 6 | u32::from(v),
            None => return false,
        }
    }
    let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    let valid = match std::str::from_utf8(&bytes) {
        Ok(_) => true,
        // Cut inside a multi-byte character: fine, the rest follows.
        Err(e) => e.error_len().is_none(),
    };
    valid
        && bytes
            .iter()
            .all(|&b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\n' | b'\r'))
}

pub(crate) fn is_printable_text(b: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(b) else {
        return false;
    };
    let mut alnum = false;
    for c in s.chars() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            return false;
        }
        if c == char::REPLACEMENT_CHARACTER {
            return false;
        }
        alnum |= c.is_alphanumeric();
    }
    alnum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str, plus: bool) -> String {
        let mut out = Vec::new();
        url_decode_into(s.as_bytes(), plus, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn percent_single_double_triple() {
        assert_eq!(dec("jane%40example.com", false), "jane@example.com");
        assert_eq!(dec("jane%2540example.com", false), "jane@example.com");
        assert_eq!(dec("jane%252540example.com", false), "jane@example.com");
        assert_eq!(dec("%E2%82%AC", false), "€");
        assert_eq!(dec("100%", false), "100%");
        assert_eq!(dec("%zz%4", false), "%zz%4");
        assert_eq!(dec("%22%2B14155550132", false), "\"+14155550132");
    }

    #[test]
    fn plus_as_space_but_not_leading_e164() {
        assert_eq!(dec("Jane+Doe", true), "Jane Doe");
        assert_eq!(dec("Jane+Doe", false), "Jane+Doe");
        assert_eq!(dec("+14155550132", true), "+14155550132");
        assert_eq!(dec("%2B1+415+555+0132", true), "+1 415 555 0132");
    }

    #[test]
    fn base64_both_alphabets() {
        let mut out = Vec::new();
        assert!(base64_decode_into(b"amFuZUBleGFtcGxlLmNvbQ", &mut out));
        assert_eq!(out, b"jane@example.com");
        assert!(base64_decode_into(b"amFuZUBleGFtcGxlLmNvbQ==", &mut out));
        assert_eq!(out, b"jane@example.com");
        assert!(base64_decode_into(b"Pz8_", &mut out));
        assert_eq!(out, b"???");
        assert!(base64_decode_into(b"Pz8/", &mut out));
        assert!(
            !base64_decode_into(b"Pz8/Pz8_", &mut out),
            "mixed alphabets"
        );
        assert!(!base64_decode_into(b"abcde", &mut out), "length 1 mod 4");
        assert!(!base64_decode_into(b"ab.d", &mut out));
    }

    #[test]
    fn printable() {
        assert!(is_printable_text(b"jane@example.com"));
        assert!(is_printable_text("Zoë Müller".as_bytes()));
        assert!(!is_printable_text(b"\x00\x01abc"));
        assert!(!is_printable_text(b"\xff\xfe"));
        assert!(!is_printable_text(b" .,;"));
    }
}
