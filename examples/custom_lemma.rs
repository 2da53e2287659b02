//! Register a lemma of your own and check it with the project's harness
//! and report, next to a built-in one:
//!
//! `cargo run --release -p cliptheory --example custom_lemma`
//!
//! MY-1: `‖d‖ ≤ min(γ, (1/n) Σ_i ‖g_i‖)` for the clipped direction
//! `d = (1/n) Σ_i clip_γ(g_i)`. Proof: `‖clip_γ(g_i)‖ = min(‖g_i‖, γ)`
//! (CLIP-1), so by the triangle inequality
//! `‖d‖ ≤ (1/n) Σ_i min(‖g_i‖, γ)`, which is at most `γ` and at most
//! `(1/n) Σ_i ‖g_i‖`. Tight when all `g_i` are equal and at least `γ` long
//! (`‖d‖ = γ`).

use cliptheory::direction::GradientSet;
use cliptheory::generators::pointwise_case;
use cliptheory::real::{norm, Real};
use cliptheory::report::check;
use cliptheory::statements::{witness, Registry, Statement, Witness};
use cliptheory::tolerance::Comparison;

/// MY-1 at one point: two comparisons, scaled by the mean component norm
/// (the size of every number `d` is summed from).
fn my_1<T: Real>(set: &GradientSet<T>) -> Option<Vec<Comparison<T>>> {
    let d = norm(&set.clipped_direction());
    let scale = set.mean_component_norm();
    Some(vec![
        Comparison::at_most("‖d‖ ≤ γ", d, set.gamma(), scale),
        Comparison::at_most("‖d‖ ≤ (1/n) Σ ‖g_i‖", d, scale, scale),
    ])
}

/// Equal gradients longer than `γ`: `‖d‖ = γ` exactly.
fn my_1_witnesses() -> Vec<Witness> {
    vec![witness(
        "equal gradients, ‖g_i‖ = 2γ",
        1.0,
        &[&[2.0, 0.0], &[2.0, 0.0]],
    )]
}

fn my_1_statement() -> Statement {
    cliptheory::statement!(
        "MY-1",
        "‖d‖ ≤ min(γ, (1/n) Σ ‖g_i‖)",
        Holds,
        my_1,
        pointwise_case,
        my_1_witnesses
    )
}

fn main() -> cliptheory::Result<()> {
    let registry = Registry::builtin().with(my_1_statement())?;
    let mine = registry.find("MY-1")?;

    // The harness the project's own property tests use (feature `testing`).
    cliptheory::testing::assert_tight_witnesses(mine).map_err(failed)?;
    cliptheory::testing::assert_strengthened_refuted(mine, 2000).map_err(failed)?;

    // The report, next to a built-in lemma.
    let only = ["BIAS-2".to_string(), "MY-1".to_string()];
    let report = check(&registry, 2000, 20210318, &only)?;
    println!(
        "{:<8} {:<30} {:>6} {:>10} {:>10} {:>10} {:>5}  verdict",
        "id", "statement", "cases", "worst f64", "worst f32", "witness", "teeth"
    );
    let cell = |s: Option<f64>| s.map_or("—".to_string(), |s| format!("{s:+.2e}"));
    for row in &report.rows {
        let statement: String = row.statement.chars().take(30).collect();
        println!(
            "{:<8} {:<30} {:>6} {:>10} {:>10} {:>10} {:>5}  {}",
            row.id,
            statement,
            row.cases,
            cell(row.worst_slack),
            cell(row.worst_slack_f32),
            cell(row.witness_slack),
            if row.strengthened_refuted {
                "yes"
            } else {
                "no"
            },
            row.verdict.label()
        );
    }
    if report.has_failures() {
        return Err(failed("a lemma was refuted".into()));
    }
    Ok(())
}

fn failed(reason: String) -> cliptheory::Error {
    cliptheory::Error::InvalidField {
        field: "MY-1".into(),
        reason,
    }
}
