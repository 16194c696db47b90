//! From the serde model to a compiled rule.
//!
//! Everything a rule means is decided here, once: field names are resolved
//! to slots (through the taxonomy of the rule's `logsource`), modifiers are
//! checked against the allow-list, values become typed matchers, the
//! condition is parsed and its names resolved to selection indices. Errors
//! are collected, not returned at the first, so that one run of
//! `picket rules check` shows every problem of a rule.

use super::compiled::{CompiledRule, LogSource, RuleMeta, RuleSource};
use super::condition::{self, Cond};
use super::error::RuleError;
use super::examples::Examples;
use super::mapping::{Taxonomy, applicability, resolve_field};
use super::matcher::{LeafMatch, TextMatcher};
use super::modifier::{MatchKind, Modifiers, parse_key};
use super::spec::{
    ConditionSpec, DetectionSpec, FieldMap, ListElem, RuleDoc, Scalar, SelectionSpec, ValuesSpec,
};
use super::template::Template;
use super::tree::{Gate, Item, Leaf, Selection, Target, Tree};
use crate::alert::{Level, RuleInfo};
use serde_saphyr::{Location, Spanned};
use std::path::Path;
use std::sync::Arc;

/// Turns locations of the YAML into [`RuleError`]s for one file.
pub(crate) struct Locator<'a> {
    pub path: &'a Path,
    pub src: &'a str,
}

impl Locator<'_> {
    /// An error at a location.
    pub fn err(&self, at: &Location, message: impl Into<String>) -> RuleError {
        RuleError::new(self.path, at.line(), at.column(), message)
    }

    /// An error at byte `offset` inside the scalar `text` found at `at`.
    /// The column is exact when the scalar sits on one line as written
    /// (plain or quoted without escapes); otherwise the scalar's start is
    /// the best we can say.
    pub fn err_within(
        &self,
        at: &Location,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> RuleError {
        let mut col = at.column();
        if let Some(rest) = at
            .span()
            .byte_offset()
            .and_then(|b| self.src.get(b as usize..))
        {
            let (rest, quote) = match rest.as_bytes().first() {
                Some(b'\'' | b'"') => (rest.get(1..).unwrap_or_default(), 1),
                _ => (rest, 0),
            };
            let line = rest.split('\n').next().unwrap_or_default();
            if line.starts_with(text) {
                col += quote + text.get(..offset).map_or(0, |p| p.chars().count() as u64);
            }
        }
        RuleError::new(self.path, at.line(), col, message)
    }

    /// The source text of the scalar at a location, as written.
    fn source_text(&self, at: &Location) -> Option<&str> {
        let span = at.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.src.get(start..start.checked_add(len)?)
    }
}

/// Compiles one rule document. `fallback_id` names rules without an `id`.
pub(crate) fn compile_doc(
    doc: Spanned<RuleDoc>,
    loc: &Locator<'_>,
    fallback_id: String,
) -> Result<CompiledRule, Vec<RuleError>> {
    let at = doc.referenced;
    let d = doc.value;
    let mut errs = Vec::new();
    if let Some(action) = &d.action {
        let msg = format!(
            "Sigma rule collections (`action: {}`) are not supported: write each rule as a complete document",
            action.value
        );
        return Err(vec![loc.err(&action.referenced, msg)]);
    }
    if d.correlation.is_some() {
        return Err(vec![
            loc.err(&at, "Sigma correlation rules are not supported yet"),
        ]);
    }
    let title = match &d.title {
        Some(t) if !t.value.trim().is_empty() => t.value.trim().to_owned(),
        Some(t) => {
            errs.push(loc.err(&t.referenced, "`title` is empty"));
            String::new()
        }
        None => {
            errs.push(loc.err(&at, "rule has no `title`"));
            String::new()
        }
    };
    let id = match &d.id {
        Some(i) if i.value.trim().is_empty() => {
            errs.push(loc.err(&i.referenced, "`id` is empty"));
            String::new()
        }
        Some(i) => i.value.trim().to_owned(),
        None => fallback_id,
    };
    // Sigma makes `level` optional; picket's alerts need one.
    let level = match &d.level {
        None => Level::Medium,
        Some(l) => Level::from_name(&l.value.trim().to_ascii_lowercase()).unwrap_or_else(|| {
            let msg = format!(
                "unknown level `{}` (informational, low, medium, high, critical)",
                l.value
            );
            errs.push(loc.err(&l.referenced, msg));
            Level::Medium
        }),
    };
    let ls = d.logsource.unwrap_or_default();
    let applies = applicability(
        ls.category.as_deref(),
        ls.product.as_deref(),
        ls.service.as_deref(),
    );
    let tree = match &d.detection {
        Some(det) => compile_detection(
            &det.value,
            &det.referenced,
            loc,
            applies.taxonomy,
            &mut errs,
        ),
        None => {
            errs.push(loc.err(&at, "rule has no `detection`"));
            None
        }
    };
    let message = d.message.as_ref().and_then(|m| {
        Template::parse(&m.value, applies.taxonomy)
            .map_err(|e| errs.push(loc.err_within(&m.referenced, &m.value, e.offset, e.message)))
            .ok()
    });
    let entity = d.entity.as_ref().map(|names| {
        let resolve = |n: &Spanned<String>| {
            (
                n.value.as_str().into(),
                resolve_field(&n.value, applies.taxonomy),
            )
        };
        names.iter().map(resolve).collect()
    });
    let examples = d
        .tests
        .as_ref()
        .and_then(|t| Examples::from_spec(&t.value, &t.referenced, loc, &mut errs));
    let Some(tree) = tree.filter(|_| errs.is_empty()) else {
        return Err(errs);
    };
    let meta = RuleMeta {
        status: d.status.map(|s| s.value),
        description: d.description.map(|t| t.0),
        author: d.author.map(|t| t.0),
        references: d.references.map(|s| s.0).unwrap_or_default(),
        falsepositives: d.falsepositives.map(|s| s.0).unwrap_or_default(),
        fields: d.fields.map(|s| s.0).unwrap_or_default(),
        logsource: LogSource {
            category: ls.category,
            product: ls.product,
            service: ls.service,
        },
    };
    let tags = d.tags.map(|s| s.0).unwrap_or_default();
    Ok(CompiledRule {
        info: Arc::new(RuleInfo {
            id,
            title,
            level,
            tags,
        }),
        source: RuleSource {
            path: loc.path.into(),
            line: at.line().max(1),
        },
        meta,
        applies,
        needs_hit: tree.needs_hit(),
        tree,
        leaf_base: 0,
        message,
        entity,
        examples,
    })
}

