//! Two small models on a real data set, with per-example gradients by
//! hand-written backpropagation: the source of the real gradient dumps that
//! `docs/batch-angles.md` analyses with `cliptheory angles` (BATCH-1..4 on
//! real data).
//!
//! Data: the Breast Cancer Wisconsin (Diagnostic) set, 569 examples, 30
//! features, labels `y ∈ {−1, +1}` (benign `+1`), features standardised to
//! mean 0 and variance 1 (`data/README.md` has the provenance). Both models
//! use the logistic loss `ℓ(z, y) = log(1 + e^{−y z})` of a score `z`:
//!
//! - [`Logistic`]: `z = ⟨w, x⟩ + c`, parameters `[w (p), c]`, `d = p + 1`;
//!   `∇ℓ = −y σ(−y z) [x, 1]`.
//! - [`OneHiddenLayer`]: `h = tanh(W x + b)`, `z = ⟨v, h⟩ + c`, parameters
//!   `[W (H × p, row-major), b (H), v (H), c]`, `d = H p + 2H + 1`;
//!   with `s = −y σ(−y z)`: `∇_v = s h`, `∇_c = s`, `∇_b = s v ⊙ (1 − h²)`,
//!   `∇_W = ∇_b xᵀ`.
//!
//! `σ(t) = 1/(1 + e^{−t})`. The gradients are checked against forward-mode
//! automatic differentiation (`num-dual`) in `tests/theory/models.rs`.

use crate::error::{Error, Result};
use crate::random::{seeded_rng, RngExt};

use crate::data::BREAST_CANCER_CSV;

/// A standardised binary classification data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Number of examples `n`.
    pub n: usize,
    /// Number of features `p`.
    pub p: usize,
    /// Features, `n × p` row-major, each column with mean 0 and variance 1.
    pub features: Vec<f64>,
    /// Labels `y_i ∈ {−1, +1}`.
    pub labels: Vec<f64>,
}

impl Dataset {
    /// Parses `n,p,…` then `n` lines of `p` features and a `0/1` label, and
    /// standardises the columns.
    pub fn from_csv(text: &str) -> Result<Self> {
        let bad = |line: usize, reason: String| Error::InvalidField {
            field: format!("data line {line}"),
            reason,
        };
        let mut lines = text.lines().enumerate();
        let (_, head) = lines.next().ok_or_else(|| Error::Empty {
            what: "data file".into(),
        })?;
        let mut head = head.split(',');
        let mut size = |what: &str| {
            head.next()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| bad(1, format!("the first line must start with n,p ({what})")))
        };
        let (n, p) = (size("n")?, size("p")?);
        let mut features = Vec::with_capacity(n * p);
        let mut labels = Vec::with_capacity(n);
        for (index, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
            let values = line
                .split(',')
                .map(|s| s.trim().parse::<f64>())
                .collect::<std::result::Result<Vec<f64>, _>>()
                .map_err(|e| bad(index + 1, e.to_string()))?;
            if values.len() != p + 1 {
                return Err(bad(
                    index + 1,
                    format!("{} values, expected {}", values.len(), p + 1),
                ));
            }
            if let Some(x) = values.iter().find(|x| !x.is_finite()) {
                return Err(bad(index + 1, format!("non-finite value {x}")));
            }
            features.extend_from_slice(&values[..p]);
            labels.push(if values[p] > 0.5 { 1.0 } else { -1.0 });
        }
        if labels.len() != n {
            return Err(Error::DimensionMismatch {
                field: "data rows".into(),
                expected: n,
                found: labels.len(),
            });
        }
        for j in 0..p {
            let column = || (0..n).map(|i| features[i * p + j]);
            let mean = column().sum::<f64>() / n as f64;
            let sd = (column().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let sd = if sd > 0.0 { sd } else { 1.0 };
            for i in 0..n {
                features[i * p + j] = (features[i * p + j] - mean) / sd;
            }
        }
        Ok(Self {
            n,
            p,
            features,
            labels,
        })
    }

    /// The Breast Cancer Wisconsin (Diagnostic) set, embedded in the crate.
    pub fn breast_cancer() -> Result<Self> {
        Self::from_csv(BREAST_CANCER_CSV)
    }

    /// Features of example `i`.
    pub fn x(&self, i: usize) -> &[f64] {
        &self.features[i * self.p..(i + 1) * self.p]
    }
}

pub use crate::special::{sigmoid, softplus};

/// A model with a per-example loss and its hand-written gradient.
pub trait Model {
    /// Number of parameters `d`.
    fn dim(&self) -> usize;

    /// `ℓ(z(θ; x), y)`.
    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64;

    /// Writes `∇_θ ℓ(z(θ; x), y)` into `out` (length `d`).
    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]);

    /// Seeded initial parameters.
    fn init(&self, seed: u64) -> Vec<f64>;

    /// Short name for file names and figures.
    fn name(&self) -> &'static str;
}

/// Logistic regression; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logistic {
    /// Number of features `p`.
    pub features: usize,
}

impl Model for Logistic {
    fn dim(&self) -> usize {
        self.features + 1
    }

    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64 {
        let z = dot(&params[..self.features], x) + params[self.features];
        softplus(-y * z)
    }

    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]) {
        let z = dot(&params[..self.features], x) + params[self.features];
        let s = -y * sigmoid(-y * z);
        for (o, &xi) in out[..self.features].iter_mut().zip(x) {
            *o = s * xi;
        }
        out[self.features] = s;
    }

    fn init(&self, _seed: u64) -> Vec<f64> {
        vec![0.0; self.dim()]
    }

    fn name(&self) -> &'static str {
        "logistic"
    }
}

