//! The hand-written per-example gradients of `src/models.rs` against
//! forward-mode automatic differentiation (`num-dual`) of an independent
//! implementation of the same losses; the clipped SGD loop against an
//! independent plain loop; the data parsers' refusals.

use cliptheory::clipping::Threshold;
use cliptheory::models::{
    check_fit, clipped_batch_rows, mean_loss, per_example_gradients, Clipping, Dataset, Labels,
    Logistic, Model, OneHiddenLayer, Sgd, Softmax, TwoHiddenLayers,
};
use cliptheory::random::{seeded_rng, RngExt};
use cliptheory::Error;
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
        clipping: Clipping::None,
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
    let before = mean_loss(&model, &model.init(7), &data).expect("fits");
    let after = mean_loss(&model, &trained(&model, &data, 200), &data).expect("fits");
    assert!(after < 0.5 * before, "loss {before} → {after}");
}

/// Backprop and forward-mode AD agree to this relative error (entries below
/// `10⁻³` in size: absolute `10⁻¹³`). Both evaluate the same expressions in
/// a different order, so they differ by a few hundred ulps at most.
const AD_TOLERANCE: f64 = 1e-10;

/// `log Σ_c e^{z_c} − z_y` in dual numbers, shifted by the largest real part.
fn cross_entropy_dual<D: DualNum<Primitive = f64> + Copy>(z: &[D], y: usize) -> D {
    let top = z.iter().map(|v| v.re()).fold(f64::NEG_INFINITY, f64::max);
    let total = z.iter().fold(D::from(0.0), |s, &v| s + (v - top).exp());
    total.ln() + top - z[y]
}

/// `W v + b` with `W` stored row-major at `params[start..]`, `b` after it.
fn layer<D: DualNum<Primitive = f64> + Copy>(
    params: &[D],
    start: usize,
    v: &[D],
    out: usize,
) -> Vec<D> {
    let width = v.len();
    (0..out)
        .map(|k| {
            (0..width).fold(params[start + out * width + k], |a, j| {
                a + params[start + k * width + j] * v[j]
            })
        })
        .collect()
}

fn softmax_loss<D: DualNum<Primitive = f64> + Copy>(
    params: &[D],
    x: &[f64],
    y: f64,
    classes: usize,
) -> D {
    let x: Vec<D> = x.iter().map(|&v| D::from(v)).collect();
    cross_entropy_dual(&layer(params, 0, &x, classes), y as usize)
}

fn two_layer_loss<D: DualNum<Primitive = f64> + Copy>(
    params: &[D],
    x: &[f64],
    y: f64,
    (h1, h2, classes): (usize, usize, usize),
) -> D {
    let x: Vec<D> = x.iter().map(|&v| D::from(v)).collect();
    let first: Vec<D> = layer(params, 0, &x, h1)
        .into_iter()
        .map(|v| v.tanh())
        .collect();
    let start = h1 * x.len() + h1;
    let second: Vec<D> = layer(params, start, &first, h2)
        .into_iter()
        .map(|v| v.tanh())
        .collect();
    let start = start + h2 * h1 + h2;
    cross_entropy_dual(&layer(params, start, &second, classes), y as usize)
}

/// A per-example loss `ℓ(θ, x, y)` in dual numbers.
type DualLoss<'a> = dyn Fn(&[Dual64], &[f64], f64) -> Dual64 + 'a;

