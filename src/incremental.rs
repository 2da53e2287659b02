//! Clipped incremental gradient: the engine and its per-epoch trace
//! (ids IG-1..IG-6; DESC-6 along runs), and `cliptheory run`.
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
//! With certified constants ([`Constants`], [`RunConfig::constants`]) the
//! per-epoch trace also carries the slacks of IG-3's corollary
//! (`‖e_k‖ ≤ (L0 + L1γ) αγ n(n − 1)/2`), IG-4 (the one-epoch inequality) and
//! IG-5's per-epoch inequality where its hypotheses hold at that epoch
//! ([`EpochBounds`] computes all three from one epoch's quantities, for the
//! trace and for the registry's evaluators alike). [`run_command`] is
//! `cliptheory run`, with `--plot` ([`comparison_figure`]) and a progress bar
//! on long runs.
//!
//! The hot loop allocates nothing: components whose gradient is a scalar
//! multiple of a fixed vector (linear, exponential, logistic) are stored as
//! columns of one contiguous matrix with their norms precomputed, so a step
//! is one dot product and one `axpy`; other kinds write into preallocated
//! scratch vectors.

use std::path::PathBuf;

use nalgebra::{DMatrix, DVector};
use proptest::prelude::Rng;
use serde::Serialize;

use crate::clipping::{clip_factor, Threshold};
use crate::direction::cdc_rho;
use crate::error::{Error, Result};
use crate::instance::{Component, Instance};
use crate::plot::{Figure, Series};
use crate::real::{axpy_slices, dot, dot_slices, norm, Real};
use crate::report::seeded_rng;
use crate::smooth::certificate::{certify, Pair};
use crate::smooth::phi2;

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
    constants: Option<Constants>,
}

/// Certified constants the trace's IG-3..IG-5 slacks use (`theorems/IG.md`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Constants {
    /// Certified `(L0, L1)` of `f`.
    pub f: Pair,
    /// `(max_i ℓ0_i, max_i ℓ1_i)` over the certified pairs of the components.
    pub components: Pair,
}

/// `K_1 = 2(e − 2)`: `K_c = 2(e^c − 1 − c)/c²` of SMOOTH-3 at `c = 1`.
pub const K_1: f64 = 2.0 * (std::f64::consts::E - 2.0);

impl Constants {
    /// Certifies `f` and every component (SMOOTH-4..6).
    pub fn certify<T: Real>(instance: &Instance<T>) -> Result<Self> {
        let certification = certify(instance)?;
        let components = certification
            .components
            .iter()
            .fold(Pair::new(0.0, 0.0), |m, c| {
                Pair::new(m.l0.max(c.pair.l0), m.l1.max(c.pair.l1))
            });
        Ok(Self {
            f: certification.f.pair,
            components,
        })
    }

    /// One pair valid for `f` and every `f_i` (IG-5's hypothesis): the
    /// larger of the two in each constant.
    pub fn common(&self) -> Pair {
        Pair::new(
            self.f.l0.max(self.components.l0),
            self.f.l1.max(self.components.l1),
        )
    }

    /// IG-3's Lipschitz constant of every `clip ∘ ∇f_i`: `ℓ0 + ℓ1 γ` with the
    /// components' pair.
    pub fn clipped_lipschitz(&self, gamma: f64) -> f64 {
        self.components.l0 + self.components.l1 * gamma
    }

    /// IG-5's step conditions at epoch step `a` and CDC constant `ρ`, with
    /// `C_e = L0 + L1 γ` of the common pair: `L1 a γ ≤ 1` and
    /// `a (1 + K_1) C_e ≤ ρ`.
    pub fn ig_5_steps_hold(&self, a: f64, gamma: f64, rho: f64) -> bool {
        let common = self.common();
        let c_e = common.l0 + common.l1 * gamma;
        rho > 0.0 && rho <= 1.0 && common.l1 * a * gamma <= 1.0 && a * (1.0 + K_1) * c_e <= rho
    }

