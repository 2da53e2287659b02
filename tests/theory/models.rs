//! The hand-written per-example gradients of `src/models.rs` against
//! forward-mode automatic differentiation (`num-dual`) of an independent
//! implementation of the same losses.

use cliptheory::models::{mean_loss, Dataset, Logistic, Model, OneHiddenLayer, Sgd};
use num_dual::{Dual64, DualNum};

/// `log(1 + e^t)` for dual numbers (the arguments here stay moderate).
fn softplus<D: DualNum<Primitive = f64> + Copy>(t: D) -> D {
    (t.exp() + 1.0).ln()
}

fn logistic_loss<D: DualNum<Primitive = f64> + Copy>(params: &[D], x: &[f64], y: f64) -> D {
    let p = x.len();
    let z = (0..p).fold(params[p], |z, j| z + params[j] * x[j]);
    softplus(z * (-y))
}

fn network_loss<D: DualNum<Primitive = f64> + Copy>(
    params: &[D],
    x: &[f64],
    y: f64,
    hidden: usize,
) -> D {
    let p = x.len();
    let mut z = params[hidden * p + 2 * hidden];
    for k in 0..hidden {
        let pre = (0..p).fold(params[hidden * p + k], |a, j| a + params[k * p + j] * x[j]);
        z += params[hidden * p + hidden + k] * pre.tanh();
    }
    softplus(z * (-y))
}

/// `∂ℓ/∂θ_k` for every `k`, one forward-mode pass per parameter.
fn forward_mode_gradient(params: &[f64], loss: impl Fn(&[Dual64]) -> Dual64) -> Vec<f64> {
    (0..params.len())
        .map(|k| {
            let seeded: Vec<Dual64> = params
                .iter()
                .enumerate()
                .map(|(j, &v)| Dual64::new(v, if j == k { 1.0 } else { 0.0 }))
                .collect();
            loss(&seeded).eps
        })
        .collect()
}

fn assert_gradients_match(
    model: &dyn Model,
    params: &[f64],
    data: &Dataset,
    hidden: Option<usize>,
) {
    let mut by_hand = vec![0.0; model.dim()];
    for i in [0, 57, 212, 400, 568] {
        let (x, y) = (data.x(i), data.labels[i]);
        model.gradient(params, x, y, &mut by_hand);
        let by_ad = forward_mode_gradient(params, |theta| match hidden {
            None => logistic_loss(theta, x, y),
            Some(h) => network_loss(theta, x, y, h),
        });
        let value = match hidden {
            None => logistic_loss(
                &params.iter().map(|&v| Dual64::from(v)).collect::<Vec<_>>(),
                x,
                y,
            ),
            Some(h) => network_loss(
                &params.iter().map(|&v| Dual64::from(v)).collect::<Vec<_>>(),
                x,
                y,
                h,
            ),
        };
        assert!((model.loss(params, x, y) - value.re).abs() <= 1e-12 * value.re.abs().max(1.0));
        for (k, (a, b)) in by_hand.iter().zip(&by_ad).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1e-3),
                "{} example {i} parameter {k}: backprop {a}, AD {b}",
                model.name()
            );
        }
    }
}

fn trained(model: &dyn Model, data: &Dataset, steps: usize) -> Vec<f64> {
    let mut params = model.init(7);
    let sgd = Sgd {
        step_size: 0.1,
        batch: 32,
        steps,
        seed: 7,
    };
    sgd.run(model, data, &mut params, &[], &mut |_, _| Ok(()))
        .expect("trains");
    params
}

#[test]
fn logistic_backprop_matches_automatic_differentiation() {
    let data = Dataset::breast_cancer().expect("data");
    let model = Logistic { features: data.p };
    for params in [model.init(1), trained(&model, &data, 50)] {
        assert_gradients_match(&model, &params, &data, None);
    }
}

#[test]
fn network_backprop_matches_automatic_differentiation() {
    let data = Dataset::breast_cancer().expect("data");
    let model = OneHiddenLayer {
        features: data.p,
        hidden: 8,
    };
    for params in [model.init(1), trained(&model, &data, 50)] {
        assert_gradients_match(&model, &params, &data, Some(8));
    }
}

#[test]
fn sgd_lowers_the_loss() {
    let data = Dataset::breast_cancer().expect("data");
    let model = OneHiddenLayer {
        features: data.p,
        hidden: 8,
    };
    let before = mean_loss(&model, &model.init(7), &data);
    let after = mean_loss(&model, &trained(&model, &data, 200), &data);
    assert!(after < 0.5 * before, "loss {before} → {after}");
}
