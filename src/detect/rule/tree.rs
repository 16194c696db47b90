//! A compiled rule's detection: selections of items of leaves, and a condition.
//!
//! ```text
//! condition ── Cond over selection indices
//! selection ── OR of alternatives (a list of maps), each an AND of items
//! item      ── one target (a field, or every field for keywords) and its
//!              values: leaves, OR-ed (or AND-ed with `|all`)
//! leaf      ── one value's matcher, plus how the prefilter can decide it
//! ```
//!
//! How a leaf is decided is the job of a [`LeafOracle`]: [`Direct`] runs
//! every matcher (the naive evaluator, used as the oracle in tests and by
//! `picket rules test` as a cross-check); the rule set's prefiltered
//! evaluator reads most leaves from the Aho-Corasick pass instead.

use super::condition::{Cond, and3, or3};
use super::mapping::FieldRef;
use super::matcher::{LeafMatch, any_text};
use crate::event::{Event, Value};

/// What an item's values are compared with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// One field.
    Field(FieldRef),
    /// Keywords: any field of the event (Sigma's field-less values, meant
    /// for "anywhere in the log line"; picket searches every field's text).
    Keywords,
}

/// How the Aho-Corasick prefilter decides a leaf.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Not at all: the matcher always runs (regex, `null`, `exists`, `*`).
    None,
    /// Finding the literal at its anchor is the match (case-insensitive
    /// equality, prefix, suffix, substring).
    Certain,
    /// Finding the literal is necessary; the matcher then confirms
    /// (wildcard patterns, `cased`).
    Necessary,
}

/// One value of an item.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    /// Index among the rule's leaves.
    pub id: u32,
    pub matcher: LeafMatch,
    pub gate: Gate,
}

/// `field|mods: values`.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub target: Target,
    /// `|all`: every leaf must hold.
    pub all: bool,
    pub leaves: Box<[Leaf]>,
}

/// A named selection: any alternative whose items all hold.
#[derive(Clone, Debug)]
pub(crate) struct Selection {
    pub any_of: Box<[Box<[Item]>]>,
}

/// A rule's compiled detection.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    pub selections: Box<[Selection]>,
    pub condition: Cond,
    pub leaf_count: u32,
}

/// Decides leaves for one event.
pub(crate) trait LeafOracle {
    /// Whether `leaf` holds for `target` in `event`.
    fn leaf(&mut self, target: &Target, leaf: &Leaf, event: &Event<'_>) -> bool;
}

impl Tree {
    /// Whether the rule matches an event, deciding leaves with `oracle`.
    pub fn eval(&self, event: &Event<'_>, oracle: &mut impl LeafOracle) -> bool {
        self.condition.eval(&mut |s| {
            self.selections.get(s as usize).is_some_and(|sel| {
                sel.any_of.iter().any(|items| {
                    items.iter().all(|item| {
                        let mut leaf = |l: &Leaf| oracle.leaf(&item.target, l, event);
                        if item.all {
                            item.leaves.iter().all(&mut leaf)
                        } else {
                            item.leaves.iter().any(&mut leaf)
                        }
                    })
                })
            })
        })
    }

    /// Whether the rule can only match an event in which the prefilter
    /// found at least one of its literals. Evaluates the condition in
    /// three-valued logic with every prefiltered leaf false and every other
    /// leaf unknown: if that is false, no completion can make it true. This
    /// also gates rules with `not`, e.g. `selection and not filter`.
    pub fn needs_hit(&self) -> bool {
        let sel = |s: u32| {
            let sel = self.selections.get(s as usize)?;
            or3(sel.any_of.iter().map(|items| {
                and3(items.iter().map(|item| {
                    let leaves = item.leaves.iter().map(|l| {
                        if l.gate == Gate::None {
                            None
                        } else {
                            Some(false)
                        }
                    });
                    if item.all { and3(leaves) } else { or3(leaves) }
                }))
            }))
        };
        self.condition.eval3(&sel) == Some(false)
    }
}

/// Runs a leaf's matcher on its target in an event.
#[inline]
pub(crate) fn run_leaf(
    target: &Target,
    leaf: &LeafMatch,
    event: &Event<'_>,
    buf: &mut String,
) -> bool {
    match target {
        Target::Field(f) => leaf.matches(f.get(event), buf),
        Target::Keywords => {
            let LeafMatch::Text(m) = leaf else {
                return false;
            };
            let mut hit = |v: &Value<'_>| any_text(v, buf, &mut |s| m.is_match(s));
            event.fields().any(|(_, v)| hit(v)) || event.extras().any(|(_, v)| hit(v))
        }
    }
}

/// The naive evaluator: every leaf runs its matcher.
pub(crate) struct Direct<'b> {
    pub buf: &'b mut String,
}

impl LeafOracle for Direct<'_> {
    fn leaf(&mut self, target: &Target, leaf: &Leaf, event: &Event<'_>) -> bool {
        run_leaf(target, &leaf.matcher, event, self.buf)
    }
}
