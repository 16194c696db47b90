//! Learned per-entity baselines: picket's `new_terms`, `anomaly` and
//! `off_hours` correlation types.
//!
//! Each entity (one `group-by` key of one rule) keeps a compact model that
//! only ever moves forward in event time, so a replay learns the same
//! baseline whatever the thread count. Entities are identified by a keyed
//! fingerprint of their group key, never by the key itself: the models
//! can be written to the state directory without carrying user names or
//! terms (SPEC §4, §8).

use crate::event::Timestamp;
use std::collections::BTreeSet;

const HOUR_NS: i64 = 3_600 * Timestamp::NANOS_PER_SEC;
const DAY_NS: i64 = 24 * HOUR_NS;

/// Closed windows an `anomaly` entity needs besides its learning period:
/// one or two windows say nothing about spread.
pub(crate) const MIN_WINDOWS: u32 = 3;

/// Most terms one `new_terms` entity remembers; beyond it the term seen
/// longest ago is forgotten (it would alert again if it came back).
pub(crate) const MAX_TERMS: usize = 4_096;

/// Values a distinct-count sketch keeps; exact below this.
const KMV_K: usize = 256;

/// What an `anomaly` rule measures per window.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Events (`x-picket-measure: events`, the default).
    Events,
    /// Distinct values of `condition.field` (`distinct`).
    Distinct,
    /// Sum of the numeric `condition.field` (`sum`), e.g. response bytes.
    Sum,
}

impl Measure {
    /// The name in rules.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Events => "events",
            Measure::Distinct => "distinct",
            Measure::Sum => "sum",
        }
    }

    /// Parses `x-picket-measure`.
    pub fn parse(s: &str) -> Option<Measure> {
        Some(match s.trim() {
            "events" => Measure::Events,
            "distinct" => Measure::Distinct,
            "sum" => Measure::Sum,
            _ => return None,
        })
    }
}

/// Tunables of the baseline types (`x-picket-*` keys under `correlation`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BehaviourParams {
    /// Event time after an entity is first seen during which it raises no
    /// alerts (`x-picket-learning`, default 7 days).
    pub learning_ns: i64,
    /// `anomaly`: how many spreads above the baseline a window must be
    /// (`x-picket-sensitivity`, default 3).
    pub sensitivity: f64,
    /// `off_hours`: half-life of the working-time profile
    /// (`x-picket-half-life`, default 30 days).
    pub half_life_ns: i64,
    /// `off_hours`: share of the profile under which a time of day or day
    /// of week is unusual (`x-picket-min-share`, default 0.02).
    pub min_share: f64,
}

impl Default for BehaviourParams {
    fn default() -> Self {
        BehaviourParams {
            learning_ns: 7 * DAY_NS,
            sensitivity: 3.0,
            half_life_ns: 30 * DAY_NS,
            min_share: 0.02,
        }
    }
}

/// Business hours (SPEC §5 `staff.business_hours`, `staff.timezone`):
/// Monday–Friday, `start..end` minutes of the local day.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BusinessHours {
    start_min: i64,
    end_min: i64,
    offset_min: i64,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            start_min: 8 * 60,
            end_min: 19 * 60,
            offset_min: 0,
        }
    }
}

