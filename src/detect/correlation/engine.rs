//! The stateful half, front end: lateness, order and routing to shards.
//!
//! ```text
//!  Observations (a chunk's batch, input order)
//!     │  late? (more than `lateness` behind the newest event) → dropped, counted
//!     │  global sequence number per observation
//!     ▼  shard = f(group fingerprint)   (chained correlations: one shard)
//!  Shard 0 … Shard n-1: reorder heap → windows / baselines → Ordered alerts
//!     ▼
//!  merge by (time, seq, tap, n): the same order as one shard
//! ```
//!
//! With one shard (tests, `rules test`, `--threads 1`) everything runs
//! inline in [`CorrelationEngine::feed`]. The pipeline takes the shards
//! out ([`CorrelationEngine::take_shards`]) and runs each on its own thread.

use super::baseline::BusinessHours;
use super::behave::EntityKey;
use super::observe::Observations;
use super::persist::RuleBaseline;
use super::shard::{Ordered, Routed, Shard, ShardStats};
use crate::alert::Alert;
use crate::detect::rule::RuleSet;
use crate::event::Timestamp;
use std::collections::BTreeMap;
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

/// Counts since the last [`CorrelationEngine::drain_counts`], per rule.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counts {
    pub(crate) evicted: u64,
    pub(crate) dropped: BTreeMap<DropReason, u64>,
}

impl Counts {
    /// Adds `o` to these counts.
    pub(crate) fn add(&mut self, o: &Counts) {
        self.evicted += o.evicted;
        for (r, n) in &o.dropped {
            *self.dropped.entry(*r).or_default() += n;
        }
    }
}

/// A batch split by shard: what each shard must take, and the watermark.
#[derive(Debug)]
pub struct RoutedBatch {
    /// The observations, shared by the shards.
    pub batch: Arc<Observations>,
    /// Per shard, its (observation, tap) items in input order.
    pub items: Vec<Vec<Routed>>,
    /// Process everything up to this event time (ns).
    pub up_to: i64,
}

/// Correlation state: lateness and order here, groups and baselines in
/// [`Shard`]s. Fed in input order; emits correlation alerts.
#[derive(Debug)]
pub struct CorrelationEngine {
    pub(super) rules: Arc<RuleSet>,
    pub(super) settings: CorrelationSettings,
    newest: Option<i64>,
    /// Everything up to this time was released by a flush.
    floor: Option<i64>,
    seq: u64,
    /// Drops decided here (late, no timestamp), per correlation.
    counts: Vec<Counts>,
    pub(super) shards: Vec<Shard>,
    /// How many shards state is split into (also while they are taken).
    pub(super) n_shards: usize,
    /// Keys entity and term fingerprints (see [`EntityKey`]).
    pub(super) entity_key: EntityKey,
    /// Restored baselines of rules not loaded in this run, saved again.
    pub(super) orphans: BTreeMap<String, RuleBaseline>,
}

impl CorrelationEngine {
    /// An engine for the correlations of a rule set, in one shard.
    pub fn new(rules: Arc<RuleSet>, settings: CorrelationSettings) -> Self {
        Self::with_shards(rules, settings, 1)
    }

    /// An engine whose state is split into `n` shards by group key. Each
    /// shard keeps at most its share of `max_groups` per rule.
    pub fn with_shards(rules: Arc<RuleSet>, settings: CorrelationSettings, n: usize) -> Self {
        let n = n.max(1);
        let per_shard = CorrelationSettings {
            max_groups: settings.max_groups.max(1).div_ceil(n),
            ..settings
        };
        // Replaced by the configured key (`set_key`) in real runs;
        // tests and `rules test` keep no state, so any key does.
        let entity_key = EntityKey::default();
        let corr = rules.correlations().rules().len();
        CorrelationEngine {
            shards: (0..n)
                .map(|_| Shard::new(rules.clone(), per_shard, entity_key))
                .collect(),
            n_shards: n,
            rules,
            settings,
            newest: None,
            floor: None,
            seq: 0,
            counts: vec![Counts::default(); corr],
            entity_key,
            orphans: BTreeMap::new(),
        }
    }

    /// Keys the fingerprints that name groups, baseline entities and terms:
    /// the PI fingerprint key (SPEC §4), so state files are as safe as
    /// alerts. Call before [`CorrelationEngine::restore`] and before making
    /// batches ([`CorrelationEngine::new_batch`]).
    pub fn set_key(&mut self, fingerprint_key: &[u8]) {
        self.entity_key = EntityKey::new(fingerprint_key);
        for s in &mut self.shards {
            s.entity_key = self.entity_key;
        }
    }

    /// The key group fingerprints are made with.
    pub(crate) fn state_key(&self) -> EntityKey {
        self.entity_key
    }

    /// An empty batch for [`observe`](super::observe) whose fingerprints
    /// match this engine's key.
    pub fn new_batch(&self) -> Observations {
        Observations::new(self.entity_key)
    }

    /// Whether the rule set has correlations at all (if not, feeding is a no-op).
    pub fn is_active(&self) -> bool {
        !self.counts.is_empty()
    }

    /// How many shards the state is split into.
    pub fn shard_count(&self) -> usize {
        self.n_shards
    }

    /// Groups currently held, over all correlation rules and shards.
    pub fn groups(&self) -> usize {
        self.shards.iter().map(Shard::groups).sum()
    }

    /// Observations waiting for the watermark.
    pub fn pending(&self) -> usize {
        self.shards.iter().map(Shard::pending).sum()
    }

