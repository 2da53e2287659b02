//! Interval arithmetic with outward rounding: the third scalar type the
//! statements are evaluated in, to *certify* verdicts.
//!
//! An [`Interval`] `[lo, hi]` stands for an unknown real number in it. A
//! case's inputs (the `f64` numbers of an instance) are taken as exact reals,
//! i.e. as point intervals `[x, x]`; every operation returns an interval that
//! contains the exact real result of the operation on any reals in its
//! operands, so the interval an evaluator computes for `rhs − lhs` contains
//! the exact real value of `rhs − lhs` on that case. If it lies in `[0, ∞)`
//! the inequality holds on that case in real arithmetic; if it lies in
//! `(−∞, 0)`, it is violated (`theorems/README.md`, "Certified verdicts").
//!
//! # Rounding
//!
//! Each bound is computed in round-to-nearest and then moved outward only
//! when the result was inexact, which the error-free transformations detect
//! exactly: `TwoSum` for `+` and `−` (exact without overflow), the fused
//! multiply–add residual `a·b − p`, `a − q·b` and `x − s²` for `·`, `/` and
//! `sqrt` (exact when no operand or result is within `2^±900` of the
//! exponent range limits; outside that range the bound is moved one ulp
//! outward unconditionally, which is always enough: round-to-nearest is off
//! by at most half an ulp). Overflow rounds the inner bound to `±f64::MAX`.
//! Results are therefore exact points whenever the floating-point operation
//! was exact (sums of zeros, products by one, perfect squares), which keeps
//! enclosures of zero vectors and of exactly representable data exact.
//!
//! Why our own small type rather than the `inari` crate: `inari` is a
//! complete IEEE 1788 implementation, but it needs `-C target-cpu=haswell`
//! for every build of the workspace (its directed rounding uses AVX
//! rounding-mode instructions), which would change the numbers of the `f64`
//! and `f32` checks and make the binary unusable on older CPUs, and
//! correctly rounded `exp`/`ln` need its `gmp` feature, a C dependency. The
//! statements here need only `+ − · /`, `sqrt`, `abs`, `min`, `max` and
//! integer powers, all of which are exactly specified by IEEE 754 and fit in
//! the few hundred lines below, auditable next to their proofs.
//!
//! # What is not decided
//!
//! * **Comparisons** (`<`, `≤`, `==`, `partial_cmp`) between overlapping
//!   intervals cannot be decided: the code would take one branch where the
//!   exact reals might take the other. They set a thread-local flag that
//!   [`decided`] reads, and the whole evaluation is then *undecided* (the
//!   returned value is a guess and must not be used).
//! * **`min`, `max`, `abs`** are continuous functions, not branches: they
//!   are evaluated as interval functions (`min([a, b], [c, d]) = [min(a, c),
//!   min(b, d)]`), which is exact set-wise, and set no flag.
//! * **Transcendental functions** (`exp`, `ln`, trigonometric, hyperbolic,
//!   `powf`, `cbrt`) are not correctly rounded in the platform's libm, and
//!   this type does not guess an error bound for them: they return the
//!   whole real line and set the flag. Statements about exponential,
//!   logistic or log-cosh components are therefore undecided.
//! * **Division by an interval containing 0**, `sqrt` of an interval
//!   reaching below 0, `%`, and conversions of a non-point interval to a
//!   single float ([`Real::to_f64_lossless`], `ToPrimitive`) set the flag.
//!
//! No method panics.

use core::cell::Cell;
use core::cmp::Ordering;
use core::fmt;
use core::num::FpCategory;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use nalgebra::DVector;
use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

use crate::real::Real;

