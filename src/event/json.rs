//! The JSON shape of an event, as `picket parse` prints it.
//!
//! Keys are the flat dotted names of SPEC §3 (`"url.path"`, not nested
//! objects), exactly as rules address them, so that what `picket parse`
//! shows is what a rule author writes.

use super::Event;
use serde_json::{Map, Value as Json};

/// Renders an event as a flat JSON object. `path` is the event's input path
/// (`log.file.path`); absent fields are omitted, never `null`.
pub fn event_to_json(ev: &Event<'_>, path: &str) -> Map<String, Json> {
    let mut m = Map::new();
    if let Some(ts) = ev.timestamp {
        m.insert("@timestamp".into(), Json::String(ts.to_string()));
    }
    m.insert(
        "event.dataset".into(),
        Json::String(ev.format.name().into()),
    );
    for (field, value) in ev.fields() {
        m.insert(field.name().into(), value.to_json());
    }
    for (name, value) in ev.extras() {
        m.insert(name.into(), value.to_json());
    }
    if !ev.pi.is_empty() {
        m.insert(
            "pi".into(),
            serde_json::to_value(&ev.pi).unwrap_or(Json::Null),
        );
    }
    m.insert("log.file.path".into(), Json::String(path.into()));
    m.insert("log.line".into(), Json::from(ev.origin.line));
    m.insert("log.offset".into(), Json::from(ev.origin.offset));
    m
}
