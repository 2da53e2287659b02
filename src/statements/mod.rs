//! The statement registry: every lemma, expected counterexample and
//! conjecture of the theory as one value.
//!
//! A [`Statement`] carries its spec id (`CLIP-1`, `DESC-5`, …), a one-line
//! summary, what is expected of it ([`Expectation`]), an evaluator for each
//! float type that turns an [`Instance`] into signed [`Comparison`]s, the
//! generator its random cases come from, and its witnesses (instances where
//! an inequality is tight, or where an expected counterexample is known).
//! `cargo test`, `cliptheory check`, `cliptheory replay` and the explorer
//! all read [`registry`]: a statement is written once, here.

pub mod batch;
pub mod bias;
pub mod clip;
pub mod conj;
pub mod desc;
pub mod ig;
pub mod smooth;

pub use desc::desc_5_family;

use proptest::strategy::BoxedStrategy;

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::real::Real;
use crate::tolerance::{falls_below, tolerance, Comparison};

/// What the theory says about a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// A lemma with a proof in `theorems/`: a refuted case is a finding.
    Holds,
    /// A claim the theory refutes (e.g. DESC-5: three components never
    /// ascend): finding a counterexample is the expected outcome.
    Fails,
    /// A conjecture: open until a counterexample or a proof settles it.
    Open,
    /// A conjecture settled by a proof in `theorems/CONJ.md`: checked like a
    /// lemma, reported as `proved`.
    Proved,
}

impl Expectation {
    /// Whether a refuted case is a failure of the theory check (a lemma or a
    /// proved conjecture that does not hold).
    pub fn must_hold(self) -> bool {
        matches!(self, Expectation::Holds | Expectation::Proved)
    }
}

/// Evaluates a statement on one instance: `Ok(None)` when its hypotheses do
/// not apply, `Err` only for instances that cannot be evaluated (bad input,
/// overflow).
pub type Evaluator<T> = fn(&Instance<T>) -> Result<Option<Vec<Comparison<T>>>>;

/// A named instance attached to a statement.
#[derive(Clone, Debug)]
pub struct Witness {
    /// What it shows.
    pub name: &'static str,
    /// The instance.
    pub instance: Instance<f64>,
}

/// One statement of the theory. See the module docs.
pub struct Statement {
    /// Spec id, e.g. `"BIAS-2"`.
    pub id: &'static str,
    /// One-line statement for reports.
    pub summary: &'static str,
    /// What the theory expects.
    pub expectation: Expectation,
    /// The evaluator in `f64`.
    pub evaluate_f64: Evaluator<f64>,
    /// The evaluator in `f32`.
    pub evaluate_f32: Evaluator<f32>,
    /// The random cases the statement is checked on.
    pub generator: fn() -> BoxedStrategy<Instance<f64>>,
    /// Tightness witnesses (for [`Expectation::Holds`] and
    /// [`Expectation::Proved`]) or known
    /// counterexamples (for [`Expectation::Fails`]).
    pub witnesses: fn() -> Vec<Witness>,
}

impl core::fmt::Debug for Statement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Statement")
            .field("id", &self.id)
            .field("summary", &self.summary)
            .field("expectation", &self.expectation)
            .finish_non_exhaustive()
    }
}

/// A float type the registry evaluates in: picks the matching evaluator.
pub trait Checked: Real {
    /// The statement's evaluator for this type.
    fn evaluator(statement: &Statement) -> Evaluator<Self>;
}

impl Checked for f64 {
    fn evaluator(statement: &Statement) -> Evaluator<f64> {
        statement.evaluate_f64
    }
}

impl Checked for f32 {
    fn evaluator(statement: &Statement) -> Evaluator<f32> {
        statement.evaluate_f32
    }
}

/// A statement's comparisons at one instance, with the size that sets the
/// tolerance.
#[derive(Clone, Debug)]
pub struct Evaluation<T> {
    /// Every comparison the statement makes at this instance (non-empty).
    pub comparisons: Vec<Comparison<T>>,
    /// `n + dim` of the instance: the tolerance is `tolerance::<T>(terms)`.
    pub terms: usize,
}

impl<T: Real> Evaluation<T> {
    /// The comparison with the smallest slack (NaN counts as smallest).
    pub fn worst(&self) -> &Comparison<T> {
        self.comparisons.iter().fold(&self.comparisons[0], |w, c| {
            if falls_below(c.slack, w.slack) {
                c
            } else {
                w
            }
        })
    }

    /// The smallest signed relative slack.
    pub fn slack(&self) -> T {
        self.worst().slack
    }

    /// The smallest slack of the strengthened comparisons.
    pub fn strengthened_slack(&self) -> T {
        self.comparisons
            .iter()
            .map(|c| c.strengthened_slack)
            .fold(T::infinity(), |a, s| if falls_below(s, a) { s } else { a })
    }

    /// The tolerance on slacks at this instance.
    pub fn tolerance(&self) -> T {
        tolerance::<T>(self.terms)
    }

