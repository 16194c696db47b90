//! The `kafka` sink: each alert as one JSON message on a topic, keyed by
//! rule id and entity, so every alert about one (rule, entity) lands on
//! one partition, in order.
//!
//! A batch counts as delivered once the brokers acknowledged every message
//! of it (`acks=all`, idempotent producer); if any fails or the batch
//! times out, the whole batch is retried by the queue, so a retry may
//! repeat messages that did get through (at least once, like the other
//! sinks).

use super::{SendError, Transport, TransportError};
use crate::config::KafkaSinkConfig;
use crate::source::kafka::client_config;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Delivery reports of the batch being sent.
#[derive(Debug, Default)]
struct Reports {
    ok: usize,
    failed: usize,
    first_error: Option<String>,
}

/// Collects delivery reports (called from `poll`/`flush` on the sending
/// thread).
#[derive(Debug, Default)]
struct Context {
    reports: Mutex<Reports>,
}

impl ClientContext for Context {}

impl ProducerContext for Context {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let mut r = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(_) => r.ok += 1,
            Err((e, _)) => {
                r.failed += 1;
                if r.first_error.is_none() {
                    r.first_error = Some(e.to_string());
                }
            }
        }
    }
}

/// Produces rendered alerts to a topic.
pub struct KafkaTransport {
    producer: BaseProducer<Context>,
    config: rdkafka::ClientConfig,
    topic: String,
    timeout: Duration,
}

impl std::fmt::Debug for KafkaTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaTransport")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaTransport {
    /// A producer for sink `label` (librdkafka settings checked here).
    pub fn new(label: &str, cfg: &KafkaSinkConfig) -> Result<Self, TransportError> {
        let err = |message: String| TransportError {
            sink: label.to_string(),
            message,
        };
        let mut c = client_config(&cfg.brokers, &cfg.librdkafka).map_err(err)?;
        c.set("enable.idempotence", "true").set("acks", "all").set(
            "message.timeout.ms",
            cfg.timeout.0.as_millis().max(1).to_string(),
        );
        let producer = c
            .create_with_context(Context::default())
            .map_err(|e| err(format!("kafka producer: {e}")))?;
        Ok(KafkaTransport {
            producer,
            config: c,
            topic: cfg.topic.clone(),
            timeout: cfg.timeout.0,
        })
    }

    /// An idempotent producer that hit a fatal error (its sequence state
    /// no longer matches the broker's) refuses everything from then on: a
    /// new one takes over, and the batch is retried.
    fn recover(&mut self) -> Result<(), SendError> {
        let Some((_, why)) = self.producer.client().fatal_error() else {
            return Ok(());
        };
        crate::warn!("kafka sink: producer failed ({why}); starting a new one");
        self.producer = self
            .config
            .create_with_context(Context::default())
            .map_err(|e| SendError::transient(format!("kafka: new producer: {e}")))?;
        Ok(())
    }
}

/// The message key of a rendered alert: `rule id` + `|` + the entity's
/// `field=value` pairs, sorted by field, joined by `,`.
/// Alerts that do not parse (never: we rendered them) get the empty key.
pub fn alert_key(line: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        return String::new();
    };
    let mut key = v["rule"]["id"].as_str().unwrap_or_default().to_string();
    key.push('|');
    if let Some(entity) = v["entity"].as_object() {
        let pairs: Vec<String> = entity
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        key.push_str(&pairs.join(","));
    }
    key
}

impl Transport for KafkaTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        self.recover()?;
        let ctx = self.producer.context();
        *ctx.reports.lock().unwrap_or_else(|e| e.into_inner()) = Reports::default();
        let deadline = Instant::now() + self.timeout;
        for line in alerts {
            let key = alert_key(line);
            let mut record = BaseRecord::to(&self.topic).key(&key).payload(line);
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r))
                        if Instant::now() < deadline =>
                    {
                        // librdkafka's queue is full: serve delivery
                        // reports until there is room.
                        record = r;
                        self.producer.poll(Duration::from_millis(10));
                    }
                    Err((e, _)) => return Err(SendError::transient(format!("kafka: {e}"))),
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if let Err(e) = self.producer.flush(left) {
            return Err(SendError::transient(format!("kafka: {e}")));
        }
        let r = ctx.reports.lock().unwrap_or_else(|e| e.into_inner());
        if r.failed > 0 || r.ok < alerts.len() {
            return Err(SendError::transient(format!(
                "kafka: {} of {} alerts not acknowledged: {}",
                alerts.len() - r.ok.min(alerts.len()),
                alerts.len(),
                r.first_error.as_deref().unwrap_or("timed out")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::alert_key;

    #[test]
    fn key_is_rule_and_entity() {
        let line =
            r#"{"rule":{"id":"pi-in-url"},"entity":{"user.name":"u1","source.ip":"10.0.0.1"}}"#;
        assert_eq!(alert_key(line), "pi-in-url|source.ip=10.0.0.1,user.name=u1");
        assert_eq!(alert_key(r#"{"rule":{"id":"r"}}"#), "r|");
    }
}
