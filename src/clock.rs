//! Injected time for the daemon's wall-clock logic.
//!
//! Detection runs on event time (STYLE practice 6); only the daemon's own
//! timers (retry backoff, checkpoint interval, rotation grace periods, sink
//! health) need the clock. They take a [`Clock`] so unit tests can drive
//! them with a [`FakeClock`] instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// A shared clock handle, as components store it.
pub type SharedClock = Arc<dyn Clock>;

/// The real monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl SystemClock {
    /// The real clock as a [`SharedClock`].
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Clone)]
pub struct FakeClock {
    base: Instant,
    offset_ns: Arc<AtomicU64>,
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            base: Instant::now(),
            offset_ns: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl FakeClock {
    /// A fake clock starting at an arbitrary instant.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward by `d` for every clone of this clock.
    pub fn advance(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.offset_ns.fetch_add(ns, Ordering::SeqCst);
    }

    /// This clock as a [`SharedClock`].
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.base + Duration::from_nanos(self.offset_ns.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_clock_moves_only_when_advanced_and_clones_share_time() {
        let c = FakeClock::new();
        let shared = c.shared();
        let t0 = shared.now();
        assert_eq!(shared.now(), t0);
        c.advance(Duration::from_secs(3));
        assert_eq!(shared.now() - t0, Duration::from_secs(3));
    }
}
