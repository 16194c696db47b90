//! Sharding: any number of shards gives exactly the single-shard alerts,
//! in the same order, on generated traffic through the built-in rules
//! (several seeds and shard counts).

use super::{CorrelationEngine, CorrelationSettings};
use crate::config::ConfigFile;
use crate::detect::Detector;
use crate::detect::pi::{PiConfig, PiScanner};
use crate::detect::rule::RuleSet;
use crate::enrich::Enricher;
use crate::generate::{Generator, GeneratorConfig};
use crate::parse::Format;
use crate::pipeline::{Mode, Stages, WorkerScratch, process_chunk};
use crate::source::{Chunk, FileTable};
use std::sync::Arc;
use std::time::Instant;

/// The observation batches of `lines` generated lines, in chunks of `per`.
fn batches(seed: u64, lines: usize, per: usize) -> (Arc<RuleSet>, Vec<super::Observations>) {
    let cfg = ConfigFile::default();
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules"));
    let pi = PiScanner::new(&PiConfig::new(b"k".to_vec()));
    let stages = Stages::new(
        Mode::Detect,
        Enricher::from_config(&cfg).expect("default config"),
        Detector::new(rules.clone(), Some(Arc::new(pi))),
        cfg.limits.max_line_bytes,
    );
    let mut scratch = WorkerScratch::new(&stages);
    let table = FileTable::new();
    let file = table.register("gen.log", "t", Format::Combined, false);
    let mut g = Generator::new(GeneratorConfig {
        seed,
        users: 12,
        tenants: 3,
        incidents_per_day: 400,
        ..GeneratorConfig::default()
    });
    let mut out = Vec::new();
    let mut start_line = 1;
    while start_line <= lines as u64 {
        let mut data = Vec::new();
        for _ in 0..per {
            g.write_line(&mut data);
        }
        let chunk = Chunk {
            file: file.clone(),
            seq: 0,
            data,
            start_offset: 0,
            start_line,
            oversized: None,
            last: false,
            audit: None,
        };
        start_line += per as u64;
        out.push(process_chunk(&stages, &mut scratch, chunk, Instant::now()).observations);
    }
    (rules, out)
}

fn alerts(rules: &Arc<RuleSet>, batches: &[super::Observations], shards: usize) -> Vec<String> {
    let mut e =
        CorrelationEngine::with_shards(rules.clone(), CorrelationSettings::default(), shards);
    let mut out = Vec::new();
    for b in batches {
        e.feed(b.clone(), &mut out);
    }
    e.flush(&mut out);
    out.iter().map(|a| a.to_json_line()).collect()
}

#[test]
fn any_shard_count_gives_the_single_shard_alerts() {
    // Fixed seeds (not proptest's random ones): the check that the traffic
    // raises alerts at all must not depend on the draw.
    let mut total = 0;
    for (seed, shards) in [(1u64, 2usize), (7, 3), (42, 4), (301, 2), (977, 5)] {
        let (rules, b) = batches(seed, 4_000, 400);
        let one = alerts(&rules, &b, 1);
        total += one.len();
        let many = alerts(&rules, &b, shards);
        assert_eq!(one, many, "seed {seed}, {shards} shards");
    }
    assert!(total >= 5, "the traffic raises correlation alerts: {total}");
}
