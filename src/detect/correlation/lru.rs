//! Update order of groups and entities: which was updated longest ago.
//!
//! Every observation touches one group, so the order is updated on the hot
//! path. A `BTreeMap` re-keyed on every touch cost a removal and an
//! insertion (with allocation) each time; here a touch only appends the new
//! stamp to a queue, and stale entries are skipped when they reach the
//! front. Stamps are `(event time, counter)` and observations are handled
//! in event-time order, so the queue stays sorted.

use std::collections::VecDeque;
use std::hash::Hash;

/// A stamp: (event time in ns, a counter that breaks ties).
pub(crate) type Stamp = (i64, u64);

/// Keys in update order, with lazy removal.
#[derive(Debug, Clone)]
pub(crate) struct Lru<K> {
    queue: VecDeque<(Stamp, K)>,
}

impl<K> Default for Lru<K> {
    fn default() -> Self {
        Lru {
            queue: VecDeque::new(),
        }
    }
}

impl<K: Copy + Eq + Hash> Lru<K> {
    /// Records that `key` was updated at `stamp`. Its older entries become
    /// stale; `live` is the number of keys held (to bound the queue).
    pub fn touch(
        &mut self,
        stamp: Stamp,
        key: K,
        live: usize,
        current: impl Fn(K) -> Option<Stamp>,
    ) {
        self.queue.push_back((stamp, key));
        // Without evictions or expiry, stale entries would pile up: compact
        // when they outnumber the live ones (amortised O(1) per touch).
        if self.queue.len() > 2 * live + 1024 {
            self.queue.retain(|(s, k)| current(*k) == Some(*s));
        }
    }

    /// The key updated longest ago, with its stamp, skipping stale entries
    /// (`current` tells a key's stamp now, `None` once removed).
    pub fn oldest(&mut self, current: impl Fn(K) -> Option<Stamp>) -> Option<(Stamp, K)> {
        while let Some(&(s, k)) = self.queue.front() {
            if current(k) == Some(s) {
                return Some((s, k));
            }
            self.queue.pop_front();
        }
        None
    }

    /// Removes the front entry (after [`Lru::oldest`] returned it).
    pub fn pop(&mut self) {
        self.queue.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn oldest_skips_stale_and_removed_entries() {
        let mut lru: Lru<u32> = Lru::default();
        let mut now: HashMap<u32, Stamp> = HashMap::new();
        for (i, k) in [1u32, 2, 3, 1, 2].into_iter().enumerate() {
            let s = (i as i64, i as u64);
            now.insert(k, s);
            lru.touch(s, k, now.len(), |k| now.get(&k).copied());
        }
        // 3 was touched at 2; 1 at 3; 2 at 4.
        assert_eq!(lru.oldest(|k| now.get(&k).copied()), Some(((2, 2), 3)));
        now.remove(&3);
        assert_eq!(lru.oldest(|k| now.get(&k).copied()), Some(((3, 3), 1)));
        lru.pop();
        now.remove(&1);
        assert_eq!(lru.oldest(|k| now.get(&k).copied()), Some(((4, 4), 2)));
    }

    #[test]
    fn compaction_keeps_the_queue_bounded() {
        let mut lru: Lru<u32> = Lru::default();
        let mut now: HashMap<u32, Stamp> = HashMap::new();
        for i in 0..100_000u64 {
            let k = (i % 3) as u32;
            let s = (i as i64, i);
            now.insert(k, s);
            lru.touch(s, k, now.len(), |k| now.get(&k).copied());
        }
        assert!(lru.queue.len() <= 2 * 3 + 1025, "{}", lru.queue.len());
        // The last three touches were 99997 (key 1), 99998 (key 2), 99999 (key 0).
        assert_eq!(lru.oldest(|k| now.get(&k).copied()).map(|x| x.1), Some(1));
    }
}