    /// The largest epoch step `a` that meets IG-5's step conditions for `ρ`:
    /// `min(1/(L1 γ), ρ/((1 + K_1) C_e))`.
    pub fn ig_5_largest_step(&self, gamma: f64, rho: f64) -> f64 {
        let common = self.common();
        let c_e = common.l0 + common.l1 * gamma;
        let by_l1 = if common.l1 > 0.0 {
            1.0 / (common.l1 * gamma)
        } else {
            f64::INFINITY
        };
        let by_rho = if c_e > 0.0 {
            rho / ((1.0 + K_1) * c_e)
        } else {
            f64::INFINITY
        };
        by_l1.min(by_rho)
    }
}

/// The quantities of one epoch the IG-3..IG-5 bounds are stated in (all in
/// `f64`, from values computed in the run's float type).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochBounds {
    /// Number of components `n`.
    pub n: f64,
    /// Inner step `α`.
    pub alpha: f64,
    /// `γ`.
    pub gamma: f64,
    /// `f(x_k)`.
    pub f: f64,
    /// `f(x_{k+1})`.
    pub f_next: f64,
    /// `(1/n) Σ_i |f_i(x_k)| + (1/n) Σ_i |f_i(x_{k+1})|`: the size of the
    /// numbers `f(x_k) − f(x_{k+1})` is computed from.
    pub f_magnitude: f64,
    /// `G_k = ‖∇f(x_k)‖`.
    pub grad_norm: f64,
    /// `⟨∇f(x_k), d(x_k)⟩`.
    pub d_dot_g: f64,
    /// `‖e_k‖`.
    pub e_norm: f64,
    /// `R = ‖x_{k+1} − x_k‖`.
    pub travel: f64,
    /// `‖x_k‖`.
    pub x_norm: f64,
    /// `s̄ = (1/n) Σ_i ‖∇f_i(x_k)‖`.
    pub mean_component_norm: f64,
}

impl EpochBounds {
    /// The size of the numbers `f(x_k) − f(x_{k+1})` is computed from:
    /// `(1/n) Σ |f_i|` at both points, plus `(s̄ + G)(‖x_k‖ + aγ) + ℓ0 (‖x_k‖ + aγ)²`
    /// (`ℓ0` the largest component `L0`): the terms inside each `f_i` (a
    /// quadratic's `xᵀHx/2` and `⟨b, x⟩`, the argument `⟨a, x⟩` of a ridge
    /// or atom) are at most that large, and the rounding `δ` of the epoch's
    /// iterates (`‖δ‖ ≲ nε(‖x_k‖ + aγ)`) moves `f` by about `G‖δ‖`.
    pub fn f_rounding_scale(&self, constants: &Constants) -> f64 {
        let reach = self.x_norm + self.n * self.alpha * self.gamma;
        self.f_magnitude
            + (self.mean_component_norm + self.grad_norm) * reach
            + constants.components.l0 * reach * reach
    }

    /// IG-3's corollary: `(C_e αγ n(n − 1)/2, ‖e_k‖)` (bound, value).
    pub fn ig_3(&self, constants: &Constants) -> (f64, f64) {
        let c = constants.clipped_lipschitz(self.gamma);
        (
            c * self.alpha * self.gamma * self.n * (self.n - 1.0) / 2.0,
            self.e_norm,
        )
    }

    /// IG-4: `(f(x_{k+1}), f(x_k) − a⟨∇f, d⟩ + α G ‖e_k‖ + (L0 + L1 G) R² φ₂(L1 R), scale)`
    /// with `f`'s certified pair; the scale adds `f_magnitude` to the sizes
    /// of the terms.
    pub fn ig_4(&self, constants: &Constants) -> (f64, f64, f64) {
        let Pair { l0, l1 } = constants.f;
        let a = self.n * self.alpha;
        let g = self.grad_norm;
        let descent = a * self.d_dot_g;
        let error = self.alpha * g * self.e_norm;
        let curvature = (l0 + l1 * g) * self.travel * self.travel * phi2(l1 * self.travel);
        let rhs = self.f - descent + error + curvature;
        let scale = self.f_rounding_scale(constants) + descent.abs() + error + curvature;
        (self.f_next, rhs, scale)
    }

