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
use crate::interval::Interval;
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
#[derive(Clone)]
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
    /// The evaluator in [`Interval`]s (the same generic function), for
    /// certified verdicts ([`Statement::certify`]).
    pub evaluate_interval: Evaluator<Interval>,
    /// The random cases the statement is checked on.
    pub generator: fn() -> BoxedStrategy<Instance<f64>>,
    /// Tightness witnesses (for [`Expectation::Holds`] and
    /// [`Expectation::Proved`]) or known
    /// counterexamples (for [`Expectation::Fails`]).
    pub witnesses: fn() -> Vec<Witness>,
    /// Labels of inequalities whose proof gives a constant factor away, so
    /// that no tight witness is known, each with the reason the theorem
    /// document states; the report lists them apart from missing witnesses
    /// (their teeth are then a stated wrong variant without that factor).
    pub loose: &'static [(&'static str, &'static str)],
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

impl Checked for Interval {
    fn evaluator(statement: &Statement) -> Evaluator<Interval> {
        statement.evaluate_interval
    }
}

/// What interval arithmetic proves about a statement on one case
/// (`theorems/README.md`, "Certified verdicts").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    /// Every comparison's `rhs − lhs` is enclosed in `[0, ∞)`: the
    /// statement holds on this case in real arithmetic.
    Hold,
    /// Some comparison's `rhs − lhs` is enclosed in `(−∞, 0)`: the case
    /// violates the statement in real arithmetic.
    Violation,
    /// A comparison the code branches on could not be decided, or an
    /// unsupported function was used: nothing is proved.
    UndecidedBranch,
    /// Every branch was decided, but some enclosure of `rhs − lhs` contains
    /// 0 and none lies below it (exact equality, or a margin below the
    /// enclosure's width).
    UndecidedTight,
}

impl Certainty {
    /// Whether nothing was proved.
    pub fn is_undecided(self) -> bool {
        matches!(self, Certainty::UndecidedBranch | Certainty::UndecidedTight)
    }

    /// The words `replay` prints.
    pub fn label(self) -> &'static str {
        match self {
            Certainty::Hold => "certified to hold",
            Certainty::Violation => "certified counterexample",
            Certainty::UndecidedBranch => "undecided (branch)",
            Certainty::UndecidedTight => "undecided (enclosure contains 0)",
        }
    }
}

/// A statement's certified verdict on one case, with the enclosure of its
/// smallest slack.
#[derive(Clone, Copy, Debug)]
pub struct Certified {
    /// The verdict.
    pub certainty: Certainty,
    /// Enclosure `[lo, hi]` of the smallest signed relative slack over the
    /// comparisons (`None` when a branch was undecided: the intervals then
    /// enclose nothing in particular).
    pub enclosure: Option<(f64, f64)>,
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

    /// Certifies the statement on `instance`, its `f64` inputs taken as
    /// exact reals: evaluates it in [`Interval`]s and reads the sign of the
    /// enclosure of every comparison's `rhs − lhs`. `None` when its
    /// hypotheses are decidedly false there (the statement does not apply).
    pub fn certify(&self, instance: &Instance<f64>) -> Option<Certified> {
        let undecided = Some(Certified {
            certainty: Certainty::UndecidedBranch,
            enclosure: None,
        });
        let Ok(exact) = instance.cast::<Interval>() else {
            return undecided;
        };
        let evaluation = match crate::interval::decided(|| self.evaluate(&exact)) {
            Some(Ok(Some(evaluation))) => evaluation,
            Some(Ok(None)) => return None,
            _ => return undecided,
        };
        let Some((margins, slack)) = crate::interval::decided(|| {
            let margins: Vec<Interval> =
                evaluation.comparisons.iter().map(|c| c.margin()).collect();
            let slack = evaluation.comparisons.iter().map(|c| c.slack).fold(
                <Interval as num_traits::Float>::infinity(),
                num_traits::Float::min,
            );
            (margins, slack)
        }) else {
            return undecided;
        };
        let certainty = if margins.iter().any(|m| m.is_negative()) {
            Certainty::Violation
        } else if margins.iter().all(|m| m.is_nonnegative()) {
            Certainty::Hold
        } else {
            Certainty::UndecidedTight
        };
        Some(Certified {
            certainty,
            enclosure: Some((slack.lo(), slack.hi())),
        })
    }

