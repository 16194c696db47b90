//! `k8s-audit`: Kubernetes API server audit events, one JSON object per line
//! (the log backend's format), plus the two managed-cluster wrappers:
//!
//! - GKE: a Cloud Logging `LogEntry` whose `protoPayload` is an `AuditLog`
//!   ([`gke`]);
//! - AKS: an Azure diagnostic record (`category: kube-audit`) whose
//!   `properties.log` holds the Kubernetes event as a JSON string ([`aks`]).
//!
//! Batches are read too, one event per element: an audit webhook's
//! `{"kind":"EventList","items":[…]}` and Azure Event Hub's
//! `{"records":[…]}`.
//!
//! Kubernetes' own names are kept under `kubernetes.audit.*` in their
//! original camelCase (`kubernetes.audit.objectRef.resource`), as Elastic
//! does, so that Sigma's Kubernetes rules map one to one.

mod aks;
mod gke;

use super::fields::{set_source, set_status, set_text, set_time};
use super::jsonwalk::{Flat, MAX_LEAVES, StrList, from_line, json_error};
use super::url_shim::set_url_parts_fallback;
use super::{Format, LineParser, ParseError, Reason};
use crate::event::{Event, Field, Origin, Value};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Parser for `k8s-audit`.
#[derive(Debug, Clone, Copy, Default)]
pub struct K8sAuditParser;

type Text<'a> = Option<Cow<'a, str>>;

/// Prefix of the flattened request object; also written by the GKE wrapper.
const REQUEST_OBJECT: &str = "kubernetes.audit.requestObject";

/// Every top-level key any of the shapes uses; unknown keys are skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Line<'a> {
    // Kubernetes `audit.k8s.io` Event.
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow, rename = "apiVersion")]
    api_version: Text<'a>,
    #[serde(borrow)]
    level: Text<'a>,
    #[serde(borrow, rename = "auditID")]
    audit_id: Text<'a>,
    #[serde(borrow)]
    stage: Text<'a>,
    #[serde(borrow, rename = "requestURI")]
    request_uri: Text<'a>,
    #[serde(borrow)]
    verb: Text<'a>,
    #[serde(borrow)]
    user: Option<UserInfo<'a>>,
    #[serde(borrow, rename = "impersonatedUser")]
    impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, rename = "sourceIPs")]
    source_ips: Option<StrList<'a>>,
    #[serde(borrow, rename = "userAgent")]
    user_agent: Text<'a>,
    #[serde(borrow, rename = "objectRef")]
    object_ref: Option<&'a RawValue>,
    #[serde(borrow, rename = "responseStatus")]
    response_status: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestObject")]
    request_object: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestReceivedTimestamp")]
    request_received: Text<'a>,
    #[serde(borrow, rename = "stageTimestamp")]
    stage_timestamp: Text<'a>,
    /// `audit.k8s.io/v1beta1`'s time, or a Cloud Logging entry's.
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    annotations: Option<&'a RawValue>,
    /// `EventList` batches.
    #[serde(borrow)]
    items: Option<&'a RawValue>,
    // GKE: Cloud Logging LogEntry.
    #[serde(borrow, rename = "protoPayload")]
    proto_payload: Option<&'a RawValue>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
    #[serde(borrow, rename = "receiveTimestamp")]
    receive_timestamp: Text<'a>,
    #[serde(borrow, rename = "logName")]
    log_name: Text<'a>,
    // AKS: Azure diagnostic record.
    #[serde(borrow)]
    category: Text<'a>,
    #[serde(borrow, rename = "operationName")]
    operation_name: Text<'a>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(borrow, rename = "resourceId")]
    resource_id: Text<'a>,
    /// Event Hub batches.
    #[serde(borrow)]
    records: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserInfo<'a> {
    #[serde(borrow)]
    username: Text<'a>,
    #[serde(borrow)]
    uid: Text<'a>,
    #[serde(borrow)]
    groups: Option<StrList<'a>>,
}

impl LineParser for K8sAuditParser {
    fn format(&self) -> Format {
        Format::K8sAudit
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let l: Line<'a> = from_line(line)?;
        if l.items.is_some() || l.records.is_some() {
            // A batch: one event only if it holds exactly one.
            let mut n = 0;
            let mut slot = None;
            self.parse_multi(line, ev.origin, &mut |e| {
                n += 1;
                slot = Some(e);
            })?;
            return match slot {
                Some(e) if n == 1 => {
                    *ev = e;
                    Ok(())
                }
                _ => Err(ParseError::at(Reason::WrongShape, 0)),
            };
        }
        one(l, ev)
    }

