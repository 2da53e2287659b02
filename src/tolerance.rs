//! Comparisons, signed relative slacks, and the one tolerance rule.
//!
//! Every statement this crate checks is a list of [`Comparison`]s
//! `lhs ≤ rhs`, `lhs ≥ rhs` or `lhs = rhs`, each with a *scale*: the magnitude
//! of the quantities the two sides are computed from (for example the mean
//! component norm, or `γ`). The signed relative slack is
//!
//! $$ \mathrm{slack} = \frac{\mathrm{rhs} - \mathrm{lhs}}{\mathrm{scale}} \quad (\le), \qquad
//!    \frac{\mathrm{lhs} - \mathrm{rhs}}{\mathrm{scale}} \quad (\ge), \qquad
//!    -\frac{\lvert \mathrm{lhs} - \mathrm{rhs}\rvert}{\mathrm{scale}} \quad (=); $$
//!
//! negative means violated in exact arithmetic. A comparison computed in
//! floating point is *refuted* only when its slack is below
//! `−tolerance::<T>(terms)`, where
//!
//! $$ \mathrm{tol}_T(m) = 8\\, m\\, \varepsilon_T, \qquad m = n + \mathrm{dim} $$
//!
//! (`ε_T` the machine epsilon). Why: each side is built from at most two
//! chained sums of length `≤ n` and dot products of length `≤ dim`; Higham's
//! bound `|fl(Σ x_k) − Σ x_k| ≤ (m − 1) u Σ |x_k|` with `u = ε/2` gives an
//! error of at most `m ε · scale` per side when the scale bounds `Σ |x_k|`,
//! and a factor 4 covers the divisions, square roots and the other side.
//! `theorems/README.md` states this once and records the measured worst
//! ratio of rounding error to this tolerance.

use nalgebra::DVector;

use crate::real::{norm, Real};

/// How far a *strengthened* inequality moves its bound: by this fraction of
/// the bound's magnitude (`rhs ± 0.1 |rhs|`). Used by the falsifiability
/// checks: a bound tightened this much must be refuted by the generators.
pub const STRENGTHEN_INEQUALITY: f64 = 0.1;

/// How far a *perturbed* identity moves its right side: `rhs (1 + 10⁻³)`.
/// Far above the tolerance of either float type, so a refuted perturbation
/// shows the tolerance resolves errors of this size.
pub const PERTURB_IDENTITY: f64 = 1e-3;

/// Multiplier of `(n + dim) ε` in the tolerance; see the module docs.
pub const TOLERANCE_FACTOR: f64 = 8.0;

/// The tolerance on a relative slack for a case with `terms = n + dim`:
/// `8 · terms · ε_T`.
pub fn tolerance<T: Real>(terms: usize) -> T {
    T::of(TOLERANCE_FACTOR * terms.max(1) as f64) * T::epsilon()
}

/// `value < bound`, with NaN counting as below: a NaN slack is a refutation,
/// never a silent pass.
#[inline]
pub fn falls_below<T: Real>(value: T, bound: T) -> bool {
    value.is_nan() || value < bound
}

/// The relation a comparison asserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `lhs ≤ rhs`.
    AtMost,
    /// `lhs ≥ rhs`.
    AtLeast,
    /// `lhs = rhs` (for vectors: `lhs = ‖a − b‖`, `rhs = 0`).
    Equal,
}

/// One comparison of a statement at one case, with its signed relative slack
/// for the stated form and for a deliberately strengthened form.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<T> {
    /// Which part of the statement this is, e.g. `"‖clip v‖ = min(‖v‖, γ)"`.
    pub label: &'static str,
    /// The relation asserted.
    pub relation: Relation,
    /// Left side.
    pub lhs: T,
    /// Right side.
    pub rhs: T,
    /// Magnitude the slack is relative to (`> 0`).
    pub scale: T,
    /// Signed relative slack of the stated comparison.
    pub slack: T,
    /// Signed relative slack of the strengthened comparison (bound moved by
    /// [`STRENGTHEN_INEQUALITY`], identity perturbed by [`PERTURB_IDENTITY`]).
    pub strengthened_slack: T,
}

fn positive_scale<T: Real>(scale: T) -> T {
    if scale > T::zero() && scale.is_finite() {
        scale
    } else {
        T::min_positive_value()
    }
}

