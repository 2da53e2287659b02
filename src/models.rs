//! Small models on real data sets, with per-example gradients by
//! hand-written backpropagation, and minibatch SGD with mean or per-example
//! clipping: the source of the real gradient dumps that
//! `docs/batch-angles.md` analyses with `cliptheory angles` (BATCH-1..4 on
//! real data) and of the paper's experiments (`docs/paper-experiments.md`).
//!
//! Data (`data/README.md` has the provenance), features standardised to
//! mean 0 and variance 1 per column (a constant column stays 0):
//!
//! - the Breast Cancer Wisconsin (Diagnostic) set, 569 examples, 30
//!   features, labels `y ∈ {−1, +1}` (benign `+1`): [`Dataset::breast_cancer`];
//! - the UCI optical handwritten digits (8 × 8 images), 1797 examples, 64
//!   features, labels `y ∈ {0, …, 9}`: [`Dataset::digits`].
//!
//! Binary models use the logistic loss `ℓ(z, y) = log(1 + e^{−y z})` of a
//! score `z`:
//!
//! - [`Logistic`]: `z = ⟨w, x⟩ + c`, parameters `[w (p), c]`, `d = p + 1`;
//!   `∇ℓ = −y σ(−y z) [x, 1]`.
//! - [`OneHiddenLayer`]: `h = tanh(W x + b)`, `z = ⟨v, h⟩ + c`, parameters
//!   `[W (H × p, row-major), b (H), v (H), c]`, `d = H p + 2H + 1`;
//!   with `s = −y σ(−y z)`: `∇_v = s h`, `∇_c = s`, `∇_b = s v ⊙ (1 − h²)`,
//!   `∇_W = ∇_b xᵀ`.
//!
//! Multi-class models use the cross-entropy of scores `z ∈ ℝ^K`,
//! `ℓ(z, y) = log Σ_c e^{z_c} − z_y`, whose gradient in `z` is `r = π − e_y`
//! with `π = softmax(z)`:
//!
//! - [`Softmax`]: `z = W x + b`, parameters `[W (K × p, row-major), b (K)]`;
//!   `∇_W = r xᵀ`, `∇_b = r`.
//! - [`TwoHiddenLayers`]: `h₁ = tanh(W₁ x + b₁)`, `h₂ = tanh(W₂ h₁ + b₂)`,
//!   `z = W₃ h₂ + b₃`, parameters `[W₁, b₁, W₂, b₂, W₃, b₃]` (row-major);
//!   `δ₃ = r`, `δ₂ = (W₃ᵀ δ₃) ⊙ (1 − h₂²)`, `δ₁ = (W₂ᵀ δ₂) ⊙ (1 − h₁²)`,
//!   `∇W_l = δ_l h_{l−1}ᵀ`, `∇b_l = δ_l` (`h₀ = x`).
//!
//! `σ(t) = 1/(1 + e^{−t})`. The gradients are checked against forward-mode
//! automatic differentiation (`num-dual`) in `tests/theory/models.rs`.

use nalgebra::DVector;

use crate::clipping::{clip, clip_factor, Threshold};
use crate::data::{BREAST_CANCER_CSV, DIGITS_CSV};
use crate::error::{Error, Result};
use crate::random::{seeded_rng, RngExt};

/// How a data set encodes its labels, and which labels a model takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// Binary labels `y ∈ {−1, +1}`.
    Signs,
    /// `K` classes, labels `y ∈ {0, 1, …, K − 1}` stored as floats.
    Classes(usize),
}

impl Labels {
    /// Whether `y` is a label of this kind.
    pub fn accepts(self, y: f64) -> bool {
        match self {
            Labels::Signs => y == 1.0 || y == -1.0,
            Labels::Classes(k) => y >= 0.0 && y.fract() == 0.0 && y < k as f64,
        }
    }
}

