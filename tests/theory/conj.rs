//! CONJ-1.. (`theorems/CONJ.md`): conjectures, with the budget each has survived.

/// CONJ-1 survives the suite's budget in both float types.
#[test]
fn conj_1_no_counterexample_within_suite_budget() {
    crate::common::assert_no_counterexample_within("CONJ-1", 2000);
}

/// The CONJ-1 check has teeth: its bound tightened by 10% is refuted.
#[test]
fn conj_1_strengthened_is_refuted() {
    crate::common::assert_strengthened_refuted("CONJ-1");
}
