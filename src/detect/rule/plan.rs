//! The prefilter: one Aho-Corasick pass per referenced field, for all rules.
//!
//! At build time, for each input format, every literal that a rule
//! applicable to that format needs (the `Gate::Certain` and
//! `Gate::Necessary` leaves of [`super::tree`]) is gathered per target field
//! into one ASCII-case-insensitive automaton. Per event, each automaton
//! runs once over its field's text and reports every occurrence of every
//! literal (overlapping search); an occurrence at the right anchor (start,
//! end, whole value, anywhere) stamps the leaves that use that literal and,
//! if the leaf is one of its rule's *triggers*, marks the rule as
//! *touched*. Only touched rules, plus the few that can match without any
//! literal (`Tree::needs_hit` is false), are evaluated. A rule's triggers
//! are a set of its literals at least one of which must be found for it to
//! match, chosen to leave out the common ones (`Tree::triggers`): a rule
//! for `GET` plus a rare path is evaluated when the path is found, not on
//! every GET.
//!
//! The other literals of a rule are left out of the scans (its leaves are
//! then decided by running their matchers, only for candidate rules), and
//! whole-value literals (`cs-method: GET`) are looked up in a hash map
//! instead of the automaton. Each event field with literals is scanned
//! once: the plan maps well-known fields and extras to their scan, so the
//! cost follows the fields an event has, not the number of rules.
//!
//! Formats whose applicable rules are the same share one plan.

use super::compiled::CompiledRule;
use super::mapping::FieldRef;
use super::matcher::{Anchor, LeafMatch};
use super::tree::{Gate, Leaf, Target};
use crate::event::{Event, Field};
use crate::parse::Format;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
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
    /// Finding it makes the rule a candidate ([`Tree::triggers`]); other
    /// uses only stamp the leaf for the evaluation.
    pub trigger: bool,
    /// Index into [`Scan::shadows`] (0: none): fields that must be absent
    /// for this use to count, because the leaf's target reads them first.
    pub shadow: u32,
}

/// The literals of one concrete field (a slot, an extra, `@timestamp`) or
/// of the keywords: whole-value literals in a hash map, the others in one
/// Aho-Corasick automaton. A target that reads the first present of
/// several fields (`FieldRef::Alt`) puts its literals in each field's scan,
/// shadowed by the fields before it, so each field's text is scanned once
/// however many mapped names lead to it.
#[derive(Debug)]
pub(crate) struct Scan {
    ac: Option<AhoCorasick>,
    /// Per pattern id: the leaves that use it.
    uses: Box<[Box<[Use]>]>,
    /// Whole-value literals (ASCII-lowercased) and their uses.
    whole: HashMap<Box<str>, Box<[Use]>>,
    /// Shadowing field lists ([`Use::shadow`]); entry 0 is empty.
    shadows: Box<[Box<[FieldRef]>]>,
}

/// Per-event scratch state the scans write.
pub(crate) struct Marks<'s> {
    pub epoch: u32,
    pub leaf_stamp: &'s mut [u32],
    pub rule_stamp: &'s mut [u32],
    pub touched: &'s mut Vec<u32>,
    /// Lowercased text for the whole-value lookup.
    pub lower: &'s mut String,
}

impl Scan {
    /// Scans one text of the field.
    #[inline]
    pub fn run(&self, text: &str, event: &Event<'_>, marks: &mut Marks<'_>) {
        if !self.whole.is_empty() {
            marks.lower.clear();
            marks.lower.push_str(text);
            marks.lower.make_ascii_lowercase();
            if let Some(uses) = self.whole.get(marks.lower.as_str()) {
                for u in uses.iter() {
                    self.hit(u, event, marks);
                }
            }
        }
        let Some(ac) = &self.ac else {
            return;
        };
        // Only fails for a non-Standard match kind, which `build` never uses.
        let Ok(iter) = ac.try_find_overlapping_iter(text) else {
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
                if at_anchor {
                    self.hit(u, event, marks);
                }
            }
        }
    }

    #[inline]
    fn hit(&self, u: &Use, event: &Event<'_>, marks: &mut Marks<'_>) {
        if u.shadow != 0
            && self
                .shadows
                .get(u.shadow as usize)
                .is_some_and(|fs| fs.iter().any(|f| f.get(event).is_some()))
        {
            return;
        }
        if let Some(s) = marks.leaf_stamp.get_mut(u.leaf as usize) {
            *s = marks.epoch;
        }
        if !u.trigger {
            return;
        }
        if let Some(s) = marks.rule_stamp.get_mut(u.rule as usize) {
            if *s != marks.epoch {
                *s = marks.epoch;
                marks.touched.push(u.rule);
            }
        }
    }
}

