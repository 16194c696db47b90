//! Retry timing: exponential backoff with jitter, `Retry-After`, and the
//! failure bookkeeping behind a sink's health.
//!
//! Time is injected ([`crate::clock::Clock`] instants and a seeded RNG), so
//! the schedule is tested without sleeping.

use rand::Rng;
use rand_pcg::Pcg64Mcg;
use std::time::{Duration, Instant, SystemTime};

/// Exponential backoff with "equal jitter": the n-th delay is uniform in
/// `[d/2, d]` for `d = min(initial × 2ⁿ, max)`. Some jitter keeps many
/// picket instances from retrying in lockstep; keeping half of `d` avoids
/// hammering a struggling server with near-zero waits.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
    rng: Pcg64Mcg,
}

impl Backoff {
    /// A schedule from `initial` up to `max`, jittered by a PRNG seeded
    /// with `seed`.
    pub fn new(initial: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            initial: initial.max(Duration::from_millis(1)),
            max: max.max(initial),
            attempt: 0,
            rng: Pcg64Mcg::new(u128::from(seed) | 1),
        }
    }

    /// The delay before the next attempt. A server's `Retry-After` hint is
    /// honoured when longer (capped at `max`, so a hostile or confused
    /// server cannot park a sink for days).
    pub fn next_delay(&mut self, hint: Option<Duration>) -> Duration {
        let exp = self
            .initial
            .checked_mul(1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.max)
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        let jittered = half + half.mul_f64(self.rng.random::<f64>());
        match hint {
            Some(h) => jittered.max(h.min(self.max)),
            None => jittered,
        }
    }

    /// Back to the first delay (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Failed attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date, relative
/// to `now` (a date in the past means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(v, &fmt).ok()?.assume_utc();
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// When to try again and whether the sink counts as failing.
#[derive(Debug, Clone)]
pub struct RetryState {
    backoff: Backoff,
    /// No attempt before this instant.
    pub retry_at: Option<Instant>,
    /// When the current run of failures began.
    pub failing_since: Option<Instant>,
    /// The latest failure, for logs and `/healthz`.
    pub last_error: Option<String>,
}

impl RetryState {
    /// A fresh state with `backoff`.
    pub fn new(backoff: Backoff) -> Self {
        RetryState {
            backoff,
            retry_at: None,
            failing_since: None,
            last_error: None,
        }
    }

    /// Whether an attempt may be made at `now`.
    pub fn ready(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|t| now >= t)
    }

    /// An attempt failed at `now`; returns when to try again.
    pub fn failed(&mut self, now: Instant, hint: Option<Duration>, error: String) -> Instant {
        self.failing_since.get_or_insert(now);
        self.last_error = Some(error);
        let at = now + self.backoff.next_delay(hint);
        self.retry_at = Some(at);
        at
    }

    /// An attempt succeeded.
    pub fn succeeded(&mut self) {
        self.backoff.reset();
        self.retry_at = None;
        self.failing_since = None;
        self.last_error = None;
    }

    /// Failed attempts in the current run of failures.
    pub fn attempts(&self) -> u32 {
        self.backoff.attempts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};

    #[test]
    fn delays_grow_exponentially_with_bounded_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 7);
        let mut prev_cap = Duration::ZERO;
        for n in 0..10u32 {
            let cap = (Duration::from_millis(100) * 2u32.pow(n)).min(Duration::from_secs(2));
            let d = b.next_delay(None);
            assert!(
                d >= cap / 2 && d <= cap,
                "attempt {n}: {d:?} not in [{:?}, {cap:?}]",
                cap / 2
            );
            assert!(cap >= prev_cap);
            prev_cap = cap;
        }
        b.reset();
        assert!(b.next_delay(None) <= Duration::from_millis(100));
        // Same seed, same schedule: reproducible tests.
        let mut a = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 7);
        let mut c = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 7);
        assert_eq!(a.next_delay(None), c.next_delay(None));
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_secs(30), 1);
        assert!(b.next_delay(Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert_eq!(
            b.next_delay(Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        // RFC 9110's example date, 10 s after `now`.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now + Duration::from_secs(60)
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_state_follows_a_fake_clock() {
        let clock = FakeClock::new();
        let mut s = RetryState::new(Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(8),
            3,
        ));
        let t0 = clock.now();
        assert!(s.ready(t0));
        let at = s.failed(t0, None, "HTTP 500".into());
        assert!(!s.ready(t0));
        assert!(at - t0 <= Duration::from_secs(1));
        clock.advance(at - t0);
        assert!(s.ready(clock.now()));
        let at2 = s.failed(clock.now(), None, "HTTP 500".into());
        assert!(at2 - clock.now() >= Duration::from_secs(1));
        assert_eq!(s.failing_since, Some(t0));
        assert_eq!(s.attempts(), 2);
        s.succeeded();
        assert!(s.ready(clock.now()) && s.failing_since.is_none() && s.attempts() == 0);
    }
}
