//! Clipped incremental gradient: the engine and its per-epoch trace
//! (ids IG-1, IG-2, IG-6; DESC-6 along runs).
//!
//! Epoch `k` visits the components in an order `π_k` (cyclic, shuffled once,
//! or reshuffled every epoch, seeded), in batches `B` of size `b` (the last
//! one may be smaller), with inner step `α`:
//!
//! $$ x_k^{j} = x_k^{j-1} - \alpha \lvert B_j\rvert \\, \mathrm{clip}_\gamma\\bigl(g_{B_j}(x_k^{j-1})\\bigr),
//!    \qquad g_B = \frac{1}{\lvert B\rvert} \sum_{i \in B} \nabla f_i, $$
//!
//! so that one epoch has total weight `a = nα` whatever `b` is; `b = 1` is the
//! spec's `x_k^i = x_k^{i−1} − α clip(g_{π(i)}(x_k^{i−1}))`. Variants for
//! comparison: no clipping, and clipping the full gradient once per epoch
//! (`x_{k+1} = x_k − a clip(∇f(x_k))`).
//!
//! The hot loop allocates nothing: components whose gradient is a scalar
//! multiple of a fixed vector (linear, exponential, logistic) are stored as
//! columns of one contiguous matrix with their norms precomputed, so a step
//! is one dot product and one `axpy`; other kinds write into preallocated
//! scratch vectors.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::Rng;
use serde::Serialize;

use crate::clipping::{clip_factor, Threshold};
use crate::direction::cdc_rho;
use crate::error::{Error, Result};
use crate::instance::{Component, Instance};
use crate::real::{axpy_slices, dot, dot_slices, norm, Real};
use crate::report::seeded_rng;

/// The order in which an epoch visits the components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// `1, 2, …, n` every epoch.
    Cyclic,
    /// One seeded random permutation, kept for every epoch.
    Shuffle,
    /// A fresh seeded random permutation every epoch.
    Reshuffle,
}

/// How the inner step changes across epochs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// `α_k = α`.
    Constant,
    /// `α_k = α / sqrt(k + 1)`.
    InverseSqrt,
    /// `α_k = α / (k + 1)`.
    Inverse,
}

impl Schedule {
    /// The inner step of epoch `k` (from 0) for base step `alpha`.
    pub fn step<T: Real>(self, alpha: T, epoch: usize) -> T {
        let k = T::of(epoch as f64 + 1.0);
        match self {
            Schedule::Constant => alpha,
            Schedule::InverseSqrt => alpha / k.sqrt(),
            Schedule::Inverse => alpha / k,
        }
    }
}

/// What is clipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Clip each batch's mean gradient (the method the theory studies).
    Clipped,
    /// No clipping: plain incremental gradient.
    Unclipped,
    /// Clip the full gradient once per epoch: clipped gradient descent with step `a = nα`.
    FullClipped,
}

/// A validated run configuration.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig<T> {
    alpha: T,
    epochs: usize,
    batch: usize,
    order: Order,
    schedule: Schedule,
    variant: Variant,
    seed: u64,
}

impl<T: Real> RunConfig<T> {
    /// Validates: `alpha` finite and `> 0`, `epochs ≥ 1`, `batch ≥ 1`.
    pub fn new(alpha: T, epochs: usize, batch: usize) -> Result<Self> {
        if !(alpha.is_finite() && alpha > T::zero()) {
            return Err(Error::InvalidField {
                field: "step".into(),
                reason: format!("the inner step α must be finite and > 0, got {alpha}"),
            });
        }
        if epochs == 0 {
            return Err(Error::InvalidField {
                field: "epochs".into(),
                reason: "must be at least 1".into(),
            });
        }
        if batch == 0 {
            return Err(Error::InvalidField {
                field: "batch".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            alpha,
            epochs,
            batch,
            order: Order::Cyclic,
            schedule: Schedule::Constant,
            variant: Variant::Clipped,
            seed: 1,
        })
    }

    /// With this visiting order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// With this step schedule.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// With this variant.
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = variant;
        self
    }

    /// With this seed (for the shuffled orders).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The inner step `α`.
    pub fn alpha(&self) -> T {
        self.alpha
    }
}

/// How a component's gradient is computed in the hot loop.
#[derive(Clone, Debug)]
enum Kernel<T: Real> {
    /// `∇f_i(x) = φ(⟨a, x⟩) a` with `a` = column `column` of the feature
    /// matrix and `‖a‖` precomputed.
    Ridge {
        column: usize,
        norm: T,
        profile: Profile<T>,
    },
    /// Any other component, through scratch buffers.
    General(Component<T>),
}

