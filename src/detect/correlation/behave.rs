//! The engine half of the baseline types: per-entity models updated in
//! event order, alerts of kind `anomaly`, snapshot and restore.

use super::baseline::{Entity, Hours, MIN_WINDOWS, Measure, Model, Run, Terms, Volume};
use super::engine::CorrelationEngine;
use super::fpmap::FpMap;
use super::lru::{Lru, Stamp};
use super::observe::{Observations, TapValue};
use super::persist::{Baselines, RuleBaseline};
use super::plan::CorrelationRule;
use super::shard::{Emit, Shard, Step};
use super::{CorrelationKind, ObsValue};
use crate::alert::{Alert, AlertKind, Window as AlertWindow};
use crate::event::Timestamp;
use hmac::{Hmac, KeyInit, Mac};
use std::hash::Hasher;

/// The entities of one baseline rule, with their update order.
#[derive(Debug, Default)]
pub(super) struct Learned {
    entities: FpMap<(Entity, Stamp)>,
    /// Entities by last update, oldest first: the eviction order.
    order: Lru<u64>,
}

/// One shard's learned entities, per baseline rule (a part of
/// [`Baselines`], gathered from shard threads).
#[derive(Debug, Default)]
pub struct LearnedPart(Vec<(usize, Vec<(u64, Entity)>)>);

impl Learned {
    /// Entities held.
    pub fn len(&self) -> usize {
        self.entities.len()
    }
}

/// The keyed hash that names entities and terms: SipHash-2-4 under a key
/// derived from the fingerprint key, so state files cannot be reversed by
/// hashing guesses without the key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntityKey {
    k0: u64,
    k1: u64,
}

impl Default for EntityKey {
    /// The key of runs that keep no state (tests, `rules test`); real runs
    /// use the configured fingerprint key.
    fn default() -> Self {
        EntityKey::new(b"picket")
    }
}

impl EntityKey {
    /// Derives the SipHash key from the fingerprint key (HMAC-SHA256).
    pub fn new(fingerprint_key: &[u8]) -> EntityKey {
        let mut k = [0u8; 16];
        if let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(fingerprint_key) {
            mac.update(b"picket baselines v1");
            let out = mac.finalize().into_bytes();
            k.copy_from_slice(&out[..16]);
        }
        let (a, b) = k.split_at(8);
        EntityKey {
            k0: u64::from_le_bytes(a.try_into().unwrap_or_default()),
            k1: u64::from_le_bytes(b.try_into().unwrap_or_default()),
        }
    }

    // `SipHasher` is deprecated only because its algorithm may change in
    // favour of `DefaultHasher`, which cannot be keyed; the 2-4 variant it
    // is today is exactly the keyed PRF wanted here, and files carry a key
    // id, so a change would show up as "another key", never as a mixup.
    #[allow(deprecated)]
    fn hasher(&self) -> std::hash::SipHasher {
        std::hash::SipHasher::new_with_keys(self.k0, self.k1)
    }

    /// Fingerprint of a group key (its values in `group-by` order).
    pub fn entity<'k>(&self, key: impl Iterator<Item = Option<&'k str>>) -> u64 {
        let mut h = self.hasher();
        for part in key {
            match part {
                None => h.write_u8(0),
                Some(s) => {
                    h.write_u8(1);
                    h.write_usize(s.len());
                    h.write(s.as_bytes());
                }
            }
        }
        h.finish()
    }

    /// Fingerprint of a term (the unkeyed hash the workers computed).
    pub fn term(&self, hash: u64) -> u64 {
        let mut h = self.hasher();
        h.write_u8(2);
        h.write_u64(hash);
        h.finish()
    }

    /// Identifies the key in files without revealing it.
    pub fn id(&self) -> u64 {
        let mut h = self.hasher();
        h.write(b"key id");
        h.finish()
    }
}

