//! Special functions of the numeric base, written once for every layer:
//! the logistic function and its integral, `log cosh`, the softmax
//! cross-entropy's exponentials ([`softmax_exponentials`]), and the two
//! exponential remainders `φ₁`, `φ₂` of the relaxed-smoothness bounds
//! (SMOOTH-2, SMOOTH-3, IG-4).
//!
//! Each is evaluated without overflow for arguments of either sign.

use crate::real::Real;

/// The logistic function `σ(z) = 1/(1 + e^{−z})`, stable for either sign.
#[inline]
pub fn sigmoid<T: Real>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}

/// `log(1 + e^z) = max(z, 0) + log(1 + e^{−|z|})`, without overflow.
#[inline]
pub fn softplus<T: Real>(z: T) -> T {
    z.max(T::zero()) + (-z.abs()).exp().ln_1p()
}

/// `log cosh(z) = |z| + log(1 + e^{−2|z|}) − log 2`, without overflow.
#[inline]
pub fn log_cosh<T: Real>(z: T) -> T {
    let m = z.abs();
    m + (-(m + m)).exp().ln_1p() - T::of(std::f64::consts::LN_2)
}

/// The sums behind a softmax, kept free of cancellation; see
/// [`softmax_exponentials`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxSums<T> {
    /// `m = max_c z_c`.
    pub max: T,
    /// The first `j` with `z_j = m` (so `e_j = 1`).
    pub argmax: usize,
    /// `r = Σ_{c≠j} e_c`, so that `Σ_c e_c = 1 + r`.
    pub rest: T,
}

impl<T: Real> SoftmaxSums<T> {
    /// `S = Σ_c e_c = 1 + r ≥ 1`: `p_c = e_c / S`.
    #[inline]
    pub fn total(&self) -> T {
        T::one() + self.rest
    }

    /// `S − e_c = Σ_{c'≠c} e_{c'}`, so that `1 − p_c = (S − e_c)/S`: exactly
    /// `r` at the maximiser (where `S − e_j` would cancel when `p_j ≈ 1`);
    /// elsewhere `S − e_c ≥ e_j = 1` and the subtraction loses nothing.
    #[inline]
    pub fn complement(&self, c: usize, e_c: T) -> T {
        if c == self.argmax {
            self.rest
        } else {
            self.total() - e_c
        }
    }

    /// The cross-entropy `log Σ_c e^{z_c} − z_k = (m − z_k) + log(1 + r)`
    /// for the label's logit `z_k` (`log1p`, so a confident correct
    /// prediction, `r ≪ 1`, keeps its relative accuracy).
    #[inline]
    pub fn cross_entropy(&self, label_logit: T) -> T {
        (self.max - label_logit) + self.rest.ln_1p()
    }
}

/// Overwrites the logits `z` by `e_c = e^{z_c − m}`, `m = max_c z_c`, and
/// returns `m`, the first maximiser `j` and `r = Σ_{c≠j} e_c`. No
/// exponential overflows (every `z_c − m ≤ 0`), and the softmax
/// `p_c = e_c / (1 + r)`, its complements `1 − p_c` and the cross-entropy
/// follow without cancellation ([`SoftmaxSums`]).
pub fn softmax_exponentials<T: Real>(z: &mut [T]) -> SoftmaxSums<T> {
    let mut argmax = 0;
    for (c, &zc) in z.iter().enumerate() {
        if zc > z[argmax] {
            argmax = c;
        }
    }
    let max = z.get(argmax).copied().unwrap_or_else(T::zero);
    let mut rest = T::zero();
    for (c, zc) in z.iter_mut().enumerate() {
        if c == argmax {
            *zc = T::one();
        } else {
            *zc = (*zc - max).exp();
            rest += *zc;
        }
    }
    SoftmaxSums { max, argmax, rest }
}

/// `φ₁(s) = (e^s − 1)/s` (`1` at `s = 0`): SMOOTH-2's bound is
/// `(L0 + L1‖∇f(x)‖) r φ₁(L1 r)`.
pub fn phi1<T: Real>(s: T) -> T {
    if s.abs() < T::of(1e-8) {
        T::one() + s / T::of(2.0)
    } else {
        s.exp_m1() / s
    }
}

