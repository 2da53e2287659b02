//! The angle analyzer behind `cliptheory angles`: per batch size `b`, the
//! distribution of `cos θ_B` for a per-example gradient dump (BATCH-1..4 on
//! real data).
//!
//! For each `b` the analyzer either enumerates all `C(n, b)` batches
//! (`exact`) or samples them. It enumerates when that is cheap: `b = n` (one
//! batch), `b = 1` and `b = n − 1` (`n` batches, each one row or all rows
//! but one), and whenever `C(n, b) ≤ samples`. Otherwise it draws `samples`
//! batches from seeded random permutations: each permutation splits into
//! `⌊n/m⌋` disjoint member sets of size `m = min(b, n − b)`, and a batch is
//! either the member set (`b ≤ n/2`) or its complement (`g_B = g + ((n −
//! b)/b)(g − g_C)`), so a batch costs `m · d` additions. At most `passes`
//! permutations are used per batch size, which bounds the work to `passes ·
//! n · d` per size; the reported count of batches says how many were drawn.
//! Each batch is uniform over the `b`-subsets; the standard error
//! `s/√K` treats the `K` batches as independent (batches from one
//! permutation are disjoint, which for sums makes them negatively
//! correlated: the error bar is then conservative).
//!
//! The data are read twice, in chunks, so a dump larger than memory works:
//! pass 1 computes `g`; pass 2 computes `σ²`, the per-row angles (`b = 1`,
//! `b = n − 1`) and adds each row into the sums of the batches it belongs
//! to. Memory: `d` floats per sampled batch plus one index per membership.

use std::path::Path;

use nalgebra::DVector;
use serde::Serialize;

use super::exact::binomial;
use super::{batch_angle, compensated_mean, variance_factor};
use crate::direction::Angle;
use crate::error::{Error, Result};
use crate::npy::{rows_per_chunk, NpyMatrixReader};
use crate::progress::{Progress, Silent};
use crate::random::{seeded_rng, RngExt};
use crate::real::norm;

/// Default number of batches per batch size.
pub const DEFAULT_SAMPLES: usize = 1000;

/// Default limit on permutations (passes' worth of work) per batch size.
pub const DEFAULT_PASSES: usize = 10;

/// Dumps whose entries are all smaller than this are refused: the products
/// inside the angles would underflow (`(1e-154)² ≈ f64::MIN_POSITIVE`).
pub const SMALLEST_ENTRY: f64 = 1e-150;

/// Enumeration is used only for at most this many batches per size,
/// whatever `samples` says (`C(40, 20)` is 1.4·10¹¹).
pub const MAX_EXACT_BATCHES: usize = 1_000_000;

/// The most batch memberships (row indices, 4 bytes each) one analysis
/// holds: 2.5·10⁸, 1 GB. Larger requests are refused before any work.
pub const MAX_MEMBERSHIP_ENTRIES: usize = 250_000_000;

/// Default seed of the sampler.
pub const DEFAULT_ANGLES_SEED: u64 = 20210318;

/// A decrease of the mean cosine counts as real when it exceeds this many
/// combined standard errors (plus [`EXACT_RESOLUTION`]).
pub const MONOTONE_Z: f64 = 3.0;

/// Rounding floor for comparing two exact means of cosines.
pub const EXACT_RESOLUTION: f64 = 1e-12;

/// Rows of a per-example gradient matrix, read in one or more passes.
pub trait RowSource {
    /// `(n, d)`.
    fn shape(&self) -> (usize, usize);

    /// Visits every row in order, in chunks: `visit(first_row, values)`
    /// with the chunk's rows row-major.
    fn for_each_chunk(&mut self, visit: &mut dyn FnMut(usize, &[f64]) -> Result<()>) -> Result<()>;
}

impl RowSource for NpyMatrixReader {
    fn shape(&self) -> (usize, usize) {
        (self.header().rows, self.header().cols)
    }