/// The largest `|backprop − AD| / max(|AD|, 10⁻³)` over a few examples, with
/// `corrupt` applied to the backprop gradient first (identity for the real
/// check, a deliberate error for the wrong variants), and the same for the
/// loss values.
fn largest_gap(
    model: &dyn Model,
    params: &[f64],
    data: &Dataset,
    loss: &DualLoss<'_>,
    corrupt: &dyn Fn(&mut [f64]),
) -> f64 {
    let mut by_hand = vec![0.0; model.dim()];
    let mut worst = 0.0f64;
    for i in [0, 57, 212, 1000, 1796] {
        let (x, y) = (data.x(i), data.labels[i]);
        model.gradient(params, x, y, &mut by_hand);
        corrupt(&mut by_hand);
        let by_ad = forward_mode_gradient(params, |theta| loss(theta, x, y));
        let value = loss(
            &params.iter().map(|&v| Dual64::from(v)).collect::<Vec<_>>(),
            x,
            y,
        )
        .re;
        worst = worst.max((model.loss(params, x, y) - value).abs() / value.abs().max(1e-3));
        for (a, b) in by_hand.iter().zip(&by_ad) {
            worst = worst.max((a - b).abs() / b.abs().max(1e-3));
        }
    }
    worst
}

/// Parameters away from the initialisation: a short SGD run.
fn trained_params(model: &dyn Model, data: &Dataset) -> Vec<f64> {
    let mut params = model.init(3);
    // Zero softmax weights would leave every score equal: perturb first.
    let mut rng = seeded_rng(3, "test perturbation");
    params
        .iter_mut()
        .for_each(|v| *v += rng.random_range(-0.3..0.3));
    let sgd = Sgd {
        step_size: 0.05,
        batch: 16,
        steps: 30,
        seed: 3,
        clipping: Clipping::Mean(Threshold::new(1.0).expect("positive")),
    };
    sgd.run(model, data, &mut params, &[], &mut |_, _| Ok(()))
        .expect("trains");
    params
}

#[test]
fn softmax_backprop_matches_automatic_differentiation() {
    let data = Dataset::digits().expect("data");
    let model = Softmax {
        features: data.p,
        classes: 10,
    };
    let loss = |theta: &[Dual64], x: &[f64], y: f64| softmax_loss(theta, x, y, 10);
    let params = trained_params(&model, &data);
    assert!(largest_gap(&model, &params, &data, &loss, &|_| ()) <= AD_TOLERANCE);
    // Teeth: a flipped sign of the bias block, or of the weights of one
    // class, is caught.
    let classes_start = 10 * data.p;
    let flip_bias = |g: &mut [f64]| g[classes_start..].iter_mut().for_each(|v| *v = -*v);
    let flip_class = |g: &mut [f64]| g[3 * 64..4 * 64].iter_mut().for_each(|v| *v = -*v);
    assert!(largest_gap(&model, &params, &data, &loss, &flip_bias) > 0.1);
    assert!(largest_gap(&model, &params, &data, &loss, &flip_class) > 0.1);
}

#[test]
fn two_hidden_layers_backprop_matches_automatic_differentiation() {
    let data = Dataset::digits().expect("data");
    let (h1, h2) = (6, 5);
    let model = TwoHiddenLayers {
        features: data.p,
        hidden: (h1, h2),
        classes: 10,
    };
    assert_eq!(model.dim(), h1 * 64 + h1 + h2 * h1 + h2 + 10 * h2 + 10);
    let loss = |theta: &[Dual64], x: &[f64], y: f64| two_layer_loss(theta, x, y, (h1, h2, 10));
    for params in [model.init(1), trained_params(&model, &data)] {
        assert!(largest_gap(&model, &params, &data, &loss, &|_| ()) <= AD_TOLERANCE);
    }
    // Teeth: a flipped sign in any one block `W₁, b₁, W₂, b₂, W₃, b₃`.
    let params = trained_params(&model, &data);
    let b1 = h1 * 64;
    let w2 = b1 + h1;
    let b2 = w2 + h2 * h1;
    let w3 = b2 + h2;
    let b3 = w3 + 10 * h2;
    for (start, end) in [
        (0, b1),
        (b1, w2),
        (w2, b2),
        (b2, w3),
        (w3, b3),
        (b3, model.dim()),
    ] {
        let flip = |g: &mut [f64]| g[start..end].iter_mut().for_each(|v| *v = -*v);
        let gap = largest_gap(&model, &params, &data, &loss, &flip);
        assert!(
            gap > 0.1,
            "flipping block {start}..{end} went unnoticed ({gap})"
        );
    }
}

