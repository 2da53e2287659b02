//! The clipping operator (ids CLIP-1..CLIP-5).
//!
//! $$ \mathrm{clip}_\gamma(v) = \min\\{1, \gamma/\lVert v\rVert\\}\\, v, \qquad \mathrm{clip}_\gamma(0) = 0, $$
//!
//! the Euclidean projection onto the ball `B(0, γ)`. The threshold is a
//! validated [`Threshold`], so `γ ≤ 0`, NaN and `∞` are refused once, at
//! construction, not at every call.

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::real::{norm, Real};

/// A clipping threshold `γ`: finite and `> 0` by construction.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Threshold<T>(T);

impl<T: Real> Threshold<T> {
    /// Validates `gamma`: refused unless finite and `> 0`
    /// ([`Error::InvalidGamma`]).
    pub fn new(gamma: T) -> Result<Self> {
        if gamma.is_finite() && gamma > T::zero() {
            Ok(Self(gamma))
        } else {
            Err(Error::InvalidGamma {
                value: gamma.to_f64_lossless(),
            })
        }
    }

    /// The value `γ`.
    #[inline]
    pub fn get(self) -> T {
        self.0
    }
}

/// The factor `min(1, γ/s)` by which clipping scales a vector of norm `s ≥ 0`
/// (`1` for `s = 0`, so that `clip(0) = 0`).
///
/// Written as the continuous `min(1, γ/s)`, not as a branch on `s > γ`: in
/// floating point the two are the same number (`γ/s ≥ 1` exactly when
/// `s ≤ γ`, rounding being monotone), and in
/// [`Interval`](crate::interval::Interval)s a norm equal to `γ` then needs
/// no undecidable comparison.
#[inline]
pub fn clip_factor<T: Real>(norm_of_v: T, gamma: Threshold<T>) -> T {
    if norm_of_v <= T::zero() {
        T::one()
    } else {
        (gamma.0 / norm_of_v).min(T::one())
    }
}

/// `clip_γ(v) = min(1, γ/‖v‖) v`, with `clip_γ(0) = 0`.
///
/// Refuses a vector with a NaN or infinite entry ([`Error::NonFinite`]):
/// clipping would turn it into NaN silently.
pub fn clip<T: Real>(v: &DVector<T>, gamma: Threshold<T>) -> Result<DVector<T>> {
    if let Some((k, &x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(Error::NonFinite {
            field: format!("v[{k}]"),
            value: x.to_f64_lossless(),
        });
    }
    Ok(v * clip_factor(norm(v), gamma))
}

/// `‖clip_γ(v)‖ = min(‖v‖, γ)` for a vector of norm `s` (CLIP-1).
#[inline]
pub fn clipped_norm<T: Real>(norm_of_v: T, gamma: Threshold<T>) -> T {
    norm_of_v.min(gamma.0)
}

/// The excess `(s − γ)_+ = ‖v − clip_γ(v)‖` of a vector of norm `s` (CLIP-1).
#[inline]
pub fn excess<T: Real>(norm_of_v: T, gamma: Threshold<T>) -> T {
    (norm_of_v - gamma.0).max(T::zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact values of the operator and its scalar companions: a changed
    /// comparison, operator or constant changes one of them.
    #[test]
    fn clipping_values_are_exact() {
        let gamma = Threshold::new(2.0_f64).unwrap();
        assert_eq!(gamma.get(), 2.0);
        assert_eq!(clip_factor(0.0, gamma), 1.0);
        assert_eq!(clip_factor(1.0, gamma), 1.0);
        assert_eq!(clip_factor(2.0, gamma), 1.0);
        assert_eq!(clip_factor(8.0, gamma), 0.25);
        let v = nalgebra::dvector![6.0_f64, 8.0];
        let five = Threshold::new(5.0).unwrap();
        assert_eq!(clip(&v, five).unwrap(), nalgebra::dvector![3.0, 4.0]);
        let short = nalgebra::dvector![0.6_f64, 0.8];
        assert_eq!(clip(&short, gamma).unwrap(), short);
        let zero = nalgebra::dvector![0.0_f64, 0.0];
        assert_eq!(clip(&zero, gamma).unwrap(), zero);
        assert_eq!(clipped_norm(5.0, gamma), 2.0);
        assert_eq!(clipped_norm(1.5, gamma), 1.5);
        assert_eq!(excess(5.0, gamma), 3.0);
        assert_eq!(excess(1.5, gamma), 0.0);
    }

    /// Bad thresholds and non-finite vectors are typed errors naming the value.
    #[test]
    fn bad_input_is_refused() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Threshold::new(bad),
                Err(Error::InvalidGamma { .. })
            ));
        }
        let gamma = Threshold::new(1.0_f64).unwrap();
        let v = nalgebra::dvector![1.0_f64, f64::NAN];
        match clip(&v, gamma) {
            Err(Error::NonFinite { field, .. }) => assert_eq!(field, "v[1]"),
            other => panic!("{other:?}"),
        }
        assert!(clip(&nalgebra::dvector![1.0_f64, 2.0], gamma).is_ok());
    }
}
