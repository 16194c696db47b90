//! HTTP sinks: a generic webhook (POST of a JSON array of alerts) and
//! Alertmanager's v2 API (`POST /api/v2/alerts`).
//!
//! The client is `ureq`: small, maintained, synchronous (each sink already
//! has its own delivery thread, so async buys nothing here), rustls for
//! HTTPS without OpenSSL, and one whole-request timeout so a server that
//! accepts the connection and then hangs cannot wedge the sink.
//!
//! Status handling: 2xx delivered; 408, 425, 429 and 5xx retried (honouring
//! `Retry-After`); any other 4xx means the destination rejects the alerts,
//! and retrying would block the sink forever, so they are dropped and
//! counted. Connection errors and timeouts are retried.

use super::{SendError, Transport};
use crate::sink::backoff::parse_retry_after;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(format!("picket/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn check_url(url: &str) -> Result<(), String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("invalid url `{url}`: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => Ok(()),
        _ => Err(format!("invalid url `{url}`: use http:// or https://")),
    }
}

/// POSTs `body` (JSON) and maps the outcome.
fn post(agent: &ureq::Agent, url: &str, body: Vec<u8>) -> Result<(), SendError> {
    let resp = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| SendError::transient(describe(&e)))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    // Read the body so the connection can be reused; its content is ignored.
    let _ = resp.into_body().read_to_vec();
    match status {
        200..=299 => Ok(()),
        408 | 425 | 429 | 500..=599 => Err(SendError {
            retry_after,
            ..SendError::transient(format!("HTTP {status}"))
        }),
        _ => Err(SendError::permanent(format!("HTTP {status}"))),
    }
}

/// An error kind without URLs or bodies (they may hold secrets).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timeout ({t})"),
        ureq::Error::Io(io) => format!("connection: {}", io.kind()),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::BadUri(_) => "invalid URL".into(),
        other => {
            // Some messages quote the URL, which may carry credentials.
            let text = other.to_string();
            if text.contains("://") {
                "request failed".into()
            } else {
                format!("request failed: {text}")
            }
        }
    }
}

/// Sends `alerts` in requests of at most `max` built by `body`, tracking
/// how many were delivered before a failure.
fn send_batched(
    alerts: &[String],
    max: usize,
    mut post_one: impl FnMut(&[String]) -> Result<(), SendError>,
) -> Result<(), SendError> {
    let mut done = 0;
    for part in alerts.chunks(max.max(1)) {
        if let Err(mut e) = post_one(part) {
            e.delivered = done;
            return Err(e);
        }
        done += part.len();
    }
    Ok(())
}

/// POSTs alerts as a JSON array to a URL.
#[derive(Debug)]
pub struct WebhookTransport {
    url: String,
    max: usize,
    agent: ureq::Agent,
}

impl WebhookTransport {
    /// A webhook to `url`, at most `max` alerts per request.
    pub fn new(url: &str, max: usize, timeout: Duration) -> Result<Self, String> {
        check_url(url)?;
        Ok(WebhookTransport {
            url: url.to_string(),
            max,
            agent: agent(timeout),
        })
    }
}

/// `[a,b,…]` from JSON lines, without parsing them again.
fn json_array(alerts: &[String]) -> Vec<u8> {
    let mut body = Vec::with_capacity(alerts.iter().map(|a| a.len() + 1).sum::<usize>() + 2);
    body.push(b'[');
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(a.as_bytes());
    }
    body.push(b']');
    body
}

impl Transport for WebhookTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        send_batched(alerts, self.max, |part| {
            post(&self.agent, &self.url, json_array(part))
        })
    }
}

/// Alertmanager's v2 API.
#[derive(Debug)]
pub struct AlertmanagerTransport {
    url: String,
    max: usize,
    resolve_after: Duration,
    agent: ureq::Agent,
}

impl AlertmanagerTransport {
    /// Alertmanager at base URL `url`.
    pub fn new(
        url: &str,
        max: usize,
        timeout: Duration,
        resolve_after: Duration,
    ) -> Result<Self, String> {
        check_url(url)?;
        Ok(AlertmanagerTransport {
            url: format!("{}/api/v2/alerts", url.trim_end_matches('/')),
            max,
            resolve_after,
            agent: agent(timeout),
        })
    }
}

