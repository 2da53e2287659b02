//! The paper's experiments (Qian et al., AISTATS 2021) on the UCI digits
//! shipped in `data/`: softmax regression and a network with two hidden
//! `tanh` layers, trained with clipped minibatch SGD (mean clipping
//! `clip_γ((1/b) Σ_B ∇f_i)` and per-example clipping
//! `(1/b) Σ_B clip_γ(∇f_i)`).
//!
//! 1. Angles: one training run per model (mean clipping, `b = 32`); at a few
//!    checkpoints the per-example gradients are analysed in memory with the
//!    library's analyzer (mean `cos θ_B` against `b`; mean clipping only
//!    rescales `g_B`, so this is its angle too) and with
//!    `models::clipped_batch_rows` (the per-example clipped step's angle to
//!    `g`, and the angle of each form's expected step).
//! 2. Final loss against the batch size, at equal examples processed and at
//!    equal steps, for no clipping and both forms at two thresholds, over
//!    three seeds.
//!
//! Writes figures `paper-*.svg` (and a PNG beside each) into the output directory and prints the
//! Markdown tables of `docs/paper-experiments.md`.
//!
//! ```text
//! cargo run --release -p cliptheory-cli --example paper_experiments -- --out docs/figures
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use cliptheory::batch::analyzer::{analyze, AnglesOptions, AnglesReport, RowsInMemory};
use cliptheory::clipping::Threshold;
use cliptheory::models::{
    clipped_batch_rows, mean_loss, per_example_gradients, ClippedBatchRow, Clipping, Dataset,
    Model, Sgd, Softmax, TwoHiddenLayers,
};
use cliptheory::{Error, Result};
use cliptheory_cli::plot::{Figure, Series};

/// Seed of the angles run, the analyzer and the clipped-batch sampler.
const SEED: u64 = 20210318;
/// Step size of every run.
const STEP: f64 = 0.05;
/// Batch size of the angles run.
const ANGLES_BATCH: usize = 32;
/// Checkpoints of the angles run (steps); the last is the end of the run.
const CHECKPOINTS: [usize; 4] = [0, 100, 1000, 4000];
/// Clipping thresholds.
const GAMMAS: [f64; 2] = [1.0, 0.1];
/// Batch sizes of the loss runs.
const BATCHES: [usize; 5] = [1, 4, 16, 64, 256];
/// Examples processed per run in the equal-examples budget (20 epochs).
const EXAMPLES: usize = 20 * 1797;
/// Steps per run in the equal-steps budget.
const STEPS: usize = 300;
/// Seeds of the loss runs (order and initialisation).
const SEEDS: [u64; 3] = [0, 1, 2];
/// Batch sizes at which the tables report angles.
const TABLE_SIZES: [usize; 5] = [1, 8, 64, 512, 1797];
const COLORS: [&str; 5] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

