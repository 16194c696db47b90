//! picket's Sigma engine against RSigma (`rsigma-eval` 0.23, MIT) as an
//! oracle.
//!
//! Every rule both engines accept is evaluated by both over a generated
//! corpus that exercises its selections (positives built from the rule's
//! own values, plus near misses; `tests/common/sigma_corpus.rs`). Events
//! are flat JSON objects keyed by the fields picket's parsers produce;
//! RSigma gets picket's field mapping as a processing pipeline. For each
//! event the sets of matching rules must be equal, or the difference must
//! be one of the documented ones below, each with the Sigma specification
//! clause that decides it.
//!
//! - `vendored_web_and_proxy_rules_agree` (always on): the 145 SigmaHQ
//!   web server and proxy rules vendored under `tests/fixtures/sigmahq`.
//! - `shared_corpus_rules_agree`: the rest of the SigmaHQ corpus (auditd,
//!   Kubernetes, CloudTrail) when `../shared/data/sigmahq-sigma` exists.

#[path = "common/sigma_corpus.rs"]
mod corpus;

use picket::detect::rule::RuleSet;
use rsigma_eval::Engine;
use rsigma_eval::event::JsonEvent;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A verdict on which the engines disagree.
#[derive(Debug)]
struct Diff {
    rule: String,
    event: J,
    picket: bool,
}

#[derive(Debug, Default)]
struct Outcome {
    files: usize,
    rules_compared: usize,
    rejected_by_picket: Vec<String>,
    rejected_by_rsigma: Vec<String>,
    not_applicable: Vec<String>,
    events: usize,
    verdicts: usize,
    agreements: usize,
    explained: BTreeMap<&'static str, usize>,
    unexplained: Vec<Diff>,
}

/// Known, documented differences: `Some(clause)` when the difference is
/// explained by a Sigma specification clause that says picket is right.
fn explain(rules: &BTreeMap<String, J>, d: &Diff) -> Option<&'static str> {
    let doc = rules.get(&d.rule)?;
    let text = serde_json::to_string(&doc["detection"]).unwrap_or_default();
    // `'|all': [...]` keywords: RSigma compares each keyword with whole
    // string values (equality); picket searches each as a substring of the
    // event, as keyword lists are searched.
    if text.contains("\"|all\"") && d.picket {
        return Some(
            "rules specification v2.0.0, Keywords search: keywords search \"across an entire event\"; `'|all':` gives \"OabVirtualDirectory\" and \" -ExternalUrl \" (substrings, AND-ed)",
        );
    }
    // A wildcard inside a `startswith`/`endswith`/`contains` value: picket
    // honours it, RSigma's candidate index misses these events.
    let wildcard_inside = |v: &J| {
        v.as_str()
            .is_some_and(|s| s.trim_matches('*').contains('*') || s.contains('?'))
    };
    let has_inner_wildcard = doc["detection"].as_object().is_some_and(|det| {
        det.values().any(|sel| {
            sel.as_object().is_some_and(|m| {
                m.iter().any(|(k, v)| {
                    (k.contains("|startswith")
                        || k.contains("|endswith")
                        || k.contains("|contains"))
                        && match v {
                            J::Array(a) => a.iter().any(wildcard_inside),
                            v => wildcard_inside(v),
                        }
                })
            })
        })
    });
    if has_inner_wildcard && d.picket {
        return Some(
            "rules specification v2.0.0, String Wildcard: \"`*` to replace an unbounded length wildcard\"; modifiers appendix: startswith \"replaces e.g. 'adm*'\"",
        );
    }
    // RSigma's `windash` only permutes `-`; picket permutes all five
    // characters, as the modifiers appendix says.
    if text.contains("|windash") && d.picket {
        return Some(
            "modifiers appendix v2.1.0, windash: \"Creates all possible permutations of the -, /, \u{2013}, \u{2014}, \u{2015} characters\"",
        );
    }
    // RSigma keeps the last base64 character of each base64offset variant,
    // which depends on the byte after the value.
    if text.contains("|base64offset") && d.picket {
        return Some(
            "modifiers appendix v2.1.0, base64offset: \"except the first and last byte the encoded values have a static part in the middle\"",
        );
    }
    None
}

