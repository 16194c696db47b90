//! IBANs, plain (`DE89370400440532013000`), grouped by four
//! (`DE89 3704 0044 0532 0130 00`, `AL47-2121-…`) or spaced any other way
//! people type them (`ES 58 0049 …`, `MK072 5012 …`), with one kind of
//! separator. The country code fixes the length, so the scanner collects
//! exactly that many characters and then checks the registry structure and
//! mod-97; a separator may not split the country code.

use super::is_alnum;
use crate::detect::pi::validate::{bban_len, iban_bban_format, iban_valid};

/// The longest IBAN (LC, RU: 32–33 characters) fits.
const MAX_IBAN: usize = 34;

/// Tries an IBAN starting at `i`; returns the end of the match.
///
/// Letters must be all uppercase or all lowercase: `de89…` from a
/// lowercasing proxy is found, `KW81 aBKU …` is not (a mixed-case run is
/// prose or an id, not a transcribed IBAN).
pub(crate) fn parse(text: &[u8], i: usize) -> Option<usize> {
    let (a, b) = (*text.get(i)?, *text.get(i + 1)?);
    if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
        return None;
    }
    let lower = a.is_ascii_lowercase();
    let cc = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
    let len = 4 + bban_len(iban_bban_format(cc)?);
    let mut buf = [0u8; MAX_IBAN];
    let mut sep = None;
    let mut n = 0;
    let mut j = i;
    while n < len {
        let mut c = *text.get(j)?;
        if n >= 2 && matches!(c, b' ' | b'-') {
            // One separator between characters, always the same kind.
            if *sep.get_or_insert(c) != c {
                return None;
            }
            j += 1;
            c = *text.get(j)?;
        }
        if !is_alnum(c) || (c.is_ascii_alphabetic() && c.is_ascii_lowercase() != lower) {
            return None;
        }
        buf[n] = c.to_ascii_uppercase();
        n += 1;
        j += 1;
    }
    if text.get(j).is_some_and(|&b| is_alnum(b)) {
        return None;
    }
    iban_valid(&buf[..len]).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_grouped_and_bounded() {
        for ok in [
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "AL47-2121-1009-0000-0002-3569-8741",
            "de89370400440532013000",
            "LI21 0881 0000 2324 013A A",
            "ES 58 0049 0290 3424 1352 8341",
            "MK072 5012 0000 0589 84",
        ] {
            assert_eq!(parse(ok.as_bytes(), 0), Some(ok.len()), "{ok}");
        }
        let s = b"VG96 VPVG 0000 0123 4567 8901 X";
        assert_eq!(parse(s, 0), Some(29));
        for bad in [
            "DE89370400440532013001",
            "DE893704004405320130000",
            "AL47/2121/1009/0000/0002/3569/8741",
            "KW81 aBKU 0000 0000 0000 1234 5601 01",
            "IL15 0120 6900 0000",
            "DE89 3704-0044 0532 0130 00",
        ] {
            assert_eq!(parse(bad.as_bytes(), 0), None, "{bad}");
        }
    }
}
