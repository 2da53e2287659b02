//! SMOOTH-1..SMOOTH-6: `(L0, L1)` relaxed smoothness (`theorems/SMOOTH.md`).
//!
//! Every evaluator uses the *certified* pair of [`crate::smooth::certificate`]
//! (computed from the instance's parameters), never a guessed one: a refuted
//! case is either a false lemma or a false certificate. Instances no rule
//! certifies are outside the hypotheses (`Ok(None)`).
//!
//! SMOOTH-1..3 compare `x = x0` with the probes `y = x0 + r u`: directions
//! `u ∈ {±∇f(x0)/‖∇f(x0)‖, ±e_1, e_dim}`, radii `r ∈ {0.05, 0.5, 1, 2, 8,
//! 40}/L1` (`L1 > 0`: the statements claim every `r`, so the exponent
//! `L1 r` reaches 40; a probe where `f` or `∇f` overflows in the float type
//! is skipped, not counted) or `r ∈ {0.1, 1, 3, 30}(1 + ‖x0‖)` (`L1 = 0`);
//! `r` is recomputed as `‖y − x‖`.

use nalgebra::{DMatrix, DVector};

use super::{Statement, Witness};
use crate::error::{Error, Result};
use crate::instance::{Atom, Component, Instance};
use crate::real::{dot, norm, Real};
use crate::smooth::certificate::{
    atom_frontier, atom_pairs, atom_rate, certify, certify_f, expsum_crossing, Pair,
};
use crate::smooth::estimator::candidate_points;
use crate::smooth::generators::{
    atom_case, exp_instance, extremal_instance, mixed_exp_case, smooth_case,
};
use crate::special::{phi1, phi2};
use crate::tolerance::Comparison;

/// `c` of the constant forms: `L1 r ≤ 1` gives `B_1 = e − 1`, `K_1 = 2(e − 2)`.
const C: f64 = 1.0;

