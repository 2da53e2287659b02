//! Every batch of a small set: the exact expectations of BATCH-1..BATCH-4.
//!
//! For `n ≤ MAX_ENUMERATED_COMPONENTS` gradients, [`enumerate_batches`]
//! visits all `2ⁿ − 1` nonempty subsets once, building each subset sum from
//! a smaller one (`S(M) = S(M \ {min M}) + g_{min M}`, `d` additions per
//! subset), and groups them by size `b`. Averages over the `C(n, b)` batches
//! are compensated sums, so their rounding error does not grow with the
//! number of batches.

use nalgebra::DVector;

use super::{batch_angle, compensated_mean, CompensatedSum};
use crate::direction::Angle;
use crate::real::{dot, norm, Real};

/// Largest `n` that [`enumerate_batches`] accepts (`2¹⁶` subsets).
pub const MAX_ENUMERATED_COMPONENTS: usize = 16;

/// One batch `B`: its gradient's norm, its deviation from `g`, and its angle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchGeometry<T> {
    /// `‖g_B‖`.
    pub batch_norm: T,
    /// `‖g_B − g‖`.
    pub deviation_norm: T,
    /// `⟨g_B, g⟩`.
    pub inner: T,
    /// `θ_B`; `None` when `g = 0`.
    pub angle: Option<Angle<T>>,
}

/// All `C(n, b)` batches of one size `b`.
#[derive(Clone, Debug)]
pub struct ExactBatches<T: Real> {
    /// The batch size `b`.
    pub b: usize,
    /// `E[g_B] = (1/C(n,b)) Σ_{|B|=b} g_B`.
    pub mean_batch_gradient: DVector<T>,
    /// `E‖g_B − g‖²`.
    pub mean_squared_deviation: T,
    /// Every batch, in subset order.
    pub batches: Vec<BatchGeometry<T>>,
}

impl<T: Real> ExactBatches<T> {
    /// `E[cos θ_B]`; `None` when `g = 0`.
    pub fn mean_cos(&self) -> Option<T> {
        self.angles()
            .map(|angles| compensated_mean(angles.iter().map(|a| a.cos)))
    }

    /// `E[sin² θ_B]`; `None` when `g = 0`.
    pub fn mean_sin2(&self) -> Option<T> {
        self.angles()
            .map(|angles| compensated_mean(angles.iter().map(|a| a.sin2())))
    }

    /// The angles of all batches; `None` when `g = 0`.
    pub fn angles(&self) -> Option<Vec<Angle<T>>> {
        self.batches.iter().map(|batch| batch.angle).collect()
    }
}

/// The full gradient, `σ²`, and every batch of every size.
#[derive(Clone, Debug)]
pub struct SubsetEnumeration<T: Real> {
    /// `n`.
    pub n: usize,
    /// `g = (1/n) Σ_i g_i`.
    pub mean: DVector<T>,
    /// `σ² = (1/n) Σ_i ‖g_i − g‖²`.
    pub sigma2: T,
    /// `by_size[b − 1]`: all batches of size `b`, for `b = 1..=n`.
    pub by_size: Vec<ExactBatches<T>>,
}

impl<T: Real> SubsetEnumeration<T> {
    /// `‖g‖`.
    pub fn grad_norm(&self) -> T {
        norm(&self.mean)
    }

    /// `(1/n) Σ_i ‖g_i‖² = σ² + ‖g‖²`.
    pub fn mean_squared_norm(&self) -> T {
        self.sigma2 + self.grad_norm() * self.grad_norm()
    }
}