/// Compiles `detection`; `None` when it has errors (pushed to `errs`).
fn compile_detection(
    det: &DetectionSpec,
    at: &Location,
    loc: &Locator<'_>,
    taxonomy: Option<Taxonomy>,
    errs: &mut Vec<RuleError>,
) -> Option<Tree> {
    let before = errs.len();
    if det.selections.is_empty() {
        errs.push(loc.err(at, "`detection` has no selections"));
    }
    let mut cx = Cx {
        loc,
        taxonomy,
        next_leaf: 0,
        errs,
    };
    let selections: Vec<Option<Selection>> = det
        .selections
        .iter()
        .map(|(n, s)| cx.selection(n, s))
        .collect();
    let names: Vec<&str> = det
        .selections
        .iter()
        .map(|(n, _)| n.value.as_str())
        .collect();
    let condition = match &det.condition {
        None => {
            cx.errs.push(loc.err(at, "`detection` has no `condition`"));
            None
        }
        Some(c) => {
            let one = |s: &str, at: &Location| {
                condition::parse(s)
                    .and_then(|e| condition::resolve(&e, &names))
                    .map_err(|e| loc.err_within(at, s, e.offset, e.message))
            };
            let parsed = match &c.value {
                ConditionSpec::One(s) => one(s, &c.referenced),
                ConditionSpec::Many(list) if list.is_empty() => {
                    Err(loc.err(&c.referenced, "empty condition list"))
                }
                ConditionSpec::Many(list) => list
                    .iter()
                    .map(|s| one(&s.value, &s.referenced))
                    .collect::<Result<Box<[Cond]>, _>>()
                    .map(Cond::Or),
            };
            parsed.map_err(|e| cx.errs.push(e)).ok()
        }
    };
    let leaf_count = cx.next_leaf;
    if errs.len() > before {
        return None;
    }
    let selections = selections.into_iter().collect::<Option<Box<[_]>>>()?;
    Some(Tree {
        selections,
        condition: condition?,
        leaf_count,
    })
}

/// Compilation state of one detection.
struct Cx<'a, 'l> {
    loc: &'a Locator<'l>,
    taxonomy: Option<Taxonomy>,
    next_leaf: u32,
    errs: &'a mut Vec<RuleError>,
}

/// Collects every element or none, after trying them all (so that every
/// error is reported).
fn all_or_none<T>(items: Vec<Option<T>>) -> Option<Box<[T]>> {
    items.into_iter().collect()
}

