//! `cliptheory angles A.npy [B.npy …]`: the angle analyzer as a command
//! (table, `--json` with the contract's keys, `--plot out.svg`). One file
//! prints one report; several (checkpoints of one run) print
//! `{"files": [{"file": …, …the same keys…}]}` and overlay their curves.

use std::path::{Path, PathBuf};

use cliptheory::batch::analyzer::{
    analyze_with, AnglesOptions, AnglesReport, AnglesRow, DEFAULT_ANGLES_SEED, DEFAULT_PASSES,
    DEFAULT_SAMPLES,
};
use cliptheory::error::Result;
use cliptheory::npy::NpyMatrix;

use crate::output::Globals;
use crate::plot::{Figure, Series};
use crate::progress::Bar;

/// Arguments of `cliptheory angles`.
#[derive(clap::Args, Debug, Clone)]
pub struct AnglesArgs {
    /// Per-example gradient dumps: `.npy`, shape (n, d), float32 or float64, C order; several files (checkpoints) are analysed in turn, as is every array of an `.npz`; `/dev/stdin` works.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Batch sizes, comma-separated [default: every b for n ≤ 16; else 1, 2, 4, … below n, and n].
    #[arg(long, value_delimiter = ',')]
    pub batch_sizes: Vec<usize>,
    /// Batches sampled per batch size; sizes with at most this many batches are enumerated.
    #[arg(long, default_value_t = DEFAULT_SAMPLES)]
    pub samples: usize,
    /// At most this many random permutations per batch size (bounds work to passes · n · d).
    #[arg(long, default_value_t = DEFAULT_PASSES)]
    pub passes: usize,
    /// Seed of the random permutations.
    #[arg(long, default_value_t = DEFAULT_ANGLES_SEED)]
    pub seed: u64,
    /// Also the mean cos between clipped batch means (1/b) Σ clip_γ(g_i) and g, per row (γ finite, > 0).
    #[arg(long, value_name = "GAMMA", allow_hyphen_values = true)]
    pub clip: Option<f64>,
    /// Title of the plot [default: names the file].
    #[arg(long)]
    pub title: Option<String>,
    /// Label of the plot's horizontal axis [default: batch size b].
    #[arg(long)]
    pub xlabel: Option<String>,
    /// Label of the plot's vertical axis [default: cos θ_B].
    #[arg(long)]
    pub ylabel: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also draw mean cos θ_B (±1.96 SE, 10–90% band) and the BATCH-3 floor into this file: SVG, or PNG when it ends in .png (the SVG is written beside it); several files: their mean curves overlaid.
    #[arg(long, value_name = "SVG")]
    pub plot: Option<PathBuf>,
}

impl AnglesArgs {
    /// The plot's labels these arguments set.
    pub fn labels(&self) -> Labels {
        Labels {
            title: self.title.clone(),
            x: self.xlabel.clone(),
            y: self.ylabel.clone(),
        }
    }

    /// The analyzer options these arguments ask for.
    pub fn options(&self) -> AnglesOptions {
        AnglesOptions {
            batch_sizes: self.batch_sizes.clone(),
            samples: self.samples,
            passes: self.passes,
            seed: self.seed,
            clip: self.clip,
        }
    }
}

/// One analysed file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// The path as given.
    pub file: String,
    /// Its analysis.
    #[serde(flatten)]
    pub report: AnglesReport,
}

/// Several files' reports: the `--json` shape for more than one file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SeriesReport {
    /// One entry per file, in the order given.
    pub files: Vec<FileReport>,
}

