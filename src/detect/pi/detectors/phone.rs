//! Phone numbers: E.164 (`+CC …`, also `00CC …`) checked against each
//! country's national number lengths, and the written national formats of
//! the US, UK, India, Germany, France, Spain, Italy, the Netherlands and
//! Japan. A bare digit run is never a phone on its own: it needs a
//! separator, parentheses or `+` — or a phone-like key (see
//! [`is_phone_keyed`]).
//!
//! Lengths are the national significant number (NSN, after the country
//! code) ranges of ITU-T E.164 country plans as libphonenumber records
//! them, widened slightly where plans vary by area.

use super::numeric::Win;
use crate::detect::pi::validate::{num, valid_date};

/// Two-digit country codes (ITU-T E.164 zones 2–9). Everything else
/// starting 2–9 is a three-digit code; `1` and `7` are one digit.
const CC2: &[u32] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// Splits a country code off E.164 digits: `(code, digits used)`.
fn country_code(d: &[u8]) -> Option<(u32, usize)> {
    match *d.first()? {
        b'1' => Some((1, 1)),
        b'7' => Some((7, 1)),
        b'0' => None,
        _ if d.len() >= 3 => {
            let two = num(&d[..2]);
            if CC2.contains(&two) {
                Some((two, 2))
            } else {
                let three = num(&d[..3]);
                assigned_three(three).then_some((three, 3))
            }
        }
        _ => None,
    }
}

/// Three-digit codes in the assigned blocks (Africa 21x–29x, Europe
/// 35x–38x and 42x, the Americas 50x and 59x, Oceania 67x–69x, East Asia
/// 85x and 88x, West Asia 96x–99x). Unassigned spare codes inside a block
/// are accepted; the length check still applies.
fn assigned_three(cc: u32) -> bool {
    matches!(cc / 10, 21..=29 | 35..=38 | 42 | 50 | 59 | 67..=69 | 85 | 88 | 96..=99)
}

/// Plausible NSN lengths per country code.
fn nsn_lengths(cc: u32) -> (usize, usize) {
    match cc {
        1 | 7 => (10, 10),
        20 => (8, 10),
        27 | 56 | 61 | 93 | 94 => (9, 9),
        30 | 52 | 57 | 58 | 63 | 90 | 91 | 98 => (10, 10),
        31 | 33 | 34 | 40 | 41 | 48 => (9, 9),
        32 | 36 | 51 | 66 => (8, 9),
        39 => (6, 11),
        43 => (7, 13),
        44 => (9, 10),
        45 | 47 | 53 | 65 => (8, 8),
        46 => (7, 10),
        49 => (6, 13),
        54 | 55 | 86 => (10, 11),
        60 | 64 | 82 => (8, 10),
        62 => (8, 12),
        81 | 84 | 92 => (9, 10),
        95 => (7, 10),
        351 | 380 | 420 | 421 | 375 | 995 | 994 | 998 | 992 | 996 | 254 | 212 | 221 | 233 | 255
        | 256 | 260 | 263 | 966 | 967 => (9, 9),
        353 => (7, 9),
        354 | 960 => (7, 7),
        358 => (6, 12),
        352 => (6, 11),
        370 | 371 | 373 | 374 | 386 | 356 | 357 | 852 | 965 | 968 | 973 | 974 | 975 | 976 | 993
        | 216 => (8, 8),
        372 => (7, 8),
        355 | 359 | 381 | 385 | 213 | 962 | 963 | 971 | 972 | 886 => (8, 9),
        961 => (7, 8),
        964 | 880 => (10, 10),
        977 | 234 => (8, 10),
        _ => (5, 12),
    }
}

/// North American Numbering Plan: area code and exchange start with 2–9.
fn nanp(d: &[u8]) -> bool {
    d.len() == 10 && (b'2'..=b'9').contains(&d[0]) && (b'2'..=b'9').contains(&d[3])
}

/// Separators a written phone number uses: space, `-`, `.`, `/` (German
/// `030/1234567`), or none right after `)`. Dots are never mixed with
/// others, and at most one `/`.
fn separators_ok(w: &Win<'_>) -> bool {
    let mut dots = 0;
    let mut slashes = 0;
    for &s in w.seps {
        match s {
            b' ' | b'-' | 0 => {}
            b'.' => dots += 1,
            b'/' => slashes += 1,
            _ => return false,
        }
    }
    (dots == 0 || dots == w.seps.len()) && slashes <= 1
}

