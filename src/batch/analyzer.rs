//! The angle analyzer behind `cliptheory angles`: per batch size `b`, the
//! distribution of `cos θ_B` for a per-example gradient dump (BATCH-1..4 on
//! real data).
//!
//! For each `b` the analyzer either enumerates all `C(n, b)` batches
//! (`exact`) or samples them. It enumerates when that is cheap: `b = n` (one
//! batch), `b = 1` and `b = n − 1` (`n` batches, each one row or all rows
//! but one), `b = 2` and `b = n − 2` when `C(n, 2) ≤`
//! [`MAX_EXACT_BATCHES`], and whenever `C(n, b) ≤ samples`.
//!
//! Otherwise it samples from `R = min(passes, samples)` independent seeded
//! random permutations (the *replicates*, shared by all sampled sizes);
//! each is cut into `k = min(⌊n/m⌋, ⌊samples/R⌋)` consecutive disjoint
//! member sets of size `m = min(b, n − b)`, and a
//! batch is either the member set (`b ≤ n/2`) or its complement (`g_B = g
//! + ((n − b)/b)(g − g_C)`), so a batch costs `m · d` additions and a size
//! at most `passes · n · d`. Every batch is uniform over the `b`-subsets,
//! so the mean over the `K = R·k` batches is unbiased. Batches of one
//! permutation are dependent (disjoint, drawn without replacement), those of
//! different permutations independent: the standard error is the spread of
//! the `R` replicate means, `s_R/√R` (see [`AnglesRow::stderr_cos`]).
//!
//! The data are viewed in place ([`GradientMatrix`]: a memory-mapped `.npy`
//! file in its stored precision, or rows in memory) and read in two passes
//! over fixed row ranges, in parallel with the `parallel` feature: pass 1
//! computes `g` (and, with `clip`, the row norms and `Σ clip_γ(g_i)`); pass
//! 2 computes `σ²` and the per-row angles (`b = 1`, `b = n − 1`); then each
//! permutation is walked once, every row it visits being added into the
//! open batch of each sampled size, and every enumerated batch sums its
//! rows in increasing row order. Every sum has a fixed order
//! that does not depend on the number of threads, so a seed gives the same
//! numbers on any machine with IEEE doubles.

use std::path::Path;

use nalgebra::DVector;
use serde::Serialize;

use super::exact::binomial;
use super::{batch_angle, compensated_mean, variance_factor};
use crate::clipping::{clip_factor, Threshold};
use crate::direction::Angle;
use crate::error::{Error, Result};
use crate::npy::{MatrixView, NpyMatrix};
use crate::progress::{Progress, Silent};
use crate::random::{seeded_rng, RngExt};

/// Default number of batches per batch size.
pub const DEFAULT_SAMPLES: usize = 1000;

/// Default limit on permutations (replicates) per batch size.
pub const DEFAULT_PASSES: usize = 10;

/// Dumps whose entries are all smaller than this are refused: the products
/// inside the angles would underflow (`(1e-154)² ≈ f64::MIN_POSITIVE`).
pub const SMALLEST_ENTRY: f64 = 1e-150;

/// Enumeration is used only for at most this many batches per size,
/// whatever `samples` says (`C(40, 20)` is 1.4·10¹¹); `b = 2` and
/// `b = n − 2` are enumerated whenever `C(n, 2)` is within it.
pub const MAX_EXACT_BATCHES: usize = 1_000_000;

/// The most batch memberships (row indices, 4 bytes each) one analysis
/// holds: 2.5·10⁸, 1 GB. Larger requests are refused before any work.
pub const MAX_MEMBERSHIP_ENTRIES: usize = 250_000_000;

/// Default seed of the sampler.
pub const DEFAULT_ANGLES_SEED: u64 = 20210318;

/// A fall of the mean cosine is significant when it exceeds this many
/// combined standard errors (plus [`EXACT_RESOLUTION`]).
pub const MONOTONE_Z: f64 = 3.0;

/// Rounding floor for comparing two exact means of cosines: smaller falls
/// are not listed.
pub const EXACT_RESOLUTION: f64 = 1e-12;

/// Accumulation lanes of the row kernels: independent partial sums that
/// the compiler keeps in vector registers, added in a fixed order.
const LANES: usize = 4;

/// A per-example gradient matrix `(n, d)`, row `i` = `g_i`, viewed in place.
pub trait GradientMatrix: Sync {
    /// `(n, d)`.
    fn shape(&self) -> (usize, usize);

    /// The entries, row-major.
    fn view(&self) -> MatrixView<'_>;

    /// Where a value sits, for error messages (`row 3, column 1`, prefixed
    /// by the file when there is one).
    fn locate(&self, row: usize, col: usize) -> String {
        format!("row {row}, column {col}")
    }
}

impl GradientMatrix for NpyMatrix {
    fn shape(&self) -> (usize, usize) {
        NpyMatrix::shape(self)
    }

    fn view(&self) -> MatrixView<'_> {
        NpyMatrix::view(self)
    }

    fn locate(&self, row: usize, col: usize) -> String {
        format!("{}: row {row}, column {col}", self.path().display())
    }
}

/// A row-major matrix in memory.
#[derive(Clone, Copy, Debug)]
pub struct RowsInMemory<'a> {
    rows: usize,
    cols: usize,
    values: &'a [f64],
}

impl<'a> RowsInMemory<'a> {
    /// Wraps `values` (`rows × cols`, row-major); refuses an empty matrix, a
    /// length that does not match, and non-finite entries.
    pub fn new(rows: usize, cols: usize, values: &'a [f64]) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(Error::Empty {
                what: format!("gradient matrix ({rows} × {cols})"),
            });
        }
        if values.len() != rows * cols {
            return Err(Error::DimensionMismatch {
                field: "gradient matrix (rows · cols)".into(),
                expected: rows * cols,
                found: values.len(),
            });
        }
        if let Some(k) = values.iter().position(|x| !x.is_finite()) {
            return Err(Error::NonFinite {
                field: format!("row {}, column {}", k / cols, k % cols),
                value: values[k],
            });
        }
        Ok(Self { rows, cols, values })
    }
}

impl GradientMatrix for RowsInMemory<'_> {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn view(&self) -> MatrixView<'_> {
        MatrixView::F64(self.values)
    }
}

