//! Throughput of prefiltered against naive evaluation (ignored: run with
//! `cargo test --release --lib perf -- --ignored --nocapture`). Uses the
//! SigmaHQ corpus at `../shared/data/sigmahq-sigma` when present, plus the
//! built-in rules, over synthetic web requests.

use super::event;
use crate::detect::rule::{RuleSet, check};
use crate::event::Value;
use crate::parse::Format;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for p in rd.filter_map(Result::ok).map(|e| e.path()) {
        if p.is_dir() {
            rule_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml")
            && check(std::slice::from_ref(&p)).is_empty()
        {
            out.push(p);
        }
    }
}

#[test]
#[ignore = "measurement; run in release"]
fn prefilter_throughput() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sigmahq-sigma");
    let mut files = Vec::new();
    rule_files(&corpus, &mut files);
    let set = RuleSet::load(&files, true).unwrap();
    let web = set
        .rules()
        .iter()
        .filter(|r| r.applies_to(Format::Combined))
        .count();
    let ungated = set
        .rules()
        .iter()
        .filter(|r| r.applies_to(Format::Combined) && !r.needs_hit)
        .count();
    let segments = [
        "acme_customers",
        "_all_docs",
        "c-1042",
        "static",
        "app.js",
        "index.html",
        "api",
        "v2",
        "orders",
        "_changes",
        "wp-login.php",
    ];
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "python-requests/2.31.0",
        "curl/8.5.0",
        "okhttp/4.12.0",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let requests: Vec<(String, String, &str, i64)> = (0..20_000)
        .map(|_| {
            let path: String = (0..1 + next(4))
                .map(|_| format!("/{}", segments[next(segments.len())]))
                .collect();
            let original = if next(3) == 0 {
                format!("{path}?include_docs=true&limit={}", next(1000))
            } else {
                path.clone()
            };
            (
                path,
                original,
                agents[next(agents.len())],
                [200, 200, 304, 404, 500][next(5)],
            )
        })
        .collect();
    let events: Vec<_> = requests
        .iter()
        .map(|(p, o, ua, st)| {
            event(
                Format::Combined,
                &[
                    ("http.request.method", Value::str("GET")),
                    ("url.path", Value::str(p)),
                    ("url.original", Value::str(o)),
                    ("user_agent.original", Value::str(ua)),
                    ("source.ip", Value::str("192.0.2.10")),
                    ("user.name", Value::str("app-7")),
                    ("http.response.status_code", Value::Int(*st)),
                ],
            )
        })
        .collect();
    let (mut scratch, mut hits, mut buf) = (set.new_scratch(), Vec::new(), String::new());
    let (mut fast_hits, mut naive_hits) = (0, 0);
    let t = Instant::now();
    for _ in 0..5 {
        for ev in &events {
            set.evaluate(ev, &mut scratch, &mut hits);
            fast_hits += hits.len();
        }
    }
    let fast = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..5 {
        for ev in &events {
            naive_hits += (0..set.rules().len())
                .filter(|&i| set.matches_naive(i, ev, &mut buf))
                .count();
        }
    }
    let naive = t.elapsed().as_secs_f64();
    assert_eq!(fast_hits, naive_hits);
    let n = 5.0 * events.len() as f64;
    eprintln!(
        "{web} rules ({ungated} not gated) on combined events: prefiltered {:.0} events/s, naive {:.0} events/s ({:.1}x); {fast_hits} hits",
        n / fast,
        n / naive,
        naive / fast
    );
}