/// The certified pair of `f`, or `None` when no rule applies.
fn certified<T: Real>(instance: &Instance<T>) -> Result<Option<Pair>> {
    match certify_f(instance) {
        Ok(pair) => Ok(Some(pair)),
        Err(Error::NoCertificate { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Value, gradient and the magnitudes that bound their rounding error at one
/// point: `(1/n) Σ |f_i(x)|` and `(1/n) Σ ‖∇f_i(x)‖`.
struct AtPoint<T: Real> {
    value: T,
    gradient: DVector<T>,
    mean_abs_value: T,
    mean_gradient_norm: T,
}

fn at_point<T: Real>(instance: &Instance<T>, x: &DVector<T>, label: &str) -> Result<AtPoint<T>> {
    let n = T::of(instance.n() as f64);
    let (mut value, mut abs, mut norms) = (T::zero(), T::zero(), T::zero());
    let mut gradient = DVector::zeros(x.len());
    for c in instance.components() {
        let v = c.value(x);
        let g = c.gradient(x);
        value += v;
        abs += v.abs();
        norms += norm(&g);
        gradient += g;
    }
    let point = AtPoint {
        value: value / n,
        gradient: gradient / n,
        mean_abs_value: abs / n,
        mean_gradient_norm: norms / n,
    };
    if !(point.mean_abs_value.is_finite() && point.mean_gradient_norm.is_finite()) {
        return Err(Error::NonFinite {
            field: format!("f or ∇f at {label}"),
            value: f64::INFINITY,
        });
    }
    Ok(point)
}

/// `L1 r` of the SMOOTH-1..3 probes when `L1 > 0` (the module docs).
pub const PROBE_EXPONENTS: [f64; 6] = [0.05, 0.5, 1.0, 2.0, 8.0, 40.0];

/// The probes `(y, r)` of the module docs.
fn probes<T: Real>(instance: &Instance<T>, pair: Pair, g: &DVector<T>) -> Vec<(DVector<T>, T)> {
    let dim = instance.dim();
    let x = instance.x0();
    let mut directions = Vec::new();
    let gn = norm(g);
    if gn > T::zero() {
        directions.push(g / gn);
        directions.push(g / -gn);
    }
    let axis = |k: usize, s: f64| {
        let mut e = DVector::zeros(dim);
        e[k] = T::of(s);
        e
    };
    directions.push(axis(0, 1.0));
    directions.push(axis(0, -1.0));
    if dim > 1 {
        directions.push(axis(dim - 1, 1.0));
    }
    let radii: Vec<f64> = if pair.l1 > 0.0 {
        PROBE_EXPONENTS.iter().map(|r| r / pair.l1).collect()
    } else {
        let rho = 1.0 + norm(x).to_f64_lossless();
        [0.1, 1.0, 3.0, 30.0].iter().map(|r| r * rho).collect()
    };
    let mut out = Vec::new();
    for u in &directions {
        for &r in &radii {
            let y = x + u * T::of(r);
            let r = norm(&(&y - x));
            if r > T::zero() {
                out.push((y, r));
            }
        }
    }
    out
}

/// `lhs ≤ rhs` when both sides and the scale are finite (far probes can
/// overflow in `f32`); `None` otherwise.
fn finite_at_most<T: Real>(label: &'static str, lhs: T, rhs: T, scale: T) -> Option<Comparison<T>> {
    (lhs.is_finite() && rhs.is_finite() && scale.is_finite())
        .then(|| Comparison::at_most(label, lhs, rhs, scale))
}

/// The three SMOOTH-1..3 evaluations share the probes; `which` picks one.
fn along_probes<T: Real>(instance: &Instance<T>, which: u8) -> Result<Option<Vec<Comparison<T>>>> {
    let Some(pair) = certified(instance)? else {
        return Ok(None);
    };
    let (l0, l1) = pair.in_type::<T>();
    let x = instance.x0();
    let at_x = at_point(instance, x, "x0")?;
    let g = &at_x.gradient;
    let big_g = l0 + l1 * norm(g);
    let c = T::of(C);
    let mut out = Vec::new();
    for (y, r) in probes(instance, pair, g) {
        // Far probes may overflow in the float type: nothing to compare there.
        let Ok(at_y) = at_point(instance, &y, "y") else {
            continue;
        };
        let s = l1 * r;
        // exp of a rounded argument u has relative error about |u| ε: the
        // bound's e^{L1 r} and the exponentials at y (|a z_y| ≤ |a z_x| + L1 r
        // for rates |a| ≤ L1) carry the condition number 1 + L1 r.
        let condition = T::one() + s;
        let floor = T::min_positive_value();
        match which {
            1 => {
                let rhs = big_g * s.exp();
                let scale = ((l0 + l1 * at_x.mean_gradient_norm) * s.exp()
                    + l0
                    + l1 * at_y.mean_gradient_norm)
                    * condition
                    + floor;
                out.extend(finite_at_most(
                    "L0 + L1‖∇f(y)‖ ≤ (L0 + L1‖∇f(x)‖) e^{L1 r}",
                    l0 + l1 * norm(&at_y.gradient),
                    rhs,
                    scale,
                ));
            }
            2 => {
                let lhs = norm(&(&at_y.gradient - g));
                let rhs = big_g * r * phi1(s);
                let scale =
                    (at_x.mean_gradient_norm + at_y.mean_gradient_norm + rhs) * condition + floor;
                out.extend(finite_at_most(
                    "‖∇f(y) − ∇f(x)‖ ≤ (L0 + L1‖∇f(x)‖) E(r)",
                    lhs,
                    rhs,
                    scale,
                ));
                if s <= c {
                    out.extend(finite_at_most(
                        "L1 r ≤ 1: ‖∇f(y) − ∇f(x)‖ ≤ B_1 (L0 + L1‖∇f(x)‖) r",
                        lhs,
                        phi1(c) * big_g * r,
                        scale,
                    ));
                }
            }
            _ => {
                let step = &y - x;
                let lhs = at_y.value - at_x.value - dot(g, &step);
                let rhs = big_g * r * r * phi2(s);
                let scale =
                    (at_x.mean_abs_value + at_y.mean_abs_value + r * at_x.mean_gradient_norm + rhs)
                        * condition
                        + floor;
                out.extend(finite_at_most(
                    "f(y) − f(x) − ⟨∇f(x), y − x⟩ ≤ (L0 + L1‖∇f(x)‖)(e^{L1 r} − 1 − L1 r)/L1²",
                    lhs,
                    rhs,
                    scale,
                ));
                if s <= c {
                    out.extend(finite_at_most(
                        "L1 r ≤ 1: f(y) − f(x) − ⟨∇f(x), y − x⟩ ≤ K_1 (L0 + L1‖∇f(x)‖) r²/2",
                        lhs,
                        phi2(c) * big_g * r * r,
                        scale,
                    ));
                }
            }
        }
    }
    Ok(Some(out))
}

/// SMOOTH-1: `L0 + L1‖∇f(y)‖ ≤ (L0 + L1‖∇f(x)‖) e^{L1 r}`.
pub fn smooth_1<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    along_probes(instance, 1)
}

/// SMOOTH-2: `‖∇f(y) − ∇f(x)‖ ≤ (L0 + L1‖∇f(x)‖) E(r)`, and with `B_1` for `L1 r ≤ 1`.
pub fn smooth_2<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    along_probes(instance, 2)
}

/// SMOOTH-3: `f(y) ≤ f(x) + ⟨∇f(x), y − x⟩ + (L0 + L1‖∇f(x)‖)(e^{L1 r} − 1 − L1 r)/L1²`,
/// and with `K_1` for `L1 r ≤ 1`.
pub fn smooth_3<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    along_probes(instance, 3)
}

/// TwoSum: `s = fl(a + b)` and the exact rounding error `a + b − s`.
fn two_sum<T: Real>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Adds `term` into `sum` entrywise by TwoSum, accumulating `|error|` into
/// `lost`: afterwards `lost` bounds what the additions rounded (zero when
/// every addition was exact, e.g. when cancelling parts cancel exactly).
fn add_tracked<'a, T: Real>(
    sum: impl Iterator<Item = &'a mut T>,
    lost: impl Iterator<Item = &'a mut T>,
    term: impl Iterator<Item = T>,
) {
    for ((s, e), x) in sum.zip(lost).zip(term) {
        let (t, r) = two_sum(*s, x);
        *s = t;
        *e += r.abs();
    }
}

