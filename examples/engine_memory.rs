//! Peak memory of a traced run against the size of its data: builds an
//! `n × d` logistic instance in memory (seeded Gaussian features), runs
//! `epochs` traced epochs, and prints the data's size. Measure the peak
//! resident set with `/usr/bin/time -v`:
//!
//! ```sh
//! cargo build --release --example engine_memory
//! /usr/bin/time -v target/release/examples/engine_memory 100000 1000 2
//! ```
//!
//! `Maximum resident set size` over the printed data size is the ratio
//! `docs/performance.md` reports (the process's own code and the trace
//! add a few MB).

use cliptheory::clipping::Threshold;
use cliptheory::incremental::{run, RunConfig};
use cliptheory::instance::{Component, Instance};
use cliptheory::random::{gaussian, seeded_rng};
use nalgebra::DVector;

fn main() -> Result<(), cliptheory::Error> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("arguments: n d epochs"))
        .collect();
    let (n, d, epochs) = match args.as_slice() {
        [n, d, epochs] => (*n, *d, *epochs),
        _ => (100_000, 1_000, 2),
    };
    let mut rng = seeded_rng(1, "engine-memory");
    let components = (0..n)
        .map(|i| Component::Logistic {
            a: DVector::from_fn(d, |_, _| gaussian(&mut rng) / (d as f64).sqrt()),
            label: if i % 2 == 0 { 1.0 } else { -1.0 },
        })
        .collect();
    let instance = Instance::new(Threshold::new(0.5)?, DVector::zeros(d), components)?;
    let config = RunConfig::new(1e-3, epochs, 1)?;
    let trace = run(&instance, &config, true)?;
    let bytes = (n * d * std::mem::size_of::<f64>()) as f64;
    println!(
        "n = {n}, d = {d}: data {:.1} MB ({} bytes), {} epochs traced, final f = {:.6}",
        bytes / 1e6,
        bytes,
        trace.epochs.len(),
        trace.final_point.f
    );
    Ok(())
}