/// `+CC NSN` (or `00CC NSN` when `intl_prefix`).
fn e164(w: &Win<'_>, intl_prefix: bool) -> bool {
    let mut d = w.d();
    if intl_prefix {
        d = &d[2..];
    }
    let Some((cc, used)) = country_code(d) else {
        return false;
    };
    let mut nsn = &d[used..];
    // `+44 (0)20 7123 4567`: the bracketed national trunk 0 is not dialled.
    let trunk_in_parens = (0..w.groups.len()).any(|i| w.paren >> i & 1 == 1 && w.glen(i) == 1);
    if trunk_in_parens && nsn.first() == Some(&b'0') {
        nsn = &nsn[1..];
    }
    let (lo, hi) = nsn_lengths(cc);
    if nsn.len() < lo || nsn.len() > hi || used + nsn.len() > 15 {
        return false;
    }
    match cc {
        1 => nanp(nsn),
        // Italian fixed lines keep their leading 0 after +39.
        39 => true,
        _ => nsn[0] != b'0',
    }
}

/// `DD.MM.YYYY`, `YYYY-MM-DD`, `DD/MM/YY`: dates are not phones.
fn looks_like_date(w: &Win<'_>) -> bool {
    let g = |i: usize| num(&w.text[w.groups[i].0..w.groups[i].1]);
    let dmy = |a: u32, b: u32, year: u32| {
        let year = if year < 100 { 2000 + year } else { year };
        valid_date(year, b, a) || valid_date(year, a, b)
    };
    if w.shape(&[2, 2, 4]) || w.shape(&[2, 2, 2]) {
        dmy(g(0), g(1), g(2))
    } else if w.shape(&[4, 2, 2]) {
        valid_date(g(0), g(1), g(2))
    } else {
        false
    }
}

/// The national formats of SPEC §4's countries, written with separators.
fn national(w: &Win<'_>) -> bool {
    let d = w.d();
    let n = w.nd;
    let k = w.groups.len();
    let first_paren = w.paren & 1 == 1;
    if looks_like_date(w) || w.glen(k - 1) < 2 {
        return false;
    }
    // US/NANP: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-555-0132.
    if n == 10 && nanp(d) && (w.shape(&[3, 3, 4]) || (first_paren && w.shape(&[3, 7]))) {
        return true;
    }
    if n == 11 && d[0] == b'1' && nanp(&d[1..]) && w.shape(&[1, 3, 3, 4]) {
        return true;
    }
    if w.glen(0) < 2 {
        // `0-306-40615-2` (ISBN-10) and similar: a lone leading digit is not
        // a trunk prefix plus area code.
        return false;
    }
    // Trunk prefix 0 (UK, DE, FR, IT fixed, NL, JP, IN fixed): 0 + area code
    // in the first group, 8–12 digits in all, no group longer than 8. The
    // `3-2-4` layout is an SSN's (`078-00-1123`), no country's phone.
    if d[0] == b'0'
        && d[1] != b'0'
        && (8..=12).contains(&n)
        && (2..=6).contains(&w.glen(0))
        && (0..k).all(|i| w.glen(i) <= 8)
        && !w.shape(&[3, 2, 4])
    {
        return true;
    }
    // Spain: 9 digits starting 6–9: 612 34 56 78, 912 345 678, 91 123 45 67.
    if n == 9
        && (b'6'..=b'9').contains(&d[0])
        && (w.shape(&[3, 3, 3]) || w.shape(&[3, 2, 2, 2]) || w.shape(&[2, 3, 2, 2]))
    {
        return true;
    }
    // Italian mobiles: 10 digits starting 3.
    if n == 10 && d[0] == b'3' && (w.shape(&[3, 3, 4]) || w.shape(&[3, 7]) || w.shape(&[3, 4, 3])) {
        return true;
    }
    // Indian mobiles: 10 digits starting 6–9: 98765 43210.
    n == 10
        && (b'6'..=b'9').contains(&d[0])
        && (w.shape(&[5, 5]) || w.shape(&[3, 3, 4]) || w.shape(&[4, 3, 3]))
}

/// Whether a window is a phone number without any key context.
pub(crate) fn is_phone(w: &Win<'_>) -> bool {
    if !(7..=15).contains(&w.nd) || !separators_ok(w) {
        return false;
    }
    if w.plus {
        return e164(w, false);
    }
    if w.groups.len() < 2 && w.paren == 0 {
        // Bare digit run: only under a phone key.
        return false;
    }
    if w.d().starts_with(b"00") {
        return e164(w, true);
    }
    national(w)
}

/// Under a phone key (`phone=`, `msisdn=`, …): any 7–15 digits written
/// with phone separators, bare runs included (`13812345678`).
pub(crate) fn is_phone_keyed(w: &Win<'_>) -> bool {
    (7..=15).contains(&w.nd) && separators_ok(w) && !w.d().iter().all(|&b| b == w.d()[0])
}
