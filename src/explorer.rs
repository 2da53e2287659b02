//! The counterexample explorer: search, shrink, save.
//!
//! Random property tests find violations by luck; the explorer hunts for
//! them. For a statement of the [registry](crate::statements::registry) it
//!
//! 1. draws a pool of random cases from the statement's own generator
//!    (seeded; optionally only those with a given number of components),
//! 2. runs a local search from the best of them that *minimises the signed
//!    relative slack* over the instance's continuous parameters, in parallel
//!    over the machine's cores, until the slack falls below the refutation
//!    threshold or the evaluation budget is spent,
//! 3. shrinks a violating instance (drops components and coordinates, rounds
//!    numbers) while the violation persists, so that saved counterexamples
//!    are small and readable, and
//! 4. returns it as an [`Instance`] whose JSON `note` says what it violates
//!    and by how much; `cliptheory replay` reproduces it exactly.
//!
//! The local search is a (1+1) evolution strategy with the 1/5 success rule
//! (Rechenberg; Auger & Hansen's formulation): one Gaussian mutation of all
//! parameters per evaluation, step size multiplied by `e^{1/3}` on success and
//! `e^{−1/12}` on failure. It works in any number of parameters, needs no
//! gradient of the slack (which is not differentiable where clipping
//! switches), spends exactly one evaluation per step so budgets are exact,
//! and stops the moment a refutation appears. (Nelder–Mead, the other usual
//! choice, needs `p + 1` points for `p` parameters, which is too many for the
//! larger instances here.)

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use serde::Serialize;

use crate::clipping::Threshold;
use crate::error::{Error, Result};
use crate::instance::{Atom, Component, Instance, InstanceParts};
use crate::progress::{Progress, Silent};
use crate::random::{case_rng, gaussian, seeded_rng, SeededRng};
use crate::real::Real;
use crate::statements::{Expectation, Statement};

/// Options of one exploration.
#[derive(Clone, Debug)]
pub struct ExploreOptions {
    /// Total evaluations of the statement (pool + local searches + shrinking).
    pub budget: usize,
    /// Seed: the same seed gives the same result.
    pub seed: u64,
    /// Only cases with exactly this many components.
    pub components: Option<usize>,
    /// Number of local searches (run in parallel with the `parallel`
    /// feature), at least 1 and at most [`MAX_RESTARTS`].
    pub restarts: usize,
}

/// The largest number of local searches an exploration runs.
pub const MAX_RESTARTS: usize = 4096;

impl Default for ExploreOptions {
    fn default() -> Self {
        Self {
            budget: 20_000,
            seed: 1,
            components: None,
            restarts: 8,
        }
    }
}

/// What an exploration found.
#[derive(Clone, Debug, Serialize)]
pub struct Exploration {
    /// The statement's id.
    pub id: &'static str,
    /// Evaluations spent.
    pub evaluations: usize,
    /// The smallest slack seen (f64).
    pub best_slack: f64,
    /// Whether the best case refutes the statement beyond rounding.
    pub refuted: bool,
    /// The shrunk counterexample (when refuted) or the best case found.
    #[serde(skip)]
    pub best: Option<Instance<f64>>,
    /// Slack of the shrunk instance (`None` when nothing was refuted).
    pub shrunk_slack: Option<f64>,
    /// `n` and `dim` of the best instance.
    pub size: Option<(usize, usize)>,
    /// `"counterexample"`, `"expected-counterexample"` or
    /// `"no-counterexample-within-budget"`.
    pub verdict: &'static str,
}

