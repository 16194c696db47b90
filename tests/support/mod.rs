//! Helpers shared by the format tests.

#![allow(dead_code)] // each test crate uses a different part

use picket::event::{Event, Origin, event_to_json};
use picket::parse::{Format, ParseError, parser_for};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};

/// A vendored fixture.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The team's third-party material, when this checkout sits next to it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    p.exists().then_some(p)
}

/// Says a check was skipped, visibly in `cargo test -- --nocapture` and in
/// the captured output of a failure.
pub fn skipped(what: &str) {
    println!("SKIPPED: {what}: ../shared/data not found");
}

/// Parses one line as `format`, each event rendered as `picket parse` does.
pub fn parse(format: Format, line: &[u8]) -> Result<Vec<Map<String, Json>>, ParseError> {
    let parser = parser_for(format).expect("format available");
    let mut out = Vec::new();
    parser.parse_multi(line, Origin::default(), &mut |ev: Event<'_>| {
        out.push(event_to_json(&ev, "test"));
    })?;
    Ok(out)
}

/// A rendered event.
pub type Rendered = Map<String, Json>;

/// Parses every non-blank line of a file; returns the events and the
/// 1-based lines that failed, with their errors.
pub fn parse_file(format: Format, path: &Path) -> (Vec<Rendered>, Vec<(usize, ParseError)>) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse(format, line) {
            Ok(evs) => events.extend(evs),
            Err(e) => errors.push((i + 1, e)),
        }
    }
    (events, errors)
}

/// A rendered field as text (numbers and booleans in JSON notation, lists
/// joined with `,`).
pub fn text(ev: &Map<String, Json>, name: &str) -> Option<String> {
    Some(match ev.get(name)? {
        Json::String(s) => s.clone(),
        Json::Array(a) => a
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    })
}

/// Asserts field values of a rendered event.
#[track_caller]
pub fn assert_fields(ev: &Map<String, Json>, want: &[(&str, &str)]) {
    for (k, v) in want {
        assert_eq!(text(ev, k).as_deref(), Some(*v), "{k} in {ev:?}");
    }
}

/// The reference time the Vector syslog cases are checked against: their
/// `<CURRENT_YEAR>` is this time's year.
pub const VRL_REFERENCE: &str = "2026-11-25T12:00:00Z";

/// Vector's `parse_syslog` output names → picket's (documented in
/// docs/FORMATS.md). Any other key is a structured-data element.
const VRL_NAMES: &[(&str, &str)] = &[
    ("severity", "log.syslog.severity.name"),
    ("facility", "log.syslog.facility.name"),
    ("hostname", "host.name"),
    ("appname", "log.syslog.appname"),
    ("procid", "log.syslog.procid"),
    ("msgid", "log.syslog.msgid"),
    ("version", "log.syslog.version"),
    ("message", "message"),
    ("timestamp", "@timestamp"),
];

/// Checks one Vector `parse_syslog` case: `want` is Vector's output object,
/// or `None` when Vector fails on the input. Returns what differs.
pub fn check_vrl_syslog(input: &str, want: Option<&Json>) -> Result<(), String> {
    use picket::parse::LineParser;
    use picket::parse::syslog::SyslogParser;
    let reference = picket::parse::datetime::rfc3339(VRL_REFERENCE).unwrap();
    let parser = SyslogParser::with_reference_time(reference);
    let mut ev = Event::new(Format::Syslog, Origin::default());
    let got = parser.parse(input.as_bytes(), &mut ev);
    let Some(want) = want else {
        return match got {
            Err(_) => Ok(()),
            Ok(()) => Err(format!("{input:?}: Vector fails, picket parsed it")),
        };
    };
    got.map_err(|e| format!("{input:?}: {e}"))?;
    let ev = event_to_json(&ev, "test");
    let year = VRL_REFERENCE.split('-').next().unwrap_or_default();
    let mut expected: Vec<(String, String)> = Vec::new();
    for (k, v) in want.as_object().ok_or("want is not an object")? {
        if let Some((_, ours)) = VRL_NAMES.iter().find(|(n, _)| n == k) {
            let v = match v {
                Json::Object(o) => o.get("timestamp").cloned().unwrap_or(Json::Null),
                other => other.clone(),
            };
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            expected.push((ours.to_string(), v.replace("<CURRENT_YEAR>", year)));
        } else {
            // Structured data; an element without parameters has nothing
            // to compare (picket does not represent empty elements).
            for (pk, pv) in v.as_object().ok_or(format!("{k} is not an object"))? {
                let pv = pv.as_str().map_or_else(|| pv.to_string(), str::to_owned);
                expected.push((format!("log.syslog.structured_data.{k}.{pk}"), pv));
            }
        }
    }
    for (k, v) in &expected {
        let got = text(&ev, k);
        if got.as_deref() != Some(v.as_str()) {
            return Err(format!("{input:?}: {k}: want {v:?}, got {got:?}"));
        }
    }
    // Nothing Vector does not report either.
    for k in ev.keys() {
        let mapped = VRL_NAMES.iter().any(|(_, ours)| ours == k)
            || k.starts_with("log.syslog.structured_data.");
        if mapped && !expected.iter().any(|(e, _)| e == k) {
            return Err(format!("{input:?}: picket has {k}, Vector does not"));
        }
    }
    Ok(())
}
