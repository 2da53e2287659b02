//! Machine proofs of the algebraic core by SMT (ids CLIP-1..CLIP-5, CONJ-1,
//! DESC-4, BIAS-5 for every `n`; BIAS-1..BIAS-4, DESC-1..DESC-3, DESC-6 for
//! `n ≤ 2`; DESC-5 refuted).
//!
//! Each statement about at most `k` vectors is a first-order formula over
//! the reals once its vectors are written in coordinates. Everything in it
//! is a function of the Gram matrix of the vectors (norms, inner products,
//! clipping, means), so configurations in `R^k` in lower-triangular form
//! represent every configuration in every dimension
//! (`theorems/README.md`, "Machine proofs (SMT)", states and proves this).
//! The negation of each comparison is handed to z3 as nonlinear real
//! arithmetic (`QF_NRA`), split into regimes in which clipping is a
//! polynomial constraint ([`encode`]); `unsat` in every regime is a proof,
//! `sat` a counterexample, which is converted to an instance and replayed
//! with the registry's `f64` evaluator before it is reported.
//!
//! [`prove`] with `tightened = true` asks the same of the 10%-tightened form
//! of every inequality (identities perturbed by `10⁻³`, as
//! `src/tolerance.rs` strengthens them): those must come back refuted, so a
//! prover that proved everything would be caught.

pub mod clip;
pub mod desc;
pub mod encode;
pub mod smt;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nalgebra::DVector;
use rayon::prelude::*;
use serde::Serialize;

use crate::clipping::Threshold;
use crate::error::Result;
use crate::instance::Instance;
use crate::statements::{self, registry, Statement};
use encode::{Built, Coord, Encoding};
use smt::{rel, Answer, Query, Term, Value};

/// What the solver established for one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProofVerdict {
    /// Every regime's negation is `unsat`: the statement holds (within the
    /// row's scope).
    Proved,
    /// A regime's negation is `sat`, and the model, as an instance, is
    /// refuted by the registry's `f64` evaluator too (plain mode), or is an
    /// exact model of the tightened form's negation (tightened mode).
    Refuted,
    /// Timeout or `unknown` in some regime, and no counterexample.
    Unknown,
    /// No SMT encoding for this id.
    NotApplicable,
}

impl std::fmt::Display for ProofVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            ProofVerdict::Proved => "proved",
            ProofVerdict::Refuted => "refuted",
            ProofVerdict::Unknown => "unknown",
            ProofVerdict::NotApplicable => "not-applicable",
        })
    }
}

/// One statement's machine-proof outcome.
#[derive(Clone, Debug, Serialize)]
pub struct ProofRow {
    /// Statement id, e.g. `"CLIP-2"`.
    pub id: String,
    /// The verdict.
    pub verdict: ProofVerdict,
    /// How: logic, reduced space, regimes, queries, what was replayed.
    pub method: String,
    /// What the verdict covers, e.g. `"n = 2, every dimension"`.
    pub scope: String,
    /// Wall-clock seconds spent on the id.
    pub seconds: f64,
    /// For `refuted`: the counterexample as instance JSON v1.
    pub counterexample: Option<serde_json::Value>,
}

/// The encodings of `id` (several sizes `n` for general-`n` statements);
/// `None` for ids without an SMT encoding.
pub fn encodings(id: &str) -> Option<Vec<Encoding>> {
    clip::encodings(id).or_else(|| desc::encodings(id))
}

/// Proves (or refutes) the statements `ids` (every registered statement if
/// empty) by SMT, in plain or tightened form, with a per-query `timeout`.
/// Unknown ids are an error; ids without an encoding give `not-applicable`.
pub fn prove(ids: &[&str], tightened: bool, timeout: Duration) -> Result<Vec<ProofRow>> {
    let wanted: Vec<&'static Statement> = if ids.is_empty() {
        registry().iter().collect()
    } else {
        ids.iter()
            .map(|id| statements::find(id))
            .collect::<Result<_>>()?
    };
    Ok(wanted
        .into_iter()
        .map(|statement| prove_statement(statement, tightened, timeout))
        .collect())
}

/// Whether the rows fail the run: without `tightened`, a statement the
/// registry expects to hold came back refuted; with `tightened`, a
/// statement that must hold and has an encoding was not refuted in its
/// tightened form. Returns the offending ids.
pub fn failures(rows: &[ProofRow], tightened: bool) -> Vec<String> {
    rows.iter()
        .filter(|row| {
            let must_hold = statements::find(&row.id).is_ok_and(|s| s.expectation.must_hold());
            must_hold
                && if tightened {
                    row.verdict != ProofVerdict::Refuted
                        && row.verdict != ProofVerdict::NotApplicable
                } else {
                    row.verdict == ProofVerdict::Refuted
                }
        })
        .map(|row| row.id.clone())
        .collect()
}