fn main() -> Result<()> {
    let started = Instant::now();
    let mut out = PathBuf::from("docs/figures");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => {
                return Err(Error::InvalidField {
                    field: "arguments".into(),
                    reason: format!("usage: paper_experiments [--out DIR], got {arg:?}"),
                })
            }
        }
    }
    std::fs::create_dir_all(&out).map_err(|source| Error::Io {
        path: out.clone(),
        source,
    })?;
    let data = Dataset::digits()?;
    let models: [Box<dyn Model>; 2] = [
        Box::new(Softmax {
            features: data.p,
            classes: 10,
        }),
        Box::new(TwoHiddenLayers {
            features: data.p,
            hidden: (32, 16),
            classes: 10,
        }),
    ];
    println!(
        "data: digits, n = {}, p = {}; step size {STEP}; seed {SEED}\n",
        data.n, data.p
    );
    for model in &models {
        angles(model.as_ref(), &data, &out)?;
    }
    for model in &models {
        losses(model.as_ref(), &data, &out)?;
    }
    println!("\ntotal time {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// What one checkpoint of the angles run gives.
struct Checkpoint {
    step: usize,
    loss: f64,
    report: AnglesReport,
    clipped: Vec<Vec<ClippedBatchRow>>,
    median_norm: f64,
    top_share: f64,
    top_cos: f64,
    rest_cos: f64,
}

/// Share of `Σ ‖g_i‖` held by the 5% largest per-example gradients, and the
/// mean `cos∠(g_i, g)` of those and of the rest.
fn tail_statistics(gradients: &[f64], n: usize, d: usize) -> (f64, f64, f64, f64) {
    let full: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| gradients[i * d + j]).sum::<f64>() / n as f64)
        .collect();
    let full_norm = full.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut rows: Vec<(f64, f64)> = gradients
        .chunks_exact(d)
        .map(|g| {
            let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            let dot = g.iter().zip(&full).map(|(a, b)| a * b).sum::<f64>();
            let cos = if norm > 0.0 {
                dot / (norm * full_norm)
            } else {
                0.0
            };
            (norm, cos)
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top = n.div_ceil(20);
    let total: f64 = rows.iter().map(|r| r.0).sum();
    let mean_cos = |r: &[(f64, f64)]| r.iter().map(|x| x.1).sum::<f64>() / r.len().max(1) as f64;
    (
        rows[n / 2].0,
        rows[..top].iter().map(|r| r.0).sum::<f64>() / total,
        mean_cos(&rows[..top]),
        mean_cos(&rows[top..]),
    )
}

/// Writes `path` (an SVG) and the PNG beside it.
fn save(figure: &Figure, path: &Path) -> Result<()> {
    let png = path.with_extension("png");
    figure.save(&png)?;
    println!("wrote {} and {}", path.display(), png.display());
    Ok(())
}

fn angles(model: &dyn Model, data: &Dataset, out: &Path) -> Result<()> {
    let started = Instant::now();
    let gammas = GAMMAS.map(Threshold::new).map(|g| g.expect("positive"));
    let mut params = model.init(SEED);
    let sgd = Sgd {
        step_size: STEP,
        batch: ANGLES_BATCH,
        steps: *CHECKPOINTS.last().expect("checkpoints"),
        seed: SEED,
        clipping: Clipping::Mean(gammas[0]),
    };
    let options = AnglesOptions {
        seed: SEED,
        ..AnglesOptions::default()
    };
    let mut checkpoints = Vec::new();
    sgd.run(
        model,
        data,
        &mut params,
        &CHECKPOINTS,
        &mut |step, theta| {
            let d = model.dim();
            let gradients = per_example_gradients(model, theta, data)?;
            let report = analyze(&RowsInMemory::new(data.n, d, &gradients)?, &options)?;
            let sizes: Vec<usize> = report.rows.iter().map(|r| r.b).collect();
            let clipped = gammas
                .iter()
                .map(|&gamma| {
                    clipped_batch_rows(
                        &gradients,
                        (data.n, d),
                        gamma,
                        &sizes,
                        (options.samples, options.passes),
                        SEED,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            let (median_norm, top_share, top_cos, rest_cos) =
                tail_statistics(&gradients, data.n, d);
            checkpoints.push(Checkpoint {
                step,
                loss: mean_loss(model, theta, data)?,
                report,
                clipped,
                median_norm,
                top_share,
                top_cos,
                rest_cos,
            });
            Ok(())
        },
    )?;

    let name = model.name();
    let title = format!("{name} (d = {}), digits", model.dim());
    let mut figure = Figure::new(
        format!("{title}: mean cos θ_B (unclipped = mean clipping)"),
        "batch size b",
        "mean cos θ_B",
    )
    .log_x()
    .y_range(-0.1, 1.02);
    for (c, point) in checkpoints.iter().enumerate() {
        figure = figure.with_series(
            Series::line(
                format!("step {}", point.step),
                point
                    .report
                    .rows
                    .iter()
                    .map(|r| (r.b as f64, r.mean_cos))
                    .collect(),
            )
            .color(COLORS[c])
            .with_band(
                point
                    .report
                    .rows
                    .iter()
                    .map(|r| (r.b as f64, r.q10_cos, r.q90_cos))
                    .collect(),
            ),
        );
    }
    save(&figure, &out.join(format!("paper-angles-{name}.svg")))?;

    let mut figure = Figure::new(
        format!("{title}: per-example clipping (dashed: γ = {})", GAMMAS[1]),
        "batch size b",
        "mean cos∠(step, g)",
    )
    .log_x()
    .y_range(-0.1, 1.02);
    for (c, point) in checkpoints.iter().enumerate() {
        figure = figure
            .with_series(
                Series::line(
                    format!("step {} unclipped", point.step),
                    point
                        .report
                        .rows
                        .iter()
                        .map(|r| (r.b as f64, r.mean_cos))
                        .collect(),
                )
                .color(COLORS[c]),
            )
            .with_series(
                Series::line(
                    format!("step {} per-example", point.step),
                    point.clipped[1]
                        .iter()
                        .map(|r| (r.b as f64, r.mean_cos_per_example))
                        .collect(),
                )
                .color(COLORS[c])
                .dashed(),
            );
    }
    save(
        &figure,
        &out.join(format!("paper-angles-clipped-{name}.svg")),
    )?;

    let last = checkpoints.last().expect("checkpoints");
    let mut figure = Figure::new(
        format!("{title}: expected clipped step, step {}", last.step),
        "batch size b",
        "ρ = ⟨E[step], g⟩ / (min(‖g‖, γ) ‖g‖)",
    )
    .log_x();
    for (k, gamma) in GAMMAS.iter().enumerate() {
        let rows = &last.clipped[k];
        let band = |value: fn(&ClippedBatchRow) -> (f64, f64)| {
            rows.iter()
                .map(|r| {
                    let (v, se) = value(r);
                    (r.b as f64, v - 2.0 * se, v + 2.0 * se)
                })
                .collect::<Vec<_>>()
        };
        figure = figure
            .with_series(
                Series::line(
                    format!("mean clipping γ = {gamma}"),
                    rows.iter().map(|r| (r.b as f64, r.rho_mean)).collect(),
                )
                .with_band(band(|r| (r.rho_mean, r.stderr_rho_mean)))
                .color(COLORS[k]),
            )
            .with_series(
                Series::line(
                    format!("per-example γ = {gamma}"),
                    rows.iter()
                        .map(|r| (r.b as f64, r.rho_per_example))
                        .collect(),
                )
                .with_band(band(|r| (r.rho_per_example, r.stderr_rho_per_example)))
                .color(COLORS[k])
                .dashed(),
            );
    }
    save(&figure, &out.join(format!("paper-bias-{name}.svg")))?;

    println!(
        "\n### Angles: {name} (d = {}), trained with mean clipping γ = {}, b = {ANGLES_BATCH}\n",
        model.dim(),
        GAMMAS[0]
    );
    let sizes = TABLE_SIZES
        .iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let row_at = |rows: &[ClippedBatchRow], b: usize, value: fn(&ClippedBatchRow) -> f64| {
        rows.iter()
            .find(|r| r.b == b.min(data.n))
            .map_or("—".to_string(), |r| format!("{:.3}", value(r)))
    };
    println!("| step | loss | ‖g‖ | median ‖g_i‖ | σ²/‖g‖² | top 5% of ‖g_i‖: share of Σ‖g_i‖, mean cos to g (rest) | mean cos θ_B at b = {sizes} | monotone | per-example γ = {}: mean cos at b = {sizes} |", GAMMAS[1]);
    println!("|---|---|---|---|---|---|---|---|---|");
    for point in &checkpoints {
        let report = &point.report;
        let at = |b: usize| {
            report
                .rows
                .iter()
                .find(|r| r.b == b.min(data.n))
                .map_or("—".to_string(), |r| format!("{:.3}", r.mean_cos))
        };
        let monotone = if report.monotone {
            "yes".to_string()
        } else {
            report
                .falls
                .iter()
                .filter(|f| f.significant)
                .map(|f| format!("no ({}→{})", f.from_b, f.to_b))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "| {} | {:.4} | {:.3e} | {:.3e} | {:.3e} | {:.2}, {:.3} ({:.3}) | {} | {} | {} |",
            point.step,
            point.loss,
            report.grad_norm,
            point.median_norm,
            report.sigma2 / report.grad_norm.powi(2),
            point.top_share,
            point.top_cos,
            point.rest_cos,
            TABLE_SIZES.map(at).join(", "),
            monotone,
            TABLE_SIZES
                .map(|b| row_at(&point.clipped[1], b, |r| r.mean_cos_per_example))
                .join(", "),
        );
    }
    println!("\n### Clipping bias: {name}, ρ = ⟨E[step], g⟩/(min(‖g‖, γ)‖g‖)\n");
    println!("| step | γ | ‖g‖/γ | per-example: ρ (every b) | mean clipping: ρ at b = {sizes} | mean clipping: share of batches clipped at b = {sizes} |");
    println!("|---|---|---|---|---|---|");
    for point in &checkpoints {
        for (k, gamma) in GAMMAS.iter().enumerate() {
            let rows = &point.clipped[k];
            println!(
                "| {} | {gamma} | {:.3} | {:.3} | {} | {} |",
                point.step,
                point.report.grad_norm / gamma,
                rows[0].rho_per_example,
                TABLE_SIZES
                    .map(|b| row_at(rows, b, |r| r.rho_mean))
                    .join(", "),
                TABLE_SIZES
                    .map(|b| row_at(rows, b, |r| r.frac_mean_clipped))
                    .join(", "),
            );
        }
    }
    println!("angles of {name}: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The clipping forms compared in the loss runs.
fn clippings() -> Vec<(String, Clipping)> {
    let mut out = vec![("none".to_string(), Clipping::None)];
    for gamma in GAMMAS {
        let threshold = Threshold::new(gamma).expect("positive");
        out.push((format!("mean γ = {gamma}"), Clipping::Mean(threshold)));
        out.push((
            format!("per-example γ = {gamma}"),
            Clipping::PerExample(threshold),
        ));
    }
    out
}

fn losses(model: &dyn Model, data: &Dataset, out: &Path) -> Result<()> {
    let started = Instant::now();
    let name = model.name();
    for (budget, label, steps_for) in [
        (
            "examples",
            format!("equal examples processed ({EXAMPLES} = 20 epochs)"),
            Box::new(|b: usize| EXAMPLES / b) as Box<dyn Fn(usize) -> usize>,
        ),
        (
            "steps",
            format!("equal steps ({STEPS})"),
            Box::new(|_: usize| STEPS) as Box<dyn Fn(usize) -> usize>,
        ),
    ] {
        let mut figure = Figure::new(
            format!("{name}, digits: final loss, {label}"),
            "batch size b",
            "final training loss (mean of 3 seeds)",
        )
        .log_x();
        println!("\n### Final loss: {name}, {label}, step size {STEP}\n");
        println!(
            "| clipping | {} |",
            BATCHES.map(|b| format!("b = {b}")).join(" | ")
        );
        println!("|---|{}", "---|".repeat(BATCHES.len()));
        for (k, (clip_label, clipping)) in clippings().into_iter().enumerate() {
            let mut points = Vec::new();
            let mut band = Vec::new();
            let mut cells = Vec::new();
            for b in BATCHES {
                let mut finals = Vec::new();
                for seed in SEEDS {
                    let mut params = model.init(seed);
                    let sgd = Sgd {
                        step_size: STEP,
                        batch: b,
                        steps: steps_for(b),
                        seed,
                        clipping,
                    };
                    sgd.run(model, data, &mut params, &[], &mut |_, _| Ok(()))?;
                    finals.push(mean_loss(model, &params, data)?);
                }
                let mean = finals.iter().sum::<f64>() / finals.len() as f64;
                let sd = (finals.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                    / (finals.len() - 1) as f64)
                    .sqrt();
                let (low, high) = finals
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                        (l.min(v), h.max(v))
                    });
                points.push((b as f64, mean));
                band.push((b as f64, low, high));
                cells.push(format!("{mean:.4} ± {sd:.4}"));
            }
            println!("| {clip_label} | {} |", cells.join(" | "));
            let mut series = Series::line(clip_label.clone(), points)
                .with_band(band)
                .color(COLORS[k.div_ceil(2) % COLORS.len()]);
            if clip_label.starts_with("per-example") {
                series = series.dashed();
            }
            figure = figure.with_series(series);
        }
        save(
            &figure,
            &out.join(format!("paper-loss-{budget}-{name}.svg")),
        )?;
    }
    println!(
        "loss runs of {name}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
