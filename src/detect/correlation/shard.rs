//! One shard of correlation state: the groups and entities whose keys
//! route to it, a reorder buffer, and the windows.
//!
//! The [`CorrelationEngine`](super::CorrelationEngine) decides lateness and
//! order (a global sequence number per observation) and routes each
//! (observation, tap) to one shard by its group fingerprint, so a group's
//! whole history lives in one shard and is processed in the same order as
//! in a single-shard run. Alerts carry an [`Order`] so the shards' outputs
//! merge into exactly the single-shard order.

use super::CorrelationSettings;
use super::behave::{EntityKey, Learned};
use super::engine::{Counts, DropReason};
use super::fpmap::FpMap;
use super::lru::{Lru, Stamp};
use super::observe::{ObsRecord, Observations, TapValue};
use super::plan::{CorrelationPlan, CorrelationRule, MAX_CHAIN};
use super::window::{Entry, Window};
use crate::alert::{Alert, AlertKind, Window as AlertWindow};
use crate::detect::rule::RuleSet;
use crate::event::Timestamp;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

/// Where an alert falls in the single-shard order: the observation's
/// (time, sequence number), the tap it came through, and its place among
/// the alerts of that step.
pub(crate) type Order = (i64, u64, u32, u32);

/// An alert with its place in the merged order.
#[derive(Debug)]
pub struct Ordered {
    pub(crate) order: Order,
    /// The alert.
    pub alert: Alert,
}

/// What a shard thread reports with its results: counts since its last
/// report, and how much state it holds.
#[derive(Debug, Default, Clone)]
pub struct ShardStats {
    pub(crate) counts: Vec<Counts>,
    /// Groups held.
    pub groups: usize,
    /// Baseline entities held.
    pub entities: usize,
}

impl ShardStats {
    /// Takes a newer report: counts add up, sizes are replaced.
    pub fn absorb(&mut self, newer: ShardStats) {
        if self.counts.len() < newer.counts.len() {
            self.counts.resize_with(newer.counts.len(), Counts::default);
        }
        for (a, b) in self.counts.iter_mut().zip(&newer.counts) {
            a.add(b);
        }
        self.groups = newer.groups;
        self.entities = newer.entities;
    }
}

/// One (observation, direct tap) routed to a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routed {
    pub(crate) time: i64,
    pub(crate) seq: u64,
    pub(crate) obs: u32,
    pub(crate) tap: u32,
}

/// A routed item waiting for the watermark, ordered by (time, seq, tap).
#[derive(Debug)]
struct Pending {
    item: Routed,
    batch: Arc<Observations>,
}

impl Pending {
    fn key(&self) -> (i64, u64, u32) {
        (self.item.time, self.item.seq, self.item.tap)
    }
}
impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
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
        self.key().cmp(&o.key())
    }
}

pub(super) type Key = Box<[Option<Box<str>>]>;

/// One group: its key, window, and last update.
#[derive(Debug)]
struct Group {
    key: Key,
    window: Window,
    stamp: Stamp,
}

/// The groups of one correlation rule, by key fingerprint.
#[derive(Debug, Default)]
struct RuleState {
    groups: FpMap<Group>,
    /// Groups by last update, oldest first: eviction and expiry order.
    order: Lru<u64>,
}

/// The state of one shard.
#[derive(Debug)]
pub struct Shard {
    pub(super) rules: Arc<RuleSet>,
    pub(super) settings: CorrelationSettings,
    /// Items waiting for the watermark. Nearly all arrive in (time, seq)
    /// order: those go to a queue, and only the others pay for a heap.
    in_order: VecDeque<Pending>,
    out_of_order: BinaryHeap<Reverse<Pending>>,
    /// Counter for update stamps.
    pub(super) seq: u64,
    released: Option<i64>,
    state: Vec<RuleState>,
    pub(super) counts: Vec<Counts>,
    /// Per correlation: the entities of a baseline type (`None` otherwise).
    pub(super) learned: Vec<Option<Learned>>,
    pub(super) entity_key: EntityKey,
}

