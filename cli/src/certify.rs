//! `cliptheory certify FILE`: certified `(L0, L1)` of every component and
//! of `f`, with the sampled lower bound (SMOOTH-4..6).

use std::path::PathBuf;
use std::process::ExitCode;

use cliptheory::error::{Error, Result};
use cliptheory::instance::Instance;
use cliptheory::smooth::{certify_each_component, certify_instance, Certified, ESTIMATOR_SAMPLES};

use crate::output::{self, Globals};

/// Arguments of `cliptheory certify`.
#[derive(clap::Args, Debug)]
pub struct CertifyArgs {
    /// An instance file (cliptheory.instance.v1).
    pub file: PathBuf,
    /// Print JSON (`components`, `f`, `sampled_lower_bound_L0`, …).
    #[arg(long)]
    pub json: bool,
    /// Random points of the lower-bound estimator (1 to 10⁷).
    #[arg(long, default_value_t = ESTIMATOR_SAMPLES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    pub samples: usize,
}

/// Renders a `certify` result as text.
pub fn render_certified(c: &Certified) -> String {
    let mut out = String::from("component  L0            L1            rule\n");
    for row in &c.components {
        out += &format!(
            "{:<10} {:<13.6e} {:<13.6e} {}\n",
            row.index, row.l0, row.l1, row.rule
        );
        if !row.atom_frontier_l0.is_empty() {
            let f: Vec<String> = row
                .atom_frontier_l0
                .iter()
                .map(|x| x.map_or("unknown".into(), |v| format!("{v:.4e}")))
                .collect();
            out += &format!(
                "           atom frontier L0 at this L1: [{}]\n",
                f.join(", ")
            );
        }
    }
    out += &format!(
        "f          {:<13.6e} {:<13.6e} {}\n",
        c.f.l0, c.f.l1, c.f_rule
    );
    out += &format!(
        "sampled lower bound on L0 at L1 = {:.6e}: {:.6e}{}\n",
        c.f.l1,
        c.sampled_lower_bound_L0,
        c.looseness
            .map_or(String::new(), |r| format!(" (certified/lower = {r:.3})"))
    );
    out
}

/// `cliptheory certify FILE [--json]`: prints the certificates. When no
/// proven rule covers the average `f`, it still prints every component's
/// certificate, then the reason, and exits with status 2; it also exits 2
/// when the sampled lower bound on `L0` exceeds the certificate.
pub fn run(args: &CertifyArgs, globals: &Globals) -> Result<ExitCode> {
    let instance = Instance::load_limited(&args.file, globals.max_input_bytes)?;
    let result = match certify_instance(&instance, args.samples) {
        Ok(result) => result,
        Err(error @ Error::NoCertificate { .. }) => {
            let each = certify_each_component(&instance);
            if args.json {
                let rows: Vec<serde_json::Value> = each
                    .iter()
                    .map(|(index, c)| match c {
                        Ok(c) => serde_json::json!({"index": index, "L0": c.pair.l0, "L1": c.pair.l1, "rule": c.rule}),
                        Err(e) => serde_json::json!({"index": index, "error": e.to_string()}),
                    })
                    .collect();
                let value =
                    serde_json::json!({"components": rows, "f": null, "error": error.to_string()});
                output::println(&serde_json::to_string_pretty(&value).unwrap_or_default())?;
            } else {
                let mut text = String::from("component  L0            L1            rule\n");
                for (index, c) in &each {
                    text += &match c {
                        Ok(c) => format!(
                            "{index:<10} {:<13.6e} {:<13.6e} {}\n",
                            c.pair.l0, c.pair.l1, c.rule
                        ),
                        Err(e) => format!("{index:<10} no certificate: {e}\n"),
                    };
                }
                output::print(&text)?;
            }
            eprintln!("error: f = (1/n) Σ f_i: {error}");
            return Ok(ExitCode::from(2));
        }
        Err(error) => return Err(error),
    };
    if args.json {
        output::println(&serde_json::to_string_pretty(&result).unwrap_or_default())?;
    } else {
        if let Some(note) = instance.note() {
            output::println(&format!("{}: {note}", args.file.display()))?;
        }
        output::print(&render_certified(&result))?;
    }
    // A sampled point where the Hessian needs more than the certified L0
    // refutes the certificate: never exit 0 on that. (The sampled values
    // already have the estimator's rounding margin subtracted.)
    if result.lower_bound_exceeds_certificate() {
        eprintln!(
            "error: the sampled lower bound L0 ≥ {:e} exceeds the certified L0 = {:e} of f: the certificate is unsound here",
            result.sampled_lower_bound_L0, result.f.l0
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
