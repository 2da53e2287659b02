//! BIAS-1..BIAS-5: the bias of the clipped direction at one point
//! (`theorems/BIAS.md`).

use super::{witness, Statement, Witness};
use crate::clipping::clip_factor;
use crate::direction::GradientSet;
use crate::generators::pointwise_case;
use crate::real::{dot, norm, Real};
use crate::statement;
use crate::tolerance::Comparison;

/// BIAS-1: `d − g = −(1/n) Σ_{i∈C} (1 − γ/‖g_i‖) g_i`; `γ ≥ G ⇒ d = g`.
pub fn bias_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (d, g) = (set.clipped_direction(), set.mean());
    let scale = set.mean_component_norm();
    let mut out = vec![Comparison::vectors_equal(
        "d − g = −(1/n) Σ_C (1 − γ/‖g_i‖) g_i",
        &(&d - g),
        &set.bias(),
        scale,
    )];
    if set.gamma() >= set.max_norm() {
        out.push(Comparison::vectors_equal("γ ≥ G ⇒ d = g", &d, g, scale));
    }
    Some(out)
}

/// BIAS-2: `‖d − g‖ ≤ β = (1/n) Σ_i (‖g_i‖ − γ)₊`.
pub fn bias_2<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let gap = norm(&(set.clipped_direction() - set.mean()));
    Some(vec![Comparison::at_most(
        "‖d − g‖ ≤ β",
        gap,
        set.beta(),
        set.mean_component_norm(),
    )])
}

/// BIAS-3: `⟨d, g⟩ = (‖g‖/n) Σ min(‖g_i‖, γ) cos θ_i`,
/// `⟨d − g, g⟩ = −(‖g‖/n) Σ_C (‖g_i‖ − γ) cos θ_i`, and
/// `(1/n) Σ ‖g_i‖ cos θ_i = ‖g‖`. Needs `g ≠ 0`.
pub fn bias_3<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let parts = set.decomposition()?;
    let angles = set.angles()?;
    let g = set.mean();
    let grad_norm = parts.grad_norm;
    let scale = set.mean_component_norm() * grad_norm;
    let projected = set
        .norms()
        .iter()
        .zip(&angles)
        .fold(T::zero(), |a, (&s, angle)| a + s * angle.cos)
        / T::of(set.len() as f64);
    Some(vec![
        Comparison::equal(
            "⟨d, g⟩ = (‖g‖/n) Σ min(‖g_i‖, γ) cos θ_i",
            parts.d_dot_g,
            grad_norm * parts.mean_weighted_cos,
            scale,
        ),
        Comparison::equal(
            "⟨d − g, g⟩ = −(‖g‖/n) Σ_C (‖g_i‖ − γ) cos θ_i",
            dot(&(set.clipped_direction() - g), g),
            -grad_norm * parts.mean_clipped_excess_cos,
            scale,
        ),
        Comparison::equal(
            "(1/n) Σ ‖g_i‖ cos θ_i = ‖g‖",
            projected,
            grad_norm,
            set.mean_component_norm(),
        ),
    ])
}

/// BIAS-4: `‖P⊥(d − g)‖ ≤ (1/n) Σ_C (‖g_i‖ − γ)|sin θ_i|`. Needs `g ≠ 0`.
pub fn bias_4<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let angles = set.angles()?;
    let orthogonal = set.orthogonal_part(&(set.clipped_direction() - set.mean()))?;
    let gamma = set.gamma();
    let bound = set
        .norms()
        .iter()
        .zip(&angles)
        .filter(|(&s, _)| s > gamma)
        .fold(T::zero(), |a, (&s, angle)| a + (s - gamma) * angle.sin)
        / T::of(set.len() as f64);
    Some(vec![Comparison::at_most(
        "‖P⊥(d − g)‖ ≤ (1/n) Σ_C (‖g_i‖ − γ)|sin θ_i|",
        norm(&orthogonal),
        bound,
        set.mean_component_norm(),
    )])
}

/// BIAS-5: `⟨clip g, g⟩ = min(‖g‖, γ)‖g‖`.
pub fn bias_5<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let g = set.mean();
    let grad_norm = norm(g);
    let clipped = g * clip_factor(grad_norm, set.threshold());
    let value = grad_norm.min(set.gamma()) * grad_norm;
    Some(vec![Comparison::equal(
        "⟨clip g, g⟩ = min(‖g‖, γ)‖g‖",
        dot(&clipped, g),
        value,
        value,
    )])
}

/// Witnesses of the BIAS-1 and BIAS-3 identities (any case is tight): the
/// DESC-5 gradients, where clipping changes everything, and a set with
/// nothing clipped and `G = γ`, where BIAS-1's `γ ≥ G ⇒ d = g` applies.
fn identity_witnesses() -> Vec<Witness> {
    vec![
        witness(
            "DESC-5 gradients (30, −1, −1), γ = 1",
            1.0,
            &[&[30.0], &[-1.0], &[-1.0]],
        ),
        witness(
            "nothing clipped, G = γ = 1: d = g exactly",
            1.0,
            &[&[0.6, 0.8], &[-0.25, 0.5]],
        ),
    ]
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        statement!(
            "BIAS-1",
            "d − g = −(1/n) Σ_C (1 − γ/‖g_i‖) g_i; γ ≥ G ⇒ d = g",
            Holds,
            bias_1,
            pointwise_case,
            identity_witnesses
        ),
        statement!(
            "BIAS-2",
            "‖d − g‖ ≤ β = (1/n) Σ (‖g_i‖ − γ)₊, equality iff clipped g_i are aligned",
            Holds,
            bias_2,
            pointwise_case,
            || vec![witness(
                "clipped gradients point the same way: equality",
                1.0,
                &[&[3.0, 0.0], &[5.0, 0.0], &[0.5, 0.5]]
            )]
        ),
        statement!(
            "BIAS-3",
            "⟨d, g⟩ = (‖g‖/n) Σ min(‖g_i‖, γ) cos θ_i",
            Holds,
            bias_3,
            pointwise_case,
            identity_witnesses
        ),
        statement!(
            "BIAS-4",
            "‖P⊥(d − g)‖ ≤ (1/n) Σ_C (‖g_i‖ − γ)|sin θ_i|",
            Holds,
            bias_4,
            pointwise_case,
            || vec![witness(
                "a single clipped gradient: equality",
                1.0,
                &[&[3.0, 1.0], &[0.2, -0.5]]
            )]
        ),
        statement!(
            "BIAS-5",
            "⟨clip g, g⟩ = min(‖g‖, γ)‖g‖: clipping the mean never misdirects",
            Holds,
            bias_5,
            pointwise_case,
            || vec![witness(
                "mean outside the ball",
                1.0,
                &[&[3.0, 4.0], &[1.0, 2.0]]
            )]
        ),
    ]
}
