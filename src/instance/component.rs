//! The components of the finite sum: the kinds of the instance format
//! (linear, quadratic, exponential, logistic, softmax, separable with
//! one-dimensional atoms) and user-defined objectives, each with a value, a
//! gradient and a Hessian, generic over the float type.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::objective::{Custom, Objective};
use crate::real::{dot, dot_slices, Real};
use crate::special::{log_cosh, sigmoid, softmax_exponentials, softplus, SoftmaxSums};

/// A one-dimensional atom `φ(t)` of a separable component.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom<T> {
    /// `a t²/2`.
    Quadratic {
        /// Curvature `a`.
        a: T,
    },
    /// `e^{a t + b}`.
    Exp {
        /// Rate `a`.
        a: T,
        /// Offset `b`.
        b: T,
    },
    /// `log(1 + e^{a t})`.
    Logistic {
        /// Slope `a`.
        a: T,
    },
    /// `cosh(a t)`.
    Cosh {
        /// Rate `a`.
        a: T,
    },
    /// `log cosh(a t)`.
    LogCosh {
        /// Rate `a`.
        a: T,
    },
    /// `t⁴/4`.
    Quartic,
    /// `Σ_k w_k e^{a_k t}` with `w_k > 0`.
    ExpSum {
        /// Weights `w_k > 0`.
        w: Vec<T>,
        /// Rates `a_k`.
        a: Vec<T>,
    },
}

impl<T: Real> Atom<T> {
    /// `φ(t)`.
    pub fn value(&self, t: T) -> T {
        match self {
            Atom::Quadratic { a } => *a * t * t / T::of(2.0),
            Atom::Exp { a, b } => (*a * t + *b).exp(),
            Atom::Logistic { a } => softplus(*a * t),
            Atom::Cosh { a } => (*a * t).cosh(),
            Atom::LogCosh { a } => log_cosh(*a * t),
            Atom::Quartic => t.powi(4) / T::of(4.0),
            Atom::ExpSum { w, a } => w
                .iter()
                .zip(a)
                .fold(T::zero(), |s, (&wk, &ak)| s + wk * (ak * t).exp()),
        }
    }

    /// `φ'(t)`.
    pub fn derivative(&self, t: T) -> T {
        match self {
            Atom::Quadratic { a } => *a * t,
            Atom::Exp { a, b } => *a * (*a * t + *b).exp(),
            Atom::Logistic { a } => *a * sigmoid(*a * t),
            Atom::Cosh { a } => *a * (*a * t).sinh(),
            Atom::LogCosh { a } => *a * (*a * t).tanh(),
            Atom::Quartic => t.powi(3),
            Atom::ExpSum { w, a } => w
                .iter()
                .zip(a)
                .fold(T::zero(), |s, (&wk, &ak)| s + wk * ak * (ak * t).exp()),
        }
    }

    /// `φ''(t)`.
    pub fn second_derivative(&self, t: T) -> T {
        match self {
            Atom::Quadratic { a } => *a,
            Atom::Exp { a, b } => *a * *a * (*a * t + *b).exp(),
            Atom::Logistic { a } => {
                let s = sigmoid(*a * t);
                *a * *a * s * (T::one() - s)
            }
            Atom::Cosh { a } => *a * *a * (*a * t).cosh(),
            Atom::LogCosh { a } => {
                let th = (*a * t).tanh();
                *a * *a * (T::one() - th * th)
            }
            Atom::Quartic => T::of(3.0) * t * t,
            Atom::ExpSum { w, a } => w
                .iter()
                .zip(a)
                .fold(T::zero(), |s, (&wk, &ak)| s + wk * ak * ak * (ak * t).exp()),
        }
    }

