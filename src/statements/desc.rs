//! DESC-1..DESC-6: when the clipped direction descends (`theorems/DESC.md`).

use super::{witness, Statement, Witness};
use crate::clipping::clipped_norm;
use crate::direction::GradientSet;
use crate::generators::{acute_case, low_dimensional_case, pointwise_case, two_component_case};
use crate::real::{norm, Real};
use crate::statement;
use crate::tolerance::Comparison;

/// DESC-1: `⟨d, g⟩ = ‖g‖ (1/n) Σ min(‖g_i‖, γ) cos θ_i
/// = ‖g‖ (‖g‖ − (1/n) Σ_C (‖g_i‖ − γ) cos θ_i)`; both factors after `‖g‖ > 0`
/// therefore have the sign of `⟨d, g⟩`, which is the equivalence.
pub fn desc_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let parts = set.decomposition()?;
    let scale = set.mean_component_norm() * parts.grad_norm;
    Some(vec![
        Comparison::equal(
            "⟨d, g⟩ = ‖g‖ · (1/n) Σ min(‖g_i‖, γ) cos θ_i",
            parts.d_dot_g,
            parts.grad_norm * parts.mean_weighted_cos,
            scale,
        ),
        Comparison::equal(
            "⟨d, g⟩ = ‖g‖ (‖g‖ − (1/n) Σ_C (‖g_i‖ − γ) cos θ_i)",
            parts.d_dot_g,
            parts.grad_norm * (parts.grad_norm - parts.mean_clipped_excess_cos),
            scale,
        ),
    ])
}

/// DESC-2: acute angles and `g ≠ 0` give `⟨d, g⟩ ≥ min(1, γ/G)‖g‖² > 0`.
pub fn desc_2<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let descent = set.descent()?;
    if !descent.acute {
        return None;
    }
    let factor = (set.gamma() / descent.max_norm).min(T::one());
    Some(vec![Comparison::at_least(
        "acute ⇒ ⟨d, g⟩ ≥ min(1, γ/G)‖g‖²",
        descent.d_dot_g,
        factor * descent.grad_norm * descent.grad_norm,
        set.mean_component_norm() * descent.grad_norm,
    )])
}

/// DESC-3: `⟨d, g⟩ ≥ ‖g‖(‖g‖ − β₊)`, `β₊ ≤ β`, and
/// `β ≤ (1 − ρ)‖g‖ ⇒ ⟨d, g⟩ ≥ ρ‖g‖²` at the largest such `ρ > 0`.
pub fn desc_3<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let descent = set.descent()?;
    let grad_norm = descent.grad_norm;
    let scale = set.mean_component_norm() * grad_norm;
    let mut out = vec![
        Comparison::at_least(
            "⟨d, g⟩ ≥ ‖g‖(‖g‖ − β₊)",
            descent.d_dot_g,
            grad_norm * (grad_norm - descent.beta_plus),
            scale,
        ),
        Comparison::at_most(
            "β₊ ≤ β",
            descent.beta_plus,
            descent.beta,
            set.mean_component_norm(),
        ),
    ];
    let rho = T::one() - descent.beta / grad_norm;
    if rho > T::zero() {
        out.push(Comparison::at_least(
            "β ≤ (1 − ρ)‖g‖ ⇒ ⟨d, g⟩ ≥ ρ‖g‖²",
            descent.d_dot_g,
            rho * grad_norm * grad_norm,
            scale,
        ));
    }
    Some(out)
}

/// DESC-4: for `n = 2`, `4⟨d, g⟩ ≥ (m_1 − m_2)(s_1 − s_2) ≥ 0` with
/// `s_i = ‖g_i‖`, `m_i = min(s_i, γ)`.
pub fn desc_4<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    if set.len() != 2 {
        return None;
    }
    let gamma = set.threshold();
    let (s1, s2) = (set.norms()[0], set.norms()[1]);
    let (m1, m2) = (clipped_norm(s1, gamma), clipped_norm(s2, gamma));
    let d_dot_g = set.clipped_direction().dot(set.mean());
    let scale = (m1 + m2) * (s1 + s2);
    let product = (m1 - m2) * (s1 - s2);
    Some(vec![
        Comparison::at_least(
            "n = 2 ⇒ 4⟨d, g⟩ ≥ (m₁ − m₂)(s₁ − s₂)",
            T::of(4.0) * d_dot_g,
            product,
            scale,
        ),
        Comparison::nonnegative("(m₁ − m₂)(s₁ − s₂) ≥ 0", product, scale),
        Comparison::nonnegative("n = 2 ⇒ ⟨d, g⟩ ≥ 0", d_dot_g, scale),
    ])
}