impl Shard {
    /// Updates the baseline rule `c` with one observation; may alert.
    pub(super) fn behave(
        &mut self,
        c: usize,
        rule: &CorrelationRule,
        tv: &TapValue,
        step: &Step<'_>,
        out: &mut Emit<'_>,
    ) {
        let (batch, obs, t) = (step.batch, step.rec, step.time);
        let p = rule.behaviour;
        let fp = tv.fp;
        let term = match tv.value {
            Some(ObsValue::Hash(h)) => Some(self.entity_key.term(h)),
            _ => None,
        };
        let bh = self.settings.business_hours;
        let max = self.settings.max_groups.max(1);
        self.seq += 1;
        let stamp = (t, self.seq);
        let Some(learned) = self.learned.get_mut(c).and_then(Option::as_mut) else {
            return;
        };
        if let Some(x) = learned.entities.get_mut(&fp) {
            x.1 = stamp;
        } else {
            while learned.entities.len() >= max {
                let entities = &learned.entities;
                let Some((_, oldest)) = learned.order.oldest(|k| entities.get(&k).map(|x| x.1))
                else {
                    break;
                };
                learned.order.pop();
                learned.entities.remove(&oldest);
                self.counts[c].evicted += 1;
            }
            let model = match rule.kind {
                CorrelationKind::NewTerms => Model::Terms(Terms::default()),
                CorrelationKind::OffHours => Model::Hours(Hours::default()),
                CorrelationKind::Sequential => Model::Run(Run::default()),
                _ => Model::Volume(Box::new(Volume {
                    bucket: t.div_euclid(rule.timespan_ns.max(1)),
                    ..Volume::default()
                })),
            };
            let entity = Entity {
                first: t,
                last: t,
                model,
            };
            learned.entities.insert(fp, (entity, stamp));
        }
        let live = learned.entities.len();
        let entities = &learned.entities;
        learned
            .order
            .touch(stamp, fp, live, |k| entities.get(&k).map(|x| x.1));
        let Some((entity, _)) = learned.entities.get_mut(&fp) else {
            return;
        };
        entity.last = entity.last.max(t);
        let is_learned = entity.learned(t, &p);
        let since = Timestamp(entity.first);
        match &mut entity.model {
            Model::Run(run) => {
                let Some(text) = batch.text(tv) else {
                    return;
                };
                let n = run.push(text, t, rule.timespan_ns, &obs.log);
                if n > 0 && !run.fired && rule.threshold.holds(n as f64) {
                    run.fired = true;
                    let start = run.start.clone();
                    let window = AlertWindow {
                        start: start.as_ref().map(|s| Timestamp(s.0)),
                        end: Some(Timestamp(t)),
                        count: n,
                        distinct: Some(n),
                        sum: None,
                    };
                    let mut a = alert(rule, batch, tv, obs, Some(window), start.map(|s| s.1));
                    a.kind = AlertKind::Correlation;
                    // The values themselves (document ids) may carry PI.
                    a.message = format!(
                        "{}: {n} consecutive {} values within {}{}",
                        rule.info.title,
                        rule.field.as_deref().unwrap_or("field"),
                        super::shard::fmt_span(rule.timespan_ns),
                        who(rule, batch, tv),
                    );
                    out.push(a);
                }
            }
            Model::Terms(terms) => {
                let Some(term) = term else { return };
                if terms.observe(term, t, rule.timespan_ns) && is_learned {
                    let what = rule.field.as_deref().unwrap_or("value");
                    let shown = batch.text(tv).unwrap_or("?");
                    let mut a = alert(rule, batch, tv, obs, None, None);
                    if let Some(f) = &rule.field {
                        a.entity.push((f.clone(), shown.to_owned()));
                    }
                    a.message = format!(
                        "{}: first {what} `{shown}`{} (known since {since})",
                        rule.info.title,
                        who(rule, batch, tv),
                    );
                    out.push(a);
                }
            }
            Model::Hours(hours) => {
                hours.decay(t, p.half_life_ns);
                let how = bh.hour_of_week(t);
                let new_hour = t.div_euclid(3_600 * Timestamp::NANOS_PER_SEC) != hours.last_hour;
                if new_hour && is_learned && !bh.contains(t) && hours.unusual(how, p.min_share) {
                    let mut a = alert(rule, batch, tv, obs, None, None);
                    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
                    a.message = format!(
                        "{}: active {} {:02}h, outside business hours and unusual{}",
                        rule.info.title,
                        DAYS[(how / 24) % 7],
                        how % 24,
                        who(rule, batch, tv),
                    );
                    out.push(a);
                }
                hours.add(t, how);
            }
            Model::Volume(vol) => {
                let CorrelationKind::Anomaly(measure) = rule.kind else {
                    return;
                };
                let k = p.sensitivity;
                let bucket = t.div_euclid(rule.timespan_ns.max(1));
                if bucket != vol.bucket {
                    vol.close(k, rule.timespan_ns, is_learned);
                    vol.bucket = bucket;
                }
                vol.events += 1;
                if vol.first.is_none() {
                    vol.first = Some((t, obs.log.clone()));
                }
                match (measure, tv.value) {
                    (Measure::Events, _) => vol.value += 1.0,
                    (Measure::Sum, Some(ObsValue::Num(x))) => vol.value += x,
                    (Measure::Distinct, Some(ObsValue::Hash(h))) => {
                        vol.sketch.insert(h);
                        vol.value = vol.sketch.estimate();
                    }
                    _ => {}
                }
                let base = vol.baseline(k, rule.timespan_ns);
                let limit = base.limit(k);
                if is_learned
                    && vol.windows >= MIN_WINDOWS
                    && !vol.fired
                    && vol.value > limit
                    && rule.threshold.holds(vol.value)
                {
                    vol.fired = true;
                    let window = AlertWindow {
                        start: vol.first.as_ref().map(|f| Timestamp(f.0)),
                        end: Some(Timestamp(t)),
                        count: vol.events,
                        distinct: (measure == Measure::Distinct).then_some(vol.value as u64),
                        sum: (measure == Measure::Sum).then_some(vol.value),
                    };
                    let first = vol.first.as_ref().map(|f| f.1.clone());
                    let mut a = alert(rule, batch, tv, obs, Some(window), first);
                    let what = match measure {
                        Measure::Events => "events".to_owned(),
                        Measure::Distinct => {
                            format!("distinct {}", rule.field.as_deref().unwrap_or("values"))
                        }
                        Measure::Sum => rule.field.clone().unwrap_or_default(),
                    };
                    a.message = format!(
                        "{}: {} {what} in {}{} (usual {} ± {}, limit {})",
                        rule.info.title,
                        num(vol.value),
                        super::shard::fmt_span(rule.timespan_ns),
                        who(rule, batch, tv),
                        num(base.mean),
                        num(base.spread()),
                        num(limit),
                    );
                    out.push(a);
                }
            }
        }
    }
}

