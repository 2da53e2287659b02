//! Shared test machinery: one proptest configuration, the assertions every
//! lemma test uses, and the macros that instantiate them per id and per
//! float type.
//!
//! Per lemma there are three kinds of test (`lemma!`): it holds on the
//! registry's random cases in `f32` and `f64`; its strengthened form (bound
//! tightened by 10%, identity perturbed by 1e-3) is refuted by the same
//! generator; and its witnesses are tight (|slack| ≤ `TIGHTNESS`).

use cliptheory::instance::Instance;
use cliptheory::statements::{find, Checked, Expectation, Statement};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError};

/// Seed of every property test (override with `PROPTEST_RNG_SEED`).
pub const SEED: u64 = 20210318;

/// Cases drawn when looking for a refutation of a strengthened statement.
pub const STRENGTHEN_CASES: usize = 2000;

/// A witness is tight when its relative slack is at most this.
pub const TIGHTNESS: f64 = 1e-6;

/// The one proptest configuration: seeded, regressions committed under
/// `tests/theory/proptest-regressions/`, case count from `PROPTEST_CASES`
/// (default 256).
pub fn config() -> Config {
    let mut config = Config::default();
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    config.failure_persistence = Some(Box::new(FileFailurePersistence::SourceParallel(
        "proptest-regressions",
    )));
    config
}

/// The registry entry for `id` (the test is wrong if the id is unknown).
pub fn statement(id: &str) -> &'static Statement {
    find(id).unwrap_or_else(|e| panic!("{e}"))
}

/// The statement's own generator, as a proptest strategy.
pub fn generator(id: &str) -> proptest::strategy::BoxedStrategy<Instance<f64>> {
    (statement(id).generator)()
}

/// Fails the case if `id` is refuted at `case` evaluated in `T`.
pub fn assert_holds<T: Checked>(id: &str, case: &Instance<f64>) -> Result<(), TestCaseError> {
    let statement = statement(id);
    let instance = case
        .cast::<T>()
        .map_err(|e| TestCaseError::fail(format!("cast to {}: {e}", T::NAME)))?;
    let evaluation = match statement.evaluate(&instance) {
        Ok(Some(evaluation)) => evaluation,
        Ok(None) => return Ok(()),
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "{id} could not be evaluated: {e}"
            )))
        }
    };
    let worst = evaluation.worst();
    prop_assert!(
        !evaluation.is_refuted(),
        "{id} refuted in {}: `{}`: lhs {:e}, rhs {:e}, slack {:e} < -tolerance {:e}\n{}",
        T::NAME,
        worst.label,
        worst.lhs,
        worst.rhs,
        worst.slack,
        evaluation.tolerance(),
        case.to_json_string()
    );
    Ok(())
}

/// The strengthened form of `id` must be refuted by its own generator:
/// otherwise the check could not tell a true bound from a false one.
pub fn assert_strengthened_refuted(id: &str) {
    let statement = statement(id);
    let refuted = statement
        .draw_cases(STRENGTHEN_CASES, SEED)
        .iter()
        .any(|case| matches!(statement.evaluate(case), Ok(Some(e)) if e.strengthened_is_refuted()));
    assert!(
        refuted,
        "{id}: the strengthened statement survived {STRENGTHEN_CASES} cases: the test has no teeth"
    );
}

/// Every witness of a lemma holds and is tight, in both float types.
pub fn assert_tight_witnesses(id: &str) {
    let statement = statement(id);
    assert!(statement.expectation.must_hold(), "{id} is not a lemma");
    let witnesses = (statement.witnesses)();
    assert!(!witnesses.is_empty(), "{id} has no tightness witness");
    for witness in witnesses {
        let evaluation = statement
            .evaluate(&witness.instance)
            .expect("witness evaluates")
            .unwrap_or_else(|| {
                panic!(
                    "{id}: witness `{}` does not meet the hypotheses",
                    witness.name
                )
            });
        let slack = evaluation.slack();
        assert!(
            !evaluation.is_refuted() && slack.abs() <= TIGHTNESS,
            "{id}: witness `{}` has slack {slack:e}, not within {TIGHTNESS:e} of 0",
            witness.name
        );
        let in_f32 = witness.instance.cast::<f32>().expect("cast");
        let evaluation = statement
            .evaluate(&in_f32)
            .expect("evaluates")
            .expect("applies");
        assert!(
            !evaluation.is_refuted(),
            "{id}: witness `{}` refuted in f32",
            witness.name
        );
    }
}

/// Every known counterexample of a refuted claim refutes it, in both types.
pub fn assert_known_counterexamples(id: &str) {
    let statement = statement(id);
    assert_eq!(
        statement.expectation,
        Expectation::Fails,
        "{id} is not a refuted claim"
    );
    let witnesses = (statement.witnesses)();
    assert!(!witnesses.is_empty(), "{id} has no known counterexample");
    for witness in witnesses {
        for refuted in [
            statement
                .evaluate(&witness.instance)
                .ok()
                .flatten()
                .map(|e| e.is_refuted()),
            statement
                .evaluate(&witness.instance.cast::<f32>().expect("cast"))
                .ok()
                .flatten()
                .map(|e| e.is_refuted()),
        ] {
            assert_eq!(
                refuted,
                Some(true),
                "{id}: `{}` does not refute it",
                witness.name
            );
        }
    }
}

/// The statement's generator finds a counterexample within `cases` draws.
pub fn assert_generator_refutes(id: &str, cases: usize) {
    let statement = statement(id);
    let found = statement
        .draw_cases(cases, SEED)
        .iter()
        .any(|case| matches!(statement.evaluate(case), Ok(Some(e)) if e.is_refuted()));
    assert!(found, "{id}: no counterexample in {cases} random cases");
}

/// Instantiates the three kinds of lemma test for one id:
/// `NAME::holds_f64`, `NAME::holds_f32`, `NAME::strengthened_is_refuted`,
/// `NAME::tight_on_witness`.
#[macro_export]
macro_rules! lemma {
    ($name:ident, $id:literal) => {
        mod $name {
            use proptest::prelude::*;
            #[allow(unused_imports)]
            use $crate::common::*;

            proptest! {
                #![proptest_config(config())]
                #[test]
                fn holds_f64(case in generator($id)) {
                    assert_holds::<f64>($id, &case)?;
                }
                #[test]
                fn holds_f32(case in generator($id)) {
                    assert_holds::<f32>($id, &case)?;
                }
            }

            #[test]
            fn strengthened_is_refuted() {
                assert_strengthened_refuted($id);
            }

            #[test]
            fn tight_on_witness() {
                assert_tight_witnesses($id);
            }
        }
    };
}

/// Tests for a claim the theory refutes: `NAME::known_counterexamples_refute`
/// and `NAME::generator_finds_counterexample` (within `$cases` draws).
#[macro_export]
macro_rules! refuted_claim {
    ($name:ident, $id:literal, $cases:expr) => {
        mod $name {
            use $crate::common::*;

            #[test]
            fn known_counterexamples_refute() {
                assert_known_counterexamples($id);
            }

            #[test]
            fn generator_finds_counterexample() {
                assert_generator_refutes($id, $cases);
            }
        }
    };
}