    fn for_each_chunk(&mut self, visit: &mut dyn FnMut(usize, &[f64]) -> Result<()>) -> Result<()> {
        let rows = rows_per_chunk(self.header().cols);
        NpyMatrixReader::for_each_chunk(self, rows, visit)
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

impl RowSource for RowsInMemory<'_> {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn for_each_chunk(&mut self, visit: &mut dyn FnMut(usize, &[f64]) -> Result<()>) -> Result<()> {
        let rows = rows_per_chunk(self.cols);
        for (k, chunk) in self.values.chunks(rows * self.cols).enumerate() {
            visit(k * rows, chunk)?;
        }
        Ok(())
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnglesOptions {
    /// Batch sizes; empty means `1, 2, 4, …` below `n`, and `n`.
    pub batch_sizes: Vec<usize>,
    /// Batches per sampled batch size (and the enumeration limit on `C(n, b)`).
    pub samples: usize,
    /// At most this many permutations per sampled batch size.
    pub passes: usize,
    /// Seed of the permutations.
    pub seed: u64,
}

impl Default for AnglesOptions {
    fn default() -> Self {
        Self {
            batch_sizes: Vec::new(),
            samples: DEFAULT_SAMPLES,
            passes: DEFAULT_PASSES,
            seed: DEFAULT_ANGLES_SEED,
        }
    }
}

/// Every `b = 1, …, n` for small dumps (`n ≤ 16`, where a non-monotone
/// step such as BATCH-4's `b = 2 → 3` must not be skipped); otherwise
/// `1, 2, 4, …` below `n`, then `n`.
pub fn default_batch_sizes(n: usize) -> Vec<usize> {
    if n <= 16 {
        return (1..=n).collect();
    }
    let mut sizes: Vec<usize> = std::iter::successors(Some(1usize), |b| b.checked_mul(2))
        .take_while(|&b| b < n)
        .collect();
    sizes.push(n);
    sizes
}

/// One batch size of the report (the contract's keys, plus `batches`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnglesRow {
    /// Batch size `b`.
    pub b: usize,
    /// Whether all `C(n, b)` batches were enumerated.
    pub exact: bool,
    /// How many batches the statistics are over.
    pub batches: usize,
    /// `E[cos θ_B]` (exact) or its sample mean.
    pub mean_cos: f64,
    /// Standard error of `mean_cos`: `s/√K`, `0` when exact.
    pub stderr_cos: f64,
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
}

/// A fall of the mean cosine between two consecutive batch sizes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decrease {
    /// The smaller batch size.
    pub from_b: usize,
    /// The next batch size.
    pub to_b: usize,
    /// `mean_cos(from_b) − mean_cos(to_b) > 0`.
    pub drop: f64,
}

/// The analysis of one dump (the contract's keys, plus `decreases`, `seed`,
/// `samples`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnglesReport {
    /// Number of rows (examples).
    pub n: usize,
    /// Number of columns (parameters).
    pub d: usize,
    /// `‖g‖`.
    pub grad_norm: f64,
    /// `σ² = (1/n) Σ ‖g_i − g‖²`.
    pub sigma2: f64,
    /// Whether the mean cosine never falls between consecutive batch sizes
    /// by more than `3` combined standard errors (`10⁻¹²` between exact rows).
    pub monotone: bool,
    /// The falls that make it not monotone.
    pub decreases: Vec<Decrease>,
    /// Seed of the sampler.
    pub seed: u64,
    /// Batches per sampled size asked for.
    pub samples: usize,
    /// One row per batch size, increasing.
    pub rows: Vec<AnglesRow>,
}

/// How one batch size is computed.
#[derive(Clone, Debug)]
struct Plan {
    b: usize,
    exact: bool,
    kind: PlanKind,
}

#[derive(Clone, Debug)]
enum PlanKind {
    /// `b = n`: the one batch is everything.
    Everything,
    /// Every batch is one row (`b = 1`) or all rows but one (`b = n − 1`):
    /// computed row by row in pass 2.
    PerRow { complement: bool },
    /// Batches whose member sets (`B`, or `B^c` when `complement`) are
    /// accumulated: `accumulators[first..first + count]`.
    Accumulated {
        complement: bool,
        first: usize,
        count: usize,
    },
}

