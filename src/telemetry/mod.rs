//! Telemetry: Prometheus metrics (SPEC §7).
//!
//! Every metric name and label set is declared once, in [`names`]; the rest
//! of picket reports through [`Metrics`]' typed methods and never builds a
//! metric name itself. Labels only carry bounded sets (format, source name
//! from config, rule id, level, kind, category, field, sink, reason, outcome):
//! never user names, addresses, paths or values.
//!
//! Hot-path stages do not touch these counters per line: workers count into
//! plain per-chunk tallies that the collector adds here once per chunk.

mod health;
pub mod http;
pub mod names;

pub use health::Health;

use prometheus::{
    CounterVec, Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// All of picket's metrics, registered in one registry.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// `picket_events_total{format,source}`.
    pub events: IntCounterVec,
    /// `picket_lines_total{source}`.
    pub lines: IntCounterVec,
    /// `picket_bytes_read_total{source}`.
    pub bytes_read: IntCounterVec,
    /// `picket_parse_errors_total{format,reason}`.
    pub parse_errors: IntCounterVec,
    /// `picket_alerts_total{rule,level,kind}`.
    pub alerts: IntCounterVec,
    /// `picket_alerts_suppressed_total{rule}`.
    pub alerts_suppressed: IntCounterVec,
    /// `picket_pi_findings_total{category,field}`.
    pub pi_findings: IntCounterVec,
    /// `picket_pipeline_latency_seconds`: read → alert delivered.
    pub pipeline_latency: Histogram,
    /// `picket_source_lag_bytes{source}`.
    pub source_lag: IntGaugeVec,
    /// `picket_sink_deliveries_total{sink,outcome}`.
    pub sink_deliveries: IntCounterVec,
    /// `picket_state_entities{detector}`.
    pub state_entities: IntGaugeVec,
    /// `picket_rules_loaded`.
    pub rules_loaded: IntGauge,
    /// `picket_source_files{source}`.
    pub source_files: IntGaugeVec,
    /// `picket_source_rotations_total{source,kind}`.
    pub source_rotations: IntCounterVec,
    /// `picket_kafka_partitions{source}`.
    pub kafka_partitions: IntGaugeVec,
    /// `picket_kafka_lag_messages{source}`.
    pub kafka_lag: IntGaugeVec,
    /// `picket_kafka_rebalances_total{source,kind}`.
    pub kafka_rebalances: IntCounterVec,
    /// `picket_kafka_commits_total{source,outcome}`.
    pub kafka_commits: IntCounterVec,
    /// `picket_sink_retries_total{sink}`.
    pub sink_retries: IntCounterVec,
    /// `picket_sink_spooled_total{sink}`.
    pub sink_spooled: IntCounterVec,
    /// `picket_sink_dropped_total{sink,reason}`.
    pub sink_dropped: IntCounterVec,
    /// `picket_sink_queue_bytes{sink}`.
    pub sink_queue_bytes: IntGaugeVec,
    /// `picket_sink_spool_bytes{sink}`.
    pub sink_spool_bytes: IntGaugeVec,
    /// `picket_sink_backpressure_seconds_total{sink}`.
    pub sink_backpressure: CounterVec,
    /// `picket_config_reloads_total`.
    pub config_reloads: IntCounter,
    /// `picket_config_reload_failures_total`.
    pub config_reload_failures: IntCounter,
    /// `picket_config_last_reload_successful`.
    pub config_last_reload_ok: IntGauge,
    /// `picket_checkpoint_writes_total`.
    pub checkpoint_writes: IntCounter,
    /// `picket_checkpoint_errors_total{op}`.
    pub checkpoint_errors: IntCounterVec,
    /// `picket_correlation_evictions_total{rule}`.
    pub correlation_evictions: IntCounterVec,
    /// `picket_correlation_dropped_total{rule,reason}`.
    pub correlation_dropped: IntCounterVec,
}

