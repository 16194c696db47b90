//! The generator's only source of randomness.
//!
//! A fixed algorithm (PCG-64 MCG) seeded from the config, so the same seed
//! gives byte-identical output on every platform and run. Every draw goes
//! through these helpers, so the sequence of draws (and with it the output)
//! changes only when the generator's code does.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// A seeded PRNG with the few kinds of draw the generator needs.
pub(super) struct Rand(Pcg64Mcg);

impl Rand {
    pub(super) fn new(seed: u64) -> Self {
        Rand(Pcg64Mcg::seed_from_u64(seed))
    }

    pub(super) fn u64(&mut self) -> u64 {
        self.0.random()
    }

    /// Uniform in `0..n`; `n` must be positive.
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0.random_range(lo..=hi)
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        self.0.random()
    }

    /// True with probability `p` (values outside `[0, 1]` act as clamped).
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of a list of static strings.
    pub(super) fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// One value from a `(weight, value)` table; weights need not sum to 100.
    pub(super) fn weighted<T: Copy>(&mut self, table: &[(u32, T)]) -> T {
        let total: u32 = table.iter().map(|(w, _)| w).sum();
        let mut x = self.0.random_range(0..total);
        for &(w, v) in table {
            if x < w {
                return v;
            }
            x -= w;
        }
        table[table.len() - 1].1
    }

    /// An index in `0..n` biased towards small values, so that a few users,
    /// clients and documents are busy and the long tail is quiet, as in real
    /// traffic.
    pub(super) fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * n as f64) as usize).min(n - 1)
    }

    /// An exponentially distributed value with the given mean (inter-arrival
    /// times of a Poisson process).
    pub(super) fn exp(&mut self, mean: f64) -> f64 {
        -ln(1.0 - self.unit()) * mean
    }

    /// Appends `n` random decimal digits.
    pub(super) fn digits(&mut self, out: &mut Vec<u8>, n: usize) {
        for _ in 0..n {
            out.push(b'0' + self.below(10) as u8);
        }
    }

    /// Appends `n` characters drawn from `alphabet`.
    pub(super) fn chars(&mut self, out: &mut Vec<u8>, alphabet: &[u8], n: usize) {
        for _ in 0..n {
            out.push(*self.pick(alphabet));
        }
    }

    /// Appends `n` lowercase hex digits. Runs of nine or more decimal digits
    /// are broken with a letter: a long digit run inside a hex id could be a
    /// valid Aadhaar or card number, and background ids must carry no PI, or
    /// the ground truth would under-count what a detector may rightly find.
    pub(super) fn hex(&mut self, out: &mut Vec<u8>, n: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut run = 0;
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.u64();
            }
            let mut c = HEX[(bits & 15) as usize];
            bits >>= 4;
            if c.is_ascii_digit() {
                run += 1;
                if run == 9 {
                    c = b'a' + (c - b'0') % 6;
                    run = 0;
                }
            } else {
                run = 0;
            }
            out.push(c);
        }
    }
}

/// Natural logarithm of a positive normal `x` from IEEE-754 basic operations
/// only. `f64::ln` comes from the platform's libm, whose last bit may differ
/// between C libraries; that would move event times and break "same seed,
/// same bytes" across platforms.
fn ln(x: f64) -> f64 {
    // x = m · 2^e with m in [1, 2); ln m = 2·atanh(s), s = (m-1)/(m+1) < 1/3.
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let (mut term, mut sum) = (s, 0.0);
    // s² < 1/9: twenty terms leave an error far below f64 precision.
    for k in 0..20 {
        sum += term / f64::from(2 * k + 1);
        term *= s2;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_libm() {
        for x in [
            1.0,
            0.5,
            0.1,
            0.999_999,
            1e-9,
            2f64.powi(-53),
            0.367_879_441_171_442_3,
            0.75,
        ] {
            let (ours, libm) = (ln(x), x.ln());
            assert!(
                (ours - libm).abs() <= 4.0 * f64::EPSILON * libm.abs().max(1.0),
                "{x}: {ours} vs {libm}"
            );
        }
    }

    #[test]
    fn draws_are_in_range() {
        let mut r = Rand::new(3);
        let mut total = 0.0;
        for _ in 0..100_000 {
            let e = r.exp(2.0);
            assert!(e >= 0.0 && e.is_finite());
            total += e;
            assert!(r.skewed(7) < 7 && r.below(3) < 3 && (5..=9).contains(&r.range(5, 9)));
        }
        assert!((total / 100_000.0 - 2.0).abs() < 0.05);
        assert_eq!(r.weighted(&[(0, 'a'), (5, 'b')]), 'b');
    }
}
