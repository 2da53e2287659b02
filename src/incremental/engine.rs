//! The engine: the instance compiled for fast passes, one epoch of the
//! method, and whole runs with an observer per epoch.
//!
//! The hot loop allocates nothing: components whose gradient is a scalar
//! multiple of a fixed vector (linear, exponential, logistic) are kernels
//! holding that vector (borrowed from the instance: the engine copies no
//! data) with its norm precomputed, so a step is one dot product and one
//! `axpy`; other kinds write into preallocated scratch vectors.

use nalgebra::{DVector, DVectorView};

use super::beside::with_pass_source;
use super::config::{Order, RunConfig, Schedule, Variant};
use super::trace::{values, EpochRecord, FinalPoint, Trace};
use crate::clipping::{clip_factor, Threshold};
use crate::direction::cdc_rho;
use crate::error::{Error, Result};
use crate::instance::{softmax_gradient_into, Component, Instance};
use crate::random::{permutation, seeded_rng};
use crate::real::{axpy_slices, dot, dot_slices, norm, Real};

/// How a component's gradient is computed in the hot loop.
#[derive(Clone, Debug)]
enum Kernel<'a, T: Real> {
    /// `∇f_i(x) = φ(⟨a, x⟩) a` with `a` the component's own vector and
    /// `‖a‖` precomputed.
    Ridge {
        a: &'a [T],
        norm: T,
        profile: Profile<T>,
    },
    /// Any other component, through scratch buffers.
    General(&'a Component<T>),
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
    /// `(φ(t), f_i)` with `f_i` as a function of `t = ⟨a, x⟩`: `t`,
    /// `e^{t + b}`, `log(1 + e^{−y t})`, sharing one exponential (the
    /// formulas of [`Profile::coefficient`] and `special::softplus`, so
    /// the same bits as computing them apart).
    #[inline]
    fn coefficient_and_value(self, t: T) -> (T, T) {
        match self {
            Profile::Constant => (T::one(), t),
            Profile::Exp(b) => {
                let e = (t + b).exp();
                (e, e)
            }
            Profile::Logistic(y) => {
                let z = -y * t;
                // e^{−|z|}: the exponential of both the sigmoid and softplus.
                let e = (-z.abs()).exp();
                let s = if z >= T::zero() {
                    T::one() / (T::one() + e)
                } else {
                    e / (T::one() + e)
                };
                (-y * s, z.max(T::zero()) + e.ln_1p())
            }
        }
    }

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

/// Scratch space for general components (allocated once per engine, and
/// once more for a trace's pass, which runs beside the epoch).
#[derive(Clone, Debug)]
pub(super) struct Scratch<T: Real> {
    a: DVector<T>,
    b: DVector<T>,
}

impl<T: Real> Scratch<T> {
    pub(super) fn new(dim: usize) -> Self {
        Self {
            a: DVector::zeros(dim),
            b: DVector::zeros(dim),
        }
    }
}

/// The compiled instance: one kernel per component (borrowing the
/// component's data, with its norm beside it) and the threshold. Shared,
/// never written: a traced run's epoch and its pass read it at once, each
/// with its own [`Scratch`].
#[derive(Clone, Debug)]
pub(super) struct Core<'a, T: Real> {
    pub(super) gamma: Threshold<T>,
    kernels: Vec<Kernel<'a, T>>,
    pub(super) instance: &'a Instance<T>,
}

/// The compiled instance (its kernels and threshold, shared read-only) with
/// its scratch space.
#[derive(Clone, Debug)]
pub struct Engine<'a, T: Real> {
    core: Core<'a, T>,
    scratch: Scratch<T>,
}

impl<'a, T: Real> Engine<'a, T> {
    /// Compiles `instance` for fast passes (borrowing its data, copying
    /// none of it).
    pub fn new(instance: &'a Instance<T>) -> Self {
        let dim = instance.dim();
        let kernels = instance
            .components()
            .iter()
            .map(|component| {
                let (vector, profile) = match component {
                    Component::Linear { c } => (c, Profile::Constant),
                    Component::Exp { a, b } => (a, Profile::Exp(*b)),
                    Component::Logistic { a, label } => (a, Profile::Logistic(*label)),
                    other => return Kernel::General(other),
                };
                Kernel::Ridge {
                    a: vector.as_slice(),
                    norm: norm(vector),
                    profile,
                }
            })
            .collect();
        Self {
            core: Core {
                gamma: instance.gamma(),
                kernels,
                instance,
            },
            scratch: Scratch::new(dim),
        }
    }

    /// `n`.
    pub fn n(&self) -> usize {
        self.core.n()
    }

    /// One clipped epoch in cyclic order with `b = 1`, in place:
    /// `x ← x − α clip(∇f_i(x))` for `i = 1, …, n`. The hot loop of the
    /// method, without any trace (what the benches time).
    pub fn clipped_epoch(&mut self, x: &mut DVector<T>, alpha: T) {
        for i in 0..self.core.n() {
            self.core
                .component_step(i, x, alpha, true, &mut self.scratch);
        }
    }
}

impl<'a, T: Real> Core<'a, T> {
    /// `n`.
    pub(super) fn n(&self) -> usize {
        self.kernels.len()
    }

    /// `out += clip_γ(∇f_i(x))`, without allocating.
    pub(super) fn add_clipped_gradient(
        &self,
        i: usize,
        x: &DVector<T>,
        out: &mut DVector<T>,
        scratch: &mut Scratch<T>,
    ) {
        match &self.kernels[i] {
            Kernel::Ridge {
                a,
                norm: size,
                profile,
            } => {
                // nalgebra's dot and axpy, as before the engine borrowed
                // its data (same operations, same bits).
                let a = DVectorView::from_slice(a, a.len());
                let coefficient = profile.coefficient(a.dot(x));
                let factor = clip_factor(coefficient.abs() * *size, self.gamma);
                out.axpy(factor * coefficient, &a, T::one());
            }
            Kernel::General(component) => {
                general_gradient(component, x, scratch);
                let factor = clip_factor(norm(&scratch.b), self.gamma);
                out.axpy(factor, &scratch.b, T::one());
            }
        }
    }

    /// `out += weight ∇f_i(x)`, without allocating.
    pub(super) fn add_gradient(
        &self,
        i: usize,
        x: &DVector<T>,
        weight: T,
        out: &mut DVector<T>,
        scratch: &mut Scratch<T>,
    ) {
        match &self.kernels[i] {
            Kernel::Ridge { a, profile, .. } => {
                let a = DVectorView::from_slice(a, a.len());
                let coefficient = profile.coefficient(a.dot(x));
                out.axpy(weight * coefficient, &a, T::one());
            }
            Kernel::General(component) => {
                general_gradient(component, x, scratch);
                out.axpy(weight, &scratch.b, T::one());
            }
        }
    }

    /// `out = ∇f_i(x)` (for the ridge kinds `c a_j` per entry, the
    /// operations of [`Component::gradient`], so the same bits).
    pub(super) fn gradient_into(
        &self,
        i: usize,
        x: &DVector<T>,
        out: &mut DVector<T>,
        scratch: &mut Scratch<T>,
    ) {
        match &self.kernels[i] {
            Kernel::Ridge { a, profile, .. } => {
                let view = DVectorView::from_slice(a, a.len());
                let coefficient = profile.coefficient(view.dot(x));
                for (o, &v) in out.iter_mut().zip(a.iter()) {
                    *o = v * coefficient;
                }
            }
            Kernel::General(component) => {
                general_gradient(component, x, scratch);
                out.copy_from(&scratch.b);
            }
        }
    }

    /// For a ridge component (`∇f_i = c(⟨a, x⟩) a`): `(a, ‖a‖, ⟨a, x⟩,
    /// c, f_i(x))`, the inner product by [`dot_slices`]; `None` otherwise.
    #[inline]
    pub(super) fn ridge_at(&self, i: usize, x: &DVector<T>) -> Option<(&'a [T], T, T, T)> {
        match &self.kernels[i] {
            Kernel::Ridge { a, norm, profile } => {
                let (c, value) = profile.coefficient_and_value(dot_slices(a, x.as_slice()));
                Some((a, *norm, c, value))
            }
            Kernel::General(_) => None,
        }
    }

