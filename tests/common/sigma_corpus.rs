//! Shared by `tests/sigma_oracle.rs`, `benches/sigma_vs_rsigma.rs` and
//! `benches/rules.rs`:
//! rule discovery, a generated event corpus that exercises each rule's
//! selections (positives built from the rule's own values, plus near
//! misses), JSON events as picket events, and picket's field mapping as an
//! RSigma processing pipeline.

#![allow(dead_code)] // each includer uses a different part

use picket::detect::rule::{LogSource, field_candidates};
use picket::event::{Event, Field, Origin, Value};
use picket::parse::Format;
use serde_json::{Map, Value as J, json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `*.yml` under `dir`, sorted.
pub fn rule_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// The rule documents of a file as JSON values.
pub fn docs(text: &str) -> Vec<J> {
    serde_saphyr::from_multiple::<J>(text).unwrap_or_default()
}

/// A rule's logsource.
pub fn logsource(doc: &J) -> LogSource {
    let get = |k: &str| doc["logsource"][k].as_str().map(str::to_owned);
    LogSource {
        category: get("category"),
        product: get("product"),
        service: get("service"),
    }
}

/// The field names a rule's detection uses (without modifiers).
pub fn rule_fields(doc: &J) -> Vec<String> {
    let mut out = Vec::new();
    let Some(det) = doc["detection"].as_object() else {
        return out;
    };
    let mut add_map = |m: &Map<String, J>| {
        for k in m.keys() {
            let f = k.split('|').next().unwrap_or_default();
            if !f.is_empty() && !out.iter().any(|x| x == f) {
                out.push(f.to_owned());
            }
        }
    };
    for (name, sel) in det {
        if name == "condition" || name == "timeframe" {
            continue;
        }
        match sel {
            J::Object(m) => add_map(m),
            J::Array(items) => items.iter().filter_map(J::as_object).for_each(&mut add_map),
            _ => {}
        }
    }
    out
}

/// The event field a Sigma field is written to in generated events: the
/// first candidate of picket's mapping (what a picket parser produces).
pub fn target(ls: &LogSource, field: &str) -> String {
    field_candidates(ls, field)
        .into_iter()
        .next()
        .unwrap_or_else(|| field.to_owned())
}

/// A logsource as (category, product, service).
type LogsourceKey = (Option<String>, Option<String>, Option<String>);

/// A selection's name and its alternatives, each a list of (field, value).
type Alternatives<'d> = (&'d String, Vec<Vec<(String, J)>>);

/// picket's field mapping, for the rules given, as an RSigma processing
/// pipeline (YAML): one `field_name_mapping` per logsource, mapping each
/// Sigma field to the field picket reads first.
pub fn rsigma_pipeline(rules: &[J]) -> String {
    let mut by_ls: BTreeMap<LogsourceKey, BTreeMap<String, String>> = BTreeMap::new();
    for doc in rules {
        let ls = logsource(doc);
        let key = (ls.category.clone(), ls.product.clone(), ls.service.clone());
        let m = by_ls.entry(key).or_default();
        let mut fields = rule_fields(doc);
        // `fieldref` values name fields too.
        for (k, v) in walk_items(doc) {
            if k.contains("|fieldref") {
                fields.extend(
                    values(&v)
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned)),
                );
            }
        }
        for f in fields {
            let t = target(&ls, &f);
            if t != f {
                m.insert(f, t);
            }
        }
    }
    let transformations: Vec<J> = by_ls
        .into_iter()
        .enumerate()
        .filter(|(_, (_, m))| !m.is_empty())
        .map(|(i, ((c, p, s), m))| {
            let mut cond = Map::new();
            cond.insert("type".into(), json!("logsource"));
            for (k, v) in [("category", c), ("product", p), ("service", s)] {
                if let Some(v) = v {
                    cond.insert(k.into(), json!(v));
                }
            }
            json!({
                "id": format!("picket_mapping_{i}"),
                "type": "field_name_mapping",
                "mapping": m,
                "rule_conditions": [J::Object(cond)],
            })
        })
        .collect();
    json!({"name": "picket", "priority": 10, "transformations": transformations}).to_string()
}

/// Every `field|mods: values` item of a rule's detection.
fn walk_items(doc: &J) -> Vec<(String, J)> {
    let mut out = Vec::new();
    if let Some(det) = doc["detection"].as_object() {
        for (name, sel) in det {
            if name == "condition" {
                continue;
            }
            for alt in alternatives(sel) {
                out.extend(alt);
            }
        }
    }
    out
}

