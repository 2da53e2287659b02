//! IG-1..IG-6: clipped incremental gradient (`theorems/IG.md`).
//!
//! IG-1, IG-2 and IG-4 run one epoch of the method (`b = 1`, cyclic order)
//! from the instance's `x0` at the inner steps `α ∈ IG_STEPS / n`; IG-3
//! compares the clipped component gradients at `x0` and nearby points; IG-5
//! runs [`IG_5_EPOCHS`] epochs at a step chosen from the certified constants
//! and checks its hypotheses along the run. IG-3..IG-5 use the certified
//! `(L0, L1)` of [`crate::smooth::certificate`]; an instance the rules
//! cannot certify is "not applicable".

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{witness, Statement, Witness};
use crate::clipping::clip;
use crate::clipping::Threshold;
use crate::convergence::{Constants, EpochBounds, K_1};
use crate::direction::cdc_rho;
use crate::direction::GradientSet;
use crate::direction::GradientsAt;
use crate::error::Result;
use crate::generators::pointwise_case;
use crate::incremental::{reference_epoch, run, values, RunConfig};
use crate::instance::{Atom, Component, Instance};
use crate::real::{dot, norm, Real};
use crate::smooth::certificate::certify_components;
use crate::smooth::generators::{exp_instance, rotation, smooth_case};
use crate::statement;
use crate::tolerance::{Comparison, STRENGTHEN_INEQUALITY};

/// Epoch steps `a = nα` the IG statements are checked at.
pub const IG_STEPS: [f64; 3] = [1e-3, 0.05, 0.5];

/// IG-1: `‖x_k^i − x_k‖ ≤ i α γ` along one epoch.
fn ig_1<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    let order: Vec<usize> = (0..n).collect();
    let gamma = instance.gamma().get();
    let mut out = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(n as f64);
        let iterates = reference_epoch(instance, instance.x0(), &order, alpha)?;
        let start = &iterates[0];
        for (i, x) in iterates.iter().enumerate().skip(1) {
            let bound = T::of(i as f64) * alpha * gamma;
            out.push(Comparison::at_most(
                "‖x_k^i − x_k‖ ≤ i α γ",
                norm(&(x - start)),
                bound,
                bound + norm(start) * T::of(i as f64),
            ));
        }
    }
    Ok(Some(out))
}

/// IG-2: `x_{k+1} = x_k − a d(x_k) − α e_k` with
/// `e_k = Σ_i [clip(g_{π(i)}(x_k^{i−1})) − clip(g_{π(i)}(x_k))]`, where
/// `x_{k+1}` comes from the engine and the inner iterates from the slow
/// reference; also engine = reference.
fn ig_2<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    let order: Vec<usize> = (0..n).collect();
    let gamma = instance.gamma();
    let x = instance.x0();
    let at_start = instance.gradients_at(x)?;
    let d = at_start.clipped_direction();
    let mut out = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(n as f64);
        let iterates = reference_epoch(instance, x, &order, alpha)?;
        let mut e = DVector::zeros(x.len());
        for (step, &i) in order.iter().enumerate() {
            let component = &instance.components()[i];
            e += crate::clipping::clip(&component.gradient(&iterates[step]), gamma)?;
            e -= crate::clipping::clip(&component.gradient(x), gamma)?;
        }
        let config = RunConfig::new(alpha, 1, 1)?;
        let engine = run(instance, &config, false)?;
        let next = DVector::from_iterator(x.len(), engine.final_point.x.iter().map(|&v| T::of(v)));
        let formula = x - &d * T::of(a) - &e * alpha;
        let scale = norm(x) + T::of(a) * gamma.get() * T::of(3.0);
        out.push(Comparison::vectors_equal(
            "x_{k+1} = x_k − a d(x_k) − α e_k",
            &next,
            &formula,
            scale,
        ));
        out.push(Comparison::vectors_equal(
            "engine epoch = reference epoch",
            &next,
            &iterates[n],
            scale,
        ));
    }
    Ok(Some(out))
}

