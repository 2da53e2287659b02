//! CONJ-1..3: the spec's conjectures, with their verdicts
//! (`theorems/CONJ.md`).

use nalgebra::DVector;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::ig::{ig_case, IG_STEPS};
use super::{pairs, witness, Statement};
use crate::clipping::{clip, clip_factor};
use crate::direction::GradientSet;
use crate::direction::GradientsAt;
use crate::error::{ensure_finite, Result};
use crate::generators::pair_case;
use crate::incremental::reference_epoch;
use crate::instance::Instance;
use crate::real::{norm, Real};
use crate::smooth::certificate::certify;
use crate::tolerance::{Comparison, WorstComparisons};

/// CONJ-1, the mixed case of CLIP-5:
/// `‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖, γ) max(‖v‖, γ)))`.
pub fn conj_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (g, s, gamma) = (set.gradients(), set.norms(), set.threshold());
    let gm = gamma.get();
    let mut out = WorstComparisons::default();
    for (i, j) in pairs(set.len()) {
        let gap = norm(&(&g[i] * clip_factor(s[i], gamma) - &g[j] * clip_factor(s[j], gamma)));
        let distance = norm(&(&g[i] - &g[j]));
        let root = (s[i].max(gm) * s[j].max(gm)).sqrt();
        let factor = (gm / root).min(T::one());
        out.push(Comparison::at_most(
            "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)))",
            gap,
            distance * factor,
            (s[i] + s[j]) * factor + gm,
        ));
    }
    (!out.is_empty()).then(|| out.into_vec())
}

// ---------------------------------------------------------------------------
// CONJ-2 and CONJ-3: statements about one epoch of clipped IG.

/// Largest `n` for which CONJ-3 averages over all `n!` orders (exactly).
pub const CONJ_3_MAX_N: usize = 6;

/// Every permutation of `0..n`, the identity first (lexicographic order).
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut order: Vec<usize> = (0..n).collect();
    loop {
        out.push(order.clone());
        // next permutation in lexicographic order
        let Some(i) = (1..n).rev().find(|&i| order[i - 1] < order[i]) else {
            return out;
        };
        let j = (i..n)
            .rev()
            .find(|&j| order[j] > order[i - 1])
            .expect("a larger element exists right of a descent");
        order.swap(i - 1, j);
        order[i..].reverse();
    }
}

/// `e_k = Σ_i [clip(g_{π(i)}(x_k^{i−1})) − clip(g_{π(i)}(x_k))]` of IG-2 for
/// the order `π`, given the clipped gradients at `x_k` (`clipped_at_start`).
pub fn epoch_error<T: Real>(
    instance: &Instance<T>,
    clipped_at_start: &[DVector<T>],
    order: &[usize],
    alpha: T,
) -> Result<DVector<T>> {
    let iterates = reference_epoch(instance, instance.x0(), order, alpha)?;
    let mut e = DVector::zeros(instance.dim());
    for (step, &i) in order.iter().enumerate() {
        e += clip(
            &instance.components()[i].gradient(&iterates[step]),
            instance.gamma(),
        )?;
        e -= &clipped_at_start[i];
    }
    Ok(e)
}

/// CONJ-3 (refuted): `(1/n!) Σ_π ‖e_k(π)‖ ≤ ‖e_k(1, …, n)‖` at `x_k = x0`,
/// for `2 ≤ n ≤ 6` and the inner steps `α = a/n`, `a ∈ IG_STEPS`. Scale
/// `2nγ(1 + ‖x_k‖)`: the `2n` summands of `e_k` have norm at most `γ`, and
/// the inner iterates carry a rounding error of order `ε‖x_k‖` that the
/// clipped gradients pass on with their (order-one) Lipschitz constants.
pub fn conj_3<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    if !(2..=CONJ_3_MAX_N).contains(&n) {
        return Ok(None);
    }
    let x = instance.x0();
    let gamma = instance.gamma();
    let clipped_at_start = instance
        .components()
        .iter()
        .map(|c| clip(&c.gradient(x), gamma))
        .collect::<Result<Vec<_>>>()?;
    let orders = permutations(n);
    let count = T::of(n as f64);
    let scale = T::of(2.0) * count * gamma.get() * (T::one() + norm(x));
    let mut out = Vec::with_capacity(IG_STEPS.len());
    for a in IG_STEPS {
        let alpha = T::of(a) / count;
        let mut total = T::zero();
        let mut cyclic = T::zero();
        for (index, order) in orders.iter().enumerate() {
            let e = norm(&epoch_error(instance, &clipped_at_start, order, alpha)?);
            if index == 0 {
                cyclic = e;
            }
            total += e;
        }
        let mean = total / T::of(orders.len() as f64);
        ensure_finite(|| "‖e_k‖ of CONJ-3".into(), mean + cyclic + scale)?;
        out.push(Comparison::at_most(
            "mean over all n! orders of ‖e_k‖ ≤ ‖e_k‖ of the cyclic order",
            mean,
            cyclic,
            scale,
        ));
    }
    Ok(Some(out))
}