    /// IG-5 at one epoch with CDC constant `ρ` (hypotheses not checked here):
    /// `Δ = f(x_k) − f(x_{k+1})` against
    /// - the inequality before the regime split,
    ///   `aρ min(G, γ) G − (a²γ/2) C_e G (n − 1)/n − (L0 + L1 G) K_1 a²γ²/2`, and
    /// - the stated one, `(aρ/2) min(G, γ) G − a²γ² D`, `D = a C_e²/(8ρ) + K_1 C_e/2`;
    ///
    /// returns `(Δ, before split, stated, scale)` with the common pair.
    pub fn ig_5(&self, constants: &Constants, rho: f64) -> (f64, f64, f64, f64) {
        let Pair { l0, l1 } = constants.common();
        let (a, g, gamma) = (self.n * self.alpha, self.grad_norm, self.gamma);
        let c_e = l0 + l1 * gamma;
        let m = g.min(gamma);
        let drift = a * a * gamma / 2.0 * c_e * g * (self.n - 1.0) / self.n;
        let curvature = (l0 + l1 * g) * K_1 * a * a * gamma * gamma / 2.0;
        let before = a * rho * m * g - drift - curvature;
        let big_d = a * c_e * c_e / (8.0 * rho) + K_1 * c_e / 2.0;
        let stated = a * rho / 2.0 * m * g - a * a * gamma * gamma * big_d;
        let scale = self.f_rounding_scale(constants) + a * rho * m * g + drift + curvature;
        (self.f - self.f_next, before, stated, scale)
    }
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
            constants: None,
        })
    }

    /// With certified constants: the trace then reports the IG-3, IG-4 and
    /// IG-5 slacks of every epoch.
    pub fn constants(mut self, constants: Constants) -> Self {
        self.constants = Some(constants);
        self
    }

    /// The epoch step `a = nα` for `n` components.
    pub fn epoch_step(&self, n: usize) -> T {
        T::of(n as f64) * self.alpha
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
    /// IG-3's corollary: `(C_e αγ n(n − 1)/2 − ‖e_k‖)/(C_e αγ n(n − 1)/2)`
    /// (clipped variant, `b = 1`, certified constants given; else `null`).
    pub ig_3_slack: f64,
    /// IG-4: `(rhs − f(x_{k+1}))/scale` (same conditions as `ig_3_slack`).
    pub ig_4_slack: f64,
    /// IG-5's stated per-epoch inequality at `ρ = min(1, ρ*_k)`:
    /// `(Δ − rhs)/scale`; `null` where its hypotheses fail at this epoch
    /// (`ρ*_k ≤ 0`, `L1 a γ > 1` or `a(1 + K_1) C_e > ρ`).
    pub ig_5_slack: f64,
}

