//! librdkafka client settings shared by the consumer, the snapshot store
//! and the `kafka` sink.

use rdkafka::ClientConfig;
use rdkafka::config::RDKafkaLogLevel;
use std::collections::BTreeMap;

/// Settings picket decides itself: letting `librdkafka` tables override
/// them would break the offset and acknowledgement design.
const RESERVED: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
    "enable.partition.eof",
];

/// A client config for `brokers` with the user's `librdkafka` pass-through
/// settings (SASL, TLS, timeouts, …). `Err` names a reserved key.
pub fn client_config(
    brokers: &str,
    extra: &BTreeMap<String, String>,
) -> Result<ClientConfig, String> {
    let mut c = ClientConfig::new();
    // librdkafka's own log lines would go to the `log` crate, which picket
    // does not use; errors reach us through results and callbacks.
    c.set_log_level(RDKafkaLogLevel::Error);
    for (k, v) in extra {
        if RESERVED.contains(&k.as_str()) {
            return Err(format!(
                "librdkafka setting `{k}` is set by picket and cannot be overridden"
            ));
        }
        c.set(k, v);
    }
    c.set("bootstrap.servers", brokers);
    Ok(c)
}