impl Cx<'_, '_> {
    fn selection(
        &mut self,
        name: &Spanned<String>,
        spec: &Spanned<SelectionSpec>,
    ) -> Option<Selection> {
        let keyword_mods = Modifiers {
            kind: MatchKind::Equals,
            all: false,
            cased: false,
        };
        let mut any_of = Vec::new();
        let mut keywords = Vec::new();
        let mut ok = true;
        match &spec.value {
            SelectionSpec::Map(fm) => any_of.push(self.items(fm, name)),
            SelectionSpec::List(elems) => {
                for e in elems {
                    match &e.value {
                        ListElem::Map(fm) => any_of.push(self.items(fm, name)),
                        ListElem::Keyword(s) => keywords.push(self.leaf(
                            &Target::Keywords,
                            keyword_mods,
                            s,
                            &e.referenced,
                        )),
                    }
                }
            }
            SelectionSpec::Scalar(s) => {
                keywords.push(self.leaf(&Target::Keywords, keyword_mods, s, &spec.referenced))
            }
            SelectionSpec::Empty => {}
        }
        if any_of.is_empty() && keywords.is_empty() {
            self.errs.push(self.loc.err(
                &name.referenced,
                format!("selection `{}` is empty", name.value),
            ));
            ok = false;
        }
        let mut any_of = all_or_none(any_of)?.into_vec();
        if !keywords.is_empty() {
            let leaves = all_or_none(keywords)?;
            any_of.push(Box::new([Item {
                target: Target::Keywords,
                all: false,
                leaves,
            }]));
        }
        ok.then(|| Selection {
            any_of: any_of.into(),
        })
    }

    /// One map of `field|mods: values`: all of its items.
    fn items(&mut self, fm: &FieldMap, name: &Spanned<String>) -> Option<Box<[Item]>> {
        if fm.is_empty() {
            self.errs.push(self.loc.err(
                &name.referenced,
                format!("selection `{}` has an empty map", name.value),
            ));
            return None;
        }
        let items = fm.iter().map(|(k, v)| self.item(k, v)).collect();
        all_or_none(items)
    }

    fn item(&mut self, key: &Spanned<String>, values: &Spanned<ValuesSpec>) -> Option<Item> {
        let (field, mods) = match parse_key(&key.value) {
            Ok(x) => x,
            Err(e) => {
                self.errs.push(self.loc.err_within(
                    &key.referenced,
                    &key.value,
                    e.offset,
                    e.message,
                ));
                return None;
            }
        };
        let target = match field {
            "" => Target::Keywords,
            f => Target::Field(resolve_field(f, self.taxonomy)),
        };
        let leaves: Vec<Option<Leaf>> = match &values.value {
            ValuesSpec::One(s) => vec![self.leaf(&target, mods, s, &values.referenced)],
            ValuesSpec::Many(list) if list.is_empty() => {
                self.errs
                    .push(self.loc.err(&values.referenced, "empty list of values"));
                return None;
            }
            ValuesSpec::Many(list) => list
                .iter()
                .map(|s| self.leaf(&target, mods, &s.value, &s.referenced))
                .collect(),
        };
        let leaves = all_or_none(leaves)?;
        Some(Item {
            target,
            all: mods.all,
            leaves,
        })
    }

    fn leaf(
        &mut self,
        target: &Target,
        mods: Modifiers,
        value: &Scalar,
        at: &Location,
    ) -> Option<Leaf> {
        let keywords = *target == Target::Keywords;
        let text = match value {
            // A float's text is compared as written: `http.version: 1.0`
            // means "1.0", which the f64 would print as "1".
            Scalar::Float(_) => self
                .loc
                .source_text(at)
                .map(str::trim)
                .filter(|t| t.parse::<f64>().is_ok())
                .map(str::to_owned),
            _ => None,
        }
        .or_else(|| value.text());
        let matcher =
            match (mods.kind, text) {
                (MatchKind::Exists, _) if keywords => Err("`exists` needs a field name".to_owned()),
                (MatchKind::Exists, _) => match value {
                    Scalar::Bool(b) => Ok(LeafMatch::Exists(*b)),
                    _ => Err("`exists` takes `true` or `false`".to_owned()),
                },
                (_, None) if keywords => Err("a keyword cannot be `null`".to_owned()),
                (MatchKind::Equals, None) => Ok(LeafMatch::Null),
                (_, None) => Err("`null` can only be used without modifiers".to_owned()),
                (MatchKind::Regex(flags), Some(re)) => {
                    TextMatcher::regex(&re, flags).map(LeafMatch::Text)
                }
                // Keywords search inside fields: a bare keyword is a substring.
                (MatchKind::Equals, Some(t)) if keywords => Ok(LeafMatch::Text(
                    TextMatcher::wildcard(&t, MatchKind::Contains, mods.cased),
                )),
                (kind, Some(t)) => Ok(LeafMatch::Text(TextMatcher::wildcard(&t, kind, mods.cased))),
            };
        let matcher = matcher
            .map_err(|m| self.errs.push(self.loc.err(at, m)))
            .ok()?;
        let gate = match &matcher {
            LeafMatch::Text(m) => match m.needle() {
                Some((_, _, true)) => Gate::Certain,
                Some((_, _, false)) => Gate::Necessary,
                None => Gate::None,
            },
            LeafMatch::Null | LeafMatch::Exists(_) => Gate::None,
        };
        let id = self.next_leaf;
        self.next_leaf += 1;
        Some(Leaf { id, matcher, gate })
    }
}