impl EpochRecord {
    /// Every field after `epoch`, in declaration (and CSV) order.
    pub fn values(&self) -> [f64; 10] {
        [
            self.f,
            self.grad_norm,
            self.bias_norm,
            self.rho,
            self.e_norm,
            self.alpha,
            self.ig_1_slack,
            self.ig_3_slack,
            self.ig_4_slack,
            self.ig_5_slack,
        ]
    }
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
    f_magnitude: T,
    mean_component_norm: T,
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
    let (f, f_magnitude) = values(&engine.instance, x);
    let mut norm_sum = T::zero();
    for chunk in order.chunks(batch) {
        mean.fill(T::zero());
        let weight = T::one() / T::of(chunk.len() as f64);
        for &i in chunk {
            one.fill(T::zero());
            engine.add_gradient(i, x, T::one(), &mut one);
            gradient += &one;
            let size = norm(&one);
            norm_sum += size;
            clipped.axpy(clip_factor(size, engine.gamma), &one, T::one());
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
        f_magnitude,
        mean_component_norm: norm_sum * inverse_n,
        gradient: gradient * inverse_n,
        clipped_direction: clipped * inverse_n,
        batch_clipped_sum: batch_sum,
    }
}

/// `(f(x), (1/n) Σ_i m_i(x))`, `m_i = |f_i(x)|` plus `ln 2` per log-cosh
/// atom (it is evaluated as `|t| + ln(1 + e^{−2|t|}) − ln 2`, whose terms
/// are that large even where `f_i ≈ 0`); `f` summed as [`Instance::value`] does.
pub fn values<T: Real>(instance: &Instance<T>, x: &DVector<T>) -> (T, T) {
    let n = T::of(instance.n() as f64);
    let (sum, magnitude) = instance
        .components
        .iter()
        .fold((T::zero(), T::zero()), |(s, m), c| {
            let v = c.value(x);
            let hidden = match c {
                Component::Separable { atoms, .. } => {
                    let count = atoms
                        .iter()
                        .filter(|a| matches!(a, crate::instance::Atom::LogCosh { .. }))
                        .count();
                    T::of(count as f64 * std::f64::consts::LN_2)
                }
                _ => T::zero(),
            };
            (s + v, m + v.abs() + hidden)
        });
    (sum / n, magnitude / n)
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
/// `record` is set (the trace costs one extra pass over the data per epoch,
/// and, with certified constants, one evaluation of `f` at `x_{k+1}`).
pub fn run<T: Real>(instance: &Instance<T>, config: &RunConfig<T>, record: bool) -> Result<Trace> {
    run_with_progress(instance, config, record, None)
}

/// [`run`], advancing `progress` by one per epoch.
pub fn run_with_progress<T: Real>(
    instance: &Instance<T>,
    config: &RunConfig<T>,
    record: bool,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Trace> {
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
            let rho = cdc_rho(d_dot_g, grad_norm, engine.gamma).to_f64_lossless();
            let (mut ig_3_slack, mut ig_4_slack, mut ig_5_slack) = (f64::NAN, f64::NAN, f64::NAN);
            if let (Some(constants), Variant::Clipped, 1) =
                (config.constants, config.variant, config.batch)
            {
                let (f_next, magnitude_next) = values(instance, &x);
                let bounds = EpochBounds {
                    n: n as f64,
                    alpha: alpha.to_f64_lossless(),
                    gamma: engine.gamma.get().to_f64_lossless(),
                    f: pass.f.to_f64_lossless(),
                    f_next: f_next.to_f64_lossless(),
                    f_magnitude: (pass.f_magnitude + magnitude_next).to_f64_lossless(),
                    grad_norm: grad_norm.to_f64_lossless(),
                    d_dot_g: d_dot_g.to_f64_lossless(),
                    e_norm: e.to_f64_lossless(),
                    travel: norm(&(&workspace.0 - &x)).to_f64_lossless(),
                    x_norm: norm(&workspace.0).to_f64_lossless(),
                    mean_component_norm: pass.mean_component_norm.to_f64_lossless(),
                };
                let (bound, value) = bounds.ig_3(&constants);
                ig_3_slack = if bound > 0.0 {
                    (bound - value) / bound
                } else if value == 0.0 {
                    0.0
                } else {
                    f64::NEG_INFINITY
                };
                let (lhs, rhs, scale) = bounds.ig_4(&constants);
                ig_4_slack = (rhs - lhs) / scale.max(f64::MIN_POSITIVE);
                let rho = rho.min(1.0);
                let a = bounds.n * bounds.alpha;
                if constants.ig_5_steps_hold(a, bounds.gamma, rho) {
                    let (decrease, _, stated, scale) = bounds.ig_5(&constants, rho);
                    ig_5_slack = (decrease - stated) / scale.max(f64::MIN_POSITIVE);
                }
            }
            let record = EpochRecord {
                epoch: k,
                f: pass.f.to_f64_lossless(),
                grad_norm: grad_norm.to_f64_lossless(),
                bias_norm: norm(&(&pass.clipped_direction - &pass.gradient)).to_f64_lossless(),
                rho,
                e_norm: e.to_f64_lossless(),
                alpha: alpha.to_f64_lossless(),
                ig_1_slack: if ig_1.is_finite() {
                    ig_1.to_f64_lossless()
                } else {
                    f64::NAN
                },
                ig_3_slack,
                ig_4_slack,
                ig_5_slack,
            };
            if !record.f.is_finite() || !record.grad_norm.is_finite() {
                return Err(Error::NonFinite {
                    field: format!("f or ∇f at the start of epoch {k} (the run diverged)"),
                    value: record.f,
                });
            }
            epochs.push(record);
        }
        if let Some(bar) = progress {
            bar.inc(1);
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
    let mut out = String::from(
        "epoch,f,grad_norm,bias_norm,rho,e_norm,alpha,ig_1_slack,ig_3_slack,ig_4_slack,ig_5_slack\n",
    );
    for r in &trace.epochs {
        out.push_str(&r.epoch.to_string());
        for value in r.values() {
            out.push_str(&format!(",{value:e}"));
        }
        out.push('\n');
    }
    out
}

/// The trace as a table (every epoch up to 20, then every `K/20`-th).
pub fn render_trace_table(trace: &Trace) -> String {
    let mut out = format!(
        "{:>6} {:>14} {:>12} {:>12} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
        "epoch",
        "f",
        "‖∇f‖",
        "‖d − ∇f‖",
        "ρ*",
        "‖e_k‖",
        "IG-1 slack",
        "IG-3 slack",
        "IG-4 slack",
        "IG-5 slack"
    );
    let stride = (trace.epochs.len() / 20).max(1);
    for (k, r) in trace.epochs.iter().enumerate() {
        if k % stride == 0 || k + 1 == trace.epochs.len() {
            let [f, grad, bias, rho, e, _alpha, ig_1, ig_3, ig_4, ig_5] = r.values();
            // a slack whose hypotheses do not apply at this epoch is NaN: show "—"
            let slack = |s: f64| {
                if s.is_nan() {
                    "—".to_string()
                } else {
                    format!("{s:.3e}")
                }
            };
            out.push_str(&format!(
                "{:>6} {f:>14.6e} {grad:>12.4e} {bias:>12.4e} {rho:>10.3e} {e:>12.4e} {:>10} {:>10} {:>10} {:>10}\n",
                r.epoch,
                slack(ig_1),
                slack(ig_3),
                slack(ig_4),
                slack(ig_5)
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

/// Arguments of `cliptheory run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// An instance file (cliptheory.instance.v1); the run starts at its `x0`.
    pub file: PathBuf,
    /// Number of epochs.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Inner step α (an epoch moves by a total weight a = nα).
    #[arg(long)]
    pub step: f64,
    /// Order of the components within an epoch.
    #[arg(long, value_enum, default_value = "cyclic")]
    pub order: Order,
    /// Batch size b (the mean gradient of each batch is clipped).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Step schedule across epochs.
    #[arg(long, value_enum, default_value = "constant")]
    pub schedule: Schedule,
    /// What is clipped.
    #[arg(long, value_enum, default_value = "clipped")]
    pub variant: Variant,
    /// Seed of the shuffled orders.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the trace to this file (`.csv` or `.json`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Draw f − f_min and ‖∇f‖ against epochs for the clipped, unclipped
    /// and full-clipped runs into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Instances up to this many `n · dim²` are certified for the trace's
/// IG-3..IG-5 slacks (certification costs one `dim × dim` eigenproblem per
/// component).
pub const CERTIFY_BUDGET: usize = 20_000_000;

/// Points drawn per line by `--plot`.
pub const PLOT_POINTS: usize = 60;

/// Runs shorter than this many epochs show no progress bar.
pub const PROGRESS_EPOCHS: usize = 2_000;

fn progress_bar(epochs: usize, label: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (epochs >= PROGRESS_EPOCHS && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>12} [{bar:40}] {pos}/{len} epochs ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(label.to_string());
        bar
    })
}

fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `cliptheory run`: the trace as a table or JSON, optionally written to a
/// file, and optionally the comparison plot. Returns what to print.
pub fn run_command(args: &RunArgs) -> Result<String> {
    let instance = Instance::load(&args.file)?;
    let mut config = RunConfig::new(args.step, args.epochs, args.batch)?
        .order(args.order)
        .schedule(args.schedule)
        .variant(args.variant)
        .seed(args.seed);
    if instance.n() * instance.dim() * instance.dim() <= CERTIFY_BUDGET {
        // An instance the rules cannot certify simply has no IG-3..5 slacks.
        if let Ok(constants) = Constants::certify(&instance) {
            config = config.constants(constants);
        }
    }
    let bar = progress_bar(args.epochs, "run");
    let result = run_with_progress(&instance, &config, true, bar.as_ref())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = &args.trace {
        let text = if path.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(&result).unwrap_or_default()
        } else {
            trace_csv(&result)
        };
        std::fs::write(path, text).map_err(io_error(path))?;
    }
    if let Some(path) = &args.plot {
        comparison_figure(&instance, &config, &args.file)?.save(path)?;
    }
    Ok(if args.json {
        serde_json::to_string_pretty(&result).unwrap_or_default() + "\n"
    } else {
        render_trace_table(&result)
    })
}

/// The three variants of `config` (clipped, unclipped, full-clipped), run
/// on `instance`, with the smallest `f` seen in any of them.
pub struct VariantRuns {
    /// `(variant name, trace)` in the order clipped, unclipped, full-clipped.
    pub runs: Vec<(&'static str, Trace)>,
    /// `f_min`: the smallest `f(x_k)` over every epoch start and final point
    /// of the three runs and of a refinement: as many epochs again of
    /// full-gradient clipping (constant step) from the best final point.
    pub f_min: f64,
}

/// Runs the three variants (a variant that diverges is left out and named
/// in the figure title).
pub fn compare_variants(instance: &Instance<f64>, config: &RunConfig<f64>) -> Result<VariantRuns> {
    let mut runs = Vec::new();
    for (name, variant) in [
        ("clipped", Variant::Clipped),
        ("unclipped", Variant::Unclipped),
        ("full-clipped", Variant::FullClipped),
    ] {
        let bar = progress_bar(config.epochs, name);
        let trace = run_with_progress(instance, &config.variant(variant), true, bar.as_ref());
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match trace {
            Ok(trace) => runs.push((name, trace)),
            Err(Error::NonFinite { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    // f_min: the smallest f seen, improved by continuing the best run's
    // final point with full-gradient clipping for as many epochs again.
    let seen = |runs: &[(&'static str, Trace)]| {
        runs.iter()
            .flat_map(|(_, t)| t.epochs.iter().map(|r| r.f).chain([t.final_point.f]))
            .fold(f64::INFINITY, f64::min)
    };
    let mut f_min = seen(&runs);
    if let Some((_, best)) = runs
        .iter()
        .min_by(|a, b| a.1.final_point.f.total_cmp(&b.1.final_point.f))
    {
        let mut refined = instance.clone();
        refined.x0 = DVector::from_vec(best.final_point.x.clone());
        let more = RunConfig {
            schedule: Schedule::Constant,
            variant: Variant::FullClipped,
            constants: None,
            ..*config
        };
        if let Ok(trace) = run(&refined, &more, false) {
            f_min = f_min.min(trace.final_point.f);
        }
    }
    Ok(VariantRuns { runs, f_min })
}

/// The figure of `--plot`: `log₁₀(f − f_min)` (solid) and `log₁₀ ‖∇f‖`
/// (dashed) against the epoch, one colour per variant. Points where
/// `f = f_min` have no logarithm and are left out.
pub fn comparison_figure(
    instance: &Instance<f64>,
    config: &RunConfig<f64>,
    file: &std::path::Path,
) -> Result<Figure> {
    let compared = compare_variants(instance, config)?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let missing: Vec<&str> = ["clipped", "unclipped", "full-clipped"]
        .into_iter()
        .filter(|v| !compared.runs.iter().any(|(n, _)| n == v))
        .collect();
    let title = format!(
        "{name}: α = {}, n = {}, γ = {}{}",
        config.alpha,
        instance.n(),
        instance.gamma.get(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(" ({} diverged)", missing.join(", "))
        }
    );
    let mut figure = Figure::new(
        title,
        "epoch k",
        "log₁₀ of f(x_k) − f_min (solid), ‖∇f(x_k)‖ (dashed)",
    );
    let colors = ["#1f77b4", "#d62728", "#2ca02c"];
    for (k, (variant, trace)) in compared.runs.iter().enumerate() {
        let color = colors[k % colors.len()];
        // At most PLOT_POINTS markers per line (and always the last epoch).
        let stride = trace.epochs.len().div_ceil(PLOT_POINTS).max(1);
        let shown: Vec<&EpochRecord> = trace
            .epochs
            .iter()
            .enumerate()
            .filter(|(k, _)| k % stride == 0 || k + 1 == trace.epochs.len())
            .map(|(_, r)| r)
            .collect();
        let gap = shown
            .iter()
            .map(|r| (r.epoch as f64, (r.f - compared.f_min).log10()))
            .collect();
        let grad = shown
            .iter()
            .map(|r| (r.epoch as f64, r.grad_norm.log10()))
            .collect();
        figure = figure
            .with_series(Series::line(format!("{variant}: f − f_min"), gap).color(color))
            .with_series(
                Series::line(format!("{variant}: ‖∇f‖"), grad)
                    .dashed()
                    .color(color),
            );
    }
    Ok(figure)
}
