//! The per-epoch trace of a run: what the engine measures at each epoch
//! start `x_k` (IG-1, IG-2's `e_k`, DESC-6's `ρ*`), the raw quantities the
//! IG-3..IG-5 bounds of `crate::convergence` are stated in, and a slow
//! reference epoch the engine is checked against (IG-2).

use nalgebra::DVector;
use serde::Serialize;

use super::engine::{Core, Scratch};
use crate::clipping::clip_factor;
use crate::error::Result;
use crate::instance::{write_softmax_logits, Component, Instance};
use crate::real::{norm, Real};
use crate::special::softmax_exponentials;

/// The quantities of one epoch, at its start point `x_k` (and `‖e_k‖`, the
/// IG-1 slack over the epoch), all in `f64` from values computed in the
/// run's float type. The IG-3..IG-5 slacks are computed from these by
/// `crate::convergence::trace_slacks`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochRecord {
    /// `k`.
    pub epoch: usize,
    /// `f(x_k)`.
    pub f: f64,
    /// `(1/n) Σ_i m_i(x_k)` of [`values`]: the size of the numbers `f(x_k)`
    /// is summed from.
    pub f_magnitude: f64,
    /// `‖∇f(x_k)‖`.
    pub grad_norm: f64,
    /// `‖d(x_k) − ∇f(x_k)‖`, `d` the componentwise clipped direction.
    pub bias_norm: f64,
    /// `⟨d(x_k), ∇f(x_k)⟩`.
    pub d_dot_g: f64,
    /// Largest `ρ` with CDC(ρ) at `x_k` (negative: `d` ascends).
    pub rho: f64,
    /// `‖e_k‖` of IG-2 (`0` for the unclipped and full-clipped variants).
    pub e_norm: f64,
    /// Inner step `α_k` of this epoch.
    pub alpha: f64,
    /// `R = ‖x_{k+1} − x_k‖`.
    pub travel: f64,
    /// `‖x_k‖`.
    pub x_norm: f64,
    /// `s̄ = (1/n) Σ_i ‖∇f_i(x_k)‖`.
    pub mean_component_norm: f64,
    /// IG-1: `min_j (Σ_{l≤j} |B_l| α γ − ‖x_k^j − x_k‖) / (n α γ)` over the
    /// epoch (negative would violate IG-1); `None` for the full-clipped
    /// variant, which has no inner iterates.
    pub ig_1_slack: Option<f64>,
}

/// A whole run: the per-epoch records and the final point.
#[derive(Clone, Debug, Serialize)]
pub struct Trace {
    /// Number of components `n`.
    pub n: usize,
    /// The threshold `γ`.
    pub gamma: f64,
    /// The batch size `b`.
    pub batch: usize,
    /// The variant run.
    pub variant: super::config::Variant,
    /// One record per epoch (empty when not recording).
    pub epochs: Vec<EpochRecord>,
    /// The final point and its value and gradient norm.
    #[serde(rename = "final")]
    pub final_point: FinalPoint,
}

/// The end of a run.
#[derive(Clone, Debug, Serialize)]
pub struct FinalPoint {
    /// `x_K`.
    pub x: Vec<f64>,
    /// `f(x_K)`.
    pub f: f64,
    /// `(1/n) Σ_i m_i(x_K)` (see [`EpochRecord::f_magnitude`]).
    pub f_magnitude: f64,
    /// `‖∇f(x_K)‖`.
    pub grad_norm: f64,
}

/// The per-epoch pass at `x`: `f`, `∇f`, `d` (component clipping), and
/// `Σ_B |B| clip(g_B(x))` for the epoch's batches (for `e_k`).
pub(super) struct EpochPass<T: Real> {
    pub(super) f: T,
    pub(super) f_magnitude: T,
    pub(super) mean_component_norm: T,
    pub(super) gradient: DVector<T>,
    pub(super) clipped_direction: DVector<T>,
    pub(super) batch_clipped_sum: DVector<T>,
}