/// DESC-5 (a claim the theory refutes): "for `n ≥ 3` the clipped direction
/// never ascends", `⟨d, g⟩ ≥ 0`.
pub fn desc_5<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    if set.len() < 3 {
        return None;
    }
    let g = set.mean();
    let grad_norm = norm(g);
    if grad_norm == T::zero() {
        return None;
    }
    Some(vec![Comparison::at_least(
        "n ≥ 3 ⇒ ⟨d, g⟩ ≥ 0",
        set.clipped_direction().dot(g),
        T::zero(),
        set.mean_component_norm() * grad_norm,
    )])
}

/// DESC-6: acute angles and `G ≤ max(‖g‖, γ)/ρ` imply CDC(ρ),
/// `⟨d, g⟩ ≥ ρ min(‖g‖, γ)‖g‖`; checked at the largest admissible
/// `ρ = min(1, max(‖g‖, γ)/G)`.
pub fn desc_6<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let descent = set.descent()?;
    if !descent.acute {
        return None;
    }
    let (grad_norm, gamma) = (descent.grad_norm, set.gamma());
    let rho = (grad_norm.max(gamma) / descent.max_norm).min(T::one());
    Some(vec![Comparison::at_least(
        "acute, G ≤ max(‖g‖, γ)/ρ ⇒ ⟨d, g⟩ ≥ ρ min(‖g‖, γ)‖g‖",
        descent.d_dot_g,
        rho * grad_norm.min(gamma) * grad_norm,
        set.mean_component_norm() * grad_norm,
    )])
}

/// The DESC-5 family `(n, −1, …, −1)` in one dimension with `γ = 1`:
/// `g = 1/n > 0` but `d = (1 − (n − 1))/n < 0` for every `n ≥ 3`.
pub fn desc_5_family(n: usize) -> Witness {
    let mut gradients = vec![vec![n as f64]];
    gradients.extend((1..n).map(|_| vec![-1.0]));
    let refs: Vec<&[f64]> = gradients.iter().map(Vec::as_slice).collect();
    witness("DESC-5 family (n, −1, …, −1), γ = 1", 1.0, &refs)
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        statement!(
            "DESC-1",
            "⟨d, g⟩ > 0 ⇔ Σ min(‖g_i‖, γ) cos θ_i > 0 ⇔ ‖g‖ > (1/n) Σ_C (‖g_i‖ − γ) cos θ_i",
            Holds,
            desc_1,
            pointwise_case,
            || vec![witness(
                "DESC-5 gradients: all three signs negative",
                1.0,
                &[&[30.0], &[-1.0], &[-1.0]]
            )]
        ),
        statement!(
            "DESC-2",
            "acute angles ⇒ ⟨d, g⟩ ≥ min(1, γ/G)‖g‖² > 0",
            Holds,
            desc_2,
            acute_case,
            || vec![witness(
                "γ ≥ G: d = g, equality",
                10.0,
                &[&[1.0, 0.5], &[0.5, 0.0]]
            )]
        ),
        statement!(
            "DESC-3",
            "⟨d, g⟩ ≥ ‖g‖(‖g‖ − β₊), β₊ ≤ β; β ≤ (1 − ρ)‖g‖ ⇒ ⟨d, g⟩ ≥ ρ‖g‖²",
            Holds,
            desc_3,
            pointwise_case,
            || vec![witness(
                "clipped gradient along g: equality in all three",
                1.0,
                &[&[3.0, 0.0], &[0.5, 0.0]]
            )]
        ),
        statement!(
            "DESC-4",
            "n = 2 ⇒ ⟨d, g⟩ ≥ (m₁ − m₂)(s₁ − s₂)/4 ≥ 0: two components never ascend",
            Holds,
            desc_4,
            two_component_case,
            || vec![
                witness("opposite directions: equality", 1.0, &[&[3.0], &[-0.5]]),
                witness(
                    "IG-6 stall at x = 4: d = 0 with g ≠ 0",
                    1.0,
                    &[&[-6.0], &[5.0]]
                ),
            ]
        ),
        statement!(
            "DESC-5",
            "claim refuted by the theory: n ≥ 3 ⇒ ⟨d, g⟩ ≥ 0",
            Fails,
            desc_5,
            low_dimensional_case,
            || vec![desc_5_family(3), desc_5_family(4), desc_5_family(8)]
        ),
        statement!(
            "DESC-6",
            "acute, G ≤ max(‖g‖, γ)/ρ ⇒ CDC(ρ): ⟨d, g⟩ ≥ ρ min(‖g‖, γ)‖g‖",
            Holds,
            desc_6,
            acute_case,
            || vec![witness(
                "identical gradients of norm 5 > γ: ρ = 1, equality",
                1.0,
                &[&[3.0, 4.0], &[3.0, 4.0]]
            )]
        ),
    ]
}
