//! Clipped incremental gradient on an objective of your own: robust linear
//! regression with the Huber loss, `f_i(x) = h_δ(⟨a_i, x⟩ − y_i)`,
//! `h_δ(r) = r²/2` for `|r| ≤ δ` and `δ(|r| − δ/2)` beyond, with its trace
//! and the IG-4 slack of every epoch:
//!
//! `cargo run --release -p cliptheory --example custom_objective`
//!
//! Constants (proved here, declared to the trace): `∇f_i(x) = h_δ'(r) a_i`
//! with `h_δ'` 1-Lipschitz, so `∇f_i` is `‖a_i‖²`-Lipschitz and `f_i` is
//! `(‖a_i‖², 0)`-smooth; the mean `f` is `((1/n) Σ ‖a_i‖², 0)`-smooth
//! (triangle inequality; with `L1 = 0` averaging is sound, unlike SMOOTH-5's
//! `L1 > 0` case). IG-4 rests on SMOOTH-3, which for `L1 = 0` is the descent
//! lemma and needs only a Lipschitz gradient.

use cliptheory::clipping::Threshold;
use cliptheory::convergence::{trace_slacks, Constants};
use cliptheory::incremental::{run_observed, RunConfig};
use cliptheory::instance::{Component, Instance};
use cliptheory::objective::{Custom, Objective};
use cliptheory::real::Real;
use cliptheory::smooth::certificate::Pair;
use nalgebra::{DMatrix, DVector};

/// `h_δ(⟨a, x⟩ − y)`.
#[derive(Debug)]
struct Huber {
    a: Vec<f64>,
    y: f64,
    delta: f64,
}

impl Huber {
    fn residual<T: Real>(&self, x: &DVector<T>) -> T {
        x.iter()
            .zip(&self.a)
            .fold(-T::of(self.y), |s, (&xi, &ai)| s + xi * T::of(ai))
    }
}

impl<T: Real> Objective<T> for Huber {
    fn dim(&self) -> usize {
        self.a.len()
    }

    fn value(&self, x: &DVector<T>) -> T {
        let (r, delta) = (self.residual(x), T::of(self.delta));
        if r.abs() <= delta {
            r * r / T::of(2.0)
        } else {
            delta * (r.abs() - delta / T::of(2.0))
        }
    }

    fn gradient(&self, x: &DVector<T>) -> DVector<T> {
        let (r, delta) = (self.residual(x), T::of(self.delta));
        let slope = r.max(-delta).min(delta);
        DVector::from_iterator(self.a.len(), self.a.iter().map(|&ai| slope * T::of(ai)))
    }

    /// `1{|r| ≤ δ} a aᵀ` (where the second derivative exists).
    fn hessian(&self, x: &DVector<T>) -> Option<DMatrix<T>> {
        let inside = self.residual(x).abs() <= T::of(self.delta);
        let a = DVector::from_iterator(self.a.len(), self.a.iter().map(|&ai| T::of(ai)));
        Some(if inside {
            &a * a.transpose()
        } else {
            DMatrix::zeros(a.len(), a.len())
        })
    }
}

fn main() -> cliptheory::Result<()> {
    // y = 2 x₁ − x₂ + noise, with two gross outliers the Huber loss tames.
    let rows: [([f64; 2], f64); 8] = [
        ([1.0, 0.0], 2.1),
        ([0.0, 1.0], -0.9),
        ([1.0, 1.0], 1.0),
        ([2.0, 1.0], 3.1),
        ([1.0, 2.0], -0.1),
        ([0.5, -1.0], 2.0),
        ([1.5, 0.5], 12.0),   // outlier
        ([-1.0, 1.0], -15.0), // outlier
    ];
    let delta = 1.0;
    let components: Vec<Component<f64>> = rows
        .iter()
        .map(|(a, y)| {
            Component::Custom(Custom::new(
                "huber",
                Huber {
                    a: a.to_vec(),
                    y: *y,
                    delta,
                },
            ))
        })
        .collect();
    let instance = Instance::new(Threshold::new(1.0)?, DVector::zeros(2), components)?;

    let squared_norms: Vec<f64> = rows
        .iter()
        .map(|(a, _)| a[0] * a[0] + a[1] * a[1])
        .collect();
    let mean = squared_norms.iter().sum::<f64>() / squared_norms.len() as f64;
    let largest = squared_norms.iter().copied().fold(0.0, f64::max);
    let constants = Constants::declared(Pair::new(mean, 0.0), Pair::new(largest, 0.0))?;

    let config = RunConfig::new(0.02, 200, 1)?;
    let trace = run_observed(&instance, &config, true, &mut |_, _| {})?;
    let slacks = trace_slacks(&trace, &constants);
    println!(
        "{:>6} {:>12} {:>10} {:>10} {:>11}",
        "epoch", "f", "‖∇f‖", "ρ*", "IG-4 slack"
    );
    for (record, slack) in trace.epochs.iter().zip(&slacks) {
        if record.epoch % 20 == 0 || record.epoch + 1 == trace.epochs.len() {
            println!(
                "{:>6} {:>12.6} {:>10.3e} {:>10.3} {:>11}",
                record.epoch,
                record.f,
                record.grad_norm,
                record.rho,
                slack.ig_4.map_or("—".to_string(), |s| format!("{s:+.3e}"))
            );
        }
    }
    let worst = slacks
        .iter()
        .filter_map(|s| s.ig_4)
        .fold(f64::INFINITY, f64::min);
    println!(
        "final x = [{:.4}, {:.4}], f = {:.6}; smallest IG-4 slack {worst:+.3e} ({})",
        trace.final_point.x[0],
        trace.final_point.x[1],
        trace.final_point.f,
        if worst >= 0.0 {
            "holds at every epoch"
        } else {
            "VIOLATED"
        }
    );
    Ok(())
}
