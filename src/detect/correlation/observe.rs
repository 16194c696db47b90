//! What the workers extract for the correlations: [`Observations`], one
//! flat batch per chunk.
//!
//! Nearly every event of an access log matches some rule a behavioural
//! correlation taps (reads, authenticated requests), so this runs per line.
//! An owned observation per event with its group keys as strings cost ten
//! allocations a line; here every value is appended to buffers that grow
//! once per chunk, and the batch moves to the collector whole.

use super::behave::EntityKey;
use super::plan::CorrelationPlan;
use crate::alert::LogRef;
use crate::event::{Event, Timestamp, Value};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

/// The value a correlation aggregates, extracted from one event.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) enum ObsValue {
    /// `value_count`: a hash of the field's text (distinctness is all
    /// that counts, and a hash keeps observations small).
    Hash(u64),
    /// `value_sum`/`avg`/`percentile`: the field as a number.
    Num(f64),
}

/// A byte range of [`Observations`]' text buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

/// What one correlation needs from one event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TapValue {
    /// The group-by values: `keys[key.0 .. key.0 + key.1]` (`None`: absent).
    key: (u32, u32),
    /// Keyed fingerprint of the group key ([`EntityKey::entity`]): the
    /// group's identity, and what shards route by.
    pub fp: u64,
    /// The aggregated field's value, for the `value_*` types.
    pub value: Option<ObsValue>,
    /// `new_terms`, `sequential`: the field's text.
    text: Option<Span>,
}

/// An event that matched a base rule a correlation refers to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ObsRecord {
    /// The base rule (index into the rule set).
    pub rule: u32,
    /// Event time.
    pub time: Option<Timestamp>,
    /// Where the event came from.
    pub log: LogRef,
    /// Its taps: `taps[taps.0 .. taps.0 + taps.1]`, one per tap of the
    /// rule ([`CorrelationPlan`]), in tap order.
    taps: (u32, u32),
}

/// The observations of a run of events (a chunk), in event order: built by
/// [`observe`] on the worker threads, fed to the
/// [`CorrelationEngine`](super::CorrelationEngine) on the collector.
#[derive(Clone, Debug)]
pub struct Observations {
    /// The state key the group fingerprints are made with.
    state_key: EntityKey,
    text: String,
    keys: Vec<Option<Span>>,
    taps: Vec<TapValue>,
    records: Vec<ObsRecord>,
    scratch: String,
}

impl Default for Observations {
    /// An empty batch under the engine's default key (tests, `rules test`).
    fn default() -> Self {
        Observations::new(EntityKey::default())
    }
}

impl Observations {
    /// An empty batch whose group fingerprints use `key` (the state key:
    /// it must be the engine's, see [`CorrelationEngine::new_batch`]).
    ///
    /// [`CorrelationEngine::new_batch`]: super::CorrelationEngine::new_batch
    pub(crate) fn new(key: EntityKey) -> Self {
        Observations {
            state_key: key,
            text: String::new(),
            keys: Vec::new(),
            taps: Vec::new(),
            records: Vec::new(),
            scratch: String::new(),
        }
    }

    /// Recomputes the group fingerprints under `key` if the batch was made
    /// with another (a caller that did not key its batches like the engine).
    pub(crate) fn rekey(&mut self, key: EntityKey) {
        if self.state_key == key {
            return;
        }
        self.state_key = key;
        for i in 0..self.taps.len() {
            let fp = key.entity(self.key(&self.taps[i]));
            self.taps[i].fp = fp;
        }
    }

    /// An empty batch with the same key, its buffers sized for as many
    /// observations as this one holds: the next chunk's batch fills without
    /// growing them step by step.
    pub fn fresh_like(&self) -> Self {
        Observations {
            state_key: self.state_key,
            text: String::with_capacity(self.text.len()),
            keys: Vec::with_capacity(self.keys.len()),
            taps: Vec::with_capacity(self.taps.len()),
            records: Vec::with_capacity(self.records.len()),
            scratch: String::new(),
        }
    }

