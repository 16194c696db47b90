//! Generator-level tests: determinism, rates, the shape of every line, the
//! validity and exact placement of planted values, incident timing.

use super::line::DAY;
use super::text::longest_digit_run;
use super::*;
use crate::event::days_from_civil;
use std::collections::{BTreeMap, BTreeSet};

/// A combined line split into its fields (test-only; the real parser lives
/// in `parse::combined`).
#[derive(Debug)]
struct Line<'a> {
    ip: &'a str,
    user: &'a str,
    secs: i64,
    method: &'a str,
    target: &'a str,
    status: u16,
    bytes: u64,
    referrer: &'a str,
}

fn parse_time(ts: &str) -> Option<i64> {
    // 02/Mar/2026:08:00:01 +0000
    let (date_time, zone) = ts.split_once(' ')?;
    assert_eq!(zone, "+0000");
    let mut parts = date_time.split([':', '/']);
    let d: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let m = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|&x| x == month)? as u32
        + 1;
    let y: i64 = parts.next()?.parse().ok()?;
    let hms: Vec<i64> = parts.map(|p| p.parse().unwrap()).collect();
    Some(days_from_civil(y, m, d) * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

fn parse(l: &str) -> Option<Line<'_>> {
    let quoted: Vec<&str> = l.split('"').collect();
    // prefix, request, status+bytes, referrer, " ", ua, "" | (" ", xff, " rt")
    if quoted.len() != 7 && quoted.len() != 9 {
        return None;
    }
    let (ip, rest) = quoted[0].split_once(" - ")?;
    let (user, rest) = rest.split_once(" [")?;
    let ts = rest.strip_suffix("] ")?;
    let mut req = quoted[1].split(' ');
    let (method, target, proto) = (req.next()?, req.next()?, req.next()?);
    if req.next().is_some() || !proto.starts_with("HTTP/") {
        return None;
    }
    let mut sb = quoted[2].split_whitespace();
    let status = sb.next()?.parse().ok()?;
    let bytes = sb.next()?.parse().ok()?;
    if quoted[4] != " " || quoted[5].is_empty() {
        return None;
    }
    if quoted.len() == 9 {
        let rt = quoted[8].strip_prefix(' ')?;
        let (s, ms) = rt.split_once('.')?;
        s.parse::<u32>().ok()?;
        (ms.len() == 3).then_some(())?;
    } else if !quoted[6].is_empty() {
        return None;
    }
    Some(Line {
        ip,
        user,
        secs: parse_time(ts)?,
        method,
        target,
        status,
        bytes,
        referrer: quoted[3],
    })
}

fn generate(cfg: GeneratorConfig, lines: usize) -> (String, Generator) {
    let mut g = Generator::new(cfg);
    let mut out = Vec::new();
    for _ in 0..lines {
        g.write_line(&mut out);
    }
    (String::from_utf8(out).expect("output is UTF-8"), g)
}

