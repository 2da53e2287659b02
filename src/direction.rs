//! The clipped direction, its bias, and when it descends
//! (ids BIAS-1..BIAS-5, DESC-1..DESC-6).
//!
//! For component gradients `g_1, …, g_n` at one point and a threshold `γ`:
//!
//! $$ g = \frac1n \sum_i g_i, \qquad d = \frac1n \sum_i \mathrm{clip}_\gamma(g_i), \qquad
//!    d - g = -\frac1n \sum_{i \in C} \Bigl(1 - \frac{\gamma}{\lVert g_i\rVert}\Bigr) g_i, $$
//!
//! with `C = {i : ‖g_i‖ > γ}` the clipped set. [`GradientSet`] validates the
//! gradients once (non-empty, one dimension, finite) and then computes every
//! quantity of the BIAS and DESC lemmas without further checks.

use nalgebra::DVector;

use crate::clipping::{clip_factor, excess, Threshold};
use crate::error::{Error, Result};
use crate::real::{dot, norm, Real};

/// The angle between a component gradient `g_i` and the full gradient `g`,
/// as its cosine and sine (both accurate: the sine comes from the component
/// orthogonal to `g`, not from `sqrt(1 − cos²)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Angle<T> {
    /// `cos θ_i = ⟨g_i, g⟩ / (‖g_i‖ ‖g‖)`, clamped to `[−1, 1]`; `0` for `g_i = 0`.
    pub cos: T,
    /// `|sin θ_i| = ‖P⊥ g_i‖ / ‖g_i‖ ≥ 0`; `1` for `g_i = 0`.
    pub sin: T,
}

impl<T: Real> Angle<T> {
    /// `θ_i = atan2(|sin θ_i|, cos θ_i) ∈ [0, π]`.
    pub fn radians(&self) -> T {
        self.sin.atan2(self.cos)
    }

    /// `sin² θ_i`.
    pub fn sin2(&self) -> T {
        self.sin * self.sin
    }
}

/// Validated component gradients at one point, with a threshold.
#[derive(Clone, Debug)]
pub struct GradientSet<T: Real> {
    gradients: Vec<DVector<T>>,
    norms: Vec<T>,
    gamma: Threshold<T>,
    mean: DVector<T>,
}

