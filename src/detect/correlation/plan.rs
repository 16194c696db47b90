//! The correlation plan: references resolved, taps per base rule.
//!
//! A correlation refers to rules by `id` or `name`; those may be detection
//! rules or other correlations (a chain). Resolution happens once, when the
//! rule set is linked. The result is flattened for the workers: for each
//! detection rule, the list of *taps* — every correlation that consumes its
//! matches, directly or through a chain, with the group-by fields (aliases
//! resolved for the referring rule, names resolved in the detection rule's
//! taxonomy) and the aggregated field to extract from the event.

use super::{BehaviourParams, CorrelationKind, Threshold};
use crate::alert::RuleInfo;
use crate::detect::rule::{CompiledRule, RuleError, RuleSource};
use crate::detect::rule::{FieldRef, Taxonomy, resolve_field};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How deep correlations may chain (a correlation of a correlation …).
pub(crate) const MAX_CHAIN: usize = 10;

/// A correlation rule as compiled from its document, references unresolved.
#[derive(Clone, Debug)]
pub(crate) struct CorrelationDef {
    pub info: Arc<RuleInfo>,
    pub source: RuleSource,
    pub name: Option<String>,
    pub kind: CorrelationKind,
    /// `rules`, as written.
    pub refs: Vec<String>,
    /// Where `rules` is, for errors: (line, column).
    pub refs_at: (u64, u64),
    pub group_by: Vec<String>,
    /// alias → (rule id or name → field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    pub field: Option<String>,
    pub timespan_ns: i64,
    pub threshold: Threshold,
    pub generate: bool,
    pub behaviour: BehaviourParams,
    pub examples: Option<crate::detect::rule::CorrelationExamples>,
}

/// What a correlation refers to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RuleRef {
    /// A detection rule (index into the rule set).
    Base(u32),
    /// Another correlation (index into the plan).
    Correlation(u32),
}

/// A resolved correlation rule.
#[derive(Clone, Debug)]
pub struct CorrelationRule {
    /// Identity that alerts carry (`id`, else `name`).
    pub info: Arc<RuleInfo>,
    /// File and line of the rule.
    pub source: RuleSource,
    /// Sigma `name`.
    pub name: Option<String>,
    /// The type.
    pub kind: CorrelationKind,
    /// The rules it correlates, in `rules` order.
    pub refs: Vec<RuleRef>,
    /// `group-by`, as written (alert entities use these names).
    pub group_by: Vec<String>,
    /// The aggregated field (`condition.field`), for the `value_*` types.
    pub field: Option<String>,
    /// Window length in nanoseconds.
    pub timespan_ns: i64,
    /// When it matches.
    pub threshold: Threshold,
    /// `generate`: whether the referred rules raise their own alerts too.
    pub generate: bool,
    /// Tunables of the baseline types (`x-picket-*`).
    pub behaviour: BehaviourParams,
    /// Whether this correlation raises alerts (false when it is only a
    /// step of a chain whose outer rule does not `generate`).
    pub emits: bool,
    pub(crate) examples: Option<crate::detect::rule::CorrelationExamples>,
    /// `rules` as written.
    pub(crate) ref_names: Vec<String>,
    /// alias → (rule id or name → field).
    pub(crate) aliases: BTreeMap<String, BTreeMap<String, String>>,
}

/// One correlation consuming one detection rule's matches.
#[derive(Clone, Debug)]
pub(crate) struct Tap {
    /// The correlation.
    pub corr: u32,
    /// The position in its `rules` through which the match arrives.
    pub slot: u16,
    /// `rules[slot]` is the detection rule itself (not a correlation).
    pub direct: bool,
    /// Group-by fields, resolved for this rule.
    pub key: Box<[FieldRef]>,
    /// The aggregated field.
    pub value: Option<FieldRef>,
    /// Read the value as a number (sum, average, percentile).
    pub numeric: bool,
    /// Keep the value's text too (`new_terms` names the new term).
    pub text: bool,
}

