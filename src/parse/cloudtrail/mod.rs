//! AWS CloudTrail records: one record per line, or a `{"Records":[…]}`
//! file, which CloudTrail writes as a single line.
//!
//! A `Records` line yields one event per record through
//! [`LineParser::parse_multi`]; the array is walked element by element with a
//! serde `SeqAccess`, each record deserialized with borrowed strings, so no
//! `Value` of the whole file is built. Every event of the file carries the
//! line's origin. A pretty-printed (multi-line) `Records` file cannot be read
//! in the line model: its lines fail as `multiline_json`.
//!
//! The record shape is checked only for single-record lines (at least two of
//! CloudTrail's own keys), since a `Records` container already says what its
//! elements are. Panther-style exports with all-lowercase keys
//! (`eventname`, `awsregion`, …) are read too.

use super::fields::{set_source, set_text, set_time};
use super::jsonwalk::{Flat, Leaf, Loose, MAX_LEAVES, from_line, json_error};
use super::{Format, LineParser, ParseError, Reason};
use crate::event::{Event, Field, Origin, Value};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Parser for `cloudtrail`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudtrailParser;

type Text<'a> = Option<Cow<'a, str>>;

/// One CloudTrail record; what is not named here is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow, rename = "eventVersion", alias = "eventversion")]
    event_version: Text<'a>,
    #[serde(borrow, rename = "userIdentity", alias = "useridentity")]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow, rename = "eventTime", alias = "eventtime")]
    event_time: Text<'a>,
    #[serde(borrow, rename = "eventSource", alias = "eventsource")]
    event_source: Text<'a>,
    #[serde(borrow, rename = "eventName", alias = "eventname")]
    event_name: Text<'a>,
    #[serde(borrow, rename = "awsRegion", alias = "awsregion")]
    aws_region: Text<'a>,
    #[serde(borrow, rename = "sourceIPAddress", alias = "sourceipaddress")]
    source_ip: Text<'a>,
    #[serde(borrow, rename = "userAgent", alias = "useragent")]
    user_agent: Text<'a>,
    #[serde(borrow, rename = "errorCode", alias = "errorcode")]
    error_code: Text<'a>,
    #[serde(borrow, rename = "errorMessage", alias = "errormessage")]
    error_message: Text<'a>,
    #[serde(borrow, rename = "requestParameters", alias = "requestparameters")]
    request_parameters: Option<&'a RawValue>,
    #[serde(borrow, rename = "responseElements", alias = "responseelements")]
    response_elements: Option<&'a RawValue>,
    #[serde(borrow, rename = "additionalEventData", alias = "additionaleventdata")]
    additional_event_data: Option<&'a RawValue>,
    #[serde(borrow, rename = "serviceEventDetails", alias = "serviceeventdetails")]
    service_event_details: Option<&'a RawValue>,
    #[serde(borrow, rename = "resources")]
    resources: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestID", alias = "requestid")]
    request_id: Loose<'a>,
    #[serde(borrow, rename = "eventID", alias = "eventid")]
    event_id: Loose<'a>,
    #[serde(borrow, rename = "eventType", alias = "eventtype")]
    event_type: Loose<'a>,
    #[serde(borrow, rename = "eventCategory", alias = "eventcategory")]
    event_category: Loose<'a>,
    #[serde(borrow, rename = "apiVersion", alias = "apiversion")]
    api_version: Loose<'a>,
    #[serde(borrow, rename = "recipientAccountId", alias = "recipientaccountid")]
    recipient_account_id: Loose<'a>,
    #[serde(borrow, rename = "sharedEventID", alias = "sharedeventid")]
    shared_event_id: Loose<'a>,
    #[serde(borrow, rename = "vpcEndpointId", alias = "vpcendpointid")]
    vpc_endpoint_id: Loose<'a>,
    #[serde(borrow, rename = "readOnly", alias = "readonly")]
    read_only: Loose<'a>,
    #[serde(borrow, rename = "managementEvent", alias = "managementevent")]
    management_event: Loose<'a>,
    #[serde(borrow, rename = "tlsDetails", alias = "tlsdetails")]
    tls_details: Option<&'a RawValue>,
    #[serde(borrow, rename = "Records")]
    records: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    kind: Loose<'a>,
    #[serde(borrow, rename = "principalId")]
    principal_id: Loose<'a>,
    #[serde(borrow)]
    arn: Text<'a>,
    #[serde(borrow, rename = "accountId")]
    account_id: Loose<'a>,
    #[serde(borrow, rename = "accessKeyId")]
    access_key_id: Loose<'a>,
    #[serde(borrow, rename = "userName")]
    user_name: Text<'a>,
    #[serde(borrow, rename = "invokedBy")]
    invoked_by: Loose<'a>,
    #[serde(borrow, rename = "sessionContext")]
    session_context: Option<&'a RawValue>,
}

