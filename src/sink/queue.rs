//! A daemon sink: a bounded memory queue, then a bounded on-disk spool,
//! then backpressure, drained by a delivery thread that retries with
//! backoff.
//!
//! ```text
//! collector ──deliver──▶ QueuedSink ──▶ memory queue ──┐
//!   (pipeline)              │  full?                   ├─▶ worker thread ──▶ Transport
//!                           └──────────▶ spool (disk) ─┘     retries, backoff, drops
//!                               full? → the collector waits (reading stops)
//! ```
//!
//! Ordering is kept: once something is spooled, new batches go to the
//! spool too until it drains. Acknowledgement: every batch gets a number;
//! [`SinkQueue::durable`] is the highest number up to which every batch is
//! delivered *or spooled* (both survive a crash), and the daemon only
//! checkpoints input offsets whose alerts are durable in every sink.
//!
//! On shutdown the queue is closed and the worker drains it; if the
//! destination is still failing when the shutdown timeout expires, the
//! queue is aborted and the memory queue moves to the front of the spool.

use super::backoff::{Backoff, RetryState};
use super::render::alert_line;
use super::spool::Spool;
use super::transport::{SendError, Transport};
use super::{Sink, SinkError};
use crate::alert::Alert;
use crate::clock::SharedClock;
use crate::telemetry::{Health, Metrics};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Rendered alerts handed over together.
#[derive(Debug)]
struct Batch {
    seq: u64,
    lines: Vec<String>,
    bytes: u64,
}

#[derive(Debug)]
struct State {
    enqueued: u64,
    mem: VecDeque<Arc<Batch>>,
    mem_bytes: u64,
    spool: Option<Spool>,
    closing: bool,
}

/// The shared queue of one sink (see the module docs).
#[derive(Debug)]
pub struct SinkQueue {
    name: String,
    state: Mutex<State>,
    cond: Condvar,
    abort: AtomicBool,
    memory_max: u64,
    metrics: Metrics,
    health: Health,
}

fn batch_bytes(lines: &[String]) -> u64 {
    lines.iter().map(|l| l.len() as u64 + 1).sum()
}

impl SinkQueue {
    /// A queue for sink `name` holding up to `memory_max` bytes in memory,
    /// then spooling to `spool` (none: no spool).
    pub fn new(
        name: &str,
        memory_max: u64,
        spool: Option<Spool>,
        metrics: Metrics,
        health: Health,
    ) -> Arc<SinkQueue> {
        let q = Arc::new(SinkQueue {
            name: name.to_string(),
            state: Mutex::new(State {
                enqueued: 0,
                mem: VecDeque::new(),
                mem_bytes: 0,
                spool,
                closing: false,
            }),
            cond: Condvar::new(),
            abort: AtomicBool::new(false),
            memory_max: memory_max.max(1),
            metrics,
            health,
        });
        q.declare_series();
        q.gauges(&q.lock());
        q
    }

    /// Exports the sink's counters at 0 before anything happens, as
    /// exporters do for label sets known in advance: dashboards and alert
    /// rules (`deploy/`) then see a series, and `rate()`/`increase()`
    /// count the first failure too.
    fn declare_series(&self) {
        let l = [self.name.as_str()];
        let m = &self.metrics;
        for outcome in ["success", "failure"] {
            m.sink_deliveries.with_label_values(&[&self.name, outcome]);
        }
        for reason in ["rejected", "spool_corrupt"] {
            m.sink_dropped.with_label_values(&[&self.name, reason]);
        }
        m.sink_retries.with_label_values(&l);
        m.sink_spooled.with_label_values(&l);
        m.sink_backpressure.with_label_values(&l);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sink's label.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn gauges(&self, st: &State) {
        let l = [self.name.as_str()];
        let m = &self.metrics;
        m.sink_queue_bytes
            .with_label_values(&l)
            .set(i64::try_from(st.mem_bytes).unwrap_or(i64::MAX));
        let spooled = st.spool.as_ref().map_or(0, Spool::bytes);
        m.sink_spool_bytes
            .with_label_values(&l)
            .set(i64::try_from(spooled).unwrap_or(i64::MAX));
    }