/// Every correlation of a rule set, resolved, with the taps of each
/// detection rule. Immutable; shared by the workers (to extract
/// [`Observation`]s) and the [`CorrelationEngine`](super::CorrelationEngine).
#[derive(Clone, Debug, Default)]
pub struct CorrelationPlan {
    pub(crate) rules: Vec<CorrelationRule>,
    /// Per detection rule.
    pub(crate) taps: Vec<Box<[Tap]>>,
    /// Per correlation: the correlations that refer to it, and where.
    pub(crate) parents: Vec<Box<[(u32, u16)]>>,
    /// Per detection rule: whether its own match alerts are withheld.
    pub(crate) silent: Vec<bool>,
    /// Per correlation: for those in a chain, a number shared by every
    /// correlation of the chain (their state must live in one shard).
    pub(crate) chain: Vec<Option<u32>>,
}

impl CorrelationPlan {
    /// The correlation rules, in load order.
    pub fn rules(&self) -> &[CorrelationRule] {
        &self.rules
    }

    /// Whether any correlation is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a detection rule's own match alerts are withheld because the
    /// correlations referring to it do not `generate` them.
    pub fn is_silent(&self, rule: usize) -> bool {
        self.silent.get(rule).copied().unwrap_or(false)
    }

    /// The shard (of `n`) that keeps correlation `c`'s state for the group
    /// with fingerprint `fp`: by the fingerprint, or by chain for chained
    /// correlations (a chain's steps update each other's groups).
    pub fn shard_of(&self, c: u32, fp: u64, n: usize) -> usize {
        let n = n.max(1) as u64;
        let h = match self.chain.get(c as usize).copied().flatten() {
            Some(chain) => u64::from(chain),
            None => fp,
        };
        (h % n) as usize
    }

    /// Whether a detection rule feeds any correlation.
    pub fn is_tapped(&self, rule: usize) -> bool {
        self.taps.get(rule).is_some_and(|t| !t.is_empty())
    }

