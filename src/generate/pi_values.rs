//! Valid PI values, one generator per SPEC §4 category.
//!
//! "Valid" means valid by the rules the detectors must apply: Luhn with a
//! real issuer prefix, mod-97 with the country's length, Verhoeff, SSN
//! issuance rules, NINO prefix rules, PAN holder type. Values that are only
//! PI in context (bare digit runs, passwords, names) come with the keys that
//! give them that context, and are placed only after such a key.

use super::rng::Rand;
use super::text::{push_base64url, push_ipv4, push_ipv6_doc, push_padded, push_u64};
use super::valid;
use super::vocab;

/// PI categories (SPEC §4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Cat {
    Email,
    Phone,
    Card,
    Iban,
    Ssn,
    Aadhaar,
    Pan,
    Nino,
    Secret,
    Dob,
    Name,
    Geo,
    NationalId,
    Passport,
    Ip,
    Special,
}

impl Cat {
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Cat::Email => "email",
            Cat::Phone => "phone",
            Cat::Card => "credit_card",
            Cat::Iban => "iban",
            Cat::Ssn => "us_ssn",
            Cat::Aadhaar => "in_aadhaar",
            Cat::Pan => "in_pan",
            Cat::Nino => "uk_nino",
            Cat::Secret => "secret",
            Cat::Dob => "date_of_birth",
            Cat::Name => "person_name",
            Cat::Geo => "geo",
            Cat::NationalId => "national_id",
            Cat::Passport => "passport",
            Cat::Ip => "ip_address",
            Cat::Special => "special_category",
        }
    }

    /// Categories that are PI only next to a key naming them.
    pub(super) const fn keyed_only(self) -> bool {
        matches!(
            self,
            Cat::Dob | Cat::Name | Cat::Geo | Cat::NationalId | Cat::Passport | Cat::Special
        )
    }
}

/// A generated value and the query keys that would name it.
pub(super) struct PiValue {
    pub(super) text: String,
    pub(super) keys: &'static [&'static str],
}

fn string(v: Vec<u8>) -> String {
    String::from_utf8(v).expect("generated values are ASCII")
}

fn ascii(v: &[u8]) -> &str {
    std::str::from_utf8(v).expect("generated values are ASCII")
}

/// `digits` cut into groups of `sizes` joined by `sep` (`4111 1111 …`); the
/// sizes must add up to the length.
fn grouped(digits: &[u8], sizes: &[usize], sep: u8) -> String {
    let mut out = Vec::with_capacity(digits.len() + sizes.len());
    let mut at = 0;
    for (i, &n) in sizes.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.extend_from_slice(&digits[at..at + n]);
        at += n;
    }
    debug_assert_eq!(at, digits.len());
    string(out)
}

/// A value of `cat`. With `evident`, only forms that are PI without any key
/// (E.164 phones, dashed SSNs, shaped tokens); `cat` must not be
/// [`Cat::keyed_only`] then. Geo and special categories are built by the
/// placement code, which needs more than one value.
pub(super) fn value(rng: &mut Rand, cat: Cat, evident: bool) -> PiValue {
    let (text, keys): (String, &'static [&'static str]) = match cat {
        Cat::Email => (
            email(rng),
            &["email", "user_email", "contact_email", "emailAddress"],
        ),
        Cat::Phone => (
            phone(rng, evident),
            &["phone", "tel", "mobile", "msisdn", "phone_number"],
        ),
        Cat::Card => (card(rng), &["card_number", "cc_number", "card"]),
        Cat::Iban => (iban(rng), &["iban", "account_iban"]),
        Cat::Ssn => (ssn(rng, evident), &["ssn", "social_security_number"]),
        Cat::Aadhaar => (aadhaar(rng), &["aadhaar", "aadhaar_number"]),
        Cat::Pan => (pan(rng), &["pan", "pan_number"]),
        Cat::Nino => (nino(rng), &["nino", "ni_number"]),
        Cat::Secret => return secret(rng, evident),
        Cat::Dob => (
            dob(rng),
            &["dob", "birthdate", "date_of_birth", "birth_date"],
        ),
        Cat::Name => return name(rng),
        Cat::NationalId => (dni(rng), &["national_id", "dni", "nid"]),
        Cat::Passport => (
            passport(rng),
            &["passport", "passport_no", "passport_number"],
        ),
        Cat::Ip => (ip(rng), &["ip", "client_ip", "ip_address", "remote_addr"]),
        Cat::Geo | Cat::Special => unreachable!("built by the placement code"),
    };
    PiValue { text, keys }
}