thread_local! {
    static UNDECIDED: Cell<bool> = const { Cell::new(false) };
    /// How many [`decided`] calls are running on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The payload that stops an undecided evaluation early (never a panic
/// message: `resume_unwind` does not run the panic hook).
struct Undecided;

/// Records that an operation could not be decided in interval arithmetic.
/// Inside [`decided`] (and where panics unwind) the evaluation stops here:
/// nothing it computes after an undecided branch could be used.
fn mark_undecided() {
    UNDECIDED.with(|u| u.set(true));
    #[cfg(panic = "unwind")]
    if DEPTH.with(Cell::get) > 0 {
        std::panic::resume_unwind(Box::new(Undecided));
    }
}

/// Runs `f` (an evaluation in [`Interval`]s) and returns its result iff
/// every comparison it made was decided and it used no unsupported
/// function: only then do the intervals it returns enclose the exact real
/// values of the same computation. `None` otherwise; the evaluation is
/// stopped at the first undecided operation (by unwinding, which skips the
/// panic hook), or, in builds with `panic = "abort"`, run to its end and
/// discarded. Panics of `f` itself propagate.
pub fn decided<R>(f: impl FnOnce() -> R) -> Option<R> {
    let outer = UNDECIDED.with(|u| u.replace(false));
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    let inner = UNDECIDED.with(|u| u.replace(outer));
    match result {
        Ok(value) => (!inner).then_some(value),
        Err(payload) if payload.is::<Undecided>() => None,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// `a < b` where the caller only chooses between two formulas that are
/// equal in exact arithmetic (a choice of accuracy, not of mathematics; for
/// example which of two vectors with the same orthogonal part to project).
/// Either choice gives a sound enclosure, so intervals decide by midpoints
/// and do not make the evaluation undecided.
pub fn accuracy_lt<T: Real>(a: T, b: T) -> bool {
    T::accuracy_lt(a, b)
}

/// A closed interval `[lo, hi]` of reals, `lo ≤ hi`, bounds in `f64`
/// (`±∞` allowed; never NaN). See the module docs.
#[derive(Clone, Copy, Debug)]
pub struct Interval {
    lo: f64,
    hi: f64,
}

/// The smallest positive subnormal `f64`.
const TINY: f64 = f64::from_bits(1);
/// Below this magnitude (and above its reciprocal) an error-free residual
/// might underflow or overflow: bounds are moved outward unconditionally.
const SAFE_LOW: f64 = f64::from_bits((1023 - 900) << 52); // 2^-900
const SAFE_HIGH: f64 = f64::from_bits((1023 + 900) << 52); // 2^900

/// The next `f64` above `x` (`+∞` stays): IEEE 754's `nextUp`.
#[inline]
fn next_up(x: f64) -> f64 {
    x.next_up()
}

/// The next `f64` below `x` (`−∞` stays): IEEE 754's `nextDown`.
#[inline]
fn next_down(x: f64) -> f64 {
    x.next_down()
}

#[inline]
fn safe(x: f64) -> bool {
    let a = x.abs();
    (SAFE_LOW..=SAFE_HIGH).contains(&a)
}

/// Bounds `(down, up)` of a rounded result `r` whose exact value differs
/// from it with the sign of `error` (`0`: exact; NaN: unknown).
#[inline]
fn around(r: f64, error: f64) -> (f64, f64) {
    if error == 0.0 {
        (r, r)
    } else if error > 0.0 {
        (r, next_up(r))
    } else if error < 0.0 {
        (next_down(r), r)
    } else {
        (next_down(r), next_up(r))
    }
}

/// Bounds of a finite operation's result `r` that overflowed or
/// underflowed to 0 (`positive`: the sign of the exact result).
fn out_of_range(r: f64, positive: bool) -> (f64, f64) {
    if r.is_infinite() {
        if r > 0.0 {
            (f64::MAX, f64::INFINITY)
        } else {
            (f64::NEG_INFINITY, -f64::MAX)
        }
    } else if r == 0.0 {
        if positive {
            (0.0, TINY)
        } else {
            (-TINY, 0.0)
        }
    } else {
        (next_down(r), next_up(r))
    }
}

/// `a + b` rounded down and up.
#[inline]
fn add_bounds(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    if s.is_finite() {
        // TwoSum (Knuth): s + error = a + b exactly (a, b are finite here).
        let bb = s - a;
        let error = (a - (s - bb)) + (b - bb);
        return around(s, error);
    }
    if a.is_infinite() || b.is_infinite() || s.is_nan() {
        (s, s)
    } else {
        out_of_range(s, s > 0.0)
    }
}

/// `a · b` rounded down and up (`0 · ∞ = 0`: bounds of reals are finite).
#[inline]
fn mul_bounds(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    if p.is_finite() && p.abs() >= SAFE_LOW {
        return around(p, a.mul_add(b, -p));
    }
    mul_bounds_slow(a, b, p)
}

#[cold]
fn mul_bounds_slow(a: f64, b: f64, p: f64) -> (f64, f64) {
    if a == 0.0 || b == 0.0 {
        return (0.0, 0.0);
    }
    if a.is_infinite() || b.is_infinite() || p.is_nan() {
        return (p, p);
    }
    if p.is_infinite() || p == 0.0 {
        return out_of_range(p, (a > 0.0) == (b > 0.0));
    }
    (next_down(p), next_up(p))
}

/// `a / b` rounded down and up, for `b ≠ 0`.
#[inline]
fn div_bounds(a: f64, b: f64) -> (f64, f64) {
    if a == 0.0 {
        return (0.0, 0.0);
    }
    let q = a / b;
    if a.is_infinite() || b.is_infinite() || q.is_nan() {
        return (q, q);
    }
    if q.is_infinite() || q == 0.0 {
        return out_of_range(q, (a > 0.0) == (b > 0.0));
    }
    if safe(a) && safe(b) && safe(q) {
        // a − q b exactly; the exact quotient exceeds q iff (a − q b)/b > 0.
        let r = (-q).mul_add(b, a);
        around(q, if b > 0.0 { r } else { -r })
    } else {
        (next_down(q), next_up(q))
    }
}

/// `sqrt(x)` rounded down and up, for `x ≥ 0`.
#[inline]
fn sqrt_bounds(x: f64) -> (f64, f64) {
    let s = x.sqrt();
    if x == 0.0 || x.is_infinite() {
        return (s, s);
    }
    if safe(x) {
        around(s, (-s).mul_add(s, x))
    } else {
        (next_down(s), next_up(s))
    }
}

impl Interval {
    /// The whole real line (the value of anything undecidable).
    pub const ENTIRE: Interval = Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };

    /// The point `[x, x]`: `x` taken as an exact real. NaN gives the whole
    /// line (and marks the evaluation undecided).
    pub fn point(x: f64) -> Self {
        Self::new(x, x)
    }

    /// `[lo, hi]`; NaN bounds or `lo > hi` give the whole line and mark the
    /// evaluation undecided.
    #[inline]
    pub fn new(lo: f64, hi: f64) -> Self {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            mark_undecided();
            return Self::ENTIRE;
        }
        // An overflowed real is finite: [∞, ∞] means (MAX, ∞].
        Self {
            lo: if lo == f64::INFINITY { f64::MAX } else { lo },
            hi: if hi == f64::NEG_INFINITY {
                -f64::MAX
            } else {
                hi
            },
        }
    }

    /// Lower bound.
    pub fn lo(self) -> f64 {
        self.lo
    }

    /// Upper bound.
    pub fn hi(self) -> f64 {
        self.hi
    }

    /// Whether it is a single number.
    #[inline]
    pub fn is_point(self) -> bool {
        self.lo == self.hi
    }

    /// Whether every number in it is `≥ 0`.
    pub fn is_nonnegative(self) -> bool {
        self.lo >= 0.0
    }

    /// Whether every number in it is `< 0`.
    pub fn is_negative(self) -> bool {
        self.hi < 0.0
    }

    /// The midpoint (a guess, for display and undecided branches).
    pub fn mid(self) -> f64 {
        if self.lo.is_infinite() || self.hi.is_infinite() {
            if self.lo.is_infinite() && self.hi.is_infinite() {
                0.0
            } else if self.lo.is_infinite() {
                self.hi
            } else {
                self.lo
            }
        } else {
            self.lo / 2.0 + self.hi / 2.0
        }
    }

    /// `x²` (tighter than `x · x` when `x` contains 0: never negative).
    pub fn square(self) -> Self {
        let a = self.abs();
        a * a
    }

    /// Marks the evaluation undecided and returns the whole line.
    fn undecided() -> Self {
        mark_undecided();
        Self::ENTIRE
    }

    fn map_bounds(self, f: fn(f64) -> f64) -> Self {
        Self::new(f(self.lo), f(self.hi))
    }
}

impl PartialEq for Interval {
    /// Decided when both are the same point or they are disjoint; otherwise
    /// undecided (marks the evaluation) and compares midpoints.
    fn eq(&self, other: &Self) -> bool {
        if self.is_point() && other.is_point() {
            self.lo == other.lo
        } else if self.hi < other.lo || other.hi < self.lo {
            false
        } else {
            mark_undecided();
            self.mid() == other.mid()
        }
    }
}

impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self.hi < other.lo {
            Some(Ordering::Less)
        } else if self.lo > other.hi {
            Some(Ordering::Greater)
        } else if self.is_point() && other.is_point() {
            Some(Ordering::Equal)
        } else {
            mark_undecided();
            self.mid().partial_cmp(&other.mid())
        }
    }

    fn lt(&self, other: &Self) -> bool {
        if self.hi < other.lo {
            true
        } else if self.lo >= other.hi {
            false
        } else {
            mark_undecided();
            self.mid() < other.mid()
        }
    }

    fn le(&self, other: &Self) -> bool {
        if self.hi <= other.lo {
            true
        } else if self.lo > other.hi {
            false
        } else {
            mark_undecided();
            self.mid() <= other.mid()
        }
    }

    fn gt(&self, other: &Self) -> bool {
        other.lt(self)
    }

    fn ge(&self, other: &Self) -> bool {
        other.le(self)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = f.precision() {
            write!(f, "[{:.*}, {:.*}]", p, self.lo, p, self.hi)
        } else {
            write!(f, "[{}, {}]", self.lo, self.hi)
        }
    }
}

