//! Checksums and structural rules that turn a candidate into a finding:
//! Luhn, ISO 7064 mod 97-10, Verhoeff, the IBAN registry table, card issuer
//! prefixes, SSN, NINO and PAN rules, and calendar dates. All take ASCII
//! bytes that the detectors already extracted, so none of them allocates.

/// Luhn (mod 10) over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum % 10 == 0
}

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

/// Verhoeff (dihedral group D5) over ASCII digits, check digit last.
pub(crate) fn verhoeff(digits: &[u8]) -> bool {
    let mut c = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[c as usize][VERHOEFF_P[i % 8][(d - b'0') as usize] as usize];
    }
    !digits.is_empty() && c == 0
}

/// ISO 7064 mod 97-10 of an IBAN (uppercase alphanumerics, check digits in
/// place): the rearranged number must leave remainder 1.
pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let mut r: u32 = 0;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        r = match c {
            b'0'..=b'9' => (r * 10 + (c - b'0') as u32) % 97,
            b'A'..=b'Z' => (r * 100 + (c - b'A' + 10) as u32) % 97,
            _ => return false,
        };
    }
    r == 1
}

/// BBAN structure of a country in the SWIFT IBAN registry, in the
/// registry's notation without `!`: `n` digits, `a` uppercase letters, `c`
/// alphanumerics. The IBAN length is 4 + the BBAN length. SEPA countries and
/// BR are required by SPEC §4; the other registry countries cost nothing.
pub(crate) fn iban_bban_format(cc: [u8; 2]) -> Option<&'static str> {
    Some(match &cc {
        b"AD" => "8n12c",
        b"AE" => "19n",
        b"AL" => "8n16c",
        b"AT" => "16n",
        b"AZ" => "4a20c",
        b"BA" => "16n",
        b"BE" => "12n",
        b"BG" => "4a6n8c",
        b"BH" => "4a14c",
        b"BI" => "23n",
        b"BR" => "23n1a1c",
        b"BY" => "4c4n16c",
        b"CH" => "5n12c",
        b"CR" => "18n",
        b"CY" => "8n16c",
        b"CZ" => "20n",
        b"DE" => "18n",
        b"DJ" => "23n",
        b"DK" => "14n",
        b"DO" => "4c20n",
        b"EE" => "16n",
        b"EG" => "25n",
        b"ES" => "20n",
        b"FI" => "14n",
        b"FK" => "2a12n",
        b"FO" => "14n",
        b"FR" => "10n11c2n",
        b"GB" => "4a14n",
        b"GE" => "2a16n",
        b"GI" => "4a15c",
        b"GL" => "14n",
        b"GR" => "7n16c",
        b"GT" => "24c",
        b"HN" => "4a20n",
        b"HR" => "17n",
        b"HU" => "24n",
        b"IE" => "4a14n",
        b"IL" => "19n",
        b"IQ" => "4a15n",
        b"IS" => "22n",
        b"IT" => "1a10n12c",
        b"JO" => "4a4n18c",
        b"KW" => "4a22c",
        b"KZ" => "3n13c",
        b"LB" => "4n20c",
        b"LC" => "4a24c",
        b"LI" => "5n12c",
        b"LT" => "16n",
        b"LU" => "3n13c",
        b"LV" => "4a13c",
        b"LY" => "21n",
        b"MC" => "10n11c2n",
        b"MD" => "20c",
        b"ME" => "18n",
        b"MK" => "3n10c2n",
        b"MN" => "16n",
        b"MR" => "23n",
        b"MT" => "4a5n18c",
        b"MU" => "4a19n3a",
        b"NI" => "4a20n",
        b"NL" => "4a10n",
        b"NO" => "11n",
        b"OM" => "3n16c",
        b"PK" => "4a16c",
        b"PL" => "24n",
        b"PS" => "4a21c",
        b"PT" => "21n",
        b"QA" => "4a21c",
        b"RO" => "4a16c",
        b"RS" => "18n",
        b"RU" => "14n15c",
        b"SA" => "2n18c",
        b"SC" => "4a20n3a",
        b"SD" => "14n",
        b"SE" => "20n",
        b"SI" => "15n",
        b"SK" => "20n",
        b"SM" => "1a10n12c",
        b"SO" => "19n",
        b"ST" => "21n",
        b"SV" => "4a20n",
        b"TL" => "19n",
        b"TN" => "20n",
        b"TR" => "5n17c",
        b"UA" => "6n19c",
        b"VA" => "18n",
        b"VG" => "4a16n",
        b"XK" => "16n",
        b"YE" => "4a4n18c",
        _ => return None,
    })
}