/// A selection's alternatives: each a list of `(key, values)`; keywords
/// have the key `""`.
fn alternatives(sel: &J) -> Vec<Vec<(String, J)>> {
    match sel {
        J::Object(m) => vec![m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()],
        J::Array(items) => items
            .iter()
            .map(|i| match i {
                J::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                other => vec![(String::new(), other.clone())],
            })
            .collect(),
        J::Null => Vec::new(),
        other => vec![vec![(String::new(), other.clone())]],
    }
}

fn values(v: &J) -> Vec<J> {
    match v {
        J::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// Text of a Sigma string with its wildcards filled in (`*` → `ab`, `?` → `c`).
fn fill(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str("ab"),
            '?' => out.push('c'),
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                out.extend(chars.next());
            }
            c => out.push(c),
        }
    }
    out
}

/// A string that plausibly matches a regex: its literal characters.
fn regex_literal(re: &str) -> String {
    let mut out = String::new();
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push('1'),
                Some('w') => out.push('a'),
                Some('s') => out.push(' '),
                Some(e) => out.push(e),
                None => {}
            },
            '^' | '$' | '(' | ')' | '[' | ']' | '{' | '}' | '+' | '*' | '?' | '|' => {}
            '.' => out.push('x'),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A value for one item that should satisfy it (`None`: leave the field out).
