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

/// Teeth judged per comparison (not by the statement's worst one): DESC-4's
/// `(m₁ − m₂)(s₁ − s₂) ≥ 0` has none and cannot have any in floating point
/// (`m_i = min(s_i, γ)` is monotone in `s_i`, so both factors share a sign
/// and their product is ≥ 0 however it rounds), and neither has the
/// consequence `⟨d, g⟩ ≥ 0` whose bound is 0 (10% of 0 moves nothing). The
/// report records both; the bound `⟨d, g⟩ ≥ (m₁ − m₂)(s₁ − s₂)/4` keeps the
/// statement's teeth.
#[test]
fn desc_4_records_its_toothless_comparisons() {
    let statement = cliptheory::statements::find("DESC-4").unwrap();
    let row = cliptheory::report::check_statement(statement, 2000, 20210318);
    assert!(row.strengthened_refuted);
    assert_eq!(
        row.comparisons_without_teeth,
        ["(m₁ − m₂)(s₁ − s₂) ≥ 0", "n = 2 ⇒ ⟨d, g⟩ ≥ 0"]
    );
    assert!(row.comparisons_without_tight_witness.is_empty());
}
