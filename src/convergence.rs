//! Convergence of clipped incremental gradient under `(L0, L1)` relaxed
//! smoothness: the certified constants and the per-epoch bounds of IG-3's
//! corollary, IG-4 (the one-epoch inequality) and IG-5 (the decrease under
//! CDC(ρ)), computed from one epoch's quantities, for a run's trace
//! ([`trace_slacks`]) and for the registry's evaluators alike
//! (`theorems/IG.md`).

use serde::Serialize;

use crate::error::Result;
use crate::incremental::{EpochRecord, Trace, Variant};
use crate::instance::Instance;
use crate::real::Real;
use crate::smooth::certificate::{certify, Pair};
use crate::special::phi2;
use crate::tolerance::STRENGTHEN_INEQUALITY;

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

    /// Constants the caller proved (for user-defined objectives, which no
    /// rule here certifies): `f`'s pair and one pair valid for every
    /// component. The IG slacks computed with them are as sound as that
    /// proof. Refuses negative or non-finite constants.
    pub fn declared(f: Pair, components: Pair) -> Result<Self> {
        for (name, value) in [
            ("f.L0", f.l0),
            ("f.L1", f.l1),
            ("components.L0", components.l0),
            ("components.L1", components.l1),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(crate::error::Error::InvalidField {
                    field: name.into(),
                    reason: format!("a smoothness constant must be finite and ≥ 0, got {value}"),
                });
            }
        }
        Ok(Self { f, components })
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

    /// IG-3's corollary: `‖e_k‖ ≤ C_e αγ n(n − 1)/2`, scaled by the bound.
    pub fn ig_3(&self, constants: &Constants) -> Inequality {
        let c = constants.clipped_lipschitz(self.gamma);
        let bound = c * self.alpha * self.gamma * self.n * (self.n - 1.0) / 2.0;
        Inequality {
            lhs: self.e_norm,
            rhs: bound,
            scale: bound,
        }
    }

    /// IG-4: `f(x_{k+1}) ≤ f(x_k) − a⟨∇f, d⟩ + α G ‖e_k‖ + (L0 + L1 G) R² φ₂(L1 R)`
    /// with `f`'s certified pair; the scale adds `f_magnitude` to the sizes
    /// of the terms.
    pub fn ig_4(&self, constants: &Constants) -> Inequality {
        let Pair { l0, l1 } = constants.f;
        let a = self.n * self.alpha;
        let g = self.grad_norm;
        let descent = a * self.d_dot_g;
        let error = self.alpha * g * self.e_norm;
        let curvature = (l0 + l1 * g) * self.travel * self.travel * phi2(l1 * self.travel);
        let rhs = self.f - descent + error + curvature;
        let scale = self.f_rounding_scale(constants) + descent.abs() + error + curvature;
        Inequality {
            lhs: self.f_next,
            rhs,
            scale,
        }
    }

    /// IG-5 at one epoch with CDC constant `ρ` (hypotheses not checked here):
    /// `Δ = f(x_k) − f(x_{k+1})` against
    /// - the inequality before the regime split,
    ///   `aρ min(G, γ) G − (a²γ/2) C_e G (n − 1)/n − (L0 + L1 G) K_1 a²γ²/2`, and
    /// - the stated one, `(aρ/2) min(G, γ) G − a²γ² D`, `D = a C_e²/(8ρ) + K_1 C_e/2`;
    ///
    /// with the common pair.
    pub fn ig_5(&self, constants: &Constants, rho: f64) -> Ig5Bounds {
        let Pair { l0, l1 } = constants.common();
        let (a, g, gamma) = (self.n * self.alpha, self.grad_norm, self.gamma);
        let c_e = l0 + l1 * gamma;
        let m = g.min(gamma);
        let drift = a * a * gamma / 2.0 * c_e * g * (self.n - 1.0) / self.n;
        let curvature = (l0 + l1 * g) * K_1 * a * a * gamma * gamma / 2.0;
        let before = a * rho * m * g - drift - curvature;
        let big_d = a * c_e * c_e / (8.0 * rho) + K_1 * c_e / 2.0;
        let stated = a * rho / 2.0 * m * g - a * a * gamma * gamma * big_d;
        let stated_unhalved =
            (1.0 + STRENGTHEN_INEQUALITY) * a * rho * m * g - a * a * gamma * gamma * big_d;
        let scale = self.f_rounding_scale(constants) + a * rho * m * g + drift + curvature;
        Ig5Bounds {
            decrease: self.f - self.f_next,
            before_split: before,
            stated,
            stated_unhalved,
            scale,
        }
    }
}