/// The JSON keys of a row's statistics that exact enumeration determines
/// (the `angles --json` contract, besides `b`, `exact`, `batches` and the
/// standard error).
pub const ROW_STATISTICS: [&str; 7] = [
    "mean_cos",
    "q10_cos",
    "q50_cos",
    "q90_cos",
    "frac_obtuse",
    "mean_sin2",
    "bound_sin2",
];

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct AnglesOptions {
    /// Batch sizes; empty means `1, 2, 4, …` below `n`, and `n`.
    pub batch_sizes: Vec<usize>,
    /// Batches per sampled batch size (and the enumeration limit on `C(n, b)`).
    pub samples: usize,
    /// At most this many permutations per sampled batch size.
    pub passes: usize,
    /// Seed of the permutations.
    pub seed: u64,
    /// Also the angles of clipped batch means: `cos` between `(1/b)
    /// Σ_{i∈B} clip_γ(g_i)` and `g` (finite and `> 0`).
    pub clip: Option<f64>,
}

impl Default for AnglesOptions {
    fn default() -> Self {
        Self {
            batch_sizes: Vec::new(),
            samples: DEFAULT_SAMPLES,
            passes: DEFAULT_PASSES,
            seed: DEFAULT_ANGLES_SEED,
            clip: None,
        }
    }
}

/// Every `b = 1, …, n` for small dumps (`n ≤ 16`, where a non-monotone
/// step such as BATCH-4's `b = 2 → 3` must not be skipped); otherwise
/// `1, 2, 4, …` below `n`, then `n − 1` (exact, `n` batches) and `n`.
pub fn default_batch_sizes(n: usize) -> Vec<usize> {
    if n <= 16 {
        return (1..=n).collect();
    }
    let mut sizes: Vec<usize> = std::iter::successors(Some(1usize), |b| b.checked_mul(2))
        .take_while(|&b| b < n - 1)
        .collect();
    sizes.extend([n - 1, n]);
    sizes
}

/// One batch size of the report (the contract's keys, plus `batches` and
/// `replicates`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnglesRow {
    /// Batch size `b`.
    pub b: usize,
    /// Whether all `C(n, b)` batches were enumerated.
    pub exact: bool,
    /// How many batches the statistics are over.
    pub batches: usize,
    /// Independent permutations the sampled batches come from (`R`); `0`
    /// when exact.
    pub replicates: usize,
    /// `E[cos θ_B]` (exact) or its sample mean.
    pub mean_cos: f64,
    /// Standard error of `mean_cos`: `0` when exact; else `s_R/√R`, with
    /// `s_R` the sample standard deviation of the `R` replicate means (each
    /// the mean over the `k` disjoint batches of one permutation). The
    /// replicates are independent and identically distributed, so `s_R²/R`
    /// is an unbiased estimate of the variance of `mean_cos` whatever the
    /// dependence inside a permutation; no finite-population correction
    /// applies between replicates (permutations are drawn independently,
    /// i.e. with replacement). `None` (JSON `null`) when `R < 2`.
    pub stderr_cos: Option<f64>,
    /// 10% quantile of `cos θ_B`.
    pub q10_cos: f64,
    /// Median of `cos θ_B`.
    pub q50_cos: f64,
    /// 90% quantile of `cos θ_B`.
    pub q90_cos: f64,
    /// Fraction of batches with `cos θ_B < 0`.
    pub frac_obtuse: f64,
    /// `E[sin² θ_B]` (exact) or its sample mean.
    pub mean_sin2: f64,
    /// BATCH-3: `min(1, (n − b)σ²/(b(n − 1)‖g‖²))`.
    pub bound_sin2: f64,
    /// With `clip = γ`: the mean over the same batches of `cos` between
    /// the clipped batch mean `(1/b) Σ_{i∈B} clip_γ(g_i)` and `g` (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_cos_clipped: Option<f64>,
    /// With `clip = γ`: the standard error of `mean_cos_clipped`, as for
    /// `stderr_cos` (`null` when not estimable; absent without `clip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr_cos_clipped: Option<Option<f64>>,
    /// The `R` replicate means behind `stderr_cos` (not serialized).
    #[serde(skip)]
    pub replicate_means: Vec<f64>,
}

/// A fall of the mean cosine between two consecutive batch sizes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fall {
    /// The smaller batch size.
    pub from_b: usize,
    /// The next batch size.
    pub to_b: usize,
    /// `mean_cos(from_b) − mean_cos(to_b) > 0`.
    pub drop: f64,
    /// Standard error of `drop`: between two sampled rows, from the paired
    /// replicate differences (both sizes are cut from the same
    /// permutations); against an exact row, the sampled row's; `0`
    /// between exact rows; `None` when it cannot be estimated (`R < 2`).
    pub stderr: Option<f64>,
    /// `drop > 3 · stderr + 10⁻¹²` (`false` when `stderr` is `None`).
    pub significant: bool,
}

/// The analysis of one dump (the contract's keys, plus `falls`, `summary`,
/// `seed`, `samples`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnglesReport {
    /// Number of rows (examples) read.
    pub n: usize,
    /// Number of columns (parameters) read.
    pub d: usize,
    /// `‖g‖`.
    pub grad_norm: f64,
    /// `σ² = (1/n) Σ ‖g_i − g‖²`.
    pub sigma2: f64,
    /// No significant fall: the mean cosine never falls between two
    /// consecutive evaluated batch sizes by more than `3` combined standard
    /// errors (exact rows: `10⁻¹²`). It says nothing about sizes between
    /// those evaluated, nor about falls within noise (listed in `falls`).
    pub monotone: bool,
    /// Every fall of the mean cosine between consecutive sizes larger than
    /// `10⁻¹²`, significant or not.
    pub falls: Vec<Fall>,
    /// One line: monotone, or where the curve dips and by how much.
    pub summary: String,
    /// Seed of the sampler.
    pub seed: u64,
    /// The clipping threshold `γ` of `mean_cos_clipped` (absent without).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip: Option<f64>,
    /// Batches per sampled size asked for.
    pub samples: usize,
    /// One row per batch size, increasing.
    pub rows: Vec<AnglesRow>,
}

/// How one batch size is computed.
#[derive(Clone, Debug)]
struct Plan {
    b: usize,
    kind: PlanKind,
}

#[derive(Clone, Debug)]
enum PlanKind {
    /// `b = n`: the one batch is everything.
    Everything,
    /// Every batch is one row (`b = 1`) or all rows but one (`b = n − 1`):
    /// computed row by row in pass 2.
    PerRow { complement: bool },
    /// All `C(n, m)` member sets of `m` rows (`B`, or `B^c` when
    /// `complement`), in lexicographic order: `members[k·m..(k+1)·m]`.
    Enumerated {
        complement: bool,
        m: usize,
        members: Vec<u32>,
    },
    /// `per_replicate` disjoint member sets of `m` rows from each of the
    /// shared permutations: the consecutive blocks of its first
    /// `per_replicate · m` entries.
    Sampled {
        complement: bool,
        m: usize,
        per_replicate: usize,
    },
}

impl Plan {
    fn exact(&self) -> bool {
        !matches!(self.kind, PlanKind::Sampled { .. })
    }
}