    pub(crate) fn cast<U: Real>(&self) -> Atom<U> {
        let c = |x: &T| U::of(x.to_f64_lossless());
        match self {
            Atom::Quadratic { a } => Atom::Quadratic { a: c(a) },
            Atom::Exp { a, b } => Atom::Exp { a: c(a), b: c(b) },
            Atom::Logistic { a } => Atom::Logistic { a: c(a) },
            Atom::Cosh { a } => Atom::Cosh { a: c(a) },
            Atom::LogCosh { a } => Atom::LogCosh { a: c(a) },
            Atom::Quartic => Atom::Quartic,
            Atom::ExpSum { w, a } => Atom::ExpSum {
                w: w.iter().map(c).collect(),
                a: a.iter().map(c).collect(),
            },
        }
    }
}

/// `(ψ(φ_j, z_j))_j` with `z = R (x − shift)`: a derivative of every atom
/// of a separable component at its own coordinate.
fn along_atoms<T: Real>(
    rotation: &DMatrix<T>,
    shift: &DVector<T>,
    atoms: &[Atom<T>],
    x: &DVector<T>,
    derivative: fn(&Atom<T>, T) -> T,
) -> DVector<T> {
    let z = rotation * (x - shift);
    DVector::from_iterator(
        z.len(),
        atoms.iter().zip(z.iter()).map(|(a, &t)| derivative(a, t)),
    )
}

/// Refuses a softmax component `i` with fewer than 2 classes or a label
/// outside `0..classes` (the file reader and [`super::Instance::new`] both
/// ask, so a component built in code is held to the format's rules).
pub(crate) fn check_softmax_classes(i: usize, label: usize, classes: usize) -> Result<()> {
    if classes < 2 {
        return Err(Error::InvalidField {
            field: format!("components[{i}].classes"),
            reason: format!("a softmax needs at least 2 classes, got {classes}"),
        });
    }
    if label >= classes {
        return Err(Error::InvalidField {
            field: format!("components[{i}].label"),
            reason: format!("must be a class in 0..{classes}, got {label}"),
        });
    }
    Ok(())
}

/// The logits `z_c = ⟨W_c, a⟩` of a softmax component, `x = vec(W)`
/// row-major (the products summed by [`dot_slices`]).
pub(crate) fn softmax_logits<T: Real>(a: &[T], classes: usize, x: &[T]) -> Vec<T> {
    let mut z = vec![T::zero(); classes];
    write_softmax_logits(a, x, &mut z);
    z
}

/// [`softmax_logits`] into `logits` (`classes` entries), allocating nothing.
pub(crate) fn write_softmax_logits<T: Real>(a: &[T], x: &[T], logits: &mut [T]) {
    for (z, row) in logits.iter_mut().zip(x.chunks_exact(a.len().max(1))) {
        *z = dot_slices(a, row);
    }
}

/// `out = ∇f(x)` for a softmax component: block `c` of `out` is
/// `(p_c − [c = k]) a`, with `p_k − 1 = −(S − e_k)/S` from
/// [`SoftmaxSums::complement`] (no cancellation when `p_k ≈ 1`). `logits`
/// (`classes` entries) is scratch, so the engine's hot loop allocates
/// nothing; [`Component::gradient`] calls this too (the same bits).
pub(crate) fn softmax_gradient_into<T: Real>(
    a: &[T],
    label: usize,
    x: &[T],
    logits: &mut [T],
    out: &mut [T],
) {
    write_softmax_logits(a, x, logits);
    let sums = softmax_exponentials(logits);
    let total = sums.total();
    for (c, (&e, block)) in logits
        .iter()
        .zip(out.chunks_exact_mut(a.len().max(1)))
        .enumerate()
    {
        let coefficient = if c == label {
            -sums.complement(c, e) / total
        } else {
            e / total
        };
        for (o, &ak) in block.iter_mut().zip(a) {
            *o = coefficient * ak;
        }
    }
}

