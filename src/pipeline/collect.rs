//! The collector: the calling thread of [`Pipeline::run`]. It takes the
//! workers' outputs in chunk order, feeds the correlation engine (inline,
//! or through the shard threads of `shards.rs`), and delivers each chunk
//! (suppression, sinks, metrics, acknowledgement) once its correlation work
//! is merged.

use super::stats::Summary;
use super::{ChunkOutput, Outputs, Pipeline, PipelineError, shards};
use crate::alert::Alert;
use crate::detect::correlation::Baselines;
use crate::sink::Sink;
use crossbeam_channel::{Receiver, Sender};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::sync::Arc;

/// The collector's state during one run.
struct Collect<'o> {
    out: Outputs<'o>,
    pool: Sender<Vec<u8>>,
    /// Returns a chunk's in-flight token once it is done.
    tokens: Sender<()>,
    summary: Summary,
    /// Reused buffer of admitted alerts.
    batch: Vec<Alert>,
    /// Chunks in input order whose correlation work is not yet merged.
    waiting: VecDeque<Waiting>,
}

/// A chunk waiting for its shards' answers (`out: None`: the final flush).
struct Waiting {
    out: Option<ChunkOutput>,
    alerts: Vec<Alert>,
    parts: Vec<crate::detect::correlation::Ordered>,
    /// Shards yet to answer.
    shards: usize,
}

impl Pipeline {
    /// The collector: reorders outputs, feeds correlations (inline or
    /// through the shard threads of `link`) and delivers, in input order.
    pub(super) fn collect(
        &mut self,
        rx: Receiver<ChunkOutput>,
        pool: Sender<Vec<u8>>,
        tokens: Sender<()>,
        out: Outputs<'_>,
        mut link: shards::ShardLink,
    ) -> Result<Summary, PipelineError> {
        let mut c = Collect {
            out,
            pool,
            tokens,
            summary: Summary::default(),
            batch: Vec::new(),
            waiting: VecDeque::new(),
        };
        let mut pending: BTreeMap<u64, ChunkOutput> = BTreeMap::new();
        let mut next = 0u64;
        let mut open = true;
        // On error, returning drops `rx` and the shard inputs: workers, the
        // producer and the shards see closed channels and stop.
        loop {
            if open {
                crossbeam_channel::select! {
                    recv(rx) -> msg => match msg {
                        Ok(o) => {
                            pending.insert(o.seq, o);
                            while let Some(o) = pending.remove(&next) {
                                next += 1;
                                self.dispatch(Some(o), &mut link, &mut c);
                                self.finish_ready(&mut link, &mut c)?;
                            }
                        }
                        Err(_) => {
                            open = false;
                            // End of input: windows still waiting for the
                            // watermark close now.
                            self.dispatch(None, &mut link, &mut c);
                        }
                    },
                    recv(link.rx) -> msg => match msg {
                        Ok(m) => self.answer(m, &mut link, &mut c),
                        Err(_) => return Err(PipelineError::Panicked),
                    },
                }
            } else if c.waiting.front().is_some_and(|w| w.shards > 0) {
                match link.rx.recv() {
                    Ok(m) => self.answer(m, &mut link, &mut c),
                    Err(_) => return Err(PipelineError::Panicked),
                }
            }
            self.finish_ready(&mut link, &mut c)?;
            if !open && c.waiting.is_empty() {
                break;
            }
        }
        let Collect {
            out, mut summary, ..
        } = c;
        for sink in out.sinks.iter_mut() {
            sink.flush()?;
        }
        if let Some(w) = out.events {
            w.flush().map_err(PipelineError::Output)?;
        }
        summary.suppressed = self.suppressor.total_suppressed();
        Ok(summary)
    }