/// What to compute: one plan per batch size, and the shared permutation
/// prefixes the sampled sizes cut their batches from.
struct Schedule {
    plans: Vec<Plan>,
    /// `R` seeded random permutations of `0..n`, each only as long as the
    /// longest sampled size needs.
    permutations: Vec<Vec<u32>>,
}

/// All `m`-subsets of `0..n` in lexicographic order.
fn push_all_subsets(n: usize, m: usize, members: &mut Vec<u32>) -> usize {
    let mut subset: Vec<usize> = (0..m).collect();
    let mut count = 0;
    loop {
        members.extend(subset.iter().map(|&i| i as u32));
        count += 1;
        let Some(k) = (0..m).rev().find(|&k| subset[k] < n - m + k) else {
            return count;
        };
        subset[k] += 1;
        for j in k + 1..m {
            subset[j] = subset[j - 1] + 1;
        }
    }
}

/// The first `length` entries of a seeded uniformly random permutation of
/// `0..n` (partial Fisher–Yates), replicate `r`.
fn permutation_prefix(n: usize, length: usize, seed: u64, r: usize) -> Vec<u32> {
    let mut rng = seeded_rng(seed, &format!("angles permutation {r}"));
    let mut order: Vec<u32> = (0..n as u32).collect();
    for j in 0..length {
        let k = rng.random_range(j..n);
        order.swap(j, k);
    }
    order.truncate(length);
    order
}

fn plan(n: usize, options: &AnglesOptions) -> Result<Schedule> {
    if options.samples == 0 {
        return Err(Error::InvalidField {
            field: "samples".into(),
            reason: "must be at least 1".into(),
        });
    }
    if options.passes == 0 {
        return Err(Error::InvalidField {
            field: "passes".into(),
            reason: "must be at least 1".into(),
        });
    }
    let mut sizes = if options.batch_sizes.is_empty() {
        default_batch_sizes(n)
    } else {
        options.batch_sizes.clone()
    };
    if let Some(&b) = sizes.iter().find(|&&b| b == 0 || b > n) {
        return Err(Error::InvalidField {
            field: "batch_sizes".into(),
            reason: format!("batch size {b} is outside 1..={n} (n = number of rows)"),
        });
    }
    sizes.sort_unstable();
    sizes.dedup();
    let replicates = options.passes.min(options.samples);
    let mut memberships = 0usize;
    let mut longest = 0usize;
    let plans = sizes
        .into_iter()
        .map(|b| -> Result<Plan> {
            let m = b.min(n - b);
            let complement = b > n - b;
            let kind = if m == 0 {
                PlanKind::Everything
            } else if m == 1 {
                PlanKind::PerRow { complement }
            } else {
                let subsets = binomial(n, m);
                let exact = subsets <= options.samples.min(MAX_EXACT_BATCHES) as f64
                    || (m == 2 && subsets <= MAX_EXACT_BATCHES as f64);
                if exact {
                    let count = subsets as usize;
                    memberships = memberships.saturating_add(count.saturating_mul(m));
                    let mut members = Vec::with_capacity(count * m);
                    push_all_subsets(n, m, &mut members);
                    PlanKind::Enumerated {
                        complement,
                        m,
                        members,
                    }
                } else {
                    let per_replicate = (n / m).min((options.samples / replicates).max(1));
                    longest = longest.max(per_replicate * m);
                    PlanKind::Sampled {
                        complement,
                        m,
                        per_replicate,
                    }
                }
            };
            Ok(Plan { b, kind })
        })
        .collect::<Result<Vec<_>>>()?;
    let sampled = plans.iter().any(|p| !p.exact());
    let permutations = if sampled { replicates } else { 0 };
    if memberships.saturating_add(permutations.saturating_mul(longest)) > MAX_MEMBERSHIP_ENTRIES {
        return Err(Error::InvalidField {
            field: "samples".into(),
            reason: format!(
                "{memberships} enumerated batch memberships and {permutations} permutations of {longest} rows exceed the budget of {MAX_MEMBERSHIP_ENTRIES} row indices; ask for fewer samples or passes"
            ),
        });
    }
    let permutations = (0..permutations)
        .map(|r| permutation_prefix(n, longest, options.seed, r))
        .collect();
    Ok(Schedule {
        plans,
        permutations,
    })
}

/// Quantile `q ∈ [0, 1]` of sorted values, interpolating linearly between
/// order statistics (NumPy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let weight = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * weight
}

/// Below this many matrix entries a run takes well under a second: no bar.
pub const PROGRESS_MIN_ENTRIES: usize = 10_000_000;

/// Analyzes the rows of `matrix` (see the module docs).
pub fn analyze(matrix: &dyn GradientMatrix, options: &AnglesOptions) -> Result<AnglesReport> {
    analyze_with(matrix, options, &Silent)
}

/// Maps the `.npy` file at `path` (or reads it, for a pipe) and analyzes it.
pub fn analyze_file(path: &Path, options: &AnglesOptions) -> Result<AnglesReport> {
    analyze_file_with(path, options, &Silent)
}

/// [`analyze_file`], reporting progress (see [`analyze_with`]).
pub fn analyze_file_with(
    path: &Path,
    options: &AnglesOptions,
    progress: &dyn Progress,
) -> Result<AnglesReport> {
    let matrix = NpyMatrix::open(path)?;
    analyze_with(&matrix, options, progress)
}

/// `f(0), …, f(count − 1)` in order, on all cores with the `parallel`
/// feature. Each value is computed by one call, so the result does not
/// depend on the number of threads.
fn map_indexed<R: Send>(count: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..count).map(f).collect()
    }
}

/// `Σ_k lanes[k]` in a fixed order.
#[inline]
fn lane_sum(lanes: [f64; LANES]) -> f64 {
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

/// `[Σ_k t(k)_j]_j` over `k < len`, term `k` added into lane `k mod LANES`
/// and the lanes added in a fixed order: independent chains the compiler
/// keeps in registers, and the same rounding whatever the caller.
// Lane `l` is an index into two arrays at once, unrolled by the compiler.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn lane_sums<const J: usize>(len: usize, term: impl Fn(usize) -> [f64; J]) -> [f64; J] {
    let mut acc = [[0.0f64; LANES]; J];
    let full = len / LANES * LANES;
    let mut base = 0;
    while base < full {
        for l in 0..LANES {
            let t = term(base + l);
            for j in 0..J {
                acc[j][l] += t[j];
            }
        }
        base += LANES;
    }
    for k in full..len {
        let t = term(k);
        for j in 0..J {
            acc[j][k - full] += t[j];
        }
    }
    acc.map(lane_sum)
}

