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
//!    and Hessian (linear, logistic, softmax `(√2 (1/n)Σ‖a‖, ½λ_max(Σ a aᵀ)/n)`
//!    per class count, separable groups of logistic/log-cosh atoms) form `h` with `‖∇h‖ ≤ M`, `‖∇²h‖ ≤ L`; the other parts
//!    (quadratic `(‖Σ H‖/n, 0)`, exponential `(0, A/cos θ)` by the cone rule,
//!    other separable groups) must be a single part, or all have `ℓ1 = 0`;
//!    then `f` is `(ℓ0 + L + ℓ1 M, ℓ1)` (resp. `(Σ ℓ0 + L, 0)`). Anything
//!    else is refused with [`crate::Error::NoCertificate`]:
//!    gradients of different parts can cancel (SMOOTH-5).
//!
//! **Soundness** (`theorems/SMOOTH.md`, "Soundness of the certified
//! constants"): every certified number is an upper bound on the exact real
//! constant of the rule. Exponential weights are kept as logarithms
//! (`ln w + b`, combined by log-sum-exp), never as `w e^b`, so nothing
//! underflows to an empty side or overflows in an intermediate. Every rounded
//! operation is rounded outward ([`next_up`] after each `+ × / √`, four ulps
//! after a library `exp`/`ln`); sums of matrices and vectors are accumulated
//! with TwoSum, whose exact rounding errors bound the error of the sum;
//! operator norms are bounded from above with the residual of the computed
//! eigendecomposition. Where a rule cannot be evaluated soundly (a
//! non-finite intermediate, an overflow) the certificate is refused with
//! [`crate::Error::NoCertificate`], whose reason starts with
//! `components[i]` (the components involved) and says what overflowed.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::instance::{Atom, Component, Instance};
use crate::real::Real;

/// `L1` given to a quartic coordinate when no other coordinate of its
/// separable group fixes one: `t⁴/4` is then `(4, 1)`.
pub const QUARTIC_DEFAULT_L1: f64 = 1.0;

/// Ulps added to the result of a library `exp` or `ln` (whose error is below
/// one ulp in the C libraries Rust links; four leave a margin).
pub const LIBM_ULPS: usize = 4;

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

    /// The pair in the float type `T`, rounded upward (a valid pair stays
    /// valid: a larger `L0` or `L1` is never wrong).
    pub fn in_type<T: Real>(&self) -> (T, T) {
        (round_up_into::<T>(self.l0), round_up_into::<T>(self.l1))
    }
}

/// `x` in `T`, rounded to the nearest and then moved up if that was below.
fn round_up_into<T: Real>(x: f64) -> T {
    let t = T::of(x);
    if !x.is_finite() || t.to_f64_lossless() >= x {
        return t;
    }
    if t == T::zero() {
        return T::min_positive_value();
    }
    // t < x is x rounded to nearest, so the next float above t is ≥ x. One
    // ulp of T at t is at most |t| ε_T (t normal) or min_positive ε_T (the
    // subnormal spacing), so the exact t + |t| ε_T + min_positive ε_T is at
    // least that next float, and rounding (monotone) keeps it there.
    t + t.abs() * T::epsilon() + T::min_positive_value() * T::epsilon()
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
// Outward rounding.

/// `f64::EPSILON = 2u`, `u` the unit roundoff.
const EPS: f64 = f64::EPSILON;
/// The smallest positive subnormal: the absolute error of an operation whose
/// result underflows is below it.
const ETA: f64 = 5e-324;

/// The least `f64` above `x` (`x` itself for `+∞` and NaN). After one
/// correctly rounded operation (round to nearest), the exact result is at
/// most `next_up` of the computed one, whatever the signs.
/// (IEEE 754's `nextUp`, the standard library's: `next_up(±0) = ETA`.)
pub fn next_up(x: f64) -> f64 {
    x.next_up()
}

/// The greatest `f64` below `x` (IEEE 754's `nextDown`).
pub fn next_down(x: f64) -> f64 {
    x.next_down()
}

fn ups(mut x: f64, k: usize) -> f64 {
    for _ in 0..k {
        x = next_up(x);
    }
    x
}

/// Below this magnitude a product, quotient or square root may have lost
/// bits of its residual to underflow, so the FMA residual (otherwise exact:
/// the error of `×`, `/`, `√` is representable) no longer proves the
/// direction of the rounding; the result is then bumped.
const EXACTNESS_FLOOR: f64 = 1e-290;

/// `a + b` rounded upward (left as computed when TwoSum shows it exact).
fn add_up(a: f64, b: f64) -> f64 {
    let (s, e) = two_sum(a, b);
    if e <= 0.0 && s.is_finite() {
        // a + b = s + e ≤ s: s is exact or already above.
        s
    } else {
        next_up(s)
    }
}

/// `a − b` rounded downward.
fn sub_down(a: f64, b: f64) -> f64 {
    -add_up(-a, b)
}

/// `a b` rounded upward (left as computed when the FMA residual shows the
/// product was rounded up or exact).
fn mul_up(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        return 0.0;
    }
    if a == 1.0 || b == 1.0 {
        return a * b;
    }
    let p = a * b;
    if p.is_finite() && p.abs() >= EXACTNESS_FLOOR && a.mul_add(b, -p) <= 0.0 {
        p
    } else {
        next_up(p)
    }
}

/// `a b` rounded downward.
fn mul_down(a: f64, b: f64) -> f64 {
    -mul_up(-a, b)
}

/// `a / b` rounded upward (`b > 0`; left as computed when the FMA
/// residual shows `q b ≥ a`, i.e. `q ≥ a/b`).
fn div_up(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    if b == 1.0 {
        return a;
    }
    let q = a / b;
    if b > 0.0
        && q.is_finite()
        && q.abs() >= EXACTNESS_FLOOR
        && a.abs() >= EXACTNESS_FLOOR
        && q.mul_add(b, -a) >= 0.0
    {
        q
    } else {
        next_up(q)
    }
}

/// `a / b` rounded downward.
fn div_down(a: f64, b: f64) -> f64 {
    -div_up(-a, b)
}

/// `√a` rounded upward (`a ≥ 0`; left as computed when `s² ≥ a`).
fn sqrt_up(a: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    let s = a.sqrt();
    if s.is_finite() && a >= EXACTNESS_FLOOR && s.mul_add(s, -a) >= 0.0 {
        s
    } else {
        next_up(s)
    }
}

/// `√a` rounded downward (`a ≥ 0`; left as computed when `s² ≤ a`).
fn sqrt_down(a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    let s = a.sqrt();
    if s.is_finite() && a >= EXACTNESS_FLOOR && s.mul_add(s, -a) <= 0.0 {
        s
    } else {
        next_down(s).max(0.0)
    }
}

/// `e^x` rounded upward.
fn exp_up(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        0.0
    } else if x == 0.0 {
        1.0
    } else {
        ups(x.exp(), LIBM_ULPS)
    }
}

/// `ln x` rounded upward (`−∞` at `0`).
fn ln_up(x: f64) -> f64 {
    if x == 1.0 || x == 0.0 {
        x.ln()
    } else {
        ups(x.ln(), LIBM_ULPS)
    }
}

/// `2^e` for `−1074 ≤ e ≤ 1023`.
fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// `e` with `2^e ≤ x < 2^{e+1}`, for finite `x > 0`.
fn exponent(x: f64) -> i32 {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        let mantissa = bits & ((1u64 << 52) - 1);
        (63 - mantissa.leading_zeros() as i32) - 1074
    } else {
        biased - 1023
    }
}

/// `x 2^k` in steps that neither overflow nor leave the normal range for
/// the largest entry (exact unless an entry far below it becomes subnormal).
fn times_pow2(x: f64, mut k: i32) -> f64 {
    let mut y = x;
    while k != 0 {
        let step = k.clamp(-1000, 1000);
        y *= pow2(step);
        k -= step;
    }
    y
}

/// An upper bound on the Euclidean norm of `values` (`∞` if it overflows or
/// a value is not finite), computed without intermediate overflow or
/// underflow: scaled by a power of two so the largest entry is in `[1, 2)`.
fn norm_up(values: &[f64]) -> f64 {
    if values.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let e = exponent(largest);
    let len = values.len() as f64;
    let squares = if (-1022..=1022).contains(&e) && len < 1e12 {
        // One scaling factor (exact: a power of two in range) and a plain
        // sum of squares, whatever its order: the computed ŝ has
        // |ŝ − s| ≤ γ_len s (len products and additions, γ_len = len·u/(1 − len·u)),
        // so s ≤ ŝ (1 + 2(len + 2)ε) (len·u ≪ 1/4), plus the underflow below.
        let scale = pow2(-e);
        let sum = values.iter().fold(0.0, |s, &v| {
            let b = v * scale;
            s + b * b
        });
        mul_up(sum, add_up(1.0, 2.0 * (len + 2.0) * EPS))
    } else {
        values.iter().fold(0.0, |s, &v| {
            let b = times_pow2(v, -e).abs();
            add_up(s, mul_up(b, b))
        })
    };
    // Entries that became subnormal when scaled, and squares that
    // underflowed, lost less than ETA each (relative to a largest entry
    // ≥ 1): 8 ETA per entry covers the squares.
    let squares = add_up(squares, 8.0 * len * ETA);
    next_up(times_pow2(sqrt_up(squares), e))
}

/// TwoSum: `s = fl(a + b)` and the exact error `e` with `a + b = s + e`.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// The entrywise sum of equally long slices, with an upper bound on the
/// error of each entry: `|Σ_k x_k − sum| ≤ error` (the TwoSum errors, summed
/// upward; zero when every addition was exact).
fn sum_with_error<'a>(terms: impl Iterator<Item = &'a [f64]>, len: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut sum, mut error) = (vec![0.0; len], vec![0.0; len]);
    for term in terms {
        for ((s, e), &x) in sum.iter_mut().zip(error.iter_mut()).zip(term) {
            let (t, lost) = two_sum(*s, x);
            *s = t;
            *e = add_up(*e, lost.abs());
        }
    }
    (sum, error)
}

/// An upper bound on `‖S‖ = max |λ(S)|` for every symmetric `S` with
/// `|S − m| ≤ allowance` entrywise (`m` symmetric, given exactly in floats).
///
/// `‖S‖ ≤ ‖m‖ + ‖allowance‖_F`; for `‖m‖` the matrix is scaled by a power
/// of two, `m = V Λ Vᵀ + R` is computed, and
/// `‖m‖ ≤ max|λ| (1 + ‖VᵀV − I‖_F) + ‖R‖_F`, with `R` and `VᵀV − I` bounded entrywise (computed value plus
/// `2(dim + 3) ε` times the absolute products); also `‖m‖ ≤ ‖m‖_F`. `∞`
/// when something is not finite. A diagonal `m` has `‖m‖ = max |m_jj|`
/// exactly.
fn symmetric_norm_up(m: &DMatrix<f64>, allowance: &DMatrix<f64>) -> f64 {
    symmetric_norm_up_by(m, norm_up(allowance.as_slice()))
}

/// [`symmetric_norm_up`] with the allowance given by an upper bound `extra`
/// on its Frobenius norm (`‖S‖ ≤ ‖m‖ + extra`).
fn symmetric_norm_up_by(m: &DMatrix<f64>, extra: f64) -> f64 {
    if m.is_empty() {
        return extra;
    }
    if m.iter().any(|v| !v.is_finite()) || !extra.is_finite() {
        return f64::INFINITY;
    }
    let largest = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if largest == 0.0 {
        return extra;
    }
    let dim = m.nrows();
    // A diagonal matrix (every 1 × 1 one, the quadratics of most instances)
    // has norm max |m_jj| exactly.
    if (0..dim).all(|r| (0..dim).all(|c| r == c || m[(r, c)] == 0.0)) {
        return add_up(largest, extra);
    }
    let e = exponent(largest);
    let b = m.map(|v| times_pow2(v, -e));
    let frobenius = norm_up(b.as_slice());
    let mut bound = frobenius;
    let eigen = b.clone().symmetric_eigen();
    let (v, lambda) = (&eigen.eigenvectors, &eigen.eigenvalues);
    if v.iter().chain(lambda.iter()).all(|x| x.is_finite()) {
        let k = 2.0 * (dim as f64 + 3.0) * EPS;
        let lambda_max = lambda.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        let product = v * DMatrix::from_diagonal(lambda) * v.transpose();
        let residual = &b - &product;
        let abs_v = v.abs();
        let abs_product = &abs_v * DMatrix::from_diagonal(&lambda.abs()) * abs_v.transpose();
        let r_bound: Vec<f64> = residual
            .iter()
            .zip(b.iter().zip(abs_product.iter()))
            .map(|(r, (bij, pij))| {
                add_up(
                    add_up(r.abs(), mul_up(k, add_up(bij.abs(), *pij))),
                    8.0 * dim as f64 * ETA,
                )
            })
            .collect();
        let gram = v.transpose() * v - DMatrix::identity(dim, dim);
        let abs_gram = abs_v.transpose() * &abs_v + DMatrix::identity(dim, dim);
        let g_bound: Vec<f64> = gram
            .iter()
            .zip(abs_gram.iter())
            .map(|(g, a)| add_up(g.abs(), mul_up(k, *a)))
            .collect();
        let by_eigen = add_up(
            mul_up(lambda_max, add_up(1.0, norm_up(&g_bound))),
            norm_up(&r_bound),
        );
        if by_eigen.is_finite() {
            bound = bound.min(by_eigen);
        }
    }
    add_up(next_up(times_pow2(bound, e)), extra)
}

/// `components[i, j, …]`: the components a refusal concerns.
fn name(indices: &[usize]) -> String {
    let list: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    format!("components[{}]", list.join(", "))
}

/// A refusal naming the components and the reason.
fn refuse(indices: &[usize], reason: impl std::fmt::Display) -> Error {
    Error::NoCertificate {
        reason: format!("{}: {reason}", name(indices)),
    }
}

// ---------------------------------------------------------------------------
// Atoms (SMOOTH-6).

/// `ln P(t)` (`positive`) or `ln N(t)` of an exponential sum given by
/// log-weights, `P`/`N` the sum of `w_k |a_k| e^{a_k t}` over the positive
/// (negative) rates, by log-sum-exp, rounded upward (`−∞` for an empty side;
/// no overflow or underflow for any finite `t`).
fn log_side_up(terms: &[(f64, f64)], t: f64, positive: bool) -> f64 {
    let logs: Vec<f64> = terms
        .iter()
        .filter(|(_, ak)| if positive { *ak > 0.0 } else { *ak < 0.0 })
        .map(|&(ln_w, ak)| add_up(add_up(ln_w, ln_up(ak.abs())), mul_up(ak, t)))
        .collect();
    log_sum_exp_up(&logs)
}

/// `ln Σ e^{l_k}` rounded upward (`−∞` for no terms).
fn log_sum_exp_up(logs: &[f64]) -> f64 {
    if logs.iter().any(|l| l.is_nan()) {
        return f64::NAN;
    }
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return top;
    }
    let sum = logs
        .iter()
        .fold(0.0, |s, &l| add_up(s, exp_up(add_up(l, -top))));
    add_up(top, ln_up(sum))
}

