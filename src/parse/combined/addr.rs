//! Addresses in access logs: the `%h` client, the `%v:%p` vhost, and
//! X-Forwarded-For lists.
//!
//! IPv4 is checked by hand because it is on every line (twice with a
//! forwarded address) and `Ipv4Addr::from_str` was ~7% of parse time; the
//! hand-written check accepts exactly what `std` accepts (property test
//! below). IPv6 goes to `std`.

use std::net::Ipv6Addr;

/// The client as written by `%h`. The slices are ASCII (every check below
/// implies it); the caller turns them into text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Client<'a> {
    /// An IP address (a v6 zone is dropped).
    Ip(&'a [u8]),
    /// A host name.
    Domain(&'a [u8]),
    /// nginx's `unix:` for unix-socket clients.
    Unix,
}

/// Classifies the `%h` token: an IP address (v4, v6, v6 with `%zone`), a
/// plausible host name, nginx's `unix:`, or `None`.
pub(super) fn client(tok: &[u8]) -> Option<Client<'_>> {
    if is_ip(tok) {
        return Some(Client::Ip(tok));
    }
    if let Some(pct) = tok.iter().position(|c| *c == b'%') {
        let (addr, zone) = tok.split_at(pct);
        let zone = zone.get(1..).unwrap_or_default();
        let zone_ok = !zone.is_empty()
            && zone
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if zone_ok && addr.contains(&b':') && is_ip(addr) {
            return Some(Client::Ip(addr));
        }
    }
    if tok == b"unix:" {
        return Some(Client::Unix);
    }
    is_hostname(tok).then_some(Client::Domain(tok))
}

/// Whether `b` is an IP address as `IpAddr::from_str` reads it.
pub(super) fn is_ip(b: &[u8]) -> bool {
    is_ipv4(b)
        || (b.contains(&b':')
            && std::str::from_utf8(b).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok()))
}

/// Dotted-quad IPv4 as `Ipv4Addr::from_str` reads it: four decimal octets,
/// each at most 255, without leading zeros. One pass, no allocation.
fn is_ipv4(b: &[u8]) -> bool {
    let (mut dots, mut digits, mut value) = (0u8, 0u8, 0u32);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits > 0 && value == 0 {
                    return false; // leading zero
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return false; // also bounds `digits` to 3
                }
            }
            b'.' if digits > 0 && dots < 3 => {
                dots += 1;
                digits = 0;
                value = 0;
            }
            _ => return false,
        }
    }
    dots == 3 && digits > 0
}

/// A plausible DNS name: dot-separated labels of 1–63 letters, digits, `-`
/// or `_`, at most 253 bytes, at least one letter (so that `999.1.1.1` and
/// `-` are not names), an optional final dot.
pub(super) fn is_hostname(b: &[u8]) -> bool {
    let b = b.strip_suffix(b".").unwrap_or(b);
    !b.is_empty()
        && b.len() <= 253
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.split(|c| *c == b'.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        })
}

/// Whether the first two of four tokens before the timestamp are
/// `%v[:%p] %h`: the second is an IP address, or a host name that has a dot
/// or follows a `host:port` (see the parent module's docs).
pub(super) fn is_vhost(first: &[u8], second: &[u8]) -> bool {
    is_ip(second)
        || (is_hostname(second) && (second.contains(&b'.') || split_port(first).1.is_some()))
}

/// `host:port` → (`host`, port); a bare IPv6 address has no port.
pub(super) fn split_port(tok: &[u8]) -> (&[u8], Option<u16>) {
    if is_ip(tok) {
        return (tok, None);
    }
    let Some(colon) = tok.iter().rposition(|c| *c == b':') else {
        return (tok, None);
    };
    let (host, port) = tok.split_at(colon);
    let port = port.get(1..).unwrap_or_default();
    // Check the shape before folding: at most 5 digits cannot overflow.
    // (The fuzzer found the version that folded first.)
    if host.is_empty() || !(1..=5).contains(&port.len()) || !port.iter().all(u8::is_ascii_digit) {
        return (tok, None);
    }
    let value = port.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    match u16::try_from(value) {
        Ok(p) => (host, Some(p)),
        Err(_) => (tok, None),
    }
}

/// The first valid IP address in a comma-separated list such as an
/// X-Forwarded-For header (`"203.0.113.9, 10.0.0.1"`). Items may carry a
/// port (`1.2.3.4:5678`, `[2001:db8::1]:443`, as Azure and some CDNs
/// write); items that are not addresses (`unknown`, `-`) are skipped.
pub(super) fn first_ip(list: &[u8]) -> Option<&[u8]> {
    list.split(|c| *c == b',')
        .map(|item| strip_port(item.trim_ascii()))
        .find(|addr| is_ip(addr))
}

/// `[v6]:port` → `v6`, `v4:port` → `v4`; anything else unchanged.
fn strip_port(item: &[u8]) -> &[u8] {
    if let Some(inner) = item.strip_prefix(b"[") {
        return match inner.iter().position(|c| *c == b']') {
            Some(end) => inner.split_at(end).0,
            None => item,
        };
    }
    let colons = item.iter().filter(|c| **c == b':').count();
    match item.iter().position(|c| *c == b':') {
        Some(colon) if colons == 1 && item.contains(&b'.') => item.split_at(colon).0,
        _ => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::IpAddr;

    #[test]
    fn is_ip_table() {
        for ok in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "::",
            "::1",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            assert!(is_ip(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.4 ",
            "a.b.c.d",
            ":::",
            "1.2.3.0x1",
        ] {
            assert!(!is_ip(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn first_ip_table() {
        assert_eq!(
            first_ip(b"203.0.113.9, 10.0.0.1"),
            Some(&b"203.0.113.9"[..])
        );
        assert_eq!(first_ip(b"unknown,10.0.0.1:5678"), Some(&b"10.0.0.1"[..]));
        assert_eq!(first_ip(b" [2001:db8::1]:443 "), Some(&b"2001:db8::1"[..]));
        assert_eq!(first_ip(b"2001:db8::1"), Some(&b"2001:db8::1"[..]));
        assert_eq!(first_ip(b"-"), None);
        assert_eq!(first_ip(b"2.75"), None);
        assert_eq!(first_ip(b"Mozilla/5.0 (X11, Linux)"), None);
    }

    proptest! {
        #[test]
        fn is_ip_agrees_with_std(s in "[0-9.:a-f]{0,20}") {
            prop_assert_eq!(is_ip(s.as_bytes()), s.parse::<IpAddr>().is_ok(), "{}", s);
        }

        #[test]
        fn is_ipv4_agrees_with_std_near_valid(o in any::<[u8; 4]>(), pad in 0usize..5, at in 0usize..16, c in "[0-9.]") {
            let mut s = std::net::Ipv4Addr::from(o).to_string();
            if pad == 0 && at <= s.len() {
                s.insert_str(at, &c);
            }
            prop_assert_eq!(is_ip(s.as_bytes()), s.parse::<IpAddr>().is_ok(), "{}", s);
        }
    }
}
