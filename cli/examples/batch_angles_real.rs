//! Real per-example gradients for `cliptheory angles`: trains a logistic
//! regression and a one-hidden-layer network (8 tanh units) on the Breast
//! Cancer Wisconsin data with minibatch SGD, dumps the per-example gradients
//! at steps 0, 10, 100 and 1000 as float32 `.npy` files, analyses each dump
//! and prints a Markdown summary; the seed-0 curves are drawn as SVG.
//!
//! ```text
//! cargo run --release -p cliptheory-cli --example batch_angles_real -- [DUMP_DIR] [FIGURE_DIR]
//! ```
//! (defaults `target/batch-dumps`, `docs/figures`). Each dump can then be
//! analysed again with `cliptheory angles DUMP_DIR/<name>.npy`.

use std::path::PathBuf;

use cliptheory::batch::analyzer::analyze_file;
use cliptheory::batch::analyzer::AnglesOptions;
use cliptheory::models::{
    mean_loss, per_example_gradients, Clipping, Dataset, Logistic, Model, OneHiddenLayer, Sgd,
};
use cliptheory::npy::{write_matrix, Dtype};
use cliptheory_cli::angles::figure;

const SNAPSHOTS: [usize; 4] = [0, 10, 100, 1000];
const SEEDS: u64 = 5;

fn main() -> cliptheory::Result<()> {
    let mut args = std::env::args().skip(1);
    let dumps = PathBuf::from(args.next().unwrap_or_else(|| "target/batch-dumps".into()));
    let figures = PathBuf::from(args.next().unwrap_or_else(|| "docs/figures".into()));
    for dir in [&dumps, &figures] {
        std::fs::create_dir_all(dir).map_err(|source| cliptheory::Error::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let data = Dataset::breast_cancer()?;
    let models: [Box<dyn Model>; 2] = [
        Box::new(Logistic { features: data.p }),
        Box::new(OneHiddenLayer {
            features: data.p,
            hidden: 8,
        }),
    ];
    let options = AnglesOptions {
        passes: 100,
        ..AnglesOptions::default()
    };
    println!("| model | seed | step | loss | ‖g‖ | σ²/‖g‖² | mean cos at b = 1, 8, 64, 512 | obtuse at b = 1 | monotone | raw falls |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (mut curves, mut monotone, mut raw_monotone, mut above_bound) = (0, 0, 0, 0);
    for model in &models {
        for seed in 0..SEEDS {
            let mut params = model.init(seed);
            let sgd = Sgd {
                step_size: 0.1,
                batch: 32,
                steps: 1000,
                seed,
                clipping: Clipping::None,
            };
            let mut rows = Vec::new();
            sgd.run(model.as_ref(), &data, &mut params, &SNAPSHOTS, &mut |step, theta| {
                let name = format!("{}-seed{seed}-step{step}", model.name());
                let path = dumps.join(format!("{name}.npy"));
                let gradients = per_example_gradients(model.as_ref(), theta, &data)?;
                write_matrix(&path, data.n, model.dim(), &gradients, Dtype::F32)?;
                let report = analyze_file(&path, &options)?;
                if seed == 0 {
                    figure(&report, &format!("{} (d = {}), SGD step {step}", model.name(), model.dim()), &Default::default())
                        .save(&figures.join(format!("batch-angles-{}-step{step}.svg", model.name())))?;
                }
                let at = |b: usize| {
                    report.rows.iter().find(|r| r.b == b).map_or(f64::NAN, |r| r.mean_cos)
                };
                let raw_falls = report.rows.windows(2).filter(|w| w[1].mean_cos < w[0].mean_cos).count();
                rows.push(format!(
                    "| {} | {seed} | {step} | {:.4} | {:.3e} | {:.3e} | {:.3}, {:.3}, {:.3}, {:.3} | {:.3} | {} | {} |",
                    model.name(),
                    mean_loss(model.as_ref(), theta, &data)?,
                    report.grad_norm,
                    report.sigma2 / report.grad_norm.powi(2),
                    at(1), at(8), at(64), at(512),
                    report.rows[0].frac_obtuse,
                    if report.monotone {
                        "yes".to_string()
                    } else {
                        report
                            .falls
                            .iter()
                            .filter(|d| d.significant)
                            .map(|d| format!("no ({}→{})", d.from_b, d.to_b))
                            .collect::<Vec<_>>()
                            .join(" ")
                    },
                    raw_falls
                ));
                curves += 1;
                monotone += usize::from(report.monotone);
                raw_monotone += usize::from(raw_falls == 0);
                above_bound += report.rows.iter().filter(|r| r.mean_sin2 > r.bound_sin2).count();
                Ok(())
            })?;
            for row in rows {
                println!("{row}");
            }
        }
    }
    println!("\n{monotone} of {curves} curves monotone within 3 standard errors; {raw_monotone} of {curves} with no fall at all in the raw means; {above_bound} rows with mean sin² above the BATCH-3 bound.");
    Ok(())
}
