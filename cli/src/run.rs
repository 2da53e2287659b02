//! `cliptheory run FILE --step α`: clipped incremental gradient with its
//! per-epoch trace (IG-1..IG-5 slacks, DESC-6's `ρ*`), as a table, JSON or
//! CSV, and `--plot` comparing the three variants.

use std::path::{Path, PathBuf};

use cliptheory::convergence::{trace_slacks, Constants, IgSlacks};
use cliptheory::error::{Error, Result};
use cliptheory::incremental::{
    compare_variants, run_observed, EpochRecord, Order, RunConfig, Schedule, Trace, Variant,
};
use cliptheory::instance::Instance;
use cliptheory::progress::Progress;
use serde::Serialize;

use crate::output::Globals;
use crate::plot::{Figure, Series};
use crate::progress::Bar;

/// The visiting order (`--order`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OrderArg {
    /// `1, 2, …, n` every epoch.
    Cyclic,
    /// One seeded random permutation, kept for every epoch.
    Shuffle,
    /// A fresh seeded random permutation every epoch.
    Reshuffle,
}

/// The step schedule (`--schedule`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ScheduleArg {
    /// `α_k = α`.
    Constant,
    /// `α_k = α / sqrt(k + 1)`.
    InverseSqrt,
    /// `α_k = α / (k + 1)`.
    Inverse,
}

/// What is clipped (`--variant`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum VariantArg {
    /// Clip each batch's mean gradient (the method the theory studies).
    Clipped,
    /// No clipping: plain incremental gradient.
    Unclipped,
    /// Clip the full gradient once per epoch.
    FullClipped,
    /// Clip every example's gradient inside a batch (DP-SGD form):
    /// `x ← x − α Σ_{i∈B} clip_γ(∇f_i(x))`.
    PerExample,
}

/// Arguments of `cliptheory run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// An instance file (cliptheory.instance.v1); the run starts at its `x0`.
    pub file: PathBuf,
    /// Number of epochs (1 to 10⁷: the trace keeps one record per epoch,
    /// about 120 bytes each).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_EPOCHS))]
    pub epochs: u64,
    /// Inner step α (an epoch moves by a total weight a = nα).
    #[arg(long)]
    pub step: f64,
    /// Order of the components within an epoch.
    #[arg(long, value_enum, default_value = "cyclic")]
    pub order: OrderArg,
    /// Batch size b (the mean gradient of each batch is clipped); at most n.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// Step schedule across epochs.
    #[arg(long, value_enum, default_value = "constant")]
    pub schedule: ScheduleArg,
    /// What is clipped.
    #[arg(long, value_enum, default_value = "clipped")]
    pub variant: VariantArg,
    /// Seed of the shuffled orders.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the trace to this file (`.csv` or `.json`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Draw f − f_min and ‖∇f‖ against epochs for the clipped, unclipped
    /// and full-clipped runs into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Record no per-epoch trace (the engine alone, at full speed; no
    /// certification): only the final point is printed. Refused with
    /// `--trace`.
    #[arg(long, conflicts_with = "trace")]
    pub no_trace: bool,
}

/// The most epochs `run` records.
pub const MAX_EPOCHS: u64 = 10_000_000;

/// Instances with `n · dim² + 20 dim³` up to this are certified for the
/// trace's IG-3..IG-5 slacks: certifying `f` sums a `dim × dim` Gram or
/// Hessian matrix over the components (`n · dim²`) and bounds its norm
/// through an eigendecomposition and residual products (about `20 dim³`);
/// logistic components cost `O(dim)` each on their own. `n = 10⁵`,
/// `dim = 100` logistic takes about 0.3 s; `dim = 1000` is not certified.
pub const CERTIFY_BUDGET: usize = 2_000_000_000;

/// Points drawn per line by `--plot`.
pub const PLOT_POINTS: usize = 60;

/// Runs shorter than this many epochs show no progress bar.
pub const PROGRESS_EPOCHS: usize = 2_000;

const EPOCH_BAR: &str = "{msg:>12} [{bar:40}] {pos}/{len} epochs ({eta})";

/// One row of the trace as printed: the engine's record and the theory's
/// IG-3..IG-5 slacks (`null` where they do not apply).
#[derive(Serialize)]
struct Row {
    epoch: usize,
    f: f64,
    grad_norm: f64,
    bias_norm: f64,
    rho: f64,
    e_norm: f64,
    alpha: f64,
    ig_1_slack: Option<f64>,
    ig_3_slack: Option<f64>,
    ig_4_slack: Option<f64>,
    ig_5_slack: Option<f64>,
}

#[derive(Serialize)]
struct Output<'a> {
    epochs: &'a [Row],
    #[serde(rename = "final")]
    final_point: &'a cliptheory::incremental::FinalPoint,
}