/// A standardised classification data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Number of examples `n`.
    pub n: usize,
    /// Number of features `p`.
    pub p: usize,
    /// Features, `n × p` row-major, each column with mean 0 and variance 1
    /// (a constant column is 0).
    pub features: Vec<f64>,
    /// Labels, encoded as [`Dataset::kind`] says.
    pub labels: Vec<f64>,
    /// The label encoding.
    pub kind: Labels,
}

/// Parses one comma-separated line of finite numbers (`line` is 1-based,
/// for the error).
fn parse_line(line: usize, text: &str) -> Result<Vec<f64>> {
    let values = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<std::result::Result<Vec<f64>, _>>()
        .map_err(|e| bad_line(line, e.to_string()))?;
    if let Some(x) = values.iter().find(|x| !x.is_finite()) {
        return Err(bad_line(line, format!("non-finite value {x}")));
    }
    Ok(values)
}

fn bad_line(line: usize, reason: String) -> Error {
    Error::InvalidField {
        field: format!("data line {line}"),
        reason,
    }
}

/// Standardises each column of the `n × p` row-major `features` in place:
/// `x ← (x − mean)/sd` with the population `sd` (`sd = 0` leaves `x − mean`).
fn standardise(features: &mut [f64], n: usize, p: usize) {
    for j in 0..p {
        let column = |f: &[f64]| (0..n).map(|i| f[i * p + j]).collect::<Vec<f64>>();
        let values = column(features);
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let sd = if sd > 0.0 { sd } else { 1.0 };
        for i in 0..n {
            features[i * p + j] = (features[i * p + j] - mean) / sd;
        }
    }
}

impl Dataset {
    /// Parses `n,p,…` then `n` lines of `p` features and a `0/1` label
    /// (labels become `−1/+1`), and standardises the columns.
    pub fn from_csv(text: &str) -> Result<Self> {
        let mut lines = text.lines().enumerate();
        let (_, head) = lines.next().ok_or_else(|| Error::Empty {
            what: "data file".into(),
        })?;
        let mut head = head.split(',');
        let mut size = |what: &str| {
            head.next()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| bad_line(1, format!("the first line must start with n,p ({what})")))
        };
        let (n, p) = (size("n")?, size("p")?);
        let mut features = Vec::with_capacity(n * p);
        let mut labels = Vec::with_capacity(n);
        for (index, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
            let values = parse_line(index + 1, line)?;
            if values.len() != p + 1 {
                return Err(bad_line(
                    index + 1,
                    format!("{} values, expected {}", values.len(), p + 1),
                ));
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
        standardise(&mut features, n, p);
        Ok(Self {
            n,
            p,
            features,
            labels,
            kind: Labels::Signs,
        })
    }

    /// Parses lines of `p` features followed by a class `0, …, classes − 1`
    /// (no header; `p` from the first line, the same on every line), and
    /// standardises the columns.
    pub fn from_class_csv(text: &str, classes: usize) -> Result<Self> {
        if classes < 2 {
            return Err(Error::InvalidField {
                field: "classes".into(),
                reason: format!("at least 2 classes are needed, got {classes}"),
            });
        }
        let mut width = None;
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let values = parse_line(index + 1, line)?;
            let width = *width.get_or_insert(values.len());
            if width < 2 {
                return Err(bad_line(
                    index + 1,
                    "a line needs at least one feature and a class".into(),
                ));
            }
            if values.len() != width {
                return Err(bad_line(
                    index + 1,
                    format!(
                        "{} values, expected {width} as on the first line",
                        values.len()
                    ),
                ));
            }
            let class = values[width - 1];
            if !Labels::Classes(classes).accepts(class) {
                return Err(bad_line(
                    index + 1,
                    format!("class {class} is not one of 0, …, {}", classes - 1),
                ));
            }
            features.extend_from_slice(&values[..width - 1]);
            labels.push(class);
        }
        let (n, p) = match width {
            Some(width) => (labels.len(), width - 1),
            None => {
                return Err(Error::Empty {
                    what: "data file".into(),
                })
            }
        };
        standardise(&mut features, n, p);
        Ok(Self {
            n,
            p,
            features,
            labels,
            kind: Labels::Classes(classes),
        })
    }

