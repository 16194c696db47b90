//! In-process rows: the same stages `picket replay` runs, called from the
//! library one at a time, to show where the time goes (parse alone, one
//! worker's chunk loop with PI on and off, the whole pipeline), and the
//! memchr line count every other row is compared with.

use crate::report::{Kind, Row};
use nix::sys::resource::{UsageWho, getrusage};
use picket::alert::Suppressor;
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::pi::{PiConfig, PiScanner};
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::event::{Event, Origin};
use picket::frame::Lines;
use picket::parse::{Format, FormatChoice, parser_for};
use picket::pipeline::{Mode, Outputs, PipelineBuilder, Stages, WorkerScratch, process_chunk};
use picket::source::{ChunkReaderBuilder, FileTable, read_inputs};
use picket::telemetry::Metrics;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Runs `f` (which returns bytes and lines processed) as one row, with the
/// wall time and this process's CPU time over it.
fn timed(kind: Kind, name: String, f: impl FnOnce() -> (u64, u64)) -> Row {
    let cpu0 = self_cpu();
    let t = Instant::now();
    let (bytes, lines) = f();
    Row {
        kind,
        name,
        wall: t.elapsed().as_secs_f64(),
        cpu: self_cpu() - cpu0,
        rss_kib: None,
        bytes,
        lines,
        note: String::new(),
    }
}

/// User + system seconds of this process so far (all threads).
fn self_cpu() -> f64 {
    let u = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage(RUSAGE_SELF)");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(u.user_time()) + secs(u.system_time())
}

/// Counts lines with memchr over 128 KiB `read()`s (larger reads measured
/// slower here, see `docs/ARCHITECTURE.md`): the practical limit. For a
/// `.gz`, over flate2's multi-member decoder, the limit of any reader of
/// that file on one core.
pub fn memchr_count(path: &Path, gz: bool) -> Row {
    let name = if gz {
        "[.gz] flate2 gunzip + memchr line count (1 thread)"
    } else {
        "memchr line count, 128 KiB reads (1 thread)"
    };
    timed(Kind::Memchr, name.into(), || {
        let f = std::fs::File::open(path).expect("open");
        let mut r: Box<dyn Read> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(128 * 1024, f),
            ))
        } else {
            Box::new(f)
        };
        let mut buf = vec![0u8; 128 * 1024];
        let (mut lines, mut bytes) = (0u64, 0u64);
        loop {
            let n = r.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            bytes += n as u64;
            lines += buf
                .get(..n)
                .map_or(0, |b| memchr::memchr_iter(b'\n', b).count()) as u64;
        }
        (bytes, lines)
    })
}

/// Reads `path` as chunks of whole lines; `f` takes each chunk and hands
/// back its buffer for the next one.
fn chunks(path: &Path, mut f: impl FnMut(picket::source::Chunk) -> Vec<u8>) {
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
        buf = f(c);
    }
}

/// The combined parser alone over every line, one thread.
pub fn parse_only(path: &Path) -> Row {
    let parser = parser_for(Format::Combined).expect("combined parser");
    timed(
        Kind::InProcess,
        "in-process: combined parser only (1 thread)".into(),
        || {
            let (mut lines, mut bytes, mut ok) = (0u64, 0u64, 0u64);
            chunks(path, |c| {
                bytes += c.data.len() as u64;
                for l in Lines::new(&c.data, c.start_line, c.start_offset) {
                    lines += 1;
                    let mut ev = Event::new(Format::Combined, Origin::default());
                    ok += u64::from(parser.parse(l.bytes, &mut ev).is_ok());
                }
                c.data
            });
            assert!(ok > lines / 2, "the parser accepts the generated lines");
            (bytes, lines)
        },
    )
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

/// One worker's chunk loop (`process_chunk`, what each replay thread runs);
/// with and without PI in the same run, so the issue 4 ratio (PI on ≥ 70%
/// of PI off) can be read off the table.
pub fn single_thread_detect(path: &Path, pi_on: bool) -> Row {
    let stages = stages_with(Mode::Detect, pi_on);
    let mut scratch = WorkerScratch::new(&stages);
    let name = if pi_on {
        "in-process: parse + enrich + PI + rules, one worker loop"
    } else {
        "in-process: parse + enrich + rules, PI off, one worker loop"
    };
    timed(Kind::InProcess, name.into(), || {
        let (mut lines, mut bytes) = (0u64, 0u64);
        chunks(path, |c| {
            let o = process_chunk(&stages, &mut scratch, c, Instant::now());
            lines += o.stats.lines;
            bytes += o.stats.bytes;
            o.buffer
        });
        (bytes, lines)
    })
}

/// The library pipeline (reader, workers, collector) with the built-in
/// rules and PI, alerts to a null sink; no correlation state is loaded
/// beyond what `Stages::new` builds.
pub fn pipeline(path: &Path, threads: usize) -> Row {
    let mut p = PipelineBuilder::default().threads(threads).build(
        stages(Mode::Detect),
        Metrics::new(),
        Suppressor::new(60_000_000_000, 100_000),
    );
    let table = FileTable::new();
    let reader = ChunkReaderBuilder::default();
    let inputs = [path.to_path_buf()];
    let name = format!("in-process: library pipeline, {threads} workers");
    timed(Kind::InProcess, name, || {
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
        (s.bytes, s.lines)
    })
}
