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
//! - [`config`]: the validated [`RunConfig`];
//! - [`engine`]: the compiled instance and [`run`] / [`run_observed`]
//!   (an observer per epoch: progress, early stopping of a caller's view);
//! - [`trace`]: what each epoch records, and the slow reference epoch;
//! - `beside`: the trace's pass on a helper thread while the epoch runs.
//!
//! The IG-3..IG-5 bounds on a trace are theory, in `crate::convergence`.

mod beside;
pub mod config;
pub mod engine;
pub mod trace;

pub use config::{Order, RunConfig, Schedule, Variant};
pub use engine::{compare_variants, run, run_observed, Engine, VariantRuns};
pub use trace::{reference_epoch, values, EpochRecord, FinalPoint, Trace};