impl<T: Real> GradientSet<T> {
    /// Validates and stores `g_1, …, g_n`: refuses an empty set
    /// ([`Error::Empty`]), zero dimension or vectors of different lengths
    /// ([`Error::DimensionMismatch`]), and NaN or infinite entries
    /// ([`Error::NonFinite`]).
    pub fn new(gradients: Vec<DVector<T>>, gamma: Threshold<T>) -> Result<Self> {
        let first = gradients.first().ok_or_else(|| Error::Empty {
            what: "the set of component gradients".into(),
        })?;
        let dim = first.len();
        if dim == 0 {
            return Err(Error::Empty {
                what: "gradient vector (dimension 0)".into(),
            });
        }
        for (i, g) in gradients.iter().enumerate() {
            if g.len() != dim {
                return Err(Error::DimensionMismatch {
                    field: format!("gradients[{i}]"),
                    expected: dim,
                    found: g.len(),
                });
            }
            if let Some((k, &x)) = g.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(Error::NonFinite {
                    field: format!("gradients[{i}][{k}]"),
                    value: x.to_f64_lossless(),
                });
            }
        }
        let norms: Vec<T> = gradients.iter().map(norm).collect();
        if let Some((i, s)) = norms.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(Error::NonFinite {
                field: format!("norm of gradients[{i}] (overflow)"),
                value: s.to_f64_lossless(),
            });
        }
        let inverse_n = T::one() / T::of(gradients.len() as f64);
        let mut sum = DVector::zeros(dim);
        for g in &gradients {
            sum += g;
        }
        let mean = sum * inverse_n;
        Ok(Self {
            gradients,
            norms,
            gamma,
            mean,
        })
    }

    /// Number of components `n`.
    pub fn len(&self) -> usize {
        self.gradients.len()
    }

    /// Always `false`: the constructor refuses empty sets.
    pub fn is_empty(&self) -> bool {
        self.gradients.is_empty()
    }

    /// Dimension of the gradients.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The threshold `γ`.
    pub fn gamma(&self) -> T {
        self.gamma.get()
    }

    /// The validated threshold.
    pub fn threshold(&self) -> Threshold<T> {
        self.gamma
    }

    /// The component gradients `g_i`.
    pub fn gradients(&self) -> &[DVector<T>] {
        &self.gradients
    }

    /// The norms `s_i = ‖g_i‖`.
    pub fn norms(&self) -> &[T] {
        &self.norms
    }

    /// The full gradient `g = (1/n) Σ_i g_i`.
    pub fn mean(&self) -> &DVector<T> {
        &self.mean
    }

    /// `‖g‖`.
    pub fn mean_norm(&self) -> T {
        norm(&self.mean)
    }

    /// `G = max_i ‖g_i‖`.
    pub fn max_norm(&self) -> T {
        self.norms.iter().fold(T::zero(), |m, &s| m.max(s))
    }

    /// `(1/n) Σ_i ‖g_i‖`, the magnitude every slack here is measured against.
    pub fn mean_component_norm(&self) -> T {
        self.norms.iter().fold(T::zero(), |a, &s| a + s) / self.n_as_real()
    }

    /// The clipped direction `d = (1/n) Σ_i clip_γ(g_i)`.
    pub fn clipped_direction(&self) -> DVector<T> {
        let mut sum = DVector::zeros(self.dim());
        for (g, &s) in self.gradients.iter().zip(&self.norms) {
            sum.axpy(clip_factor(s, self.gamma), g, T::one());
        }
        sum * (T::one() / self.n_as_real())
    }

    /// The bias `d − g` by BIAS-1: `−(1/n) Σ_{i∈C} (1 − γ/‖g_i‖) g_i`
    /// (computed from the clipped components only, not as a difference).
    pub fn bias(&self) -> DVector<T> {
        let mut sum = DVector::zeros(self.dim());
        for (g, &s) in self.gradients.iter().zip(&self.norms) {
            // 1 − min(1, γ/s): 0 outside C, without a branch on s > γ.
            sum.axpy(T::one() - clip_factor(s, self.gamma), g, T::one());
        }
        sum * (-T::one() / self.n_as_real())
    }

    /// The bias bound `β = (1/n) Σ_i (‖g_i‖ − γ)_+` (BIAS-2).
    pub fn beta(&self) -> T {
        self.norms
            .iter()
            .fold(T::zero(), |a, &s| a + excess(s, self.gamma))
            / self.n_as_real()
    }

    /// `β₊ = (1/n) Σ_{i∈C} (‖g_i‖ − γ)(cos θ_i)_+` (DESC-3); `None` when `g = 0`.
    pub fn beta_plus(&self) -> Option<T> {
        Some(self.beta_plus_from(&self.angles()?))
    }

    fn beta_plus_from(&self, angles: &[Angle<T>]) -> T {
        let sum = self
            .norms
            .iter()
            .zip(angles)
            .fold(T::zero(), |a, (&s, angle)| {
                a + excess(s, self.gamma) * angle.cos.max(T::zero())
            });
        sum / self.n_as_real()
    }

    /// The angles `θ_i` between each `g_i` and `g`; `None` when `g = 0`
    /// (the angle to a zero vector is undefined).
    pub fn angles(&self) -> Option<Vec<Angle<T>>> {
        let mean_norm = self.mean_norm();
        if mean_norm == T::zero() {
            return None;
        }
        let unit = &self.mean / mean_norm;
        Some(
            self.gradients
                .iter()
                .zip(&self.norms)
                .map(|(g, &s)| {
                    if s == T::zero() {
                        return Angle {
                            cos: T::zero(),
                            sin: T::one(),
                        };
                    }
                    let along = dot(g, &unit);
                    // ‖g_i − ⟨g_i, u⟩ u‖ without a temporary vector
                    let orthogonal = g
                        .iter()
                        .zip(unit.iter())
                        .fold(T::zero(), |acc, (&x, &u)| acc + (x - along * u).powi(2))
                        .sqrt();
                    Angle {
                        cos: (along / s).max(-T::one()).min(T::one()),
                        sin: (orthogonal / s).min(T::one()),
                    }
                })
                .collect(),
        )
    }

    /// `P⊥ v = v − (⟨v, g⟩/‖g‖²) g`, the part of `v` orthogonal to `g`;
    /// `None` when `g = 0`.
    pub fn orthogonal_part(&self, v: &DVector<T>) -> Option<DVector<T>> {
        let mean_norm = self.mean_norm();
        if mean_norm == T::zero() {
            return None;
        }
        let unit = &self.mean / mean_norm;
        Some(v - &unit * dot(v, &unit))
    }

    /// The BIAS-3 / DESC-1 decomposition of `⟨d, g⟩`; `None` when `g = 0`.
    pub fn decomposition(&self) -> Option<Decomposition<T>> {
        Some(self.decomposition_from(&self.angles()?))
    }

    fn decomposition_from(&self, angles: &[Angle<T>]) -> Decomposition<T> {
        let gamma = self.gamma.get();
        let inverse_n = T::one() / self.n_as_real();
        let mut weighted_cos = T::zero();
        let mut clipped_excess_cos = T::zero();
        for (&s, angle) in self.norms.iter().zip(angles) {
            weighted_cos += s.min(gamma) * angle.cos;
            // (s − γ)₊ cos θ_i: 0 outside C, without a branch on s > γ.
            clipped_excess_cos += excess(s, self.gamma) * angle.cos;
        }
        Decomposition {
            d_dot_g: dot(&self.clipped_direction(), &self.mean),
            mean_weighted_cos: weighted_cos * inverse_n,
            mean_clipped_excess_cos: clipped_excess_cos * inverse_n,
            grad_norm: self.mean_norm(),
        }
    }

    /// Everything the DESC lemmas speak of, at once; `None` when `g = 0`.
    pub fn descent(&self) -> Option<Descent<T>> {
        let angles = self.angles()?;
        let decomposition = self.decomposition_from(&angles);
        let grad_norm = decomposition.grad_norm;
        Some(Descent {
            grad_norm,
            clipped_direction_norm: norm(&self.clipped_direction()),
            d_dot_g: decomposition.d_dot_g,
            beta: self.beta(),
            beta_plus: self.beta_plus_from(&angles),
            rho: cdc_rho(decomposition.d_dot_g, grad_norm, self.gamma),
            max_norm: self.max_norm(),
            acute: angles.iter().all(|a| a.cos >= T::zero()),
        })
    }

    fn n_as_real(&self) -> T {
        T::of(self.len() as f64)
    }
}

