//! `cadf`: CADF audit events as JSON lines, as IBM Cloud Activity Tracker
//! (Cloudant, every IBM Cloud service) and OpenStack (pycadf) write them.
//! A line is CADF when its `typeURI` names the CADF event schema, or it has
//! `action` and one of `initiator`, `target`, `observer`.
//!
//! `initiator`, `target`, `observer`, `reason` and `requestData` are kept
//! flattened under `cadf.*` in CADF's own camelCase (`cadf.target.typeURI`),
//! except `initiator.credential.token`, which is a credential and is never
//! kept. The SPEC fields are taken from them: who (`initiator`), from where
//! (`initiator.host`), what (`action`, `requestData`), on what (`target`,
//! and for Cloudant the database and document), how it ended (`outcome`,
//! `reason.reasonCode`).

use super::fields::{set_source, set_status, set_text, set_time, status_code, sub};
use super::jsonwalk::{Flat, Loose, MAX_LEAVES, from_line};
use super::url_shim::set_url_fields_fallback;
use super::{Format, LineParser, ParseError, Reason};
use crate::event::{Event, Field, Value};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Parser for `cadf`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CadfParser;

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cadf<'a> {
    #[serde(borrow, rename = "typeURI")]
    type_uri: Text<'a>,
    #[serde(borrow, rename = "eventType")]
    event_type: Loose<'a>,
    #[serde(borrow)]
    id: Loose<'a>,
    #[serde(borrow, rename = "eventTime")]
    event_time: Text<'a>,
    #[serde(borrow)]
    action: Text<'a>,
    #[serde(borrow)]
    outcome: Text<'a>,
    #[serde(borrow)]
    severity: Loose<'a>,
    #[serde(borrow)]
    message: Loose<'a>,
    #[serde(borrow, rename = "logSourceCRN")]
    log_source_crn: Text<'a>,
    #[serde(borrow, rename = "correlationId")]
    correlation_id: Loose<'a>,
    /// pycadf's request path.
    #[serde(borrow, rename = "requestPath")]
    request_path: Text<'a>,
    #[serde(borrow)]
    initiator: Option<&'a RawValue>,
    #[serde(borrow)]
    target: Option<&'a RawValue>,
    #[serde(borrow)]
    observer: Option<&'a RawValue>,
    #[serde(borrow)]
    reason: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestData")]
    request_data: Option<&'a RawValue>,
    #[serde(borrow, rename = "responseData")]
    response_data: Option<&'a RawValue>,
    #[serde(borrow, rename = "dataEvent")]
    data_event: Loose<'a>,
}

impl LineParser for CadfParser {
    fn format(&self) -> Format {
        Format::Cadf
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let c: Cadf<'a> = from_line(line)?;
        // CADF makes initiator, target and observer mandatory; an app log
        // with just `action` and `outcome` is not CADF.
        let cadf_uri = c
            .type_uri
            .as_deref()
            .is_some_and(|t| t.contains("cloud/audit"));
        let parts = c.initiator.is_some() || c.target.is_some() || c.observer.is_some();
        if !(cadf_uri || (c.action.is_some() && parts)) {
            return Err(ParseError::at(Reason::WrongShape, 0));
        }
        if let Some(t) = &c.event_time {
            set_time(ev, t, "cadf.eventTime");
        }
        set_text(ev, Field::EventAction, c.action);
        if let Some(o) = &c.outcome {
            ev.set(Field::EventOutcome, Value::str(outcome(o)));
        }

        let mut flat = Flat::new(MAX_LEAVES);
        for (prefix, raw) in [
            ("cadf.initiator", c.initiator),
            ("cadf.target", c.target),
            ("cadf.observer", c.observer),
            ("cadf.reason", c.reason),
            ("cadf.requestData", c.request_data),
        ] {
            if let Some(raw) = raw {
                flat.walk_raw(prefix, raw);
            }
        }
        // A credential is not an audit fact: never keep it.
        flat.leaves
            .retain(|(n, _)| n != "cadf.initiator.credential.token");
        flat.dedup();
        let get = |name: &str| {
            flat.leaves
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, l)| l.text())
                .filter(|t| !t.is_empty())
        };

        set_text(ev, Field::UserName, get("cadf.initiator.name"));
        set_text(ev, Field::UserId, get("cadf.initiator.id"));
        if let Some(a) = get("cadf.initiator.host.address") {
            set_source(ev, a);
        }
        set_text(
            ev,
            Field::UserAgentOriginal,
            get("cadf.initiator.host.agent"),
        );
        if let Some(code) = get("cadf.reason.reasonCode").and_then(|c| status_code(&c)) {
            set_status(ev, code);
        }
        request(ev, &get, c.request_path);
        if ev.get(Field::DbName).is_none() {
            target_db(ev, &get);
        }
        let crn = c
            .log_source_crn
            .clone()
            .or_else(|| get("cadf.target.id").filter(|t| t.starts_with("crn:")));
        if let Some(crn) = crn {
            crn_fields(ev, &crn);
        }

        for (name, v) in [
            ("cadf.typeURI", c.type_uri),
            ("cadf.eventType", c.event_type.text()),
            ("cadf.id", c.id.text()),
            ("cadf.severity", c.severity.text()),
            ("cadf.message", c.message.text()),
            ("cadf.logSourceCRN", c.log_source_crn),
            ("cadf.correlationId", c.correlation_id.text()),
            ("cadf.outcome", c.outcome),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                ev.push_extra(name, Value::Str(v));
            }
        }
        if let Some(b) = c.data_event.bool() {
            ev.push_extra("cadf.dataEvent", Value::Bool(b));
        }
        if let Some(raw) = c.request_data.filter(|r| !r.get().starts_with('{')) {
            // Some services write requestData as a string or a scalar.
            if let Ok(Loose::Some(l)) = serde_json::from_str::<Loose<'a>>(raw.get()) {
                ev.push_extra("cadf.requestData", l.into_value());
            }
        }
        if let Some(raw) = c.response_data.filter(|r| r.get().starts_with('{')) {
            ev.push_extra("cadf.responseData", Value::str(raw.get()));
        }
        flat.into_extras(ev, "cadf._truncated");
        Ok(())
    }
}

