//! Throughput on a generated combined access log, measured in one run
//! against a plain memchr line count of the same bytes (the practical limit)
//! and, when installed, `rg -c` with a PI regex union (what a grep user runs).
//!
//! ```sh
//! cargo bench --bench throughput                 # ~1 GiB (generated once, cached)
//! PICKET_BENCH_SIZE=200MiB cargo bench --bench throughput
//! ```
//!
//! The file is generated with `picket::generate` (fixed seed) under
//! `target/bench-data/` and reused by later runs. Figures are printed, never
//! asserted: timings do not belong in pass/fail tests.

use picket::alert::Suppressor;
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::pi::{PiConfig, PiScanner};
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::event::{Event, Origin};
use picket::frame::Lines;
use picket::generate::{GeneratorConfig, generate_to_path, parse_size};
use picket::parse::{Format, FormatChoice, parser_for};
use picket::pipeline::{Mode, Outputs, PipelineBuilder, Stages, WorkerScratch, process_chunk};
use picket::source::{ChunkReaderBuilder, FileTable, read_inputs};
use picket::telemetry::Metrics;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

/// The PI regex union a grep user would run: emails, cards, SSNs, IBANs, phones.
const PI_REGEX: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:\d[ -]?){13,19}\b|\b\d{3}-\d{2}-\d{4}\b|\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b|\+\d{7,15}";

struct Row {
    name: &'static str,
    secs: f64,
    bytes: u64,
    lines: u64,
}

fn main() {
    let size = std::env::var("PICKET_BENCH_SIZE").unwrap_or_else(|_| "1GiB".into());
    let bytes = parse_size(&size).expect("PICKET_BENCH_SIZE like 200MiB or 1GiB");
    let path = bench_file(bytes);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("input: {} ({:.1} MB)", path.display(), len as f64 / 1e6);
    warm(&path);

    let mut rows = vec![
        memchr_count(&path),
        parse_only(&path),
        single_thread_detect(&path, false),
        single_thread_detect(&path, true),
    ];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    rows.push(pipeline(&path, threads));
    if let Some(r) = ripgrep(&path) {
        rows.push(r);
    }
    let base = rows[0].bytes as f64 / rows[0].secs;
    let rg = rows
        .iter()
        .find(|r| r.name.starts_with("rg"))
        .map(|r| r.bytes as f64 / r.secs);
    println!(
        "{:<44} {:>10} {:>12} {:>9} {:>9}",
        "task", "MB/s", "lines/s", "×memchr", "×rg"
    );
    let secs = |name: &str| rows.iter().find(|r| r.name == name).map(|r| r.secs);
    if let (Some(on), Some(off)) = (
        secs("parse + enrich + PI + rules (1 core)"),
        secs("parse + enrich + rules, PI off (1 core)"),
    ) {
        println!("PI on / PI off throughput (1 core): {:.3}", off / on);
    }
    for r in &rows {
        let rate = r.bytes as f64 / r.secs;
        println!(
            "{:<44} {:>10.0} {:>12.0} {:>9.3} {:>9}",
            r.name,
            rate / 1e6,
            r.lines as f64 / r.secs,
            rate / base,
            rg.map_or("-".into(), |g| format!("{:.2}", rate / g)),
        );
    }
}

fn bench_file(bytes: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let path = dir.join(format!("combined-seed42-{bytes}.log"));
    if !path.exists() {
        eprintln!("generating {} …", path.display());
        let cfg = GeneratorConfig {
            seed: 42,
            ..GeneratorConfig::default()
        };
        let tmp = path.with_extension("tmp");
        generate_to_path(&cfg, &tmp, bytes).expect("generate bench file");
        std::fs::rename(&tmp, &path).expect("rename bench file");
    }
    path
}

/// Reads the file once so every task starts from a warm page cache.
fn warm(path: &Path) {
    let _ = memchr_count(path);
}

fn memchr_count(path: &Path) -> Row {
    let t = Instant::now();
    let mut f = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; 128 * 1024];
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    }
    Row {
        name: "memchr line count (128 KiB reads, 1 core)",
        secs: t.elapsed().as_secs_f64(),
        bytes,
        lines,
    }
}

fn chunks(path: &Path, mut f: impl FnMut(&picket::source::Chunk)) {
    let table = FileTable::new();
    let info = table.register(
        &path.display().to_string(),
        "bench",
        Format::Combined,
        false,
    );
    let file = std::fs::File::open(path).expect("open");
    let mut r = ChunkReaderBuilder::default().build(info, file, 0, 1);
    let mut buf = Vec::new();
    while let Some(c) = r.next_chunk(std::mem::take(&mut buf)).expect("read") {
        f(&c);
        buf = c.data;
    }
}