/// Everything evaluation needs for events of one format.
#[derive(Debug)]
pub(crate) struct Plan {
    pub scans: Box<[Scan]>,
    /// Scan per well-known field (`field as usize`).
    pub slot_scan: Box<[Option<u32>]>,
    /// Scan per format-specific field name.
    pub extra_scan: HashMap<Box<str>, u32>,
    /// Scan of `@timestamp`.
    pub timestamp_scan: Option<u32>,
    /// Scan of every field's text (keywords).
    pub keyword_scan: Option<u32>,
    /// Applicable rules evaluated on every event (they can match without
    /// any literal), ascending.
    pub always: Box<[u32]>,
}

/// What the prefilter decided, for the rule set.
pub(crate) struct Built {
    pub plans: Vec<Plan>,
    /// Plan index per format.
    pub plan_of: Vec<Option<usize>>,
    /// Per leaf of the rule set: left out of the scans (a rule's common,
    /// non-trigger literals), so evaluation runs its matcher.
    pub direct: Vec<bool>,
}

/// Builds the plans.
pub(crate) fn build(rules: &[CompiledRule], leaf_total: usize) -> Result<Built, String> {
    // Triggers per rule, and the leaves the scans leave out.
    let mut direct = vec![false; leaf_total];
    let triggers: Vec<Option<Vec<bool>>> = rules
        .iter()
        .map(|rule| {
            let t = rule.tree.triggers(commonness);
            if let Some(t) = &t {
                for l in all_leaves(rule) {
                    let trigger = t.get(l.id as usize).copied().unwrap_or(true);
                    if l.gate != Gate::None && !trigger {
                        if let Some(d) = direct.get_mut((rule.leaf_base + l.id) as usize) {
                            *d = true;
                        }
                    }
                }
            }
            t
        })
        .collect();
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
            plans.push(build_plan(rules, &members, &triggers)?);
            members_of_plan.push(members);
            plan_of.push(Some(plans.len() - 1));
        }
    }
    Ok(Built {
        plans,
        plan_of,
        direct,
    })
}

fn all_leaves(rule: &CompiledRule) -> impl Iterator<Item = &Leaf> {
    rule.tree
        .selections
        .iter()
        .flat_map(|s| s.any_of.iter())
        .flat_map(|alt| alt.iter())
        .flat_map(|item| item.leaves())
}

/// Literals of one target while a plan is being built.
#[derive(Default)]
struct Patterns {
    literals: Vec<String>,
    index: HashMap<String, usize>,
    uses: Vec<Vec<Use>>,
    whole: HashMap<String, Vec<Use>>,
    shadows: Vec<Box<[FieldRef]>>,
}

/// How common a leaf's literal is likely to be in real traffic, for
/// choosing triggers: whole short values (`GET`, `200`) most, then by
/// length (a 2-character fragment is common, a 30-character path is not).
fn commonness(leaf: &Leaf) -> u32 {
    let LeafMatch::Text(m) = &leaf.matcher else {
        return 0;
    };
    match m.needle() {
        Some((lit, Anchor::Whole, _)) if lit.len() <= 7 => 10_000,
        Some((lit, _, _)) => 1_000u32.saturating_sub(lit.len() as u32),
        None => 0,
    }
}