impl<T: Real> Comparison<T> {
    /// `lhs ≤ rhs`; strengthened: `lhs ≤ rhs − 0.1 |rhs|`.
    pub fn at_most(label: &'static str, lhs: T, rhs: T, scale: T) -> Self {
        let scale = positive_scale(scale);
        let moved = rhs - T::of(STRENGTHEN_INEQUALITY) * rhs.abs();
        Self {
            label,
            relation: Relation::AtMost,
            lhs,
            rhs,
            scale,
            slack: (rhs - lhs) / scale,
            strengthened_slack: (moved - lhs) / scale,
        }
    }

    /// `lhs ≥ rhs`; strengthened: `lhs ≥ rhs + 0.1 |rhs|`.
    pub fn at_least(label: &'static str, lhs: T, rhs: T, scale: T) -> Self {
        let scale = positive_scale(scale);
        let moved = rhs + T::of(STRENGTHEN_INEQUALITY) * rhs.abs();
        Self {
            label,
            relation: Relation::AtLeast,
            lhs,
            rhs,
            scale,
            slack: (lhs - rhs) / scale,
            strengthened_slack: (lhs - moved) / scale,
        }
    }

    /// `lhs = rhs`; perturbed: `lhs = (1 + 10⁻³) rhs`.
    pub fn equal(label: &'static str, lhs: T, rhs: T, scale: T) -> Self {
        let scale = positive_scale(scale);
        let moved = rhs * (T::one() + T::of(PERTURB_IDENTITY));
        Self {
            label,
            relation: Relation::Equal,
            lhs,
            rhs,
            scale,
            slack: -(lhs - rhs).abs() / scale,
            strengthened_slack: -(lhs - moved).abs() / scale,
        }
    }

    /// Vectors `a = b`, as `‖a − b‖ = 0`; perturbed: `a = (1 + 10⁻³) b`.
    pub fn vectors_equal(label: &'static str, a: &DVector<T>, b: &DVector<T>, scale: T) -> Self {
        let scale = positive_scale(scale);
        let gap = norm(&(a - b));
        let moved = norm(&(a - b * (T::one() + T::of(PERTURB_IDENTITY))));
        Self {
            label,
            relation: Relation::Equal,
            lhs: gap,
            rhs: T::zero(),
            scale,
            slack: -gap / scale,
            strengthened_slack: -moved / scale,
        }
    }

    /// `value ≥ 0`; strengthened: `value ≥ 0.1 · scale`. A bound of 0 has
    /// no magnitude for a relative tightening to move (`0 ± 0.1·|0| = 0`
    /// would strengthen nothing), so the wrong variant moves it by 10% of
    /// the comparison's scale: the claim that the quantity stays a fixed
    /// fraction of its size above 0, refuted wherever it vanishes.
    pub fn nonnegative(label: &'static str, value: T, scale: T) -> Self {
        let mut comparison = Self::at_least(label, value, T::zero(), scale);
        comparison.strengthened_slack =
            (value - T::of(STRENGTHEN_INEQUALITY) * comparison.scale) / comparison.scale;
        comparison
    }

    /// The same comparison with a stated *wrong variant* in place of the
    /// 10% move: its strengthened slack becomes that of `lhs` against
    /// `wrong_rhs` (for `≤`: `(wrong_rhs − lhs)/scale`; for `≥`:
    /// `(lhs − wrong_rhs)/scale`). For bounds the proof knowingly gives
    /// a constant factor away (IG-5 halves its leading term), a 10% move
    /// cannot be refuted; the wrong variant is then the bound without that
    /// factor, plus 10%, as the theorem document states.
    pub fn with_wrong_variant(mut self, wrong_rhs: T) -> Self {
        self.strengthened_slack = match self.relation {
            Relation::AtMost => (wrong_rhs - self.lhs) / self.scale,
            Relation::AtLeast => (self.lhs - wrong_rhs) / self.scale,
            Relation::Equal => -(self.lhs - wrong_rhs).abs() / self.scale,
        };
        self
    }

    /// The unscaled signed margin, whose sign is the slack's: `rhs − lhs`
    /// for `≤`, `lhs − rhs` for `≥`, `−|lhs − rhs|` for `=`. Evaluated in
    /// [`Interval`](crate::interval::Interval)s it encloses the exact margin
    /// (the certified verdicts read its sign).
    pub fn margin(&self) -> T {
        match self.relation {
            Relation::AtMost => self.rhs - self.lhs,
            Relation::AtLeast => self.lhs - self.rhs,
            Relation::Equal => -(self.lhs - self.rhs).abs(),
        }
    }

    /// Whether the stated comparison is refuted beyond rounding, for a case
    /// with `terms = n + dim`.
    pub fn is_refuted(&self, terms: usize) -> bool {
        falls_below(self.slack, -tolerance::<T>(terms))
    }
}