    /// The Breast Cancer Wisconsin (Diagnostic) set, embedded in the crate.
    pub fn breast_cancer() -> Result<Self> {
        Self::from_csv(BREAST_CANCER_CSV)
    }

    /// The UCI optical handwritten digits (1797 images of 8 × 8 pixels,
    /// classes `0, …, 9`), embedded in the crate.
    pub fn digits() -> Result<Self> {
        Self::from_class_csv(DIGITS_CSV, 10)
    }

    /// Features of example `i`.
    pub fn x(&self, i: usize) -> &[f64] {
        &self.features[i * self.p..(i + 1) * self.p]
    }
}

pub use crate::special::{sigmoid, softplus};

/// A model with a per-example loss and its hand-written gradient.
///
/// `loss` and `gradient` take one example `(x, y)` that fits the model
/// (`x.len()` = [`Model::features`], `y` a label of kind [`Model::labels`]);
/// the functions of this module that take a [`Dataset`] check that with
/// [`check_fit`] first.
pub trait Model {
    /// Number of parameters `d`.
    fn dim(&self) -> usize;

    /// Number of input features `p`.
    fn features(&self) -> usize;

    /// The labels the model takes.
    fn labels(&self) -> Labels;

    /// `ℓ(z(θ; x), y)`.
    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64;

    /// Writes `∇_θ ℓ(z(θ; x), y)` into `out` (length `d`).
    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]);

    /// Seeded initial parameters.
    fn init(&self, seed: u64) -> Vec<f64>;

    /// Short name for file names and figures.
    fn name(&self) -> &'static str;
}

/// Refuses a data set that does not fit the model: a different number of
/// features, another label encoding, a label outside it, sizes that do not
/// match `n` and `p`, or a non-finite feature.
pub fn check_fit(model: &dyn Model, data: &Dataset) -> Result<()> {
    if data.p != model.features() {
        return Err(Error::DimensionMismatch {
            field: format!("features of the data for model {}", model.name()),
            expected: model.features(),
            found: data.p,
        });
    }
    if data.kind != model.labels() {
        return Err(Error::InvalidField {
            field: "data labels".into(),
            reason: format!(
                "model {} takes {:?} labels, the data has {:?}",
                model.name(),
                model.labels(),
                data.kind
            ),
        });
    }
    if data.n == 0 {
        return Err(Error::Empty {
            what: "data set".into(),
        });
    }
    if data.features.len() != data.n * data.p || data.labels.len() != data.n {
        return Err(Error::DimensionMismatch {
            field: "data features (n · p) and labels (n)".into(),
            expected: data.n * (data.p + 1),
            found: data.features.len() + data.labels.len(),
        });
    }
    if let Some(i) = data.labels.iter().position(|&y| !data.kind.accepts(y)) {
        return Err(Error::InvalidField {
            field: format!("data label {i}"),
            reason: format!("{} is not a {:?} label", data.labels[i], data.kind),
        });
    }
    if let Some(k) = data.features.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite {
            field: format!("data feature {} of example {}", k % data.p, k / data.p),
            value: data.features[k],
        });
    }
    Ok(())
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

    fn features(&self) -> usize {
        self.features
    }

    fn labels(&self) -> Labels {
        Labels::Signs
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

    fn features(&self) -> usize {
        self.features
    }

    fn labels(&self) -> Labels {
        Labels::Signs
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

/// `log Σ_c e^{z_c}`, shifted by `max_c z_c` so that no exponential
/// overflows and the largest term is `1`.
pub fn log_sum_exp(z: &[f64]) -> f64 {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + z.iter().map(|&v| (v - top).exp()).sum::<f64>().ln()
}

/// The cross-entropy `log Σ_c e^{z_c} − z_y` of scores `z` and class `y`.
fn cross_entropy(z: &[f64], y: f64) -> f64 {
    log_sum_exp(z) - z[y as usize]
}

/// Overwrites scores `z` with `r = softmax(z) − e_y`, the gradient of
/// [`cross_entropy`] in `z`.
fn cross_entropy_residual(z: &mut [f64], y: f64) {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for v in z.iter_mut() {
        *v = (*v - top).exp();
        total += *v;
    }
    for v in z.iter_mut() {
        *v /= total;
    }
    z[y as usize] -= 1.0;
}

/// `out = W v + b` for `W` (`out.len() × v.len()`, row-major) and `b`.
fn affine(weights: &[f64], bias: &[f64], v: &[f64], out: &mut [f64]) {
    for (k, o) in out.iter_mut().enumerate() {
        *o = dot(&weights[k * v.len()..(k + 1) * v.len()], v) + bias[k];
    }
}

/// Multinomial (softmax) regression; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    /// Number of features `p`.
    pub features: usize,
    /// Number of classes `K`.
    pub classes: usize,
}

impl Softmax {
    fn scores(&self, params: &[f64], x: &[f64]) -> Vec<f64> {
        let weights = self.classes * self.features;
        let mut z = vec![0.0; self.classes];
        affine(&params[..weights], &params[weights..], x, &mut z);
        z
    }
}

impl Model for Softmax {
    fn dim(&self) -> usize {
        self.classes * (self.features + 1)
    }

    fn features(&self) -> usize {
        self.features
    }

    fn labels(&self) -> Labels {
        Labels::Classes(self.classes)
    }

    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64 {
        cross_entropy(&self.scores(params, x), y)
    }

    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]) {
        let p = self.features;
        let mut r = self.scores(params, x);
        cross_entropy_residual(&mut r, y);
        for (c, &rc) in r.iter().enumerate() {
            for (o, &xj) in out[c * p..(c + 1) * p].iter_mut().zip(x) {
                *o = rc * xj;
            }
        }
        out[self.classes * p..].copy_from_slice(&r);
    }

    fn init(&self, _seed: u64) -> Vec<f64> {
        vec![0.0; self.dim()]
    }

    fn name(&self) -> &'static str {
        "softmax"
    }
}

