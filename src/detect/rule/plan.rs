//! The prefilter: one literal search per event, for all rules.
//!
//! At build time, for each input format, the literals of the rules that
//! apply to it (the `Gate::Certain` and `Gate::Necessary` leaves of
//! [`super::tree`]) go into one [`LiteralSearch`], each tagged with the
//! *source* it must be found in: a concrete field (a slot, an extra,
//! `@timestamp`) or, for keywords, any field. Per event, the texts of the
//! fields that some literal looks at are laid end to end (separated by a
//! NUL byte, which no literal contains), ASCII-lowercased (as the literals
//! are) and searched once, reporting every occurrence of every literal. An
//! occurrence in the right field at the right anchor (start, end, whole
//! value, anywhere) stamps the leaves that use the literal and, if the leaf
//! is one of its rule's *triggers*, marks the rule as *touched*. Only
//! touched rules, plus the few that can match without any literal
//! (`Tree::needs_hit` is false), are evaluated.
//!
//! - **Triggers.** A rule's triggers are a set of its literals at least
//!   one of which must be found for it to match, chosen to leave out the
//!   common ones (`Tree::triggers`): a rule for `GET` plus a rare path is
//!   evaluated when the path is found, not on every GET. Its other literals
//!   stay out of the search; their leaves are decided by running the
//!   matcher, for candidate rules only. Rules that need no literal run all
//!   their matchers on every event.
//! - **Whole values.** Literals that must equal the whole field
//!   (`cs-method: GET`) are looked up in a hash map per field instead.
//! - **Mapped names.** A target that reads the first present of several
//!   fields (`FieldRef::Alt`, e.g. `url.original`, then the raw
//!   `cs-uri-query`) tags its literal with each of them, *shadowed* by the
//!   ones before it: each field's text is searched once however many names
//!   lead to it.
//!
//! One search over the concatenated texts costs far less than a search per
//! field: field values are short, and a search has a fixed cost.
//!
//! Formats whose applicable rules are the same share one plan.

use super::compiled::CompiledRule;
use super::literals::LiteralSearch;
use super::mapping::FieldRef;
use super::matcher::{Anchor, LeafMatch};
use super::tree::{Gate, Leaf, Target};
use crate::event::{Event, Field};
use crate::parse::Format;
use std::collections::HashMap;

/// The source of a keyword literal: any field.
pub(crate) const ANY_FIELD: u32 = u32::MAX;

/// One use of a literal by a leaf.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Use {
    /// The source (index into [`Plan::sources`]) or [`ANY_FIELD`].
    pub source: u32,
    /// The leaf, among all leaves of the rule set.
    pub leaf: u32,
    /// The leaf's rule.
    pub rule: u32,
    /// Where the literal must occur in the field's text.
    pub anchor: Anchor,
    /// Finding it makes the rule a candidate ([`Tree::triggers`]); other
    /// uses only stamp the leaf for the evaluation.
    pub trigger: bool,
    /// Index into [`Plan::shadows`] (0: none): fields that must be absent
    /// for this use to count, because the leaf's target reads them first.
    pub shadow: u32,
}

/// A concrete field some literal looks at: its whole-value literals
/// (ASCII-lowercased) and their uses.
#[derive(Debug)]
pub(crate) struct Source {
    whole: HashMap<Box<str>, Box<[Use]>, Fnv>,
    /// Lengths of the whole-value literals (bit n: length n, bit 255: 255
    /// or more), so that most values are not even hashed.
    whole_lens: [u64; 4],
}

impl Source {
    fn may_equal(&self, len: usize) -> bool {
        let n = len.min(255);
        self.whole_lens[n / 64] & (1u64 << (n % 64)) != 0
    }
}

/// A fast multiply-rotate hash (rustc's "Fx" scheme), eight bytes at a
/// time: field names and values are hashed per event, where SipHash's cost
/// shows. The keys are literals from rule files; an event can only choose
/// which bucket it probes, not make the table degrade.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fnv;

/// The hash state.
pub(crate) struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }
}

/// One field text inside the concatenated search buffer.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Segment {
    pub start: usize,
    pub end: usize,
    /// Index into [`Plan::sources`], or [`ANY_FIELD`] for a field only
    /// keywords look at.
    pub source: u32,
}

