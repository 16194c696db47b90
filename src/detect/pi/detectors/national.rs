//! National identifiers with a fixed shape: US SSN and Indian Aadhaar (digit
//! windows), Indian PAN and UK NINO (letter-led words).

use super::is_alnum;
use super::numeric::Win;
use crate::detect::pi::validate::{aadhaar_valid, nino_prefix_ok, pan_valid, ssn_valid};

/// `AAA-GG-SSSS` with one kind of separator (`-`, space or `.`). Bare nine
/// digits are SSNs only under an SSN key (see `context`).
pub(crate) fn is_ssn(w: &Win<'_>) -> bool {
    !w.plus
        && w.paren == 0
        && w.nd == 9
        && w.shape(&[3, 2, 4])
        && matches!(w.uniform_sep(), Some(b'-' | b' ' | b'.'))
        && ssn_valid(w.d())
}

/// Nine digits under an SSN key (`ssn=078051123`): bare, or grouped in
/// any way with `-`, space or `.`.
pub(crate) fn is_ssn_keyed(w: &Win<'_>) -> bool {
    !w.plus
        && w.paren == 0
        && w.nd == 9
        && w.seps.iter().all(|s| matches!(s, b'-' | b' ' | b'.'))
        && ssn_valid(w.d())
}

/// Twelve digits, plain or `4-4-4` with one kind of separator (`-`, space,
/// `:`), first digit 2–9, Verhoeff.
pub(crate) fn is_aadhaar(w: &Win<'_>) -> bool {
    let layout = w.groups.len() == 1
        || (w.shape(&[4, 4, 4]) && matches!(w.uniform_sep(), Some(b'-' | b' ' | b':')));
    !w.plus && w.paren == 0 && w.nd == 12 && layout && aadhaar_valid(w.d())
}

/// A PAN word starting at `i`: exactly ten uppercase alphanumerics.
/// Lowercase is not accepted: PANs are printed and typed in capitals, and
/// ten-character lowercase slugs are common in URLs.
pub(crate) fn pan(text: &[u8], i: usize) -> Option<usize> {
    let w = text.get(i..i + 10)?;
    let end_ok = text.get(i + 10).is_none_or(|&b| !is_alnum(b));
    (end_ok && pan_valid(w)).then_some(i + 10)
}

/// A NINO starting at `i`: two prefix letters, six digits (optionally
/// `12 34 56`, optionally a space after the prefix), a suffix A–D. Case
/// does not matter. Returns the end of the match.
pub(crate) fn nino(text: &[u8], i: usize) -> Option<usize> {
    let a = text.get(i)?.to_ascii_uppercase();
    let b = text.get(i + 1)?.to_ascii_uppercase();
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || !nino_prefix_ok(a, b) {
        return None;
    }
    let mut j = i + 2;
    if text.get(j) == Some(&b' ') {
        j += 1;
    }
    // Six digits, in pairs that may be separated by single spaces.
    let mut digits = 0;
    while digits < 6 {
        if digits > 0
            && digits % 2 == 0
            && text.get(j) == Some(&b' ')
            && text.get(j + 1).is_some_and(u8::is_ascii_digit)
        {
            j += 1;
        }
        if !text.get(j)?.is_ascii_digit() {
            return None;
        }
        digits += 1;
        j += 1;
    }
    if text.get(j) == Some(&b' ') {
        j += 1;
    }
    let suffix = text.get(j)?.to_ascii_uppercase();
    if !(b'A'..=b'D').contains(&suffix) {
        return None;
    }
    j += 1;
    text.get(j).is_none_or(|&b| !is_alnum(b)).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nino_shapes() {
        for ok in [
            "AA 12 34 56 B",
            "hh 01 02 03 d",
            "tw987654a",
            "PR 123612C",
            "YZ 61 48 68 B",
        ] {
            assert_eq!(nino(ok.as_bytes(), 0), Some(ok.len()), "{ok}");
        }
        for bad in [
            "AA 12 34 56 H",
            "AB 12 34 56 1",
            "ab1234561",
            "FQ 00 00 00 C",
            "BG123612A",
            "nt 99 88 77 a",
            "UV 98 76 54 B",
            "AB123456CX",
        ] {
            assert_eq!(nino(bad.as_bytes(), 0), None, "{bad}");
        }
    }

    #[test]
    fn pan_shapes() {
        assert_eq!(pan(b"ABCPD1234Z", 0), Some(10));
        assert_eq!(pan(b"ABBPM4567S/x", 0), Some(10));
        assert_eq!(pan(b"ABCPD1234ZZ", 0), None);
        assert_eq!(pan(b"abcpd1234z", 0), None);
        assert_eq!(pan(b"AAASA1111R", 0), None);
    }
}
