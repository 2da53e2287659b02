//! Finite-sum instances: `f(x) = (1/n) Σ_i f_i(x)` over `R^dim` with a
//! clipping threshold `γ` and a start point `x0`.
//!
//! An [`Instance`] is validated when it is built ([`Instance::new`]: at
//! least one component, every component of dimension `dim`, finite `x0`)
//! and its fields are private, so every instance a statement or the engine
//! sees is well-formed. [`component`] holds the kinds of `f_i` (the file
//! format's and [user-defined ones](crate::objective::Objective)),
//! [`format`](mod@format) the interchange format `cliptheory.instance.v1`.

pub mod component;
pub mod format;

pub(crate) use component::{check_softmax_classes, softmax_gradient_into, write_softmax_logits};
pub use component::{Atom, Component};
pub use format::{INSTANCE_FORMAT, ROTATION_TOLERANCE};

use nalgebra::{DMatrix, DVector};

use crate::clipping::Threshold;
use crate::error::{ensure_finite, Error, Result};
use crate::real::Real;

/// Refuses a start point with a NaN or infinite coordinate (naming it).
fn ensure_finite_point<T: Real>(x0: &DVector<T>) -> Result<()> {
    for (k, &v) in x0.iter().enumerate() {
        ensure_finite(|| format!("x0[{k}]"), v)?;
    }
    Ok(())
}

/// Rank-one Hessians from which [`Instance::hessian`] sums by matrix products.
pub const HESSIAN_GEMM_MIN: usize = 64;

/// Columns per `gemm` block of [`rank_one_sum`].
const HESSIAN_BLOCK: usize = 256;

/// `Σ_i s_i a_i a_iᵀ` by blocks: `C Rᵀ` with `C = [a_i]`, `R = [s_i a_i]`,
/// blocks of [`HESSIAN_BLOCK`] terms, groups of blocks summed per task and
/// the groups' sums added in order (deterministic for any thread count).
fn rank_one_sum<T: Real>(terms: &[(&DVector<T>, T)], dim: usize) -> DMatrix<T> {
    let group = |chunk: &[(&DVector<T>, T)]| {
        let mut sum = DMatrix::zeros(dim, dim);
        for block in chunk.chunks(HESSIAN_BLOCK) {
            let columns = DMatrix::from_fn(dim, block.len(), |r, c| block[c].0[r]);
            let rows = DMatrix::from_fn(block.len(), dim, |r, c| block[r].1 * block[r].0[c]);
            sum.gemm(T::one(), &columns, &rows, T::one());
        }
        sum
    };
    let per_task = 8 * HESSIAN_BLOCK;
    #[cfg(feature = "parallel")]
    let partial: Vec<DMatrix<T>> = {
        use rayon::prelude::*;
        terms.par_chunks(per_task).map(group).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let partial: Vec<DMatrix<T>> = terms.chunks(per_task).map(group).collect();
    partial
        .into_iter()
        .fold(DMatrix::zeros(dim, dim), |s, p| s + p)
}

/// The parts of an [`Instance`], unvalidated (see [`Instance::into_parts`]).
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceParts<T: Real> {
    /// The clipping threshold.
    pub gamma: Threshold<T>,
    /// The start point.
    pub x0: DVector<T>,
    /// The components.
    pub components: Vec<Component<T>>,
    /// The note.
    pub note: Option<String>,
}

/// A validated finite-sum instance with threshold and start point.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance<T: Real> {
    gamma: Threshold<T>,
    x0: DVector<T>,
    components: Vec<Component<T>>,
    note: Option<String>,
}

impl<T: Real> Instance<T> {
    /// `f = (1/n) Σ_i components[i]` with threshold `gamma`, starting at
    /// `x0`. Refuses no components, a component whose dimension is not
    /// `x0`'s (naming it), and a non-finite `x0`.
    pub fn new(gamma: Threshold<T>, x0: DVector<T>, components: Vec<Component<T>>) -> Result<Self> {
        if components.is_empty() {
            return Err(Error::Empty {
                what: "components".into(),
            });
        }
        if x0.is_empty() {
            return Err(Error::InvalidField {
                field: "dim".into(),
                reason: "must be at least 1".into(),
            });
        }
        for (i, component) in components.iter().enumerate() {
            if let Component::Softmax { label, classes, .. } = component {
                check_softmax_classes(i, *label, *classes)?;
            }
            if component.dim() != x0.len() {
                return Err(Error::DimensionMismatch {
                    field: format!("components[{i}]"),
                    expected: x0.len(),
                    found: component.dim(),
                });
            }
        }
        ensure_finite_point(&x0)?;
        Ok(Self {
            gamma,
            x0,
            components,
            note: None,
        })
    }

