//! Keyed fingerprints (SPEC §4): `hmac-sha256:` + the first 16 hex
//! characters of HMAC-SHA256(key, normalized value). Normalizing first makes
//! the same card written `4111 1111 1111 1111` and `4111-1111-1111-1111`, or
//! the same email in two cases, count as one distinct value.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How a value is normalized before it is fingerprinted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Norm {
    /// ASCII lowercase (emails, special-category values).
    Lower,
    /// Digits only (cards, phones, SSNs, Aadhaar, dates of birth).
    Digits,
    /// ASCII alphanumerics, uppercased (IBAN, PAN, NINO, ids, passports).
    UpperAlnum,
    /// Unchanged (secrets, IP addresses already canonical).
    Exact,
    /// Lowercase with runs of whitespace collapsed and trimmed (names).
    Words,
}

/// Writes the normalized form of `value` into `out`.
pub(crate) fn normalize(value: &[u8], norm: Norm, out: &mut Vec<u8>) {
    out.clear();
    match norm {
        Norm::Lower => out.extend(value.iter().map(u8::to_ascii_lowercase)),
        Norm::Digits => out.extend(value.iter().copied().filter(u8::is_ascii_digit)),
        Norm::UpperAlnum => out.extend(
            value
                .iter()
                .filter(|b| b.is_ascii_alphanumeric())
                .map(u8::to_ascii_uppercase),
        ),
        Norm::Exact => out.extend_from_slice(value),
        Norm::Words => {
            for word in value
                .split(u8::is_ascii_whitespace)
                .filter(|w| !w.is_empty())
            {
                if !out.is_empty() {
                    out.push(b' ');
                }
                out.extend(word.iter().map(u8::to_ascii_lowercase));
            }
        }
    }
}

/// The fingerprint of an already normalized value.
pub(crate) fn fingerprint(mac: &Hmac<Sha256>, normalized: &[u8]) -> String {
    let mut m = mac.clone();
    m.update(normalized);
    let tag = m.finalize().into_bytes();
    let mut s = String::with_capacity(12 + 16);
    s.push_str("hmac-sha256:");
    s.push_str(&hex::encode(&tag[..8]));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::KeyInit;

    #[test]
    fn rfc4231_case_2_prefix() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        assert_eq!(
            fingerprint(&mac, b"what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e"
        );
    }

    #[test]
    fn normalization() {
        let mut out = Vec::new();
        normalize(b"4111-1111 1111.1111", Norm::Digits, &mut out);
        assert_eq!(out, b"4111111111111111");
        normalize(b"de89 3704", Norm::UpperAlnum, &mut out);
        assert_eq!(out, b"DE893704");
        normalize(b"Jane@Example.COM", Norm::Lower, &mut out);
        assert_eq!(out, b"jane@example.com");
        normalize(b"  Jane   Doe ", Norm::Words, &mut out);
        assert_eq!(out, b"jane doe");
    }
}
