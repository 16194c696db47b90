//! The engine as a library: acknowledgements, ordering and backpressure.

use picket::alert::Suppressor;
use picket::config::ConfigFile;
use picket::detect::Detector;
use picket::detect::rule::RuleSet;
use picket::enrich::Enricher;
use picket::parse::{Format, FormatChoice};
use picket::pipeline::{
    AckListener, ChunkOutput, Mode, Observer, Outputs, PipelineBuilder, Stages,
};
use picket::source::{ChunkReaderBuilder, FileInfo, FileTable, read_inputs};
use picket::telemetry::Metrics;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
struct Acks(HashMap<String, Vec<(u64, bool)>>);

impl AckListener for Acks {
    fn delivered(&mut self, file: &FileInfo, offset: u64, last: bool) {
        self.0
            .entry(file.path.to_string())
            .or_default()
            .push((offset, last));
    }
}

#[derive(Default)]
struct Order(Vec<u64>);

impl Observer for Order {
    fn chunk_done(&mut self, out: &ChunkOutput, _alerts: usize) {
        self.0.push(out.seq);
    }
}

fn line(i: usize) -> String {
    format!(
        "10.0.{}.{} - u{} [02/Mar/2026:08:{:02}:{:02} +0000] \"GET /acme_db/doc{i} HTTP/1.1\" 200 {i} \"-\" \"ua\"\n",
        i % 200,
        i % 250,
        i % 7,
        (i / 60) % 60,
        i % 60
    )
}

#[test]
fn acks_cover_every_byte_in_order_for_any_thread_count() {
    let d = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut sizes = HashMap::new();
    for f in 0..3 {
        let text: String = (0..5000 + f * 1234).map(line).collect();
        let p = d.path().join(format!("f{f}.log"));
        std::fs::write(&p, &text).unwrap();
        sizes.insert(p.display().to_string(), text.len() as u64);
        paths.push(p);
    }
    for threads in [1, 2, 5] {
        let cfg = ConfigFile::default();
        let stages = Stages::new(
            Mode::Detect,
            Enricher::from_config(&cfg).unwrap(),
            Detector::new(Arc::new(RuleSet::default()), None),
            cfg.limits.max_line_bytes,
        );
        let mut p = PipelineBuilder::default().threads(threads).queue(2).build(
            stages,
            Metrics::new(),
            Suppressor::new(0, 10),
        );
        let table = FileTable::new();
        // Small chunks: many in flight, so reordering is exercised.
        let reader = ChunkReaderBuilder::default().chunk_size(4096);
        let mut acks = Acks::default();
        let mut order = Order::default();
        let summary = p
            .run(
                |s| {
                    let errs = read_inputs(
                        &paths,
                        FormatChoice::Fixed(Format::Combined),
                        &table,
                        &reader,
                        "t",
                        s,
                    );
                    assert!(errs.is_empty());
                },
                Outputs {
                    sinks: &mut [],
                    events: None,
                    acks: &mut acks,
                    observer: &mut order,
                },
            )
            .unwrap();
        assert_eq!(
            order.0,
            (0..order.0.len() as u64).collect::<Vec<_>>(),
            "delivered in sequence"
        );
        assert!(order.0.len() > 30, "many chunks: {}", order.0.len());
        for (path, size) in &sizes {
            let a = &acks.0[path];
            assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "offsets increase");
            assert_eq!(
                a.last().unwrap(),
                &(*size, true),
                "final ack at EOF, marked last"
            );
            assert!(a[..a.len() - 1].iter().all(|(_, last)| !last));
        }
        assert_eq!(summary.lines, (5000 + 6234 + 7468) as u64);
        assert_eq!(summary.bytes, sizes.values().sum::<u64>());
    }
}