/// The terms of BIAS-3: `⟨d, g⟩ = ‖g‖ · (1/n) Σ_i min(‖g_i‖, γ) cos θ_i`
/// and `⟨d − g, g⟩ = −‖g‖ · (1/n) Σ_{i∈C} (‖g_i‖ − γ) cos θ_i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decomposition<T> {
    /// `⟨d, g⟩`, computed directly.
    pub d_dot_g: T,
    /// `(1/n) Σ_i min(‖g_i‖, γ) cos θ_i`.
    pub mean_weighted_cos: T,
    /// `(1/n) Σ_{i∈C} (‖g_i‖ − γ) cos θ_i`.
    pub mean_clipped_excess_cos: T,
    /// `‖g‖`.
    pub grad_norm: T,
}

/// The quantities of DESC-1..DESC-3 and DESC-6 at one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descent<T> {
    /// `‖g‖`.
    pub grad_norm: T,
    /// `‖d‖`.
    pub clipped_direction_norm: T,
    /// `⟨d, g⟩`: the clipped direction descends iff this is `> 0` (DESC-1).
    pub d_dot_g: T,
    /// `β = (1/n) Σ_i (‖g_i‖ − γ)_+`.
    pub beta: T,
    /// `β₊ = (1/n) Σ_{i∈C} (‖g_i‖ − γ)(cos θ_i)_+`.
    pub beta_plus: T,
    /// The largest `ρ` with CDC(ρ), see [`cdc_rho`].
    pub rho: T,
    /// `G = max_i ‖g_i‖`.
    pub max_norm: T,
    /// Whether every nonzero `g_i` makes an acute (or right) angle with `g`.
    pub acute: bool,
}

impl<T: Real> Descent<T> {
    /// Whether `d` is a descent direction: `⟨d, g⟩ > 0`.
    pub fn is_descent(&self) -> bool {
        self.d_dot_g > T::zero()
    }
}

/// The largest `ρ` for which the clipped-descent condition CDC(ρ),
/// `⟨d, g⟩ ≥ ρ min(‖g‖, γ) ‖g‖`, holds (DESC-6):
///
/// $$ \rho^\star = \frac{\langle d, g\rangle}{\min(\lVert g\rVert, \gamma)\\,\lVert g\rVert}, $$
///
/// negative when `d` ascends; `0` when `g = 0`.
pub fn cdc_rho<T: Real>(d_dot_g: T, grad_norm: T, gamma: Threshold<T>) -> T {
    let denominator = grad_norm.min(gamma.get()) * grad_norm;
    if denominator == T::zero() {
        T::zero()
    } else {
        d_dot_g / denominator
    }
}

