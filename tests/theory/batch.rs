//! BATCH-1..BATCH-4 (`theorems/BATCH.md`).

use std::path::Path;

use cliptheory::batch::exact::enumerate_batches;
use cliptheory::direction::GradientsAt;
use cliptheory::instance::Instance;
use cliptheory::statements::find;

lemma!(batch_1, "BATCH-1");
lemma!(batch_2, "BATCH-2");
lemma!(batch_3, "BATCH-3");
refuted_claim!(batch_4, "BATCH-4", 2000);

fn fixture(name: &str) -> Instance<f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Instance::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The saved BATCH-4 instance gives the spec's values `E[cos θ_B] = 0.5, 0,
/// −0.5, 1` for `b = 1..4`, and refutes the claim in both float types.
#[test]
fn batch_4_fixture_has_the_spec_values() {
    let instance = fixture("batch_4_counterexample.json");
    let set = instance.gradients_at_start().expect("valid");
    let all = enumerate_batches(set.gradients()).expect("n = 4");
    let means: Vec<f64> = all
        .by_size
        .iter()
        .map(|b| b.mean_cos().expect("g ≠ 0"))
        .collect();
    for (got, want) in means.iter().zip([0.5, 0.0, -0.5, 1.0]) {
        assert!((got - want).abs() < 1e-12, "E[cos θ_B] = {means:?}");
    }
    let statement = find("BATCH-4").expect("registered");
    for refuted in [
        statement
            .evaluate(&instance)
            .expect("evaluates")
            .map(|e| e.is_refuted()),
        statement
            .evaluate(&instance.cast::<f32>().expect("cast"))
            .expect("evaluates")
            .map(|e| e.is_refuted()),
    ] {
        assert_eq!(refuted, Some(true));
    }
}

/// The BATCH-3 bound is sharp as a constant: on `g ± ε e⊥` the ratio
/// `E[sin² θ_B] / c_1 = 1/(1 + ε²)` tends to 1 (here `ε = 10⁻³`).
#[test]
fn batch_3_ratio_to_bound_tends_to_one() {
    for epsilon in [1e-1f64, 1e-2, 1e-3] {
        let gradients = vec![
            nalgebra::dvector![1.0, epsilon],
            nalgebra::dvector![1.0, -epsilon],
        ];
        let all = enumerate_batches(&gradients).expect("n = 2");
        let bound = all.sigma2 / (all.grad_norm() * all.grad_norm());
        let ratio = all.by_size[0].mean_sin2().expect("g ≠ 0") / bound;
        let expected = 1.0 / (1.0 + epsilon * epsilon);
        assert!(
            (ratio - expected).abs() < 1e-9,
            "ε = {epsilon}: ratio {ratio}"
        );
    }
}