/// [`lane_sums`] with term `k` a function of `(row[k], mean[k], unit[k])`
/// only: the same lanes, in the same order (so the same bits), over zipped
/// chunks instead of indices. The indexed form kept a bounds check per
/// entry and ran scalar; this one vectorises.
// Lane `l` is an index into two arrays at once, unrolled by the compiler.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn row_lane_sums<E: Copy + Into<f64>, const J: usize>(
    row: &[E],
    mean: &[f64],
    unit: &[f64],
    term: impl Fn(f64, f64, f64) -> [f64; J],
) -> [f64; J] {
    let d = row.len();
    let (mean, unit) = (&mean[..d], &unit[..d]);
    let mut acc = [[0.0f64; LANES]; J];
    let full = d / LANES * LANES;
    for ((r, m), u) in row[..full]
        .chunks_exact(LANES)
        .zip(mean[..full].chunks_exact(LANES))
        .zip(unit[..full].chunks_exact(LANES))
    {
        let (r, m, u): (&[E; LANES], &[f64; LANES], &[f64; LANES]) = (
            r.try_into().expect("chunks of LANES"),
            m.try_into().expect("chunks of LANES"),
            u.try_into().expect("chunks of LANES"),
        );
        for l in 0..LANES {
            let t = term(r[l].into(), m[l], u[l]);
            for j in 0..J {
                acc[j][l] += t[j];
            }
        }
    }
    for (l, ((&r, &m), &u)) in row[full..]
        .iter()
        .zip(&mean[full..])
        .zip(&unit[full..])
        .enumerate()
    {
        let t = term(r.into(), m, u);
        for j in 0..J {
            acc[j][l] += t[j];
        }
    }
    acc.map(lane_sum)
}

/// `Σ_k (y_k − c·u_k)²`, the squared norm of `y`'s part orthogonal to the
/// unit vector `u` (with `c = ⟨y, u⟩`).
#[inline(always)]
fn orthogonal_squared(y: impl Fn(usize) -> f64, c: f64, u: &[f64]) -> f64 {
    let [sum] = lane_sums(u.len(), |k| {
        let r = y(k) - c * u[k];
        [r * r]
    });
    sum
}

/// Whether a sum of squares can be trusted as computed (no overflow, no
/// digits lost to subnormals): otherwise the scaled norms decide.
#[inline]
fn safe_squares(s: f64) -> bool {
    s.is_finite() && (s == 0.0 || s >= f64::MIN_POSITIVE / f64::EPSILON)
}

/// The angle of `g_B = g + δ` to `g` from the batch mean's and the
/// deviation's squares and projections on `u` (`bm2 = ‖g_B‖²`, `bmu =
/// ⟨g_B, u⟩`, `dev2 = ‖δ‖²`, `devu = ⟨δ, u⟩`), as [`batch_angle`] computes
/// it: the sine from the shorter of `g_B` and `δ`. `None` when a sum of
/// squares is outside the safe range (the caller falls back to
/// [`batch_angle`]).
#[allow(clippy::too_many_arguments)]
#[inline]
fn angle_from_moments(
    bm2: f64,
    bmu: f64,
    dev2: f64,
    devu: f64,
    batch_mean: impl Fn(usize) -> f64,
    deviation: impl Fn(usize) -> f64,
    u: &[f64],
) -> Option<Angle<f64>> {
    if !safe_squares(bm2) || !safe_squares(dev2) {
        return None;
    }
    let batch_norm = bm2.sqrt();
    if batch_norm == 0.0 {
        return Some(Angle { cos: 0.0, sin: 1.0 });
    }
    let orthogonal = if dev2.sqrt() < batch_norm {
        orthogonal_squared(deviation, devu, u)
    } else {
        orthogonal_squared(batch_mean, bmu, u)
    };
    Some(Angle {
        cos: (bmu / batch_norm).clamp(-1.0, 1.0),
        sin: (orthogonal.sqrt() / batch_norm).min(1.0),
    })
}

/// A batch's angle and, when clipping, its clipped batch's `cos`.
type Outcome = (Angle<f64>, Option<f64>);

/// What pass 2 keeps of one row.
#[derive(Clone, Copy, Debug)]
struct RowResult {
    /// `‖g_i − g‖²`.
    squared_deviation: f64,
    /// `θ_B` for `B = {i}`, when asked for.
    single: Option<Angle<f64>>,
    /// `θ_B` for `B = [n] \ {i}`, when asked for.
    all_but_one: Option<Angle<f64>>,
    /// The clipped batch's `cos` for `B = [n] \ {i}`, when asked for.
    all_but_one_clipped: Option<f64>,
}

/// Row `i`'s squared deviation and angles (see [`RowResult`]).
fn row_result<E: Copy + Into<f64>>(
    row: &[E],
    mean: &[f64],
    unit: &[f64],
    grad_norm: f64,
    n: usize,
    single: bool,
    all_but_one: bool,
) -> RowResult {
    let d = row.len();
    let (mean, unit) = (&mean[..d], &unit[..d]);
    let x = |k: usize| -> f64 { row[k].into() };
    let delta = |k: usize| -> f64 { x(k) - mean[k] };
    // One fused pass: ‖x‖², ⟨x, u⟩, ‖δ‖², ⟨δ, u⟩ with δ = x − g.
    let [xx, xu, dd, du] = row_lane_sums(row, mean, unit, |v, m, u| {
        let w = v - m;
        [v * v, v * u, w * w, w * u]
    });
    let slow = || {
        let vector = DVector::from_iterator(row.len(), row.iter().map(|&v| v.into()));
        let mean = DVector::from_column_slice(mean);
        let deviation = &vector - &mean;
        (vector, mean, deviation, DVector::from_column_slice(unit))
    };
    // ‖P⊥(g_i − g)‖², shared by b = 1 and b = n − 1 (whose deviation is
    // a multiple of g_i − g).
    let orthogonal_deviation = std::cell::OnceCell::new();
    let orthogonal_delta = || {
        // orthogonal_squared(delta, du, unit), zipped (the same bits).
        *orthogonal_deviation.get_or_init(|| {
            let [sum] = row_lane_sums(row, mean, unit, |v, m, u| {
                let r = (v - m) - du * u;
                [r * r]
            });
            sum
        })
    };
    let single = single.then(|| {
        if safe_squares(xx) && safe_squares(dd) && xx > 0.0 && dd.sqrt() < xx.sqrt() {
            let batch_norm = xx.sqrt();
            return Angle {
                cos: (xu / batch_norm).clamp(-1.0, 1.0),
                sin: (orthogonal_delta().sqrt() / batch_norm).min(1.0),
            };
        }
        angle_from_moments(xx, xu, dd, du, x, delta, unit).unwrap_or_else(|| {
            let (vector, _, deviation, unit) = slow();
            batch_angle(&vector, &deviation, &unit)
        })
    });
    let all_but_one = all_but_one.then(|| {
        // B = all rows but i: g_B − g = −(g_i − g)/(n − 1).
        let scale = -1.0 / (n - 1) as f64;
        // ‖g_B‖² = ‖g‖² + 2s‖g‖⟨δ, u⟩ + s²‖δ‖² and ⟨g_B, u⟩ = ‖g‖ + s⟨δ, u⟩
        // (s = −1/(n − 1)): no loop, unless g_B is much shorter than g
        // (then the sum cancels and the loop below computes it).
        let g2 = grad_norm * grad_norm;
        let bm2 = g2 + 2.0 * scale * grad_norm * du + scale * scale * dd;
        let dev2 = dd * scale * scale;
        if safe_squares(dd) && safe_squares(g2) && bm2 >= 0.25 * g2 && dev2 < bm2 {
            let batch_norm = bm2.sqrt();
            return Angle {
                cos: ((grad_norm + scale * du) / batch_norm).clamp(-1.0, 1.0),
                sin: (scale.abs() * orthogonal_delta().sqrt() / batch_norm).min(1.0),
            };
        }
        let batch_mean = |k: usize| mean[k] + delta(k) * scale;
        let [bm2, bmu] = lane_sums(d, |k| {
            let v = batch_mean(k);
            [v * v, v * unit[k]]
        });
        let devu = du * scale;
        angle_from_moments(bm2, bmu, dev2, devu, batch_mean, |k| delta(k) * scale, unit)
            .unwrap_or_else(|| {
                let (_, mean, deviation, unit) = slow();
                let batch_deviation = &deviation * scale;
                batch_angle(&(&mean + &batch_deviation), &batch_deviation, &unit)
            })
    });
    RowResult {
        squared_deviation: dd,
        single,
        all_but_one,
        all_but_one_clipped: None,
    }
}