/// A network with two hidden `tanh` layers and a softmax output; see the
/// module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwoHiddenLayers {
    /// Number of features `p`.
    pub features: usize,
    /// Units of the first and the second hidden layer `(H₁, H₂)`.
    pub hidden: (usize, usize),
    /// Number of classes `K`.
    pub classes: usize,
}

/// Offsets of the parameter blocks `W₁, b₁, W₂, b₂, W₃, b₃` and the end.
struct Layout {
    w1: usize,
    b1: usize,
    w2: usize,
    b2: usize,
    w3: usize,
    b3: usize,
    end: usize,
}

impl TwoHiddenLayers {
    fn layout(&self) -> Layout {
        let (p, (h1, h2), k) = (self.features, self.hidden, self.classes);
        let b1 = h1 * p;
        let w2 = b1 + h1;
        let b2 = w2 + h2 * h1;
        let w3 = b2 + h2;
        let b3 = w3 + k * h2;
        Layout {
            w1: 0,
            b1,
            w2,
            b2,
            w3,
            b3,
            end: b3 + k,
        }
    }

    /// `(h₁, h₂, z)`.
    fn forward(&self, params: &[f64], x: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let at = self.layout();
        let (h1, h2) = self.hidden;
        let mut first = vec![0.0; h1];
        affine(&params[at.w1..at.b1], &params[at.b1..at.w2], x, &mut first);
        first.iter_mut().for_each(|v| *v = v.tanh());
        let mut second = vec![0.0; h2];
        affine(
            &params[at.w2..at.b2],
            &params[at.b2..at.w3],
            &first,
            &mut second,
        );
        second.iter_mut().for_each(|v| *v = v.tanh());
        let mut z = vec![0.0; self.classes];
        affine(
            &params[at.w3..at.b3],
            &params[at.b3..at.end],
            &second,
            &mut z,
        );
        (first, second, z)
    }
}