/// A tiny three-class problem: 7 examples, 2 features.
fn tiny() -> Dataset {
    let text = "0.5,1.0,0\n-1.0,2.0,1\n3.0,-0.5,2\n0.0,0.0,0\n-2.0,-1.0,1\n1.5,2.5,2\n0.3,-2.0,0\n";
    Dataset::from_class_csv(text, 3).expect("tiny data parse")
}

/// The SGD loop written out plainly: the same seeded reshuffles (Fisher–
/// Yates with the same draws), the gradient summed per batch, clipping as
/// `v · min(1, γ/‖v‖)` computed here.
fn plain_sgd(model: &dyn Model, data: &Dataset, params: &mut [f64], sgd: &Sgd) {
    let clip = |v: &mut Vec<f64>, gamma: f64| {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > gamma {
            v.iter_mut().for_each(|x| *x *= gamma / norm);
        }
    };
    let mut rng = seeded_rng(sgd.seed, "sgd order");
    let mut order: Vec<usize> = (0..data.n).collect();
    let mut position = data.n;
    for _ in 0..sgd.steps {
        if position + sgd.batch > data.n {
            for j in (1..data.n).rev() {
                order.swap(j, rng.random_range(0..=j));
            }
            position = 0;
        }
        let mut step = vec![0.0; model.dim()];
        for &i in &order[position..position + sgd.batch] {
            let mut g = vec![0.0; model.dim()];
            model.gradient(params, data.x(i), data.labels[i], &mut g);
            if let Clipping::PerExample(gamma) = sgd.clipping {
                clip(&mut g, gamma.get());
            }
            for (s, v) in step.iter_mut().zip(&g) {
                *s += v / sgd.batch as f64;
            }
        }
        if let Clipping::Mean(gamma) = sgd.clipping {
            clip(&mut step, gamma.get());
        }
        position += sgd.batch;
        for (theta, s) in params.iter_mut().zip(&step) {
            *theta -= sgd.step_size * s;
        }
    }
}

#[test]
fn clipped_sgd_matches_a_plain_loop() {
    let data = tiny();
    let model = Softmax {
        features: 2,
        classes: 3,
    };
    let gamma = Threshold::new(0.3).expect("positive");
    let mut finals = Vec::new();
    for clipping in [
        Clipping::None,
        Clipping::Mean(gamma),
        Clipping::PerExample(gamma),
    ] {
        for batch in [1, 3, 7] {
            let sgd = Sgd {
                step_size: 0.4,
                batch,
                steps: 25,
                seed: 11,
                clipping,
            };
            let mut by_library = model.init(0);
            sgd.run(&model, &data, &mut by_library, &[], &mut |_, _| Ok(()))
                .expect("runs");
            let mut by_hand = model.init(0);
            plain_sgd(&model, &data, &mut by_hand, &sgd);
            for (a, b) in by_library.iter().zip(&by_hand) {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "{clipping:?} b = {batch}: {a} vs {b}"
                );
            }
            finals.push(by_library);
        }
    }
    // b = 1: both forms clip the one gradient; b > 1: they differ, and
    // each differs from no clipping (γ = 0.3 is active here).
    let gap = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    assert!(gap(&finals[3], &finals[6]) <= 1e-15);
    assert!(gap(&finals[4], &finals[7]) > 1e-3);
    assert!(gap(&finals[5], &finals[8]) > 1e-3);
    assert!(gap(&finals[1], &finals[4]) > 1e-3);
    // A wrong variant (clipping the per-example gradients with γ/2) is
    // told apart from the library's loop by the same comparison.
    let sgd = Sgd {
        step_size: 0.4,
        batch: 3,
        steps: 25,
        seed: 11,
        clipping: Clipping::PerExample(gamma),
    };
    let mut wrong = model.init(0);
    plain_sgd(
        &model,
        &data,
        &mut wrong,
        &Sgd {
            clipping: Clipping::PerExample(Threshold::new(0.15).expect("positive")),
            ..sgd
        },
    );
    assert!(gap(&wrong, &finals[7]) > 1e-3);
}

