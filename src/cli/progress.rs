//! The replay progress bar (stderr, only on a terminal).

use indicatif::{ProgressBar, ProgressStyle};
use picket::pipeline::{ChunkOutput, Observer};
use std::path::PathBuf;

/// Shows bytes processed, rate and alerts so far.
pub struct Progress {
    bar: Option<ProgressBar>,
    alerts: u64,
}

impl Progress {
    /// A progress bar when `show`, sized by the inputs' on-disk sizes
    /// (compressed inputs make it an estimate).
    pub fn new(show: bool, inputs: &[PathBuf]) -> Self {
        let bar = show.then(|| {
            let total: u64 = inputs
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum();
            let bar = ProgressBar::new(total.max(1));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, alerts: 0 }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn chunk_done(&mut self, out: &ChunkOutput, alerts: usize) {
        if let Some(b) = &self.bar {
            self.alerts += alerts as u64;
            let pos = b.position() + out.stats.bytes;
            if b.length().is_some_and(|l| pos > l) {
                b.set_length(pos);
            }
            b.set_position(pos);
            b.set_message(format!("{} alerts", self.alerts));
        }
    }
}
