//! Fuzzes the rule loader and compiler: no YAML text may panic while it
//! is parsed, compiled (single-event rules, correlations, multi-document
//! collections) or reported as an error; a rule set that compiles is then
//! evaluated on a few events, which must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket::detect::rule::RuleSet;
use picket::event::{Event, Origin};
use picket::parse::{Format, parser_for};
use std::path::Path;

/// Events of different formats, so fields of every taxonomy are present.
const LINES: &[(Format, &str)] = &[
    (
        Format::Combined,
        r#"203.0.113.9 - alice [02/Mar/2026:10:00:00 +0000] "GET /acme_users/_all_docs?include_docs=true&limit=5000 HTTP/1.1" 200 52311 "https://ex.test/?q=a%40b.c" "curl/8.5.0""#,
    ),
    (
        Format::Json,
        r#"{"type":"SYSCALL","syscall":"execve","exe":"/usr/bin/curl","a0":"2d6f","key":"exfil","user":{"name":"bob"},"status":403}"#,
    ),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match RuleSet::from_yaml(Path::new("fuzz.yml"), text) {
        Ok(set) => set,
        Err(errors) => {
            for e in errors {
                let _ = e.to_string();
            }
            return;
        }
    };
    let mut scratch = set.new_scratch();
    let mut hits = Vec::new();
    for &(format, line) in LINES {
        let Some(parser) = parser_for(format) else {
            continue;
        };
        let mut ev = Event::new(format, Origin::default());
        if parser.parse(line.as_bytes(), &mut ev).is_ok() {
            set.evaluate(&ev, &mut scratch, &mut hits);
            for &h in &hits {
                let rule = &set.rules()[h];
                let _ = rule.message(&ev);
                let _ = rule.entity(&ev);
            }
        }
    }
});
