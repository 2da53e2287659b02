//! The assertions the project's own property tests use, for a user's
//! statements too (feature `testing`): a statement holds on its generator's
//! cases in `f32` and `f64`, its strengthened form is refuted by the same
//! generator (the check has teeth), its witnesses are tight, and a refuted
//! claim's known counterexamples refute it.
//!
//! Every assertion returns `Err(message)` instead of panicking, so it fits
//! proptest (`TestCaseError::fail`) and plain `#[test]`s alike.

use crate::instance::Instance;
use crate::statements::{Checked, Expectation, Statement};

/// Seed of the project's property tests.
pub const SEED: u64 = 20210318;

/// Cases drawn when looking for a refutation of a strengthened statement.
pub const STRENGTHEN_CASES: usize = 2000;

/// A witness is tight when its relative slack is at most this.
pub const TIGHTNESS: f64 = 1e-6;

/// `Err` if `statement` is refuted at `case` evaluated in `T` (or cannot
/// be evaluated there); `Ok` when it holds or its hypotheses do not apply.
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
/// could not tell a true bound from a false one.
pub fn assert_has_teeth(statement: &Statement, cases: usize) -> Result<(), String> {
    let refuted = statement
        .draw_cases(cases, SEED)
        .iter()
        .any(|case| matches!(statement.evaluate(case), Ok(Some(e)) if e.strengthened_is_refuted()));
    if refuted {
        Ok(())
    } else {
        Err(format!(
            "{}: the strengthened statement survived {cases} cases: the check has no teeth",
            statement.id
        ))
    }
}

/// `Err` unless every witness of a statement that holds is tight: its
/// slack in `f64` is at most [`TIGHTNESS`] (and not negative beyond
/// rounding).
pub fn assert_tight_on_witnesses(statement: &Statement) -> Result<(), String> {
    let witnesses = (statement.witnesses)();
    if witnesses.is_empty() {
        return Err(format!("{} has no tightness witness", statement.id));
    }
    for witness in witnesses {
        let evaluation = statement
            .evaluate(&witness.instance)
            .map_err(|e| format!("{}: witness {}: {e}", statement.id, witness.name))?
            .ok_or_else(|| {
                format!(
                    "{}: the hypotheses do not apply at witness {}",
                    statement.id, witness.name
                )
            })?;
        let slack = evaluation.slack();
        if evaluation.is_refuted() || slack > TIGHTNESS {
            return Err(format!(
                "{}: witness {} has slack {slack:e} (tight means 0 ≤ slack ≤ {TIGHTNESS:e})",
                statement.id, witness.name
            ));
        }
    }
    Ok(())
}

/// `Err` unless every known counterexample of a refuted claim refutes it.
pub fn assert_counterexamples_refute(statement: &Statement) -> Result<(), String> {
    if statement.expectation != Expectation::Fails {
        return Err(format!("{} is not a refuted claim", statement.id));
    }
    for witness in (statement.witnesses)() {
        let refuted =
            matches!(statement.evaluate(&witness.instance), Ok(Some(e)) if e.is_refuted());
        if !refuted {
            return Err(format!(
                "{}: known counterexample {} does not refute it",
                statement.id, witness.name
            ));
        }
    }
    Ok(())
}