/// What a step emits into: the alerts with their order, and the counter
/// within the step.
pub(super) struct Emit<'o> {
    pub out: &'o mut Vec<Ordered>,
    pub at: (i64, u64, u32),
    pub n: u32,
}

impl Emit<'_> {
    pub fn push(&mut self, alert: Alert) {
        self.out.push(Ordered {
            order: (self.at.0, self.at.1, self.at.2, self.n),
            alert,
        });
        self.n += 1;
    }
}

impl Shard {
    /// Empty state for the correlations of `rules`; `settings.max_groups`
    /// is this shard's share.
    pub(super) fn new(rules: Arc<RuleSet>, settings: CorrelationSettings, key: EntityKey) -> Self {
        let plan = rules.correlations();
        let n = plan.rules().len();
        let learned = plan
            .rules()
            .iter()
            .map(|r| r.kind.is_behavioural().then(Learned::default))
            .collect();
        Shard {
            rules,
            settings,
            in_order: VecDeque::new(),
            out_of_order: BinaryHeap::new(),
            seq: 0,
            released: None,
            state: (0..n).map(|_| RuleState::default()).collect(),
            counts: vec![Counts::default(); n],
            learned,
            entity_key: key,
        }
    }

    /// Groups held (windows of the Sigma types).
    pub fn groups(&self) -> usize {
        self.state.iter().map(|s| s.groups.len()).sum()
    }

    /// Entities held by the baseline types.
    pub fn baseline_entities(&self) -> usize {
        self.learned.iter().flatten().map(Learned::len).sum()
    }

    /// Items waiting for the watermark.
    pub fn pending(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }

    fn push(&mut self, p: Pending) {
        if self.in_order.back().is_none_or(|b| b.key() <= p.key()) {
            self.in_order.push_back(p);
        } else {
            self.out_of_order.push(Reverse(p));
        }
    }

    /// The earliest waiting item, if its time is at most `up_to`.
    fn pop_until(&mut self, up_to: i64) -> Option<Pending> {
        let a = self.in_order.front().map(Pending::key);
        let b = self.out_of_order.peek().map(|p| p.0.key());
        let from_queue = match (a, b) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let time = if from_queue { a } else { b }.map_or(i64::MAX, |k| k.0);
        if time > up_to {
            return None;
        }
        if from_queue {
            self.in_order.pop_front()
        } else {
            self.out_of_order.pop().map(|p| p.0)
        }
    }

    /// Takes the counts since the last call, per correlation.
    pub(crate) fn take_counts(&mut self) -> Vec<Counts> {
        let n = self.counts.len();
        std::mem::replace(&mut self.counts, vec![Counts::default(); n])
    }

    /// Counts since the last call and sizes now, to send from a shard thread.
    pub fn take_stats(&mut self) -> ShardStats {
        ShardStats {
            counts: self.take_counts(),
            groups: self.groups(),
            entities: self.baseline_entities(),
        }
    }

    /// Takes the routed items of one batch, then processes, in order,
    /// everything up to `up_to` (event time, ns).
    pub fn accept(
        &mut self,
        batch: &Arc<Observations>,
        items: &[Routed],
        up_to: i64,
        out: &mut Vec<Ordered>,
    ) {
        for &item in items {
            self.push(Pending {
                item,
                batch: batch.clone(),
            });
        }
        self.release(up_to, out);
    }

