//! The engine: the instance compiled for fast passes, one epoch of the
//! method, and whole runs with an observer per epoch.
//!
//! The hot loop allocates nothing: components whose gradient is a scalar
//! multiple of a fixed vector (linear, exponential, logistic) are kernels
//! holding that vector (borrowed from the instance: the engine copies no
//! data) with its norm precomputed, so a step is one dot product and one
//! `axpy`; other kinds write into preallocated scratch vectors.

use nalgebra::{DVector, DVectorView};

use super::config::{Order, RunConfig, Schedule, Variant};
use super::trace::{epoch_pass, values, EpochRecord, FinalPoint, Trace};
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

/// Scratch space for general components (allocated once per engine).
#[derive(Clone, Debug)]
struct Scratch<T: Real> {
    a: DVector<T>,
    b: DVector<T>,
}

/// The compiled instance: one kernel per component (borrowing the
/// component's data, with its norm beside it), the threshold, scratch space.
#[derive(Clone, Debug)]
pub struct Engine<'a, T: Real> {
    pub(super) gamma: Threshold<T>,
    kernels: Vec<Kernel<'a, T>>,
    pub(super) instance: &'a Instance<T>,
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
            gamma: instance.gamma(),
            kernels,
            instance,
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

    /// `out += clip_γ(∇f_i(x))`, without allocating.
    pub(super) fn add_clipped_gradient(&mut self, i: usize, x: &DVector<T>, out: &mut DVector<T>) {
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
                general_gradient(component, x, &mut self.scratch);
                let factor = clip_factor(norm(&self.scratch.b), self.gamma);
                out.axpy(factor, &self.scratch.b, T::one());
            }
        }
    }

    /// `out += weight ∇f_i(x)`, without allocating.
    pub(super) fn add_gradient(
        &mut self,
        i: usize,
        x: &DVector<T>,
        weight: T,
        out: &mut DVector<T>,
    ) {
        match &self.kernels[i] {
            Kernel::Ridge { a, profile, .. } => {
                let a = DVectorView::from_slice(a, a.len());
                let coefficient = profile.coefficient(a.dot(x));
                out.axpy(weight * coefficient, &a, T::one());
            }
            Kernel::General(component) => {
                general_gradient(component, x, &mut self.scratch);
                out.axpy(weight, &self.scratch.b, T::one());
            }
        }
    }

    /// `out = ∇f_i(x)` (for the ridge kinds `c a_j` per entry, the
    /// operations of [`Component::gradient`], so the same bits).
    pub(super) fn gradient_into(&mut self, i: usize, x: &DVector<T>, out: &mut DVector<T>) {
        match &self.kernels[i] {
            Kernel::Ridge { a, profile, .. } => {
                let view = DVectorView::from_slice(a, a.len());
                let coefficient = profile.coefficient(view.dot(x));
                for (o, &v) in out.iter_mut().zip(a.iter()) {
                    *o = v * coefficient;
                }
            }
            Kernel::General(component) => {
                general_gradient(component, x, &mut self.scratch);
                out.copy_from(&self.scratch.b);
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
        &mut self,
        i: usize,
        x: &mut DVector<T>,
        step: T,
        clipped: bool,
        start: &DVector<T>,
    ) -> T {
        if let Kernel::Ridge { a, norm, profile } = &self.kernels[i] {
            let coefficient = profile.coefficient(dot_slices(a, x.as_slice()));
            let factor = if clipped {
                clip_factor(coefficient.abs() * *norm, self.gamma)
            } else {
                T::one()
            };
            let s = -step * factor * coefficient;
            // Four lanes of fixed width, so the loop vectorises.
            let mut lanes = [T::zero(); 4];
            let (xs, ss) = (x.as_mut_slice(), start.as_slice());
            let whole = xs.len() - xs.len() % 4;
            let (x_body, x_tail) = xs.split_at_mut(whole);
            for ((xk, sk), ak) in x_body
                .chunks_exact_mut(4)
                .zip(ss.chunks_exact(4))
                .zip(a.chunks_exact(4))
            {
                for k in 0..4 {
                    xk[k] += s * ak[k];
                    let d = xk[k] - sk[k];
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
            self.component_step(i, x, step, clipped);
            squared_distance(x, start)
        }
    }

    /// One clipped (or unclipped) step on component `i`:
    /// `x ← x − step · clip(∇f_i(x))`.
    #[inline]
    fn component_step(&mut self, i: usize, x: &mut DVector<T>, step: T, clipped: bool) {
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

/// One epoch of the method from `x` (in place); `workspace` holds the
/// epoch's start point and a batch buffer. Returns the
/// IG-1 slack relative to `nαγ` when tracked (`+∞` otherwise).
fn epoch<T: Real>(
    engine: &mut Engine<'_, T>,
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
        let mut squared = None;
        if chunk.len() == 1 {
            if plan.track {
                squared =
                    Some(engine.component_step_tracked(chunk[0], x, alpha, plan.clipped, start));
            } else {
                engine.component_step(chunk[0], x, alpha, plan.clipped);
            }
        } else if plan.per_example {
            // x ← x − α Σ_{i∈B} clip(∇f_i(x)), all at the batch's start point
            batch_buffer.fill(T::zero());
            for &i in chunk {
                engine.add_clipped_gradient(i, x, batch_buffer);
            }
            x.axpy(-alpha, batch_buffer, T::one());
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
fn mean_gradient<T: Real>(engine: &mut Engine<'_, T>, x: &DVector<T>) -> Result<DVector<T>> {
    let mut sum = DVector::zeros(x.len());
    let mut g = DVector::zeros(x.len());
    for i in 0..engine.n() {
        match engine.kernels[i] {
            // `Component::gradient`, as `GradientSet` was built from.
            Kernel::General(component) => g.copy_from(&component.gradient(x)),
            Kernel::Ridge { .. } => engine.gradient_into(i, x, &mut g),
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

/// `‖x − start‖²`, summed in order.
fn squared_distance<T: Real>(x: &DVector<T>, start: &DVector<T>) -> T {
    x.iter()
        .zip(start.iter())
        .fold(T::zero(), |s, (&a, &b)| s + (a - b) * (a - b))
}

/// Runs the method on `instance` from its `x0`, recording every epoch when
/// `record` is set (the trace costs one extra pass over the data per epoch).
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
    let mut engine = Engine::new(instance);
    let n = engine.n();
    if config.batch > n {
        return Err(Error::InvalidField {
            field: "batch".into(),
            reason: format!("the batch size {} exceeds n = {n}", config.batch),
        });
    }
    mean_gradient(&mut engine, instance.x0()).map_err(|error| Error::InvalidField {
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
    let mut epochs = Vec::new();
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
                None
            }
            variant => {
                let plan = EpochPlan {
                    batch: config.batch,
                    alpha,
                    clipped: variant != Variant::Unclipped,
                    per_example: variant == Variant::PerExample,
                    track: record,
                };
                let slack = epoch(&mut engine, &mut x, &order, plan, &mut workspace);
                record.then_some(slack.to_f64_lossless())
            }
        };
        let mut this_epoch = None;
        if let (true, Some(pass)) = (record, pass) {
            let grad_norm = norm(&pass.gradient);
            let d_dot_g = dot(&pass.clipped_direction, &pass.gradient);
            // e_k = Σ_B |B| [clip(g_B(x^{B−1})) − clip(g_B(x_k))] = (x_k − x_{k+1})/α − Σ_B |B| clip(g_B(x_k))
            // (per example: e_k = (x_k − x_{k+1})/α − Σ_i clip(g_i(x_k)) = … − n d(x_k))
            let e = match config.variant {
                Variant::Clipped => norm(&((&workspace.0 - &x) / alpha - &pass.batch_clipped_sum)),
                Variant::PerExample => {
                    norm(&((&workspace.0 - &x) / alpha - &pass.clipped_direction * T::of(n as f64)))
                }
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
    let final_gradient = norm(&mean_gradient(&mut engine, &x)?);
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