fn email(rng: &mut Rand) -> String {
    let first = *rng.pick(vocab::FIRST_NAMES);
    let last = *rng.pick(vocab::LAST_NAMES);
    let domain = *rng.pick(vocab::EMAIL_DOMAINS);
    match rng.below(6) {
        0 | 1 => format!("{first}.{last}@{domain}"),
        2 => format!("{first}{last}@{domain}"),
        3 => format!("{}.{last}@{domain}", first.chars().next().unwrap_or('x')),
        4 => format!("{first}_{last}{}@{domain}", rng.range(1, 99)),
        _ => format!(
            "{first}+{}@{domain}",
            rng.pick(&["news", "shop", "work", "test"])
        ),
    }
}

/// A phone number of one of nine countries, in E.164 or national format.
fn phone(rng: &mut Rand, evident: bool) -> String {
    // (country code, trunk prefix, national significant number, grouping)
    let mut nsn = Vec::with_capacity(12);
    let (cc, trunk, groups): (&str, &str, &[usize]) = match rng.below(10) {
        0 | 1 => {
            nsn.extend_from_slice(
                rng.pick(&[
                    "212", "415", "312", "646", "202", "617", "305", "713", "206", "512",
                ])
                .as_bytes(),
            );
            nsn.push(b'2' + rng.below(8) as u8);
            rng.digits(&mut nsn, 6);
            ("1", "", &[3, 3, 4])
        }
        2 => {
            if rng.chance(0.7) {
                nsn.extend_from_slice(b"7");
                nsn.push(b'1' + rng.below(9) as u8);
                rng.digits(&mut nsn, 8);
                ("44", "0", &[4, 6])
            } else {
                nsn.extend_from_slice(b"207");
                rng.digits(&mut nsn, 7);
                ("44", "0", &[2, 4, 4])
            }
        }
        3 => {
            nsn.push(b'6' + rng.below(4) as u8);
            rng.digits(&mut nsn, 9);
            ("91", "0", &[5, 5])
        }
        4 => {
            if rng.chance(0.6) {
                nsn.extend_from_slice(rng.pick(&["151", "160", "170", "176"]).as_bytes());
                rng.digits(&mut nsn, 8);
                ("49", "0", &[3, 8])
            } else {
                nsn.extend_from_slice(b"30");
                rng.digits(&mut nsn, 8);
                ("49", "0", &[2, 8])
            }
        }
        5 => {
            nsn.push(*rng.pick(b"1234567"));
            rng.digits(&mut nsn, 8);
            ("33", "0", &[1, 2, 2, 2, 2])
        }
        6 => {
            nsn.push(*rng.pick(b"679"));
            rng.digits(&mut nsn, 8);
            ("34", "", &[3, 3, 3])
        }
        7 => {
            nsn.push(b'3');
            rng.digits(&mut nsn, 9);
            ("39", "", &[3, 3, 4])
        }
        8 => {
            nsn.push(b'6');
            rng.digits(&mut nsn, 8);
            ("31", "0", &[1, 8])
        }
        _ => {
            nsn.extend_from_slice(rng.pick(&["90", "80", "70"]).as_bytes());
            rng.digits(&mut nsn, 8);
            ("81", "0", &[2, 4, 4])
        }
    };
    let nsn_s = ascii(&nsn);
    let form = if evident { rng.below(3) } else { rng.below(7) };
    match form {
        0 => format!("+{cc}{nsn_s}"),
        1 => format!("+{cc} {}", grouped(&nsn, groups, b' ')),
        2 => format!("+{cc} {}", grouped(&nsn, groups, b'-')),
        3 if cc == "1" => format!(
            "({}) {}-{}",
            ascii(&nsn[..3]),
            ascii(&nsn[3..6]),
            ascii(&nsn[6..])
        ),
        3 | 4 => format!("{trunk}{}", grouped(&nsn, groups, b' ')),
        5 => format!("{trunk}{}", grouped(&nsn, groups, b'-')),
        _ => format!("{trunk}{nsn_s}"),
    }
}