/// A visit of every continuous parameter of an instance: `log γ`, `x0`, and
/// the components' numbers (positive ones, like expsum weights, on a log
/// scale; labels and rotations are structural and stay fixed).
fn for_each_parameter(instance: &mut InstanceParts<f64>, visit: &mut dyn FnMut(&mut f64, bool)) {
    let mut gamma = instance.gamma.get();
    visit(&mut gamma, true);
    if let Ok(t) = Threshold::new(gamma) {
        instance.gamma = t;
    }
    instance.x0.iter_mut().for_each(|x| visit(x, false));
    for component in &mut instance.components {
        match component {
            Component::Linear { c } => c.iter_mut().for_each(|x| visit(x, false)),
            Component::Quadratic {
                hessian,
                linear,
                constant,
            } => {
                let dim = hessian.nrows();
                for r in 0..dim {
                    for c in r..dim {
                        visit(&mut hessian[(r, c)], false);
                        hessian[(c, r)] = hessian[(r, c)];
                    }
                }
                linear.iter_mut().for_each(|x| visit(x, false));
                visit(constant, false);
            }
            Component::Exp { a, b } => {
                a.iter_mut().for_each(|x| visit(x, false));
                visit(b, false);
            }
            Component::Logistic { a, .. } | Component::Softmax { a, .. } => {
                a.iter_mut().for_each(|x| visit(x, false))
            }
            Component::Separable { shift, atoms, .. } => {
                shift.iter_mut().for_each(|x| visit(x, false));
                for atom in atoms {
                    match atom {
                        Atom::Quadratic { a }
                        | Atom::Logistic { a }
                        | Atom::Cosh { a }
                        | Atom::LogCosh { a } => visit(a, false),
                        Atom::Exp { a, b } => {
                            visit(a, false);
                            visit(b, false);
                        }
                        Atom::Quartic => {}
                        Atom::ExpSum { w, a } => {
                            w.iter_mut().for_each(|x| visit(x, true));
                            a.iter_mut().for_each(|x| visit(x, false));
                        }
                    }
                }
            }
            // A user-defined objective's parameters are its own.
            Component::Custom(_) => {}
        }
    }
}

/// How parameters that must stay positive (`γ`, expsum weights) appear in a
/// parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positive {
    /// As logarithms: the search moves freely and never leaves the domain.
    Log,
    /// As themselves: for rounding to readable values.
    Natural,
}

/// The instance's continuous parameters as one vector.
pub fn parameters(instance: &Instance<f64>, positive: Positive) -> Vec<f64> {
    let mut copy = instance.clone().into_parts();
    let mut out = Vec::new();
    for_each_parameter(&mut copy, &mut |x, is_positive| {
        out.push(if is_positive && positive == Positive::Log {
            x.ln()
        } else {
            *x
        })
    });
    out
}

/// The instance with its parameters replaced by `values` (same layout as
/// [`parameters`]); refuses non-finite or non-positive results.
pub fn with_parameters(
    instance: &Instance<f64>,
    values: &[f64],
    positive: Positive,
) -> Result<Instance<f64>> {
    let mut copy = instance.clone().into_parts();
    let mut k = 0;
    let mut bad = None;
    for_each_parameter(&mut copy, &mut |x, is_positive| {
        let v = values.get(k).copied().unwrap_or(f64::NAN);
        let v = if is_positive && positive == Positive::Log {
            v.exp()
        } else {
            v
        };
        if !v.is_finite() || (is_positive && v <= 0.0) {
            bad.get_or_insert(k);
        } else {
            *x = v + 0.0; // + 0.0 turns −0 into 0
        }
        k += 1;
    });
    match bad {
        Some(k) => Err(Error::NonFinite {
            field: format!("parameter {k}"),
            value: values.get(k).copied().unwrap_or(f64::NAN),
        }),
        None => Instance::from_parts(copy),
    }
}

/// The f64 slack of `statement` at `instance`; `+∞` where it does not apply
/// or cannot be evaluated (so the search moves away from there).
pub fn slack_of(statement: &Statement, instance: &Instance<f64>) -> f64 {
    match statement.evaluate(instance) {
        Ok(Some(evaluation)) => {
            let s = evaluation.slack();
            if s.is_nan() {
                f64::NEG_INFINITY
            } else {
                s
            }
        }
        _ => f64::INFINITY,
    }
}

/// Whether `instance` refutes `statement` beyond rounding (in f64).
pub fn refutes(statement: &Statement, instance: &Instance<f64>) -> bool {
    matches!(statement.evaluate(instance), Ok(Some(e)) if e.is_refuted())
}

