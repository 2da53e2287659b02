//! State a new conjecture in a few lines and hunt it with the explorer.
//!
//! Conjecture (false): "clipping never makes the direction longer than the
//! full gradient", `‖d‖ ≤ ‖g‖`. Run with
//! `cargo run --release --example hunt_conjecture`.

use cliptheory::direction::GradientsAt;
use cliptheory::explorer::{explore, ExploreOptions};
use cliptheory::generators::pointwise_case;
use cliptheory::instance::Instance;
use cliptheory::real::norm;
use cliptheory::statements::Statement;
use cliptheory::tolerance::Comparison;
use cliptheory::Real;

/// `‖d‖ ≤ ‖g‖` at the instance's start point, relative to the mean component norm.
fn clipped_no_longer_than_mean<T: Real>(
    instance: &Instance<T>,
) -> cliptheory::Result<Option<Vec<Comparison<T>>>> {
    let set = instance.gradients_at_start()?;
    Ok(Some(vec![Comparison::at_most(
        "‖d‖ ≤ ‖g‖",
        norm(&set.clipped_direction()),
        set.mean_norm(),
        set.mean_component_norm(),
    )]))
}

fn main() -> cliptheory::Result<()> {
    // Any generic check becomes a statement in one call (both float types).
    let conjecture: Statement = cliptheory::instance_statement!(
        "CONJ-X",
        "‖d‖ ≤ ‖g‖: clipping never lengthens the direction",
        Open,
        clipped_no_longer_than_mean,
        pointwise_case,
        Vec::new,
    );
    let found = explore(&conjecture, &ExploreOptions::default())?;
    println!(
        "{}: {} after {} evaluations",
        found.id, found.verdict, found.evaluations
    );
    if let Some(instance) = found.best.filter(|_| found.refuted) {
        println!("{}", instance.to_json_string());
    }
    Ok(())
}
