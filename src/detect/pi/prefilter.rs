//! The cheap first look at a unit of text: one pass over its bytes through a
//! 256-entry class table, counting the few things the detectors need (digits,
//! letters, `@`, `%`, `:`, base64 alphabet). Most URL path segments and
//! query parameters fail every test here and are dropped without decoding,
//! validating or allocating.

/// Byte classes; a unit's [`Features::classes`] is the OR over its bytes.
pub(crate) const DIGIT: u16 = 1 << 0;
pub(crate) const UPPER: u16 = 1 << 1;
pub(crate) const LOWER: u16 = 1 << 2;
pub(crate) const AT: u16 = 1 << 3;
pub(crate) const PCT: u16 = 1 << 4;
pub(crate) const PLUS: u16 = 1 << 5;
pub(crate) const COLON: u16 = 1 << 6;
pub(crate) const DOT: u16 = 1 << 7;
/// Any byte outside the base64/base64url alphabet (`A-Za-z0-9+/-_=`).
pub(crate) const NOT_B64: u16 = 1 << 8;
/// Bytes of a percent-free, digit-free identifier word: letters, `_`, `-`.
pub(crate) const NOT_WORD: u16 = 1 << 9;
/// `_` or `-`, which every GitHub and Slack token has.
pub(crate) const JOINER: u16 = 1 << 10;
/// `;`, which starts matrix parameters in a path segment.
pub(crate) const SEMI: u16 = 1 << 11;

static CLASS: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut t = [NOT_B64 | NOT_WORD; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'0'..=b'9' => DIGIT | NOT_WORD,
            b'A'..=b'Z' => UPPER,
            b'a'..=b'z' => LOWER,
            b'_' | b'-' => JOINER,
            b'/' | b'=' => NOT_WORD,
            b'+' => PLUS | NOT_WORD,
            b'@' => AT | NOT_B64 | NOT_WORD,
            b'%' => PCT | NOT_B64 | NOT_WORD,
            b':' => COLON | NOT_B64 | NOT_WORD,
            b';' => SEMI | NOT_B64 | NOT_WORD,
            b'.' => DOT | NOT_B64 | NOT_WORD,
            _ => NOT_B64 | NOT_WORD,
        };
        b += 1;
    }
    t
}

/// What one pass over a unit found.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Features {
    /// OR of the byte classes.
    pub classes: u16,
    /// Number of ASCII digits.
    pub digits: u32,
    /// Length in bytes.
    pub len: usize,
}

/// Shortest base64 text decoded: 10 characters are 7 bytes, the shortest
/// value any detector reports (`1.2.3.4`-sized IPv4 addresses, 7-digit
/// phones under a key). Shorter segments are left alone.
pub(crate) const MIN_BASE64: usize = 10;

/// Which detector families a unit needs, as a bit set.
pub(crate) const RUN_EMAIL: u8 = 1 << 0;
pub(crate) const RUN_NUMERIC: u8 = 1 << 1;
pub(crate) const RUN_IPV6: u8 = 1 << 2;
pub(crate) const RUN_WORDS: u8 = 1 << 3;
pub(crate) const RUN_SECRET: u8 = 1 << 4;

impl Features {
    /// Scans `b` once.
    #[inline]
    pub(crate) fn of(b: &[u8]) -> Features {
        let mut classes = 0u16;
        let mut digits = 0u32;
        for &x in b {
            let c = CLASS[x as usize];
            classes |= c;
            digits += u32::from(c & DIGIT);
        }
        Features {
            classes,
            digits,
            len: b.len(),
        }
    }

    /// Whether any byte has one of the `mask` classes.
    #[inline]
    pub(crate) fn has(&self, mask: u16) -> bool {
        self.classes & mask != 0
    }