    fn parse_multi<'a>(
        &self,
        line: &'a [u8],
        origin: Origin,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<usize, ParseError> {
        let l: Line<'a> = from_line(line)?;
        let batch = match (&l.items, &l.records) {
            (Some(items), _) if l.kind.as_deref() == Some("EventList") => Some(*items),
            (_, Some(records)) => Some(*records),
            _ => None,
        };
        let Some(raw) = batch else {
            let mut ev = Event::new(Format::K8sAudit, origin);
            one(l, &mut ev)?;
            emit(ev);
            return Ok(1);
        };
        let text = raw.get();
        let elements: Vec<Line<'a>> =
            serde_json::from_str(text).map_err(|e| json_error(&e, text.as_bytes()))?;
        let mut n = 0;
        for el in elements {
            let mut ev = Event::new(Format::K8sAudit, origin);
            one(el, &mut ev)?;
            emit(ev);
            n += 1;
        }
        Ok(n)
    }
}

/// One event of any of the shapes.
fn one<'a>(l: Line<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    if l.proto_payload.is_some() {
        gke::fill(l, ev)
    } else if l.category.is_some() || l.operation_name.is_some() || l.properties.is_some() {
        aks::fill(l, ev)
    } else if is_native(&l) {
        native(l, ev)
    } else {
        Err(ParseError::at(Reason::WrongShape, 0))
    }
}

/// Whether a line is a Kubernetes audit event: `kind: Event`, a `verb` or an
/// `auditID`, and at least two of the event's keys, so that an app log with
/// a `user` and a `stage` is not taken for one.
fn is_native(l: &Line<'_>) -> bool {
    (l.kind.as_deref() == Some("Event") || l.verb.is_some() || l.audit_id.is_some())
        && markers(l) >= 2
}

/// How many keys of a Kubernetes audit event a line has.
fn markers(l: &Line<'_>) -> usize {
    usize::from(l.kind.as_deref() == Some("Event"))
        + usize::from(l.verb.is_some())
        + usize::from(l.object_ref.is_some())
        + usize::from(l.audit_id.is_some())
        + usize::from(l.request_uri.is_some())
        + usize::from(l.stage.is_some())
        + usize::from(l.stage_timestamp.is_some())
        + usize::from(l.request_received.is_some())
        + usize::from(l.source_ips.is_some())
        + usize::from(l.response_status.is_some())
        + usize::from(l.user.is_some())
        + usize::from(l.impersonated_user.is_some())
}

/// A Kubernetes `audit.k8s.io` event.
fn native<'a>(l: Line<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    if let Some(t) = [&l.request_received, &l.stage_timestamp, &l.timestamp]
        .into_iter()
        .flatten()
        .next()
    {
        set_time(ev, t, "kubernetes.audit.timestamp");
    }
    set_text(ev, Field::EventAction, l.verb);
    if let Some(u) = &l.user {
        set_text(ev, Field::UserName, u.username.clone());
        set_text(ev, Field::UserId, u.uid.clone());
    }
    let ips = l.source_ips.map(|s| s.0).unwrap_or_default();
    if let Some(first) = ips.first() {
        set_source(ev, first.clone());
    }
    set_text(ev, Field::UserAgentOriginal, l.user_agent);
    if let Some(uri) = l.request_uri {
        // TODO(merge): use parse::url (without db.* derivation)
        set_url_parts_fallback(ev, uri);
    }

    let mut flat = Flat::new(MAX_LEAVES);
    for (prefix, raw) in [
        ("kubernetes.audit.objectRef", l.object_ref),
        ("kubernetes.audit.responseStatus", l.response_status),
        ("kubernetes.audit.annotations", l.annotations),
        (REQUEST_OBJECT, l.request_object),
    ] {
        if let Some(raw) = raw {
            flat.walk_raw(prefix, raw);
        }
    }
    let code = flat
        .leaves
        .iter()
        .find(|(n, _)| n == "kubernetes.audit.responseStatus.code")
        .and_then(|(_, l)| l.int())
        .filter(|c| (100..=599).contains(c));
    if let Some(code) = code {
        set_status(ev, code);
    }
    for (name, v) in [
        ("kubernetes.audit.stage", l.stage),
        ("kubernetes.audit.level", l.level),
        ("kubernetes.audit.auditID", l.audit_id),
        ("kubernetes.audit.apiVersion", l.api_version),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            ev.push_extra(name, Value::Str(v));
        }
    }
    if let Some(u) = l.user
        && let Some(g) = u.groups
    {
        ev.push_extra("kubernetes.audit.user.groups", Value::List(g.0));
    }
    if let Some(u) = l.impersonated_user {
        if let Some(n) = u.username {
            ev.push_extra("kubernetes.audit.impersonatedUser.username", Value::Str(n));
        }
        if let Some(g) = u.groups {
            ev.push_extra("kubernetes.audit.impersonatedUser.groups", Value::List(g.0));
        }
    }
    if !ips.is_empty() {
        ev.push_extra("kubernetes.audit.sourceIPs", Value::List(ips));
    }
    if let Some(raw) = l.request_object {
        // The raw text (borrowed) for `contains` rules over the whole object.
        ev.push_extra(REQUEST_OBJECT, Value::str(raw.get()));
    }
    flat.into_extras(ev, "kubernetes.audit._truncated");
    Ok(())
}

#[cfg(test)]
mod tests;
