//! The stateful half: reorder by event time, group windows, alerts.

use super::Observation;
use super::baseline::BusinessHours;
use super::behave::{EntityKey, Learned};
use super::persist::RuleBaseline;
use super::plan::{CorrelationPlan, CorrelationRule, MAX_CHAIN};
use super::window::{Entry, Window};
use crate::alert::{Alert, AlertKind, Window as AlertWindow};
use crate::detect::rule::RuleSet;
use crate::event::Timestamp;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

/// Bounds and tolerances of the correlation engine (`[correlation]` in the
/// config file).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CorrelationSettings {
    /// How far (ns of event time) an observation may arrive behind the
    /// newest one and still be placed in order. Later ones are dropped and
    /// counted (`late`). Alerts are delayed by up to this much event time.
    pub lateness_ns: i64,
    /// Most groups kept per correlation rule; beyond it the group updated
    /// longest ago is evicted (counted).
    pub max_groups: usize,
    /// Most events kept in one group's window; beyond it the oldest are
    /// dropped (counted as `truncated`; counts may then be low).
    pub max_entries: usize,
    /// Business hours for `off_hours` rules (SPEC §5 `staff`).
    pub business_hours: BusinessHours,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        CorrelationSettings {
            lateness_ns: 30 * Timestamp::NANOS_PER_SEC,
            max_groups: 10_000,
            max_entries: 10_000,
            business_hours: BusinessHours::default(),
        }
    }
}

/// Why an observation did not count, or an event left a window early.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// It arrived more than the lateness behind the newest event.
    Late,
    /// The event had no timestamp.
    NoTimestamp,
    /// The window held `max_entries` events; the oldest was dropped.
    Truncated,
}

impl DropReason {
    /// The `reason` metric label.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Late => "late",
            DropReason::NoTimestamp => "no_timestamp",
            DropReason::Truncated => "truncated",
        }
    }
}

/// An observation waiting for the watermark, ordered by (time, arrival).
#[derive(Debug)]
struct Pending {
    time: i64,
    seq: u64,
    obs: Observation,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

type Key = Box<[Option<Box<str>>]>;

/// One group: its key, window, and position in the update order.
#[derive(Debug)]
struct Group {
    key: Key,
    window: Window,
    stamp: (i64, u64),
}

/// The groups of one correlation rule.
#[derive(Debug, Default)]
struct RuleState {
    index: HashMap<Key, u32>,
    slab: Vec<Option<Group>>,
    free: Vec<u32>,
    /// Groups by last update, oldest first: eviction and expiry order.
    order: BTreeMap<(i64, u64), u32>,
}

impl RuleState {
    fn remove(&mut self, id: u32) -> Option<Group> {
        let g = self.slab.get_mut(id as usize)?.take()?;
        self.index.remove(&g.key);
        self.order.remove(&g.stamp);
        self.free.push(id);
        Some(g)
    }
}

/// Counts since the last [`CorrelationEngine::drain_counts`], per rule.
#[derive(Debug, Default, Clone)]
pub(super) struct Counts {
    pub(super) evicted: u64,
    dropped: BTreeMap<DropReason, u64>,
}

/// Correlation state: the reorder buffer and every group's window. Fed on
/// the collector thread, in input order; emits correlation alerts.
#[derive(Debug)]
pub struct CorrelationEngine {
    pub(super) rules: Arc<RuleSet>,
    pub(super) settings: CorrelationSettings,
    pending: BinaryHeap<Reverse<Pending>>,
    pub(super) seq: u64,
    newest: Option<i64>,
    released: Option<i64>,
    state: Vec<RuleState>,
    pub(super) counts: Vec<Counts>,
    /// Per correlation: the entities of a baseline type (`None` otherwise).
    pub(super) learned: Vec<Option<Learned>>,
    /// Keys entity and term fingerprints (see [`EntityKey`]).
    pub(super) entity_key: EntityKey,
    /// Restored baselines of rules not loaded in this run, saved again.
    pub(super) orphans: BTreeMap<String, RuleBaseline>,
}

impl CorrelationEngine {
    /// An engine for the correlations of a rule set.
    pub fn new(rules: Arc<RuleSet>, settings: CorrelationSettings) -> Self {
        let n = rules.correlations().rules().len();
        let learned = rules
            .correlations()
            .rules()
            .iter()
            .map(|r| r.kind.is_behavioural().then(Learned::default))
            .collect();
        CorrelationEngine {
            learned,
            // Replaced by the configured key (`set_key`) in real runs;
            // tests and `rules test` keep no state, so any key does.
            entity_key: EntityKey::new(b"picket"),
            orphans: BTreeMap::new(),
            rules,
            settings,
            pending: BinaryHeap::new(),
            seq: 0,
            newest: None,
            released: None,
            state: (0..n).map(|_| RuleState::default()).collect(),
            counts: vec![Counts::default(); n],
        }
    }

