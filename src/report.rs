//! The theory-check report (`cliptheory check`) and the single-instance
//! replay (`cliptheory replay`), as data (the command line renders them as
//! tables and JSON).
//!
//! `check` draws seeded random cases for every statement of the
//! [registry](crate::statements::Registry), evaluates each in `f64` and
//! `f32`, evaluates the statement's witnesses, checks that the
//! strengthened form of the statement is refuted (the check has teeth), and
//! certifies the first cases and every witness in interval arithmetic
//! ([`Statement::certify`]). Its
//! JSON keys follow the contract in `docs/instance-format.md`.

use serde::Serialize;

use crate::direction::GradientsAt;
use crate::error::Result;
use crate::instance::Instance;
use crate::statements::{Certainty, Checked, Evaluation, Expectation, Registry, Statement};

/// Default number of random cases per statement and float type.
pub const DEFAULT_CASES: usize = 2000;

/// Default number of random cases per statement that `check` also
/// certifies in interval arithmetic (the first ones drawn; the witnesses
/// are always certified). Interval evaluation costs about ten times the
/// `f64` one; 500 cases keep the report's run time within a few seconds of
/// the uncertified one.
pub const DEFAULT_CERTIFIED_CASES: usize = 500;

/// Default seed of `cliptheory check`.
pub const DEFAULT_SEED: u64 = 20210318;

/// The verdict on one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every case held (for a lemma; for a replayed instance, the statement holds there).
    Holds,
    /// A case refutes the statement.
    Counterexample,
    /// A case refutes a statement the theory says is false.
    ExpectedCounterexample,
    /// Nothing refuted it within the cases tried (conjectures, refuted claims).
    NoCounterexampleWithinBudget,
    /// Settled by a proof in `theorems/`.
    Proved,
    /// The statement could not be evaluated (bad input, overflow).
    EvaluationFailed,
}

impl Verdict {
    /// The word the table prints.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Counterexample => "counterexample",
            Verdict::ExpectedCounterexample => "counterexample (expected)",
            Verdict::NoCounterexampleWithinBudget => "no counterexample within budget",
            Verdict::Proved => "proved",
            Verdict::EvaluationFailed => "evaluation failed",
        }
    }
}

/// One row of the check report.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRow {
    /// Spec id.
    pub id: &'static str,
    /// One-line statement.
    pub statement: &'static str,
    /// Random cases on which the statement's hypotheses applied (`f64`).
    pub cases: usize,
    /// Smallest signed relative slack over the `f64` cases (`null` if none applied).
    pub worst_slack: Option<f64>,
    /// The same over the `f32` cases.
    pub worst_slack_f32: Option<f64>,
    /// Largest slack over the tightness witnesses (small: the bound is tight),
    /// or the smallest over known counterexamples (negative).
    pub witness_slack: Option<f64>,
    /// Largest fraction of the tolerance that rounding used up on a case
    /// that held, over both float types (`0.01`: errors stayed at 1% of it).
    pub tolerance_used: f64,
    /// Whether the strengthened statement was refuted by the same cases.
    pub strengthened_refuted: bool,
    /// Comparisons (by label) whose own strengthened form no case refuted:
    /// the statement's teeth judged per comparison, not by its worst one.
    pub comparisons_without_teeth: Vec<&'static str>,
    /// Inequalities (by label) of a statement that must hold on which no
    /// witness is tight (`|slack| ≤ 10⁻⁶`): tightness judged per
    /// comparison, so an identity's zero slack does not make a witness
    /// "tight" for the inequality beside it.
    pub comparisons_without_tight_witness: Vec<&'static str>,
    /// Inequalities whose proof gives a constant factor away, with no tight
    /// witness known (the reason is stated): listed apart from
    /// `comparisons_without_tight_witness` ([`Statement::loose`]).
    pub loose_comparisons: Vec<LooseComparison>,
    /// Certified verdicts (interval arithmetic, inputs taken as exact
    /// reals) on the random cases counted in `cases`.
    pub certified: CertifiedCounts,
    /// The same on the statement's witnesses.
    pub certified_witnesses: CertifiedCounts,
    /// For statements the theory refutes: where the certified violations
    /// come from (`"cases"`, `"witnesses"`, `"cases+witnesses"`; `null`
    /// when none was certified, or for statements that must hold).
    pub certified_by: Option<&'static str>,
    /// The verdict.
    pub verdict: Verdict,
    /// Where the statement is proved.
    pub document: String,
    /// The most violating case, when one was found.
    #[serde(skip)]
    pub counterexample: Option<Instance<f64>>,
    /// What the theory expects of the statement.
    #[serde(skip)]
    pub expectation: Expectation,
    /// Cases (of both float types, and witnesses) whose evaluation failed
    /// with an error; a failed evaluation fails `check`.
    pub evaluation_errors: usize,
    /// The first such error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl CheckRow {
    /// Whether this row makes `check` fail: a lemma that should hold does
    /// not (in floating point beyond the tolerance, or certified in interval
    /// arithmetic), or an evaluation failed.
    pub fn is_failure(&self) -> bool {
        (self.expectation.must_hold()
            && (self.verdict == Verdict::Counterexample
                || self.certified.violation > 0
                || self.certified_witnesses.violation > 0))
            || self.evaluation_errors > 0
    }
}

