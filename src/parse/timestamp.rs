//! Access-log timestamps: the `dd/Mon/yyyy:HH:MM:SS ±hhmm` of Apache's `%t`
//! and nginx's `$time_local`, optionally with fractional seconds
//! (`10/Oct/2000:13:55:36.123 -0700`, Apache
//! `%{%d/%b/%Y:%H:%M:%S}t.%{msec_frac}t %{%z}t`).
//!
//! The parser is hand-written over fixed byte positions instead of using the
//! `time` crate's `format_description` parser because it runs once per line
//! on the hot path: `time` interprets the description component by
//! component, builds validated `Date`/`Time`/`UtcOffset` values and converts
//! them, which costs several times more than the ~20 byte comparisons and one
//! [`days_from_civil`] here. It does not allocate. The property tests at the
//! bottom check it against `time` so that the speed does not cost correctness.

use super::datetime::month_abbr;
use crate::event::{Timestamp, days_from_civil};

/// Earliest year accepted: [`Timestamp`] is `i64` nanoseconds, which reaches
/// back to 1677-09-21, so 1678 is the first whole year it can hold.
pub const MIN_YEAR: i64 = 1678;
/// Latest year accepted: `i64` nanoseconds end on 2262-04-11.
pub const MAX_YEAR: i64 = 2261;
/// Largest UTC offset accepted, as `hhmm` (real zones span −12:00..+14:00).
pub const MAX_OFFSET_HHMM: u32 = 1400;

/// Parses the text between the brackets of an access-log timestamp,
/// e.g. `10/Oct/2000:13:55:36 -0700`, into UTC.
///
/// Accepts exactly two-digit day, hour, minute, second and offset fields,
/// a four-digit year in [`MIN_YEAR`]..=[`MAX_YEAR`], an English month
/// abbreviation with the case servers write (`Jan` … `Dec`), an optional
/// fraction after the seconds (digits beyond nanoseconds are dropped), and
/// an offset of at most
/// ±[`MAX_OFFSET_HHMM`] with minutes below 60. Days are checked against the
/// month's length (leap years included). A leap second (`:60`) is accepted
/// and lands on the first second of the next minute, since [`Timestamp`]
/// cannot represent it. Returns `None` for anything else; never panics.
pub fn parse_clf(b: &[u8]) -> Option<Timestamp> {
    let [
        d1,
        d2,
        b'/',
        m1,
        m2,
        m3,
        b'/',
        y1,
        y2,
        y3,
        y4,
        b':',
        h1,
        h2,
        b':',
        n1,
        n2,
        b':',
        s1,
        s2,
        rest @ ..,
    ] = b
    else {
        return None;
    };
    let day = two(*d1, *d2)?;
    let month = month_abbr(&[*m1, *m2, *m3])?;
    let year = i64::from(two(*y1, *y2)? * 100 + two(*y3, *y4)?);
    let hour = two(*h1, *h2)?;
    let minute = two(*n1, *n2)?;
    let second = two(*s1, *s2)?;
    let (nanos, rest) = fraction(rest)?;
    let [b' ', sign, o1, o2, o3, o4] = rest else {
        return None;
    };
    let (oh, om) = (two(*o1, *o2)?, two(*o3, *o4)?);
    if !(MIN_YEAR..=MAX_YEAR).contains(&year)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
        || om > 59
        || oh * 100 + om > MAX_OFFSET_HHMM
    {
        return None;
    }
    let offset = i64::from(oh * 3600 + om * 60);
    let offset = match sign {
        b'+' => offset,
        b'-' => -offset,
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset;
    // Cannot overflow: the year range keeps |secs| below 9.2e9.
    Some(Timestamp(
        secs * Timestamp::NANOS_PER_SEC + i64::from(nanos),
    ))
}

/// Two ASCII digits as a number.
#[inline]
fn two(a: u8, b: u8) -> Option<u32> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}