/// A bracket `[lo, hi]` of the crossing `t*` where `P(t*) = N(t*)` of an
/// exponential sum given by log-weights `ln w_k` and rates `a_k`, by
/// bisection on the increasing `ln P − ln N` (log-sum-exp: nothing
/// overflows or underflows); `None` when one side is empty or no bracket is
/// found within `|t| ≤ 2⁶⁴`.
pub fn expsum_crossing_ln(ln_w: &[f64], a: &[f64]) -> Option<(f64, f64)> {
    let terms: Vec<(f64, f64)> = ln_w.iter().copied().zip(a.iter().copied()).collect();
    let (lo, hi) = crossing_bracket(&terms);
    let gap = |t: f64| log_side_up(&terms, t, true) - log_side_up(&terms, t, false);
    (gap(lo) <= 0.0 && gap(hi) >= 0.0).then_some((lo, hi))
}

/// The bisection of [`expsum_crossing_ln`]: always returns `lo ≤ hi` (the
/// last interval tried, a bracket when one exists).
fn crossing_bracket(terms: &[(f64, f64)]) -> (f64, f64) {
    let gap = |t: f64| log_side_up(terms, t, true) - log_side_up(terms, t, false);
    if !gap(0.0).is_finite() {
        return (0.0, 0.0);
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
    (lo, hi)
}

/// A bracket `[lo, hi]` (width below rounding) of the crossing `t*` where
/// `P(t*) = N(t*)`; the weights are taken to logarithms first
/// ([`expsum_crossing_ln`]).
pub fn expsum_crossing(w: &[f64], a: &[f64]) -> Option<(f64, f64)> {
    let ln_w: Vec<f64> = w.iter().map(|&x| ln_up(x)).collect();
    expsum_crossing_ln(&ln_w, a)
}

/// An upper bound on `ln M`, `M = max_t min(P(t), N(t))`, of an exponential
/// sum with log-weights (`−∞` if either side is empty). For any `lo ≤ hi`,
/// every `t` has `t ≤ hi` (so `P(t) ≤ P(hi)`) or `t ≥ lo` (so
/// `N(t) ≤ N(lo)`): `M ≤ max(P(hi), N(lo))`, tight when `[lo, hi]` brackets
/// the crossing. `NaN` or `+∞` when no finite bound is found.
fn expsum_log_m_up(terms: &[(f64, f64)]) -> f64 {
    let empty = |positive: bool| {
        !terms
            .iter()
            .any(|(_, a)| if positive { *a > 0.0 } else { *a < 0.0 })
    };
    if empty(true) || empty(false) {
        return f64::NEG_INFINITY;
    }
    let (lo, hi) = crossing_bracket(terms);
    log_side_up(terms, hi, true).max(log_side_up(terms, lo, false))
}

/// An upper bound on `M = max_t min(P(t), N(t))` of an exponential sum
/// `Σ w_k e^{a_k t}` (`0` if either side is empty; `∞` if it overflows).
/// `P` increases and `N` decreases; the bound is `max(P(hi), N(lo))` at a
/// bracket `[lo, hi]` of their crossing, in the log domain, rounded upward.
pub fn expsum_cross(w: &[f64], a: &[f64]) -> f64 {
    let terms: Vec<(f64, f64)> = w.iter().map(|&x| ln_up(x)).zip(a.iter().copied()).collect();
    let log_m = expsum_log_m_up(&terms);
    if log_m.is_nan() {
        f64::INFINITY
    } else {
        exp_up(log_m)
    }
}

/// `2 A M` of an exponential sum with log-weights, in the log domain and
/// rounded upward (`∞` when it overflows or cannot be bounded).
fn expsum_l0_up(terms: &[(f64, f64)], big_a: f64) -> f64 {
    let log_m = expsum_log_m_up(terms);
    if log_m == f64::NEG_INFINITY {
        return 0.0;
    }
    if !log_m.is_finite() {
        return f64::INFINITY;
    }
    exp_up(add_up(add_up(ln_up(2.0), ln_up(big_a)), log_m))
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

/// `4 q / L1²` rounded upward (the quartic's `L0` at weight `q`).
/// `∞` when `L1²` underflows to zero (no finite bound).
fn quartic_l0_up(q: f64, l1: f64) -> f64 {
    let square = mul_down(l1, l1);
    if square > 0.0 {
        div_up(mul_up(4.0, q), square)
    } else {
        f64::INFINITY
    }
}

/// The certified pair of `w φ` for one atom `φ` and weight `w > 0`
/// (SMOOTH-6 with the scaling rule of SMOOTH-4: `w φ` is `(w ℓ0, ℓ1)`),
/// rounded upward. A quartic gets `L1 = quartic_l1`. An `L0` of `∞` means
/// the constant overflows (no finite certificate; [`certify`] refuses it).
pub fn atom_pair(atom: &Atom<f64>, weight: f64, quartic_l1: f64) -> Pair {
    match atom {
        Atom::Quadratic { a } => Pair::new(mul_up(weight, a.abs()), 0.0),
        Atom::Exp { a, .. } => Pair::new(0.0, a.abs()),
        Atom::Logistic { a } => Pair::new(mul_up(weight, div_up(mul_up(*a, *a), 4.0)), 0.0),
        Atom::Cosh { a } => Pair::new(mul_up(weight, mul_up(*a, *a)), a.abs()),
        Atom::LogCosh { a } => Pair::new(mul_up(weight, mul_up(*a, *a)), 0.0),
        Atom::Quartic => Pair::new(quartic_l0_up(weight, quartic_l1), quartic_l1),
        Atom::ExpSum { w, a } => {
            let big_a = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let ln_weight = ln_up(weight);
            let terms: Vec<(f64, f64)> = w
                .iter()
                .zip(a)
                .map(|(&wk, &ak)| (add_up(ln_weight, ln_up(wk)), ak))
                .collect();
            Pair::new(expsum_l0_up(&terms, big_a), big_a)
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
/// Rounded upward like the certificates (it is checked as a valid pair).
pub fn atom_frontier(atom: &Atom<f64>, l1: f64) -> Option<f64> {
    let at_least = |bound: f64, value: f64| if l1 >= bound { value } else { f64::INFINITY };
    Some(match atom {
        Atom::Quadratic { a } => a.abs(),
        Atom::Exp { a, .. } => at_least(a.abs(), 0.0),
        Atom::Logistic { a } => {
            if *a == 0.0 {
                0.0
            } else {
                // An upper bound on c = (1 − l1/|a|)₊.
                let c = add_up(1.0, -div_down(l1, a.abs())).clamp(0.0, 1.0);
                div_up(mul_up(mul_up(*a, *a), mul_up(c, c)), 4.0)
            }
        }
        Atom::Cosh { a } => at_least(a.abs(), mul_up(*a, *a)),
        Atom::LogCosh { a } => mul_up(*a, *a),
        Atom::Quartic => {
            if l1 > 0.0 {
                quartic_l0_up(1.0, l1)
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
/// treat differently. `weight` below is an upper bound on `1/n`.
#[derive(Default, Debug)]
struct Coordinate {
    /// Exponential terms `(ln w, a)`, `a ≠ 0`, `ln w` rounded upward.
    exponentials: Vec<(f64, f64)>,
    /// `Σ w a` of quadratic atoms (TwoSum), with the sum of `|w a|` and the
    /// error bound of the sum.
    quadratic: (f64, f64, f64),
    /// Whether any quadratic atom was seen.
    has_quadratic: bool,
    /// `Σ w` of quartic atoms (upward).
    quartic: f64,
    /// `(M, L)`: bounds on `|ψ'|`, `|ψ''|` of the logistic and log-cosh atoms
    /// (upward).
    bounded: (f64, f64),
}

impl Coordinate {
    fn add(&mut self, weight: f64, ln_weight: f64, atom: &Atom<f64>) {
        match atom {
            Atom::Quadratic { a } => {
                let term = weight * a;
                let (sum, lost) = two_sum(self.quadratic.0, term);
                self.quadratic.0 = sum;
                self.quadratic.1 = add_up(self.quadratic.1, term.abs());
                self.quadratic.2 = add_up(self.quadratic.2, lost.abs());
                self.has_quadratic = true;
            }
            Atom::Exp { a, b } => self.exponential(add_up(ln_weight, *b), *a),
            Atom::Cosh { a } => {
                let half = add_up(ln_weight, ln_up(0.5));
                self.exponential(half, *a);
                self.exponential(half, -*a);
            }
            Atom::ExpSum { w, a } => {
                for (&wk, &ak) in w.iter().zip(a) {
                    self.exponential(add_up(ln_weight, ln_up(wk)), ak);
                }
            }
            Atom::Logistic { a } => {
                self.bounded.0 = add_up(self.bounded.0, mul_up(weight, a.abs()));
                self.bounded.1 =
                    add_up(self.bounded.1, mul_up(weight, div_up(mul_up(*a, *a), 4.0)));
            }
            Atom::LogCosh { a } => {
                self.bounded.0 = add_up(self.bounded.0, mul_up(weight, a.abs()));
                self.bounded.1 = add_up(self.bounded.1, mul_up(weight, mul_up(*a, *a)));
            }
            Atom::Quartic => self.quartic = add_up(self.quartic, weight),
        }
    }

    fn exponential(&mut self, ln_w: f64, a: f64) {
        // A zero rate is a constant: no gradient, no curvature.
        if a != 0.0 {
            self.exponentials.push((ln_w, a));
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

    /// An upper bound on `|Σ w a|` of the quadratic atoms: the computed sum,
    /// plus the TwoSum errors, plus `3ε Σ|w a|` for the products `w a` and
    /// the weight `w ≥ 1/n` (`|w − 1/n| ≤ ε/n`).
    fn quadratic_up(&self) -> f64 {
        let (sum, abs, lost) = self.quadratic;
        add_up(
            add_up(sum.abs(), lost),
            add_up(mul_up(3.0 * EPS, abs), 2.0 * ETA),
        )
    }

    /// The certified pair of `ψ = Σ w φ` on this coordinate; quartic
    /// coordinates take `L1 = quartic_l1`.
    fn pair(&self, quartic_l1: f64, indices: &[usize], j: usize) -> Result<Pair> {
        let (m, l) = self.bounded;
        let pair = if !self.exponentials.is_empty() {
            if self.has_quadratic || self.quartic > 0.0 {
                return Err(refuse(
                    indices,
                    format!("coordinate {j}: exponential and quadratic or quartic atoms"),
                ));
            }
            let big_a = self
                .exponentials
                .iter()
                .fold(0.0f64, |acc, e| acc.max(e.1.abs()));
            let base = expsum_l0_up(&self.exponentials, big_a);
            if !base.is_finite() {
                return Err(refuse(
                    indices,
                    format!(
                        "coordinate {j}: exponential sum constant 2AM overflows \
                         (A = {big_a:e}; computed in the log domain)"
                    ),
                ));
            }
            Pair::new(add_up(base, add_up(l, mul_up(big_a, m))), big_a)
        } else if self.quartic > 0.0 {
            if self.has_quadratic {
                return Err(refuse(
                    indices,
                    format!("coordinate {j}: quartic and quadratic atoms"),
                ));
            }
            let base = quartic_l0_up(self.quartic, quartic_l1);
            Pair::new(add_up(base, add_up(l, mul_up(quartic_l1, m))), quartic_l1)
        } else {
            Pair::new(add_up(self.quadratic_up(), l), 0.0)
        };
        // Never let a NaN or a negative constant through the max rule.
        if !(pair.l0.is_finite() && pair.l1.is_finite() && pair.l0 >= 0.0 && pair.l1 >= 0.0) {
            return Err(refuse(
                indices,
                format!(
                    "coordinate {j}: the constants overflow (L0 = {:e}, L1 = {:e})",
                    pair.l0, pair.l1
                ),
            ));
        }
        Ok(pair)
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
    /// The components it is made of (for refusals).
    indices: Vec<usize>,
}

/// Largest `|λ|` of the symmetric part `(m + mᵀ)/2` of a matrix (its
/// operator norm), an estimate rounded to nearest (for evaluating, not for
/// certifying: see the module docs). Computed as `0.5 m + 0.5 mᵀ`, which
/// does not overflow; `NaN` if an entry or an eigenvalue is not finite.
pub fn symmetric_norm(m: &DMatrix<f64>) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    let sym = m * 0.5 + m.transpose() * 0.5;
    if sym.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    sym.symmetric_eigenvalues().iter().fold(0.0f64, |a, x| {
        if a.is_nan() || x.is_nan() {
            f64::NAN
        } else {
            a.max(x.abs())
        }
    })
}

/// An upper bound on `‖(1/n) Σ_i sym(H_i)‖` for matrices `H_i` given exactly
/// (`∞` if it overflows): the sum of `H_i 2^{−k}` (`2^k ≥ n`, exact scaling)
/// by TwoSum, symmetrised as `0.5 S + 0.5 Sᵀ` (TwoSum again), and the norm
/// bound of [`symmetric_norm_up`] with the accumulated errors as allowance,
/// times `2^k/n` upward.
fn mean_symmetric_norm_up(matrices: &[&DMatrix<f64>], dim: usize) -> f64 {
    let n = matrices.len();
    if n == 0 || dim == 0 {
        return 0.0;
    }
    let k = (n as f64).log2().ceil() as i32;
    let scale = pow2(-k);
    let mut lost_bits = 0.0;
    let scaled: Vec<DMatrix<f64>> = matrices
        .iter()
        .map(|h| {
            h.map(|v| {
                let s = v * scale;
                if s / scale != v {
                    lost_bits = ETA;
                }
                s
            })
        })
        .collect();
    let (sum, error) = sum_with_error(scaled.iter().map(|m| m.as_slice()), dim * dim);
    let sum = DMatrix::from_column_slice(dim, dim, &sum);
    let mut sym = DMatrix::zeros(dim, dim);
    let mut allowance = DMatrix::zeros(dim, dim);
    for r in 0..dim {
        for c in 0..dim {
            let (x, y) = (sum[(r, c)], sum[(c, r)]);
            let (s, lost) = two_sum(0.5 * x, 0.5 * y);
            sym[(r, c)] = s;
            // Halving is exact unless the half is subnormal and odd.
            let halving = if 2.0 * (0.5 * x) == x && 2.0 * (0.5 * y) == y {
                0.0
            } else {
                ETA
            };
            // ½ e_x + ½ e_y bounds the error of ½ x + ½ y.
            let e = mul_up(0.5, add_up(error[r + c * dim], error[c + r * dim]));
            allowance[(r, c)] =
                add_up(add_up(e, lost.abs()), add_up(n as f64 * lost_bits, halving));
        }
    }
    let norm = symmetric_norm_up(&sym, &allowance);
    mul_up(norm, div_up(1.0, n as f64 * scale))
}

/// An upper bound on `‖(1/n) Σ_i v_i‖` (`∞` if it overflows), summed by
/// TwoSum with the same exact scaling as [`mean_symmetric_norm_up`].
fn mean_vector_norm_up(vectors: &[&DVector<f64>], dim: usize) -> f64 {
    let n = vectors.len();
    if n == 0 || dim == 0 {
        return 0.0;
    }
    let k = (n as f64).log2().ceil() as i32;
    let scale = pow2(-k);
    let mut lost_bits = 0.0;
    let scaled: Vec<DVector<f64>> = vectors
        .iter()
        .map(|v| {
            v.map(|x| {
                let s = x * scale;
                if s / scale != x {
                    lost_bits = ETA;
                }
                s
            })
        })
        .collect();
    let (sum, error) = sum_with_error(scaled.iter().map(|v| v.as_slice()), dim);
    let error: Vec<f64> = error
        .iter()
        .map(|e| add_up(*e, n as f64 * lost_bits))
        .collect();
    let norm = add_up(norm_up(&sum), norm_up(&error));
    mul_up(norm, div_up(1.0, n as f64 * scale))
}

/// The separable group with one `(rotation, shift)`: atoms summed per
/// coordinate, each weighted by `weight ≥ 1/n` (SMOOTH-5), then the max rule.
fn separable_part(
    rotation: &DMatrix<f64>,
    groups: &[&Vec<Atom<f64>>],
    indices: &[usize],
    weight: f64,
) -> Result<Part> {
    let dim = groups.first().map_or(0, |g| g.len());
    let ln_weight = ln_up(weight);
    let mut coordinates: Vec<Coordinate> = (0..dim).map(|_| Coordinate::default()).collect();
    for atoms in groups {
        for (coordinate, atom) in coordinates.iter_mut().zip(atoms.iter()) {
            coordinate.add(weight, ln_weight, atom);
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
    for (j, coordinate) in coordinates.iter().enumerate() {
        let p = coordinate.pair(quartic_l1, indices, j)?;
        pair = Pair::new(pair.l0.max(p.l0), pair.l1.max(p.l1));
    }
    // A rotation read from a file (or rounded to f32) is orthogonal only up
    // to δ = ‖RᵀR − I‖: ‖Rᵀ D R‖ ≤ (1 + δ)‖D‖ and ‖ψ'‖ ≤ ‖Rᵀψ'‖/sqrt(1 − δ).
    // δ is bounded from above (computed RᵀR − I plus its rounding); the
    // identity is exact (δ = 0).
    let defect = if *rotation == DMatrix::identity(dim, dim) {
        0.0
    } else {
        let gram = rotation.transpose() * rotation - DMatrix::identity(dim, dim);
        let abs = rotation.abs();
        let k = 2.0 * (dim as f64 + 2.0) * EPS;
        let allowance = (abs.transpose() * &abs + DMatrix::identity(dim, dim))
            .map(|v| add_up(mul_up(k, v), 8.0 * dim as f64 * ETA));
        symmetric_norm_up(&(&gram * 0.5 + gram.transpose() * 0.5), &allowance)
    };
    if defect.is_nan() || defect >= 0.5 {
        return Err(refuse(
            indices,
            format!("rotation far from orthogonal (‖RᵀR − I‖ ≤ {defect:e})"),
        ));
    }
    let grow = add_up(1.0, defect);
    let shrink = sqrt_down(sub_down(1.0, defect));
    let pair = Pair::new(mul_up(pair.l0, grow), div_up(mul_up(pair.l1, grow), shrink));
    let bounded = coordinates.iter().all(Coordinate::is_bounded).then(|| {
        let m2 = coordinates
            .iter()
            .fold(0.0, |s, c| add_up(s, mul_up(c.bounded.0, c.bounded.0)));
        let l = coordinates.iter().fold(0.0f64, |a, c| a.max(c.bounded.1));
        (sqrt_up(mul_up(m2, grow)), mul_up(l, grow))
    });
    Ok(Part {
        pair,
        bounded,
        rule: format!("separable group of {} component(s)", groups.len()),
        indices: indices.to_vec(),
    })
}

/// Separable components with one `(rotation, shift)`: their atom lists and
/// indices.
type Group<'a> = (
    &'a DMatrix<f64>,
    &'a DVector<f64>,
    Vec<&'a Vec<Atom<f64>>>,
    Vec<usize>,
);
/// Softmax components with one class count: `(K, features, indices)`.
type SoftmaxGroup<'a> = (usize, Vec<&'a DVector<f64>>, Vec<usize>);

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
        // The label and class count are integers, checked on construction.
        Component::Softmax { a, .. } => a.iter().copied().collect(),
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
/// `dim`), by the rules of the module docs. Refusals name components by
/// their position in `components`.
pub fn certify_components(components: &[Component<f64>], dim: usize) -> Result<Certificate> {
    let indexed: Vec<(usize, &Component<f64>)> = components.iter().enumerate().collect();
    certify_indexed(&indexed, dim)
}

/// [`certify_components`] with the components' indices in the instance.
fn certify_indexed(components: &[(usize, &Component<f64>)], dim: usize) -> Result<Certificate> {
    if components.is_empty() {
        return Err(Error::Empty {
            what: "components".into(),
        });
    }
    for &(index, component) in components {
        ensure_finite_parameters(index, component)?;
    }
    let n = components.len();
    // An upper bound on 1/n (every use multiplies a nonnegative bound).
    let weight = div_up(1.0, n as f64);
    let mut parts: Vec<Part> = Vec::new();

    // Linear terms (and the linear terms of quadratics) are one bounded part.
    let mut linear: Vec<&DVector<f64>> = Vec::new();
    let mut linear_indices = Vec::new();
    let mut hessians: Vec<&DMatrix<f64>> = Vec::new();
    let mut quadratic_indices = Vec::new();
    let mut logistic: Vec<&DVector<f64>> = Vec::new();
    let mut logistic_indices = Vec::new();
    let mut exponentials: Vec<&DVector<f64>> = Vec::new();
    let mut exp_indices = Vec::new();
    // Softmax components by class count `K` (with `dim` fixed, `K` fixes
    // the feature dimension `p = dim/K`): features and indices.
    let mut softmax: Vec<SoftmaxGroup<'_>> = Vec::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for &(index, component) in components {
        match component {
            Component::Custom(custom) => {
                return Err(refuse(
                    &[index],
                    format!(
                        "`{}` is a user-defined objective: no proven (L0, L1) rule covers it",
                        custom.name()
                    ),
                ))
            }
            Component::Linear { c } => {
                linear.push(c);
                linear_indices.push(index);
            }
            Component::Quadratic {
                hessian, linear: l, ..
            } => {
                hessians.push(hessian);
                quadratic_indices.push(index);
                linear.push(l);
                linear_indices.push(index);
            }
            Component::Exp { a, .. } => {
                exponentials.push(a);
                exp_indices.push(index);
            }
            Component::Logistic { a, .. } => {
                logistic.push(a);
                logistic_indices.push(index);
            }
            Component::Softmax { a, classes, .. } => {
                match softmax.iter_mut().find(|(k, _, _)| k == classes) {
                    Some(group) => {
                        group.1.push(a);
                        group.2.push(index);
                    }
                    None => softmax.push((*classes, vec![a], vec![index])),
                }
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                match groups
                    .iter_mut()
                    .find(|(r, s, _, _)| *r == rotation && *s == shift)
                {
                    Some(group) => {
                        group.2.push(atoms);
                        group.3.push(index);
                    }
                    None => groups.push((rotation, shift, vec![atoms], vec![index])),
                }
            }
        }
    }
    // The sums are over all n components (absent terms are zero): the mean
    // of the k quadratics' Hessians is scaled by k/n afterwards.
    let share = |k: usize| div_up(k as f64, n as f64);
    if !hessians.is_empty() {
        let norm = mul_up(
            mean_symmetric_norm_up(&hessians, dim),
            share(hessians.len()),
        );
        if !norm.is_finite() {
            return Err(refuse(
                &quadratic_indices,
                "quadratic Hessians: ‖Σ H‖/n overflows",
            ));
        }
        if norm > 0.0 {
            parts.push(Part {
                pair: Pair::new(norm, 0.0),
                bounded: None,
                rule: "quadratic ‖Σ H‖/n".into(),
                indices: quadratic_indices,
            });
        }
    }
    if !linear.is_empty() {
        let norm = mul_up(mean_vector_norm_up(&linear, dim), share(linear.len()));
        if !norm.is_finite() {
            return Err(refuse(&linear_indices, "linear terms: ‖Σ c‖/n overflows"));
        }
        if norm > 0.0 {
            parts.push(Part {
                pair: Pair::new(0.0, 0.0),
                bounded: Some((norm, 0.0)),
                rule: "linear".into(),
                indices: linear_indices,
            });
        }
    }
    if !logistic.is_empty() {
        let (sum, m) = logistic_gram_norm_up(&logistic, dim);
        let l = div_up(mul_up(sum, weight), 4.0);
        let m = mul_up(m, weight);
        if !(l.is_finite() && m.is_finite()) {
            return Err(refuse(
                &logistic_indices,
                format!(
                    "logistic features: λ_max(Σ a aᵀ)/(4n) = {l:e} or (1/n)Σ‖a‖ = {m:e} overflows"
                ),
            ));
        }
        parts.push(Part {
            pair: Pair::new(l, 0.0),
            bounded: Some((m, l)),
            rule: "logistic λ_max(Σ a aᵀ)/(4n)".into(),
            indices: logistic_indices,
        });
    }
    for (classes, features, indices) in softmax {
        parts.push(softmax_part(classes, &features, indices, weight)?);
    }
    let (nonzero, nonzero_indices): (Vec<&DVector<f64>>, Vec<usize>) = exponentials
        .into_iter()
        .zip(exp_indices)
        .filter(|(a, _)| a.iter().any(|&v| v != 0.0))
        .unzip();
    if !nonzero.is_empty() {
        parts.push(cone_part(&nonzero, &nonzero_indices, dim)?);
    }
    for (rotation, _, atoms, indices) in &groups {
        parts.push(separable_part(rotation, atoms, indices, weight)?);
    }
    let all: Vec<usize> = components.iter().map(|(i, _)| *i).collect();
    combine(parts, &all)
}

/// An upper bound on `λ_max(Σ_i a_i a_iᵀ)`, and one on `Σ_i ‖a_i‖`, for
/// feature vectors given exactly (`∞` on overflow).
///
/// One vector: `λ_max(a aᵀ) = ‖a‖²` exactly, bounded by squaring
/// [`norm_up`] upward (no eigenproblem). Several: the Gram matrix
/// `G = Σ a aᵀ` is accumulated by blocked matrix products (`gemm`, any
/// summation order), whose computed `Ĝ` satisfies, for `k` vectors,
/// `|Ĝ − G| ≤ γ_k |A|ᵀ|A| + 2kη` entrywise (`γ_k = ku/(1 − ku)`, `η` the
/// smallest subnormal, for products that underflow). The allowance's
/// Frobenius norm is bounded by `‖|A|ᵀ|A|‖_F ≤ ‖A‖_F² = Σ ‖a_i‖²`, so
/// `λ_max(G) ≤ ‖Ĝ_sym‖ + 2(k + 3)ε Σ ‖a_i‖² + 2kη·dim` (the `+3` covers
/// `γ_k/(1 − γ_k)` and the rounding of the bound itself); `Ĝ_sym` takes
/// the lower triangle of `Ĝ` for both (the exact `G` is symmetric, so the
/// entrywise bound holds for the mirrored entries too). `‖Ĝ_sym‖` is
/// bounded by [`symmetric_norm_up`] (eigen-residual rule).
fn logistic_gram_norm_up(vectors: &[&DVector<f64>], dim: usize) -> (f64, f64) {
    let norms: Vec<f64> = vectors.iter().map(|a| norm_up(a.as_slice())).collect();
    let sum_norms = norms.iter().fold(0.0, |s, &v| add_up(s, v));
    if let [_] = vectors {
        return (mul_up(norms[0], norms[0]), sum_norms);
    }
    let squares = norms.iter().fold(0.0, |s, &v| add_up(s, mul_up(v, v)));
    let mut gram = DMatrix::<f64>::zeros(dim, dim);
    for chunk in vectors.chunks(GRAM_BLOCK) {
        let columns = DMatrix::from_fn(dim, chunk.len(), |r, c| chunk[c][r]);
        let rows = columns.transpose();
        gram.gemm(1.0, &columns, &rows, 1.0);
    }
    gram.fill_upper_triangle_with_lower_triangle();
    let k = vectors.len() as f64;
    let extra = add_up(
        mul_up(2.0 * (k + 3.0) * EPS, squares),
        mul_up(2.0 * k * ETA, dim as f64),
    );
    (symmetric_norm_up_by(&gram, extra), sum_norms)
}

/// The softmax rule (`docs/smoothness.md`, "The softmax bound"): softmax
/// components with `K` classes and features `a_i ∈ R^p` have
/// `∇²f_i = (diag(p_i) − p_i p_iᵀ) ⊗ a_i a_iᵀ ≼ ½ I_K ⊗ a_i a_iᵀ` (every
/// `vᵀ(diag(p) − ppᵀ)v` is a variance of `v`, at most
/// `(max v − min v)²/4 ≤ ½` for a unit `v`) and `‖∇f_i‖ = ‖p_i − e_k‖ ‖a_i‖
/// ≤ √2 ‖a_i‖`, so their share of `f` has the bounds
/// `(M, L) = (√2 (1/n) Σ‖a_i‖, ½ λ_max(Σ a_i a_iᵀ)/n)`, `λ_max` bounded
/// as for logistic regression ([`logistic_gram_norm_up`] in dimension `p`).
fn softmax_part(
    classes: usize,
    features: &[&DVector<f64>],
    indices: Vec<usize>,
    weight: f64,
) -> Result<Part> {
    let p = features.first().map_or(0, |a| a.len());
    let (sum, norms) = logistic_gram_norm_up(features, p);
    let l = div_up(mul_up(sum, weight), 2.0);
    // f64's √2 is above the real √2; one more step up makes that explicit.
    let m = mul_up(mul_up(norms, weight), next_up(std::f64::consts::SQRT_2));
    if !(l.is_finite() && m.is_finite()) {
        return Err(refuse(
            &indices,
            format!("softmax features: ½λ_max(Σ a aᵀ)/n = {l:e} or √2 (1/n)Σ‖a‖ = {m:e} overflows"),
        ));
    }
    Ok(Part {
        pair: Pair::new(l, 0.0),
        bounded: Some((m, l)),
        rule: format!("softmax ({classes} classes) ½λ_max(Σ a aᵀ)/n"),
        indices,
    })
}

/// Feature vectors per block of the Gram matrix's `gemm` (a `dim × 256`
/// block of a 100-dimensional instance is 200 kB: it stays in cache).
const GRAM_BLOCK: usize = 256;

/// The cone rule for exponential components `e^{⟨a_i, x⟩ + b_i}` (the
/// offsets do not matter): `(0, A/cos θ)` with `A ≥ max ‖a_i‖` and
/// `cos θ ≤ min_i ⟨a_i, u⟩/‖a_i‖`, `u` the normalised sum of the unit
/// directions. Each `a_i` is scaled by a power of two first (exact; the
/// ratio does not change), the inner products are bounded from below by the
/// computed value minus `2(dim + 2) ε Σ|a_k||u_k|`, the norms from above.
fn cone_part(directions: &[&DVector<f64>], indices: &[usize], dim: usize) -> Result<Part> {
    let scaled: Vec<DVector<f64>> = directions
        .iter()
        .map(|a| {
            let largest = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let e = exponent(largest);
            a.map(|v| times_pow2(v, -e))
        })
        .collect();
    let axis = scaled.iter().fold(DVector::zeros(dim), |s, b| {
        let norm = b.norm();
        s + b / norm
    });
    let axis_norm = norm_up(axis.as_slice());
    let mut cos = f64::INFINITY;
    for b in &scaled {
        let dot = b.dot(&axis);
        let spread = b.abs().dot(&axis.abs());
        let slack = add_up(
            mul_up(2.0 * (dim as f64 + 2.0) * EPS, spread),
            8.0 * dim as f64 * ETA,
        );
        let dot_low = sub_down(dot, slack);
        let c = div_down(dot_low, mul_up(norm_up(b.as_slice()), axis_norm));
        cos = if c.is_nan() { f64::NAN } else { cos.min(c) };
    }
    if cos.is_nan() || cos <= 0.0 || !axis_norm.is_finite() || axis_norm == 0.0 {
        return Err(Error::NoCertificate {
            reason: format!(
                "{}: exp components whose directions lie in no open half-space \
                 (the cone rule needs cos θ > 0)",
                name(indices)
            ),
        });
    }
    let big_a = directions
        .iter()
        .fold(0.0f64, |m, a| m.max(norm_up(a.as_slice())));
    let l1 = div_up(big_a, cos);
    if !l1.is_finite() {
        return Err(refuse(
            indices,
            format!("exp components: rate ‖a‖/cos θ overflows (cos θ ≥ {cos:e})"),
        ));
    }
    Ok(Part {
        pair: Pair::new(0.0, l1),
        bounded: None,
        rule: format!("exp cone rule (cos θ = {cos:.3})"),
        indices: indices.to_vec(),
    })
}

/// The average rule: bounded parts are a perturbation `h`, the rest must be
/// one part or all have `L1 = 0`. All sums and products rounded upward.
fn combine(parts: Vec<Part>, all: &[usize]) -> Result<Certificate> {
    let (bounded, unbounded): (Vec<Part>, Vec<Part>) =
        parts.into_iter().partition(|p| p.bounded.is_some());
    let (m, l) = bounded
        .iter()
        .filter_map(|p| p.bounded)
        .fold((0.0, 0.0), |(m, l), (pm, pl)| {
            (add_up(m, pm), add_up(l, pl))
        });
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
    // No unbounded part is the `several` case with nothing to add: (L, 0).
    let pair = match unbounded.as_slice() {
        [only] => Pair::new(
            add_up(only.pair.l0, add_up(l, mul_up(only.pair.l1, m))),
            only.pair.l1,
        ),
        several if several.iter().all(|p| p.pair.l1 == 0.0) => {
            Pair::new(several.iter().fold(l, |s, p| add_up(s, p.pair.l0)), 0.0)
        }
        _ => {
            let mut involved: Vec<usize> =
                unbounded.iter().flat_map(|p| p.indices.clone()).collect();
            involved.sort_unstable();
            return Err(refuse(
                &involved,
                format!(
                    "{} parts with L1 > 0 or unbounded gradients ({rule}): \
                     their gradients can cancel",
                    unbounded.len()
                ),
            ));
        }
    };
    if !(pair.l0.is_finite() && pair.l1.is_finite() && m.is_finite() && l.is_finite()) {
        return Err(refuse(all, format!("the constants overflow ({rule})")));
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

/// A certificate that a sampled lower bound beats: a false certificate
/// (the estimator's values have a rounding margin subtracted, so they are
/// below the least valid `L0` at that `L1`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LowerBoundViolation {
    /// Which certificate: `"f"` or `"components[i]"`.
    pub which: String,
    /// The certified pair.
    pub certified: Pair,
    /// The sampled lower bound on `L0` at the certified `L1`.
    pub sampled_l0: f64,
    /// Where it was found.
    pub at: Vec<f64>,
}

impl Certification {
    /// The certificates of `f` that the sampled lower bound `f_bound`
    /// (from [`crate::smooth::estimator::lower_bound_l0`] at `f`'s pair)
    /// exceeds. Empty for a sound certificate. `cliptheory certify` must
    /// exit with status 2 when this is not empty (and print the violation):
    /// the certificate it would print is false.
    pub fn lower_bound_violations(
        &self,
        f_bound: &crate::smooth::estimator::LowerBound,
    ) -> Vec<LowerBoundViolation> {
        f_bound
            .exceeds(self.f.pair)
            .then(|| LowerBoundViolation {
                which: "f".into(),
                certified: self.f.pair,
                sampled_l0: f_bound.l0,
                at: f_bound.at.iter().copied().collect(),
            })
            .into_iter()
            .collect()
    }
}

/// Certifies an instance: `f` and each component. Refusals name the
/// components by their index in the instance.
pub fn certify<T: Real>(instance: &Instance<T>) -> Result<Certification> {
    let wide = instance.cast::<f64>()?;
    let dim = wide.dim();
    let indexed: Vec<(usize, &Component<f64>)> = wide.components().iter().enumerate().collect();
    let f = certify_indexed(&indexed, dim)?;
    // One certificate per component, on every core (collected in order,
    // so the first refusal reported is the first in the file whatever the
    // thread count).
    let one = |&c: &(usize, &Component<f64>)| certify_indexed(&[c], dim);
    #[cfg(feature = "parallel")]
    let components: Vec<Result<Certificate>> = {
        use rayon::prelude::*;
        indexed.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let components: Vec<Result<Certificate>> = indexed.iter().map(one).collect();
    let components = components.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(Certification { f, components })
}

/// The certified pair of `f` alone.
pub fn certify_f<T: Real>(instance: &Instance<T>) -> Result<Pair> {
    let wide = instance.cast::<f64>()?;
    let indexed: Vec<(usize, &Component<f64>)> = wide.components().iter().enumerate().collect();
    Ok(certify_indexed(&indexed, wide.dim())?.pair)
}

/// Operator norm `‖H‖ = max |λ(H)|` of a symmetric matrix in any float
/// type (eigenvalues computed in `f64`; an estimate, `NaN` if not finite).
pub fn operator_norm<T: Real>(h: &DMatrix<T>) -> T {
    T::of(symmetric_norm(&h.map(|x| x.to_f64_lossless())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `e^{⟨a, x⟩ + b}`.
    fn exp_component(a: &[f64], b: f64) -> Component<f64> {
        Component::Exp {
            a: DVector::from_column_slice(a),
            b,
        }
    }

    /// `log(1 + e^{−y⟨a, x⟩})`.
    fn logistic_component(a: &[f64], label: f64) -> Component<f64> {
        Component::Logistic {
            a: DVector::from_column_slice(a),
            label,
        }
    }

    /// `norm_up`'s plain branch charges `2(len + 2)ε` on the sum of squares
    /// (its doc's `γ_len` bound). On `(1, 2⁻²⁷ × 1000)` every addition of
    /// `2⁻⁵⁴` to `1` rounds down, so the computed sum is `1` and the exact
    /// norm `√(1 + 250ε) > 1 + 124ε`: without the allowance the bound would
    /// be below it. Pinned to the documented value, so a looser allowance
    /// is caught too.
    #[test]
    fn norm_up_charges_its_documented_allowance_when_every_addition_rounds_down() {
        let mut values = vec![1.0];
        values.extend(std::iter::repeat_n(pow2(-27), 1000));
        let plain_sum = values.iter().fold(0.0, |s, v| s + v * v);
        assert_eq!(plain_sum, 1.0, "the additions must all round down");
        let bound = norm_up(&values);
        let exact_above = 1.0 + 124.0 * EPS;
        assert!(bound > exact_above, "{bound} is below the exact norm");
        let len = values.len() as f64;
        let documented = add_up(
            mul_up(1.0, add_up(1.0, 2.0 * (len + 2.0) * EPS)),
            8.0 * len * ETA,
        );
        assert_eq!(bound, next_up(sqrt_up(documented)));
        // About (len + 2) ε above 1, far from the exact 125 ε.
        assert!(
            bound > 1.0 + 1000.0 * EPS && bound < 1.0 + 1010.0 * EPS,
            "{bound}"
        );
    }

    /// `symmetric_norm_up_by` on a dense symmetric matrix (no shortcut: not
    /// diagonal, Frobenius norm above `λ_max`): the bound is the documented
    /// `λ_max (1 + ‖Ĝ‖_F) + ‖R̂‖_F`, with `Ĝ = |VᵀV − I| + k (|V|ᵀ|V| + I)`,
    /// `R̂ = |m − VΛVᵀ| + k (|m| + |V||Λ||V|ᵀ) + 8 dim η` entrywise and
    /// `k = 2(dim + 3)ε`, computed here again in plain arithmetic. The
    /// allowances are about 500 ulps of `λ_max` here, the directed
    /// rounding a few: a wrong allowance is seen, a rounding is not.
    #[test]
    fn symmetric_norm_bound_is_its_documented_formula() {
        let dim = 8;
        let m = DMatrix::from_fn(dim, dim, |r, c| {
            let (r, c) = (r.min(c) as f64, r.max(c) as f64);
            1.0 / (1.0 + r + c) - 0.25 * (0.7 * r - 0.3 * c).sin()
        });
        assert!(m.iter().all(|v| v.abs() < 2.0) && m.iter().any(|v| v.abs() >= 1.0));
        let bound = symmetric_norm_up_by(&m, 0.0);
        let eigen = m.clone().symmetric_eigen();
        let (v, lambda) = (&eigen.eigenvectors, &eigen.eigenvalues);
        let k = 2.0 * (dim as f64 + 3.0) * EPS;
        let lambda_max = lambda.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        let abs_v = v.abs();
        let residual = (&m - v * DMatrix::from_diagonal(lambda) * v.transpose()).abs()
            + (m.abs() + &abs_v * DMatrix::from_diagonal(&lambda.abs()) * abs_v.transpose()) * k
            + DMatrix::from_element(dim, dim, 8.0 * dim as f64 * ETA);
        let identity = DMatrix::<f64>::identity(dim, dim);
        let gram =
            (v.transpose() * v - &identity).abs() + (abs_v.transpose() * &abs_v + &identity) * k;
        let documented = lambda_max * (1.0 + gram.norm()) + residual.norm();
        assert!(
            m.norm() > documented * (1.0 + 1e-6),
            "the Frobenius norm must not win"
        );
        let allowance = documented - lambda_max;
        assert!(allowance > 200.0 * lambda_max * EPS, "{allowance:e}");
        assert!(bound >= documented, "{bound} < {documented}");
        assert!(
            bound - documented <= 8.0 * lambda_max * EPS,
            "{bound} is {:e} above the documented {documented}",
            bound - documented
        );
    }

    /// The Gram rule's result must bound the exact `λ_max(Σ a aᵀ)` from
    /// above and stay within rounding of it, where the exact value is
    /// known: `k` copies of `(3, 4)` have `λ_max = 25k`.
    #[test]
    fn gram_norm_bounds_the_exact_eigenvalue() {
        let a = DVector::from_vec(vec![3.0, 4.0]);
        for k in [1usize, 2, 300, 1000] {
            let vectors: Vec<&DVector<f64>> = vec![&a; k];
            let (bound, sum_norms) = logistic_gram_norm_up(&vectors, 2);
            let exact = 25.0 * k as f64;
            assert!(bound >= exact, "k = {k}: {bound} < {exact}");
            assert!(bound <= exact * (1.0 + 1e-10), "k = {k}: {bound} too loose");
            assert!(sum_norms >= 5.0 * k as f64);
        }
    }

    // -----------------------------------------------------------------------
    // Outward rounding: every helper is an upper (lower) bound on the exact
    // result and within an ulp or two of it; exact cases stay exact.

    /// `2^-60`: far below an ulp of 1, so `1 ± TINY` rounds to 1.
    const TINY: f64 = 1.0 / (1u64 << 60) as f64;

    /// Whether `r ≥ a b` exactly (the FMA residual `a b − r` is exact
    /// away from underflow).
    fn product_at_most(a: f64, b: f64, r: f64) -> bool {
        a.mul_add(b, -r) <= 0.0
    }

    #[test]
    fn next_up_and_next_down_step_one_ulp_at_the_edges() {
        assert_eq!(next_up(1.0), 1.0 + EPS);
        assert_eq!(next_up(-1.0), -1.0 + EPS / 2.0);
        assert_eq!(next_up(0.0), ETA);
        assert_eq!(next_up(-0.0), ETA);
        assert_eq!(next_up(-ETA), 0.0);
        assert_eq!(next_up(f64::MAX), f64::INFINITY);
        assert_eq!(next_up(f64::INFINITY), f64::INFINITY);
        assert_eq!(next_up(f64::NEG_INFINITY), -f64::MAX);
        assert!(next_up(f64::NAN).is_nan());
        assert_eq!(next_up(f64::MIN_POSITIVE), f64::MIN_POSITIVE + ETA);
        assert_eq!(next_down(1.0), 1.0 - EPS / 2.0);
        assert_eq!(next_down(0.0), -ETA);
        assert_eq!(next_down(-1.0), -1.0 - EPS);
        assert_eq!(ups(1.0, 0), 1.0);
        assert_eq!(ups(1.0, 3), 1.0 + 3.0 * EPS);
    }

    #[test]
    fn add_up_is_exact_when_exact_and_one_ulp_up_otherwise() {
        assert_eq!(add_up(1.0, 2.0), 3.0);
        assert_eq!(add_up(-1.5, 0.25), -1.25);
        // 1 + TINY rounds down to 1: the upper bound is the next float.
        assert_eq!(add_up(1.0, TINY), 1.0 + EPS);
        assert_eq!(add_up(TINY, 1.0), 1.0 + EPS);
        assert_eq!(add_up(-1.0, TINY), -1.0 + EPS / 2.0);
        // Rounded up already (the error is negative): kept.
        assert_eq!(add_up(1.0, -TINY), 1.0);
        assert_eq!(add_up(-1.0, -TINY), -1.0);
        assert_eq!(add_up(f64::MAX, f64::MAX), f64::INFINITY);
        assert_eq!(add_up(f64::INFINITY, 1.0), f64::INFINITY);
        assert_eq!(sub_down(1.0, TINY), 1.0 - EPS / 2.0);
        assert_eq!(sub_down(3.0, 1.0), 2.0);
        assert_eq!(sub_down(1.0, -TINY), 1.0);
        // Soundness and tightness on inexact sums of both signs: the exact
        // a + b = s + e (TwoSum), and r − s is exact (r is s or next_up(s)).
        for (a, b) in [
            (0.1, 0.2),
            (-0.1, 0.7),
            (1e16, 1.5),
            (-3.3, -1e-17),
            (1e-300, 3e-310),
        ] {
            let r = add_up(a, b);
            let (s, e) = two_sum(a, b);
            assert!(r - s >= e, "add_up({a}, {b}) = {r} is below");
            assert!(r <= next_up(s), "add_up({a}, {b}) = {r} is loose");
            let d = sub_down(a, b);
            let (s, e) = two_sum(a, -b);
            assert!(d - s <= e && d >= next_down(s), "sub_down({a}, {b}) = {d}");
        }
    }

    #[test]
    fn two_sum_returns_the_exact_error_in_either_order() {
        assert_eq!(two_sum(3.0, 4.0), (7.0, 0.0));
        assert_eq!(two_sum(1.0, TINY), (1.0, TINY));
        assert_eq!(two_sum(TINY, 1.0), (1.0, TINY));
        assert_eq!(two_sum(-1.0, -TINY), (-1.0, -TINY));
        assert_eq!(two_sum(1.0, -TINY), (1.0, -TINY));
        // 2^53 + 1 rounds to even (2^53): the error is 1.
        let big = (1u64 << 53) as f64;
        assert_eq!(two_sum(big, 1.0), (big, 1.0));
        assert_eq!(two_sum(1.0, big), (big, 1.0));
        assert_eq!(two_sum(big, 3.0), (big + 4.0, -1.0));
    }

    #[test]
    fn sum_with_error_bounds_the_error_of_each_entry() {
        let terms: [&[f64]; 3] = [&[1.0, 2.0], &[TINY, 3.0], &[TINY, -0.5]];
        let (sum, error) = sum_with_error(terms.into_iter(), 2);
        assert_eq!(sum, vec![1.0, 4.5]);
        // Two additions of TINY to 1 each lost TINY.
        assert_eq!(error, vec![2.0 * TINY, 0.0]);
        let (sum, error) = sum_with_error(std::iter::empty::<&[f64]>(), 3);
        assert_eq!((sum, error), (vec![0.0; 3], vec![0.0; 3]));
    }

    #[test]
    fn mul_up_is_an_upper_bound_within_one_ulp() {
        assert_eq!(mul_up(0.0, 3.0), 0.0);
        assert_eq!(mul_up(3.0, 0.0), 0.0);
        assert_eq!(mul_up(f64::INFINITY, 0.0), 0.0);
        assert_eq!(mul_up(1.0, 0.1), 0.1);
        assert_eq!(mul_up(0.1, 1.0), 0.1);
        // Exact products below the exactness floor are kept when a factor is 1.
        assert_eq!(mul_up(1.0, 1e-300), 1e-300);
        assert_eq!(mul_up(3.0, 0.5), 1.5);
        assert_eq!(mul_up(-3.0, 0.5), -1.5);
        // An underflowing product is bounded by the smallest subnormal.
        assert_eq!(mul_up(1e-200, 1e-200), ETA);
        assert_eq!(mul_up(-1e-200, 1e-200), next_up(-0.0));
        assert_eq!(mul_up(f64::MAX, 2.0), f64::INFINITY);
        for (a, b) in [
            (0.1, 0.1),
            (-0.1, 0.3),
            (0.7, -0.7),
            (1.0 / 3.0, 3.0),
            (1e150, 1.1e150),
        ] {
            let r = mul_up(a, b);
            assert!(product_at_most(a, b, r), "mul_up({a}, {b}) = {r} is below");
            assert!(r <= next_up(a * b), "mul_up({a}, {b}) = {r} is loose");
            let d = mul_down(a, b);
            assert!(
                a.mul_add(b, -d) >= 0.0 && d >= next_down(a * b),
                "mul_down({a}, {b}) = {d}"
            );
        }
        // Rounded up by the hardware already: left alone (0.1 · 3 rounds up).
        let p = 0.1 * 3.0;
        assert!(0.1f64.mul_add(3.0, -p) < 0.0);
        assert_eq!(mul_up(0.1, 3.0), p);
    }

    #[test]
    fn div_up_is_an_upper_bound_within_one_ulp() {
        assert_eq!(div_up(0.0, 3.0), 0.0);
        assert_eq!(div_up(3.0, 1.0), 3.0);
        assert_eq!(div_up(1e-300, 1.0), 1e-300);
        assert_eq!(div_up(1.0, 4.0), 0.25);
        assert_eq!(div_up(-1.0, 4.0), -0.25);
        // 1/3 rounds down: the bound is the next float, q·3 ≥ 1.
        let q = div_up(1.0, 3.0);
        assert_eq!(q, next_up(1.0 / 3.0));
        assert!(q.mul_add(3.0, -1.0) >= 0.0);
        // 1/10 rounds up: kept.
        assert!(0.1f64.mul_add(10.0, -1.0) > 0.0);
        assert_eq!(div_up(1.0, 10.0), 0.1);
        // Tiny numerators or quotients and negative divisors are bumped.
        assert_eq!(div_up(1e-300, 4.0), next_up(1e-300 / 4.0));
        assert_eq!(div_up(1.0, 4e300), next_up(1.0 / 4e300));
        assert_eq!(div_up(1.0, -4.0), next_up(-0.25));
        assert_eq!(div_up(1.0, 0.0), f64::INFINITY);
        assert_eq!(div_up(f64::MAX, 0.5), f64::INFINITY);
        for (a, b) in [
            (1.0, 3.0),
            (-1.0, 3.0),
            (0.1, 0.3),
            (7.0, 0.1),
            (1e300, 3e-7),
        ] {
            let r = div_up(a, b);
            assert!(r.mul_add(b, -a) >= 0.0, "div_up({a}, {b}) = {r} is below");
            assert!(r <= next_up(a / b), "div_up({a}, {b}) = {r} is loose");
            let d = div_down(a, b);
            assert!(
                d.mul_add(b, -a) <= 0.0 && d >= next_down(a / b),
                "div_down({a}, {b}) = {d}"
            );
        }
        assert_eq!(div_down(1.0, 3.0), 1.0 / 3.0);
        assert_eq!(div_down(1.0, 10.0), next_down(0.1));
    }

    #[test]
    fn square_roots_bracket_the_exact_root_within_one_ulp() {
        assert_eq!(sqrt_up(0.0), 0.0);
        assert_eq!(sqrt_up(4.0), 2.0);
        assert_eq!(sqrt_down(4.0), 2.0);
        assert_eq!(sqrt_down(0.0), 0.0);
        assert_eq!(sqrt_down(-1.0), 0.0);
        // Below the exactness floor: bumped outward.
        assert_eq!(sqrt_up(1e-300), next_up(1e-300f64.sqrt()));
        assert_eq!(sqrt_down(1e-300), next_down(1e-300f64.sqrt()));
        assert_eq!(sqrt_down(ETA), next_down(ETA.sqrt()));
        assert_eq!(sqrt_up(f64::INFINITY), f64::INFINITY);
        for a in [2.0, 3.0, 0.1, 1e300, 5.0e-200] {
            let (up, down) = (sqrt_up(a), sqrt_down(a));
            assert!(
                up.mul_add(up, -a) >= 0.0 && up <= next_up(a.sqrt()),
                "sqrt_up({a}) = {up}"
            );
            assert!(
                down.mul_add(down, -a) <= 0.0 && down >= next_down(a.sqrt()),
                "sqrt_down({a}) = {down}"
            );
        }
        // Exactly one of the two is moved: the one the rounding went against
        // (the FMA residual says which); both directions occur.
        let mut directions = Vec::new();
        for a in [2.0f64, 3.0, 5.0, 6.0, 7.0] {
            let s = a.sqrt();
            let rounded_up = s.mul_add(s, -a) > 0.0;
            directions.push(rounded_up);
            if rounded_up {
                assert_eq!((sqrt_up(a), sqrt_down(a)), (s, next_down(s)), "√{a}");
            } else {
                assert_eq!((sqrt_up(a), sqrt_down(a)), (next_up(s), s), "√{a}");
            }
        }
        assert!(directions.contains(&true) && directions.contains(&false));
    }

    #[test]
    fn exp_up_and_ln_up_add_libm_ulps_except_where_exact() {
        assert_eq!(exp_up(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_up(0.0), 1.0);
        assert_eq!(exp_up(1.0), ups(1f64.exp(), LIBM_ULPS));
        assert!(exp_up(1.0) > std::f64::consts::E);
        assert_eq!(exp_up(-1.0), ups((-1f64).exp(), LIBM_ULPS));
        assert_eq!(exp_up(1000.0), f64::INFINITY);
        assert_eq!(ln_up(1.0), 0.0);
        assert_eq!(ln_up(0.0), f64::NEG_INFINITY);
        assert_eq!(ln_up(2.0), ups(2f64.ln(), LIBM_ULPS));
        assert_eq!(ln_up(0.5), ups(0.5f64.ln(), LIBM_ULPS));
    }

    #[test]
    fn powers_of_two_and_exponents_cover_the_subnormals() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(1), 2.0);
        assert_eq!(pow2(-1), 0.5);
        assert_eq!(pow2(10), 1024.0);
        assert_eq!(pow2(1023), 2f64.powi(1023));
        assert_eq!(pow2(-1022), f64::MIN_POSITIVE);
        assert_eq!(pow2(-1023), f64::MIN_POSITIVE / 2.0);
        assert_eq!(pow2(-1074), ETA);
        for x in [
            1.0,
            1.5,
            2.0,
            3.0,
            0.75,
            1e300,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let e = exponent(x);
            assert!(pow2(e) <= x && x < 2.0 * pow2(e), "exponent({x}) = {e}");
        }
        assert_eq!(exponent(1.0), 0);
        assert_eq!(exponent(1.9), 0);
        assert_eq!(exponent(2.0), 1);
        assert_eq!(exponent(0.75), -1);
        assert_eq!(exponent(f64::MAX), 1023);
        assert_eq!(exponent(f64::MIN_POSITIVE), -1022);
        assert_eq!(exponent(f64::MIN_POSITIVE / 2.0), -1023);
        assert_eq!(exponent(0.75 * f64::MIN_POSITIVE), -1023);
        assert_eq!(exponent(3.0 * ETA), -1073);
        assert_eq!(exponent(ETA), -1074);
        assert_eq!(times_pow2(3.0, 0), 3.0);
        assert_eq!(times_pow2(3.0, 2), 12.0);
        assert_eq!(times_pow2(3.0, -1), 1.5);
        assert_eq!(times_pow2(pow2(-1000), 1500), pow2(500));
        assert_eq!(times_pow2(pow2(1000), -2000), pow2(-1000));
        assert_eq!(times_pow2(1.5, -1060), 3.0 * pow2(-1061));
        assert_eq!(times_pow2(1.0, 2000), f64::INFINITY);
        assert_eq!(times_pow2(-1.0, -2000), -0.0);
    }

    /// Vectors with integer norms (Pythagorean quadruples), scaled by powers
    /// of two across the range: the bound is above and within 1e-14.
    #[test]
    fn norm_up_bounds_exact_norms_across_the_range() {
        assert_eq!(norm_up(&[]), 0.0);
        assert_eq!(norm_up(&[0.0, -0.0]), 0.0);
        assert_eq!(norm_up(&[1.0, f64::NAN]), f64::INFINITY);
        assert_eq!(norm_up(&[f64::NEG_INFINITY]), f64::INFINITY);
        for (v, exact) in [
            (vec![3.0, 4.0], 5.0),
            (vec![-1.0, 2.0, 2.0], 3.0),
            (vec![2.0, 3.0, -6.0], 7.0),
            (vec![1.0, 4.0, 8.0], 9.0),
            (vec![0.0, 0.0, 5.0], 5.0),
        ] {
            for k in [-1074, -1070, -1060, -1022, -600, 0, 600, 1019] {
                let scaled: Vec<f64> = v.iter().map(|x| times_pow2(*x, k)).collect();
                let exact = times_pow2(exact, k);
                let bound = norm_up(&scaled);
                // Subnormal entries: the bound may add a few ETA per entry.
                let slack = exact * 1e-14 + 64.0 * ETA;
                assert!(bound >= exact, "norm_up({scaled:?}) = {bound} < {exact}");
                assert!(
                    bound <= exact + slack,
                    "norm_up({scaled:?}) = {bound}, {exact} exact"
                );
            }
        }
        // The largest binade: no overflow.
        let top = norm_up(&[pow2(1023), pow2(1022)]);
        assert!(top.is_finite() && top >= pow2(1023) * 1.25f64.sqrt());
        assert!(top <= pow2(1023) * 1.25f64.sqrt() * (1.0 + 1e-14));
        assert_eq!(norm_up(&[f64::MAX, f64::MAX]), f64::INFINITY);
    }

    #[test]
    fn symmetric_norm_up_bounds_known_spectra() {
        let m = |rows: &[&[f64]]| DMatrix::from_fn(rows.len(), rows.len(), |r, c| rows[r][c]);
        let zero = DMatrix::zeros(2, 2);
        assert_eq!(
            symmetric_norm_up(&DMatrix::zeros(0, 0), &DMatrix::zeros(0, 0)),
            0.0
        );
        assert_eq!(symmetric_norm_up_by(&DMatrix::zeros(0, 0), 0.5), 0.5);
        assert_eq!(symmetric_norm_up_by(&zero, 0.5), 0.5);
        assert_eq!(
            symmetric_norm_up_by(&m(&[&[1.0, f64::NAN], &[0.0, 1.0]]), 0.0),
            f64::INFINITY
        );
        assert_eq!(
            symmetric_norm_up_by(&m(&[&[1.0, 0.0], &[0.0, 1.0]]), f64::INFINITY),
            f64::INFINITY
        );
        // Diagonal: max |m_jj| exactly, plus the allowance's Frobenius norm.
        assert_eq!(
            symmetric_norm_up_by(&m(&[&[3.0, 0.0], &[0.0, -5.0]]), 0.0),
            5.0
        );
        assert_eq!(
            symmetric_norm_up_by(&m(&[&[3.0, 0.0], &[0.0, -5.0]]), 0.25),
            5.25
        );
        let allowance = DMatrix::from_element(2, 2, 0.5);
        // ‖I‖ + ‖allowance‖_F = 1 + 1 (the Frobenius bound is rounded up).
        let bound = symmetric_norm_up(&m(&[&[1.0, 0.0], &[0.0, 1.0]]), &allowance);
        assert!((2.0..=2.0 * (1.0 + 1e-14)).contains(&bound), "{bound}");
        // Known spectra: {3, 1}; {−1, −3}; {2 − √2, 2, 2 + √2}; scaled by 2^±900.
        let cases = [
            (m(&[&[2.0, 1.0], &[1.0, 2.0]]), 3.0),
            (m(&[&[-2.0, 1.0], &[1.0, -2.0]]), 3.0),
            (
                m(&[&[2.0, -1.0, 0.0], &[-1.0, 2.0, -1.0], &[0.0, -1.0, 2.0]]),
                2.0 + 2f64.sqrt(),
            ),
            (m(&[&[0.0, 1.0], &[1.0, 0.0]]), 1.0),
        ];
        for (matrix, exact) in cases {
            for k in [-900, 0, 900] {
                let scaled = matrix.map(|v| times_pow2(v, k));
                let exact = times_pow2(exact, k);
                let bound =
                    symmetric_norm_up(&scaled, &DMatrix::zeros(scaled.nrows(), scaled.nrows()));
                assert!(
                    bound >= exact * (1.0 - 1e-15),
                    "{scaled}: {bound} < {exact}"
                );
                assert!(
                    bound <= exact * (1.0 + 1e-12),
                    "{scaled}: {bound} loose ({exact})"
                );
                let with_extra = symmetric_norm_up_by(&scaled, exact);
                assert!(
                    with_extra >= 2.0 * exact * (1.0 - 1e-15)
                        && with_extra <= 2.0 * exact * (1.0 + 1e-12)
                );
            }
        }
        // The estimate (not a bound): the symmetric part's largest |λ|.
        assert_eq!(symmetric_norm(&DMatrix::zeros(0, 0)), 0.0);
        assert_eq!(symmetric_norm(&m(&[&[0.0, 2.0], &[0.0, 0.0]])), 1.0);
        assert_eq!(
            symmetric_norm(&m(&[&[f64::MAX, 0.0], &[0.0, 0.0]])),
            f64::MAX
        );
        assert!((symmetric_norm(&m(&[&[-2.0, 1.0], &[1.0, -2.0]])) - 3.0).abs() < 1e-14);
        assert!(symmetric_norm(&m(&[&[1.0, f64::INFINITY], &[0.0, 0.0]])).is_nan());
        assert!(
            (operator_norm(&m(&[&[2.0, 1.0], &[1.0, 2.0]]).map(|v| v as f32)) - 3.0).abs() < 1e-6
        );
    }

    #[test]
    fn mean_norms_bound_the_exact_means() {
        let d = |rows: &[f64]| DMatrix::from_diagonal(&DVector::from_column_slice(rows));
        assert_eq!(mean_symmetric_norm_up(&[], 2), 0.0);
        assert_eq!(mean_symmetric_norm_up(&[&d(&[1.0])], 0), 0.0);
        // Four matrices at 2^1022 each: the sum overflows unless scaled
        // down first (by 2^-2), and the mean is 2^1022 again.
        let huge = d(&[pow2(1022), 0.0]);
        let bound = mean_symmetric_norm_up(&[&huge; 4], 2);
        assert!(
            bound >= pow2(1022) && bound <= pow2(1022) * (1.0 + 1e-12),
            "{bound}"
        );
        // [[0, 1], [1, 0]] and 9999 copies of 2^-54 times it: each addition
        // of 2^-68 to the (scaled) 2^-14 rounds down, so the plain sum loses
        // 9999 · 2^-68 in both off-diagonal entries; the exact mean's norm
        // is (1 + 2499.75 ε)/10⁴, and only the TwoSum errors of those very
        // entries (mirrored: (0, 1) with (1, 0)) carry it.
        let swap = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
        let small = &swap * pow2(-54);
        let mut many = vec![&swap];
        many.extend(std::iter::repeat_n(&small, 9999));
        let bound = mean_symmetric_norm_up(&many, 2);
        let below_exact = (1.0 + 2499.0 * EPS) / 1e4 * (1.0 - 2.0 * EPS);
        assert!(bound >= below_exact, "{bound} < {below_exact}");
        assert!(bound <= below_exact * (1.0 + 1e-12), "{bound}");
        // A non-symmetric matrix counts by its symmetric part: [[0, 1], [1, 0]].
        let upper = DMatrix::from_row_slice(2, 2, &[0.0, 2.0, 0.0, 0.0]);
        let bound = mean_symmetric_norm_up(&[&upper], 2);
        assert!((1.0..=1.0 + 1e-12).contains(&bound), "{bound}");
        // (diag(3, 0) + diag(0, 6) + [[0, 3], [3, 0]])/3 = [[1, 1], [1, 2]]:
        // λ_max = (3 + √5)/2; three matrices are scaled by 2^-2.
        let off = DMatrix::from_row_slice(2, 2, &[0.0, 3.0, 3.0, 0.0]);
        let (a, b) = (d(&[3.0, 0.0]), d(&[0.0, 6.0]));
        let exact = (3.0 + 5f64.sqrt()) / 2.0;
        let bound = mean_symmetric_norm_up(&[&a, &b, &off], 2);
        assert!(
            bound >= exact && bound <= exact * (1.0 + 1e-12),
            "{bound} vs {exact}"
        );
        // Diagonal means are exact: (2 + 4 + 0)/3 = 2 on the first entry.
        let bound =
            mean_symmetric_norm_up(&[&d(&[2.0, 1.0]), &d(&[4.0, -1.0]), &d(&[0.0, 0.5])], 2);
        assert!((2.0..=2.0 * (1.0 + 1e-14)).contains(&bound), "{bound}");
        // Subnormal entries lose bits when scaled: the allowance covers them.
        let tiny = d(&[ETA]);
        let bound = mean_symmetric_norm_up(&[&tiny, &tiny, &tiny], 1);
        assert!((ETA..1e-300).contains(&bound), "{bound}");

        let v = |xs: &[f64]| DVector::from_column_slice(xs);
        assert_eq!(mean_vector_norm_up(&[], 2), 0.0);
        assert_eq!(mean_vector_norm_up(&[&v(&[1.0])], 0), 0.0);
        let (p, q) = (v(&[3.0, 4.0]), v(&[-3.0, -4.0]));
        assert_eq!(mean_vector_norm_up(&[&p, &q], 2), 0.0);
        let bound = mean_vector_norm_up(&[&p, &p, &p], 2);
        assert!((5.0..=5.0 * (1.0 + 1e-14)).contains(&bound), "{bound}");
        // Four vectors at 2^1022: summed after the exact scaling by 2^-2.
        let huge = v(&[pow2(1022), 0.0]);
        let bound = mean_vector_norm_up(&[&huge; 4], 2);
        assert!(
            bound >= pow2(1022) && bound <= pow2(1022) * (1.0 + 1e-14),
            "{bound}"
        );
        // (3, 4) and (1, 0): mean (2, 2), norm 2√2.
        let bound = mean_vector_norm_up(&[&p, &v(&[1.0, 0.0])], 2);
        assert!(
            bound >= 8f64.sqrt() && bound <= 8f64.sqrt() * (1.0 + 1e-14),
            "{bound}"
        );
        let eta = v(&[ETA, 0.0]);
        let bound = mean_vector_norm_up(&[&eta, &eta, &eta], 2);
        assert!((ETA..1e-300).contains(&bound), "{bound}");
        // (1 + TINY)/2 + (1 + TINY)/2 … is rounded: the error is counted.
        let bound = mean_vector_norm_up(&[&v(&[1.0]), &v(&[TINY]), &v(&[TINY])], 1);
        assert!(bound >= (1.0 + 2.0 * TINY) / 3.0, "{bound}");
    }

    #[test]
    fn gram_norm_of_orthogonal_features_is_the_largest_square() {
        let (a, b) = (
            DVector::from_vec(vec![1.0, 0.0]),
            DVector::from_vec(vec![0.0, 2.0]),
        );
        let (bound, sum_norms) = logistic_gram_norm_up(&[&a, &b], 2);
        assert!((4.0..=4.0 * (1.0 + 1e-12)).contains(&bound), "{bound}");
        assert!(
            (3.0..=3.0 * (1.0 + 1e-14)).contains(&sum_norms),
            "{sum_norms}"
        );
        // One vector: ‖b‖² (the norm bounded upward, then squared upward).
        let (bound, sum_norms) = logistic_gram_norm_up(&[&b], 2);
        assert!((4.0..=4.0 * (1.0 + 1e-14)).contains(&bound), "{bound}");
        assert!(
            (2.0..=2.0 * (1.0 + 1e-14)).contains(&sum_norms),
            "{sum_norms}"
        );
    }

    #[test]
    fn round_up_into_gives_the_least_float_above() {
        for x in [0.0, 1.0, 0.1, 0.7, 1.0 / 3.0, 1e-40, 123456.789, 1e30] {
            let r: f32 = round_up_into(x);
            assert!(f64::from(r) >= x, "{x} → {r}");
            // 0 has no float below it (and `0u32 - 1` overflows).
            if x > 0.0 {
                let below = f32::from_bits(r.to_bits() - 1);
                assert!(f64::from(below) < x, "{x} → {r} is not the least");
            }
        }
        // 0.7 rounds down in f32: the result is one ulp up.
        assert!(f64::from(0.7f32) < 0.7);
        assert_eq!(
            round_up_into::<f32>(0.7),
            f32::from_bits(0.7f32.to_bits() + 1)
        );
        // Underflowing to 0 in f32: the smallest positive value.
        assert_eq!(round_up_into::<f32>(1e-50), f32::MIN_POSITIVE);
        assert_eq!(round_up_into::<f32>(f64::INFINITY), f32::INFINITY);
        assert_eq!(round_up_into::<f32>(1e300), f32::INFINITY);
        assert_eq!(round_up_into::<f64>(0.7), 0.7);
        let pair = Pair::new(0.7, 0.1);
        assert_eq!(pair.in_type::<f32>(), (round_up_into::<f32>(0.7), 0.1f32));
        assert_eq!(pair.in_type::<f64>(), (0.7, 0.1));
    }

    // -----------------------------------------------------------------------
    // Atoms (SMOOTH-6).

    /// `x ≤ bound ≤ x (1 + 1e-12)`: sound and tight (a few outward-rounded
    /// operations, four ulps per libm call, a bisection to rounding).
    fn assert_tight(what: &str, bound: f64, exact: f64) {
        assert!(bound >= exact, "{what}: {bound} < {exact}");
        assert!(
            bound <= exact * (1.0 + 1e-12) + 1e-300,
            "{what}: {bound} loose ({exact})"
        );
    }

    #[test]
    fn atom_pairs_have_their_hand_computed_constants() {
        let pair = |atom: Atom<f64>, weight: f64| atom_pair(&atom, weight, 1.0);
        assert_eq!(pair(Atom::Quadratic { a: -3.0 }, 1.0), Pair::new(3.0, 0.0));
        assert_eq!(pair(Atom::Quadratic { a: -3.0 }, 0.5), Pair::new(1.5, 0.0));
        assert_eq!(
            pair(Atom::Exp { a: -2.0, b: 7.0 }, 0.5),
            Pair::new(0.0, 2.0)
        );
        assert_eq!(pair(Atom::Logistic { a: -2.0 }, 1.0), Pair::new(1.0, 0.0));
        assert_eq!(pair(Atom::Logistic { a: 2.0 }, 0.25), Pair::new(0.25, 0.0));
        assert_eq!(pair(Atom::Cosh { a: -1.5 }, 1.0), Pair::new(2.25, 1.5));
        assert_eq!(pair(Atom::Cosh { a: 1.5 }, 2.0), Pair::new(4.5, 1.5));
        assert_eq!(pair(Atom::LogCosh { a: -0.5 }, 4.0), Pair::new(1.0, 0.0));
        // t⁴/4 at weight q: (4q/L1², L1).
        assert_eq!(atom_pair(&Atom::Quartic, 1.0, 2.0), Pair::new(1.0, 2.0));
        assert_eq!(atom_pair(&Atom::Quartic, 3.0, 0.5), Pair::new(48.0, 0.5));
        assert_eq!(atom_pair(&Atom::Quartic, 1.0, 1e-200).l0, f64::INFINITY);
        assert_eq!(quartic_l0_up(0.5, 0.0), f64::INFINITY);
        // 0.1²/4 is inexact: bounded from above, within an ulp or two.
        let logistic = pair(Atom::Logistic { a: 0.1 }, 1.0).l0;
        assert!((0.0025..=0.0025 * (1.0 + 4.0 * EPS)).contains(&logistic));
    }

    /// `Σ w e^{at}`: `(2AM, A)`, `M = max_t min(P, N)`, `P`, `N` the sums of
    /// `w|a|e^{at}` over positive and negative rates. `2e^t + ½e^{−2t}`:
    /// `P = 2e^t`, `N = e^{−2t}` cross at `t* = −ln 2/3`, `M = 2^{2/3}`,
    /// `A = 2`: `L0 = 4 · 2^{2/3}`. `e^t + e^{−t}` (2 cosh): `M = 1`, `(2, 1)`.
    #[test]
    fn expsum_constants_by_hand() {
        let expsum = |w: &[f64], a: &[f64]| Atom::ExpSum {
            w: w.to_vec(),
            a: a.to_vec(),
        };
        let p = atom_pair(&expsum(&[2.0, 0.5], &[1.0, -2.0]), 1.0, 1.0);
        assert_eq!(p.l1, 2.0);
        assert_tight("2e^t + ½e^(−2t)", p.l0, 4.0 * 2f64.powf(2.0 / 3.0));
        // At weight ½ the sum is e^t + ¼e^(−2t): L0 halves.
        let half = atom_pair(&expsum(&[2.0, 0.5], &[1.0, -2.0]), 0.5, 1.0);
        assert_tight("weight ½", half.l0, 2.0 * 2f64.powf(2.0 / 3.0));
        let p = atom_pair(&expsum(&[1.0, 1.0], &[1.0, -1.0]), 1.0, 1.0);
        assert_eq!(p.l1, 1.0);
        assert_tight("2 cosh", p.l0, 2.0);
        assert_tight("M of 2 cosh", expsum_cross(&[1.0, 1.0], &[1.0, -1.0]), 1.0);
        assert_tight(
            "M",
            expsum_cross(&[2.0, 0.5], &[1.0, -2.0]),
            2f64.powf(2.0 / 3.0),
        );
        // One-sided sums (and a zero rate, a constant) have M = 0: (0, A).
        assert_eq!(
            atom_pair(&expsum(&[1.0, 3.0], &[1.0, 2.0]), 1.0, 1.0),
            Pair::new(0.0, 2.0)
        );
        assert_eq!(
            atom_pair(&expsum(&[1.0, 1.0], &[0.0, 1.0]), 1.0, 1.0),
            Pair::new(0.0, 1.0)
        );
        assert_eq!(
            atom_pair(&expsum(&[1.0, 1.0], &[-3.0, 0.0]), 1.0, 1.0),
            Pair::new(0.0, 3.0)
        );
        assert_eq!(expsum_cross(&[1.0, 1.0], &[0.0, 1.0]), 0.0);
        assert_eq!(expsum_cross(&[1.0], &[-1.0]), 0.0);
        // Crossings: e^{t} = e^{20 − t} at t* = 10, far outside [−1, 1];
        // at ±1000 the bracket must grow by doubling (ten times), not by steps.
        for (ln_w, t_star) in [
            ([0.0, 20.0], 10.0),
            ([20.0, 0.0], -10.0),
            ([0.0, 0.0], 0.0),
            ([0.0, 2000.0], 1000.0),
            ([2000.0, 0.0], -1000.0),
        ] {
            let (lo, hi) = expsum_crossing_ln(&ln_w, &[1.0, -1.0]).unwrap();
            assert!(
                lo <= t_star && t_star <= hi && hi - lo <= 1e-12 * (1.0 + t_star.abs()),
                "[{lo}, {hi}] ∌ {t_star}"
            );
        }
        let t_star = -std::f64::consts::LN_2 / 3.0;
        let (lo, hi) = expsum_crossing(&[2.0, 0.5], &[1.0, -2.0]).unwrap();
        assert!(
            lo - 1e-15 <= t_star && t_star <= hi + 1e-15 && hi - lo <= 1e-12,
            "[{lo}, {hi}]"
        );
        assert_eq!(expsum_crossing(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(expsum_crossing(&[1.0, 1.0], &[0.0, -2.0]), None);
        // A crossing beyond |t| = 2^64 is not bracketed.
        assert_eq!(expsum_crossing_ln(&[0.0, 1e300], &[1.0, -1.0]), None);
    }

    #[test]
    fn atom_frontiers_and_rates() {
        let at = |atom: Atom<f64>, l1: f64| atom_frontier(&atom, l1);
        // A zero rate is a constant, on neither side: the rest is one-sided.
        for rates in [[0.0, -1.0], [0.0, 1.0]] {
            let atom = Atom::ExpSum {
                w: vec![1.0, 1.0],
                a: rates.to_vec(),
            };
            assert_eq!(at(atom, 1.0), Some(0.0), "{rates:?}");
        }
        assert_eq!(at(Atom::Quadratic { a: -3.0 }, 5.0), Some(3.0));
        assert_eq!(at(Atom::Exp { a: -2.0, b: 1.0 }, 2.0), Some(0.0));
        assert_eq!(at(Atom::Exp { a: -2.0, b: 1.0 }, 1.5), Some(f64::INFINITY));
        assert_eq!(at(Atom::Logistic { a: 0.0 }, 0.0), Some(0.0));
        // a²(1 − l1/|a|)₊²/4 at a = ±2: l1 = 1 → 4 · ¼ / 4; l1 = 0 → 1; l1 ≥ 2 → 0.
        assert_eq!(at(Atom::Logistic { a: 2.0 }, 1.0), Some(0.25));
        assert_eq!(at(Atom::Logistic { a: -2.0 }, 1.0), Some(0.25));
        assert_eq!(at(Atom::Logistic { a: -2.0 }, 0.0), Some(1.0));
        assert_eq!(at(Atom::Logistic { a: 2.0 }, 3.0), Some(0.0));
        assert_eq!(at(Atom::Cosh { a: -2.0 }, 2.0), Some(4.0));
        assert_eq!(at(Atom::Cosh { a: 2.0 }, 1.0), Some(f64::INFINITY));
        assert_eq!(at(Atom::LogCosh { a: -3.0 }, 0.0), Some(9.0));
        assert_eq!(at(Atom::Quartic, 2.0), Some(1.0));
        assert_eq!(at(Atom::Quartic, 0.0), Some(f64::INFINITY));
        let expsum = |a: &[f64]| Atom::ExpSum {
            w: vec![1.0; a.len()],
            a: a.to_vec(),
        };
        assert_eq!(at(expsum(&[1.0, -3.0]), 10.0), None);
        assert_eq!(at(expsum(&[1.0, 3.0]), 3.0), Some(0.0));
        assert_eq!(at(expsum(&[-1.0, -3.0]), 3.0), Some(0.0));
        assert_eq!(at(expsum(&[-1.0, -3.0]), 2.0), Some(f64::INFINITY));
        assert_eq!(atom_rate(&Atom::Exp { a: -2.0, b: 5.0 }), 2.0);
        assert_eq!(atom_rate(&Atom::LogCosh { a: -0.5 }), 0.5);
        assert_eq!(atom_rate(&expsum(&[1.0, -3.0, 2.0])), 3.0);
        assert_eq!(atom_rate(&Atom::Quadratic { a: 7.0 }), 1.0);
        assert_eq!(atom_rate(&Atom::Quartic), 1.0);
        let labels: Vec<_> = atom_pairs(&Atom::Logistic { a: -2.0 });
        assert_eq!(
            labels,
            vec![
                ("logistic (a²/4, 0)", Pair::new(1.0, 0.0)),
                ("logistic (0, |a|)", Pair::new(0.0, 2.0))
            ]
        );
        let quartic: Vec<Pair> = atom_pairs(&Atom::Quartic)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(
            quartic,
            [
                Pair::new(16.0, 0.5),
                Pair::new(4.0, 1.0),
                Pair::new(1.0, 2.0)
            ]
        );
        for (atom, label) in [
            (Atom::Quadratic { a: 1.0 }, "quadratic (|a|, 0)"),
            (Atom::Exp { a: 1.0, b: 0.0 }, "exp (0, |a|)"),
            (Atom::Cosh { a: 1.0 }, "cosh (a², |a|)"),
            (Atom::LogCosh { a: 1.0 }, "log cosh (a², 0)"),
            (expsum(&[1.0]), "expsum (2AM, A)"),
        ] {
            assert_eq!(atom_pairs(&atom), vec![(label, atom_pair(&atom, 1.0, 1.0))]);
        }
    }

    // -----------------------------------------------------------------------
    // Rules on whole instances (SMOOTH-4, SMOOTH-5).

    fn identity(dim: usize) -> DMatrix<f64> {
        DMatrix::identity(dim, dim)
    }

    fn separable(shift: &[f64], atoms: Vec<Atom<f64>>) -> Component<f64> {
        Component::Separable {
            rotation: identity(atoms.len()),
            shift: DVector::from_column_slice(shift),
            atoms,
        }
    }

    fn certify_all(components: Vec<Component<f64>>) -> Result<Certificate> {
        let dim = components[0].dim();
        certify_components(&components, dim)
    }

    fn refusal(components: Vec<Component<f64>>) -> String {
        match certify_all(components) {
            Err(Error::NoCertificate { reason }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn single_components_get_their_rules() {
        let v = |xs: &[f64]| DVector::from_column_slice(xs);
        // Linear: no curvature; bounded by ‖c‖ = 5.
        let c = certify_all(vec![Component::Linear { c: v(&[3.0, 4.0]) }]).unwrap();
        assert_eq!(c.pair, Pair::new(0.0, 0.0));
        let (m, l) = c.bounded.unwrap();
        assert_tight("‖c‖", m, 5.0);
        assert_eq!(l, 0.0);
        let zero = certify_all(vec![Component::Linear { c: v(&[0.0, 0.0]) }]).unwrap();
        assert_eq!(
            (zero.pair, zero.bounded),
            (Pair::new(0.0, 0.0), Some((0.0, 0.0)))
        );
        // A zero gradient uses no rule: the report names none.
        assert_eq!(zero.rule, "");
        // Quadratic: (‖H‖, 0), exact for a diagonal H; not bounded.
        let q = certify_all(vec![Component::Quadratic {
            hessian: DMatrix::from_diagonal(&v(&[2.0, -7.0])),
            linear: v(&[1.0, 1.0]),
            constant: 3.0,
        }])
        .unwrap();
        assert_eq!((q.pair, q.bounded), (Pair::new(7.0, 0.0), None));
        // Logistic: (‖a‖²/4, 0), bounded by (‖a‖, ‖a‖²/4).
        let l = certify_all(vec![logistic_component(&[3.0, 4.0], -1.0)]).unwrap();
        assert_tight("‖a‖²/4", l.pair.l0, 6.25);
        assert_eq!(l.pair.l1, 0.0);
        let (m, big_l) = l.bounded.unwrap();
        assert_tight("M", m, 5.0);
        assert_tight("L", big_l, 6.25);
        // Exp: (0, ‖a‖) (one direction: cos θ = 1).
        let e = certify_all(vec![exp_component(&[3.0, 4.0], -2.0)]).unwrap();
        assert_eq!(e.pair.l0, 0.0);
        assert_tight("‖a‖", e.pair.l1, 5.0);
        assert_eq!(e.bounded, None);
        // A constant exponential (a = 0) is no part at all.
        let flat = certify_all(vec![exp_component(&[0.0, 0.0], 1.0)]).unwrap();
        assert_eq!(
            (flat.pair, flat.bounded),
            (Pair::new(0.0, 0.0), Some((0.0, 0.0)))
        );
    }

    #[test]
    fn averages_combine_bounded_and_unbounded_parts() {
        let v = |xs: &[f64]| DVector::from_column_slice(xs);
        // Two quadratics: ‖(diag(2, 0) + diag(0, 4))/2‖ = 2; their linear
        // terms (1, 0) and (1, 0) are a bounded part with M = 1, L = 0.
        let quadratic = |d: &[f64]| Component::Quadratic {
            hessian: DMatrix::from_diagonal(&v(d)),
            linear: v(&[1.0, 0.0]),
            constant: 0.0,
        };
        let c = certify_all(vec![quadratic(&[2.0, 0.0]), quadratic(&[0.0, 4.0])]).unwrap();
        assert_eq!(c.pair, Pair::new(2.0, 0.0));
        // One quadratic among three components: ‖H‖ · 1/3.
        let c = certify_all(vec![
            quadratic(&[6.0, 0.0]),
            Component::Linear { c: v(&[1.0, 1.0]) },
            Component::Linear { c: v(&[1.0, 1.0]) },
        ])
        .unwrap();
        assert_tight("‖H‖/3", c.pair.l0, 2.0);
        // exp (0, 1) along e1 and a logistic along 2 e2, n = 2: the
        // logistic part is bounded with M = ‖a‖/2 = 1, L = ‖a‖²/8 = 0.5:
        // f is (0 + L + L1 M, L1) = (1.5, 1).
        let c = certify_all(vec![
            exp_component(&[1.0, 0.0], 0.0),
            logistic_component(&[0.0, 2.0], 1.0),
        ])
        .unwrap();
        assert_tight("L0", c.pair.l0, 1.5);
        assert_tight("L1", c.pair.l1, 1.0);
        assert_eq!(c.bounded, None);
        // Two logistic components (3, 4): λ_max(Σ a aᵀ)/(4n) = 50/8, M = 5.
        let a = logistic_component(&[3.0, 4.0], 1.0);
        let c = certify_all(vec![a.clone(), a]).unwrap();
        assert_tight("L0", c.pair.l0, 6.25);
        assert_eq!(c.pair.l1, 0.0);
        let (m, l) = c.bounded.unwrap();
        assert_tight("M", m, 5.0);
        assert_tight("L", l, 6.25);
        // Cone rule: e1 and e2 have cos θ = 1/√2: (0, √2).
        let c = certify_all(vec![
            exp_component(&[1.0, 0.0], 0.0),
            exp_component(&[0.0, 1.0], 5.0),
        ])
        .unwrap();
        assert_eq!(c.pair.l0, 0.0);
        assert_tight("A/cos θ", c.pair.l1, 2f64.sqrt());
        // Scaling a direction does not change the angle; A is the largest ‖a‖.
        let c = certify_all(vec![
            exp_component(&[3.0, 0.0], 0.0),
            exp_component(&[0.0, 1e-3], 0.0),
        ])
        .unwrap();
        assert_tight("A/cos θ", c.pair.l1, 3.0 * 2f64.sqrt());
        // A quadratic and a separable quadratic atom: both L1 = 0, summed.
        let c = certify_all(vec![
            quadratic(&[2.0, 0.0]),
            separable(
                &[0.0, 0.0],
                vec![Atom::Quadratic { a: 4.0 }, Atom::Quadratic { a: 0.0 }],
            ),
        ])
        .unwrap();
        assert_tight("1 + 2", c.pair.l0, 3.0);
        assert_eq!(c.pair.l1, 0.0);
    }

    #[test]
    fn refusals_are_typed_and_name_the_components() {
        let v = |xs: &[f64]| DVector::from_column_slice(xs);
        assert!(matches!(
            certify_components(&[], 2),
            Err(Error::Empty { .. })
        ));
        // Opposite exponentials lie in no open half-space.
        let reason = refusal(vec![
            exp_component(&[1.0, 0.0], 0.0),
            Component::Linear { c: v(&[1.0, 0.0]) },
            exp_component(&[-2.0, 0.0], 0.0),
        ]);
        assert!(
            reason.starts_with("components[0, 2]: exp components"),
            "{reason}"
        );
        // Two parts with L1 > 0 can cancel.
        let reason = refusal(vec![
            separable(&[0.0], vec![Atom::Cosh { a: 1.0 }]),
            exp_component(&[1.0], 0.0),
        ]);
        assert!(
            reason.starts_with("components[0, 1]: 2 parts with L1 > 0"),
            "{reason}"
        );
        assert!(reason.contains("can cancel"), "{reason}");
        // A non-finite parameter is named before any rule runs.
        match certify_components(
            &[
                Component::Linear { c: v(&[1.0]) },
                exp_component(&[1.0], f64::NAN),
            ],
            1,
        ) {
            Err(Error::NonFinite { field, .. }) => assert_eq!(field, "components[1]"),
            other => panic!("{other:?}"),
        }
        // Overflowing constants: the Hessian mean, the linear mean, the logistic Gram.
        let huge = f64::MAX;
        let reason = refusal(vec![Component::Quadratic {
            hessian: DMatrix::from_element(2, 2, huge),
            linear: v(&[0.0, 0.0]),
            constant: 0.0,
        }]);
        assert!(
            reason.starts_with("components[0]: quadratic Hessians"),
            "{reason}"
        );
        let reason = refusal(vec![Component::Linear {
            c: v(&[huge, huge]),
        }]);
        assert!(
            reason.starts_with("components[0]: linear terms"),
            "{reason}"
        );
        let reason = refusal(vec![logistic_component(&[1e200, 0.0], 1.0)]);
        assert!(
            reason.starts_with("components[0]: logistic features"),
            "{reason}"
        );
        let reason = refusal(vec![exp_component(&[huge, huge], 0.0)]);
        assert!(
            reason.starts_with("components[0]: exp components: rate"),
            "{reason}"
        );
    }

    /// SMOOTH-5: separable components with the same rotation and shift are
    /// summed per coordinate (weights 1/n), so their gradients cannot
    /// cancel unseen: `½e^{t} + ½e^{−t}` on one coordinate is `cosh`:
    /// `(2AM, A) = (1, 1)`. With different shifts (or rotations) they are
    /// different functions of `x` and must not be merged: two parts with
    /// `L1 > 0` are refused.
    #[test]
    fn separable_components_merge_only_with_the_same_rotation_and_shift() {
        let exp = |a: f64| Atom::Exp { a, b: 0.0 };
        let merged = certify_all(vec![
            separable(&[0.5], vec![exp(1.0)]),
            separable(&[0.5], vec![exp(-1.0)]),
        ])
        .unwrap();
        assert_tight("L0", merged.pair.l0, 1.0);
        assert_eq!(merged.pair.l1, 1.0);
        assert_eq!(merged.rule, "separable group of 2 component(s)");
        // The same rotation, another shift: not merged.
        let reason = refusal(vec![
            separable(&[0.5], vec![exp(1.0)]),
            separable(&[0.0], vec![exp(-1.0)]),
        ]);
        assert!(reason.starts_with("components[0, 1]: 2 parts"), "{reason}");
        // The same shift, another rotation (a reflection): not merged.
        let reflected = Component::Separable {
            rotation: DMatrix::from_element(1, 1, -1.0),
            shift: DVector::from_element(1, 0.5),
            atoms: vec![exp(-1.0)],
        };
        let reason = refusal(vec![separable(&[0.5], vec![exp(1.0)]), reflected]);
        assert!(reason.starts_with("components[0, 1]: 2 parts"), "{reason}");
        // Quadratic atoms cancel when merged: |½ · 3 − ½ · 1| = 1, not 2.
        let q = |a: f64| Atom::Quadratic { a };
        let c = certify_all(vec![
            separable(&[0.0], vec![q(3.0)]),
            separable(&[0.0], vec![q(-1.0)]),
        ])
        .unwrap();
        assert_tight("|Σ w a|", c.pair.l0, 1.0);
        assert_eq!(c.pair.l1, 0.0);
        let apart = certify_all(vec![
            separable(&[0.0], vec![q(3.0)]),
            separable(&[1.0], vec![q(-1.0)]),
        ])
        .unwrap();
        assert_tight("1.5 + 0.5", apart.pair.l0, 2.0);
    }

    #[test]
    fn coordinates_combine_their_atoms() {
        let one =
            |atoms: Vec<Atom<f64>>| certify_all(vec![separable(&vec![0.0; atoms.len()], atoms)]);
        let two = |a: Atom<f64>, b: Atom<f64>| {
            certify_all(vec![separable(&[0.0], vec![a]), separable(&[0.0], vec![b])])
        };
        // The max rule over coordinates: quadratic 3 and log cosh (a² = 4, 0).
        let c = one(vec![Atom::Quadratic { a: -3.0 }, Atom::LogCosh { a: 2.0 }]).unwrap();
        assert_tight("max(3, 4)", c.pair.l0, 4.0);
        assert_eq!((c.pair.l1, c.bounded), (0.0, None));
        // Exp and logistic on one coordinate, n = 2: the exponential is
        // one-sided (base 0, A = 1), the logistic a perturbation with
        // M = ½ · 2, L = ½ · 4/4: (L + A M, A) = (1.5, 1).
        let c = two(Atom::Exp { a: 1.0, b: 3.0 }, Atom::Logistic { a: 2.0 }).unwrap();
        assert_tight("L0", c.pair.l0, 1.5);
        assert_eq!(c.pair.l1, 1.0);
        // Cosh is two exponentials: cosh(t)/2 + cosh(t)/2 = cosh: (1, 1).
        let c = two(Atom::Cosh { a: 1.0 }, Atom::Cosh { a: -1.0 }).unwrap();
        assert_tight("cosh", c.pair.l0, 1.0);
        assert_eq!(c.pair.l1, 1.0);
        // An exponential sum with a zero rate: the constant adds nothing.
        let c = one(vec![Atom::ExpSum {
            w: vec![1.0, 5.0],
            a: vec![2.0, 0.0],
        }])
        .unwrap();
        assert_eq!(c.pair, Pair::new(0.0, 2.0));
        // A quartic alone takes L1 = 1: (4, 1); next to an exponential of
        // rate 2 it takes L1 = 2: (4/4, 2).
        let c = one(vec![Atom::Quartic]).unwrap();
        assert_eq!(c.pair, Pair::new(4.0, QUARTIC_DEFAULT_L1));
        let c = one(vec![Atom::Quartic, Atom::Exp { a: -2.0, b: 0.0 }]).unwrap();
        assert_eq!(c.pair, Pair::new(1.0, 2.0));
        // A quartic and an exponential on the same coordinate: no rule,
        // whatever L1 (so `forced_l1` there does not matter).
        let refused = two(Atom::Quartic, Atom::Exp { a: -2.0, b: 0.0 }).unwrap_err();
        assert!(refused
            .to_string()
            .contains("exponential and quadratic or quartic"));
        // A quartic plus a logistic (n = 2): 4 · ½ + L + L1 M = 2 + 0.5 + 1.
        let c = two(Atom::Quartic, Atom::Logistic { a: 2.0 }).unwrap();
        assert_tight("L0", c.pair.l0, 3.5);
        assert_eq!(c.pair.l1, 1.0);
        // Logistic and log-cosh atoms only: a bounded part. Per coordinate
        // M_j = |a|, L_j = a²/4 (logistic) or a² (log cosh); M = ‖(M_j)‖,
        // L = max L_j: (2, 2) → M = 2√2, L = 4.
        let c = one(vec![Atom::Logistic { a: 2.0 }, Atom::LogCosh { a: 2.0 }]).unwrap();
        assert_tight("L0", c.pair.l0, 4.0);
        let (m, l) = c.bounded.unwrap();
        assert_tight("M", m, 8f64.sqrt());
        assert_tight("L", l, 4.0);
        // Refusals: exponential with quadratic or quartic; quartic with quadratic.
        for (a, b, what) in [
            (
                Atom::Exp { a: 1.0, b: 0.0 },
                Atom::Quadratic { a: 1.0 },
                "exponential and quadratic or quartic",
            ),
            (
                Atom::Quartic,
                Atom::Cosh { a: 1.0 },
                "exponential and quadratic or quartic",
            ),
            (
                Atom::Quartic,
                Atom::Quadratic { a: 1.0 },
                "quartic and quadratic",
            ),
        ] {
            match two(a, b) {
                Err(Error::NoCertificate { reason }) => {
                    assert!(
                        reason.starts_with("components[0, 1]: coordinate 0"),
                        "{reason}"
                    );
                    assert!(reason.contains(what), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// A rotation off orthogonal by `δ = ‖RᵀR − I‖` scales `L0` by `1 + δ`
    /// and `L1` by `(1 + δ)/√(1 − δ)`: `R = 1.1` has `δ = 0.21`, so
    /// `cosh` `(1, 1)` becomes `(1.21, 1.21/√0.79)`. `R = 2` is refused.
    #[test]
    fn rotations_off_orthogonal_inflate_the_constants_or_are_refused() {
        let rotated = |r: f64| Component::Separable {
            rotation: DMatrix::from_element(1, 1, r),
            shift: DVector::zeros(1),
            atoms: vec![Atom::Cosh { a: 1.0 }],
        };
        let c = certify_all(vec![rotated(1.1)]).unwrap();
        // δ is 0.21 up to the rounding of 1.1² (relative 1e-15).
        assert!(
            (c.pair.l0 - 1.21).abs() < 1e-12 && c.pair.l0 >= 1.21,
            "{:?}",
            c.pair
        );
        assert!(
            (c.pair.l1 - 1.21 / 0.79f64.sqrt()).abs() < 1e-12,
            "{:?}",
            c.pair
        );
        // An exact rotation by 90°: RᵀR = I, the constants barely move.
        let quarter = Component::Separable {
            rotation: DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]),
            shift: DVector::zeros(2),
            atoms: vec![Atom::Cosh { a: 1.0 }, Atom::Quadratic { a: 0.5 }],
        };
        let c = certify_all(vec![quarter]).unwrap();
        assert_tight("L0", c.pair.l0, 1.0);
        assert_tight("L1", c.pair.l1, 1.0);
        match certify_all(vec![rotated(2.0)]) {
            Err(Error::NoCertificate { reason }) => {
                assert!(
                    reason.starts_with("components[0]: rotation far from orthogonal"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        // Bounded parts are inflated too: logistic a = 2 has (M, L) = (2, 1);
        // with R = 1.1, M = √(4 · 1.21) = 2.2 and L = 1.21.
        let c = certify_all(vec![Component::Separable {
            rotation: DMatrix::from_element(1, 1, 1.1),
            shift: DVector::zeros(1),
            atoms: vec![Atom::Logistic { a: 2.0 }],
        }])
        .unwrap();
        let (m, l) = c.bounded.unwrap();
        assert!(
            (m - 2.2).abs() < 1e-12 && (l - 1.21).abs() < 1e-12,
            "{m}, {l}"
        );
    }

    #[test]
    fn instances_are_certified_whole_and_per_component() {
        use crate::clipping::Threshold;
        let v = |xs: &[f64]| DVector::from_column_slice(xs);
        let instance = Instance::new(
            Threshold::new(1.0).unwrap(),
            v(&[0.0, 0.0]),
            vec![
                exp_component(&[1.0, 0.0], 0.0),
                logistic_component(&[0.0, 2.0], 1.0),
            ],
        )
        .unwrap();
        let certification = certify(&instance).unwrap();
        assert_tight("L0", certification.f.pair.l0, 1.5);
        assert_eq!(certify_f(&instance).unwrap(), certification.f.pair);
        assert_eq!(certification.components.len(), 2);
        assert_tight("exp", certification.components[0].pair.l1, 1.0);
        assert_tight("logistic", certification.components[1].pair.l0, 1.0);
        // The same parameters in f32 (exact here) give the same certificate.
        let narrow = certify(&instance.cast::<f32>().unwrap()).unwrap();
        assert_eq!(narrow.f, certification.f);
        // A sampled lower bound above the certified L0 is a violation.
        let bound = |l0: f64| crate::smooth::estimator::LowerBound {
            l0,
            at: v(&[0.5, 0.25]),
            evaluations: 1,
        };
        assert!(certification.lower_bound_violations(&bound(1.0)).is_empty());
        let violations = certification.lower_bound_violations(&bound(2.0));
        assert_eq!(
            violations,
            vec![LowerBoundViolation {
                which: "f".into(),
                certified: certification.f.pair,
                sampled_l0: 2.0,
                at: vec![0.5, 0.25],
            }]
        );
    }

    /// A quartic next to a tiny exponential rate takes `L1 = 1e-200`:
    /// `4/L1²` overflows, and the coordinate is refused by name (not
    /// later, as an anonymous overflow of the average).
    #[test]
    fn an_overflowing_coordinate_is_refused_by_name() {
        let atoms = vec![Atom::Quartic, Atom::Exp { a: 1e-200, b: 0.0 }];
        let reason = refusal(vec![separable(&[0.0, 0.0], atoms)]);
        assert!(
            reason.starts_with("components[0]: coordinate 0: the constants overflow"),
            "{reason}"
        );
    }

    /// A quadratic with a zero Hessian is linear: no quadratic part, so
    /// the certificate keeps its global bounds `(‖c‖, 0)`.
    #[test]
    fn a_zero_hessian_adds_no_quadratic_part() {
        let c = certify_all(vec![Component::Quadratic {
            hessian: DMatrix::zeros(2, 2),
            linear: DVector::from_vec(vec![3.0, 4.0]),
            constant: 1.0,
        }])
        .unwrap();
        assert_eq!(c.pair, Pair::new(0.0, 0.0));
        let (m, l) = c.bounded.expect("a linear function has global bounds");
        assert_tight("M", m, 5.0);
        assert_eq!(l, 0.0);
        assert!(!c.rule.contains("quadratic"), "{}", c.rule);
    }

    /// `e1`, `−e1`, `e2`: the unit directions sum to `e2 ≠ 0`, but `±e1`
    /// are orthogonal to it (`cos θ = 0`): no open half-space holds all
    /// three, refused (a cone rule with `cos θ ≤ 0` would give `L1 < 0`).
    #[test]
    fn exponentials_on_a_closed_half_space_are_refused() {
        let reason = refusal(vec![
            exp_component(&[1.0, 0.0], 0.0),
            exp_component(&[-1.0, 0.0], 0.0),
            exp_component(&[0.0, 1.0], 0.0),
        ]);
        assert!(
            reason.starts_with("components[0, 1, 2]: exp components whose directions"),
            "{reason}"
        );
    }

    /// A zero rate is a constant term: it changes nothing, bit for bit
    /// (it is left out of both sides; counted on one as `ln 0 = −∞`, the
    /// outward rounding would turn it into `−f64::MAX` and loosen the bound).
    #[test]
    fn a_zero_rate_changes_no_bit_of_an_expsum_pair() {
        let pair = |w: &[f64], a: &[f64]| {
            let atom = Atom::ExpSum {
                w: w.to_vec(),
                a: a.to_vec(),
            };
            atom_pair(&atom, 1.0, 1.0)
        };
        let plain = pair(&[1.0, 1.0], &[1.0, -1.0]);
        assert_eq!(pair(&[1.0, 1.0, 3.0], &[1.0, -1.0, 0.0]), plain);
        assert_eq!(pair(&[3.0, 1.0, 1.0], &[0.0, 1.0, -1.0]), plain);
        assert_eq!(
            expsum_cross(&[1.0, 1.0, 3.0], &[1.0, -1.0, 0.0]),
            expsum_cross(&[1.0, 1.0], &[1.0, -1.0])
        );
    }

    /// The softmax rule refuses an overflowing `½λ_max/n` by its own name,
    /// even when `√2 (1/n)Σ‖a‖` is finite (a cargo-mutants survivor: with
    /// `&&` → `||` the overflow reached `combine` and was refused there
    /// without naming the rule).
    #[test]
    fn softmax_overflow_is_refused_by_its_rule() {
        let huge = Component::Softmax {
            a: DVector::from_vec(vec![1e160]),
            label: 1,
            classes: 2,
        };
        match certify_components(&[huge], 2) {
            Err(Error::NoCertificate { reason }) => {
                assert!(reason.contains("softmax features"), "{reason}");
                assert!(reason.starts_with("components[0]"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let fine = Component::Softmax {
            a: DVector::from_vec(vec![3.0]),
            label: 0,
            classes: 2,
        };
        let pair = certify_components(&[fine], 2).unwrap().pair;
        // ½‖a‖² = 4.5, rounded upward by a few ulps at most.
        assert!(pair.l0 >= 4.5 && pair.l0 <= 4.5 * (1.0 + 1e-14), "{pair:?}");
        assert_eq!(pair.l1, 0.0);
    }

    /// Softmax components are grouped by their class count (`p = dim/K`
    /// differs): `K = 2` with `a = (3, 0, 0)` and `K = 3` with `a = (0, 4)`
    /// in `dim = 6`, `n = 2`: `L = ½ · 9/2 + ½ · 16/2 = 6.25`.
    #[test]
    fn softmax_components_are_grouped_by_class_count() {
        let softmax = |a: &[f64], classes| Component::Softmax {
            a: DVector::from_column_slice(a),
            label: 0,
            classes,
        };
        let both = [softmax(&[3.0, 0.0, 0.0], 2), softmax(&[0.0, 4.0], 3)];
        let pair = certify_components(&both, 6).unwrap().pair;
        assert!(
            pair.l0 >= 6.25 && pair.l0 <= 6.25 * (1.0 + 1e-14),
            "{pair:?}"
        );
        assert_eq!(pair.l1, 0.0);
    }
}
