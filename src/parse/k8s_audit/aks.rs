//! AKS: Azure diagnostic records. A `kube-audit` (or `kube-audit-admin`)
//! record's `properties.log` is the Kubernetes event as a JSON string, which
//! is unescaped and parsed as a native event; its strings are then owned,
//! not borrowed. Records of other categories are read from the wrapper
//! alone (`event.action` is `operationName`, the log text is `message`).

use super::{Line, Text, is_native, native};
use crate::event::{Event, Field, Value};
use crate::parse::fields::{set_text, set_time};
use crate::parse::jsonwalk::from_text;
use crate::parse::{Format, ParseError, Reason};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Properties<'a> {
    #[serde(borrow)]
    log: Option<&'a RawValue>,
    #[serde(borrow)]
    pod: Text<'a>,
}

/// Maps an Azure diagnostic record.
pub(super) fn fill<'a>(l: Line<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    let props: Properties<'a> = match l.properties {
        Some(raw) if raw.get().starts_with('{') => from_text(raw.get())?,
        _ => Properties::default(),
    };
    let audit = l.category.as_deref().is_some_and(|c| {
        c.eq_ignore_ascii_case("kube-audit") || c.eq_ignore_ascii_case("kube-audit-admin")
    });
    match props.log {
        Some(log) if audit && log.get().starts_with('"') => {
            let text: Cow<'a, str> =
                serde_json::from_str(log.get()).map_err(|_| ParseError::at(Reason::BadJson, 0))?;
            match text {
                Cow::Borrowed(t) => inner(ev, from_text(t)?)?,
                Cow::Owned(t) => {
                    // The unescaped text lives here, so the event must own
                    // its strings before it outlives it.
                    let mut tmp = Event::new(Format::K8sAudit, ev.origin);
                    inner(&mut tmp, from_text(&t)?)?;
                    *ev = tmp.into_owned();
                }
            }
        }
        Some(log) if audit && log.get().starts_with('{') => inner(ev, from_text(log.get())?)?,
        Some(log) if log.get().starts_with('"') => {
            if let Ok(text) = serde_json::from_str::<Cow<'a, str>>(log.get()) {
                ev.push_extra("message", Value::Str(text));
            }
        }
        _ => {}
    }
    if ev.timestamp.is_none()
        && let Some(t) = &l.time
    {
        set_time(ev, t, "kubernetes.audit.azure.time");
    }
    if ev.get(Field::EventAction).is_none() {
        set_text(ev, Field::EventAction, l.operation_name.clone());
    }
    if let Some(id) = &l.resource_id {
        resource_id(ev, id);
    }
    ev.push_extra("kubernetes.audit.wrapper", Value::str("aks"));
    for (name, v) in [
        ("kubernetes.audit.azure.category", l.category),
        ("kubernetes.audit.azure.operationName", l.operation_name),
        ("kubernetes.audit.azure.pod", props.pod),
    ] {
        if let Some(v) = v {
            ev.push_extra(name, Value::Str(v));
        }
    }
    Ok(())
}

/// The wrapped Kubernetes event, which must look like one.
fn inner<'s>(ev: &mut Event<'s>, l: Line<'s>) -> Result<(), ParseError> {
    if !is_native(&l) {
        return Err(ParseError::at(Reason::WrongShape, 0));
    }
    native(l, ev)
}

/// Subscription and cluster from an ARM resource id
/// (`/SUBSCRIPTIONS/<id>/RESOURCEGROUPS/<rg>/PROVIDERS/…/MANAGEDCLUSTERS/<name>`).
#[allow(clippy::ptr_arg)] // the Cow says whether parts of it can borrow from the line
fn resource_id<'a>(ev: &mut Event<'a>, id: &Cow<'a, str>) {
    let segs: Vec<&str> = id.split('/').collect();
    let after = |key: &str| {
        segs.windows(2)
            .find(|w| w[0].eq_ignore_ascii_case(key))
            .map(|w| w[1])
            .filter(|v| !v.is_empty())
    };
    if ev.get(Field::CloudAccountId).is_none()
        && let Some(sub) = after("subscriptions")
    {
        ev.set(
            Field::CloudAccountId,
            Value::Str(crate::parse::fields::sub(id, sub)),
        );
    }
    if let Some(name) = after("managedclusters") {
        ev.push_extra(
            "orchestrator.cluster.name",
            Value::Str(crate::parse::fields::sub(id, name)),
        );
    }
}