/// Counts of cases by certified verdict ([`Certainty`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertifiedCounts {
    /// Cases on which the statement is certified to hold.
    pub hold: usize,
    /// Cases certified to violate it.
    pub violation: usize,
    /// Cases on which nothing was proved (`undecided_tight +
    /// undecided_branch`).
    pub undecided: usize,
    /// Of those, cases whose branches were all decided but where an
    /// enclosure of `rhs − lhs` contains 0 (exact equality, or a margin
    /// below the enclosure's width).
    pub undecided_tight: usize,
    /// Of those, cases where a comparison the code branches on overlapped,
    /// or an unsupported function (`exp`, `ln`, …) was needed.
    pub undecided_branch: usize,
}

impl CertifiedCounts {
    /// Counts one certified verdict.
    pub fn record(&mut self, certainty: Certainty) {
        match certainty {
            Certainty::Hold => self.hold += 1,
            Certainty::Violation => self.violation += 1,
            Certainty::UndecidedTight => {
                self.undecided += 1;
                self.undecided_tight += 1;
            }
            Certainty::UndecidedBranch => {
                self.undecided += 1;
                self.undecided_branch += 1;
            }
        }
    }

    /// Certifies `statement` on `case` and counts the verdict (a case whose
    /// hypotheses are decidedly false in the reals counts as undecided: the
    /// floating-point check counted it as applicable).
    pub fn certify(&mut self, statement: &Statement, case: &Instance<f64>) {
        self.record(
            statement
                .certify(case)
                .map_or(Certainty::UndecidedBranch, |c| c.certainty),
        );
    }
}

