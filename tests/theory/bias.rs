//! BIAS-1..BIAS-5 (`theorems/BIAS.md`).

lemma!(bias_1, "BIAS-1");
lemma!(bias_2, "BIAS-2");
lemma!(bias_3, "BIAS-3");
lemma!(bias_4, "BIAS-4");
lemma!(bias_5, "BIAS-5");

mod equality {
    use cliptheory::clipping::Threshold;
    use cliptheory::direction::GradientSet;
    use cliptheory::tolerance::tolerance;
    use nalgebra::dvector;
    use proptest::prelude::*;

    fn slack(gradients: Vec<nalgebra::DVector<f64>>, gamma: f64) -> (f64, f64) {
        let set = GradientSet::new(gradients, Threshold::new(gamma).unwrap()).unwrap();
        let gap = (set.clipped_direction() - set.mean()).norm();
        let scale = set.mean_component_norm();
        (
            (set.beta() - gap) / scale,
            tolerance::<f64>(set.len() + set.dim()),
        )
    }

    proptest! {
        #![proptest_config(crate::common::config())]
        /// BIAS-2's equality case, both ways: clipped gradients along one ray
        /// give `‖d − g‖ = β`; two clipped gradients at an angle `φ` give a
        /// strict inequality, with slack at least of order `1 − cos φ`.
        #[test]
        fn bias_2_equality_iff_clipped_aligned(
            s1 in 1.5..1e3f64, s2 in 1.5..1e3f64, small in 0.0..1.0f64, phi in 0.05..3.1f64,
        ) {
            let (aligned, tol) = slack(vec![dvector![s1, 0.0], dvector![s2, 0.0], dvector![0.0, small]], 1.0);
            prop_assert!(aligned.abs() <= tol, "aligned: slack {aligned:e}");
            let (angled, tol) = slack(vec![dvector![s1, 0.0], dvector![s2 * phi.cos(), s2 * phi.sin()]], 1.0);
            prop_assert!(angled > tol, "at angle {phi}: slack {angled:e} is not strictly positive");
        }
    }
}
