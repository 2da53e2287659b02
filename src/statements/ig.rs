//! IG-1, IG-2, IG-6: clipped incremental gradient (`theorems/IG.md`).
//!
//! IG statements run one epoch of the method (`b = 1`, cyclic order) from
//! the instance's `x0` at the inner steps `α ∈ IG_STEPS / n`.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{statement, witness, Statement};
use crate::clipping::Threshold;
use crate::direction::GradientSet;
use crate::error::Result;
use crate::generators::pointwise_case;
use crate::incremental::{reference_epoch, run, RunConfig};
use crate::instance::{Component, Instance};
use crate::real::{norm, Real};
use crate::tolerance::Comparison;

/// Epoch steps `a = nα` the IG statements are checked at.
pub const IG_STEPS: [f64; 3] = [1e-3, 0.05, 0.5];

/// IG-1: `‖x_k^i − x_k‖ ≤ i α γ` along one epoch.
fn ig_1<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    let order: Vec<usize> = (0..n).collect();
    let gamma = instance.gamma.get();
    let mut out = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(n as f64);
        let iterates = reference_epoch(instance, &instance.x0, &order, alpha)?;
        let start = &iterates[0];
        for (i, x) in iterates.iter().enumerate().skip(1) {
            let bound = T::of(i as f64) * alpha * gamma;
            out.push(Comparison::at_most(
                "‖x_k^i − x_k‖ ≤ i α γ",
                norm(&(x - start)),
                bound,
                bound + norm(start) * T::of(i as f64),
            ));
        }
    }
    Ok(Some(out))
}

/// IG-2: `x_{k+1} = x_k − a d(x_k) − α e_k` with
/// `e_k = Σ_i [clip(g_{π(i)}(x_k^{i−1})) − clip(g_{π(i)}(x_k))]`, where
/// `x_{k+1}` comes from the engine and the inner iterates from the slow
/// reference; also engine = reference.
fn ig_2<T: Real>(instance: &Instance<T>) -> Result<Option<Vec<Comparison<T>>>> {
    let n = instance.n();
    let order: Vec<usize> = (0..n).collect();
    let gamma = instance.gamma;
    let x = &instance.x0;
    let at_start = instance.gradients_at(x)?;
    let d = at_start.clipped_direction();
    let mut out = Vec::new();
    for a in IG_STEPS {
        let alpha = T::of(a) / T::of(n as f64);
        let iterates = reference_epoch(instance, x, &order, alpha)?;
        let mut e = DVector::zeros(x.len());
        for (step, &i) in order.iter().enumerate() {
            let component = &instance.components[i];
            e += crate::clipping::clip(&component.gradient(&iterates[step]), gamma)?;
            e -= crate::clipping::clip(&component.gradient(x), gamma)?;
        }
        let config = RunConfig::new(alpha, 1, 1)?;
        let engine = run(instance, &config, false)?;
        let next = DVector::from_iterator(x.len(), engine.final_point.x.iter().map(|&v| T::of(v)));
        let formula = x - &d * T::of(a) - &e * alpha;
        let scale = norm(x) + T::of(a) * gamma.get() * T::of(3.0);
        out.push(Comparison::vectors_equal(
            "x_{k+1} = x_k − a d(x_k) − α e_k",
            &next,
            &formula,
            scale,
        ));
        out.push(Comparison::vectors_equal(
            "engine epoch = reference epoch",
            &next,
            &iterates[n],
            scale,
        ));
    }
    Ok(Some(out))
}

/// IG-6 (a claim the theory refutes): "where the clipped direction vanishes
/// the gradient does too", quantified as `‖g‖ ≤ max(1, G/γ) ‖d‖` (true under
/// acute angles by DESC-2).
pub fn ig_6<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let factor = (set.max_norm() / set.gamma()).max(T::one());
    let d = norm(&set.clipped_direction());
    Some(vec![Comparison::at_most(
        "‖g‖ ≤ max(1, G/γ) ‖d‖: d = 0 only at stationary points",
        set.mean_norm(),
        factor * d,
        set.mean_component_norm(),
    )])
}

/// Random smooth instances for the IG statements: `n ∈ 2..8` quadratic
/// (positive semidefinite `H = MᵀM`) and logistic components in
/// `dim ∈ 1..4`, `γ ∈ [0.1, 10]`, `x0 ∈ [−3, 3]^dim`.
pub fn ig_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=8, 1usize..=4)
        .prop_flat_map(|(n, dim)| {
            let component = (
                any::<bool>(),
                prop::collection::vec(-2.0..2.0f64, dim * dim),
                prop::collection::vec(-3.0..3.0f64, dim),
                any::<bool>(),
            );
            (
                -1.0..1.0f64,
                prop::collection::vec(-3.0..3.0f64, dim),
                prop::collection::vec(component, n),
            )
                .prop_map(move |(log_gamma, x0, parts)| {
                    let components = parts
                        .into_iter()
                        .map(|(quadratic, m, v, label)| {
                            let v = DVector::from_vec(v);
                            if quadratic {
                                let m = DMatrix::from_vec(dim, dim, m);
                                Component::Quadratic {
                                    hessian: m.transpose() * &m,
                                    linear: v,
                                    constant: 0.0,
                                }
                            } else {
                                Component::Logistic {
                                    a: v,
                                    label: if label { 1.0 } else { -1.0 },
                                }
                            }
                        })
                        .collect();
                    Instance {
                        gamma: Threshold::new(10f64.powf(log_gamma)).expect("γ > 0"),
                        x0: DVector::from_vec(x0),
                        components,
                        note: None,
                    }
                })
        })
        .boxed()
}

fn ig_witnesses() -> Vec<super::Witness> {
    let instance = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.0],
            "components":[{"kind":"linear","c":[2.0]},{"kind":"linear","c":[3.0]}]}"#,
        std::path::Path::new("<IG witness>"),
    )
    .expect("valid witness");
    vec![super::Witness {
        name: "gradients along one ray outside the ball: every step has length αγ, IG-1 is an equality",
        instance,
    }]
}

pub(super) fn statements() -> Vec<Statement> {
    vec![
        Statement {
            id: "IG-1",
            summary: "‖x_k^i − x_k‖ ≤ i α γ",
            expectation: super::Expectation::Holds,
            evaluate_f64: ig_1::<f64>,
            evaluate_f32: ig_1::<f32>,
            generator: ig_case,
            witnesses: ig_witnesses,
        },
        Statement {
            id: "IG-2",
            summary: "x_{k+1} = x_k − a d(x_k) − α e_k (engine = formula = reference)",
            expectation: super::Expectation::Holds,
            evaluate_f64: ig_2::<f64>,
            evaluate_f32: ig_2::<f32>,
            generator: ig_case,
            witnesses: ig_witnesses,
        },
        statement!(
            "IG-6",
            "claim refuted by the theory: ‖g‖ ≤ max(1, G/γ)‖d‖ (d = 0 ⇒ stationary)",
            Fails,
            ig_6,
            pointwise_case,
            || vec![
                witness(
                    "IG-6(a) at x = 4: gradients −6, 5 clip to −1, 1",
                    1.0,
                    &[&[-6.0], &[5.0]]
                ),
                witness(
                    "IG-6(b), ε = 0.01, at x = 20: gradients 30.4, −0.5, −0.5",
                    1.0,
                    &[&[30.4], &[-0.5], &[-0.5]]
                ),
            ]
        ),
    ]
}
