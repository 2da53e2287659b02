//! Seeded randomness of the numeric base: one stream constructor for all
//! runtime code (shuffled orders of the incremental engine, the explorer's
//! mutations, the smoothness estimator, the batch sampler, model
//! initialisation), an unbiased permutation and a standard Gaussian.
//!
//! The stream is ChaCha8 from `rand_chacha`, whose output is value-stable
//! across its releases, keyed by a seed and a label (so that two uses of the
//! same seed draw independent streams). Random *cases* of the statements are
//! drawn by proptest strategies, whose runner needs proptest's own `TestRng`:
//! [`case_rng`] builds it in its ChaCha mode from the same key.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

pub use rand::{Rng, RngExt};

/// The seeded generator of runtime code.
pub type SeededRng = rand_chacha::ChaCha8Rng;

/// The 32-byte key of `(seed, label)`: the seed's little-endian bytes, then
/// FNV-1a of the label.
pub fn seed_key(seed: u64, label: &str) -> [u8; 32] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in label.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&hash.to_le_bytes());
    key
}

/// A ChaCha8 stream keyed by `seed` and `label`.
pub fn seeded_rng(seed: u64, label: &str) -> SeededRng {
    SeededRng::from_seed(seed_key(seed, label))
}

/// proptest's runner RNG (ChaCha mode) keyed by `seed` and `label`, for
/// drawing cases from strategies.
pub fn case_rng(seed: u64, label: &str) -> proptest::test_runner::TestRng {
    proptest::test_runner::TestRng::from_seed(
        proptest::test_runner::RngAlgorithm::ChaCha,
        &seed_key(seed, label),
    )
}

/// A uniformly random permutation of `0..n` (`rand`'s Fisher–Yates, no
/// modulo bias).
pub fn permutation(n: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
}

/// A standard normal draw.
pub fn gaussian(rng: &mut impl Rng) -> f64 {
    StandardNormal.sample(rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_keyed_by_seed_and_label() {
        let draw = |seed, label| seeded_rng(seed, label).next_u64();
        assert_eq!(draw(1, "a"), draw(1, "a"));
        assert_ne!(draw(1, "a"), draw(2, "a"));
        assert_ne!(draw(1, "a"), draw(1, "b"));
        let mut p = permutation(10, &mut seeded_rng(3, "p"));
        p.sort_unstable();
        assert_eq!(p, (0..10).collect::<Vec<_>>());
    }
}
