//! Minibatch gradients and their angles to the full gradient
//! (ids BATCH-1..BATCH-4, `theorems/BATCH.md`).
//!
//! A batch `B ⊂ [n]` of size `b` is drawn uniformly without replacement;
//! its gradient is `g_B = (1/b) Σ_{i∈B} g_i`, and `θ_B` is its angle to the
//! full gradient `g = (1/n) Σ_i g_i`. With `σ² = (1/n) Σ_i ‖g_i − g‖²`:
//!
//! $$ \mathbb E\\,\lVert g_B - g\rVert^2 = \frac{(n - b)\\,\sigma^2}{b\\,(n - 1)}, \qquad
//!    \mathbb E \sin^2\theta_B \le \min\Bigl(1, \frac{(n - b)\\,\sigma^2}{b\\,(n - 1)\\,\lVert g\rVert^2}\Bigr). $$
//!
//! - [`exact`]: every one of the `C(n, b)` batches of a small set, for the
//!   property tests of BATCH-1..4;
//! - [`analyzer`]: the statistics of `cos θ_B` per batch size for a
//!   per-example gradient dump of any size (exact where enumeration is
//!   cheap, otherwise sampled from seeded random permutations, streamed);
//!
//! Conventions: a zero batch mean `g_B = 0` has `cos θ_B := 0` and
//! `sin² θ_B := 1`; angles need `g ≠ 0`.

pub mod analyzer;
pub mod exact;

use nalgebra::DVector;

use crate::direction::Angle;
use crate::real::{dot, norm, Real};

/// The angle of `g_B = g + δ` to `g`, from the batch mean `g_B`, its
/// deviation `δ = g_B − g` and the unit vector `u = g/‖g‖`.
///
/// The sine is `‖P⊥ x‖/‖g_B‖` with `x` the shorter of `g_B` and `δ`
/// (`P⊥ g_B = P⊥ δ` because `P⊥ g = 0`): projecting a vector costs an
/// absolute error of a few `ε‖x‖`, so the sine is accurate to a few `ε`
/// both when `θ_B` is small (where `1 − cos²` would cancel) and when `g_B`
/// is short (where `δ ≈ −g` is long).
pub fn batch_angle<T: Real>(
    batch_mean: &DVector<T>,
    deviation: &DVector<T>,
    unit_mean: &DVector<T>,
) -> Angle<T> {
    let batch_norm = norm(batch_mean);
    if batch_norm == T::zero() {
        return Angle {
            cos: T::zero(),
            sin: T::one(),
        };
    }
    let shorter = if norm(deviation) < batch_norm {
        deviation
    } else {
        batch_mean
    };
    let orthogonal = shorter - unit_mean * dot(shorter, unit_mean);
    let sin = (norm(&orthogonal) / batch_norm).min(T::one());
    Angle {
        cos: (dot(batch_mean, unit_mean) / batch_norm)
            .max(-T::one())
            .min(T::one()),
        sin,
    }
}

/// The BATCH-1 variance factor `(n − b) / (b (n − 1))`: `E‖g_B − g‖² = factor · σ²`.
/// It is `0` at `b = n` (also for `n = 1`).
pub fn variance_factor(n: usize, b: usize) -> f64 {
    if b >= n {
        0.0
    } else {
        (n - b) as f64 / (b as f64 * (n - 1) as f64)
    }
}

/// A Neumaier-compensated sum: the error of an average over many batches
/// stays at a few ulps of `Σ |x_k|`, whatever the number of terms.
#[derive(Clone, Copy, Debug)]
pub struct CompensatedSum<T> {
    sum: T,
    compensation: T,
}

impl<T: Real> Default for CompensatedSum<T> {
    fn default() -> Self {
        Self {
            sum: T::zero(),
            compensation: T::zero(),
        }
    }
}

impl<T: Real> CompensatedSum<T> {
    /// Adds `x`.
    pub fn add(&mut self, x: T) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    pub fn total(&self) -> T {
        self.sum + self.compensation
    }
}

/// `(1/K) Σ_k x_k`, compensated; `0` for no terms.
pub fn compensated_mean<T: Real>(values: impl IntoIterator<Item = T>) -> T {
    let mut sum = CompensatedSum::default();
    let mut count = 0usize;
    for x in values {
        sum.add(x);
        count += 1;
    }
    if count == 0 {
        T::zero()
    } else {
        sum.total() / T::of(count as f64)
    }
}