/// The angle of the batch of size `b` whose member set (`m` rows) has sum
/// `member_sum`: the batch itself, or its complement when `complement`.
fn member_set_angle(
    member_sum: &[f64],
    m: usize,
    b: usize,
    complement: bool,
    mean: &[f64],
    unit: &[f64],
) -> Angle<f64> {
    let d = unit.len();
    let (member_sum, mean) = (&member_sum[..d], &mean[..d]);
    let (m, b) = (m as f64, b as f64);
    // g_B, and δ = g_B − g; for a complement, δ = (g − g_C)·m/b.
    let deviation = |k: usize| {
        if complement {
            (mean[k] - member_sum[k] / m) * (m / b)
        } else {
            member_sum[k] / b - mean[k]
        }
    };
    let batch_mean = |k: usize| {
        if complement {
            mean[k] + deviation(k)
        } else {
            member_sum[k] / b
        }
    };
    let [bm2, bmu, dev2, devu] = lane_sums(d, |k| {
        let (v, w) = (batch_mean(k), deviation(k));
        [v * v, v * unit[k], w * w, w * unit[k]]
    });
    angle_from_moments(bm2, bmu, dev2, devu, batch_mean, deviation, unit).unwrap_or_else(|| {
        let d = unit.len();
        batch_angle(
            &DVector::from_fn(d, |k, _| batch_mean(k)),
            &DVector::from_fn(d, |k, _| deviation(k)),
            &DVector::from_column_slice(unit),
        )
    })
}

/// `target += factor · row`, widened to `f64`.
#[inline]
fn add_scaled_row<E: Copy + Into<f64>>(target: &mut [f64], row: &[E], factor: f64) {
    for (t, &x) in target.iter_mut().zip(row) {
        *t += factor * x.into();
    }
}

/// `‖row‖`, from the lane sum of squares when that is safe, else the
/// scaled norm.
fn row_norm<E: Copy + Into<f64>>(row: &[E]) -> f64 {
    let [squares] = lane_sums(row.len(), |k| {
        let x: f64 = row[k].into();
        [x * x]
    });
    if safe_squares(squares) {
        squares.sqrt()
    } else {
        crate::real::norm(&DVector::from_iterator(
            row.len(),
            row.iter().map(|&x| x.into()),
        ))
    }
}

/// `cos` between `v` (given coordinate-wise) and the unit vector `u`:
/// `⟨v, u⟩/‖v‖`, clamped; `0` for `v = 0` (as for unclipped batches).
fn cos_to_unit(v: impl Fn(usize) -> f64, u: &[f64]) -> f64 {
    let [squares, inner] = lane_sums(u.len(), |k| {
        let x = v(k);
        [x * x, x * u[k]]
    });
    let length = if safe_squares(squares) {
        squares.sqrt()
    } else {
        crate::real::norm(&DVector::from_fn(u.len(), |k, _| v(k)))
    };
    if length == 0.0 {
        0.0
    } else {
        (inner / length).clamp(-1.0, 1.0)
    }
}

/// `target += row`, widened to `f64`.
#[inline]
fn add_row<E: Copy + Into<f64>>(target: &mut [f64], row: &[E]) {
    for (t, &x) in target.iter_mut().zip(row) {
        *t += x.into();
    }
}

/// `sum += row` (widened to `f64`) and `max_k |row_k|` in one loop (NaN
/// entries are skipped by the maximum: pass 1 reports them).
#[allow(clippy::needless_range_loop)]
#[inline]
fn add_row_and_largest<E: Copy + Into<f64>>(sum: &mut [f64], row: &[E]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let full = row.len() / LANES * LANES;
    for (s, x) in sum[..full]
        .chunks_exact_mut(LANES)
        .zip(row[..full].chunks_exact(LANES))
    {
        for l in 0..LANES {
            let v: f64 = x[l].into();
            s[l] += v;
            let a = v.abs();
            lanes[l] = if a > lanes[l] { a } else { lanes[l] };
        }
    }
    for (s, &x) in sum[full..].iter_mut().zip(&row[full..]) {
        let v: f64 = x.into();
        *s += v;
        lanes[0] = lanes[0].max(v.abs());
    }
    lanes.into_iter().fold(0.0, f64::max)
}

/// Rows per task of pass 1: a function of `(n, d)` only (at most 64
/// partial sums of `d` floats, at most 64 MB of them), so the order of
/// summation does not depend on the number of threads.
fn pass_one_tasks(n: usize, d: usize) -> usize {
    let tasks = 64.min((8_000_000 / d).max(1)).min(n);
    n.div_ceil(tasks.max(1))
}