/// `event.outcome` of a CADF outcome: `success`, `failure`, or `unknown`
/// for `pending` and anything else.
fn outcome(o: &str) -> &'static str {
    let o = o.trim();
    let is = |s: &str| o.eq_ignore_ascii_case(s);
    if is("success") || is("succeeded") || is("ok") {
        "success"
    } else if is("failure") || is("failed") || is("fail") || is("error") || is("denied") {
        "failure"
    } else {
        "unknown"
    }
}

/// HTTP method and URL from `requestData` (or pycadf's `requestPath`), and
/// the Cloudant database and document when named there.
fn request<'a>(
    ev: &mut Event<'a>,
    get: &dyn Fn(&str) -> Option<Cow<'a, str>>,
    request_path: Text<'a>,
) {
    let first = |names: &[&str]| names.iter().find_map(|n| get(n));
    set_text(
        ev,
        Field::HttpRequestMethod,
        first(&["cadf.requestData.method", "cadf.requestData.requestMethod"]),
    );
    let target = first(&[
        "cadf.requestData.url",
        "cadf.requestData.requestURI",
        "cadf.requestData.uri",
        "cadf.requestData.path",
    ])
    .or(request_path.filter(|p| !p.is_empty()));
    if let Some(t) = target {
        // TODO(merge): use parse::url
        set_url_fields_fallback(ev, t);
    }
    if let Some(db) = first(&[
        "cadf.requestData.dbName",
        "cadf.requestData.db_name",
        "cadf.requestData.database",
        "cadf.requestData.db",
    ]) {
        ev.set(Field::DbName, Value::Str(db));
    }
    if let Some(doc) = first(&[
        "cadf.requestData.docId",
        "cadf.requestData.doc_id",
        "cadf.requestData.documentId",
    ]) {
        ev.set(Field::DbDocId, Value::Str(doc));
    }
}

/// Database (and document) named by a target whose type is a database or a
/// document (`cloudantnosqldb/database`, name `db` or `db/doc`).
fn target_db<'a>(ev: &mut Event<'a>, get: &dyn Fn(&str) -> Option<Cow<'a, str>>) {
    let (Some(kind), Some(name)) = (get("cadf.target.typeURI"), get("cadf.target.name")) else {
        return;
    };
    let kind = kind.to_ascii_lowercase();
    if kind.ends_with("/document") || kind.ends_with("/doc") {
        if let Some((db, doc)) = name.split_once('/') {
            let (db, doc) = (sub(&name, db), sub(&name, doc));
            ev.set(Field::DbName, Value::Str(db));
            ev.set(Field::DbDocId, Value::Str(doc));
        } else {
            ev.set(Field::DbDocId, Value::Str(name));
        }
    } else if kind.ends_with("/database") || kind.ends_with("/db") {
        ev.set(Field::DbName, Value::Str(name));
    }
}

/// `cloud.account.id` (and `cloud.region`) from an IBM Cloud CRN:
/// `crn:v1:bluemix:public:<service>:<region>:a/<account>:<instance>:…`.
#[allow(clippy::ptr_arg)] // the Cow says whether parts of it can borrow from the line
fn crn_fields<'a>(ev: &mut Event<'a>, crn: &Cow<'a, str>) {
    let segs: Vec<&str> = crn.split(':').collect();
    if segs.first() != Some(&"crn") {
        return;
    }
    if let Some(account) = segs
        .get(6)
        .and_then(|s| s.strip_prefix("a/"))
        .filter(|a| !a.is_empty())
    {
        ev.set(Field::CloudAccountId, Value::Str(sub(crn, account)));
    }
    if let Some(region) = segs.get(5).filter(|r| !r.is_empty() && **r != "global") {
        ev.push_extra("cloud.region", Value::Str(sub(crn, region)));
    }
}

#[cfg(test)]
mod tests;
