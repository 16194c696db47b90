//! Check digits and validity rules for the PI the generator plants.
//!
//! Planted PI must pass the same validation the detectors apply (SPEC §4),
//! or a detector that rightly rejects it would be scored as missing it. These
//! are small, independent re-implementations, kept private to `generate`: the
//! detectors have their own, and a shared bug would hide itself.

/// The Luhn sum of ASCII digits, doubling every second digit from the
/// right starting at position `first_doubled` (0 = the last digit).
fn luhn_sum(digits: &[u8], first_doubled: usize) -> u32 {
    let mut sum = 0;
    for (i, &c) in digits.iter().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == first_doubled {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum
}

/// True if the ASCII digits pass the Luhn (mod 10) check.
pub(super) fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits, 1) % 10 == 0
}

/// The ASCII Luhn check digit to append to `payload` (ASCII digits). The
/// check digit will take position 0, so the payload's last digit is the
/// first to be doubled.
pub(super) fn luhn_check_digit(payload: &[u8]) -> u8 {
    b'0' + ((10 - luhn_sum(payload, 0) % 10) % 10) as u8
}

/// ISO 13616 IBAN lengths of the countries the generator plants, plus the
/// rest of SEPA so [`iban_valid`] can judge any of them.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BR", 29),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GI", 23),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"VA", 22),
];

/// The remainder mod 97 of the number made by reading letters as 10..=35.
fn mod97(chars: impl Iterator<Item = u8>) -> u32 {
    let mut r = 0u32;
    for c in chars {
        r = if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c.to_ascii_uppercase() - b'A') + 10) % 97
        };
    }
    r
}

/// The two IBAN check digits (2..=98) for a country code and BBAN.
pub(super) fn iban_check_digits(country: &[u8; 2], bban: &[u8]) -> u32 {
    98 - mod97(bban.iter().chain(country).chain(b"00").copied())
}

/// True if `iban` (spaces allowed) has its country's length and passes
/// mod-97.
pub(super) fn iban_valid(iban: &[u8]) -> bool {
    let c: Vec<u8> = iban.iter().copied().filter(|&b| b != b' ').collect();
    if c.len() < 5 || !c.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(cc, _)| cc[..] == c[..2]) else {
        return false;
    };
    c.len() == len && mod97(c[4..].iter().chain(&c[..4]).copied()) == 1
}

/// Verhoeff's dihedral-group multiplication table.
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
/// Verhoeff's position permutations.
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

fn verhoeff_fold(digits: &[u8], offset: usize) -> u8 {
    let mut c = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[usize::from(c)]
            [usize::from(VERHOEFF_P[(i + offset) % 8][usize::from(d - b'0')])];
    }
    c
}

/// The ASCII Verhoeff check digit to append to `payload` (ASCII digits).
pub(super) fn verhoeff_check_digit(payload: &[u8]) -> u8 {
    b'0' + VERHOEFF_INV[usize::from(verhoeff_fold(payload, 1))]
}

/// True if the ASCII digits (check digit last) pass Verhoeff.
pub(super) fn verhoeff_valid(digits: &[u8]) -> bool {
    verhoeff_fold(digits, 0) == 0
}

/// US SSN issuance rules: area not 000, 666 or 900–999; group not 00;
/// serial not 0000.
pub(super) fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    (1..=899).contains(&area)
        && area != 666
        && (1..=99).contains(&group)
        && (1..=9999).contains(&serial)
}

/// UK National Insurance number prefix rules: neither letter D, F, I, Q, U
/// or V; the second not O; and not one of the never-issued pairs.
pub(super) fn nino_prefix_valid(a: u8, b: u8) -> bool {
    const NEVER: [&[u8; 2]; 7] = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !b"DFIQUV".contains(&a)
        && !b"DFIOQUV".contains(&b)
        && !NEVER.contains(&&[a, b])
}

/// Indian PAN holder-type letters (the 4th character).
pub(super) const PAN_HOLDER_TYPES: &[u8] = b"ABCFGHLJPT";

/// True for `AAAAA9999A` with a valid holder-type letter.
pub(super) fn pan_valid(pan: &[u8]) -> bool {
    pan.len() == 10
        && pan[..5].iter().all(u8::is_ascii_uppercase)
        && PAN_HOLDER_TYPES.contains(&pan[3])
        && pan[5..9].iter().all(u8::is_ascii_digit)
        && pan[9].is_ascii_uppercase()
}