/// The analysis on one element type (the matrix in its stored precision).
fn analyze_view<E: Copy + Into<f64> + Send + Sync>(
    values: &[E],
    matrix: &dyn GradientMatrix,
    schedule: &Schedule,
    options: &AnglesOptions,
    progress: Option<&dyn Progress>,
) -> Result<AnglesReport> {
    let (n, d) = matrix.shape();
    let row = |i: usize| &values[i * d..(i + 1) * d];
    let (plans, permutations) = (&schedule.plans, &schedule.permutations);
    let gamma = options
        .clip
        .map(|gamma| {
            Threshold::new(gamma).map_err(|_| Error::InvalidField {
                field: "clip".into(),
                reason: format!("must be a finite number > 0, got {gamma}"),
            })
        })
        .transpose()?;

    // Pass 1: the full gradient, from partial sums over fixed row ranges.
    if let Some(bar) = progress {
        bar.start("pass 1/2: mean", n as u64);
    }
    let rows_per_task = pass_one_tasks(n, d);
    let partials = map_indexed(n.div_ceil(rows_per_task), |t| {
        let rows = t * rows_per_task..((t + 1) * rows_per_task).min(n);
        let mut sum = vec![0.0f64; d];
        let mut clipped_sum = vec![0.0f64; if gamma.is_some() { d } else { 0 }];
        let mut factors = Vec::new();
        let mut largest = 0.0f64;
        for i in rows.clone() {
            largest = largest.max(add_row_and_largest(&mut sum, row(i)));
            if let Some(gamma) = gamma {
                let factor = clip_factor(row_norm(row(i)), gamma);
                add_scaled_row(&mut clipped_sum, row(i), factor);
                factors.push(factor);
            }
        }
        if let Some(bar) = progress {
            bar.advance(rows.len() as u64);
        }
        (rows, sum, largest, clipped_sum, factors)
    });
    let mut sum = vec![0.0f64; d];
    let mut clipped_sum = vec![0.0f64; if gamma.is_some() { d } else { 0 }];
    let mut factors = Vec::with_capacity(if gamma.is_some() { n } else { 0 });
    let mut largest = 0.0f64;
    for (rows, partial, partial_largest, clipped_partial, partial_factors) in &partials {
        // A NaN or ±∞ entry makes its range's sum non-finite (entries are
        // at most f32::MAX or f64::MAX; an f64 sum may also overflow).
        if partial.iter().any(|s| !s.is_finite()) {
            for i in rows.clone() {
                if let Some(k) = row(i)
                    .iter()
                    .position(|&x| !Into::<f64>::into(x).is_finite())
                {
                    return Err(Error::NonFinite {
                        field: matrix.locate(i, k),
                        value: row(i)[k].into(),
                    });
                }
            }
        }
        add_row(&mut sum, partial);
        add_row(&mut clipped_sum, clipped_partial);
        factors.extend_from_slice(partial_factors);
        largest = largest.max(*partial_largest);
    }
    drop(partials);
    let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
    let too_large = || Error::InvalidField {
        field: "gradients".into(),
        reason: "the rows are too large: Σ ‖g_i − g‖² overflows a float64".into(),
    };
    if mean.iter().any(|x| !x.is_finite()) {
        return Err(too_large());
    }
    let mean_vector = DVector::from_column_slice(&mean);
    let grad_norm = crate::real::norm(&mean_vector);
    if grad_norm == 0.0 {
        return Err(Error::InvalidField {
            field: "gradients".into(),
            reason: "the full gradient (mean of the rows) is zero: angles to it are undefined"
                .into(),
        });
    }
    // Products of two entries must not underflow, or cosines and sines
    // come out 0 together; angles do not depend on the scale.
    if largest < SMALLEST_ENTRY {
        return Err(Error::InvalidField {
            field: "gradients".into(),
            reason: format!(
                "every entry is below {SMALLEST_ENTRY:e} in size (largest {largest:e}): products underflow; multiply the dump by a power of two (angles do not change)"
            ),
        });
    }
    let unit: Vec<f64> = mean.iter().map(|x| x / grad_norm).collect();

    // Pass 2: σ² and the per-row angles, row by row.
    let single = plans
        .iter()
        .any(|p| matches!(p.kind, PlanKind::PerRow { complement: false }));
    let all_but_one = plans
        .iter()
        .any(|p| matches!(p.kind, PlanKind::PerRow { complement: true }));
    if let Some(bar) = progress {
        bar.start("pass 2/2: rows", n as u64);
    }
    let per_row = map_indexed(n, |i| {
        let mut result = row_result(row(i), &mean, &unit, grad_norm, n, single, all_but_one);
        if gamma.is_some() && all_but_one {
            // Σ_{j≠i} clip(g_j) = S_c − clip(g_i); the scale 1/(n − 1)
            // does not change the cosine.
            let x = row(i);
            result.all_but_one_clipped = Some(cos_to_unit(
                |k| clipped_sum[k] - factors[i] * Into::<f64>::into(x[k]),
                &unit,
            ));
        }
        if let Some(bar) = progress {
            if i % 1024 == 1023 {
                bar.advance(1024);
            }
        }
        result
    });
    let sigma2 = compensated_mean(per_row.iter().map(|r| r.squared_deviation));
    if !(sigma2 * n as f64).is_finite() {
        return Err(too_large());
    }

    // Sampled sizes: each permutation is walked once; every row it visits
    // is added into the open block of each size that still takes rows, and
    // a block that reaches `m` rows gives one batch. (One read of a row
    // serves all sizes; batches of one size are disjoint within a
    // permutation, and the permutations are independent.)
    let sampled: Vec<(usize, bool, usize, usize)> = plans
        .iter()
        .filter_map(|p| match p.kind {
            PlanKind::Sampled {
                complement,
                m,
                per_replicate,
            } => Some((p.b, complement, m, per_replicate)),
            _ => None,
        })
        .collect();
    if let Some(bar) = progress {
        bar.start("sampled batches", permutations.len() as u64);
    }
    let clipping = gamma.is_some();
    // The clipped batch's cos from the clipped sum of its member set.
    let clipped_cos = |member_sum: &[f64], complement: bool| {
        if complement {
            cos_to_unit(|k| clipped_sum[k] - member_sum[k], &unit)
        } else {
            cos_to_unit(|k| member_sum[k], &unit)
        }
    };
    let by_replicate: Vec<Vec<Vec<Outcome>>> = map_indexed(permutations.len(), |r| {
        let order = &permutations[r];
        let mut open = vec![0.0f64; sampled.len() * d];
        let mut open_clipped = vec![0.0f64; if clipping { sampled.len() * d } else { 0 }];
        let mut angles: Vec<Vec<Outcome>> = sampled
            .iter()
            .map(|&(.., per_replicate)| Vec::with_capacity(per_replicate))
            .collect();
        for (j, &i) in order.iter().enumerate() {
            let values = row(i as usize);
            for (s, &(b, complement, m, per_replicate)) in sampled.iter().enumerate() {
                if j >= per_replicate * m {
                    continue;
                }
                let block = &mut open[s * d..(s + 1) * d];
                add_row(block, values);
                let clipped_block = if clipping {
                    let block = &mut open_clipped[s * d..(s + 1) * d];
                    add_scaled_row(block, values, factors[i as usize]);
                    Some(block)
                } else {
                    None
                };
                if (j + 1) % m == 0 {
                    let angle = member_set_angle(block, m, b, complement, &mean, &unit);
                    let clipped = clipped_block.map(|c| {
                        let cos = clipped_cos(c, complement);
                        c.fill(0.0);
                        cos
                    });
                    angles[s].push((angle, clipped));
                    block.fill(0.0);
                }
            }
        }
        if let Some(bar) = progress {
            bar.advance(1);
        }
        angles
    });
    let mut sampled_angles: Vec<Vec<Outcome>> = vec![Vec::new(); sampled.len()];
    for replicate in by_replicate {
        for (all, batches) in sampled_angles.iter_mut().zip(replicate) {
            all.extend(batches);
        }
    }
    let mut sampled_angles = sampled_angles.into_iter();

    // Enumerated sizes: each batch sums its rows in increasing order.
    let rows: Vec<AnglesRow> = plans
        .iter()
        .map(|plan| {
            let angles: Vec<Outcome> = match &plan.kind {
                PlanKind::Everything => vec![(
                    batch_angle(
                        &mean_vector,
                        &DVector::zeros(d),
                        &DVector::from_column_slice(&unit),
                    ),
                    clipping.then(|| cos_to_unit(|k| clipped_sum[k], &unit)),
                )],
                // One row: clipping scales it by min(1, γ/‖g_i‖) > 0, which
                // leaves its cosine as it is.
                PlanKind::PerRow { complement: false } => per_row
                    .iter()
                    .filter_map(|r| r.single.map(|a| (a, clipping.then_some(a.cos))))
                    .collect(),
                PlanKind::PerRow { complement: true } => per_row
                    .iter()
                    .filter_map(|r| r.all_but_one.map(|a| (a, r.all_but_one_clipped)))
                    .collect(),
                PlanKind::Enumerated {
                    complement,
                    m,
                    members,
                } => map_indexed(members.len() / m, |k| {
                    let mut member_sum = vec![0.0f64; d];
                    let mut member_clipped = vec![0.0f64; if clipping { d } else { 0 }];
                    for &i in &members[k * m..(k + 1) * m] {
                        add_row(&mut member_sum, row(i as usize));
                        if clipping {
                            add_scaled_row(
                                &mut member_clipped,
                                row(i as usize),
                                factors[i as usize],
                            );
                        }
                    }
                    (
                        member_set_angle(&member_sum, *m, plan.b, *complement, &mean, &unit),
                        clipping.then(|| clipped_cos(&member_clipped, *complement)),
                    )
                }),
                PlanKind::Sampled { .. } => sampled_angles.next().unwrap_or_default(),
            };
            summarize(plan, &angles, n, sigma2, grad_norm, permutations.len())
        })
        .collect();
    if let Some(bar) = progress {
        bar.finish();
    }
    let falls = falls(&rows);
    let summary = summary(&rows, &falls);
    Ok(AnglesReport {
        n,
        d,
        grad_norm,
        sigma2,
        monotone: falls.iter().all(|f| !f.significant),
        falls,
        summary,
        seed: options.seed,
        clip: options.clip,
        samples: options.samples,
        rows,
    })
}

