//! `picket run` with a Kafka source (issue 10, `docs/SCALING.md`): the same
//! sinks, metrics endpoint and signals as the tailing daemon, with a
//! [`KafkaSource`] consumer-group member in place of the tailer and of the
//! checkpoint file (offsets are committed to Kafka instead).

use super::{DaemonError, Services, shutdown, start_services};
use crate::clock::SystemClock;
use crate::config::ConfigFile;
use crate::pipeline::Pipeline;
use crate::source::kafka::KafkaSource;
use crate::telemetry::Health;
use std::time::Duration;

/// Runs the daemon over the config's single Kafka source until
/// SIGTERM/SIGINT. `pipeline` is the template every partition's pipeline
/// is a sibling of.
pub(super) fn run(config: ConfigFile, pipeline: Pipeline) -> Result<(), DaemonError> {
    let (index, src) = super::kafka_source(&config)?;
    let kafka = src.kafka.as_ref().ok_or_else(|| {
        DaemonError::Config("internal: the Kafka source has no [sources.kafka]".into())
    })?;
    let name = src.name_or_default(index);
    if config.privacy.fingerprint_key.is_none() {
        crate::warn!(
            "kafka: no privacy.fingerprint_key: this instance's own key names baseline entities, so snapshots from other instances are discarded (set the same key on every instance)"
        );
    }
    let state_dir = config.state.dir.clone();
    std::fs::create_dir_all(&state_dir).map_err(|source| DaemonError::State {
        path: state_dir.display().to_string(),
        source,
    })?;
    let metrics = pipeline.metrics().clone();
    let health = Health::new();
    let clock = SystemClock::shared();
    let Services {
        rt,
        control,
        sinks,
        abort,
    } = start_services(&config, &metrics, &health, &clock)?;

    let source = KafkaSource::new(
        &name,
        kafka,
        src.read_from,
        pipeline,
        sinks.queues.clone(),
        &state_dir,
    )
    .map_err(|e| DaemonError::Config(e.to_string()))?;
    crate::info!(
        "running: kafka source {name} (group {}, {} topic(s)), {} sink(s), pid {}",
        kafka.group_id,
        kafka.topics.len(),
        sinks.queues.len(),
        std::process::id()
    );
    let stop = || {
        if control.take_reload() {
            crate::warn!("reload: not supported with a Kafka source yet; restart to apply changes");
        }
        control.stopping()
    };
    let result = source.run(&stop);
    if let Ok(s) = &result {
        crate::info!(
            "kafka: {} messages, {} assignments, {} revocations, {} commits",
            s.messages,
            s.assigned,
            s.revoked,
            s.commits
        );
    }
    // Leaving the group (librdkafka's consumer close) can wait on a
    // rebalance the coordinator is still running; every offset is already
    // committed, so do not let it hold the exit for long: at worst the
    // group notices after `session.timeout.ms`.
    let (left_tx, left_rx) = std::sync::mpsc::channel();
    let leaving = std::thread::Builder::new()
        .name("picket-kafka-close".into())
        .spawn(move || {
            drop(source);
            let _ = left_tx.send(());
        });
    shutdown(sinks, &abort, config.daemon.shutdown_timeout.0);
    if leaving.is_ok() && left_rx.recv_timeout(Duration::from_secs(5)).is_err() {
        crate::warn!("kafka: leaving the group takes too long; exiting without waiting");
    }
    crate::info!("stopped");
    rt.shutdown_timeout(Duration::from_millis(100));
    result
        .map(|_| ())
        .map_err(|e| DaemonError::Config(e.to_string()))
}
