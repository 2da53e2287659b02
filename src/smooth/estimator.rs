//! The sampled lower bound on `L0`: at a fixed `L1`, any valid pair needs
//!
//! $$ L_0 \ge \sup_x \big(\lVert \nabla^2 f(x)\rVert - L_1 \lVert \nabla f(x)\rVert\big), $$
//!
//! so the largest value found at sampled points is a lower bound on the least
//! valid `L0`. Points: the structured candidates of [`candidate_points`]
//! (start point, origin, each separable group's centre and points along its
//! axes, the crossing points of exponential sums), seeded random points
//! around them at several radii, then a pattern search from the best few.

use crate::random::RngExt;
use nalgebra::DVector;

use super::certificate::{atom_rate, expsum_crossing_ln, operator_norm, Pair};
use crate::instance::{Atom, Component, Instance};
use crate::random::seeded_rng;

/// Sweeps of the pattern search per start (the search stops earlier when
/// the step has shrunk by `10⁶`).
pub const PATTERN_SEARCH_BUDGET: usize = 60;

/// The most floating-point work the estimator spends, about `4·10⁹`
/// operations (a few seconds): each evaluation of `‖∇²f(x)‖` costs about
/// `n·dim² + dim³`, so large instances get fewer evaluations (the bound is a
/// sampled lower bound either way; `evaluations` says how many were made).
pub const WORK_BUDGET: f64 = 4e9;

/// What the estimator found.
#[derive(Clone, Debug)]
pub struct LowerBound {
    /// `max(0, sup_x ‖∇²f(x)‖ − L1 ‖∇f(x)‖)` over the points tried.
    pub l0: f64,
    /// Where the largest value was found.
    pub at: DVector<f64>,
    /// How many points were evaluated.
    pub evaluations: usize,
}

impl LowerBound {
    /// Whether this sampled lower bound exceeds the certified `L0` of
    /// `pair` (sampled at `pair.l1`): then the certificate is false. The
    /// sampled values already have the rounding margin [`ROUNDING_MARGIN`]
    /// subtracted, so no further margin is needed. `cliptheory certify`
    /// must exit with status 2 when this holds for `f`'s certificate
    /// ([`crate::smooth::certificate::Certification::lower_bound_violations`]).
    pub fn exceeds(&self, pair: Pair) -> bool {
        self.l0 > pair.l0
    }
}

/// Relative rounding margin subtracted from every sampled value, so that
/// rounding noise at points where both terms are huge never counts as curvature.
pub const ROUNDING_MARGIN: f64 = 1e-12;

/// `‖∇²f(x)‖ − L1 ‖∇f(x)‖ − 10⁻¹² (‖∇²f(x)‖ + L1 ‖∇f(x)‖)` (`−∞` where it
/// is not finite): a value that rounding alone cannot make positive.
pub fn excess_curvature(instance: &Instance<f64>, l1: f64, x: &DVector<f64>) -> f64 {
    let Ok(hessian) = instance.hessian(x) else {
        return f64::NEG_INFINITY;
    };
    let h = operator_norm(&hessian);
    let g = instance.gradient(x).norm();
    let q = h - l1 * g - ROUNDING_MARGIN * (h + l1 * g);
    if q.is_finite() {
        q
    } else {
        f64::NEG_INFINITY
    }
}

/// Points where relaxed smoothness is typically tight: the start point, the
/// origin, and for each separable component its centre (`x = shift`) and the
/// points `shift + t Rᵀ e_j` with `t ∈ {±1/s, ±2/s, ±2/L1}` (`s` the largest
/// rate on coordinate `j`) and the crossing point of its exponential atoms.
pub fn candidate_points(instance: &Instance<f64>, pair: Pair) -> Vec<DVector<f64>> {
    let dim = instance.dim();
    let mut points = vec![instance.x0().clone(), DVector::zeros(dim)];
    for component in instance.components() {
        if let Component::Separable {
            rotation,
            shift,
            atoms,
        } = component
        {
            points.push(shift.clone());
            for (j, atom) in atoms.iter().enumerate() {
                let s = atom_rate(atom).max(1e-3);
                let mut ts = vec![1.0 / s, 2.0 / s, 3.0 / s];
                if pair.l1 > 0.0 {
                    ts.push(2.0 / pair.l1);
                }
                if let Some(t) = crossing(&merged_exponentials(instance, rotation, shift, j)) {
                    ts.push(t);
                    ts.push(-t);
                }
                for t in ts {
                    for sign in [1.0, -1.0] {
                        let mut z = DVector::zeros(dim);
                        z[j] = sign * t;
                        points.push(rotation.transpose() * z + shift);
                    }
                }
            }
        }
    }
    points.retain(|p| p.iter().all(|v| v.is_finite()));
    points
}