/// [`analyze`], reporting progress to `progress` (pass 1 and pass 2 over
/// `n` rows, then the batches) when the matrix has at least
/// [`PROGRESS_MIN_ENTRIES`] entries.
pub fn analyze_with(
    matrix: &dyn GradientMatrix,
    options: &AnglesOptions,
    progress: &dyn Progress,
) -> Result<AnglesReport> {
    let (n, d) = matrix.shape();
    if n == 0 || d == 0 {
        return Err(Error::Empty {
            what: format!("gradient matrix ({n} × {d})"),
        });
    }
    if n > u32::MAX as usize {
        return Err(Error::InvalidField {
            field: "rows".into(),
            reason: format!("{n} rows: at most {} are supported", u32::MAX),
        });
    }
    let view = matrix.view();
    if view.len() != n.saturating_mul(d) {
        return Err(Error::DimensionMismatch {
            field: "gradient matrix (rows · cols)".into(),
            expected: n.saturating_mul(d),
            found: view.len(),
        });
    }
    let schedule = plan(n, options)?;
    let bar = (n.saturating_mul(d) >= PROGRESS_MIN_ENTRIES).then_some(progress);
    match view {
        MatrixView::F32(values) => analyze_view(values, matrix, &schedule, options, bar),
        MatrixView::F64(values) => analyze_view(values, matrix, &schedule, options, bar),
    }
}

fn summarize(
    plan: &Plan,
    outcomes: &[Outcome],
    n: usize,
    sigma2: f64,
    grad_norm: f64,
    permutations: usize,
) -> AnglesRow {
    let count = outcomes.len();
    let angles: Vec<Angle<f64>> = outcomes.iter().map(|o| o.0).collect();
    let clipped: Option<Vec<f64>> = outcomes.iter().map(|o| o.1).collect();
    let (mean_cos_clipped, stderr_cos_clipped) = match &clipped {
        Some(values) if !values.is_empty() => {
            let stderr = if plan.exact() {
                Some(0.0)
            } else {
                stderr_of_mean(&replicate_means(values, permutations))
            };
            (Some(compensated_mean(values.iter().copied())), Some(stderr))
        }
        _ => (None, None),
    };
    let mut cos: Vec<f64> = angles.iter().map(|a| a.cos).collect();
    let mean_cos = compensated_mean(cos.iter().copied());
    let (replicates, stderr_cos, replicate_means) = if plan.exact() {
        (0, Some(0.0), Vec::new())
    } else {
        let means = replicate_means(&cos, permutations);
        (permutations, stderr_of_mean(&means), means)
    };
    cos.sort_by(f64::total_cmp);
    AnglesRow {
        b: plan.b,
        exact: plan.exact(),
        batches: count,
        replicates,
        mean_cos,
        stderr_cos,
        q10_cos: quantile(&cos, 0.1),
        q50_cos: quantile(&cos, 0.5),
        q90_cos: quantile(&cos, 0.9),
        frac_obtuse: cos.iter().filter(|&&c| c < 0.0).count() as f64 / count as f64,
        mean_sin2: compensated_mean(angles.iter().map(|a| a.sin2())),
        bound_sin2: (variance_factor(n, plan.b) * sigma2 / (grad_norm * grad_norm)).min(1.0),
        mean_cos_clipped,
        stderr_cos_clipped,
        replicate_means,
    }
}

