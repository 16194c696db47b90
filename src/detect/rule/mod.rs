//! Sigma rules: loading, compiling, matching (SPEC §1 `rules`, §3, §6).
//!
//! Rules are data compiled to typed matchers, in three layers:
//!
//! ```text
//! YAML ──serde──▶ spec (typed, located) ──compile──▶ CompiledRule (tree of typed matchers)
//!                                                         │
//!                       RuleSet ◀── plan: one Aho-Corasick automaton per field, all rules
//! ```
//!
//! - [`RuleSet`]: every rule, plus the prefilter. [`RuleSet::evaluate`]
//!   runs one multi-pattern pass per referenced field of an event, then
//!   evaluates only the rules that can still match, with a per-thread
//!   [`RuleScratch`] so that nothing is allocated per event.
//! - [`CompiledRule`]: identity ([`RuleInfo`](crate::alert::RuleInfo)),
//!   [`RuleSource`], the detection tree, and how to phrase an alert
//!   ([`CompiledRule::message`], [`CompiledRule::entity`]).
//! - [`RuleError`]: every problem, as `FILE:LINE:COL: message`.
//! - [`check`] and [`run_examples`]: `picket rules check` and `rules test`.
//!
//! Modules, in pipeline order: `spec` (serde model) → `load` (files,
//! directories, embedded `detections/`, multi-document YAML) → `compile`
//! (with `modifier`, `condition`, `mapping`, `matcher`, `template`) →
//! `tree` (the compiled detection and its naive evaluator) → `plan` (the
//! prefilter) → `set` (the rule set and per-event evaluation).
//!
//! ## Rule language (this version)
//!
//! - Selections: maps (`field: value`, AND across fields; a list of values
//!   is OR), lists of maps (OR), and keywords (field-less values or lists,
//!   `'|all': [...]`), which match as substrings of any field's text.
//! - Values: strings with `*`/`?` wildcards (`\*`, `\?`, `\\` escape them),
//!   integers (numeric equality with number fields, textual with text),
//!   booleans, and `null` (the field is absent or empty).
//! - Modifiers: `contains`, `startswith`, `endswith`, `all`, `re` (with `i`,
//!   `m`, `s`), `cased`, `exists`. Others are rejected by name.
//! - Matching is case-insensitive (ASCII folding) unless `cased`; `re` is
//!   case-sensitive unless `re|i`, as in Sigma.
//! - Conditions: `and`, `or`, `not`, parentheses, selection names,
//!   `1 of`/`any of`/`all of` a `*` pattern or `them`.
//! - Field names: the rule's taxonomy (web server/proxy), SPEC §3 names,
//!   then format-specific extras by name (see `mapping`).
//! - Picket's own keys: `x-picket-message`, `x-picket-entity`,
//!   `x-picket-tests`.
//!
//! ```
//! use picket::detect::rule::RuleSet;
//! use picket::event::{Event, Field};
//! use picket::parse::Format;
//!
//! let rules = RuleSet::builtin().expect("built-in rules load");
//! let mut ev = Event::new(Format::Couchdb, Default::default());
//! ev.set_str(Field::UrlPath, "/acme_customers/_all_docs");
//! ev.set_str(Field::UrlQuery, "include_docs=true");
//! ev.set_str(Field::UserName, "app-7");
//! let (mut scratch, mut hits) = (rules.new_scratch(), Vec::new());
//! rules.evaluate(&ev, &mut scratch, &mut hits);
//! let titles: Vec<_> = hits.iter().map(|&i| rules.rules()[i].info.title.as_str()).collect();
//! assert!(titles.contains(&"Bulk read of a document database"));
//! ```

mod compile;
mod compiled;
mod condition;
mod error;
mod examples;
mod load;
mod mapping;
mod matcher;
mod modifier;
mod plan;
mod set;
mod spec;
mod template;
mod tree;

#[cfg(test)]
mod tests;

pub use compiled::{CompiledRule, LogSource, RuleSource};
pub use error::RuleError;
pub use examples::{
    ExampleOutcome, ExampleResult, ExamplesReport, RuleExamples, run_examples, run_examples_with,
};
pub use set::{RuleScratch, RuleSet};

use std::path::PathBuf;

/// Compiles the rule files under `paths` (not the built-in rules) and
/// returns every error, for `picket rules check`. Empty means all good.
pub fn check(paths: &[PathBuf]) -> Vec<RuleError> {
    RuleSet::load_partial(paths, false).1
}
