//! `cliptheory angles FILE.npy`: the angle analyzer as a command (table,
//! `--json` with the contract's keys, `--plot out.svg`).

use std::path::PathBuf;

use cliptheory::batch::analyzer::{
    analyze_file_with, AnglesOptions, AnglesReport, AnglesRow, DEFAULT_ANGLES_SEED, DEFAULT_PASSES,
    DEFAULT_SAMPLES,
};
use cliptheory::error::Result;

use crate::output::Globals;
use crate::plot::{Figure, Series};
use crate::progress::Bar;

/// Arguments of `cliptheory angles`.
#[derive(clap::Args, Debug, Clone)]
pub struct AnglesArgs {
    /// Per-example gradient dump: `.npy`, shape (n, d), float32 or float64, C order.
    pub file: PathBuf,
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
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also draw mean cos θ_B with its 10–90% band and the BATCH-3 bound into this SVG file.
    #[arg(long, value_name = "SVG")]
    pub plot: Option<PathBuf>,
}

impl AnglesArgs {
    /// The analyzer options these arguments ask for.
    pub fn options(&self) -> AnglesOptions {
        AnglesOptions {
            batch_sizes: self.batch_sizes.clone(),
            samples: self.samples,
            passes: self.passes,
            seed: self.seed,
        }
    }
}

/// Runs the command: the text to print on stdout (the plot, if asked for,
/// is written to its file).
pub fn run(args: &AnglesArgs, globals: &Globals) -> Result<String> {
    if let Some(path) = &args.plot {
        globals.check_output(path)?;
    }
    let bar = Bar::new(
        true,
        "{msg} [{bar:40}] {pos}/{len} rows, {elapsed} (eta {eta})",
    );
    let report = analyze_file_with(&args.file, &args.options(), &bar);
    cliptheory::progress::Progress::finish(&bar);
    let report = report?;
    if let Some(path) = &args.plot {
        let name = args
            .file
            .file_name()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        figure(&report, &format!("angles to the full gradient: {name}")).save(path)?;
    }
    Ok(if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
            + "\n"
    } else {
        render_table(&report)
    })
}

/// The report as a plain-text table.
pub fn render_table(report: &AnglesReport) -> String {
    let mut out = format!(
        "n = {}, d = {}, ‖g‖ = {:.4e}, σ² = {:.4e}, seed {}\n",
        report.n, report.d, report.grad_norm, report.sigma2, report.seed
    );
    out.push_str(&format!(
        "{:>8} {:>6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}\n",
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
    for row in &report.rows {
        let stderr = row
            .stderr_cos
            .map_or_else(|| "—".to_string(), |se| format!("{se:.2e}"));
        out.push_str(&format!(
            "{:>8} {:>6} {:>7} {:>9.5} {:>9} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.3e} {:>9.3e}\n",
            row.b,
            if row.exact { "yes" } else { "no" },
            row.batches,
            row.mean_cos,
            stderr,
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

/// Mean `cos θ_B` against `b` (log scale) with its 10–90% band; the root
/// mean square `sqrt(E[cos² θ_B]) = sqrt(1 − E[sin² θ_B])`; and, dashed, the
/// BATCH-3 floor under that root mean square, `sqrt(1 − bound_sin2)`.
/// (BATCH-3 bounds `E[cos²]`, not the mean cosine: obtuse batches can pull
/// the mean below the dashed line, BATCH-4.)
pub fn figure(report: &AnglesReport, title: &str) -> Figure {
    let b = |row: &AnglesRow| row.b as f64;
    Figure::new(title, "batch size b", "cos θ_B")
        .log_x()
        .y_range(-1.05, 1.05)
        .with_series(
            Series::line(
                "mean cos θ_B, 10–90% band",
                report.rows.iter().map(|r| (b(r), r.mean_cos)).collect(),
            )
            .with_band(
                report
                    .rows
                    .iter()
                    .map(|r| (b(r), r.q10_cos, r.q90_cos))
                    .collect(),
            ),
        )
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
            Series::line(
                "BATCH-3 floor of rms",
                report
                    .rows
                    .iter()
                    .map(|r| (b(r), (1.0 - r.bound_sin2).max(0.0).sqrt()))
                    .collect(),
            )
            .dashed()
            .color("#d62728"),
        )
}