/// The means of `replicates` consecutive equal groups of `values` (empty
/// when they do not split evenly).
pub fn replicate_means(values: &[f64], replicates: usize) -> Vec<f64> {
    if replicates == 0 || values.is_empty() || !values.len().is_multiple_of(replicates) {
        return Vec::new();
    }
    values
        .chunks(values.len() / replicates)
        .map(|group| compensated_mean(group.iter().copied()))
        .collect()
}

/// `s/√R`: the standard error of the mean of `R` independent, identically
/// distributed values (`s` their sample standard deviation); `None` for
/// `R < 2`.
pub fn stderr_of_mean(values: &[f64]) -> Option<f64> {
    let r = values.len();
    if r < 2 {
        return None;
    }
    let mean = compensated_mean(values.iter().copied());
    let variance =
        compensated_mean(values.iter().map(|x| (x - mean).powi(2))) * r as f64 / (r - 1) as f64;
    Some((variance / r as f64).sqrt())
}

/// Every fall of the mean cosine (beyond [`EXACT_RESOLUTION`]) between
/// consecutive rows, with its standard error and significance.
fn falls(rows: &[AnglesRow]) -> Vec<Fall> {
    rows.windows(2)
        .filter_map(|pair| {
            let drop = pair[0].mean_cos - pair[1].mean_cos;
            if drop <= EXACT_RESOLUTION {
                return None;
            }
            let stderr = fall_stderr(&pair[0], &pair[1]);
            Some(Fall {
                from_b: pair[0].b,
                to_b: pair[1].b,
                drop,
                stderr,
                significant: stderr.is_some_and(|se| drop > MONOTONE_Z * se + EXACT_RESOLUTION),
            })
        })
        .collect()
}

/// The standard error of `mean_cos(a) − mean_cos(b)`: two sampled rows
/// share their permutations, so the paired replicate differences give it
/// (`s/√R` of `y_r(a) − y_r(b)`); an exact row contributes nothing.
fn fall_stderr(a: &AnglesRow, b: &AnglesRow) -> Option<f64> {
    match (a.exact, b.exact) {
        (true, true) => Some(0.0),
        (true, false) => b.stderr_cos,
        (false, true) => a.stderr_cos,
        (false, false) => {
            if a.replicate_means.len() != b.replicate_means.len() {
                return None;
            }
            let differences: Vec<f64> = a
                .replicate_means
                .iter()
                .zip(&b.replicate_means)
                .map(|(x, y)| x - y)
                .collect();
            stderr_of_mean(&differences)
        }
    }
}

/// One line about the shape of the curve of means.
fn summary(rows: &[AnglesRow], falls: &[Fall]) -> String {
    let significant: Vec<String> = falls
        .iter()
        .filter(|f| f.significant)
        .map(|f| match f.stderr {
            Some(se) if se > 0.0 => {
                format!("b = {}→{} by {:.3} (± {:.2})", f.from_b, f.to_b, f.drop, se)
            }
            _ => format!("b = {}→{} by {:.3} (exact)", f.from_b, f.to_b, f.drop),
        })
        .collect();
    let noise = falls.len() - significant.len();
    let within = match noise {
        0 => String::new(),
        1 => "; 1 fall within noise".to_string(),
        k => format!("; {k} falls within noise"),
    };
    if significant.is_empty() {
        format!(
            "monotone: no significant fall at the {} sizes evaluated{within}",
            rows.len()
        )
    } else {
        format!("dips: falls {}{within}", significant.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `b = n − 1` where leaving a row out makes `g_B` much shorter than
    /// `g` (`‖g_B‖² < ‖g‖²/4`): the closed form would cancel, so the
    /// batch mean is summed entry by entry. Each complement's `cos` and
    /// `sin²` against the plain formulas.
    #[test]
    fn all_but_one_rows_whose_batch_mean_nearly_vanishes_are_summed_entry_by_entry() {
        let rows = [[3.0, 0.0], [-1.0, 0.5], [1.1, -0.5]];
        let values: Vec<f64> = rows.iter().flatten().copied().collect();
        let matrix = RowsInMemory::new(3, 2, &values).unwrap();
        let options = AnglesOptions {
            batch_sizes: vec![2],
            ..AnglesOptions::default()
        };
        let report = analyze(&matrix, &options).unwrap();
        let g = [(3.0 - 1.0 + 1.1) / 3.0, 0.0];
        let (mut cos_sum, mut sin2_sum) = (0.0, 0.0);
        for left_out in 0..3 {
            let mut b = [0.0, 0.0];
            let kept = rows.iter().enumerate().filter(|&(i, _)| i != left_out);
            for (_, row) in kept {
                b[0] += row[0] / 2.0;
                b[1] += row[1] / 2.0;
            }
            let cos = (b[0] * g[0] + b[1] * g[1]) / (b[0].hypot(b[1]) * g[0].hypot(g[1]));
            cos_sum += cos;
            sin2_sum += 1.0 - cos * cos;
        }
        // Leaving out row 0 gives g_B = (0.05, 0): the entry-by-entry case.
        assert!((0.05f64).powi(2) < 0.25 * g[0] * g[0]);
        let row = &report.rows[0];
        assert_eq!((row.b, row.exact), (2, true));
        assert!(
            (row.mean_cos - cos_sum / 3.0).abs() <= 1e-14,
            "{}",
            row.mean_cos
        );
        assert!(
            (row.mean_sin2 - sin2_sum / 3.0).abs() <= 1e-14,
            "{}",
            row.mean_sin2
        );
    }

    #[test]
    fn lexicographic_subsets_are_all_there() {
        let mut members = Vec::new();
        assert_eq!(push_all_subsets(5, 2, &mut members), 10);
        assert_eq!(members[..4], [0, 1, 0, 2]);
        assert_eq!(members.len(), 20);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let sorted = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&sorted, 0.5), 2.0);
        assert!((quantile(&sorted, 0.1) - 0.4).abs() < 1e-15);
        assert!((quantile(&sorted, 0.9) - 3.6).abs() < 1e-15);
    }

    #[test]
    fn replicate_stderr_is_the_spread_of_group_means() {
        // Group means 1 and 3: s_R = √2, s_R/√2 = 1.
        let values = [0.0, 2.0, 2.0, 4.0];
        assert_eq!(replicate_means(&values, 2), [1.0, 3.0]);
        assert_eq!(stderr_of_mean(&replicate_means(&values, 2)), Some(1.0));
        assert_eq!(stderr_of_mean(&replicate_means(&values, 1)), None);
        assert!(replicate_means(&values, 3).is_empty());
    }

    #[test]
    fn default_sizes_end_with_all_but_one_and_all() {
        assert_eq!(default_batch_sizes(20), [1, 2, 4, 8, 16, 19, 20]);
        assert_eq!(default_batch_sizes(17), [1, 2, 4, 8, 16, 17]);
        assert_eq!(default_batch_sizes(4), [1, 2, 3, 4]);
    }
}
