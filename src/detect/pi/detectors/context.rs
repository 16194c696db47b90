//! Key-context categories: values that are PI because of the key that
//! names them (`dob=`, `first_name=`, `lat=`, `passport=`, `token=`, …),
//! checked for the shape such a value has so that `dob=unknown` or
//! `lat=0` are not reported. These rules run only when the value-shape
//! detectors found nothing in the value.

use super::{Ctx, Emitter};
use crate::detect::pi::Category;
use crate::detect::pi::fingerprint::Norm;
use crate::detect::pi::keys::KeyClass;
use crate::detect::pi::validate::valid_date;

/// Values that stand in for a real one: empty, masked (`***`, `xxxx`),
/// templated (`{{password}}`, `${TOKEN}`, `<token>`, `:id`), or a
/// null-ish word.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    if v.is_empty()
        || v.iter()
            .all(|b| matches!(b, b'*' | b'x' | b'X' | b'#' | b'-' | b'_' | b'.'))
    {
        return true;
    }
    let templated = (v[0] == b'{' && v.ends_with(b"}"))
        || v.starts_with(b"${")
        || (v[0] == b'<' && v.ends_with(b">"))
        || v[0] == b':'
        || v == b"%s";
    const NULLISH: &[&[u8]] = &[
        b"null",
        b"none",
        b"nil",
        b"undefined",
        b"redacted",
        b"[redacted]",
        b"hidden",
        b"masked",
        b"true",
        b"false",
        b"n/a",
        b"na",
        b"unknown",
        b"empty",
    ];
    templated || NULLISH.iter().any(|w| v.eq_ignore_ascii_case(w)) || v.starts_with("•".as_bytes())
}

/// A password-like key's value (`password=`, `secret=`): anything real is a
/// credential. Returns whether one was reported.
pub(crate) fn secret_value(text: &[u8], ctx: Ctx<'_>, em: &mut Emitter<'_>) -> bool {
    if is_placeholder(text) {
        return false;
    }
    em.emit(Category::Secret, ctx.key, text.trim_ascii(), Norm::Exact);
    true
}

/// Looks like a token: 8+ bytes, no spaces, at least two of lowercase,
/// uppercase, digits and symbols, not one repeated byte. `auth=sso`,
/// `token=true` and `token=1` are not tokens.
pub(crate) fn token_shaped(v: &[u8]) -> bool {
    if v.len() < 8 || v.len() > 4096 || is_placeholder(v) || v.iter().any(u8::is_ascii_whitespace) {
        return false;
    }
    let has = |f: fn(&u8) -> bool| usize::from(v.iter().any(f));
    let classes = has(u8::is_ascii_lowercase)
        + has(u8::is_ascii_uppercase)
        + has(u8::is_ascii_digit)
        + has(|b| !b.is_ascii_alphanumeric());
    classes >= 2 && !v.iter().all(|&b| b == v[0])
}

/// Parses a date as people and APIs write birth dates: `YYYY-MM-DD`,
/// `YYYY/MM/DD`, `DD.MM.YYYY`, `DD/MM/YYYY`, `MM/DD/YYYY` (when the day
/// cannot be first), `YYYYMMDD`, optionally followed by a time. Years
/// 1900–2100. Returns `YYYYMMDD`, so every spelling of one date has one
/// fingerprint (`DD/MM` is preferred when both readings are valid).
pub(crate) fn parse_date(v: &[u8]) -> Option<[u8; 8]> {
    let v = v.trim_ascii();
    let v = match v.iter().position(|&b| b == b'T' || b == b' ') {
        Some(t) if t >= 8 => &v[..t],
        _ => v,
    };
    let (y, m, d) = if v.len() == 8 && v.iter().all(u8::is_ascii_digit) {
        (num(&v[..4])?, num(&v[4..6])?, num(&v[6..])?)
    } else {
        let sep = *v.iter().find(|b| matches!(b, b'-' | b'/' | b'.'))?;
        let mut parts = v.split(|&b| b == sep);
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        if a.len() == 4 {
            (num(a)?, num(b)?, num(c)?)
        } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
            let (a, b, y) = (num(a)?, num(b)?, num(c)?);
            if valid_date(y, b, a) {
                (y, b, a)
            } else {
                (y, a, b)
            }
        } else {
            return None;
        }
    };
    if !(1900..=2100).contains(&y) || !valid_date(y, m, d) {
        return None;
    }
    let mut out = [b'0'; 8];
    for (i, (v, width)) in [(y, 4), (m, 2), (d, 2)].into_iter().enumerate() {
        let at = [0, 4, 6][i];
        let mut v = v;
        for k in (0..width).rev() {
            out[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    Some(out)
}

fn num(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 4 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(crate::detect::pi::validate::num(d))
}

/// Looks like a person's name: letters (any script), spaces, `-`, `'`,
/// `.`, `,`; 2–80 characters with at least two letters and at most six
/// words; no digits.
pub(crate) fn name_shaped(v: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(v.trim_ascii()) else {
        return false;
    };
    let chars = s.chars().count();
    (2..=80).contains(&chars)
        && !is_placeholder(v)
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | ','))
        && s.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && s.split_whitespace().count() <= 6
}

/// A decimal coordinate within ±`limit`, with at least two decimals (a
/// rounded `lat=48` is a region, not a person's position) and not 0.
fn coordinate(v: &[u8], limit: f64) -> bool {
    let v = v.trim_ascii();
    let body = v
        .strip_prefix(b"-")
        .or_else(|| v.strip_prefix(b"+"))
        .unwrap_or(v);
    let Some(dot) = body.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (int, frac) = (&body[..dot], &body[dot + 1..]);
    let digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    if !(1..=3).contains(&int.len()) || frac.len() < 2 || !digits(int) || !digits(frac) {
        return false;
    }
    let Some(x) = std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    else {
        return false;
    };
    x.abs() <= limit && x != 0.0
}

