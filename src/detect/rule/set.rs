//! The compiled rule set and per-event evaluation.

use super::compiled::CompiledRule;
use super::error::RuleError;
use super::load::{Loaded, load_all, load_text};
use super::matcher::any_text;
use super::plan::{self, Marks, Plan};
use super::tree::{Direct, Gate, Leaf, LeafOracle, Target, run_leaf};
use crate::event::{Event, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every loaded rule, compiled, with the prefilter built over all of them.
/// Immutable and `Send + Sync`: one set is shared by all worker threads,
/// each with its own [`RuleScratch`]. The default is the empty set.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    plans: Vec<Plan>,
    /// Plan index per [`Format`](crate::parse::Format) (`format as usize`).
    plan_of: Vec<Option<usize>>,
    leaf_total: usize,
}

/// Per-thread buffers for [`RuleSet::evaluate`], reused across events so
/// that evaluation allocates nothing in the steady state.
#[derive(Debug, Default)]
pub struct RuleScratch {
    /// Event epoch: a stamp equal to it was set during this event, so
    /// nothing has to be cleared between events.
    epoch: u32,
    leaf_stamp: Vec<u32>,
    rule_stamp: Vec<u32>,
    touched: Vec<u32>,
    /// Decimal text of number fields.
    num: String,
}

impl RuleScratch {
    /// Starts an event; sizes the buffers for `set` (a scratch made for one
    /// set still works, after growing, with another).
    fn begin(&mut self, set: &RuleSet) -> u32 {
        if self.leaf_stamp.len() < set.leaf_total {
            self.leaf_stamp.resize(set.leaf_total, 0);
        }
        if self.rule_stamp.len() < set.rules.len() {
            self.rule_stamp.resize(set.rules.len(), 0);
        }
        self.touched.clear();
        if self.epoch == u32::MAX {
            self.leaf_stamp.fill(0);
            self.rule_stamp.fill(0);
            self.epoch = 0;
        }
        self.epoch += 1;
        self.epoch
    }
}

/// The prefiltered evaluator's leaves: decided by the scan where it can.
struct Gated<'s> {
    stamps: &'s [u32],
    epoch: u32,
    base: u32,
    buf: &'s mut String,
}

impl LeafOracle for Gated<'_> {
    #[inline]
    fn leaf(&mut self, target: &Target, leaf: &Leaf, event: &Event<'_>) -> bool {
        let hit = || self.stamps.get((self.base + leaf.id) as usize) == Some(&self.epoch);
        match leaf.gate {
            Gate::None => run_leaf(target, &leaf.matcher, event, self.buf),
            Gate::Certain => hit(),
            Gate::Necessary => hit() && run_leaf(target, &leaf.matcher, event, self.buf),
        }
    }
}

impl RuleSet {
    /// The built-in rules embedded from `detections/`.
    pub fn builtin() -> Result<RuleSet, Vec<RuleError>> {
        Self::load(&[], true)
    }

