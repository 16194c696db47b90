//! picket's compiled Sigma plan against RSigma (`rsigma-eval` 0.23) on the
//! same rules and the same JSON lines, in one run.
//!
//! - Rules: every SigmaHQ rule both engines accept — the web server and
//!   proxy rules vendored in `tests/fixtures/sigmahq`, plus the auditd,
//!   Kubernetes and CloudTrail rules when `../shared/data/sigmahq-sigma`
//!   exists. RSigma gets picket's field mapping as a processing pipeline.
//! - Events: real traffic (the 10,000 Apache lines of `../shared`, else
//!   `samples/access-nginx.log`) parsed by picket and written as flat JSON
//!   lines, plus the oracle corpus of `tests/common/sigma_corpus.rs`
//!   (positives and near misses of every rule), so both engines do real
//!   matching work.
//! - Measured: JSON line → parsed → every rule evaluated, per engine
//!   (both parse with serde_json; picket then builds its event), and the
//!   evaluation alone on pre-parsed events. Best of 9 interleaved rounds
//!   (the four tasks in turn, so that load from other processes hits them
//!   alike), one core.
//!
//! `cargo bench --bench sigma_vs_rsigma`

#[path = "../tests/common/sigma_corpus.rs"]
mod corpus;

use picket::detect::rule::RuleSet;
use picket::event::{Event, event_to_json};
use picket::parse::{Format, parser_for};
use rsigma_eval::Engine;
use rsigma_eval::event::JsonEvent;
use serde_json::Value as J;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = corpus::rule_files(&root.join("tests/fixtures/sigmahq"));
    let shared = root.join("../shared/data/sigmahq-sigma/rules");
    for d in ["linux", "application", "cloud"] {
        files.extend(corpus::rule_files(&shared.join(d)));
    }
    // Rules both engines accept, and that apply to some picket format.
    let mut accepted: Vec<PathBuf> = Vec::new();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("rule");
        let ok_picket = RuleSet::from_yaml(&f, &text)
            .is_ok_and(|s| s.rules().iter().all(|r| r.formats().next().is_some()));
        let ok_rsigma = rsigma_parser::parse_sigma_yaml(&text).is_ok_and(|c| {
            let mut e = Engine::new();
            !c.rules.is_empty() && c.rules.iter().all(|r| e.add_rule(r).is_ok())
        });
        if ok_picket && ok_rsigma {
            docs.extend(corpus::docs(&text));
            accepted.push(f);
        }
    }
    let set = RuleSet::load(&accepted, false).expect("rules load");
    let mut engine = Engine::new();
    engine.add_pipeline(
        rsigma_eval::parse_pipeline(&corpus::rsigma_pipeline(&docs)).expect("pipeline"),
    );
    for f in &accepted {
        let text = std::fs::read_to_string(f).expect("rule");
        for r in &rsigma_parser::parse_sigma_yaml(&text)
            .expect("parses")
            .rules
        {
            engine.add_rule(r).expect("compiles");
        }
    }

    // The same JSON lines for both.
    let mut lines: Vec<String> = real_traffic(root);
    let real = lines.len();
    for d in &docs {
        lines.extend(corpus::events_for_rule(d).iter().map(J::to_string));
    }
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "rules: {} (both engines); events: {} JSON lines ({} real traffic, {} corpus), {:.1} MB",
        set.rules().len(),
        lines.len(),
        real,
        lines.len() - real,
        bytes as f64 / 1e6
    );

    let values: Vec<J> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let events: Vec<Event<'_>> = values.iter().map(corpus::to_event).collect();
    let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
    let (mut scratch2, mut hits2) = (set.new_scratch(), Vec::new());
    type Task<'t> = (&'static str, Box<dyn FnMut() -> usize + 't>);
    let mut tasks: [Task<'_>; 4] = [
        (
            "picket: JSON line → parse → evaluate",
            Box::new(|| {
                let mut n = 0usize;
                for l in &lines {
                    let v: J = serde_json::from_str(l).expect("json");
                    set.evaluate(&corpus::to_event(&v), &mut scratch, &mut hits);
                    n += hits.len();
                }
                n
            }),
        ),
        (
            "RSigma: JSON line → parse → evaluate",
            Box::new(|| {
                let mut n = 0usize;
                for l in &lines {
                    let v: J = serde_json::from_str(l).expect("json");
                    n += engine.evaluate(&JsonEvent::borrow(&v)).len();
                }
                n
            }),
        ),
        (
            "picket: evaluate pre-parsed",
            Box::new(|| {
                let mut n = 0usize;
                for e in &events {
                    set.evaluate(e, &mut scratch2, &mut hits2);
                    n += hits2.len();
                }
                n
            }),
        ),
        (
            "RSigma: evaluate pre-parsed",
            Box::new(|| {
                let mut n = 0usize;
                for v in &values {
                    n += engine.evaluate(&JsonEvent::borrow(black_box(v))).len();
                }
                n
            }),
        ),
    ];
    // Interleaved rounds (the machine is shared: each task sees the same
    // load), best of 9 after a warm-up.
    let mut best = [f64::MAX; 4];
    let mut matches = [0usize; 4];
    for round in 0..10 {
        for (i, (_, f)) in tasks.iter_mut().enumerate() {
            let t = Instant::now();
            matches[i] = black_box(f());
            if round > 0 {
                best[i] = best[i].min(t.elapsed().as_secs_f64());
            }
        }
    }
    let rate = |s: f64| lines.len() as f64 / s;
    println!(
        "matches: picket {}, RSigma {} (differences: see tests/sigma_oracle.rs)",
        matches[0], matches[1]
    );
    println!(
        "{:<46} {:>14} {:>14} {:>8}",
        "task (1 core, best of 9 interleaved rounds)", "picket ev/s", "RSigma ev/s", "ratio"
    );
    println!(
        "{:<46} {:>14.0} {:>14.0} {:>7.1}×",
        "JSON line → parse → evaluate all rules",
        rate(best[0]),
        rate(best[1]),
        best[1] / best[0]
    );
    println!(
        "{:<46} {:>14.0} {:>14.0} {:>7.1}×",
        "evaluate all rules (pre-parsed events)",
        rate(best[2]),
        rate(best[3]),
        best[3] / best[2]
    );
    for (i, (name, _)) in tasks.iter().enumerate() {
        println!("  {name}: {:.1} ms per pass", best[i] * 1e3);
    }
}

/// Real access-log lines as picket's JSON events (flat SPEC names).
fn real_traffic(root: &Path) -> Vec<String> {
    let apache =
        root.join("../shared/data/elastic-examples/Common Data Formats/apache_logs/apache_logs");
    let path = if apache.is_file() {
        apache
    } else {
        root.join("samples/access-nginx.log")
    };
    let text = std::fs::read_to_string(&path).expect("access log");
    let parser = parser_for(Format::Combined).expect("combined parser");
    text.lines()
        .filter_map(|l| {
            let mut ev = Event::new(Format::Json, Default::default());
            parser.parse(l.as_bytes(), &mut ev).ok()?;
            ev.format = Format::Json;
            let mut m = event_to_json(&ev, "x");
            for k in ["log.file.path", "log.line", "log.offset", "event.dataset"] {
                m.remove(k);
            }
            Some(J::Object(m).to_string())
        })
        .collect()
}