    /// One step on component `i` as [`Engine::component_step`], returning
    /// `‖x_new − start‖²`, computed in the same pass over `x` for the ridge
    /// kinds (IG-1's tracking at no extra pass).
    #[inline]
    fn component_step_tracked(
        &self,
        i: usize,
        x: &mut DVector<T>,
        step: T,
        clipped: bool,
        start: &DVector<T>,
        scratch: &mut Scratch<T>,
    ) -> T {
        if let Kernel::Ridge { a, norm, profile } = &self.kernels[i] {
            let coefficient = profile.coefficient(dot_slices(a, x.as_slice()));
            let factor = if clipped {
                clip_factor(coefficient.abs() * *norm, self.gamma)
            } else {
                T::one()
            };
            let s = -step * factor * coefficient;
            // Four lanes of fixed width, each chunk's new entries kept in
            // registers: the loop vectorises (element by element through
            // `x`, it stored scalars that the next dot product reloaded as
            // vectors).
            let mut lanes = [T::zero(); 4];
            let (xs, ss) = (x.as_mut_slice(), start.as_slice());
            let whole = xs.len() - xs.len() % 4;
            let (x_body, x_tail) = xs.split_at_mut(whole);
            for ((xk, sk), ak) in x_body
                .chunks_exact_mut(4)
                .zip(ss.chunks_exact(4))
                .zip(a.chunks_exact(4))
            {
                let (xk, sk, ak): (&mut [T; 4], &[T; 4], &[T; 4]) = (
                    xk.try_into().expect("chunks of 4"),
                    sk.try_into().expect("chunks of 4"),
                    ak.try_into().expect("chunks of 4"),
                );
                let moved: [T; 4] = std::array::from_fn(|k| xk[k] + s * ak[k]);
                *xk = moved;
                for k in 0..4 {
                    let d = moved[k] - sk[k];
                    lanes[k] += d * d;
                }
            }
            for ((xk, &sk), &ak) in x_tail.iter_mut().zip(&ss[whole..]).zip(&a[whole..]) {
                *xk += s * ak;
                let d = *xk - sk;
                lanes[0] += d * d;
            }
            (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
        } else {
            self.component_step(i, x, step, clipped, scratch);
            squared_distance(x, start)
        }
    }

    /// One clipped (or unclipped) step on component `i`:
    /// `x ← x − step · clip(∇f_i(x))`.
    #[inline]
    fn component_step(
        &self,
        i: usize,
        x: &mut DVector<T>,
        step: T,
        clipped: bool,
        scratch: &mut Scratch<T>,
    ) {
        match &self.kernels[i] {
            Kernel::Ridge { a, norm, profile } => {
                let coefficient = profile.coefficient(dot_slices(a, x.as_slice()));
                let factor = if clipped {
                    clip_factor(coefficient.abs() * *norm, self.gamma)
                } else {
                    T::one()
                };
                axpy_slices(-step * factor * coefficient, a, x.as_mut_slice());
            }
            Kernel::General(component) => {
                general_gradient(component, x, scratch);
                let factor = if clipped {
                    clip_factor(norm(&scratch.b), self.gamma)
                } else {
                    T::one()
                };
                x.axpy(-step * factor, &scratch.b, T::one());
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
        // The logits go in the first `classes` entries of `scratch.a`
        // (`dim = classes · p ≥ classes`): no allocation.
        Component::Softmax { a, label, classes } => softmax_gradient_into(
            a.as_slice(),
            *label,
            x.as_slice(),
            &mut scratch.a.as_mut_slice()[..*classes],
            scratch.b.as_mut_slice(),
        ),
        // Ridge kinds never reach here; computing them generally is still right.
        other => scratch.b.copy_from(&other.gradient(x)),
    }
}
/// How one epoch is stepped.
#[derive(Clone, Copy)]
struct EpochPlan<T> {
    batch: usize,
    alpha: T,
    clipped: bool,
    /// Clip each example inside a batch instead of the batch mean.
    per_example: bool,
    /// Track the IG-1 slack (costs one pass over `x` per inner step).
    track: bool,
}

/// One epoch of the method from `x` (in place); `start` is a copy of the
/// epoch's start point (for the IG-1 tracking). Returns the IG-1 slack
/// relative to `nαγ` when tracked (`+∞` otherwise).
fn epoch<T: Real>(
    engine: &Core<'_, T>,
    scratch: &mut Scratch<T>,
    x: &mut DVector<T>,
    order: &[usize],
    plan: EpochPlan<T>,
    (start, batch_buffer): (&DVector<T>, &mut DVector<T>),
) -> T {
    let gamma = engine.gamma.get();
    let alpha = plan.alpha;
    let total = T::of(order.len() as f64) * alpha * gamma;
    let mut worst = T::infinity();
    let mut travelled = T::zero();
    for chunk in order.chunks(plan.batch) {
        let size = T::of(chunk.len() as f64);
        let mut squared = None;
        if chunk.len() == 1 {
            if plan.track {
                squared = Some(engine.component_step_tracked(
                    chunk[0],
                    x,
                    alpha,
                    plan.clipped,
                    start,
                    scratch,
                ));
            } else {
                engine.component_step(chunk[0], x, alpha, plan.clipped, scratch);
            }
        } else if plan.per_example {
            // x ← x − α Σ_{i∈B} clip(∇f_i(x)), all at the batch's start point
            batch_buffer.fill(T::zero());
            for &i in chunk {
                engine.add_clipped_gradient(i, x, batch_buffer, scratch);
            }
            x.axpy(-alpha, batch_buffer, T::one());
        } else {
            batch_buffer.fill(T::zero());
            let weight = T::one() / size;
            for &i in chunk {
                engine.add_gradient(i, x, weight, batch_buffer, scratch);
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
            let distance = squared.unwrap_or_else(|| squared_distance(x, start)).sqrt();
            worst = worst.min((travelled - distance) / total);
        }
    }
    worst
}

/// `∇f(x) = (Σ_i ∇f_i(x)) / n` with the checks and errors of
/// [`crate::direction::GradientSet::new`] (a non-finite entry names
/// `gradients[i][k]`, an overflowing norm `norm of gradients[i]`), and the
/// same operations in the same order (so the same bits: `Component::gradient`
/// or, for the ridge kinds, the same products), but one gradient
/// at a time: no `n × dim` copy of the gradients.
fn mean_gradient<T: Real>(
    engine: &Core<'_, T>,
    scratch: &mut Scratch<T>,
    x: &DVector<T>,
) -> Result<DVector<T>> {
    let mut sum = DVector::zeros(x.len());
    let mut g = DVector::zeros(x.len());
    for i in 0..engine.n() {
        match engine.kernels[i] {
            // `Component::gradient`, as `GradientSet` was built from.
            Kernel::General(component) => g.copy_from(&component.gradient(x)),
            Kernel::Ridge { .. } => engine.gradient_into(i, x, &mut g, scratch),
        }
        let entries = g.as_slice();
        if let Some((k, &v)) = entries.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: format!("gradients[{i}][{k}]"),
                value: v.to_f64_lossless(),
            });
        }
        // Finite entries have a finite norm unless the sum of squares
        // overflows; only then is the (scaled) norm worth computing.
        let squares = entries.iter().fold(T::zero(), |s, &v| s + v * v);
        let size = if squares.is_finite() {
            squares
        } else {
            norm(&g)
        };
        if !size.is_finite() {
            return Err(Error::NonFinite {
                field: format!("norm of gradients[{i}] (overflow)"),
                value: size.to_f64_lossless(),
            });
        }
        for (total, &v) in sum.as_mut_slice().iter_mut().zip(entries) {
            *total += v;
        }
    }
    Ok(sum * (T::one() / T::of(engine.n() as f64)))
}

/// From `n · dim` of this many entries (an epoch of about 20 µs at
/// `d = 100`) a traced run that has a second core hands its passes to a
/// helper thread ([`super::beside`]); below, starting the thread costs
/// more than it saves.
const HELPER_MIN_ENTRIES: usize = 1 << 14;

/// Where a traced run computes its passes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PassPlacement {
    /// On a helper thread when the instance is large enough
    /// ([`HELPER_MIN_ENTRIES`]) and a second core is free: this thread is
    /// not one of a rayon pool's workers (`check` runs its statements on
    /// every core already) and the pool has two threads or more (so
    /// `RAYON_NUM_THREADS=1` keeps a run on one core).
    Auto,
    /// Before each epoch, on this thread (tests).
    #[cfg(test)]
    Serial,
    /// On a helper thread, whatever the size (tests).
    #[cfg(test)]
    Helper,
}

impl PassPlacement {
    fn use_helper(self, entries: usize) -> bool {
        match self {
            PassPlacement::Auto => entries >= HELPER_MIN_ENTRIES && second_core_free(),
            #[cfg(test)]
            PassPlacement::Serial => false,
            #[cfg(test)]
            PassPlacement::Helper => true,
        }
    }
}