fn percent_decode(s: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn base64url_decode(s: &[u8]) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not base64url: {c}"),
    };
    let mut out = Vec::new();
    for chunk in s.chunks(4) {
        let mut v = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            v |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&v.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Undoes a planted value's encoding, as a detector would.
fn decode(p: &Planted) -> String {
    let text = p.text.as_deref().unwrap().as_bytes();
    let query = p.key.is_some();
    let bytes = match p.encoding.unwrap() {
        Encoding::Raw | Encoding::Percent => percent_decode(text, query),
        Encoding::DoublePercent => percent_decode(&percent_decode(text, false), query),
        Encoding::Base64Url => base64url_decode(text),
    };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn same_config_same_bytes() {
    let cfg = GeneratorConfig {
        lines_per_sec: 0.5,
        pi_rate: 0.05,
        lookalike_rate: 0.05,
        ..GeneratorConfig::default()
    };
    let (a, ga) = generate(cfg.clone(), 20_000);
    let (b, gb) = generate(cfg.clone(), 20_000);
    assert_eq!(a, b);
    assert_eq!(ga.planted(), gb.planted());
    let (c, _) = generate(
        GeneratorConfig {
            seed: cfg.seed + 1,
            ..cfg
        },
        20_000,
    );
    assert_ne!(a, c);
}

#[test]
fn pi_and_lookalike_rates_are_within_tolerance() {
    let cfg = GeneratorConfig {
        incidents: false,
        ..GeneratorConfig::default()
    };
    let n = 100_000;
    let (_, g) = generate(cfg, n);
    let lines_of = |kind: PlantKind| -> usize {
        g.planted()
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.line)
            .collect::<BTreeSet<_>>()
            .len()
    };
    let pi = lines_of(PlantKind::Pi) as f64 / n as f64;
    let decoy = lines_of(PlantKind::Decoy) as f64 / n as f64;
    // Binomial standard deviations are 0.00022 and 0.00034: ±4.5σ.
    assert!((pi - 0.005).abs() < 0.001, "PI rate {pi}");
    assert!((decoy - 0.012).abs() < 0.0015, "look-alike rate {decoy}");
    assert!(
        g.planted()
            .iter()
            .all(|p| p.kind != PlantKind::Incident && p.kind != PlantKind::Benign)
    );
}

#[test]
fn every_line_has_the_combined_shape_and_time_never_goes_back() {
    let cfg = GeneratorConfig {
        lines_per_sec: 0.2,
        trailing_share: 0.3,
        ..GeneratorConfig::default()
    };
    let (text, g) = generate(cfg, 30_000);
    let mut last = i64::MIN;
    let (mut v6, mut trailing, mut anonymous, mut couch) = (0, 0, 0, 0);
    for l in text.lines() {
        let p = parse(l).unwrap_or_else(|| panic!("not combined: {l}"));
        assert!(p.secs >= last, "time went back at {l}");
        last = p.secs;
        assert!(
            ["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&p.method),
            "{l}"
        );
        assert!(p.target.starts_with('/') && !p.target.contains(' '), "{l}");
        assert!((100..600).contains(&p.status) && p.bytes < 1 << 30, "{l}");
        assert!(
            p.referrer == "-" || p.referrer.starts_with("https://"),
            "{l}"
        );
        v6 += usize::from(p.ip.contains(':'));
        trailing += usize::from(l.ends_with(|c: char| c.is_ascii_digit()));
        anonymous += usize::from(p.user == "-");
        couch += usize::from(p.target.contains("_") || p.user.starts_with("app-"));
    }
    let n = text.lines().count();
    assert_eq!(n, 30_000);
    assert!(
        v6 > n / 40 && trailing > n / 5 && anonymous > n / 5 && couch > n / 2,
        "{v6} {trailing} {anonymous} {couch}"
    );
    assert_eq!(g.lines_written(), 30_000);
}

#[test]
fn planted_values_are_valid_and_written_where_recorded() {
    let cfg = GeneratorConfig {
        pi_rate: 0.1,
        lookalike_rate: 0.1,
        incidents: false,
        ..GeneratorConfig::default()
    };
    let (text, g) = generate(cfg, 30_000);
    let lines: Vec<&str> = text.lines().collect();
    let mut seen: BTreeMap<(&str, &str, Option<Encoding>), usize> = BTreeMap::new();
    for p in g.planted() {
        let l = parse(lines[p.line as usize - 1]).unwrap();
        let text = p.text.as_deref().unwrap();
        let haystack = match p.field.unwrap() {
            "http.request.referrer" => l.referrer,
            "url.query" => l.target.split_once('?').unwrap().1,
            _ => l.target.split_once('?').map_or(l.target, |(path, _)| path),
        };
        assert!(haystack.contains(text), "{p:?} not in {haystack}");
        let value = p.value.as_deref().unwrap();
        let decoded = decode(p);
        assert!(
            decoded == value || decoded == format!("\"{value}\""),
            "{p:?} decodes to {decoded}"
        );
        *seen
            .entry((p.category, p.field.unwrap(), p.encoding))
            .or_default() += 1;
        let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
        let compact: Vec<u8> = value.bytes().filter(|&b| b != b' ' && b != b'-').collect();
        match (p.kind, p.category) {
            (PlantKind::Pi, "credit_card") => {
                assert!(valid::luhn_valid(&digits) && (13..=19).contains(&digits.len()))
            }
            (PlantKind::Pi, "iban") => assert!(valid::iban_valid(value.as_bytes())),
            (PlantKind::Pi, "in_aadhaar") => {
                assert!(valid::verhoeff_valid(&digits) && digits[0] >= b'2')
            }
            (PlantKind::Pi, "in_pan") => assert!(valid::pan_valid(value.as_bytes())),
            (PlantKind::Pi, "uk_nino") => assert!(valid::nino_prefix_valid(compact[0], compact[1])),
            (PlantKind::Pi, "us_ssn") => {
                let n = |r: std::ops::Range<usize>| {
                    std::str::from_utf8(&digits[r])
                        .unwrap()
                        .parse::<u32>()
                        .unwrap()
                };
                assert!(
                    digits.len() == 9 && valid::ssn_valid(n(0..3), n(3..5), n(5..9)),
                    "{value}"
                );
                // Bare nine digits only after an SSN-like key.
                assert!(
                    value.contains('-') || matches!(p.key, Some("ssn" | "social_security_number")),
                    "{p:?}"
                );
            }
            (PlantKind::Pi, "phone") => assert!(
                value.starts_with('+')
                    || matches!(
                        p.key,
                        Some("phone" | "tel" | "mobile" | "msisdn" | "phone_number")
                    ),
                "{p:?}"
            ),
            (PlantKind::Pi, "email") => {
                assert!(value.split_once('@').is_some_and(|(_, d)| d.contains('.')))
            }
            (PlantKind::Decoy, "card_like") => assert!(!valid::luhn_valid(&digits)),
            (PlantKind::Decoy, "iban_invalid") => assert!(!valid::iban_valid(value.as_bytes())),
            (PlantKind::Decoy, "aadhaar_invalid") => assert!(!valid::verhoeff_valid(&digits)),
            _ => {}
        }
    }
    // Every category, field and encoding shows up in 30k lines.
    let cats: BTreeSet<&str> = seen.keys().map(|k| k.0).collect();
    assert!(cats.len() >= 16 + 12, "{cats:?}");
    let fields: BTreeSet<&str> = seen.keys().map(|k| k.1).collect();
    assert_eq!(fields.len(), 4, "{fields:?}");
    for enc in [
        Encoding::Raw,
        Encoding::Percent,
        Encoding::DoublePercent,
        Encoding::Base64Url,
    ] {
        assert!(seen.keys().any(|k| k.2 == Some(enc)), "{enc:?}");
    }
}

#[test]
fn background_carries_no_long_digit_runs() {
    // A run of 9+ digits could be a valid SSN, Aadhaar or card: the ground
    // truth would then miss PI a detector rightly reports.
    let (text, g) = generate(
        GeneratorConfig {
            lines_per_sec: 0.5,
            ..GeneratorConfig::default()
        },
        50_000,
    );
    let marked: BTreeSet<u64> = g
        .planted()
        .iter()
        .filter(|p| matches!(p.kind, PlantKind::Pi | PlantKind::Decoy))
        .map(|p| p.line)
        .collect();
    for (i, l) in text.lines().enumerate() {
        if marked.contains(&(i as u64 + 1)) {
            continue;
        }
        let p = parse(l).unwrap();
        // Measured after decoding, as a detector sees it (`%22` + digits
        // is not a run).
        let run = longest_digit_run(&percent_decode(p.target.as_bytes(), true)).max(
            longest_digit_run(&percent_decode(p.referrer.as_bytes(), true)),
        );
        assert!(run <= 8, "line {}: {l}", i + 1);
    }
}

#[test]
fn incidents_are_planted_in_their_windows() {
    let per_day = 2;
    let cfg = GeneratorConfig {
        lines_per_sec: 0.05,
        incidents_per_day: per_day,
        ..GeneratorConfig::default()
    };
    let start = cfg.start.0;
    let mut g = Generator::new(cfg);
    let mut out = Vec::new();
    while g.next_timestamp().0 < start + 2 * DAY {
        g.write_line(&mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<Line<'_>> = text.lines().map(|l| parse(l).unwrap()).collect();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for p in g.planted().iter().filter(|p| p.kind == PlantKind::Incident) {
        *counts.entry(p.category).or_default() += 1;
        assert_eq!(
            p.rule,
            IncidentKind::ALL
                .iter()
                .find(|k| k.as_str() == p.category)
                .map(|k| k.rule_id())
        );
        let own: Vec<&Line<'_>> = p.lines.iter().map(|&n| &lines[n as usize - 1]).collect();
        assert!(own.len() > 1 || p.category == "bulk_read", "{p:?}");
        assert_eq!(
            (p.lines[0], *p.lines.last().unwrap()),
            (p.line, p.last_line)
        );
        // Each line shows the recorded entity: its address, or (the
        // replicator's reads) its user.
        for l in &own {
            assert!(
                Some(l.ip) == p.ip.as_deref() || Some(l.user) == p.user.as_deref(),
                "{p:?} vs {l:?}"
            );
        }
        let span = own.last().unwrap().secs - own[0].secs;
        match p.category {
            "off_hours_staff_access" => {
                for l in &own {
                    let hour = l.secs.rem_euclid(86_400) / 3600;
                    assert!(
                        (2..4).contains(&hour) && l.user.starts_with("support-"),
                        "{l:?}"
                    );
                }
            }
            "mass_deletion" => {
                let deletes: Vec<_> = own.iter().filter(|l| l.method == "DELETE").collect();
                assert!(deletes.len() >= 25);
                assert!(
                    deletes.last().unwrap().secs - deletes[0].secs <= 60,
                    "{p:?}"
                );
            }
            "failed_logins" => {
                let fails = own.iter().take_while(|l| l.status == 401).count();
                assert!(fails >= 12 && own[fails].status == 200, "{p:?}");
                assert!(span <= 5 * 60);
            }
            "enumeration" => {
                assert!(
                    own.len() >= 25 && own.iter().all(|l| l.method == "GET") && span <= 10 * 60
                );
                let ids: BTreeSet<&str> = own.iter().map(|l| l.target).collect();
                assert_eq!(ids.len(), own.len());
            }
            "bulk_read" => {
                assert!(
                    own.iter().all(|l| l.target.contains("include_docs=true")
                        || l.target.contains("limit=100000"))
                );
                assert!(own.iter().all(|l| l.bytes >= 20_000_000));
            }
            "external_replication" => {
                assert!(
                    own.iter().any(|l| l.target.starts_with("/_replicat"))
                        || own.iter().all(|l| !l.ip.starts_with("10."))
                );
            }
            other => panic!("unexpected incident kind {other}"),
        }
    }
    for kind in IncidentKind::ALL {
        assert_eq!(
            counts.get(kind.as_str()),
            Some(&(2 * per_day)),
            "{kind:?}: {counts:?}"
        );
    }
    for kind in BenignKind::ALL {
        assert!(
            g.planted()
                .iter()
                .any(|p| p.kind == PlantKind::Benign && p.category == kind.as_str()),
            "{kind:?}"
        );
    }
    // Staff outside incidents only read in business hours (Mon–Fri 08–19).
    let off_hours_lines: BTreeSet<u64> = g
        .planted()
        .iter()
        .filter(|p| p.category == "off_hours_staff_access")
        .flat_map(|p| p.line..=p.last_line)
        .collect();
    for (i, l) in lines.iter().enumerate() {
        if l.user.starts_with("support-") && !off_hours_lines.contains(&(i as u64 + 1)) {
            let hour = l.secs.rem_euclid(86_400) / 3600;
            assert!((8..19).contains(&hour), "{l:?}");
        }
    }
}

#[test]
fn write_bytes_reaches_the_target_in_whole_lines() {
    let mut g = Generator::new(GeneratorConfig::default());
    let mut out = Vec::new();
    let stats = g.write_bytes(&mut out, 1 << 20).unwrap();
    assert!(stats.bytes >= 1 << 20 && stats.bytes < (1 << 20) + 4096);
    assert_eq!(stats.bytes, out.len() as u64);
    assert_eq!(
        stats.lines,
        out.iter().filter(|&&b| b == b'\n').count() as u64
    );
    assert_eq!(out.last(), Some(&b'\n'));
    assert_eq!(stats.first, Some(GeneratorConfig::default().start));
    assert!(stats.last.unwrap() > stats.first.unwrap());
    // A second call continues the same stream.
    let more = g.write_bytes(&mut out, 1000).unwrap();
    assert!(more.lines >= 1 && more.first >= stats.last);
    assert_eq!(g.write_bytes(&mut out, 0).unwrap().lines, 0);
}

#[test]
fn event_rate_follows_lines_per_sec() {
    let cfg = GeneratorConfig {
        lines_per_sec: 2.0,
        incidents: false,
        ..GeneratorConfig::default()
    };
    let start = cfg.start.0;
    let mut g = Generator::new(cfg);
    let mut out = Vec::new();
    while g.next_timestamp().0 < start + DAY {
        g.write_line(&mut out);
    }
    let per_sec = g.lines_written() as f64 / 86_400.0;
    assert!((per_sec - 2.0).abs() < 0.05, "{per_sec}");
    let curve_sum: f64 = DAY_CURVE.iter().sum();
    assert!((curve_sum - 24.0).abs() < 1e-9);
}

#[test]
fn absurd_settings_are_clamped_not_fatal() {
    let cfg = GeneratorConfig {
        lines_per_sec: 0.0,
        users: 0,
        tenants: 0,
        pi_rate: 7.0,
        lookalike_rate: f64::NAN,
        couchdb_share: -1.0,
        trailing_share: 2.0,
        incidents: false,
        ..GeneratorConfig::default()
    };
    let (text, g) = generate(cfg, 200);
    assert_eq!(text.lines().count(), 200);
    assert!(
        g.planted()
            .iter()
            .filter(|p| p.kind == PlantKind::Pi)
            .count()
            >= 200
    );
}

#[test]
fn files_plain_gzip_zstd_and_truth() {
    use std::io::Read;
    let cfg = GeneratorConfig {
        lines_per_sec: 0.5,
        ..GeneratorConfig::default()
    };
    let target = 300_000;
    let mut expected = Vec::new();
    let mut g = Generator::new(cfg.clone());
    g.write_bytes(&mut expected, target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["out.log", "out.log.gz", "out.log.zst"] {
        let path = dir.path().join(name);
        let truth = dir.path().join(format!("{name}.truth.jsonl"));
        let stats = generate_to_path_with_truth(&cfg, &path, target, Some(&truth)).unwrap();
        let raw = std::fs::read(&path).unwrap();
        let text = match name {
            "out.log.gz" => {
                let mut v = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
            "out.log.zst" => zstd::decode_all(&raw[..]).unwrap(),
            _ => raw,
        };
        assert_eq!(text, expected, "{name}");
        assert_eq!(stats.bytes, text.len() as u64);
        let truth = std::fs::read_to_string(&truth).unwrap();
        assert_eq!(truth.lines().count(), g.planted().len());
        let first: serde_json::Value = serde_json::from_str(truth.lines().next().unwrap()).unwrap();
        assert!(first["kind"].is_string() && first["line"].as_u64().unwrap() >= 1);
    }
}
