//! BATCH-1..BATCH-4: minibatch gradients and their angles to the full
//! gradient (`theorems/BATCH.md`).
//!
//! Each check enumerates every batch of the gradients at `x0`
//! ([`enumerate_batches`]), so the expectations over a uniformly random
//! batch are exact; the generator keeps `n ≤ 12` (at most 4095 subsets).
//! Batches of size `b = n` are left out of BATCH-2 and BATCH-3, where both
//! sides vanish identically (`g_B = g`) and would make every case "tight".

use nalgebra::DVector;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{witness, Statement};
use crate::batch::exact::{enumerate_batches, SubsetEnumeration};
use crate::batch::{compensated_mean, variance_factor};
use crate::clipping::Threshold;
use crate::direction::GradientSet;
use crate::generators::gradient_case;
use crate::instance::Instance;
use crate::real::Real;
use crate::statement;
use crate::tolerance::Comparison;

/// Largest `n` the BATCH generators draw.
pub const BATCH_COMPONENTS: usize = 12;

/// All batches of the set, when `2 ≤ n ≤` the enumeration limit.
fn batches_of<T: Real>(set: &GradientSet<T>) -> Option<SubsetEnumeration<T>> {
    (set.len() >= 2)
        .then(|| enumerate_batches(set.gradients()))
        .flatten()
}

/// All batches and `‖g‖`, when `2 ≤ n ≤` the enumeration limit and `g ≠ 0`
/// (the hypotheses of every statement about angles).
fn angled_batches_of<T: Real>(set: &GradientSet<T>) -> Option<(SubsetEnumeration<T>, T)> {
    let all = batches_of(set)?;
    let grad_norm = all.grad_norm();
    (grad_norm > T::zero()).then_some((all, grad_norm))
}

/// `σ² (n − b) / (b (n − 1))` in `T`.
fn deviation_bound<T: Real>(all: &SubsetEnumeration<T>, b: usize) -> T {
    T::of(variance_factor(all.n, b)) * all.sigma2
}

/// BATCH-1: `E[g_B] = g` and `E‖g_B − g‖² = (n − b)σ² / (b(n − 1))`, every `b`.
///
/// Scales: the mean component norm for the vectors (each `g_B` is a sum of
/// at most `n` gradients), and `(1/n) Σ ‖g_i‖²` for the squared deviations.
pub fn batch_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let all = batches_of(set)?;
    let vector_scale = set.mean_component_norm();
    let square_scale = compensated_mean(set.norms().iter().map(|&s| s * s));
    let mut out = Vec::with_capacity(2 * all.n);
    for batches in &all.by_size {
        out.push(Comparison::vectors_equal(
            "E[g_B] = g",
            &batches.mean_batch_gradient,
            &all.mean,
            vector_scale,
        ));
        out.push(Comparison::equal(
            "E‖g_B − g‖² = (n − b)σ²/(b(n − 1))",
            batches.mean_squared_deviation,
            deviation_bound(&all, batches.b),
            square_scale,
        ));
    }
    Some(out)
}

/// BATCH-2, for every batch with `b < n` (needs `g ≠ 0`):
/// `sin² θ_B ≤ min(1, ‖g_B − g‖²/‖g‖²)` and
/// `⟨g_B, g⟩ ≥ ‖g‖(‖g‖ − ‖g_B − g‖)` (so `‖g_B − g‖ < ‖g‖ ⇒ θ_B < π/2`).
pub fn batch_2<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (all, grad_norm) = angled_batches_of(set)?;
    let mut out = Vec::new();
    for batches in &all.by_size[..all.n - 1] {
        for batch in &batches.batches {
            let angle = batch.angle?;
            let relative = batch.deviation_norm / grad_norm;
            out.push(Comparison::at_most(
                "sin² θ_B ≤ min(1, ‖g_B − g‖²/‖g‖²)",
                angle.sin2(),
                (relative * relative).min(T::one()),
                T::one(),
            ));
            out.push(Comparison::at_least(
                "⟨g_B, g⟩ ≥ ‖g‖(‖g‖ − ‖g_B − g‖)",
                batch.inner,
                grad_norm * (grad_norm - batch.deviation_norm),
                (batch.batch_norm + grad_norm) * grad_norm,
            ));
        }
    }
    Some(out)
}

/// BATCH-3, for every `b < n` (needs `g ≠ 0`), with `c_b = (n − b)σ²/(b(n − 1)‖g‖²)`:
/// `E[sin² θ_B] ≤ min(1, c_b)` and, at every realised `t = sin θ_B`,
/// `P(sin θ_B ≥ t) t² ≤ c_b` (Chebyshev, in its sharpest form).
///
/// Scale `1`: `sin² ∈ [0, 1]`, and where `c_b < 1` the rounding error of
/// `c_b` is at most `(n + dim) ε (c_b + 1)` (see `theorems/BATCH.md`).
pub fn batch_3<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (all, grad_norm) = angled_batches_of(set)?;
    let mut out = Vec::new();
    for batches in &all.by_size[..all.n - 1] {
        let bound = deviation_bound(&all, batches.b) / (grad_norm * grad_norm);
        out.push(Comparison::at_most(
            "E[sin² θ_B] ≤ min(1, (n − b)σ²/(b(n − 1)‖g‖²))",
            batches.mean_sin2()?,
            bound.min(T::one()),
            T::one(),
        ));
        let mut sin2: Vec<T> = batches.angles()?.iter().map(|a| a.sin2()).collect();
        sin2.sort_by(|a, b| b.partial_cmp(a).unwrap_or(core::cmp::Ordering::Equal));
        let count = T::of(sin2.len() as f64);
        for (k, &t2) in sin2.iter().enumerate() {
            let last_of_value = sin2.get(k + 1).is_none_or(|&next| next < t2);
            if t2 > T::zero() && last_of_value {
                out.push(Comparison::at_most(
                    "P(sin θ_B ≥ t) t² ≤ (n − b)σ²/(b(n − 1)‖g‖²)",
                    T::of((k + 1) as f64) / count * t2,
                    bound,
                    T::one(),
                ));
            }
        }
    }
    Some(out)
}

