//! DESC-1..DESC-6 (`theorems/DESC.md`).

use cliptheory::direction::GradientsAt;

lemma!(desc_1, "DESC-1");
lemma!(desc_2, "DESC-2");
lemma!(desc_3, "DESC-3");
lemma!(desc_4, "DESC-4");
refuted_claim!(desc_5, "DESC-5", 2000);
lemma!(desc_6, "DESC-6");

/// DESC-5's family `(n, −1, …, −1)`, `γ = 1`, against the closed forms
/// `g = 1/n`, `d = (2 − n)/n` for every `n` from 3 to 64.
#[test]
fn desc_5_family_ascends_for_every_n() {
    use cliptheory::statements::find;
    let statement = find("DESC-5").unwrap();
    for n in 3..=64usize {
        let witness = cliptheory::statements::desc_5_family(n);
        let set = witness.instance.gradients_at_start().unwrap();
        let nf = n as f64;
        approx::assert_relative_eq!(set.mean()[0], 1.0 / nf, max_relative = 1e-14);
        approx::assert_relative_eq!(
            set.clipped_direction()[0],
            (2.0 - nf) / nf,
            max_relative = 1e-14
        );
        let evaluation = statement.evaluate(&witness.instance).unwrap().unwrap();
        assert!(evaluation.is_refuted(), "n = {n}: the family should ascend");
    }
}

/// Teeth judged per comparison (not by the statement's worst one):
/// DESC-4's `(m₁ − m₂)(s₁ − s₂) ≥ 0` and `⟨d, g⟩ ≥ 0` have bound 0, which a
/// 10% move cannot tighten, so their wrong variants move it by 10% of the
/// scale (`Comparison::nonnegative`), refuted where the product or the
/// descent vanishes (equal norms, both clipped, the stall). Before that the
/// report listed both as toothless.
#[test]
fn desc_4_every_comparison_has_teeth() {
    let statement = cliptheory::statements::find("DESC-4").unwrap();
    let row = cliptheory::report::check_statement_certifying(statement, 2000, 20210318, 0);
    assert!(row.strengthened_refuted);
    assert!(
        row.comparisons_without_teeth.is_empty(),
        "{:?}",
        row.comparisons_without_teeth
    );
    assert!(row.comparisons_without_tight_witness.is_empty());
}

/// The per-comparison harness catches the old form: DESC-4 with `⟨d, g⟩ ≥ 0`
/// moved by 10% of its bound 0 (no move at all) is reported toothless,
/// though the statement as a whole has teeth through its first comparison.
#[test]
fn desc_4_old_zero_bound_is_caught_as_toothless() {
    use cliptheory::direction::GradientSet;
    use cliptheory::real::Real;
    use cliptheory::tolerance::Comparison;
    fn old_desc_4<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
        let mut out = cliptheory::statements::desc::desc_4(set)?;
        let d_dot_g = set.clipped_direction().dot(set.mean());
        out[2] = Comparison::at_least("n = 2 ⇒ ⟨d, g⟩ ≥ 0", d_dot_g, T::zero(), out[2].scale);
        Some(out)
    }
    let statement = cliptheory::statement!(
        "DESC-4-OLD",
        "DESC-4 with a 10% move of the bound 0",
        Holds,
        old_desc_4,
        cliptheory::generators::two_component_case,
        Vec::new
    );
    let error = cliptheory::testing::assert_strengthened_refuted(&statement, 2000).unwrap_err();
    assert!(error.contains("⟨d, g⟩ ≥ 0"), "{error}");
    assert!(cliptheory::testing::assert_strengthened_refuted(
        cliptheory::statements::find("DESC-4").unwrap(),
        2000
    )
    .is_ok());
}