fn compare(files: &[PathBuf]) -> Outcome {
    let mut out = Outcome {
        files: files.len(),
        ..Default::default()
    };
    let mut accepted: Vec<PathBuf> = Vec::new();
    let mut docs: Vec<J> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("rule file");
        let name = file.display().to_string();
        let picket = RuleSet::from_yaml(file, &text);
        if let Err(e) = &picket {
            out.rejected_by_picket.push(format!("{name}: {}", e[0]));
            continue;
        }
        let rs = rsigma_parser::parse_sigma_yaml(&text)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                let mut engine = Engine::new();
                for r in &c.rules {
                    engine.add_rule(r).map_err(|e| e.to_string())?;
                }
                if c.rules.is_empty() {
                    return Err("no rule".into());
                }
                Ok(c)
            });
        if let Err(e) = rs {
            out.rejected_by_rsigma.push(format!("{name}: {e}"));
            continue;
        }
        if picket.is_ok_and(|s| s.rules().iter().all(|r| r.formats().next().is_none())) {
            // e.g. `service: apache` error-log rules: no picket format is
            // such a log, so picket never evaluates them.
            out.not_applicable.push(name);
            continue;
        }
        accepted.push(file.clone());
        docs.extend(corpus::docs(&text));
    }
    out.rules_compared = docs.len();
    let set = RuleSet::load(&accepted, false).unwrap_or_else(|e| panic!("{e:?}"));
    let mut engine = Engine::new();
    let pipeline = rsigma_eval::parse_pipeline(&corpus::rsigma_pipeline(&docs))
        .unwrap_or_else(|e| panic!("pipeline: {e}"));
    engine.add_pipeline(pipeline);
    for file in &accepted {
        let text = std::fs::read_to_string(file).expect("rule file");
        for r in &rsigma_parser::parse_sigma_yaml(&text)
            .expect("parsed before")
            .rules
        {
            engine.add_rule(r).expect("compiled before");
        }
    }
    let by_id: BTreeMap<String, J> = docs
        .iter()
        .filter_map(|d| Some((d["id"].as_str()?.to_owned(), d.clone())))
        .collect();
    let ids: Vec<&str> = set.rules().iter().map(|r| r.info.id.as_str()).collect();
    let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
    for doc in &docs {
        for event in corpus::events_for_rule(doc) {
            out.events += 1;
            set.evaluate(&corpus::to_event(&event), &mut scratch, &mut hits);
            let p: BTreeSet<&str> = hits.iter().map(|&i| ids[i]).collect();
            let r: BTreeSet<String> = engine
                .evaluate(&JsonEvent::borrow(&event))
                .into_iter()
                .filter_map(|m| m.header.rule_id)
                .collect();
            let r: BTreeSet<&str> = r.iter().map(String::as_str).collect();
            out.verdicts += ids.len();
            let differing: Vec<&str> = p.symmetric_difference(&r).copied().collect();
            out.agreements += ids.len() - differing.len();
            for rule in differing {
                let d = Diff {
                    rule: rule.to_owned(),
                    event: event.clone(),
                    picket: p.contains(rule),
                };
                match explain(&by_id, &d) {
                    Some(why) => *out.explained.entry(why).or_default() += 1,
                    None => out.unexplained.push(d),
                }
            }
        }
    }
    out
}

fn report(what: &str, o: &Outcome) {
    eprintln!(
        "{what}: {} files; {} rules compared; {} events; {} verdicts, {} agree, {} differ (all explained: {})",
        o.files,
        o.rules_compared,
        o.events,
        o.verdicts,
        o.agreements,
        o.verdicts - o.agreements,
        o.unexplained.is_empty()
    );
    for r in &o.rejected_by_picket {
        eprintln!("  rejected by picket: {r}");
    }
    for r in &o.rejected_by_rsigma {
        eprintln!("  rejected by RSigma: {r}");
    }
    for r in &o.not_applicable {
        eprintln!("  not compared (logsource applies to no picket format): {r}");
    }
    for (why, n) in &o.explained {
        eprintln!("  {n:5} explained: {why}");
    }
    for d in o.unexplained.iter().take(20) {
        eprintln!(
            "  UNEXPLAINED {}: picket {} RSigma {} on {}",
            d.rule, d.picket, !d.picket, d.event
        );
    }
}

#[test]
fn vendored_web_and_proxy_rules_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigmahq");
    let files = corpus::rule_files(&dir);
    assert_eq!(files.len(), 145, "vendored rules");
    let o = compare(&files);
    report("vendored web/proxy", &o);
    assert!(o.rejected_by_picket.is_empty());
    assert!(o.rules_compared >= 130, "{}", o.rules_compared);
    assert!(o.events > 2_000, "{}", o.events);
    assert!(
        o.unexplained.is_empty(),
        "{} unexplained differences",
        o.unexplained.len()
    );
}

#[test]
fn modifier_rules_agree() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle/modifiers.yml");
    let o = compare(&[file]);
    report("modifier rules", &o);
    assert!(o.rejected_by_picket.is_empty() && o.rejected_by_rsigma.is_empty());
    assert!(
        o.unexplained.is_empty(),
        "{} unexplained differences",
        o.unexplained.len()
    );
}

#[test]
fn shared_corpus_rules_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sigmahq-sigma/rules");
    if !root.is_dir() {
        eprintln!("skipped: {} not present", root.display());
        return;
    }
    let files: Vec<PathBuf> = ["linux", "application", "cloud"]
        .iter()
        .flat_map(|d| corpus::rule_files(&root.join(d)))
        .collect();
    let o = compare(&files);
    report("shared auditd/k8s/cloudtrail", &o);
    assert!(o.rejected_by_picket.is_empty());
    assert!(
        o.unexplained.is_empty(),
        "{} unexplained differences",
        o.unexplained.len()
    );
}