impl Shard {
    /// This shard's learned entities of the baseline rules.
    pub fn learned_part(&self) -> LearnedPart {
        LearnedPart(
            self.learned
                .iter()
                .enumerate()
                .filter_map(|(c, l)| {
                    let l = l.as_ref()?;
                    Some((
                        c,
                        l.entities
                            .iter()
                            .map(|(fp, (e, _))| (*fp, e.clone()))
                            .collect(),
                    ))
                })
                .collect(),
        )
    }

    /// Adds restored entities to baseline rule `c` (oldest first).
    fn restore_entities(&mut self, c: usize, es: Vec<(u64, Entity)>) {
        let Some(Some(l)) = self.learned.get_mut(c) else {
            return;
        };
        for (fp, e) in es {
            self.seq += 1;
            let stamp = (e.last, self.seq);
            l.entities.insert(fp, (e, stamp));
            let live = l.entities.len();
            let entities = &l.entities;
            l.order
                .touch(stamp, fp, live, |k| entities.get(&k).map(|x| x.1));
        }
    }
}

impl CorrelationEngine {
    /// The learned state of every baseline rule, plus what was restored for
    /// rules not loaded in this run (so a run with fewer rules does not
    /// erase the others' baselines).
    pub fn baselines(&self) -> Baselines {
        self.baselines_of(self.shards.iter().map(Shard::learned_part).collect())
    }

