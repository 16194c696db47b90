//! Rule collections: `action: global`, `reset` and `repeat` (Sigma 1.x
//! multi-document files, still common in older rule sets).
//!
//! - `action: global`: the document is merged into every following
//!   document of the file (several globals accumulate);
//! - `action: reset`: forgets the global document;
//! - `action: repeat`: the previous rule again, with this document merged
//!   into it;
//! - no `action`: a rule, with the global document merged under it.
//!
//! Merging is by key, the later document winning, and recursive for maps
//! (`logsource` keys, `detection` selections by name, and the fields of a
//! selection written as a map), as sigmac's `deep_dict_update` does; lists
//! are replaced, not concatenated. Merging works on the typed documents, so
//! every value keeps the location it was written at and errors still point
//! into the right document.

use super::spec::{DetectionSpec, LogSourceSpec, RuleDoc, SelectionSpec};
use serde_saphyr::Spanned;

/// What a document's `action` asks for.
pub(crate) enum Action {
    /// A rule (no `action`).
    Rule,
    /// `global`.
    Global,
    /// `reset`.
    Reset,
    /// `repeat`.
    Repeat,
}

/// Reads a document's `action`; `Err` names an unknown one.
pub(crate) fn action(doc: &RuleDoc) -> Result<Action, String> {
    match doc.action.as_ref().map(|a| a.value.trim()) {
        None => Ok(Action::Rule),
        Some("global") => Ok(Action::Global),
        Some("reset") => Ok(Action::Reset),
        Some("repeat") => Ok(Action::Repeat),
        Some(other) => Err(format!(
            "unknown `action: {other}` (rule collections use global, reset or repeat)"
        )),
    }
}

/// `over` merged on top of `base`; the result keeps `over`'s location.
pub(crate) fn merge(base: &RuleDoc, over: Spanned<RuleDoc>) -> Spanned<RuleDoc> {
    let b = base.clone();
    let o = over.value;
    let value = RuleDoc {
        title: o.title.or(b.title),
        id: o.id.or(b.id),
        name: o.name.or(b.name),
        status: o.status.or(b.status),
        description: o.description.or(b.description),
        author: o.author.or(b.author),
        references: o.references.or(b.references),
        level: o.level.or(b.level),
        tags: o.tags.or(b.tags),
        logsource: match (b.logsource, o.logsource) {
            (Some(b), Some(o)) => Some(LogSourceSpec {
                category: o.category.or(b.category),
                product: o.product.or(b.product),
                service: o.service.or(b.service),
            }),
            (b, o) => o.or(b),
        },
        detection: match (b.detection, o.detection) {
            (Some(b), Some(o)) => Some(Spanned {
                value: merge_detection(b.value, o.value),
                referenced: o.referenced,
                defined: o.defined,
            }),
            (b, o) => o.or(b),
        },
        falsepositives: o.falsepositives.or(b.falsepositives),
        fields: o.fields.or(b.fields),
        correlation: o.correlation.or(b.correlation),
        generate: o.generate.or(b.generate),
        // The merged document is a rule, whatever the parts said.
        action: None,
        message: o.message.or(b.message),
        entity: o.entity.or(b.entity),
        tests: o.tests.or(b.tests),
    };
    Spanned {
        value,
        referenced: over.referenced,
        defined: over.defined,
    }
}

fn merge_detection(mut base: DetectionSpec, over: DetectionSpec) -> DetectionSpec {
    for (name, sel) in over.selections {
        match base
            .selections
            .iter_mut()
            .find(|(n, _)| n.value == name.value)
        {
            Some((_, existing)) => {
                let merged = match (&mut existing.value, sel.value) {
                    (SelectionSpec::Map(fields), SelectionSpec::Map(more)) => {
                        for (k, v) in more {
                            match fields.iter_mut().find(|(fk, _)| fk.value == k.value) {
                                Some(slot) => slot.1 = v,
                                None => fields.push((k, v)),
                            }
                        }
                        None
                    }
                    (_, other) => Some(other),
                };
                if let Some(other) = merged {
                    existing.value = other;
                }
                existing.referenced = sel.referenced;
            }
            None => base.selections.push((name, sel)),
        }
    }
    DetectionSpec {
        selections: base.selections,
        condition: over.condition.or(base.condition),
    }
}