    /// Takes a batch of observations (in input order). Observations up to
    /// `lateness` behind the newest are processed in event-time order;
    /// alerts go to `out`.
    pub fn feed(&mut self, batch: Observations, out: &mut Vec<Alert>) {
        let routed = self.route(batch);
        let mut parts = Vec::new();
        for (shard, items) in self.shards.iter_mut().zip(&routed.items) {
            shard.accept(&routed.batch, items, routed.up_to, &mut parts);
        }
        merge(parts, out);
    }

    /// Processes everything still waiting (end of input, or a daemon
    /// flush): the watermark jumps to the newest event.
    pub fn flush(&mut self, out: &mut Vec<Alert>) {
        let up_to = self.flush_mark();
        let mut parts = Vec::new();
        for shard in &mut self.shards {
            shard.release(up_to, &mut parts);
        }
        merge(parts, out);
    }

    /// Marks everything seen as released (a flush) and returns the
    /// watermark shards flush to.
    pub fn flush_mark(&mut self) -> i64 {
        self.floor = self.newest;
        i64::MAX
    }

    /// Splits a batch by shard, dropping late observations and those
    /// without a timestamp (counted), and computes the new watermark.
    pub fn route(&mut self, mut batch: Observations) -> RoutedBatch {
        batch.rekey(self.entity_key);
        let rules = self.rules.clone();
        let plan = rules.correlations();
        let n = self.n_shards;
        let mut items: Vec<Vec<Routed>> = vec![Vec::new(); n];
        let lateness = self.settings.lateness_ns;
        for (i, rec) in batch.records().iter().enumerate() {
            let taps = plan.taps.get(rec.rule as usize).map_or(&[][..], |t| &t[..]);
            let why = match rec.time.map(|t| t.0) {
                None => Some(DropReason::NoTimestamp),
                Some(t) => {
                    let watermark = self.newest.map(|x| x.saturating_sub(lateness));
                    let floor = self.floor.max(watermark);
                    floor.is_some_and(|f| t < f).then_some(DropReason::Late)
                }
            };
            if let Some(why) = why {
                for tap in taps.iter().filter(|t| t.direct) {
                    if let Some(c) = self.counts.get_mut(tap.corr as usize) {
                        *c.dropped.entry(why).or_default() += 1;
                    }
                }
                continue;
            }
            let t = rec.time.map_or(0, |t| t.0);
            self.seq += 1;
            let values = batch.taps(rec);
            for (j, tap) in taps.iter().enumerate() {
                if !tap.direct {
                    continue;
                }
                let fp = values.get(j).map_or(0, |v| v.fp);
                let shard = plan.shard_of(tap.corr, fp, n);
                items[shard].push(Routed {
                    time: t,
                    seq: self.seq,
                    obs: u32::try_from(i).unwrap_or(u32::MAX),
                    tap: u32::try_from(j).unwrap_or(u32::MAX),
                });
            }
            self.newest = Some(self.newest.map_or(t, |x| x.max(t)));
        }
        RoutedBatch {
            batch: Arc::new(batch),
            items,
            up_to: self.newest.map_or(i64::MIN, |x| x.saturating_sub(lateness)),
        }
    }

    /// Takes the shards out to run them on their own threads (the engine
    /// keeps routing); give them back with [`CorrelationEngine::put_shards`].
    pub fn take_shards(&mut self) -> Vec<Shard> {
        std::mem::take(&mut self.shards)
    }

    /// Returns shards taken with [`CorrelationEngine::take_shards`].
    pub fn put_shards(&mut self, shards: Vec<Shard>) {
        self.shards = shards;
    }

    /// Reports and resets the counts since the last call: `(rule id,
    /// None, n)` for evicted groups, `(rule id, Some(reason), n)` for drops.
    /// Includes the shards' counts while the engine holds them, and those
    /// in `reported` (what shard threads sent).
    pub fn drain_counts(
        &mut self,
        reported: &mut [ShardStats],
        mut f: impl FnMut(&str, Option<DropReason>, u64),
    ) {
        let mut total = std::mem::take(&mut self.counts);
        self.counts = vec![Counts::default(); total.len()];
        for s in &mut self.shards {
            for (t, c) in total.iter_mut().zip(s.take_counts()) {
                t.add(&c);
            }
        }
        for r in reported {
            for (t, c) in total.iter_mut().zip(std::mem::take(&mut r.counts)) {
                t.add(&c);
            }
        }
        report_counts(&self.rules, &total, &mut f);
    }
}

/// Calls `f` for every non-zero count, by rule id.
pub(crate) fn report_counts(
    rules: &RuleSet,
    counts: &[Counts],
    f: &mut impl FnMut(&str, Option<DropReason>, u64),
) {
    let plan = rules.correlations();
    for (c, counts) in counts.iter().enumerate() {
        let Some(rule) = plan.rules.get(c) else {
            continue;
        };
        if counts.evicted > 0 {
            f(&rule.info.id, None, counts.evicted);
        }
        for (r, n) in &counts.dropped {
            if *n > 0 {
                f(&rule.info.id, Some(*r), *n);
            }
        }
    }
}

/// Puts shard outputs into the single-shard order and appends the alerts.
pub fn merge(mut parts: Vec<Ordered>, out: &mut Vec<Alert>) {
    parts.sort_by_key(|o| o.order);
    out.extend(parts.into_iter().map(|o| o.alert));
}
