//! A compiled rule's detection: selections of items of leaves, and a condition.
//!
//! ```text
//! condition ── Cond over selection indices
//! selection ── OR of alternatives (a list of maps), each an AND of items
//! item      ── one target (a field, or every field for keywords) and its
//!              values, OR-ed (or AND-ed with `|all`; negated with `|neq`)
//! value     ── the alternatives one written value became (placeholders,
//!              base64 offsets, dash variants): leaves, OR-ed
//! leaf      ── one matcher, plus how the prefilter can decide it
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
    /// `|all`: every value must hold.
    pub all: bool,
    /// `|neq`: the item holds when the field is present and its values do
    /// not match.
    pub negate: bool,
    /// Per written value, its alternatives.
    pub values: Box<[Box<[Leaf]>]>,
}

impl Item {
    /// Every leaf of the item.
    pub fn leaves(&self) -> impl Iterator<Item = &Leaf> {
        self.values.iter().flat_map(|v| v.iter())
    }

    /// Combines leaf results: alternatives OR-ed, values OR-ed or AND-ed,
    /// then negated with `neq` (an absent field is not "different from the
    /// value": `neq` needs the field, as RSigma reads the modifier).
    #[inline]
    fn eval(&self, event: &Event<'_>, leaf: &mut impl FnMut(&Leaf) -> bool) -> bool {
        if self.negate {
            if let Target::Field(f) = &self.target {
                if f.get(event).is_none() {
                    return false;
                }
            }
        }
        let mut value = |alts: &[Leaf]| alts.iter().any(&mut *leaf);
        let held = if self.all {
            self.values.iter().all(|a| value(a))
        } else {
            self.values.iter().any(|a| value(a))
        };
        held != self.negate
    }
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
                        item.eval(event, &mut |l: &Leaf| oracle.leaf(&item.target, l, event))
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
        self.needs_one_of(&|l: &Leaf| l.gate != Gate::None)
    }

    /// Whether the rule can only match when at least one leaf in `set`
    /// holds (the others unknown).
    fn needs_one_of(&self, set: &impl Fn(&Leaf) -> bool) -> bool {
        let sel = |s: u32| {
            let sel = self.selections.get(s as usize)?;
            or3(sel.any_of.iter().map(|items| {
                and3(items.iter().map(|item| {
                    let leaf = |l: &Leaf| if set(l) { Some(false) } else { None };
                    let values = item.values.iter().map(|alts| or3(alts.iter().map(leaf)));
                    let held = if item.all { and3(values) } else { or3(values) };
                    if item.negate {
                        // Nothing found: true if the field is present,
                        // false if absent; unknown either way.
                        held.and_then(|b| if b { Some(false) } else { None })
                    } else {
                        held
                    }
                }))
            }))
        };
        self.condition.eval3(&sel) == Some(false)
    }

    /// The prefiltered leaves whose literal must be found for the rule to
    /// match at all (a "trigger" set), chosen to leave out common literals:
    /// `cs-method: GET` next to a rare URL fragment does not make the rule
    /// a candidate on every GET. Leaves are dropped from the set, most
    /// common first (by `commonness`, higher = more common), as long as the
    /// rest still has to be found. `None` when no literal is necessary.
    pub fn triggers(&self, commonness: impl Fn(&Leaf) -> u32) -> Option<Vec<bool>> {
        if !self.needs_hit() {
            return None;
        }
        let mut all: Vec<&Leaf> = self
            .selections
            .iter()
            .flat_map(|s| s.any_of.iter())
            .flat_map(|alt| alt.iter())
            .flat_map(|item| item.leaves())
            .filter(|l| l.gate != Gate::None)
            .collect();
        let mut set = vec![false; self.leaf_count as usize];
        for l in &all {
            if let Some(x) = set.get_mut(l.id as usize) {
                *x = true;
            }
        }
        // Most common first; ties in leaf order, so the choice is stable.
        all.sort_by_key(|l| (std::cmp::Reverse(commonness(l)), l.id));
        for l in all {
            let i = l.id as usize;
            set[i] = false;
            let still =
                self.needs_one_of(&|x: &Leaf| set.get(x.id as usize).copied().unwrap_or(false));
            if !still {
                set[i] = true;
            }
        }
        Some(set)
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
        Target::Field(f) => leaf.matches(f.get(event).as_deref(), event, buf),
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