    /// Hands alerts over, in batches of at most a quarter of the memory
    /// bound (a chunk of input can raise more alerts than the bound holds):
    /// each to memory, else to the spool, else waits for room
    /// (backpressure). Fails only once the queue is aborted.
    pub fn push(&self, lines: Vec<String>) -> Result<(), SinkError> {
        let piece = (self.memory_max / 4).max(1);
        let mut batch = Vec::new();
        let mut bytes = 0;
        for l in lines {
            let n = l.len() as u64 + 1;
            if !batch.is_empty() && bytes + n > piece {
                self.push_batch(std::mem::take(&mut batch))?;
                bytes = 0;
            }
            bytes += n;
            batch.push(l);
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.push_batch(batch)
    }

    fn push_batch(&self, lines: Vec<String>) -> Result<(), SinkError> {
        let bytes = batch_bytes(&lines);
        let mut st = self.lock();
        let mut blocked: Option<Instant> = None;
        let result = loop {
            if self.abort.load(Ordering::SeqCst) {
                break Err(SinkError::Aborted {
                    sink: self.name.clone(),
                });
            }
            let spool_empty = st.spool.as_ref().is_none_or(Spool::is_empty);
            let mem_room = st.mem_bytes + bytes <= self.memory_max;
            // An alert bigger than everything is taken alone so reading goes on.
            let alone = spool_empty && st.mem.is_empty();
            if spool_empty
                && (mem_room || alone && !st.spool.as_ref().is_some_and(|s| s.fits(bytes)))
            {
                st.enqueued += 1;
                let seq = st.enqueued;
                st.mem_bytes += bytes;
                st.mem.push_back(Arc::new(Batch { seq, lines, bytes }));
                break Ok(());
            }
            if let Some(spool) = st.spool.as_mut().filter(|s| s.fits(bytes)) {
                match spool.push_back(&lines) {
                    Ok(()) => {
                        st.enqueued += 1;
                        self.metrics
                            .sink_spooled
                            .with_label_values(&[&self.name])
                            .inc_by(lines.len() as u64);
                        break Ok(());
                    }
                    Err(e) => {
                        crate::warn!(
                            "sink {}: cannot spool ({e}); waiting for room in memory",
                            self.name
                        );
                        self.health.set(
                            &format!("spool/{}", self.name),
                            &format!("cannot write: {}", e.kind()),
                        );
                    }
                }
            }
            blocked.get_or_insert_with(Instant::now);
            st = self
                .cond
                .wait_timeout(st, Duration::from_millis(100))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        };
        if let Some(t) = blocked {
            self.metrics
                .sink_backpressure
                .with_label_values(&[&self.name])
                .inc_by(t.elapsed().as_secs_f64());
        }
        self.gauges(&st);
        drop(st);
        self.cond.notify_all();
        result
    }

    /// Batches handed over so far.
    pub fn enqueued(&self) -> u64 {
        self.lock().enqueued
    }

    /// Every batch numbered up to this is delivered or spooled.
    pub fn durable(&self) -> u64 {
        let st = self.lock();
        st.mem.front().map_or(st.enqueued, |b| b.seq - 1)
    }

    /// Whether nothing is waiting in memory or in the spool.
    pub fn is_drained(&self) -> bool {
        let st = self.lock();
        st.mem.is_empty() && st.spool.as_ref().is_none_or(Spool::is_empty)
    }

    /// No more batches will come: the worker exits once everything is
    /// delivered.
    pub fn close(&self) {
        self.lock().closing = true;
        self.cond.notify_all();
    }

    /// Give up: pushes fail, the worker stops retrying, moves what is in
    /// memory to the spool and exits.
    pub fn abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
        self.cond.notify_all();
    }