fn rows(trace: &Trace, slacks: &[IgSlacks]) -> Vec<Row> {
    trace
        .epochs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let s = slacks.get(k).copied().unwrap_or_default();
            Row {
                epoch: r.epoch,
                f: r.f,
                grad_norm: r.grad_norm,
                bias_norm: r.bias_norm,
                rho: r.rho,
                e_norm: r.e_norm,
                alpha: r.alpha,
                ig_1_slack: r.ig_1_slack,
                ig_3_slack: s.ig_3,
                ig_4_slack: s.ig_4,
                ig_5_slack: s.ig_5,
            }
        })
        .collect()
}

impl Row {
    /// The IG-1, IG-3, IG-4 and IG-5 slacks, in column order.
    fn slacks(&self) -> [Option<f64>; 4] {
        [
            self.ig_1_slack,
            self.ig_3_slack,
            self.ig_4_slack,
            self.ig_5_slack,
        ]
    }
}

/// The trace as CSV: one line per epoch, a header first (empty cells where
/// a slack does not apply).
fn trace_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "epoch,f,grad_norm,bias_norm,rho,e_norm,alpha,ig_1_slack,ig_3_slack,ig_4_slack,ig_5_slack\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{},{:e},{:e},{:e},{:e},{:e},{:e}",
            r.epoch, r.f, r.grad_norm, r.bias_norm, r.rho, r.e_norm, r.alpha
        ));
        for slack in r.slacks() {
            out.push(',');
            out.push_str(&slack.map_or_else(String::new, |v| format!("{v:e}")));
        }
        out.push('\n');
    }
    out
}

/// The trace as a table (every epoch up to 20, then every `K/20`-th).
fn render_trace_table(rows: &[Row], trace: &Trace) -> String {
    let last = &trace.final_point;
    let final_line = format!(
        "final: f = {:.9e}, ‖∇f‖ = {:.4e}, x = {:?}\n",
        last.f, last.grad_norm, last.x
    );
    if rows.is_empty() {
        return final_line;
    }
    let mut out = format!(
        "{:>6} {:>14} {:>12} {:>12} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
        "epoch",
        "f",
        "‖∇f‖",
        "‖d − ∇f‖",
        "ρ*",
        "‖e_k‖",
        "IG-1 slack",
        "IG-3 slack",
        "IG-4 slack",
        "IG-5 slack"
    );
    let stride = (rows.len() / 20).max(1);
    for (k, r) in rows.iter().enumerate() {
        if k % stride == 0 || k + 1 == rows.len() {
            out.push_str(&format!(
                "{:>6} {:>14.6e} {:>12.4e} {:>12.4e} {:>10.3e} {:>12.4e}",
                r.epoch, r.f, r.grad_norm, r.bias_norm, r.rho, r.e_norm
            ));
            for slack in r.slacks() {
                let cell = slack.map_or_else(|| "—".to_string(), |s| format!("{s:.3e}"));
                out.push_str(&format!(" {cell:>10}"));
            }
            out.push('\n');
        }
    }
    out.push_str(&final_line);
    out
}

/// The library configuration these arguments ask for.
fn config(args: &RunArgs) -> Result<RunConfig<f64>> {
    let epochs = usize::try_from(args.epochs).map_err(|_| Error::InvalidField {
        field: "--epochs".into(),
        reason: format!("{} does not fit this machine's address space", args.epochs),
    })?;
    let batch = usize::try_from(args.batch).unwrap_or(usize::MAX);
    Ok(RunConfig::new(args.step, epochs, batch)?
        .order(match args.order {
            OrderArg::Cyclic => Order::Cyclic,
            OrderArg::Shuffle => Order::Shuffle,
            OrderArg::Reshuffle => Order::Reshuffle,
        })
        .schedule(match args.schedule {
            ScheduleArg::Constant => Schedule::Constant,
            ScheduleArg::InverseSqrt => Schedule::InverseSqrt,
            ScheduleArg::Inverse => Schedule::Inverse,
        })
        .variant(match args.variant {
            VariantArg::Clipped => Variant::Clipped,
            VariantArg::Unclipped => Variant::Unclipped,
            VariantArg::FullClipped => Variant::FullClipped,
            VariantArg::PerExample => Variant::PerExample,
        })
        .seed(args.seed))
}