impl fmt::LowerExp for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = f.precision() {
            write!(f, "[{:.*e}, {:.*e}]", p, self.lo, p, self.hi)
        } else {
            write!(f, "[{:e}, {:e}]", self.lo, self.hi)
        }
    }
}

impl Neg for Interval {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self {
            lo: -self.hi,
            hi: -self.lo,
        }
    }
}

impl Add for Interval {
    type Output = Self;
    #[inline]
    fn add(self, other: Self) -> Self {
        Self::new(
            add_bounds(self.lo, other.lo).0,
            add_bounds(self.hi, other.hi).1,
        )
    }
}

impl Sub for Interval {
    type Output = Self;
    #[inline]
    fn sub(self, other: Self) -> Self {
        self + (-other)
    }
}

impl Mul for Interval {
    type Output = Self;
    #[inline]
    fn mul(self, other: Self) -> Self {
        if self.is_point() && other.is_point() {
            let (lo, hi) = mul_bounds(self.lo, other.lo);
            return Self::new(lo, hi);
        }
        // The sign cases of the bounds: two products, except when both
        // contain 0 on the inside.
        let (a, b) = (self, other);
        let down = |x: f64, y: f64| mul_bounds(x, y).0;
        let up = |x: f64, y: f64| mul_bounds(x, y).1;
        if a.lo >= 0.0 {
            if b.lo >= 0.0 {
                Self::new(down(a.lo, b.lo), up(a.hi, b.hi))
            } else if b.hi <= 0.0 {
                Self::new(down(a.hi, b.lo), up(a.lo, b.hi))
            } else {
                Self::new(down(a.hi, b.lo), up(a.hi, b.hi))
            }
        } else if a.hi <= 0.0 {
            if b.lo >= 0.0 {
                Self::new(down(a.lo, b.hi), up(a.hi, b.lo))
            } else if b.hi <= 0.0 {
                Self::new(down(a.hi, b.hi), up(a.lo, b.lo))
            } else {
                Self::new(down(a.lo, b.hi), up(a.lo, b.lo))
            }
        } else if b.lo >= 0.0 {
            Self::new(down(a.lo, b.hi), up(a.hi, b.hi))
        } else if b.hi <= 0.0 {
            Self::new(down(a.hi, b.lo), up(a.lo, b.lo))
        } else {
            let lo = down(a.lo, b.hi).min(down(a.hi, b.lo));
            let hi = up(a.lo, b.lo).max(up(a.hi, b.hi));
            Self::new(lo, hi)
        }
    }
}