fn second_core_free() -> bool {
    #[cfg(feature = "parallel")]
    {
        rayon::current_thread_index().is_none() && rayon::current_num_threads() >= 2
    }
    #[cfg(not(feature = "parallel"))]
    {
        false
    }
}

/// `‖x − start‖²`, summed in order.
fn squared_distance<T: Real>(x: &DVector<T>, start: &DVector<T>) -> T {
    x.iter()
        .zip(start.iter())
        .fold(T::zero(), |s, (&a, &b)| s + (a - b) * (a - b))
}

/// Runs the method on `instance` from its `x0`, recording every epoch when
/// `record` is set (the trace costs one extra pass over the data per epoch,
/// run beside the epoch on a second core when the epoch is long enough).
pub fn run<T: Real>(instance: &Instance<T>, config: &RunConfig<T>, record: bool) -> Result<Trace> {
    run_observed(instance, config, record, &mut |_, _| {})
}

/// [`run`], calling `observe(k, record)` after every epoch `k` (the record
/// is `None` when not recording): progress bars, early looks at the trace.
///
/// Refuses a batch larger than `n` and an instance whose `f` or `∇f` is not
/// finite at `x0` (before any step is taken, so the error names the start
/// point, not a divergence).
pub fn run_observed<T: Real>(
    instance: &Instance<T>,
    config: &RunConfig<T>,
    record: bool,
    observe: &mut dyn FnMut(usize, Option<&EpochRecord>),
) -> Result<Trace> {
    run_with(instance, config, record, observe, PassPlacement::Auto)
}

/// [`run_observed`], with the trace's passes placed by `placement`.
fn run_with<T: Real>(
    instance: &Instance<T>,
    config: &RunConfig<T>,
    record: bool,
    observe: &mut dyn FnMut(usize, Option<&EpochRecord>),
    placement: PassPlacement,
) -> Result<Trace> {
    let Engine {
        core: ref engine,
        mut scratch,
    } = Engine::new(instance);
    let n = engine.n();
    if config.batch > n {
        return Err(Error::InvalidField {
            field: "batch".into(),
            reason: format!("the batch size {} exceeds n = {n}", config.batch),
        });
    }
    mean_gradient(engine, &mut scratch, instance.x0()).map_err(|error| Error::InvalidField {
        field: "x0".into(),
        reason: format!("the instance overflows at its start point: {error}"),
    })?;
    let start_value = instance.value(instance.x0());
    if !start_value.is_finite() {
        return Err(Error::NonFinite {
            field: "f(x0) (the instance overflows at its start point)".into(),
            value: start_value.to_f64_lossless(),
        });
    }
    let mut rng = seeded_rng(config.seed, "incremental-order");
    let mut order: Vec<usize> = match config.order {
        Order::Cyclic => (0..n).collect(),
        Order::Shuffle | Order::Reshuffle => permutation(n, &mut rng),
    };
    let mut x = instance.x0().clone();
    // (epoch start point, batch buffer): allocated once per run
    let mut workspace = (x.clone(), DVector::zeros(x.len()));
    let use_helper =
        record && config.variant != Variant::FullClipped && placement.use_helper(n * x.len());
    let dim = x.len();
    let epochs = with_pass_source(engine, dim, use_helper, |source| {
        let mut epochs = Vec::new();
        let a_total = |alpha: T| T::of(n as f64) * alpha;
        for k in 0..config.epochs {
            let order_changed = k == 0 || config.order == Order::Reshuffle;
            if k > 0 && config.order == Order::Reshuffle {
                order = permutation(n, &mut rng);
            }
            let alpha = config.schedule.step(config.alpha, k);
            workspace.0.copy_from(&x);
            let (start, batch_buffer) = (&workspace.0, &mut workspace.1);
            let (pass, ig_1) = match config.variant {
                Variant::FullClipped => {
                    let pass = source.pass_here(engine, start, &order, config.batch);
                    let factor = clip_factor(norm(&pass.gradient), engine.gamma);
                    x.axpy(-a_total(alpha) * factor, &pass.gradient, T::one());
                    (Some(pass), None)
                }
                variant => {
                    let plan = EpochPlan {
                        batch: config.batch,
                        alpha,
                        clipped: variant != Variant::Unclipped,
                        per_example: variant == Variant::PerExample,
                        track: record,
                    };
                    let mut step = || {
                        epoch(
                            engine,
                            &mut scratch,
                            &mut x,
                            &order,
                            plan,
                            (start, batch_buffer),
                        )
                    };
                    if record {
                        // The pass reads x_k and the epoch starts from it: with
                        // a helper they run side by side (the same operations
                        // either way, so the same bits).
                        let (pass, slack) = source.pass_and_epoch(
                            engine,
                            (start, &order, order_changed, config.batch),
                            step,
                        );
                        (Some(pass), Some(slack.to_f64_lossless()))
                    } else {
                        step();
                        (None, None)
                    }
                }
            };
            let mut this_epoch = None;
            if let (true, Some(pass)) = (record, pass) {
                let grad_norm = norm(&pass.gradient);
                let d_dot_g = dot(&pass.clipped_direction, &pass.gradient);
                // e_k = Σ_B |B| [clip(g_B(x^{B−1})) − clip(g_B(x_k))] = (x_k − x_{k+1})/α − Σ_B |B| clip(g_B(x_k))
                // (per example: e_k = (x_k − x_{k+1})/α − Σ_i clip(g_i(x_k)) = … − n d(x_k))
                let e = match config.variant {
                    Variant::Clipped => {
                        norm(&((&workspace.0 - &x) / alpha - &pass.batch_clipped_sum))
                    }
                    Variant::PerExample => norm(
                        &((&workspace.0 - &x) / alpha - &pass.clipped_direction * T::of(n as f64)),
                    ),
                    Variant::Unclipped | Variant::FullClipped => T::zero(),
                };
                let epoch_record = EpochRecord {
                    epoch: k,
                    f: pass.f.to_f64_lossless(),
                    f_magnitude: pass.f_magnitude.to_f64_lossless(),
                    grad_norm: grad_norm.to_f64_lossless(),
                    bias_norm: norm(&(&pass.clipped_direction - &pass.gradient)).to_f64_lossless(),
                    d_dot_g: d_dot_g.to_f64_lossless(),
                    rho: cdc_rho(d_dot_g, grad_norm, engine.gamma).to_f64_lossless(),
                    e_norm: e.to_f64_lossless(),
                    alpha: alpha.to_f64_lossless(),
                    travel: norm(&(&workspace.0 - &x)).to_f64_lossless(),
                    x_norm: norm(&workspace.0).to_f64_lossless(),
                    mean_component_norm: pass.mean_component_norm.to_f64_lossless(),
                    ig_1_slack: ig_1,
                };
                if !epoch_record.f.is_finite() || !epoch_record.grad_norm.is_finite() {
                    return Err(Error::NonFinite {
                        field: format!("f or ∇f at the start of epoch {k} (the run diverged)"),
                        value: epoch_record.f,
                    });
                }
                epochs.push(epoch_record);
                this_epoch = epochs.last();
            }
            observe(k, this_epoch);
            if x.iter().any(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    field: format!("x after epoch {k} (the run diverged; try a smaller step)"),
                    value: f64::NAN,
                });
            }
        }
        Ok(epochs)
    })?;
    let final_gradient = norm(&mean_gradient(engine, &mut scratch, &x)?);
    let (f, f_magnitude) = values(instance, &x);
    Ok(Trace {
        n,
        gamma: engine.gamma.get().to_f64_lossless(),
        batch: config.batch,
        variant: config.variant,
        epochs,
        final_point: FinalPoint {
            x: x.iter().map(|v| v.to_f64_lossless()).collect(),
            f: f.to_f64_lossless(),
            f_magnitude: f_magnitude.to_f64_lossless(),
            grad_norm: final_gradient.to_f64_lossless(),
        },
    })
}

/// The three variants of `config` (clipped, unclipped, full-clipped), run
/// on `instance`, with the smallest `f` seen in any of them.
pub struct VariantRuns {
    /// `(variant, trace)` in the order clipped, unclipped, full-clipped;
    /// a variant that diverged is left out.
    pub runs: Vec<(Variant, Trace)>,
    /// `f_min`: the smallest `f(x_k)` over every epoch start and final point
    /// of the three runs and of a refinement: as many epochs again of
    /// full-gradient clipping (constant step) from the best final point.
    pub f_min: f64,
}

