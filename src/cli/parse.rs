//! `picket parse`: print normalized events as JSON lines.

use super::args::ParseArgs;
use super::setup;
use anyhow::Result;
use picket::detect::rule::RuleSet;
use picket::pipeline::{Mode, Outputs};
use picket::source::{ChunkReaderBuilder, FileTable, expand_paths, read_inputs};
use picket::telemetry::Metrics;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

/// Runs `picket parse`.
pub fn run(a: ParseArgs) -> Result<ExitCode> {
    let cfg = setup::load_config(a.config.as_deref())?;
    let pi = setup::pi_config(&cfg, None)?;
    let mut pipeline = setup::pipeline(
        &cfg,
        Mode::Events,
        RuleSet::default(),
        &pi,
        a.threads,
        Metrics::new(),
    )?;
    let inputs = expand_paths(&a.paths)?;
    let table = FileTable::new();
    let reader = ChunkReaderBuilder::default().max_line(cfg.limits.max_line_bytes);
    let errors = Mutex::new(Vec::new());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let summary = pipeline.run(
        |sender| {
            let e = read_inputs(&inputs, a.format, &table, &reader, "parse", sender);
            *errors.lock().unwrap_or_else(|p| p.into_inner()) = e;
        },
        Outputs {
            sinks: &mut [],
            events: Some(&mut out as &mut dyn Write),
            acks: &mut (),
            observer: &mut (),
        },
    )?;
    out.flush()?;
    // Malformed lines are not output; say where they were on stderr.
    for e in &summary.error_samples {
        eprintln!("{}:{}:{}: {}", e.path, e.line, e.column, e.reason.text());
    }
    if summary.total_errors() > summary.error_samples.len() as u64 {
        eprintln!("picket: {} malformed lines in all", summary.total_errors());
    }
    let errors = errors.into_inner().unwrap_or_default();
    for e in &errors {
        eprintln!("picket: error: {e}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