impl Div for Interval {
    type Output = Self;
    #[inline]
    fn div(self, other: Self) -> Self {
        if other.lo <= 0.0 && other.hi >= 0.0 {
            return Self::undecided();
        }
        if self.is_point() && other.is_point() {
            let (lo, hi) = div_bounds(self.lo, other.lo);
            return Self::new(lo, hi);
        }
        let quotients = [
            div_bounds(self.lo, other.lo),
            div_bounds(self.lo, other.hi),
            div_bounds(self.hi, other.lo),
            div_bounds(self.hi, other.hi),
        ];
        let lo = quotients.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = quotients
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max);
        Self::new(lo, hi)
    }
}

impl Rem for Interval {
    type Output = Self;
    /// Not supported: the whole line, undecided.
    fn rem(self, _other: Self) -> Self {
        Self::undecided()
    }
}

macro_rules! assign_ops {
    ($($trait:ident $method:ident $op:tt),*) => {$(
        impl $trait for Interval {
            fn $method(&mut self, other: Self) {
                *self = *self $op other;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *,
            DivAssign div_assign /, RemAssign rem_assign %);

impl Zero for Interval {
    fn zero() -> Self {
        Self::point(0.0)
    }
    fn is_zero(&self) -> bool {
        *self == Self::zero()
    }
}

impl One for Interval {
    fn one() -> Self {
        Self::point(1.0)
    }
}

impl Num for Interval {
    type FromStrRadixErr = num_traits::ParseFloatError;
    /// Parses a decimal as the interval one ulp either side of the nearest
    /// `f64` (the decimal need not be representable).
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        let x = f64::from_str_radix(s, radix)?;
        Ok(Self::new(next_down(x), next_up(x)))
    }
}

impl ToPrimitive for Interval {
    fn to_i64(&self) -> Option<i64> {
        self.to_f64().and_then(|x| x.to_i64())
    }
    fn to_u64(&self) -> Option<u64> {
        self.to_f64().and_then(|x| x.to_u64())
    }
    /// The point's value; for a wider interval its midpoint, and the
    /// evaluation is undecided.
    fn to_f64(&self) -> Option<f64> {
        Some(self.to_f64_lossless())
    }
}

impl NumCast for Interval {
    /// Integers up to `2^53` exactly; anything else one ulp either side.
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        let x = n.to_f64()?;
        let exact_integer =
            x.abs() <= 9_007_199_254_740_992.0 && n.to_i64().is_some_and(|i| i as f64 == x);
        Some(if exact_integer {
            Self::point(x)
        } else {
            Self::new(next_down(x), next_up(x))
        })
    }
}

/// Transcendental and other unsupported functions: the whole line, undecided.
macro_rules! unsupported {
    ($($name:ident),*) => {$(
        fn $name(self) -> Self {
            Self::undecided()
        }
    )*};
}

impl Float for Interval {
    fn nan() -> Self {
        Self::undecided()
    }
    fn infinity() -> Self {
        Self {
            lo: f64::INFINITY,
            hi: f64::INFINITY,
        }
    }
    fn neg_infinity() -> Self {
        Self {
            lo: f64::NEG_INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }
    fn neg_zero() -> Self {
        Self::zero()
    }
    fn min_value() -> Self {
        Self::point(f64::MIN)
    }
    fn min_positive_value() -> Self {
        Self::point(f64::MIN_POSITIVE)
    }
    fn epsilon() -> Self {
        Self::point(f64::EPSILON)
    }
    fn max_value() -> Self {
        Self::point(f64::MAX)
    }
    fn is_nan(self) -> bool {
        false
    }
    fn is_infinite(self) -> bool {
        self.lo.is_infinite() || self.hi.is_infinite()
    }
    fn is_finite(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
    fn is_normal(self) -> bool {
        if !self.is_point() {
            mark_undecided();
        }
        self.mid().is_normal()
    }
    fn classify(self) -> FpCategory {
        if !self.is_point() {
            mark_undecided();
        }
        self.mid().classify()
    }
    fn floor(self) -> Self {
        self.map_bounds(f64::floor)
    }
    fn ceil(self) -> Self {
        self.map_bounds(f64::ceil)
    }
    fn round(self) -> Self {
        self.map_bounds(f64::round)
    }
    fn trunc(self) -> Self {
        self.map_bounds(f64::trunc)
    }
    fn fract(self) -> Self {
        self - self.trunc()
    }
    fn abs(self) -> Self {
        if self.lo >= 0.0 {
            self
        } else if self.hi <= 0.0 {
            -self
        } else {
            Self {
                lo: 0.0,
                hi: (-self.lo).max(self.hi),
            }
        }
    }
    fn signum(self) -> Self {
        if self.lo > 0.0 {
            Self::one()
        } else if self.hi < 0.0 {
            -Self::one()
        } else if self.is_point() {
            // f64 convention: signum(±0) = ±1; 0 is taken as +0.
            Self::one()
        } else {
            mark_undecided();
            Self::new(-1.0, 1.0)
        }
    }
    fn is_sign_positive(self) -> bool {
        !self.is_sign_negative()
    }
    fn is_sign_negative(self) -> bool {
        if self.hi < 0.0 {
            true
        } else if self.lo >= 0.0 {
            false
        } else {
            mark_undecided();
            self.mid() < 0.0
        }
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    fn recip(self) -> Self {
        Self::one() / self
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Self::one();
        }
        if n < 0 {
            return self
                .powi(n.unsigned_abs().min(i32::MAX as u32) as i32)
                .recip();
        }
        let magnitude = self.abs();
        let mut even = Self::one();
        for _ in 0..(n - n % 2) {
            even *= magnitude;
        }
        if n % 2 == 0 {
            even
        } else {
            self * even
        }
    }
    fn powf(self, n: Self) -> Self {
        match n.to_integer_exponent() {
            Some(k) => self.powi(k),
            None => Self::undecided(),
        }
    }
    fn sqrt(self) -> Self {
        if self.hi < 0.0 {
            return Self::undecided();
        }
        let lo = if self.lo < 0.0 {
            mark_undecided();
            0.0
        } else {
            self.lo
        };
        Self::new(sqrt_bounds(lo).0, sqrt_bounds(self.hi).1)
    }
    unsupported!(
        exp, exp2, ln, log2, log10, cbrt, sin, cos, tan, asin, acos, atan, exp_m1, ln_1p, sinh,
        cosh, tanh, asinh, acosh, atanh
    );
    fn log(self, _base: Self) -> Self {
        Self::undecided()
    }
    fn max(self, other: Self) -> Self {
        Self {
            lo: self.lo.max(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
    fn min(self, other: Self) -> Self {
        Self {
            lo: self.lo.min(other.lo),
            hi: self.hi.min(other.hi),
        }
    }
    fn abs_sub(self, other: Self) -> Self {
        (self - other).max(Self::zero())
    }
    fn hypot(self, other: Self) -> Self {
        (self.square() + other.square()).sqrt()
    }
    fn atan2(self, _other: Self) -> Self {
        Self::undecided()
    }
    fn sin_cos(self) -> (Self, Self) {
        (Self::undecided(), Self::undecided())
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        if !self.is_point() {
            mark_undecided();
        }
        self.mid().integer_decode()
    }
}

impl Interval {
    /// `Some(k)` when this is the point `k`, an integer in `i32`.
    fn to_integer_exponent(self) -> Option<i32> {
        (self.is_point() && self.lo.fract() == 0.0 && self.lo.abs() <= 2_147_483_647.0)
            .then_some(self.lo as i32)
    }
}

impl Real for Interval {
    const NAME: &'static str = "interval";
    const ENCLOSES: bool = true;

    /// The point `[x, x]`: inputs are exact reals.
    fn of(x: f64) -> Self {
        Self::point(x)
    }

    /// Exact for a point; for a wider interval its midpoint, and the
    /// evaluation is undecided (a single float cannot carry the enclosure).
    fn to_f64_lossless(self) -> f64 {
        if !self.is_point() {
            mark_undecided();
        }
        self.mid()
    }

    /// `sqrt(Σ_k v_k²)` with each square enclosed from below by `0`: the
    /// exact real norm, without the float algorithm's range branches (which
    /// compute the same real number on either path).
    ///
    /// A vector with one entry that is not the point 0 has norm `|x|`,
    /// exactly (so `‖±γ e_k‖ = γ` compares decidably with `γ`).
    fn euclidean_norm(v: &DVector<Self>) -> Self {
        let mut nonzero = v.iter().filter(|x| !(x.lo == 0.0 && x.hi == 0.0));
        match (nonzero.next(), nonzero.next()) {
            (None, _) => Self::zero(),
            (Some(x), None) => x.abs(),
            _ => v.iter().fold(Self::zero(), |s, &x| s + x.square()).sqrt(),
        }
    }

    /// Midpoints, without marking the evaluation undecided (see
    /// [`accuracy_lt`]).
    fn accuracy_lt(a: Self, b: Self) -> bool {
        a.mid() < b.mid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(i: Interval, x: f64) -> bool {
        i.lo() <= x && x <= i.hi()
    }

    #[test]
    fn exact_operations_stay_points() {
        let (a, b) = (Interval::point(3.0), Interval::point(4.0));
        assert!((a * a + b * b).sqrt().is_point());
        assert_eq!((a * a + b * b).sqrt().lo(), 5.0);
        assert!((a - a).is_point());
        assert!((Interval::point(1.0) / Interval::point(4.0)).is_point());
    }

    #[test]
    fn inexact_operations_enclose_the_exact_value() {
        let third = Interval::point(1.0) / Interval::point(3.0);
        assert!(!third.is_point());
        assert!(third.hi() == next_up(third.lo()));
        // 3 · [1/3] contains 1
        assert!(contains(third * Interval::point(3.0), 1.0));
        let tenth = Interval::point(0.1) + Interval::point(0.2);
        // 0.1 + 0.2 in reals (of the two doubles) is not the double 0.3...
        assert!(contains(tenth, 0.30000000000000004) || contains(tenth, 0.3));
        let root = Interval::point(2.0).sqrt();
        assert!(root.lo() < root.hi());
        assert!(root.lo() * root.lo() <= 2.0);
    }

    #[test]
    fn overlapping_comparisons_are_undecided() {
        let third = Interval::point(1.0) / Interval::point(3.0);
        let undecided = decided(|| third * Interval::point(3.0) > Interval::one());
        assert!(undecided.is_none());
        let ok =
            decided(|| third < Interval::one() && Interval::point(2.0) == Interval::point(2.0));
        assert_eq!(ok, Some(true));
        // nested: the inner verdict does not leak out
        let outer = decided(|| decided(|| third == Interval::point(1.0) / Interval::point(3.0)));
        assert_eq!(outer, Some(None));
    }

    #[test]
    fn min_max_abs_are_functions_not_branches() {
        let x = Interval::new(-1.0, 2.0);
        let bounds = decided(|| {
            let (m, a) = (x.max(Interval::zero()), x.abs());
            [m.lo(), m.hi(), a.lo(), a.hi(), x.square().lo()]
        });
        assert_eq!(bounds, Some([0.0, 2.0, 0.0, 2.0, 0.0]));
    }

    #[test]
    fn unsupported_functions_do_not_panic() {
        let x = Interval::point(1.0);
        assert!(decided(|| x.exp() + x.ln() + x.sin() + x % x).is_none());
        assert!(decided(|| x / Interval::new(-1.0, 1.0)).is_none());
        assert!(decided(|| Interval::new(0.0, 1.0).to_f64_lossless()).is_none());
        // outside `decided`: the whole line, no panic
        assert!(!(x.exp() + x.ln()).is_finite());
        assert!(!(x / Interval::new(-1.0, 1.0)).is_finite());
    }

    #[test]
    fn overflow_and_underflow_round_outward() {
        let big = Interval::point(f64::MAX) * Interval::point(2.0);
        assert_eq!((big.lo(), big.hi()), (f64::MAX, f64::INFINITY));
        let small = Interval::point(TINY) * Interval::point(0.5);
        assert_eq!((small.lo(), small.hi()), (0.0, TINY));
        let negative = Interval::point(-TINY) / Interval::point(4.0);
        assert_eq!((negative.lo(), negative.hi()), (-TINY, 0.0));
    }
}
