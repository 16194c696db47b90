//! [`ReportSink`]: folds every delivered alert into bounded [`Findings`].
//!
//! The report only needs aggregates: alerts per time bucket and level, per
//! rule, the most frequent entities of each rule, and a few *masked* PI
//! examples. Memory is bounded whatever the run's size: the timeline
//! doubles its bucket width when it has too many buckets, and each rule
//! keeps at most [`ENTITY_SLOTS`] entities (the Space-Saving algorithm:
//! counts of frequent entities are exact or slightly over, never under).

use crate::alert::{Alert, AlertKind, Level};
use crate::event::Timestamp;
use crate::sink::{Sink, SinkError};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// Buckets the timeline keeps before it doubles their width.
pub const MAX_BUCKETS: usize = 512;

/// Entities counted per rule (the top few are shown).
pub const ENTITY_SLOTS: usize = 64;

/// Masked examples kept per (category, field).
pub const PI_EXAMPLES: usize = 3;

/// The first bucket width of the timeline: one minute.
const FIRST_WIDTH_NS: i64 = 60 * Timestamp::NANOS_PER_SEC;

/// Alerts over event time, by level, in buckets of equal width.
#[derive(Clone, Debug)]
pub struct Timeline {
    width_ns: i64,
    buckets: BTreeMap<i64, [u64; 5]>,
    /// Alerts whose event had no timestamp.
    pub untimed: u64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            width_ns: FIRST_WIDTH_NS,
            buckets: BTreeMap::new(),
            untimed: 0,
        }
    }
}

impl Timeline {
    /// Counts one alert at `t` (event time).
    pub fn add(&mut self, t: Option<Timestamp>, level: Level) {
        let Some(t) = t else {
            self.untimed += 1;
            return;
        };
        let b = self
            .buckets
            .entry(t.0.div_euclid(self.width_ns))
            .or_default();
        b[level as usize] += 1;
        while self.buckets.len() > MAX_BUCKETS {
            self.coarsen();
        }
    }

    /// Doubles the bucket width, merging pairs of buckets.
    fn coarsen(&mut self) {
        self.width_ns = self.width_ns.saturating_mul(2);
        let mut merged: BTreeMap<i64, [u64; 5]> = BTreeMap::new();
        for (k, v) in std::mem::take(&mut self.buckets) {
            let m = merged.entry(k.div_euclid(2)).or_default();
            for (a, b) in m.iter_mut().zip(v) {
                *a += b;
            }
        }
        self.buckets = merged;
    }

    /// Width of a bucket in nanoseconds.
    pub fn width_ns(&self) -> i64 {
        self.width_ns
    }

    /// Non-empty buckets: (start time, counts indexed by `Level as usize`).
    pub fn buckets(&self) -> impl Iterator<Item = (Timestamp, [u64; 5])> + '_ {
        self.buckets
            .iter()
            .map(|(k, v)| (Timestamp(k.saturating_mul(self.width_ns)), *v))
    }

    /// First and last bucket start, if any alert had a time.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let first = *self.buckets.keys().next()?;
        let last = *self.buckets.keys().next_back()?;
        Some((
            Timestamp(first.saturating_mul(self.width_ns)),
            Timestamp(last.saturating_mul(self.width_ns)),
        ))
    }
}

/// Approximate counts of the most frequent keys (Space-Saving): at most
/// [`ENTITY_SLOTS`] keys; a key that displaced another inherits its count
/// as possible error.
#[derive(Clone, Debug, Default)]
pub struct TopK {
    slots: HashMap<String, (u64, u64)>,
}