/// Displacements `t` of the IG-3 test points `x0 − t ĝ_i(x0)`, `x0 + t e_1`.
pub const IG_3_OFFSETS: [f64; 4] = [1e-6, 1e-3, 0.1, 1.0];

/// IG-3: for every component, `‖clip(∇f_i(y)) − clip(∇f_i(x))‖ ≤ (ℓ0_i + ℓ1_i γ) ‖y − x‖`
/// at `x = x0` and `y` in a set of nearby points (along `−∇f_i(x0)`, along
/// `e_1`, and the ends of one epoch at each `a ∈ IG_STEPS`), with `f_i`'s
/// certified pair; and the corollary `‖e_k‖ ≤ (L0 + L1 γ) αγ n(n − 1)/2`
/// (`L0`, `L1` the largest component constants) on those epochs.
fn ig_3<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    // Only the components need certificates (f's may be refused, SMOOTH-5).
    let wide = instance.cast::<f64>()?;
    let Ok(pairs) = wide
        .components()
        .iter()
        .map(|c| certify_components(std::slice::from_ref(c), wide.dim()).map(|c| c.pair))
        .collect::<Result<Vec<_>>>()
    else {
        return Ok(None);
    };
    let n = instance.n();
    let x = instance.x0();
    let dim = x.len();
    let gamma = instance.gamma();
    let order: Vec<usize> = (0..n).collect();
    let mut points: Vec<DVector<T>> = Vec::new();
    let mut epochs = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(n as f64);
        let iterates = reference_epoch(instance, x, &order, alpha)?;
        points.push(iterates[n].clone());
        epochs.push((alpha, iterates));
    }
    let mut axis = DVector::zeros(dim);
    axis[0] = T::one();
    let mut out = Vec::new();
    for (i, component) in instance.components().iter().enumerate() {
        let c = T::of(pairs[i].l0) + T::of(pairs[i].l1) * gamma.get();
        let g_x = component.gradient(x);
        let s_x = norm(&g_x);
        let clipped_x = clip(&g_x, gamma)?;
        let direction = if s_x > T::zero() {
            &g_x / s_x
        } else {
            axis.clone()
        };
        let mut targets = points.clone();
        for t in IG_3_OFFSETS {
            targets.push(x - &direction * T::of(t));
            targets.push(x + &axis * T::of(t));
        }
        for y in &targets {
            let g_y = component.gradient(y);
            let r = norm(&(y - x));
            let scale = c * (norm(x) + norm(y) + r) + gamma.get().min(s_x.max(norm(&g_y)));
            out.push(Comparison::at_most(
                "‖clip ∇f_i(y) − clip ∇f_i(x)‖ ≤ (ℓ0_i + ℓ1_i γ)‖y − x‖",
                norm(&(clip(&g_y, gamma)? - &clipped_x)),
                c * r,
                scale,
            ));
        }
    }
    let (l0, l1) = pairs
        .iter()
        .fold((0.0f64, 0.0f64), |(a, b), p| (a.max(p.l0), b.max(p.l1)));
    let c = T::of(l0 + l1 * gamma.get().to_f64_lossless());
    let n_real = T::of(n as f64);
    for (alpha, iterates) in &epochs {
        let mut e = DVector::zeros(dim);
        for (step, component) in instance.components().iter().enumerate() {
            e += clip(&component.gradient(&iterates[step]), gamma)?;
            e -= clip(&component.gradient(x), gamma)?;
        }
        let bound = c * *alpha * gamma.get() * n_real * (n_real - T::one()) / T::of(2.0);
        out.push(Comparison::at_most(
            "‖e_k‖ ≤ (L0 + L1γ) αγ n(n − 1)/2",
            norm(&e),
            bound,
            bound + n_real * (gamma.get() + c * norm(x)),
        ));
    }
    Ok(Some(out))
}

