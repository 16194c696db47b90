//! PI scanner throughput on realistic URL paths, queries and document ids.
//!
//! `cargo bench --bench pi -- --warm-up-time 1 --measurement-time 3`
//!
//! - `pi/clean_fields`: fields with no PI candidate, the common case; the
//!   per-element time is the cost of rejecting one field.
//! - `pi/mixed_corpus`: a generated corpus where about 1.5% of fields carry
//!   PI and about as many carry look-alikes (UUIDs, hashes, timestamps,
//!   versions, order numbers); reported in bytes per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use picket::detect::pi::{PiConfig, PiScanner};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::hint::black_box;

const FIELDS: usize = 20_000;

/// A field that carries no PI: the usual traffic of a web app and a
/// CouchDB-style cluster.
fn clean(r: &mut Pcg64) -> (&'static str, String) {
    let id = r.random_range(1..9_999_999);
    let words = [
        "widgets", "orders", "invoices", "profile", "settings", "reports", "cart",
    ];
    let w = words[r.random_range(0..words.len())];
    match r.random_range(0..12) {
        0 => ("url.path", format!("/api/v1/users/{id}/{w}")),
        1 => ("url.path", format!("/acme_customers/order:2024:{id:06}")),
        2 => (
            "url.path",
            format!("/static/js/app.{:08x}.js", r.random::<u32>()),
        ),
        3 => ("url.path", format!("/{w}/blue-widget-{id}")),
        4 => ("url.query", format!("page={}&sort=desc&limit=50", id % 40)),
        5 => (
            "url.query",
            format!("include_docs=true&startkey=%22{w}%22&endkey=%22{w}%EF%BF%B0%22"),
        ),
        6 => (
            "url.query",
            format!("q={w}+blue&utm_source=newsletter&utm_medium=email"),
        ),
        7 => ("db.doc_id", format!("invoice:{id}")),
        8 => (
            "db.doc_id",
            format!("{:016x}{:016x}", r.random::<u64>(), r.random::<u64>()),
        ),
        9 => ("url.path", format!("/_all_docs/{w}")),
        10 => (
            "url.query",
            format!("since=now&feed=longpoll&heartbeat=10000&id={id}"),
        ),
        _ => ("url.path", "/healthz".to_string()),
    }
}

/// A look-alike: shaped like PI, validated away.
fn decoy(r: &mut Pcg64) -> (&'static str, String) {
    match r.random_range(0..6) {
        0 => (
            "url.path",
            format!(
                "/objects/{:08x}-e89b-12d3-a456-{:012x}",
                r.random::<u32>(),
                r.random::<u64>() >> 16
            ),
        ),
        1 => (
            "url.query",
            format!(
                "ts={}",
                1_700_000_000_000u64 + r.random_range(0..10_000_000_000)
            ),
        ),
        2 => (
            "url.query",
            format!("since=2024-01-{:02}T10:30:00Z", r.random_range(1..29)),
        ),
        3 => (
            "url.path",
            format!(
                "/pkg/v1.{}.{}.{}/",
                r.random_range(0..9),
                r.random_range(0..9),
                r.random_range(0..9)
            ),
        ),
        4 => (
            "url.query",
            format!("order=ORD-2024-{:06}", r.random_range(0..999_999)),
        ),
        _ => (
            "url.path",
            format!(
                "/blobs/{:016x}{:016x}{:08x}",
                r.random::<u64>(),
                r.random::<u64>(),
                r.random::<u32>()
            ),
        ),
    }
}

/// A field that does carry PI.
fn pi(r: &mut Pcg64) -> (&'static str, String) {
    match r.random_range(0..6) {
        0 => (
            "url.query",
            format!("email=user{}%40example.com&page=1", r.random_range(0..9999)),
        ),
        1 => ("db.doc_id", "user:jane.doe@example.com".to_string()),
        2 => ("url.query", "cc=4111+1111+1111+1111".to_string()),
        3 => ("url.query", "phone=%2B14155550132".to_string()),
        4 => ("url.path", "/patients/123/diagnosis".to_string()),
        _ => (
            "url.query",
            "id_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
                .to_string(),
        ),
    }
}

/// The mixed corpus, each field tagged with whether it carries PI.
fn corpus() -> Vec<(bool, &'static str, String)> {
    let mut r = Pcg64::seed_from_u64(7);
    (0..FIELDS)
        .map(|_| match r.random_range(0..1000) {
            0..15 => {
                let (f, v) = pi(&mut r);
                (true, f, v)
            }
            15..30 => {
                let (f, v) = decoy(&mut r);
                (false, f, v)
            }
            _ => {
                let (f, v) = clean(&mut r);
                (false, f, v)
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let scanner = PiScanner::new(&PiConfig::new(b"bench-key".to_vec()));
    let mut scratch = scanner.new_scratch();
    let mut out = Vec::new();

    let mut r = Pcg64::seed_from_u64(1);
    let clean_fields: Vec<_> = (0..FIELDS).map(|_| clean(&mut r)).collect();
    let tagged = corpus();
    let bytes: usize = tagged.iter().map(|(_, _, v)| v.len()).sum();
    // Sanity: every PI field found, nothing on the others.
    let (mut hit, mut pi_fields, mut false_hits) = (0, 0, 0);
    for (is_pi, f, v) in &tagged {
        out.clear();
        scanner.scan_value(f, v, &mut scratch, &mut out);
        if *is_pi {
            pi_fields += 1;
            hit += usize::from(!out.is_empty());
        } else {
            false_hits += usize::from(!out.is_empty());
        }
    }
    out.clear();
    eprintln!(
        "mixed corpus: {} fields, {bytes} bytes, PI fields found {hit}/{pi_fields}, findings on other fields {false_hits}",
        tagged.len()
    );
    let mixed: Vec<_> = tagged.into_iter().map(|(_, f, v)| (f, v)).collect();

    let mut g = c.benchmark_group("pi");
    g.throughput(Throughput::Elements(clean_fields.len() as u64));
    g.bench_function("clean_fields", |b| {
        b.iter(|| {
            for (f, v) in &clean_fields {
                scanner.scan_value(f, black_box(v), &mut scratch, &mut out);
            }
            out.clear();
        })
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("mixed_corpus", |b| {
        b.iter(|| {
            for (f, v) in &mixed {
                scanner.scan_value(f, black_box(v), &mut scratch, &mut out);
            }
            black_box(out.len());
            out.clear();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