/// Writes `∇W = δ vᵀ` (row-major) and `∇b = δ` into `weights` and `bias`.
fn outer_into(delta: &[f64], v: &[f64], weights: &mut [f64], bias: &mut [f64]) {
    for (k, &dk) in delta.iter().enumerate() {
        for (o, &vj) in weights[k * v.len()..(k + 1) * v.len()].iter_mut().zip(v) {
            *o = dk * vj;
        }
    }
    bias.copy_from_slice(delta);
}

/// `(Wᵀ δ) ⊙ (1 − h²)`: the error of a `tanh` layer with output `h` from
/// the error `δ` of the layer above (weights `W`, `δ.len() × h.len()`).
fn back_through_tanh(weights: &[f64], delta: &[f64], h: &[f64]) -> Vec<f64> {
    let width = h.len();
    let mut out = vec![0.0; width];
    for (k, &dk) in delta.iter().enumerate() {
        for (o, &w) in out.iter_mut().zip(&weights[k * width..(k + 1) * width]) {
            *o += w * dk;
        }
    }
    for (o, &hj) in out.iter_mut().zip(h) {
        *o *= 1.0 - hj * hj;
    }
    out
}

impl Model for TwoHiddenLayers {
    fn dim(&self) -> usize {
        self.layout().end
    }

    fn features(&self) -> usize {
        self.features
    }

    fn labels(&self) -> Labels {
        Labels::Classes(self.classes)
    }

    fn loss(&self, params: &[f64], x: &[f64], y: f64) -> f64 {
        cross_entropy(&self.forward(params, x).2, y)
    }

    fn gradient(&self, params: &[f64], x: &[f64], y: f64, out: &mut [f64]) {
        let at = self.layout();
        let (first, second, mut delta3) = self.forward(params, x);
        cross_entropy_residual(&mut delta3, y);
        let delta2 = back_through_tanh(&params[at.w3..at.b3], &delta3, &second);
        let delta1 = back_through_tanh(&params[at.w2..at.b2], &delta2, &first);
        let (rest, output) = out.split_at_mut(at.w3);
        let (w3, b3) = output.split_at_mut(at.b3 - at.w3);
        outer_into(&delta3, &second, w3, b3);
        let (rest, hidden2) = rest.split_at_mut(at.w2);
        let (w2, b2) = hidden2.split_at_mut(at.b2 - at.w2);
        outer_into(&delta2, &first, w2, b2);
        let (w1, b1) = rest.split_at_mut(at.b1);
        outer_into(&delta1, x, w1, b1);
    }

    /// Weights uniform in `±1/√fan_in` (LeCun's scale: unit-variance inputs
    /// keep pre-activations of order 1), biases 0.
    fn init(&self, seed: u64) -> Vec<f64> {
        let mut rng = seeded_rng(seed, "two-hidden-layers init");
        let at = self.layout();
        let (h1, h2) = self.hidden;
        let mut params = vec![0.0; at.end];
        for (range, fan_in) in [
            (at.w1..at.b1, self.features),
            (at.w2..at.b2, h1),
            (at.w3..at.b3, h2),
        ] {
            let limit = 1.0 / (fan_in as f64).sqrt();
            for w in &mut params[range] {
                *w = rng.random_range(-limit..limit);
            }
        }
        params
    }

