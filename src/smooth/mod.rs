//! `(L0, L1)` relaxed smoothness: certified constants and the sampled lower
//! bound (ids SMOOTH-1..6, `theorems/SMOOTH.md`).
//!
//! A twice differentiable `f` is `(L0, L1)`-smooth when
//!
//! $$ \lVert \nabla^2 f(x)\rVert \le L_0 + L_1 \lVert \nabla f(x)\rVert \quad \text{for all } x. $$
//!
//! - [`certificate`]: proven `(L0, L1)` for every atom, component and average
//!   of the instance format (SMOOTH-4..6), and atom frontiers.
//! - [`estimator`]: the sampled lower bound on the least valid `L0` at a
//!   given `L1`, i.e. how loose a certificate is.
//! - [`generators`]: random certified instances per family.
//! - [`certify_instance`]: what `cliptheory certify` prints, as data, and
//!   [`certification_table`], the certified-versus-sampled rows of the
//!   report.

pub mod certificate;
pub mod estimator;
pub mod generators;
pub mod real_data;

use serde::Serialize;

use crate::error::Result;
use crate::instance::{Component, Instance};
use crate::random::case_rng;
use certificate::{atom_frontier, certify, Pair};
use estimator::lower_bound_l0;
use generators::Family;

/// Random points (beyond the structured candidates) the estimator samples.
pub const ESTIMATOR_SAMPLES: usize = 400;

/// Seed of the estimator in `certify` and in the table.
pub const ESTIMATOR_SEED: u64 = 20210318;

/// One component's certificate in the `certify` output.
#[derive(Clone, Debug, Serialize)]
pub struct ComponentRow {
    /// Position in the file.
    pub index: usize,
    /// Certified `L0`.
    #[serde(rename = "L0")]
    pub l0: f64,
    /// Certified `L1`.
    #[serde(rename = "L1")]
    pub l1: f64,
    /// The rules used.
    pub rule: String,
    /// Atom frontiers at this `L1` (separable components): least valid `L0`
    /// of each atom on its own, `null` where no closed form is known.
    #[serde(rename = "atom_frontier_L0", skip_serializing_if = "Vec::is_empty")]
    pub atom_frontier_l0: Vec<Option<f64>>,
}

/// The `certify` result (`--json` keys follow the contract, plus extras).
#[derive(Clone, Debug, Serialize)]
#[allow(non_snake_case)]
pub struct Certified {
    /// Per component.
    pub components: Vec<ComponentRow>,
    /// For `f`.
    pub f: Pair,
    /// The rules used for `f`.
    pub f_rule: String,
    /// Sampled lower bound on the least `L0` valid with the reported `L1`.
    pub sampled_lower_bound_L0: f64,
    /// Where it was found.
    pub lower_bound_at: Vec<f64>,
    /// Certified `L0` over the lower bound (`null` when the bound is 0).
    pub looseness: Option<f64>,
}

impl Certified {
    /// Whether the sampled lower bound exceeds the certified `L0` of `f`:
    /// then the certificate is false at the sampled point (the estimator's
    /// values already carry its rounding margin, so no further margin).
    /// `cliptheory certify` exits 2 on it; the Python binding warns.
    pub fn lower_bound_exceeds_certificate(&self) -> bool {
        self.sampled_lower_bound_L0 > self.f.l0
    }
}

/// Certifies one instance and estimates the lower bound (`samples` points).
pub fn certify_instance(instance: &Instance<f64>, samples: usize) -> Result<Certified> {
    let certification = certify(instance)?;
    let pair = certification.f.pair;
    let bound = lower_bound_l0(instance, pair, samples, ESTIMATOR_SEED);
    let components = certification
        .components
        .iter()
        .zip(instance.components())
        .enumerate()
        .map(|(index, (c, component))| ComponentRow {
            index,
            l0: c.pair.l0,
            l1: c.pair.l1,
            rule: c.rule.clone(),
            atom_frontier_l0: match component {
                Component::Separable { atoms, .. } => {
                    atoms.iter().map(|a| atom_frontier(a, c.pair.l1)).collect()
                }
                _ => Vec::new(),
            },
        })
        .collect();
    Ok(Certified {
        components,
        f: pair,
        f_rule: certification.f.rule,
        sampled_lower_bound_L0: bound.l0,
        lower_bound_at: bound.at.iter().copied().collect(),
        looseness: (bound.l0 > 0.0).then(|| pair.l0 / bound.l0),
    })
}

/// The components' own certificates, for an instance whose average `f` has
/// none: `(index, result)` per component.
pub fn certify_each_component(
    instance: &Instance<f64>,
) -> Vec<(usize, Result<certificate::Certificate>)> {
    instance
        .components()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                i,
                certificate::certify_components(std::slice::from_ref(c), instance.dim()),
            )
        })
        .collect()
}

/// `count` seeded draws of a strategy (the stream depends on the label).
fn draw(
    strategy: proptest::strategy::BoxedStrategy<Instance<f64>>,
    count: usize,
    label: &str,
) -> Vec<Instance<f64>> {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        case_rng(ESTIMATOR_SEED, label),
    );
    (0..count)
        .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
        .collect()
}

/// One row of the certification table: a family's certified `L0` against
/// the sampled lower bound, over `cases` random instances.
#[derive(Clone, Debug, Serialize)]
pub struct LoosenessRow {
    /// Family name.
    pub family: &'static str,
    /// Instances certified.
    pub cases: usize,
    /// Median of certified `L0` / lower bound (cases with a positive bound).
    pub median_ratio: Option<f64>,
    /// Largest ratio.
    pub max_ratio: Option<f64>,
    /// Cases with certified `L0 = 0` (nothing to be loose about; the lower
    /// bound is then 0 too, or the case counts as a violation).
    pub zero_l0: usize,
    /// Sampled points that violated a certificate (must be 0).
    pub violations: usize,
}

/// The table rows: `cases` instances per family, `samples` estimator points.
pub fn certification_table(cases: usize, samples: usize) -> Vec<LoosenessRow> {
    Family::ALL
        .iter()
        .map(|&family| {
            let mut ratios = Vec::new();
            let (mut zero_l0, mut violations, mut count) = (0, 0, 0);
            for case in draw(family.strategy(), cases, family.name()) {
                let Ok(certification) = certify(&case) else {
                    continue;
                };
                let pair = certification.f.pair;
                let bound = lower_bound_l0(&case, pair, samples, ESTIMATOR_SEED);
                count += 1;
                // A lower bound above the certificate (beyond rounding) is a violation.
                if bound.exceeds(pair) {
                    violations += 1;
                }
                if pair.l0 == 0.0 {
                    zero_l0 += 1;
                } else if bound.l0 > 0.0 {
                    ratios.push(pair.l0 / bound.l0);
                }
            }
            ratios.sort_by(f64::total_cmp);
            LoosenessRow {
                family: family.name(),
                cases: count,
                median_ratio: ratios.get(ratios.len() / 2).copied(),
                max_ratio: ratios.last().copied(),
                zero_l0,
                violations,
            }
        })
        .collect()
}

/// Instances per family in the report's certification table.
pub const TABLE_CASES: usize = 20;
/// Estimator points per instance in the report's certification table.
pub const TABLE_SAMPLES: usize = 100;