/// An optional `.ddd` fraction (at least one digit; digits beyond
/// nanoseconds are dropped, as `time` does) as nanoseconds, and the rest.
#[inline]
fn fraction(b: &[u8]) -> Option<(u32, &[u8])> {
    let Some(digits) = b.strip_prefix(b".") else {
        return Some((0, b));
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let (frac, rest) = digits.split_at_checked(n)?;
    let mut nanos = 0u32;
    for k in 0..9 {
        nanos = nanos * 10 + frac.get(k).map_or(0, |d| u32::from(d - b'0'));
    }
    Some((nanos, rest))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::format_description;
    use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

    fn ts(s: &str) -> Option<String> {
        parse_clf(s.as_bytes()).map(|t| t.to_string())
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("10/Oct/2000:13:55:36 -0700", Some("2000-10-10T20:55:36Z")),
            ("10/Oct/2000:13:55:36 +0000", Some("2000-10-10T13:55:36Z")),
            ("01/Jan/1970:00:00:00 +0000", Some("1970-01-01T00:00:00Z")),
            ("01/Jan/1970:00:30:00 +0100", Some("1969-12-31T23:30:00Z")),
            ("29/Feb/2024:23:59:59 +1400", Some("2024-02-29T09:59:59Z")),
            ("31/Dec/1999:23:59:60 +0000", Some("2000-01-01T00:00:00Z")),
            (
                "10/Oct/2000:13:55:36.123 -0700",
                Some("2000-10-10T20:55:36.123Z"),
            ),
            (
                "10/Oct/2000:13:55:36.000000001 +0000",
                Some("2000-10-10T13:55:36.000000001Z"),
            ),
            ("17/May/2015:10:05:03 +0530", Some("2015-05-17T04:35:03Z")),
            ("01/Jan/1678:00:00:00 +0000", Some("1678-01-01T00:00:00Z")),
            ("31/Dec/2261:23:59:59 -1400", Some("2262-01-01T13:59:59Z")),
            // Day versus month length, leap years.
            ("29/Feb/2023:00:00:00 +0000", None),
            ("29/Feb/1900:00:00:00 +0000", None),
            ("29/Feb/2000:00:00:00 +0000", Some("2000-02-29T00:00:00Z")),
            ("31/Apr/2020:00:00:00 +0000", None),
            ("00/Jan/2020:00:00:00 +0000", None),
            ("32/Jan/2020:00:00:00 +0000", None),
            // Field ranges.
            ("10/Oct/2000:24:00:00 +0000", None),
            ("10/Oct/2000:23:60:00 +0000", None),
            ("10/Oct/2000:23:59:61 +0000", None),
            ("10/Oct/2000:13:55:36 +1401", None),
            ("10/Oct/2000:13:55:36 +0060", None),
            ("10/Oct/2000:13:55:36 -1500", None),
            ("01/Jan/1677:00:00:00 +0000", None),
            ("01/Jan/2262:00:00:00 +0000", None),
            // Shape.
            ("10/oct/2000:13:55:36 -0700", None),
            ("10/Okt/2000:13:55:36 -0700", None),
            ("1/Oct/2000:13:55:36 -0700", None),
            ("10/Oct/2000:13:55:36", None),
            ("10/Oct/2000:13:55:36 0700", None),
            ("10/Oct/2000:13:55:36 *0700", None),
            ("10/Oct/2000:13:55:36 -07000", None),
            ("10/Oct/2000:13:55:36  -0700", None),
            ("10/Oct/2000:13:55:36. -0700", None),
            (
                "10/Oct/2000:13:55:36.1234567899 -0700",
                Some("2000-10-10T20:55:36.123456789Z"),
            ),
            ("10/Oct/2000 13:55:36 -0700", None),
            ("-", None),
            ("", None),
            ("10/Oct/2000:13:55:3٣ -0700", None),
        ];
        for (input, want) in cases {
            assert_eq!(ts(input).as_deref(), *want, "{input}");
        }
    }

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    /// The oracle: `time`'s own parser for the same layout.
    fn oracle(s: &str) -> Option<i128> {
        let plain = format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] \
             [offset_hour sign:mandatory][offset_minute]"
        );
        let frac = format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second].[subsecond] \
             [offset_hour sign:mandatory][offset_minute]"
        );
        OffsetDateTime::parse(s, &plain)
            .or_else(|_| OffsetDateTime::parse(s, &frac))
            .ok()
            .map(OffsetDateTime::unix_timestamp_nanos)
    }

    /// What picket should answer given `time`'s answer, after the documented
    /// differences: picket rejects years outside `i64` nanoseconds and offsets
    /// beyond ±14:00 (`time` takes ±25:59), and accepts a leap second `:60`
    /// as the next minute's first second (`time` rejects it).
    fn expected(s: &str) -> Option<i128> {
        let b = s.as_bytes();
        if b.get(17..20) == Some(&b":60"[..]) {
            let mut fixed = b.to_vec();
            fixed[19] = b'9';
            fixed[18] = b'5';
            let fixed = String::from_utf8(fixed).ok()?;
            return expected(&fixed).map(|n| n + 1_000_000_000);
        }
        let nanos = oracle(s)?;
        let year: i64 = s.get(7..11)?.parse().ok()?;
        let off = s.get(s.len().checked_sub(4)?..)?;
        let off: u32 = off.parse().ok()?;
        let plain_year = s.get(7..11)?.bytes().all(|c| c.is_ascii_digit());
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && off <= MAX_OFFSET_HHMM && plain_year)
            .then_some(nanos)
    }

    type Frac = Option<(u32, u32)>;

    fn valid_date() -> impl Strategy<Value = (PrimitiveDateTime, i32, Frac)> {
        (
            MIN_YEAR as i32..=MAX_YEAR as i32,
            1u8..=12,
            1u8..=31,
            0u8..24,
            0u8..60,
            0u8..60,
            -(14 * 60)..=(14 * 60),
            proptest::option::of((1u32..=9, any::<u32>())),
        )
            .prop_filter_map("day fits the month", |(y, mo, d, h, mi, s, off, frac)| {
                let month = Month::try_from(mo).ok()?;
                let date = Date::from_calendar_date(y, month, d).ok()?;
                let time = Time::from_hms(h, mi, s).ok()?;
                Some((PrimitiveDateTime::new(date, time), off, frac))
            })
    }

    fn render(dt: PrimitiveDateTime, off_minutes: i32, frac: Frac) -> String {
        let sign = if off_minutes < 0 { '-' } else { '+' };
        let off = off_minutes.unsigned_abs();
        let frac = match frac {
            Some((n, v)) => format!(".{:0width$}", v % 10u32.pow(n), width = n as usize),
            None => String::new(),
        };
        format!(
            "{:02}/{}/{:04}:{:02}:{:02}:{:02}{frac} {sign}{:02}{:02}",
            dt.day(),
            MONTHS[usize::from(u8::from(dt.month())) - 1],
            dt.year(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            off / 60,
            off % 60
        )
    }

    /// Mutations that keep the string ASCII: replace, delete or insert a
    /// byte from the alphabet timestamps are made of.
    fn mutate(s: &str, edits: &[(usize, u8, u8)]) -> String {
        const ALPHABET: &[u8] = b"0123456789/:+-. JFMASONDaeuoc\x009";
        let mut b = s.as_bytes().to_vec();
        for &(pos, kind, c) in edits {
            let c = ALPHABET[usize::from(c) % ALPHABET.len()];
            let pos = pos % (b.len() + 1);
            match kind % 3 {
                0 if pos < b.len() => b[pos] = c,
                1 if pos < b.len() => {
                    b.remove(pos);
                }
                _ => b.insert(pos, c),
            }
        }
        String::from_utf8(b).expect("ascii")
    }

    proptest! {
        #[test]
        fn agrees_with_time_on_valid_dates((dt, off, frac) in valid_date()) {
            let s = render(dt, off, frac);
            let frac_nanos = frac.map_or(0, |(n, v)| (v % 10u32.pow(n)) * 10u32.pow(9 - n));
            let want = dt
                .assume_offset(UtcOffset::from_whole_seconds(off * 60).unwrap())
                .unix_timestamp_nanos()
                + i128::from(frac_nanos);
            prop_assert_eq!(oracle(&s), Some(want), "oracle on {}", s);
            prop_assert_eq!(parse_clf(s.as_bytes()).map(|t| i128::from(t.0)), Some(want), "{}", s);
        }

        #[test]
        fn agrees_with_time_on_mutations(
            (dt, off, frac) in valid_date(),
            edits in proptest::collection::vec((0usize..40, 0u8..3, any::<u8>()), 1..4),
        ) {
            let s = mutate(&render(dt, off, frac), &edits);
            let ours = parse_clf(s.as_bytes()).map(|t| i128::from(t.0));
            prop_assert_eq!(ours, expected(&s), "{:?}", s);
        }

        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..48)) {
            let _ = parse_clf(&b);
        }

        #[test]
        fn never_panics_near_valid(
            (dt, off, frac) in valid_date(),
            at in 0usize..40,
            byte in any::<u8>(),
        ) {
            let mut b = render(dt, off, frac).into_bytes();
            if let Some(slot) = b.get_mut(at) {
                *slot = byte;
            }
            let _ = parse_clf(&b);
        }
    }
}