#[test]
fn snapshots_see_the_parameters_before_each_listed_step() {
    let data = tiny();
    let model = Softmax {
        features: 2,
        classes: 3,
    };
    let sgd = Sgd {
        step_size: 0.4,
        batch: 2,
        steps: 5,
        seed: 1,
        clipping: Clipping::None,
    };
    let mut seen = Vec::new();
    let mut params = model.init(0);
    sgd.run(&model, &data, &mut params, &[0, 3, 5], &mut |k, theta| {
        seen.push((k, theta.to_vec()));
        Ok(())
    })
    .expect("runs");
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 3, 5]);
    assert_eq!(seen[0].1, model.init(0));
    assert_eq!(seen[2].1, params);
    let mut three = model.init(0);
    plain_sgd(&model, &data, &mut three, &Sgd { steps: 3, ..sgd });
    assert_eq!(seen[1].1, three);
}

#[test]
fn clipped_batch_rows_on_desc_5_gradients() {
    // DESC-5: gradients 30, −1, −1 and γ = 1. The per-example clipped
    // direction d = (1 − 1 − 1)/3 ascends: ρ = ⟨d, g⟩/(min(|g|, γ)|g|) = −1/3
    // at every b; mean clipping of the full batch is aligned (BIAS-5): ρ = 1.
    let gamma = Threshold::new(1.0).expect("positive");
    let rows = clipped_batch_rows(
        &[30.0, -1.0, -1.0],
        (3, 1),
        gamma,
        &[1, 2, 3],
        (100, 100),
        5,
    )
    .expect("valid");
    for row in [&rows[0], &rows[2]] {
        assert!((row.rho_per_example + 1.0 / 3.0).abs() <= 1e-12, "{row:?}");
    }
    assert!((rows[2].rho_mean - 1.0).abs() <= 1e-12);
    // b = 1: ρ of mean clipping = (1/3)(1 − 1 − 1)·sign = −1/3 too, and
    // the cosines are ±1 with mean (1 − 1 − 1)/3.
    assert!((rows[0].rho_mean + 1.0 / 3.0).abs() <= 1e-12);
    assert!((rows[0].mean_cos_per_example + 1.0 / 3.0).abs() <= 1e-12);
    // b = 2 (sampled from the 3 pairs {30, −1} ×2 and {−1, −1}): mean
    // clipping ρ is 1 on the first two and −1 on the last, so 1/3 in
    // expectation; the sample mean is within 4 standard errors.
    // Per-example: ρ is 0, 0, −1 on the three pairs, −1/3 in expectation.
    let row = &rows[1];
    assert!(
        (row.rho_mean - 1.0 / 3.0).abs() <= 4.0 * row.stderr_rho_mean,
        "{row:?}"
    );
    assert!(
        (row.rho_per_example + 1.0 / 3.0).abs() <= 4.0 * row.stderr_rho_per_example,
        "{row:?}"
    );
    assert_eq!(rows[2].frac_mean_clipped, 1.0);
}

