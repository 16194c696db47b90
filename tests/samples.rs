//! The committed `samples/` are exactly what `picket::generate` makes from
//! the fixed configurations below, so the generator and the samples never
//! drift apart.
//!
//! Regenerate after changing the generator (then review the diff):
//!
//! ```text
//! UPDATE_SAMPLES=1 cargo test --test samples
//! ```

use flate2::read::GzDecoder;
use picket::event::{Timestamp, days_from_civil};
use picket::generate::{BenignKind, Generator, GeneratorConfig, IncidentKind, PlantKind, Planted};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};

const DAY_NS: i64 = 86_400 * 1_000_000_000;

struct Sample {
    file: &'static str,
    what: &'static str,
    cfg: GeneratorConfig,
    gzip: bool,
}

fn midnight(y: i64, m: u32, d: u32) -> Timestamp {
    Timestamp::from_unix(days_from_civil(y, m, d) * 86_400, 0)
}

fn samples() -> [Sample; 2] {
    [
        Sample {
            file: "access-nginx.log",
            what: "nginx `combined`; a web application and a CouchDB cluster behind one proxy; Monday 2026-03-02, one day",
            cfg: GeneratorConfig {
                seed: 20_260_302,
                start: midnight(2026, 3, 2),
                lines_per_sec: 1_500.0 / 86_400.0,
                users: 40,
                tenants: 6,
                pi_rate: 0.03,
                lookalike_rate: 0.03,
                couchdb_share: 0.65,
                incidents: true,
                incidents_per_day: 3,
                trailing_share: 0.0,
            },
            gzip: false,
        },
        Sample {
            file: "couchdb-proxy.log.gz",
            what: "gzip of nginx `combined` plus `\"$http_x_forwarded_for\" $request_time`; the proxy in front of a \
                   CouchDB cluster; Tuesday 2026-03-03, one day",
            cfg: GeneratorConfig {
                seed: 20_260_303,
                start: midnight(2026, 3, 3),
                lines_per_sec: 600.0 / 86_400.0,
                users: 20,
                tenants: 4,
                pi_rate: 0.02,
                lookalike_rate: 0.02,
                couchdb_share: 0.95,
                incidents: true,
                incidents_per_day: 1,
                trailing_share: 1.0,
            },
            gzip: true,
        },
    ]
}

/// One day of event time from the sample's start.
fn generate(s: &Sample) -> (Vec<u8>, Vec<Planted>) {
    let end = s.cfg.start.0 + DAY_NS;
    let mut g = Generator::new(s.cfg.clone());
    let mut out = Vec::new();
    while g.next_timestamp().0 < end {
        g.write_line(&mut out);
    }
    (out, g.planted().to_vec())
}

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

/// A simple check of the combined shape; the real parser is `parse::combined`.
fn assert_combined(line: &str) {
    let q: Vec<&str> = line.split('"').collect();
    assert!(q.len() == 7 || q.len() == 9, "field count: {line}");
    let prefix: Vec<&str> = q[0].split(' ').collect();
    assert!(
        prefix.len() == 6
            && prefix[1] == "-"
            && prefix[3].starts_with('[')
            && prefix[4] == "+0000]",
        "{line}"
    );
    let req: Vec<&str> = q[1].split(' ').collect();
    assert!(
        req.len() == 3 && req[1].starts_with('/') && req[2].starts_with("HTTP/"),
        "{line}"
    );
    let sb: Vec<&str> = q[2].split_whitespace().collect();
    assert!(
        sb.len() == 2 && sb.iter().all(|n| n.parse::<u64>().is_ok()),
        "{line}"
    );
    if q.len() == 9 {
        assert!(q[8].trim().parse::<f64>().is_ok(), "{line}");
    }
}