impl BusinessHours {
    /// Parses `HH:MM-HH:MM` and a time zone (`UTC` or a fixed offset such
    /// as `+05:30`; named zones with daylight saving are not supported).
    pub fn parse(hours: &str, timezone: &str) -> Result<BusinessHours, String> {
        let hm = |s: &str| -> Option<i64> {
            let (h, m) = s.trim().split_once(':')?;
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440)
                .then_some(h * 60 + m)
        };
        let bad_hours = || format!("staff.business_hours: `{hours}` is not `HH:MM-HH:MM`");
        let (a, b) = hours.split_once('-').ok_or_else(bad_hours)?;
        let (start_min, end_min) = (hm(a).ok_or_else(bad_hours)?, hm(b).ok_or_else(bad_hours)?);
        if start_min == end_min {
            return Err(format!("staff.business_hours: `{hours}` is empty"));
        }
        let tz = timezone.trim();
        let offset_min = match tz {
            "UTC" | "Z" | "utc" | "Etc/UTC" | "GMT" => 0,
            _ => {
                let bad =
                    || format!("staff.timezone: `{tz}` is not UTC or a fixed offset like `+05:30`");
                let (sign, rest) = match tz.strip_prefix('+') {
                    Some(r) => (1, r),
                    None => (-1, tz.strip_prefix('-').ok_or_else(bad)?),
                };
                let m = hm(rest).filter(|m| *m <= 14 * 60).ok_or_else(bad)?;
                sign * m
            }
        };
        Ok(BusinessHours {
            start_min,
            end_min,
            offset_min,
        })
    }

    /// Local hour of week (0 = Monday 00:00–01:00) of an event time.
    pub(crate) fn hour_of_week(&self, t: i64) -> usize {
        let local = t + self.offset_min * 60 * Timestamp::NANOS_PER_SEC;
        let days = local.div_euclid(DAY_NS);
        // 1970-01-01 was a Thursday (3 with Monday = 0).
        let weekday = (days + 3).rem_euclid(7);
        let hour = local.rem_euclid(DAY_NS) / HOUR_NS;
        (weekday * 24 + hour) as usize
    }

    /// Whether an event time falls inside business hours.
    pub(crate) fn contains(&self, t: i64) -> bool {
        let local = t + self.offset_min * 60 * Timestamp::NANOS_PER_SEC;
        let weekday = (local.div_euclid(DAY_NS) + 3).rem_euclid(7);
        if weekday >= 5 {
            return false;
        }
        let m = local.rem_euclid(DAY_NS) / (60 * Timestamp::NANOS_PER_SEC);
        if self.start_min < self.end_min {
            (self.start_min..self.end_min).contains(&m)
        } else {
            // A night shift: `22:00-06:00`.
            m >= self.start_min || m < self.end_min
        }
    }
}

/// A K-minimum-values distinct-count sketch: exact up to [`KMV_K`] values,
/// then an estimate within a few percent, in bounded memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Kmv {
    mins: BTreeSet<u64>,
}

impl Kmv {
    /// Adds a (well-mixed) hash.
    pub fn insert(&mut self, h: u64) {
        if self.mins.len() < KMV_K {
            self.mins.insert(h);
        } else if self.mins.last().is_some_and(|&m| h < m) && self.mins.insert(h) {
            self.mins.pop_last();
        }
    }

    /// The number of distinct values added.
    pub fn estimate(&self) -> f64 {
        match self.mins.last() {
            Some(&max) if self.mins.len() >= KMV_K => {
                (KMV_K as f64 - 1.0) * (u64::MAX as f64) / (max as f64).max(1.0)
            }
            _ => self.mins.len() as f64,
        }
    }
}

/// `new_terms`: the terms an entity used, with when it last used each.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Terms {
    pub seen: super::fpmap::FpMap<i64>,
}

impl Terms {
    /// Records term `fp` at `t`; returns whether it is new (never seen, or
    /// not within `memory_ns` when that is set).
    pub fn observe(&mut self, fp: u64, t: i64, memory_ns: i64) -> bool {
        let new = match self.seen.get(&fp) {
            None => true,
            Some(&last) => memory_ns > 0 && t.saturating_sub(last) > memory_ns,
        };
        let last = self.seen.entry(fp).or_insert(t);
        *last = (*last).max(t);
        if self.seen.len() > MAX_TERMS {
            // Rare (an entity with thousands of terms): a scan is fine.
            if let Some((&old, _)) = self.seen.iter().min_by_key(|(k, v)| (**v, **k)) {
                self.seen.remove(&old);
            }
        }
        new
    }
}