#[test]
fn clipped_batch_rows_refuse_bad_input() {
    let gamma = Threshold::new(1.0).expect("positive");
    let rows =
        |g: &[f64], sizes: &[usize]| clipped_batch_rows(g, (2, 1), gamma, sizes, (10, 10), 0);
    assert!(matches!(
        rows(&[1.0], &[1]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        rows(&[1.0, f64::NAN], &[1]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        rows(&[1.0, -1.0], &[1]),
        Err(Error::InvalidField { .. })
    ));
    assert!(matches!(
        rows(&[1.0, 2.0], &[3]),
        Err(Error::InvalidField { .. })
    ));
    assert!(rows(&[1.0, 2.0], &[1, 2]).is_ok());
}

fn field_of(result: Result<Dataset, Error>) -> String {
    match result {
        Err(Error::InvalidField { field, reason }) => format!("{field}: {reason}"),
        Err(other) => format!("other error: {other}"),
        Ok(_) => "parsed".into(),
    }
}

#[test]
fn class_csv_errors_name_the_line_and_the_problem() {
    let parse = |text: &str| field_of(Dataset::from_class_csv(text, 3));
    assert_eq!(
        parse("1,2,0\n3,4,3\n"),
        "data line 2: class 3 is not one of 0, …, 2"
    );
    assert_eq!(
        parse("1,2,0\n3,4,1.5\n"),
        "data line 2: class 1.5 is not one of 0, …, 2"
    );
    assert_eq!(
        parse("1,2,-1\n"),
        "data line 1: class -1 is not one of 0, …, 2"
    );
    assert_eq!(
        parse("1,2,0\n3,1\n"),
        "data line 2: 2 values, expected 3 as on the first line"
    );
    assert_eq!(parse("1,x,0\n"), "data line 1: invalid float literal");
    assert_eq!(parse("1,NaN,0\n"), "data line 1: non-finite value NaN");
    assert_eq!(
        parse("2\n"),
        "data line 1: a line needs at least one feature and a class"
    );
    assert!(matches!(
        Dataset::from_class_csv("\n  \n", 3),
        Err(Error::Empty { .. })
    ));
    assert_eq!(
        field_of(Dataset::from_class_csv("1,0\n", 1)),
        "classes: at least 2 classes are needed, got 1"
    );
    // Blank lines are skipped, and the line numbers still count them.
    assert_eq!(
        parse("1,2,0\n\n3,4,7\n"),
        "data line 3: class 7 is not one of 0, …, 2"
    );
    assert_eq!(parse("1,2,0\n\n3,4,2\n"), "parsed");
}

#[test]
fn models_refuse_data_and_settings_that_do_not_fit() {
    let digits = tiny();
    let cancer = Dataset::breast_cancer().expect("data");
    let softmax = Softmax {
        features: 2,
        classes: 3,
    };
    // Binary labels for a multi-class model, wrong feature count, a label
    // outside the classes (data built by hand), wrong parameter length.
    assert!(matches!(
        check_fit(&softmax, &cancer),
        Err(Error::DimensionMismatch { .. })
    ));
    let logistic = Logistic { features: 2 };
    assert!(matches!(
        check_fit(&logistic, &digits),
        Err(Error::InvalidField { .. })
    ));
    let mut bad = digits.clone();
    bad.labels[4] = 3.0;
    assert!(
        matches!(check_fit(&softmax, &bad), Err(Error::InvalidField { field, .. }) if field == "data label 4")
    );
    assert!(check_fit(&softmax, &digits).is_ok());
    assert!(Labels::Classes(3).accepts(2.0) && !Labels::Classes(3).accepts(-0.0 - 1.0));
    assert!(matches!(
        per_example_gradients(&softmax, &[0.0; 5], &digits),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        mean_loss(&softmax, &[0.0; 9], &bad),
        Err(Error::InvalidField { .. })
    ));
    let run = |sgd: Sgd| {
        let mut params = softmax.init(0);
        sgd.run(&softmax, &digits, &mut params, &[], &mut |_, _| Ok(()))
    };
    let sgd = Sgd {
        step_size: 0.1,
        batch: 2,
        steps: 3,
        seed: 0,
        clipping: Clipping::None,
    };
    assert!(run(sgd).is_ok());
    for wrong in [
        Sgd { batch: 0, ..sgd },
        Sgd { batch: 8, ..sgd },
        Sgd {
            step_size: f64::NAN,
            ..sgd
        },
        Sgd {
            step_size: 0.0,
            ..sgd
        },
    ] {
        assert!(
            matches!(run(wrong), Err(Error::InvalidField { .. })),
            "{wrong:?}"
        );
    }
    // A diverging run is stopped with an error naming the gradient, not
    // continued in NaN.
    let huge = Sgd {
        step_size: 1e308,
        steps: 20,
        ..sgd
    };
    assert!(matches!(run(huge), Err(Error::NonFinite { .. })));
}