#[test]
fn samples_match_the_generator() {
    let dir = samples_dir();
    let update = std::env::var_os("UPDATE_SAMPLES").is_some_and(|v| v == "1");
    let mut generated = Vec::new();
    for s in samples() {
        let (text, planted) = generate(&s);
        let path = dir.join(s.file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, if s.gzip { gzip(&text) } else { text.clone() }).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run UPDATE_SAMPLES=1", path.display()));
        // Compare content, not compressed bytes: a new zlib may compress differently.
        let committed = if s.gzip {
            gunzip(&committed)
        } else {
            committed
        };
        assert!(
            committed == text,
            "{} differs from the generator: run UPDATE_SAMPLES=1 and review",
            s.file
        );
        generated.push((s, text, planted));
    }
    let readme = readme(&generated);
    let path = dir.join("README.md");
    if update {
        std::fs::write(&path, &readme).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == readme,
        "samples/README.md differs: run UPDATE_SAMPLES=1 and review"
    );
    let total: u64 = ["access-nginx.log", "couchdb-proxy.log.gz", "README.md"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    assert!(total < 1 << 20, "samples/ is {total} bytes");
}

#[test]
fn samples_are_sane() {
    for s in samples() {
        let (text, planted) = generate(&s);
        let text = String::from_utf8(text).unwrap();
        for line in text.lines() {
            assert_combined(line);
        }
        let count = |kind: PlantKind, category: &str| {
            planted
                .iter()
                .filter(|p| p.kind == kind && p.category == category)
                .count()
        };
        for kind in IncidentKind::ALL {
            assert_eq!(
                count(PlantKind::Incident, kind.as_str()),
                s.cfg.incidents_per_day as usize,
                "{}: {kind:?}",
                s.file
            );
        }
        for kind in BenignKind::ALL {
            assert!(
                count(PlantKind::Benign, kind.as_str()) > 0,
                "{}: {kind:?}",
                s.file
            );
        }
        assert!(
            planted.iter().filter(|p| p.kind == PlantKind::Pi).count() >= 8,
            "{}",
            s.file
        );
        assert!(
            planted
                .iter()
                .filter(|p| p.kind == PlantKind::Decoy)
                .count()
                >= 8,
            "{}",
            s.file
        );
        let lines = text.lines().count();
        assert!(planted.iter().all(|p| p.last_line as usize <= lines));
    }
}

fn opt(s: Option<&str>) -> &str {
    s.unwrap_or("")
}

/// `samples/README.md`, generated from the ground truth.
fn readme(samples: &[(Sample, Vec<u8>, Vec<Planted>)]) -> String {
    let mut r = String::new();
    r.push_str(
        "# samples/\n\n\
         Synthetic logs made by `picket::generate` (`src/generate/`), with incidents and personal\n\
         information (PI) planted at known lines. Nothing here is real: client addresses are from the\n\
         documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), names,\n\
         numbers and tokens are generated. The PI values pass the checks picket's detectors apply (Luhn\n\
         with issuer prefix, IBAN length and mod-97, Verhoeff, SSN area rules, NINO prefixes, PAN holder\n\
         type), so a detector should find every one of them; the look-alikes should find none.\n\n\
         This file, like the logs, is generated: do not edit it by hand.\n\n",
    );
    r.push_str("| file | what | lines | PI lines | look-alike lines |\n|---|---|---|---|---|\n");
    for (s, text, planted) in samples {
        let lines_of = |kind: PlantKind| {
            let mut v: Vec<u64> = planted
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.line)
                .collect();
            v.dedup();
            v.len()
        };
        let n = text.iter().filter(|&&b| b == b'\n').count();
        let _ = writeln!(
            r,
            "| `{}` | {} | {n} | {} | {} |",
            s.file,
            s.what,
            lines_of(PlantKind::Pi),
            lines_of(PlantKind::Decoy)
        );
    }
    r.push_str(
        "\nRun picket over them (`.gz` is decompressed transparently):\n\n\
         ```text\ncargo run --release -- replay samples/\n```\n\n\
         ## Regenerating\n\n\
         `cargo test` (the `samples` test) fails when the generator and these files differ. After an\n\
         intended change to `src/generate/`, regenerate and review the diff:\n\n\
         ```text\nUPDATE_SAMPLES=1 cargo test --test samples\n```\n\n\
         The configurations (seed, rates, start) are in `tests/samples.rs`. Larger inputs:\n\
         `picket generate --seed 42 --size 1GiB --out FILE --truth FILE.truth.jsonl` (ground truth as\n\
         JSON lines, one `Planted` record each).\n\n\
         ## What should fire\n\n\
         | incident kind | rule id | what it looks like |\n|---|---|---|\n",
    );
    for (kind, looks) in [
        (
            IncidentKind::BulkRead,
            "`_all_docs?include_docs=true` (no or huge `limit`), `_changes?include_docs=true&since=0`, `POST _find?limit=100000`; 20–400 MB responses",
        ),
        (
            IncidentKind::OffHoursStaffAccess,
            "a `support-*` account reading customer documents (Fauxton) 02:00–04:00 UTC",
        ),
        (
            IncidentKind::ExternalReplication,
            "`POST /_replicate` or `PUT /_replicator/…` by an `app-*` account, then `CouchDB-Replicator` reads; or a replicator pulling `_changes?since=0` + `_bulk_get` from an outside address",
        ),
        (
            IncidentKind::MassDeletion,
            "25–80 `DELETE`s by one account within a minute, half of them followed by `POST …/_purge`",
        ),
        (
            IncidentKind::Enumeration,
            "25–60 `GET`s of consecutive ids (`cust_012461`, `cust_012462`, …) within minutes",
        ),
        (
            IncidentKind::FailedLogins,
            "12–30 × 401 (`POST /_session`, or basic auth with one name) from one new address, then 200",
        ),
    ] {
        let _ = writeln!(
            r,
            "| `{}` | `{}` | {looks} |",
            kind.as_str(),
            kind.rule_id()
        );
    }
    r.push_str(
        "\nOnly `bulk-read-document-database` is an agreed rule id; the others are proposals.\n\
         PI should raise `pi-*` alerts in the field listed (`db.doc_id`, `url.path`, `url.query`,\n\
         `http.request.referrer`).\n\n\
         ## What should stay quiet\n\n\
         Benign scenarios are planted next to the incidents (listed per file below): `svc-backup`\n\
         replicating at 01:00 from `10.0.2.5` (`backup_replication`), support staff reading customer\n\
         documents in business hours (`staff_business_hours`), one or two mistyped passwords then a\n\
         success from a known address (`login_typo`), a few deletions spread over minutes\n\
         (`small_cleanup`). Background traffic also has `_all_docs?include_docs=true&limit=20` pages,\n\
         `_changes?…&include_docs=false` feeds, single `DELETE`s, and no PI outside the lines listed.\n",
    );
    for (s, _, planted) in samples {
        let _ = write!(
            r,
            "\n## `{}`\n\n### Incidents\n\n| lines | kind | user | ip | detail |\n|---|---|---|---|---|\n",
            s.file
        );
        for p in planted.iter().filter(|p| p.kind == PlantKind::Incident) {
            let _ = writeln!(
                r,
                "| {}–{} ({} lines) | `{}` | {} | {} | {} |",
                p.line,
                p.last_line,
                p.lines.len(),
                p.category,
                opt(p.user.as_deref()),
                opt(p.ip.as_deref()),
                opt(p.detail.as_deref())
            );
        }
        r.push_str("\n### Benign look-alikes\n\n| lines | kind | user | ip | detail |\n|---|---|---|---|---|\n");
        for p in planted.iter().filter(|p| p.kind == PlantKind::Benign) {
            let _ = writeln!(
                r,
                "| {}–{} | `{}` | {} | {} | {} |",
                p.line,
                p.last_line,
                p.category,
                opt(p.user.as_deref()),
                opt(p.ip.as_deref()),
                opt(p.detail.as_deref())
            );
        }
        let mut by_cat: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in planted.iter().filter(|p| p.kind == PlantKind::Pi) {
            let enc = p
                .encoding
                .map(|e| {
                    serde_json::to_value(e)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .unwrap_or_default();
            let key = p.key.map(|k| format!(" `{k}`")).unwrap_or_default();
            by_cat.entry(p.category).or_default().push(format!(
                "{} ({}{key}, {enc})",
                p.line,
                opt(p.field)
            ));
        }
        r.push_str("\n### PI\n\nLine (field, query key, encoding):\n\n| category | count | where |\n|---|---|---|\n");
        for (cat, places) in &by_cat {
            let _ = writeln!(r, "| `{cat}` | {} | {} |", places.len(), places.join(", "));
        }
        let mut decoys: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for p in planted.iter().filter(|p| p.kind == PlantKind::Decoy) {
            decoys.entry(p.category).or_default().push(p.line);
        }
        r.push_str("\n### Look-alikes (must not be reported as PI)\n\n| kind | count | lines |\n|---|---|---|\n");
        for (kind, lines) in &decoys {
            let list: Vec<String> = lines.iter().map(u64::to_string).collect();
            let _ = writeln!(r, "| `{kind}` | {} | {} |", lines.len(), list.join(", "));
        }
    }
    r
}
