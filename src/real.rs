//! The scalar type of the numeric core.
//!
//! Everything numeric in this crate is written once, generic over [`Real`],
//! and instantiated for `f32` and `f64` (and for
//! [`Interval`](crate::interval::Interval), to certify verdicts). [`Real`] is a `num_traits::Float`
//! that `nalgebra` can store and multiply; it deliberately does *not* require
//! `nalgebra::RealField`, whose methods (`sqrt`, `abs`, ...) would collide
//! with `Float`'s at every call site.

use core::fmt::{Debug, Display, LowerExp};

use nalgebra::DVector;
use num_traits::{Float, NumAssign};

/// A scalar the lemmas are checked in: `f32`, `f64`, or an
/// [`Interval`](crate::interval::Interval) of reals (certified verdicts).
pub trait Real:
    Float + NumAssign + nalgebra::Scalar + Debug + Display + LowerExp + Send + Sync + 'static
{
    /// Short name for reports (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Whether a value stands for a set of reals that encloses the exact
    /// result ([`Interval`](crate::interval::Interval)), not for one rounded
    /// number: code that would select among comparisons keeps them all.
    const ENCLOSES: bool = false;

    /// Converts a literal or an `f64` input (rounding to nearest).
    fn of(x: f64) -> Self;

    /// Widens to `f64` (exact for `f32` and `f64`).
    fn to_f64_lossless(self) -> f64;

    /// The Euclidean norm `sqrt(Σ_k v_k²)` ([`norm`] calls it). The default
    /// is the float algorithm that neither overflows nor underflows;
    /// [`Interval`](crate::interval::Interval) encloses the exact real norm.
    #[inline]
    fn euclidean_norm(v: &DVector<Self>) -> Self {
        float_norm(v)
    }

    /// `a < b` when it only chooses between two formulas equal in exact
    /// arithmetic (see [`crate::interval::accuracy_lt`]); for floats, `a < b`.
    #[inline]
    fn accuracy_lt(a: Self, b: Self) -> bool {
        a < b
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        f64::from(self)
    }
}

/// `⟨u, v⟩ = Σ_k u_k v_k`.
#[inline]
pub fn dot<T: Real>(u: &DVector<T>, v: &DVector<T>) -> T {
    u.dot(v)
}

/// `Σ_k u_k v_k` over two slices of equal length, with eight independent
/// accumulators so the compiler can vectorise it (a single running sum is a
/// dependency chain it may not reorder). Summation order is fixed, so the
/// result is deterministic.
#[inline]
pub fn dot_slices<T: Real>(u: &[T], v: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let (u_chunks, v_chunks) = (u.chunks_exact(8), v.chunks_exact(8));
    let (u_rest, v_rest) = (u_chunks.remainder(), v_chunks.remainder());
    for (a, b) in u_chunks.zip(v_chunks) {
        for k in 0..8 {
            lanes[k] += a[k] * b[k];
        }
    }
    let mut sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (&a, &b) in u_rest.iter().zip(v_rest) {
        sum += a * b;
    }
    sum
}

/// `y ← y + s x` over two slices of equal length.
#[inline]
pub fn axpy_slices<T: Real>(s: T, x: &[T], y: &mut [T]) {
    for (yk, &xk) in y.iter_mut().zip(x) {
        *yk += s * xk;
    }
}

/// Euclidean norm `‖v‖ = sqrt(Σ_k v_k²)`, by [`Real::euclidean_norm`]
/// (for floats, [`float_norm`]).
#[inline]
pub fn norm<T: Real>(v: &DVector<T>) -> T {
    T::euclidean_norm(v)
}

/// Euclidean norm `‖v‖ = sqrt(Σ_k v_k²)` that neither overflows nor
/// underflows where the result is representable: the plain sum of squares
/// when it is safely inside the normal range, else the classic `nrm2`
/// scaling `‖v‖ = m · sqrt(Σ (v_k/m)²)`, `m = max |v_k|`.
pub fn float_norm<T: Real>(v: &DVector<T>) -> T {
    let squares = v.iter().fold(T::zero(), |s, &x| s + x * x);
    // Below min_positive/ε the sum may have lost digits to subnormals.
    if squares.is_finite()
        && (squares >= T::min_positive_value() / T::epsilon() || squares == T::zero())
    {
        if squares == T::zero() && v.iter().any(|x| *x != T::zero()) {
            return scaled_norm(v);
        }
        return squares.sqrt();
    }
    scaled_norm(v)
}

/// `m · sqrt(Σ (v_k/m)²)` with `m = max |v_k|`: the overflow-safe path of [`norm`].
fn scaled_norm<T: Real>(v: &DVector<T>) -> T {
    let largest = v.iter().fold(T::zero(), |m, &x| m.max(x.abs()));
    if largest == T::zero() || !largest.is_finite() {
        return largest;
    }
    let sum = v.iter().fold(T::zero(), |s, &x| {
        let r = x / largest;
        s + r * r
    });
    largest * sum.sqrt()
}

/// Converts a vector of `f64` to `T` componentwise.
pub fn cast_vector<T: Real>(v: &DVector<f64>) -> DVector<T> {
    v.map(T::of)
}
