//! The compiled rule set and per-event evaluation.

use super::compiled::CompiledRule;
use super::error::RuleError;
use super::load::{Loaded, load_all, load_text};
use super::matcher::any_text;
use super::options::RuleOptions;
use super::plan::{self, ANY_FIELD, Marks, Plan, Segment};
use super::tree::{Direct, Gate, Leaf, LeafOracle, Target, run_leaf};
use crate::detect::correlation::{CorrelationDef, CorrelationPlan};
use crate::event::{Event, Value};
use std::borrow::Cow;
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
    /// Per leaf: decided by its matcher, not the search (see `plan`).
    direct: Vec<bool>,
    /// Per rule: evaluated on every event of its formats.
    always: Vec<bool>,
    correlations: CorrelationPlan,
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
    /// The event's field texts laid end to end, NUL-separated.
    text: String,
    /// Where each field text is in `text`.
    segments: Vec<Segment>,
    /// Fields whose text equals the segment before them (`url.original`
    /// is `url.path` when there is no query): searched once, matches
    /// credited to both.
    aliases: Vec<Segment>,
    /// Memory ranges of the borrowed field texts already in `text`, for
    /// skipping keyword-only fields that are slices of them.
    borrowed: Vec<(usize, usize)>,
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
    direct: &'s [bool],
    epoch: u32,
    base: u32,
    buf: &'s mut String,
}

