//! CONJ-1..3 (`theorems/CONJ.md`): conjectures, with their verdicts.

use crate::common;

// CONJ-1 was proved (theorems/CONJ.md), so it is checked like a lemma.
lemma!(conj_1, "CONJ-1");

// CONJ-2 is open: no counterexample within the explorer's budget
// (theorems/CONJ.md). The generator's cases must not refute it either.
proptest::proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn conj_2_no_counterexample_on_generator_cases(
        instance in cliptheory::statements::ig::ig_case()
    ) {
        let statement = common::statement("CONJ-2");
        if let Ok(Some(evaluation)) = statement.evaluate(&instance) {
            proptest::prop_assert!(!evaluation.is_refuted(), "{}", instance.to_json_string());
        }
    }
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
    for instance in cliptheory::report::draw_cases(common::statement("CONJ-2"), 64, 1) {
        if let Some(a) = conj_2_step(&instance) {
            let c = cliptheory::smooth::certificate::certify(&instance).unwrap();
            let l1 = c
                .components
                .iter()
                .map(|c| c.pair.l1)
                .fold(c.f.pair.l1, f64::max);
            assert!(l1 * a * instance.gamma.get() <= 1.0 + 1e-12);
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
        .components
        .iter()
        .map(|c| cliptheory::clipping::clip(&c.gradient(&instance.x0), instance.gamma).unwrap())
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
