//! The PI scanner's hot-path promise: a field with no candidate costs no
//! heap allocation once the per-thread scratch exists. Alone in its own
//! test binary because the allocator statistics are process-wide.

use picket::detect::pi::{PiConfig, PiScanner};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Candidate-free fields of the kinds a web or CouchDB access log has.
const CLEAN: &[(&str, &str)] = &[
    ("url.path", "/api/v2/users/12345/orders"),
    ("url.path", "/acme_customers/_design/app/_view/by_date"),
    ("url.path", "/static/js/app.3f9a0c1d.js"),
    ("url.path", "/healthz"),
    ("url.query", "page=2&sort=desc&limit=50&q=blue+widgets"),
    (
        "url.query",
        "include_docs=true&startkey=%22a%22&endkey=%22b%22",
    ),
    (
        "url.query",
        "utm_source=newsletter&utm_medium=email&utm_campaign=spring",
    ),
    ("db.doc_id", "order:2024:000123"),
    ("db.doc_id", "a3f9c2e1b4d5"),
    (
        "http.request.referrer",
        "https://www.example.com/products/widgets?page=3",
    ),
    (
        "process.command_line",
        "/usr/bin/python3 -m http.server 8080",
    ),
    ("file.path", "/var/log/nginx/access.log"),
];

#[test]
fn candidate_free_fields_do_not_allocate() {
    let s = PiScanner::new(&PiConfig::new(b"k".to_vec()));
    let mut scratch = s.new_scratch();
    let mut out = Vec::with_capacity(8);
    // Warm-up: let the scratch buffers reach their working size.
    for (f, v) in CLEAN {
        s.scan_value(f, v, &mut scratch, &mut out);
    }
    assert!(out.is_empty(), "{out:?}");
    for (f, v) in CLEAN {
        let region = Region::new(GLOBAL);
        s.scan_value(f, v, &mut scratch, &mut out);
        let stats = region.change();
        assert_eq!(
            stats.allocations + stats.reallocations,
            0,
            "{f} {v:?} allocated: {stats:?}"
        );
    }
    // Control: a finding does allocate (its strings), so the counter works.
    let region = Region::new(GLOBAL);
    s.scan_value(
        "url.query",
        "email=jane%40example.com",
        &mut scratch,
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert!(region.change().allocations > 0);
}
