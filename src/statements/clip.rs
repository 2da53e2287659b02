//! CLIP-1..CLIP-5: the clipping operator (`theorems/CLIP.md`).

use nalgebra::DVector;

use super::{pairs, witness, Statement};
use crate::clipping::{clip_factor, clipped_norm, excess, Threshold};
use crate::direction::GradientSet;
use crate::generators::{pair_case, pointwise_case};
use crate::real::{dot, norm, Real};
use crate::statement;
use crate::tolerance::{Comparison, WorstComparisons};

/// The scalings `t` CLIP-4 is checked at: a small, a generic and a large
/// factor, none a power of two (those would make the check exact by luck).
pub const CLIP_4_SCALINGS: [f64; 3] = [0.37, 3.0, 1.0e3];

fn clipped<T: Real>(v: &DVector<T>, s: T, gamma: Threshold<T>) -> DVector<T> {
    v * clip_factor(s, gamma)
}

/// CLIP-1: `‖clip v‖ = min(‖v‖, γ)` and `‖v − clip v‖ = (‖v‖ − γ)_+`.
pub fn clip_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let gamma = set.threshold();
    let mut out = Vec::with_capacity(2 * set.len());
    for (v, &s) in set.gradients().iter().zip(set.norms()) {
        let c = clipped(v, s, gamma);
        let scale = s.max(gamma.get());
        out.push(Comparison::equal(
            "‖clip v‖ = min(‖v‖, γ)",
            norm(&c),
            clipped_norm(s, gamma),
            scale,
        ));
        out.push(Comparison::equal(
            "‖v − clip v‖ = (‖v‖ − γ)₊",
            norm(&(v - &c)),
            excess(s, gamma),
            scale,
        ));
    }
    Some(out)
}

/// CLIP-2: firm nonexpansiveness, for every pair `(g_i, g_j)`.
pub fn clip_2<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (g, s, gamma) = (set.gradients(), set.norms(), set.threshold());
    let mut out = WorstComparisons::default();
    for (i, j) in pairs(set.len()) {
        let (cu, cv) = (clipped(&g[i], s[i], gamma), clipped(&g[j], s[j], gamma));
        let (dc, dx) = (&cu - &cv, &g[i] - &g[j]);
        let clipped_sizes = clipped_norm(s[i], gamma) + clipped_norm(s[j], gamma);
        out.push(Comparison::at_most(
            "‖clip u − clip v‖² ≤ ⟨clip u − clip v, u − v⟩",
            dot(&dc, &dc),
            dot(&dc, &dx),
            clipped_sizes * (s[i] + s[j]),
        ));
        out.push(Comparison::at_most(
            "‖clip u − clip v‖ ≤ ‖u − v‖",
            norm(&dc),
            norm(&dx),
            s[i] + s[j],
        ));
    }
    (!out.is_empty()).then(|| out.into_vec())
}

/// CLIP-3: `⟨clip v, v⟩ = min(‖v‖, γ)‖v‖ ≥ ‖clip v‖²`.
pub fn clip_3<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let gamma = set.threshold();
    let mut out = Vec::with_capacity(2 * set.len());
    for (v, &s) in set.gradients().iter().zip(set.norms()) {
        let c = clipped(v, s, gamma);
        let inner = dot(&c, v);
        let scale = clipped_norm(s, gamma) * s;
        out.push(Comparison::equal(
            "⟨clip v, v⟩ = min(‖v‖, γ)‖v‖",
            inner,
            clipped_norm(s, gamma) * s,
            scale,
        ));
        out.push(Comparison::at_least(
            "⟨clip v, v⟩ ≥ ‖clip v‖²",
            inner,
            dot(&c, &c),
            scale,
        ));
    }
    Some(out)
}

/// CLIP-4: `clip_{tγ}(t v) = t clip_γ(v)` for `t ∈ CLIP_4_SCALINGS`, and
/// `clip(clip v) = clip v`.
pub fn clip_4<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let gamma = set.threshold();
    let mut out = Vec::new();
    for (v, &s) in set.gradients().iter().zip(set.norms()) {
        let c = clipped(v, s, gamma);
        let size = clipped_norm(s, gamma);
        for t in CLIP_4_SCALINGS.map(T::of) {
            let scaled_gamma = Threshold::new(t * gamma.get()).ok()?;
            let tv = v * t;
            let lhs = clipped(&tv, norm(&tv), scaled_gamma);
            out.push(Comparison::vectors_equal(
                "clip_{tγ}(t v) = t clip_γ(v)",
                &lhs,
                &(&c * t),
                t * size,
            ));
        }
        let twice = clipped(&c, norm(&c), gamma);
        out.push(Comparison::vectors_equal(
            "clip(clip v) = clip v",
            &twice,
            &c,
            size,
        ));
    }
    Some(out)
}