/// The IG-4/IG-5 quantities of one cyclic epoch (`b = 1`) from `x` with
/// inner step `alpha`, computed with the slow reference: the bounds, the
/// next point, and `ρ*` (the largest ρ with CDC(ρ) at `x`).
pub fn reference_bounds<T: Real>(
    instance: &Instance<T>,
    x: &DVector<T>,
    alpha: T,
) -> Result<(EpochBounds, DVector<T>, T)> {
    let n = instance.n();
    let order: Vec<usize> = (0..n).collect();
    let iterates = reference_epoch(instance, x, &order, alpha)?;
    let set = instance.gradients_at(x)?;
    let d = set.clipped_direction();
    let g = set.mean();
    let mut e = DVector::zeros(x.len());
    for (step, component) in instance.components().iter().enumerate() {
        e += clip(&component.gradient(&iterates[step]), instance.gamma())?;
        e -= clip(&component.gradient(x), instance.gamma())?;
    }
    let next = iterates[n].clone();
    let (f, magnitude) = values(instance, x);
    let (f_next, magnitude_next) = values(instance, &next);
    let d_dot_g = dot(&d, g);
    let grad_norm = norm(g);
    let bounds = EpochBounds {
        n: n as f64,
        alpha: alpha.to_f64_lossless(),
        gamma: instance.gamma().get().to_f64_lossless(),
        f: f.to_f64_lossless(),
        f_next: f_next.to_f64_lossless(),
        f_magnitude: (magnitude + magnitude_next).to_f64_lossless(),
        grad_norm: grad_norm.to_f64_lossless(),
        d_dot_g: d_dot_g.to_f64_lossless(),
        e_norm: norm(&e).to_f64_lossless(),
        travel: norm(&(&next - x)).to_f64_lossless(),
        x_norm: norm(x).to_f64_lossless(),
        mean_component_norm: set.mean_component_norm().to_f64_lossless(),
    };
    Ok((bounds, next, cdc_rho(d_dot_g, grad_norm, instance.gamma())))
}

/// IG-4: `f(x_{k+1}) ≤ f(x_k) − a⟨∇f, d⟩ + α‖∇f‖‖e_k‖ + (L0 + L1‖∇f‖)(e^{L1 R} − 1 − L1 R)/L1²`
/// with `f`'s certified pair, one epoch from `x0` at each `a ∈ IG_STEPS`.
fn ig_4<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let Ok(constants) = Constants::certify(instance) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(instance.n() as f64);
        let (bounds, _, _) = reference_bounds(instance, instance.x0(), alpha)?;
        let ig_4 = bounds.ig_4(&constants);
        out.push(Comparison::at_most(
            "f(x_{k+1}) ≤ f(x_k) − a⟨∇f, d⟩ + α‖∇f‖‖e_k‖ + (L0 + L1‖∇f‖)(e^{L1 R} − 1 − L1 R)/L1²",
            T::of(ig_4.lhs),
            T::of(ig_4.rhs),
            T::of(ig_4.scale),
        ));
    }
    Ok(Some(out))
}

/// Epochs of an IG-5 run.
pub const IG_5_EPOCHS: usize = 30;

/// Fractions of the largest admissible epoch step tried by IG-5, in order.
pub const IG_5_STEP_FRACTIONS: [f64; 3] = [1.0, 0.5, 0.2];

/// An IG-5 run whose hypotheses were checked: the step, `ρ`, and per
/// epoch the bounds.
#[derive(Clone, Debug)]
pub struct Ig5Run {
    /// Epoch step `a = nα`.
    pub a: f64,
    /// `ρ = min(1, min_k ρ*_k)`: CDC(ρ) holds at every iterate `x_0, …, x_{K−1}`.
    pub rho: f64,
    /// The bounds of every epoch.
    pub epochs: Vec<EpochBounds>,
    /// The certified constants.
    pub constants: Constants,
}