fn synth(mods: &[&str], vals: &[J], pick: usize) -> Option<J> {
    let has = |m: &str| mods.contains(&m);
    let chosen: Vec<&J> = if has("all") {
        vals.iter().collect()
    } else {
        vals.get(pick % vals.len().max(1)).into_iter().collect()
    };
    if has("exists") {
        return match chosen.first() {
            Some(J::Bool(false)) => None,
            _ => Some(json!("present")),
        };
    }
    if chosen.iter().all(|v| v.is_null()) {
        return None;
    }
    if let [J::Number(n)] = chosen.as_slice() {
        let x = n.as_f64().unwrap_or(0.0);
        let v = if has("gt") {
            x + 1.0
        } else if has("lt") {
            x - 1.0
        } else {
            x
        };
        if mods
            .iter()
            .all(|m| ["gt", "gte", "lt", "lte", "neq"].contains(m) || m.is_empty())
        {
            return Some(if v.fract() == 0.0 {
                json!(v as i64)
            } else {
                json!(v)
            });
        }
    }
    let texts: Vec<String> = chosen
        .iter()
        .map(|v| match v {
            J::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    if has("cidr") {
        let net = texts.first()?;
        let addr = net.split('/').next()?;
        return Some(json!(match addr.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => {
                let mut o = a.octets();
                o[3] = o[3].wrapping_add(1);
                std::net::Ipv4Addr::from(o).to_string()
            }
            std::net::IpAddr::V6(a) => {
                let mut o = a.octets();
                o[15] = o[15].wrapping_add(1);
                std::net::Ipv6Addr::from(o).to_string()
            }
        }));
    }
    if has("re") {
        return Some(json!(
            texts
                .iter()
                .map(|t| regex_literal(t))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let mut parts: Vec<String> = texts.iter().map(|t| fill(t)).collect();
    if has("windash") {
        // The other dash: `-` ↔ `/`.
        parts = parts
            .iter()
            .map(|p| {
                p.chars()
                    .map(|c| match c {
                        '-' => '/',
                        '/' => '-',
                        c => c,
                    })
                    .collect()
            })
            .collect();
    }
    let joined = parts.join(" ");
    let wide = has("wide") || has("utf16le") || has("utf16");
    if has("base64offset") || has("base64") {
        let plain = if has("base64offset") {
            format!("zz {joined} yy")
        } else {
            joined
        };
        let bytes: Vec<u8> = if wide {
            plain.encode_utf16().flat_map(u16::to_le_bytes).collect()
        } else {
            plain.into_bytes()
        };
        return Some(json!(base64(&bytes)));
    }
    let s = if has("contains") || (has("all") && !has("startswith") && !has("endswith")) {
        format!("zz{joined}yy")
    } else if has("startswith") {
        format!("{joined}yy")
    } else if has("endswith") {
        format!("zz{joined}")
    } else {
        joined
    };
    Some(json!(s))
}

/// Adds one item's value to an event (string values of a field already
/// set are joined, so two items on one field can both hold).
fn put(ev: &mut Map<String, J>, key: &str, v: J) {
    match (ev.get_mut(key), &v) {
        (Some(J::String(old)), J::String(new)) => {
            old.push(' ');
            old.push_str(new);
        }
        _ => {
            ev.insert(key.to_owned(), v);
        }
    }
}

/// An event satisfying one alternative of a selection (value `pick` of
/// each item's list).
fn event_for(ls: &LogSource, alt: &[(String, J)], pick: usize, ev: &mut Map<String, J>) {
    for (key, vals) in alt {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let mods: Vec<&str> = parts.collect();
        let vals = values(vals);
        if mods.contains(&"fieldref") {
            let other = vals.first().and_then(J::as_str).unwrap_or_default();
            put(ev, &target(ls, field), json!("same-value"));
            // RSigma's field_name_mapping does not rename the field a
            // `fieldref` names, so that one keeps its Sigma name (which
            // picket reads too, after the mapped name).
            put(ev, other, json!("same-value"));
            continue;
        }
        let Some(v) = synth(&mods, &vals, pick) else {
            continue;
        };
        let key = if field.is_empty() {
            // Keywords: anywhere in the event.
            target(ls, "cs-uri-query")
        } else {
            target(ls, field)
        };
        put(ev, &key, v);
    }
}

/// Near misses of an event: one value changed by a character, one field
/// dropped, every text upper-cased, numbers moved by one.
fn near_misses(ev: &Map<String, J>) -> Vec<Map<String, J>> {
    let mut out = Vec::new();
    for (k, v) in ev.iter().take(3) {
        let mut m = ev.clone();
        match v {
            J::String(s) if !s.is_empty() => {
                let mid = s
                    .char_indices()
                    .nth(s.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                let mut t = s.clone();
                t.insert(mid, '#');
                m.insert(k.clone(), json!(t));
                out.push(m.clone());
                let mut up = ev.clone();
                up.insert(k.clone(), json!(s.to_uppercase()));
                out.push(up);
            }
            J::Number(n) => {
                m.insert(k.clone(), json!(n.as_f64().unwrap_or(0.0) as i64 + 1));
                out.push(m.clone());
            }
            _ => {}
        }
        let mut dropped = ev.clone();
        dropped.remove(k);
        out.push(dropped);
    }
    out
}

/// Events that exercise a rule: for each selection and alternative, values
/// taken from the rule itself; all non-filter selections together; each of
/// those with each filter; and near misses of all of them.
pub fn events_for_rule(doc: &J) -> Vec<J> {
    let ls = logsource(doc);
    let Some(det) = doc["detection"].as_object() else {
        return Vec::new();
    };
    let sels: Vec<Alternatives<'_>> = det
        .iter()
        .filter(|(n, _)| *n != "condition" && *n != "timeframe")
        .map(|(n, s)| (n, alternatives(s)))
        .collect();
    let mut positives: Vec<Map<String, J>> = Vec::new();
    for (_, alts) in &sels {
        for alt in alts.iter().take(4) {
            let width = alt
                .iter()
                .map(|(_, v)| values(v).len())
                .max()
                .unwrap_or(1)
                .min(3);
            for pick in 0..width {
                let mut ev = Map::new();
                event_for(&ls, alt, pick, &mut ev);
                positives.push(ev);
            }
        }
    }
    let mut main = Map::new();
    for (name, alts) in &sels {
        if !name.starts_with("filter") {
            if let Some(a) = alts.first() {
                event_for(&ls, a, 0, &mut main);
            }
        }
    }
    positives.push(main.clone());
    for (name, alts) in &sels {
        if name.starts_with("filter") {
            if let Some(a) = alts.first() {
                let mut m = main.clone();
                event_for(&ls, a, 0, &mut m);
                positives.push(m);
            }
        }
    }
    let mut all: Vec<Map<String, J>> = Vec::new();
    for p in &positives {
        all.push(p.clone());
        all.extend(near_misses(p));
    }
    all.retain(|m| !m.is_empty());
    all.dedup();
    all.into_iter().map(J::Object).collect()
}

/// A JSON event as a picket event (format `json`): SPEC names to their
/// slots, other keys as extras; strings borrowed from the JSON.
pub fn to_event(v: &J) -> Event<'_> {
    let mut ev = Event::new(Format::Json, Origin::default());
    let Some(m) = v.as_object() else {
        return ev;
    };
    for (k, v) in m {
        let value = match v {
            J::String(s) => Value::Str(Cow::Borrowed(s)),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::Bool(b) => Value::Bool(*b),
            J::Array(a) => Value::List(
                a.iter()
                    .map(|x| match x {
                        J::String(s) => Cow::Borrowed(s.as_str()),
                        other => Cow::Owned(other.to_string()),
                    })
                    .collect(),
            ),
            J::Null | J::Object(_) => continue,
        };
        match Field::from_name(k) {
            Some(f) => ev.set(f, value),
            None => ev.set_extra(k.as_str(), value),
        }
    }
    ev
}