fn frobenius<T: Real>(m: &DMatrix<T>) -> T {
    m.iter().fold(T::zero(), |s, &v| s + v * v).sqrt()
}

/// The Hessian inequality `‖∇²h(x)‖ ≤ L0 + L1‖∇h(x)‖` at `x`, for
/// `h = (1/n) Σ components`.
///
/// The quadratic and linear components are merged first, as the
/// certificate merges them: `Σ H_i` and `Σ (linear_i + c_i)` by TwoSum
/// (their Hessians and linear terms are parameters, never rounded), and the
/// merged part contributes `H x + l` once. The scale is the magnitude of
/// what the evaluation actually rounds: `L0`, the Frobenius norms of the
/// other components' Hessians and of the merged `H`, the TwoSum errors of
/// the merge, and `L1` times the other components' gradient norms plus
/// `‖|H||x| + |l|‖` of the merged product; floor `T::MIN_POSITIVE`. Parts
/// that cancel exactly (two quadratics with Hessians `±10⁶ I`) add nothing,
/// so they cannot hide a violation elsewhere (`theorems/SMOOTH.md`, scales).
fn hessian_inequality<T: Real>(
    label: &'static str,
    components: &[Component<T>],
    pair: Pair,
    x: &DVector<T>,
) -> Option<Comparison<T>> {
    let (l0, l1) = pair.in_type::<T>();
    let n = T::of(components.len() as f64);
    let dim = x.len();
    let (mut merged_h, mut lost_h) = (DMatrix::zeros(dim, dim), DMatrix::zeros(dim, dim));
    let (mut merged_l, mut lost_l) = (DVector::zeros(dim), DVector::zeros(dim));
    let mut hessian = DMatrix::zeros(dim, dim);
    let mut gradient = DVector::zeros(dim);
    let (mut hessian_sizes, mut gradient_sizes) = (T::zero(), T::zero());
    for c in components {
        match c {
            Component::Linear { c } => {
                add_tracked(merged_l.iter_mut(), lost_l.iter_mut(), c.iter().copied());
            }
            Component::Quadratic {
                hessian: h, linear, ..
            } => {
                add_tracked(merged_h.iter_mut(), lost_h.iter_mut(), h.iter().copied());
                add_tracked(
                    merged_l.iter_mut(),
                    lost_l.iter_mut(),
                    linear.iter().copied(),
                );
            }
            _ => {
                let h = c.hessian(x).ok()?;
                let g = c.gradient(x);
                hessian_sizes += frobenius(&h);
                gradient_sizes += norm(&g);
                hessian += h;
                gradient += g;
            }
        }
    }
    let merged_g = &merged_h * x + &merged_l;
    let abs_m = |m: &DMatrix<T>| m.map(|v| v.abs());
    let abs_v = |v: &DVector<T>| v.map(|e| e.abs());
    let product_size = norm(&(abs_m(&merged_h) * abs_v(x) + abs_v(&merged_l)));
    hessian_sizes += frobenius(&merged_h) + frobenius(&lost_h);
    gradient_sizes += product_size + frobenius(&lost_h) * norm(x) + norm(&lost_l);
    hessian += merged_h;
    gradient += merged_g;
    let lhs = crate::smooth::certificate::operator_norm(&(hessian / n));
    let rhs = l0 + l1 * norm(&(gradient / n));
    // Below the smallest normal number rounding is absolute (gradual
    // underflow): the scale never drops below it.
    let scale = l0 + hessian_sizes / n + l1 * gradient_sizes / n + T::min_positive_value();
    (lhs.is_finite() && rhs.is_finite() && scale.is_finite())
        .then(|| Comparison::at_most(label, lhs, rhs, scale))
}