/// Member sets of all accumulated batches, flat.
#[derive(Default)]
struct Memberships {
    /// `members[offsets[a]..offsets[a + 1]]` are the rows of accumulator `a`.
    members: Vec<u32>,
    offsets: Vec<usize>,
}

impl Memberships {
    fn push(&mut self, rows: impl IntoIterator<Item = u32>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.members.extend(rows);
        self.offsets.push(self.members.len());
    }

    fn count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Row-major inverse: for each row, the accumulators it belongs to.
    fn by_row(&self, n: usize) -> (Vec<usize>, Vec<u32>) {
        let mut starts = vec![0usize; n + 1];
        for &row in &self.members {
            starts[row as usize + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut accumulators = vec![0u32; self.members.len()];
        for a in 0..self.count() {
            for &row in &self.members[self.offsets[a]..self.offsets[a + 1]] {
                accumulators[fill[row as usize]] = a as u32;
                fill[row as usize] += 1;
            }
        }
        (starts, accumulators)
    }
}

/// All `m`-subsets of `0..n` in lexicographic order.
fn push_all_subsets(n: usize, m: usize, memberships: &mut Memberships) -> usize {
    let mut subset: Vec<usize> = (0..m).collect();
    let mut count = 0;
    loop {
        memberships.push(subset.iter().map(|&i| i as u32));
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

/// `count` random `m`-subsets: consecutive blocks of seeded random
/// permutations (partial Fisher–Yates; each permutation is independent of
/// the previous one whatever order the index array is left in).
fn push_sampled_subsets(
    n: usize,
    m: usize,
    count: usize,
    seed: u64,
    b: usize,
    memberships: &mut Memberships,
) {
    let mut rng = seeded_rng(seed, &format!("angles b={b}"));
    let mut order: Vec<u32> = (0..n as u32).collect();
    let per_permutation = n / m;
    let mut left = count;
    while left > 0 {
        let blocks = per_permutation.min(left);
        for j in 0..blocks * m {
            let k = rng.random_range(j..n);
            order.swap(j, k);
        }
        for block in order[..blocks * m].chunks(m) {
            memberships.push(block.iter().copied());
        }
        left -= blocks;
    }
}

fn plan(n: usize, options: &AnglesOptions) -> Result<(Vec<Plan>, Memberships)> {
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
    let mut memberships = Memberships::default();
    let plans = sizes
        .into_iter()
        .map(|b| -> Result<Plan> {
            let m = b.min(n - b);
            let complement = b > n - b;
            let (exact, kind) = if m == 0 {
                (true, PlanKind::Everything)
            } else if m == 1 {
                (true, PlanKind::PerRow { complement })
            } else {
                let first = memberships.count();
                let exact = binomial(n, m) <= options.samples.min(MAX_EXACT_BATCHES) as f64;
                let count = if exact {
                    push_all_subsets(n, m, &mut memberships)
                } else {
                    let count = options
                        .samples
                        .min(options.passes.saturating_mul(n / m));
                    if count.saturating_mul(m).saturating_add(memberships.members.len())
                        > MAX_MEMBERSHIP_ENTRIES
                    {
                        return Err(Error::InvalidField {
                            field: "samples".into(),
                            reason: format!(
                                "{count} batches of {m} rows at b = {b} exceed the budget of {MAX_MEMBERSHIP_ENTRIES} batch memberships; ask for fewer samples or passes"
                            ),
                        });
                    }
                    push_sampled_subsets(n, m, count, options.seed, b, &mut memberships);
                    count
                };
                (
                    exact,
                    PlanKind::Accumulated {
                        complement,
                        first,
                        count,
                    },
                )
            };
            Ok(Plan { b, exact, kind })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((plans, memberships))
}

/// The angle of the batch of size `b` whose member set has sum `member_sum`
/// (`m` rows; the batch itself, or its complement when `complement`).
fn angle_of(
    member_sum: &DVector<f64>,
    m: usize,
    b: usize,
    complement: bool,
    mean: &DVector<f64>,
    unit: &DVector<f64>,
) -> Angle<f64> {
    let (batch_mean, deviation) = if complement {
        let deviation = (mean - member_sum / m as f64) * (m as f64 / b as f64);
        (mean + &deviation, deviation)
    } else {
        let batch_mean = member_sum / b as f64;
        let deviation = &batch_mean - mean;
        (batch_mean, deviation)
    };
    batch_angle(&batch_mean, &deviation, unit)
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

/// Analyzes the rows of `source` (see the module docs).
pub fn analyze(source: &mut dyn RowSource, options: &AnglesOptions) -> Result<AnglesReport> {
    analyze_with(source, options, &Silent)
}

/// Reads the `.npy` file at `path` (streamed) and analyzes it.
pub fn analyze_file(path: &Path, options: &AnglesOptions) -> Result<AnglesReport> {
    analyze_file_with(path, options, &Silent)
}

/// [`analyze_file`], reporting progress (see [`analyze_with`]).
pub fn analyze_file_with(
    path: &Path,
    options: &AnglesOptions,
    progress: &dyn Progress,
) -> Result<AnglesReport> {
    let mut reader = NpyMatrixReader::open(path)?;
    analyze_with(&mut reader, options, progress)
}

/// [`analyze`], reporting rows read to `progress` (two passes of `n` rows)
/// when the matrix has at least [`PROGRESS_MIN_ENTRIES`] entries.
pub fn analyze_with(
    source: &mut dyn RowSource,
    options: &AnglesOptions,
    progress: &dyn Progress,
) -> Result<AnglesReport> {
    let (n, d) = source.shape();
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
    let (plans, memberships) = plan(n, options)?;
    let bar = (n.saturating_mul(d) >= PROGRESS_MIN_ENTRIES).then_some(progress);

    // Pass 1: the full gradient.
    if let Some(bar) = bar {
        bar.start("pass 1/2: mean", 2 * n as u64);
    }
    let mut sum = DVector::<f64>::zeros(d);
    let mut largest = 0.0f64;
    source.for_each_chunk(&mut |_, chunk| {
        for row in chunk.chunks_exact(d) {
            for (s, &x) in sum.iter_mut().zip(row) {
                *s += x;
                largest = largest.max(x.abs());
            }
        }
        if let Some(bar) = bar {
            bar.advance((chunk.len() / d) as u64);
        }
        Ok(())
    })?;
    let mean = sum / n as f64;
    let grad_norm = norm(&mean);
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
    let unit = &mean / grad_norm;

    // Pass 2: σ², per-row angles, batch sums.
    if let Some(bar) = bar {
        bar.start("pass 2/2: batches", 2 * n as u64);
        bar.advance(n as u64);
    }
    let (starts, row_accumulators) = memberships.by_row(n);
    let mut accumulators = vec![0f64; memberships.count() * d];
    let mut squared_deviations = Vec::with_capacity(n);
    let mut per_row: Vec<Vec<Angle<f64>>> = plans
        .iter()
        .map(|p| match p.kind {
            PlanKind::PerRow { .. } => Vec::with_capacity(n),
            _ => Vec::new(),
        })
        .collect();
    source.for_each_chunk(&mut |first, chunk| {
        for (offset, row) in chunk.chunks_exact(d).enumerate() {
            let i = first + offset;
            let vector = DVector::from_column_slice(row);
            let deviation = &vector - &mean;
            let deviation_norm = norm(&deviation);
            squared_deviations.push(deviation_norm * deviation_norm);
            for (plan, angles) in plans.iter().zip(per_row.iter_mut()) {
                if let PlanKind::PerRow { complement } = plan.kind {
                    angles.push(if complement {
                        // B = all rows but i: g_B − g = −(g_i − g)/(n − 1).
                        let batch_deviation = &deviation * (-1.0 / plan.b as f64);
                        batch_angle(&(&mean + &batch_deviation), &batch_deviation, &unit)
                    } else {
                        batch_angle(&vector, &deviation, &unit)
                    });
                }
            }
            for &a in &row_accumulators[starts[i]..starts[i + 1]] {
                let target = &mut accumulators[a as usize * d..(a as usize + 1) * d];
                for (t, &x) in target.iter_mut().zip(row) {
                    *t += x;
                }
            }
        }
        if let Some(bar) = bar {
            bar.advance((chunk.len() / d) as u64);
        }
        Ok(())
    })?;
    if let Some(bar) = bar {
        bar.finish();
    }
    let sigma2 = compensated_mean(squared_deviations.iter().copied());
    if !(sigma2 * n as f64).is_finite() {
        return Err(Error::InvalidField {
            field: "gradients".into(),
            reason: "the rows are too large: Σ ‖g_i − g‖² overflows a float64".into(),
        });
    }

    let rows: Vec<AnglesRow> = plans
        .iter()
        .zip(per_row)
        .map(|(plan, row_angles)| {
            let angles = match plan.kind {
                PlanKind::Everything => vec![batch_angle(&mean, &DVector::zeros(d), &unit)],
                PlanKind::PerRow { .. } => row_angles,
                PlanKind::Accumulated {
                    complement,
                    first,
                    count,
                } => (first..first + count)
                    .map(|a| {
                        let member_sum =
                            DVector::from_column_slice(&accumulators[a * d..(a + 1) * d]);
                        let m = memberships.offsets[a + 1] - memberships.offsets[a];
                        angle_of(&member_sum, m, plan.b, complement, &mean, &unit)
                    })
                    .collect(),
            };
            summarize(plan, &angles, n, sigma2, grad_norm)
        })
        .collect();
    let decreases = decreases(&rows);
    Ok(AnglesReport {
        n,
        d,
        grad_norm,
        sigma2,
        monotone: decreases.is_empty(),
        decreases,
        seed: options.seed,
        samples: options.samples,
        rows,
    })
}

fn summarize(
    plan: &Plan,
    angles: &[Angle<f64>],
    n: usize,
    sigma2: f64,
    grad_norm: f64,
) -> AnglesRow {
    let count = angles.len();
    let mut cos: Vec<f64> = angles.iter().map(|a| a.cos).collect();
    let mean_cos = compensated_mean(cos.iter().copied());
    let stderr_cos = if plan.exact || count < 2 {
        0.0
    } else {
        let variance = compensated_mean(cos.iter().map(|c| (c - mean_cos).powi(2))) * count as f64
            / (count - 1) as f64;
        (variance / count as f64).sqrt()
    };
    cos.sort_by(f64::total_cmp);
    AnglesRow {
        b: plan.b,
        exact: plan.exact,
        batches: count,
        mean_cos,
        stderr_cos,
        q10_cos: quantile(&cos, 0.1),
        q50_cos: quantile(&cos, 0.5),
        q90_cos: quantile(&cos, 0.9),
        frac_obtuse: cos.iter().filter(|&&c| c < 0.0).count() as f64 / count as f64,
        mean_sin2: compensated_mean(angles.iter().map(|a| a.sin2())),
        bound_sin2: (variance_factor(n, plan.b) * sigma2 / (grad_norm * grad_norm)).min(1.0),
    }
}

/// Falls of the mean cosine beyond noise between consecutive rows.
fn decreases(rows: &[AnglesRow]) -> Vec<Decrease> {
    rows.windows(2)
        .filter_map(|pair| {
            let drop = pair[0].mean_cos - pair[1].mean_cos;
            let noise = MONOTONE_Z * pair[0].stderr_cos.hypot(pair[1].stderr_cos);
            (drop > noise + EXACT_RESOLUTION).then_some(Decrease {
                from_b: pair[0].b,
                to_b: pair[1].b,
                drop,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicographic_subsets_are_all_there() {
        let mut memberships = Memberships::default();
        assert_eq!(push_all_subsets(5, 2, &mut memberships), 10);
        assert_eq!(memberships.members[..4], [0, 1, 0, 2]);
        let (starts, _) = memberships.by_row(5);
        assert_eq!(starts[5], 20);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let sorted = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&sorted, 0.5), 2.0);
        assert!((quantile(&sorted, 0.1) - 0.4).abs() < 1e-15);
        assert!((quantile(&sorted, 0.9) - 3.6).abs() < 1e-15);
    }
}