/// Total length of a BBAN format such as `4a6n8c`.
pub(crate) fn bban_len(fmt: &str) -> usize {
    let mut total = 0;
    let mut n = 0;
    for b in fmt.bytes() {
        if b.is_ascii_digit() {
            n = n * 10 + (b - b'0') as usize;
        } else {
            total += n;
            n = 0;
        }
    }
    total
}

/// Whether an uppercase BBAN matches its registry format.
pub(crate) fn bban_matches(fmt: &str, bban: &[u8]) -> bool {
    let mut pos = 0;
    let mut n = 0;
    for f in fmt.bytes() {
        if f.is_ascii_digit() {
            n = n * 10 + (f - b'0') as usize;
            continue;
        }
        let Some(part) = bban.get(pos..pos + n) else {
            return false;
        };
        let ok = match f {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part
                .iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        };
        if !ok {
            return false;
        }
        pos += n;
        n = 0;
    }
    pos == bban.len()
}

/// Whether an uppercase, separator-free IBAN is valid: known country,
/// registry length and structure, mod-97.
pub(crate) fn iban_valid(iban: &[u8]) -> bool {
    if iban.len() < 5 || !iban[2].is_ascii_digit() || !iban[3].is_ascii_digit() {
        return false;
    }
    let Some(fmt) = iban_bban_format([iban[0], iban[1]]) else {
        return false;
    };
    iban.len() == 4 + bban_len(fmt) && bban_matches(fmt, &iban[4..]) && iban_mod97(iban)
}

fn prefix_num(digits: &[u8], n: usize) -> u32 {
    digits[..n]
        .iter()
        .fold(0, |acc, &d| acc * 10 + (d - b'0') as u32)
}