/// `anomaly`: the open window and the baseline of closed ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Volume {
    /// Index of the open window (event time / timespan).
    pub bucket: i64,
    /// The open window's value so far.
    pub value: f64,
    /// Events in the open window.
    pub events: u64,
    /// First event of the open window (for the alert).
    pub first: Option<(i64, crate::alert::LogRef)>,
    /// `distinct`: the open window's values.
    pub sketch: Kmv,
    /// Whether the open window already alerted.
    pub fired: bool,
    /// Closed windows with at least one event.
    pub windows: u32,
    /// EWMA of the closed windows' values.
    pub mean: f64,
    /// EWMA of the absolute deviation from `mean` (a MAD-like spread).
    pub dev: f64,
    /// The same baseline per hour of day (UTC) of the window's start, so a
    /// regular nightly peak is compared with other nights: empty until the
    /// first window closes, then 24 entries.
    pub hourly: Vec<Ewma>,
}

/// An exponentially weighted mean and absolute deviation.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(crate) struct Ewma {
    /// Values learned.
    pub n: u32,
    /// Weighted mean.
    pub mean: f64,
    /// Weighted absolute deviation from the mean.
    pub dev: f64,
}

impl Ewma {
    /// The spread the threshold uses (see [`REL_FLOOR`]).
    pub fn spread(&self) -> f64 {
        self.dev.max(REL_FLOOR * self.mean).max(1.0)
    }

    /// The value above which a window is anomalous.
    pub fn limit(&self, k: f64) -> f64 {
        self.mean + k * self.spread()
    }

    /// Learns `x`: a plain average while warming up, then exponential.
    pub fn learn(&mut self, x: f64) {
        if self.n == 0 {
            self.mean = x;
            self.dev = 0.0;
        } else {
            let a = (1.0 / (f64::from(self.n) + 1.0)).max(ALPHA);
            self.dev = (1.0 - a) * self.dev + a * (x - self.mean).abs();
            self.mean = (1.0 - a) * self.mean + a * x;
        }
        self.n = self.n.saturating_add(1);
    }
}

/// Weight of a new window in the EWMA once warmed up: about the last ten
/// active windows count (ten nights for a nightly job with `timespan: 1d`).
const ALPHA: f64 = 0.1;

/// Spread floor as a share of the mean, so that a perfectly regular
/// entity (the same backup every night) does not alert on a small change.
const REL_FLOOR: f64 = 0.5;

impl Volume {
    /// The baseline over every active window.
    pub fn overall(&self) -> Ewma {
        Ewma {
            n: self.windows,
            mean: self.mean,
            dev: self.dev,
        }
    }

    /// The value above which the open window is anomalous: above the
    /// overall baseline's limit, and above the limit of the same hour of
    /// day once that hour has [`MIN_WINDOWS`] windows of history.
    pub fn limit(&self, k: f64, timespan_ns: i64) -> f64 {
        self.baseline(k, timespan_ns).limit(k)
    }

    /// The baseline that sets the limit: the overall one, or the same hour
    /// of day's when that is higher (and has enough history).
    pub fn baseline(&self, k: f64, timespan_ns: i64) -> Ewma {
        let all = self.overall();
        match self.hourly.get(hour_of_day(self.bucket, timespan_ns)) {
            Some(h) if h.n >= MIN_WINDOWS && h.limit(k) > all.limit(k) => *h,
            _ => all,
        }
    }

    /// Closes the open window into the baselines. Windows without events
    /// never reach here: the baseline is what the entity does when active.
    /// Once learned, a value is capped at the limit before it is learned so
    /// one exfiltration does not teach that exfiltration is normal.
    pub fn close(&mut self, k: f64, timespan_ns: i64, learned: bool) {
        if self.events == 0 {
            return;
        }
        let x = if learned {
            self.value.min(self.limit(k, timespan_ns))
        } else {
            self.value
        };
        let mut all = self.overall();
        all.learn(x);
        (self.windows, self.mean, self.dev) = (all.n, all.mean, all.dev);
        if self.hourly.is_empty() {
            self.hourly = vec![Ewma::default(); 24];
        }
        if let Some(h) = self.hourly.get_mut(hour_of_day(self.bucket, timespan_ns)) {
            h.learn(x);
        }
        self.value = 0.0;
        self.events = 0;
        self.first = None;
        self.sketch = Kmv::default();
        self.fired = false;
    }
}

/// UTC hour of day at which window `bucket` starts.
fn hour_of_day(bucket: i64, timespan_ns: i64) -> usize {
    let start = bucket.saturating_mul(timespan_ns.max(1));
    (start.rem_euclid(DAY_NS) / HOUR_NS) as usize
}