/// A Luhn-valid card number with a real issuer prefix and length, plain or
/// grouped.
fn card(rng: &mut Rand) -> String {
    let mut d = Vec::with_capacity(20);
    let len = match rng.below(20) {
        0..=6 => {
            d.push(b'4');
            *rng.pick(&[16, 16, 16, 16, 13, 19])
        }
        7..=10 => {
            push_u64(&mut d, rng.range(51, 55));
            16
        }
        11 => {
            push_u64(&mut d, rng.range(2221, 2720));
            16
        }
        12..=14 => {
            d.extend_from_slice(rng.pick(&["34", "37"]).as_bytes());
            15
        }
        15 => {
            d.extend_from_slice(b"6011");
            16
        }
        16 => {
            push_u64(&mut d, rng.range(644, 649));
            16
        }
        17 => {
            push_u64(&mut d, rng.range(3528, 3589));
            16
        }
        18 => {
            d.extend_from_slice(b"36");
            14
        }
        _ => {
            d.extend_from_slice(b"62");
            *rng.pick(&[16, 17, 18, 19])
        }
    };
    let n = len - 1 - d.len();
    rng.digits(&mut d, n);
    let check = valid::luhn_check_digit(&d);
    d.push(check);
    debug_assert!(valid::luhn_valid(&d));
    let groups: &[usize] = match len {
        16 => &[4, 4, 4, 4],
        15 => &[4, 6, 5],
        14 => &[4, 6, 4],
        _ => &[],
    };
    let sep = match rng.below(10) {
        0..=4 => return string(d),
        5..=7 => b' ',
        _ => b'-',
    };
    if groups.is_empty() {
        return string(d);
    }
    grouped(&d, groups, sep)
}

/// BBAN shapes: `n` digit, `a` letter; optional real-looking bank codes.
const IBAN_SHAPES: &[(&[u8; 2], &str, &[&str])] = &[
    (b"DE", "nnnnnnnnnnnnnnnnnn", &[]),
    (
        b"GB",
        "nnnnnnnnnnnnnn",
        &["NWBK", "BARC", "LOYD", "HBUK", "MIDL"],
    ),
    (b"FR", "nnnnnnnnnnnnnnnnnnnnnnn", &[]),
    (b"ES", "nnnnnnnnnnnnnnnnnnnn", &[]),
    (b"IT", "annnnnnnnnnnnnnnnnnnnnn", &[]),
    (b"NL", "nnnnnnnnnn", &["ABNA", "INGB", "RABO", "TRIO"]),
    (b"BE", "nnnnnnnnnnnn", &[]),
    (b"AT", "nnnnnnnnnnnnnnnn", &[]),
    (b"CH", "nnnnnnnnnnnnnnnnn", &[]),
    (b"PL", "nnnnnnnnnnnnnnnnnnnnnnnn", &[]),
    (b"IE", "nnnnnnnnnnnnnn", &["AIBK", "BOFI"]),
    (b"SE", "nnnnnnnnnnnnnnnnnnnn", &[]),
    (b"PT", "nnnnnnnnnnnnnnnnnnnnn", &[]),
    (b"BR", "nnnnnnnnnnnnnnnnnnnnnnnan", &[]),
];

/// An IBAN with the right length and mod-97 check digits, compact or in
/// groups of four. With `broken`, the check digits are wrong (a decoy).
pub(super) fn iban_with(rng: &mut Rand, broken: bool) -> String {
    let &(cc, shape, banks) = rng.pick(IBAN_SHAPES);
    let mut bban = Vec::with_capacity(32);
    if !banks.is_empty() {
        bban.extend_from_slice(rng.pick(banks).as_bytes());
    }
    for c in shape.bytes() {
        if c == b'a' {
            bban.push(b'A' + rng.below(26) as u8);
        } else {
            bban.push(b'0' + rng.below(10) as u8);
        }
    }
    let mut check = valid::iban_check_digits(cc, &bban);
    if broken {
        check = (check + 1 + rng.range(0, 90) as u32) % 97 + 2;
        if check == valid::iban_check_digits(cc, &bban) {
            check = if check > 50 { check - 1 } else { check + 1 };
        }
    }
    let mut full = cc.to_vec();
    push_padded(&mut full, u64::from(check), 2);
    full.extend_from_slice(&bban);
    debug_assert_eq!(valid::iban_valid(&full), !broken);
    if rng.chance(0.4) {
        let mut sizes = vec![4; full.len() / 4];
        if full.len() % 4 != 0 {
            sizes.push(full.len() % 4);
        }
        return grouped(&full, &sizes, b' ');
    }
    string(full)
}

fn iban(rng: &mut Rand) -> String {
    iban_with(rng, false)
}

/// `AAA-GG-SSSS` under the issuance rules; bare nine digits only when a key
/// will name it.
fn ssn(rng: &mut Rand, evident: bool) -> String {
    let mut area = rng.range(1, 899);
    if area == 666 {
        area = 667;
    }
    let (group, serial) = (rng.range(1, 99), rng.range(1, 9999));
    debug_assert!(valid::ssn_valid(area as u32, group as u32, serial as u32));
    if !evident && rng.chance(0.3) {
        format!("{area:03}{group:02}{serial:04}")
    } else {
        format!("{area:03}-{group:02}-{serial:04}")
    }
}