impl Metrics {
    /// Registers every metric (and the process collector on Linux).
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |n: &names::MetricName| {
            let c = IntCounterVec::new(Opts::new(n.name, n.help), n.labels)
                .expect("static metric definitions are valid");
            registry
                .register(Box::new(c.clone()))
                .expect("metric names are unique");
            c
        };
        let gauge = |n: &names::MetricName| {
            let g = IntGaugeVec::new(Opts::new(n.name, n.help), n.labels)
                .expect("static metric definitions are valid");
            registry
                .register(Box::new(g.clone()))
                .expect("metric names are unique");
            g
        };
        let events = counter(&names::EVENTS);
        let lines = counter(&names::LINES);
        let bytes_read = counter(&names::BYTES_READ);
        let parse_errors = counter(&names::PARSE_ERRORS);
        let alerts = counter(&names::ALERTS);
        let alerts_suppressed = counter(&names::ALERTS_SUPPRESSED);
        let pi_findings = counter(&names::PI_FINDINGS);
        let source_lag = gauge(&names::SOURCE_LAG);
        let sink_deliveries = counter(&names::SINK_DELIVERIES);
        let state_entities = gauge(&names::STATE_ENTITIES);
        let correlation_evictions = counter(&names::CORRELATION_EVICTIONS);
        let correlation_dropped = counter(&names::CORRELATION_DROPPED);
        let build_info = gauge(&names::BUILD_INFO);
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        let int_counter = |n: &names::MetricName| {
            let c = IntCounter::new(n.name, n.help).expect("static metric definitions are valid");
            registry
                .register(Box::new(c.clone()))
                .expect("metric names are unique");
            c
        };
        let int_gauge = |n: &names::MetricName| {
            let g = IntGauge::new(n.name, n.help).expect("static metric definitions are valid");
            registry
                .register(Box::new(g.clone()))
                .expect("metric names are unique");
            g
        };
        let rules_loaded = int_gauge(&names::RULES_LOADED);
        let source_files = gauge(&names::SOURCE_FILES);
        let source_rotations = counter(&names::SOURCE_ROTATIONS);
        let kafka_partitions = gauge(&names::KAFKA_PARTITIONS);
        let kafka_lag = gauge(&names::KAFKA_LAG);
        let kafka_rebalances = counter(&names::KAFKA_REBALANCES);
        let kafka_commits = counter(&names::KAFKA_COMMITS);
        let sink_retries = counter(&names::SINK_RETRIES);
        let sink_spooled = counter(&names::SINK_SPOOLED);
        let sink_dropped = counter(&names::SINK_DROPPED);
        let sink_queue_bytes = gauge(&names::SINK_QUEUE_BYTES);
        let sink_spool_bytes = gauge(&names::SINK_SPOOL_BYTES);
        let sink_backpressure = CounterVec::new(
            Opts::new(names::SINK_BACKPRESSURE.name, names::SINK_BACKPRESSURE.help),
            names::SINK_BACKPRESSURE.labels,
        )
        .expect("static metric definitions are valid");
        registry
            .register(Box::new(sink_backpressure.clone()))
            .expect("metric names are unique");
        let config_reloads = int_counter(&names::CONFIG_RELOADS);
        let config_reload_failures = int_counter(&names::CONFIG_RELOAD_FAILURES);
        let config_last_reload_ok = int_gauge(&names::CONFIG_LAST_RELOAD_OK);
        config_last_reload_ok.set(1);
        let checkpoint_writes = int_counter(&names::CHECKPOINT_WRITES);
        let checkpoint_errors = counter(&names::CHECKPOINT_ERRORS);
        let pipeline_latency = Histogram::with_opts(
            HistogramOpts::new(names::PIPELINE_LATENCY.name, names::PIPELINE_LATENCY.help).buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ],
            ),
        )
        .expect("static metric definitions are valid");
        registry
            .register(Box::new(pipeline_latency.clone()))
            .expect("metric names are unique");
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            let _ = registry.register(Box::new(pc));
        }
        Metrics {
            registry,
            events,
            lines,
            bytes_read,
            parse_errors,
            alerts,
            alerts_suppressed,
            pi_findings,
            pipeline_latency,
            source_lag,
            sink_deliveries,
            state_entities,
            rules_loaded,
            source_files,
            source_rotations,
            kafka_partitions,
            kafka_lag,
            kafka_rebalances,
            kafka_commits,
            sink_retries,
            sink_spooled,
            sink_dropped,
            sink_queue_bytes,
            sink_spool_bytes,
            sink_backpressure,
            config_reloads,
            config_reload_failures,
            config_last_reload_ok,
            checkpoint_writes,
            checkpoint_errors,
            correlation_evictions,
            correlation_dropped,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let families = self.registry.gather();
        if TextEncoder::new().encode(&families, &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_spec_names() {
        let m = Metrics::new();
        m.events.with_label_values(&["combined", "replay"]).inc();
        m.parse_errors
            .with_label_values(&["combined", "bad_status"])
            .inc();
        let text = m.render();
        for name in [
            "picket_events_total{format=\"combined\",source=\"replay\"} 1",
            "picket_build_info{version=",
            "# TYPE picket_pipeline_latency_seconds histogram",
            "picket_parse_errors_total{format=\"combined\",reason=\"bad_status\"} 1",
        ] {
            assert!(text.contains(name), "missing {name} in\n{text}");
        }
    }
}
