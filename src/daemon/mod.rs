//! `picket run`: the tailing daemon (SPEC §1, §8).
//!
//! ```text
//!  tokio runtime (1 thread)        pipeline (std threads)                       sinks (1 thread each)
//!  ────────────────────────        ──────────────────────                       ─────────────────────
//!  signals ──▶ Control ──wake──▶   tailer (producer) ─▶ workers ─▶ collector ─▶ QueuedSink ─▶ queue ─▶ worker ─▶ destination
//!  inotify ───────────────wake──▶     ▲                              │ acks          (memory → spool → backpressure)
//!  /metrics, /healthz (hyper)         │ checkpoints at start         ▼                    │ durable batch count
//!  checkpoint task ◀── Ledger ◀──── AckTracker ◀─────────────────────┘◀───────────────────┘
//!        └──▶ state.dir/checkpoints.json (atomic, versioned)
//! ```
//!
//! The main thread runs the pipeline with the [`Tailer`] as its producer
//! until a stop or reload request. A reload swaps the pipeline's stages
//! and the tailer's sources between two runs (the pipeline drains in
//! between; tailing positions live in the tailer, so nothing is re-read).
//! A stop drains the pipeline, closes the sink queues and waits for them
//! (up to `daemon.shutdown_timeout`), then writes the last checkpoint.
//!
//! At-least-once: an input offset is checkpointed only after every alert
//! of every line before it is durable in every sink ([`ledger`]). After a
//! crash, only what was not checkpointed is read again; after a clean stop
//! nothing is read twice.

mod control;
#[cfg(feature = "kafka")]
mod kafka;
pub mod ledger;

pub use control::{Control, TailWaiter};
pub use ledger::{AckTracker, CheckpointTimer, Ledger};

use crate::clock::{SharedClock, SystemClock};
use crate::config::{ConfigFile, SinkConfig, StdoutSinkConfig};
use crate::logging::path as safe;
use crate::pipeline::{Outputs, Pipeline, PipelineError, Stages};
use crate::sink::backoff::Backoff;
use crate::sink::spool::Spool;
use crate::sink::transport::{self, TransportError};
use crate::sink::{QueuedSink, Sink, SinkQueue, spawn_worker};
use crate::source::FileTable;
use crate::source::checkpoint::Checkpoints;
use crate::source::tail::{Registry, SourceSpec, TailSettings, Tailer};
use crate::telemetry::{Health, Metrics, http};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A new configuration and engine, built by the caller on SIGHUP.
#[derive(Debug)]
pub struct Reloaded {
    /// The new configuration file.
    pub config: ConfigFile,
    /// Stages built from it and the re-read rules.
    pub stages: Stages,
    /// Number of rules loaded.
    pub rules: usize,
}

/// Rebuilds configuration and rules (the CLI knows the paths). An error is
/// a human message (`FILE:LINE:COL: …` lines); the old ones stay.
pub trait Reload {
    /// Loads everything again.
    fn reload(&mut self) -> Result<Reloaded, String>;
}

/// Options of a daemon run that are not in the config file.
#[derive(Debug, Default, Clone)]
pub struct DaemonOptions {
    /// Append every acknowledgement to this file (positions only; a
    /// debugging and test aid, see [`AckTracker::new`]).
    pub ack_log: Option<PathBuf>,
}