/// `off_hours`: the hour-of-week working-time profile, decayed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hours {
    /// Active hours per local hour of week (Monday 00h first), decayed.
    pub bins: Vec<f64>,
    /// Event time the bins were last decayed to.
    pub decayed_at: i64,
    /// The last hour (event time / 1h) counted: an entity adds at most one
    /// to its profile per hour, however many requests it makes.
    pub last_hour: i64,
}

impl Default for Hours {
    fn default() -> Self {
        Hours {
            bins: vec![0.0; 168],
            decayed_at: i64::MIN,
            last_hour: i64::MIN,
        }
    }
}

impl Hours {
    /// Decays the profile to `t` (halving every `half_life_ns`).
    pub fn decay(&mut self, t: i64, half_life_ns: i64) {
        if self.decayed_at != i64::MIN && t > self.decayed_at && half_life_ns > 0 {
            let f = 0.5f64.powf((t - self.decayed_at) as f64 / half_life_ns as f64);
            self.bins.iter_mut().for_each(|b| *b *= f);
        }
        self.decayed_at = self.decayed_at.max(t);
    }

    /// Whether local hour of week `how` is unusual for this profile: the
    /// hour of day (±1 h, any day) or the day of week holds less than
    /// `min_share` of the activity.
    pub fn unusual(&self, how: usize, min_share: f64) -> bool {
        let total: f64 = self.bins.iter().sum();
        if total <= 0.0 {
            return true;
        }
        let hour = how % 24;
        let day = how / 24;
        let mut hod = 0.0;
        for d in 0..7 {
            for dh in [23, 0, 1] {
                hod += self
                    .bins
                    .get(d * 24 + (hour + dh) % 24)
                    .copied()
                    .unwrap_or(0.0);
            }
        }
        let dow: f64 = self.bins.iter().skip(day * 24).take(24).sum();
        hod / total < min_share || dow / total < min_share
    }

    /// Counts hour `how` active (once per hour of event time).
    pub fn add(&mut self, t: i64, how: usize) {
        let hour = t.div_euclid(HOUR_NS);
        if hour != self.last_hour {
            self.last_hour = hour;
            if let Some(b) = self.bins.get_mut(how) {
                *b += 1.0;
            }
        }
    }
}

/// `sequential`: the current run of consecutive trailing numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Run {
    /// Hash of the text before the trailing number (`cust_`).
    pub prefix: u64,
    /// The last number of the run.
    pub last: u64,
    /// Values in the run.
    pub len: u64,
    /// First value of the run: time and origin.
    pub start: Option<(i64, crate::alert::LogRef)>,
    /// Whether this run already alerted (one alert per run).
    pub fired: bool,
}

/// Largest step between two values that still counts as consecutive:
/// enumeration skips ids that were deleted or never existed.
const MAX_STEP: u64 = 3;

impl Run {
    /// Extends or restarts the run with `text` at `t`; returns the run's
    /// length. A value without a trailing number ends the run.
    pub fn push(
        &mut self,
        text: &str,
        t: i64,
        timespan_ns: i64,
        log: &crate::alert::LogRef,
    ) -> u64 {
        let digits = text.bytes().rev().take_while(u8::is_ascii_digit).count();
        let (head, tail) = text.split_at(text.len() - digits);
        let Some(n) = tail
            .get(tail.len().saturating_sub(18)..)
            .and_then(|d| d.parse::<u64>().ok())
        else {
            *self = Run::default();
            return 0;
        };
        let prefix = super::observe::value_hash(head);
        let step = n.wrapping_sub(self.last);
        let in_time = self
            .start
            .as_ref()
            .is_some_and(|s| t.saturating_sub(s.0) <= timespan_ns);
        if self.len > 0 && prefix == self.prefix && (1..=MAX_STEP).contains(&step) && in_time {
            self.len += 1;
        } else if !(self.len > 0 && prefix == self.prefix && n == self.last && in_time) {
            // A repeat of the last value neither extends nor breaks the run.
            *self = Run {
                prefix,
                last: n,
                len: 1,
                start: Some((t, log.clone())),
                fired: false,
            };
            return 1;
        }
        self.last = n;
        self.len
    }
}

