//! Certified `(L0, L1)` constants for atoms, components and averages
//! (SMOOTH-4, SMOOTH-5, SMOOTH-6; proofs in `theorems/SMOOTH.md`).
//!
//! Everything here is computed in `f64` from the instance's parameters
//! (widened exactly from `f32` where the instance is `f32`), so a certificate
//! is a statement about the function the parameters define.
//!
//! The rules, in the order they are applied to `f = (1/n) Σ_i f_i`:
//! 1. *Atoms* (SMOOTH-6): `a t²/2` is `(|a|, 0)`; `e^{at+b}` is `(0, |a|)`;
//!    `log(1 + e^{at})` is `(a²/4, 0)` (and `(0, |a|)`); `cosh(at)` is
//!    `(a², |a|)`; `log cosh(at)` is `(a², 0)`; `t⁴/4` is `(4/L1², L1)`;
//!    `Σ w_k e^{a_k t}` is `(2AM, A)`.
//! 2. *Same coordinate* (SMOOTH-5): the atoms of every separable component
//!    with the same rotation and shift are summed per coordinate, weighted by
//!    `1/n`: exponential atoms (`exp`, `cosh`, `expsum`) merge into one
//!    exponential sum `(2AM, A)`; logistic and log-cosh atoms are a perturbation
//!    with `|ψ'| ≤ M`, `|ψ''| ≤ L`, which adds `L + L1 M` to `L0`; quadratic
//!    atoms add `|Σ w a|` when `L1 = 0`. Exponential with quadratic or quartic
//!    atoms, and quartic with quadratic atoms, on one coordinate: no rule.
//! 3. *Separable* (SMOOTH-4): `(max_j ℓ0_j, max_j ℓ1_j)` over coordinates,
//!    invariant under the rotation and the shift.
//! 4. *Average* (SMOOTH-4, SMOOTH-5): parts with globally bounded gradient
//!    and Hessian (linear, logistic, separable groups of logistic/log-cosh
//!    atoms) form `h` with `‖∇h‖ ≤ M`, `‖∇²h‖ ≤ L`; the other parts
//!    (quadratic `(‖Σ H‖/n, 0)`, exponential `(0, A/cos θ)` by the cone rule,
//!    other separable groups) must be a single part, or all have `ℓ1 = 0`;
//!    then `f` is `(ℓ0 + L + ℓ1 M, ℓ1)` (resp. `(Σ ℓ0 + L, 0)`). Anything
//!    else is refused with [`crate::Error::NoCertificate`]:
//!    gradients of different parts can cancel (SMOOTH-5).

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::instance::{Atom, Component, Instance};
use crate::real::Real;

/// `L1` given to a quartic coordinate when no other coordinate of its
/// separable group fixes one: `t⁴/4` is then `(4, 1)`.
pub const QUARTIC_DEFAULT_L1: f64 = 1.0;

/// A valid `(L0, L1)` pair: `‖∇²f(x)‖ ≤ L0 + L1 ‖∇f(x)‖` for every `x`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    /// `L0 ≥ 0`.
    #[serde(rename = "L0")]
    pub l0: f64,
    /// `L1 ≥ 0`.
    #[serde(rename = "L1")]
    pub l1: f64,
}

impl Pair {
    /// `(l0, l1)`.
    pub fn new(l0: f64, l1: f64) -> Self {
        Self { l0, l1 }
    }

    /// The pair in the float type `T` (rounded to nearest).
    pub fn in_type<T: Real>(&self) -> (T, T) {
        (T::of(self.l0), T::of(self.l1))
    }
}

/// A certificate with the rule that produced it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Certificate {
    /// The certified pair.
    pub pair: Pair,
    /// Global bounds `(M, L)` with `‖∇f‖ ≤ M`, `‖∇²f‖ ≤ L`, when they exist.
    pub bounded: Option<(f64, f64)>,
    /// Which rules were used (for reports).
    pub rule: String,
}

