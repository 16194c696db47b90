//! A small per-thread memo of enrichment answers by input text.
//!
//! `staff` (a glob set over `user.name`) and `tenant` (a capture regex over
//! `db.name`) are pure functions of one short string, and access logs
//! repeat the same few users and databases on line after line. Remembering
//! the answer turns the next lookup into a hash and one compare instead of
//! a glob-set or capture-regex search (about 2% of a full replay).
//!
//! The memo keeps the text and compares it exactly, so a hash collision
//! only costs a recomputation. It is tied to one [`Enricher`](super::Enricher)
//! build (`owner`), so a reload that changes the patterns starts it afresh.
//! It holds user and database names, never PI values, and lives only in
//! memory.

/// Longest text remembered; longer inputs are always computed.
pub(crate) const MEMO_LEN: usize = 48;
/// Sets of two slots each (a power of two).
const SETS: usize = 128;

#[derive(Clone, Copy)]
struct Slot<V: Copy> {
    /// `u8::MAX` for an empty slot.
    len: u8,
    text: [u8; MEMO_LEN],
    value: V,
}

/// Two-way set-associative memo from short byte strings to `V`.
pub(crate) struct Memo<V: Copy + Default> {
    /// The enricher build the answers belong to (0: none yet).
    owner: u64,
    slots: Box<[Slot<V>]>,
}

impl<V: Copy + Default> Default for Memo<V> {
    fn default() -> Self {
        let empty = Slot {
            len: u8::MAX,
            text: [0; MEMO_LEN],
            value: V::default(),
        };
        Memo {
            owner: 0,
            slots: vec![empty; 2 * SETS].into_boxed_slice(),
        }
    }
}

impl<V: Copy + Default> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.slots.iter().filter(|s| s.len != u8::MAX).count();
        f.debug_struct("Memo")
            .field("owner", &self.owner)
            .field("used", &used)
            .finish()
    }
}

impl<V: Copy + Default> Memo<V> {
    fn set(text: &[u8]) -> usize {
        // FNV-1a, then a multiply: FNV's high bits mix poorly on short text.
        let h = text.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SETS.trailing_zeros())) as usize
    }

    /// The remembered answer for `text`, computing and remembering it with
    /// `compute` when absent. `owner` identifies the enricher build: answers
    /// from another build are dropped first.
    #[inline]
    pub(crate) fn get_or(&mut self, owner: u64, text: &[u8], compute: impl FnOnce() -> V) -> V {
        if text.len() > MEMO_LEN {
            return compute();
        }
        if self.owner != owner {
            self.slots.iter_mut().for_each(|s| s.len = u8::MAX);
            self.owner = owner;
        }
        let i = 2 * Self::set(text);
        for s in &self.slots[i..i + 2] {
            if usize::from(s.len) == text.len() && s.text[..text.len()] == *text {
                return s.value;
            }
        }
        let value = compute();
        // The set's newer slot moves to the second way, so two texts
        // alternating in one set both stay.
        self.slots[i + 1] = self.slots[i];
        let s = &mut self.slots[i];
        s.len = text.len() as u8;
        s.text[..text.len()].copy_from_slice(text);
        s.value = value;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_per_text_and_owner() {
        let mut m = Memo::<u32>::default();
        let mut calls = 0;
        for _ in 0..3 {
            assert_eq!(
                m.get_or(1, b"acme_db", || {
                    calls += 1;
                    7
                }),
                7
            );
        }
        assert_eq!(calls, 1);
        // Another text, and the same text for another owner, are computed.
        assert_eq!(m.get_or(1, b"acme_dc", || 8), 8);
        assert_eq!(m.get_or(2, b"acme_db", || 9), 9);
        assert_eq!(m.get_or(2, b"acme_dc", || 10), 10, "owner change clears");
    }

    #[test]
    fn long_texts_are_always_computed() {
        let mut m = Memo::<bool>::default();
        let long = [b'a'; MEMO_LEN + 1];
        assert!(m.get_or(1, &long, || true));
        assert!(!m.get_or(1, &long, || false));
    }

    #[test]
    fn colliding_texts_keep_their_own_answers() {
        let mut m = Memo::<u32>::default();
        let set = Memo::<u32>::set(b"a");
        let others: Vec<Vec<u8>> = (0..100_000u32)
            .map(|i| format!("b{i}").into_bytes())
            .filter(|v| Memo::<u32>::set(v) == set)
            .take(2)
            .collect();
        assert_eq!(others.len(), 2);
        m.get_or(1, b"a", || 1);
        m.get_or(1, &others[0], || 2);
        assert_eq!(m.get_or(1, b"a", || 99), 1, "two ways keep both");
        assert_eq!(m.get_or(1, &others[0], || 99), 2);
        m.get_or(1, &others[1], || 3);
        assert_eq!(m.get_or(1, &others[1], || 99), 3);
        assert_eq!(m.get_or(1, b"a", || 99), 99, "the oldest was evicted");
    }
}