/// `φ₂(s) = (e^s − 1 − s)/s²` (`1/2` at `s = 0`): SMOOTH-3's bound is
/// `(L0 + L1‖∇f(x)‖) r² φ₂(L1 r)`, and `K_c = 2 φ₂(c)`. For `|s| < 1/2` the
/// series `Σ_k s^k/(k + 2)!` (16 terms, truncation below `10⁻¹⁷`) avoids
/// the cancellation in `e^s − 1 − s`.
pub fn phi2<T: Real>(s: T) -> T {
    if s.abs() < T::of(0.5) {
        // Horner on Σ_{k<16} s^k/(k+2)!.
        let mut factorials = [1.0f64; 16];
        let mut f = 2.0;
        for (k, slot) in factorials.iter_mut().enumerate() {
            *slot = 1.0 / f;
            f *= (k + 3) as f64;
        }
        factorials
            .iter()
            .rev()
            .fold(T::zero(), |acc, &c| acc * s + T::of(c))
    } else {
        (s.exp_m1() - s) / (s * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_at_both_ends() {
        assert_eq!(sigmoid(-800.0_f64), 0.0);
        assert_eq!(sigmoid(800.0_f64), 1.0);
        assert!((softplus(800.0_f64) - 800.0).abs() < 1e-12);
        assert!(softplus(-800.0_f64) >= 0.0);
        assert!((log_cosh(1000.0_f64) - (1000.0 - std::f64::consts::LN_2)).abs() < 1e-9);
        assert!((phi2(1e-9_f64) - (0.5 + 1e-9 / 6.0)).abs() < 1e-15);
        assert!((phi2(1.0_f64) - (1.0f64.exp() - 2.0)).abs() < 1e-15);
        assert!((phi1(1.0_f64) - (1.0f64.exp() - 1.0)).abs() < 1e-15);
    }

    /// The softmax sums against the textbook formulas, and where the
    /// textbook loses: `1 − p_j` and the cross-entropy of a confident
    /// correct prediction, which `1 − e^{z_j}/Σ e^z` rounds to `0`.
    #[test]
    fn softmax_sums_match_the_definitions_and_keep_small_complements() {
        let z = [0.5_f64, -1.0, 2.0, 2.0];
        let mut e = z;
        let sums = softmax_exponentials(&mut e);
        let total: f64 = z.iter().map(|v| v.exp()).sum();
        assert_eq!(sums.argmax, 2, "the first maximiser");
        assert_eq!(sums.max, 2.0);
        for c in 0..4 {
            let p = z[c].exp() / total;
            assert!((e[c] / sums.total() - p).abs() < 1e-15, "p_{c}");
            assert!((sums.complement(c, e[c]) / sums.total() - (1.0 - p)).abs() < 1e-15);
        }
        for (k, &zk) in z.iter().enumerate() {
            let textbook = total.ln() - zk;
            assert!((sums.cross_entropy(zk) - textbook).abs() < 1e-15, "ℓ_{k}");
        }
        // z = (40, 0): 1 − p_0 = 1/(1 + e^40) ≈ 4.25e-18, below the ulp of 1.
        let mut e = [40.0_f64, 0.0];
        let sums = softmax_exponentials(&mut e);
        let exact = 1.0 / (1.0 + 40.0f64.exp());
        let complement = sums.complement(0, e[0]) / sums.total();
        assert!(
            (complement - exact).abs() <= 1e-15 * exact,
            "{complement} vs {exact}"
        );
        assert!((sums.cross_entropy(40.0) - exact).abs() <= 1e-15 * exact);
        // Large logits do not overflow.
        let mut e = [1e308_f64, -1e308];
        let sums = softmax_exponentials(&mut e);
        assert_eq!((sums.rest, sums.cross_entropy(1e308)), (0.0, 0.0));
    }

    /// Mid-range values against the textbook formulas, both branches.
    #[test]
    fn match_the_definitions_in_mid_range() {
        let e = 1.0f64.exp();
        for t in [-3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0f64] {
            assert!(
                (sigmoid(t) - 1.0 / (1.0 + (-t).exp())).abs() < 1e-15,
                "σ({t})"
            );
            assert!(
                (softplus(t) - t.exp().ln_1p()).abs() < 1e-15,
                "softplus({t})"
            );
            assert!((log_cosh(t) - t.cosh().ln()).abs() < 1e-14, "log cosh({t})");
            assert!(
                (phi1(t) - t.exp_m1() / t).abs() < 1e-14 || t == 0.0,
                "φ₁({t})"
            );
            assert!(
                (phi2(t) - (t.exp() - 1.0 - t) / (t * t)).abs() < 1e-12 || t == 0.0,
                "φ₂({t})"
            );
        }
        assert_eq!(sigmoid(0.0_f64), 0.5);
        // The series branches below |s| = 1e-8 (φ₁) and 1/2 (φ₂).
        assert_eq!(phi1(0.0_f64), 1.0);
        assert!((phi1(1e-9_f64) - (1.0 + 5e-10)).abs() < 1e-16);
        assert!((phi1(-1e-9_f64) - (1.0 - 5e-10)).abs() < 1e-16);
        assert_eq!(phi2(0.0_f64), 0.5);
        assert!((sigmoid(-1.0_f64) - 1.0 / (1.0 + e)).abs() < 1e-16);
    }
}