// ---------------------------------------------------------------------------
// Atoms (SMOOTH-6).

/// `log P(t)` (`positive`) or `log N(t)` of an exponential sum, `P`/`N` the
/// sum of `w_k |a_k| e^{a_k t}` over the positive (negative) rates, by
/// log-sum-exp (no overflow for any finite `t`; `−∞` for an empty side).
fn expsum_log_side(w: &[f64], a: &[f64], t: f64, positive: bool) -> f64 {
    let logs: Vec<f64> = w
        .iter()
        .zip(a)
        .filter(|(_, &ak)| if positive { ak > 0.0 } else { ak < 0.0 })
        .map(|(&wk, &ak)| (wk * ak.abs()).ln() + ak * t)
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln()
}

/// A bracket `[lo, hi]` (width below rounding) of the crossing `t*` where
/// `P(t*) = N(t*)`, by bisection on the increasing `log P − log N`; `None`
/// when one side is empty or no bracket is found within `|t| ≤ 2⁶⁴`.
pub fn expsum_crossing(w: &[f64], a: &[f64]) -> Option<(f64, f64)> {
    let gap = |t: f64| expsum_log_side(w, a, t, true) - expsum_log_side(w, a, t, false);
    if !gap(0.0).is_finite() {
        return None;
    }
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    for _ in 0..64 {
        if gap(lo) <= 0.0 {
            break;
        }
        lo *= 2.0;
    }
    for _ in 0..64 {
        if gap(hi) >= 0.0 {
            break;
        }
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if gap(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // Only a bracket that straddles the crossing is returned.
    (gap(lo) <= 0.0 && gap(hi) >= 0.0).then_some((lo, hi))
}

/// `M = max_t min(P(t), N(t))` of an exponential sum `Σ w_k e^{a_k t}`
/// (`0` if either side is empty). `P` increases and `N` decreases, so the
/// maximum is at their crossing `t* ∈ [lo, hi]`
/// ([`expsum_crossing`]); the upper bound `min(P(hi), N(lo)) ≥ M` is
/// returned (rigorous up to rounding).
pub fn expsum_cross(w: &[f64], a: &[f64]) -> f64 {
    let empty = |positive: bool| expsum_log_side(w, a, 0.0, positive) == f64::NEG_INFINITY;
    if empty(true) || empty(false) {
        return 0.0;
    }
    match expsum_crossing(w, a) {
        Some((lo, hi)) => expsum_log_side(w, a, hi, true)
            .min(expsum_log_side(w, a, lo, false))
            .exp(),
        // No bracket within 2⁶⁴: no finite bound is claimed (refused later).
        None => f64::INFINITY,
    }
}

/// The rate of an atom: its largest `|a|`, and `1` for the quadratic and
/// the quartic (which have none); the scale on which its features live.
pub fn atom_rate(atom: &Atom<f64>) -> f64 {
    match atom {
        Atom::Exp { a, .. } | Atom::Logistic { a } | Atom::Cosh { a } | Atom::LogCosh { a } => {
            a.abs()
        }
        Atom::ExpSum { a, .. } => a.iter().fold(0.0f64, |m, x| m.max(x.abs())),
        Atom::Quadratic { .. } | Atom::Quartic => 1.0,
    }
}

/// The certified pair of `w φ` for one atom `φ` and weight `w > 0`
/// (SMOOTH-6 with the scaling rule of SMOOTH-4: `w φ` is `(w ℓ0, ℓ1)`).
/// A quartic gets `L1 = quartic_l1`.
pub fn atom_pair(atom: &Atom<f64>, weight: f64, quartic_l1: f64) -> Pair {
    match atom {
        Atom::Quadratic { a } => Pair::new(weight * a.abs(), 0.0),
        Atom::Exp { a, .. } => Pair::new(0.0, a.abs()),
        Atom::Logistic { a } => Pair::new(weight * a * a / 4.0, 0.0),
        Atom::Cosh { a } => Pair::new(weight * a * a, a.abs()),
        Atom::LogCosh { a } => Pair::new(weight * a * a, 0.0),
        Atom::Quartic => Pair::new(weight * 4.0 / (quartic_l1 * quartic_l1), quartic_l1),
        Atom::ExpSum { w, a } => {
            let big_a = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            Pair::new(weight * 2.0 * big_a * expsum_cross(w, a), big_a)
        }
    }
}

/// Every certified pair of one atom (weight 1) that SMOOTH-6 states, with a
/// label: the default of [`atom_pair`] plus the alternatives (`(0, |a|)` for
/// the logistic atom, `L1 ∈ {1/2, 1, 2}` for the quartic).
pub fn atom_pairs(atom: &Atom<f64>) -> Vec<(&'static str, Pair)> {
    match atom {
        Atom::Logistic { a } => vec![
            ("logistic (a²/4, 0)", atom_pair(atom, 1.0, 1.0)),
            ("logistic (0, |a|)", Pair::new(0.0, a.abs())),
        ],
        Atom::Quartic => [0.5, 1.0, 2.0]
            .iter()
            .map(|&l1| ("quartic (4/L1², L1)", atom_pair(atom, 1.0, l1)))
            .collect(),
        Atom::Quadratic { .. } => vec![("quadratic (|a|, 0)", atom_pair(atom, 1.0, 1.0))],
        Atom::Exp { .. } => vec![("exp (0, |a|)", atom_pair(atom, 1.0, 1.0))],
        Atom::Cosh { .. } => vec![("cosh (a², |a|)", atom_pair(atom, 1.0, 1.0))],
        Atom::LogCosh { .. } => vec![("log cosh (a², 0)", atom_pair(atom, 1.0, 1.0))],
        Atom::ExpSum { .. } => vec![("expsum (2AM, A)", atom_pair(atom, 1.0, 1.0))],
    }
}

/// The frontier of an atom: the least `L0` with `(L0, l1)` valid, where a
/// closed form is known (`None` otherwise; `∞` when no `L0` works):
/// quadratic `|a|`; exp `0` if `l1 ≥ |a|`; logistic `a²(1 − l1/|a|)₊²/4`;
/// cosh `a²` if `l1 ≥ |a|`; log cosh `a²`; quartic `4/l1²`; an exponential
/// sum with rates of one sign `0` if `l1 ≥ A` (mixed signs: `None`).
pub fn atom_frontier(atom: &Atom<f64>, l1: f64) -> Option<f64> {
    let at_least = |bound: f64, value: f64| if l1 >= bound { value } else { f64::INFINITY };
    Some(match atom {
        Atom::Quadratic { a } => a.abs(),
        Atom::Exp { a, .. } => at_least(a.abs(), 0.0),
        Atom::Logistic { a } => {
            if *a == 0.0 {
                0.0
            } else {
                let c = (1.0 - l1 / a.abs()).max(0.0);
                a * a * c * c / 4.0
            }
        }
        Atom::Cosh { a } => at_least(a.abs(), a * a),
        Atom::LogCosh { a } => a * a,
        Atom::Quartic => {
            if l1 > 0.0 {
                4.0 / (l1 * l1)
            } else {
                f64::INFINITY
            }
        }
        Atom::ExpSum { a, .. } => {
            let positive = a.iter().any(|&x| x > 0.0);
            let negative = a.iter().any(|&x| x < 0.0);
            if positive && negative {
                return None;
            }
            let big_a = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            at_least(big_a, 0.0)
        }
    })
}

// ---------------------------------------------------------------------------
// One coordinate of a separable group (SMOOTH-5).

/// The weighted atoms on one coordinate, sorted into the classes the rules
/// treat differently.
#[derive(Default, Debug)]
struct Coordinate {
    /// Exponential terms `(w, a)`, `a ≠ 0`.
    exponentials: Vec<(f64, f64)>,
    /// `Σ w a` of quadratic atoms.
    quadratic: f64,
    /// Whether any quadratic atom was seen.
    has_quadratic: bool,
    /// `Σ w` of quartic atoms.
    quartic: f64,
    /// `(M, L)`: bounds on `|ψ'|`, `|ψ''|` of the logistic and log-cosh atoms.
    bounded: (f64, f64),
}

impl Coordinate {
    fn add(&mut self, weight: f64, atom: &Atom<f64>) {
        match atom {
            Atom::Quadratic { a } => {
                self.quadratic += weight * a;
                self.has_quadratic = true;
            }
            Atom::Exp { a, b } => self.exponential(weight * b.exp(), *a),
            Atom::Cosh { a } => {
                self.exponential(weight / 2.0, *a);
                self.exponential(weight / 2.0, -*a);
            }
            Atom::ExpSum { w, a } => {
                for (&wk, &ak) in w.iter().zip(a) {
                    self.exponential(weight * wk, ak);
                }
            }
            Atom::Logistic { a } => {
                self.bounded.0 += weight * a.abs();
                self.bounded.1 += weight * a * a / 4.0;
            }
            Atom::LogCosh { a } => {
                self.bounded.0 += weight * a.abs();
                self.bounded.1 += weight * a * a;
            }
            Atom::Quartic => self.quartic += weight,
        }
    }

    fn exponential(&mut self, w: f64, a: f64) {
        // A zero rate is a constant: no gradient, no curvature.
        if a != 0.0 {
            self.exponentials.push((w, a));
        }
    }

    /// `L1` this coordinate needs regardless of the quartic choice
    /// (`None`: it is a quartic coordinate, which takes any `L1 > 0`).
    fn forced_l1(&self) -> Option<f64> {
        if self.quartic > 0.0 && self.exponentials.is_empty() {
            None
        } else {
            Some(
                self.exponentials
                    .iter()
                    .fold(0.0f64, |m, e| m.max(e.1.abs())),
            )
        }
    }

    /// The certified pair of `ψ = Σ w φ` on this coordinate; quartic
    /// coordinates take `L1 = quartic_l1`.
    fn pair(&self, quartic_l1: f64) -> Result<Pair> {
        let (m, l) = self.bounded;
        if !self.exponentials.is_empty() {
            if self.has_quadratic || self.quartic > 0.0 {
                return Err(Error::NoCertificate {
                    reason: "exponential and quadratic or quartic atoms on one coordinate".into(),
                });
            }
            let (w, a): (Vec<f64>, Vec<f64>) = self.exponentials.iter().copied().unzip();
            let base = atom_pair(&Atom::ExpSum { w, a }, 1.0, 1.0);
            return Ok(Pair::new(base.l0 + l + base.l1 * m, base.l1));
        }
        if self.quartic > 0.0 {
            if self.has_quadratic {
                return Err(Error::NoCertificate {
                    reason: "quartic and quadratic atoms on one coordinate".into(),
                });
            }
            let base = atom_pair(&Atom::Quartic, self.quartic, quartic_l1);
            return Ok(Pair::new(base.l0 + l + quartic_l1 * m, quartic_l1));
        }
        Ok(Pair::new(self.quadratic.abs() + l, 0.0))
    }

    fn is_bounded(&self) -> bool {
        self.exponentials.is_empty() && !self.has_quadratic && self.quartic == 0.0
    }
}

// ---------------------------------------------------------------------------
// Parts of an average.

/// One part of `f` that the average rule combines.
#[derive(Clone, Debug)]
struct Part {
    pair: Pair,
    bounded: Option<(f64, f64)>,
    rule: String,
}

/// Largest `|λ|` of a symmetric matrix (its operator norm).
pub fn symmetric_norm(m: &DMatrix<f64>) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    let sym = (m + m.transpose()) * 0.5;
    sym.symmetric_eigenvalues()
        .iter()
        .fold(0.0f64, |a, x| a.max(x.abs()))
}

/// The separable group with one `(rotation, shift)`: atoms summed per
/// coordinate, each weighted by `weight` (SMOOTH-5), then the max rule.
fn separable_part(
    rotation: &DMatrix<f64>,
    groups: &[&Vec<Atom<f64>>],
    weight: f64,
) -> Result<Part> {
    let dim = groups.first().map_or(0, |g| g.len());
    let mut coordinates: Vec<Coordinate> = (0..dim).map(|_| Coordinate::default()).collect();
    for atoms in groups {
        for (coordinate, atom) in coordinates.iter_mut().zip(atoms.iter()) {
            coordinate.add(weight, atom);
        }
    }
    let forced = coordinates
        .iter()
        .filter_map(Coordinate::forced_l1)
        .fold(0.0f64, f64::max);
    let quartic_l1 = if forced > 0.0 {
        forced
    } else {
        QUARTIC_DEFAULT_L1
    };
    let mut pair = Pair::new(0.0, 0.0);
    for coordinate in &coordinates {
        let p = coordinate.pair(quartic_l1)?;
        pair = Pair::new(pair.l0.max(p.l0), pair.l1.max(p.l1));
    }
    // A rotation read from a file (or rounded to f32) is orthogonal only up
    // to δ = ‖RᵀR − I‖: ‖Rᵀ D R‖ ≤ (1 + δ)‖D‖ and ‖ψ'‖ ≤ ‖Rᵀψ'‖/sqrt(1 − δ).
    let defect = symmetric_norm(&(rotation.transpose() * rotation - DMatrix::identity(dim, dim)));
    if defect >= 0.5 {
        return Err(Error::NoCertificate {
            reason: format!("rotation far from orthogonal (‖RᵀR − I‖ = {defect:e})"),
        });
    }
    let grow = 1.0 + defect;
    let pair = Pair::new(pair.l0 * grow, pair.l1 * grow / (1.0 - defect).sqrt());
    let bounded = coordinates.iter().all(Coordinate::is_bounded).then(|| {
        let m2: f64 = coordinates.iter().map(|c| c.bounded.0 * c.bounded.0).sum();
        let l = coordinates.iter().fold(0.0f64, |a, c| a.max(c.bounded.1));
        ((m2 * grow).sqrt(), l * grow)
    });
    Ok(Part {
        pair,
        bounded,
        rule: format!("separable group of {} component(s)", groups.len()),
    })
}

/// Separable components with one `(rotation, shift)`: their atom lists.
type Group<'a> = (&'a DMatrix<f64>, &'a DVector<f64>, Vec<&'a Vec<Atom<f64>>>);