/// Per-event scratch state the search writes.
pub(crate) struct Marks<'s> {
    pub epoch: u32,
    pub leaf_stamp: &'s mut [u32],
    pub rule_stamp: &'s mut [u32],
    pub touched: &'s mut Vec<u32>,
}

/// Everything evaluation needs for events of one format.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Every searched literal (lowercase), searched once over the
    /// lowercased texts.
    ac: Option<LiteralSearch>,
    /// Per pattern id of `ac`: the leaves that use it.
    uses: Box<[Box<[Use]>]>,
    pub sources: Box<[Source]>,
    /// Source per well-known field (`field as usize`).
    pub slot_source: Box<[Option<u32>]>,
    /// Source per format-specific field name.
    pub extra_source: HashMap<Box<str>, u32, Fnv>,
    /// Source of `@timestamp`.
    pub timestamp_source: Option<u32>,
    /// Whether keywords are searched (every field then goes in the buffer).
    pub keywords: bool,
    /// Every keyword literal is unanchored: a field whose text lies inside
    /// another field's already searched text (`db.name` inside
    /// `url.original`) can add no keyword match, so it is not searched
    /// again.
    pub keywords_unanchored: bool,
    /// Some keyword literal is only digits and `-`: number fields must be
    /// searched for keywords (otherwise no keyword can occur in them).
    pub keyword_digits: bool,
    /// Shadowing field lists ([`Use::shadow`]); entry 0 is empty.
    shadows: Box<[Box<[FieldRef]>]>,
    /// Applicable rules evaluated on every event (they can match without
    /// any literal), ascending.
    pub always: Box<[u32]>,
}

impl Plan {
    /// Searches the concatenated, ASCII-lowercased field texts once, and
    /// looks whole values up per segment.
    pub fn search(
        &self,
        text: &str,
        segments: &[Segment],
        aliases: &[Segment],
        event: &Event<'_>,
        marks: &mut Marks<'_>,
    ) {
        for seg in segments.iter().chain(aliases) {
            let Some(src) = self.sources.get(seg.source as usize) else {
                continue;
            };
            if !src.may_equal(seg.end - seg.start) {
                continue;
            }
            if let Some(uses) = text.get(seg.start..seg.end).and_then(|t| src.whole.get(t)) {
                for u in uses.iter() {
                    self.hit(u, event, marks);
                }
            }
        }
        let Some(ac) = &self.ac else {
            return;
        };
        ac.find_all(text.as_bytes(), |pattern, start, end| {
            let Some(uses) = self.uses.get(pattern as usize) else {
                return;
            };
            // The segment holding the match (literals contain no NUL, so a
            // match never spans two).
            let i = segments.partition_point(|s| s.start <= start);
            let Some(seg) = i.checked_sub(1).and_then(|i| segments.get(i)) else {
                return;
            };
            self.hits_in(uses, seg, start, end, event, marks);
            for alias in aliases.iter().filter(|a| a.start == seg.start) {
                self.hits_in(uses, alias, start, end, event, marks);
            }
        });
    }