/// (1+1)-ES from `start` for at most `budget` evaluations; stops early on a
/// refutation. Returns the best instance and its slack.
fn local_search(
    statement: &Statement,
    start: Instance<f64>,
    budget: usize,
    rng: &mut SeededRng,
    counter: &AtomicUsize,
) -> (Instance<f64>, f64) {
    let mut best_params = parameters(&start, Positive::Log);
    let mut best_slack = slack_of(statement, &start);
    let mut best = start;
    let mut step = 0.1;
    for _ in 0..budget {
        if refutes(statement, &best) {
            break;
        }
        let trial: Vec<f64> = best_params
            .iter()
            .map(|&p| p + step * p.abs().max(1e-3) * gaussian(rng))
            .collect();
        counter.fetch_add(1, Ordering::Relaxed);
        let Ok(candidate) = with_parameters(&best, &trial, Positive::Log) else {
            step *= (-1.0f64 / 12.0).exp();
            continue;
        };
        let slack = slack_of(statement, &candidate);
        if slack <= best_slack {
            best_slack = slack;
            best_params = trial;
            best = candidate;
            step *= (1.0f64 / 3.0).exp();
        } else {
            step *= (-1.0f64 / 12.0).exp();
        }
        step = step.clamp(1e-8, 2.0);
    }
    (best, best_slack)
}

/// One local search from `start` (at most `budget` evaluations, seeded):
/// the best instance it reaches.
pub fn search_from(
    statement: &Statement,
    start: Instance<f64>,
    budget: usize,
    seed: u64,
) -> Instance<f64> {
    let mut rng = seeded_rng(seed, &format!("search:{}", statement.id));
    local_search(statement, start, budget, &mut rng, &AtomicUsize::new(0)).0
}

/// Rounds `x` to `digits` significant decimal digits.
fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits - 1 - magnitude);
    (x * factor).round() / factor
}

fn drop_component(instance: &Instance<f64>, i: usize) -> Option<Instance<f64>> {
    if instance.n() <= 1 {
        return None;
    }
    let mut copy = instance.clone().into_parts();
    copy.components.remove(i);
    Instance::from_parts(copy).ok()
}

/// The instance without coordinate `k` (only when no separable component
/// mixes coordinate `k` with others through its rotation).
fn drop_coordinate(instance: &Instance<f64>, k: usize) -> Option<Instance<f64>> {
    if instance.dim() <= 1 {
        return None;
    }
    let cut = |v: &nalgebra::DVector<f64>| v.clone().remove_row(k);
    let mut components = Vec::with_capacity(instance.n());
    for component in instance.components() {
        components.push(match component {
            // A softmax's coordinates come in blocks of `p` (one row of
            // `W` per class): one coordinate cannot go alone.
            Component::Custom(_) | Component::Softmax { .. } => return None,
            Component::Linear { c } => Component::Linear { c: cut(c) },
            Component::Quadratic {
                hessian,
                linear,
                constant,
            } => Component::Quadratic {
                hessian: hessian.clone().remove_row(k).remove_column(k),
                linear: cut(linear),
                constant: *constant,
            },
            Component::Exp { a, b } => Component::Exp { a: cut(a), b: *b },
            Component::Logistic { a, label } => Component::Logistic {
                a: cut(a),
                label: *label,
            },
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                // Coordinate k is separable from the rest only when R maps
                // e_k to ±e_k (row and column k are ±e_k).
                let unit = |v: f64, i: usize| if i == k { v.abs() == 1.0 } else { v == 0.0 };
                let isolated = (0..rotation.nrows())
                    .all(|i| unit(rotation[(k, i)], i) && unit(rotation[(i, k)], i));
                if !isolated {
                    return None;
                }
                let mut atoms = atoms.clone();
                atoms.remove(k);
                Component::Separable {
                    rotation: rotation.clone().remove_row(k).remove_column(k),
                    shift: cut(shift),
                    atoms,
                }
            }
        });
    }
    Instance::from_parts(InstanceParts {
        gamma: instance.gamma(),
        x0: cut(instance.x0()),
        components,
        note: instance.note().map(str::to_string),
    })
    .ok()
}