/// Keeps, of many comparisons, only those a verdict needs: per label, the
/// one with the smallest slack and the one with the smallest strengthened
/// slack. Statements over every pair `(g_i, g_j)` use it so that their
/// memory stays constant in `n` (the worst slack and the teeth are the
/// same as with every comparison kept).
#[derive(Clone, Debug)]
pub struct WorstComparisons<T> {
    kept: Vec<(Comparison<T>, Comparison<T>)>,
    /// Every comparison, for scalars that enclose ([`Real::ENCLOSES`]).
    all: Vec<Comparison<T>>,
}

impl<T> Default for WorstComparisons<T> {
    fn default() -> Self {
        Self {
            kept: Vec::new(),
            all: Vec::new(),
        }
    }
}

impl<T: Real> WorstComparisons<T> {
    /// Offers one comparison. Intervals keep every one: choosing the worst
    /// would compare overlapping enclosures, and a certificate must see
    /// every comparison.
    pub fn push(&mut self, comparison: Comparison<T>) {
        if T::ENCLOSES {
            self.all.push(comparison);
            return;
        }
        match self
            .kept
            .iter_mut()
            .find(|(w, _)| w.label == comparison.label)
        {
            Some((worst, strongest)) => {
                if falls_below(comparison.strengthened_slack, strongest.strengthened_slack) {
                    *strongest = comparison.clone();
                }
                if falls_below(comparison.slack, worst.slack) {
                    *worst = comparison;
                }
            }
            None => self.kept.push((comparison.clone(), comparison)),
        }
    }