impl LineParser for CloudtrailParser {
    fn format(&self) -> Format {
        Format::Cloudtrail
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let mut n = 0;
        let mut slot = None;
        self.parse_multi(line, ev.origin, &mut |e| {
            n += 1;
            slot = Some(e);
        })?;
        match slot {
            Some(e) if n == 1 => {
                *ev = e;
                Ok(())
            }
            // A `Records` file of several records needs `parse_multi`.
            _ => Err(ParseError::at(Reason::WrongShape, 0)),
        }
    }

    fn parse_multi<'a>(
        &self,
        line: &'a [u8],
        origin: Origin,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<usize, ParseError> {
        if starts_with_records(line) {
            // The fast path for CloudTrail's own files: stream the array
            // without reading the line twice.
            let mut seed = RecordsFile {
                records: Records {
                    origin,
                    emit,
                    count: 0,
                },
            };
            let mut de = serde_json::Deserializer::from_slice(line);
            let res = (&mut seed).deserialize(&mut de).and_then(|()| de.end());
            return finish(res, seed.records, line);
        }
        let rec: Record<'a> = from_line(line)?;
        if let Some(raw) = rec.records {
            // `Records` was not the first key: stream it from its raw text.
            let text = raw.get();
            let mut records = Records {
                origin,
                emit,
                count: 0,
            };
            let mut de = serde_json::Deserializer::from_str(text);
            let res = (&mut records).deserialize(&mut de);
            return finish(res, records, text.as_bytes());
        }
        // Two of CloudTrail's keys, one of them one that only CloudTrail
        // writes, so that an app log with `eventName` and `eventTime` is not
        // taken for a record.
        let own = rec.event_source.is_some()
            || rec.event_version.is_some()
            || rec.user_identity.is_some();
        if !own || markers(&rec) < 2 {
            return Err(ParseError::at(Reason::WrongShape, 0));
        }
        let mut ev = Event::new(Format::Cloudtrail, origin);
        fill(rec, &mut ev);
        emit(ev);
        Ok(1)
    }
}

/// How many of CloudTrail's own keys a record has.
fn markers(r: &Record<'_>) -> usize {
    let loose = |l: &Loose<'_>| usize::from(*l != Loose::None);
    usize::from(r.event_version.is_some())
        + usize::from(r.user_identity.is_some())
        + usize::from(r.event_time.is_some())
        + usize::from(r.event_source.is_some())
        + usize::from(r.event_name.is_some())
        + usize::from(r.aws_region.is_some())
        + usize::from(r.source_ip.is_some())
        + loose(&r.recipient_account_id)
        + loose(&r.event_id)
        + loose(&r.event_type)
}

/// Whether the line opens with `{"Records":`, as CloudTrail writes its files.
fn starts_with_records(line: &[u8]) -> bool {
    let rest = line.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    rest.trim_ascii_start().starts_with(b"\"Records\"")
}

/// The count of a streamed `Records` array, or its first error.
fn finish(
    res: Result<(), serde_json::Error>,
    records: Records<'_, '_>,
    text: &[u8],
) -> Result<usize, ParseError> {
    res.map_err(|e| json_error(&e, text))?;
    Ok(records.count)
}

/// The top-level object of a `Records` file: only `Records` is read.
struct RecordsFile<'e, 'a> {
    records: Records<'e, 'a>,
}

/// The `Records` array: each element becomes an event handed to `emit`.
struct Records<'e, 'a> {
    origin: Origin,
    emit: &'e mut dyn FnMut(Event<'a>),
    count: usize,
}

impl<'de> DeserializeSeed<'de> for &mut RecordsFile<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut RecordsFile<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail file object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "Records" {
                map.next_value_seed(&mut self.records)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Records<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut Records<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(rec) = seq.next_element::<Record<'de>>()? {
            let mut ev = Event::new(Format::Cloudtrail, self.origin);
            fill(rec, &mut ev);
            (self.emit)(ev);
            self.count += 1;
        }
        Ok(())
    }
}

