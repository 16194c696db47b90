//! Suppression of repeated alerts (SPEC §6).
//!
//! An alert whose rule, entity and PI fingerprints equal those of an alert
//! delivered less than `window` earlier (in event time) is held back and
//! counted; the next alert of that key that is delivered carries the count in
//! `suppressed`. Memory is bounded by `max_keys`: when full, the key seen
//! longest ago is forgotten.

use super::Alert;
use std::collections::HashMap;

#[derive(Debug)]
struct Entry {
    last_delivered: i64,
    last_seen: i64,
    pending: u64,
}

/// Holds back repeats of the same alert key within a window of event time.
#[derive(Debug)]
pub struct Suppressor {
    window_ns: i64,
    max_keys: usize,
    keys: HashMap<String, Entry>,
    total_suppressed: u64,
    gauge: Option<prometheus::IntGauge>,
}

impl Suppressor {
    /// A suppressor with a window in nanoseconds (0 disables suppression)
    /// and a cap on remembered keys.
    pub fn new(window_ns: i64, max_keys: usize) -> Self {
        Suppressor {
            window_ns,
            max_keys: max_keys.max(1),
            keys: HashMap::new(),
            total_suppressed: 0,
            gauge: None,
        }
    }

    /// Reports the number of remembered keys to `gauge`
    /// (`picket_state_entities{detector="suppression"}`).
    pub fn with_gauge(mut self, gauge: prometheus::IntGauge) -> Self {
        gauge.set(0);
        self.gauge = Some(gauge);
        self
    }

    /// An empty suppressor with this one's window and bound, without its
    /// gauge: the state of one Kafka partition's pipeline, which moves with
    /// the partition (`source::kafka`).
    pub fn fresh(&self) -> Suppressor {
        Suppressor::new(self.window_ns, self.max_keys)
    }

    /// Keys remembered now.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }

    fn report(&self) {
        if let Some(g) = &self.gauge {
            g.set(i64::try_from(self.keys.len()).unwrap_or(i64::MAX));
        }
    }

    /// Alerts suppressed so far.
    pub fn total_suppressed(&self) -> u64 {
        self.total_suppressed
    }

    /// Decides whether `alert` is delivered (returns `true`, possibly with
    /// `suppressed` filled in) or held back (returns `false`).
    pub fn admit(&mut self, alert: &mut Alert) -> bool {
        if self.window_ns <= 0 {
            return true;
        }
        let now = alert.timestamp.map_or(0, |t| t.0);
        let key = key_of(alert);
        if let Some(e) = self.keys.get_mut(&key) {
            e.last_seen = e.last_seen.max(now);
            if now.saturating_sub(e.last_delivered) < self.window_ns {
                e.pending += 1;
                self.total_suppressed += 1;
                return false;
            }
            alert.suppressed = std::mem::take(&mut e.pending);
            e.last_delivered = now;
            return true;
        }
        if self.keys.len() >= self.max_keys {
            self.evict();
        }
        self.keys.insert(
            key,
            Entry {
                last_delivered: now,
                last_seen: now,
                pending: 0,
            },
        );
        self.report();
        true
    }

    /// Forgets the older half of the keys: amortised O(1) per insert, and
    /// pending counts of forgotten keys stay in `total_suppressed`.
    fn evict(&mut self) {
        let mut seen: Vec<i64> = self.keys.values().map(|e| e.last_seen).collect();
        let mid = seen.len() / 2;
        let (_, cut, _) = seen.select_nth_unstable(mid);
        let cut = *cut;
        self.keys.retain(|_, e| e.last_seen > cut);
    }
}

fn key_of(alert: &Alert) -> String {
    let mut key = alert.rule.id.clone();
    for (k, v) in &alert.entity {
        key.push('\u{1f}');
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    for f in &alert.pi {
        key.push('\u{1f}');
        key.push_str(&f.fingerprint);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Level, LogRef, RuleInfo};
    use crate::event::Timestamp;
    use std::sync::Arc;

    fn alert(user: &str, secs: i64) -> Alert {
        Alert {
            timestamp: Some(Timestamp::from_unix(secs, 0)),
            rule: Arc::new(RuleInfo {
                id: "r".into(),
                title: "t".into(),
                level: Level::Low,
                tags: vec![],
            }),
            kind: AlertKind::Match,
            entity: vec![("user.name".into(), user.into())],
            pi: vec![],
            window: None,
            log: LogRef {
                path: "-".into(),
                line: 1,
                offset: 0,
            },
            first: None,
            message: String::new(),
            suppressed: 0,
        }
    }

    #[test]
    fn suppresses_within_window_and_reports_count() {
        let mut s = Suppressor::new(60 * Timestamp::NANOS_PER_SEC, 100);
        assert!(s.admit(&mut alert("a", 0)));
        assert!(!s.admit(&mut alert("a", 10)));
        assert!(!s.admit(&mut alert("a", 59)));
        assert!(
            s.admit(&mut alert("b", 59)),
            "other entity is not suppressed"
        );
        let mut later = alert("a", 60);
        assert!(
            s.admit(&mut later),
            "exactly at the window edge is delivered"
        );
        assert_eq!(later.suppressed, 2);
        assert_eq!(s.total_suppressed(), 2);
    }

    #[test]
    fn zero_window_disables_and_cap_bounds_keys() {
        let mut s = Suppressor::new(0, 10);
        assert!(s.admit(&mut alert("a", 0)) && s.admit(&mut alert("a", 0)));
        let mut s = Suppressor::new(1_000 * Timestamp::NANOS_PER_SEC, 10);
        for i in 0..1000 {
            s.admit(&mut alert(&format!("u{i}"), i));
        }
        assert!(s.keys.len() <= 10);
    }
}
