//! `x-picket-tests`: examples in rule files, and `picket rules test`.
//!
//! ```yaml
//! x-picket-tests:
//!   format: combined
//!   match: ['203.0.113.9 - app-7 [02/Mar/2026:08:00:01 +0000] "GET /acme/_all_docs HTTP/1.1" 200 512 "-" "curl/8"']
//!   no_match: [...]
//!   match_events: [{url.path: /acme/_all_docs, user.name: app-7}]
//!   no_match_events: [...]
//! ```
//!
//! Raw lines are parsed with the format's parser and scanned for PI
//! (findings exposed as `pi.*`), exactly as replay would.
//! Events are flat maps of picket field names (what `picket parse` prints;
//! `event.dataset` there sets the format, `@timestamp` and `log.*` are
//! ignored), so a rule can be tested even where no parser exists yet. An
//! event's format is `format`, else the first format the rule applies to.
//!
//! Each example runs through the whole rule set's prefiltered evaluation
//! and, as a cross-check, through the naive evaluator; a disagreement is
//! reported as a failure, since it is an engine bug.

use super::compile::Locator;
use super::error::RuleError;
use super::options::RuleOptions;
use super::set::RuleSet;
use super::spec::{EventSpec, Scalar, TestsSpec, ValuesSpec};
use crate::alert::LogRef;
use crate::detect::correlation::{CorrelationEngine, CorrelationSettings, observe};
use crate::event::{Event, Field, Origin, Timestamp, Value};
use crate::parse::{Format, Reason, parser_for};
use serde_saphyr::{Location, Spanned};
use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A rule's examples, typed.
#[derive(Clone, Debug)]
pub(crate) struct Examples {
    format: Option<Format>,
    cases: Vec<Case>,
}

#[derive(Clone, Debug)]
struct Case {
    expect_match: bool,
    /// Line of the example in the rule file.
    line: u64,
    input: Input,
}

#[derive(Clone, Debug)]
enum Input {
    Line(String),
    Event(Vec<(String, ExampleValue)>),
}

#[derive(Clone, Debug)]
enum ExampleValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<String>),
}

impl Examples {
    /// Checks and types a rule's `x-picket-tests`.
    pub fn from_spec(
        spec: &TestsSpec,
        at: &Location,
        loc: &Locator<'_>,
        errs: &mut Vec<RuleError>,
    ) -> Option<Examples> {
        let format = match &spec.format {
            None => None,
            Some(f) => match Format::from_name(f.value.trim()) {
                Some(f) => Some(f),
                None => {
                    let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                    errs.push(loc.err(
                        &f.referenced,
                        format!(
                            "unknown format `{}` (expected {})",
                            f.value,
                            names.join(", ")
                        ),
                    ));
                    return None;
                }
            },
        };
        if !spec.sequence.is_empty()
            || !spec.sequence_events.is_empty()
            || spec.expect.is_some()
            || !spec.sequences.is_empty()
        {
            errs.push(loc.err(
                at,
                "`sequence`, `sequence_events`, `expect` and `sequences` are examples of correlation rules; detection rules use `match`, `no_match`, `match_events`, `no_match_events`",
            ));
            return None;
        }
        let mut cases = Vec::new();
        for (lines, expect_match) in [(&spec.matches, true), (&spec.no_match, false)] {
            for l in lines {
                cases.push(Case {
                    expect_match,
                    line: l.referenced.line(),
                    input: Input::Line(l.value.clone()),
                });
            }
        }
        if format.is_none() && !cases.is_empty() {
            errs.push(loc.err(at, "`x-picket-tests` has raw log lines but no `format`"));
            return None;
        }
        for (events, expect_match) in [(&spec.match_events, true), (&spec.no_match_events, false)] {
            for e in events {
                cases.push(Case {
                    expect_match,
                    line: e.referenced.line(),
                    input: Input::Event(event_fields(e)),
                });
            }
        }
        if cases.is_empty() {
            errs.push(loc.err(at, "`x-picket-tests` has no examples"));
            return None;
        }
        Some(Examples { format, cases })
    }
}

