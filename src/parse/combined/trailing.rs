//! Fields after the user agent: nginx and Apache configurations append their
//! own (`"$http_x_forwarded_for"`, `$request_time`, `rt=0.123 uct="0.000"`,
//! ingress-nginx's upstream list, …). There is no schema for them, so this
//! module recognises only shapes whose meaning is unambiguous and ignores
//! every other token; nothing here is ever an error. See the parent module's
//! docs for the rules.

use super::addr::first_ip;
use super::{Src, quoted};
use crate::event::{Event, Field, Value};
use memchr::memchr;

/// Keys whose value is the request time in seconds.
const DURATION_KEYS: &[&[u8]] = &[b"rt", b"request_time"];

/// Reads the trailing fields and sets `network.forwarded_ip` and
/// `event.duration` when they are found.
pub(super) fn scan<'a>(mut i: &'a [u8], ev: &mut Event<'a>, src: &Src<'a>) {
    let mut forwarded = false;
    let mut keyed: Option<i64> = None;
    let mut bare: Option<i64> = None;
    loop {
        i = skip_spaces(i);
        let Some(&first) = i.first() else { break };
        if first == b'"' {
            let Ok((rest, content)) = quoted(i) else {
                break;
            };
            if !forwarded {
                if let Some(ip) = first_ip(content.raw()) {
                    ev.set(Field::NetworkForwardedIp, Value::Str(src.text(ip)));
                    forwarded = true;
                }
            }
            i = rest;
            continue;
        }
        let end = memchr(b' ', i).unwrap_or(i.len());
        let (token, rest) = i.split_at(end);
        match memchr(b'=', token) {
            Some(eq) => {
                let (key, value) = token.split_at(eq);
                let value = value.get(1..).unwrap_or_default();
                if value.first() == Some(&b'"') {
                    // `key="value maybe with spaces"`: the value runs past
                    // this token, so scan it from the whole remaining line.
                    let from_quote = i.get(eq + 1..).unwrap_or_default();
                    let Ok((after, content)) = quoted(from_quote) else {
                        break;
                    };
                    if keyed.is_none() && DURATION_KEYS.contains(&key) {
                        keyed = seconds(content.raw());
                    }
                    i = after;
                    continue;
                }
                if keyed.is_none() && DURATION_KEYS.contains(&key) {
                    keyed = seconds(value);
                }
            }
            None if bare.is_none() && memchr(b'.', token).is_some() => bare = seconds(token),
            None => {}
        }
        i = rest;
    }
    if let Some(ns) = keyed.or(bare) {
        ev.set(Field::EventDuration, Value::Int(ns));
    }
}

fn skip_spaces(i: &[u8]) -> &[u8] {
    let n = i.iter().take_while(|c| **c == b' ').count();
    i.get(n..).unwrap_or_default()
}

/// Seconds as written by nginx (`0.123`, `12`, `1.5`) in nanoseconds. At
/// most 9 integer digits (so it cannot overflow); fraction digits beyond
/// nanoseconds are dropped.
pub(super) fn seconds(b: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr(b'.', b) {
        Some(dot) => {
            let (int, frac) = b.split_at(dot);
            (int, frac.get(1..).unwrap_or_default())
        }
        None => (b, &b""[..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if int.is_empty() || int.len() > 9 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    if memchr(b'.', b).is_some() && frac.is_empty() {
        return None;
    }
    let mut secs = 0i64;
    for d in int {
        secs = secs * 10 + i64::from(d - b'0');
    }
    let mut nanos = 0i64;
    for k in 0..9 {
        nanos = nanos * 10 + frac.get(k).map_or(0, |d| i64::from(d - b'0'));
    }
    Some(secs * 1_000_000_000 + nanos)
}