/// Random cases for CONJ-3: the IG generator with at most
/// [`CONJ_3_MAX_N`] components.
pub fn conj_3_case() -> BoxedStrategy<Instance<f64>> {
    ig_case()
        .prop_map(|instance| {
            let kept = instance.components()[..instance.n().min(CONJ_3_MAX_N)].to_vec();
            instance
                .with_components(kept)
                .expect("a prefix of a valid instance's components is valid")
        })
        .boxed()
}

/// The epoch step of CONJ-2: `a = 1/(L0 + L1 γ)`, `(L0, L1)` the
/// componentwise largest certified pair of `f` and of every `f_i` (so
/// `L1 a γ ≤ 1` and `a L0 ≤ 1`); `None` when nothing is certified or
/// `L0 + L1γ = 0` (linear components: no step bound at all).
pub fn conj_2_step<T: Real>(instance: &Instance<T>) -> Option<f64> {
    let certification = certify(instance).ok()?;
    let (l0, l1) = std::iter::once(&certification.f)
        .chain(&certification.components)
        .fold((0.0f64, 0.0f64), |(l0, l1), c| {
            (l0.max(c.pair.l0), l1.max(c.pair.l1))
        });
    let lipschitz = l0 + l1 * instance.gamma().get().to_f64_lossless();
    (lipschitz.is_finite() && lipschitz > 0.0).then(|| 1.0 / lipschitz)
}

/// Random cases for CONJ-2: the IG generator, and half of the time, when
/// every component is quadratic with an invertible mean Hessian, the start
/// moved to the minimiser `x*` plus `10^u x0`, `u ∈ [−4, 0]`: near
/// stationary points the promised decrease is of second order in `‖∇f‖`
/// and the epoch's drift is not, which is where CONJ-2 can fail.
pub fn conj_2_case() -> BoxedStrategy<Instance<f64>> {
    (ig_case(), any::<bool>(), -4.0..0.0f64)
        .prop_map(|(instance, near, exponent)| {
            if near {
                if let Some(minimiser) = quadratic_stationary_point(&instance) {
                    let x0 = minimiser + instance.x0() * 10f64.powf(exponent);
                    if let Ok(moved) = instance.with_x0(x0) {
                        return moved;
                    }
                }
            }
            instance
        })
        .boxed()
}

/// `x*` with `(Σ H_i) x* = −Σ l_i`, for instances of quadratic components
/// only (`None` otherwise or when the sum is singular).
fn quadratic_stationary_point(instance: &Instance<f64>) -> Option<DVector<f64>> {
    let dim = instance.dim();
    let mut hessian = nalgebra::DMatrix::zeros(dim, dim);
    let mut linear = DVector::zeros(dim);
    for component in instance.components() {
        let crate::instance::Component::Quadratic {
            hessian: h,
            linear: l,
            ..
        } = component
        else {
            return None;
        };
        hessian += h;
        linear += l;
    }
    let x = hessian.lu().solve(&(-linear))?;
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Whether every nonzero component gradient makes an acute (or right) angle
/// with `∇f(x) ≠ 0` (DESC-2's hypothesis).
fn acute_at<T: Real>(instance: &Instance<T>, x: &DVector<T>) -> Result<bool> {
    Ok(instance
        .gradients_at(x)?
        .descent()
        .is_some_and(|descent| descent.acute))
}

/// CONJ-2 (refuted near stationary points, `theorems/CONJ.md`): if the
/// angles are acute at `x_k = x0` (DESC-2's hypothesis, at
/// `x_k` only: the inner iterates are not constrained), one cyclic epoch with `a = 1/(L0 + L1γ)` ([`conj_2_step`]) gives
/// `f(x_{k+1}) ≤ f(x_k)`. Scale `(1/n) Σ_i (|f_i(x_k)| + |f_i(x_{k+1})|) +
/// a min(G, γ) G`: the rounding of both values plus the size of the decrease
/// DESC-2 promises.
pub fn conj_2<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    let Some(a) = conj_2_step(instance) else {
        return Ok(None);
    };
    let a = T::of(a);
    let alpha = a / T::of(n as f64);
    let order: Vec<usize> = (0..n).collect();
    let iterates = reference_epoch(instance, instance.x0(), &order, alpha)?;
    if !acute_at(instance, &iterates[0])? {
        return Ok(None);
    }
    let (start, next) = (&iterates[0], &iterates[n]);
    let inverse_n = T::one() / T::of(n as f64);
    let magnitude = instance.components().iter().fold(T::zero(), |s, c| {
        s + c.value(start).abs() + c.value(next).abs()
    }) * inverse_n;
    let g = norm(&instance.gradient(start));
    let scale = magnitude + a * g.min(instance.gamma().get()) * g;
    let (before, after) = (instance.value(start), instance.value(next));
    // Overflowing values would compare as NaN: refuse them, typed.
    ensure_finite(
        || "f(x_k), f(x_{k+1}) and the scale of CONJ-2".into(),
        before + after + scale,
    )?;
    Ok(Some(vec![Comparison::at_most(
        "f(x_{k+1}) ≤ f(x_k) after one epoch with a = 1/(L0 + L1γ) under acute angles",
        after,
        before,
        scale,
    )]))
}