/// `cliptheory run`: the trace as a table or JSON, optionally written to a
/// file, and optionally the comparison plot. Returns what to print.
pub fn run(args: &RunArgs, globals: &Globals) -> Result<String> {
    // Every output is checked before any work.
    if let Some(path) = &args.trace {
        if !path.extension().is_some_and(|e| e == "csv" || e == "json") {
            return Err(Error::InvalidField {
                field: "--trace".into(),
                reason: format!("{}: the trace is written as .csv or .json", path.display()),
            });
        }
        globals.check_output(path)?;
    }
    if let Some(path) = &args.plot {
        globals.check_output(path)?;
    }
    let instance = Instance::load_limited(&args.file, globals.max_input_bytes)?;
    let config = config(args)?;
    // An instance the rules cannot certify simply has no IG-3..5 slacks
    // (and a run without a trace needs none).
    let dim = instance.dim();
    let certify_cost = instance
        .n()
        .saturating_mul(dim * dim)
        .saturating_add(20usize.saturating_mul(dim.saturating_pow(3)));
    let constants = (!args.no_trace && certify_cost <= CERTIFY_BUDGET)
        .then(|| Constants::certify(&instance).ok())
        .flatten();
    let bar = Bar::new(config.epochs() >= PROGRESS_EPOCHS, EPOCH_BAR);
    bar.start("run", config.epochs() as u64);
    let trace = run_observed(&instance, &config, !args.no_trace, &mut |_, _| {
        bar.advance(1)
    });
    bar.finish();
    let trace = trace?;
    let slacks = constants.map_or_else(Vec::new, |c| trace_slacks(&trace, &c));
    let rows = rows(&trace, &slacks);
    let json = || {
        serde_json::to_string_pretty(&Output {
            epochs: &rows,
            final_point: &trace.final_point,
        })
        .unwrap_or_default()
    };
    if let Some(path) = &args.trace {
        let text = if path.extension().is_some_and(|e| e == "json") {
            json()
        } else {
            trace_csv(&rows)
        };
        globals.write(path, text.as_bytes())?;
    }
    if let Some(path) = &args.plot {
        comparison_figure(&instance, &config, &args.file)?.save(path)?;
    }
    Ok(if args.json {
        json() + "\n"
    } else {
        render_trace_table(&rows, &trace)
    })
}

fn variant_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Clipped => "clipped",
        Variant::Unclipped => "unclipped",
        Variant::FullClipped => "full-clipped",
        Variant::PerExample => "per-example",
    }
}

/// The figure of `--plot`: `log₁₀(f − f_min)` (solid) and `log₁₀ ‖∇f‖`
/// (dashed) against the epoch, one colour per variant. Points where
/// `f = f_min` have no logarithm and are left out.
pub fn comparison_figure(
    instance: &Instance<f64>,
    config: &RunConfig<f64>,
    file: &Path,
) -> Result<Figure> {
    let bar = Bar::new(config.epochs() >= PROGRESS_EPOCHS, EPOCH_BAR);
    let mut current = None;
    let compared = compare_variants(instance, config, &mut |variant, _| {
        if current != Some(variant) {
            bar.start(variant_name(variant), config.epochs() as u64);
            current = Some(variant);
        }
        bar.advance(1);
    });
    bar.finish();
    let compared = compared?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let missing: Vec<&str> = [Variant::Clipped, Variant::Unclipped, Variant::FullClipped]
        .into_iter()
        .filter(|v| !compared.runs.iter().any(|(run, _)| run == v))
        .map(variant_name)
        .collect();
    let title = format!(
        "{name}: α = {}, n = {}, γ = {}{}",
        config.alpha(),
        instance.n(),
        instance.gamma().get(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(" ({} diverged)", missing.join(", "))
        }
    );
    let mut figure = Figure::new(
        title,
        "epoch k",
        "log₁₀ of f(x_k) − f_min (solid), ‖∇f(x_k)‖ (dashed)",
    );
    let colors = ["#1f77b4", "#d62728", "#2ca02c"];
    for (k, (variant, trace)) in compared.runs.iter().enumerate() {
        let color = colors[k % colors.len()];
        let variant = variant_name(*variant);
        // At most PLOT_POINTS markers per line (and always the last epoch).
        let stride = trace.epochs.len().div_ceil(PLOT_POINTS).max(1);
        let shown: Vec<&EpochRecord> = trace
            .epochs
            .iter()
            .enumerate()
            .filter(|(k, _)| k % stride == 0 || k + 1 == trace.epochs.len())
            .map(|(_, r)| r)
            .collect();
        let gap = shown
            .iter()
            .map(|r| (r.epoch as f64, (r.f - compared.f_min).log10()))
            .collect();
        let grad = shown
            .iter()
            .map(|r| (r.epoch as f64, r.grad_norm.log10()))
            .collect();
        figure = figure
            .with_series(Series::line(format!("{variant}: f − f_min"), gap).color(color))
            .with_series(
                Series::line(format!("{variant}: ‖∇f‖"), grad)
                    .dashed()
                    .color(color),
            );
    }
    Ok(figure)
}
