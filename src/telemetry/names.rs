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
