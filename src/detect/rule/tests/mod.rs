//! Rule engine tests.
//!
//! - `matching`: table-driven `check(detection, event, expect)` cases for
//!   every modifier, wildcard, `null`, integers, case, keywords and
//!   condition form (hayabusa's `check_select` style).
//! - `errors`: every kind of bad rule fails at the right `FILE:LINE:COL`.
//! - `prop`: property tests: fast matchers against a naive wildcard
//!   matcher, and prefiltered evaluation of random rule sets against the
//!   naive evaluator (memchr's oracle style).
//! - `builtin`: the shipped rules load, their examples pass, messages and
//!   entities render, `rules test` reports failures with locations.
//! - `perf` (ignored): prefiltered against naive throughput, in release.

mod builtin;
mod errors;
mod matching;
mod perf;
mod prop;

use super::error::RuleError;
use super::set::RuleSet;
use crate::event::{Event, Field, Origin, Value};
use crate::parse::Format;
use std::path::Path;

/// Compiles rule YAML as if read from `test.yml`.
pub(super) fn compile(yaml: &str) -> Result<RuleSet, Vec<RuleError>> {
    RuleSet::from_yaml(Path::new("test.yml"), yaml)
}

/// The errors of rule YAML that must not compile.
pub(super) fn errors(yaml: &str) -> Vec<RuleError> {
    match compile(yaml) {
        Ok(_) => panic!("compiled but should not:\n{yaml}"),
        Err(e) => e,
    }
}

/// A rule with the given detection body (indented by the caller's text at
/// column 0) and no logsource, so that it applies to every format.
pub(super) fn rule(detection: &str) -> String {
    let body: String = detection.lines().map(|l| format!("    {l}\n")).collect();
    format!("title: test rule\nid: test\ndetection:\n{body}")
}

/// An event of `format` with the given fields (extras by name).
pub(super) fn event<'a>(format: Format, fields: &[(&'a str, Value<'a>)]) -> Event<'a> {
    let mut ev = Event::new(format, Origin::default());
    for (name, v) in fields {
        match Field::from_name(name) {
            Some(f) => ev.set(f, v.clone()),
            None => ev.set_extra(*name, v.clone()),
        }
    }
    ev
}

/// Whether the only rule of `set` matches `ev`, asserting that the
/// prefiltered and the naive evaluator agree.
pub(super) fn matches(set: &RuleSet, ev: &Event<'_>) -> bool {
    let mut scratch = set.new_scratch();
    let mut hits = vec![99];
    set.evaluate(ev, &mut scratch, &mut hits);
    let fast = hits == [0];
    let naive = set.matches_naive(0, ev, &mut String::new());
    assert_eq!(
        fast, naive,
        "prefiltered and naive evaluation disagree on {ev:?}"
    );
    fast
}

/// Compiles a detection and checks it against an event (JSON format).
#[track_caller]
pub(super) fn check(detection: &str, fields: &[(&str, Value<'_>)], expect: bool) {
    let yaml = rule(detection);
    let set = compile(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e:?}"));
    let ev = event(Format::Json, fields);
    assert_eq!(matches(&set, &ev), expect, "\n{yaml}\nevent: {fields:?}");
}