/// Runs IG-5's check procedure: certify; take `ρ_0 = min(1, ρ*(x0))`;
/// for each fraction `c` of [`IG_5_STEP_FRACTIONS`], run [`IG_5_EPOCHS`]
/// cyclic epochs at `a = c · min(1/(L1 γ), ρ_0/((1 + K_1) C_e))` and keep the
/// first run along which CDC(ρ) holds with `ρ = min(1, min_k ρ*_k) > 0` and
/// the step conditions hold for that `ρ`. `None`: no fraction meets the
/// hypotheses (or no certificate, or `ρ*(x0) ≤ 0`).
pub fn ig_5_run<T: Real>(instance: &Instance<T>) -> Result<Option<Ig5Run>> {
    let Ok(constants) = Constants::certify(instance) else {
        return Ok(None);
    };
    let gamma = instance.gamma().get().to_f64_lossless();
    let start = instance.gradients_at_start()?;
    let d = start.clipped_direction();
    let rho_0 = cdc_rho(dot(&d, start.mean()), start.mean_norm(), instance.gamma())
        .to_f64_lossless()
        .min(1.0);
    if rho_0.is_nan() || rho_0 <= 0.0 {
        return Ok(None);
    }
    let largest = constants.ig_5_largest_step(gamma, rho_0).min(1e3);
    let n = instance.n() as f64;
    for fraction in IG_5_STEP_FRACTIONS {
        let a = fraction * largest;
        let alpha = T::of(a / n);
        if alpha.is_nan() || alpha <= T::zero() {
            continue;
        }
        let a = alpha.to_f64_lossless() * n;
        let mut x = instance.x0().clone();
        let mut epochs = Vec::with_capacity(IG_5_EPOCHS);
        let mut rho = 1.0f64;
        for _ in 0..IG_5_EPOCHS {
            let (bounds, next, rho_k) = reference_bounds(instance, &x, alpha)?;
            rho = rho.min(rho_k.to_f64_lossless());
            epochs.push(bounds);
            x = next;
        }
        if epochs
            .iter()
            .all(|b| b.f.is_finite() && b.f_next.is_finite())
            && constants.ig_5_steps_hold(a, gamma, rho)
        {
            return Ok(Some(Ig5Run {
                a,
                rho,
                epochs,
                constants,
            }));
        }
    }
    Ok(None)
}

/// IG-5: along a run whose hypotheses hold (checked by [`ig_5_run`]), every
/// epoch satisfies the inequality before the regime split and the stated
/// `f(x_k) − f(x_{k+1}) ≥ (aρ/2) min(G_k, γ) G_k − a²γ² D`, and the average
/// `(1/K) Σ_{k<K} min(G_k, γ) G_k ≤ 2(f(x_0) − f(x_K))/(aρK) + 2aγ² D/ρ`
/// (with `f(x_K) ≥ f*`, this is the stated bound for every `f* ≤ inf f`).
fn ig_5<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let Some(run) = ig_5_run(instance)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let gamma = instance.gamma().get().to_f64_lossless();
    let (a, rho) = (run.a, run.rho);
    for bounds in &run.epochs {
        let ig_5 = bounds.ig_5(&run.constants, rho);
        out.push(Comparison::at_least(
            "f(x_k) − f(x_{k+1}) ≥ aρ min(G, γ)G − (a²γ/2) C_e G (n − 1)/n − (L0 + L1 G) K_1 a²γ²/2",
            T::of(ig_5.decrease),
            T::of(ig_5.before_split),
            T::of(ig_5.scale),
        ));
        out.push(
            Comparison::at_least(
                "f(x_k) − f(x_{k+1}) ≥ (aρ/2) min(G, γ)G − a²γ² D",
                T::of(ig_5.decrease),
                T::of(ig_5.stated),
                T::of(ig_5.scale),
            )
            .with_wrong_variant(T::of(ig_5.stated_unhalved)),
        );
    }
    let common = run.constants.common();
    let c_e = common.l0 + common.l1 * gamma;
    let big_d = a * c_e * c_e / (8.0 * rho) + K_1 * c_e / 2.0;
    let k = run.epochs.len() as f64;
    let average = run
        .epochs
        .iter()
        .map(|b| b.grad_norm.min(gamma) * b.grad_norm)
        .sum::<f64>()
        / k;
    let (first, last) = (&run.epochs[0], &run.epochs[run.epochs.len() - 1]);
    let drop = 2.0 * (first.f - last.f_next) / (a * rho * k);
    let floor = 2.0 * a * gamma * gamma * big_d / rho;
    let magnitude = 2.0
        * (first.f_rounding_scale(&run.constants) + last.f_rounding_scale(&run.constants))
        / (a * rho * k);
    out.push(
        Comparison::at_most(
            "(1/K) Σ min(G_k, γ) G_k ≤ 2(f(x_0) − f(x_K))/(aρK) + 2aγ² D/ρ",
            T::of(average),
            T::of(drop + floor),
            T::of(average + drop.abs() + floor + magnitude),
        )
        // The telescoped sum of the per-epoch wrong variant: both terms / 2.2.
        .with_wrong_variant(T::of(
            (drop + floor) / (2.0 * (1.0 + STRENGTHEN_INEQUALITY)),
        )),
    );
    Ok(Some(out))
}