/// Why the daemon could not start or had to stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The configuration cannot run.
    #[error("config: {0}")]
    Config(String),
    /// The state directory is unusable.
    #[error("state directory {path}: {source}")]
    State {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `metrics.listen` cannot be bound.
    #[error("metrics.listen {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A sink cannot be built.
    #[error(transparent)]
    Sink(#[from] TransportError),
    /// Threads or the runtime could not start.
    #[error("runtime: {0}")]
    Runtime(#[source] io::Error),
    /// The pipeline failed (a bug).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// The config's Kafka source and its index (see
/// [`ConfigFile::kafka_source`]).
pub fn kafka_source(
    cfg: &ConfigFile,
) -> Result<(usize, &crate::config::SourceConfig), DaemonError> {
    match cfg.kafka_source() {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(DaemonError::Config("no Kafka source".into())),
        Err(e) => Err(DaemonError::Config(e)),
    }
}

/// Compiles the `[[sources]]` of a config.
pub fn compile_sources(cfg: &ConfigFile) -> Result<Vec<SourceSpec>, DaemonError> {
    let specs = cfg
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.kafka.is_some() {
                return Err(DaemonError::Config(format!(
                    "source `{}`: a Kafka source must be the only [[sources]] entry",
                    s.name_or_default(i)
                )));
            }
            if s.path.is_empty() {
                return Err(DaemonError::Config(format!(
                    "source `{}`: needs `path` (a glob of files to tail) or a [sources.kafka] table",
                    s.name_or_default(i)
                )));
            }
            SourceSpec::new(i, s).map_err(|e| DaemonError::Config(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if specs.is_empty() {
        return Err(DaemonError::Config(
            "`picket run` needs at least one [[sources]] entry".into(),
        ));
    }
    let mut names: Vec<&str> = specs.iter().map(|s| &*s.name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(DaemonError::Config(format!(
            "two sources are named `{}`",
            w[0]
        )));
    }
    Ok(specs)
}

/// The configured sinks, or stdout when none is.
fn sink_configs(cfg: &ConfigFile) -> Vec<SinkConfig> {
    if cfg.sinks.is_empty() {
        crate::info!("no [[sinks]] configured: alerts go to standard output");
        return vec![SinkConfig::Stdout(StdoutSinkConfig {
            name: None,
            buffer: Default::default(),
            retry: Default::default(),
        })];
    }
    cfg.sinks.clone()
}

/// The sink queues and their delivery threads.
struct Sinks {
    queues: Vec<Arc<SinkQueue>>,
    workers: Vec<(String, JoinHandle<()>)>,
}

fn build_sinks(
    cfg: &ConfigFile,
    metrics: &Metrics,
    health: &Health,
    clock: &SharedClock,
) -> Result<Sinks, DaemonError> {
    let all = sink_configs(cfg);
    let labels: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, s)| s.label(i, &all))
        .collect();
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].contains(l) {
            return Err(DaemonError::Config(format!("two sinks are named `{l}`")));
        }
    }
    let mut sinks = Sinks {
        queues: Vec::new(),
        workers: Vec::new(),
    };
    for (i, (s, label)) in all.iter().zip(&labels).enumerate() {
        let transport = transport::build(label, s)?;
        let buffer = s.common().buffer();
        let spool = if buffer.spool_max_bytes.0 > 0 {
            let dir = cfg.state.dir.join("spool").join(dir_name(label));
            let spool = Spool::open(&dir, buffer.spool_max_bytes.0).map_err(|source| {
                DaemonError::State {
                    path: dir.display().to_string(),
                    source,
                }
            })?;
            if !spool.is_empty() {
                crate::info!(
                    "sink {label}: {} spooled batches from an earlier run are delivered first",
                    spool.len()
                );
            }
            Some(spool)
        } else {
            None
        };
        let q = SinkQueue::new(
            label,
            buffer.memory_max_bytes.0,
            spool,
            metrics.clone(),
            health.clone(),
        );
        let retry = s.common().retry();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ i as u64;
        let backoff = Backoff::new(retry.initial.0, retry.max.0, seed);
        let h = spawn_worker(q.clone(), transport, backoff, clock.clone())
            .map_err(DaemonError::Runtime)?;
        sinks.queues.push(q);
        sinks.workers.push((label.clone(), h));
    }
    Ok(sinks)
}

/// A directory name for a sink label.
fn dir_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Commits durable acks and writes the checkpoint file if it changed.
fn checkpoint(
    ledger: &Ledger,
    queues: &[Arc<SinkQueue>],
    registry: &Registry,
    dir: &Path,
    metrics: &Metrics,
    health: &Health,
) {
    ledger.commit(ledger::durable(queues), registry);
    match registry.save(dir) {
        Ok(true) => {
            metrics.checkpoint_writes.inc();
            health.clear("checkpoint");
        }
        Ok(false) => {}
        Err(e) => {
            metrics
                .checkpoint_errors
                .with_label_values(&["write"])
                .inc();
            if !health.problems().contains_key("checkpoint") {
                crate::error!("{e}");
            }
            health.set("checkpoint", "cannot write the checkpoint file");
        }
    }
}

/// Sections a reload cannot apply while running.
fn restart_needed(old: &ConfigFile, new: &ConfigFile) -> Vec<&'static str> {
    let mut v = Vec::new();
    if old.sinks != new.sinks {
        v.push("[[sinks]]");
    }
    if old.state != new.state {
        v.push("[state]");
    }
    if old.metrics != new.metrics {
        v.push("[metrics]");
    }
    if old.tail != new.tail {
        v.push("[tail]");
    }
    if old.daemon != new.daemon {
        v.push("[daemon]");
    }
    if old.limits != new.limits {
        v.push("[limits]");
    }
    if old.alerts != new.alerts {
        v.push("[alerts]");
    }
    if old.correlation != new.correlation {
        v.push("[correlation]");
    }
    v
}

