//! `picket run`: load config and rules, build the engine, hand over to the
//! daemon (`picket::daemon`), and rebuild both on SIGHUP.

use super::args::RunArgs;
use super::setup;
use anyhow::{Context, Result};
use picket::config::ConfigFile;
use picket::daemon::{DaemonOptions, Reload, Reloaded};
use picket::detect::Detector;
use picket::detect::pi::PiScanner;
use picket::enrich::Enricher;
use picket::pipeline::{Mode, Stages};
use picket::telemetry::Metrics;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Re-reads the config file and rule paths given on the command line.
struct CliReload {
    config: PathBuf,
    rules: Vec<PathBuf>,
    builtin: bool,
}

impl CliReload {
    fn build(&self) -> Result<Reloaded> {
        let config = ConfigFile::load(&self.config)?;
        let options = setup::rule_options(&config)?;
        let rules = picket::detect::rule::RuleSet::load_with(&self.rules, self.builtin, &options)
            .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        })?;
        let pi = setup::pi_config(&config, Some(&config.state.dir))?;
        let enricher = Enricher::from_config(&config).context("config")?;
        let n = rules.rules().len() + rules.correlations().rules().len();
        let detector = Detector::new(Arc::new(rules), Some(Arc::new(PiScanner::new(&pi))));
        let stages = Stages::new(
            Mode::Detect,
            enricher,
            detector,
            config.limits.max_line_bytes,
        );
        Ok(Reloaded {
            config,
            stages,
            rules: n,
        })
    }
}

impl Reload for CliReload {
    fn reload(&mut self) -> Result<Reloaded, String> {
        self.build().map_err(|e| format!("{e:#}"))
    }
}

/// Runs the daemon.
pub fn run(a: RunArgs) -> Result<ExitCode> {
    let Some(config_path) = a.common.config.clone() else {
        anyhow::bail!(
            "`picket run` needs --config FILE (see docs/CONFIG.md and deploy/picket.toml)"
        );
    };
    if a.common.format != picket::parse::FormatChoice::Auto {
        anyhow::bail!(
            "`picket run` takes the format of each source from its `format` setting, not --format"
        );
    }
    let cfg = setup::load_config(Some(&config_path))?;
    let rules = setup::load_rules(
        &a.common.rules,
        !a.common.no_default_rules,
        &setup::rule_options(&cfg)?,
    )?;
    let pi = setup::pi_config(&cfg, Some(&cfg.state.dir))?;
    let pipeline = setup::pipeline(
        &cfg,
        Mode::Detect,
        rules,
        &pi,
        a.common.threads,
        Metrics::new(),
    )?;
    let mut reload = CliReload {
        config: config_path,
        rules: a.common.rules.clone(),
        builtin: !a.common.no_default_rules,
    };
    picket::daemon::run(
        cfg,
        pipeline,
        &mut reload,
        DaemonOptions { ack_log: a.ack_log },
    )?;
    Ok(ExitCode::SUCCESS)
}
