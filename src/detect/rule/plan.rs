//! The prefilter: one Aho-Corasick pass per referenced field, for all rules.
//!
//! At build time, for each input format, every literal that a rule
//! applicable to that format needs (the `Gate::Certain` and
//! `Gate::Necessary` leaves of [`super::tree`]) is gathered per target field
//! into one ASCII-case-insensitive automaton. Per event, each automaton
//! runs once over its field's text and reports every occurrence of every
//! literal (overlapping search); an occurrence at the right anchor (start,
//! end, whole value, anywhere) stamps the leaves that use that literal and
//! marks their rule as *touched*. Only touched rules, plus the few that can
//! match without any literal (`Tree::needs_hit` is false), are evaluated.
//!
//! Formats whose applicable rules are the same share one plan.

use super::compiled::CompiledRule;
use super::matcher::{Anchor, LeafMatch};
use super::tree::{Gate, Target};
use crate::parse::Format;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// One use of a literal by a leaf.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Use {
    /// The leaf, among all leaves of the rule set.
    pub leaf: u32,
    /// The leaf's rule.
    pub rule: u32,
    /// Where the literal must occur in the field's text.
    pub anchor: Anchor,
}

/// The automaton of one target field.
#[derive(Debug)]
pub(crate) struct Scan {
    pub target: Target,
    ac: AhoCorasick,
    /// Per pattern id: the leaves that use it.
    uses: Box<[Box<[Use]>]>,
}

/// Per-event scratch state the scans write.
pub(crate) struct Marks<'s> {
    pub epoch: u32,
    pub leaf_stamp: &'s mut [u32],
    pub rule_stamp: &'s mut [u32],
    pub touched: &'s mut Vec<u32>,
}

impl Scan {
    /// Runs the automaton over one text of the field.
    #[inline]
    pub fn run(&self, text: &str, marks: &mut Marks<'_>) {
        // Only fails for a non-Standard match kind, which `build` never uses.
        let Ok(iter) = self.ac.try_find_overlapping_iter(text) else {
            return;
        };
        let len = text.len();
        for m in iter {
            let Some(uses) = self.uses.get(m.pattern().as_usize()) else {
                continue;
            };
            for u in uses.iter() {
                let at_anchor = match u.anchor {
                    Anchor::Anywhere => true,
                    Anchor::Start => m.start() == 0,
                    Anchor::End => m.end() == len,
                    Anchor::Whole => m.start() == 0 && m.end() == len,
                };
                if !at_anchor {
                    continue;
                }
                if let Some(s) = marks.leaf_stamp.get_mut(u.leaf as usize) {
                    *s = marks.epoch;
                }
                if let Some(s) = marks.rule_stamp.get_mut(u.rule as usize) {
                    if *s != marks.epoch {
                        *s = marks.epoch;
                        marks.touched.push(u.rule);
                    }
                }
            }
        }
    }
}

/// Everything evaluation needs for events of one format.
#[derive(Debug)]
pub(crate) struct Plan {
    pub scans: Box<[Scan]>,
    /// Applicable rules evaluated on every event (they can match without
    /// any literal), ascending.
    pub always: Box<[u32]>,
}

/// Builds the plans: `(plans, plan index per format)`.
pub(crate) fn build(rules: &[CompiledRule]) -> Result<(Vec<Plan>, Vec<Option<usize>>), String> {
    let mut plans = Vec::new();
    let mut members_of_plan: Vec<Vec<u32>> = Vec::new();
    let mut plan_of = Vec::with_capacity(Format::ALL.len());
    for &format in Format::ALL {
        let members: Vec<u32> = (0..rules.len() as u32)
            .filter(|&r| rules[r as usize].applies_to(format))
            .collect();
        if members.is_empty() {
            plan_of.push(None);
        } else if let Some(i) = members_of_plan.iter().position(|m| *m == members) {
            plan_of.push(Some(i));
        } else {
            plans.push(build_plan(rules, &members)?);
            members_of_plan.push(members);
            plan_of.push(Some(plans.len() - 1));
        }
    }
    Ok((plans, plan_of))
}

/// Literals of one target while a plan is being built.
#[derive(Default)]
struct Patterns {
    literals: Vec<String>,
    index: HashMap<String, usize>,
    uses: Vec<Vec<Use>>,
}

fn build_plan(rules: &[CompiledRule], members: &[u32]) -> Result<Plan, String> {
    let mut targets: Vec<(Target, Patterns)> = Vec::new();
    for &r in members {
        let rule = &rules[r as usize];
        for item in rule
            .tree
            .selections
            .iter()
            .flat_map(|s| s.any_of.iter())
            .flat_map(|alt| alt.iter())
        {
            for leaf in item.leaves.iter().filter(|l| l.gate != Gate::None) {
                let LeafMatch::Text(m) = &leaf.matcher else {
                    continue;
                };
                let Some((literal, anchor, _)) = m.needle() else {
                    continue;
                };
                let i = match targets.iter().position(|(t, _)| *t == item.target) {
                    Some(i) => i,
                    None => {
                        targets.push((item.target.clone(), Patterns::default()));
                        targets.len() - 1
                    }
                };
                let p = &mut targets[i].1;
                // The automaton folds ASCII case, so literals differing only
                // in case are one pattern.
                let key = literal.to_ascii_lowercase();
                let id = *p.index.entry(key.clone()).or_insert_with(|| {
                    p.literals.push(key);
                    p.uses.push(Vec::new());
                    p.literals.len() - 1
                });
                p.uses[id].push(Use {
                    leaf: rule.leaf_base + leaf.id,
                    rule: r,
                    anchor,
                });
            }
        }
    }
    let scans = targets
        .into_iter()
        .map(|(target, p)| {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&p.literals)
                .map_err(|e| format!("cannot build the prefilter for {target:?}: {e}"))?;
            let uses = p.uses.into_iter().map(Vec::into_boxed_slice).collect();
            Ok(Scan { target, ac, uses })
        })
        .collect::<Result<_, String>>()?;
    let always = members
        .iter()
        .copied()
        .filter(|&r| !rules[r as usize].needs_hit)
        .collect();
    Ok(Plan { scans, always })
}
