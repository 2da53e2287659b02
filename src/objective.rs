//! Objectives: what a component `f_i` of a finite sum must provide for the
//! incremental engine, the statements and (where a rule applies) the
//! certificates to use it: a value, a gradient and, optionally, a Hessian
//! or Hessian-vector product.
//!
//! The kinds of the instance file format ([`Component`](crate::instance::Component))
//! implement [`Objective`]; a user's own `f_i` (a Huber loss, a small
//! network's per-example loss) implements it once, generically over the
//! float type, and enters an instance as [`Custom`]:
//!
//! ```
//! use cliptheory::objective::{Custom, Objective};
//! use cliptheory::{clipping::Threshold, instance::{Component, Instance}, Real};
//! use nalgebra::{dvector, DVector};
//!
//! /// `f(x) = ‖x − c‖²/2`.
//! #[derive(Debug)]
//! struct Squared(Vec<f64>);
//!
//! impl<T: Real> Objective<T> for Squared {
//!     fn dim(&self) -> usize { self.0.len() }
//!     fn value(&self, x: &DVector<T>) -> T {
//!         x.iter().zip(&self.0).fold(T::zero(), |s, (&xi, &c)| s + (xi - T::of(c)).powi(2)) / T::of(2.0)
//!     }
//!     fn gradient(&self, x: &DVector<T>) -> DVector<T> {
//!         DVector::from_iterator(x.len(), x.iter().zip(&self.0).map(|(&xi, &c)| xi - T::of(c)))
//!     }
//! }
//!
//! let instance = Instance::new(
//!     Threshold::new(1.0)?,
//!     dvector![0.0, 0.0],
//!     vec![Component::Custom(Custom::new("squared", Squared(vec![1.0, 2.0])))],
//! )?;
//! assert_eq!(instance.gradient(instance.x0()), dvector![-1.0, -2.0]);
//! # Ok::<(), cliptheory::Error>(())
//! ```

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use crate::real::Real;

/// A twice differentiable `f: R^dim → R` in the float type `T`.
///
/// Implement it generically (`impl<T: Real> Objective<T> for MyLoss`) so
/// that statements can evaluate it in both `f32` and `f64`.
pub trait Objective<T: Real>: Send + Sync + Debug {
    /// The dimension of `x`.
    fn dim(&self) -> usize;

    /// `f(x)`.
    fn value(&self, x: &DVector<T>) -> T;

    /// `∇f(x)`.
    fn gradient(&self, x: &DVector<T>) -> DVector<T>;

    /// `∇²f(x)`, when known (statements about curvature need it; `None`
    /// makes them not applicable).
    fn hessian(&self, x: &DVector<T>) -> Option<DMatrix<T>> {
        let _ = x;
        None
    }

    /// `∇²f(x) v`, when known (defaults to [`Objective::hessian`] times `v`).
    fn hessian_vector(&self, x: &DVector<T>, v: &DVector<T>) -> Option<DVector<T>> {
        self.hessian(x).map(|h| h * v)
    }
}

/// A user-defined component: one objective, usable in `f32` and `f64`.
#[derive(Clone)]
pub struct Custom {
    name: String,
    in_f64: Arc<dyn Objective<f64>>,
    in_f32: Arc<dyn Objective<f32>>,
}

impl Custom {
    /// Wraps `objective` under a short `name` (shown in reports).
    pub fn new<O>(name: impl Into<String>, objective: O) -> Self
    where
        O: Objective<f64> + Objective<f32> + 'static,
    {
        let shared = Arc::new(objective);
        Self {
            name: name.into(),
            in_f64: shared.clone(),
            in_f32: shared,
        }
    }

    /// The objective in the float type `T`.
    pub fn get<T: Real>(&self) -> &dyn Objective<T> {
        let in_f64: &dyn Any = &self.in_f64;
        let in_f32: &dyn Any = &self.in_f32;
        match (
            in_f64.downcast_ref::<Arc<dyn Objective<T>>>(),
            in_f32.downcast_ref::<Arc<dyn Objective<T>>>(),
        ) {
            (Some(objective), _) | (None, Some(objective)) => objective.as_ref(),
            // `Real` is implemented for f32 and f64 only.
            (None, None) => unreachable!("Real is f32 or f64"),
        }
    }

    /// The name and the objective's `Debug` form.
    pub fn describe(&self) -> String {
        format!("{}: {:?}", self.name, self.in_f64)
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Debug for Custom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Custom")
            .field("name", &self.name)
            .field("objective", &self.in_f64)
            .finish()
    }
}

impl PartialEq for Custom {
    /// The same objective (by identity).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.in_f64, &other.in_f64)
    }
}