#[derive(Clone, Copy, Debug)]
enum Profile<T> {
    /// Linear: `φ ≡ 1`.
    Constant,
    /// `φ(t) = e^{t + b}`.
    Exp(T),
    /// `φ(t) = −y σ(−y t)`.
    Logistic(T),
}

impl<T: Real> Profile<T> {
    #[inline]
    fn coefficient(self, t: T) -> T {
        match self {
            Profile::Constant => T::one(),
            Profile::Exp(b) => (t + b).exp(),
            Profile::Logistic(y) => {
                let z = -y * t;
                let s = if z >= T::zero() {
                    T::one() / (T::one() + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (T::one() + e)
                };
                -y * s
            }
        }
    }
}

/// Scratch space for general components (allocated once per engine).
#[derive(Clone, Debug)]
struct Scratch<T: Real> {
    a: DVector<T>,
    b: DVector<T>,
}

/// The compiled instance: kernels, features, threshold.
#[derive(Clone, Debug)]
pub struct Engine<T: Real> {
    gamma: Threshold<T>,
    kernels: Vec<Kernel<T>>,
    features: DMatrix<T>,
    instance: Instance<T>,
    scratch: Scratch<T>,
}

impl<T: Real> Engine<T> {
    /// Compiles `instance` for fast passes.
    pub fn new(instance: &Instance<T>) -> Self {
        let dim = instance.dim();
        let mut columns: Vec<&DVector<T>> = Vec::new();
        let mut kernels = Vec::with_capacity(instance.n());
        for component in &instance.components {
            let (vector, profile) = match component {
                Component::Linear { c } => (Some(c), Profile::Constant),
                Component::Exp { a, b } => (Some(a), Profile::Exp(*b)),
                Component::Logistic { a, label } => (Some(a), Profile::Logistic(*label)),
                _ => (None, Profile::Constant),
            };
            kernels.push(match vector {
                Some(a) => {
                    columns.push(a);
                    Kernel::Ridge {
                        column: columns.len() - 1,
                        norm: norm(a),
                        profile,
                    }
                }
                None => Kernel::General(component.clone()),
            });
        }
        let features = if columns.is_empty() {
            DMatrix::zeros(dim, 0)
        } else {
            DMatrix::from_fn(dim, columns.len(), |r, c| columns[c][r])
        };
        Self {
            gamma: instance.gamma,
            kernels,
            features,
            instance: instance.clone(),
            scratch: Scratch {
                a: DVector::zeros(dim),
                b: DVector::zeros(dim),
            },
        }
    }

    /// `n`.
    pub fn n(&self) -> usize {
        self.kernels.len()
    }

    /// One clipped epoch in cyclic order with `b = 1`, in place:
    /// `x ← x − α clip(∇f_i(x))` for `i = 1, …, n`. The hot loop of the
    /// method, without any trace (what the benches time).
    pub fn clipped_epoch(&mut self, x: &mut DVector<T>, alpha: T) {
        for i in 0..self.kernels.len() {
            self.component_step(i, x, alpha, true);
        }
    }

    /// `out += weight ∇f_i(x)`, without allocating.
    fn add_gradient(&mut self, i: usize, x: &DVector<T>, weight: T, out: &mut DVector<T>) {
        match &self.kernels[i] {
            Kernel::Ridge {
                column, profile, ..
            } => {
                let a = self.features.column(*column);
                let coefficient = profile.coefficient(a.dot(x));
                out.axpy(weight * coefficient, &a, T::one());
            }
            Kernel::General(component) => {
                general_gradient(component, x, &mut self.scratch);
                out.axpy(weight, &self.scratch.b, T::one());
            }
        }
    }