/// A known counterexample parsed from instance JSON.
fn known(name: &'static str, json: &str) -> super::Witness {
    super::Witness {
        name,
        instance: Instance::from_json_str(json, std::path::Path::new(name))
            .expect("valid counterexample"),
    }
}

/// The known counterexample to CONJ-2: near the minimiser of two unit
/// quadratics, with their gradients' difference orthogonal to `∇f`.
fn conj_2_counterexamples() -> Vec<super::Witness> {
    vec![
        known(
            "‖x − c_i‖²/2, c = (∓1, 0), x_k = (0, 0.1), a = 1: f rises 0.505 → 0.5315625 (tests/fixtures/conj_2_counterexample.json)",
            include_str!("../../tests/fixtures/conj_2_counterexample.json"),
        ),
        known(
            "found by `cliptheory explore CONJ-2 --budget 200000 --components 2 --seed 1` (tests/fixtures/conj_2_explorer_counterexample.json)",
            include_str!("../../tests/fixtures/conj_2_explorer_counterexample.json"),
        ),
    ]
}

/// Known counterexamples to CONJ-3: the cyclic order as the best order
/// (`x²/2` then a linear component: the cyclic `e_k` vanishes, the reversed
/// one does not), and the explorer's shrunk find.
fn conj_3_counterexamples() -> Vec<super::Witness> {
    vec![
        known(
            "x²/2 then the linear 2x, γ = 1, x_k = 0: ‖e_k‖ = 0 cyclic, α reversed",
            r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.0],
                    "components":[{"kind":"quadratic","hessian":[[1.0]],"linear":[0.0],"constant":0.0},
                                  {"kind":"linear","c":[2.0]}]}"#,
        ),
        known(
            "found by `cliptheory explore CONJ-3 --seed 1` (tests/fixtures/conj_3_explorer_counterexample.json)",
            include_str!("../../tests/fixtures/conj_3_explorer_counterexample.json"),
        ),
    ]
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        crate::instance_statement!(
            "CONJ-1",
            "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)))",
            Proved,
            conj_1_pairs,
            pair_case,
            || vec![witness(
                "u on the sphere, v just outside (‖v‖ = γ(1 + 1e-8)): slack of order 1e-16",
                1.0,
                &[&[0.0, 1.0], &[1.0 + 1e-8, 0.0]]
            )]
        ),
        crate::instance_statement!(
            "CONJ-2",
            "refuted conjecture: acute angles at x_k, a = 1/(L0 + L1γ): a cyclic epoch gives f(x_{k+1}) ≤ f(x_k)",
            Fails,
            conj_2,
            conj_2_case,
            conj_2_counterexamples
        ),
        crate::instance_statement!(
            "CONJ-3",
            "refuted conjecture: mean over all n! orders of ‖e_k‖ ≤ ‖e_k‖ of the cyclic order (n ≤ 6)",
            Fails,
            conj_3,
            conj_3_case,
            conj_3_counterexamples
        ),
    ]
}

/// CONJ-1 on an instance: [`super::pairwise`] (capped at
/// [`super::MAX_PAIRWISE_COMPONENTS`] components).
fn conj_1_pairs<T: Real>(
    instance: &crate::instance::Instance<T>,
) -> crate::error::Result<Option<Vec<Comparison<T>>>> {
    super::pairwise(instance, conj_1)
}
