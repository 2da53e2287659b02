//! # cliptheory
//!
//! Machine checks for the theory of gradient clipping in incremental gradient
//! methods (Qian, Wu, Zhuang, Wang, Xiao, *Understanding Gradient Clipping in
//! Incremental Gradient Methods*, AISTATS 2021).
//!
//! Every lemma of the theory (`theorems/`, ids such as `CLIP-2`, `BIAS-2`,
//! `DESC-5`) is a [`Statement`](statements::Statement) in one
//! [registry](statements::registry): a signed, relative slack function over
//! instances, checked by property tests, by `cliptheory check`, by
//! `cliptheory replay` on saved instances, and by the explorer.
//!
//! ```
//! use cliptheory::{clipping::Threshold, direction::GradientSet};
//! use nalgebra::dvector;
//!
//! // DESC-5: three one-dimensional gradients whose clipped mean ascends.
//! let gamma = Threshold::new(1.0)?;
//! let set = GradientSet::new(vec![dvector![30.0_f64], dvector![-1.0], dvector![-1.0]], gamma)?;
//! assert!((set.mean()[0] - 28.0 / 3.0).abs() < 1e-12);
//! assert!((set.clipped_direction()[0] + 1.0 / 3.0).abs() < 1e-12);
//! let descent = set.descent().expect("g ≠ 0");
//! assert!(!descent.is_descent());
//! assert!(descent.rho < 0.0);
//! # Ok::<(), cliptheory::Error>(())
//! ```
//!
//! Which type to use:
//! - [`clipping`]: `clip_γ` and its validated threshold (CLIP-1..5);
//! - [`direction::GradientSet`]: component gradients at one point, with the
//!   clipped direction, its bias, `β`, `β₊`, angles and the descent
//!   quantities (BIAS-1..5, DESC-1..6);
//! - [`instance::Instance`]: finite sums read from and written to instance
//!   JSON v1;
//! - [`statements::Registry`]: the statements (built-in and your own) that
//!   [`report`] (`check`, `replay`) and the [`explorer`] read;
//! - [`objective::Objective`]: bring your own `f_i` to the engine and the
//!   statements;
//! - [`incremental`]: the clipped incremental gradient engine, and
//!   [`convergence`] for the IG bounds on its trace.
//!
//! The numeric core is generic over [`Real`] (`f32`, `f64`).

#![warn(missing_docs)]

// The layers, each using only those above it in this list (no cycles):
//
// numeric base: the scalar type, errors, special functions, randomness,
// progress reporting, comparisons with tolerances, the clipping operator.
pub mod clipping;
pub mod error;
pub mod files;
pub mod progress;
pub mod random;
pub mod real;
pub mod special;
pub mod tolerance;
// model: objectives, finite-sum instances and their file format, data.
pub mod data;
pub mod instance;
pub mod models;
pub mod npy;
pub mod objective;
// methods: the clipped direction, the incremental engine, batch statistics.
pub mod batch;
pub mod direction;
pub mod incremental;
// theory: certified smoothness, convergence bounds, case generators, the
// statement registry.
pub mod convergence;
pub mod generators;
pub mod smooth;
pub mod statements;
// tools: the explorer, the report data, machine proofs by SMT.
pub mod explorer;
#[cfg(feature = "smt")]
pub mod prove;
pub mod report;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
pub use real::Real;

/// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