    /// The spec group of the id: `"BIAS"` for `"BIAS-2"`.
    pub fn group(&self) -> &'static str {
        self.id.split('-').next().unwrap_or(self.id)
    }

    /// The theorem document that states it, e.g. `theorems/BIAS.md`.
    pub fn document(&self) -> String {
        format!("theorems/{}.md", self.group())
    }

    /// Draws `count` random cases from the statement's generator,
    /// reproducibly: the stream depends only on `seed` and the id.
    pub fn draw_cases(&self, count: usize, seed: u64) -> Vec<Instance<f64>> {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            proptest::test_runner::Config::default(),
            crate::random::case_rng(seed, self.id),
        );
        let strategy = (self.generator)();
        (0..count)
            .filter_map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .ok()
                    .map(|tree| tree.current())
            })
            .collect()
    }
}

/// A set of statements that `check`, `replay`, the explorer and the test
/// harness read: the built-ins ([`Registry::builtin`]) and any a user adds
/// with [`Registry::with`].
///
/// ```
/// use cliptheory::statements::Registry;
/// let registry = Registry::builtin();
/// assert!(registry.find("BIAS-2").is_ok());
/// assert_eq!(registry.len(), 35);
/// ```
#[derive(Clone, Debug)]
pub struct Registry {
    statements: Vec<Statement>,
}

impl Registry {
    /// No statements.
    pub fn empty() -> Self {
        Self {
            statements: Vec::new(),
        }
    }

    /// Every statement of the theory, in spec order.
    pub fn builtin() -> Self {
        Self {
            statements: registry().to_vec(),
        }
    }

    /// With one more statement; refuses an id already present.
    pub fn with(mut self, statement: Statement) -> Result<Self> {
        if self.statements.iter().any(|s| s.id == statement.id) {
            return Err(Error::InvalidField {
                field: "id".into(),
                reason: format!("{} is already registered", statement.id),
            });
        }
        self.statements.push(statement);
        Ok(self)
    }

    /// Looks a statement up by id (case-insensitive; `bias_2` works too).
    pub fn find(&self, id: &str) -> Result<&Statement> {
        let wanted = id.to_ascii_uppercase().replace('_', "-");
        self.statements
            .iter()
            .find(|s| s.id == wanted)
            .ok_or_else(|| Error::UnknownStatement { id: id.into() })
    }

    /// The statements, in the order they were registered.
    pub fn iter(&self) -> std::slice::Iter<'_, Statement> {
        self.statements.iter()
    }

    /// The number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

impl<'a> IntoIterator for &'a Registry {
    type Item = &'a Statement;
    type IntoIter = std::slice::Iter<'a, Statement>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Every built-in statement, in spec order (what [`Registry::builtin`]
/// holds).
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

/// Looks a built-in statement up by id (case-insensitive; `bias_2` works too).
pub fn find(id: &str) -> Result<&'static Statement> {
    let wanted = id.to_ascii_uppercase().replace('_', "-");
    registry()
        .iter()
        .find(|s| s.id == wanted)
        .ok_or_else(|| Error::UnknownStatement { id: id.into() })
}

/// Wraps a pointwise check `fn(&GradientSet<T>) -> Option<Vec<Comparison<T>>>`
/// into the three [`Evaluator`]s (`f64`, `f32`, [`Interval`]): gradients are
/// taken at the instance's `x0`.
#[macro_export]
macro_rules! pointwise {
    ($check:ident) => {{
        fn evaluate<T: $crate::real::Real>(
            instance: &$crate::instance::Instance<T>,
        ) -> $crate::error::Result<Option<Vec<$crate::tolerance::Comparison<T>>>> {
            use $crate::direction::GradientsAt as _;
            Ok($check(&instance.gradients_at_start()?))
        }
        (
            evaluate::<f64> as $crate::statements::Evaluator<f64>,
            evaluate::<f32> as $crate::statements::Evaluator<f32>,
            evaluate::<$crate::interval::Interval>
                as $crate::statements::Evaluator<$crate::interval::Interval>,
        )
    }};
}