    /// One clipped (or unclipped) step on component `i`:
    /// `x ← x − step · clip(∇f_i(x))`.
    #[inline]
    fn component_step(&mut self, i: usize, x: &mut DVector<T>, step: T, clipped: bool) {
        match &self.kernels[i] {
            Kernel::Ridge {
                column,
                norm,
                profile,
            } => {
                let dim = x.len();
                let a = &self.features.as_slice()[column * dim..(column + 1) * dim];
                let coefficient = profile.coefficient(dot_slices(a, x.as_slice()));
                let factor = if clipped {
                    clip_factor(coefficient.abs() * *norm, self.gamma)
                } else {
                    T::one()
                };
                axpy_slices(-step * factor * coefficient, a, x.as_mut_slice());
            }
            Kernel::General(component) => {
                general_gradient(component, x, &mut self.scratch);
                let factor = if clipped {
                    clip_factor(norm(&self.scratch.b), self.gamma)
                } else {
                    T::one()
                };
                x.axpy(-step * factor, &self.scratch.b, T::one());
            }
        }
    }
}

/// `scratch.b = ∇f(x)` for a general component, using `scratch.a` as a temporary.
fn general_gradient<T: Real>(component: &Component<T>, x: &DVector<T>, scratch: &mut Scratch<T>) {
    match component {
        Component::Quadratic {
            hessian, linear, ..
        } => {
            scratch.b.copy_from(linear);
            scratch.b.gemv(T::one(), hessian, x, T::one());
        }
        Component::Separable {
            rotation,
            shift,
            atoms,
        } => {
            scratch.b.copy_from(x);
            scratch.b -= shift;
            scratch.a.gemv(T::one(), rotation, &scratch.b, T::zero());
            for (z, atom) in scratch.a.iter_mut().zip(atoms) {
                *z = atom.derivative(*z);
            }
            scratch.b.gemv_tr(T::one(), rotation, &scratch.a, T::zero());
        }
        // Ridge kinds never reach here; computing them generally is still right.
        other => scratch.b.copy_from(&other.gradient(x)),
    }
}

/// The quantities of one epoch, at its start point `x_k` (and `‖e_k‖`, the
/// IG-1 slack over the epoch).
#[derive(Clone, Debug, Serialize)]
pub struct EpochRecord {
    /// `k`.
    pub epoch: usize,
    /// `f(x_k)`.
    pub f: f64,
    /// `‖∇f(x_k)‖`.
    pub grad_norm: f64,
    /// `‖d(x_k) − ∇f(x_k)‖`, `d` the componentwise clipped direction.
    pub bias_norm: f64,
    /// Largest `ρ` with CDC(ρ) at `x_k` (negative: `d` ascends).
    pub rho: f64,
    /// `‖e_k‖` of IG-2 (`0` for the full-clipped variant).
    pub e_norm: f64,
    /// Inner step `α_k` of this epoch.
    pub alpha: f64,
    /// IG-1: `min_j (Σ_{l≤j} |B_l| α γ − ‖x_k^j − x_k‖) / (n α γ)` over the
    /// epoch (negative would violate IG-1; clipped variant only).
    pub ig_1_slack: f64,
}

/// A whole run: the per-epoch records and the final point.
#[derive(Clone, Debug, Serialize)]
pub struct Trace {
    /// One record per epoch.
    pub epochs: Vec<EpochRecord>,
    /// The final point and its value and gradient norm.
    #[serde(rename = "final")]
    pub final_point: FinalPoint,
}

/// The end of a run.
#[derive(Clone, Debug, Serialize)]
pub struct FinalPoint {
    /// `x_K`.
    pub x: Vec<f64>,
    /// `f(x_K)`.
    pub f: f64,
    /// `‖∇f(x_K)‖`.
    pub grad_norm: f64,
}

/// The per-epoch pass at `x`: `f`, `∇f`, `d` (component clipping), and
/// `Σ_B |B| clip(g_B(x))` for the epoch's batches (for `e_k`).
struct EpochPass<T: Real> {
    f: T,
    gradient: DVector<T>,
    clipped_direction: DVector<T>,
    batch_clipped_sum: DVector<T>,
}

fn epoch_pass<T: Real>(
    engine: &mut Engine<T>,
    x: &DVector<T>,
    order: &[usize],
    batch: usize,
) -> EpochPass<T> {
    let dim = x.len();
    let n = engine.n();
    let inverse_n = T::one() / T::of(n as f64);
    let mut gradient = DVector::zeros(dim);
    let mut clipped = DVector::zeros(dim);
    let mut batch_sum = DVector::zeros(dim);
    let mut one = DVector::zeros(dim);
    let mut mean = DVector::zeros(dim);
    let f = engine.instance.value(x);
    for chunk in order.chunks(batch) {
        mean.fill(T::zero());
        let weight = T::one() / T::of(chunk.len() as f64);
        for &i in chunk {
            one.fill(T::zero());
            engine.add_gradient(i, x, T::one(), &mut one);
            gradient += &one;
            clipped.axpy(clip_factor(norm(&one), engine.gamma), &one, T::one());
            mean.axpy(weight, &one, T::one());
        }
        let size = T::of(chunk.len() as f64);
        batch_sum.axpy(
            size * clip_factor(norm(&mean), engine.gamma),
            &mean,
            T::one(),
        );
    }
    EpochPass {
        f,
        gradient: gradient * inverse_n,
        clipped_direction: clipped * inverse_n,
        batch_clipped_sum: batch_sum,
    }
}

/// A seeded permutation of `0..n` (Fisher–Yates).
fn permutation(n: usize, rng: &mut proptest::test_runner::TestRng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// How one epoch is stepped.
#[derive(Clone, Copy)]
struct EpochPlan<T> {
    batch: usize,
    alpha: T,
    clipped: bool,
    /// Track the IG-1 slack (costs one pass over `x` per inner step).
    track: bool,
}

/// One epoch of the method from `x` (in place); `workspace` holds the
/// epoch's start point and a batch buffer. Returns the
/// IG-1 slack relative to `nαγ` when tracked (`+∞` otherwise).
fn epoch<T: Real>(
    engine: &mut Engine<T>,
    x: &mut DVector<T>,
    order: &[usize],
    plan: EpochPlan<T>,
    workspace: &mut (DVector<T>, DVector<T>),
) -> T {
    let (start, batch_buffer) = workspace;
    let gamma = engine.gamma.get();
    let alpha = plan.alpha;
    let total = T::of(order.len() as f64) * alpha * gamma;
    let mut worst = T::infinity();
    let mut travelled = T::zero();
    for chunk in order.chunks(plan.batch) {
        let size = T::of(chunk.len() as f64);
        if chunk.len() == 1 {
            engine.component_step(chunk[0], x, alpha, plan.clipped);
        } else {
            batch_buffer.fill(T::zero());
            let weight = T::one() / size;
            for &i in chunk {
                engine.add_gradient(i, x, weight, batch_buffer);
            }
            let factor = if plan.clipped {
                clip_factor(norm(batch_buffer), engine.gamma)
            } else {
                T::one()
            };
            x.axpy(-alpha * size * factor, batch_buffer, T::one());
        }
        if plan.track {
            travelled += size * alpha * gamma;
            let distance = x
                .iter()
                .zip(start.iter())
                .fold(T::zero(), |s, (&a, &b)| s + (a - b) * (a - b))
                .sqrt();
            worst = worst.min((travelled - distance) / total);
        }
    }
    worst
}

/// Runs the method on `instance` from its `x0`, recording every epoch when
/// `record` is set (the trace costs one extra pass over the data per epoch).
pub fn run<T: Real>(instance: &Instance<T>, config: &RunConfig<T>, record: bool) -> Result<Trace> {
    let mut engine = Engine::new(instance);
    let n = engine.n();
    let mut rng = seeded_rng(config.seed, "incremental-order");
    let mut order: Vec<usize> = match config.order {
        Order::Cyclic => (0..n).collect(),
        Order::Shuffle | Order::Reshuffle => permutation(n, &mut rng),
    };
    let mut x = instance.x0.clone();
    // (epoch start point, batch buffer): allocated once per run
    let mut workspace = (x.clone(), DVector::zeros(x.len()));
    let mut epochs = Vec::with_capacity(if record { config.epochs } else { 0 });
    let a_total = |alpha: T| T::of(n as f64) * alpha;
    for k in 0..config.epochs {
        if k > 0 && config.order == Order::Reshuffle {
            order = permutation(n, &mut rng);
        }
        let alpha = config.schedule.step(config.alpha, k);
        workspace.0.copy_from(&x);
        let pass = (record || config.variant == Variant::FullClipped)
            .then(|| epoch_pass(&mut engine, &x, &order, config.batch));
        let ig_1 = match config.variant {
            Variant::FullClipped => {
                let Some(pass) = pass.as_ref() else {
                    unreachable!("the pass is computed for the full-clipped variant")
                };
                let factor = clip_factor(norm(&pass.gradient), engine.gamma);
                x.axpy(-a_total(alpha) * factor, &pass.gradient, T::one());
                T::infinity()
            }
            variant => {
                let plan = EpochPlan {
                    batch: config.batch,
                    alpha,
                    clipped: variant == Variant::Clipped,
                    track: record,
                };
                epoch(&mut engine, &mut x, &order, plan, &mut workspace)
            }
        };
        if let (true, Some(pass)) = (record, pass) {
            let grad_norm = norm(&pass.gradient);
            let d_dot_g = dot(&pass.clipped_direction, &pass.gradient);
            // e_k = Σ_B |B| [clip(g_B(x^{B−1})) − clip(g_B(x_k))] = (x_k − x_{k+1})/α − Σ_B |B| clip(g_B(x_k))
            let e = if config.variant == Variant::Clipped {
                norm(&((&workspace.0 - &x) / alpha - &pass.batch_clipped_sum))
            } else {
                T::zero()
            };
            let record = EpochRecord {
                epoch: k,
                f: pass.f.to_f64_lossless(),
                grad_norm: grad_norm.to_f64_lossless(),
                bias_norm: norm(&(&pass.clipped_direction - &pass.gradient)).to_f64_lossless(),
                rho: cdc_rho(d_dot_g, grad_norm, engine.gamma).to_f64_lossless(),
                e_norm: e.to_f64_lossless(),
                alpha: alpha.to_f64_lossless(),
                ig_1_slack: if ig_1.is_finite() {
                    ig_1.to_f64_lossless()
                } else {
                    f64::NAN
                },
            };
            if !record.f.is_finite() || !record.grad_norm.is_finite() {
                return Err(Error::NonFinite {
                    field: format!("f or ∇f at the start of epoch {k} (the run diverged)"),
                    value: record.f,
                });
            }
            epochs.push(record);
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: format!("x after epoch {k} (the run diverged; try a smaller step)"),
                value: f64::NAN,
            });
        }
    }
    let final_gradient = {
        let set = instance.gradients_at(&x)?;
        set.mean_norm()
    };
    Ok(Trace {
        epochs,
        final_point: FinalPoint {
            x: x.iter().map(|v| v.to_f64_lossless()).collect(),
            f: instance.value(&x).to_f64_lossless(),
            grad_norm: final_gradient.to_f64_lossless(),
        },
    })
}