/// `diag(p) − p pᵀ` from the exponentials `e` and their sums: diagonal
/// `p_c (1 − p_c)` with `1 − p_c` from [`SoftmaxSums::complement`].
fn softmax_curvature<T: Real>(e: &[T], sums: &SoftmaxSums<T>) -> DMatrix<T> {
    let total = sums.total();
    let p: Vec<T> = e.iter().map(|&v| v / total).collect();
    DMatrix::from_fn(e.len(), e.len(), |r, c| {
        if r == c {
            p[r] * (sums.complement(r, e[r]) / total)
        } else {
            -(p[r] * p[c])
        }
    })
}

/// One component `f_i` of the finite sum.
#[derive(Clone, Debug, PartialEq)]
pub enum Component<T: Real> {
    /// `⟨c, x⟩`: a fixed gradient `c`.
    Linear {
        /// The gradient `c`.
        c: DVector<T>,
    },
    /// `½ xᵀ H x + ⟨linear, x⟩ + constant`, `H` symmetric.
    Quadratic {
        /// `H`.
        hessian: DMatrix<T>,
        /// The linear term.
        linear: DVector<T>,
        /// The constant.
        constant: T,
    },
    /// `exp(⟨a, x⟩ + b)`.
    Exp {
        /// Direction `a`.
        a: DVector<T>,
        /// Offset `b`.
        b: T,
    },
    /// `log(1 + exp(−label ⟨a, x⟩))`, `label ∈ {−1, +1}`.
    Logistic {
        /// Feature vector `a`.
        a: DVector<T>,
        /// `±1`.
        label: T,
    },
    /// Multinomial logistic regression (softmax cross-entropy):
    /// `log Σ_c e^{⟨W_c, a⟩} − ⟨W_label, a⟩`, with `x = vec(W)` row-major,
    /// `W` the `classes × p` weight matrix and `p = a.len()` (so `x` has
    /// `classes · p` entries, `W_c = x[c p .. (c + 1) p]`).
    Softmax {
        /// Feature vector `a` (`p` entries).
        a: DVector<T>,
        /// The class `k ∈ 0..classes`.
        label: usize,
        /// The number of classes `K ≥ 2`.
        classes: usize,
    },
    /// `Σ_j φ_j(z_j)` with `z = rotation (x − shift)`.
    Separable {
        /// Orthogonal `R`.
        rotation: DMatrix<T>,
        /// Shift.
        shift: DVector<T>,
        /// One atom per coordinate of `z`.
        atoms: Vec<Atom<T>>,
    },
    /// A user-defined objective (see [`crate::objective`]).
    Custom(Custom),
}

impl<T: Real> Component<T> {
    /// The dimension of `x`.
    pub fn dim(&self) -> usize {
        match self {
            Component::Linear { c } => c.len(),
            Component::Quadratic { hessian, .. } => hessian.nrows(),
            Component::Exp { a, .. } | Component::Logistic { a, .. } => a.len(),
            // Saturating: a count that overflows is refused as a dimension mismatch.
            Component::Softmax { a, classes, .. } => classes.saturating_mul(a.len()),
            Component::Separable { rotation, .. } => rotation.nrows(),
            Component::Custom(custom) => custom.get::<T>().dim(),
        }
    }

    /// `f_i(x)`.
    pub fn value(&self, x: &DVector<T>) -> T {
        match self {
            Component::Linear { c } => dot(c, x),
            Component::Quadratic {
                hessian,
                linear,
                constant,
            } => dot(x, &(hessian * x)) / T::of(2.0) + dot(linear, x) + *constant,
            Component::Exp { a, b } => (dot(a, x) + *b).exp(),
            Component::Logistic { a, label } => softplus(-*label * dot(a, x)),
            Component::Softmax { a, label, classes } => {
                let mut z = softmax_logits(a.as_slice(), *classes, x.as_slice());
                let label_logit = z[*label];
                softmax_exponentials(&mut z).cross_entropy(label_logit)
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                let z = rotation * (x - shift);
                atoms
                    .iter()
                    .zip(z.iter())
                    .fold(T::zero(), |s, (atom, &t)| s + atom.value(t))
            }
            Component::Custom(custom) => custom.get::<T>().value(x),
        }
    }

