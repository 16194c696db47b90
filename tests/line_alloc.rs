//! The hot path's promise for combined logs (issue 8): parsing, enrichment,
//! the PI prefilter and the built-in rules allocate nothing per line once a
//! worker's scratch buffers exist. Lines that raise an alert or carry PI
//! allocate (the alert, the masked finding); the others do not. Alone in
//! its own test binary because the allocator statistics are process-wide.

use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::pi::{PiConfig, PiScanner};
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::generate::{Generator, GeneratorConfig};
use picket::parse::Format;
use picket::pipeline::{Mode, Stages, WorkerScratch, process_chunk};
use picket::source::{Chunk, FileTable};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn stages() -> Stages {
    let cfg = ConfigFile::default();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let pi = PiScanner::new(&PiConfig::new(b"alloc test".to_vec()));
    Stages::new(
        Mode::Detect,
        Enricher::from_config(&cfg).expect("default config"),
        Detector::new(Arc::new(rules), Some(Arc::new(pi))),
        cfg.limits.max_line_bytes,
    )
}

fn chunk(file: &Arc<picket::source::FileInfo>, data: Vec<u8>) -> Chunk {
    Chunk {
        file: file.clone(),
        seq: 0,
        data,
        start_offset: 0,
        start_line: 1,
        oversized: None,
        last: false,
        audit: None,
    }
}

/// Generated combined lines that raise no alert and carry no PI.
fn clean_lines(stages: &Stages, file: &Arc<picket::source::FileInfo>, n: usize) -> Vec<Vec<u8>> {
    let mut g = Generator::new(GeneratorConfig {
        incidents: false,
        ..GeneratorConfig::default()
    });
    let mut scratch = WorkerScratch::new(stages);
    let mut out = Vec::new();
    let mut tried = 0;
    while out.len() < n && tried < 50 * n {
        tried += 1;
        let mut line = Vec::new();
        g.write_line(&mut line);
        let o = process_chunk(
            stages,
            &mut scratch,
            chunk(file, line.clone()),
            Instant::now(),
        );
        if o.alerts.is_empty() && o.stats.pi.is_empty() && o.stats.errors.is_empty() {
            out.push(line);
        }
    }
    assert_eq!(out.len(), n, "the generator writes enough clean lines");
    out
}

#[test]
fn clean_lines_allocate_nothing_per_line() {
    let stages = stages();
    let table = FileTable::new();
    let file = table.register("gen.log", "test", Format::Combined, false);
    let lines = clean_lines(&stages, &file, 4_000);
    let mut scratch = WorkerScratch::new(&stages);
    let join = |ls: &[Vec<u8>]| ls.concat();
    // Warm-up over every line: scratch buffers reach their working size.
    let warm = process_chunk(
        &stages,
        &mut scratch,
        chunk(&file, join(&lines)),
        Instant::now(),
    );
    assert!(warm.alerts.is_empty());
    assert!(
        !warm.observations.is_empty(),
        "the lines feed the behavioural correlations too"
    );
    drop(warm);
    let mut measure = |ls: &[Vec<u8>]| {
        let data = join(ls);
        let region = Region::new(GLOBAL);
        let o = process_chunk(&stages, &mut scratch, chunk(&file, data), Instant::now());
        let s = region.change();
        assert_eq!(o.stats.lines, ls.len() as u64);
        drop(o);
        s.allocations + s.reallocations
    };
    let many = measure(&lines);
    let few = measure(&lines[..400]);
    // Per chunk, a few buffers are allocated (the next batch of correlation
    // observations, sized like the last one); per line, nothing: ten times
    // the lines cost at most a buffer growth or two more.
    assert!(
        many <= few + 2,
        "400 lines: {few} allocations, {} lines: {many}",
        lines.len()
    );
    assert!(many <= 8, "{many} allocations for {} lines", lines.len());
}

#[test]
fn the_counter_sees_per_line_allocations() {
    // Control: lines with PI do allocate (masked findings), in proportion.
    let stages = stages();
    let table = FileTable::new();
    let file = table.register("pi.log", "test", Format::Combined, false);
    let line = b"203.0.113.9 - - [02/Mar/2026:10:00:00 +0000] \"GET /u/jane.doe@example.com HTTP/1.1\" 200 12 \"-\" \"curl/8\"\n";
    let data: Vec<u8> = line.repeat(200);
    let mut scratch = WorkerScratch::new(&stages);
    let region = Region::new(GLOBAL);
    let o = process_chunk(&stages, &mut scratch, chunk(&file, data), Instant::now());
    let s = region.change();
    assert_eq!(o.stats.lines, 200);
    assert!(s.allocations >= 200, "{s:?}");
}
