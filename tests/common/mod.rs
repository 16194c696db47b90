//! Helpers shared by the PI integration tests: scanning with the raw value
//! revealed (so tests can check *what* was found) and the URL embeddings
//! every positive value must survive.

#![allow(dead_code)]

use picket::detect::pi::{PiConfig, PiFinding, PiScanner};

/// A scanner that reveals raw values, so tests can compare them.
pub fn revealing_scanner() -> PiScanner {
    let mut cfg = PiConfig::new(b"integration-test-key".to_vec());
    cfg.reveal = true;
    PiScanner::new(&cfg)
}

/// Scans one field value.
pub fn scan(s: &PiScanner, field: &'static str, value: &str) -> Vec<PiFinding> {
    let mut scratch = s.new_scratch();
    let mut out = Vec::new();
    s.scan_value(field, value, &mut scratch, &mut out);
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters
/// (`encodeURIComponent` plus `!'()*`).
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// base64url without padding.
pub fn b64url(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &x| acc << 8 | x as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The places SPEC §4 says a value must be found in: a path segment, a
/// query value (raw, percent-encoded, double-encoded, base64url) and a
/// CouchDB-style document id.
pub fn embeddings(v: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "url.path",
            "path segment",
            format!("/api/v1/records/{v}/view"),
        ),
        ("url.query", "query value", format!("page=2&q={v}&sort=asc")),
        (
            "url.query",
            "percent-encoded",
            format!("q={}&page=2", pct(v)),
        ),
        ("url.query", "double-encoded", format!("q={}", pct(&pct(v)))),
        ("url.query", "base64url", format!("ref={}", b64url(v))),
        ("db.doc_id", "doc id", format!("user:{v}")),
    ]
}

/// Alphanumerics, lowercased: how findings compare to expected values
/// (one finding per distinct value, so `4012 8888 …` may be reported as the
/// `4012888…` seen first).
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `findings` hold `category` with a value that overlaps `v`
/// (the reported span may be tighter: `fe80::1` of `fe80::1%eth0`).
pub fn holds(findings: &[PiFinding], category: &str, v: &str) -> bool {
    let v = norm(v);
    findings.iter().any(|f| {
        f.category == category
            && f.value
                .as_deref()
                .map(norm)
                .is_some_and(|got| !got.is_empty() && (v.contains(&got) || got.contains(&v)))
    })
}

/// Writes a generated access log with many planted PI values to
/// `dir/access.log` (about `bytes` long, from `seed`) and returns its path
/// with the planted values a leak check searches picket's output for.
///
/// Left out: values the generator also used as a client address (client
/// addresses are alert entities by design: SPEC §4 scans IPs inside URLs,
/// not the client field), special-category path words
/// (`/patients/1/diagnosis` names the kind of data, not the person's data),
/// and values under 6 bytes, which occur by chance.
pub fn planted_pi_log(
    dir: &std::path::Path,
    seed: u64,
    bytes: u64,
) -> (std::path::PathBuf, Vec<String>) {
    use picket::generate::{Generator, GeneratorConfig, PlantKind};
    let mut g = Generator::new(GeneratorConfig {
        seed,
        pi_rate: 0.25,
        lookalike_rate: 0.05,
        ..GeneratorConfig::default()
    });
    let mut log = Vec::new();
    g.write_bytes(&mut log, bytes).unwrap();
    let path = dir.join("access.log");
    std::fs::write(&path, &log).unwrap();
    let clients: std::collections::HashSet<&[u8]> = log
        .split(|b| *b == b'\n')
        .filter_map(|l| l.split(|b| *b == b' ').next())
        .collect();
    let values = g
        .planted()
        .iter()
        .filter(|p| p.kind == PlantKind::Pi)
        .filter(|p| !(p.category == "special_category" && p.key.is_none()))
        .filter_map(|p| p.value.clone())
        .filter(|v| v.len() >= 6 && !clients.contains(v.as_bytes()))
        .collect();
    (path, values)
}