    /// Starts a chunk's correlation work (`None`: the end-of-run flush):
    /// inline, or sent to every shard thread.
    fn dispatch(
        &mut self,
        o: Option<ChunkOutput>,
        link: &mut shards::ShardLink,
        c: &mut Collect<'_>,
    ) {
        let mut w = Waiting {
            alerts: Vec::new(),
            parts: Vec::new(),
            shards: 0,
            out: None,
        };
        let chunk = o.as_ref().map_or(shards::FLUSH, |o| o.seq);
        if let Some(mut o) = o {
            w.alerts = std::mem::take(&mut o.alerts);
            let obs = std::mem::take(&mut o.observations);
            if link.threaded() {
                let routed = self.correlation.route(obs);
                w.shards = link.txs.len();
                let mut items = routed.items.into_iter();
                for tx in &link.txs {
                    let msg = shards::ToShard::Work {
                        chunk,
                        batch: routed.batch.clone(),
                        items: items.next().unwrap_or_default(),
                        up_to: routed.up_to,
                    };
                    if tx.send(msg).is_err() {
                        w.shards -= 1;
                    }
                }
            } else if !obs.is_empty() || self.correlation.pending() > 0 {
                self.correlation.feed(obs, &mut w.alerts);
            }
            w.out = Some(o);
        } else if link.threaded() {
            let up_to = self.correlation.flush_mark();
            w.shards = link.txs.len();
            for tx in &link.txs {
                let msg = shards::ToShard::Work {
                    chunk,
                    batch: Arc::new(self.correlation.new_batch()),
                    items: Vec::new(),
                    up_to,
                };
                if tx.send(msg).is_err() {
                    w.shards -= 1;
                }
            }
        } else {
            self.correlation.flush(&mut w.alerts);
        }
        c.waiting.push_back(w);
    }

    /// Files a shard thread's answer with its chunk.
    fn answer(&mut self, m: shards::FromShard, link: &mut shards::ShardLink, c: &mut Collect<'_>) {
        match m {
            shards::FromShard::Done {
                shard,
                chunk,
                alerts,
                stats,
            } => {
                link.record(shard, stats);
                let w = c.waiting.iter_mut().find(|w| {
                    w.out.as_ref().map_or(shards::FLUSH, |o| o.seq) == chunk && w.shards > 0
                });
                if let Some(w) = w {
                    w.parts.extend(alerts);
                    w.shards -= 1;
                }
            }
            // Snapshots are awaited in `snapshot`; a stray one is dropped.
            shards::FromShard::Learned(_) => {}
        }
    }

    /// Delivers, acknowledges and recycles the chunks at the front whose
    /// shards have all answered.
    fn finish_ready(
        &mut self,
        link: &mut shards::ShardLink,
        c: &mut Collect<'_>,
    ) -> Result<(), PipelineError> {
        while c.waiting.front().is_some_and(|w| w.shards == 0) {
            let Some(mut w) = c.waiting.pop_front() else {
                break;
            };
            crate::detect::correlation::merge(std::mem::take(&mut w.parts), &mut w.alerts);
            let delivered = self.deliver(w.alerts, &mut c.batch, c.out.sinks, &mut c.summary)?;
            self.publish_correlation(link);
            let Some(mut o) = w.out else {
                continue;
            };
            if let Some(ev) = c.out.events.as_mut() {
                ev.write_all(&o.rendered).map_err(PipelineError::Output)?;
            }
            self.metrics
                .pipeline_latency
                .observe(o.read_at.elapsed().as_secs_f64());
            // Counted once the chunk is done, so a scrape that sees its
            // lines also sees its latency and alerts.
            self.count(&o, &mut c.summary);
            c.out
                .acks
                .delivered_at(&o.file, o.end_offset, o.next_line, o.last);
            c.out.observer.chunk_done(&o, delivered);
            let _ = c.pool.try_send(std::mem::take(&mut o.buffer));
            let _ = c.tokens.try_send(());
        }
        if self.save_due() {
            if let Some(b) = self.snapshot(link, c) {
                self.write_baselines(&b);
            }
        }
        Ok(())
    }