fn event_fields(e: &Spanned<EventSpec>) -> Vec<(String, ExampleValue)> {
    let scalar = |s: &Scalar| match s {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(ExampleValue::Bool(*b)),
        Scalar::Int(i) => Some(ExampleValue::Int(*i)),
        Scalar::Float(f) => Some(ExampleValue::Float(*f)),
        Scalar::Str(s) => Some(ExampleValue::Str(s.clone())),
    };
    e.value
        .0
        .iter()
        .filter_map(|(k, v)| {
            let value = match v {
                ValuesSpec::One(s) => scalar(s)?,
                ValuesSpec::Many(l) => {
                    ExampleValue::List(l.iter().filter_map(|s| s.value.text()).collect())
                }
            };
            Some((k.value.clone(), value))
        })
        .collect()
}

/// Builds an event from example fields (borrowing their text).
fn build_event(default_format: Format, fields: &[(String, ExampleValue)]) -> Event<'_> {
    let format = fields
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("event.dataset", ExampleValue::Str(s)) => Format::from_name(s),
            _ => None,
        })
        .unwrap_or(default_format);
    let mut ev = Event::new(format, Origin::default());
    for (name, v) in fields {
        if let ("@timestamp", ExampleValue::Str(t)) = (name.as_str(), v) {
            ev.timestamp = parse_time(t);
        }
        if matches!(
            name.as_str(),
            "@timestamp" | "event.dataset" | "log.file.path" | "log.line" | "log.offset"
        ) {
            continue;
        }
        let value = match v {
            ExampleValue::Str(s) => Value::Str(Cow::Borrowed(s)),
            ExampleValue::Int(i) => Value::Int(*i),
            ExampleValue::Float(f) => Value::Float(*f),
            ExampleValue::Bool(b) => Value::Bool(*b),
            ExampleValue::List(l) => {
                Value::List(l.iter().map(|s| Cow::Borrowed(s.as_str())).collect())
            }
        };
        match Field::from_name(name) {
            Some(f) => ev.set(f, value),
            None => ev.set_extra(name.as_str(), value),
        }
    }
    ev
}

/// An RFC 3339 time (`2026-03-02T08:00:01Z`) as event time.
fn parse_time(text: &str) -> Option<Timestamp> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    i64::try_from(t.unix_timestamp_nanos()).ok().map(Timestamp)
}

/// A correlation rule's examples: scenarios of events fed in order, each
/// with the number of alerts it must raise.
#[derive(Clone, Debug)]
pub(crate) struct CorrelationExamples {
    format: Option<Format>,
    scenarios: Vec<Scenario>,
}

#[derive(Clone, Debug)]
struct Scenario {
    /// Line of the scenario in the rule file.
    line: u64,
    expect: u64,
    inputs: Vec<Input>,
}