/// Twelve digits, first 2–9, Verhoeff check digit last; plain or `4-4-4`.
pub(super) fn aadhaar_digits(rng: &mut Rand) -> Vec<u8> {
    let mut d = vec![b'2' + rng.below(8) as u8];
    rng.digits(&mut d, 10);
    let check = valid::verhoeff_check_digit(&d);
    d.push(check);
    d
}

fn aadhaar(rng: &mut Rand) -> String {
    let d = aadhaar_digits(rng);
    debug_assert!(valid::verhoeff_valid(&d));
    group_4_4_4(rng, d)
}

pub(super) fn group_4_4_4(rng: &mut Rand, d: Vec<u8>) -> String {
    match rng.below(10) {
        0..=4 => string(d),
        5..=7 => grouped(&d, &[4, 4, 4], b' '),
        _ => grouped(&d, &[4, 4, 4], b'-'),
    }
}

fn pan(rng: &mut Rand) -> String {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut p = Vec::with_capacity(10);
    rng.chars(&mut p, UPPER, 3);
    p.push(*rng.pick(valid::PAN_HOLDER_TYPES));
    rng.chars(&mut p, UPPER, 1);
    rng.digits(&mut p, 4);
    rng.chars(&mut p, UPPER, 1);
    debug_assert!(valid::pan_valid(&p));
    string(p)
}

fn nino(rng: &mut Rand) -> String {
    let (a, b) = loop {
        let (a, b) = (b'A' + rng.below(26) as u8, b'A' + rng.below(26) as u8);
        if valid::nino_prefix_valid(a, b) {
            break (a, b);
        }
    };
    let mut digits = Vec::with_capacity(6);
    rng.digits(&mut digits, 6);
    let suffix = b'A' + rng.below(4) as u8;
    if rng.chance(0.6) {
        string([&[a, b][..], &digits, &[suffix]].concat())
    } else {
        string(
            [
                &[a, b, b' '][..],
                &digits[..2],
                b" ",
                &digits[2..4],
                b" ",
                &digits[4..],
                &[b' ', suffix],
            ]
            .concat(),
        )
    }
}

/// Credentials. `evident` forms are recognisable by shape alone (JWT, AWS
/// access key id, GitHub token); passwords and hex API keys only by key.
fn secret(rng: &mut Rand, evident: bool) -> PiValue {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let kind = if evident { rng.below(3) } else { rng.below(6) };
    let mut v = Vec::with_capacity(200);
    let keys: &'static [&'static str] = match kind {
        0 => {
            v.extend_from_slice(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
            let iat = 1_772_400_000 + rng.range(0, 2_000_000);
            let payload = format!(
                r#"{{"sub":"u_{}","iat":{iat},"exp":{},"scope":"read write"}}"#,
                rng.range(1000, 999_999),
                iat + 3600
            );
            push_base64url(&mut v, payload.as_bytes());
            v.push(b'.');
            let sig: Vec<u8> = (0..32).map(|_| rng.below(256) as u8).collect();
            push_base64url(&mut v, &sig);
            &["token", "access_token", "id_token", "jwt", "auth"]
        }
        1 => {
            v.extend_from_slice(if rng.chance(0.8) { b"AKIA" } else { b"ASIA" });
            rng.chars(&mut v, B32, 16);
            &["aws_access_key_id", "access_key", "api_key"]
        }
        2 => {
            v.extend_from_slice(b"ghp_");
            rng.chars(&mut v, ALNUM, 36);
            &["token", "github_token"]
        }
        3 | 4 => {
            if rng.chance(0.5) {
                let word = *rng.pick(&[
                    "Summer", "Winter", "Dragon", "Sunshine", "Welcome", "Qwerty", "Monkey",
                ]);
                v.extend_from_slice(word.as_bytes());
                push_u64(&mut v, rng.range(1, 2026));
                v.push(*rng.pick(b"!#$%&*@?"));
            } else {
                let n = rng.range(10, 16) as usize;
                rng.chars(&mut v, ALNUM, n);
            }
            &["password", "passwd", "pwd"]
        }
        _ => {
            rng.hex(&mut v, 32);
            &["api_key", "apikey", "secret"]
        }
    };
    PiValue {
        text: string(v),
        keys,
    }
}

