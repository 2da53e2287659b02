//! One epoch of clipped incremental gradient (`b = 1`, cyclic) on logistic
//! regression with `d = 100`, `n = 10³` and `n = 10⁵`, in f32 and f64, and
//! whole runs with and without the per-epoch trace, each against a
//! baseline measured in the same run that does the same kind of memory
//! traffic:
//!
//! - an epoch reads every feature vector once (a read-only stream), so its
//!   baseline is a read-only pass over the same vectors (their sum);
//! - a run per step against the engine's epoch per step: runs of
//!   `SHORT` and `long(n)` epochs are timed and the difference divided by
//!   `(long(n) − SHORT) n` steps, so the run's fixed cost (compiling the
//!   engine, checking the start and end points) is not counted per step;
//!   the fixed cost is printed on its own.
//!
//! Criterion prints the times; `main` then prints the ratios.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use nalgebra::DVector;

use cliptheory::clipping::Threshold;
use cliptheory::incremental::{run, Engine, RunConfig};
use cliptheory::instance::{Component, Instance};
use cliptheory::Real;

const DIM: usize = 100;
const SIZES: [usize; 2] = [1_000, 100_000];
/// Epochs of the short and long timed runs: long enough at `n = 10³` that
/// the eight or more epochs between them (each about 0.1 ms) dwarf the
/// run's fixed cost (about 1 ms) and its noise.
const SHORT: usize = 2;
fn long(n: usize) -> usize {
    if n >= 100_000 {
        10
    } else {
        100
    }
}

fn logistic<T: Real>(n: usize) -> Instance<T> {
    let components = (0..n)
        .map(|i| Component::Logistic {
            a: DVector::from_fn(DIM, |k, _| {
                T::of((((i * 7919 + k * 104_729) % 2003) as f64 / 1001.5 - 1.0) * 0.5)
            }),
            label: if i % 3 == 0 { -T::one() } else { T::one() },
        })
        .collect();
    Instance::from_parts(cliptheory::instance::InstanceParts {
        gamma: Threshold::new(T::of(0.5)).expect("γ > 0"),
        x0: DVector::zeros(DIM),
        components,
        note: None,
    })
    .expect("bench instances are valid")
}

/// `Σ` of every feature of every component, in the order the engine reads
/// them (eight lanes, so that the adds are not one dependency chain).
fn read_pass<T: Real>(instance: &Instance<T>) -> T {
    let mut lanes = [T::zero(); 8];
    for component in instance.components() {
        if let Component::Logistic { a, .. } = component {
            for chunk in a.as_slice().chunks(8) {
                for (lane, &v) in lanes.iter_mut().zip(chunk) {
                    *lane += v;
                }
            }
        }
    }
    lanes.iter().fold(T::zero(), |s, &v| s + v)
}

fn bench_type<T: Real>(c: &mut Criterion) {
    for n in SIZES {
        let group_name = format!("epoch_logistic_n{n}_d{DIM}");
        let mut group = c.benchmark_group(&group_name);
        let bytes = (n * DIM * std::mem::size_of::<T>()) as u64;
        group.throughput(Throughput::Bytes(bytes));
        group.sample_size(if n >= 100_000 { 10 } else { 30 });
        let instance = logistic::<T>(n);
        group.bench_function(BenchmarkId::new("read_pass_baseline", T::NAME), |b| {
            b.iter(|| black_box(read_pass(black_box(&instance))))
        });
        let mut engine = Engine::new(&instance);
        let alpha = T::of(1e-3);
        let mut x = DVector::<T>::zeros(DIM);
        group.bench_function(BenchmarkId::new("clipped_epoch", T::NAME), |b| {
            b.iter(|| engine.clipped_epoch(black_box(&mut x), alpha))
        });
        for epochs in [SHORT, long(n)] {
            let config = RunConfig::new(alpha, epochs, 1).expect("valid config");
            for (id, record) in [("run_traced", true), ("run_no_trace", false)] {
                group.bench_function(BenchmarkId::new(format!("{id}_{epochs}"), T::NAME), |b| {
                    b.iter(|| black_box(run(&instance, &config, record)))
                });
            }
        }
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    bench_type::<f64>(c);
    bench_type::<f32>(c);
}

criterion_group!(epoch, benches);

fn main() {
    epoch();
    Criterion::default().configure_from_args().final_summary();
    println!("\nratios measured in this run (d = {DIM}):");
    for n in SIZES {
        let group = format!("epoch_logistic_n{n}_d{DIM}");
        for ty in ["f64", "f32"] {
            let size = if ty == "f64" { 8.0 } else { 4.0 };
            let time = |id: &str| common::mean_ns(&group, &format!("{id}/{ty}"));
            let (Some(read), Some(epoch)) = (time("read_pass_baseline"), time("clipped_epoch"))
            else {
                continue;
            };
            let bytes = n as f64 * DIM as f64 * size;
            let step = epoch / n as f64;
            println!(
                "{group} {ty}: engine {step:.1} ns per component step, {:.2} GB/s; \
                 read-only pass {:.2} GB/s; epoch / read-only pass = {:.2}",
                bytes / epoch,
                bytes / read,
                epoch / read
            );
            for id in ["run_traced", "run_no_trace"] {
                let (Some(short), Some(long_run)) = (
                    time(&format!("{id}_{SHORT}")),
                    time(&format!("{id}_{}", long(n))),
                ) else {
                    continue;
                };
                let per_step = (long_run - short) / ((long(n) - SHORT) * n) as f64;
                let fixed = short - SHORT as f64 * n as f64 * per_step;
                println!(
                    "    {id}: {per_step:.1} ns per step = {:.2}× the engine's step; \
                     fixed cost per run {:.2} ms = {:.1} engine epochs",
                    per_step / step,
                    fixed / 1e6,
                    fixed / epoch
                );
            }
        }
    }
}