/// Whether the issuer prefix (IIN) and length belong to a card network
/// that picket knows: Visa, Mastercard (incl. the 2-series), Amex,
/// Discover, JCB, Diners, UnionPay, Maestro, and UATP (airline cards, prefix
/// 1, 15 digits — Presidio counts them).
pub(crate) fn card_issuer_ok(d: &[u8]) -> bool {
    let len = d.len();
    if !(13..=19).contains(&len) {
        return false;
    }
    let p1 = prefix_num(d, 1);
    let p2 = prefix_num(d, 2);
    let p3 = prefix_num(d, 3);
    let p4 = prefix_num(d, 4);
    match p1 {
        // UATP.
        1 => len == 15,
        // Mastercard 2-series 2221–2720.
        2 => (2221..=2720).contains(&p4) && len == 16,
        // Amex 34/37; JCB 3528–3589; Diners 300–305, 3095, 36, 38, 39.
        3 => {
            ((p2 == 34 || p2 == 37) && len == 15)
                || ((3528..=3589).contains(&p4) && len >= 16)
                || (((300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
                    && len >= 14)
        }
        // Visa.
        4 => matches!(len, 13 | 16 | 19),
        // Mastercard 51–55; Maestro 50, 56–58.
        5 => ((51..=55).contains(&p2) && len == 16) || p2 == 50 || (56..=58).contains(&p2),
        // Discover 6011, 644–649, 65; UnionPay 62; RuPay and Maestro 60,
        // 63, 67. 61, 640–643, 66, 68 and 69 are not card ranges.
        6 => p4 == 6011 || (644..=649).contains(&p3) || matches!(p2, 60 | 62 | 63 | 65 | 67),
        _ => false,
    }
}

/// Whether all bytes are the same (`0000…`, `1111…`): placeholders, never
/// real numbers.
pub(crate) fn all_same(d: &[u8]) -> bool {
    d.windows(2).all(|w| w[0] == w[1])
}

/// SSN rules (SPEC §4): area ≠ 000/666/9xx, group ≠ 00, serial ≠ 0000; also
/// the two numbers that were published in advertising (078-05-1120 on
/// Woolworth wallets, 219-09-9999 in a Social Security pamphlet) and
/// repeated-digit placeholders.
pub(crate) fn ssn_valid(d: &[u8]) -> bool {
    if d.len() != 9 || all_same(d) {
        return false;
    }
    let area = prefix_num(d, 3);
    let group = prefix_num(&d[3..], 2);
    let serial = prefix_num(&d[5..], 4);
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && d != b"078051120"
        && d != b"219099999"
}

/// Aadhaar: 12 digits, first digit 2–9, Verhoeff check digit.
pub(crate) fn aadhaar_valid(d: &[u8]) -> bool {
    d.len() == 12 && (b'2'..=b'9').contains(&d[0]) && !all_same(d) && verhoeff(d)
}

/// UK NINO prefix rules: first letter not D, F, I, Q, U, V; second not D,
/// F, I, O, Q, U, V; not BG, GB, KN, NK, NT, TN, ZZ (uppercase letters).
pub(crate) fn nino_prefix_ok(a: u8, b: u8) -> bool {
    !matches!(a, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V')
        && !matches!(b, b'D' | b'F' | b'I' | b'O' | b'Q' | b'U' | b'V')
        && !matches!(
            &[a, b],
            b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
        )
}

/// Indian PAN: `AAAAA9999A`, the fourth letter the holder type (Company,
/// Person, HUF, Firm, AOP, Trust, BOI, Local authority, Artificial juridical
/// person, Government).
pub(crate) fn pan_valid(w: &[u8]) -> bool {
    w.len() == 10
        && w[..5].iter().all(u8::is_ascii_uppercase)
        && w[5..9].iter().all(u8::is_ascii_digit)
        && w[9].is_ascii_uppercase()
        && matches!(
            w[3],
            b'A' | b'B' | b'C' | b'F' | b'G' | b'H' | b'L' | b'J' | b'P' | b'T'
        )
}

/// Whether `y-m-d` is a calendar date.
pub(crate) fn valid_date(y: u32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Value of ASCII digits (at most 9 of them, so no overflow).
pub(crate) fn num(d: &[u8]) -> u32 {
    d.iter()
        .take(9)
        .fold(0, |acc, &b| acc * 10 + (b - b'0') as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_vectors() {
        for ok in [
            "4111111111111111",
            "4012888888881881",
            "378282246310005",
            "79927398713",
            "0",
        ] {
            assert!(luhn(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "4111111111111112",
            "4012888888881882",
            "79927398710",
            "1234567812345678",
        ] {
            assert!(!luhn(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn verhoeff_vectors() {
        // Worked example from the literature: 236 has check digit 3.
        assert!(verhoeff(b"2363"));
        assert!(!verhoeff(b"2364"));
        for ok in ["312345678909", "399876543211", "400123456787"] {
            assert!(verhoeff(ok.as_bytes()), "{ok}");
        }
        for bad in ["123456789012", "312345678908", "399876543212"] {
            assert!(!verhoeff(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn mod97_vectors() {
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(!iban_mod97(b"GB82WEST12345698765433"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
        assert!(!iban_mod97(b"GB8"));
    }

    #[test]
    fn iban_structure() {
        for ok in [
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "BR1800000000141455123924100C2",
            "NO9386011117947",
            "MT84MALT011000012345MTLCAST001S",
        ] {
            assert!(iban_valid(ok.as_bytes()), "{ok}");
        }
        // Alphabetic where the registry wants digits, but mod-97 is fine.
        assert!(!iban_valid(b"NL56300301A7164300"));
        assert!(!iban_valid(b"XX89370400440532013000"));
        assert!(!iban_valid(b"DE8937040044053201300"));
        assert_eq!(bban_len("4a6n8c"), 18);
        assert_eq!(iban_bban_format(*b"US"), None);
    }

    #[test]
    fn card_issuers() {
        for ok in [
            "4111111111111111",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011000400000000",
            "3528000700000000",
            "30569309025904",
            "6759649826438453",
            "6200000000000005",
            "122000000000003",
        ] {
            assert!(card_issuer_ok(ok.as_bytes()) && luhn(ok.as_bytes()), "{ok}");
        }
        assert!(!card_issuer_ok(b"9783161484100"), "ISBN-13");
        assert!(!card_issuer_ok(b"1748503543012"), "epoch millis");
        assert!(!card_issuer_ok(b"1700000000000000"), "epoch micros");
        assert!(!card_issuer_ok(b"411111111111"), "too short");
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn_valid(b"078051123"));
        for bad in [
            "000123456",
            "666123456",
            "900123456",
            "078001123",
            "078050000",
            "078051120",
            "111111111",
        ] {
            assert!(!ssn_valid(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn aadhaar_nino_pan_dates() {
        assert!(aadhaar_valid(b"312345678909"));
        assert!(!aadhaar_valid(b"123456789012"), "first digit 1");
        assert!(nino_prefix_ok(b'A', b'B'));
        assert!(!nino_prefix_ok(b'B', b'G'));
        assert!(!nino_prefix_ok(b'F', b'A'));
        assert!(!nino_prefix_ok(b'A', b'O'));
        assert!(pan_valid(b"ABCPD1234Z"));
        assert!(!pan_valid(b"ABCND1234Z"), "N is not a holder type");
        assert!(valid_date(2024, 2, 29));
        assert!(!valid_date(2023, 2, 29));
        assert!(!valid_date(2024, 13, 1));
    }
}
