//! Random cases: proptest strategies that `cargo test`, `cliptheory check`
//! and the explorer all draw from.
//!
//! [`gradient_case`] builds pointwise instances (linear components, so the
//! gradients at `x0` are the vectors drawn) that cover what breaks naive
//! clipping code: norms exactly at `γ` (axis vectors `±γ e_k`, whose norm is
//! `γ` in every float type), zero vectors, vectors parallel and exactly
//! opposite to a shared direction, vectors of one common norm, and
//! magnitudes from `1e-6` to `1e6`. Dimensions and counts are drawn from the
//! ranges given; the named constants below are the suite's ranges.

use std::ops::RangeInclusive;

use nalgebra::DVector;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::clipping::Threshold;
use crate::instance::Instance;

/// Component counts of the general pointwise generator.
pub const COMPONENTS: RangeInclusive<usize> = 1..=64;
/// Dimensions of the general pointwise generator.
pub const DIMENSIONS: RangeInclusive<usize> = 1..=32;
/// Smallest and largest magnitude (as `log10`) of a vector or of `γ`.
pub const LOG10_MAGNITUDE: RangeInclusive<f64> = -6.0..=6.0;

/// How one component gradient is drawn.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// A random direction with a random norm.
    Random,
    /// `±γ e_k`: norm exactly `γ`.
    AtThreshold,
    /// The zero vector.
    Zero,
    /// A positive multiple of the shared direction.
    Parallel,
    /// A negative multiple of the shared direction.
    Opposite,
    /// A random direction with the shared norm.
    SharedNorm,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        4 => Just(Shape::Random),
        1 => Just(Shape::AtThreshold),
        1 => Just(Shape::Zero),
        2 => Just(Shape::Parallel),
        2 => Just(Shape::Opposite),
        1 => Just(Shape::SharedNorm),
    ]
}

fn clamp_log(x: f64) -> f64 {
    x.clamp(*LOG10_MAGNITUDE.start(), *LOG10_MAGNITUDE.end())
}

/// A unit vector along `raw`; `e_0` if it (nearly) vanishes.
pub(crate) fn unit(raw: &[f64]) -> DVector<f64> {
    let v = DVector::from_column_slice(raw);
    let n = v.norm();
    if n > 1e-12 {
        v / n
    } else {
        let mut e = DVector::zeros(raw.len());
        e[0] = 1.0;
        e
    }
}

/// One drawn component, before it is turned into a vector.
#[derive(Clone, Debug)]
struct ComponentDraw {
    shape: Shape,
    direction: Vec<f64>,
    log10_norm_offset: f64,
    axis: usize,
    sign: bool,
}

fn component_draw(dim: usize) -> impl Strategy<Value = ComponentDraw> {
    (
        shape(),
        prop::collection::vec(-1.0..1.0f64, dim),
        -3.0..3.0f64,
        0..dim,
        any::<bool>(),
    )
        .prop_map(
            |(shape, direction, log10_norm_offset, axis, sign)| ComponentDraw {
                shape,
                direction,
                log10_norm_offset,
                axis,
                sign,
            },
        )
}

/// Pointwise instances with `n ∈ components`, `dim ∈ dimensions`; see
/// [`gradient_case_in`].
pub fn gradient_case(
    components: RangeInclusive<usize>,
    dimensions: RangeInclusive<usize>,
) -> BoxedStrategy<Instance<f64>> {
    gradient_case_in(components, dimensions, false)
}

/// Tilts `v` into the cone of half-angle `atan(0.99) < 45°` around the unit
/// vector `axis`, keeping its norm: any two vectors of the cone make an acute
/// angle, and so does each with their mean (which lies in the cone).
fn into_cone(v: &DVector<f64>, axis: &DVector<f64>, tilt: f64) -> DVector<f64> {
    let size = v.norm();
    let orthogonal = v - axis * v.dot(axis);
    let w = orthogonal.norm();
    if w <= 1e-12 * size.max(1e-300) {
        return axis * size;
    }
    unit((axis + &orthogonal * (tilt.abs().min(0.99) / w)).as_slice()) * size
}

