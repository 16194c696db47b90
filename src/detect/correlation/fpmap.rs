//! Hash maps keyed by group and entity fingerprints.
//!
//! The keys are already keyed SipHash outputs ([`EntityKey`]), uniform and
//! unpredictable without the state key, so hashing them again (std's
//! SipHash, about 20 ns per lookup on the hot path) buys nothing: the
//! fingerprint is its own hash.
//!
//! [`EntityKey`]: super::behave::EntityKey

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A map from fingerprints.
pub(crate) type FpMap<V> = HashMap<u64, V, BuildFp>;

/// Builds [`FpHasher`]s.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BuildFp;

impl BuildHasher for BuildFp {
    type Hasher = FpHasher;
    fn build_hasher(&self) -> FpHasher {
        FpHasher(0)
    }
}

/// Passes a `u64` key through as its hash.
#[derive(Debug)]
pub(crate) struct FpHasher(u64);

impl Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are expected; anything else still hashes.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}
