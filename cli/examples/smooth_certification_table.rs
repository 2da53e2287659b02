//! Prints the SMOOTH certification table (certified `L0` against the sampled
//! lower bound, per family) that `docs/smoothness.md` records:
//! `cargo run --release -p cliptheory-cli --example smooth_certification_table`.

use cliptheory::smooth::{certification_table, TABLE_CASES, TABLE_SAMPLES};
use cliptheory_cli::tables::render_rows;

fn main() {
    let start = std::time::Instant::now();
    print!(
        "{}",
        render_rows(&certification_table(TABLE_CASES, TABLE_SAMPLES))
    );
    eprintln!("computed in {:.1?}", start.elapsed());
}