fn build_plan(
    rules: &[CompiledRule],
    members: &[u32],
    triggers: &[Option<Vec<bool>>],
) -> Result<Plan, String> {
    let mut targets: Vec<(Target, Patterns)> = Vec::new();
    for &r in members {
        let rule = &rules[r as usize];
        let triggers = triggers.get(r as usize).and_then(Option::as_ref);
        for item in rule
            .tree
            .selections
            .iter()
            .flat_map(|s| s.any_of.iter())
            .flat_map(|alt| alt.iter())
        {
            for leaf in item.leaves().filter(|l| l.gate != Gate::None) {
                let LeafMatch::Text(m) = &leaf.matcher else {
                    continue;
                };
                let Some((literal, anchor, _)) = m.needle() else {
                    continue;
                };
                // Rules that need no literal stamp all theirs (they are
                // evaluated on every event); others only their triggers,
                // the rest is matched directly when the rule is a candidate.
                let trigger = match triggers {
                    None => true,
                    Some(t) if t.get(leaf.id as usize).copied().unwrap_or(true) => true,
                    Some(_) => continue,
                };
                // Each concrete field the target may read, shadowed by the
                // ones it reads first.
                let sources: Vec<Target> = match &item.target {
                    Target::Keywords => vec![Target::Keywords],
                    Target::Field(FieldRef::Alt(alts)) => {
                        alts.iter().cloned().map(Target::Field).collect()
                    }
                    t => vec![t.clone()],
                };
                for (k, source) in sources.iter().enumerate() {
                    let i = match targets.iter().position(|(t, _)| t == source) {
                        Some(i) => i,
                        None => {
                            targets.push((source.clone(), Patterns::default()));
                            targets.len() - 1
                        }
                    };
                    let p = &mut targets[i].1;
                    let shadow = if k == 0 {
                        0
                    } else {
                        let fields: Box<[FieldRef]> = sources[..k]
                            .iter()
                            .filter_map(|t| match t {
                                Target::Field(f) => Some(f.clone()),
                                Target::Keywords => None,
                            })
                            .collect();
                        match p.shadows.iter().position(|s| *s == fields) {
                            Some(j) => j as u32 + 1,
                            None => {
                                p.shadows.push(fields);
                                p.shadows.len() as u32
                            }
                        }
                    };
                    let u = Use {
                        leaf: rule.leaf_base + leaf.id,
                        rule: r,
                        anchor,
                        trigger,
                        shadow,
                    };
                    // The scans fold ASCII case, so literals differing only
                    // in case are one pattern.
                    let key = literal.to_ascii_lowercase();
                    if anchor == Anchor::Whole {
                        p.whole.entry(key).or_default().push(u);
                        continue;
                    }
                    let id = *p.index.entry(key.clone()).or_insert_with(|| {
                        p.literals.push(key);
                        p.uses.push(Vec::new());
                        p.literals.len() - 1
                    });
                    p.uses[id].push(u);
                }
            }
        }
    }
    let mut slot_scan = vec![None; Field::COUNT];
    let mut extra_scan = HashMap::new();
    let (mut timestamp_scan, mut keyword_scan) = (None, None);
    let mut scans = Vec::with_capacity(targets.len());
    for (i, (target, p)) in targets.into_iter().enumerate() {
        let i = i as u32;
        match &target {
            Target::Keywords => keyword_scan = Some(i),
            Target::Field(FieldRef::Slot(f)) => slot_scan[*f as usize] = Some(i),
            Target::Field(FieldRef::Extra(n)) => {
                extra_scan.insert(n.clone(), i);
            }
            Target::Field(FieldRef::Timestamp) => timestamp_scan = Some(i),
            Target::Field(FieldRef::Alt(_)) => {
                return Err("internal: a scan of alternatives".into());
            }
        }
        let ac = if p.literals.is_empty() {
            None
        } else {
            // A DFA when it stays small: the scan is the per-event hot
            // path, and DFAs search several times faster than NFAs.
            let kind = (p.literals.iter().map(String::len).sum::<usize>() < 20_000)
                .then_some(AhoCorasickKind::DFA);
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(&p.literals)
                    .map_err(|e| format!("cannot build the prefilter for {target:?}: {e}"))?,
            )
        };
        let mut shadows = vec![Box::default()];
        shadows.extend(p.shadows);
        scans.push(Scan {
            ac,
            uses: p.uses.into_iter().map(Vec::into_boxed_slice).collect(),
            whole: p
                .whole
                .into_iter()
                .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_slice()))
                .collect(),
            shadows: shadows.into(),
        });
    }
    let always = members
        .iter()
        .copied()
        .filter(|&r| !rules[r as usize].needs_hit)
        .collect();
    Ok(Plan {
        scans: scans.into(),
        slot_scan: slot_scan.into(),
        extra_scan,
        timestamp_scan,
        keyword_scan,
        always,
    })
}