    /// The learned baselines, asking the shard threads when they hold them
    /// (answers for chunks that arrive meanwhile are filed as usual).
    fn snapshot(&mut self, link: &mut shards::ShardLink, c: &mut Collect<'_>) -> Option<Baselines> {
        if !link.threaded() {
            return Some(self.correlation.baselines());
        }
        for tx in &link.txs {
            tx.send(shards::ToShard::Snapshot).ok()?;
        }
        let mut parts = Vec::with_capacity(link.txs.len());
        while parts.len() < link.txs.len() {
            match link.rx.recv().ok()? {
                shards::FromShard::Learned(p) => parts.push(p),
                done => self.answer(done, link, c),
            }
        }
        Some(self.correlation.baselines_of(parts))
    }

    /// Suppresses repeats among `alerts`, delivers the rest to every sink,
    /// counts them; returns how many were delivered. Also publishes the
    /// correlation engine's counts.
    fn deliver(
        &mut self,
        alerts: Vec<Alert>,
        batch: &mut Vec<Alert>,
        sinks: &mut [Box<dyn Sink>],
        summary: &mut Summary,
    ) -> Result<usize, PipelineError> {
        batch.clear();
        for mut a in alerts {
            if self.suppressor.admit(&mut a) {
                batch.push(a);
            } else {
                self.metrics
                    .alerts_suppressed
                    .with_label_values(&[&a.rule.id])
                    .inc();
            }
        }
        if !batch.is_empty() {
            for sink in sinks.iter_mut() {
                let r = sink.deliver(batch);
                // Queued sinks (the daemon's) count their own deliveries
                // when they really happen.
                if !sink.reports_deliveries() {
                    let outcome = if r.is_ok() { "success" } else { "failure" };
                    self.metrics
                        .sink_deliveries
                        .with_label_values(&[sink.name(), outcome])
                        .inc_by(batch.len() as u64);
                }
                r?;
            }
            for a in batch.iter() {
                summary.add_alert(a);
                self.metrics
                    .alerts
                    .with_label_values(&[&a.rule.id, a.rule.level.name(), a.kind.name()])
                    .inc();
            }
        }
        Ok(batch.len())
    }

    /// Publishes the correlation engine's counts and sizes (with what the
    /// shard threads reported).
    fn publish_correlation(&mut self, link: &mut shards::ShardLink) {
        if !self.correlation.is_active() {
            return;
        }
        let m = &self.metrics;
        self.correlation
            .drain_counts(&mut link.stats, |rule, why, n| match why {
                None => m.correlation_evictions.with_label_values(&[rule]).inc_by(n),
                Some(r) => m
                    .correlation_dropped
                    .with_label_values(&[rule, r.label()])
                    .inc_by(n),
            });
        let groups = self.correlation.groups() + link.stats.iter().map(|s| s.groups).sum::<usize>();
        let entities = self.correlation.baseline_entities()
            + link.stats.iter().map(|s| s.entities).sum::<usize>();
        m.state_entities
            .with_label_values(&["correlation"])
            .set(i64::try_from(groups).unwrap_or(i64::MAX));
        m.state_entities
            .with_label_values(&["baseline"])
            .set(i64::try_from(entities).unwrap_or(i64::MAX));
    }

    fn count(&self, o: &ChunkOutput, summary: &mut Summary) {
        let format = o.file.format;
        let source = &*o.file.source;
        summary.add_chunk(format, &o.stats);
        let m = &self.metrics;
        m.lines.with_label_values(&[source]).inc_by(o.stats.lines);
        m.bytes_read
            .with_label_values(&[source])
            .inc_by(o.stats.bytes);
        if o.stats.events > 0 {
            m.events
                .with_label_values(&[format.name(), source])
                .inc_by(o.stats.events);
        }
        for (r, n) in &o.stats.errors {
            m.parse_errors
                .with_label_values(&[format.name(), r.label()])
                .inc_by(*n);
        }
        for ((c, f), n) in &o.stats.pi {
            m.pi_findings.with_label_values(&[c, f]).inc_by(*n);
        }
    }
}