    /// The detector families worth running. Thresholds are the minimum shape
    /// of each family: a phone, card, SSN or Aadhaar has at least 7 digits,
    /// an IPv4 address 4 digits and dots, an IPv6 address colons, an
    /// IBAN/PAN/NINO letters and at least 4 digits, a token at least 15 bytes.
    #[inline]
    pub(crate) fn detectors(&self) -> u8 {
        let mut run = 0;
        if self.has(AT) {
            run |= RUN_EMAIL;
        }
        if self.digits >= 7 || (self.digits >= 4 && self.has(DOT)) {
            run |= RUN_NUMERIC;
        }
        if self.has(COLON) && self.digits >= 1 {
            run |= RUN_IPV6;
        }
        let letters = self.has(UPPER | LOWER);
        // PAN and uppercase IBANs need capitals and 4+ digits; lowercase
        // IBANs and NINOs have at least 6 digits. Short lowercase hex ids
        // (`a3f9c2e1`) need neither.
        if letters && ((self.has(UPPER) && self.digits >= 4) || self.digits >= 6) {
            run |= RUN_WORDS;
        }
        // JWTs (`eyJ`) and AWS ids have capitals; GitHub and Slack tokens
        // `_` or `-` and digits (Slack's team and user ids, GitHub's random
        // part). Lowercase hex ids have neither; slugs and file names
        // (`globex_customers`, `avatar-default.png`) have no digits.
        if self.len >= 15 && (self.has(UPPER) || (self.has(JOINER) && self.digits > 0)) {
            run |= RUN_SECRET;
        }
        run
    }

    /// A plausible base64/base64url encoding of text: long enough to be
    /// worth it, only alphabet bytes, and at least one uppercase letter
    /// (base64 of ASCII text puts an `I`–`Z`/`a`–`f` in every 4-char group,
    /// so hex ids and lowercase slugs are skipped).
    #[inline]
    pub(crate) fn base64_candidate(&self) -> bool {
        self.may_hold_base64() && self.len <= 4096 && !self.has(NOT_B64)
    }

    /// Long enough, and with a capital, to be or to contain (between `_`/`-`)
    /// a base64 encoding worth decoding.
    #[inline]
    pub(crate) fn may_hold_base64(&self) -> bool {
        self.len >= MIN_BASE64 && self.has(UPPER)
    }

    /// An identifier word (letters, `_`, `-` only), the shape of a key
    /// name used as context for the next path segment.
    #[inline]
    pub(crate) fn is_word(&self) -> bool {
        self.len >= 2 && self.len <= 40 && !self.has(NOT_WORD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_segments_need_nothing() {
        for s in [
            "users",
            "api",
            "v1",
            "12345",
            "page",
            "desc",
            "a3f9c2e1",
            "index.html",
        ] {
            assert_eq!(Features::of(s.as_bytes()).detectors(), 0, "{s}");
        }
    }

    #[test]
    fn shapes_select_families() {
        assert_ne!(Features::of(b"jane@x.io").detectors() & RUN_EMAIL, 0);
        assert_ne!(
            Features::of(b"4111111111111111").detectors() & RUN_NUMERIC,
            0
        );
        assert_ne!(Features::of(b"10.0.0.1").detectors() & RUN_NUMERIC, 0);
        assert_ne!(Features::of(b"fe80::1").detectors() & RUN_IPV6, 0);
        assert_ne!(Features::of(b"ABCPD1234Z").detectors() & RUN_WORDS, 0);
        assert_ne!(
            Features::of(b"AKIAIOSFODNN7EXAMPLE").detectors() & RUN_SECRET,
            0
        );
    }

    #[test]
    fn slugs_are_not_tokens() {
        for s in [
            "globex_customers",
            "avatar-default.png",
            "health-check-endpoint",
        ] {
            assert_eq!(
                Features::of(s.as_bytes()).detectors() & RUN_SECRET,
                0,
                "{s}"
            );
        }
        let slack = b"xoxb-2048-1024-abcdefghijklmnop";
        assert_ne!(Features::of(slack).detectors() & RUN_SECRET, 0);
    }

    #[test]
    fn base64_and_words() {
        assert!(Features::of(b"amFuZUBleGFtcGxlLmNvbQ").base64_candidate());
        assert!(!Features::of(b"da39a3ee5e6b4b0d3255bfef95601890afd80709").base64_candidate());
        assert!(!Features::of(b"short").base64_candidate());
        assert!(Features::of(b"date_of_birth").is_word());
        assert!(!Features::of(b"v2").is_word());
    }
}