/// For an instance of linear components only: the same instance scaled so
/// that `γ = 1` (`c_i ↦ c_i/γ`); every pointwise statement is invariant under
/// this scaling (CLIP-4), and `γ = 1` reads best.
fn unit_threshold(instance: &Instance<f64>) -> Option<Instance<f64>> {
    let gamma = instance.gamma().get();
    if gamma == 1.0
        || !instance
            .components()
            .iter()
            .all(|c| matches!(c, Component::Linear { .. }))
    {
        return None;
    }
    let mut copy = instance.clone().into_parts();
    copy.gamma = Threshold::new(1.0).ok()?;
    for component in &mut copy.components {
        if let Component::Linear { c } = component {
            *c /= gamma;
        }
    }
    Instance::from_parts(copy).ok()
}

/// Shrinks a refuting instance while it stays refuting: drops components
/// (unless `keep_components`), then coordinates, then rounds each parameter
/// to as few significant digits as possible (integers first). A step is kept
/// only if the slack stays at most half the starting slack, so the saved
/// counterexample keeps a clear margin over the rounding tolerance. Returns
/// the result and the evaluations spent.
pub fn shrink(
    statement: &Statement,
    instance: &Instance<f64>,
    keep_components: bool,
) -> (Instance<f64>, usize) {
    let mut current = instance.clone();
    let mut evaluations = 0;
    let margin = 0.5 * slack_of(statement, instance);
    let mut keep_if_refuting = |candidate: Option<Instance<f64>>, current: &mut Instance<f64>| {
        let Some(candidate) = candidate else {
            return false;
        };
        evaluations += 1;
        if refutes(statement, &candidate) && slack_of(statement, &candidate) <= margin {
            *current = candidate;
            true
        } else {
            false
        }
    };
    for _ in 0..4 {
        let mut changed = false;
        let mut i = if keep_components { 0 } else { current.n() };
        while i > 0 {
            i -= 1;
            changed |= keep_if_refuting(drop_component(&current, i), &mut current);
        }
        let mut k = current.dim();
        while k > 0 {
            k -= 1;
            changed |= keep_if_refuting(drop_coordinate(&current, k), &mut current);
        }
        changed |= keep_if_refuting(unit_threshold(&current), &mut current);
        let count = parameters(&current, Positive::Natural).len();
        for index in 0..count {
            let values = parameters(&current, Positive::Natural);
            let original = values[index];
            let roundings = std::iter::once(original.round())
                .chain((1..=4).map(|d| round_significant(original, d)));
            for value in roundings {
                if value == original {
                    continue;
                }
                let mut trial = values.clone();
                trial[index] = value;
                if keep_if_refuting(
                    with_parameters(&current, &trial, Positive::Natural).ok(),
                    &mut current,
                ) {
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (current, evaluations)
}

/// Draws up to `count` cases from the statement's generator (with exactly
/// `components` components, if given), seeded by `seed` and the id.
fn draw_pool(
    statement: &Statement,
    count: usize,
    seed: u64,
    components: Option<usize>,
) -> Vec<Instance<f64>> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        case_rng(seed, &format!("explore:{}", statement.id)),
    );
    let strategy = (statement.generator)();
    let mut out = Vec::with_capacity(count);
    let mut attempts = 0;
    while out.len() < count && attempts < 50 * count {
        attempts += 1;
        if let Ok(tree) = strategy.new_tree(&mut runner) {
            let case = tree.current();
            if components.is_none_or(|n| case.n() == n) {
                out.push(case);
            }
        }
    }
    out
}

/// Searches for a counterexample to `statement`; see the module docs.
pub fn explore(statement: &Statement, options: &ExploreOptions) -> Result<Exploration> {
    explore_with(statement, options, &Silent)
}

/// [`explore`], reporting each finished local search to `progress`.
///
/// Refuses a budget of 0 and a number of restarts outside
/// `1..=`[`MAX_RESTARTS`].
pub fn explore_with(
    statement: &Statement,
    options: &ExploreOptions,
    progress: &dyn Progress,
) -> Result<Exploration> {
    if options.budget == 0 {
        return Err(Error::InvalidField {
            field: "budget".into(),
            reason: "must be at least 1 evaluation".into(),
        });
    }
    if !(1..=MAX_RESTARTS).contains(&options.restarts) {
        return Err(Error::InvalidField {
            field: "restarts".into(),
            reason: format!(
                "must be between 1 and {MAX_RESTARTS}, got {}",
                options.restarts
            ),
        });
    }
    let restarts = options.restarts;
    let pool_size = (options.budget / 4).clamp(restarts, MAX_RESTARTS.max(restarts));
    let pool = draw_pool(statement, pool_size, options.seed, options.components);
    if pool.is_empty() {
        return Err(Error::InvalidField {
            field: "components".into(),
            reason: format!(
                "the generator of {} draws no case with {} components",
                statement.id,
                options.components.unwrap_or(0)
            ),
        });
    }
    let counter = AtomicUsize::new(pool.len());
    let mut scored: Vec<(f64, usize)> = pool
        .iter()
        .enumerate()
        .map(|(i, c)| (slack_of(statement, c), i))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let per_restart = options.budget.saturating_sub(pool.len()) / restarts;
    progress.start(&format!("exploring {}", statement.id), restarts as u64);
    let starts: Vec<(usize, &(f64, usize))> = scored.iter().take(restarts).enumerate().collect();
    #[cfg(feature = "parallel")]
    let starts = starts.into_par_iter();
    #[cfg(not(feature = "parallel"))]
    let starts = starts.into_iter();
    let results: Vec<(Instance<f64>, f64)> = starts
        .map(|(r, &(_, index))| {
            let mut rng = seeded_rng(options.seed, &format!("explore:{}:{r}", statement.id));
            let found = local_search(
                statement,
                pool[index].clone(),
                per_restart,
                &mut rng,
                &counter,
            );
            progress.advance(1);
            found
        })
        .collect();
    progress.finish();
    let (best, best_slack) = results
        .into_iter()
        .chain(scored.first().map(|&(s, i)| (pool[i].clone(), s)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("the pool is not empty");
    let refuted = refutes(statement, &best);
    let mut evaluations = counter.load(Ordering::Relaxed);
    let (best, shrunk_slack) = if refuted {
        let (mut shrunk, spent) = shrink(statement, &best, options.components.is_some());
        evaluations += spent;
        let slack = slack_of(statement, &shrunk);
        let tolerance = statement
            .evaluate(&shrunk)
            .ok()
            .flatten()
            .map_or(f64::NAN, |e| e.tolerance());
        shrunk = shrunk.with_note(format!(
            "counterexample to {} ({}) found by `cliptheory explore {} --seed {}`: relative slack {:.3e} (refuted below -{:.1e})",
            statement.id,
            statement.summary,
            statement.id,
            options.seed,
            slack,
            tolerance,
        ));
        (shrunk, Some(slack))
    } else {
        (best, None)
    };
    let verdict = match (refuted, statement.expectation) {
        (true, Expectation::Fails) => "expected-counterexample",
        (true, _) => "counterexample",
        (false, _) => "no-counterexample-within-budget",
    };
    Ok(Exploration {
        id: statement.id,
        evaluations,
        best_slack,
        refuted,
        size: Some((best.n(), best.dim())),
        best: Some(best),
        shrunk_slack,
        verdict,
    })
}

// ---------------------------------------------------------------------------
// Explorer-facing claims: statements the registry cannot express as a hunt.

/// The naive sum rule SMOOTH-5 refutes, as a claim to hunt: "a mean of
/// `(0, L1)`-smooth functions is `(0, L1)`-smooth", i.e. at `x0`
/// `‖∇²f(x)‖ ≤ L1 ‖∇f(x)‖` with `L1 = max_i L1(f_i)`, for instances whose
/// every component is certified with `L0 = 0`. (The registry's SMOOTH-5
/// checks the corrected rule `(2AM, A)`, which holds, so the explorer
/// cannot rediscover the phenomenon through it.) Scale
/// `(1/n) Σ_i (‖∇²f_i(x)‖ + L1 ‖∇f_i(x)‖)`: it bounds the rounding of both
/// means.
pub fn smooth_5_naive_sum_claim() -> Statement {
    crate::instance_statement!(
        "SMOOTH-5-NAIVE",
        "claim refuted by SMOOTH-5: a mean of (0, L1)-smooth functions is (0, L1)-smooth",
        Fails,
        naive_sum_rule,
        exponential_mean_case,
        cosh_witness,
    )
}

/// `cosh t = (e^t + e^{−t})/2` at `t = 0`: `‖∇²f‖ = 1 > L1 ‖∇f‖ = 0`.
fn cosh_witness() -> Vec<crate::statements::Witness> {
    let instance = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.0],
            "components":[{"kind":"exp","a":[1.0],"b":0.0},{"kind":"exp","a":[-1.0],"b":0.0}]}"#,
        std::path::Path::new("<cosh>"),
    )
    .expect("valid witness");
    vec![crate::statements::Witness {
        name: "cosh t = (e^t + e^{−t})/2 at t = 0: ‖∇²f‖ = 1 > 1 · ‖∇f‖ = 0",
        instance,
    }]
}

fn naive_sum_rule<T: Real>(
    instance: &Instance<T>,
) -> Result<Option<Vec<crate::tolerance::Comparison<T>>>> {
    // Each component on its own (f itself may have no certificate at all).
    let wide = instance.cast::<f64>()?;
    let mut l1 = 0.0f64;
    for component in wide.components() {
        match crate::smooth::certificate::certify_components(
            std::slice::from_ref(component),
            wide.dim(),
        ) {
            Ok(c) if c.pair.l0 == 0.0 => l1 = l1.max(c.pair.l1),
            _ => return Ok(None),
        }
    }
    let l1 = T::of(l1);
    let x = instance.x0();
    let operator_norm = crate::smooth::certificate::operator_norm::<T>;
    let hessian = operator_norm(&instance.hessian(x)?);
    let gradient = crate::real::norm(&instance.gradient(x));
    let mut scale = T::zero();
    for c in instance.components() {
        scale += operator_norm(&c.hessian(x)?) + l1 * crate::real::norm(&c.gradient(x));
    }
    let scale = scale / T::of(instance.n() as f64);
    crate::error::ensure_finite(
        || "‖∇²f‖, ‖∇f‖ of the naive sum rule".into(),
        hessian + gradient + scale,
    )?;
    Ok(Some(vec![crate::tolerance::Comparison::at_most(
        "‖∇²f(x)‖ ≤ L1 ‖∇f(x)‖, L1 = max_i L1(f_i)",
        hessian,
        l1 * gradient,
        scale,
    )]))
}

/// Means of `n ∈ 2..4` exponential ridges `e^{⟨a_i, x⟩ + b_i}` (each
/// `(0, ‖a_i‖)`-smooth), `a_i ∈ [−2, 2]^dim`, `b_i ∈ [−1, 1]`,
/// `x0 ∈ [−2, 2]^dim`, `dim ∈ 1..3`, `γ = 1`.
pub fn exponential_mean_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=4, 1usize..=3)
        .prop_flat_map(|(n, dim)| {
            (
                proptest::collection::vec(-2.0..2.0f64, dim),
                proptest::collection::vec(
                    (proptest::collection::vec(-2.0..2.0f64, dim), -1.0..1.0f64),
                    n,
                ),
            )
                .prop_map(|(x0, parts)| {
                    Instance::from_parts(crate::instance::InstanceParts {
                        gamma: Threshold::new(1.0).expect("γ = 1"),
                        x0: nalgebra::DVector::from_vec(x0),
                        components: parts
                            .into_iter()
                            .map(|(a, b)| Component::Exp {
                                a: nalgebra::DVector::from_vec(a),
                                b,
                            })
                            .collect(),
                        note: None,
                    })
                    .expect("generated instances are valid")
                })
        })
        .boxed()
}
