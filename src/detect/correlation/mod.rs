//! Sigma correlation rules: windows over the matches of other rules.
//!
//! ```text
//!  workers (per event)                   collector (input order)        shard threads
//!  ───────────────────                   ───────────────────────        ─────────────
//!  rules match ─▶ observe() into the ──▶ CorrelationEngine::route ──▶ Shard: reorder by
//!  chunk's Observations batch            late? seq, shard by key        event time ─▶ windows,
//!  (group keys, value, fingerprint)      fingerprint                    baselines ─▶ Ordered
//!                                        merge ◀────────────────────── alerts
//! ```
//!
//! - [`CorrelationPlan`] (immutable, built with the [`RuleSet`]): every
//!   correlation rule with its references resolved, and per base rule the
//!   *taps*: which correlations consume its matches and which fields (group
//!   keys, value) to extract for each. Chains (a correlation referring to
//!   another) are flattened into taps of the base rules at the bottom.
//! - [`Observations`]: what workers extract from events that matched base
//!   rules a correlation refers to, one flat batch per chunk (no
//!   allocation per event), with each group key's keyed fingerprint.
//! - [`CorrelationEngine`] (on the collector): drops observations more than
//!   `lateness` behind the newest, numbers the rest, and routes each
//!   (observation, tap) to a [`Shard`] by group fingerprint (a chain of
//!   correlations to one shard).
//! - [`Shard`]: reorders its items by event time, keeps one window per
//!   (correlation, group) and the baseline entities, raises alerts tagged
//!   with their place in the single-shard order; [`merge`] restores that
//!   order, so results are the same for any number of shards.
//!
//! Time is an input: windows advance on event time only, so a replay gives
//! the same alerts whatever the thread count or wall clock.
//!
//! [`RuleSet`]: crate::detect::rule::RuleSet

mod baseline;
mod behave;
mod engine;
mod fpmap;
mod lru;
mod observe;
mod persist;
mod plan;
mod shard;
mod window;

#[cfg(test)]
mod behave_tests;
#[cfg(test)]
mod shard_tests;
#[cfg(test)]
mod tests;

pub use baseline::{BehaviourParams, BusinessHours, Measure};
pub(crate) use behave::EntityKey;
pub use behave::LearnedPart;
pub use engine::{CorrelationEngine, CorrelationSettings, DropReason, RoutedBatch, merge};
pub(crate) use observe::ObsValue;
pub use observe::{Observations, observe};
pub use persist::{BASELINE_FILE, BaselineError, Baselines};
pub(crate) use plan::CorrelationDef;
pub use plan::{CorrelationPlan, CorrelationRule, RuleRef};
pub use shard::{Ordered, Routed, Shard, ShardStats};

use std::fmt;

/// A correlation type (Sigma correlation rules specification v2.0.2: the
/// first four; `value_sum`, `value_avg` and `value_percentile` as RSigma
/// and pySigma implement them).
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum CorrelationKind {
    /// Number of matching events per group.
    EventCount,
    /// Number of distinct values of `field` per group.
    ValueCount,
    /// Number of the referred rules that matched per group (default: all).
    Temporal,
    /// Like `Temporal`, in the order the rules are listed.
    TemporalOrdered,
    /// Sum of the numeric `field` per group.
    ValueSum,
    /// Mean of the numeric `field` per group.
    ValueAvg,
    /// A percentile (0–100) of the numeric `field` per group.
    ValuePercentile(f64),
    /// picket extension: the first value of `field` for a group once the
    /// group's learning period is over.
    NewTerms,
    /// picket extension: a window's volume well above the group's learned
    /// baseline.
    Anomaly(Measure),
    /// picket extension: activity outside business hours at a time of day
    /// or week the group's learned working-time profile says is unusual.
    OffHours,
    /// picket extension: a run of values of `field` whose trailing numbers
    /// follow each other (`cust_0041`, `cust_0042`, …) within `timespan`.
    Sequential,
}

impl CorrelationKind {
    /// The Sigma name of the type.
    pub fn name(self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
            CorrelationKind::ValueSum => "value_sum",
            CorrelationKind::ValueAvg => "value_avg",
            CorrelationKind::ValuePercentile(_) => "value_percentile",
            CorrelationKind::NewTerms => "new_terms",
            CorrelationKind::Anomaly(_) => "anomaly",
            CorrelationKind::OffHours => "off_hours",
            CorrelationKind::Sequential => "sequential",
        }
    }

    /// Whether the type aggregates a `field` of the events.
    pub fn has_field(self) -> bool {
        !matches!(
            self,
            CorrelationKind::EventCount
                | CorrelationKind::Temporal
                | CorrelationKind::TemporalOrdered
                | CorrelationKind::OffHours
                | CorrelationKind::Anomaly(Measure::Events)
        )
    }

    /// Whether the field is read as a number (sum, average, percentile).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            CorrelationKind::ValueSum
                | CorrelationKind::ValueAvg
                | CorrelationKind::ValuePercentile(_)
                | CorrelationKind::Anomaly(Measure::Sum)
        )
    }

    /// Whether the type is one of picket's per-entity extensions (state
    /// per entity rather than a window of events).
    pub fn is_behavioural(self) -> bool {
        self.is_learned() || self == CorrelationKind::Sequential
    }

    /// Whether the type learns a baseline (a learning period, persisted).
    pub fn is_learned(self) -> bool {
        matches!(
            self,
            CorrelationKind::NewTerms | CorrelationKind::Anomaly(_) | CorrelationKind::OffHours
        )
    }
}

/// A comparison of a correlation condition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `eq`
    Eq,
    /// `neq`
    Neq,
}

impl Op {
    /// The Sigma name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Eq => "eq",
            Op::Neq => "neq",
        }
    }

    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => value > threshold,
            Op::Gte => value >= threshold,
            Op::Lt => value < threshold,
            Op::Lte => value <= threshold,
            Op::Eq => value == threshold,
            Op::Neq => value != threshold,
        }
    }
}

/// A correlation condition: comparisons that must all hold (a range is
/// `gt` plus `lte`).
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold(pub Vec<(Op, f64)>);

impl Threshold {
    /// Whether an aggregate value satisfies every comparison.
    pub fn holds(&self, value: f64) -> bool {
        self.0.iter().all(|(op, t)| op.holds(value, *t))
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (op, t)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{} {t}", op.name())?;
        }
        Ok(())
    }
}
