//! One epoch of clipped incremental gradient (`b = 1`, cyclic) on logistic
//! regression with `d = 100`, `n = 10³` and `n = 10⁵`, in f32 and f64,
//! against a memory-copy baseline of the same number of bytes measured in
//! the same run. Prints component steps per second and bytes streamed per
//! second (the feature matrix is read once per epoch).

mod common;

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use nalgebra::DVector;

use cliptheory::clipping::Threshold;
use cliptheory::incremental::Engine;
use cliptheory::instance::{Component, Instance};
use cliptheory::Real;

const DIM: usize = 100;
const SIZES: [usize; 2] = [1_000, 100_000];

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

fn bench_type<T: Real>(c: &mut Criterion) {
    for n in SIZES {
        let group_name = format!("epoch_logistic_n{n}_d{DIM}");
        let mut group = c.benchmark_group(&group_name);
        let bytes = (n * DIM * std::mem::size_of::<T>()) as u64;
        group.throughput(Throughput::Bytes(bytes));
        if n >= 100_000 {
            group.sample_size(20);
        }
        let source = vec![T::one(); n * DIM];
        let mut target = vec![T::zero(); n * DIM];
        group.bench_function(BenchmarkId::new("memcpy_baseline", T::NAME), |b| {
            b.iter(|| {
                target.copy_from_slice(black_box(&source));
                black_box(&target);
            })
        });
        let mut engine = Engine::new(&logistic::<T>(n));
        let alpha = T::of(1e-3);
        let mut x = DVector::<T>::zeros(DIM);
        group.bench_function(BenchmarkId::new("clipped_epoch", T::NAME), |b| {
            b.iter(|| engine.clipped_epoch(black_box(&mut x), alpha))
        });
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
    for n in SIZES {
        let group = format!("epoch_logistic_n{n}_d{DIM}");
        for ty in ["f64", "f32"] {
            let size = if ty == "f64" { 8.0 } else { 4.0 };
            let (Some(base), Some(t)) = (
                common::mean_ns(&group, &format!("memcpy_baseline/{ty}")),
                common::mean_ns(&group, &format!("clipped_epoch/{ty}")),
            ) else {
                continue;
            };
            let bytes = n as f64 * DIM as f64 * size;
            println!(
                "{group} {ty}: {:.3} µs per component step ({:.2e} steps/s), {:.2} GB/s streamed; memcpy {:.2} GB/s; epoch/memcpy time ratio {:.2} ({:.0}% of copy bandwidth)",
                t / n as f64 / 1000.0,
                n as f64 / (t * 1e-9),
                bytes / t,
                bytes / base,
                t / base,
                100.0 * base / t
            );
        }
    }
}