pub(super) fn epoch_pass<T: Real>(
    engine: &Core<'_, T>,
    scratch: &mut Scratch<T>,
    x: &DVector<T>,
    order: &[usize],
    batch: usize,
) -> EpochPass<T> {
    let dim = x.len();
    let n = engine.n();
    let inverse_n = T::one() / T::of(n as f64);
    let mut gradient = DVector::zeros(dim);
    let mut clipped = DVector::zeros(dim);
    let mut batch_sum = DVector::zeros(dim);
    let mut one = DVector::zeros(dim);
    let mut logits = Vec::new();
    let mut mean = DVector::zeros(dim);
    let (mut f, mut f_magnitude) = (T::zero(), T::zero());
    let mut norm_sum = T::zero();
    // b = 1: ridge components' `g += c a`, `d += clip(c) a` are applied four
    // at a time (one pass over `g` and `d` per four components instead of
    // one per component), each entry receiving the same additions in the
    // same order as one at a time: the same bits.
    let mut pending: Vec<(&[T], T, T)> = Vec::with_capacity(RIDGE_BLOCK);
    for chunk in order.chunks(batch) {
        if batch > 1 {
            mean.as_mut_slice().fill(T::zero());
        }
        let weight = T::one() / T::of(chunk.len() as f64);
        for &i in chunk {
            if let Some((a, a_norm, c, value)) = engine.ridge_at(i, x) {
                // ∇f_i = c a: one pass over a for every accumulator, the
                // norm |c| ‖a‖ from the precomputed ‖a‖, f_i from the same
                // ⟨a, x⟩.
                f += value;
                f_magnitude += value.abs();
                let size = c.abs() * a_norm;
                norm_sum += size;
                let clip_c = clip_factor(size, engine.gamma) * c;
                // Slices, not nalgebra iterators: these loops vectorise.
                let (g_s, d_s) = (gradient.as_mut_slice(), clipped.as_mut_slice());
                if batch == 1 {
                    pending.push((a, c, clip_c));
                    if pending.len() == RIDGE_BLOCK {
                        add_ridge_block(g_s, d_s, &pending);
                        pending.clear();
                    }
                } else {
                    let mean_c = weight * c;
                    for (((g, d), m), &v) in g_s
                        .iter_mut()
                        .zip(d_s.iter_mut())
                        .zip(mean.as_mut_slice().iter_mut())
                        .zip(a)
                    {
                        *g += c * v;
                        *d += clip_c * v;
                        *m += mean_c * v;
                    }
                }
                continue;
            }
            add_ridge_block(gradient.as_mut_slice(), clipped.as_mut_slice(), &pending);
            pending.clear();
            let component = &engine.instance.components()[i];
            let (value, hidden) = value_and_hidden(component, x, &mut logits);
            f += value;
            f_magnitude += value.abs() + hidden;
            engine.gradient_into(i, x, &mut one, scratch);
            gradient += &one;
            let size = norm(&one);
            norm_sum += size;
            clipped.axpy(clip_factor(size, engine.gamma), &one, T::one());
            mean.axpy(weight, &one, T::one());
        }
        if batch > 1 {
            let size = T::of(chunk.len() as f64);
            batch_sum.axpy(
                size * clip_factor(norm(&mean), engine.gamma),
                &mean,
                T::one(),
            );
        }
    }
    add_ridge_block(gradient.as_mut_slice(), clipped.as_mut_slice(), &pending);
    // b = 1: Σ_B |B| clip(g_B) is Σ_i clip(g_i), the clipped sum itself.
    if batch == 1 {
        batch_sum.copy_from(&clipped);
    }
    EpochPass {
        // Divided as `values` divides (f is compared with f at the end).
        f: f / T::of(n as f64),
        f_magnitude: f_magnitude / T::of(n as f64),
        mean_component_norm: norm_sum * inverse_n,
        gradient: gradient * inverse_n,
        clipped_direction: clipped * inverse_n,
        batch_clipped_sum: batch_sum,
    }
}

/// Ridge components accumulated together by [`epoch_pass`].
const RIDGE_BLOCK: usize = 4;

