//! `picket replay`: batch over files, directories and stdin.

use super::args::ReplayArgs;
use super::progress::Progress;
use super::setup;
use anyhow::{Context, Result};
use picket::pipeline::{InputSummary, Mode, Outputs};
use picket::report::{Meta, ReportSink};
use picket::sink::{JsonLinesSink, Sink};
use picket::source::{ChunkReaderBuilder, FileTable, InputError, expand_paths, read_inputs};
use picket::telemetry::Metrics;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;

/// Runs a replay.
pub fn run(a: ReplayArgs) -> Result<ExitCode> {
    let cfg = setup::load_config(a.common.config.as_deref())?;
    let rules = setup::load_rules(
        &a.common.rules,
        !a.common.no_default_rules,
        &setup::rule_options(&cfg)?,
    )?;
    let pi = setup::pi_config(&cfg, a.state.as_deref())?;
    let metrics = Metrics::new();
    let mut pipeline = setup::pipeline(&cfg, Mode::Detect, rules, &pi, a.common.threads, metrics)?;
    if let Some(dir) = &a.state {
        // Saved at the end of the run; loaded now so learning resumes.
        for note in pipeline.use_state_dir(dir, None) {
            if !a.quiet || !note.ends_with(&dir.display().to_string()) {
                eprintln!("picket: {note}");
            }
        }
    }

    let mut input_errors: Vec<String> = Vec::new();
    let mut inputs = Vec::new();
    for p in &a.paths {
        match expand_paths(std::slice::from_ref(p)) {
            Ok(mut v) => inputs.append(&mut v),
            Err(e) => input_errors.push(e.to_string()),
        }
    }
    let mut sinks: Vec<Box<dyn Sink>> = vec![match &a.alerts {
        Some(p) => Box::new(
            JsonLinesSink::file("file", p).with_context(|| format!("opening {}", p.display()))?,
        ),
        None => Box::new(JsonLinesSink::stdout()),
    }];
    let report = a.report.as_ref().map(|_| ReportSink::new());
    if let Some(r) = &report {
        sinks.push(Box::new(r.clone()));
    }
    let show = !a.quiet && std::io::stderr().is_terminal();
    let mut progress = Progress::new(show, &inputs);
    let table = FileTable::new();
    let reader = ChunkReaderBuilder::default().max_line(cfg.limits.max_line_bytes);
    let read_errors: Mutex<Vec<InputError>> = Mutex::new(Vec::new());
    let format = a.common.format;
    let result = pipeline.run(
        |sender| {
            let errs = read_inputs(&inputs, format, &table, &reader, "replay", sender);
            *read_errors.lock().unwrap_or_else(|e| e.into_inner()) = errs;
        },
        Outputs {
            sinks: &mut sinks,
            events: None,
            acks: &mut (),
            observer: &mut progress,
        },
    );
    progress.finish();
    let mut summary = result?;
    summary.inputs = table
        .all()
        .iter()
        .map(|f| InputSummary {
            path: f.path.clone(),
            format: f.format,
            sniffed: f.detected,
        })
        .collect();
    for e in read_errors.into_inner().unwrap_or_default() {
        input_errors.push(e.to_string());
    }
    if let Some(p) = &a.metrics_out {
        std::fs::write(p, pipeline.metrics().render())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let (Some(path), Some(r)) = (&a.report, &report) {
        let mut findings = r.findings();
        // Repeats are counted when suppressed, whether or not a later alert
        // of the same key carried the count: take the metric's figure.
        let suppressed = &pipeline.metrics().alerts_suppressed;
        for (rule, tally) in findings.rules.iter_mut() {
            tally.suppressed = suppressed.with_label_values(&[rule.as_str()]).get();
        }
        let html = picket::report::render(&Meta::now(), &summary, &findings);
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
    }
    if !a.quiet {
        eprint!("{}", summary.render());
    }
    for e in &input_errors {
        eprintln!("picket: error: {e}");
    }
    Ok(if input_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
