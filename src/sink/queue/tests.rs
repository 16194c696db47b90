//! The queue against a scripted destination: order, retries, the memory
//! bound, spooling, backpressure, abort and restart.

use super::*;
use crate::clock::SystemClock;
use std::sync::atomic::AtomicUsize;

/// A destination that fails while `down` is set (or rejects when
/// `reject`), and records what it received.
#[derive(Clone, Default)]
struct Scripted {
    down: Arc<AtomicBool>,
    reject: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<String>>>,
    calls: Arc<AtomicUsize>,
}

impl Transport for Scripted {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.reject.load(Ordering::SeqCst) {
            return Err(SendError::permanent("HTTP 400"));
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(SendError::transient("HTTP 500"));
        }
        self.got.lock().unwrap().extend(alerts.iter().cloned());
        Ok(())
    }
}

fn batch(from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| format!("{{\"n\":{i:06}}}"))
        .collect()
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn start(
    memory: u64,
    spool: Option<&std::path::Path>,
    spool_max: u64,
) -> (Arc<SinkQueue>, Scripted, JoinHandle<()>, Metrics) {
    let metrics = Metrics::new();
    let spool = spool.map(|d| Spool::open(d, spool_max).unwrap());
    let q = SinkQueue::new("t", memory, spool, metrics.clone(), Health::new());
    let dest = Scripted::default();
    let h = spawn_worker(
        q.clone(),
        Box::new(dest.clone()),
        Backoff::new(Duration::from_millis(1), Duration::from_millis(4), 1),
        SystemClock::shared(),
    )
    .unwrap();
    (q, dest, h, metrics)
}

#[test]
fn retries_until_delivered_in_order_and_counts() {
    let (q, dest, h, m) = start(1 << 20, None, 0);
    dest.down.store(true, Ordering::SeqCst);
    for i in 0..5 {
        q.push(batch(i * 3, 3)).unwrap();
    }
    wait_for("retries", || dest.calls.load(Ordering::SeqCst) >= 4);
    assert_eq!(
        q.durable(),
        0,
        "nothing durable while failing without a spool"
    );
    dest.down.store(false, Ordering::SeqCst);
    q.close();
    h.join().unwrap();
    assert_eq!(*dest.got.lock().unwrap(), batch(0, 15));
    assert_eq!(q.durable(), 5);
    let l = ["t"];
    assert!(m.sink_retries.with_label_values(&l).get() >= 3);
    assert_eq!(
        m.sink_deliveries.with_label_values(&["t", "success"]).get(),
        15
    );
    assert_eq!(m.sink_queue_bytes.with_label_values(&l).get(), 0);
}

#[test]
fn memory_then_spool_then_backpressure_and_nothing_lost() {
    let d = tempfile::tempdir().unwrap();
    let one = batch_bytes(&batch(0, 2));
    let file = one + "{\"picket_spool\":1,\"count\":2}\n".len() as u64;
    // Four batches fit in memory, three in the spool (which keeps 64 bytes spare).
    let (q, dest, h, m) = start(4 * one, Some(d.path()), 3 * file + one + 63);
    dest.down.store(true, Ordering::SeqCst);
    for i in 0..7 {
        q.push(batch(i * 2, 2)).unwrap();
        assert!(m.sink_queue_bytes.with_label_values(&["t"]).get() as u64 <= 4 * one);
    }
    assert_eq!(m.sink_spooled.with_label_values(&["t"]).get(), 6);
    // Spooled batches are durable; the memory ones are not yet.
    assert_eq!(q.durable(), 0, "the first batch is still in memory");
    // Full: the next push waits until the destination is back.
    let q2 = q.clone();
    let pusher = std::thread::spawn(move || q2.push(batch(14, 2)));
    std::thread::sleep(Duration::from_millis(150));
    assert!(!pusher.is_finished(), "backpressure");
    dest.down.store(false, Ordering::SeqCst);
    pusher.join().unwrap().unwrap();
    q.close();
    h.join().unwrap();
    assert_eq!(
        *dest.got.lock().unwrap(),
        batch(0, 16),
        "in order, exactly once"
    );
    assert!(m.sink_backpressure.with_label_values(&["t"]).get() > 0.1);
    assert!(q.is_drained());
}

#[test]
fn big_batches_are_split_to_respect_the_memory_bound() {
    let (q, dest, h, m) = start(100, None, 0);
    dest.down.store(true, Ordering::SeqCst);
    let q2 = q.clone();
    let pusher = std::thread::spawn(move || q2.push(batch(0, 40)));
    std::thread::sleep(Duration::from_millis(100));
    assert!(m.sink_queue_bytes.with_label_values(&["t"]).get() <= 100);
    dest.down.store(false, Ordering::SeqCst);
    pusher.join().unwrap().unwrap();
    q.close();
    h.join().unwrap();
    assert_eq!(*dest.got.lock().unwrap(), batch(0, 40));
    assert!(q.enqueued() >= 20, "25-byte pieces of 13-byte alerts");
}

#[test]
fn abort_moves_memory_to_the_spool_and_a_restart_delivers_it_first() {
    let d = tempfile::tempdir().unwrap();
    let one = batch_bytes(&batch(0, 2));
    let (q, dest, h, _m) = start(4 * one, Some(d.path()), 1 << 20);
    dest.down.store(true, Ordering::SeqCst);
    for i in 0..4 {
        q.push(batch(i * 2, 2)).unwrap();
    }
    q.abort();
    h.join().unwrap();
    assert!(q.push(batch(8, 2)).is_err(), "aborted queues refuse");
    assert_eq!(q.durable(), 4, "everything reached the spool");
    let (q, dest, h, _m) = start(4 * one, Some(d.path()), 1 << 20);
    q.close();
    h.join().unwrap();
    assert_eq!(*dest.got.lock().unwrap(), batch(0, 8));
}

#[test]
fn rejected_alerts_are_dropped_and_counted() {
    let (q, dest, h, m) = start(1 << 20, None, 0);
    dest.reject.store(true, Ordering::SeqCst);
    q.push(batch(0, 3)).unwrap();
    q.close();
    h.join().unwrap();
    assert_eq!(
        m.sink_dropped.with_label_values(&["t", "rejected"]).get(),
        3
    );
    assert_eq!(q.durable(), 1);
}