/// `lat,lng` (also `;` or space separated).
fn coordinate_pair(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    let Some(sep) = v.iter().position(|&b| matches!(b, b',' | b';' | b' ')) else {
        return false;
    };
    coordinate(&v[..sep], 90.0) && coordinate(&v[sep + 1..], 180.0)
}

/// An identity-document number: 5–24 characters of letters, digits and
/// `-./ `, at least 5 alphanumerics of which 3 digits.
fn id_shaped(v: &[u8], min_digits: usize) -> bool {
    let v = v.trim_ascii();
    let alnum = v.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    (5..=24).contains(&v.len())
        && v.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b' '))
        && alnum >= 5
        && digits >= min_digits
        && !is_placeholder(v)
        && !v.iter().all(|&b| b == v[0])
}

/// Applies the key's rule to a value in which no value-shape detector
/// found anything.
pub(crate) fn apply(text: &[u8], ctx: Ctx<'_>, em: &mut Emitter<'_>) {
    let v = text.trim_ascii();
    let key = ctx.key;
    match ctx.class {
        KeyClass::SecretToken if token_shaped(v) => em.emit(Category::Secret, key, v, Norm::Exact),
        KeyClass::Dob => {
            if let Some(ymd) = parse_date(v) {
                em.emit_canonical(Category::DateOfBirth, key, v, &ymd);
            }
        }
        KeyClass::PersonName if name_shaped(v) => {
            em.emit(Category::PersonName, key, v, Norm::Words)
        }
        KeyClass::Lat if coordinate(v, 90.0) => em.emit(Category::Geo, key, v, Norm::Exact),
        KeyClass::Lon if coordinate(v, 180.0) => em.emit(Category::Geo, key, v, Norm::Exact),
        KeyClass::LatLon if coordinate_pair(v) => em.emit(Category::Geo, key, v, Norm::Exact),
        KeyClass::NationalId if id_shaped(v, 3) => {
            em.emit(Category::NationalId, key, v, Norm::UpperAlnum)
        }
        KeyClass::Passport if id_shaped(v, 2) && v.len() <= 12 => {
            em.emit(Category::Passport, key, v, Norm::UpperAlnum)
        }
        _ => {}
    }
}

/// The value of an Art. 9 key (`religion=`, `diagnosis=`): any real value.
pub(crate) fn special_value(text: &[u8], ctx: Ctx<'_>, em: &mut Emitter<'_>) {
    let v = text.trim_ascii();
    // Under an Art. 9 key a yes/no answer is the data itself
    // (`union_member=true`, `hiv=false`), unlike under a password key where
    // `true` is a flag, not a credential.
    let answer = [&b"true"[..], b"false", b"yes", b"no"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w));
    if (answer || !is_placeholder(v)) && v.len() <= 200 {
        em.emit(Category::SpecialCategory, ctx.key, v, Norm::Lower);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |s: &str| parse_date(s.as_bytes()).map(|b| String::from_utf8(b.to_vec()).unwrap());
        assert_eq!(d("1985-03-14").as_deref(), Some("19850314"));
        assert_eq!(d("14/03/1985").as_deref(), Some("19850314"));
        assert_eq!(d("03/14/1985").as_deref(), Some("19850314"));
        assert_eq!(d("14.03.1985").as_deref(), Some("19850314"));
        assert_eq!(d("19850314").as_deref(), Some("19850314"));
        assert_eq!(d("1985-03-14T00:00:00Z").as_deref(), Some("19850314"));
        assert_eq!(d("1985-02-30"), None);
        assert_eq!(d("unknown"), None);
        assert_eq!(d("12345678"), None);
        assert_eq!(d("1.2.3"), None);
    }

    #[test]
    fn special_answers_are_data() {
        let s = crate::detect::pi::PiScanner::new(&crate::detect::pi::PiConfig::new(b"k".to_vec()));
        let mut scratch = s.new_scratch();
        for (q, n) in [
            ("union_member=true", 1),
            ("hiv=No", 1),
            ("religion=null", 0),
            ("religion=", 0),
        ] {
            let mut out = Vec::new();
            s.scan_value("url.query", q, &mut scratch, &mut out);
            assert_eq!(out.len(), n, "{q}: {out:?}");
        }
    }

    #[test]
    fn shapes() {
        assert!(token_shaped(b"abc123XYZ789"));
        assert!(!token_shaped(b"sso"));
        assert!(!token_shaped(b"truefalse"));
        assert!(!token_shaped(b"********"));
        assert!(name_shaped("Zoë O'Brien-Müller".as_bytes()));
        assert!(!name_shaped(b"R2D2"));
        assert!(!name_shaped(b"null"));
        assert!(coordinate(b"40.7128", 90.0));
        assert!(coordinate(b"-74.0060", 180.0));
        assert!(!coordinate(b"48", 90.0));
        assert!(!coordinate(b"91.0000", 90.0));
        assert!(!coordinate(b"0.00", 90.0));
        assert!(coordinate_pair(b"40.7128,-74.0060"));
        assert!(id_shaped(b"12345678Z", 3));
        assert!(!id_shaped(b"abc", 3));
        assert!(is_placeholder(b"{{password}}"));
        assert!(is_placeholder(b"***"));
        assert!(is_placeholder(b"REDACTED"));
        assert!(!is_placeholder(b"hunter2"));
    }
}