/// The component gradients of an instance as a [`GradientSet`] (the
/// pointwise statements' input), validated so that an overflow to `∞` at
/// `x` is an error, not a NaN later.
pub trait GradientsAt<T: Real> {
    /// The component gradients `∇f_i(x)`.
    fn gradients_at(&self, x: &DVector<T>) -> Result<GradientSet<T>>;

    /// The component gradients at the start point `x0`.
    fn gradients_at_start(&self) -> Result<GradientSet<T>>;
}

impl<T: Real> GradientsAt<T> for crate::instance::Instance<T> {
    fn gradients_at(&self, x: &DVector<T>) -> Result<GradientSet<T>> {
        GradientSet::new(self.component_gradients(x)?, self.gamma())
    }

    fn gradients_at_start(&self) -> Result<GradientSet<T>> {
        self.gradients_at(self.x0())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::dvector;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * (1.0 + b.abs())
    }

    /// `γ = 2`; `(4, 0)` and `(0, 8)` clipped by ½ and ¼, `(1, 0)` and `0`
    /// kept: `g = (1.25, 2)`, `d = (0.75, 0.5)`, `d − g = (−0.5, −1.5)`,
    /// `β = 2`, `⟨d, g⟩ = 1.9375`, every value exact or to one rounding.
    fn example() -> GradientSet<f64> {
        GradientSet::new(
            vec![
                dvector![4.0, 0.0],
                dvector![0.0, 8.0],
                dvector![1.0, 0.0],
                dvector![0.0, 0.0],
            ],
            Threshold::new(2.0).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn every_quantity_has_its_exact_value() {
        let set = example();
        assert_eq!((set.len(), set.is_empty(), set.dim()), (4, false, 2));
        assert_eq!((set.gamma(), set.threshold().get()), (2.0, 2.0));
        assert_eq!(set.gradients()[1], dvector![0.0, 8.0]);
        assert_eq!(set.norms(), &[4.0, 8.0, 1.0, 0.0]);
        assert_eq!(set.mean(), &dvector![1.25, 2.0]);
        let g_norm = 5.5625_f64.sqrt();
        assert!(close(set.mean_norm(), g_norm));
        assert_eq!(set.max_norm(), 8.0);
        assert_eq!(set.mean_component_norm(), 3.25);
        assert_eq!(set.clipped_direction(), dvector![0.75, 0.5]);
        assert_eq!(set.bias(), dvector![-0.5, -1.5]);
        assert_eq!(set.beta(), 2.0);

        let angles = set.angles().unwrap();
        let cosines = [1.25 / g_norm, 2.0 / g_norm, 1.25 / g_norm, 0.0];
        let sines = [2.0 / g_norm, 1.25 / g_norm, 2.0 / g_norm, 1.0];
        for (angle, (&cos, &sin)) in angles.iter().zip(cosines.iter().zip(&sines)) {
            assert!(close(angle.cos, cos) && close(angle.sin, sin), "{angle:?}");
        }
        let beta_plus = (2.0 * cosines[0] + 6.0 * cosines[1]) / 4.0;
        assert!(close(set.beta_plus().unwrap(), beta_plus));

        let decomposition = set.decomposition().unwrap();
        assert_eq!(decomposition.d_dot_g, 1.9375);
        assert!(close(decomposition.mean_weighted_cos, 1.9375 / g_norm));
        assert!(close(decomposition.mean_clipped_excess_cos, beta_plus));
        assert!(close(decomposition.grad_norm, g_norm));

        let descent = set.descent().unwrap();
        assert!(close(descent.grad_norm, g_norm));
        assert!(close(descent.clipped_direction_norm, 0.8125_f64.sqrt()));
        assert_eq!(
            (descent.d_dot_g, descent.beta, descent.max_norm),
            (1.9375, 2.0, 8.0)
        );
        assert!(close(descent.beta_plus, beta_plus));
        assert!(close(descent.rho, 1.9375 / (2.0 * g_norm)));
        assert!(descent.acute && descent.is_descent());

        // P⊥ g = 0, and a vector orthogonal to g is its own part.
        let along = set.orthogonal_part(&dvector![1.25, 2.0]).unwrap();
        assert!(along.norm() < 1e-15);
        let across = set.orthogonal_part(&dvector![2.0, -1.25]).unwrap();
        assert!((across - dvector![2.0, -1.25]).norm() < 1e-15);
    }

    #[test]
    fn obtuse_components_and_ascent_are_seen() {
        // DESC-5's (30, −1, −1), γ = 1: d = −1/3 ascends, not acute.
        let set = GradientSet::new(
            vec![dvector![30.0], dvector![-1.0], dvector![-1.0]],
            Threshold::new(1.0).unwrap(),
        )
        .unwrap();
        let descent = set.descent().unwrap();
        assert!(!descent.acute && !descent.is_descent());
        assert!(close(
            descent.rho,
            (-1.0 / 3.0) * (28.0 / 3.0) / (28.0 / 3.0)
        ));
        assert_eq!(set.angles().unwrap()[1].cos, -1.0);
        assert_eq!(set.angles().unwrap()[1].sin, 0.0);
    }

    /// DESC-4's stall: `(−6), (5)` with `γ = 1` clip to `−1, 1`, so `d = 0`
    /// while `g = −0.5`: `⟨d, g⟩ = 0` is not descent.
    #[test]
    fn a_stall_is_not_descent() {
        let set = GradientSet::new(
            vec![dvector![-6.0], dvector![5.0]],
            Threshold::new(1.0).unwrap(),
        )
        .unwrap();
        let descent = set.descent().unwrap();
        assert_eq!(descent.d_dot_g, 0.0);
        assert!(!descent.is_descent());
    }

    #[test]
    fn angles_and_cdc_at_the_edges() {
        let right = Angle { cos: 0.0, sin: 1.0 };
        assert!(close(right.radians(), std::f64::consts::FRAC_PI_2));
        assert_eq!(Angle { cos: 0.6, sin: 0.5 }.sin2(), 0.25);
        let gamma = Threshold::new(2.0).unwrap();
        assert_eq!(cdc_rho(1.0, 0.0, gamma), 0.0);
        assert_eq!(cdc_rho(3.0, 1.0, gamma), 3.0);
        assert_eq!(cdc_rho(12.0, 3.0, gamma), 2.0);
        // g = 0: no angles, decomposition, descent or projection.
        let balanced =
            GradientSet::new(vec![dvector![1.0, 2.0], dvector![-1.0, -2.0]], gamma).unwrap();
        assert!(balanced.angles().is_none() && balanced.beta_plus().is_none());
        assert!(balanced.decomposition().is_none() && balanced.descent().is_none());
        assert!(balanced.orthogonal_part(&dvector![1.0, 0.0]).is_none());
    }

    #[test]
    fn bad_sets_are_typed_errors_naming_the_entry() {
        let gamma = Threshold::new(1.0_f64).unwrap();
        assert!(matches!(
            GradientSet::new(vec![], gamma),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            GradientSet::new(vec![DVector::zeros(0)], gamma),
            Err(Error::Empty { .. })
        ));
        match GradientSet::new(vec![dvector![1.0, 2.0], dvector![1.0]], gamma) {
            Err(Error::DimensionMismatch {
                field,
                expected,
                found,
            }) => assert_eq!((field.as_str(), expected, found), ("gradients[1]", 2, 1)),
            other => panic!("{other:?}"),
        }
        match GradientSet::new(vec![dvector![1.0], dvector![f64::NAN]], gamma) {
            Err(Error::NonFinite { field, .. }) => assert_eq!(field, "gradients[1][0]"),
            other => panic!("{other:?}"),
        }
        match GradientSet::new(vec![dvector![1.5e308, 1.5e308]], gamma) {
            Err(Error::NonFinite { field, .. }) => {
                assert_eq!(field, "norm of gradients[0] (overflow)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn instances_give_their_component_gradients() {
        let instance = crate::instance::Instance::from_gradients(
            Threshold::new(1.0).unwrap(),
            vec![dvector![1.0, 2.0], dvector![3.0, -1.0]],
        )
        .unwrap();
        let set = instance.gradients_at_start().unwrap();
        assert_eq!(set.gradients(), &[dvector![1.0, 2.0], dvector![3.0, -1.0]]);
        assert_eq!(set.mean(), &dvector![2.0, 0.5]);
    }
}
