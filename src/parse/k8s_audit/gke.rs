//! GKE: Kubernetes audit events as Cloud Logging `LogEntry`s whose
//! `protoPayload` is a `google.cloud.audit.AuditLog`.
//!
//! `methodName` is `io.k8s.<group>.<version>.<resource>[.<sub>].<verb>` and
//! `resourceName` `<group>/<version>/namespaces/<ns>/<resource>/<name>[/<sub>]`,
//! from which the verb and an `objectRef` like the native event's are
//! derived, so rules on `kubernetes.audit.objectRef.*` work for GKE too.
//! Audit entries of other Google services share the shape and are read the
//! same way (`event.action` is then the whole `methodName`).

use super::{Line, REQUEST_OBJECT, Text};
use crate::event::{Event, Field, Value};
use crate::parse::ParseError;
use crate::parse::fields::{set_source, set_text, set_time, sub};
use crate::parse::jsonwalk::{Flat, Loose, MAX_LEAVES, from_text};
use crate::parse::url_shim::set_url_parts_fallback;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditLog<'a> {
    #[serde(borrow, rename = "serviceName")]
    service_name: Text<'a>,
    #[serde(borrow, rename = "methodName")]
    method_name: Text<'a>,
    #[serde(borrow, rename = "resourceName")]
    resource_name: Text<'a>,
    #[serde(borrow, rename = "authenticationInfo")]
    authentication: Option<AuthenticationInfo<'a>>,
    #[serde(borrow, rename = "requestMetadata")]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow, rename = "authorizationInfo")]
    authorization: Option<&'a RawValue>,
    #[serde(borrow)]
    request: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthenticationInfo<'a> {
    #[serde(borrow, rename = "principalEmail")]
    principal_email: Text<'a>,
    #[serde(borrow, rename = "principalSubject")]
    principal_subject: Text<'a>,
    #[serde(borrow, rename = "authoritySelector")]
    authority_selector: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RequestMetadata<'a> {
    // Google writes `callerIp`; some exports spell it `callerIP`.
    #[serde(borrow, rename = "callerIp", alias = "callerIP")]
    caller_ip: Text<'a>,
    #[serde(borrow, rename = "callerSuppliedUserAgent")]
    user_agent: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource<'a> {
    #[serde(borrow)]
    labels: Option<Labels<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Labels<'a> {
    #[serde(borrow)]
    project_id: Loose<'a>,
    #[serde(borrow)]
    cluster_name: Loose<'a>,
    #[serde(borrow)]
    location: Loose<'a>,
}

/// Maps a GKE audit entry.
pub(super) fn fill<'a>(l: Line<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    let raw = l.proto_payload.map(RawValue::get).unwrap_or("{}");
    let p: AuditLog<'a> = from_text(raw)?;
    if let Some(t) = [&l.timestamp, &p.timestamp, &l.receive_timestamp]
        .into_iter()
        .flatten()
        .next()
    {
        set_time(ev, t, "kubernetes.audit.timestamp");
    }
    let k8s = p
        .method_name
        .as_deref()
        .is_some_and(|m| m.starts_with("io.k8s."))
        || p.service_name.as_deref() == Some("k8s.io");
    if let Some(m) = &p.method_name {
        let verb = if k8s {
            m.rsplit('.').next().unwrap_or(m)
        } else {
            m
        };
        set_text(ev, Field::EventAction, Some(sub(m, verb)));
    }
    if let Some(a) = p.authentication {
        let name = a
            .principal_email
            .or(a.principal_subject)
            .or(a.authority_selector);
        set_text(ev, Field::UserName, name);
    }
    if let Some(m) = p.request_metadata {
        if let Some(ip) = m.caller_ip {
            set_source(ev, ip);
        }
        set_text(ev, Field::UserAgentOriginal, m.user_agent);
    }
    if k8s && let Some(r) = &p.resource_name {
        if r.starts_with('/') {
            // A non-resource URL such as `/readyz`.
            // TODO(merge): use parse::url (without db.* derivation)
            set_url_parts_fallback(ev, r.clone());
        } else {
            object_ref(ev, r);
        }
    }

    let mut flat = Flat::new(MAX_LEAVES);
    if let Some(s) = p.status {
        flat.walk_raw("kubernetes.audit.gcp.status", s);
        // google.rpc.Status: code 0 (or none) is OK.
        let code = flat
            .leaves
            .iter()
            .find(|(n, _)| n == "kubernetes.audit.gcp.status.code")
            .and_then(|(_, l)| l.int());
        let ok = code.unwrap_or(0) == 0;
        ev.set(
            Field::EventOutcome,
            Value::str(if ok { "success" } else { "failure" }),
        );
    }
    if let Some(a) = p.authorization {
        flat.walk_raw("kubernetes.audit.gcp.authorizationInfo", a);
    }
    if let Some(r) = p.request {
        ev.push_extra(REQUEST_OBJECT, Value::str(r.get()));
        flat.walk_raw(REQUEST_OBJECT, r);
    }
    if let Some(res) = l.resource
        && let Ok(res) = serde_json::from_str::<Resource<'a>>(res.get())
        && let Some(labels) = res.labels
    {
        set_text(ev, Field::CloudAccountId, labels.project_id.text());
        if let Some(c) = labels.cluster_name.text() {
            ev.push_extra("orchestrator.cluster.name", Value::Str(c));
        }
        if let Some(c) = labels.location.text() {
            ev.push_extra("cloud.region", Value::Str(c));
        }
    }
    ev.push_extra("kubernetes.audit.wrapper", Value::str("gke"));
    for (name, v) in [
        ("kubernetes.audit.gcp.methodName", p.method_name),
        ("kubernetes.audit.gcp.serviceName", p.service_name),
        ("kubernetes.audit.gcp.resourceName", p.resource_name),
        ("kubernetes.audit.gcp.logName", l.log_name),
    ] {
        if let Some(v) = v {
            ev.push_extra(name, Value::Str(v));
        }
    }
    flat.into_extras(ev, "kubernetes.audit._truncated");
    Ok(())
}

/// `objectRef` fields from a GKE resource name.
#[allow(clippy::ptr_arg)] // the Cow says whether parts of it can borrow from the line
fn object_ref<'a>(ev: &mut Event<'a>, r: &Cow<'a, str>) {
    let segs: Vec<&str> = r.split('/').collect();
    let [group, version, rest @ ..] = segs.as_slice() else {
        return;
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, more @ ..] if !more.is_empty() => (Some(*ns), more),
        _ => (None, rest),
    };
    let mut set = |name: &'static str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            ev.push_extra(name, Value::Str(sub(r, v)));
        }
    };
    // The core group is `""` in Kubernetes, `core` in GKE's names.
    set(
        "kubernetes.audit.objectRef.apiGroup",
        Some(*group).filter(|g| *g != "core"),
    );
    set("kubernetes.audit.objectRef.apiVersion", Some(*version));
    set("kubernetes.audit.objectRef.namespace", namespace);
    set("kubernetes.audit.objectRef.resource", rest.first().copied());
    set("kubernetes.audit.objectRef.name", rest.get(1).copied());
    set(
        "kubernetes.audit.objectRef.subresource",
        rest.get(2).copied(),
    );
}