/// One entity's model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Model {
    /// `sequential` (not persisted: a run lasts minutes).
    Run(Run),
    /// `new_terms`.
    Terms(Terms),
    /// `anomaly`.
    Volume(Box<Volume>),
    /// `off_hours`.
    Hours(Hours),
}

/// One entity of one baseline rule.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entity {
    /// When it was first seen (its learning period starts there).
    pub first: i64,
    /// When it was last updated (eviction order).
    pub last: i64,
    /// Its model.
    pub model: Model,
}

impl Entity {
    /// Whether the learning period is over at `t`.
    pub fn learned(&self, t: i64, p: &BehaviourParams) -> bool {
        t.saturating_sub(self.first) >= p.learning_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_NS;
    /// Monday 2026-03-02 00:00 UTC.
    const MON: i64 = 1_772_409_600 * Timestamp::NANOS_PER_SEC;

    #[test]
    fn hour_of_week_and_business_hours() {
        let bh = BusinessHours::default();
        assert_eq!(bh.hour_of_week(MON), 0);
        assert_eq!(bh.hour_of_week(MON + 9 * H + 59 * 60 * 1_000_000_000), 9);
        assert_eq!(bh.hour_of_week(MON + 6 * DAY_NS + 23 * H), 167);
        assert!(!bh.contains(MON + 8 * H - 1), "07:59:59.999 is before");
        assert!(bh.contains(MON + 8 * H), "08:00 is inside");
        assert!(!bh.contains(MON + 19 * H), "19:00 is after");
        assert!(!bh.contains(MON + 5 * DAY_NS + 10 * H), "Saturday");
        let ist = BusinessHours::parse("09:00-17:30", "+05:30").unwrap();
        // 04:00 UTC is 09:30 in India.
        assert!(ist.contains(MON + 4 * H));
        assert!(!ist.contains(MON + 12 * H));
        let night = BusinessHours::parse("22:00-06:00", "UTC").unwrap();
        assert!(night.contains(MON + 23 * H) && night.contains(MON + DAY_NS + 2 * H));
        for (h, tz) in [
            ("8-19", "UTC"),
            ("08:00-08:00", "UTC"),
            ("08:00-19:00", "Europe/Paris"),
        ] {
            assert!(BusinessHours::parse(h, tz).is_err(), "{h} {tz}");
        }
    }

    #[test]
    fn runs_of_consecutive_ids() {
        let log = crate::alert::LogRef {
            path: "t".into(),
            line: 1,
            offset: 0,
        };
        let mut r = Run::default();
        let ten = 10 * 60 * Timestamp::NANOS_PER_SEC;
        let mut push = |s: &str, t: i64| r.push(s, t, ten, &log);
        assert_eq!(push("cust_0041", 0), 1);
        assert_eq!(push("cust_0042", 1), 2);
        assert_eq!(
            push("cust_0042", 2),
            2,
            "a repeat neither extends nor breaks"
        );
        assert_eq!(push("cust_0045", 3), 3, "a gap of 3 is tolerated");
        assert_eq!(push("cust_0049", 4), 1, "a gap of 4 restarts");
        assert_eq!(push("inv_0050", 5), 1, "another prefix restarts");
        assert_eq!(
            push("inv_0051", ten + 5),
            2,
            "exactly timespan after the start"
        );
        assert_eq!(push("inv_0052", ten + 6), 1, "beyond the timespan restarts");
        assert_eq!(push("readme", ten + 7), 0);
        assert_eq!(
            push("x99999999999999999999999", ten + 8),
            1,
            "long runs of digits"
        );
    }

    #[test]
    fn kmv_is_exact_then_close() {
        let mut k = Kmv::default();
        let mix = |i: u64| crate::detect::correlation::observe::value_hash(&i.to_string());
        for i in 0..200 {
            k.insert(mix(i));
            k.insert(mix(i));
        }
        assert_eq!(k.estimate(), 200.0);
        for i in 200..20_000 {
            k.insert(mix(i));
        }
        let e = k.estimate();
        assert!((e - 20_000.0).abs() < 3_000.0, "{e}");
        assert!(k.mins.len() <= KMV_K);
    }

    #[test]
    fn terms_are_new_once_and_forgotten_after_memory() {
        let mut t = Terms::default();
        assert!(t.observe(1, 0, 0));
        assert!(!t.observe(1, 10 * DAY_NS, 0));
        assert!(t.observe(2, 10 * DAY_NS, 0));
        assert!(t.observe(1, 50 * DAY_NS, 30 * DAY_NS), "forgotten");
        for i in 0..(MAX_TERMS as u64 + 10) {
            t.observe(100 + i, i as i64, 0);
        }
        assert!(t.seen.len() <= MAX_TERMS);
    }

    #[test]
    fn volume_baseline_is_robust() {
        let mut v = Volume::default();
        let k = 3.0;
        let ts = HOUR_NS;
        for (i, x) in [100.0, 120.0, 90.0, 110.0, 100.0].into_iter().enumerate() {
            v.bucket = i as i64 * 24;
            v.value = x;
            v.events = 1;
            v.close(k, ts, false);
        }
        assert!((v.mean - 104.0).abs() < 1.0, "{}", v.mean);
        // Spread floor: half the mean, so the limit is at least 2.5× mean.
        assert!(v.limit(k, ts) >= 2.5 * v.mean);
        assert!(
            v.limit(k, ts) < 1_000.0,
            "an order of magnitude is above it"
        );
        // One huge window, learned, is capped before it is learned.
        v.value = 1e9;
        v.events = 1;
        let before = v.limit(k, ts);
        v.close(k, ts, true);
        assert!(v.mean < before, "mean {} moved by at most the cap", v.mean);
        // Windows without events are not learned.
        let w = v.windows;
        v.close(k, ts, true);
        assert_eq!(v.windows, w);
        // Hour 0 had six windows; a peak learned at 02:00 every night
        // raises the limit at 02:00 only.
        for night in 0..5 {
            v.bucket = night * 24 + 2;
            v.value = 5_000.0;
            v.events = 1;
            v.close(k, ts, false);
        }
        v.bucket = 30 * 24 + 2;
        let at_two = v.limit(k, ts);
        assert!(at_two >= 12_500.0, "2.5 × the nightly 5,000: {at_two}");
        v.bucket = 30 * 24 + 3;
        assert!(v.limit(k, ts) < at_two, "{}", v.limit(k, ts));
    }

    #[test]
    fn hours_profile_decays_and_flags_unusual_times() {
        let bh = BusinessHours::default();
        let mut h = Hours::default();
        // Two weeks of 09:00–17:00 Monday–Friday, several events per hour.
        for day in 0..14 {
            if day % 7 >= 5 {
                continue;
            }
            for hour in 9..17 {
                for m in 0..3 {
                    let t = MON + day * DAY_NS + hour * H + m * 600 * Timestamp::NANOS_PER_SEC;
                    h.decay(t, 30 * DAY_NS);
                    h.add(t, bh.hour_of_week(t));
                }
            }
        }
        let total: f64 = h.bins.iter().sum();
        assert!(
            total > 70.0 && total <= 80.0,
            "one per hour, decayed: {total}"
        );
        assert!(!h.unusual(bh.hour_of_week(MON + 10 * H), 0.02));
        assert!(
            !h.unusual(bh.hour_of_week(MON + 17 * H), 0.02),
            "next to usual"
        );
        assert!(h.unusual(bh.hour_of_week(MON + 3 * H), 0.02), "03:00");
        assert!(
            h.unusual(bh.hour_of_week(MON + 5 * DAY_NS + 10 * H), 0.02),
            "Saturday"
        );
        // Decay halves after one half-life.
        let before: f64 = h.bins.iter().sum();
        let t = h.decayed_at + 30 * DAY_NS;
        h.decay(t, 30 * DAY_NS);
        let after: f64 = h.bins.iter().sum();
        assert!((after - before / 2.0).abs() < 1e-9);
    }
}
