//! IG-1, IG-2, IG-6 (`theorems/IG.md`).

use std::path::Path;

use cliptheory::incremental::{run, Order, RunConfig, Schedule, Variant};
use cliptheory::instance::Instance;

lemma!(ig_1, "IG-1");
lemma!(ig_2, "IG-2");
refuted_claim!(ig_6, "IG-6", 2000);

fn fixture(name: &str) -> Instance<f64> {
    Instance::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// IG-6(a): started below 0, the run stops at the epoch fixed point
/// `x* = −α` (from `x ← x + α` on `f_1`, clipped, then `x ← x − α(x + 1)` on
/// `f_2`, unclipped near 0; contraction `1 − α` per epoch), where
/// `f'(x*) = −4.5 − α`: a fixed point of the clipped method that is not
/// stationary. Both float types.
#[test]
fn ig_6_run_settles_at_non_stationary_point() {
    let instance = fixture("ig_6a_fixed_points.json");
    let alpha = 0.01;
    let trace = run(&instance, &RunConfig::new(alpha, 4000, 1).unwrap(), true).unwrap();
    let x = trace.final_point.x[0];
    assert!((x + alpha).abs() < 1e-12, "settled at {x}, not at −α");
    assert!(
        (trace.final_point.grad_norm - (4.5 + alpha)).abs() < 1e-12,
        "f' = {}",
        trace.final_point.grad_norm
    );
    let last = &trace.epochs[trace.epochs.len() - 2..];
    assert!((last[0].f - last[1].f).abs() < 1e-12, "still moving");
    let in_f32 = run(
        &instance.cast::<f32>().unwrap(),
        &RunConfig::new(0.01f32, 4000, 1).unwrap(),
        false,
    )
    .unwrap();
    assert!((in_f32.final_point.grad_norm - 4.51).abs() <= 1e-4);
}

/// IG-6(b): convex components, damage `24.01/ε` in `f`: the run ends at
/// `x = 0.2/ε + O(α)` with `f' = 9.8`, for `ε = 0.01` (fixture) and `ε = 0.001`.
#[test]
fn ig_6_convex_damage_grows_like_inverse_eps() {
    for eps in [0.01, 0.001] {
        let mut instance = fixture("ig_6b_convex_damage_eps_0.01.json");
        for component in &mut instance.components {
            if let cliptheory::instance::Component::Quadratic { hessian, .. } = component {
                hessian[(0, 0)] = 2.0 * eps;
            }
        }
        let alpha = 0.01;
        let epochs = (30.0 / (eps * alpha * 3.0)) as usize; // a few time constants 1/(2 ε a)
        let trace = run(&instance, &RunConfig::new(alpha, epochs, 1).unwrap(), false).unwrap();
        let x = trace.final_point.x[0];
        assert!(
            (x - 0.2 / eps).abs() <= 0.05 / eps * 0.01 + 10.0 * alpha,
            "ε = {eps}: ended at {x}"
        );
        assert!(
            (trace.final_point.grad_norm - 9.8).abs() < 0.01,
            "f' = {}",
            trace.final_point.grad_norm
        );
        let minimum = instance.value(&nalgebra::dvector![-4.7 / eps]);
        let gap = trace.final_point.f - minimum;
        assert!(
            (gap * eps - 24.01).abs() < 0.1,
            "ε = {eps}: gap {gap} is not ≈ 24.01/ε"
        );
    }
}

/// The engine agrees with the slow reference for every order, batch 1, and
/// the variants behave as defined (unclipped = plain IG; full-clipped moves
/// by `a · clip(∇f)` per epoch).
#[test]
fn ig_2_engine_matches_reference_for_orders_and_variants() {
    let instance = fixture("format_example_all_kinds.json");
    let mut start = instance.clone();
    start.x0 = nalgebra::dvector![0.2, -0.1];
    let alpha = 1e-3;
    for order in [Order::Cyclic, Order::Shuffle, Order::Reshuffle] {
        let config = RunConfig::new(alpha, 3, 1).unwrap().order(order).seed(5);
        let trace = run(&start, &config, true).unwrap();
        assert_eq!(trace.epochs.len(), 3);
        for record in &trace.epochs {
            assert!(
                record.ig_1_slack >= -1e-12,
                "IG-1 along the run: {}",
                record.ig_1_slack
            );
        }
    }
    let cyclic = RunConfig::new(alpha, 1, 1).unwrap();
    let engine = run(&start, &cyclic, false).unwrap();
    let order: Vec<usize> = (0..start.n()).collect();
    let reference =
        cliptheory::incremental::reference_epoch(&start, &start.x0, &order, alpha).unwrap();
    for (a, b) in engine.final_point.x.iter().zip(reference[start.n()].iter()) {
        assert!((a - b).abs() <= 1e-14 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let full = run(&start, &cyclic.variant(Variant::FullClipped), false).unwrap();
    let g = start.gradients_at_start().unwrap();
    let expected = &start.x0
        - cliptheory::clipping::clip(g.mean(), start.gamma).unwrap() * (alpha * start.n() as f64);
    for (a, b) in full.final_point.x.iter().zip(expected.iter()) {
        assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
    }
    let batched = run(
        &start,
        &RunConfig::new(alpha, 2, 2)
            .unwrap()
            .schedule(Schedule::InverseSqrt),
        true,
    )
    .unwrap();
    assert!(batched.epochs.iter().all(|r| r.ig_1_slack >= -1e-12));
}

/// Bad run configurations are named errors.
#[test]
fn ig_1_run_config_refuses_bad_steps_epochs_and_batches() {
    assert!(RunConfig::new(0.0, 1, 1)
        .unwrap_err()
        .to_string()
        .contains("step"));
    assert!(RunConfig::new(f64::NAN, 1, 1)
        .unwrap_err()
        .to_string()
        .contains("step"));
    assert!(RunConfig::new(0.1, 0, 1)
        .unwrap_err()
        .to_string()
        .contains("epochs"));
    assert!(RunConfig::new(0.1, 1, 0)
        .unwrap_err()
        .to_string()
        .contains("batch"));
}
