//! Throughput of the line-based parsers (criterion): each bench parses a
//! buffer of about 1 MB of realistic lines the way a worker does (split on
//! newlines, `parse_multi`), and reports bytes per second.
//!
//! `cargo bench --bench formats -- --warm-up-time 1 --measurement-time 2`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use picket::event::{Event, Origin};
use picket::parse::auditd::{Assembler, AssemblerConfig, build_event};
use picket::parse::{Format, LineParser, parser_for};
use picket::source::FileId;
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

/// Audit events as a kernel with execve rules writes them: SYSCALL, EXECVE,
/// CWD, two PATHs, PROCTITLE (hex) and EOE, with user logins in between.
fn auditd_lines() -> Vec<u8> {
    let mut out = Vec::with_capacity(TARGET + 4096);
    let mut i = 0u64;
    while out.len() < TARGET {
        let id = format!(
            "msg=audit({}.{:03}:{})",
            1_700_000_000 + i / 100,
            i % 1000,
            5000 + i
        );
        let text = if i % 10 == 9 {
            format!(
                "type=USER_LOGIN {id}: pid={} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct=\"user{}\" exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.{}.{} terminal=ssh res={}'\n",
                1000 + i,
                i % 17,
                i % 200,
                i % 250,
                if i % 3 == 0 { "failed" } else { "success" }
            )
        } else {
            format!(
                "type=SYSCALL {id}: arch=c000003e syscall=59 success=yes exit=0 a0=55d782c96198 a1=55d782c96120 a2=55d782c96158 a3=1 items=2 ppid={} pid={} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"grep\" exe=\"/usr/bin/grep\" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"exec\"\n\
                 type=EXECVE {id}: argc=3 a0=\"grep\" a1=\"--color=auto\" a2=\"pattern{i}\"\n\
                 type=CWD {id}: cwd=\"/home/user\"\n\
                 type=PATH {id}: item=0 name=\"/usr/bin/grep\" inode=2512 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:bin_t:s0 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n\
                 type=PATH {id}: item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=19161168 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:ld_so_t:s0 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n\
                 type=PROCTITLE {id}: proctitle=67726570002D2D636F6C6F723D6175746F007061747465726E\n\
                 type=EOE {id}:\n",
                1000 + i,
                2000 + i
            )
        };
        out.extend_from_slice(text.as_bytes());
        i += 1;
    }
    out
}

/// What the pipeline does with an auditd input, on one thread: the
/// assembler over 256 KiB chunks, then every event built.
fn assemble_all(data: &[u8]) -> usize {
    let mut asm = Assembler::new(AssemblerConfig::default());
    let mut events = 0;
    let mut start = 0;
    while start < data.len() {
        let end = (start + 256 * 1024).min(data.len());
        let end = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i + 1);
        let chunk = &data[start..end];
        let plan = asm.read_chunk(chunk, 1, start as u64, FileId(0));
        for i in 0..plan.events.len() {
            let mut ev = Event::new(Format::Auditd, Origin::default());
            let _ = build_event(plan.event(chunk, i), &mut ev);
            black_box(&ev);
            events += 1;
        }
        start = end;
    }
    events + asm.finish().events.len()
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
        ("auditd_records", Format::Auditd, auditd_lines()),
    ];
    let mut group = c.benchmark_group("formats");
    let audit = auditd_lines();
    assert!(assemble_all(&audit) > 0);
    group.throughput(Throughput::Bytes(audit.len() as u64));
    group.bench_function("auditd_assembled", |b| {
        b.iter(|| assemble_all(black_box(&audit)))
    });
    group.bench_function("auditd_memchr_line_count", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&audit)).count())
    });
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