/// Runs the three variants; `observe(variant, k)` after every epoch `k`.
pub fn compare_variants(
    instance: &Instance<f64>,
    config: &RunConfig<f64>,
    observe: &mut dyn FnMut(Variant, usize),
) -> Result<VariantRuns> {
    let mut runs = Vec::new();
    for variant in [Variant::Clipped, Variant::Unclipped, Variant::FullClipped] {
        let trace = run_observed(instance, &config.variant(variant), true, &mut |k, _| {
            observe(variant, k)
        });
        match trace {
            Ok(trace) => runs.push((variant, trace)),
            Err(Error::NonFinite { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    // f_min: the smallest f seen, improved by continuing the best run's
    // final point with full-gradient clipping for as many epochs again.
    let mut f_min = runs
        .iter()
        .flat_map(|(_, t)| t.epochs.iter().map(|r| r.f).chain([t.final_point.f]))
        .fold(f64::INFINITY, f64::min);
    if let Some((_, best)) = runs
        .iter()
        .min_by(|a, b| a.1.final_point.f.total_cmp(&b.1.final_point.f))
    {
        let refined = instance.with_x0(DVector::from_vec(best.final_point.x.clone()))?;
        let more = RunConfig {
            schedule: Schedule::Constant,
            variant: Variant::FullClipped,
            ..*config
        };
        if let Ok(trace) = run(&refined, &more, false) {
            f_min = f_min.min(trace.final_point.f);
        }
    }
    Ok(VariantRuns { runs, f_min })
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::incremental::beside::{
        with_pass_source, with_pass_source_using, PassFn, HELPERS_STARTED,
    };
    use crate::incremental::trace::{epoch_pass, EpochPass};
    use crate::instance::Atom;

    fn v(values: &[f64]) -> DVector<f64> {
        DVector::from_column_slice(values)
    }

    fn gamma(value: f64) -> Threshold<f64> {
        Threshold::new(value).unwrap()
    }

    fn linear(c: &[f64]) -> Component<f64> {
        Component::Linear { c: v(c) }
    }

    /// `|a − b| ≤ tol · max(1, scale)`.
    fn assert_close(what: &str, a: f64, b: f64, tol: f64, scale: f64) {
        let bound = tol * scale.abs().max(1.0);
        assert!(
            (a - b).abs() <= bound,
            "{what}: {a} vs {b} (|Δ| = {:e} > {bound:e})",
            (a - b).abs()
        );
    }

    fn sigmoid(z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }

    /// The profiles against their textbook formulas, away from `t = 0` on
    /// both sides (at `z = 0` both branches of the stable sigmoid agree).
    /// A few roundings apart: 1e-15 relative.
    #[test]
    fn profiles_match_their_formulas() {
        let close = |a: f64, b: f64| assert_close("profile", a, b, 1e-15, b);
        for t in [-2.0, -0.5, 0.0, 0.75, 3.0] {
            assert_eq!(Profile::Constant.coefficient(t), 1.0);
            assert_eq!(Profile::Constant.coefficient_and_value(t), (1.0, t));
            // t + b, t − b and t b are 2.5, 1.5 and 1 at t = 2, b = 0.5.
            let b = 0.5;
            close(Profile::Exp(b).coefficient(t), (t + b).exp());
            let (c, value) = Profile::Exp(b).coefficient_and_value(t);
            close(c, (t + b).exp());
            close(value, (t + b).exp());
            for y in [1.0, -1.0] {
                // f = log(1 + e^{−y t}), f' = −y σ(−y t).
                let slope = -y * sigmoid(-y * t);
                let exact_value = (1.0 + (-y * t).exp()).ln();
                close(Profile::Logistic(y).coefficient(t), slope);
                let (c, value) = Profile::Logistic(y).coefficient_and_value(t);
                close(c, slope);
                close(value, exact_value);
            }
        }
        assert_eq!(Profile::Exp(2.0).coefficient(1.0), 3.0f64.exp());
    }

    /// One clipped step by hand, in exact dyadic arithmetic: `c = (3, 4)`,
    /// `‖c‖ = 5`, `γ = 2.5` halves it, `α = 0.5`.
    #[test]
    fn one_linear_step_by_hand_clipped_and_unclipped() {
        let instance =
            Instance::new(gamma(2.5), v(&[1.0, 1.0]), vec![linear(&[3.0, 4.0])]).unwrap();
        let mut engine = Engine::new(&instance);
        assert_eq!(engine.n(), 1);
        let mut x = v(&[1.0, 1.0]);
        engine
            .core
            .component_step(0, &mut x, 0.5, true, &mut engine.scratch);
        assert_eq!(x, v(&[0.25, 0.0]));
        let mut x = v(&[1.0, 1.0]);
        engine
            .core
            .component_step(0, &mut x, 0.5, false, &mut engine.scratch);
        assert_eq!(x, v(&[-0.5, -1.0]));
        let mut x = v(&[1.0, 1.0]);
        engine.clipped_epoch(&mut x, 0.5);
        assert_eq!(x, v(&[0.25, 0.0]));
        // Below the threshold clipping does nothing: γ = 10 > 5.
        let loose = instance.with_gamma(gamma(10.0));
        let mut engine = Engine::new(&loose);
        let mut x = v(&[1.0, 1.0]);
        engine
            .core
            .component_step(0, &mut x, 0.5, true, &mut engine.scratch);
        assert_eq!(x, v(&[-0.5, -1.0]));
    }

    /// A mixed instance in five dimensions (four-lane body plus a tail in
    /// the tracked step), every kind of component, gradients both above
    /// and below `γ = 1` at `x0`.
    fn mixed_instance() -> Instance<f64> {
        let hessian = DMatrix::from_fn(5, 5, |r, c| {
            if r == c {
                1.0 + r as f64 * 0.25
            } else {
                0.125 / (1.0 + (r + c) as f64)
            }
        });
        // A signed permutation: orthogonal, not the identity.
        let mut rotation = DMatrix::zeros(5, 5);
        for (r, (c, s)) in [(1, 1.0), (0, -1.0), (2, 1.0), (4, 1.0), (3, -1.0)]
            .into_iter()
            .enumerate()
        {
            rotation[(r, c)] = s;
        }
        let components = vec![
            linear(&[0.1, -0.2, 0.05, 0.3, -0.1]),
            Component::Exp {
                a: v(&[0.3, -0.1, 0.2, 0.05, 0.1]),
                b: 0.25,
            },
            Component::Logistic {
                a: v(&[1.5, -0.5, 2.0, 1.0, -1.0]),
                label: 1.0,
            },
            Component::Logistic {
                a: v(&[-0.5, 1.0, 0.25, -2.0, 0.5]),
                label: -1.0,
            },
            Component::Quadratic {
                hessian,
                linear: v(&[0.5, -1.0, 0.25, 0.0, 1.0]),
                constant: 0.5,
            },
            Component::Separable {
                rotation,
                shift: v(&[0.5, -0.25, 1.0, 0.0, -0.5]),
                atoms: vec![
                    Atom::Quadratic { a: 2.0 },
                    Atom::Exp { a: 0.5, b: -0.25 },
                    Atom::Logistic { a: -1.5 },
                    Atom::Cosh { a: 0.75 },
                    Atom::LogCosh { a: 1.25 },
                ],
            },
        ];
        Instance::new(gamma(1.0), v(&[0.8, -0.6, 0.4, 1.2, -0.9]), components).unwrap()
    }

    /// What one epoch of the reference records.
    #[derive(Debug)]
    struct Expected {
        f: f64,
        grad_norm: f64,
        bias_norm: f64,
        d_dot_g: f64,
        e_norm: f64,
        alpha: f64,
        travel: f64,
        x_norm: f64,
        mean_component_norm: f64,
        ig_1_slack: Option<f64>,
    }

    fn clip(g: &DVector<f64>, gamma: f64) -> DVector<f64> {
        let size = g.norm();
        if size > gamma {
            g * (gamma / size)
        } else {
            g.clone()
        }
    }

    fn mean(vectors: &[DVector<f64>]) -> DVector<f64> {
        let sum = vectors
            .iter()
            .fold(DVector::zeros(vectors[0].len()), |s, g| s + g);
        sum / vectors.len() as f64
    }

    /// The method and its trace written out from the module docs, with
    /// `Component::gradient` and plain nalgebra: the independent reference
    /// the engine is compared with. Returns the epochs and the final point.
    fn reference_run(
        instance: &Instance<f64>,
        config: &RunConfig<f64>,
    ) -> (Vec<Expected>, DVector<f64>) {
        let n = instance.n();
        let gamma = instance.gamma().get();
        let gradients = |x: &DVector<f64>| -> Vec<DVector<f64>> {
            instance
                .components()
                .iter()
                .map(|c| c.gradient(x))
                .collect()
        };
        let mut rng = seeded_rng(config.seed, "incremental-order");
        let mut order: Vec<usize> = match config.order {
            Order::Cyclic => (0..n).collect(),
            _ => permutation(n, &mut rng),
        };
        let mut x = instance.x0().clone();
        let mut epochs = Vec::new();
        for k in 0..config.epochs {
            if k > 0 && config.order == Order::Reshuffle {
                order = permutation(n, &mut rng);
            }
            let alpha = config.schedule.step(config.alpha, k);
            let start = x.clone();
            let g_all = gradients(&start);
            let g = mean(&g_all);
            let d = mean(&g_all.iter().map(|gi| clip(gi, gamma)).collect::<Vec<_>>());
            let mut slack = f64::INFINITY;
            let mut travelled = 0.0;
            let mut batch_clipped_sum = DVector::zeros(x.len());
            if config.variant == Variant::FullClipped {
                x = &start - clip(&g, gamma) * (n as f64 * alpha);
            } else {
                for chunk in order.chunks(config.batch) {
                    let size = chunk.len() as f64;
                    let at_start: Vec<_> = chunk.iter().map(|&i| g_all[i].clone()).collect();
                    batch_clipped_sum += clip(&mean(&at_start), gamma) * size;
                    let here = gradients(&x);
                    let batch: Vec<_> = chunk.iter().map(|&i| here[i].clone()).collect();
                    let step = match config.variant {
                        Variant::Clipped => clip(&mean(&batch), gamma) * size,
                        Variant::Unclipped => mean(&batch) * size,
                        Variant::PerExample => batch
                            .iter()
                            .fold(DVector::zeros(x.len()), |s, gi| s + clip(gi, gamma)),
                        Variant::FullClipped => unreachable!(),
                    };
                    x -= step * alpha;
                    travelled += size * alpha * gamma;
                    slack =
                        slack.min((travelled - (&x - &start).norm()) / (n as f64 * alpha * gamma));
                }
            }
            let e = match config.variant {
                Variant::Clipped => ((&start - &x) / alpha - &batch_clipped_sum).norm(),
                Variant::PerExample => ((&start - &x) / alpha - &d * n as f64).norm(),
                _ => 0.0,
            };
            epochs.push(Expected {
                f: instance.value(&start),
                grad_norm: g.norm(),
                bias_norm: (&d - &g).norm(),
                d_dot_g: d.dot(&g),
                e_norm: e,
                alpha,
                travel: (&x - &start).norm(),
                x_norm: start.norm(),
                mean_component_norm: g_all.iter().map(|gi| gi.norm()).sum::<f64>() / n as f64,
                ig_1_slack: (config.variant != Variant::FullClipped).then_some(slack),
            });
        }
        (epochs, x)
    }

    /// The engine's trace against [`reference_run`]. The two differ only
    /// in the order of roundings (a few dozen flops per quantity, three
    /// epochs of a contracting method): 1e-10 relative to the quantity's
    /// scale is far above that and far below any change of formula. `e_k`
    /// is a difference of terms of size `‖x_k − x_{k+1}‖/α`, its scale.
    fn assert_matches_reference(instance: &Instance<f64>, config: &RunConfig<f64>) -> Trace {
        let (expected, x) = reference_run(instance, config);
        let mut seen = Vec::new();
        let trace = run_observed(instance, config, true, &mut |k, record| {
            seen.push((k, record.cloned()));
        })
        .unwrap();
        let what = format!("{config:?}");
        assert_eq!(trace.n, instance.n());
        assert_eq!(trace.batch, config.batch);
        assert_eq!(trace.variant, config.variant);
        assert_eq!(trace.gamma, instance.gamma().get());
        assert_eq!(trace.epochs.len(), config.epochs);
        assert_eq!(seen.len(), config.epochs);
        for (k, (record, want)) in trace.epochs.iter().zip(&expected).enumerate() {
            let at = |field: &str| format!("{what}, epoch {k}, {field}");
            assert_eq!(record.epoch, k);
            assert_eq!(seen[k], (k, Some(record.clone())));
            let tol = 1e-10;
            assert_close(&at("f"), record.f, want.f, tol, want.f);
            assert_close(
                &at("grad_norm"),
                record.grad_norm,
                want.grad_norm,
                tol,
                want.grad_norm,
            );
            assert_close(
                &at("bias_norm"),
                record.bias_norm,
                want.bias_norm,
                tol,
                want.grad_norm,
            );
            assert_close(
                &at("d_dot_g"),
                record.d_dot_g,
                want.d_dot_g,
                tol,
                want.grad_norm * want.grad_norm,
            );
            let rho = cdc_rho(want.d_dot_g, want.grad_norm, instance.gamma());
            assert_close(&at("rho"), record.rho, rho, tol, rho);
            assert_close(
                &at("e_norm"),
                record.e_norm,
                want.e_norm,
                tol,
                want.travel / want.alpha,
            );
            assert_eq!(record.alpha, want.alpha, "{}", at("alpha"));
            assert_close(&at("travel"), record.travel, want.travel, tol, want.travel);
            assert_close(&at("x_norm"), record.x_norm, want.x_norm, tol, want.x_norm);
            assert_close(
                &at("mean_component_norm"),
                record.mean_component_norm,
                want.mean_component_norm,
                tol,
                want.mean_component_norm,
            );
            match (record.ig_1_slack, want.ig_1_slack) {
                (Some(got), Some(want)) => assert_close(&at("ig_1_slack"), got, want, tol, 1.0),
                (got, want) => assert_eq!(got, want, "{}", at("ig_1_slack")),
            }
        }
        let final_point = &trace.final_point;
        for (k, (&got, &want)) in final_point.x.iter().zip(x.iter()).enumerate() {
            assert_close(&format!("{what}: x_K[{k}]"), got, want, 1e-10, x.norm());
        }
        let f_final = instance.value(&x);
        assert_close(
            &format!("{what}: f(x_K)"),
            final_point.f,
            f_final,
            1e-10,
            f_final,
        );
        let g_final = instance.gradient(&x).norm();
        assert_close(
            &format!("{what}: ‖∇f(x_K)‖"),
            final_point.grad_norm,
            g_final,
            1e-10,
            g_final,
        );
        // Without recording: the same final point, no epochs.
        let quiet = run(instance, config, false).unwrap();
        assert!(quiet.epochs.is_empty());
        assert_eq!(
            quiet.final_point.x, final_point.x,
            "{what}: recording changed the run"
        );
        trace
    }

    /// The trace's pass runs on a helper thread beside the epoch or on
    /// this thread before it: every variant, batch size and order gives
    /// the same trace, bit for bit (reshuffled orders check that the helper
    /// takes each epoch's new order).
    #[test]
    fn traces_are_the_same_bits_with_and_without_the_helper_thread() {
        let instance = mixed_instance();
        for variant in [
            Variant::Clipped,
            Variant::Unclipped,
            Variant::FullClipped,
            Variant::PerExample,
        ] {
            for batch in [1, 2, 6] {
                for order in [Order::Cyclic, Order::Reshuffle] {
                    let config = RunConfig::new(0.3, 4, batch)
                        .unwrap()
                        .variant(variant)
                        .order(order)
                        .seed(11);
                    let traced = |placement| {
                        let trace = run_with(&instance, &config, true, &mut |_, _| {}, placement);
                        format!("{:?}", trace.unwrap())
                    };
                    let serial = traced(PassPlacement::Serial);
                    assert!(serial.contains("ig_1_slack"), "{serial}");
                    let what = format!("{variant:?}, b = {batch}, {order:?}");
                    assert_eq!(serial, traced(PassPlacement::Helper), "{what}");
                    assert_eq!(serial, traced(PassPlacement::Auto), "{what}");
                }
            }
        }
    }

    /// The pass's fields, bit for bit.
    fn assert_same_pass(got: &EpochPass<f64>, want: &EpochPass<f64>, what: &str) {
        assert_eq!(got.f, want.f, "{what}: f");
        assert_eq!(got.f_magnitude, want.f_magnitude, "{what}: f_magnitude");
        assert_eq!(got.mean_component_norm, want.mean_component_norm, "{what}");
        assert_eq!(got.gradient, want.gradient, "{what}: gradient");
        assert_eq!(got.clipped_direction, want.clipped_direction, "{what}: d");
        assert_eq!(
            got.batch_clipped_sum, want.batch_clipped_sum,
            "{what}: e sum"
        );
    }

    /// A helper thread is started only when asked for, and computes every
    /// pass it is handed (one that left them all to the run's thread would
    /// give the same traces): the pass at each epoch's start over that
    /// epoch's order, the same bits as on the run's thread, including after
    /// the order changes.
    #[test]
    fn the_helper_thread_computes_every_pass_it_is_handed() {
        let instance = mixed_instance();
        let engine = Engine::new(&instance);
        let (core, dim, n) = (&engine.core, instance.dim(), instance.n());
        let forward: Vec<usize> = (0..n).collect();
        let backward: Vec<usize> = (0..n).rev().collect();
        for helper in [false, true] {
            with_pass_source(core, dim, helper, |source| {
                assert_eq!(source.has_helper(), helper);
                for k in 0..4 {
                    let start = DVector::from_fn(dim, |i, _| 0.1 * (i + k) as f64 - 0.2);
                    let (order, changed) = match k {
                        0 => (&forward, true),
                        1 => (&forward, false),
                        _ => (&backward, k == 2),
                    };
                    let (pass, ran) =
                        source.pass_and_epoch(core, (&start, order, changed, 2), || k);
                    assert_eq!(ran, k);
                    let want = epoch_pass(core, &mut Scratch::new(dim), &start, order, 2);
                    assert_same_pass(&pass, &want, &format!("epoch {k}, helper {helper}"));
                }
                assert_eq!(source.passes_from_helper(), if helper { 4 } else { 0 });
            });
        }
    }

    /// A helper whose pass panics leaves the passes to the run's thread
    /// (which does not wait for it forever), and its panic reaches the
    /// caller when the run ends.
    #[test]
    fn a_helper_that_panics_leaves_its_passes_to_the_run_thread() {
        let failing: PassFn<f64> = |_, _, _, _, _| panic!("the helper's pass failed (on purpose)");
        let instance = mixed_instance();
        let engine = Engine::new(&instance);
        let (core, dim) = (&engine.core, instance.dim());
        let order: Vec<usize> = (0..instance.n()).collect();
        let start = DVector::from_fn(dim, |i, _| 0.3 - 0.1 * i as f64);
        let want = epoch_pass(core, &mut Scratch::new(dim), &start, &order, 1);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_pass_source_using(core, dim, true, failing, |source| {
                for k in 0..2 {
                    let (pass, ()) =
                        source.pass_and_epoch(core, (&start, &order, k == 0, 1), || ());
                    assert_same_pass(&pass, &want, &format!("epoch {k}"));
                }
                assert_eq!(source.passes_from_helper(), 0);
            })
        }));
        let message = unwound.expect_err("the helper's panic reaches the caller");
        let message = message
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        // The scope reports the helper's panic (its message went to stderr).
        assert!(message.contains("panicked"), "{message}");
    }

    /// A second core is free on a thread outside any rayon pool when the
    /// global pool has two threads or more, and never on a pool's worker
    /// (`check`'s statements run there).
    #[cfg(feature = "parallel")]
    #[test]
    fn a_second_core_is_free_outside_the_pool_only() {
        assert_eq!(second_core_free(), rayon::current_num_threads() >= 2);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            assert!(!pool.install(second_core_free), "{threads} threads");
        }
    }

    /// Which runs start a helper thread: traced runs of a variant with an
    /// epoch (not full-clipped), from `n · dim = 2¹⁴` entries when a second
    /// core is free, or always when asked for.
    #[test]
    fn helper_threads_start_for_large_traced_runs_with_a_second_core() {
        let auto = PassPlacement::Auto;
        assert!(!auto.use_helper(HELPER_MIN_ENTRIES - 1));
        assert_eq!(auto.use_helper(HELPER_MIN_ENTRIES), second_core_free());
        assert!(PassPlacement::Helper.use_helper(0));
        assert!(!PassPlacement::Serial.use_helper(usize::MAX));
        let started = |instance: &Instance<f64>, variant, record, placement| {
            let before = HELPERS_STARTED.with(|s| s.get());
            let config = RunConfig::new(1e-3, 2, 1).unwrap().variant(variant);
            run_with(instance, &config, record, &mut |_, _| {}, placement).unwrap();
            HELPERS_STARTED.with(|s| s.get()) - before
        };
        let small = mixed_instance();
        assert_eq!(
            started(&small, Variant::Clipped, true, PassPlacement::Helper),
            1
        );
        assert_eq!(
            started(&small, Variant::Clipped, false, PassPlacement::Helper),
            0
        );
        assert_eq!(
            started(&small, Variant::FullClipped, true, PassPlacement::Helper),
            0
        );
        assert_eq!(started(&small, Variant::Clipped, true, auto), 0);
        // n · dim = 127 · 128 just below 2¹⁴, then 128 · 128 = 2¹⁴.
        let square = |n: usize| {
            let components = (0..n)
                .map(|i| {
                    linear(
                        &(0..128)
                            .map(|k| ((i + k) % 7) as f64 - 3.0)
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            Instance::new(gamma(1.0), DVector::zeros(128), components).unwrap()
        };
        let free = usize::from(second_core_free());
        assert_eq!(started(&square(127), Variant::Clipped, true, auto), 0);
        assert_eq!(started(&square(128), Variant::Clipped, true, auto), free);
        assert_eq!(started(&square(128), Variant::Clipped, false, auto), 0);
    }

    /// A run that fails mid-way with the helper thread returns its error
    /// (the helper is told to quit, so the run does not hang), the same
    /// error as without it.
    #[test]
    fn a_run_that_diverges_with_the_helper_thread_returns_its_error() {
        let instance = mixed_instance();
        let config = RunConfig::new(1e150, 5, 1)
            .unwrap()
            .variant(Variant::Unclipped);
        let failed =
            |placement| run_with(&instance, &config, true, &mut |_, _| {}, placement).unwrap_err();
        let serial = failed(PassPlacement::Serial);
        assert_eq!(
            serial.to_string(),
            failed(PassPlacement::Helper).to_string()
        );
        assert!(serial.to_string().contains("diverged"), "{serial}");
    }

    /// An observer that panics unwinds through the run with the helper
    /// thread running (the helper quits; the scope ends).
    #[test]
    fn a_panicking_observer_does_not_hang_a_run_with_the_helper_thread() {
        let instance = mixed_instance();
        let config = RunConfig::new(0.3, 3, 1).unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_with(
                &instance,
                &config,
                true,
                &mut |k, _| assert!(k < 1, "observer stops at epoch {k}"),
                PassPlacement::Helper,
            )
        }));
        assert!(unwound.is_err());
    }

    /// Every variant, batch size (single steps, batches of 2 with a
    /// single left over, all at once), order and schedule against the
    /// reference.
    #[test]
    fn runs_match_the_reference_for_every_variant_batch_order_and_schedule() {
        let instance = mixed_instance();
        let mut slacks = Vec::new();
        for variant in [
            Variant::Clipped,
            Variant::Unclipped,
            Variant::FullClipped,
            Variant::PerExample,
        ] {
            for batch in [1, 2, 4, 6] {
                for (order, schedule) in [
                    (Order::Cyclic, Schedule::Constant),
                    (Order::Shuffle, Schedule::InverseSqrt),
                    (Order::Reshuffle, Schedule::Inverse),
                ] {
                    let config = RunConfig::new(0.3, 3, batch)
                        .unwrap()
                        .variant(variant)
                        .order(order)
                        .schedule(schedule)
                        .seed(7);
                    let trace = assert_matches_reference(&instance, &config);
                    slacks.extend(trace.epochs.iter().filter_map(|r| r.ig_1_slack));
                }
            }
        }
        // Teeth: clipping is active and the IG-1 slack is not trivially 0.
        assert!(slacks.iter().any(|&s| s > 0.05), "{slacks:?}");
    }

    /// The orders: cyclic visits `0..n`; a shuffled order is one seeded
    /// permutation kept for every epoch; reshuffling draws a new one per
    /// epoch (from the second epoch on), all from the run's seed. With
    /// these steps, a different order gives a different point.
    #[test]
    fn orders_follow_the_seeded_permutations() {
        let instance = mixed_instance();
        let x_after = |order: Order, epochs: usize, seed: u64| {
            let config = RunConfig::new(0.3, epochs, 1)
                .unwrap()
                .order(order)
                .seed(seed);
            run(&instance, &config, false).unwrap().final_point.x
        };
        let epoch_in = |order: &[usize]| {
            let mut engine = Engine::new(&instance);
            let mut x = instance.x0().clone();
            for &i in order {
                engine
                    .core
                    .component_step(i, &mut x, 0.3, true, &mut engine.scratch);
            }
            x.iter().copied().collect::<Vec<_>>()
        };
        assert_eq!(x_after(Order::Cyclic, 1, 3), epoch_in(&[0, 1, 2, 3, 4, 5]));
        let mut rng = seeded_rng(3, "incremental-order");
        let first = permutation(6, &mut rng);
        let second = permutation(6, &mut rng);
        assert_ne!(first, second);
        assert_ne!(first, (0..6).collect::<Vec<_>>());
        assert_eq!(x_after(Order::Shuffle, 1, 3), epoch_in(&first));
        assert_eq!(x_after(Order::Reshuffle, 1, 3), epoch_in(&first));
        assert_ne!(x_after(Order::Shuffle, 1, 4), x_after(Order::Shuffle, 1, 3));
        // Two epochs: Shuffle repeats `first`, Reshuffle follows with `second`.
        let two_epochs = |orders: [&[usize]; 2]| {
            let mut engine = Engine::new(&instance);
            let mut x = instance.x0().clone();
            for order in orders {
                for &i in order {
                    engine
                        .core
                        .component_step(i, &mut x, 0.3, true, &mut engine.scratch);
                }
            }
            x.iter().copied().collect::<Vec<_>>()
        };
        assert_eq!(x_after(Order::Shuffle, 2, 3), two_epochs([&first, &first]));
        assert_eq!(
            x_after(Order::Reshuffle, 2, 3),
            two_epochs([&first, &second])
        );
        let cyclic: Vec<usize> = (0..6).collect();
        assert_eq!(x_after(Order::Cyclic, 2, 3), two_epochs([&cyclic, &cyclic]));
    }

    /// IG-1's slack by hand: `γ = 2`, `α = 0.5`; component 0 has gradient
    /// `(1, 0, 0, 0, 0)` (below `γ`: a step of 0.5), component 1 `(0, 0, 0, 0, 4)`
    /// (clipped to length 2: a step of 1). After step 1: travelled
    /// `αγ = 1`, distance `0.5`, slack `(1 − 0.5)/(nαγ = 2) = 0.25`; after
    /// step 2: `(2 − √1.25)/2 ≈ 0.44`. The minimum, `0.25`, is exact. Linear
    /// components take the ridge kernel's tracked step, quadratics (zero
    /// Hessian) the general one.
    #[test]
    fn ig_1_slack_by_hand_for_ridge_and_general_kernels() {
        let gradients = [[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 4.0]];
        let ridge: Vec<_> = gradients.iter().map(|c| linear(c)).collect();
        let general: Vec<_> = gradients
            .iter()
            .map(|c| Component::Quadratic {
                hessian: DMatrix::zeros(5, 5),
                linear: v(c),
                constant: 0.0,
            })
            .collect();
        for components in [ridge, general] {
            let instance = Instance::new(gamma(2.0), DVector::zeros(5), components).unwrap();
            let config = RunConfig::new(0.5, 1, 1).unwrap();
            let trace = run(&instance, &config, true).unwrap();
            let record = &trace.epochs[0];
            assert_eq!(record.ig_1_slack, Some(0.25));
            assert_eq!(trace.final_point.x, vec![-0.5, 0.0, 0.0, 0.0, -1.0]);
            // travel ‖(−0.5, 0, 0, 0, −1)‖ = √1.25; e_k = 0 (each component
            // is visited at x_k's gradient: they are constant).
            assert_close("travel", record.travel, 1.25f64.sqrt(), 1e-15, 1.0);
            assert_eq!(record.e_norm, 0.0);
            assert_eq!(record.f, 0.0);
            // ∇f = (0.5, 0, 0, 0, 2) at every point.
            assert_close(
                "grad",
                trace.final_point.grad_norm,
                4.25f64.sqrt(),
                1e-15,
                1.0,
            );
        }
    }

    /// The tracked step returns `‖x_new − start‖²` over every lane and the
    /// tail (dimensions 1 to 9), and moves `x` as the plain step does.
    #[test]
    fn tracked_step_returns_the_squared_distance_in_every_dimension() {
        for dim in 1..10 {
            let c: Vec<f64> = (0..dim).map(|k| 0.5 + k as f64).collect();
            let start: Vec<f64> = (0..dim).map(|k| 0.25 * k as f64 - 1.0).collect();
            let instance = Instance::new(gamma(3.0), v(&start), vec![linear(&c)]).unwrap();
            let mut engine = Engine::new(&instance);
            for clipped in [true, false] {
                let mut x = v(&start);
                x[0] += 0.5;
                let mut plain = x.clone();
                let squared = engine.core.component_step_tracked(
                    0,
                    &mut x,
                    0.25,
                    clipped,
                    &v(&start),
                    &mut engine.scratch,
                );
                engine
                    .core
                    .component_step(0, &mut plain, 0.25, clipped, &mut engine.scratch);
                assert_eq!(x, plain);
                let exact = (&x - v(&start)).norm_squared();
                assert_close("‖x − start‖²", squared, exact, 1e-14, exact);
                assert_eq!(
                    squared_distance(&x, &v(&start)),
                    (&x - v(&start)).iter().fold(0.0, |s, d| s + d * d)
                );
            }
        }
    }

    /// The batch buffers: `add_clipped_gradient` adds `clip(∇f_i)`,
    /// `add_gradient` adds `w ∇f_i`, `gradient_into` overwrites, for a ridge
    /// (exponential: coefficient `e^{t + b} ≠ 1`) and a general component.
    #[test]
    fn gradient_accumulators_add_what_they_say() {
        let instance = mixed_instance();
        let x = instance.x0().clone();
        let mut engine = Engine::new(&instance);
        for i in 0..instance.n() {
            let g = instance.components()[i].gradient(&x);
            let scale = g.norm();
            let base = v(&[1.0, -2.0, 0.5, 0.0, 3.0]);
            let mut out = base.clone();
            engine
                .core
                .add_clipped_gradient(i, &x, &mut out, &mut engine.scratch);
            let want = &base + clip(&g, 1.0);
            let mut out_weighted = base.clone();
            engine
                .core
                .add_gradient(i, &x, 0.375, &mut out_weighted, &mut engine.scratch);
            let want_weighted = &base + &g * 0.375;
            let mut into = base.clone();
            engine
                .core
                .gradient_into(i, &x, &mut into, &mut engine.scratch);
            for k in 0..5 {
                assert_close("clipped", out[k], want[k], 1e-14, 4.0);
                assert_close(
                    "weighted",
                    out_weighted[k],
                    want_weighted[k],
                    1e-14,
                    4.0 + scale,
                );
                assert_close("into", into[k], g[k], 1e-14, scale);
            }
            match engine.core.ridge_at(i, &x) {
                Some((a, a_norm, c, value)) => {
                    let a = DVectorView::from_slice(a, a.len());
                    assert_close("‖a‖", a_norm, a.norm(), 1e-15, a.norm());
                    assert_close(
                        "value",
                        value,
                        instance.components()[i].value(&x),
                        1e-14,
                        1.0,
                    );
                    for k in 0..5 {
                        assert_close("c a", c * a[k], g[k], 1e-14, scale);
                    }
                }
                None => assert!(i >= 4, "component {i} should be a ridge kernel"),
            }
        }
    }

    /// Refusals: a batch larger than `n`; a gradient or `f` that is not
    /// finite at `x0`; a run that diverges (named by what diverged).
    #[test]
    fn refusals_are_typed_and_name_the_cause() {
        let instance = mixed_instance();
        let config = |batch| RunConfig::new(0.3, 1, batch).unwrap();
        match run(&instance, &config(7), false) {
            Err(Error::InvalidField { field, reason }) => {
                assert_eq!(field, "batch");
                assert!(reason.contains("exceeds n = 6"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(run(&instance, &config(6), false).is_ok());
        // e^{800} overflows: ∇f is not finite at x0.
        let overflow = Instance::new(
            gamma(1.0),
            v(&[800.0]),
            vec![Component::Exp {
                a: v(&[1.0]),
                b: 0.0,
            }],
        )
        .unwrap();
        match run(&overflow, &config(1), false) {
            Err(Error::InvalidField { field, reason }) => {
                assert_eq!(field, "x0");
                assert!(reason.contains("gradients[0][0]"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // Finite entries whose norm overflows: ‖(1.5e308, 1.5e308)‖ > f64::MAX.
        let wide = Instance::new(
            gamma(1.0),
            v(&[0.0, 0.0]),
            vec![linear(&[1.5e308, 1.5e308])],
        )
        .unwrap();
        assert_start_norm_overflows(run(&wide, &config(1), false));
        // Large finite entries with a finite norm are fine: ‖(1e200, 1e200)‖.
        let big = Instance::new(gamma(1.0), v(&[0.0, 0.0]), vec![linear(&[1e200, 1e200])]).unwrap();
        let trace = run(&big, &config(1), false).unwrap();
        assert_close(
            "‖c‖",
            trace.final_point.grad_norm,
            2f64.sqrt() * 1e200,
            1e-15,
            2f64.sqrt() * 1e200,
        );
        // f(x0) = ⟨c, x0⟩ = 2e308 overflows while ∇f = c is finite.
        let f_overflows =
            Instance::new(gamma(1.0), v(&[1.0, 1.0]), vec![linear(&[1e308, 1e308])]).unwrap();
        match run(&f_overflows, &config(1), false) {
            Err(Error::NonFinite { field, .. }) => assert!(field.starts_with("f(x0)"), "{field}"),
            other => panic!("{other:?}"),
        }
        // Concave −x²/2 with a step of 3 unclipped: x ← x + 3x = 4x, so
        // x_k = 2^{2k}: f = −2^{4k−1} overflows from k = 256 on while
        // ∇f = −x stays finite; x itself overflows in epoch 511.
        let concave = Instance::new(
            gamma(1.0),
            v(&[1.0]),
            vec![Component::Quadratic {
                hessian: DMatrix::from_element(1, 1, -1.0),
                linear: v(&[0.0]),
                constant: 0.0,
            }],
        )
        .unwrap();
        let diverging = RunConfig::new(3.0, 2000, 1)
            .unwrap()
            .variant(Variant::Unclipped);
        match run(&concave, &diverging, true) {
            Err(Error::NonFinite { field, .. }) => {
                assert_eq!(
                    field,
                    "f or ∇f at the start of epoch 256 (the run diverged)"
                )
            }
            other => panic!("{other:?}"),
        }
        match run(&concave, &diverging, false) {
            Err(Error::NonFinite { field, .. }) => {
                assert_eq!(
                    field,
                    "x after epoch 511 (the run diverged; try a smaller step)"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    /// The full-clipped variant steps without recording too (its pass is
    /// computed for the step): `x_1 = x_0 − nα clip(∇f(x_0))`, by hand with
    /// `∇f = (3, 4)/1`, `γ = 2.5`: `x_1 = 0 − 2 · 0.5 · (1.5, 2)`.
    #[test]
    fn full_clipped_steps_without_recording() {
        let instance = Instance::new(
            gamma(2.5),
            v(&[0.0, 0.0]),
            vec![linear(&[2.0, 4.0]), linear(&[4.0, 4.0])],
        )
        .unwrap();
        let config = RunConfig::new(0.5, 1, 1)
            .unwrap()
            .variant(Variant::FullClipped);
        let trace = run(&instance, &config, false).unwrap();
        assert_eq!(trace.final_point.x, vec![-1.5, -2.0]);
        assert_eq!(trace.final_point.grad_norm, 5.0);
        assert!(trace.epochs.is_empty());
    }

    /// `f32` runs follow the `f64` run within `f32` rounding (a few hundred
    /// operations of relative error 6e-8 each: 1e-4 is generous).
    #[test]
    fn f32_runs_track_f64_runs() {
        let instance = mixed_instance();
        let narrow = instance.cast::<f32>().unwrap();
        for variant in [Variant::Clipped, Variant::PerExample, Variant::FullClipped] {
            let wide = RunConfig::new(0.3, 3, 2).unwrap().variant(variant);
            let config = RunConfig::new(0.3f32, 3, 2).unwrap().variant(variant);
            let (a, b) = (
                run(&instance, &wide, true).unwrap(),
                run(&narrow, &config, true).unwrap(),
            );
            for (ra, rb) in a.epochs.iter().zip(&b.epochs) {
                assert_close("f", rb.f, ra.f, 1e-4, ra.f);
                assert_close("‖∇f‖", rb.grad_norm, ra.grad_norm, 1e-4, ra.grad_norm);
            }
            for (xa, xb) in a.final_point.x.iter().zip(&b.final_point.x) {
                assert_close("x_K", *xb, *xa, 1e-4, 1.0);
            }
        }
    }

    /// `compare_variants` keeps every variant's trace and takes `f_min`
    /// over all of them and a refinement: as many epochs of full-gradient
    /// clipping at a constant step from the best final point (whatever the
    /// caller's schedule and variant).
    #[test]
    fn compare_variants_refines_the_best_point_with_constant_full_clipping() {
        // f = ½x² + 1/2 as the mean of ½(x ± 1)²: slow clipped steps from 20.
        let component = |shift: f64| Component::Quadratic {
            hessian: DMatrix::from_element(1, 1, 1.0),
            linear: v(&[shift]),
            constant: 0.5,
        };
        let instance = Instance::new(
            gamma(1.0),
            v(&[20.0]),
            vec![component(1.0), component(-1.0)],
        )
        .unwrap();
        let config = RunConfig::new(0.05, 4, 1)
            .unwrap()
            .schedule(Schedule::Inverse)
            .variant(Variant::Unclipped);
        let mut calls = Vec::new();
        let result = compare_variants(&instance, &config, &mut |variant, k| {
            calls.push((variant, k))
        })
        .unwrap();
        let variants: Vec<Variant> = result.runs.iter().map(|(v, _)| *v).collect();
        assert_eq!(
            variants,
            [Variant::Clipped, Variant::Unclipped, Variant::FullClipped]
        );
        assert_eq!(calls.len(), 12);
        assert_eq!(calls[4], (Variant::Unclipped, 0));
        let seen = result
            .runs
            .iter()
            .flat_map(|(_, t)| t.epochs.iter().map(|r| r.f).chain([t.final_point.f]))
            .fold(f64::INFINITY, f64::min);
        let best = result
            .runs
            .iter()
            .map(|(_, t)| t)
            .min_by(|a, b| a.final_point.f.total_cmp(&b.final_point.f))
            .unwrap();
        let refined = instance.with_x0(v(&best.final_point.x)).unwrap();
        let more = RunConfig::new(0.05, 4, 1)
            .unwrap()
            .variant(Variant::FullClipped);
        let refinement = run(&refined, &more, false).unwrap().final_point.f;
        // Teeth: the refinement is what sets f_min here.
        assert!(refinement < seen, "{refinement} vs {seen}");
        assert_eq!(result.f_min, refinement);
    }

    /// The two forms of the sigmoid are the same function; which one is
    /// taken matters where `e^{±z}` overflows: at `|t| = 1000` the
    /// logistic slope is `−y` or `0`, never NaN.
    #[test]
    fn logistic_profiles_do_not_overflow_far_out() {
        for y in [1.0f64, -1.0] {
            for t in [1000.0f64, -1000.0] {
                // −y σ(−y t): σ(1000) = 1, σ(−1000) = 0 in f64.
                let slope = if -y * t > 0.0 { -y } else { 0.0 };
                assert_eq!(
                    Profile::Logistic(y).coefficient(t),
                    slope,
                    "y = {y}, t = {t}"
                );
                let (c, value) = Profile::Logistic(y).coefficient_and_value(t);
                assert_eq!(c, slope, "y = {y}, t = {t}");
                // log(1 + e^{−y t}) is max(−y t, 0) up to e^{−1000}.
                assert_eq!(value, (-y * t).max(0.0), "y = {y}, t = {t}");
            }
        }
    }

    /// The overflow check of the start point uses the sum of squares
    /// (the norm only when that overflows): 30 entries `±5e307` have a
    /// finite sum of entries but `‖g‖ = 5e307 √30 > f64::MAX`.
    #[test]
    fn a_norm_that_overflows_is_refused_whatever_the_signs() {
        let c: Vec<f64> = (0..30)
            .map(|k| if k % 2 == 0 { 5e307 } else { -5e307 })
            .collect();
        let instance = Instance::new(gamma(1.0), DVector::zeros(30), vec![linear(&c)]).unwrap();
        assert_start_norm_overflows(run(&instance, &RunConfig::new(0.5, 1, 1).unwrap(), false));
    }

    /// The refusal of a start point whose first gradient's norm overflows.
    fn assert_start_norm_overflows(result: Result<Trace>) {
        match result {
            Err(Error::InvalidField { field, reason }) => {
                assert_eq!(field, "x0");
                assert!(
                    reason.contains("norm of gradients[0] (overflow)"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
