//! SigmaHQ's rules through `picket rules check` (optional: runs only when
//! the third-party corpus is present at `../shared/data/sigmahq-sigma`).
//!
//! Prints how many rules load and why the others do not. Rules using
//! modifiers this version does not implement are expected to fail; what
//! this test enforces is that nothing panics, that every failure is a
//! specific, located error, and that the rules that load fire on nothing
//! in a few ordinary requests.

use picket::detect::rule::{RuleSet, check};
use picket::event::{Event, Field, Value};
use picket::parse::Format;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CORPUS: &str = "../shared/data/sigmahq-sigma";

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

/// The gist of an error message, for grouping: up to the first backtick
/// argument, so "modifier `cidr` is not supported yet" stays whole.
fn reason(message: &str) -> String {
    let m = message.split(" (supported:").next().unwrap_or(message);
    m.chars().take(90).collect()
}

#[test]
fn sigmahq_rules_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if !root.is_dir() {
        eprintln!("skipped: {} not present", root.display());
        return;
    }
    let mut files = Vec::new();
    for sub in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        yaml_files(&root.join(sub), &mut files);
    }
    assert!(!files.is_empty());
    let mut loaded = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let errors = check(std::slice::from_ref(file));
        if errors.is_empty() {
            loaded.push(file.clone());
        }
        for e in &errors {
            assert!(
                e.line >= 1 && e.col >= 1 && !e.message.is_empty(),
                "unspecific error: {e}"
            );
            assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
            *reasons.entry(reason(&e.message)).or_default() += 1;
        }
    }
    let rejected = files.len() - loaded.len();
    eprintln!(
        "SigmaHQ: {} rule files, {} load, {} rejected",
        files.len(),
        loaded.len(),
        rejected
    );
    let mut by_count: Vec<_> = reasons.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (why, n) in &by_count {
        eprintln!("  {n:4}  {why}");
    }

    // Everything that loads loads together, with the built-in rules.
    let set = RuleSet::load(&loaded, true).unwrap_or_else(|e| panic!("{e:?}"));
    let benign = [
        (
            "GET",
            "/index.html",
            "/index.html",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        (
            "GET",
            "/acme_customers/c-1042",
            "/acme_customers/c-1042?rev=3-abc",
            "python-requests/2.31.0",
        ),
        ("POST", "/acme_orders", "/acme_orders", "okhttp/4.12.0"),
        (
            "GET",
            "/static/app.js",
            "/static/app.js?v=1712",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
        ),
    ];
    let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
    for (method, path, original, ua) in benign {
        for format in [Format::Combined, Format::Couchdb, Format::Json] {
            let mut ev = Event::new(format, Default::default());
            ev.set_str(Field::HttpRequestMethod, method);
            ev.set_str(Field::UrlPath, path);
            ev.set_str(Field::UrlOriginal, original);
            ev.set_str(Field::UserAgentOriginal, ua);
            ev.set_str(Field::SourceIp, "192.0.2.10");
            ev.set(Field::HttpResponseStatusCode, Value::Int(200));
            set.evaluate(&ev, &mut scratch, &mut hits);
            let fired: Vec<_> = hits.iter().map(|&i| &set.rules()[i].info.title).collect();
            assert!(
                fired.is_empty(),
                "{method} {original} ({format}) fired {fired:?}"
            );
        }
    }
}