/// The trace as CSV: one line per epoch, a header first.
pub fn trace_csv(trace: &Trace) -> String {
    let mut out = String::from("epoch,f,grad_norm,bias_norm,rho,e_norm,alpha,ig_1_slack\n");
    for r in &trace.epochs {
        out.push_str(&format!(
            "{},{:e},{:e},{:e},{:e},{:e},{:e},{:e}\n",
            r.epoch, r.f, r.grad_norm, r.bias_norm, r.rho, r.e_norm, r.alpha, r.ig_1_slack
        ));
    }
    out
}

/// The trace as a table (every epoch up to 20, then every `K/20`-th).
pub fn render_trace_table(trace: &Trace) -> String {
    let mut out = format!(
        "{:>6} {:>14} {:>12} {:>12} {:>10} {:>12} {:>10}\n",
        "epoch", "f", "‖∇f‖", "‖d − ∇f‖", "ρ*", "‖e_k‖", "IG-1 slack"
    );
    let stride = (trace.epochs.len() / 20).max(1);
    for (k, r) in trace.epochs.iter().enumerate() {
        if k % stride == 0 || k + 1 == trace.epochs.len() {
            out.push_str(&format!(
                "{:>6} {:>14.6e} {:>12.4e} {:>12.4e} {:>10.3e} {:>12.4e} {:>10.3e}\n",
                r.epoch, r.f, r.grad_norm, r.bias_norm, r.rho, r.e_norm, r.ig_1_slack
            ));
        }
    }
    let last = &trace.final_point;
    out.push_str(&format!(
        "final: f = {:.9e}, ‖∇f‖ = {:.4e}, x = {:?}\n",
        last.f, last.grad_norm, last.x
    ));
    out
}

/// A slow, independent reference for one epoch of the clipped method with
/// `b = 1`: the inner iterates `x_k^0, …, x_k^n`, computed with
/// [`Component::gradient`] and [`crate::clipping::clip`] (used to check the
/// engine and IG-2).
pub fn reference_epoch<T: Real>(
    instance: &Instance<T>,
    x: &DVector<T>,
    order: &[usize],
    alpha: T,
) -> Result<Vec<DVector<T>>> {
    let mut iterates = vec![x.clone()];
    let mut current = x.clone();
    for &i in order {
        let g = instance.components[i].gradient(&current);
        current -= crate::clipping::clip(&g, instance.gamma)? * alpha;
        iterates.push(current.clone());
    }
    Ok(iterates)
}