    /// Moves the memory queue to the front of the spool (it is older).
    fn migrate(&self, st: &mut State) {
        let name = &self.name;
        let Some(spool) = st.spool.as_mut() else {
            return;
        };
        while let Some(b) = st.mem.back().cloned() {
            if !spool.fits(b.bytes) || spool.push_front(&b.lines).is_err() {
                break;
            }
            st.mem.pop_back();
            st.mem_bytes -= b.bytes;
            self.metrics
                .sink_spooled
                .with_label_values(&[name])
                .inc_by(b.lines.len() as u64);
        }
        if !st.mem.is_empty() {
            let n: usize = st.mem.iter().map(|b| b.lines.len()).sum();
            crate::warn!(
                "sink {name}: {n} undelivered alerts did not fit in the spool; their input will be read again at the next start"
            );
        }
    }
}

/// The pipeline's side of a queued sink.
#[derive(Debug)]
pub struct QueuedSink {
    queue: Arc<SinkQueue>,
}

impl QueuedSink {
    /// The front of `queue`.
    pub fn new(queue: Arc<SinkQueue>) -> Self {
        QueuedSink { queue }
    }
}

impl Sink for QueuedSink {
    fn name(&self) -> &str {
        &self.queue.name
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), SinkError> {
        self.queue.push(alerts.iter().map(alert_line).collect())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    fn reports_deliveries(&self) -> bool {
        true
    }
}

/// What the worker took from the queue.
enum Item {
    Mem(Arc<Batch>),
    Spool(Vec<String>),
}

impl Item {
    fn lines(&self) -> &[String] {
        match self {
            Item::Mem(b) => &b.lines,
            Item::Spool(l) => l,
        }
    }
}

/// Starts the delivery thread of `queue`.
pub fn spawn_worker(
    queue: Arc<SinkQueue>,
    transport: Box<dyn Transport>,
    backoff: Backoff,
    clock: SharedClock,
) -> std::io::Result<JoinHandle<()>> {
    let name = format!("sink-{}", queue.name);
    let mut w = Worker {
        queue,
        transport,
        retry: RetryState::new(backoff),
        clock,
    };
    std::thread::Builder::new()
        .name(name)
        .spawn(move || w.run())
}

struct Worker {
    queue: Arc<SinkQueue>,
    transport: Box<dyn Transport>,
    retry: RetryState,
    clock: SharedClock,
}

enum Outcome {
    Delivered,
    Dropped,
    Aborted(usize),
}

impl Worker {
    fn run(&mut self) {
        while let Some(item) = self.next() {
            let outcome = self.deliver(item.lines());
            let q = &self.queue;
            let mut st = q.lock();
            match outcome {
                Outcome::Delivered | Outcome::Dropped => match item {
                    Item::Mem(_) => {
                        if let Some(b) = st.mem.pop_front() {
                            st.mem_bytes -= b.bytes;
                        }
                    }
                    Item::Spool(_) => {
                        if let Some(Err(e)) = st.spool.as_mut().map(Spool::pop_front) {
                            crate::warn!(
                                "sink {}: cannot remove a delivered spool file: {e}",
                                q.name
                            );
                        }
                    }
                },
                Outcome::Aborted(done) => {
                    // Keep only what was not delivered, for the spool.
                    if let (Item::Mem(b), true) = (&item, done > 0)
                        && !st.mem.is_empty()
                    {
                        let rest = b.lines[done..].to_vec();
                        let bytes = batch_bytes(&rest);
                        st.mem_bytes = st.mem_bytes - b.bytes + bytes;
                        st.mem[0] = Arc::new(Batch {
                            seq: b.seq,
                            lines: rest,
                            bytes,
                        });
                    }
                }
            }
            q.gauges(&st);
            drop(st);
            q.cond.notify_all();
        }
    }