    /// `∇f_i(x)`.
    pub fn gradient(&self, x: &DVector<T>) -> DVector<T> {
        match self {
            Component::Linear { c } => c.clone(),
            Component::Quadratic {
                hessian, linear, ..
            } => hessian * x + linear,
            Component::Exp { a, b } => a * (dot(a, x) + *b).exp(),
            Component::Logistic { a, label } => {
                // d/dx log(1 + e^{−y⟨a,x⟩}) = −y σ(−y⟨a,x⟩) a
                a * (-*label * sigmoid(-*label * dot(a, x)))
            }
            Component::Softmax { a, label, classes } => {
                let mut logits = vec![T::zero(); *classes];
                let mut out = DVector::zeros(classes * a.len());
                softmax_gradient_into(
                    a.as_slice(),
                    *label,
                    x.as_slice(),
                    &mut logits,
                    out.as_mut_slice(),
                );
                out
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                let phi_prime = along_atoms(rotation, shift, atoms, x, Atom::derivative);
                rotation.transpose() * phi_prime
            }
            Component::Custom(custom) => custom.get::<T>().gradient(x),
        }
    }

    /// `∇²f_i(x)`: `0` (linear), `H` (quadratic), `e^{⟨a,x⟩+b} a aᵀ` (exp),
    /// `σ(1 − σ) a aᵀ` with `σ = σ(−label⟨a, x⟩)` (logistic),
    /// `(diag(p) − p pᵀ) ⊗ a aᵀ` with `p` the softmax of the logits (softmax), and
    /// `Rᵀ diag(φ_j''(z_j)) R` with `z = R(x − shift)` (separable), and a
    /// user-defined objective's own (an error when it has none).
    pub fn hessian(&self, x: &DVector<T>) -> Result<DMatrix<T>> {
        let outer = |a: &DVector<T>, s: T| a * a.transpose() * s;
        Ok(match self {
            Component::Linear { c } => DMatrix::zeros(c.len(), c.len()),
            Component::Quadratic { hessian, .. } => hessian.clone(),
            Component::Exp { a, b } => outer(a, (dot(a, x) + *b).exp()),
            Component::Logistic { a, label } => {
                let s = sigmoid(-*label * dot(a, x));
                outer(a, s * (T::one() - s))
            }
            Component::Softmax { a, classes, .. } => {
                let mut e = softmax_logits(a.as_slice(), *classes, x.as_slice());
                let sums = softmax_exponentials(&mut e);
                softmax_curvature(&e, &sums).kronecker(&(a * a.transpose()))
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                let curvature = along_atoms(rotation, shift, atoms, x, Atom::second_derivative);
                rotation.transpose() * DMatrix::from_diagonal(&curvature) * rotation
            }
            Component::Custom(custom) => {
                custom
                    .get::<T>()
                    .hessian(x)
                    .ok_or_else(|| Error::InvalidField {
                        field: custom.name().to_string(),
                        reason: "this user-defined objective provides no Hessian".into(),
                    })?
            }
        })
    }

    /// `(a, s)` with `∇²f_i(x) = s a aᵀ` for the rank-one kinds:
    /// `s = e^{⟨a,x⟩+b}` (exp), `s = σ(1 − σ)`, `σ = σ(−label⟨a, x⟩)`
    /// (logistic); `None` for the others.
    pub fn rank_one_hessian(&self, x: &DVector<T>) -> Option<(&DVector<T>, T)> {
        match self {
            Component::Exp { a, b } => Some((a, (dot(a, x) + *b).exp())),
            Component::Logistic { a, label } => {
                let s = sigmoid(-*label * dot(a, x));
                Some((a, s * (T::one() - s)))
            }
            _ => None,
        }
    }