/// The exponential atoms of every separable component with this rotation
/// and shift on coordinate `j`, as one exponential sum given by
/// log-weights `(ln w_k, a_k)` (a common factor `1/n` does not move the
/// crossing). An `exp` atom `e^{at + b}` has `ln w = b`: its weight `e^b`
/// is never formed, so it cannot underflow to an empty side (`b < −745`)
/// or overflow.
fn merged_exponentials(
    instance: &Instance<f64>,
    rotation: &nalgebra::DMatrix<f64>,
    shift: &DVector<f64>,
    j: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut w, mut a) = (Vec::new(), Vec::new());
    for component in instance.components() {
        if let Component::Separable {
            rotation: r,
            shift: s,
            atoms,
        } = component
        {
            if r != rotation || s != shift {
                continue;
            }
            match &atoms[j] {
                Atom::Exp { a: ak, b } => {
                    w.push(*b);
                    a.push(*ak);
                }
                Atom::Cosh { a: ak } => {
                    let half = 0.5f64.ln();
                    w.extend([half, half]);
                    a.extend([*ak, -*ak]);
                }
                Atom::ExpSum { w: wk, a: ak } => {
                    w.extend(wk.iter().map(|x| x.ln()));
                    a.extend(ak);
                }
                _ => {}
            }
        }
    }
    (w, a)
}

/// The `t` where the positive and negative halves of an exponential sum
/// (log-weights, rates) balance (`P(t) = N(t)`).
pub fn crossing((ln_w, a): &(Vec<f64>, Vec<f64>)) -> Option<f64> {
    expsum_crossing_ln(ln_w, a).map(|(lo, hi)| 0.5 * (lo + hi))
}

/// Uniform on `[−1, 1)`.
fn uniform(rng: &mut impl RngExt) -> f64 {
    rng.random_range(-1.0..1.0)
}

/// The sampled lower bound on the least `L0` valid with `l1` (see the module
/// docs): `samples` random points plus a pattern search, seeded by `seed`.
pub fn lower_bound_l0(
    instance: &Instance<f64>,
    pair: Pair,
    samples: usize,
    seed: u64,
) -> LowerBound {
    let l1 = pair.l1;
    let dim = instance.dim();
    let per_evaluation = (instance.n() * dim * dim + dim * dim * dim) as f64;
    let max_evaluations = ((WORK_BUDGET / per_evaluation.max(1.0)) as usize).max(8);
    let mut rng = seeded_rng(seed, "smooth-estimator");
    let mut scored: Vec<(f64, DVector<f64>)> = candidate_points(instance, pair)
        .into_iter()
        .map(|x| (excess_curvature(instance, l1, &x), x))
        .collect();
    let base = scored.clone();
    let unit_radius = if l1 > 0.0 { 1.0 / l1 } else { 1.0 };
    for k in 0..samples.min(max_evaluations.saturating_sub(base.len())) {
        let centre = &base[k % base.len()].1;
        let radius = unit_radius * [0.1, 0.5, 1.0, 3.0][k % 4];
        let x = centre + DVector::from_fn(dim, |_, _| uniform(&mut rng) * radius);
        scored.push((excess_curvature(instance, l1, &x), x));
    }
    let mut evaluations = scored.len();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(3);
    // Pattern search: move along ±e_k while it improves, halving the step.
    for (value, x) in scored.iter_mut() {
        let mut step = unit_radius;
        let mut budget = PATTERN_SEARCH_BUDGET;
        while step > 1e-6 * unit_radius && budget > 0 && evaluations < max_evaluations {
            budget -= 1;
            let mut improved = false;
            for k in 0..dim {
                for sign in [1.0, -1.0] {
                    let mut trial = x.clone();
                    trial[k] += sign * step;
                    let v = excess_curvature(instance, l1, &trial);
                    evaluations += 1;
                    if v > *value {
                        *value = v;
                        *x = trial;
                        improved = true;
                    }
                }
            }
            if !improved {
                step /= 2.0;
            }
        }
    }
    let (best, at) = scored
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((0.0, instance.x0().clone()));
    LowerBound {
        l0: best.max(0.0),
        at,
        evaluations,
    }
}
