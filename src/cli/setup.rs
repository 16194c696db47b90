//! Building the engine from command-line options and config.

use anyhow::{Context, Result};
use picket::alert::Suppressor;
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::correlation::{BusinessHours, DropReason};
use picket::detect::pi::{Category, PiConfig, PiScanner};
use picket::detect::rule::{RuleOptions, RuleSet};
use picket::enrich::Enricher;
use picket::pipeline::{Mode, Pipeline, PipelineBuilder, Stages};
use picket::telemetry::Metrics;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Loads the config file, or the defaults when none is given.
pub fn load_config(path: Option<&Path>) -> Result<ConfigFile> {
    match path {
        Some(p) => Ok(ConfigFile::load(p)?),
        None => Ok(ConfigFile::default()),
    }
}

/// The rule compilation settings of `[rules]` (placeholders, log sources).
pub fn rule_options(cfg: &ConfigFile) -> Result<RuleOptions> {
    cfg.rules.options().map_err(anyhow::Error::msg)
}

/// Loads rules; every error is printed as `FILE:LINE:COL: message`.
pub fn load_rules(paths: &[PathBuf], builtin: bool, options: &RuleOptions) -> Result<RuleSet> {
    RuleSet::load_with(paths, builtin, options).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        anyhow::anyhow!("{} rule error(s)", errors.len())
    })
}

/// The PI scanner settings from config.
pub fn pi_config(cfg: &ConfigFile, state_dir: Option<&Path>) -> Result<PiConfig> {
    let key = picket::state::fingerprint_key(cfg.privacy.fingerprint_key.as_deref(), state_dir)
        .context("fingerprint key")?;
    let mut pi = PiConfig::new(key);
    pi.reveal = cfg.privacy.reveal;
    if let Some(names) = &cfg.privacy.categories {
        pi.enabled = names
            .iter()
            .map(|n| {
                n.parse::<Category>()
                    .map_err(|_| anyhow::anyhow!("privacy.categories: unknown category `{n}`"))
            })
            .collect::<Result<_>>()?;
    }
    Ok(pi)
}

/// Builds the pipeline for a run.
pub fn pipeline(
    cfg: &ConfigFile,
    mode: Mode,
    rules: RuleSet,
    pi: &PiConfig,
    threads: Option<usize>,
    metrics: Metrics,
) -> Result<Pipeline> {
    let enricher = Enricher::from_config(cfg).context("config")?;
    metrics
        .rules_loaded
        .set((rules.rules().len() + rules.correlations().rules().len()) as i64);
    // Each correlation rule's counters exist from the start, at 0
    // (docs/METRICS.md "Series exported at 0").
    for c in rules.correlations().rules() {
        let id = c.info.id.as_str();
        metrics.correlation_evictions.with_label_values(&[id]);
        for reason in [
            DropReason::Late,
            DropReason::NoTimestamp,
            DropReason::Truncated,
        ] {
            metrics
                .correlation_dropped
                .with_label_values(&[id, reason.label()]);
        }
    }
    let detector = Detector::new(Arc::new(rules), Some(Arc::new(PiScanner::new(pi))));
    let stages = Stages::new(mode, enricher, detector, cfg.limits.max_line_bytes);
    let mut settings = cfg.correlation.settings();
    settings.business_hours = BusinessHours::parse(&cfg.staff.business_hours, &cfg.staff.timezone)
        .map_err(anyhow::Error::msg)
        .context("config")?;
    let mut b = PipelineBuilder::default()
        .queue(cfg.limits.queue_chunks)
        .correlation(settings)
        .baseline_key(pi.fingerprint_key.clone());
    if let Some(n) = threads {
        b = b.threads(n);
    }
    let suppressor = Suppressor::new(
        cfg.alerts.suppress_window.as_nanos_i64(),
        cfg.alerts.suppress_max_keys,
    )
    .with_gauge(metrics.state_entities.with_label_values(&["suppression"]));
    Ok(b.build(stages, metrics, suppressor))
}