fn dob(rng: &mut Rand) -> String {
    let (y, m, d) = (rng.range(1940, 2006), rng.range(1, 12), rng.range(1, 28));
    match rng.below(5) {
        0 | 1 => format!("{y}-{m:02}-{d:02}"),
        2 => format!("{d:02}/{m:02}/{y}"),
        3 => format!("{m:02}/{d:02}/{y}"),
        _ => format!("{d:02}.{m:02}.{y}"),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn name(rng: &mut Rand) -> PiValue {
    let first = capitalized(rng.word(vocab::FIRST_NAMES));
    let last = capitalized(rng.word(vocab::LAST_NAMES));
    match rng.below(5) {
        0 | 1 => PiValue {
            text: first,
            keys: &["first_name", "firstname", "given_name"],
        },
        2 | 3 => PiValue {
            text: last,
            keys: &["last_name", "lastname", "surname", "family_name"],
        },
        _ => PiValue {
            text: format!("{first} {last}"),
            keys: &["full_name", "fullname"],
        },
    }
}

/// A Spanish DNI: eight digits and their mod-23 letter.
fn dni(rng: &mut Rand) -> String {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let n = rng.range(10_000_000, 99_999_999);
    format!("{n}{}", LETTERS[(n % 23) as usize] as char)
}

fn passport(rng: &mut Rand) -> String {
    let mut p = vec![b'A' + rng.below(26) as u8];
    rng.digits(&mut p, 8);
    string(p)
}

/// An address from the documentation ranges: valid octets, not a version.
fn ip(rng: &mut Rand) -> String {
    let mut v = Vec::with_capacity(40);
    if rng.chance(0.8) {
        let prefix = *rng.pick(&[[192u8, 0, 2], [198, 51, 100], [203, 0, 113]]);
        push_ipv4(
            &mut v,
            [prefix[0], prefix[1], prefix[2], rng.range(1, 254) as u8],
        );
    } else {
        push_ipv6_doc(
            &mut v,
            rng.range(1, 0xfffe) as u16,
            rng.range(1, 0xffff) as u16,
            rng.range(1, 0xffff) as u16,
        );
    }
    string(v)
}

/// Cities for `lat`/`lng` pairs: real coordinates, jittered by up to ~5 km.
const CITIES: &[(f64, f64)] = &[
    (51.5074, -0.1278),
    (48.8566, 2.3522),
    (52.5200, 13.4050),
    (40.7128, -74.0060),
    (19.0760, 72.8777),
    (35.6762, 139.6503),
    (-33.8688, 151.2093),
    (-23.5505, -46.6333),
    (41.9028, 12.4964),
    (40.4168, -3.7038),
];

/// A `(latitude, longitude)` pair as text with five or six decimals.
pub(super) fn lat_lng(rng: &mut Rand) -> (String, String) {
    let &(lat, lng) = rng.pick(CITIES);
    let jitter = |rng: &mut Rand| (rng.unit() - 0.5) * 0.09;
    let places = if rng.chance(0.5) { 5 } else { 6 };
    (
        format!("{:.*}", places, lat + jitter(rng)),
        format!("{:.*}", places, lng + jitter(rng)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().filter(u8::is_ascii_digit).collect()
    }

    #[test]
    fn generated_values_validate() {
        let mut rng = Rand::new(1);
        for _ in 0..2_000 {
            let c = card(&mut rng);
            let d = digits(&c);
            assert!(valid::luhn_valid(&d) && (13..=19).contains(&d.len()), "{c}");
            let i = iban(&mut rng);
            assert!(valid::iban_valid(i.as_bytes()), "{i}");
            assert!(!valid::iban_valid(iban_with(&mut rng, true).as_bytes()));
            let a = digits(&aadhaar(&mut rng));
            assert!(a.len() == 12 && a[0] >= b'2' && valid::verhoeff_valid(&a));
            assert!(valid::pan_valid(pan(&mut rng).as_bytes()));
            let n = nino(&mut rng);
            assert!(
                valid::nino_prefix_valid(n.as_bytes()[0], n.as_bytes()[1]),
                "{n}"
            );
            let s = ssn(&mut rng, true);
            let parts: Vec<u32> = s.split('-').map(|p| p.parse().unwrap()).collect();
            assert!(valid::ssn_valid(parts[0], parts[1], parts[2]), "{s}");
            let p = phone(&mut rng, true);
            assert!(p.starts_with('+'), "{p}");
            let e = email(&mut rng);
            assert!(e.contains('@') && e.rsplit('.').next().unwrap().len() >= 2);
        }
    }

    #[test]
    fn evident_secrets_have_token_shapes() {
        let mut rng = Rand::new(2);
        for _ in 0..200 {
            let s = secret(&mut rng, true).text;
            assert!(
                s.starts_with("eyJ") && s.matches('.').count() == 2
                    || (s.starts_with("AKIA") || s.starts_with("ASIA")) && s.len() == 20
                    || s.starts_with("ghp_") && s.len() == 40,
                "{s}"
            );
        }
    }
}