/// A label name Alertmanager accepts: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn label_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// One picket alert (SPEC §6 JSON) as an Alertmanager `postableAlert`.
/// Labels identify the alert (rule and entity), so repeats update one
/// Alertmanager alert; the rest goes into annotations. `startsAt` is now:
/// the event may be old (a backlog), and an alert starting in the past
/// would resolve at once.
pub fn postable_alert(
    line: &str,
    now: OffsetDateTime,
    resolve_after: Duration,
) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let a: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let mut labels = Map::new();
    labels.insert("alertname".into(), json!(s(&a["rule"]["id"])));
    labels.insert("severity".into(), json!(s(&a["rule"]["level"])));
    labels.insert("kind".into(), json!(s(&a["kind"])));
    labels.insert("source".into(), json!("picket"));
    if let Some(entity) = a["entity"].as_object() {
        for (k, v) in entity {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            labels.insert(format!("entity_{}", label_name(k)), json!(v));
        }
    }
    let mut ann = Map::new();
    ann.insert("summary".into(), json!(s(&a["rule"]["title"])));
    ann.insert("description".into(), json!(s(&a["message"])));
    if let Some(t) = a["@timestamp"].as_str() {
        ann.insert("event_time".into(), json!(t));
    }
    ann.insert("log_file".into(), json!(s(&a["log"]["file"]["path"])));
    ann.insert("log_line".into(), json!(a["log"]["line"].to_string()));
    if let Some(pi) = a["pi"].as_array() {
        let cats: Vec<String> = pi.iter().map(|p| s(&p["category"])).collect();
        ann.insert("pi_categories".into(), json!(cats.join(",")));
    }
    ann.insert("alert".into(), json!(line));
    let fmt = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    json!({
        "labels": labels,
        "annotations": ann,
        "startsAt": fmt(now),
        "endsAt": fmt(now + resolve_after),
    })
}

impl Transport for AlertmanagerTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        let now = OffsetDateTime::now_utc();
        send_batched(alerts, self.max, |part| {
            let body: Vec<serde_json::Value> = part
                .iter()
                .map(|l| postable_alert(l, now, self.resolve_after))
                .collect();
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            post(&self.agent, &self.url, bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_resume_after_the_delivered_part() {
        let alerts: Vec<String> = (0..7).map(|i| i.to_string()).collect();
        let mut calls = 0;
        let r = send_batched(&alerts, 3, |p| {
            calls += 1;
            if calls == 2 {
                assert_eq!(p, ["3", "4", "5"]);
                Err(SendError::transient("HTTP 503"))
            } else {
                Ok(())
            }
        });
        assert_eq!(r.unwrap_err().delivered, 3);
        assert_eq!(json_array(&alerts[..2]), b"[0,1]");
    }

    #[test]
    fn alertmanager_shape() {
        let line = r#"{"@timestamp":"2026-03-02T08:00:01Z","rule":{"id":"pi-in-doc-id","title":"PI in id","level":"high","tags":[]},"kind":"match","entity":{"user.name":"app-7"},"pi":[{"category":"email","field":"db.doc_id","masked":"j***","fingerprint":"hmac-sha256:00"}],"log":{"file":{"path":"a.log"},"line":17,"offset":9},"message":"m"}"#;
        let now = OffsetDateTime::from_unix_timestamp(1_772_438_401).unwrap();
        let v = postable_alert(line, now, Duration::from_secs(300));
        assert_eq!(v["labels"]["alertname"], "pi-in-doc-id");
        assert_eq!(v["labels"]["severity"], "high");
        assert_eq!(v["labels"]["entity_user_name"], "app-7");
        assert_eq!(v["annotations"]["log_line"], "17");
        assert_eq!(v["annotations"]["pi_categories"], "email");
        assert_eq!(v["startsAt"], "2026-03-02T08:00:01Z");
        assert_eq!(v["endsAt"], "2026-03-02T08:05:01Z");
        assert_eq!(label_name("9a.b"), "_9a_b");
        assert!(WebhookTransport::new("ftp://x", 1, Duration::from_secs(1)).is_err());
        assert!(WebhookTransport::new("http://127.0.0.1:1/x", 1, Duration::from_secs(1)).is_ok());
    }
}