#[derive(Default)]
struct Worst {
    /// Cases whose evaluation failed (an error, not "not applicable"), with
    /// the first message.
    errors: usize,
    first_error: Option<String>,
    slack: Option<f64>,
    refuted: Option<(f64, Instance<f64>)>,
    strengthened_refuted: bool,
    applicable: usize,
    tolerance_used: f64,
    /// Per comparison label, whether a case refuted its strengthened form.
    teeth: Vec<(&'static str, bool)>,
}

impl Worst {
    fn record<T: Checked>(&mut self, evaluation: &Evaluation<T>, case: &Instance<f64>) {
        let slack = evaluation.slack().to_f64_lossless();
        let used = -slack / evaluation.tolerance().to_f64_lossless();
        if !evaluation.is_refuted() && used > self.tolerance_used {
            self.tolerance_used = used;
        }
        self.applicable += 1;
        self.slack =
            Some(
                self.slack
                    .map_or(slack, |w| if slack.is_nan() { slack } else { w.min(slack) }),
            );
        self.strengthened_refuted |= evaluation.strengthened_is_refuted();
        record_teeth(&mut self.teeth, evaluation);
        if evaluation.is_refuted() && self.refuted.as_ref().is_none_or(|(w, _)| slack < *w) {
            self.refuted = Some((slack, case.clone()));
        }
    }
}

/// Adds one evaluation to per-label teeth: whether some case refuted the
/// label's strengthened form beyond rounding.
fn record_teeth<T: Checked>(teeth: &mut Vec<(&'static str, bool)>, evaluation: &Evaluation<T>) {
    let tolerance = evaluation.tolerance();
    for c in &evaluation.comparisons {
        let bites = crate::tolerance::falls_below(c.strengthened_slack, -tolerance);
        match teeth.iter_mut().find(|(label, _)| *label == c.label) {
            Some((_, has)) => *has |= bites,
            None => teeth.push((c.label, bites)),
        }
    }
}

/// Teeth per comparison on `cases` draws (seed `seed`) evaluated in `f64`:
/// every label seen, with whether some case refuted its strengthened form.
pub fn comparison_teeth(
    statement: &Statement,
    cases: usize,
    seed: u64,
) -> Vec<(&'static str, bool)> {
    let mut teeth = Vec::new();
    for case in statement.draw_cases(cases, seed) {
        if let Ok(Some(evaluation)) = statement.evaluate(&case) {
            record_teeth(&mut teeth, &evaluation);
        }
    }
    teeth
}

/// An inequality whose proof gives a constant factor away, with no tight
/// witness known, and the reason ([`Statement::loose`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LooseComparison {
    /// The comparison's label.
    pub label: &'static str,
    /// What the proof gives away.
    pub reason: &'static str,
}

/// A witness is tight on a comparison when its slack there is at most this
/// in size (the test harness's bound).
pub const TIGHTNESS: f64 = 1e-6;

/// The inequality labels (of those seen in `seen`, as from
/// [`comparison_teeth`]) on which no witness of `statement` has
/// `|slack| ≤` [`TIGHTNESS`], leaving out the statement's stated
/// [`loose`](Statement::loose) ones.
pub fn untight_comparisons(
    statement: &Statement,
    seen: &[(&'static str, bool)],
) -> Vec<&'static str> {
    let witnesses: Vec<Evaluation<f64>> = (statement.witnesses)()
        .iter()
        .filter_map(|w| statement.evaluate(&w.instance).ok().flatten())
        .collect();
    seen.iter()
        .map(|(label, _)| *label)
        .filter(|label| !statement.loose.iter().any(|(loose, _)| loose == label))
        .filter(|label| {
            let comparisons = witnesses
                .iter()
                .flat_map(|e| e.comparisons.iter())
                .filter(|c| c.label == *label);
            let mut inequality = true;
            let mut tight = false;
            for c in comparisons {
                inequality &= c.relation != crate::tolerance::Relation::Equal;
                tight |= c.slack.abs() <= TIGHTNESS;
            }
            inequality && !tight
        })
        .collect()
}

/// Evaluates in `T` and records; whether the statement applied.
fn evaluate_as<T: Checked>(statement: &Statement, case: &Instance<f64>, worst: &mut Worst) -> bool {
    let Ok(instance) = case.cast::<T>() else {
        return false;
    };
    match statement.evaluate(&instance) {
        Ok(Some(evaluation)) => {
            worst.record(&evaluation, case);
            true
        }
        Ok(None) => false,
        Err(error) => {
            worst.errors += 1;
            worst
                .first_error
                .get_or_insert_with(|| format!("in {}: {error}", T::NAME));
            false
        }
    }
}

/// Runs one statement on `cases` random cases (both float types) and its
/// witnesses, certifying the first [`DEFAULT_CERTIFIED_CASES`] applicable
/// cases and every witness.
pub fn check_statement(statement: &Statement, cases: usize, seed: u64) -> CheckRow {
    check_statement_certifying(statement, cases, seed, DEFAULT_CERTIFIED_CASES)
}

/// [`check_statement`], certifying the first `certify` applicable cases.
pub fn check_statement_certifying(
    statement: &Statement,
    cases: usize,
    seed: u64,
    certify: usize,
) -> CheckRow {
    let mut in_f64 = Worst::default();
    let mut in_f32 = Worst::default();
    let mut certified = CertifiedCounts::default();
    for case in statement.draw_cases(cases, seed) {
        let certified_so_far = certified.hold + certified.violation + certified.undecided;
        if evaluate_as::<f64>(statement, &case, &mut in_f64) && certified_so_far < certify {
            certified.certify(statement, &case);
        }
        evaluate_as::<f32>(statement, &case, &mut in_f32);
    }
    let mut witnesses = Worst::default();
    let mut certified_witnesses = CertifiedCounts::default();
    for witness in (statement.witnesses)() {
        if evaluate_as::<f64>(statement, &witness.instance, &mut witnesses) {
            certified_witnesses.certify(statement, &witness.instance);
        }
    }
    let certified_by = match (
        statement.expectation.must_hold(),
        certified.violation > 0,
        certified_witnesses.violation > 0,
    ) {
        (true, _, _) | (false, false, false) => None,
        (false, true, false) => Some("cases"),
        (false, false, true) => Some("witnesses"),
        (false, true, true) => Some("cases+witnesses"),
    };
    let witness_slack = match statement.expectation {
        Expectation::Holds | Expectation::Proved => (statement.witnesses)()
            .iter()
            .filter_map(|w| statement.evaluate(&w.instance).ok().flatten())
            .map(|e| e.slack())
            .reduce(f64::max),
        _ => witnesses.slack,
    };
    let refuted = in_f64
        .refuted
        .take()
        .or(in_f32.refuted.take())
        .or(witnesses.refuted.take());
    let verdict = match (statement.expectation, refuted.is_some()) {
        (Expectation::Holds, false) => Verdict::Holds,
        (Expectation::Proved, false) => Verdict::Proved,
        (Expectation::Fails, true) => Verdict::ExpectedCounterexample,
        (_, true) => Verdict::Counterexample,
        (_, false) => Verdict::NoCounterexampleWithinBudget,
    };
    CheckRow {
        id: statement.id,
        statement: statement.summary,
        cases: in_f64.applicable,
        worst_slack: in_f64.slack,
        worst_slack_f32: in_f32.slack,
        witness_slack,
        tolerance_used: in_f64.tolerance_used.max(in_f32.tolerance_used),
        strengthened_refuted: in_f64.strengthened_refuted || in_f32.strengthened_refuted,
        comparisons_without_teeth: in_f64
            .teeth
            .iter()
            .filter(|(label, has)| {
                !has && !in_f32.teeth.iter().any(|(l, bites)| l == label && *bites)
            })
            .map(|(label, _)| *label)
            .collect(),
        comparisons_without_tight_witness: if statement.expectation.must_hold() {
            untight_comparisons(statement, &in_f64.teeth)
        } else {
            Vec::new()
        },
        loose_comparisons: statement
            .loose
            .iter()
            .map(|&(label, reason)| LooseComparison { label, reason })
            .collect(),
        certified,
        certified_witnesses,
        certified_by,
        verdict,
        document: statement.document(),
        counterexample: refuted.map(|(_, case)| case),
        expectation: statement.expectation,
        evaluation_errors: in_f64.errors + in_f32.errors + witnesses.errors,
        first_error: in_f64
            .first_error
            .or(in_f32.first_error)
            .or(witnesses.first_error),
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Seed of the random cases.
    pub seed: u64,
    /// Cases drawn per statement and float type.
    pub cases_per_statement: usize,
    /// At most this many applicable cases per statement were certified in
    /// interval arithmetic (the first drawn).
    pub certified_cases_per_statement: usize,
    /// One row per statement, in spec order.
    pub rows: Vec<CheckRow>,
    /// Certified `L0` against the sampled lower bound, per instance family
    /// (SMOOTH-6; omitted with `--only`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certification: Vec<crate::smooth::LoosenessRow>,
}

impl CheckReport {
    /// Whether any lemma that should hold was refuted, or a sampled point
    /// violated a certified `(L0, L1)` pair.
    pub fn has_failures(&self) -> bool {
        self.rows.iter().any(CheckRow::is_failure)
            || self.certification.iter().any(|r| r.violations > 0)
    }
}

/// Runs `check` on the statements of `registry` whose ids are in `only`
/// (all when empty), certifying [`DEFAULT_CERTIFIED_CASES`] cases each.
pub fn check(registry: &Registry, cases: usize, seed: u64, only: &[String]) -> Result<CheckReport> {
    check_certifying(registry, cases, seed, only, DEFAULT_CERTIFIED_CASES)
}

/// [`check`], certifying the first `certify` applicable cases of each
/// statement in interval arithmetic (`0`: only the witnesses).
pub fn check_certifying(
    registry: &Registry,
    cases: usize,
    seed: u64,
    only: &[String],
    certify: usize,
) -> Result<CheckReport> {
    let selected: Vec<&Statement> = if only.is_empty() {
        registry.iter().collect()
    } else {
        only.iter()
            .map(|id| registry.find(id))
            .collect::<Result<_>>()?
    };
    let table = || {
        if only.is_empty() {
            crate::smooth::certification_table(
                crate::smooth::TABLE_CASES,
                crate::smooth::TABLE_SAMPLES,
            )
        } else {
            Vec::new()
        }
    };
    // Statements (and the certification table) run on every core; each
    // statement's cases depend only on the seed and its id, so the report
    // is the same whatever the number of cores.
    #[cfg(feature = "parallel")]
    let (rows, certification) = {
        use rayon::prelude::*;
        rayon::join(
            || {
                selected
                    .par_iter()
                    .map(|s| check_statement_certifying(s, cases, seed, certify))
                    .collect::<Vec<_>>()
            },
            table,
        )
    };
    #[cfg(not(feature = "parallel"))]
    let (rows, certification) = (
        selected
            .iter()
            .map(|s| check_statement_certifying(s, cases, seed, certify))
            .collect::<Vec<_>>(),
        table(),
    );
    Ok(CheckReport {
        seed,
        cases_per_statement: cases,
        certified_cases_per_statement: certify.min(cases),
        rows,
        certification,
    })
}

/// One row of a replay.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayRow {
    /// Spec id.
    pub id: &'static str,
    /// One-line statement.
    pub statement: &'static str,
    /// Signed relative slack at the instance (`f64`).
    pub slack: f64,
    /// The same evaluated in `f32`.
    pub slack_f32: Option<f64>,
    /// The tightest comparison's label.
    pub worst_part: &'static str,
    /// Enclosure `[lo, hi]` of the smallest slack with the instance's
    /// numbers taken as exact reals (`null` when undecided by a branch).
    pub enclosure: Option<[f64; 2]>,
    /// The certified verdict at the instance (`hold`, `violation`,
    /// `undecided-branch`, `undecided-tight`).
    pub certified: Certainty,
    /// `holds`, `counterexample`, `expected-counterexample` or
    /// `evaluation-failed`.
    pub verdict: Verdict,
    /// Why the evaluation failed (`slack` is then NaN, printed `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the theory expects of the statement.
    #[serde(skip)]
    pub expectation: Expectation,
}

impl ReplayRow {
    /// Whether this row makes `replay` fail: a statement that should hold
    /// is refuted here (beyond the tolerance, or certified).
    pub fn is_refutation(&self) -> bool {
        (self.verdict == Verdict::Counterexample || self.certified == Certainty::Violation)
            && self.expectation.must_hold()
    }
}

/// The quantities of the BIAS and DESC lemmas at the instance's `x0`.
#[derive(Clone, Debug, Serialize)]
pub struct Quantities {
    /// `‖∇f(x0)‖`.
    pub grad_norm: f64,
    /// `‖d(x0)‖`.
    pub clipped_direction_norm: f64,
    /// `⟨d, ∇f⟩`.
    pub d_dot_g: f64,
    /// `β`.
    pub beta: f64,
    /// `β₊` (`0` when `∇f(x0) = 0`, by the convention `cos θ_i := 0`).
    pub beta_plus: f64,
    /// Largest `ρ` with CDC(ρ); negative when `d` ascends.
    pub rho: f64,
    /// `n`.
    pub n: usize,
    /// `dim`.
    pub dim: usize,
    /// `γ`.
    pub gamma: f64,
}

/// A replay: every applicable statement at one instance.
#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    /// One row per applicable statement.
    pub rows: Vec<ReplayRow>,
    /// The BIAS/DESC quantities at `x0`.
    pub quantities: Quantities,
}

impl Replay {
    /// Whether a statement that should hold is refuted at the instance.
    pub fn has_refutations(&self) -> bool {
        self.rows.iter().any(ReplayRow::is_refutation)
    }