    /// Loads rule files and directories (recursively, `*.yml` and `*.yaml`),
    /// after the built-in rules if `include_builtin`. Fails with every error
    /// found, in file order, if any rule does not load.
    pub fn load(paths: &[PathBuf], include_builtin: bool) -> Result<RuleSet, Vec<RuleError>> {
        let (set, errors) = Self::load_partial(paths, include_builtin);
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// Compiles rules from YAML text (one or more `---` documents), as if
    /// read from `path`: for rules that come from elsewhere than files, and
    /// for tests and fuzzing.
    pub fn from_yaml(path: &Path, text: &str) -> Result<RuleSet, Vec<RuleError>> {
        let mut loaded = Loaded::default();
        load_text(path, text, &mut loaded);
        let Loaded { rules, mut errors } = loaded;
        let set = Self::from_rules(rules, &mut errors);
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// Loads what can be loaded and returns it with every error (for
    /// `picket rules test`, which still runs the good rules' examples).
    pub(crate) fn load_partial(
        paths: &[PathBuf],
        include_builtin: bool,
    ) -> (RuleSet, Vec<RuleError>) {
        let Loaded { rules, mut errors } = load_all(paths, include_builtin);
        let set = Self::from_rules(rules, &mut errors);
        (set, errors)
    }

    /// Links compiled rules into a set: rejects duplicate ids, numbers the
    /// leaves, builds the prefilter.
    pub(crate) fn from_rules(rules: Vec<CompiledRule>, errors: &mut Vec<RuleError>) -> RuleSet {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut kept = Vec::with_capacity(rules.len());
        let mut leaf_total: usize = 0;
        for mut rule in rules {
            if let Some(first) = seen.get(&rule.info.id) {
                let msg = format!(
                    "duplicate rule id `{}` (first defined at {first})",
                    rule.info.id
                );
                errors.push(RuleError::new(&rule.source.path, rule.source.line, 1, msg));
                continue;
            }
            let Ok(base) = u32::try_from(leaf_total) else {
                errors.push(RuleError::new(
                    &rule.source.path,
                    rule.source.line,
                    1,
                    "too many rule values in one set",
                ));
                continue;
            };
            seen.insert(rule.info.id.clone(), rule.source.to_string());
            rule.leaf_base = base;
            leaf_total += rule.tree.leaf_count as usize;
            kept.push(rule);
        }
        match plan::build(&kept) {
            Ok((plans, plan_of)) => RuleSet {
                rules: kept,
                plans,
                plan_of,
                leaf_total,
            },
            Err(message) => {
                errors.push(RuleError::new(Path::new("(rule set)"), 1, 1, message));
                RuleSet::default()
            }
        }
    }

    /// The rules, in load order; [`evaluate`](Self::evaluate) reports
    /// indices into this slice.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Fresh per-thread buffers for [`evaluate`](Self::evaluate).
    pub fn new_scratch(&self) -> RuleScratch {
        RuleScratch::default()
    }

    /// Evaluates every rule that applies to the event's format. `hits` is
    /// cleared, then receives the indices (into [`rules`](Self::rules)) of
    /// the rules that match, ascending.
    pub fn evaluate(&self, event: &Event<'_>, scratch: &mut RuleScratch, hits: &mut Vec<usize>) {
        hits.clear();
        let Some(plan) = self
            .plan_of
            .get(event.format as usize)
            .copied()
            .flatten()
            .and_then(|i| self.plans.get(i))
        else {
            return;
        };
        let epoch = scratch.begin(self);
        let RuleScratch {
            leaf_stamp,
            rule_stamp,
            touched,
            num,
            ..
        } = scratch;
        let mut marks = Marks {
            epoch,
            leaf_stamp,
            rule_stamp,
            touched,
        };
        for scan in plan.scans.iter() {
            let mut run = |v: &Value<'_>| {
                any_text(v, num, &mut |s| {
                    scan.run(s, &mut marks);
                    false
                });
            };
            match &scan.target {
                Target::Field(f) => {
                    if let Some(v) = f.get(event) {
                        run(v);
                    }
                }
                Target::Keywords => {
                    event.fields().for_each(|(_, v)| run(v));
                    event.extras().for_each(|(_, v)| run(v));
                }
            }
        }
        let Marks {
            leaf_stamp,
            touched,
            ..
        } = marks;
        let mut oracle = Gated {
            stamps: leaf_stamp,
            epoch,
            base: 0,
            buf: num,
        };
        let candidates = plan
            .always
            .iter()
            .chain(touched.iter().filter(|&&r| self.needs_hit(r)));
        for &r in candidates {
            let Some(rule) = self.rules.get(r as usize) else {
                continue;
            };
            oracle.base = rule.leaf_base;
            if rule.tree.eval(event, &mut oracle) {
                hits.push(r as usize);
            }
        }
        hits.sort_unstable();
    }

    fn needs_hit(&self, r: u32) -> bool {
        self.rules
            .get(r as usize)
            .is_some_and(|rule| rule.needs_hit)
    }

    /// Whether one rule matches, running every matcher and no prefilter:
    /// the naive evaluator that the prefiltered one must agree with.
    pub(crate) fn matches_naive(&self, rule: usize, event: &Event<'_>, buf: &mut String) -> bool {
        self.rules
            .get(rule)
            .is_some_and(|r| r.applies_to(event.format) && r.tree.eval(event, &mut Direct { buf }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_set_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<RuleSet>();
        assert::<CompiledRule>();
        assert::<RuleScratch>();
    }
}