    fn name(&self) -> &'static str {
        "mlp2"
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The per-example gradients `∇ℓ_i(θ)`, `n × d` row-major (refused when
/// the data do not fit the model, [`check_fit`], or `θ` has the wrong
/// length).
pub fn per_example_gradients(
    model: &dyn Model,
    params: &[f64],
    data: &Dataset,
) -> Result<Vec<f64>> {
    check_fit(model, data)?;
    check_params(model, params)?;
    let d = model.dim();
    let mut out = vec![0.0; data.n * d];
    for (i, row) in out.chunks_exact_mut(d).enumerate() {
        model.gradient(params, data.x(i), data.labels[i], row);
    }
    Ok(out)
}

/// The mean loss `(1/n) Σ_i ℓ_i(θ)` (refused as [`per_example_gradients`]).
pub fn mean_loss(model: &dyn Model, params: &[f64], data: &Dataset) -> Result<f64> {
    check_fit(model, data)?;
    check_params(model, params)?;
    Ok((0..data.n)
        .map(|i| model.loss(params, data.x(i), data.labels[i]))
        .sum::<f64>()
        / data.n as f64)
}

fn check_params(model: &dyn Model, params: &[f64]) -> Result<()> {
    if params.len() != model.dim() {
        return Err(Error::DimensionMismatch {
            field: format!("parameters of model {}", model.name()),
            expected: model.dim(),
            found: params.len(),
        });
    }
    Ok(())
}

/// Where a minibatch step clips.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clipping {
    /// `x ← x − α (1/b) Σ_{i∈B} ∇f_i`.
    None,
    /// Mean clipping: `x ← x − α clip_γ((1/b) Σ_{i∈B} ∇f_i)`.
    Mean(Threshold<f64>),
    /// Per-example clipping: `x ← x − α (1/b) Σ_{i∈B} clip_γ(∇f_i)`.
    PerExample(Threshold<f64>),
}

/// Minibatch SGD: `steps` steps of size `step_size` on batches of `batch`
/// examples (consecutive blocks of seeded reshuffles, one epoch after
/// another; a reshuffle when fewer than `batch` examples of the current
/// one are left), with the step clipped as `clipping` says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Step size `α`.
    pub step_size: f64,
    /// Examples per step `b` (`1 ≤ b ≤ n`).
    pub batch: usize,
    /// Number of steps.
    pub steps: usize,
    /// Seed of the reshuffles.
    pub seed: u64,
    /// Where the step clips.
    pub clipping: Clipping,
}

impl Sgd {
    /// Trains `params` in place; `snapshot(k, θ)` is called before step `k`
    /// for every `k` in `snapshots` (`k = steps`: after the last step).
    /// Refuses data that do not fit the model ([`check_fit`]), parameters
    /// of the wrong length, a step size that is not finite and positive, a
    /// batch outside `1..=n`, and a non-finite gradient on the way (a
    /// diverged run).
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
            clipping,
        } = *self;
        check_fit(model, data)?;
        check_params(model, params)?;
        if !(step_size.is_finite() && step_size > 0.0) {
            return Err(Error::InvalidField {
                field: "step size".into(),
                reason: format!("must be finite and > 0, got {step_size}"),
            });
        }
        if batch == 0 || batch > data.n {
            return Err(Error::InvalidField {
                field: "batch".into(),
                reason: format!("must be between 1 and n = {}, got {batch}", data.n),
            });
        }
        let mut rng = seeded_rng(seed, "sgd order");
        let mut order: Vec<usize> = (0..data.n).collect();
        let mut position = data.n;
        let mut gradient = DVector::<f64>::zeros(model.dim());
        let mut sum = DVector::<f64>::zeros(model.dim());
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
            sum.fill(0.0);
            for &i in &order[position..position + batch] {
                model.gradient(params, data.x(i), data.labels[i], gradient.as_mut_slice());
                if let Some(bad) = gradient.iter().find(|v| !v.is_finite()) {
                    return Err(Error::NonFinite {
                        field: format!("gradient of example {i} at step {k} (diverged?)"),
                        value: *bad,
                    });
                }
                // `clip_γ(v) = clip_factor(‖v‖) v`, added in place: no
                // allocation per example.
                let factor = match clipping {
                    Clipping::PerExample(gamma) => clip_factor(gradient.norm(), gamma),
                    Clipping::None | Clipping::Mean(_) => 1.0,
                };
                sum.axpy(factor, &gradient, 1.0);
            }
            position += batch;
            sum /= batch as f64;
            let direction = match clipping {
                Clipping::Mean(gamma) => clip(&sum, gamma)?,
                Clipping::None | Clipping::PerExample(_) => sum.clone(),
            };
            for (theta, s) in params.iter_mut().zip(direction.iter()) {
                *theta -= step_size * s;
            }
            if let Some(j) = params.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    field: format!("parameter {j} after step {k} (diverged?)"),
                    value: params[j],
                });
            }
        }
        Ok(())
    }
}