/// Runs the command: the text to print on stdout (the plot, if asked for,
/// is written to its file).
pub fn run(args: &AnglesArgs, globals: &Globals) -> Result<String> {
    if let Some(path) = &args.plot {
        for output in Figure::outputs(path) {
            globals.check_output(&output)?;
        }
    }
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        // An .npz archive is one checkpoint per array.
        for matrix in NpyMatrix::open_all(file)? {
            let bar = Bar::new(true, "{msg} [{bar:40}] {pos}/{len}, {elapsed} (eta {eta})");
            let report = analyze_with(&matrix, &args.options(), &bar);
            cliptheory::progress::Progress::finish(&bar);
            reports.push(FileReport {
                file: matrix.path().display().to_string(),
                report: report?,
            });
        }
    }
    if let Some(path) = &args.plot {
        let figure = if let [single] = &reports[..] {
            let name = Path::new(&single.file)
                .file_name()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            figure(
                &single.report,
                &format!("angles to the full gradient: {name}"),
                &args.labels(),
            )
        } else {
            series_figure(
                &reports,
                "angles to the full gradient across checkpoints",
                &args.labels(),
            )
        };
        figure.save(path)?;
    }
    Ok(match (&reports[..], args.json) {
        ([single], true) => pretty_json(&single.report),
        (_, true) => pretty_json(&SeriesReport {
            files: reports.clone(),
        }),
        (all, false) => all
            .iter()
            .map(|r| render_table(&r.file, &r.report))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// Pretty JSON and a newline (an error object if serialization fails).
fn pretty_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// The report as a plain-text table.
pub fn render_table(file: &str, report: &AnglesReport) -> String {
    let mut out = format!(
        "{file}: read n = {} rows × d = {} columns; ‖g‖ = {:.4e}, σ² = {:.4e}, seed {}\n",
        report.n, report.d, report.grad_norm, report.sigma2, report.seed
    );
    let clipped_header = report.clip.map_or_else(String::new, |gamma| {
        format!(" {:>19}", format!("clipped γ={}", significant(gamma)))
    });
    out.push_str(&format!(
        "{:>8} {:>6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}{clipped_header}\n",
        "b",
        "exact",
        "batches",
        "mean cos",
        "stderr",
        "q10",
        "q50",
        "q90",
        "obtuse",
        "mean sin²",
        "bound"
    ));
    let stderr_text =
        |se: Option<f64>| se.map_or_else(|| "—".to_string(), |se| format!("{se:.2e}"));
    for row in &report.rows {
        let clipped = row.mean_cos_clipped.map_or_else(String::new, |mean| {
            format!(
                " {:>9.5} {:>9}",
                mean,
                stderr_text(row.stderr_cos_clipped.flatten())
            )
        });
        out.push_str(&format!(
            "{:>8} {:>6} {:>7} {:>9.5} {:>9} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.3e} {:>9.3e}{clipped}\n",
            row.b,
            if row.exact { "yes" } else { "no" },
            row.batches,
            row.mean_cos,
            stderr_text(row.stderr_cos),
            row.q10_cos,
            row.q50_cos,
            row.q90_cos,
            row.frac_obtuse,
            row.mean_sin2,
            row.bound_sin2
        ));
    }
    for fall in report.falls.iter().filter(|f| f.significant) {
        out.push_str(&format!(
            "mean cos θ_B falls by {:.3e} (± {:.1e}) from b = {} to b = {} (BATCH-4: allowed)\n",
            fall.drop,
            fall.stderr.unwrap_or(0.0),
            fall.from_b,
            fall.to_b
        ));
    }
    out.push_str(&report.summary);
    out.push('\n');
    out
}

/// Error bars `mean ± 1.96·SE` of the sampled rows (exact rows have none).
fn error_bars(
    rows: &[AnglesRow],
    mean: impl Fn(&AnglesRow) -> Option<(f64, Option<f64>)>,
) -> Vec<(f64, f64, f64)> {
    rows.iter()
        .filter(|r| !r.exact)
        .filter_map(|r| {
            let (m, se) = mean(r)?;
            let half = 1.96 * se?;
            Some((r.b as f64, m - half, m + half))
        })
        .collect()
}

/// The BATCH-3 floor `sqrt(1 − min(1, (n − b)σ²/(b(n − 1)‖g‖²)))` of the
/// root mean square cosine at 200 log-spaced real `b ∈ [1, n]`.
pub fn batch3_floor_curve(report: &AnglesReport) -> Vec<(f64, f64)> {
    let n = report.n as f64;
    let ratio = report.sigma2 / (report.grad_norm * report.grad_norm);
    let floor = |b: f64| {
        let factor = if n <= 1.0 {
            0.0
        } else {
            ((n - b) / (b * (n - 1.0))).max(0.0)
        };
        (1.0 - (factor * ratio).min(1.0)).max(0.0).sqrt()
    };
    const POINTS: usize = 200;
    (0..=POINTS)
        .map(|k| {
            let b = n.powf(k as f64 / POINTS as f64);
            (b, floor(b))
        })
        .collect()
}

/// Labels of the figure (`--title`, `--xlabel`, `--ylabel`; `None` keeps
/// the default).
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Title above the plot.
    pub title: Option<String>,
    /// Horizontal axis.
    pub x: Option<String>,
    /// Vertical axis.
    pub y: Option<String>,
}

/// Mean `cos θ_B` against `b` (log scale, every batch size labelled) with
/// its 10–90% band and `±1.96·SE` error bars on sampled rows; with `--clip`,
/// the clipped batches' mean cosine; the root mean square `sqrt(E[cos²
/// θ_B]) = sqrt(1 − E[sin² θ_B])`; and, dashed, the BATCH-3 floor under
/// that root mean square as a smooth curve in `b`. (BATCH-3 bounds
/// `E[cos²]`, not the mean cosine: obtuse batches can pull the mean below
/// the dashed line, BATCH-4.) The `y` range follows the data.
pub fn figure(report: &AnglesReport, title: &str, labels: &Labels) -> Figure {
    let b = |row: &AnglesRow| row.b as f64;
    let mut figure = Figure::new(
        labels.title.clone().unwrap_or_else(|| title.to_string()),
        labels.x.clone().unwrap_or_else(|| "batch size b".into()),
        labels.y.clone().unwrap_or_else(|| "cos θ_B".into()),
    )
    .log_x()
    .x_ticks(report.rows.iter().map(b).collect())
    .with_series(
        Series::line(
            "mean cos θ_B (±1.96 SE), 10–90% band",
            report.rows.iter().map(|r| (b(r), r.mean_cos)).collect(),
        )
        .with_band(
            report
                .rows
                .iter()
                .map(|r| (b(r), r.q10_cos, r.q90_cos))
                .collect(),
        )
        .with_error_bars(error_bars(&report.rows, |r| {
            Some((r.mean_cos, r.stderr_cos))
        })),
    );
    if let Some(gamma) = report.clip {
        figure = figure.with_series(
            Series::line(
                format!("mean cos, clipped γ = {}", significant(gamma)),
                report
                    .rows
                    .iter()
                    .filter_map(|r| Some((b(r), r.mean_cos_clipped?)))
                    .collect(),
            )
            .with_error_bars(error_bars(&report.rows, |r| {
                Some((r.mean_cos_clipped?, r.stderr_cos_clipped.flatten()))
            }))
            .color("#2ca02c"),
        );
    }
    figure
        .with_series(
            Series::line(
                "rms cos θ_B",
                report
                    .rows
                    .iter()
                    .map(|r| (b(r), (1.0 - r.mean_sin2).max(0.0).sqrt()))
                    .collect(),
            )
            .color("#7f7f7f"),
        )
        .with_series(
            Series::curve("BATCH-3 floor of rms", batch3_floor_curve(report))
                .dashed()
                .color("#d62728"),
        )
}

/// Several checkpoints' mean `cos θ_B` against `b` (log scale), overlaid,
/// with `±1.96·SE` error bars on sampled rows.
pub fn series_figure(reports: &[FileReport], title: &str, labels: &Labels) -> Figure {
    let mut sizes: Vec<f64> = reports
        .iter()
        .flat_map(|f| f.report.rows.iter().map(|r| r.b as f64))
        .collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    let mut figure = Figure::new(
        labels.title.clone().unwrap_or_else(|| title.to_string()),
        labels.x.clone().unwrap_or_else(|| "batch size b".into()),
        labels.y.clone().unwrap_or_else(|| "mean cos θ_B".into()),
    )
    .log_x()
    .x_ticks(sizes);
    for file in reports {
        let name = Path::new(&file.file)
            .file_name()
            .map_or_else(|| file.file.clone(), |s| s.to_string_lossy().into_owned());
        figure = figure.with_series(
            Series::line(
                name,
                file.report
                    .rows
                    .iter()
                    .map(|r| (r.b as f64, r.mean_cos))
                    .collect(),
            )
            .with_error_bars(error_bars(&file.report.rows, |r| {
                Some((r.mean_cos, r.stderr_cos))
            })),
        );
    }
    figure
}

/// `x` with at most 4 significant digits (`0.05`, `1.235e3` as `1235`).
pub fn significant(x: f64) -> String {
    format!("{}", format!("{x:.3e}").parse::<f64>().unwrap_or(x))
}
