//! Small field-setting helpers shared by the line-based formats.

use crate::event::{Event, Field, Value};
use std::borrow::Cow;
use std::net::IpAddr;

/// A sub-slice of a `Cow` text: borrowed from the line when the text is,
/// copied otherwise.
pub(crate) fn sub<'a>(whole: &Cow<'a, str>, part: &str) -> Cow<'a, str> {
    match whole {
        Cow::Borrowed(w) => {
            // `part` points into `w`: find it by offset rather than searching.
            let start = (part.as_ptr() as usize).checked_sub(w.as_ptr() as usize);
            match start.and_then(|s| w.get(s..s.checked_add(part.len())?)) {
                Some(p) if p.as_ptr() == part.as_ptr() => Cow::Borrowed(p),
                _ => Cow::Owned(part.to_owned()),
            }
        }
        Cow::Owned(_) => Cow::Owned(part.to_owned()),
    }
}

/// Sets `source.ip` (and `source.port`) from an address as logged: an IP, an
/// `ip:port`, a `[v6]:port`; anything else is a host name (`source.domain`),
/// such as CloudTrail's `s3.amazonaws.com`.
pub(crate) fn set_source<'a>(ev: &mut Event<'a>, addr: Cow<'a, str>) {
    let a = addr.trim();
    if a.is_empty() || a == "-" {
        return;
    }
    if a.parse::<IpAddr>().is_ok() {
        let ip = sub(&addr, a);
        ev.set(Field::SourceIp, Value::Str(ip));
        return;
    }
    let split = if let Some(rest) = a.strip_prefix('[') {
        rest.split_once("]:")
    } else {
        a.rsplit_once(':').filter(|(h, _)| !h.contains(':'))
    };
    if let Some((host, port)) = split
        && host.parse::<IpAddr>().is_ok()
        && let Ok(port) = port.parse::<u16>()
    {
        let ip = sub(&addr, host);
        ev.set(Field::SourceIp, Value::Str(ip));
        ev.set(Field::SourcePort, Value::Int(i64::from(port)));
        return;
    }
    let domain = sub(&addr, a);
    ev.set(Field::SourceDomain, Value::Str(domain));
}

/// Sets `@timestamp` from an RFC 3339 time. A time that does not parse does
/// not cost the event (an audit record is worth more than its clock): the
/// text is kept under `raw_name` instead, so it stays visible.
#[allow(clippy::ptr_arg)] // cloned: borrowed stays borrowed
pub(crate) fn set_time<'a>(ev: &mut Event<'a>, t: &Cow<'a, str>, raw_name: &'static str) {
    match super::datetime::rfc3339(t) {
        Some(ts) => ev.timestamp = Some(ts),
        None => ev.push_extra(raw_name, Value::Str(t.clone())),
    }
}

/// `event.outcome` of an HTTP status: below 400 is a success.
pub(crate) fn outcome_of_status(code: i64) -> &'static str {
    if code < 400 { "success" } else { "failure" }
}

/// Sets `http.response.status_code` and the `event.outcome` it implies,
/// unless an outcome is already set.
pub(crate) fn set_status(ev: &mut Event<'_>, code: i64) {
    ev.set(Field::HttpResponseStatusCode, Value::Int(code));
    if ev.get(Field::EventOutcome).is_none() {
        ev.set(Field::EventOutcome, Value::str(outcome_of_status(code)));
    }
}

/// A plausible HTTP status code written as text or number.
pub(crate) fn status_code(text: &str) -> Option<i64> {
    let code: i64 = text.trim().parse().ok()?;
    (100..=599).contains(&code).then_some(code)
}

/// Sets a well-known text field unless the text is empty or `-`.
pub(crate) fn set_text<'a>(ev: &mut Event<'a>, field: Field, text: Option<Cow<'a, str>>) {
    if let Some(t) = text.filter(|t| !t.is_empty() && t != "-") {
        ev.set(field, Value::Str(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    fn src(a: &str) -> Vec<String> {
        let mut ev = Event::new(Format::Json, Default::default());
        set_source(&mut ev, Cow::Borrowed(a));
        ev.fields().map(|(f, v)| format!("{f}={v}")).collect()
    }

    #[test]
    fn source_addresses() {
        assert_eq!(src("203.0.113.9"), ["source.ip=203.0.113.9"]);
        assert_eq!(
            src("203.0.113.9:5984"),
            ["source.ip=203.0.113.9", "source.port=5984"]
        );
        assert_eq!(
            src("[2001:db8::1]:443"),
            ["source.ip=2001:db8::1", "source.port=443"]
        );
        assert_eq!(src("2001:db8::1"), ["source.ip=2001:db8::1"]);
        assert_eq!(src("s3.amazonaws.com"), ["source.domain=s3.amazonaws.com"]);
        assert_eq!(src("AWS Internal"), ["source.domain=AWS Internal"]);
        assert!(src("-").is_empty());
    }
}
