//! `json`: one JSON object per line, any nesting.
//!
//! Every leaf is addressed by its dotted path (`{"request":{"uri":"/x"}}` is
//! `request.uri`; a key that already contains dots is used as is). Leaves
//! named by the [`JsonMapping`] become SPEC fields; every other leaf is kept
//! as an extra under its path, *unprefixed*, so a rule on `level` or
//! `request.headers.Accept` matches what the log says. Exception: a leftover
//! leaf whose path is a well-known field or one picket writes itself
//! (`tenant`, `staff`, `@timestamp`, `log.*`, …) is renamed `json.<path>`, so
//! input can never shadow or fake them.

mod mapping;

pub use mapping::{Candidate, Conv, JsonMapping};

use super::fields::{set_source, set_status, set_text, sub};
use super::jsonwalk::{Flat, Leaf, MAX_LEAVES};
use super::url_shim::set_url_fields_fallback;
use super::{Format, LineParser, ParseError, datetime};
use crate::event::{Event, Field, Value};
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

/// The built-in mapping, built once.
static BUILTIN: LazyLock<Arc<JsonMapping>> = LazyLock::new(|| Arc::new(JsonMapping::builtin()));

/// Names picket writes itself, besides the well-known fields.
const RESERVED: &[&str] = &[
    "@timestamp",
    "event.dataset",
    "pi",
    "log.file.path",
    "log.line",
    "log.offset",
];

/// Parser for `json`.
#[derive(Debug, Clone)]
pub struct JsonParser {
    mapping: Arc<JsonMapping>,
}

impl Default for JsonParser {
    fn default() -> Self {
        JsonParser {
            mapping: BUILTIN.clone(),
        }
    }
}

impl JsonParser {
    /// A parser with a custom mapping.
    pub fn with_mapping(mapping: JsonMapping) -> Self {
        JsonParser {
            mapping: Arc::new(mapping),
        }
    }

    /// The mapping in use.
    pub fn mapping(&self) -> &JsonMapping {
        &self.mapping
    }
}

impl LineParser for JsonParser {
    fn format(&self) -> Format {
        Format::Json
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let mut flat = Flat::new(MAX_LEAVES);
        flat.walk_line(line)?;
        flat.dedup();
        let truncated = flat.truncated;
        let mut leaves: Vec<Option<(Cow<'a, str>, Leaf<'a>)>> =
            flat.leaves.into_iter().map(Some).collect();

        // Candidates present in this line, by group then rank.
        let mut hits: Vec<(u16, u16, usize)> = leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let (g, r) = self.mapping.lookup(&l.as_ref()?.0)?;
                Some((g, r, i))
            })
            .collect();
        hits.sort_unstable();
        let envoy = leaves.iter().flatten().any(|(n, _)| n == "response_code");
        let mut done_group = None;
        for (g, r, i) in hits {
            if done_group == Some(g) {
                continue;
            }
            let Some(cand) = self.mapping.candidate(g, r) else {
                continue;
            };
            let Some((_, leaf)) = &leaves[i] else {
                continue;
            };
            if apply(ev, cand.conv, leaf, envoy) {
                leaves[i] = None;
                done_group = Some(g);
            }
        }
        if ev.get(Field::DbName).is_none()
            && let Some(Value::Str(path)) = ev.get(Field::UrlPath).cloned()
        {
            // ECS input with `url.path` but no `url.original`.
            let mut tmp = Event::new(Format::Json, ev.origin);
            // TODO(merge): use parse::url
            set_url_fields_fallback(&mut tmp, path);
            for f in [Field::DbName, Field::DbDocId] {
                if let Some(v) = tmp.remove(f) {
                    ev.set(f, v);
                }
            }
        }

        let mut rest = Flat::new(usize::MAX);
        let mut renamed = false;
        for (name, leaf) in leaves.into_iter().flatten() {
            let name = if Field::from_name(&name).is_some() || RESERVED.contains(&name.as_ref()) {
                renamed = true;
                Cow::Owned(format!("json.{name}"))
            } else {
                name
            };
            rest.leaves.push((name, leaf));
        }
        if renamed {
            // `json.x` from a renamed `x` may meet a `json.x` of the input.
            rest.dedup();
        }
        for (name, leaf) in rest.leaves {
            ev.push_extra(name, leaf.into_value());
        }
        if truncated {
            ev.push_extra("json._truncated", Value::Bool(true));
        }
        Ok(())
    }
}

