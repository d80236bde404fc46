//! Uniform draws from a seeded [`ChaCha8Rng`], shared by the seeded generators (`sim explore`'s
//! scenarios, `sim wire-fuzz`'s frames). The same rng state gives the same draws on every
//! platform: only `next_u64` and modulo are used.

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

/// A small helper over a seeded rng.
pub struct Draw(pub ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (0 when `n` is 0; the modulo bias is below 2^-40 for the small `n`
    /// used here).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index into a slice of `len` items (0 for an empty one).
    pub fn index(&mut self, len: usize) -> usize {
        // Lossless both ways: `len` fits u64, and the draw is below `len`.
        self.below(len as u64) as usize
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.0.fill_bytes(&mut out);
        out
    }

    /// A random `u64`.
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}