/// Angles of the clipped minibatch directions to the full gradient
/// `g = (1/n) Σ_i g_i` at one batch size `b`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClippedBatchRow {
    /// Batch size `b`.
    pub b: usize,
    /// Batches drawn (every singleton for `b = 1`, the one batch for `b = n`).
    pub batches: usize,
    /// Mean over batches of `cos∠((1/b) Σ_{i∈B} clip_γ(g_i), g)`: the
    /// per-example clipped step's angle (mean clipping only rescales
    /// `g_B`, so its angle is the unclipped `θ_B`).
    pub mean_cos_per_example: f64,
    /// Standard error `s/√K` of [`ClippedBatchRow::mean_cos_per_example`]
    /// (`0` for `b = 1` and `b = n`, which are enumerated).
    pub stderr_cos_per_example: f64,
    /// `ρ` of the per-example clipped step: the mean over batches of
    /// `⟨(1/b) Σ_B clip_γ(g_i), g⟩ / (min(‖g‖, γ) ‖g‖)`, an unbiased
    /// estimate of the largest `ρ` with CDC(ρ) for the expected step. The
    /// expected step is `d = (1/n) Σ clip_γ(g_i)` for every `b` (BATCH-1's
    /// unbiasedness applied to the clipped rows), so this does not depend on
    /// `b` in expectation.
    pub rho_per_example: f64,
    /// Standard error of [`ClippedBatchRow::rho_per_example`].
    pub stderr_rho_per_example: f64,
    /// `ρ` of the mean-clipped step: the mean over batches of
    /// `⟨clip_γ(g_B), g⟩ / (min(‖g‖, γ) ‖g‖)` (`1` at `b = n`: BIAS-5).
    pub rho_mean: f64,
    /// Standard error of [`ClippedBatchRow::rho_mean`].
    pub stderr_rho_mean: f64,
    /// Fraction of batches whose mean `g_B` is clipped (`‖g_B‖ > γ`).
    pub frac_mean_clipped: f64,
}

/// The mean of `values` and its standard error `s/√K` (`0` when the
/// values are every batch there is, `exact`, or fewer than two).
fn mean_and_stderr(values: &[f64], exact: bool) -> (f64, f64) {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    if exact || values.len() < 2 {
        return (mean, 0.0);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (variance / k).sqrt())
}

/// Cosine of the angle between `u` and `v`; `0` when either is `0`.
fn cosine(u: &DVector<f64>, v: &DVector<f64>) -> f64 {
    let scale = u.norm() * v.norm();
    if scale > 0.0 {
        u.dot(v) / scale
    } else {
        0.0
    }
}