/// Refuses a NaN or infinite parameter (`max` and comparisons would
/// otherwise skip it silently), naming the component.
fn ensure_finite_parameters(index: usize, component: &Component<f64>) -> Result<()> {
    let atom_numbers = |atom: &Atom<f64>| -> Vec<f64> {
        match atom {
            Atom::Quadratic { a }
            | Atom::Logistic { a }
            | Atom::Cosh { a }
            | Atom::LogCosh { a } => {
                vec![*a]
            }
            Atom::Exp { a, b } => vec![*a, *b],
            Atom::Quartic => Vec::new(),
            Atom::ExpSum { w, a } => w.iter().chain(a).copied().collect(),
        }
    };
    let numbers: Vec<f64> = match component {
        // A user-defined objective has no parameters here (and no rule).
        Component::Custom(_) => Vec::new(),
        Component::Linear { c } => c.iter().copied().collect(),
        Component::Quadratic {
            hessian,
            linear,
            constant,
        } => hessian
            .iter()
            .chain(linear.iter())
            .chain([constant])
            .copied()
            .collect(),
        Component::Exp { a, b } => a.iter().chain([b]).copied().collect(),
        Component::Logistic { a, label } => a.iter().chain([label]).copied().collect(),
        Component::Separable {
            rotation,
            shift,
            atoms,
        } => rotation
            .iter()
            .chain(shift.iter())
            .copied()
            .chain(atoms.iter().flat_map(atom_numbers))
            .collect(),
    };
    match numbers.into_iter().find(|x| !x.is_finite()) {
        Some(value) => Err(Error::NonFinite {
            field: format!("components[{index}]"),
            value,
        }),
        None => Ok(()),
    }
}