impl TopK {
    /// Counts one occurrence of `key`.
    pub fn add(&mut self, key: String) {
        if let Some(s) = self.slots.get_mut(&key) {
            s.0 += 1;
            return;
        }
        if self.slots.len() < ENTITY_SLOTS {
            self.slots.insert(key, (1, 0));
            return;
        }
        let victim = self
            .slots
            .iter()
            .min_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.0.cmp(a.0)))
            .map(|(k, v)| (k.clone(), v.0));
        if let Some((k, min)) = victim {
            self.slots.remove(&k);
            self.slots.insert(key, (min + 1, min));
        }
    }

    /// The `n` largest: (key, count, whether the count may be over by
    /// up to the displaced count), largest first, ties by key.
    pub fn top(&self, n: usize) -> Vec<(&str, u64, bool)> {
        let mut v: Vec<(&str, u64, bool)> = self
            .slots
            .iter()
            .map(|(k, (c, e))| (k.as_str(), *c, *e > 0))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

/// What the report knows about one rule.
#[derive(Clone, Debug)]
pub struct RuleTally {
    /// Rule title.
    pub title: String,
    /// Rule level.
    pub level: Level,
    /// Kinds of alert the rule raised.
    pub kinds: Vec<AlertKind>,
    /// Alerts delivered.
    pub alerts: u64,
    /// Repeats suppressed: the `suppressed` counts the alerts carried
    /// (repeats after the last delivered alert of a key are not carried;
    /// `picket replay` replaces this with `picket_alerts_suppressed_total`).
    pub suppressed: u64,
    /// Entities (`user.name=app-7 · source.ip=…`) by frequency.
    pub entities: TopK,
}

/// Masked PI examples for one (category, field).
#[derive(Clone, Debug, Default)]
pub struct PiExamples {
    /// Up to [`PI_EXAMPLES`] distinct masked previews (never raw values).
    pub masked: Vec<String>,
}

/// Everything the report learns from the alerts of a run.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// Alerts over event time.
    pub timeline: Timeline,
    /// Per rule id.
    pub rules: BTreeMap<String, RuleTally>,
    /// Masked examples per (category, field).
    pub pi: BTreeMap<(&'static str, &'static str), PiExamples>,
    /// Earliest and latest alert time.
    pub first: Option<Timestamp>,
    /// Latest alert time.
    pub last: Option<Timestamp>,
}

impl Findings {
    /// Folds one delivered alert in.
    pub fn add(&mut self, a: &Alert) {
        self.timeline.add(a.timestamp, a.rule.level);
        if let Some(t) = a.timestamp {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        let r = self
            .rules
            .entry(a.rule.id.clone())
            .or_insert_with(|| RuleTally {
                title: a.rule.title.clone(),
                level: a.rule.level,
                kinds: Vec::new(),
                alerts: 0,
                suppressed: 0,
                entities: TopK::default(),
            });
        r.alerts += 1;
        r.suppressed += a.suppressed;
        if !r.kinds.contains(&a.kind) {
            r.kinds.push(a.kind);
            r.kinds.sort();
        }
        if !a.entity.is_empty() {
            r.entities.add(entity_key(&a.entity));
        }
        for f in &a.pi {
            let e = self.pi.entry((f.category, f.field)).or_default();
            // Only the masked preview: `f.value` (set with
            // `privacy.reveal`) never reaches a report.
            if e.masked.len() < PI_EXAMPLES && !e.masked.contains(&f.masked) {
                e.masked.push(f.masked.clone());
            }
        }
    }

    /// Total alerts folded in.
    pub fn total_alerts(&self) -> u64 {
        self.rules.values().map(|r| r.alerts).sum()
    }
}

/// `user.name=app-7 · source.ip=203.0.113.9`.
fn entity_key(entity: &[(String, String)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in entity.iter().enumerate() {
        if i > 0 {
            s.push_str(" · ");
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s
}

/// A [`Sink`] that hands nothing on: it folds alerts into [`Findings`] for
/// the report. Put it beside the real sinks; read the findings through
/// [`ReportSink::findings`] after the run.
#[derive(Debug, Clone, Default)]
pub struct ReportSink {
    findings: Arc<Mutex<Findings>>,
}

impl ReportSink {
    /// An empty collector.
    pub fn new() -> Self {
        ReportSink::default()
    }

    /// The findings so far (shared with every clone of this sink).
    pub fn findings(&self) -> MutexGuard<'_, Findings> {
        self.findings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for ReportSink {
    fn name(&self) -> &str {
        "report"
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), SinkError> {
        let mut f = self.findings();
        for a in alerts {
            f.add(a);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// The report is not a destination: it must not show up in
    /// `picket_sink_deliveries_total`, so it claims to count its own
    /// deliveries, and counts none.
    fn reports_deliveries(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_stays_bounded_and_keeps_counts() {
        let mut t = Timeline::default();
        for i in 0..100_000i64 {
            t.add(
                Some(Timestamp(i * 7 * Timestamp::NANOS_PER_SEC)),
                Level::High,
            );
        }
        t.add(None, Level::Low);
        assert!(t.buckets().count() <= MAX_BUCKETS);
        let total: u64 = t.buckets().map(|(_, c)| c.iter().sum::<u64>()).sum();
        assert_eq!(total, 100_000);
        assert_eq!(t.untimed, 1);
        assert!(t.width_ns() > FIRST_WIDTH_NS);
    }

    #[test]
    fn topk_finds_the_heavy_hitters() {
        let mut k = TopK::default();
        for i in 0..10_000u64 {
            k.add(format!("u{}", i % 500));
            if i % 3 == 0 {
                k.add("heavy".into());
            }
        }
        let top = k.top(3);
        assert_eq!(top[0].0, "heavy");
        assert!(top[0].1 >= 3334);
        assert!(k.slots.len() <= ENTITY_SLOTS);
    }
}
