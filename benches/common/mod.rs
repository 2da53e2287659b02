// Each bench binary includes this module and uses a subset of it.
#![allow(dead_code)]

//! Shared bench plumbing: after criterion has measured, read its estimates
//! back and print each benchmark as a ratio to the baseline measured in the
//! same run (absolute times depend on the machine; ratios travel better).

use std::path::PathBuf;

/// Mean time in nanoseconds of `group/id` from criterion's estimates.
pub fn mean_ns(group: &str, id: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir
        .join("criterion")
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["mean"]["point_estimate"].as_f64()
}

/// Prints `id: time, ratio to baseline, per-element throughput` for a group.
pub fn print_ratios(group: &str, baseline: &str, ids: &[&str], elements: f64, element: &str) {
    let Some(base) = mean_ns(group, baseline) else {
        eprintln!("{group}: no estimate for the baseline {baseline}");
        return;
    };
    println!("\n{group}: ratios to `{baseline}` ({base:.0} ns) measured in this run");
    for id in ids {
        if let Some(t) = mean_ns(group, id) {
            println!(
                "  {id:<40} {t:>12.0} ns  {:>6.2}× baseline  {:>8.2} ns per {element}",
                t / base,
                t / elements
            );
        }
    }
}