/// CLIP-5: outside the ball `‖clip u − clip v‖ ≤ γ‖u − v‖/sqrt(‖u‖‖v‖)`;
/// everywhere `‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/min(‖u‖, ‖v‖))`.
pub fn clip_5<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (g, s, gamma) = (set.gradients(), set.norms(), set.threshold());
    let gm = gamma.get();
    let mut out = WorstComparisons::default();
    for (i, j) in pairs(set.len()) {
        let gap = norm(&(clipped(&g[i], s[i], gamma) - clipped(&g[j], s[j], gamma)));
        let distance = norm(&(&g[i] - &g[j]));
        let smaller = s[i].min(s[j]);
        let factor = if smaller > gm { gm / smaller } else { T::one() };
        out.push(Comparison::at_most(
            "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/min(‖u‖,‖v‖))",
            gap,
            distance * factor,
            (s[i] + s[j]) * factor + gm,
        ));
        if s[i] >= gm && s[j] >= gm {
            let root = (s[i] * s[j]).sqrt();
            out.push(Comparison::at_most(
                "‖u‖,‖v‖ ≥ γ ⇒ ‖clip u − clip v‖ ≤ γ‖u − v‖/sqrt(‖u‖‖v‖)",
                gap,
                gm * distance / root,
                gm * (s[i] + s[j]) / root,
            ));
        }
    }
    (!out.is_empty()).then(|| out.into_vec())
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        statement!(
            "CLIP-1",
            "‖clip v‖ = min(‖v‖, γ); ‖v − clip v‖ = (‖v‖ − γ)₊",
            Holds,
            clip_1,
            pointwise_case,
            || vec![witness(
                "3-4-5 vector, clipped to the unit ball",
                1.0,
                &[&[3.0, 4.0]]
            )]
        ),
        crate::instance_statement!(
            "CLIP-2",
            "firmly nonexpansive: ‖clip u − clip v‖² ≤ ⟨clip u − clip v, u − v⟩",
            Holds,
            clip_2_pairs,
            pair_case,
            || vec![witness(
                "both inside the ball: clip is the identity",
                1.0,
                &[&[0.3, 0.4], &[-0.2, 0.1]]
            )]
        ),
        statement!(
            "CLIP-3",
            "⟨clip v, v⟩ = min(‖v‖, γ)‖v‖ ≥ ‖clip v‖²",
            Holds,
            clip_3,
            pointwise_case,
            || vec![witness(
                "inside the ball: ⟨v, v⟩ = ‖v‖²",
                1.0,
                &[&[0.3, 0.4]]
            )]
        ),
        statement!(
            "CLIP-4",
            "clip_{tγ}(t v) = t clip_γ(v) for t > 0; clip ∘ clip = clip",
            Holds,
            clip_4,
            pointwise_case,
            || vec![witness(
                "one vector outside, one inside",
                1.0,
                &[&[3.0, 4.0], &[0.1, 0.2]]
            )]
        ),
        crate::instance_statement!(
            "CLIP-5",
            "‖u‖,‖v‖ ≥ γ ⇒ ‖clip u − clip v‖ ≤ γ‖u − v‖/sqrt(‖u‖‖v‖)",
            Holds,
            clip_5_pairs,
            pair_case,
            || vec![witness(
                "equal norms 3 > γ = 1: ratio exactly γ/‖u‖",
                1.0,
                &[&[3.0, 0.0], &[0.0, 3.0]]
            )]
        ),
    ]
}

/// CLIP-2 on an instance: [`super::pairwise`] (capped at
/// [`super::MAX_PAIRWISE_COMPONENTS`] components).
fn clip_2_pairs<T: Real>(
    instance: &crate::instance::Instance<T>,
) -> crate::error::Result<Option<Vec<Comparison<T>>>> {
    super::pairwise(instance, clip_2)
}

/// CLIP-5 on an instance: [`super::pairwise`] (capped at
/// [`super::MAX_PAIRWISE_COMPONENTS`] components).
fn clip_5_pairs<T: Real>(
    instance: &crate::instance::Instance<T>,
) -> crate::error::Result<Option<Vec<Comparison<T>>>> {
    super::pairwise(instance, clip_5)
}
