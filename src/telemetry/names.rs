//! Every metric picket exports: name, help and label names, in one place.
//!
//! Counters end in `_total`, units are base units (`_seconds`, `_bytes`),
//! and labels come from bounded sets only (see the module docs of
//! [`crate::telemetry`]). `docs/METRICS.md` lists the same table for users.

/// A metric's static definition.
#[derive(Debug)]
pub struct MetricName {
    /// Full name, `picket_` prefixed.
    pub name: &'static str,
    /// HELP text.
    pub help: &'static str,
    /// Label names.
    pub labels: &'static [&'static str],
}

macro_rules! metric {
    ($id:ident, $name:literal, $help:literal, [$($l:literal),*]) => {
        #[doc = concat!("`", $name, "`: ", $help)]
        pub const $id: MetricName = MetricName { name: $name, help: $help, labels: &[$($l),*] };
    };
}

metric!(
    EVENTS,
    "picket_events_total",
    "Events parsed, by input format and source.",
    ["format", "source"]
);
metric!(
    LINES,
    "picket_lines_total",
    "Input lines read, by source.",
    ["source"]
);
metric!(
    BYTES_READ,
    "picket_bytes_read_total",
    "Input bytes read (after decompression), by source.",
    ["source"]
);
metric!(
    PARSE_ERRORS,
    "picket_parse_errors_total",
    "Input lines that did not parse, by format and reason.",
    ["format", "reason"]
);
metric!(
    ALERTS,
    "picket_alerts_total",
    "Alerts delivered, by rule, level and kind.",
    ["rule", "level", "kind"]
);
metric!(
    ALERTS_SUPPRESSED,
    "picket_alerts_suppressed_total",
    "Alerts held back as repeats of the same rule and entity.",
    ["rule"]
);
metric!(
    PI_FINDINGS,
    "picket_pi_findings_total",
    "Personal-information findings, by category and field.",
    ["category", "field"]
);
metric!(
    PIPELINE_LATENCY,
    "picket_pipeline_latency_seconds",
    "Time from reading a chunk to delivering its alerts.",
    []
);
metric!(
    SOURCE_LAG,
    "picket_source_lag_bytes",
    "Bytes written to a source but not yet read.",
    ["source"]
);
metric!(
    SINK_DELIVERIES,
    "picket_sink_deliveries_total",
    "Alert deliveries to sinks, by sink and outcome.",
    ["sink", "outcome"]
);
metric!(
    STATE_ENTITIES,
    "picket_state_entities",
    "Entities tracked in detector state, by detector.",
    ["detector"]
);
metric!(
    BUILD_INFO,
    "picket_build_info",
    "Build information; always 1.",
    ["version"]
);
metric!(
    RULES_LOADED,
    "picket_rules_loaded",
    "Rules compiled and active.",
    []
);
metric!(
    SOURCE_FILES,
    "picket_source_files",
    "Files followed by the daemon, by source.",
    ["source"]
);
metric!(
    SOURCE_ROTATIONS,
    "picket_source_rotations_total",
    "Rotations noticed in followed files, by source and kind (rename, truncate).",
    ["source", "kind"]
);
metric!(
    KAFKA_PARTITIONS,
    "picket_kafka_partitions",
    "Kafka partitions this instance owns, by source.",
    ["source"]
);
metric!(
    KAFKA_LAG,
    "picket_kafka_lag_messages",
    "Messages in owned Kafka partitions not consumed yet, by source.",
    ["source"]
);
metric!(
    KAFKA_REBALANCES,
    "picket_kafka_rebalances_total",
    "Kafka partitions assigned to or revoked from this instance, by source and kind (assign, revoke, lost).",
    ["source", "kind"]
);
metric!(
    KAFKA_COMMITS,
    "picket_kafka_commits_total",
    "Kafka offset commits, by source and outcome (success, failure, deferred).",
    ["source", "outcome"]
);
metric!(
    SINK_RETRIES,
    "picket_sink_retries_total",
    "Failed delivery attempts that will be retried, by sink.",
    ["sink"]
);
metric!(
    SINK_SPOOLED,
    "picket_sink_spooled_total",
    "Alerts written to a sink's on-disk spool because its memory queue was full.",
    ["sink"]
);
metric!(
    SINK_DROPPED,
    "picket_sink_dropped_total",
    "Alerts given up on, by sink and reason (rejected, spool_corrupt).",
    ["sink", "reason"]
);
metric!(
    SINK_QUEUE_BYTES,
    "picket_sink_queue_bytes",
    "Bytes of rendered alerts waiting in a sink's memory queue.",
    ["sink"]
);
metric!(
    SINK_SPOOL_BYTES,
    "picket_sink_spool_bytes",
    "Bytes of alerts waiting in a sink's on-disk spool.",
    ["sink"]
);
metric!(
    SINK_BACKPRESSURE,
    "picket_sink_backpressure_seconds_total",
    "Time reading was held up because a sink's queue and spool were full.",
    ["sink"]
);
metric!(
    CONFIG_RELOADS,
    "picket_config_reloads_total",
    "Configuration and rule reloads (SIGHUP) that were applied.",
    []
);
metric!(
    CONFIG_RELOAD_FAILURES,
    "picket_config_reload_failures_total",
    "Reloads (SIGHUP) rejected because the new configuration or rules are invalid; the old ones stay.",
    []
);
metric!(
    CONFIG_LAST_RELOAD_OK,
    "picket_config_last_reload_successful",
    "1 if the last reload was applied (or none was tried), 0 if it was rejected.",
    []
);
metric!(
    CHECKPOINT_WRITES,
    "picket_checkpoint_writes_total",
    "Checkpoint files written.",
    []
);
metric!(
    CHECKPOINT_ERRORS,
    "picket_checkpoint_errors_total",
    "Checkpoint files that could not be loaded (op=load) or written (op=write).",
    ["op"]
);
metric!(
    CORRELATION_EVICTIONS,
    "picket_correlation_evictions_total",
    "Correlation groups evicted because a rule reached its group cap, by correlation rule.",
    ["rule"]
);
metric!(
    CORRELATION_DROPPED,
    "picket_correlation_dropped_total",
    "Matches a correlation could not count (late, no timestamp) or dropped from a full window (truncated), by correlation rule and reason.",
    ["rule", "reason"]
);
