//! Rule evaluation cost per event with 0, 50 and 300 rules loaded, and
//! replay throughput with every SigmaHQ web server rule loaded against no
//! rules, measured in the same run.
//!
//! - Events: real Apache `combined` lines (`../shared`, 10,000 lines) or,
//!   without it, `samples/access-nginx.log`, parsed once.
//! - Rules: the SigmaHQ web server rules vendored in
//!   `tests/fixtures/sigmahq` plus picket's built-in single-document rules,
//!   i.e. the rules that apply to `combined` events; 50 is the first 50 of
//!   them, 300 repeats them with changed ids.
//! - Replay: `process_chunk` (frame, parse, enrich, PI, rules) over the same
//!   log, one core, with no rules and with the SigmaHQ web rules plus the
//!   built-ins. The goal is ≥ 60% of the no-rule throughput; the ratio is
//!   printed at the end.
//!
//! `cargo bench --bench rules -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/common/sigma_corpus.rs"]
mod corpus;

use criterion::{BenchmarkId, Criterion, Throughput};
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::pi::{PiConfig, PiScanner};
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::event::Event;
use picket::parse::{Format, parser_for};
use picket::pipeline::{Mode, Stages, WorkerScratch, process_chunk};
use picket::source::{ChunkReaderBuilder, FileTable};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn log_path() -> PathBuf {
    let apache =
        root().join("../shared/data/elastic-examples/Common Data Formats/apache_logs/apache_logs");
    if apache.is_file() {
        apache
    } else {
        root().join("samples/access-nginx.log")
    }
}

/// Rule documents (YAML) that apply to `combined` events.
fn web_rule_docs() -> Vec<String> {
    let mut docs = Vec::new();
    let mut files = corpus::rule_files(&root().join("tests/fixtures/sigmahq"));
    files.extend(corpus::rule_files(&root().join("detections")));
    for f in files {
        let text = std::fs::read_to_string(&f).expect("rule");
        // Single-document rules only: correlations and their base rules
        // cannot be copied with changed ids one document at a time.
        if text.contains("\n---") || text.starts_with("---") {
            continue;
        }
        let Ok(set) = RuleSet::from_yaml(&f, &text) else {
            continue;
        };
        if set.rules().iter().all(|r| r.applies_to(Format::Combined)) {
            docs.push(text);
        }
    }
    docs
}

/// `n` rules: the documents in order, repeated with `-copyN` ids.
fn rule_set(docs: &[String], n: usize) -> RuleSet {
    let mut text = String::new();
    for i in 0..n {
        let doc = &docs[i % docs.len()];
        let copy = i / docs.len();
        let doc: String = doc
            .lines()
            .map(|l| match l.strip_prefix("id: ") {
                Some(id) if copy > 0 => format!("id: {}-copy{copy}\n", id.trim()),
                _ => format!("{l}\n"),
            })
            .collect();
        text.push_str("---\n");
        text.push_str(&doc);
    }
    if n == 0 {
        return RuleSet::default();
    }
    RuleSet::from_yaml(Path::new("bench.yml"), &text).expect("bench rules compile")
}

fn events(text: &str) -> Vec<Event<'_>> {
    let parser = parser_for(Format::Combined).expect("combined parser");
    text.lines()
        .filter_map(|l| {
            let mut ev = Event::new(Format::Combined, Default::default());
            parser.parse(l.as_bytes(), &mut ev).ok().map(|()| ev)
        })
        .collect()
}

fn stages(rules: RuleSet) -> Stages {
    let cfg = ConfigFile::default();
    let pi = PiScanner::new(&PiConfig::new(b"bench".to_vec()));
    Stages::new(
        Mode::Detect,
        Enricher::from_config(&cfg).expect("default config"),
        Detector::new(Arc::new(rules), Some(Arc::new(pi))),
        cfg.limits.max_line_bytes,
    )
}