/// The ASCII ISBN-13 check digit for 12 ASCII digits.
pub(super) fn isbn13_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .enumerate()
        .map(|(i, &c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_vectors() {
        for ok in [
            "79927398713",
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
        ] {
            assert!(luhn_valid(ok.as_bytes()), "{ok}");
            let (payload, check) = ok.as_bytes().split_at(ok.len() - 1);
            assert_eq!(luhn_check_digit(payload), check[0], "{ok}");
        }
        for bad in ["79927398710", "4111111111111112", "1234567812345678"] {
            assert!(!luhn_valid(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn iban_known_vectors() {
        // Examples published by the ECBS / national banks.
        for ok in [
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "CH9300762011623852957",
            "AT611904300234573201",
            "PL61109010140000071219812874",
            "BR1800360305000010009795493C1",
            "GB82 WEST 1234 5698 7654 32",
        ] {
            assert!(iban_valid(ok.as_bytes()), "{ok}");
            let c: Vec<u8> = ok.bytes().filter(|&b| b != b' ').collect();
            let check = (c[2] - b'0') as u32 * 10 + (c[3] - b'0') as u32;
            assert_eq!(iban_check_digits(&[c[0], c[1]], &c[4..]), check, "{ok}");
        }
        for bad in [
            "GB82WEST12345698765431",
            "GB82WEST1234569876543",
            "XX82WEST12345698765432",
            "DE00370400440532013000",
        ] {
            assert!(!iban_valid(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn verhoeff_known_vectors() {
        // The classic published examples: 236 → 3, 12345 → 1, 123456789012 → 0.
        for (payload, check) in [("236", b'3'), ("12345", b'1'), ("123456789012", b'0')] {
            assert_eq!(verhoeff_check_digit(payload.as_bytes()), check, "{payload}");
            let mut full = payload.as_bytes().to_vec();
            full.push(check);
            assert!(verhoeff_valid(&full));
            *full.last_mut().unwrap() = if check == b'9' { b'0' } else { check + 1 };
            assert!(!verhoeff_valid(&full));
        }
        // A single transposition is always caught.
        assert!(!verhoeff_valid(b"2633"));
    }

    #[test]
    fn id_rules() {
        assert!(ssn_valid(123, 45, 6789));
        assert!(!ssn_valid(0, 45, 6789) && !ssn_valid(666, 45, 6789) && !ssn_valid(900, 45, 6789));
        assert!(!ssn_valid(123, 0, 6789) && !ssn_valid(123, 45, 0));
        assert!(nino_prefix_valid(b'A', b'B') && nino_prefix_valid(b'J', b'C'));
        for bad in [b"DA", b"AO", b"GB", b"NK", b"ZZ", b"QA"] {
            assert!(!nino_prefix_valid(bad[0], bad[1]), "{bad:?}");
        }
        assert!(pan_valid(b"ABCPE1234F"));
        assert!(!pan_valid(b"ABCDE1234F") && !pan_valid(b"ABCP1234F") && !pan_valid(b"ABCPE12345"));
        assert_eq!(isbn13_check_digit(b"978316148410"), b'0');
        assert_eq!(isbn13_check_digit(b"978030640615"), b'7');
    }

    /// Optional cross-check against python-stdnum's IBAN cases when the
    /// shared test material is present (it is LGPL: read, never copied).
    #[test]
    fn iban_against_stdnum_when_available() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/arthurdejong-python-stdnum/iban_cases_extracted.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let groups: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for group in groups.as_array().unwrap() {
            let expect = group["label"] == "valid";
            let description = group["description"].as_str().unwrap_or("");
            // Length and mod-97 are all SPEC §4 asks for: skip the groups
            // that need per-country BBAN format or national check digits.
            if !expect && !description.contains("checksum") && !description.contains("wrong length")
            {
                continue;
            }
            for n in group["numbers"].as_array().unwrap() {
                let norm: Vec<u8> = n
                    .as_str()
                    .unwrap()
                    .bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| b.to_ascii_uppercase())
                    .collect();
                // Only countries in our table are in scope.
                if !IBAN_LENGTHS.iter().any(|(cc, _)| cc[..] == norm[..2]) {
                    continue;
                }
                assert_eq!(iban_valid(&norm), expect, "{n}");
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} cases in scope");
    }
}