    /// Whether the statement is refuted beyond rounding.
    pub fn is_refuted(&self) -> bool {
        falls_below(self.slack(), -self.tolerance())
    }

    /// Whether the strengthened statement is refuted beyond rounding.
    pub fn strengthened_is_refuted(&self) -> bool {
        falls_below(self.strengthened_slack(), -self.tolerance())
    }
}

impl Statement {
    /// Evaluates the statement on `instance` in the float type `T`.
    pub fn evaluate<T: Checked>(&self, instance: &Instance<T>) -> Result<Option<Evaluation<T>>> {
        let comparisons = (T::evaluator(self))(instance)?;
        Ok(comparisons
            .filter(|c| !c.is_empty())
            .map(|comparisons| Evaluation {
                comparisons,
                terms: instance.n() + instance.dim(),
            }))
    }

    /// The spec group of the id: `"BIAS"` for `"BIAS-2"`.
    pub fn group(&self) -> &'static str {
        self.id.split('-').next().unwrap_or(self.id)
    }

    /// The theorem document that states it, e.g. `theorems/BIAS.md`.
    pub fn document(&self) -> String {
        format!("theorems/{}.md", self.group())
    }
}

/// Every statement, in spec order.
pub fn registry() -> &'static [Statement] {
    static REGISTRY: std::sync::OnceLock<Vec<Statement>> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut all = Vec::new();
        all.extend(clip::statements());
        all.extend(bias::statements());
        all.extend(desc::statements());
        all.extend(smooth::statements());
        all.extend(ig::statements());
        all.extend(batch::statements());
        all.extend(conj::statements());
        all
    })
}

/// Looks a statement up by id (case-insensitive; `bias_2` works too).
pub fn find(id: &str) -> Result<&'static Statement> {
    let wanted = id.to_ascii_uppercase().replace('_', "-");
    registry()
        .iter()
        .find(|s| s.id == wanted)
        .ok_or_else(|| Error::UnknownStatement { id: id.into() })
}

/// Wraps a pointwise check `fn(&GradientSet<T>) -> Option<Vec<Comparison<T>>>`
/// into the two [`Evaluator`]s: gradients are taken at the instance's `x0`.
macro_rules! pointwise {
    ($check:ident) => {{
        fn evaluate<T: $crate::real::Real>(
            instance: &$crate::instance::Instance<T>,
        ) -> $crate::error::Result<Option<Vec<$crate::tolerance::Comparison<T>>>> {
            Ok($check(&instance.gradients_at_start()?))
        }
        (
            evaluate::<f64> as $crate::statements::Evaluator<f64>,
            evaluate::<f32> as $crate::statements::Evaluator<f32>,
        )
    }};
}
pub(crate) use pointwise;

/// Builds a pointwise [`Statement`].
macro_rules! statement {
    ($id:literal, $summary:literal, $expectation:ident, $check:ident, $generator:path, $witnesses:expr) => {{
        let (evaluate_f64, evaluate_f32) = $crate::statements::pointwise!($check);
        $crate::statements::Statement {
            id: $id,
            summary: $summary,
            expectation: $crate::statements::Expectation::$expectation,
            evaluate_f64,
            evaluate_f32,
            generator: $generator,
            witnesses: $witnesses,
        }
    }};
}
pub(crate) use statement;

/// Builds a [`Statement`] from an instance-level check written once,
/// generic over the float type (`fn check<T: Real>(&Instance<T>) ->
/// Result<Option<Vec<Comparison<T>>>>`), instantiated for `f64` and `f32`:
///
/// ```text
/// instance_statement!("CONJ-3", "…", Fails, conj_3, conj_3_case, conj_3_counterexamples)
/// ```
#[macro_export]
macro_rules! instance_statement {
    ($id:expr, $summary:expr, $expectation:ident, $check:ident, $generator:expr, $witnesses:expr $(,)?) => {
        $crate::statements::Statement {
            id: $id,
            summary: $summary,
            expectation: $crate::statements::Expectation::$expectation,
            evaluate_f64: $check::<f64>,
            evaluate_f32: $check::<f32>,
            generator: $generator,
            witnesses: $witnesses,
        }
    };
}

/// A pointwise witness from literal gradients (`dim` taken from the first).
pub(crate) fn witness(name: &'static str, gamma: f64, gradients: &[&[f64]]) -> Witness {
    let vectors = gradients
        .iter()
        .map(|g| nalgebra::DVector::from_column_slice(g))
        .collect();
    let mut instance = Instance::from_gradients(
        crate::clipping::Threshold::new(gamma).expect("witness γ > 0"),
        vectors,
    )
    .expect("witness vectors share one dimension");
    instance.note = Some(name.to_string());
    Witness { name, instance }
}

/// Every unordered pair `(i, j)`, `i < j`, of `0..n`.
pub(crate) fn pairs(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |i| ((i + 1)..n).map(move |j| (i, j)))
}