/// One hidden `tanh` layer; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneHiddenLayer {
    /// Number of features `p`.
    pub features: usize,
    /// Hidden units `H`.
    pub hidden: usize,
}

impl OneHiddenLayer {
    fn hidden_layer(&self, params: &[f64], x: &[f64]) -> Vec<f64> {
        let (p, hidden) = (self.features, self.hidden);
        let bias = &params[hidden * p..hidden * p + hidden];
        (0..hidden)
            .map(|k| (dot(&params[k * p..(k + 1) * p], x) + bias[k]).tanh())
            .collect()
    }

    fn score(&self, params: &[f64], h: &[f64]) -> f64 {
        let start = self.hidden * self.features + self.hidden;
        dot(&params[start..start + self.hidden], h) + params[start + self.hidden]
    }
}

impl Model for OneHiddenLayer {
    fn dim(&self) -> usize {
        self.hidden * self.features + 2 * self.hidden + 1
    }

    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64 {
        let h = self.hidden_layer(params, x);
        softplus(-y * self.score(params, &h))
    }

    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]) {
        let (p, hidden) = (self.features, self.hidden);
        let h = self.hidden_layer(params, x);
        let s = -y * sigmoid(-y * self.score(params, &h));
        let v_start = hidden * p + hidden;
        for k in 0..hidden {
            let v = params[v_start + k];
            let pre = s * v * (1.0 - h[k] * h[k]);
            for (o, &xi) in out[k * p..(k + 1) * p].iter_mut().zip(x) {
                *o = pre * xi;
            }
            out[hidden * p + k] = pre;
            out[v_start + k] = s * h[k];
        }
        out[v_start + hidden] = s;
    }

    fn init(&self, seed: u64) -> Vec<f64> {
        let mut rng = seeded_rng(seed, "one-hidden-layer init");
        let (p, hidden) = (self.features, self.hidden);
        let mut params = vec![0.0; self.dim()];
        let first = 1.0 / (p as f64).sqrt();
        for w in &mut params[..hidden * p] {
            *w = rng.random_range(-first..first);
        }
        let second = 1.0 / (hidden as f64).sqrt();
        for v in &mut params[hidden * p + hidden..hidden * p + 2 * hidden] {
            *v = rng.random_range(-second..second);
        }
        params
    }

    fn name(&self) -> &'static str {
        "mlp"
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The per-example gradients `∇ℓ_i(θ)`, `n × d` row-major.
pub fn per_example_gradients(model: &dyn Model, params: &[f64], data: &Dataset) -> Vec<f64> {
    let d = model.dim();
    let mut out = vec![0.0; data.n * d];
    for (i, row) in out.chunks_exact_mut(d).enumerate() {
        model.gradient(params, data.x(i), data.labels[i], row);
    }
    out
}

/// The mean loss `(1/n) Σ_i ℓ_i(θ)`.
pub fn mean_loss(model: &dyn Model, params: &[f64], data: &Dataset) -> f64 {
    (0..data.n)
        .map(|i| model.loss(params, data.x(i), data.labels[i]))
        .sum::<f64>()
        / data.n as f64
}

/// Minibatch SGD: `steps` steps of size `step_size` on batches of `batch`
/// examples (consecutive blocks of seeded reshuffles, one epoch after
/// another).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Step size.
    pub step_size: f64,
    /// Examples per step.
    pub batch: usize,
    /// Number of steps.
    pub steps: usize,
    /// Seed of the reshuffles.
    pub seed: u64,
}

impl Sgd {
    /// Trains `params` in place; `snapshot(k, θ)` is called before step `k`
    /// for every `k` in `snapshots` (`k = steps`: after the last step).
    pub fn run(
        &self,
        model: &dyn Model,
        data: &Dataset,
        params: &mut [f64],
        snapshots: &[usize],
        snapshot: &mut dyn FnMut(usize, &[f64]) -> Result<()>,
    ) -> Result<()> {
        let Sgd {
            step_size,
            batch,
            steps,
            seed,
        } = *self;
        let mut rng = seeded_rng(seed, "sgd order");
        let batch = batch.clamp(1, data.n);
        let mut order: Vec<usize> = (0..data.n).collect();
        let mut position = data.n;
        let mut gradient = vec![0.0; model.dim()];
        let mut sum = vec![0.0; model.dim()];
        for k in 0..=steps {
            if snapshots.contains(&k) {
                snapshot(k, params)?;
            }
            if k == steps {
                break;
            }
            if position + batch > data.n {
                for j in (1..data.n).rev() {
                    order.swap(j, rng.random_range(0..=j));
                }
                position = 0;
            }
            sum.iter_mut().for_each(|s| *s = 0.0);
            for &i in &order[position..position + batch] {
                model.gradient(params, data.x(i), data.labels[i], &mut gradient);
                for (s, g) in sum.iter_mut().zip(&gradient) {
                    *s += g;
                }
            }
            position += batch;
            for (theta, s) in params.iter_mut().zip(&sum) {
                *theta -= step_size * s / batch as f64;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses_and_is_standardised() {
        let data = Dataset::breast_cancer().expect("embedded CSV parses");
        assert_eq!((data.n, data.p), (569, 30));
        assert_eq!(data.labels.iter().filter(|&&y| y > 0.0).count(), 357);
        let mean0 = (0..data.n).map(|i| data.x(i)[0]).sum::<f64>() / data.n as f64;
        assert!(mean0.abs() < 1e-12);
    }
}
