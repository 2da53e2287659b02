//! The assertions the project's own property tests use, for a user's
//! statements too (feature `testing`): a statement holds on a case in `f32`
//! and `f64`; its strengthened form is refuted by its own generator (the
//! check has teeth); its witnesses are tight; a refuted claim's known
//! counterexamples refute it and its generator finds one.
//!
//! Every assertion returns `Err(message)` instead of panicking, so it fits
//! proptest (`TestCaseError::fail`) and plain `#[test]`s alike
//! (`examples/custom_lemma.rs` uses them on a user's statement).

use crate::instance::Instance;
use crate::statements::{Checked, Expectation, Statement};

/// Seed of the project's property tests.
pub const SEED: u64 = 20210318;

/// Cases drawn when looking for a refutation of a strengthened statement.
pub const STRENGTHEN_CASES: usize = 2000;

/// A witness is tight when its relative slack is at most this in size (the
/// report's bound, per comparison).
pub use crate::report::TIGHTNESS;

/// `Err` if `statement` is refuted at `case` evaluated in `T`, or cannot be
/// evaluated there; `Ok` when it holds or its hypotheses do not apply.
pub fn assert_holds<T: Checked>(statement: &Statement, case: &Instance<f64>) -> Result<(), String> {
    let id = statement.id;
    let instance = case
        .cast::<T>()
        .map_err(|e| format!("cast to {}: {e}", T::NAME))?;
    let evaluation = match statement.evaluate(&instance) {
        Ok(Some(evaluation)) => evaluation,
        Ok(None) => return Ok(()),
        Err(e) => return Err(format!("{id} could not be evaluated: {e}")),
    };
    if evaluation.is_refuted() {
        let worst = evaluation.worst();
        return Err(format!(
            "{id} refuted in {}: `{}`: lhs {:e}, rhs {:e}, slack {:e} < -tolerance {:e}\n{}",
            T::NAME,
            worst.label,
            worst.lhs,
            worst.rhs,
            worst.slack,
            evaluation.tolerance(),
            case.to_json_string()
        ));
    }
    Ok(())
}

/// `Err` unless the strengthened form of `statement` is refuted by one of
/// `cases` draws of its own generator (seed [`SEED`]): otherwise the check
/// could not tell a true bound from a false one. For a statement that must
/// hold this is judged per comparison: every comparison the draws produce
/// must be refuted strengthened by some draw (so an inequality cannot
/// shelter behind a sharper one beside it).
pub fn assert_strengthened_refuted(statement: &Statement, cases: usize) -> Result<(), String> {
    let id = statement.id;
    if !statement.expectation.must_hold() {
        return if some_case(statement, cases, |e| e.strengthened_is_refuted()) {
            Ok(())
        } else {
            Err(format!(
                "{id}: the strengthened statement survived {cases} cases: the check has no teeth"
            ))
        };
    }
    let teeth = crate::report::comparison_teeth(statement, cases, SEED);
    let toothless: Vec<&str> = teeth
        .iter()
        .filter(|(_, bites)| !bites)
        .map(|(label, _)| *label)
        .collect();
    if teeth.is_empty() {
        Err(format!("{id}: no case of {cases} applied"))
    } else if toothless.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{id}: strengthened, `{}` survived {cases} cases: the check has no teeth there",
            toothless.join("`, `")
        ))
    }
}

/// `Err` unless `statement` must hold and every one of its witnesses holds
/// in both float types with a slack within [`TIGHTNESS`] of 0 in `f64`,
/// and every inequality that [`WITNESS_LABEL_CASES`] draws produce is
/// within [`TIGHTNESS`] of 0 at some witness (unless the statement lists
/// it as [`loose`](Statement::loose)).
pub fn assert_tight_witnesses(statement: &Statement) -> Result<(), String> {
    let id = statement.id;
    if !statement.expectation.must_hold() {
        return Err(format!("{id} is not a lemma"));
    }
    let witnesses = (statement.witnesses)();
    if witnesses.is_empty() {
        return Err(format!("{id} has no tightness witness"));
    }
    for witness in witnesses {
        let name = witness.name;
        let evaluation = statement
            .evaluate(&witness.instance)
            .map_err(|e| format!("{id}: witness `{name}` does not evaluate: {e}"))?
            .ok_or_else(|| format!("{id}: witness `{name}` does not meet the hypotheses"))?;
        let slack = evaluation.slack();
        if evaluation.is_refuted() || slack.abs() > TIGHTNESS {
            return Err(format!(
                "{id}: witness `{name}` has slack {slack:e}, not within {TIGHTNESS:e} of 0"
            ));
        }
        assert_holds::<f32>(statement, &witness.instance)
            .map_err(|e| format!("{id}: witness `{name}`: {e}"))?;
    }
    let seen = crate::report::comparison_teeth(statement, WITNESS_LABEL_CASES, SEED);
    let untight = crate::report::untight_comparisons(statement, &seen);
    if untight.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{id}: no witness is tight on `{}`",
            untight.join("`, `")
        ))
    }
}

/// Draws whose comparison labels [`assert_tight_witnesses`] requires a
/// tight witness for.
pub const WITNESS_LABEL_CASES: usize = 200;

/// `Err` unless `statement` is a refuted claim whose every known
/// counterexample refutes it in both float types.
pub fn assert_known_counterexamples(statement: &Statement) -> Result<(), String> {
    let id = statement.id;
    if statement.expectation != Expectation::Fails {
        return Err(format!("{id} is not a refuted claim"));
    }
    let witnesses = (statement.witnesses)();
    if witnesses.is_empty() {
        return Err(format!("{id} has no known counterexample"));
    }
    for witness in witnesses {
        let in_f32 = witness
            .instance
            .cast::<f32>()
            .map_err(|e| format!("{id}: `{}` in f32: {e}", witness.name))?;
        let refuted = [
            matches!(statement.evaluate(&witness.instance), Ok(Some(e)) if e.is_refuted()),
            matches!(statement.evaluate(&in_f32), Ok(Some(e)) if e.is_refuted()),
        ];
        if refuted != [true, true] {
            return Err(format!("{id}: `{}` does not refute it", witness.name));
        }
    }
    Ok(())
}

/// `Err` unless the statement's generator finds a counterexample within
/// `cases` draws (seed [`SEED`]).
pub fn assert_generator_refutes(statement: &Statement, cases: usize) -> Result<(), String> {
    if some_case(statement, cases, |e| e.is_refuted()) {
        Ok(())
    } else {
        Err(format!(
            "{}: no counterexample in {cases} random cases",
            statement.id
        ))
    }
}

/// Whether one of `cases` draws of the statement's generator (seed
/// [`SEED`]) evaluates to something `test` accepts.
fn some_case(
    statement: &Statement,
    cases: usize,
    test: impl Fn(&crate::statements::Evaluation<f64>) -> bool,
) -> bool {
    statement
        .draw_cases(cases, SEED)
        .iter()
        .any(|case| matches!(statement.evaluate(case), Ok(Some(e)) if test(&e)))
}