/// Certified instances for IG-3 and IG-4: every family of the smooth
/// module ([`smooth_case`]) with `γ = 10^u`, `u ∈ [−1, 1]`.
pub fn ig_smooth_case() -> BoxedStrategy<Instance<f64>> {
    (smooth_case(), -1.0..1.0f64)
        .prop_map(|(instance, log_gamma)| {
            instance.with_gamma(Threshold::new(10f64.powf(log_gamma)).expect("γ > 0"))
        })
        .boxed()
}

/// Acute separable instances (IG-5, DESC-6 along runs): `n ∈ 1..=4`
/// components sharing one rotation `R` and shift `s`, each a sum of convex
/// even atoms of `z = R(x − s)` chosen per coordinate from one class
/// (quadratic `a > 0`, `cosh`, `t⁴/4`, `log cosh`). Every component
/// gradient is `Rᵀ ψ_i'(z)` with `sign ψ_i'(z_j) = sign z_j`, so any two
/// component gradients make an acute angle at every point, and every run
/// stays acute. `γ = 10^u`, `u ∈ [−1, 1]`; `|a z_j| ≤ 3` at `x0`.
pub fn ig_acute_case() -> BoxedStrategy<Instance<f64>> {
    (1usize..=4, 1usize..=4)
        .prop_flat_map(|(n, dim)| {
            (
                prop::collection::vec(-1.0..1.0f64, dim * dim),
                prop::collection::vec(-2.0..2.0f64, dim),
                prop::collection::vec(0u8..4, dim),
                prop::collection::vec(prop::collection::vec(-1.0..0.5f64, dim), n),
                prop::collection::vec(-1.0..1.0f64, dim),
                -1.0..1.0f64,
            )
        })
        .prop_map(|(raw, shift, classes, rates, z0, log_gamma)| {
            let dim = shift.len();
            let r = rotation(dim, &raw);
            let shift = DVector::from_vec(shift);
            let mut largest = vec![1e-3f64; dim];
            let components = rates
                .iter()
                .map(|row| {
                    let atoms = row
                        .iter()
                        .zip(&classes)
                        .enumerate()
                        .map(|(j, (&s, &class))| {
                            let a = 10f64.powf(s);
                            largest[j] = largest[j].max(if class == 2 { 1.0 } else { a });
                            match class {
                                0 => Atom::Quadratic { a },
                                1 => Atom::Cosh { a },
                                2 => Atom::Quartic,
                                _ => Atom::LogCosh { a },
                            }
                        })
                        .collect();
                    Component::Separable {
                        rotation: r.clone(),
                        shift: shift.clone(),
                        atoms,
                    }
                })
                .collect();
            let z0 = DVector::from_iterator(dim, z0.iter().zip(&largest).map(|(z, m)| 3.0 * z / m));
            Instance::from_parts(crate::instance::InstanceParts {
                gamma: Threshold::new(10f64.powf(log_gamma)).expect("γ > 0"),
                x0: r.transpose() * z0 + &shift,
                components,
                note: Some("acute separable family (IG-5)".into()),
            })
            .expect("generated instances are valid")
        })
        .boxed()
}

/// IG-5's generator: mostly acute instances, where the hypotheses hold by
/// construction for a step from the certified constants, and a share of
/// all certified families (checked where their runs happen to meet them).
pub fn ig_5_case() -> BoxedStrategy<Instance<f64>> {
    prop_oneof![3 => ig_acute_case(), 1 => ig_smooth_case()].boxed()
}