    /// The next batch to deliver; `None` when closed and drained, or aborted.
    fn next(&mut self) -> Option<Item> {
        let q = &self.queue;
        let mut st = q.lock();
        loop {
            if q.abort.load(Ordering::SeqCst) {
                q.migrate(&mut st);
                q.gauges(&st);
                return None;
            }
            if let Some(b) = st.mem.front() {
                return Some(Item::Mem(b.clone()));
            }
            if let Some(spool) = st.spool.as_mut() {
                match spool.front() {
                    Some(Ok(lines)) => return Some(Item::Spool(lines)),
                    Some(Err(e)) => {
                        crate::error!("sink {}: {e}", q.name);
                        q.metrics
                            .sink_dropped
                            .with_label_values(&[&q.name, "spool_corrupt"])
                            .inc_by(e.count as u64);
                        continue;
                    }
                    None => {}
                }
            }
            if st.closing {
                return None;
            }
            st = q.cond.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Delivers `lines`, retrying transient failures until done or aborted.
    fn deliver(&mut self, lines: &[String]) -> Outcome {
        let q = self.queue.clone();
        let mut from = 0;
        loop {
            let now = self.clock.now();
            if let Some(at) = self.retry.retry_at.filter(|_| !self.retry.ready(now)) {
                // Sleep until the retry, waking early only to abort.
                let st = q.lock();
                if q.abort.load(Ordering::SeqCst) {
                    return Outcome::Aborted(from);
                }
                let wait = at
                    .saturating_duration_since(now)
                    .min(Duration::from_millis(200));
                drop(q.cond.wait_timeout(st, wait));
                if q.abort.load(Ordering::SeqCst) {
                    return Outcome::Aborted(from);
                }
                continue;
            }
            let outcome = self.transport.send(&lines[from..]);
            let sent = match &outcome {
                Ok(()) => lines.len() - from,
                Err(e) => e.delivered.min(lines.len() - from),
            };
            from += sent;
            if sent > 0 {
                q.metrics
                    .sink_deliveries
                    .with_label_values(&[&q.name, "success"])
                    .inc_by(sent as u64);
            }
            let e = match outcome {
                Ok(()) => {
                    if self.retry.failing_since.is_some() {
                        crate::info!(
                            "sink {}: delivering again after {} failed attempts",
                            q.name,
                            self.retry.attempts()
                        );
                        q.health.clear(&format!("sink/{}", q.name));
                    }
                    self.retry.succeeded();
                    return Outcome::Delivered;
                }
                Err(e) => e,
            };
            let left = (lines.len() - from) as u64;
            q.metrics
                .sink_deliveries
                .with_label_values(&[&q.name, "failure"])
                .inc_by(left);
            if !e.retry {
                crate::error!(
                    "sink {}: {} rejected by the destination ({}); dropped",
                    q.name,
                    plural(left),
                    e.message
                );
                q.metrics
                    .sink_dropped
                    .with_label_values(&[&q.name, "rejected"])
                    .inc_by(left);
                return Outcome::Dropped;
            }
            self.failed(&e);
        }
    }

    fn failed(&mut self, e: &SendError) {
        let q = &self.queue;
        q.metrics.sink_retries.with_label_values(&[&q.name]).inc();
        let first = self.retry.failing_since.is_none();
        let changed = self.retry.last_error.as_deref() != Some(e.message.as_str());
        let at = self
            .retry
            .failed(self.clock.now(), e.retry_after, e.message.clone());
        let attempts = self.retry.attempts();
        if first || changed || attempts.is_power_of_two() {
            let wait = at.saturating_duration_since(self.clock.now());
            crate::warn!(
                "sink {}: delivery failed ({}), attempt {attempts}; retrying in {:.1}s",
                q.name,
                e.message,
                wait.as_secs_f64()
            );
        }
        q.health.set(
            &format!("sink/{}", q.name),
            &format!("{} ({attempts} failed attempts)", e.message),
        );
    }
}

fn plural(n: u64) -> String {
    if n == 1 {
        "1 alert".into()
    } else {
        format!("{n} alerts")
    }
}

#[cfg(test)]
mod tests;