impl CorrelationExamples {
    /// Checks and types a correlation rule's `x-picket-tests`.
    pub fn from_spec(
        spec: &TestsSpec,
        at: &Location,
        loc: &Locator<'_>,
        errs: &mut Vec<RuleError>,
    ) -> Option<CorrelationExamples> {
        if !spec.matches.is_empty()
            || !spec.no_match.is_empty()
            || !spec.match_events.is_empty()
            || !spec.no_match_events.is_empty()
        {
            errs.push(loc.err(
                at,
                "correlation rules take `sequence`/`sequence_events` with `expect`, or `sequences`; `match`/`no_match` examples belong to the rules they refer to",
            ));
            return None;
        }
        let format = match &spec.format {
            None => None,
            Some(f) => match Format::from_name(f.value.trim()) {
                Some(f) => Some(f),
                None => {
                    errs.push(loc.err(&f.referenced, format!("unknown format `{}`", f.value)));
                    return None;
                }
            },
        };
        let before = errs.len();
        let mut scenarios = Vec::new();
        let mut add = |line: u64,
                       expect: u64,
                       lines: &[Spanned<String>],
                       events: &[Spanned<EventSpec>],
                       errs: &mut Vec<RuleError>| {
            if lines.is_empty() && events.is_empty() {
                errs.push(RuleError::new(
                    loc.path,
                    line,
                    1,
                    "a scenario needs `lines` or `events`",
                ));
                return;
            }
            if !lines.is_empty() && format.is_none() {
                errs.push(RuleError::new(loc.path, line, 1, "raw lines need `format`"));
                return;
            }
            let mut inputs: Vec<Input> =
                lines.iter().map(|l| Input::Line(l.value.clone())).collect();
            for e in events {
                let fields = event_fields(e);
                let has_time = fields.iter().any(|(k, v)| {
                    k == "@timestamp"
                        && matches!(v, ExampleValue::Str(t) if parse_time(t).is_some())
                });
                if !has_time {
                    errs.push(loc.err(
                        &e.referenced,
                        "events of a correlation scenario need an RFC 3339 `@timestamp`",
                    ));
                }
                inputs.push(Input::Event(fields));
            }
            scenarios.push(Scenario {
                line,
                expect,
                inputs,
            });
        };
        match &spec.expect {
            Some(expect) => add(
                expect.referenced.line(),
                expect.value,
                &spec.sequence,
                &spec.sequence_events,
                errs,
            ),
            None if !spec.sequence.is_empty() || !spec.sequence_events.is_empty() => {
                errs.push(loc.err(
                    at,
                    "`sequence` needs `expect` (the number of alerts it raises)",
                ));
            }
            None => {}
        }
        for sq in &spec.sequences {
            add(
                sq.referenced.line(),
                sq.value.expect,
                &sq.value.lines,
                &sq.value.events,
                errs,
            );
        }
        if errs.len() > before {
            return None;
        }
        if scenarios.is_empty() {
            errs.push(loc.err(at, "`x-picket-tests` has no scenarios"));
            return None;
        }
        Some(CorrelationExamples { format, scenarios })
    }
}

/// What happened to one example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExampleResult {
    /// The rule did what the example says.
    Pass,
    /// It did not; why.
    Fail(String),
    /// The example could not run in this build (e.g. no parser for its
    /// format yet); why.
    Skipped(String),
}

/// One example's outcome.
#[derive(Clone, Debug)]
pub struct ExampleOutcome {
    /// Line of the example in the rule file.
    pub line: u64,
    /// Whether the example must match (`match`, `match_events`).
    pub expect_match: bool,
    /// The raw line, or the event as JSON.
    pub input: String,
    /// The result.
    pub result: ExampleResult,
}

/// The examples of one rule.
#[derive(Clone, Debug)]
pub struct RuleExamples {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Rule file.
    pub path: PathBuf,
    /// Every example, in file order (lines first, then events).
    pub outcomes: Vec<ExampleOutcome>,
}

/// The result of `picket rules test`.
#[derive(Clone, Debug, Default)]
pub struct ExamplesReport {
    /// Rules that did not load (their examples did not run).
    pub errors: Vec<RuleError>,
    /// Rules that have examples, in load order.
    pub rules: Vec<RuleExamples>,
    /// Loaded rules without examples.
    pub untested: usize,
}

impl ExamplesReport {
    /// No load error and no failed example (skipped ones are not failures).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.count(|r| matches!(r, ExampleResult::Fail(_))) == 0
    }

    /// Number of examples whose result satisfies `pred`.
    pub fn count(&self, pred: impl Fn(&ExampleResult) -> bool) -> usize {
        self.rules
            .iter()
            .flat_map(|r| &r.outcomes)
            .filter(|o| pred(&o.result))
            .count()
    }
}