/// Applies one candidate; `false` when its value does not convert, so that
/// the next candidate of the group gets its turn.
fn apply<'a>(ev: &mut Event<'a>, conv: Conv, leaf: &Leaf<'a>, envoy: bool) -> bool {
    let text = || leaf.text().filter(|t| !t.is_empty() && t != "-");
    match conv {
        Conv::Time => {
            let ts = match leaf {
                Leaf::Int(i) => datetime::epoch_i64(*i),
                Leaf::Float(f) => datetime::epoch_f64(*f),
                Leaf::Str(s) => datetime::rfc3339(s)
                    .or_else(|| datetime::ncsa(s))
                    .or_else(|| datetime::epoch_text(s)),
                _ => None,
            };
            if ts.is_some() {
                ev.timestamp = ts;
            }
            ts.is_some()
        }
        Conv::Text(Field::Tags) => match leaf {
            Leaf::List(l) => {
                ev.set(Field::Tags, Value::List(l.clone()));
                true
            }
            _ => match text() {
                Some(t) => {
                    ev.set(Field::Tags, Value::List(vec![t]));
                    true
                }
                None => false,
            },
        },
        Conv::Text(f) => {
            let t = text();
            let ok = t.is_some();
            set_text(ev, f, t);
            ok
        }
        Conv::Int(f) => match leaf.int().filter(|n| *n >= 0) {
            Some(n) => {
                ev.set(f, Value::Int(n));
                true
            }
            None => false,
        },
        Conv::Source => match text() {
            Some(t) => {
                set_source(ev, t);
                true
            }
            None => false,
        },
        Conv::Url => match text() {
            // TODO(merge): use parse::url
            Some(t) => {
                set_url_fields_fallback(ev, t);
                true
            }
            None => false,
        },
        Conv::RequestLine => match text() {
            Some(t) => request_line(ev, t),
            None => false,
        },
        Conv::Status => match leaf.int().filter(|c| (100..=599).contains(c)) {
            Some(c) => {
                set_status(ev, c);
                true
            }
            None => false,
        },
        Conv::HttpVersion => match text() {
            Some(t) => {
                let v = t.strip_prefix("HTTP/").unwrap_or(&t);
                let v = sub(&t, v);
                ev.set(Field::HttpVersion, Value::Str(v));
                true
            }
            None => false,
        },
        Conv::FirstIp => {
            let Some(t) = text() else { return false };
            let first = t
                .split(',')
                .map(str::trim)
                .find(|a| a.parse::<IpAddr>().is_ok());
            match first {
                Some(a) => {
                    let a = sub(&t, a);
                    ev.set(Field::NetworkForwardedIp, Value::Str(a));
                    true
                }
                None => false,
            }
        }
        Conv::Nanos => duration(ev, leaf.float(), 1.0),
        Conv::Millis => duration(ev, leaf.float(), 1e6),
        Conv::Seconds => duration(ev, leaf.float(), 1e9),
        Conv::SecondsOrEnvoyMillis => duration(ev, leaf.float(), if envoy { 1e6 } else { 1e9 }),
    }
}

/// Sets `event.duration` from a number in some unit (`scale` ns per unit).
fn duration(ev: &mut Event<'_>, n: Option<f64>, scale: f64) -> bool {
    match n
        .map(|n| n * scale)
        .filter(|ns| ns.is_finite() && *ns >= 0.0 && *ns < 9.2e18)
    {
        Some(ns) => {
            ev.set(Field::EventDuration, Value::Int(ns.round() as i64));
            true
        }
        None => false,
    }
}

/// nginx `$request`: `METHOD TARGET[ PROTOCOL]`; fields a better candidate
/// already set are left alone.
fn request_line<'a>(ev: &mut Event<'a>, t: Cow<'a, str>) -> bool {
    let mut parts = t.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return false;
    };
    let proto = parts.next();
    if parts.next().is_some() || method.is_empty() || target.is_empty() {
        return false;
    }
    if ev.get(Field::HttpRequestMethod).is_none() {
        let m = sub(&t, method);
        ev.set(Field::HttpRequestMethod, Value::Str(m));
    }
    if ev.get(Field::UrlOriginal).is_none() {
        let target = sub(&t, target);
        // TODO(merge): use parse::url
        set_url_fields_fallback(ev, target);
    }
    if ev.get(Field::HttpVersion).is_none()
        && let Some(v) = proto.and_then(|p| p.strip_prefix("HTTP/"))
    {
        let v = sub(&t, v);
        ev.set(Field::HttpVersion, Value::Str(v));
    }
    true
}

#[cfg(test)]
mod tests;
