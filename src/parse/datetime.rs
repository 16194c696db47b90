//! Timestamps of the line-based formats other than the NCSA access logs:
//! RFC 3339 and the variants real producers write, epoch numbers, nginx's
//! `time_local` and BSD syslog's year-less `Mmm dd hh:mm:ss`.
//!
//! Hand-written rather than built on the `time` crate's parsers because they
//! run once per line and must accept the loose variants below without
//! allocating. `parse::timestamp` (access-log `[...]` timestamps) is written
//! on another branch; TODO(merge): share the NCSA parser with it.

use crate::event::{Timestamp, days_from_civil};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Parses RFC 3339 and its common variants into UTC:
///
/// - `T`, `t` or a space between date and time (`2022-11-29 00:09:04.38`);
/// - 0–9+ fraction digits (digits past nanoseconds are dropped);
/// - offset `Z`/`z`, `±hh:mm`, `±hhmm`, `±hh`, a trailing ` UTC`, or none at
///   all, which is read as UTC (CloudTrail exports, Panther, GCP tools).
pub fn rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)? as i64;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)? as i64;
    let minute = digits(b, 14, 2)? as i64;
    let second = digits(b, 17, 2)? as i64;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !valid_date(year, month, day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut pos = 19;
    let mut nanos: u32 = 0;
    if b.get(pos) == Some(&b'.') || b.get(pos) == Some(&b',') {
        pos += 1;
        let start = pos;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(pos).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let offset = offset_seconds(b.get(pos..)?)?;
    let days = days_from_civil(year, month, day);
    let secs = days * DAY + hour * 3600 + minute * 60 + second - offset;
    Some(Timestamp::from_unix(secs, nanos))
}

/// The UTC offset at the end of an RFC 3339 timestamp, in seconds east.
fn offset_seconds(b: &[u8]) -> Option<i64> {
    match b {
        [] | [b'Z' | b'z'] | b" UTC" | b"Z UTC" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2] => (two(*h1, *h2)?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (two(*h1, *h2)?, two(*m1, *m2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h) * 3600 + i64::from(m) * 60;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

/// Nanoseconds per unit of an epoch number, guessed from the magnitude of
/// its integer part: seconds up to ~5138 AD, then milliseconds,
/// microseconds, nanoseconds (as Vector and Elastic do for untyped inputs).
fn epoch_unit(int_abs: u64) -> i64 {
    if int_abs >= 100_000_000_000_000_000 {
        1
    } else if int_abs >= 100_000_000_000_000 {
        1_000
    } else if int_abs >= 100_000_000_000 {
        1_000_000
    } else {
        1_000_000_000
    }
}

/// A timestamp given as a floating-point number since the epoch (unit as in
/// [`epoch_unit`]). A double holds about 16 digits, so the result is rounded
/// to the microsecond rather than showing float noise.
pub fn epoch_f64(n: f64) -> Option<Timestamp> {
    if !n.is_finite() || n.abs() >= 9.2e18 {
        return None;
    }
    let unit = epoch_unit(n.abs() as u64);
    let micros = (n * unit as f64 / 1e3).round();
    if micros.abs() >= 9.2e15 {
        return None;
    }
    Some(Timestamp(micros as i64 * 1_000))
}

/// [`epoch_f64`] for integers, without rounding through a float.
pub fn epoch_i64(n: i64) -> Option<Timestamp> {
    n.checked_mul(epoch_unit(n.unsigned_abs())).map(Timestamp)
}

/// An epoch number written as text (`"1646861401.5241"`, nginx `$msec`),
/// with its fraction digits taken exactly.
pub fn epoch_text(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let unit = epoch_unit(int);
    // The fraction of one unit, in nanoseconds (digits past 1 ns dropped).
    let mut frac_ns: i64 = 0;
    let mut scale = unit;
    for d in frac.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        frac_ns += i64::from(d - b'0') * scale;
    }
    let nanos = i64::try_from(int)
        .ok()?
        .checked_mul(unit)?
        .checked_add(frac_ns)?;
    Some(Timestamp(if neg { -nanos } else { nanos }))
}

/// Month number (1–12) of an English three-letter abbreviation, in the
/// exact case servers write (`Jan` … `Dec`). On the combined parser's hot
/// path (`timestamp::parse_clf`), hence `#[inline]`.
#[inline]
pub fn month_abbr(m: &[u8]) -> Option<u32> {
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// The NCSA/nginx `time_local` form `02/Mar/2026:08:00:01 +0000`, with or
/// without the surrounding brackets.
pub fn ncsa(s: &str) -> Option<Timestamp> {
    let s = s.strip_prefix('[').unwrap_or(s);
    let s = s.strip_suffix(']').unwrap_or(s);
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let day = digits(b, 0, 2)?;
    let month = month_abbr(&b[3..6])?;
    let year = digits(b, 7, 4)? as i64;
    let hour = digits(b, 12, 2)? as i64;
    let minute = digits(b, 15, 2)? as i64;
    let second = digits(b, 18, 2)? as i64;
    if !valid_date(year, month, day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = offset_seconds(&b[21..])?;
    let secs = days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
    Some(Timestamp::from_unix(secs - offset, 0))
}

/// BSD syslog's `Mmm dd hh:mm:ss` (day space- or zero-padded, or a single
/// digit as some senders write) at the start of `b`. Returns the month,
/// day, seconds of the day and the bytes consumed; the year is the caller's
/// choice (see [`resolve_year`]).
pub fn bsd_prefix(b: &[u8]) -> Option<(u32, u32, i64, usize)> {
    let month = month_abbr(b.get(0..3)?)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    // "Mar  2", "Mar 02" or "Mar 2".
    let (day, pos) = match (b.get(4)?, b.get(5)?) {
        (b' ', d) if d.is_ascii_digit() => (u32::from(d - b'0'), 6),
        (d1, d2) if d1.is_ascii_digit() && d2.is_ascii_digit() => (two(*d1, *d2)?, 6),
        (d, b' ') if d.is_ascii_digit() => (u32::from(d - b'0'), 5),
        _ => return None,
    };
    if b.get(pos) != Some(&b' ') {
        return None;
    }
    let t = pos + 1;
    let hour = digits(b, t, 2)? as i64;
    let minute = digits(b, t + 3, 2)? as i64;
    let second = digits(b, t + 6, 2)? as i64;
    if b.get(t + 2) != Some(&b':') || b.get(t + 5) != Some(&b':') {
        return None;
    }
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((month, day, hour * 3600 + minute * 60 + second, t + 8))
}

/// The instant of a year-less date: in the year of `reference`, unless that
/// puts it more than a day after `reference`, then in the year before (a
/// December line read in January). Feb 29 in a non-leap year is `None`.
pub fn resolve_year(month: u32, day: u32, sod: i64, reference: Timestamp) -> Option<Timestamp> {
    let (ref_year, _, _) = crate::event::civil_from_days(reference.unix_seconds().div_euclid(DAY));
    let at = |year: i64| {
        valid_date(year, month, day)
            .then(|| Timestamp::from_unix(days_from_civil(year, month, day) * DAY + sod, 0))
    };
    match at(ref_year) {
        Some(t) if t.unix_seconds() <= reference.unix_seconds() + DAY => Some(t),
        _ => at(ref_year - 1),
    }
}

/// Whether a civil date exists.
fn valid_date(year: i64, month: u32, day: u32) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `n` ASCII digits of `b` at `at` as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at + n)?.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Two ASCII digits as a number.
fn two(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: Option<Timestamp>) -> String {
        t.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
    }

    #[test]
    fn rfc3339_variants() {
        assert_eq!(
            s(rfc3339("2026-03-02T08:00:01.123456Z")),
            "2026-03-02T08:00:01.123456Z"
        );
        assert_eq!(
            s(rfc3339("2014-02-27T19:29:30.855665+0000")),
            "2014-02-27T19:29:30.855665Z"
        );
        assert_eq!(
            s(rfc3339("2019-02-13T19:48:34+01:00")),
            "2019-02-13T18:48:34Z"
        );
        assert_eq!(
            s(rfc3339("2022-11-29 00:09:04.38")),
            "2022-11-29T00:09:04.38Z"
        );
        assert_eq!(
            s(rfc3339("2024-01-19 13:47:18.279921000")),
            "2024-01-19T13:47:18.279921Z"
        );
        assert_eq!(
            s(rfc3339("2023-01-10 21:04:02 UTC")),
            "2023-01-10T21:04:02Z"
        );
        assert_eq!(
            s(rfc3339("2020-01-01T00:00:00.1234567891234Z")),
            "2020-01-01T00:00:00.123456789Z"
        );
        assert_eq!(s(rfc3339("2020-01-01T00:00:00-05")), "2020-01-01T05:00:00Z");
        for bad in [
            "",
            "2020-13-01T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+25:00",
            "2020-01-01T00:00:00Zjunk",
            "time_stamp",
            "2020-01-01X00:00:00Z",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn epochs() {
        assert_eq!(s(epoch_f64(1_646_861_401.5)), "2022-03-09T21:30:01.5Z");
        assert_eq!(
            s(epoch_f64(1_646_861_401.524_102_4)),
            "2022-03-09T21:30:01.524103Z"
        );
        assert_eq!(
            s(epoch_f64(1_646_861_401_524.1)),
            "2022-03-09T21:30:01.5241Z"
        );
        assert_eq!(s(epoch_i64(1_646_861_401_500)), "2022-03-09T21:30:01.5Z");
        assert_eq!(
            s(epoch_i64(1_646_861_401_500_000)),
            "2022-03-09T21:30:01.5Z"
        );
        assert_eq!(
            s(epoch_i64(1_646_861_401_500_000_000)),
            "2022-03-09T21:30:01.5Z"
        );
        assert_eq!(s(epoch_text("1646861401.500")), "2022-03-09T21:30:01.5Z");
        assert_eq!(s(epoch_text("1646861401.250")), "2022-03-09T21:30:01.25Z");
        assert_eq!(
            s(epoch_text("1646861401123.5")),
            "2022-03-09T21:30:01.1235Z"
        );
        assert_eq!(s(epoch_text("-1.5")), "1969-12-31T23:59:58.5Z");
        assert_eq!(epoch_f64(f64::NAN), None);
        assert_eq!(epoch_f64(1e300), None);
        assert_eq!(epoch_text("12a"), None);
        assert_eq!(epoch_text("1.2.3"), None);
        assert_eq!(epoch_text(""), None);
        assert_eq!(epoch_i64(i64::MIN).map(|_| ()), Some(()));
    }

    #[test]
    fn ncsa_and_bsd() {
        assert_eq!(
            s(ncsa("02/Mar/2026:08:00:01 +0100")),
            "2026-03-02T07:00:01Z"
        );
        assert_eq!(
            s(ncsa("[10/Oct/2000:13:55:36 -0700]")),
            "2000-10-10T20:55:36Z"
        );
        assert_eq!(ncsa("10/Foo/2000:13:55:36 -0700"), None);
        assert_eq!(
            bsd_prefix(b"Mar  2 08:00:01 host"),
            Some((3, 2, 8 * 3600 + 1, 15))
        );
        assert_eq!(
            bsd_prefix(b"Jun 8 11:54:08 master"),
            Some((6, 8, 11 * 3600 + 54 * 60 + 8, 14))
        );
        assert_eq!(bsd_prefix(b"Oct 11 22:14:15"), Some((10, 11, 80055, 15)));
        assert_eq!(bsd_prefix(b"Oct 11 22:14"), None);
        assert_eq!(bsd_prefix(b"Foo 11 22:14:15"), None);
    }

    #[test]
    fn year_is_never_far_in_the_future() {
        let jan = rfc3339("2027-01-02T00:00:00Z").unwrap();
        assert_eq!(s(resolve_year(12, 31, 3600, jan)), "2026-12-31T01:00:00Z");
        assert_eq!(s(resolve_year(1, 1, 0, jan)), "2027-01-01T00:00:00Z");
        // One day of clock skew is tolerated.
        assert_eq!(s(resolve_year(1, 3, 0, jan)), "2027-01-03T00:00:00Z");
        assert_eq!(s(resolve_year(2, 29, 0, jan)), "-");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,40}") {
            let _ = rfc3339(&text);
            let _ = ncsa(&text);
            let _ = epoch_text(&text);
            let _ = bsd_prefix(text.as_bytes());
        }

        #[test]
        fn rfc3339_agrees_with_display(secs in -2_000_000_000i64..4_000_000_000, nanos in 0u32..1_000_000_000) {
            let t = Timestamp::from_unix(secs, nanos);
            proptest::prop_assert_eq!(rfc3339(&t.to_string()), Some(t));
        }
    }
}