impl fmt::Display for ExamplesReport {
    /// One line per rule (`PASS`/`FAIL`/`SKIP`), failures and skips below
    /// it as `FILE:LINE: …`, load errors, then totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.rules {
            let failed = r
                .outcomes
                .iter()
                .any(|o| matches!(o.result, ExampleResult::Fail(_)));
            let all_skipped = r
                .outcomes
                .iter()
                .all(|o| matches!(o.result, ExampleResult::Skipped(_)));
            let status = if failed {
                "FAIL"
            } else if all_skipped {
                "SKIP"
            } else {
                "PASS"
            };
            writeln!(f, "{status} {} ({})", r.id, r.title)?;
            for o in &r.outcomes {
                let kind = if o.expect_match { "match" } else { "no_match" };
                let (word, why) = match &o.result {
                    ExampleResult::Pass => continue,
                    ExampleResult::Fail(why) => ("failed", why),
                    ExampleResult::Skipped(why) => ("skipped", why),
                };
                writeln!(
                    f,
                    "  {}:{}: {kind} example {word}: {why}: {}",
                    r.path.display(),
                    o.line,
                    o.input
                )?;
            }
        }
        for e in &self.errors {
            writeln!(f, "{e}")?;
        }
        let pass = self.count(|r| *r == ExampleResult::Pass);
        let fail = self.count(|r| matches!(r, ExampleResult::Fail(_)));
        let skip = self.count(|r| matches!(r, ExampleResult::Skipped(_)));
        write!(
            f,
            "{} rules with examples ({} without): {pass} passed, {fail} failed, {skip} skipped; {} rules did not load",
            self.rules.len(),
            self.untested,
            self.errors.len()
        )
    }
}

/// Runs the examples of every rule under `paths` (and of the built-in
/// rules if `include_builtin`). Raw-line examples are only parsed; use
/// [`run_examples_with`] to also enrich them and scan them for PI as the
/// pipeline does.
pub fn run_examples(
    paths: &[PathBuf],
    include_builtin: bool,
    options: &RuleOptions,
) -> ExamplesReport {
    run_examples_with(paths, include_builtin, options, &mut |_| {})
}

/// Like [`run_examples`], with `prepare` applied to every event parsed from
/// a raw-line example before the rules see it (the pipeline's enrichment
/// and PI scanning). Events given as field maps are used as written.
pub fn run_examples_with(
    paths: &[PathBuf],
    include_builtin: bool,
    options: &RuleOptions,
    prepare: &mut dyn FnMut(&mut Event<'_>),
) -> ExamplesReport {
    let (set, errors) = RuleSet::load_partial(paths, include_builtin, options);
    let set = Arc::new(set);
    let mut report = ExamplesReport {
        errors,
        ..Default::default()
    };
    let mut scratch = set.new_scratch();
    let mut hits = Vec::new();
    let mut buf = String::new();
    for (idx, rule) in set.rules().iter().enumerate() {
        let Some(ex) = &rule.examples else {
            report.untested += 1;
            continue;
        };
        let mut outcomes = Vec::new();
        for case in &ex.cases {
            let mut check = |ev: &Event<'_>| {
                set.evaluate(ev, &mut scratch, &mut hits);
                let matched = hits.binary_search(&idx).is_ok();
                if matched != set.matches_naive(idx, ev, &mut buf) {
                    return ExampleResult::Fail(format!(
                        "engine bug: the prefiltered evaluation says {matched}, the direct one {}",
                        !matched
                    ));
                }
                match (case.expect_match, matched) {
                    (true, true) | (false, false) => ExampleResult::Pass,
                    (true, false) if !rule.applies_to(ev.format) => ExampleResult::Fail(format!(
                        "the rule's logsource does not apply to format {}",
                        ev.format
                    )),
                    (true, false) => ExampleResult::Fail("the rule did not match".into()),
                    (false, true) => ExampleResult::Fail("the rule matched".into()),
                }
            };
            let (input, result) = match &case.input {
                Input::Line(line) => (
                    line.clone(),
                    run_line(ex.format, line, &mut *prepare, &mut check),
                ),
                Input::Event(fields) => {
                    let json: serde_json::Map<_, _> = fields
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect();
                    let format = ex.format.or_else(|| rule.formats().next());
                    let result = match format {
                        Some(format) => check(&build_event(format, fields)),
                        None => ExampleResult::Fail(
                            "the rule's logsource applies to no input format".into(),
                        ),
                    };
                    (serde_json::Value::Object(json).to_string(), result)
                }
            };
            outcomes.push(ExampleOutcome {
                line: case.line,
                expect_match: case.expect_match,
                input,
                result,
            });
        }
        let info = &rule.info;
        let path = rule.source.path.to_path_buf();
        report.rules.push(RuleExamples {
            id: info.id.clone(),
            title: info.title.clone(),
            path,
            outcomes,
        });
    }
    for corr in set.correlations().rules() {
        let Some(ex) = &corr.examples else {
            report.untested += 1;
            continue;
        };
        let outcomes = ex
            .scenarios
            .iter()
            .map(|sc| run_scenario(&set, &corr.info.id, ex.format, sc, &mut *prepare))
            .collect();
        report.rules.push(RuleExamples {
            id: corr.info.id.clone(),
            title: corr.info.title.clone(),
            path: corr.source.path.to_path_buf(),
            outcomes,
        });
    }
    report
}

