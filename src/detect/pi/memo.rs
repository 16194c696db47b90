//! A per-thread memo of field values that held no PI.
//!
//! Access logs repeat themselves: the same referrers (`https://app.example.com/orders`),
//! health checks (`/_up`), static assets and pagination queries come back
//! on line after line. Scanning is a pure function of (field, text), so a
//! value that gave no finding once gives none again; remembering it turns
//! the next scan into a hash and one compare.
//!
//! The memo stores the text itself and compares it exactly: a hash
//! collision can only evict an entry (a slower scan), never skip a value
//! that was not seen. Only values without findings are stored, so the memo
//! never holds PI, and only short ones ([`MEMO_LEN`]), which are the ones
//! that repeat.

/// Longest value remembered.
pub(crate) const MEMO_LEN: usize = 64;
/// Sets of two slots each (a power of two).
const SETS: usize = 512;

#[derive(Clone, Copy)]
struct Slot {
    field: &'static str,
    /// `u8::MAX` for an empty slot.
    len: u8,
    text: [u8; MEMO_LEN],
}

const EMPTY: Slot = Slot {
    field: "",
    len: u8::MAX,
    text: [0; MEMO_LEN],
};

/// Two-way set-associative memo of (field, value) pairs that held no PI.
pub(crate) struct CleanMemo {
    slots: Box<[Slot]>,
}

impl Default for CleanMemo {
    fn default() -> Self {
        CleanMemo {
            slots: vec![EMPTY; 2 * SETS].into_boxed_slice(),
        }
    }
}

impl CleanMemo {
    /// Bytes reserved, for `Debug`.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    fn set(field: &str, v: &[u8]) -> usize {
        // FNV-1a over the value, seeded by the field name's length and first
        // byte (the scanned field names differ there).
        let seed =
            (field.len() as u64) << 8 | u64::from(field.as_bytes().first().copied().unwrap_or(0));
        let h = v.iter().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        // FNV's high bits mix poorly on short input; a multiply spreads them.
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SETS.trailing_zeros())) as usize
    }

    fn matches(s: &Slot, field: &str, v: &[u8]) -> bool {
        usize::from(s.len) == v.len() && s.field == field && s.text[..v.len()] == *v
    }

    /// Whether `v` in `field` was remembered as holding no PI.
    #[inline]
    pub(crate) fn is_clean(&self, field: &str, v: &[u8]) -> bool {
        if v.len() > MEMO_LEN {
            return false;
        }
        let i = 2 * Self::set(field, v);
        Self::matches(&self.slots[i], field, v) || Self::matches(&self.slots[i + 1], field, v)
    }

    /// Remembers that `v` in `field` holds no PI. The set's older slot moves
    /// to the second way, so two values alternating in one set both stay.
    pub(crate) fn insert(&mut self, field: &'static str, v: &[u8]) {
        if v.len() > MEMO_LEN {
            return;
        }
        let i = 2 * Self::set(field, v);
        self.slots[i + 1] = self.slots[i];
        let s = &mut self.slots[i];
        s.field = field;
        s.len = v.len() as u8;
        s.text[..v.len()].copy_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_exact_values_per_field() {
        let mut m = CleanMemo::default();
        assert!(!m.is_clean("url.path", b"/_up"));
        m.insert("url.path", b"/_up");
        assert!(m.is_clean("url.path", b"/_up"));
        assert!(!m.is_clean("url.query", b"/_up"));
        assert!(!m.is_clean("url.path", b"/_upx"));
        let long = [b'a'; MEMO_LEN + 1];
        m.insert("url.path", &long);
        assert!(!m.is_clean("url.path", &long));
    }

    #[test]
    fn two_ways_keep_alternating_values() {
        let mut m = CleanMemo::default();
        // Find two values in the same set.
        let a = b"/a".to_vec();
        let set = CleanMemo::set("url.path", &a);
        let b = (0..10_000u32)
            .map(|i| format!("/b{i}").into_bytes())
            .find(|v| CleanMemo::set("url.path", v) == set)
            .expect("a colliding value");
        m.insert("url.path", &a);
        m.insert("url.path", &b);
        assert!(m.is_clean("url.path", &a) && m.is_clean("url.path", &b));
    }
}
