//! Throughput of the line-based parsers (criterion): each bench parses a
//! buffer of about 1 MB of realistic lines the way a worker does (split on
//! newlines, `parse_multi`), and reports bytes per second.
//!
//! `cargo bench --bench formats -- --warm-up-time 1 --measurement-time 2`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use picket::event::Origin;
use picket::parse::{Format, LineParser, parser_for};
use std::hint::black_box;
use std::path::Path;

/// About this many bytes per input.
const TARGET: usize = 1 << 20;

fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The non-blank lines of some fixtures, repeated to about [`TARGET`] bytes.
fn repeat(files: &[&str]) -> Vec<u8> {
    let mut lines = Vec::new();
    for f in files {
        let data = fixture(f);
        lines.extend(
            data.split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .map(<[u8]>::to_vec),
        );
    }
    let mut out = Vec::with_capacity(TARGET + 4096);
    while out.len() < TARGET {
        for l in &lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
    }
    out
}

/// CouchDB request lines with varying clients, users and documents.
fn couchdb_lines() -> Vec<u8> {
    let mut out = Vec::with_capacity(TARGET + 512);
    let mut i = 0u32;
    while out.len() < TARGET {
        let line = format!(
            "[notice] 2026-03-02T08:{:02}:{:02}.{:06}Z couchdb@node{} <0.{}.0> {:010x} db.example:5984 10.{}.{}.{} app-{} {} /acme_customers/{} 200 ok {}\n",
            (i / 60) % 60,
            i % 60,
            i % 1_000_000,
            i % 3,
            1000 + i % 5000,
            i,
            (i >> 8) % 256,
            i % 256,
            (i * 7) % 251,
            i % 7,
            if i % 4 == 0 { "PUT" } else { "GET" },
            if i % 3 == 0 {
                format!("doc-{i}?rev=1-abc")
            } else {
                "_all_docs?include_docs=true".into()
            },
            i % 500
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

/// One CloudTrail `Records` file line of about [`TARGET`] bytes.
fn records_file() -> Vec<u8> {
    let lines = fixture("panther-labs-panther-analysis/cloudtrail.jsonl");
    let recs: Vec<&[u8]> = lines
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = b"{\"Records\":[".to_vec();
    let mut i = 0;
    while out.len() < TARGET {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(recs[i % recs.len()]);
        i += 1;
    }
    out.extend_from_slice(b"]}\n");
    out
}

/// Parses every line; returns the events (so nothing is optimized away).
fn parse_all(parser: &dyn LineParser, data: &[u8]) -> usize {
    let mut events = 0;
    for line in data.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let _ = parser.parse_multi(line, Origin::default(), &mut |ev| {
            black_box(&ev);
            events += 1;
        });
    }
    events
}

fn formats(c: &mut Criterion) {
    let inputs: Vec<(&str, Format, Vec<u8>)> = vec![
        ("couchdb", Format::Couchdb, couchdb_lines()),
        (
            "json_nginx",
            Format::Json,
            repeat(&["picket/nginx.json.log"]),
        ),
        (
            "json_caddy_envoy",
            Format::Json,
            repeat(&["picket/caddy.json.log", "picket/envoy.json.log"]),
        ),
        (
            "cadf",
            Format::Cadf,
            repeat(&["picket/cadf-cloudant.jsonl"]),
        ),
        (
            "cloudtrail_lines",
            Format::Cloudtrail,
            repeat(&["panther-labs-panther-analysis/cloudtrail.jsonl"]),
        ),
        (
            "cloudtrail_records_file",
            Format::Cloudtrail,
            records_file(),
        ),
        (
            "k8s_audit",
            Format::K8sAudit,
            repeat(&[
                "picket/k8s-audit.jsonl",
                "falcosecurity-falco/test/trace_files/k8s_audit/create_deployment.json",
            ]),
        ),
        (
            "k8s_audit_gke_aks",
            Format::K8sAudit,
            repeat(&["picket/k8s-audit-gke.jsonl", "picket/k8s-audit-aks.jsonl"]),
        ),
        (
            "syslog_plain",
            Format::Syslog,
            repeat(&["picket/syslog-rfc3164.log", "picket/syslog-rfc5424.log"]),
        ),
        (
            "syslog_couchdb",
            Format::Syslog,
            repeat(&["picket/syslog-couchdb.log"]),
        ),
    ];
    let mut group = c.benchmark_group("formats");
    for (name, format, data) in &inputs {
        let parser = parser_for(*format).expect("available");
        assert!(parse_all(&*parser, data) > 0, "{name} parses");
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(&*parser, black_box(data))));
    }
    // The design alternative, for comparison: only building a
    // `serde_json::Value` of each line, before any mapping.
    for (name, files) in [
        ("json_value_baseline_nginx", &["picket/nginx.json.log"][..]),
        (
            "json_value_baseline_caddy_envoy",
            &["picket/caddy.json.log", "picket/envoy.json.log"][..],
        ),
    ] {
        let data = repeat(files);
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                data.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