/// BATCH-4, the claim the theory refutes: `E[cos θ_B]` never falls as `b`
/// grows, `E[cos θ_{b+1}] ≥ E[cos θ_b]` for `b = 1..n − 1` (needs `g ≠ 0`).
pub fn batch_4<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (all, _) = angled_batches_of(set)?;
    let means: Vec<T> = all
        .by_size
        .iter()
        .map(|batches| batches.mean_cos())
        .collect::<Option<_>>()?;
    Some(
        means
            .windows(2)
            .map(|pair| {
                Comparison::at_least("E[cos θ_{b+1}] ≥ E[cos θ_b]", pair[1], pair[0], T::one())
            })
            .collect(),
    )
}

/// Gradients spread around one common vector `v`: `g_i = v + ε_i w_i` with
/// `w_i` random directions and `ε_i ≤ 10^u ‖v‖`, `u ∈ [−3, 0.5]`. In higher
/// dimension the spread is mostly orthogonal to `g`, where BATCH-3 is
/// nearly tight.
fn spread_case() -> BoxedStrategy<Instance<f64>> {
    (2..=BATCH_COMPONENTS, 1usize..=12)
        .prop_flat_map(|(n, dim)| {
            (
                -3.0..3.0f64,
                -3.0..0.5f64,
                prop::collection::vec(-1.0..1.0f64, dim),
                prop::collection::vec((prop::collection::vec(-1.0..1.0f64, dim), 0.0..1.0f64), n),
            )
        })
        .prop_map(|(log10_scale, log10_spread, common, spreads)| {
            let scale = 10f64.powf(log10_scale);
            let mut v = DVector::from_column_slice(&common);
            let size = v.norm();
            if size < 1e-9 {
                v[0] = 1.0;
            } else {
                v /= size;
            }
            v *= scale;
            let radius = scale * 10f64.powf(log10_spread);
            let gradients = spreads
                .iter()
                .map(|(direction, fraction)| {
                    let w = DVector::from_column_slice(direction);
                    let w_norm = w.norm();
                    if w_norm < 1e-9 {
                        v.clone()
                    } else {
                        &v + w * (radius * fraction / w_norm)
                    }
                })
                .collect();
            Instance::from_gradients(Threshold::new(1.0).expect("γ > 0"), gradients)
                .expect("generated vectors share one dimension")
        })
        .boxed()
}

/// The BATCH generator: the general pointwise cases with `2 ≤ n ≤ 12`,
/// `dim ≤ 6`, mixed with `spread_case` (cases near BATCH-3 equality).
pub fn batch_case() -> BoxedStrategy<Instance<f64>> {
    prop_oneof![
        3 => gradient_case(2..=BATCH_COMPONENTS, 1..=6),
        2 => spread_case(),
    ]
    .boxed()
}

/// The spec's example: `dim = 1`, components `1, 1, 1, −2.9`; `E[cos θ_B] =
/// 0.5, 0, −0.5, 1` for `b = 1..4`.
pub const BATCH_4_EXAMPLE: [f64; 4] = [1.0, 1.0, 1.0, -2.9];

pub(super) fn statements() -> Vec<Statement> {
    vec![
        statement!(
            "BATCH-1",
            "E[g_B] = g, E‖g_B − g‖² = (n − b)σ²/(b(n − 1)) (uniform batches without replacement)",
            Holds,
            batch_1,
            batch_case,
            || vec![witness(
                "components 1, 1, 1, −2.9 (any instance: an identity)",
                1.0,
                &[&[1.0], &[1.0], &[1.0], &[-2.9]]
            )]
        ),
        statement!(
            "BATCH-2",
            "sin² θ_B ≤ min(1, ‖g_B − g‖²/‖g‖²); ⟨g_B, g⟩ ≥ ‖g‖(‖g‖ − ‖g_B − g‖)",
            Holds,
            batch_2,
            batch_case,
            || vec![
                witness(
                    "g_1 ⊥ g − g_1: equality in the sine bound",
                    1.0,
                    &[&[0.5, 0.5], &[1.5, -0.5]]
                ),
                witness(
                    "3, −1 in one dimension, B = {2}: g_B − g = −2g, equality in the cosine bound",
                    1.0,
                    &[&[3.0], &[-1.0]]
                ),
            ]
        ),
        statement!(
            "BATCH-3",
            "E[sin² θ_B] ≤ min(1, (n − b)σ²/(b(n − 1)‖g‖²)); P(sin θ_B ≥ t) t² ≤ the same",
            Holds,
            batch_3,
            batch_case,
            || vec![witness(
                "g ± 10⁻³ e⊥: ratio 1/(1 + 10⁻⁶) to the bound",
                1.0,
                &[&[1.0, 1e-3], &[1.0, -1e-3]]
            )]
        ),
        statement!(
            "BATCH-4",
            "claim: E[cos θ_B] never falls as the batch size b grows",
            Fails,
            batch_4,
            batch_case,
            || vec![witness(
                "components 1, 1, 1, −2.9: E[cos θ_B] = 0.5, 0, −0.5, 1",
                1.0,
                &[
                    &[BATCH_4_EXAMPLE[0]],
                    &[BATCH_4_EXAMPLE[1]],
                    &[BATCH_4_EXAMPLE[2]],
                    &[BATCH_4_EXAMPLE[3]]
                ]
            )]
        ),
    ]
}
