//! Detection: PI detectors and compiled rules applied to events.
//!
//! [`Detector`] is the stateless, per-event part of detection. It is
//! immutable and shared by every worker thread; each thread keeps its own
//! [`DetectScratch`] so evaluating an event allocates nothing unless it
//! raises an alert. Stateful detections run after the pipeline's reorder
//! step: for each event that matched a rule a correlation refers to, the
//! detector appends an observation to the chunk's
//! [`Observations`](correlation::Observations) batch, which the collector
//! feeds to the [`CorrelationEngine`](correlation::CorrelationEngine).

pub mod correlation;
pub mod pi;
pub mod rule;

use crate::alert::{Alert, AlertKind, LogRef};
use crate::event::{Event, Value};
use crate::source::FileInfo;
use correlation::{Observations, observe};
use pi::{PiFinding, PiScanner, PiScratch};
use rule::{RuleScratch, RuleSet};
use std::borrow::Cow;
use std::sync::Arc;

/// The per-event detectors: PI scanning, then rule matching.
#[derive(Debug, Clone)]
pub struct Detector {
    rules: Arc<RuleSet>,
    pi: Option<Arc<PiScanner>>,
    /// The correlation engine's state key: observation batches compute
    /// group fingerprints with it.
    state_key: correlation::EntityKey,
}

/// Per-thread reusable buffers of a [`Detector`].
#[derive(Debug)]
pub struct DetectScratch {
    rules: RuleScratch,
    pi: PiScratch,
    hits: Vec<usize>,
    observations: Observations,
}

impl DetectScratch {
    /// The correlation observations collected since the last call, in
    /// event order (the pipeline takes them once per chunk).
    pub fn take_observations(&mut self) -> Observations {
        let fresh = self.observations.fresh_like();
        std::mem::replace(&mut self.observations, fresh)
    }
}

impl Detector {
    /// A detector from compiled rules and an optional PI scanner.
    pub fn new(rules: Arc<RuleSet>, pi: Option<Arc<PiScanner>>) -> Self {
        Detector {
            rules,
            pi,
            state_key: correlation::EntityKey::default(),
        }
    }

    /// Keys observation batches for `engine`: group fingerprints are
    /// computed on the workers with the engine's key (see
    /// [`CorrelationEngine::set_key`](correlation::CorrelationEngine::set_key)).
    pub fn key_observations_for(&mut self, engine: &correlation::CorrelationEngine) {
        self.state_key = engine.state_key();
    }

    /// The compiled rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The compiled rules, shared (the correlation engine keeps them).
    pub fn rules_arc(&self) -> Arc<RuleSet> {
        self.rules.clone()
    }

    /// Fresh per-thread buffers.
    pub fn new_scratch(&self) -> DetectScratch {
        DetectScratch {
            rules: self.rules.new_scratch(),
            pi: match &self.pi {
                Some(p) => p.new_scratch(),
                None => PiScratch::default(),
            },
            hits: Vec::new(),
            observations: Observations::new(self.state_key),
        }
    }

    /// Scans `ev` for PI, filling `ev.pi` (a no-op when PI detection is off),
    /// and exposes the findings to rules as the list fields `pi.category`,
    /// `pi.field` and `pi.key` (see `docs/RULES.md`).
    pub fn scan_pi(&self, ev: &mut Event<'_>, scratch: &mut DetectScratch) {
        if let Some(pi) = &self.pi {
            let mut found = std::mem::take(&mut ev.pi);
            pi.scan_event(ev, &mut scratch.pi, &mut found);
            ev.pi = found;
            expose_pi_fields(ev);
        }
    }

    /// Scans `ev` for PI (filling `ev.pi`) and evaluates every rule; one
    /// alert per matching rule is appended to `out`, except for rules whose
    /// matches only feed correlations (`generate: false`). Matches of rules
    /// a correlation refers to are also kept as observations in `scratch`
    /// ([`DetectScratch::take_observations`]).
    pub fn detect(
        &self,
        ev: &mut Event<'_>,
        scratch: &mut DetectScratch,
        file: &FileInfo,
        out: &mut Vec<Alert>,
    ) {
        self.scan_pi(ev, scratch);
        scratch.hits.clear();
        self.rules
            .evaluate(ev, &mut scratch.rules, &mut scratch.hits);
        let plan = self.rules.correlations();
        let log = || LogRef {
            path: file.path.clone(),
            line: ev.origin.line,
            offset: ev.origin.offset,
        };
        for &i in &scratch.hits {
            let Some(rule) = self.rules.rules().get(i) else {
                continue;
            };
            if plan.is_tapped(i) {
                observe(plan, i, ev, log(), &mut scratch.observations);
            }
            if plan.is_silent(i) {
                continue;
            }
            out.push(Alert {
                timestamp: ev.timestamp,
                rule: rule.info.clone(),
                kind: AlertKind::Match,
                entity: rule.entity(ev),
                pi: relevant_pi(&ev.pi),
                window: None,
                log: log(),
                first: None,
                message: rule.message(ev),
                suppressed: 0,
            });
        }
    }
}

/// Runs the examples of rule files (`picket rules test`): raw-line examples
/// go through the pipeline's enrichment (default config) and PI scanning
/// (a fixed test key) before the rules see them.
pub fn run_rule_examples(
    paths: &[std::path::PathBuf],
    include_builtin: bool,
    options: &rule::RuleOptions,
) -> rule::ExamplesReport {
    let cfg = crate::config::ConfigFile::default();
    let enricher = crate::enrich::Enricher::from_config(&cfg).ok();
    let pi = PiScanner::new(&pi::PiConfig::new(b"picket rules test".to_vec()));
    let detector = Detector::new(Arc::new(RuleSet::default()), Some(Arc::new(pi)));
    let mut scratch = detector.new_scratch();
    let mut enrich_scratch = crate::enrich::EnrichScratch::default();
    rule::run_examples_with(paths, include_builtin, options, &mut |ev| {
        if let Some(e) = &enricher {
            e.enrich(ev, &mut enrich_scratch);
        }
        detector.scan_pi(ev, &mut scratch);
    })
}

/// Sets `pi.category`, `pi.field` and `pi.key` (distinct values, in finding
/// order) so Sigma rules can select on findings. Allocates only for events
/// that have findings.
pub fn expose_pi_fields(ev: &mut Event<'_>) {
    if ev.pi.is_empty() {
        return;
    }
    fn distinct<'x>(it: impl Iterator<Item = &'x str>) -> Value<'static> {
        let mut out: Vec<Cow<'static, str>> = Vec::new();
        for s in it {
            if !out.iter().any(|o| o == s) {
                out.push(Cow::Owned(s.to_string()));
            }
        }
        Value::List(out)
    }
    let category = distinct(ev.pi.iter().map(|f| f.category));
    let field = distinct(ev.pi.iter().map(|f| f.field));
    let key = distinct(ev.pi.iter().filter_map(|f| f.key.as_deref()));
    ev.set_extra("pi.category", category);
    ev.set_extra("pi.field", field);
    if matches!(&key, Value::List(l) if !l.is_empty()) {
        ev.set_extra("pi.key", key);
    }
}

/// Findings attached to an alert: every finding of the event (they are
/// masked), capped so one pathological line cannot make a huge alert.
fn relevant_pi(found: &[PiFinding]) -> Vec<PiFinding> {
    found.iter().take(16).cloned().collect()
}