    /// Resolves correlation definitions against the detection rules.
    pub(crate) fn build(
        base: &[CompiledRule],
        defs: Vec<CorrelationDef>,
        errors: &mut Vec<RuleError>,
    ) -> CorrelationPlan {
        let mut names: HashMap<&str, RuleRef> = HashMap::new();
        // Ids first, then names: an id wins over a name that spells it.
        for (i, r) in base.iter().enumerate() {
            names
                .entry(r.info.id.as_str())
                .or_insert(RuleRef::Base(i as u32));
        }
        for (i, d) in defs.iter().enumerate() {
            names
                .entry(d.info.id.as_str())
                .or_insert(RuleRef::Correlation(i as u32));
        }
        for (i, r) in base.iter().enumerate() {
            if let Some(n) = &r.name {
                names.entry(n.as_str()).or_insert(RuleRef::Base(i as u32));
            }
        }
        for (i, d) in defs.iter().enumerate() {
            if let Some(n) = &d.name {
                names
                    .entry(n.as_str())
                    .or_insert(RuleRef::Correlation(i as u32));
            }
        }
        let mut resolved: Vec<Option<Vec<RuleRef>>> = Vec::with_capacity(defs.len());
        for d in &defs {
            let mut refs = Vec::new();
            let mut ok = true;
            for r in &d.refs {
                match names.get(r.as_str()) {
                    Some(x) => refs.push(*x),
                    None => {
                        ok = false;
                        errors.push(err_at(
                            d,
                            format!("`correlation.rules`: no rule has the id or name `{r}`"),
                        ));
                    }
                }
            }
            resolved.push(ok.then_some(refs));
        }
        // Reject cycles and over-long chains; drop the rules involved.
        for i in 0..defs.len() {
            if resolved[i].is_some() && depth(i, &resolved, 0).is_none() {
                errors.push(err_at(
                    &defs[i],
                    format!("correlation chain is cyclic or deeper than {MAX_CHAIN} levels"),
                ));
                resolved[i] = None;
            }
        }
        // A correlation whose reference failed to resolve is dropped, and so
        // is every correlation referring to it.
        loop {
            let mut changed = false;
            for i in 0..defs.len() {
                let broken = resolved[i].as_ref().is_some_and(|refs| {
                    refs.iter().any(|r| match r {
                        RuleRef::Correlation(c) => resolved[*c as usize].is_none(),
                        RuleRef::Base(_) => false,
                    })
                });
                if broken {
                    resolved[i] = None;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Renumber the surviving correlations.
        let mut new_index = vec![None; defs.len()];
        let mut kept = Vec::new();
        for (i, (d, refs)) in defs.into_iter().zip(resolved).enumerate() {
            if let Some(refs) = refs {
                new_index[i] = Some(kept.len() as u32);
                kept.push((d, refs));
            }
        }
        let rules: Vec<CorrelationRule> = kept
            .into_iter()
            .map(|(d, refs)| CorrelationRule {
                info: d.info,
                source: d.source,
                name: d.name,
                kind: d.kind,
                refs: refs
                    .into_iter()
                    .map(|r| match r {
                        RuleRef::Correlation(c) => {
                            RuleRef::Correlation(new_index[c as usize].unwrap_or(u32::MAX))
                        }
                        b => b,
                    })
                    .collect(),
                group_by: d.group_by,
                field: d.field,
                timespan_ns: d.timespan_ns,
                threshold: d.threshold,
                generate: d.generate,
                behaviour: d.behaviour,
                emits: true,
                examples: d.examples,
                ref_names: d.refs,
                aliases: d.aliases,
            })
            .collect();
        Self::link(base, rules)
    }

    /// Computes taps, parents, and which rules raise their own alerts.
    fn link(base: &[CompiledRule], mut rules: Vec<CorrelationRule>) -> CorrelationPlan {
        let mut parents: Vec<Vec<(u32, u16)>> = vec![Vec::new(); rules.len()];
        let mut direct: Vec<Vec<(u32, u16)>> = vec![Vec::new(); base.len()];
        for (c, r) in rules.iter().enumerate() {
            for (s, rr) in r.refs.iter().enumerate() {
                let slot = u16::try_from(s).unwrap_or(u16::MAX);
                match *rr {
                    RuleRef::Correlation(p) => {
                        if let Some(list) = parents.get_mut(p as usize) {
                            list.push((c as u32, slot));
                        }
                    }
                    RuleRef::Base(b) => {
                        if let Some(list) = direct.get_mut(b as usize) {
                            list.push((c as u32, slot));
                        }
                    }
                }
            }
        }
        let names_of = |r: RuleRef| -> Vec<&str> {
            match r {
                RuleRef::Base(b) => base
                    .get(b as usize)
                    .map(|x| {
                        let mut v = vec![x.info.id.as_str()];
                        v.extend(x.name.as_deref());
                        v
                    })
                    .unwrap_or_default(),
                RuleRef::Correlation(c) => rules
                    .get(c as usize)
                    .map(|x| {
                        let mut v = vec![x.info.id.as_str()];
                        v.extend(x.name.as_deref());
                        v
                    })
                    .unwrap_or_default(),
            }
        };
        let mut taps = Vec::with_capacity(base.len());
        for (b, rule) in base.iter().enumerate() {
            let mut list: Vec<Tap> = Vec::new();
            let mut queue: Vec<(u32, u16, bool)> =
                direct[b].iter().map(|&(c, s)| (c, s, true)).collect();
            let mut seen: Vec<(u32, u16, bool)> = Vec::new();
            while let Some((c, s, is_direct)) = queue.pop() {
                if seen.contains(&(c, s, is_direct)) {
                    continue;
                }
                seen.push((c, s, is_direct));
                let Some(cr) = rules.get(c as usize) else {
                    continue;
                };
                let mut via: Vec<&str> = cr
                    .ref_names
                    .get(usize::from(s))
                    .map(String::as_str)
                    .into_iter()
                    .collect();
                if let Some(r) = cr.refs.get(usize::from(s)) {
                    via.extend(names_of(*r));
                }
                let taxonomy = rule.taxonomy();
                list.push(Tap {
                    corr: c,
                    slot: s,
                    direct: is_direct,
                    key: cr
                        .group_by
                        .iter()
                        .map(|g| field_for(&cr.aliases, g, &via, taxonomy))
                        .collect(),
                    value: cr
                        .field
                        .as_deref()
                        .map(|f| field_for(&cr.aliases, f, &via, taxonomy)),
                    numeric: cr.kind.is_numeric(),
                    text: matches!(
                        cr.kind,
                        CorrelationKind::NewTerms | CorrelationKind::Sequential
                    ),
                });
                for &(p, ps) in parents.get(c as usize).into_iter().flatten() {
                    queue.push((p, ps, false));
                }
            }
            // Deterministic order: by correlation, then slot.
            list.sort_by_key(|t| (t.corr, t.slot, !t.direct));
            taps.push(list.into_boxed_slice());
        }
        let silent = direct
            .iter()
            .map(|d| {
                !d.is_empty()
                    && !d
                        .iter()
                        .any(|(c, _)| rules.get(*c as usize).is_some_and(|r| r.generate))
            })
            .collect();
        let generate: Vec<bool> = rules.iter().map(|r| r.generate).collect();
        for (c, r) in rules.iter_mut().enumerate() {
            let ps = &parents[c];
            r.emits = ps.is_empty() || ps.iter().any(|(p, _)| generate[*p as usize]);
        }
        let chain = chains(&parents);
        CorrelationPlan {
            rules,
            taps,
            parents: parents.into_iter().map(Vec::into_boxed_slice).collect(),
            silent,
            chain,
        }
    }
}

/// Numbers the chains: correlations linked by references to each other
/// share a number (the smallest index among them); others have none.
fn chains(parents: &[Vec<(u32, u16)>]) -> Vec<Option<u32>> {
    let n = parents.len();
    let mut root: Vec<usize> = (0..n).collect();
    fn find(root: &mut [usize], mut i: usize) -> usize {
        while root[i] != i {
            root[i] = root[root[i]];
            i = root[i];
        }
        i
    }
    let mut linked = vec![false; n];
    for (c, ps) in parents.iter().enumerate() {
        for &(p, _) in ps {
            let p = p as usize;
            if p >= n {
                continue;
            }
            linked[c] = true;
            linked[p] = true;
            let (a, b) = (find(&mut root, c), find(&mut root, p));
            root[a.max(b)] = a.min(b);
        }
    }
    (0..n)
        .map(|c| linked[c].then(|| find(&mut root, c) as u32))
        .collect()
}

fn err_at(d: &CorrelationDef, message: String) -> RuleError {
    RuleError::new(&d.source.path, d.refs_at.0, d.refs_at.1, message)
}

/// Chain depth below correlation `i`, or `None` for a cycle or too deep.
fn depth(i: usize, refs: &[Option<Vec<RuleRef>>], level: usize) -> Option<usize> {
    if level > MAX_CHAIN {
        return None;
    }
    let mut d = 0;
    for r in refs.get(i)?.as_ref()? {
        if let RuleRef::Correlation(c) = r {
            d = d.max(1 + depth(*c as usize, refs, level + 1)?);
        }
    }
    Some(d)
}

/// Resolves one correlation's field for a detection rule: the alias for
/// the reference through which the match arrives, else the name itself,
/// in the detection rule's taxonomy.
fn field_for(
    aliases: &BTreeMap<String, BTreeMap<String, String>>,
    name: &str,
    via: &[&str],
    taxonomy: Option<Taxonomy>,
) -> FieldRef {
    let actual = aliases
        .get(name)
        .and_then(|m| via.iter().find_map(|v| m.get(*v)))
        .map_or(name, String::as_str);
    resolve_field(actual, taxonomy)
}
