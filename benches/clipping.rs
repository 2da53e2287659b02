//! The pointwise core (BIAS/DESC quantities) on `n = 1000` gradients of
//! dimension 100, in f32 and f64, against a baseline that only averages the
//! same gradients (one pass over the data, what any method must pay).

mod common;

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion};
use nalgebra::DVector;

use cliptheory::clipping::Threshold;
use cliptheory::direction::GradientSet;
use cliptheory::Real;

const N: usize = 1000;
const DIM: usize = 100;
const GROUP: &str = "pointwise_n1000_d100";

fn gradients<T: Real>() -> Vec<DVector<T>> {
    // deterministic, varied norms around γ = 1
    (0..N)
        .map(|i| {
            DVector::from_fn(DIM, |k, _| {
                T::of((((i * 31 + k * 17) % 97) as f64 / 48.5 - 1.0) * 0.3)
            })
        })
        .collect()
}

fn bench_type<T: Real>(c: &mut Criterion) {
    let data = gradients::<T>();
    let gamma = Threshold::new(T::one()).expect("γ = 1");
    let set = GradientSet::new(data.clone(), gamma).expect("valid");
    let mut group = c.benchmark_group(GROUP);
    group.bench_function(BenchmarkId::new("baseline_mean", T::NAME), |b| {
        b.iter(|| {
            let mut sum = DVector::<T>::zeros(DIM);
            for g in black_box(&data) {
                sum += g;
            }
            black_box(sum)
        })
    });
    group.bench_function(BenchmarkId::new("validate_norms_mean", T::NAME), |b| {
        b.iter_batched(
            || data.clone(),
            |data| black_box(GradientSet::new(data, gamma)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function(BenchmarkId::new("clipped_direction", T::NAME), |b| {
        b.iter(|| black_box(black_box(&set).clipped_direction()))
    });
    group.bench_function(BenchmarkId::new("descent_quantities", T::NAME), |b| {
        b.iter(|| black_box(black_box(&set).descent()))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_type::<f64>(c);
    bench_type::<f32>(c);
}

criterion_group!(pointwise, benches);

fn main() {
    pointwise();
    Criterion::default().configure_from_args().final_summary();
    for ty in ["f64", "f32"] {
        let ids: Vec<String> = [
            "baseline_mean",
            "validate_norms_mean",
            "clipped_direction",
            "descent_quantities",
        ]
        .iter()
        .map(|id| format!("{id}/{ty}"))
        .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        common::print_ratios(
            GROUP,
            &format!("baseline_mean/{ty}"),
            &refs,
            (N * DIM) as f64,
            "entry",
        );
    }
}