fn parse_only(path: &Path) -> Row {
    let parser = parser_for(Format::Combined).expect("combined parser");
    let t = Instant::now();
    let (mut lines, mut bytes, mut ok) = (0u64, 0u64, 0u64);
    chunks(path, |c| {
        bytes += c.data.len() as u64;
        for l in Lines::new(&c.data, c.start_line, c.start_offset) {
            lines += 1;
            let mut ev = Event::new(Format::Combined, Origin::default());
            ok += u64::from(parser.parse(l.bytes, &mut ev).is_ok());
        }
    });
    assert!(ok > lines / 2, "the parser accepts the generated lines");
    Row {
        name: "parse only (1 core)",
        secs: t.elapsed().as_secs_f64(),
        bytes,
        lines,
    }
}

fn stages(mode: Mode) -> Stages {
    stages_with(mode, true)
}

/// The replay stages, with the PI detectors on or off (`Detector::new(rules,
/// None)`, what `[privacy] categories = []` gives).
fn stages_with(mode: Mode, pi_on: bool) -> Stages {
    let cfg = ConfigFile::default();
    let rules = RuleSet::builtin().expect("built-in rules compile");
    let pi = pi_on.then(|| Arc::new(PiScanner::new(&PiConfig::new(b"bench".to_vec()))));
    Stages::new(
        mode,
        Enricher::from_config(&cfg).expect("default config"),
        Detector::new(Arc::new(rules), pi),
        cfg.limits.max_line_bytes,
    )
}

/// One worker's chunk loop; with and without PI in the same run, so the
/// issue 4 ratio (PI on ≥ 70% of PI off) can be read off the table.
fn single_thread_detect(path: &Path, pi_on: bool) -> Row {
    let stages = stages_with(Mode::Detect, pi_on);
    let mut scratch = WorkerScratch::new(&stages);
    let table = FileTable::new();
    let info = table.register(
        &path.display().to_string(),
        "bench",
        Format::Combined,
        false,
    );
    let file = std::fs::File::open(path).expect("open");
    let mut r = ChunkReaderBuilder::default().build(info, file, 0, 1);
    let t = Instant::now();
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut buf = Vec::new();
    while let Some(c) = r.next_chunk(std::mem::take(&mut buf)).expect("read") {
        let o = process_chunk(&stages, &mut scratch, c, Instant::now());
        lines += o.stats.lines;
        bytes += o.stats.bytes;
        buf = o.buffer;
    }
    Row {
        name: if pi_on {
            "parse + enrich + PI + rules (1 core)"
        } else {
            "parse + enrich + rules, PI off (1 core)"
        },
        secs: t.elapsed().as_secs_f64(),
        bytes,
        lines,
    }
}

fn pipeline(path: &Path, threads: usize) -> Row {
    let mut p = PipelineBuilder::default().threads(threads).build(
        stages(Mode::Detect),
        Metrics::new(),
        Suppressor::new(60_000_000_000, 100_000),
    );
    let table = FileTable::new();
    let reader = ChunkReaderBuilder::default();
    let inputs = [path.to_path_buf()];
    let t = Instant::now();
    let mut sink: Vec<Box<dyn picket::sink::Sink>> = vec![Box::new(
        picket::sink::JsonLinesSink::new("null", Box::new(std::io::sink())),
    )];
    let s = p
        .run(
            |tx| {
                read_inputs(
                    &inputs,
                    FormatChoice::Fixed(Format::Combined),
                    &table,
                    &reader,
                    "bench",
                    tx,
                );
            },
            Outputs {
                sinks: &mut sink,
                events: None,
                acks: &mut (),
                observer: &mut (),
            },
        )
        .expect("pipeline run");
    let name: &'static str =
        Box::leak(format!("full replay pipeline ({threads} workers)").into_boxed_str());
    Row {
        name,
        secs: t.elapsed().as_secs_f64(),
        bytes: s.bytes,
        lines: s.lines,
    }
}

fn ripgrep(path: &Path) -> Option<Row> {
    let t = Instant::now();
    let out = Command::new("rg")
        .args(["-c", "--no-mmap", PI_REGEX])
        .arg(path)
        .output()
        .ok()?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        return None;
    }
    let bytes = std::fs::metadata(path).ok()?.len();
    Some(Row {
        name: "rg -c PI regex union (2 cores)",
        secs,
        bytes,
        lines: 0,
    })
}