/// [`ClippedBatchRow`]s of a per-example gradient matrix (`n × d`,
/// row-major) at each batch size in `sizes` (`1 ≤ b ≤ n`). `b = 1` and
/// `b = n` are enumerated; other sizes draw `min(samples, passes ⌊n/b⌋)`
/// batches of distinct examples, cut as disjoint blocks from seeded
/// permutations (`seed`; each batch is uniform over the `b`-subsets).
/// Refuses an empty or non-finite matrix, a full gradient `g = 0` (no
/// angle), and sizes outside `1..=n`.
pub fn clipped_batch_rows(
    gradients: &[f64],
    (n, d): (usize, usize),
    gamma: Threshold<f64>,
    sizes: &[usize],
    (samples, passes): (usize, usize),
    seed: u64,
) -> Result<Vec<ClippedBatchRow>> {
    if n == 0 || d == 0 || gradients.len() != n * d {
        return Err(Error::DimensionMismatch {
            field: "gradient matrix (n · d)".into(),
            expected: n * d,
            found: gradients.len(),
        });
    }
    if let Some(k) = gradients.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite {
            field: format!("row {}, column {}", k / d, k % d),
            value: gradients[k],
        });
    }
    let rows: Vec<DVector<f64>> = gradients
        .chunks_exact(d)
        .map(DVector::from_column_slice)
        .collect();
    let clipped = rows
        .iter()
        .map(|g| clip(g, gamma))
        .collect::<Result<Vec<_>>>()?;
    let full = rows.iter().fold(DVector::zeros(d), |s, g| s + g) / n as f64;
    if full.norm() == 0.0 {
        return Err(Error::InvalidField {
            field: "gradient matrix".into(),
            reason: "the full gradient is 0: no angle to it".into(),
        });
    }
    let mut rng = seeded_rng(seed, "clipped batch rows");
    let mut out = Vec::with_capacity(sizes.len());
    for &b in sizes {
        if b == 0 || b > n {
            return Err(Error::InvalidField {
                field: "batch size".into(),
                reason: format!("must be between 1 and n = {n}, got {b}"),
            });
        }
        let batches: Vec<Vec<usize>> = if b == 1 {
            (0..n).map(|i| vec![i]).collect()
        } else if b == n {
            vec![(0..n).collect()]
        } else {
            let per_permutation = n / b;
            let wanted = samples.min(passes * per_permutation).max(1);
            let mut drawn = Vec::with_capacity(wanted);
            while drawn.len() < wanted {
                let order = crate::random::permutation(n, &mut rng);
                drawn.extend(
                    order
                        .chunks_exact(b)
                        .take(wanted - drawn.len())
                        .map(<[usize]>::to_vec),
                );
            }
            drawn
        };
        let scale = full.norm() * full.norm().min(gamma.get());
        let (mut cosines, mut rho_per_example, mut rho_mean) = (Vec::new(), Vec::new(), Vec::new());
        let mut mean_clipped = 0usize;
        for batch in &batches {
            let per_example = batch
                .iter()
                .fold(DVector::zeros(d), |s, &i| s + &clipped[i])
                / b as f64;
            let mean = batch.iter().fold(DVector::zeros(d), |s, &i| s + &rows[i]) / b as f64;
            mean_clipped += usize::from(mean.norm() > gamma.get());
            cosines.push(cosine(&per_example, &full));
            rho_per_example.push(per_example.dot(&full) / scale);
            rho_mean.push(clip(&mean, gamma)?.dot(&full) / scale);
        }
        let exact = b == 1 || b == n;
        let (mean_cos, stderr_cos) = mean_and_stderr(&cosines, exact);
        let (rho_pe, stderr_rho_pe) = mean_and_stderr(&rho_per_example, exact);
        let (rho_m, stderr_rho_m) = mean_and_stderr(&rho_mean, exact);
        out.push(ClippedBatchRow {
            b,
            batches: batches.len(),
            mean_cos_per_example: mean_cos,
            stderr_cos_per_example: stderr_cos,
            rho_per_example: rho_pe,
            stderr_rho_per_example: stderr_rho_pe,
            rho_mean: rho_m,
            stderr_rho_mean: stderr_rho_m,
            frac_mean_clipped: mean_clipped as f64 / batches.len() as f64,
        });
    }
    Ok(out)
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

    #[test]
    fn embedded_digits_parse_with_ten_classes() {
        let data = Dataset::digits().expect("embedded CSV parses");
        assert_eq!((data.n, data.p, data.kind), (1797, 64, Labels::Classes(10)));
        // Class counts of the UCI test set (sklearn's `load_digits`).
        let count = |c: f64| data.labels.iter().filter(|&&y| y == c).count();
        assert_eq!((count(0.0), count(8.0), count(9.0)), (178, 174, 180));
        // Pixel (0, 0) is blank in every image: a constant column stays 0.
        assert!((0..data.n).all(|i| data.x(i)[0] == 0.0));
        let mean = (0..data.n).map(|i| data.x(i)[10]).sum::<f64>() / data.n as f64;
        assert!(mean.abs() < 1e-12);
    }

    #[test]
    fn log_sum_exp_does_not_overflow() {
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log_sum_exp(&[-1000.0, 0.0]) - 0.0).abs() < 1e-300);
    }
}