/// Runs the daemon until SIGTERM/SIGINT. `pipeline` was built from
/// `config`; `reload` rebuilds both on SIGHUP.
pub fn run(
    config: ConfigFile,
    mut pipeline: Pipeline,
    reload: &mut dyn Reload,
    opts: DaemonOptions,
) -> Result<(), DaemonError> {
    if config.sources.iter().any(|s| s.kafka.is_some()) {
        kafka_source(&config)?;
        #[cfg(feature = "kafka")]
        return kafka::run(config, pipeline);
        #[cfg(not(feature = "kafka"))]
        return Err(DaemonError::Config(
            "Kafka sources need a picket built with the `kafka` feature (cargo build --features kafka)"
                .into(),
        ));
    }
    let sources = compile_sources(&config)?;
    let state_dir = config.state.dir.clone();
    std::fs::create_dir_all(&state_dir).map_err(|source| DaemonError::State {
        path: state_dir.display().to_string(),
        source,
    })?;
    // Baselines (perhaps learned by `replay --state` on archives) resume
    // here; saved every minute at most, and at every stop and reload.
    let every = config
        .state
        .checkpoint_interval
        .0
        .max(Duration::from_secs(60));
    for note in pipeline.use_state_dir(&state_dir, Some(every)) {
        crate::info!("{note}");
    }
    let metrics = pipeline.metrics().clone();
    for op in ["load", "write"] {
        metrics.checkpoint_errors.with_label_values(&[op]); // exported at 0
    }
    let health = Health::new();
    let clock = SystemClock::shared();

    let (checkpoints, err) = Checkpoints::load(&state_dir);
    if let Some(e) = err {
        crate::error!("{e}; starting without checkpoints (`read_from` applies to every file)");
        metrics.checkpoint_errors.with_label_values(&["load"]).inc();
    } else {
        crate::info!(
            "{} file checkpoints loaded from {}",
            checkpoints.len(),
            safe(&state_dir)
        );
    }
    let registry = Arc::new(Registry::new(checkpoints));

    let Services {
        rt,
        control,
        sinks,
        abort,
    } = start_services(&config, &metrics, &health, &clock)?;

    let ledger = Arc::new(Ledger::new());
    {
        let (ledger, queues, registry) = (ledger.clone(), sinks.queues.clone(), registry.clone());
        let (dir, m, h, clock) = (
            state_dir.clone(),
            metrics.clone(),
            health.clone(),
            clock.clone(),
        );
        let mut timer = CheckpointTimer::new(config.state.checkpoint_interval.0);
        let tick = config
            .state
            .checkpoint_interval
            .0
            .clamp(Duration::from_millis(10), Duration::from_millis(250));
        rt.spawn(async move {
            let mut iv = tokio::time::interval(tick);
            loop {
                iv.tick().await;
                if timer.due(clock.now()) {
                    let (l, q, r) = (ledger.clone(), queues.clone(), registry.clone());
                    let (d, m, h) = (dir.clone(), m.clone(), h.clone());
                    // fsync blocks: keep it off the runtime's only thread.
                    let _ = tokio::task::spawn_blocking(move || checkpoint(&l, &q, &r, &d, &m, &h))
                        .await;
                }
            }
        });
    }

    let table = Arc::new(FileTable::new());
    let mut tailer = Tailer::new(
        TailSettings::from_config(&config.tail, &config.limits),
        sources,
        table,
        registry.clone(),
        metrics.clone(),
        health.clone(),
        clock.clone(),
    );
    {
        let c = control.clone();
        tailer.enable_watch(Arc::new(move || c.wake()));
    }
    let mut tracker = AckTracker::new(
        ledger.clone(),
        sinks.queues.clone(),
        registry.clone(),
        opts.ack_log.as_deref(),
    )
    .map_err(DaemonError::Runtime)?;
    crate::info!(
        "running: {} source(s), {} sink(s), pid {}",
        config.sources.len(),
        sinks.queues.len(),
        std::process::id()
    );

    let mut running = config;
    let mut failure: Option<PipelineError> = None;
    loop {
        let mut fronts: Vec<Box<dyn Sink>> = sinks
            .queues
            .iter()
            .map(|q| Box::new(QueuedSink::new(q.clone())) as Box<dyn Sink>)
            .collect();
        let waiter = TailWaiter {
            control: control.clone(),
            rt: rt.handle().clone(),
        };
        let result = pipeline.run(
            |s| tailer.run(s, &waiter),
            Outputs {
                sinks: &mut fronts,
                events: None,
                acks: &mut tracker,
                observer: &mut (),
            },
        );
        match result {
            Ok(_) => {}
            Err(e) if control.stopping() => {
                crate::warn!("stopped before everything was delivered: {e}");
            }
            Err(e) => {
                crate::error!("pipeline failed: {e}");
                failure = Some(e);
                control.request_stop();
            }
        }
        if control.stopping() {
            crate::debug!("pipeline drained");
            break;
        }
        if control.take_reload() {
            apply_reload(reload, &mut pipeline, &mut tailer, &mut running, &metrics);
        }
    }

    let queues = sinks.queues.clone();
    shutdown(sinks, &abort, running.daemon.shutdown_timeout.0);
    crate::debug!("sinks done");
    checkpoint(&ledger, &queues, &registry, &state_dir, &metrics, &health);
    if !ledger.is_empty() {
        crate::warn!(
            "some input was read but its alerts are not durable; it will be read again at the next start"
        );
    }
    crate::info!("stopped");
    // The last checkpoint is written; what runs on the runtime (HTTP,
    // signals, timers) needs no goodbye.
    rt.shutdown_timeout(Duration::from_millis(100));
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Applies a reload, or keeps everything when the new config or rules fail.
fn apply_reload(
    reload: &mut dyn Reload,
    pipeline: &mut Pipeline,
    tailer: &mut Tailer,
    running: &mut ConfigFile,
    metrics: &Metrics,
) {
    let attempt = reload.reload().and_then(|r| {
        let specs = compile_sources(&r.config).map_err(|e| e.to_string())?;
        Ok((r, specs))
    });
    match attempt {
        Ok((r, specs)) => {
            let later = restart_needed(running, &r.config);
            pipeline.set_stages(r.stages);
            tailer.set_sources(specs);
            if !later.is_empty() {
                crate::warn!(
                    "reload: changes to {} take effect at the next restart",
                    later.join(", ")
                );
            }
            metrics
                .rules_loaded
                .set(i64::try_from(r.rules).unwrap_or(i64::MAX));
            metrics.config_reloads.inc();
            metrics.config_last_reload_ok.set(1);
            crate::info!(
                "reloaded: {} rule(s), {} source(s)",
                r.rules,
                r.config.sources.len()
            );
            // Only what was applied becomes the running configuration.
            running.sources = r.config.sources;
            running.privacy = r.config.privacy;
            running.staff = r.config.staff;
            running.tenants = r.config.tenants;
            running.rules = r.config.rules;
        }
        Err(msg) => {
            metrics.config_reload_failures.inc();
            metrics.config_last_reload_ok.set(0);
            crate::error!(
                "reload failed; the previous configuration and rules stay in use:\n{}",
                msg.trim_end()
            );
        }
    }
}

/// What both daemons (tailing and Kafka) run beside their source: the
/// `/metrics` endpoint, the runtime, signal handling and the sink queues.
struct Services {
    rt: tokio::runtime::Runtime,
    control: Arc<Control>,
    sinks: Sinks,
    /// Aborts every sink queue (a second signal, or the shutdown timeout).
    abort: Arc<dyn Fn() + Send + Sync>,
}

/// Binds the metrics listener, starts the runtime with the signal handlers
/// and the HTTP server on it, and builds the sinks.
fn start_services(
    config: &ConfigFile,
    metrics: &Metrics,
    health: &Health,
    clock: &SharedClock,
) -> Result<Services, DaemonError> {
    let listener = http::bind(&config.metrics.listen).map_err(|source| DaemonError::Listen {
        addr: config.metrics.listen.clone(),
        source,
    })?;
    if let Some(a) = http::local_addr(&listener) {
        crate::info!("serving /metrics and /healthz on http://{a}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("picket-rt")
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;
    let control = Arc::new(Control::new());
    let sinks = build_sinks(config, metrics, health, clock)?;
    let abort: Arc<dyn Fn() + Send + Sync> = {
        let qs = sinks.queues.clone();
        Arc::new(move || qs.iter().for_each(|q| q.abort()))
    };
    let signals = {
        let _g = rt.enter();
        control::install_signals(
            control.clone(),
            config.daemon.shutdown_timeout.0,
            abort.clone(),
        )
        .map_err(DaemonError::Runtime)?
    };
    rt.spawn(signals);
    rt.spawn(http::serve(listener, metrics.clone(), health.clone()));
    Ok(Services {
        rt,
        control,
        sinks,
        abort,
    })
}

/// Closes the sink queues and waits for their workers to deliver what is
/// left, giving up on failing sinks after `timeout`.
fn shutdown(sinks: Sinks, abort: &Arc<dyn Fn() + Send + Sync>, timeout: Duration) {
    for q in &sinks.queues {
        q.close();
    }
    let deadline = Instant::now() + timeout;
    let all_done = |w: &[(String, JoinHandle<()>)]| w.iter().all(|(_, h)| h.is_finished());
    while !all_done(&sinks.workers) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !all_done(&sinks.workers) {
        abort();
        // A request in flight ends at its own timeout; do not wait for it.
        let grace = Instant::now() + Duration::from_secs(2);
        while !all_done(&sinks.workers) && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for (name, h) in sinks.workers {
        if h.is_finished() {
            let _ = h.join();
        } else {
            crate::warn!(
                "sink {name}: still busy at exit; its undelivered input will be read again"
            );
        }
    }
}
