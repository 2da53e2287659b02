//! CONJ-1..: open statements for the explorer (`theorems/CONJ.md`).

use super::{pairs, statement, witness, Statement};
use crate::clipping::clip_factor;
use crate::direction::GradientSet;
use crate::generators::pair_case;
use crate::real::{norm, Real};
use crate::tolerance::Comparison;

/// CONJ-1, the mixed case of CLIP-5:
/// `‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖, γ) max(‖v‖, γ)))`.
pub fn conj_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let (g, s, gamma) = (set.gradients(), set.norms(), set.threshold());
    let gm = gamma.get();
    let mut out = Vec::new();
    for (i, j) in pairs(set.len()) {
        let gap = norm(&(&g[i] * clip_factor(s[i], gamma) - &g[j] * clip_factor(s[j], gamma)));
        let distance = norm(&(&g[i] - &g[j]));
        let root = (s[i].max(gm) * s[j].max(gm)).sqrt();
        let factor = (gm / root).min(T::one());
        out.push(Comparison::at_most(
            "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)))",
            gap,
            distance * factor,
            (s[i] + s[j]) * factor + gm,
        ));
    }
    (!out.is_empty()).then_some(out)
}

pub(super) fn statements() -> Vec<Statement> {
    vec![statement!(
        "CONJ-1",
        "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)))",
        Proved,
        conj_1,
        pair_case,
        || vec![witness(
            "u on the sphere, v just outside (‖v‖ = γ(1 + 1e-8)): slack of order 1e-16",
            1.0,
            &[&[0.0, 1.0], &[1.0 + 1e-8, 0.0]]
        )]
    )]
}
