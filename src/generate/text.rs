//! Byte-level writers: integers, times, addresses and URL encodings.
//!
//! The generator appends into reused `Vec<u8>`s instead of calling `format!`
//! per line; these helpers are what makes that convenient.

use crate::event::civil_from_days;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Appends `n` in decimal.
pub(super) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub(super) fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let digits = if n == 0 { 1 } else { n.ilog10() as usize + 1 };
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(digits)));
    push_u64(out, n);
}

/// Appends a duration in milliseconds as nginx's `$request_time`: seconds
/// with three decimals (`0.012`).
pub(super) fn push_secs_millis(out: &mut Vec<u8>, ms: u32) {
    push_u64(out, u64::from(ms / 1000));
    out.push(b'.');
    push_padded(out, u64::from(ms % 1000), 3);
}

/// Splits Unix seconds into a civil date and time of day (UTC).
pub(super) fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60)
}

/// Appends the NCSA log time `02/Mar/2026:08:00:01 +0000` (UTC).
pub(super) fn push_clf_time(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d, hh, mm, ss) = civil(secs);
    push_padded(out, u64::from(d), 2);
    out.push(b'/');
    out.extend_from_slice(MONTHS[(m - 1) as usize]);
    out.push(b'/');
    push_padded(out, y.max(0) as u64, 4);
    for part in [hh, mm, ss] {
        out.push(b':');
        push_padded(out, u64::from(part), 2);
    }
    out.extend_from_slice(b" +0000");
}

/// Appends an ISO 8601 date `2026-03-02`.
pub(super) fn push_iso_date(out: &mut Vec<u8>, y: i64, m: u32, d: u32) {
    push_padded(out, y.max(0) as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(m), 2);
    out.push(b'-');
    push_padded(out, u64::from(d), 2);
}

/// Appends an RFC 3339 UTC timestamp with milliseconds.
pub(super) fn push_iso_time(out: &mut Vec<u8>, secs: i64, millis: u32) {
    let (y, m, d, hh, mm, ss) = civil(secs);
    push_iso_date(out, y, m, d);
    out.push(b'T');
    push_padded(out, u64::from(hh), 2);
    out.push(b':');
    push_padded(out, u64::from(mm), 2);
    out.push(b':');
    push_padded(out, u64::from(ss), 2);
    out.push(b'.');
    push_padded(out, u64::from(millis), 3);
    out.push(b'Z');
}

/// Appends a dotted-quad IPv4 address.
pub(super) fn push_ipv4(out: &mut Vec<u8>, octets: [u8; 4]) {
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_u64(out, u64::from(o));
    }
}

/// Appends a 16-bit group in lowercase hex without leading zeros (IPv6 text).
pub(super) fn push_hex_group(out: &mut Vec<u8>, g: u16) {
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let nib = (g >> shift) & 15;
        if nib != 0 || started || shift == 0 {
            started = true;
            out.push(b"0123456789abcdef"[nib as usize]);
        }
    }
}

/// Appends `2001:db8:a:b::c`, an address in the IPv6 documentation prefix.
/// Canonical (RFC 5952) when `a`, `b` and `c` are non-zero.
pub(super) fn push_ipv6_doc(out: &mut Vec<u8>, a: u16, b: u16, c: u16) {
    out.extend_from_slice(b"2001:db8:");
    push_hex_group(out, a);
    out.push(b':');
    push_hex_group(out, b);
    out.extend_from_slice(b"::");
    push_hex_group(out, c);
}

fn push_pct(out: &mut Vec<u8>, b: u8) {
    out.push(b'%');
    out.push(HEX_UPPER[usize::from(b >> 4)]);
    out.push(HEX_UPPER[usize::from(b & 15)]);
}

/// RFC 3986 unreserved characters: never escaped by any client.
pub(super) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Escapes what cannot appear literally inside one path segment, and nothing
/// else: what a careful client sends when it does not over-encode.
pub(super) fn encode_path_raw(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b' ' | b'"' | b'#' | b'%' | b'?' | b'/' | b'\\' | 0..=0x1f | 0x7f.. => push_pct(out, b),
            _ => out.push(b),
        }
    }
}

/// Escapes what cannot appear literally in a query value (form style: space
/// is `+`, so a literal `+` must be `%2B`), and nothing else.
pub(super) fn encode_query_raw(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b' ' => out.push(b'+'),
            b'+' | b'&' | b'=' | b'"' | b'#' | b'%' | b'\\' | 0..=0x1f | 0x7f.. => push_pct(out, b),
            _ => out.push(b),
        }
    }
}

/// `encodeURIComponent`-style: everything but unreserved characters escaped.
pub(super) fn encode_component(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        if is_unreserved(b) {
            out.push(b);
        } else {
            push_pct(out, b);
        }
    }
}

/// Appends base64url without padding (RFC 4648 §5), as JWTs and many
/// "opaque" URL tokens use.
pub(super) fn push_base64url(out: &mut Vec<u8>, data: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=n {
            out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize]);
        }
    }
}

/// Length of the longest run of ASCII digits in `s`.
#[cfg(test)]
pub(super) fn longest_digit_run(s: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for &b in s {
        if b.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(s(|o| push_u64(o, 0)), "0");
        assert_eq!(s(|o| push_u64(o, u64::MAX)), u64::MAX.to_string());
        assert_eq!(s(|o| push_padded(o, 42, 5)), "00042");
        assert_eq!(s(|o| push_padded(o, 123_456, 3)), "123456");
        assert_eq!(s(|o| push_secs_millis(o, 12)), "0.012");
        assert_eq!(s(|o| push_secs_millis(o, 60_250)), "60.250");
    }

    #[test]
    fn times() {
        // 2026-03-02T08:00:01Z
        let t = crate::event::days_from_civil(2026, 3, 2) * 86_400 + 8 * 3600 + 1;
        assert_eq!(s(|o| push_clf_time(o, t)), "02/Mar/2026:08:00:01 +0000");
        assert_eq!(s(|o| push_iso_time(o, t, 7)), "2026-03-02T08:00:01.007Z");
    }

    #[test]
    fn addresses() {
        assert_eq!(s(|o| push_ipv4(o, [203, 0, 113, 9])), "203.0.113.9");
        assert_eq!(
            s(|o| push_ipv6_doc(o, 0x85a3, 0x8a2e, 0x7334)),
            "2001:db8:85a3:8a2e::7334"
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(s(|o| encode_path_raw(o, b"a b/c@d")), "a%20b%2Fc@d");
        assert_eq!(s(|o| encode_query_raw(o, b"+44 20 & x")), "%2B44+20+%26+x");
        assert_eq!(s(|o| encode_component(o, b"jane@ex.com")), "jane%40ex.com");
        assert_eq!(
            s(|o| push_base64url(o, b"jane@example.com")),
            "amFuZUBleGFtcGxlLmNvbQ"
        );
        assert_eq!(s(|o| push_base64url(o, b"ab")), "YWI");
        assert_eq!(s(|o| push_base64url(o, b"\xfb\xff")), "-_8");
        assert_eq!(longest_digit_run(b"ab1234c56"), 4);
    }
}
