//! Cost of the SMOOTH machinery relative to a gradient evaluation (the
//! baseline, measured in the same run): Hessian, certificate, one SMOOTH-3
//! evaluation and the lower-bound estimator, on the `certify` example
//! fixture (n = 5, dim = 2) and on logistic regression over the 200 wine
//! rows (dim = 12). Report ratios against `gradient`, not absolute times.

use std::hint::black_box;
use std::path::Path;

use cliptheory::instance::Instance;
use cliptheory::smooth::certificate::{certify, certify_f};
use cliptheory::smooth::estimator::lower_bound_l0;
use cliptheory::smooth::real_data::wine_rows;
use cliptheory::statements::find;
use criterion::{criterion_group, criterion_main, Criterion};

fn instances() -> Vec<(&'static str, Instance<f64>)> {
    let fixture = Instance::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smooth_certify_kinds.json"),
    )
    .expect("fixture");
    let rows = wine_rows().expect("embedded data");
    let wine = Instance::from_parts(cliptheory::instance::InstanceParts {
        gamma: cliptheory::clipping::Threshold::new(1.0).expect("γ"),
        x0: nalgebra::DVector::from_element(12, 0.1),
        components: rows
            .into_iter()
            .map(|(a, label)| cliptheory::instance::Component::Logistic { a, label })
            .collect(),
        note: None,
    })
    .expect("bench instances are valid");
    vec![("kinds", fixture), ("wine", wine)]
}

fn smooth(c: &mut Criterion) {
    let smooth_3 = find("SMOOTH-3").expect("registered");
    for (name, instance) in instances() {
        let mut group = c.benchmark_group(format!("smooth/{name}"));
        let x = instance.x0().clone();
        group.bench_function("gradient (baseline)", |b| {
            b.iter(|| black_box(instance.gradient(black_box(&x))))
        });
        group.bench_function("hessian", |b| {
            b.iter(|| black_box(instance.hessian(black_box(&x))))
        });
        group.bench_function("certify", |b| b.iter(|| black_box(certify(&instance))));
        group.bench_function("SMOOTH-3 evaluation", |b| {
            b.iter(|| black_box(smooth_3.evaluate(&instance)))
        });
        let pair = certify_f(&instance).expect("certified");
        group.sample_size(10);
        group.bench_function("estimator (100 samples)", |b| {
            b.iter(|| black_box(lower_bound_l0(&instance, pair, 100, 1)))
        });
        group.finish();
    }
}

criterion_group!(benches, smooth);
criterion_main!(benches);
