//! The configuration of a run: visiting order, step schedule, variant,
//! batch size and seed, validated at construction.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::real::Real;

/// The order in which an epoch visits the components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Clip each batch's mean gradient (the method the theory studies).
    Clipped,
    /// No clipping: plain incremental gradient.
    Unclipped,
    /// Clip the full gradient once per epoch: clipped gradient descent with step `a = nα`.
    FullClipped,
    /// Clip every example's gradient inside a batch (the DP-SGD form):
    /// `x ← x − α Σ_{i∈B} clip_γ(∇f_i(x))`, the same total weight `α|B|` per
    /// batch as [`Variant::Clipped`]; with `b = 1` the two coincide.
    PerExample,
}

/// A validated run configuration.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig<T> {
    pub(super) alpha: T,
    pub(super) epochs: usize,
    pub(super) batch: usize,
    pub(super) order: Order,
    pub(super) schedule: Schedule,
    pub(super) variant: Variant,
    pub(super) seed: u64,
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

    /// The number of epochs `K`.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// The batch size `b`.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The visiting order.
    pub fn visiting_order(&self) -> Order {
        self.order
    }

    /// The variant.
    pub fn clipping_variant(&self) -> Variant {
        self.variant
    }
}