/// The Hessian inequality of `f` with a given pair (not necessarily the
/// certified one) at the SMOOTH-4 points (start point and the structured
/// candidates of [`candidate_points`]), with the SMOOTH-4 scale: the
/// falsifier, a deliberately wrong pair, must be refuted here.
pub fn hessian_inequality_with<T: Real>(
    instance: &Instance<T>,
    pair: Pair,
) -> Result<Vec<Comparison<T>>> {
    Ok(points_in(instance, pair)?
        .iter()
        .filter_map(|x| {
            hessian_inequality(
                "f: ‖∇²f(x)‖ ≤ L0 + L1‖∇f(x)‖ (given pair)",
                instance.components(),
                pair,
                x,
            )
        })
        .collect())
}

fn points_in<T: Real>(instance: &Instance<T>, pair: Pair) -> Result<Vec<DVector<T>>> {
    let wide = instance.cast::<f64>()?;
    Ok(candidate_points(&wide, pair)
        .iter()
        .map(|p| p.map(T::of))
        .collect())
}

/// SMOOTH-4: the calculus rules. At the start point and the structured
/// candidate points, `f` and every component satisfy the Hessian inequality
/// with the pairs the rules certify (rotation and shift invariance, scaling,
/// the separable max rule, the bounded-perturbation rule, the average rule).
pub fn smooth_4<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let certification = match certify(instance) {
        Ok(c) => c,
        Err(Error::NoCertificate { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for x in points_in(instance, certification.f.pair)? {
        out.extend(hessian_inequality(
            "f: ‖∇²f(x)‖ ≤ L0 + L1‖∇f(x)‖",
            instance.components(),
            certification.f.pair,
            &x,
        ));
        for (c, cert) in instance.components().iter().zip(&certification.components) {
            out.extend(hessian_inequality(
                "f_i: ‖∇²f_i(x)‖ ≤ ℓ0_i + ℓ1_i‖∇f_i(x)‖",
                std::slice::from_ref(c),
                cert.pair,
                &x,
            ));
        }
    }
    Ok(Some(out))
}

/// Whether some coordinate of some separable group carries exponential
/// rates of both signs (the sums SMOOTH-5 is about).
fn has_mixed_exponentials<T: Real>(instance: &Instance<T>) -> bool {
    let dim = instance.dim();
    (0..dim).any(|j| {
        let (mut positive, mut negative) = (false, false);
        for c in instance.components() {
            if let Component::Separable { atoms, .. } = c {
                let mut see = |a: T| {
                    positive |= a > T::zero();
                    negative |= a < T::zero();
                };
                match &atoms[j] {
                    Atom::Exp { a, .. } => see(*a),
                    Atom::Cosh { a } => {
                        see(*a);
                        see(-*a);
                    }
                    Atom::ExpSum { a, .. } => a.iter().for_each(|&x| see(x)),
                    _ => {}
                }
            }
        }
        positive && negative
    })
}

/// SMOOTH-5: sums of exponentials of both signs on one coordinate are
/// `(2AM + …, A)` (same-coordinate rule), checked at the start point, the
/// candidate points and the crossing point `P(t*) = N(t*)`, where the
/// gradient is smallest and the naive `(0, A)` fails.
pub fn smooth_5<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    if !has_mixed_exponentials(instance) {
        return Ok(None);
    }
    let Some(pair) = certified(instance)? else {
        return Ok(None);
    };
    let out = points_in(instance, pair)?
        .iter()
        .filter_map(|x| {
            hessian_inequality(
                "mean of exponentials: ‖∇²f‖ ≤ 2AM + L + A M_h + A‖∇f‖",
                instance.components(),
                pair,
                x,
            )
        })
        .collect();
    Ok(Some(out))
}

/// SMOOTH-6: every atom `φ` of every separable component satisfies
/// `|φ''(t)| ≤ ℓ0 + ℓ1|φ'(t)|` for each pair SMOOTH-6 states and for the
/// closed-form frontier `(L0(ℓ1), ℓ1)` at `ℓ1 ∈ {s/2, s, 2s}` (`s` its
/// rate), at `t` = its start coordinate, `0`, `±1/s`, `±2/s`, `±4/s`,
/// `±2/ℓ1`, and for an exponential sum the crossing `P(t*) = N(t*)`.
pub fn smooth_6<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let wide = instance.cast::<f64>()?;
    let mut out = Vec::new();
    for (component, wide_component) in instance.components().iter().zip(wide.components()) {
        let (
            Component::Separable {
                rotation,
                shift,
                atoms,
            },
            Component::Separable {
                atoms: wide_atoms, ..
            },
        ) = (component, wide_component)
        else {
            continue;
        };
        let z0 = rotation * (instance.x0() - shift);
        for ((atom, wide_atom), &t0) in atoms.iter().zip(wide_atoms).zip(z0.iter()) {
            let s = atom_rate(wide_atom).max(1e-3);
            let mut pairs: Vec<(&'static str, Pair)> = atom_pairs(wide_atom);
            for l1 in [s / 2.0, s, 2.0 * s] {
                if let Some(l0) = atom_frontier(wide_atom, l1).filter(|v| v.is_finite()) {
                    pairs.push(("frontier (L0(ℓ1), ℓ1)", Pair::new(l0, l1)));
                }
            }
            for (label, pair) in pairs {
                let mut ts = vec![t0, T::zero()];
                // The crossing of a mixed-sign exponential sum, where its
                // gradient is smallest and (2AM, A) is tight for ±a pairs.
                if let Atom::ExpSum { w, a } = wide_atom {
                    if let Some((lo, hi)) = expsum_crossing(w, a) {
                        ts.push(T::of(0.5 * (lo + hi)));
                    }
                }
                for k in [1.0, 2.0, 4.0] {
                    ts.push(T::of(k / s));
                    ts.push(T::of(-k / s));
                }
                if pair.l1 > 0.0 {
                    ts.push(T::of(2.0 / pair.l1));
                    ts.push(T::of(-2.0 / pair.l1));
                }
                let (l0, l1) = pair.in_type::<T>();
                for t in ts {
                    let curvature = atom.second_derivative(t).abs();
                    let slope = atom.derivative(t).abs();
                    let rhs = l0 + l1 * slope;
                    if curvature.is_finite() && rhs.is_finite() {
                        let scale = rhs + curvature + T::min_positive_value();
                        out.push(Comparison::at_most(label, curvature, rhs, scale));
                    }
                }
            }
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

/// The SMOOTH-1..3 witnesses: `e^{L1 t}` and `f' = (L0/L1)(e^{L1 t} − 1)`,
/// tight in the direction `y ≥ x ≥ 0`.
pub fn growth_witnesses() -> Vec<Witness> {
    vec![
        Witness {
            name: "f(t) = e^{2t}, x0 = 0.3 (L0 = 0, L1 = 2)",
            instance: exp_instance(2.0, 0.0, 0.3),
        },
        Witness {
            name: "f' = (L0/L1)(e^{L1 t} − 1), L0 = 3, L1 = 0.5, x0 = 1",
            instance: extremal_instance(3.0, 0.5, 1.0),
        },
    ]
}

fn one_dimensional(atoms: Vec<Atom<f64>>, x0: f64, name: &'static str) -> Witness {
    Witness {
        name,
        instance: Instance::from_parts(crate::instance::InstanceParts {
            gamma: crate::clipping::Threshold::new(1.0).expect("1 > 0"),
            x0: DVector::from_element(1, x0),
            components: atoms
                .into_iter()
                .map(|a| Component::Separable {
                    rotation: DMatrix::identity(1, 1),
                    shift: DVector::zeros(1),
                    atoms: vec![a],
                })
                .collect(),
            note: Some(name.to_string()),
        })
        .expect("generated instances are valid"),
    }
}

/// SMOOTH-6 witness for every atom's stated pairs (one 1-D component per
/// atom, `x0 = 0`): exp and quadratic are equalities everywhere; logistic
/// `(a²/4, 0)`, cosh `(a², |a|)` and log cosh `(a², 0)` at `t = 0`;
/// logistic `(0, |a|)` in the limit `t → −∞`, here at `t = −40` (its shift),
/// relative slack `σ(−40)/2 ≈ 2·10⁻¹⁸`; the `±2` exponential sum
/// `e^{2t} + e^{3} e^{−2t}` at its crossing `t* = 3/4`, where `(2AM, A)` is
/// an equality.
pub fn every_atom_witness() -> Witness {
    let name = "every atom at the point where its pairs are equalities";
    let atoms_and_shifts = [
        (Atom::Exp { a: 1.5, b: 0.0 }, 0.0),
        (Atom::Quadratic { a: 2.0 }, 0.0),
        (Atom::Logistic { a: 1.0 }, 0.0),
        (Atom::Logistic { a: 1.0 }, 40.0),
        (Atom::Cosh { a: 1.0 }, 0.0),
        (Atom::LogCosh { a: 1.0 }, 0.0),
        (
            Atom::ExpSum {
                w: vec![1.0, 3f64.exp()],
                a: vec![2.0, -2.0],
            },
            0.0,
        ),
    ];
    Witness {
        name,
        instance: Instance::from_parts(crate::instance::InstanceParts {
            gamma: crate::clipping::Threshold::new(1.0).expect("1 > 0"),
            x0: DVector::zeros(1),
            components: atoms_and_shifts
                .into_iter()
                .map(|(atom, shift)| Component::Separable {
                    rotation: DMatrix::identity(1, 1),
                    shift: DVector::from_element(1, shift),
                    atoms: vec![atom],
                })
                .collect(),
            note: Some(name.to_string()),
        })
        .expect("generated instances are valid"),
    }
}

/// SMOOTH-5 witness: the mean of `e^t` and `e^{−t}` (`cosh t`), certified
/// `(1, 1)`, with equality at `t = 0`.
pub fn cosh_witness() -> Witness {
    one_dimensional(
        vec![Atom::Exp { a: 1.0, b: 0.0 }, Atom::Exp { a: -1.0, b: 0.0 }],
        0.0,
        "mean of e^t and e^{-t}: (1, 1), equality at t = 0",
    )
}

/// SMOOTH-4 witness: `t⁴/4` rotated and shifted in 2-D, where the Hessian
/// inequality `(4, 1)` is an equality at `z = (2, 0)`.
pub fn quartic_witness() -> Witness {
    let (c, s) = (0.6, 0.8);
    let rotation = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
    let shift = DVector::from_column_slice(&[1.0, -1.0]);
    let z = DVector::from_column_slice(&[2.0, 0.0]);
    let x0 = rotation.transpose() * z + &shift;
    Witness {
        name: "t⁴/4 ⊕ 0.5 t²/2 under a rotation and shift, at z = (2, 0): 12 = 4 + 8",
        instance: Instance::from_parts(crate::instance::InstanceParts {
            gamma: crate::clipping::Threshold::new(1.0).expect("1 > 0"),
            x0,
            components: vec![Component::Separable {
                rotation,
                shift,
                atoms: vec![Atom::Quartic, Atom::Quadratic { a: 0.5 }],
            }],
            note: Some("SMOOTH-4 quartic witness".into()),
        })
        .expect("generated instances are valid"),
    }
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        crate::instance_statement!(
            "SMOOTH-1",
            "L0 + L1‖∇f(y)‖ ≤ (L0 + L1‖∇f(x)‖) e^{L1 r} for certified (L0, L1)",
            Holds,
            smooth_1,
            smooth_case,
            growth_witnesses
        ),
        crate::instance_statement!(
            "SMOOTH-2",
            "‖∇f(y) − ∇f(x)‖ ≤ (L0 + L1‖∇f(x)‖)(e^{L1 r} − 1)/L1; ≤ B_c(…) r for L1 r ≤ c",
            Holds,
            smooth_2,
            smooth_case,
            growth_witnesses
        ),
        crate::instance_statement!(
            "SMOOTH-3",
            "f(y) ≤ f(x) + ⟨∇f(x), y − x⟩ + (L0 + L1‖∇f(x)‖)(e^{L1 r} − 1 − L1 r)/L1²",
            Holds,
            smooth_3,
            smooth_case,
            growth_witnesses
        ),
        crate::instance_statement!(
            "SMOOTH-4",
            "calculus: rotations, shifts, scaling, separable max, bounded perturbation, averages",
            Holds,
            smooth_4,
            smooth_case,
            || vec![quartic_witness()]
        ),
        crate::instance_statement!(
            "SMOOTH-5",
            "same-line exponentials of both signs: (2AM, A), not (0, A)",
            Holds,
            smooth_5,
            mixed_exp_case,
            || vec![cosh_witness()]
        ),
        crate::instance_statement!(
            "SMOOTH-6",
            "atoms: quadratic, exp, logistic, cosh, log cosh, t⁴/4, Σ w e^{a t} with certified pairs",
            Holds,
            smooth_6,
            atom_case,
            || vec![
                one_dimensional(vec![Atom::Quartic], 2.0, "t⁴/4 at t = 2: 12 = 4 + 8 (L1 = 1)"),
                every_atom_witness(),
            ]
        ),
    ]
}