    /// Marks the uses of a literal found at `start..end` inside `seg`.
    #[inline]
    fn hits_in(
        &self,
        uses: &[Use],
        seg: &Segment,
        start: usize,
        end: usize,
        event: &Event<'_>,
        marks: &mut Marks<'_>,
    ) {
        for u in uses {
            let wrong_field = if u.source == ANY_FIELD {
                // Keywords search the fields, not the event time.
                self.timestamp_source == Some(seg.source)
            } else {
                u.source != seg.source
            };
            if wrong_field {
                continue;
            }
            let at_anchor = match u.anchor {
                Anchor::Anywhere => true,
                Anchor::Start => start == seg.start,
                Anchor::End => end == seg.end,
                Anchor::Whole => start == seg.start && end == seg.end,
            };
            if at_anchor {
                self.hit(u, event, marks);
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

/// What the prefilter decided, for the rule set.
pub(crate) struct Built {
    pub plans: Vec<Plan>,
    /// Plan index per format.
    pub plan_of: Vec<Option<usize>>,
    /// Per leaf of the rule set: left out of the search (a rule's
    /// non-trigger literals), so evaluation runs its matcher.
    pub direct: Vec<bool>,
    /// Per rule: evaluated on every event of its formats.
    pub always: Vec<bool>,
}

/// Builds the plans.
pub(crate) fn build(rules: &[CompiledRule], leaf_total: usize) -> Result<Built, String> {
    let mut direct = vec![false; leaf_total];
    let mut always = vec![false; rules.len()];
    let mut triggers: Vec<Option<Vec<bool>>> = Vec::with_capacity(rules.len());
    for (r, rule) in rules.iter().enumerate() {
        // A literal with a NUL (UTF-16 bytes without base64) cannot go in
        // the NUL-separated search: such a rule runs every matcher.
        let nul = all_leaves(rule).any(|l| needle(l).is_some_and(|(n, _)| n.contains('\0')));
        let t = if nul {
            None
        } else {
            rule.tree.triggers(commonness)
        };
        if nul || !rule.needs_hit {
            always[r] = true;
        }
        for l in all_items(rule).flat_map(|i| i.leaves()) {
            let trigger = t
                .as_ref()
                .is_none_or(|t| t.get(l.id as usize).copied().unwrap_or(true));
            // Rules evaluated on every event run their matchers: the search
            // only holds the triggers of the other rules.
            if l.gate != Gate::None && (nul || always[r] || !trigger) {
                if let Some(d) = direct.get_mut((rule.leaf_base + l.id) as usize) {
                    *d = true;
                }
            }
        }
        triggers.push(if nul { Some(Vec::new()) } else { t });
    }
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
            plans.push(build_plan(rules, &members, &triggers, &direct, &always)?);
            members_of_plan.push(members);
            plan_of.push(Some(plans.len() - 1));
        }
    }
    Ok(Built {
        plans,
        plan_of,
        direct,
        always,
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

fn all_items(rule: &CompiledRule) -> impl Iterator<Item = &super::tree::Item> {
    rule.tree
        .selections
        .iter()
        .flat_map(|s| s.any_of.iter())
        .flat_map(|alt| alt.iter())
}

fn needle(leaf: &Leaf) -> Option<(&str, Anchor)> {
    match &leaf.matcher {
        LeafMatch::Text(m) if leaf.gate != Gate::None => m.needle().map(|(n, a, _)| (n, a)),
        _ => None,
    }
}

/// How common a leaf's literal is likely to be in real traffic, for
/// choosing triggers: whole short values (`GET`, `200`) most, then by
/// length (a 2-character fragment is common, a 30-character path is not).
fn commonness(leaf: &Leaf) -> u32 {
    match needle(leaf) {
        Some((lit, Anchor::Whole)) if lit.len() <= 7 => 10_000,
        Some((lit, _)) => 1_000u32.saturating_sub(lit.len() as u32),
        None => 0,
    }
}

/// The plan being built.
#[derive(Default)]
struct Patterns {
    literals: Vec<String>,
    index: HashMap<String, usize>,
    uses: Vec<Vec<Use>>,
}

impl Patterns {
    fn add(&mut self, key: String, u: Use) {
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                self.literals.push(key.clone());
                self.uses.push(Vec::new());
                self.index.insert(key, self.literals.len() - 1);
                self.literals.len() - 1
            }
        };
        self.uses[id].push(u);
    }

    fn search(&self) -> Result<Option<LiteralSearch>, String> {
        if self.literals.is_empty() {
            return Ok(None);
        }
        LiteralSearch::new(&self.literals).map(Some)
    }

    fn into_uses(self) -> Box<[Box<[Use]>]> {
        self.uses.into_iter().map(Vec::into_boxed_slice).collect()
    }
}

#[derive(Default)]
struct Builder {
    patterns: Patterns,
    keywords: bool,
    keywords_anchored: bool,
    keyword_digits: bool,
    sources: Vec<(FieldRef, HashMap<String, Vec<Use>>)>,
    shadows: Vec<Box<[FieldRef]>>,
}

impl Builder {
    fn source(&mut self, f: &FieldRef) -> u32 {
        match self.sources.iter().position(|(s, _)| s == f) {
            Some(i) => i as u32,
            None => {
                self.sources.push((f.clone(), HashMap::new()));
                (self.sources.len() - 1) as u32
            }
        }
    }

    fn shadow(&mut self, fields: Box<[FieldRef]>) -> u32 {
        if fields.is_empty() {
            return 0;
        }
        match self.shadows.iter().position(|s| *s == fields) {
            Some(j) => j as u32 + 1,
            None => {
                self.shadows.push(fields);
                self.shadows.len() as u32
            }
        }
    }

    fn add(&mut self, literal: &str, u: Use) {
        // The search folds ASCII case, so literals differing only in case
        // are one pattern.
        let key = literal.to_ascii_lowercase();
        if u.source == ANY_FIELD {
            self.keywords = true;
            self.keywords_anchored |= u.anchor != Anchor::Anywhere;
            self.keyword_digits |= key.bytes().all(|c| c.is_ascii_digit() || c == b'-');
            self.patterns.add(key, u);
        } else if u.anchor == Anchor::Whole {
            // Any length: looked up, not searched.
            if let Some((_, whole)) = self.sources.get_mut(u.source as usize) {
                whole.entry(key).or_default().push(u);
            }
        } else {
            self.patterns.add(key, u);
        }
    }
}

fn build_plan(
    rules: &[CompiledRule],
    members: &[u32],
    triggers: &[Option<Vec<bool>>],
    direct: &[bool],
    always: &[bool],
) -> Result<Plan, String> {
    let mut b = Builder::default();
    for &r in members {
        let rule = &rules[r as usize];
        let is_always = always.get(r as usize).copied().unwrap_or(false);
        let triggers = triggers.get(r as usize).and_then(Option::as_ref);
        for item in rule
            .tree
            .selections
            .iter()
            .flat_map(|s| s.any_of.iter())
            .flat_map(|alt| alt.iter())
        {
            for leaf in item.leaves() {
                let Some((literal, anchor)) = needle(leaf) else {
                    continue;
                };
                // Rules evaluated on every event stamp their literals but
                // are never "touched".
                let trigger = !is_always
                    && triggers.is_none_or(|t| t.get(leaf.id as usize).copied().unwrap_or(true));
                if direct
                    .get((rule.leaf_base + leaf.id) as usize)
                    .copied()
                    .unwrap_or(false)
                {
                    continue;
                }
                let (leaf_id, rule_id) = (rule.leaf_base + leaf.id, r);
                match &item.target {
                    Target::Keywords => {
                        let u = Use {
                            source: ANY_FIELD,
                            leaf: leaf_id,
                            rule: rule_id,
                            anchor,
                            trigger,
                            shadow: 0,
                        };
                        b.add(literal, u);
                    }
                    Target::Field(f) => {
                        // Each concrete field the target may read, shadowed
                        // by the ones it reads first.
                        let fields: Vec<FieldRef> = match f {
                            FieldRef::Alt(alts) => alts.to_vec(),
                            f => vec![f.clone()],
                        };
                        for (k, field) in fields.iter().enumerate() {
                            let source = b.source(field);
                            let shadow = b.shadow(fields[..k].into());
                            let u = Use {
                                source,
                                leaf: leaf_id,
                                rule: rule_id,
                                anchor,
                                trigger,
                                shadow,
                            };
                            b.add(literal, u);
                        }
                    }
                }
            }
        }
    }
    let ac = b.patterns.search()?;
    let mut slot_source = vec![None; Field::COUNT];
    let mut extra_source = HashMap::default();
    let mut timestamp_source = None;
    let mut sources = Vec::with_capacity(b.sources.len());
    for (i, (field, whole)) in b.sources.into_iter().enumerate() {
        let i = i as u32;
        match &field {
            FieldRef::Slot(f) => slot_source[*f as usize] = Some(i),
            FieldRef::Extra(n) => {
                extra_source.insert(n.clone(), i);
            }
            FieldRef::Timestamp => timestamp_source = Some(i),
            FieldRef::Alt(_) => return Err("internal: a source of alternatives".into()),
        }
        let mut whole_lens = [0u64; 4];
        for k in whole.keys() {
            let n = k.len().min(255);
            whole_lens[n / 64] |= 1u64 << (n % 64);
        }
        sources.push(Source {
            whole: whole
                .into_iter()
                .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_slice()))
                .collect(),
            whole_lens,
        });
    }
    let mut shadows = vec![Box::default()];
    shadows.extend(b.shadows);
    let always = members
        .iter()
        .copied()
        .filter(|&r| always.get(r as usize).copied().unwrap_or(false))
        .collect();
    Ok(Plan {
        ac,
        uses: b.patterns.into_uses(),
        keywords: b.keywords,
        keywords_unanchored: !b.keywords_anchored,
        keyword_digits: b.keyword_digits,
        sources: sources.into(),
        slot_source: slot_source.into(),
        extra_source,
        timestamp_source,
        shadows: shadows.into(),
        always,
    })
}