/// One single-threaded replay of the log through `stages`: bytes processed.
/// Not inlined, so `valgrind --tool=callgrind --toggle-collect='rules::replay'`
/// can count its instructions alone (see `main`).
#[inline(never)]
fn replay(stages: &Stages, path: &Path) -> u64 {
    let table = FileTable::new();
    let info = table.register(
        &path.display().to_string(),
        "bench",
        Format::Combined,
        false,
    );
    let file = std::fs::File::open(path).expect("open log");
    let mut r = ChunkReaderBuilder::default().build(info, file, 0, 1);
    let mut scratch = WorkerScratch::new(stages);
    let (mut bytes, mut buf) = (0u64, Vec::new());
    while let Some(c) = r.next_chunk(std::mem::take(&mut buf)).expect("read") {
        let o = process_chunk(stages, &mut scratch, c, Instant::now());
        bytes += o.stats.bytes;
        black_box(o.alerts.len());
        buf = o.buffer;
    }
    bytes
}

fn main() {
    // `PICKET_BENCH_REPLAY=none|web|all`: one replay of one configuration
    // (no rules; the SigmaHQ web rules; those and the built-in rules) and
    // nothing else, for instruction counts under callgrind, which repeat
    // exactly where timings on a busy machine do not:
    //   PICKET_BENCH_REPLAY=web valgrind --tool=callgrind \
    //     --toggle-collect='rules::replay' target/release/deps/rules-… --bench
    if let Ok(which) = std::env::var("PICKET_BENCH_REPLAY") {
        let sigmahq = root().join("tests/fixtures/sigmahq");
        let rules = match which.as_str() {
            "none" => RuleSet::default(),
            "web" => RuleSet::load(&[sigmahq], false).expect("rules"),
            _ => RuleSet::load(&[sigmahq], true).expect("rules"),
        };
        let stages = stages(rules);
        println!("{which}: {} bytes", replay(&stages, &log_path()));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let path = log_path();
    let text = std::fs::read_to_string(&path).expect("log");
    let evs = events(&text);
    let docs = web_rule_docs();
    eprintln!(
        "events: {} from {}; rule documents applying to combined: {}",
        evs.len(),
        path.display(),
        docs.len()
    );

    let mut g = c.benchmark_group("evaluate_per_event");
    g.throughput(Throughput::Elements(evs.len() as u64));
    for n in [0usize, 50, 300] {
        let set = rule_set(&docs, n);
        let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
        g.bench_with_input(BenchmarkId::new("rules", n), &n, |b, _| {
            b.iter(|| {
                let mut m = 0usize;
                for e in &evs {
                    set.evaluate(e, &mut scratch, &mut hits);
                    m += hits.len();
                }
                m
            })
        });
    }
    g.finish();

    // The goal is about the SigmaHQ web rules alone; the built-in rules
    // (PI, bulk reads, and the behavioural rules whose base rules match
    // most requests) are measured beside them.
    let sigmahq = root().join("tests/fixtures/sigmahq");
    let web = RuleSet::load(std::slice::from_ref(&sigmahq), false).expect("rules");
    let web_rules = web
        .rules()
        .iter()
        .filter(|r| r.applies_to(Format::Combined))
        .count();
    let all = RuleSet::load(&[sigmahq], true).expect("rules");
    let all_rules = all.rules().len() + all.correlations().rules().len();
    let with_web = stages(web);
    let with_all = stages(all);
    let without = stages(RuleSet::default());
    let mut g = c.benchmark_group("replay_1_core");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("no rules", |b| b.iter(|| replay(&without, &path)));
    g.bench_function(format!("{web_rules} SigmaHQ web rules"), |b| {
        b.iter(|| replay(&with_web, &path))
    });
    g.bench_function(format!("{all_rules} rules (SigmaHQ web + built-in)"), |b| {
        b.iter(|| replay(&with_all, &path))
    });
    g.finish();
    c.final_summary();

    // The goal, measured in this run: best of 7 alternating rounds.
    let (mut t0, mut t1, mut t2) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..7 {
        let t = Instant::now();
        black_box(replay(&without, &path));
        t0 = t0.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(replay(&with_web, &path));
        t1 = t1.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(replay(&with_all, &path));
        t2 = t2.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    println!(
        "replay (1 core): no rules {:.1} MB/s; {web_rules} SigmaHQ web rules {:.1} MB/s = {:.0}% of no rules (goal ≥ 60%); with the built-in rules too ({all_rules}) {:.1} MB/s = {:.0}%",
        mb / t0,
        mb / t1,
        100.0 * t0 / t1,
        mb / t2,
        100.0 * t0 / t2
    );
}