/// The two IG-5 inequalities whose proof gives a factor 2 of the leading
/// term away (`theorems/IG.md`, IG-5 *Tightness*).
const IG_5_LOOSE: &[(&str, &str)] = &[
    (
        "f(x_k) − f(x_{k+1}) ≥ (aρ/2) min(G, γ)G − a²γ² D",
        "the regime split keeps half of the leading term aρ min(G, γ) G; with all of it (×1.1) the bound is refuted",
    ),
    (
        "(1/K) Σ min(G_k, γ) G_k ≤ 2(f(x_0) − f(x_K))/(aρK) + 2aγ² D/ρ",
        "the telescoped per-epoch stated inequality: the same factor 2; with it restored (×1.1) the bound is refuted",
    ),
];

/// IG-5's witness for the inequality (∗) before the regime split: `x²/2`
/// (`n = 1`, certificate `(1, 0)`, `γ = 1`) from `x0 = 10⁶`, where every
/// step is clipped (`G ≫ γ`, `ρ = 1`): the decrease is
/// `aγG − a²γ²/2` against (∗)'s `aγG − K_1 a²γ²/2`, a slack of
/// `(K_1 − 1) a²γ²/2 ≈ 0.04`, `10⁻⁷` of the leading term.
fn ig_5_witnesses() -> Vec<Witness> {
    let instance = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[1e6],
            "components":[{"kind":"quadratic","hessian":[[1.0]],"linear":[0.0],"constant":0.0}]}"#,
        std::path::Path::new("<IG-5 witness>"),
    )
    .expect("valid witness");
    vec![Witness {
        name: "x²/2 from x0 = 10⁶, every step clipped: (∗) is tight to 10⁻⁷",
        instance,
    }]
}

/// A one-dimensional single quadratic `h t²/2` (`h = 2`, certificate
/// `(2, 0)`) at `x0` with `|f'(x0)| = 0.5 < γ = 1`: IG-3 holds with
/// equality for points inside the ball, IG-4 is an equality (`n = 1`,
/// SMOOTH-3 exact for quadratics).
fn quadratic_witness() -> Instance<f64> {
    Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.25],
            "components":[{"kind":"quadratic","hessian":[[2.0]],"linear":[0.0],"constant":0.0}]}"#,
        std::path::Path::new("<IG-3/IG-4 witness>"),
    )
    .expect("valid witness")
}

fn ig_3_witnesses() -> Vec<super::Witness> {
    vec![
        super::Witness {
            name: "h t²/2 with |f'| < γ: clip ∘ f' = f', ratio 1",
            instance: quadratic_witness(),
        },
        super::Witness {
            name: "e^t at t = 0 (f' = γ = 1, certificate (0, 1)): ratio (1 − e^{−r})/r → 1",
            instance: exp_instance(1.0, 0.0, 0.0),
        },
    ]
}

fn ig_4_witnesses() -> Vec<super::Witness> {
    vec![super::Witness {
        name: "one quadratic h t²/2: SMOOTH-3 exact, e_k = 0, IG-4 is an equality",
        instance: quadratic_witness(),
    }]
}

/// IG-6 (a claim the theory refutes): "where the clipped direction vanishes
/// the gradient does too", quantified as `‖g‖ ≤ max(1, G/γ) ‖d‖` (true under
/// acute angles by DESC-2).
pub fn ig_6<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let factor = (set.max_norm() / set.gamma()).max(T::one());
    let d = norm(&set.clipped_direction());
    Some(vec![Comparison::at_most(
        "‖g‖ ≤ max(1, G/γ) ‖d‖: d = 0 only at stationary points",
        set.mean_norm(),
        factor * d,
        set.mean_component_norm(),
    )])
}

