//! Shared test machinery: one proptest configuration, the assertions every
//! lemma test uses (the exported `cliptheory::testing` harness, here by id),
//! and the macros that instantiate them per id and per float type.
//!
//! Per lemma there are three kinds of test (`lemma!`): it holds on the
//! registry's random cases in `f32` and `f64`; its strengthened form (bound
//! tightened by 10%, identity perturbed by 1e-3) is refuted by the same
//! generator; and its witnesses are tight (|slack| ≤ `TIGHTNESS`).

use cliptheory::instance::Instance;
use cliptheory::statements::{find, Checked, Statement};
use cliptheory::testing;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError};

// Seed of every property test (override with `PROPTEST_RNG_SEED`), the
// cases a strengthened statement is hunted on, and the tightness bound: the
// exported harness's.
pub use cliptheory::testing::{SEED, STRENGTHEN_CASES};

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
    testing::assert_holds::<T>(statement(id), case).map_err(TestCaseError::fail)
}

/// The strengthened form of `id` must be refuted by its own generator:
/// otherwise the check could not tell a true bound from a false one.
pub fn assert_strengthened_refuted(id: &str) {
    testing::assert_strengthened_refuted(statement(id), STRENGTHEN_CASES)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Every witness of a lemma holds and is tight, in both float types.
pub fn assert_tight_witnesses(id: &str) {
    testing::assert_tight_witnesses(statement(id)).unwrap_or_else(|e| panic!("{e}"));
}

/// Every known counterexample of a refuted claim refutes it, in both types.
pub fn assert_known_counterexamples(id: &str) {
    testing::assert_known_counterexamples(statement(id)).unwrap_or_else(|e| panic!("{e}"));
}

/// The statement's generator finds a counterexample within `cases` draws.
pub fn assert_generator_refutes(id: &str, cases: usize) {
    testing::assert_generator_refutes(statement(id), cases).unwrap_or_else(|e| panic!("{e}"));
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