/// Maps a record onto an event.
fn fill<'a>(r: Record<'a>, ev: &mut Event<'a>) {
    if let Some(t) = &r.event_time {
        set_time(ev, t, "cloudtrail.event_time");
    }
    set_text(ev, Field::EventAction, r.event_name);
    if let Some(ip) = r.source_ip {
        set_source(ev, ip);
    }
    set_text(ev, Field::UserAgentOriginal, r.user_agent);
    let account = r.recipient_account_id.text();

    let mut flat = Flat::new(MAX_LEAVES);
    for (prefix, raw) in [
        ("cloudtrail.request_parameters", r.request_parameters),
        ("cloudtrail.response_elements", r.response_elements),
        ("cloudtrail.additional_event_data", r.additional_event_data),
        ("cloudtrail.service_event_details", r.service_event_details),
        ("cloudtrail.resources", r.resources),
        ("cloudtrail.tls_details", r.tls_details),
    ] {
        if let Some(raw) = raw {
            // The raw JSON text borrows from the line: rules can `contains` on it.
            if raw.get().starts_with('{') || raw.get().starts_with('[') {
                ev.push_extra(prefix, Value::str(raw.get()));
            }
            flat.walk_raw(prefix, raw);
        }
    }
    flat.dedup();

    // Console sign-in failures carry no errorCode, only this element.
    let console_failure = flat.leaves.iter().any(|(n, l)| {
        n == "cloudtrail.response_elements.ConsoleLogin"
            && matches!(l, Leaf::Str(s) if s == "Failure")
    });
    let failed = r.error_code.as_deref().is_some_and(|c| !c.is_empty()) || console_failure;
    ev.set(
        Field::EventOutcome,
        Value::str(if failed { "failure" } else { "success" }),
    );

    // S3 object-level events: an object is a document addressed by bucket and
    // key, so PI in object keys is found like PI in document ids.
    for (name, field) in [
        ("cloudtrail.request_parameters.bucketName", Field::DbName),
        ("cloudtrail.request_parameters.key", Field::DbDocId),
    ] {
        if let Some((_, Leaf::Str(s))) = flat.leaves.iter().find(|(n, _)| n == name) {
            ev.set(field, Value::Str(s.clone()));
        }
    }

    if let Some(ui) = r.user_identity {
        user_identity(ev, ui, &mut flat, account.is_none());
    }
    if let Some(a) = account {
        ev.set(Field::CloudAccountId, Value::Str(a));
    }

    let text = |ev: &mut Event<'a>, name: &'static str, t: Option<Cow<'a, str>>| {
        if let Some(t) = t.filter(|t| !t.is_empty()) {
            ev.push_extra(name, Value::Str(t));
        }
    };
    text(ev, "cloudtrail.event_source", r.event_source);
    text(ev, "cloud.region", r.aws_region);
    text(ev, "cloudtrail.error_code", r.error_code);
    text(ev, "cloudtrail.error_message", r.error_message);
    text(ev, "cloudtrail.event_version", r.event_version);
    text(ev, "cloudtrail.event_id", r.event_id.text());
    text(ev, "cloudtrail.event_type", r.event_type.text());
    text(ev, "cloudtrail.event_category", r.event_category.text());
    text(ev, "cloudtrail.request_id", r.request_id.text());
    text(ev, "cloudtrail.api_version", r.api_version.text());
    text(ev, "cloudtrail.shared_event_id", r.shared_event_id.text());
    text(ev, "cloudtrail.vpc_endpoint_id", r.vpc_endpoint_id.text());
    if let Some(b) = r.read_only.bool() {
        ev.push_extra("cloudtrail.read_only", Value::Bool(b));
    }
    if let Some(b) = r.management_event.bool() {
        ev.push_extra("cloudtrail.management_event", Value::Bool(b));
    }
    flat.into_extras(ev, "cloudtrail._truncated");
}

/// `userIdentity`: `user.name` is the IAM user name, else the session name
/// of an assumed role or federated user (the last part of the ARN: the human
/// behind the role), else `root` for the root user; `user.id` is the
/// principal id.
fn user_identity<'a>(
    ev: &mut Event<'a>,
    ui: UserIdentity<'a>,
    flat: &mut Flat<'a>,
    no_account: bool,
) {
    let kind = ui.kind.text();
    let name = ui
        .user_name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| match kind.as_deref() {
            Some("AssumedRole" | "FederatedUser") => {
                let arn = ui.arn.as_ref()?;
                let (_, session) = arn.rsplit_once('/')?;
                Some(super::fields::sub(arn, session))
            }
            Some("Root") => Some(Cow::Borrowed("root")),
            _ => None,
        });
    set_text(ev, Field::UserName, name);
    set_text(ev, Field::UserId, ui.principal_id.text());
    if no_account {
        set_text(ev, Field::CloudAccountId, ui.account_id.text());
    }
    for (n, v) in [
        ("cloudtrail.user_identity.type", kind),
        ("cloudtrail.user_identity.arn", ui.arn),
        (
            "cloudtrail.user_identity.principal_id",
            ui.principal_id.text(),
        ),
        ("cloudtrail.user_identity.account_id", ui.account_id.text()),
        (
            "cloudtrail.user_identity.access_key_id",
            ui.access_key_id.text(),
        ),
        ("cloudtrail.user_identity.user_name", ui.user_name),
        ("cloudtrail.user_identity.invoked_by", ui.invoked_by.text()),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            ev.push_extra(n, Value::Str(v));
        }
    }
    if let Some(raw) = ui.session_context {
        flat.walk_raw("cloudtrail.user_identity.session_context", raw);
    }
}

#[cfg(test)]
mod tests;