    /// Like [`CorrelationEngine::baselines`], from the shards' parts (when
    /// the shards run on their own threads).
    pub fn baselines_of(&self, parts: Vec<LearnedPart>) -> Baselines {
        let mut b = Baselines {
            key_id: self.entity_key.id(),
            rules: self.orphans.clone(),
        };
        let plan = self.rules.correlations();
        for part in parts {
            for (c, entities) in part.0 {
                let Some(rule) = plan.rules.get(c) else {
                    continue;
                };
                if !rule.kind.is_learned() {
                    continue;
                }
                b.rules
                    .entry(rule.info.id.clone())
                    .or_insert_with(|| RuleBaseline {
                        kind: rule.kind.name().to_owned(),
                        timespan_ns: rule.timespan_ns,
                        entities: Default::default(),
                    })
                    .entities
                    .extend(entities);
            }
        }
        b
    }

    /// Starts from saved baselines. Returns notes to report: state learned
    /// under another key, or for a rule whose type or timespan changed, is
    /// not used. Each entity goes to the shard its key routes to.
    pub fn restore(&mut self, b: Baselines) -> Vec<String> {
        let mut notes = Vec::new();
        if b.key_id != self.entity_key.id() {
            notes.push(
                "baselines were learned with another fingerprint key; learning afresh".into(),
            );
            return notes;
        }
        let plan = self.rules.clone();
        let plan = plan.correlations();
        let mut rest = b.rules;
        let n = self.shards.len().max(1);
        for (c, rule) in plan.rules.iter().enumerate() {
            if !rule.kind.is_learned() {
                continue;
            }
            let Some(rb) = rest.remove(&rule.info.id) else {
                continue;
            };
            let same_window = !matches!(rule.kind, CorrelationKind::Anomaly(_))
                || rb.timespan_ns == rule.timespan_ns;
            if rb.kind != rule.kind.name() || !same_window {
                notes.push(format!(
                    "rule {}: saved baseline is for another type or timespan; learning afresh",
                    rule.info.id
                ));
                continue;
            }
            // Keep the most recently updated within the cap.
            let mut es: Vec<(u64, Entity)> = rb.entities.into_iter().collect();
            es.sort_by_key(|(fp, e)| (std::cmp::Reverse(e.last), *fp));
            es.truncate(self.settings.max_groups.max(1));
            es.reverse();
            let mut per_shard: Vec<Vec<(u64, Entity)>> = vec![Vec::new(); n];
            for (fp, e) in es {
                per_shard[plan.shard_of(c as u32, fp, n)].push((fp, e));
            }
            for (shard, es) in self.shards.iter_mut().zip(per_shard) {
                shard.restore_entities(c, es);
            }
        }
        self.orphans = rest;
        notes
    }

    /// Entities held by the baseline rules.
    pub fn baseline_entities(&self) -> usize {
        self.shards.iter().map(Shard::baseline_entities).sum()
    }
}

/// An `anomaly`-kind alert for the observation's entity.
fn alert(
    rule: &CorrelationRule,
    batch: &Observations,
    tv: &TapValue,
    obs: &super::observe::ObsRecord,
    window: Option<AlertWindow>,
    first: Option<crate::alert::LogRef>,
) -> Alert {
    Alert {
        timestamp: obs.time,
        rule: rule.info.clone(),
        kind: AlertKind::Anomaly,
        entity: rule
            .group_by
            .iter()
            .zip(batch.key(tv))
            .filter_map(|(n, v)| Some((n.clone(), v?.to_owned())))
            .collect(),
        pi: Vec::new(),
        window,
        log: obs.log.clone(),
        first,
        message: rule.info.title.clone(),
        suppressed: 0,
    }
}

/// ` for user.name=x, tenant=y`, or nothing without a group.
fn who(rule: &CorrelationRule, batch: &Observations, tv: &TapValue) -> String {
    let parts: Vec<String> = rule
        .group_by
        .iter()
        .zip(batch.key(tv))
        .filter_map(|(n, v)| Some(format!("{n}={}", v?)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" for {}", parts.join(", "))
    }
}

/// A count or volume for messages: whole numbers, or k/M/G for large ones.
fn num(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{}", x.round() as i64)
    }
}