impl LeafOracle for Gated<'_> {
    #[inline]
    fn leaf(&mut self, target: &Target, leaf: &Leaf, event: &Event<'_>) -> bool {
        let i = (self.base + leaf.id) as usize;
        let hit = || self.stamps.get(i) == Some(&self.epoch);
        if self.direct.get(i).copied().unwrap_or(false) {
            return run_leaf(target, &leaf.matcher, event, self.buf);
        }
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
        Self::load_with(paths, include_builtin, &RuleOptions::default())
    }

    /// [`load`](Self::load) with compilation settings (placeholders).
    pub fn load_with(
        paths: &[PathBuf],
        include_builtin: bool,
        options: &RuleOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let (set, errors) = Self::load_partial(paths, include_builtin, options);
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
        Self::from_yaml_with(path, text, &RuleOptions::default())
    }

    /// [`from_yaml`](Self::from_yaml) with compilation settings.
    pub fn from_yaml_with(
        path: &Path,
        text: &str,
        options: &RuleOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut loaded = Loaded::default();
        load_text(path, text, options, &mut loaded);
        let Loaded {
            rules,
            correlations,
            mut errors,
        } = loaded;
        let set = Self::from_rules(rules, correlations, &mut errors);
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
        options: &RuleOptions,
    ) -> (RuleSet, Vec<RuleError>) {
        let Loaded {
            rules,
            correlations,
            mut errors,
        } = load_all(paths, include_builtin, options);
        let set = Self::from_rules(rules, correlations, &mut errors);
        (set, errors)
    }

    /// Links compiled rules into a set: rejects duplicate ids and names,
    /// numbers the leaves, builds the prefilter, resolves correlations.
    pub(crate) fn from_rules(
        rules: Vec<CompiledRule>,
        correlations: Vec<CorrelationDef>,
        errors: &mut Vec<RuleError>,
    ) -> RuleSet {
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
            if let Some(name) = rule.name.as_ref().filter(|n| **n != rule.info.id) {
                if let Some(first) = seen.get(name) {
                    let msg = format!("duplicate rule name `{name}` (first defined at {first})");
                    errors.push(RuleError::new(&rule.source.path, rule.source.line, 1, msg));
                    continue;
                }
                seen.insert(name.clone(), rule.source.to_string());
            }
            seen.insert(rule.info.id.clone(), rule.source.to_string());
            rule.leaf_base = base;
            leaf_total += rule.tree.leaf_count as usize;
            kept.push(rule);
        }
        let mut defs = Vec::with_capacity(correlations.len());
        for c in correlations {
            let clash = std::iter::once(&c.info.id)
                .chain(c.name.iter().filter(|n| **n != c.info.id))
                .find_map(|n| seen.get(n).map(|first| (n.clone(), first.clone())));
            if let Some((n, first)) = clash {
                let msg = format!("duplicate rule id or name `{n}` (first defined at {first})");
                errors.push(RuleError::new(&c.source.path, c.source.line, 1, msg));
                continue;
            }
            seen.insert(c.info.id.clone(), c.source.to_string());
            if let Some(n) = &c.name {
                seen.insert(n.clone(), c.source.to_string());
            }
            defs.push(c);
        }
        let correlations = CorrelationPlan::build(&kept, defs, errors);
        match plan::build(&kept, leaf_total) {
            Ok(built) => RuleSet {
                rules: kept,
                plans: built.plans,
                plan_of: built.plan_of,
                leaf_total,
                direct: built.direct,
                always: built.always,
                correlations,
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

    /// The correlation rules, resolved against [`rules`](Self::rules).
    pub fn correlations(&self) -> &CorrelationPlan {
        &self.correlations
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
            text,
            segments,
            aliases,
            borrowed,
            ..
        } = scratch;
        // The texts of the fields some literal looks at, end to end (for
        // keywords, every field's).
        text.clear();
        segments.clear();
        aliases.clear();
        borrowed.clear();
        let timestamp_source = plan.timestamp_source;
        let mut push = |v: &Value<'_>, source: u32, text: &mut String| {
            any_text(v, num, &mut |s| {
                if let Some(last) = segments.last()
                    && Some(last.source) != timestamp_source
                    && text.get(last.start..last.end) == Some(s)
                {
                    // Keywords already search the previous segment.
                    if source != ANY_FIELD && source != last.source {
                        aliases.push(Segment {
                            start: last.start,
                            end: last.end,
                            source,
                        });
                    }
                    return false;
                }
                if !text.is_empty() {
                    text.push('\0');
                }
                let start = text.len();
                text.push_str(s);
                segments.push(Segment {
                    start,
                    end: text.len(),
                    source,
                });
                false
            });
        };
        // Ranges are only consulted to skip keyword-only fields.
        let skip_slices = plan.keywords && plan.keywords_unanchored;
        for (field, v) in event.fields() {
            if let Some(i) = plan.slot_source.get(field as usize).copied().flatten() {
                push(v, i, text);
                if let (true, Value::Str(Cow::Borrowed(s))) = (skip_slices, v) {
                    borrowed.push(range_of(s));
                }
            }
        }
        if !plan.extra_source.is_empty() {
            for (name, v) in event.extras() {
                if let Some(i) = plan.extra_source.get(name) {
                    push(v, *i, text);
                }
            }
        }
        if let (Some(i), Some(t)) = (plan.timestamp_source, event.timestamp) {
            push(&Value::Str(t.to_string().into()), i, text);
        }
        if plan.keywords {
            for (field, v) in event.fields() {
                if plan
                    .slot_source
                    .get(field as usize)
                    .copied()
                    .flatten()
                    .is_some()
                {
                    continue;
                }
                // Fields that cannot add a keyword match are not searched:
                // numbers when no keyword is a number, and slices of a text
                // already searched (`url.query`, `db.name`, `db.doc_id` of
                // `url.original`) when keywords are unanchored substrings.
                match v {
                    Value::Int(_) if !plan.keyword_digits => continue,
                    Value::Str(Cow::Borrowed(s)) if skip_slices => {
                        let (a, b) = range_of(s);
                        if borrowed.iter().any(|&(x, y)| x <= a && b <= y) {
                            continue;
                        }
                        borrowed.push((a, b));
                    }
                    _ => {}
                }
                push(v, ANY_FIELD, text);
            }
            for (name, v) in event.extras() {
                if !plan.extra_source.contains_key(name) {
                    push(v, ANY_FIELD, text);
                }
            }
        }
        let mut marks = Marks {
            epoch,
            leaf_stamp,
            rule_stamp,
            touched,
        };
        text.make_ascii_lowercase();
        plan.search(text, segments, aliases, event, &mut marks);
        let Marks {
            leaf_stamp,
            touched,
            ..
        } = marks;
        let mut oracle = Gated {
            stamps: leaf_stamp,
            direct: &self.direct,
            epoch,
            base: 0,
            buf: num,
        };
        let candidates = plan
            .always
            .iter()
            .chain(touched.iter().filter(|&&r| !self.is_always(r)));
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

    fn is_always(&self, r: u32) -> bool {
        self.always.get(r as usize).copied().unwrap_or(false)
    }

    /// Whether one rule matches, running every matcher and no prefilter:
    /// the naive evaluator that the prefiltered one must agree with.
    pub(crate) fn matches_naive(&self, rule: usize, event: &Event<'_>, buf: &mut String) -> bool {
        self.rules
            .get(rule)
            .is_some_and(|r| r.applies_to(event.format) && r.tree.eval(event, &mut Direct { buf }))
    }
}

/// The address range of a borrowed text: a field that is a slice of
/// another field's text lies inside its range.
fn range_of(s: &str) -> (usize, usize) {
    let a = s.as_ptr() as usize;
    (a, a + s.len())
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