    /// A pointwise instance: `n` linear components with the given gradients,
    /// `x0 = 0`. Refuses an empty list or vectors of different dimensions.
    pub fn from_gradients(gamma: Threshold<T>, gradients: Vec<DVector<T>>) -> Result<Self> {
        let dim = gradients
            .first()
            .map(|g| g.len())
            .ok_or_else(|| Error::Empty {
                what: "components".into(),
            })?;
        for (i, g) in gradients.iter().enumerate() {
            if g.len() != dim {
                return Err(Error::DimensionMismatch {
                    field: format!("components[{i}].c"),
                    expected: dim,
                    found: g.len(),
                });
            }
        }
        Self::new(
            gamma,
            DVector::zeros(dim),
            gradients
                .into_iter()
                .map(|c| Component::Linear { c })
                .collect(),
        )
    }

    /// The same instance with a free-text note (where it came from, what it
    /// shows).
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The same instance started at `x0` (refused unless finite and of
    /// dimension `dim`).
    pub fn with_x0(&self, x0: DVector<T>) -> Result<Self> {
        if x0.len() != self.dim() {
            return Err(Error::DimensionMismatch {
                field: "x0".into(),
                expected: self.dim(),
                found: x0.len(),
            });
        }
        ensure_finite_point(&x0)?;
        Ok(Self { x0, ..self.clone() })
    }

    /// The same instance with threshold `gamma`.
    pub fn with_gamma(&self, gamma: Threshold<T>) -> Self {
        Self {
            gamma,
            ..self.clone()
        }
    }

    /// The same components, threshold and note with `components` replaced
    /// (validated as in [`Instance::new`]).
    pub fn with_components(&self, components: Vec<Component<T>>) -> Result<Self> {
        let mut instance = Self::new(self.gamma, self.x0.clone(), components)?;
        instance.note = self.note.clone();
        Ok(instance)
    }

    /// The clipping threshold `γ`.
    pub fn gamma(&self) -> Threshold<T> {
        self.gamma
    }

    /// The start point `x0` (where pointwise statements are evaluated).
    pub fn x0(&self) -> &DVector<T> {
        &self.x0
    }

    /// The components `f_1, …, f_n` (at least one).
    pub fn components(&self) -> &[Component<T>] {
        &self.components
    }

    /// The note, if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The dimension `dim`.
    pub fn dim(&self) -> usize {
        self.x0.len()
    }

    /// The number of components `n`.
    pub fn n(&self) -> usize {
        self.components.len()
    }

    /// `f(x) = (1/n) Σ_i f_i(x)`.
    pub fn value(&self, x: &DVector<T>) -> T {
        let sum = self
            .components
            .iter()
            .fold(T::zero(), |s, c| s + c.value(x));
        sum / T::of(self.n() as f64)
    }

    /// `∇f(x) = (1/n) Σ_i ∇f_i(x)`.
    pub fn gradient(&self, x: &DVector<T>) -> DVector<T> {
        let sum = self
            .components
            .iter()
            .fold(DVector::zeros(x.len()), |s, c| s + c.gradient(x));
        sum / T::of(self.n() as f64)
    }

    /// `∇²f(x) = (1/n) Σ_i ∇²f_i(x)`; an error when a user-defined
    /// component has no Hessian.
    ///
    /// With at least [`HESSIAN_GEMM_MIN`] rank-one components (exponential,
    /// logistic: `∇²f_i = s_i a_i a_iᵀ`), those are summed as `A diag(s) Aᵀ`
    /// by blocked matrix products, spread over the cores in a fixed
    /// partition (the result does not depend on the thread count; it
    /// differs from the one-at-a-time sum only in the order of additions).
    /// Fewer are added one at a time, as before.
    pub fn hessian(&self, x: &DVector<T>) -> Result<DMatrix<T>> {
        let dim = x.len();
        let rank_one: Vec<(&DVector<T>, T)> = self
            .components
            .iter()
            .filter_map(|c| c.rank_one_hessian(x))
            .collect();
        let mut sum = if rank_one.len() >= HESSIAN_GEMM_MIN {
            rank_one_sum(&rank_one, dim)
        } else {
            DMatrix::zeros(dim, dim)
        };
        for c in &self.components {
            let summed = matches!(c, Component::Exp { .. } | Component::Logistic { .. });
            if rank_one.len() < HESSIAN_GEMM_MIN || !summed {
                c.add_hessian_to(x, &mut sum)?;
            }
        }
        Ok(sum / T::of(self.n() as f64))
    }

    /// The component gradients `∇f_i(x)` (refuses `x` of the wrong dimension).
    pub fn component_gradients(&self, x: &DVector<T>) -> Result<Vec<DVector<T>>> {
        if x.len() != self.dim() {
            return Err(Error::DimensionMismatch {
                field: "x".into(),
                expected: self.dim(),
                found: x.len(),
            });
        }
        Ok(self.components.iter().map(|c| c.gradient(x)).collect())
    }

    /// The instance taken apart, to be changed and rebuilt with
    /// [`Instance::from_parts`] (which validates again).
    pub fn into_parts(self) -> InstanceParts<T> {
        InstanceParts {
            gamma: self.gamma,
            x0: self.x0,
            components: self.components,
            note: self.note,
        }
    }

    /// Rebuilds an instance from its parts, validated as [`Instance::new`].
    pub fn from_parts(parts: InstanceParts<T>) -> Result<Self> {
        let instance = Self::new(parts.gamma, parts.x0, parts.components)?;
        Ok(match parts.note {
            Some(note) => instance.with_note(note),
            None => instance,
        })
    }

    /// The same instance in another float type (rounding to nearest).
    pub fn cast<U: Real>(&self) -> Result<Instance<U>> {
        Ok(Instance {
            gamma: Threshold::new(U::of(self.gamma.get().to_f64_lossless()))?,
            x0: self.x0.map(|e| U::of(e.to_f64_lossless())),
            components: self.components.iter().map(Component::cast).collect(),
            note: self.note.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked `gemm` sum of rank-one Hessians equals the one-at-a-time
    /// sum up to rounding (`n ≥ HESSIAN_GEMM_MIN` takes the blocked path).
    #[test]
    fn blocked_hessian_matches_the_sum_of_components() {
        let n = 3 * HESSIAN_BLOCK + 17;
        let dim = 5;
        let components: Vec<Component<f64>> = (0..n)
            .map(|i| {
                let a = DVector::from_fn(dim, |r, _| ((i * 7 + r * 3) % 11) as f64 / 5.0 - 1.0);
                if i % 3 == 0 {
                    Component::Exp { a, b: -0.5 }
                } else {
                    Component::Logistic {
                        a,
                        label: if i % 2 == 0 { 1.0 } else { -1.0 },
                    }
                }
            })
            .chain([Component::Linear {
                c: DVector::from_element(dim, 1.0),
            }])
            .collect();
        let instance = Instance::new(
            Threshold::new(1.0).unwrap(),
            DVector::from_element(dim, 0.1),
            components,
        )
        .unwrap();
        let x = DVector::from_fn(dim, |r, _| 0.3 - 0.1 * r as f64);
        let blocked = instance.hessian(&x).unwrap();
        let mut sum = DMatrix::zeros(dim, dim);
        for c in instance.components() {
            c.add_hessian_to(&x, &mut sum).unwrap();
        }
        let reference = sum / instance.n() as f64;
        let gap = (&blocked - &reference).abs().max();
        assert!(gap <= 1e-13 * reference.abs().max(), "gap {gap}");
        // Teeth: leaving one block out is far outside that tolerance.
        let mut partial = DMatrix::zeros(dim, dim);
        for c in &instance.components()[HESSIAN_BLOCK..] {
            c.add_hessian_to(&x, &mut partial).unwrap();
        }
        let wrong = partial / instance.n() as f64;
        assert!((&wrong - &reference).abs().max() > 1e-3 * reference.abs().max());
    }
}
