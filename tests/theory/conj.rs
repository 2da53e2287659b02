//! CONJ-1..3 (`theorems/CONJ.md`): conjectures, with their verdicts.

use crate::common;

// CONJ-1 was proved (theorems/CONJ.md), so it is checked like a lemma.
lemma!(conj_1, "CONJ-1");

// CONJ-2 is refuted (theorems/CONJ.md): a near-stationary point where the
// epoch's drift outweighs the promised decrease.
#[test]
fn conj_2_known_counterexample_refutes() {
    common::assert_known_counterexamples("CONJ-2");
}

/// The counterexample by hand: `f_i = ‖x − c_i‖²/2`, `c_1 = (−1, 0)`,
/// `c_2 = (1, 0)`, `x_k = (0, δ)`, `δ = 0.1`, certified `(1, 0)`, so `a = 1`,
/// `α = 1/2`. Then `x_{k+1} − x* = (δ u + w)/4` with `w = (1, 0)`, and
/// `f(x_{k+1}) − f* = (δ² + 1)/32 > δ²/2 = f(x_k) − f*`.
#[test]
fn conj_2_near_stationary_epoch_by_hand() {
    use cliptheory::incremental::reference_epoch;
    let statement = common::statement("CONJ-2");
    let instance = (statement.witnesses)()[0].instance.clone();
    assert_eq!(
        cliptheory::statements::conj::conj_2_step(&instance),
        Some(1.0)
    );
    let iterates = reference_epoch(&instance, instance.x0(), &[0, 1], 0.5).unwrap();
    assert_eq!(iterates[2].as_slice(), &[0.25, 0.025]);
    assert!((instance.value(instance.x0()) - 0.505).abs() < 1e-15);
    assert!((instance.value(&iterates[2]) - (0.5 + 1.01 / 32.0)).abs() < 1e-15);
    let evaluation = statement.evaluate(&instance).unwrap().unwrap();
    assert!(evaluation.is_refuted());
    assert!(evaluation.slack() < -0.02, "slack {}", evaluation.slack());
}

/// The step CONJ-2 takes satisfies its hypothesis `L1 a γ ≤ 1`; on
/// `x²/2` (certified `(1, 0)`) it is `a = 1`.
#[test]
fn conj_2_step_satisfies_l1_a_gamma_at_most_one() {
    use cliptheory::statements::conj::conj_2_step;
    let quadratic = cliptheory::instance::Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[1.0],
            "components":[{"kind":"quadratic","hessian":[[1.0]],"linear":[0.0],"constant":0.0}]}"#,
        std::path::Path::new("<inline>"),
    )
    .unwrap();
    assert_eq!(conj_2_step(&quadratic), Some(1.0));
    for instance in common::statement("CONJ-2").draw_cases(64, 1) {
        if let Some(a) = conj_2_step(&instance) {
            let c = cliptheory::smooth::certificate::certify(&instance).unwrap();
            let l1 = c
                .components
                .iter()
                .map(|c| c.pair.l1)
                .fold(c.f.pair.l1, f64::max);
            assert!(l1 * a * instance.gamma().get() <= 1.0 + 1e-12);
        }
    }
}

// CONJ-3 is refuted: the cyclic order can be the best order.
refuted_claim!(conj_3, "CONJ-3", 64);

/// The hand counterexample, exactly: `f_1 = x²/2`, `f_2 = 2x`, `γ = 1`,
/// `x_k = 0`. Cyclic: `x^1 = 0`, `f_2` is linear, so `e_k = 0`. Reversed:
/// `x^1 = −α`, `e_k = clip(−α) − clip(0) = −α`. Mean `α/2 > 0`.
#[test]
fn conj_3_cyclic_order_best_by_hand() {
    use cliptheory::statements::conj::{epoch_error, permutations};
    let statement = common::statement("CONJ-3");
    let instance = (statement.witnesses)()[0].instance.clone();
    let clipped: Vec<_> = instance
        .components()
        .iter()
        .map(|c| cliptheory::clipping::clip(&c.gradient(instance.x0()), instance.gamma()).unwrap())
        .collect();
    let alpha = 0.25;
    let norms: Vec<f64> = permutations(2)
        .iter()
        .map(|order| {
            epoch_error(&instance, &clipped, order, alpha)
                .unwrap()
                .norm()
        })
        .collect();
    assert_eq!(norms, vec![0.0, alpha]);
    let evaluation = statement.evaluate(&instance).unwrap().unwrap();
    // a = 0.5: α = 0.25, mean 0.125, scale 2nγ(1 + ‖x_k‖) = 4
    assert_eq!(evaluation.slack(), -0.125 / 4.0);
}

/// `permutations(n)` lists all `n!` orders once each, the identity first.
#[test]
fn conj_3_permutations_enumerate_all_orders() {
    use cliptheory::statements::conj::permutations;
    for n in 1..=6 {
        let all = permutations(n);
        let factorial: usize = (1..=n).product();
        assert_eq!(all.len(), factorial);
        assert_eq!(all[0], (0..n).collect::<Vec<_>>());
        let distinct: std::collections::BTreeSet<_> = all.iter().cloned().collect();
        assert_eq!(distinct.len(), factorial);
    }
}

/// CONJ-2 has teeth: demanding a 10% larger decrease is refuted by the
/// generator's cases.
#[test]
fn conj_2_strengthened_is_refuted() {
    common::assert_strengthened_refuted("CONJ-2");
}