    /// Processes every waiting item up to `up_to`, in (time, seq, tap) order.
    pub fn release(&mut self, up_to: i64, out: &mut Vec<Ordered>) {
        let rules = self.rules.clone();
        let plan = rules.correlations();
        let mut any = false;
        while let Some(p) = self.pop_until(up_to) {
            any = true;
            self.released = Some(p.item.time);
            let Some(rec) = p.batch.record(p.item.obs) else {
                continue;
            };
            let taps = plan.taps.get(rec.rule as usize).map_or(&[][..], |t| &t[..]);
            let Some(tap) = taps.get(p.item.tap as usize) else {
                continue;
            };
            let mut emit = Emit {
                out,
                at: p.key(),
                n: 0,
            };
            let step = Step {
                batch: &p.batch,
                rec,
                time: p.item.time,
            };
            self.update(
                plan,
                tap.corr,
                tap.slot,
                &step,
                p.item.tap as usize,
                &mut emit,
                0,
            );
        }
        if any {
            self.expire(plan);
        }
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
            let groups = &mut st.groups;
            while let Some((stamp, fp)) = st.order.oldest(|fp| groups.get(&fp).map(|g| g.stamp)) {
                if stamp.0 >= cutoff {
                    break;
                }
                st.order.pop();
                groups.remove(&fp);
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // recursion over a chain; a struct would only rename these
    fn update(
        &mut self,
        plan: &CorrelationPlan,
        c: u32,
        slot: u16,
        step: &Step<'_>,
        tap: usize,
        emit: &mut Emit<'_>,
        depth: usize,
    ) {
        let (Some(rule), Some(tv)) = (
            plan.rules.get(c as usize),
            step.batch.taps(step.rec).get(tap),
        ) else {
            return;
        };
        let t = step.time;
        if rule.kind.has_field() && tv.value.is_none() {
            return;
        }
        if rule.kind.is_behavioural() {
            // Baseline types keep per-entity models, not windows, and are
            // not chained into other correlations.
            self.behave(c as usize, rule, tv, step, emit);
            return;
        }
        self.seq += 1;
        let stamp = (t, self.seq);
        self.group(c, step.batch, tv, stamp);
        let max = self.settings.max_entries;
        let Some(g) = self.state[c as usize].groups.get_mut(&tv.fp) else {
            return;
        };
        g.window.evict_before(t.saturating_sub(rule.timespan_ns));
        let entry = Entry {
            time: t,
            slot,
            value: tv.value,
            log: step.rec.log.clone(),
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
            emit.push(alert(rule, &g.key, &g.window, agg, step));
        }
        g.window.clear();
        if depth >= MAX_CHAIN {
            return;
        }
        let parents = plan.parents.get(c as usize).map_or(&[][..], |p| &p[..]);
        let taps = plan
            .taps
            .get(step.rec.rule as usize)
            .map_or(&[][..], |t| &t[..]);
        for &(p, ps) in parents {
            if let Some(j) = taps
                .iter()
                .position(|x| x.corr == p && x.slot == ps && !x.direct)
            {
                self.update(plan, p, ps, step, j, emit, depth + 1);
            }
        }
    }

    /// Makes sure the group of `tv` exists in correlation `c` (evicting the
    /// group updated longest ago when at the cap), stamped `stamp`.
    fn group(&mut self, c: u32, batch: &Observations, tv: &TapValue, stamp: Stamp) {
        let max_groups = self.settings.max_groups.max(1);
        let st = &mut self.state[c as usize];
        let live = st.groups.len();
        if let Some(g) = st.groups.get_mut(&tv.fp) {
            g.stamp = stamp;
            let groups = &st.groups;
            st.order
                .touch(stamp, tv.fp, live, |fp| groups.get(&fp).map(|g| g.stamp));
            return;
        }
        while st.groups.len() >= max_groups {
            let groups = &mut st.groups;
            let Some((_, oldest)) = st.order.oldest(|fp| groups.get(&fp).map(|g| g.stamp)) else {
                break;
            };
            st.order.pop();
            groups.remove(&oldest);
            self.counts[c as usize].evicted += 1;
        }
        st.groups.insert(
            tv.fp,
            Group {
                key: batch.key_owned(tv),
                window: Window::default(),
                stamp,
            },
        );
        let groups = &st.groups;
        st.order.touch(stamp, tv.fp, live + 1, |fp| {
            groups.get(&fp).map(|g| g.stamp)
        });
    }
}

/// The observation being processed.
pub(super) struct Step<'b> {
    pub batch: &'b Observations,
    pub rec: &'b ObsRecord,
    pub time: i64,
}

/// The alert for a window that met its condition.
fn alert(
    rule: &CorrelationRule,
    key: &[Option<Box<str>>],
    window: &Window,
    agg: f64,
    step: &Step<'_>,
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
        timestamp: step.rec.time,
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
        log: last.map_or_else(|| step.rec.log.clone(), |e| e.log.clone()),
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