/// `g += Σ_m c_m a_m`, `d += Σ_m k_m a_m` over `block = [(a_m, c_m, k_m)]`,
/// entry by entry with the terms added in block order (so exactly the sums
/// of applying the block one component at a time).
fn add_ridge_block<T: Real>(g: &mut [T], d: &mut [T], block: &[(&[T], T, T)]) {
    if let [(a0, c0, k0), (a1, c1, k1), (a2, c2, k2), (a3, c3, k3)] = block {
        let len = g.len();
        let (d, a0, a1, a2, a3) = (
            &mut d[..len],
            &a0[..len],
            &a1[..len],
            &a2[..len],
            &a3[..len],
        );
        for j in 0..len {
            let (mut gj, mut dj) = (g[j], d[j]);
            gj += *c0 * a0[j];
            dj += *k0 * a0[j];
            gj += *c1 * a1[j];
            dj += *k1 * a1[j];
            gj += *c2 * a2[j];
            dj += *k2 * a2[j];
            gj += *c3 * a3[j];
            dj += *k3 * a3[j];
            g[j] = gj;
            d[j] = dj;
        }
        return;
    }
    for &(a, c, k) in block {
        for ((gj, dj), &v) in g.iter_mut().zip(d.iter_mut()).zip(a) {
            *gj += c * v;
            *dj += k * v;
        }
    }
}

/// `(f_i(x), h_i(x))`: the value and the part of its magnitude hidden in
/// its evaluation (see [`values`]): `ln 2` per log-cosh atom, and for a
/// softmax `|m| + |z_k|`, the logits whose difference `m − z_k` is part of
/// the value (each carries the rounding of its own inner product).
///
/// `logits` is reused across components (a softmax's logits go there), so
/// the per-component loop allocates nothing for the softmax kind.
fn value_and_hidden<T: Real>(
    component: &Component<T>,
    x: &DVector<T>,
    logits: &mut Vec<T>,
) -> (T, T) {
    match component {
        Component::Separable { atoms, .. } => {
            let count = atoms
                .iter()
                .filter(|a| matches!(a, crate::instance::Atom::LogCosh { .. }))
                .count();
            (
                component.value(x),
                T::of(count as f64 * std::f64::consts::LN_2),
            )
        }
        Component::Softmax { a, label, classes } => {
            logits.resize(*classes, T::zero());
            write_softmax_logits(a.as_slice(), x.as_slice(), logits);
            let label_logit = logits[*label];
            let sums = softmax_exponentials(logits);
            (
                sums.cross_entropy(label_logit),
                sums.max.abs() + label_logit.abs(),
            )
        }
        _ => (component.value(x), T::zero()),
    }
}

/// `(f(x), (1/n) Σ_i m_i(x))`, `m_i = |f_i(x)|` plus `ln 2` per log-cosh
/// atom (it is evaluated as `|t| + ln(1 + e^{−2|t|}) − ln 2`, whose terms
/// are that large even where `f_i ≈ 0`) and `|m| + |z_k|` per softmax
/// (`(m − z_k) + ln(1 + r)`, see [`crate::special::SoftmaxSums`]); `f` summed as [`Instance::value`] does.
pub fn values<T: Real>(instance: &Instance<T>, x: &DVector<T>) -> (T, T) {
    let n = T::of(instance.n() as f64);
    let mut logits = Vec::new();
    let (sum, magnitude) =
        instance
            .components()
            .iter()
            .fold((T::zero(), T::zero()), |(s, m), c| {
                let (v, hidden) = value_and_hidden(c, x, &mut logits);
                (s + v, m + v.abs() + hidden)
            });
    (sum / n, magnitude / n)
}

/// A slow, independent reference for one epoch of the clipped method with
/// `b = 1`: the inner iterates `x_k^0, …, x_k^n`, computed with
/// [`Component::gradient`] and [`crate::clipping::clip`] (used to check the
/// engine and IG-2).
pub fn reference_epoch<T: Real>(
    instance: &Instance<T>,
    x: &DVector<T>,
    order: &[usize],
    alpha: T,
) -> Result<Vec<DVector<T>>> {
    let mut iterates = vec![x.clone()];
    let mut current = x.clone();
    for &i in order {
        let g = instance.components()[i].gradient(&current);
        current -= crate::clipping::clip(&g, instance.gamma())? * alpha;
        iterates.push(current.clone());
    }
    Ok(iterates)
}