/// Builds a pointwise [`Statement`] from a check written once, generic over
/// the float type, on the component gradients at `x0`
/// (`fn check<T: Real>(&GradientSet<T>) -> Option<Vec<Comparison<T>>>`):
///
/// ```text
/// statement!("MY-1", "‖d‖ ≤ min(γ, mean ‖g_i‖)", Holds, my_1, generator, witnesses)
/// ```
///
/// `examples/custom_lemma.rs` registers one.
#[macro_export]
macro_rules! statement {
    ($id:literal, $summary:literal, $expectation:ident, $check:ident, $generator:path, $witnesses:expr) => {{
        let (evaluate_f64, evaluate_f32, evaluate_interval) = $crate::pointwise!($check);
        $crate::statements::Statement {
            id: $id,
            summary: $summary,
            expectation: $crate::statements::Expectation::$expectation,
            evaluate_f64,
            evaluate_f32,
            evaluate_interval,
            generator: $generator,
            witnesses: $witnesses,
            loose: &[],
        }
    }};
}

/// Builds a [`Statement`] from an instance-level check written once,
/// generic over the float type (`fn check<T: Real>(&Instance<T>) ->
/// Result<Option<Vec<Comparison<T>>>>`), instantiated for `f64`, `f32` and
/// [`Interval`]:
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
            evaluate_interval: $check::<$crate::interval::Interval>,
            generator: $generator,
            witnesses: $witnesses,
            loose: &[],
        }
    };
}

/// A pointwise witness from literal gradients (`dim` taken from the first):
/// `n` linear components with these gradients, `x0 = 0`.
///
/// # Panics
/// On `γ ≤ 0`, no gradients or gradients of different dimensions: witnesses
/// are literals in code, so that is a bug in the statement's definition.
pub fn witness(name: &'static str, gamma: f64, gradients: &[&[f64]]) -> Witness {
    let vectors = gradients
        .iter()
        .map(|g| nalgebra::DVector::from_column_slice(g))
        .collect();
    let instance = Instance::from_gradients(
        crate::clipping::Threshold::new(gamma).expect("witness γ > 0"),
        vectors,
    )
    .expect("witness vectors share one dimension")
    .with_note(name);
    Witness { name, instance }
}

/// The most components a statement over every pair `(g_i, g_j)` is
/// evaluated on: `n(n − 1)/2` pairs, about 2·10⁶ (a second or two); larger
/// instances get an error naming the cap, not an hour of work.
pub const MAX_PAIRWISE_COMPONENTS: usize = 2000;

/// Evaluates a pointwise `check` over every pair of component gradients at
/// `x0`, refusing instances with more than [`MAX_PAIRWISE_COMPONENTS`]
/// components.
pub fn pairwise<T: Real>(
    instance: &Instance<T>,
    check: fn(&crate::direction::GradientSet<T>) -> Option<Vec<Comparison<T>>>,
) -> Result<Option<Vec<Comparison<T>>>> {
    use crate::direction::GradientsAt as _;
    if instance.n() > MAX_PAIRWISE_COMPONENTS {
        return Err(Error::InvalidField {
            field: "components".into(),
            reason: format!(
                "n = {} exceeds {MAX_PAIRWISE_COMPONENTS}, the most a statement over every pair is evaluated on",
                instance.n()
            ),
        });
    }
    Ok(check(&instance.gradients_at_start()?))
}

/// Every unordered pair `(i, j)`, `i < j`, of `0..n`.
pub(crate) fn pairs(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |i| ((i + 1)..n).map(move |j| (i, j)))
}
