//! What to generate.

use crate::event::{Timestamp, days_from_civil};

/// Settings for a [`Generator`](super::Generator). The same settings give
/// byte-identical output.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// Seed of the PRNG; everything random follows from it.
    pub seed: u64,
    /// Event time of the first line.
    pub start: Timestamp,
    /// Average rate of background lines per second of event time. Traffic
    /// follows a day curve (quiet at night, busy in the afternoon) whose
    /// mean is this rate; incident lines come on top.
    pub lines_per_sec: f64,
    /// Number of application accounts (`app-1` … `app-N`).
    pub users: usize,
    /// Number of tenants (`acme`, `globex`, …); databases are `{tenant}_{db}`.
    pub tenants: usize,
    /// Share of background lines that carry planted PI (default 0.005).
    pub pi_rate: f64,
    /// Share of background lines that carry a planted PI look-alike
    /// (default 0.012).
    pub lookalike_rate: f64,
    /// Share of background lines that are CouchDB requests; the rest is
    /// generic web traffic (default 0.65).
    pub couchdb_share: f64,
    /// Plant incidents, and benign look-alikes of them.
    pub incidents: bool,
    /// How many times each incident kind is planted per day of event time.
    pub incidents_per_day: u32,
    /// Share of lines written with nginx's trailing
    /// `"$http_x_forwarded_for" $request_time` fields (default 0.1).
    pub trailing_share: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 42,
            start: Timestamp::from_unix(days_from_civil(2026, 3, 2) * 86_400, 0),
            lines_per_sec: 50.0,
            users: 200,
            tenants: 12,
            pi_rate: 0.005,
            lookalike_rate: 0.012,
            couchdb_share: 0.65,
            incidents: true,
            incidents_per_day: 3,
            trailing_share: 0.1,
        }
    }
}

impl GeneratorConfig {
    /// The same settings with every value brought into its valid range, so
    /// that no setting can make the generator panic or loop forever.
    pub(super) fn sanitized(mut self) -> Self {
        let unit = |x: f64| if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        self.pi_rate = unit(self.pi_rate);
        self.lookalike_rate = unit(self.lookalike_rate).min(1.0 - self.pi_rate);
        self.couchdb_share = unit(self.couchdb_share);
        self.trailing_share = unit(self.trailing_share);
        if !(self.lines_per_sec.is_finite() && self.lines_per_sec > 1e-6) {
            self.lines_per_sec = 1e-6;
        }
        self.users = self.users.clamp(1, 1_000_000);
        self.tenants = self.tenants.clamp(1, 10_000);
        self.incidents_per_day = self.incidents_per_day.min(1_000);
        self
    }
}