    /// Whether nothing was offered.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.all.is_empty()
    }

    /// The kept comparisons (one or two per label; all of them for
    /// intervals).
    pub fn into_vec(self) -> Vec<Comparison<T>> {
        if T::ENCLOSES {
            return self.all;
        }
        let mut out = Vec::with_capacity(2 * self.kept.len());
        for (worst, strongest) in self.kept {
            let same = worst == strongest;
            out.push(worst);
            if !same {
                out.push(strongest);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slacks and their strengthened forms, pinned to exact values: a
    /// dropped sign or a changed constant (10%, 10⁻³) changes them.
    #[test]
    fn slacks_and_strengthened_slacks_are_pinned() {
        let close = |c: Comparison<f64>, slack: f64, strengthened: f64| {
            assert!(
                (c.slack - slack).abs() < 1e-15
                    && (c.strengthened_slack - strengthened).abs() < 1e-15,
                "{c:?}: expected {slack}, {strengthened}"
            );
        };
        close(Comparison::at_most("", 1.0, 2.0, 4.0), 0.25, 0.2);
        close(Comparison::at_most("", 1.0, -2.0, 4.0), -0.75, -0.8);
        close(Comparison::at_least("", 3.0, 2.0, 4.0), 0.25, 0.2);
        close(Comparison::at_least("", 3.0, -2.0, 4.0), 1.25, 1.2);
        // `x ≥ 0` moves its bound by 10% of the scale; wrong variants replace
        // the strengthened bound in the relation's direction.
        close(Comparison::nonnegative("", 1.0, 4.0), 0.25, 0.15);
        close(Comparison::nonnegative("", 0.0, 4.0), 0.0, -0.1);
        close(
            Comparison::at_least("", 3.0, 2.0, 4.0).with_wrong_variant(5.0),
            0.25,
            -0.5,
        );
        close(
            Comparison::at_most("", 3.0, 4.0, 4.0).with_wrong_variant(1.0),
            0.25,
            -0.5,
        );
        let c = Comparison::equal("", 3.0_f64, 3.0, 4.0).with_wrong_variant(1.0);
        assert_eq!((c.slack, c.strengthened_slack), (0.0, -0.5));
        // An identity off by 1 is refuted whichever side is larger.
        let c = Comparison::equal("", 3.0_f64, 2.0, 4.0);
        assert_eq!(c.slack, -0.25);
        assert!((c.strengthened_slack + 0.998 / 4.0).abs() < 1e-15);
        let c = Comparison::equal("", 1.0_f64, 2.0, 4.0);
        assert_eq!(c.slack, -0.25);
        let c = Comparison::equal("", 1000.0_f64, 1000.0, 1000.0);
        assert_eq!(c.slack, 0.0);
        assert!((c.strengthened_slack + 1e-3).abs() < 1e-15);
        let v = nalgebra::dvector![3.0_f64, 4.0];
        let c = Comparison::vectors_equal("", &v, &(&v * 0.5), 10.0);
        assert_eq!(c.slack, -0.25);
        assert!((c.strengthened_slack + 2.4975 / 10.0).abs() < 1e-15);
        // A non-positive or non-finite scale counts as the smallest positive one.
        let c = Comparison::at_most("", 1.0_f64, 2.0, 0.0);
        assert!(c.slack > 1e300);
        assert!(falls_below(f64::NAN, 0.0) && falls_below(-1.0, 0.0) && !falls_below(0.0, 0.0));
        // Refuted only beyond the tolerance 8 (n + dim) ε.
        let t = tolerance::<f64>(10);
        assert!(!Comparison::at_most("", 1.0 + 0.5 * t, 1.0, 1.0).is_refuted(10));
        assert!(Comparison::at_most("", 1.0 + 2.0 * t, 1.0, 1.0).is_refuted(10));
    }

    /// The tolerance's value, the margins' signs, and the refutation
    /// threshold, exactly.
    #[test]
    fn tolerance_margins_and_thresholds_are_pinned() {
        assert_eq!(tolerance::<f64>(10), 80.0 * f64::EPSILON);
        assert_eq!(tolerance::<f64>(0), 8.0 * f64::EPSILON);
        assert_eq!(tolerance::<f32>(3), 24.0 * f32::EPSILON);
        assert!(!falls_below(1.0, 0.0) && !falls_below(f64::INFINITY, 0.0));
        assert_eq!(Comparison::at_most("", 1.0, 3.0, 1.0).margin(), 2.0);
        assert_eq!(Comparison::at_least("", 1.0, 3.0, 1.0).margin(), -2.0);
        assert_eq!(Comparison::equal("", 1.0, 3.0, 1.0).margin(), -2.0);
        assert_eq!(Comparison::equal("", 3.0, 1.0, 1.0).margin(), -2.0);
        for bad in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            let c = Comparison::at_most("", 0.0, 1.0, bad);
            assert_eq!(c.scale, f64::MIN_POSITIVE, "scale {bad}");
        }
        assert_eq!(Comparison::at_most("", 0.0, 1.0, 0.5).scale, 0.5);
        // At exactly −tolerance a comparison holds; just below, it is refuted.
        let t = tolerance::<f64>(10);
        assert!(!Comparison::at_most("", t, 0.0, 1.0).is_refuted(10));
        assert!(Comparison::at_most("", 1.5 * t, 0.0, 1.0).is_refuted(10));
        assert!(Comparison::at_most("", f64::NAN, 0.0, 1.0).is_refuted(10));
    }

    /// One label whose worst and strengthened-worst come from different
    /// comparisons keeps both; intervals keep every comparison.
    #[test]
    fn worst_comparisons_keep_two_per_label_and_every_interval() {
        let mut kept = WorstComparisons::default();
        kept.push(Comparison::at_most("a", 0.0_f64, 1.0, 1.0)); // slack 1, strengthened 0.9
        kept.push(Comparison::at_most("a", 0.0_f64, -0.5, 1.0)); // slack −0.5, strengthened −0.55
        kept.push(Comparison::at_most("a", 9.6_f64, 10.0, 1.0)); // slack 0.4, strengthened −0.6
        kept.push(Comparison::at_most("a", 0.95_f64, 1.0, 1.0)); // slack 0.05, strengthened −0.05
        let kept = kept.into_vec();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].slack, -0.5);
        assert!((kept[1].strengthened_slack + 0.6).abs() < 1e-14);
        let mut all = WorstComparisons::<crate::interval::Interval>::default();
        assert!(all.is_empty());
        for k in 0..3 {
            let x = crate::interval::Interval::point(f64::from(k));
            all.push(Comparison::at_most("a", x, x, x));
        }
        assert!(!all.is_empty());
        assert_eq!(all.into_vec().len(), 3);
    }

    /// Keeping the worst comparisons per label keeps the worst slack and the
    /// worst strengthened slack.
    #[test]
    fn worst_comparisons_keep_what_a_verdict_needs() {
        let mut kept = WorstComparisons::default();
        assert!(kept.is_empty());
        kept.push(Comparison::at_most("a", 1.0_f64, 2.0, 1.0)); // slack 1, strengthened 0.8
        kept.push(Comparison::at_most("a", 0.0_f64, 0.5, 1.0)); // slack 0.5, strengthened 0.45
        kept.push(Comparison::at_most("a", 1.0_f64, 10.0, 1.0)); // slack 9, strengthened 8
        kept.push(Comparison::at_least("b", 1.0_f64, 1.0, 1.0));
        let kept = kept.into_vec();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].slack, 0.5);
        assert!((kept[0].strengthened_slack - 0.45).abs() < 1e-15);
        assert_eq!(kept[1].label, "b");
    }
}
