//! One group's window: the contributing events of the last `timespan`,
//! with running aggregates so that each event costs O(1) amortised (the
//! percentile, which sorts, excepted).

use super::plan::CorrelationRule;
use super::{CorrelationKind, ObsValue};
use crate::alert::LogRef;
use std::collections::{HashMap, VecDeque};

/// One contributing event.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Event time, ns.
    pub time: i64,
    /// Which of the correlation's `rules` it matched.
    pub slot: u16,
    pub value: Option<ObsValue>,
    pub log: LogRef,
}

/// The events of one group inside the window, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Window {
    entries: VecDeque<Entry>,
    /// `value_count`: occurrences of each value hash in the window.
    distinct: HashMap<u64, u32>,
    /// `temporal`: entries per `rules` slot.
    per_slot: Vec<u32>,
    /// Numeric types: running sum of the values in the window.
    sum: f64,
}

impl Window {
    /// Contributing events in the window.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The oldest and newest contributing events.
    pub fn first_last(&self) -> Option<(&Entry, &Entry)> {
        Some((self.entries.front()?, self.entries.back()?))
    }

    /// Distinct values (for `value_count`).
    pub fn distinct(&self) -> usize {
        self.distinct.len()
    }

    /// Sum of the values (numeric types).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Drops the entries older than `cutoff`; an entry exactly at `cutoff`
    /// (that is, exactly `timespan` before the newest event) stays.
    pub fn evict_before(&mut self, cutoff: i64) {
        while self.entries.front().is_some_and(|e| e.time < cutoff) {
            self.pop_front();
        }
    }

    /// Appends an entry (entries arrive in time order); if the window then
    /// holds more than `max` entries, drops the oldest and returns `true`.
    pub fn push(&mut self, e: Entry, max: usize) -> bool {
        match e.value {
            Some(ObsValue::Hash(h)) => *self.distinct.entry(h).or_default() += 1,
            Some(ObsValue::Num(x)) => self.sum += x,
            None => {}
        }
        let slot = usize::from(e.slot);
        if self.per_slot.len() <= slot {
            self.per_slot.resize(slot + 1, 0);
        }
        self.per_slot[slot] += 1;
        self.entries.push_back(e);
        let mut truncated = false;
        while self.entries.len() > max.max(1) {
            self.pop_front();
            truncated = true;
        }
        truncated
    }

    fn pop_front(&mut self) {
        let Some(e) = self.entries.pop_front() else {
            return;
        };
        match e.value {
            Some(ObsValue::Hash(h)) => {
                if let Some(n) = self.distinct.get_mut(&h) {
                    *n -= 1;
                    if *n == 0 {
                        self.distinct.remove(&h);
                    }
                }
            }
            Some(ObsValue::Num(x)) => self.sum -= x,
            None => {}
        }
        if let Some(n) = self.per_slot.get_mut(usize::from(e.slot)) {
            *n = n.saturating_sub(1);
        }
        if self.entries.is_empty() {
            // No drift survives an empty window.
            self.sum = 0.0;
        }
    }

    /// Forgets every entry (after the window raised an alert).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.distinct.clear();
        self.per_slot.iter_mut().for_each(|n| *n = 0);
        self.sum = 0.0;
    }

    /// The value the correlation's condition is checked against, if any.
    pub fn aggregate(&self, rule: &CorrelationRule) -> Option<f64> {
        if self.entries.is_empty() {
            return None;
        }
        Some(match rule.kind {
            CorrelationKind::EventCount => self.entries.len() as f64,
            CorrelationKind::ValueCount => self.distinct.len() as f64,
            CorrelationKind::Temporal => {
                let n = rule.refs.len().min(self.per_slot.len());
                self.per_slot[..n].iter().filter(|c| **c > 0).count() as f64
            }
            CorrelationKind::TemporalOrdered => {
                // Greedy: the earliest match of each rule after the previous
                // one's; the longest in-order prefix found.
                let mut k = 0usize;
                for e in &self.entries {
                    if k < rule.refs.len() && usize::from(e.slot) == k {
                        k += 1;
                    }
                }
                k as f64
            }
            CorrelationKind::ValueSum => self.sum,
            CorrelationKind::ValueAvg => self.sum / self.entries.len() as f64,
            CorrelationKind::ValuePercentile(p) => {
                let mut v: Vec<f64> = self
                    .entries
                    .iter()
                    .filter_map(|e| match e.value {
                        Some(ObsValue::Num(x)) => Some(x),
                        _ => None,
                    })
                    .collect();
                v.sort_by(f64::total_cmp);
                percentile(&v, p)?
            }
            // Baseline types keep no window (see `baseline.rs`).
            CorrelationKind::NewTerms
            | CorrelationKind::Anomaly(_)
            | CorrelationKind::OffHours
            | CorrelationKind::Sequential => {
                return None;
            }
        })
    }
}

/// The `p`-th percentile (0–100) of sorted values, interpolating linearly
/// between the two nearest ranks.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = (p.clamp(0.0, 100.0) / 100.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (b - a) * (pos - lo as f64))
}