/// Pointwise instances with `n ∈ components`, `dim ∈ dimensions`, built from
/// the shapes listed in the module docs. `γ = 10^{s + r}` with the case scale
/// `s ∈ [−6, 6]` and `r ∈ [−2, 2]`; vector norms are `10^{s + u}`,
/// `u ∈ [−3, 3]`, all clamped to `[1e-6, 1e6]`. With `acute`, every nonzero
/// vector is tilted into a cone of half-angle below 45° around the shared
/// direction, so all angles to the mean are acute (DESC-2, DESC-6).
pub fn gradient_case_in(
    components: RangeInclusive<usize>,
    dimensions: RangeInclusive<usize>,
    acute: bool,
) -> BoxedStrategy<Instance<f64>> {
    (components, dimensions)
        .prop_flat_map(|(n, dim)| {
            (
                LOG10_MAGNITUDE,
                -2.0..2.0f64,
                prop::collection::vec(-1.0..1.0f64, dim),
                -3.0..3.0f64,
                prop::collection::vec(component_draw(dim), n),
            )
        })
        .prop_map(
            move |(log10_scale, log10_ratio, shared, shared_offset, draws)| {
                let gamma = 10f64.powf(clamp_log(log10_scale + log10_ratio));
                let shared_direction = unit(&shared);
                let shared_norm = 10f64.powf(clamp_log(log10_scale + shared_offset));
                let gradients = draws
                    .iter()
                    .map(|draw| {
                        let tilt = draw.log10_norm_offset / 3.0;
                        let norm = 10f64.powf(clamp_log(log10_scale + draw.log10_norm_offset));
                        let sign = if draw.sign { 1.0 } else { -1.0 };
                        let v = match draw.shape {
                            Shape::Random => unit(&draw.direction) * norm,
                            Shape::AtThreshold => {
                                let mut e = DVector::zeros(shared_direction.len());
                                e[draw.axis] = sign * gamma;
                                e
                            }
                            Shape::Zero => DVector::zeros(shared_direction.len()),
                            Shape::Parallel => &shared_direction * norm,
                            Shape::Opposite => &shared_direction * -norm,
                            Shape::SharedNorm => unit(&draw.direction) * shared_norm,
                        };
                        if acute {
                            into_cone(&v, &shared_direction, tilt)
                        } else {
                            v
                        }
                    })
                    .collect();
                // γ > 0 and the vectors are non-empty with one dimension by construction.
                Instance::from_gradients(Threshold::new(gamma).expect("γ > 0"), gradients)
                    .expect("generated vectors share one dimension")
            },
        )
        .boxed()
}

/// The general pointwise generator: `n ∈ 1..=64`, `dim ∈ 1..=32`.
pub fn pointwise_case() -> BoxedStrategy<Instance<f64>> {
    gradient_case(COMPONENTS, DIMENSIONS)
}

/// Small sets (`n ∈ 2..=6`) for statements about every pair `(g_i, g_j)`.
pub fn pair_case() -> BoxedStrategy<Instance<f64>> {
    gradient_case(2..=6, DIMENSIONS)
}

/// Exactly two components, any dimension (DESC-4).
pub fn two_component_case() -> BoxedStrategy<Instance<f64>> {
    gradient_case(2..=2, DIMENSIONS)
}

/// Acute configurations (every angle to the mean below 90°), `n ∈ 1..=64`.
pub fn acute_case() -> BoxedStrategy<Instance<f64>> {
    gradient_case_in(COMPONENTS, DIMENSIONS, true)
}

/// At least three components in low dimension, where ascent is easiest to
/// hit (DESC-5).
pub fn low_dimensional_case() -> BoxedStrategy<Instance<f64>> {
    gradient_case(3..=8, 1..=3)
}