/// Certifies `(1/n) Σ_i f_i` for the given components (all of one dimension
/// `dim`), by the rules of the module docs.
pub fn certify_components(components: &[Component<f64>], dim: usize) -> Result<Certificate> {
    if components.is_empty() {
        return Err(Error::Empty {
            what: "components".into(),
        });
    }
    for (index, component) in components.iter().enumerate() {
        ensure_finite_parameters(index, component)?;
    }
    let weight = 1.0 / components.len() as f64;
    let mut parts: Vec<Part> = Vec::new();

    // Linear terms (and quadratics without curvature) are one bounded part.
    let mut linear = DVector::<f64>::zeros(dim);
    let mut quadratic = DMatrix::<f64>::zeros(dim, dim);
    let mut has_quadratic = false;
    let mut logistic_gram = DMatrix::<f64>::zeros(dim, dim);
    let mut logistic_m = 0.0;
    let mut has_logistic = false;
    let mut exponentials: Vec<&DVector<f64>> = Vec::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for component in components {
        match component {
            Component::Custom(custom) => {
                return Err(Error::NoCertificate {
                    reason: format!(
                        "`{}` is a user-defined objective: no proven (L0, L1) rule covers it",
                        custom.name()
                    ),
                })
            }
            Component::Linear { c } => linear += c,
            Component::Quadratic {
                hessian, linear: l, ..
            } => {
                quadratic += hessian;
                linear += l;
                has_quadratic = true;
            }
            Component::Exp { a, .. } => exponentials.push(a),
            Component::Logistic { a, .. } => {
                logistic_gram += a * a.transpose();
                logistic_m += a.norm();
                has_logistic = true;
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                match groups
                    .iter_mut()
                    .find(|(r, s, _)| *r == rotation && *s == shift)
                {
                    Some(group) => group.2.push(atoms),
                    None => groups.push((rotation, shift, vec![atoms])),
                }
            }
        }
    }
    let quadratic_norm = symmetric_norm(&quadratic) * weight;
    if has_quadratic && quadratic_norm > 0.0 {
        parts.push(Part {
            pair: Pair::new(quadratic_norm, 0.0),
            bounded: None,
            rule: "quadratic ‖Σ H‖/n".into(),
        });
    }
    let linear_norm = linear.norm() * weight;
    if linear_norm > 0.0 {
        parts.push(Part {
            pair: Pair::new(0.0, 0.0),
            bounded: Some((linear_norm, 0.0)),
            rule: "linear".into(),
        });
    }
    if has_logistic {
        let l = symmetric_norm(&logistic_gram) * weight / 4.0;
        parts.push(Part {
            pair: Pair::new(l, 0.0),
            bounded: Some((logistic_m * weight, l)),
            rule: "logistic λ_max(Σ a aᵀ)/(4n)".into(),
        });
    }
    let nonzero: Vec<&DVector<f64>> = exponentials
        .into_iter()
        .filter(|a| a.norm() > 0.0)
        .collect();
    if !nonzero.is_empty() {
        let axis = nonzero
            .iter()
            .fold(DVector::zeros(dim), |s, a| s + *a / a.norm());
        let axis_norm = axis.norm();
        let cos = if axis_norm > 0.0 {
            nonzero
                .iter()
                .map(|a| a.dot(&axis) / (a.norm() * axis_norm))
                .fold(f64::INFINITY, f64::min)
        } else {
            0.0
        };
        if cos <= 0.0 {
            return Err(Error::NoCertificate {
                reason: "exp components whose directions lie in no open half-space \
                         (the cone rule needs cos θ > 0)"
                    .into(),
            });
        }
        let big_a = nonzero.iter().fold(0.0f64, |m, a| m.max(a.norm()));
        parts.push(Part {
            pair: Pair::new(0.0, big_a / cos),
            bounded: None,
            rule: format!("exp cone rule (cos θ = {cos:.3})"),
        });
    }
    for (rotation, _, atoms) in &groups {
        parts.push(separable_part(rotation, atoms, weight)?);
    }
    combine(parts)
}