/// One inequality `lhs ≤ rhs` with the magnitude `scale` both sides are
/// computed from (all `f64`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inequality {
    /// The left side.
    pub lhs: f64,
    /// The right side (the bound).
    pub rhs: f64,
    /// The size of the numbers both sides are computed from.
    pub scale: f64,
}

impl Inequality {
    /// `(rhs − lhs)/scale` (negative = violated); `scale = 0` counts as the
    /// smallest positive number.
    pub fn slack(&self) -> f64 {
        (self.rhs - self.lhs) / self.scale.max(f64::MIN_POSITIVE)
    }
}

/// IG-5 at one epoch: the decrease `Δ = f(x_k) − f(x_{k+1})` must be at
/// least both lower bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ig5Bounds {
    /// `Δ = f(x_k) − f(x_{k+1})`.
    pub decrease: f64,
    /// The lower bound before the regime split.
    pub before_split: f64,
    /// The stated lower bound `(aρ/2) min(G, γ) G − a²γ² D`.
    pub stated: f64,
    /// The wrong variant that keeps the whole leading term, 10% up:
    /// `1.1 aρ min(G, γ) G − a²γ² D` (the proof halves it; IG-5's falsifier).
    pub stated_unhalved: f64,
    /// The size of the numbers `Δ` and the bounds are computed from.
    pub scale: f64,
}

impl EpochBounds {
    /// The bounds of epoch `record` of a run with `n` components and
    /// threshold `gamma`, `next` the state after it: `(f(x_{k+1}),
    /// (1/n) Σ m_i(x_{k+1}))` (the next record's, or the final point's).
    pub fn from_record(record: &EpochRecord, n: usize, gamma: f64, next: (f64, f64)) -> Self {
        Self {
            n: n as f64,
            alpha: record.alpha,
            gamma,
            f: record.f,
            f_next: next.0,
            f_magnitude: record.f_magnitude + next.1,
            grad_norm: record.grad_norm,
            d_dot_g: record.d_dot_g,
            e_norm: record.e_norm,
            travel: record.travel,
            x_norm: record.x_norm,
            mean_component_norm: record.mean_component_norm,
        }
    }
}

/// The IG slacks of one epoch (relative, negative = violated); `None` where
/// the statement's hypotheses do not apply at that epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct IgSlacks {
    /// IG-3's corollary: `(C_e αγ n(n − 1)/2 − ‖e_k‖)/(C_e αγ n(n − 1)/2)`.
    pub ig_3: Option<f64>,
    /// IG-4: `(rhs − f(x_{k+1}))/scale`.
    pub ig_4: Option<f64>,
    /// IG-5's stated per-epoch inequality at `ρ = min(1, ρ*_k)`:
    /// `(Δ − rhs)/scale`; `None` where its hypotheses fail at this epoch
    /// (`ρ*_k ≤ 0`, `L1 a γ > 1` or `a(1 + K_1) C_e > ρ`).
    pub ig_5: Option<f64>,
}

/// The IG-3, IG-4 and IG-5 slacks of every recorded epoch of `trace` with
/// certified `constants`. The statements cover the clipped variant with
/// `b = 1` only; for other runs every slack is `None`.
pub fn trace_slacks(trace: &Trace, constants: &Constants) -> Vec<IgSlacks> {
    // With b = 1 per-example clipping is the same method.
    let applies =
        matches!(trace.variant, Variant::Clipped | Variant::PerExample) && trace.batch == 1;
    trace
        .epochs
        .iter()
        .enumerate()
        .map(|(k, record)| {
            if !applies {
                return IgSlacks::default();
            }
            let next = trace
                .epochs
                .get(k + 1)
                .map_or((trace.final_point.f, trace.final_point.f_magnitude), |r| {
                    (r.f, r.f_magnitude)
                });
            let bounds = EpochBounds::from_record(record, trace.n, trace.gamma, next);
            let ig_3 = bounds.ig_3(constants);
            let ig_3 = if ig_3.rhs > 0.0 {
                ig_3.slack()
            } else if ig_3.lhs == 0.0 {
                0.0
            } else {
                f64::NEG_INFINITY
            };
            let ig_4 = bounds.ig_4(constants).slack();
            let rho = record.rho.min(1.0);
            let a = bounds.n * bounds.alpha;
            let ig_5 = constants.ig_5_steps_hold(a, bounds.gamma, rho).then(|| {
                let ig_5 = bounds.ig_5(constants, rho);
                (ig_5.decrease - ig_5.stated) / ig_5.scale.max(f64::MIN_POSITIVE)
            });
            IgSlacks {
                ig_3: Some(ig_3),
                ig_4: Some(ig_4),
                ig_5,
            }
        })
        .collect()
}