    /// Whether some statement could not be evaluated.
    pub fn has_failed_evaluations(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.verdict == Verdict::EvaluationFailed)
    }
}

/// Evaluates every statement that applies to `instance` at its `x0`.
pub fn replay(registry: &Registry, instance: &Instance<f64>) -> Result<Replay> {
    let set = instance.gradients_at_start()?;
    let d = set.clipped_direction();
    let g = set.mean();
    let d_dot_g = d.dot(g);
    let grad_norm = set.mean_norm();
    let quantities = Quantities {
        grad_norm,
        clipped_direction_norm: d.norm(),
        d_dot_g,
        beta: set.beta(),
        beta_plus: set.beta_plus().unwrap_or(0.0),
        rho: crate::direction::cdc_rho(d_dot_g, grad_norm, set.threshold()),
        n: instance.n(),
        dim: instance.dim(),
        gamma: instance.gamma().get(),
    };
    let in_f32 = instance.cast::<f32>().ok();
    let mut rows = Vec::new();
    for statement in registry.iter() {
        // One statement that cannot be evaluated does not hide the others.
        let evaluation = match statement.evaluate(instance) {
            Ok(Some(evaluation)) => evaluation,
            Ok(None) => continue,
            Err(error) => {
                rows.push(ReplayRow {
                    id: statement.id,
                    statement: statement.summary,
                    slack: f64::NAN,
                    slack_f32: None,
                    worst_part: "",
                    enclosure: None,
                    certified: Certainty::UndecidedBranch,
                    verdict: Verdict::EvaluationFailed,
                    error: Some(error.to_string()),
                    expectation: statement.expectation,
                });
                continue;
            }
        };
        let slack_f32 = in_f32
            .as_ref()
            .and_then(|i| statement.evaluate(i).ok().flatten())
            .map(|e| f64::from(e.slack()));
        let verdict = match (evaluation.is_refuted(), statement.expectation) {
            (false, _) => Verdict::Holds,
            (true, Expectation::Fails) => Verdict::ExpectedCounterexample,
            (true, _) => Verdict::Counterexample,
        };
        let certified = statement.certify(instance);
        rows.push(ReplayRow {
            id: statement.id,
            statement: statement.summary,
            slack: evaluation.slack(),
            slack_f32,
            worst_part: evaluation.worst().label,
            enclosure: certified.and_then(|c| c.enclosure).map(|(lo, hi)| [lo, hi]),
            certified: certified.map_or(Certainty::UndecidedBranch, |c| c.certainty),
            verdict,
            error: None,
            expectation: statement.expectation,
        });
    }
    Ok(Replay { rows, quantities })
}