    /// Observations held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub(crate) fn records(&self) -> &[ObsRecord] {
        &self.records
    }

    pub(crate) fn record(&self, i: u32) -> Option<&ObsRecord> {
        self.records.get(i as usize)
    }

    /// The taps of a record, in tap order.
    pub(crate) fn taps(&self, r: &ObsRecord) -> &[TapValue] {
        let (s, n) = (r.taps.0 as usize, r.taps.1 as usize);
        self.taps.get(s..s + n).unwrap_or(&[])
    }

    fn span(&self, s: Span) -> Option<&str> {
        let start = s.start as usize;
        self.text.get(start..start + s.len as usize)
    }

    /// A tap's group-by values, in `group-by` order.
    pub(crate) fn key(&self, t: &TapValue) -> impl Iterator<Item = Option<&str>> + '_ {
        let (s, n) = (t.key.0 as usize, t.key.1 as usize);
        self.keys
            .get(s..s + n)
            .unwrap_or(&[])
            .iter()
            .map(|k| k.and_then(|k| self.span(k)))
    }

    /// A tap's group-by values, owned (for a new group or an alert).
    pub(crate) fn key_owned(&self, t: &TapValue) -> Box<[Option<Box<str>>]> {
        self.key(t).map(|k| k.map(Box::from)).collect()
    }

    /// A tap's field text (`new_terms`, `sequential`).
    pub(crate) fn text(&self, t: &TapValue) -> Option<&str> {
        self.span(t.text?)
    }

    /// Appends `v`'s text to the buffer.
    fn push_text(&mut self, v: &Value<'_>) -> Span {
        let start = self.text.len();
        let _ = write!(self.text, "{v}");
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(self.text.len() - start).unwrap_or(0),
        }
    }
}

/// The key used to hash a value for `value_count`.
pub(crate) fn value_hash(text: &str) -> u64 {
    // SipHash with fixed keys: deterministic across runs and processes.
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Appends the observation of an event that matched detection rule `rule`
/// to `out`; returns `false` (and appends nothing) when no correlation
/// consumes that rule.
pub fn observe(
    plan: &CorrelationPlan,
    rule: usize,
    event: &Event<'_>,
    log: LogRef,
    out: &mut Observations,
) -> bool {
    let Some(taps) = plan.taps.get(rule).filter(|t| !t.is_empty()) else {
        return false;
    };
    let first_tap = out.taps.len();
    for t in taps.iter() {
        let key_start = out.keys.len();
        for f in t.key.iter() {
            let span = f.get(event).map(|v| out.push_text(&v));
            out.keys.push(span);
        }
        let key = (
            u32::try_from(key_start).unwrap_or(u32::MAX),
            u32::try_from(t.key.len()).unwrap_or(0),
        );
        let v = t.value.as_ref().and_then(|f| f.get(event));
        let text = match (&v, t.text) {
            (Some(v), true) => Some(out.push_text(v)),
            _ => None,
        };
        let value = v.and_then(|v| {
            if t.numeric {
                number(&v).map(ObsValue::Num)
            } else {
                out.scratch.clear();
                let _ = write!(out.scratch, "{v}");
                Some(ObsValue::Hash(value_hash(&out.scratch)))
            }
        });
        let mut tv = TapValue {
            key,
            fp: 0,
            value,
            text,
        };
        tv.fp = out.state_key.entity(out.key(&tv));
        out.taps.push(tv);
    }
    out.records.push(ObsRecord {
        rule: rule as u32,
        time: event.timestamp,
        log,
        taps: (
            u32::try_from(first_tap).unwrap_or(u32::MAX),
            u32::try_from(taps.len()).unwrap_or(0),
        ),
    });
    true
}

/// A field value as a number: numbers, and text that parses as one.
fn number(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        Value::Str(s) => s.trim().parse::<f64>().ok(),
        Value::Bool(_) | Value::List(_) => None,
    }
    .filter(|x| x.is_finite())
}