/// The average rule: bounded parts are a perturbation `h`, the rest must be
/// one part or all have `L1 = 0`.
fn combine(parts: Vec<Part>) -> Result<Certificate> {
    let (bounded, unbounded): (Vec<Part>, Vec<Part>) =
        parts.into_iter().partition(|p| p.bounded.is_some());
    let (m, l) = bounded
        .iter()
        .filter_map(|p| p.bounded)
        .fold((0.0, 0.0), |(m, l), (pm, pl)| (m + pm, l + pl));
    let mut rules: Vec<String> = unbounded.iter().map(|p| p.rule.clone()).collect();
    if !bounded.is_empty() {
        rules.push(format!(
            "+ bounded perturbation (M = {m:.3e}, L = {l:.3e}) from {}",
            bounded
                .iter()
                .map(|p| p.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let rule = rules.join("; ");
    let pair = match unbounded.as_slice() {
        [] => Pair::new(l, 0.0),
        [only] => Pair::new(only.pair.l0 + l + only.pair.l1 * m, only.pair.l1),
        several if several.iter().all(|p| p.pair.l1 == 0.0) => {
            Pair::new(several.iter().map(|p| p.pair.l0).sum::<f64>() + l, 0.0)
        }
        _ => {
            return Err(Error::NoCertificate {
                reason: format!(
                    "{} parts with L1 > 0 or unbounded gradients ({rule}): \
                     their gradients can cancel",
                    unbounded.len()
                ),
            })
        }
    };
    if !(pair.l0.is_finite() && pair.l1.is_finite()) {
        return Err(Error::NoCertificate {
            reason: format!("the constants overflow ({rule})"),
        });
    }
    Ok(Certificate {
        pair,
        bounded: unbounded.is_empty().then_some((m, l)),
        rule,
    })
}

/// Certificates of `f` and of every component of an instance (in any float
/// type; computed in `f64` from the widened parameters).
#[derive(Clone, Debug)]
pub struct Certification {
    /// `f = (1/n) Σ f_i`.
    pub f: Certificate,
    /// Each `f_i` on its own.
    pub components: Vec<Certificate>,
}

/// Certifies an instance: `f` and each component.
pub fn certify<T: Real>(instance: &Instance<T>) -> Result<Certification> {
    let wide = instance.cast::<f64>()?;
    let dim = wide.dim();
    let f = certify_components(wide.components(), dim)?;
    let components = wide
        .components()
        .iter()
        .map(|c| certify_components(std::slice::from_ref(c), dim))
        .collect::<Result<Vec<_>>>()?;
    Ok(Certification { f, components })
}

/// The certified pair of `f` alone.
pub fn certify_f<T: Real>(instance: &Instance<T>) -> Result<Pair> {
    let wide = instance.cast::<f64>()?;
    Ok(certify_components(wide.components(), wide.dim())?.pair)
}

/// Operator norm `‖H‖ = max |λ(H)|` of a symmetric matrix in any float
/// type (eigenvalues computed in `f64`).
pub fn operator_norm<T: Real>(h: &DMatrix<T>) -> T {
    T::of(symmetric_norm(&h.map(|x| x.to_f64_lossless())))
}