/// Enumerates all batches of `gradients`; `None` when the set is empty, the
/// vectors have no coordinates, `n > MAX_ENUMERATED_COMPONENTS`, or a sum
/// or squared deviation overflows (gradients near the largest float: the
/// statistics would be `∞` or NaN, not numbers).
/// The vectors must share one dimension (a [`GradientSet`] guarantees it).
///
/// [`GradientSet`]: crate::direction::GradientSet
pub fn enumerate_batches<T: Real>(gradients: &[DVector<T>]) -> Option<SubsetEnumeration<T>> {
    let n = gradients.len();
    if n == 0 || n > MAX_ENUMERATED_COMPONENTS {
        return None;
    }
    let dim = gradients[0].len();
    if dim == 0 {
        return None;
    }
    let mut total = DVector::zeros(dim);
    for g in gradients {
        total += g;
    }
    let mean = total / T::of(n as f64);
    let sigma2 = compensated_mean(gradients.iter().map(|g| {
        let s = norm(&(g - &mean));
        s * s
    }));
    if !(sigma2 * T::of(n as f64)).is_finite() {
        return None;
    }
    let mean_norm = norm(&mean);
    let unit = (mean_norm > T::zero()).then(|| &mean / mean_norm);

    struct Accumulator<T: Real> {
        gradient: Vec<CompensatedSum<T>>,
        squared_deviation: CompensatedSum<T>,
        batches: Vec<BatchGeometry<T>>,
    }
    let mut by_size: Vec<Accumulator<T>> = (0..n)
        .map(|_| Accumulator {
            gradient: vec![CompensatedSum::default(); dim],
            squared_deviation: CompensatedSum::default(),
            batches: Vec::new(),
        })
        .collect();
    let mut sums: Vec<DVector<T>> = Vec::with_capacity(1 << n);
    sums.push(DVector::zeros(dim));
    for mask in 1usize..(1 << n) {
        let lowest = mask.trailing_zeros() as usize;
        let sum = &sums[mask & (mask - 1)] + &gradients[lowest];
        let b = mask.count_ones() as usize;
        let batch_mean = &sum / T::of(b as f64);
        let deviation = &batch_mean - &mean;
        let deviation_norm = norm(&deviation);
        if !(deviation_norm * deviation_norm).is_finite() {
            return None;
        }
        let accumulator = &mut by_size[b - 1];
        for (acc, &x) in accumulator.gradient.iter_mut().zip(batch_mean.iter()) {
            acc.add(x);
        }
        accumulator
            .squared_deviation
            .add(deviation_norm * deviation_norm);
        accumulator.batches.push(BatchGeometry {
            batch_norm: norm(&batch_mean),
            deviation_norm,
            inner: dot(&batch_mean, &mean),
            angle: unit
                .as_ref()
                .map(|u| batch_angle(&batch_mean, &deviation, u)),
        });
        sums.push(sum);
    }
    let by_size = by_size
        .into_iter()
        .enumerate()
        .map(|(index, acc)| {
            let count = T::of(acc.batches.len() as f64);
            ExactBatches {
                b: index + 1,
                mean_batch_gradient: DVector::from_iterator(
                    dim,
                    acc.gradient.iter().map(|s| s.total() / count),
                ),
                mean_squared_deviation: acc.squared_deviation.total() / count,
                batches: acc.batches,
            }
        })
        .collect();
    Some(SubsetEnumeration {
        n,
        mean,
        sigma2,
        by_size,
    })
}

/// `C(n, k)` as `f64` (exact below `2⁵³`), `+∞` on overflow.
pub fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut value = 1.0f64;
    for i in 0..k {
        value = value * (n - i) as f64 / (i + 1) as f64;
    }
    value.round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_sums_are_not_enumerated() {
        let huge = vec![
            DVector::from_element(2, 1e300),
            DVector::from_element(2, -1e300),
        ];
        assert!(enumerate_batches(&huge).is_none());
        let fine = vec![
            DVector::from_element(2, 1e150),
            DVector::from_element(2, -1e150),
        ];
        assert!(enumerate_batches(&fine).is_some());
    }

    #[test]
    fn counts_every_subset_once() {
        let gradients: Vec<DVector<f64>> =
            (0..5).map(|i| DVector::from_element(2, i as f64)).collect();
        let all = enumerate_batches(&gradients).expect("n = 5 enumerates");
        for batches in &all.by_size {
            assert_eq!(batches.batches.len() as f64, binomial(5, batches.b));
        }
        assert_eq!(binomial(12, 6), 924.0);
        assert_eq!(binomial(3, 4), 0.0);
    }
}