    /// Keys the fingerprints that name baseline entities and terms: the
    /// PI fingerprint key (SPEC §4), so state files are as safe as alerts.
    /// Call before [`CorrelationEngine::restore`].
    pub fn set_key(&mut self, fingerprint_key: &[u8]) {
        self.entity_key = EntityKey::new(fingerprint_key);
    }

    /// Whether the rule set has correlations at all (if not, feeding is a no-op).
    pub fn is_active(&self) -> bool {
        !self.state.is_empty()
    }

    /// Groups currently held, over all correlation rules.
    pub fn groups(&self) -> usize {
        self.state.iter().map(|s| s.index.len()).sum()
    }

    /// Observations waiting for the watermark.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes one observation (in input order). Observations up to
    /// `lateness` behind the newest are processed in event-time order;
    /// alerts go to `out`.
    pub fn feed(&mut self, obs: Observation, out: &mut Vec<Alert>) {
        let plan = self.rules.clone();
        let plan = plan.correlations();
        let Some(t) = obs.time.map(|t| t.0) else {
            self.drop_obs(plan, &obs, DropReason::NoTimestamp);
            return;
        };
        if self.released.is_some_and(|r| t < r) {
            self.drop_obs(plan, &obs, DropReason::Late);
            return;
        }
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            time: t,
            seq: self.seq,
            obs,
        }));
        let newest = self.newest.map_or(t, |n| n.max(t));
        self.newest = Some(newest);
        self.release(plan, newest.saturating_sub(self.settings.lateness_ns), out);
    }

    /// Processes everything still waiting (end of input, or a daemon
    /// flush): the watermark jumps to the newest event.
    pub fn flush(&mut self, out: &mut Vec<Alert>) {
        let plan = self.rules.clone();
        self.release(plan.correlations(), i64::MAX, out);
    }

    /// Reports and resets the counts since the last call: `(rule id,
    /// None, n)` for evicted groups, `(rule id, Some(reason), n)` for drops.
    pub fn drain_counts(&mut self, mut f: impl FnMut(&str, Option<DropReason>, u64)) {
        let plan = self.rules.correlations();
        for (c, counts) in self.counts.iter_mut().enumerate() {
            let Some(rule) = plan.rules.get(c) else {
                continue;
            };
            if counts.evicted > 0 {
                f(&rule.info.id, None, std::mem::take(&mut counts.evicted));
            }
            for (r, n) in std::mem::take(&mut counts.dropped) {
                f(&rule.info.id, Some(r), n);
            }
        }
    }

    fn drop_obs(&mut self, plan: &CorrelationPlan, obs: &Observation, why: DropReason) {
        for tap in plan.taps.get(obs.rule as usize).into_iter().flatten() {
            if tap.direct {
                if let Some(c) = self.counts.get_mut(tap.corr as usize) {
                    *c.dropped.entry(why).or_default() += 1;
                }
            }
        }
    }

    fn release(&mut self, plan: &CorrelationPlan, up_to: i64, out: &mut Vec<Alert>) {
        while self.pending.peek().is_some_and(|p| p.0.time <= up_to) {
            let Some(Reverse(p)) = self.pending.pop() else {
                break;
            };
            self.released = Some(p.time);
            let obs = p.obs;
            let taps = plan.taps.get(obs.rule as usize).map_or(&[][..], |t| &t[..]);
            for (i, tap) in taps.iter().enumerate() {
                if tap.direct {
                    self.update(plan, tap.corr, tap.slot, &obs, i, out, 0);
                }
            }
        }
        self.expire(plan);
    }

    /// Drops groups that had no event within their timespan before the
    /// watermark: their windows are empty from now on.
    fn expire(&mut self, plan: &CorrelationPlan) {
        let Some(now) = self.released else {
            return;
        };
        for (c, st) in self.state.iter_mut().enumerate() {
            let Some(rule) = plan.rules.get(c) else {
                continue;
            };
            let cutoff = now.saturating_sub(rule.timespan_ns);
            while let Some((&stamp, &id)) = st.order.first_key_value() {
                if stamp.0 >= cutoff {
                    break;
                }
                st.remove(id);
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // recursion over a chain; a struct would only rename these
    fn update(
        &mut self,
        plan: &CorrelationPlan,
        c: u32,
        slot: u16,
        obs: &Observation,
        tap: usize,
        out: &mut Vec<Alert>,
        depth: usize,
    ) {
        let (Some(rule), Some(tv), Some(t)) = (
            plan.rules.get(c as usize),
            obs.taps.get(tap),
            obs.time.map(|t| t.0),
        ) else {
            return;
        };
        if rule.kind.has_field() && tv.value.is_none() {
            return;
        }
        if rule.kind.is_behavioural() {
            // Baseline types keep per-entity models, not windows, and are
            // not chained into other correlations.
            self.behave(c as usize, rule, tv, obs, t, out);
            return;
        }
        self.seq += 1;
        let stamp = (t, self.seq);
        let id = self.group(c, &tv.key, stamp);
        let max = self.settings.max_entries;
        let Some(Some(g)) = self.state[c as usize].slab.get_mut(id as usize) else {
            return;
        };
        g.window.evict_before(t.saturating_sub(rule.timespan_ns));
        let entry = Entry {
            time: t,
            slot,
            value: tv.value,
            log: obs.log.clone(),
        };
        if g.window.push(entry, max) {
            *self.counts[c as usize]
                .dropped
                .entry(DropReason::Truncated)
                .or_default() += 1;
        }
        let Some(agg) = g
            .window
            .aggregate(rule)
            .filter(|v| rule.threshold.holds(*v))
        else {
            return;
        };
        if rule.emits {
            out.push(alert(rule, &g.key, &g.window, agg, obs));
        }
        g.window.clear();
        if depth >= MAX_CHAIN {
            return;
        }
        let parents = plan.parents.get(c as usize).map_or(&[][..], |p| &p[..]);
        let taps = plan.taps.get(obs.rule as usize).map_or(&[][..], |t| &t[..]);
        for &(p, ps) in parents {
            if let Some(j) = taps
                .iter()
                .position(|x| x.corr == p && x.slot == ps && !x.direct)
            {
                self.update(plan, p, ps, obs, j, out, depth + 1);
            }
        }
    }

    /// The group of `key` in correlation `c`, created if needed (evicting
    /// the group updated longest ago when at the cap), stamped `stamp`.
    fn group(&mut self, c: u32, key: &[Option<Box<str>>], stamp: (i64, u64)) -> u32 {
        let max_groups = self.settings.max_groups.max(1);
        let st = &mut self.state[c as usize];
        if let Some(&id) = st.index.get(key) {
            if let Some(Some(g)) = st.slab.get_mut(id as usize) {
                st.order.remove(&g.stamp);
                g.stamp = stamp;
                st.order.insert(stamp, id);
            }
            return id;
        }
        while st.index.len() >= max_groups {
            let Some((_, &oldest)) = st.order.first_key_value() else {
                break;
            };
            st.remove(oldest);
            self.counts[c as usize].evicted += 1;
        }
        let group = Group {
            key: key.into(),
            window: Window::default(),
            stamp,
        };
        let id = match st.free.pop() {
            Some(id) => {
                st.slab[id as usize] = Some(group);
                id
            }
            None => {
                st.slab.push(Some(group));
                (st.slab.len() - 1) as u32
            }
        };
        st.index.insert(key.into(), id);
        st.order.insert(stamp, id);
        id
    }
}

/// The alert for a window that met its condition.
fn alert(
    rule: &CorrelationRule,
    key: &[Option<Box<str>>],
    window: &Window,
    agg: f64,
    obs: &Observation,
) -> Alert {
    let entity: Vec<(String, String)> = rule
        .group_by
        .iter()
        .zip(key)
        .filter_map(|(n, v)| Some((n.clone(), v.as_deref()?.to_owned())))
        .collect();
    let (first, last) = match window.first_last() {
        Some((f, l)) => (Some(f), Some(l)),
        None => (None, None),
    };
    let numeric = rule.kind.is_numeric();
    let what = match rule.kind {
        super::CorrelationKind::EventCount => "events".to_owned(),
        super::CorrelationKind::ValueCount => {
            format!("distinct {}", rule.field.as_deref().unwrap_or("values"))
        }
        super::CorrelationKind::Temporal | super::CorrelationKind::TemporalOrdered => {
            format!("of {} rules", rule.refs.len())
        }
        k => format!("{} of {}", k.name(), rule.field.as_deref().unwrap_or("-")),
    };
    let who = if entity.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = entity.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(" for {}", parts.join(", "))
    };
    Alert {
        timestamp: obs.time,
        rule: rule.info.clone(),
        kind: AlertKind::Correlation,
        entity,
        pi: Vec::new(),
        window: Some(AlertWindow {
            start: first.map(|e| Timestamp(e.time)),
            end: last.map(|e| Timestamp(e.time)),
            count: window.len() as u64,
            distinct: (rule.kind == super::CorrelationKind::ValueCount)
                .then_some(window.distinct() as u64),
            sum: numeric.then_some(window.sum()),
        }),
        log: last.map_or_else(|| obs.log.clone(), |e| e.log.clone()),
        first: first.map(|e| e.log.clone()),
        message: format!(
            "{}: {} {what} ({}) within {}{who}",
            rule.info.title,
            fmt_num(agg),
            rule.threshold,
            fmt_span(rule.timespan_ns),
        ),
        suppressed: 0,
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

/// A timespan as written in rules: the largest whole unit.
pub(crate) fn fmt_span(ns: i64) -> String {
    let s = ns / Timestamp::NANOS_PER_SEC;
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s >= n && s % n == 0 {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}