/// Random smooth instances for the IG statements: `n ∈ 2..8` quadratic
/// (positive semidefinite `H = MᵀM`) and logistic components in
/// `dim ∈ 1..4`, `γ ∈ [0.1, 10]`, `x0 ∈ [−3, 3]^dim`.
pub fn ig_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=8, 1usize..=4)
        .prop_flat_map(|(n, dim)| {
            let component = (
                any::<bool>(),
                prop::collection::vec(-2.0..2.0f64, dim * dim),
                prop::collection::vec(-3.0..3.0f64, dim),
                any::<bool>(),
            );
            (
                -1.0..1.0f64,
                prop::collection::vec(-3.0..3.0f64, dim),
                prop::collection::vec(component, n),
            )
                .prop_map(move |(log_gamma, x0, parts)| {
                    let components = parts
                        .into_iter()
                        .map(|(quadratic, m, v, label)| {
                            let v = DVector::from_vec(v);
                            if quadratic {
                                let m = DMatrix::from_vec(dim, dim, m);
                                Component::Quadratic {
                                    hessian: m.transpose() * &m,
                                    linear: v,
                                    constant: 0.0,
                                }
                            } else {
                                Component::Logistic {
                                    a: v,
                                    label: if label { 1.0 } else { -1.0 },
                                }
                            }
                        })
                        .collect();
                    Instance::from_parts(crate::instance::InstanceParts {
                        gamma: Threshold::new(10f64.powf(log_gamma)).expect("γ > 0"),
                        x0: DVector::from_vec(x0),
                        components,
                        note: None,
                    })
                    .expect("generated instances are valid")
                })
        })
        .boxed()
}

fn ig_witnesses() -> Vec<super::Witness> {
    let instance = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.0],
            "components":[{"kind":"linear","c":[2.0]},{"kind":"linear","c":[3.0]}]}"#,
        std::path::Path::new("<IG witness>"),
    )
    .expect("valid witness");
    vec![super::Witness {
        name: "gradients along one ray outside the ball: every step has length αγ, IG-1 is an equality",
        instance,
    }]
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        crate::instance_statement!(
            "IG-1",
            "‖x_k^i − x_k‖ ≤ i α γ",
            Holds,
            ig_1,
            ig_case,
            ig_witnesses,
        ),
        crate::instance_statement!(
            "IG-2",
            "x_{k+1} = x_k − a d(x_k) − α e_k (engine = formula = reference)",
            Holds,
            ig_2,
            ig_case,
            ig_witnesses,
        ),
        crate::instance_statement!(
            "IG-3",
            "‖clip ∇f_i(y) − clip ∇f_i(x)‖ ≤ (L0 + L1γ)‖y − x‖; ‖e_k‖ ≤ (L0 + L1γ)αγ n(n−1)/2",
            Holds,
            ig_3,
            ig_smooth_case,
            ig_3_witnesses,
        ),
        crate::instance_statement!(
            "IG-4",
            "f(x_{k+1}) ≤ f(x_k) − a⟨∇f, d⟩ + α‖∇f‖‖e_k‖ + (L0 + L1‖∇f‖)(e^{L1 R} − 1 − L1 R)/L1²",
            Holds,
            ig_4,
            ig_smooth_case,
            ig_4_witnesses,
        ),
        Statement {
            loose: IG_5_LOOSE,
            ..crate::instance_statement!(
            "IG-5",
            "CDC(ρ) along the run, L1aγ ≤ 1, a(1+K_1)C_e ≤ ρ ⇒ Δf_k ≥ (aρ/2)min(G_k,γ)G_k − a²γ²D and the averaged bound",
            Holds,
            ig_5,
            ig_5_case,
            ig_5_witnesses,
        )
        },
        statement!(
            "IG-6",
            "claim refuted by the theory: ‖g‖ ≤ max(1, G/γ)‖d‖ (d = 0 ⇒ stationary)",
            Fails,
            ig_6,
            pointwise_case,
            || vec![
                witness(
                    "IG-6(a) at x = 4: gradients −6, 5 clip to −1, 1",
                    1.0,
                    &[&[-6.0], &[5.0]]
                ),
                witness(
                    "IG-6(b), ε = 0.01, at x = 20: gradients 30.4, −0.5, −0.5",
                    1.0,
                    &[&[30.4], &[-0.5], &[-0.5]]
                ),
            ]
        ),
    ]
}