    /// `out += ∇²f_i(x)`, without allocating for the rank-one kinds
    /// (exp, logistic: one `ger` update) and the linear kind (nothing).
    pub fn add_hessian_to(&self, x: &DVector<T>, out: &mut DMatrix<T>) -> Result<()> {
        match self {
            Component::Linear { .. } => {}
            Component::Exp { a, b } => out.ger((dot(a, x) + *b).exp(), a, a, T::one()),
            Component::Logistic { a, label } => {
                let s = sigmoid(-*label * dot(a, x));
                out.ger(s * (T::one() - s), a, a, T::one());
            }
            other => *out += other.hessian(x)?,
        }
        Ok(())
    }

    pub(crate) fn cast<U: Real>(&self) -> Component<U> {
        let s = |x: &T| U::of(x.to_f64_lossless());
        let v = |x: &DVector<T>| x.map(|e| U::of(e.to_f64_lossless()));
        let m = |x: &DMatrix<T>| x.map(|e| U::of(e.to_f64_lossless()));
        match self {
            Component::Linear { c } => Component::Linear { c: v(c) },
            Component::Quadratic {
                hessian,
                linear,
                constant,
            } => Component::Quadratic {
                hessian: m(hessian),
                linear: v(linear),
                constant: s(constant),
            },
            Component::Exp { a, b } => Component::Exp { a: v(a), b: s(b) },
            Component::Logistic { a, label } => Component::Logistic {
                a: v(a),
                label: s(label),
            },
            Component::Softmax { a, label, classes } => Component::Softmax {
                a: v(a),
                label: *label,
                classes: *classes,
            },
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => Component::Separable {
                rotation: m(rotation),
                shift: v(shift),
                atoms: atoms.iter().map(Atom::cast).collect(),
            },
            Component::Custom(custom) => Component::Custom(custom.clone()),
        }
    }
}

impl<T: Real> Objective<T> for Component<T> {
    fn dim(&self) -> usize {
        Component::dim(self)
    }
    fn value(&self, x: &DVector<T>) -> T {
        Component::value(self, x)
    }
    fn gradient(&self, x: &DVector<T>) -> DVector<T> {
        Component::gradient(self, x)
    }
    fn hessian(&self, x: &DVector<T>) -> Option<DMatrix<T>> {
        Component::hessian(self, x).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The class checks name the field at fault; a valid pair passes
    /// (the file reader's messages come from here too).
    #[test]
    fn softmax_class_checks_name_the_field() {
        assert!(check_softmax_classes(3, 1, 2).is_ok());
        assert!(check_softmax_classes(3, 0, 2).is_ok());
        let field = |label, classes| match check_softmax_classes(3, label, classes) {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(field(0, 1), "components[3].classes");
        assert_eq!(field(0, 0), "components[3].classes");
        assert_eq!(field(2, 2), "components[3].label");
        assert_eq!(field(7, 3), "components[3].label");
    }

    /// A confident correct prediction keeps its small loss and gradient
    /// (`1 − p_k ≈ e^{−40}`, which `1 − p_k` computed directly rounds to
    /// 0), and a confident wrong one its large loss, without overflow.
    #[test]
    fn softmax_confident_predictions_keep_their_digits() {
        let component = Component::Softmax {
            a: DVector::from_vec(vec![1.0]),
            label: 0,
            classes: 2,
        };
        let small = (-40.0f64).exp();
        let x = DVector::from_vec(vec![40.0, 0.0]);
        let exact = small / (1.0 + small);
        assert!((component.value(&x) - small.ln_1p()).abs() <= 1e-15 * small);
        let g = component.gradient(&x);
        assert!((g[0] + exact).abs() <= 1e-15 * exact, "{g}");
        assert!((g[1] - exact).abs() <= 1e-15 * exact, "{g}");
        let wrong = DVector::from_vec(vec![-800.0, 800.0]);
        assert!((component.value(&wrong) - 1600.0).abs() <= 1e-12);
        assert_eq!(
            component.gradient(&wrong),
            DVector::from_vec(vec![-1.0, 1.0])
        );
    }
}