/// Feeds a scenario's events through the whole rule set and a fresh
/// correlation engine; counts the alerts of correlation `id`.
fn run_scenario(
    set: &Arc<RuleSet>,
    id: &str,
    format: Option<Format>,
    sc: &Scenario,
    prepare: &mut dyn FnMut(&mut Event<'_>),
) -> ExampleOutcome {
    let mut engine = CorrelationEngine::new(set.clone(), CorrelationSettings::default());
    let mut scratch = set.new_scratch();
    let mut hits = Vec::new();
    let mut alerts = Vec::new();
    let plan = set.correlations();
    let mut skipped = None;
    let lines = sc
        .inputs
        .iter()
        .filter(|i| matches!(i, Input::Line(_)))
        .count();
    let input = format!(
        "sequence of {} {} (expect {})",
        sc.inputs.len(),
        if lines > 0 { "lines" } else { "events" },
        sc.expect
    );
    for (i, inp) in sc.inputs.iter().enumerate() {
        let log = LogRef {
            path: "example".into(),
            line: i as u64 + 1,
            offset: 0,
        };
        let mut feed = |ev: &Event<'_>| {
            set.evaluate(ev, &mut scratch, &mut hits);
            for &h in &hits {
                let mut batch = engine.new_batch();
                if observe(plan, h, ev, log.clone(), &mut batch) {
                    engine.feed(batch, &mut alerts);
                }
            }
            ExampleResult::Pass
        };
        let r = match inp {
            Input::Line(line) => run_line(format, line, &mut *prepare, &mut feed),
            Input::Event(fields) => {
                let default = format.unwrap_or(Format::Json);
                feed(&build_event(default, fields))
            }
        };
        match r {
            ExampleResult::Pass => {}
            other => {
                skipped = Some(other);
                break;
            }
        }
    }
    engine.flush(&mut alerts);
    let raised = alerts.iter().filter(|a| a.rule.id == id).count() as u64;
    let result = match skipped {
        Some(r) => r,
        None if raised == sc.expect => ExampleResult::Pass,
        None => ExampleResult::Fail(format!("raised {raised} alert(s), expected {}", sc.expect)),
    };
    ExampleOutcome {
        line: sc.line,
        expect_match: sc.expect > 0,
        input,
        result,
    }
}

fn run_line(
    format: Option<Format>,
    line: &str,
    prepare: &mut dyn FnMut(&mut Event<'_>),
    check: &mut impl FnMut(&Event<'_>) -> ExampleResult,
) -> ExampleResult {
    let Some(format) = format else {
        return ExampleResult::Fail("no `format` for raw lines".into());
    };
    let Some(parser) = parser_for(format) else {
        return ExampleResult::Skipped(format!("this build has no {format} parser"));
    };
    let mut ev = Event::new(format, Origin::default());
    match parser.parse(line.as_bytes(), &mut ev) {
        Ok(()) => {
            prepare(&mut ev);
            check(&ev)
        }
        Err(e) if e.reason == Reason::Unsupported => ExampleResult::Skipped(format!(
            "the {format} parser is not available in this build yet"
        )),
        Err(e) => ExampleResult::Fail(format!("the line does not parse as {format}: {e}")),
    }
}

impl ExampleValue {
    fn to_json(&self) -> serde_json::Value {
        match self {
            ExampleValue::Str(s) => s.as_str().into(),
            ExampleValue::Int(i) => (*i).into(),
            ExampleValue::Float(f) => (*f).into(),
            ExampleValue::Bool(b) => (*b).into(),
            ExampleValue::List(l) => l.as_slice().into(),
        }
    }
}