/// One query: a regime, a comparison, one alternative of its negation.
struct Job {
    encoding: usize,
    regime: usize,
    label: &'static str,
    query: Query,
}

fn prove_statement(statement: &Statement, tightened: bool, timeout: Duration) -> ProofRow {
    let start = Instant::now();
    let Some(encodings) = encodings(statement.id) else {
        return ProofRow {
            id: statement.id.to_string(),
            verdict: ProofVerdict::NotApplicable,
            method: "no SMT encoding (not a statement about finitely many vectors)".into(),
            scope: "—".into(),
            seconds: 0.0,
            counterexample: None,
        };
    };
    let built: Vec<Vec<Built>> = encodings
        .iter()
        .map(|e| (0..e.regimes()).map(|r| (e.build)(&e.regime(r))).collect())
        .collect();
    let mut jobs = Vec::new();
    for (k, regimes) in built.iter().enumerate() {
        for (r, regime) in regimes.iter().enumerate() {
            for claim in &regime.claims {
                for alternative in claim.negations(tightened) {
                    let mut query = regime.enc.query.clone();
                    query.asserts.extend(alternative);
                    jobs.push(Job {
                        encoding: k,
                        regime: r,
                        label: claim.label,
                        query,
                    });
                }
            }
        }
    }
    // Jobs after the first satisfiable one (in job order) are skipped; all
    // jobs before it run, so the reported counterexample is deterministic.
    let first_sat = AtomicUsize::new(usize::MAX);
    let answers: Vec<Option<(Answer, f64)>> = jobs
        .par_iter()
        .enumerate()
        .map(|(index, job)| {
            if index > first_sat.load(Ordering::SeqCst) {
                return None;
            }
            let wanted = wanted_vars(&built[job.encoding][job.regime]);
            let (answer, seconds) = job.query.check(&wanted, timeout);
            if matches!(answer, Answer::Sat(_)) {
                first_sat.fetch_min(index, Ordering::SeqCst);
            }
            Some((answer, seconds))
        })
        .collect();
    let scope = encodings
        .iter()
        .map(|e| e.scope.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let spaces = encodings
        .iter()
        .map(|e| format!("{} ({} regimes)", e.space, e.regimes()))
        .collect::<Vec<_>>()
        .join(", ");
    let form = if tightened { "tightened " } else { "" };
    let mut row = ProofRow {
        id: statement.id.to_string(),
        verdict: ProofVerdict::Unknown,
        method: String::new(),
        scope,
        seconds: 0.0,
        counterexample: None,
    };
    let sat = jobs.iter().zip(&answers).find_map(|(job, a)| match a {
        Some((Answer::Sat(values), _)) => Some((job, values.clone())),
        _ => None,
    });
    let unsat = answers
        .iter()
        .filter(|a| matches!(a, Some((Answer::Unsat, _))))
        .count();
    let unknown: Vec<String> = jobs
        .iter()
        .zip(&answers)
        .filter_map(|(job, a)| match a {
            Some((Answer::Unknown(reason), _)) => {
                Some(format!("{} in regime {}: {reason}", job.label, job.regime))
            }
            _ => None,
        })
        .collect();
    if let Some((job, values)) = sat {
        let regime = &built[job.encoding][job.regime];
        match counterexample(statement, regime, &job.query, &values, tightened, timeout) {
            Ok((instance, how)) => {
                row.verdict = ProofVerdict::Refuted;
                row.method = format!(
                    "z3 QF_NRA in {spaces}: {form}negation of `{}` sat in regime {}; {how}",
                    job.label, job.regime
                );
                row.counterexample = serde_json::from_str(&instance.to_json_string()).ok();
            }
            Err(why) => {
                row.verdict = ProofVerdict::Unknown;
                row.method = format!(
                    "z3 QF_NRA in {spaces}: {form}negation of `{}` sat in regime {}, but {why}",
                    job.label, job.regime
                );
            }
        }
    } else if unknown.is_empty() {
        row.verdict = ProofVerdict::Proved;
        row.method = format!(
            "z3 QF_NRA in {spaces}: the {form}negation of every comparison is unsat in every regime ({unsat} queries)"
        );
    } else {
        row.method = format!(
            "z3 QF_NRA in {spaces}: {unsat} of {} queries unsat, {} unknown (timeout {:.0} s per query), first: {}",
            jobs.len(),
            unknown.len(),
            timeout.as_secs_f64(),
            unknown[0]
        );
    }
    row.seconds = start.elapsed().as_secs_f64();
    row
}

/// The variables a counterexample is made of: `gamma` first, then those of
/// the coordinates.
fn wanted_vars(built: &Built) -> Vec<String> {
    let mut out = vec!["gamma".to_string()];
    for name in built.vectors.iter().flatten().flat_map(Coord::vars) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `γ` and the coordinates, from the values of [`wanted_vars`].
fn read_off(built: &Built, values: &[Value]) -> (Value, Vec<Vec<Value>>) {
    let names = wanted_vars(built);
    let value = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .map_or(Value::Rational(0, 1), |k| values[k].clone())
    };
    let vectors = built
        .vectors
        .iter()
        .map(|v| {
            v.iter()
                .map(|c| match c {
                    Coord::Zero => Value::Rational(0, 1),
                    Coord::Var(a) => value(a),
                    Coord::Product(a, b) => value(a).times(&value(b)),
                })
                .collect()
        })
        .collect();
    (value("gamma"), vectors)
}

/// The instance of `γ` and the vectors (as `f64`).
fn instance_of(gamma: f64, vectors: &[Vec<f64>]) -> std::result::Result<Instance<f64>, String> {
    let gamma = Threshold::new(gamma).map_err(|e| e.to_string())?;
    let vectors = vectors
        .iter()
        .map(|v| DVector::from_column_slice(v))
        .collect();
    Instance::from_gradients(gamma, vectors).map_err(|e| e.to_string())
}

/// Turns a model into a replayable instance. Plain mode: looks for a
/// nearby model with dyadic values (exact in `f64`; `k/2^j`, smallest `j`
/// first), re-checks it with the solver, and requires the registry's `f64`
/// evaluator to refute the statement there. Tightened mode: the model
/// itself (exact), replayed against the registry's strengthened form for
/// the record.
fn counterexample(
    statement: &Statement,
    built: &Built,
    query: &Query,
    values: &[Value],
    tightened: bool,
    timeout: Duration,
) -> std::result::Result<(Instance<f64>, String), String> {
    let (gamma, vectors) = read_off(built, values);
    let approximate: Vec<Vec<f64>> = vectors
        .iter()
        .map(|v| v.iter().map(Value::to_f64).collect())
        .collect();
    if tightened {
        let instance = instance_of(gamma.to_f64(), &approximate)?.with_note(format!(
            "counterexample to the tightened form of {} found by z3 (cliptheory prove --tightened)",
            statement.id
        ));
        let replayed = statement
            .evaluate::<f64>(&instance)
            .ok()
            .flatten()
            .is_some_and(|e| e.strengthened_is_refuted());
        let how = if replayed {
            "the model, in f64, refutes the registry's strengthened form too"
        } else {
            "exact model (its f64 rounding does not refute the registry's strengthened form beyond tolerance)"
        };
        return Ok((instance, how.into()));
    }
    let mut tried = Vec::new();
    for j in 0..=24 {
        let scale = f64::from(1u32 << j);
        let round = |x: f64| (x * scale).round() / scale;
        let rounded_gamma = round(gamma.to_f64());
        let rounded: Vec<Vec<f64>> = approximate
            .iter()
            .map(|v| v.iter().map(|&x| round(x)).collect())
            .collect();
        if rounded_gamma <= 0.0 || tried.contains(&(rounded_gamma, rounded.clone())) {
            continue;
        }
        tried.push((rounded_gamma, rounded.clone()));
        let mut fixed = query.clone();
        fixed
            .asserts
            .push(rel("=", &Term::raw("gamma"), &dyadic(rounded_gamma)));
        for (coords, xs) in built.vectors.iter().zip(&rounded) {
            for (c, &x) in coords.iter().zip(xs) {
                if *c != Coord::Zero {
                    fixed.asserts.push(rel("=", &c.term(), &dyadic(x)));
                }
            }
        }
        if !matches!(fixed.check(&[], timeout).0, Answer::Sat(_)) {
            continue;
        }
        let instance = instance_of(rounded_gamma, &rounded)?.with_note(format!(
            "counterexample to {} found by z3 (cliptheory prove)",
            statement.id
        ));
        let evaluation = statement
            .evaluate::<f64>(&instance)
            .map_err(|e| e.to_string())?
            .ok_or("the registry does not apply to the model")?;
        if evaluation.is_refuted() {
            let worst = evaluation.worst();
            return Ok((
                instance,
                format!(
                    "model rounded to multiples of 2^-{j} (exact in f64), re-checked sat with those exact values; \
                     the registry's f64 evaluator refutes it ({}: lhs {:+.6e}, rhs {:+.6e}, slack {:+.3e})",
                    worst.label, worst.lhs, worst.rhs, worst.slack
                ),
            ));
        }
    }
    Err("no dyadic model near it is refuted by the registry's f64 evaluator".into())
}

/// The exact rational of a finite `f64`, as a term.
fn dyadic(x: f64) -> Term {
    let mut q: i128 = 1;
    let mut y = x;
    while y.fract() != 0.0 && q < (1i128 << 60) {
        y *= 2.0;
        q *= 2;
    }
    Term::rational(y as i128, q)
}
