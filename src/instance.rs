//! Finite-sum instances and the instance JSON format, version 1.
//!
//! An [`Instance`] is `f(x) = (1/n) Σ_i f_i(x)` over `R^dim` with a clipping
//! threshold `γ` and a start point `x0`. It is read from and written to the
//! interchange format `cliptheory.instance.v1` (see `docs/instance-format.md`):
//! parsing is strict about what the format fixes (finite numbers, matching
//! dimensions, `γ > 0`, orthogonal rotations, positive weights, labels `±1`,
//! at least one component) and names the offending field in the error.
//! Unknown fields are ignored, since the format grows by optional fields.
//!
//! Every component kind has a value and a gradient here, generic over the
//! float type; the pointwise lemmas (CLIP, BIAS, DESC) only need gradients at
//! `x0`.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::clipping::Threshold;
use crate::direction::GradientSet;
use crate::error::{ensure_finite, ensure_gamma, Error, Result};
use crate::real::{dot, Real};

/// The value of the `format` field of an instance file.
pub const INSTANCE_FORMAT: &str = "cliptheory.instance.v1";

/// Tolerance on `‖RᵀR − I‖_max` when a rotation is checked on load.
pub const ROTATION_TOLERANCE: f64 = 1e-9;

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

/// `log(1 + e^z)` without overflow: `max(z, 0) + log(1 + e^{−|z|})`.
fn softplus<T: Real>(z: T) -> T {
    z.max(T::zero()) + (-z.abs()).exp().ln_1p()
}

/// The logistic function `σ(z) = 1/(1 + e^{−z})`, stable for either sign.
fn sigmoid<T: Real>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}

/// `log cosh(z) = |z| + log(1 + e^{−2|z|}) − log 2`, without overflow.
fn log_cosh<T: Real>(z: T) -> T {
    let m = z.abs();
    m + (-(m + m)).exp().ln_1p() - T::of(std::f64::consts::LN_2)
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

    fn cast<U: Real>(&self) -> Atom<U> {
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
    /// `Σ_j φ_j(z_j)` with `z = rotation (x − shift)`.
    Separable {
        /// Orthogonal `R`.
        rotation: DMatrix<T>,
        /// Shift.
        shift: DVector<T>,
        /// One atom per coordinate of `z`.
        atoms: Vec<Atom<T>>,
    },
}

impl<T: Real> Component<T> {
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
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                let phi_prime = along_atoms(rotation, shift, atoms, x, Atom::derivative);
                rotation.transpose() * phi_prime
            }
        }
    }

    /// `∇²f_i(x)`: `0` (linear), `H` (quadratic), `e^{⟨a,x⟩+b} a aᵀ` (exp),
    /// `σ(1 − σ) a aᵀ` with `σ = σ(−label⟨a, x⟩)` (logistic), and
    /// `Rᵀ diag(φ_j''(z_j)) R` with `z = R(x − shift)` (separable).
    pub fn hessian(&self, x: &DVector<T>) -> DMatrix<T> {
        let outer = |a: &DVector<T>, s: T| a * a.transpose() * s;
        match self {
            Component::Linear { c } => DMatrix::zeros(c.len(), c.len()),
            Component::Quadratic { hessian, .. } => hessian.clone(),
            Component::Exp { a, b } => outer(a, (dot(a, x) + *b).exp()),
            Component::Logistic { a, label } => {
                let s = sigmoid(-*label * dot(a, x));
                outer(a, s * (T::one() - s))
            }
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => {
                let curvature = along_atoms(rotation, shift, atoms, x, Atom::second_derivative);
                rotation.transpose() * DMatrix::from_diagonal(&curvature) * rotation
            }
        }
    }

    fn cast<U: Real>(&self) -> Component<U> {
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
            Component::Separable {
                rotation,
                shift,
                atoms,
            } => Component::Separable {
                rotation: m(rotation),
                shift: v(shift),
                atoms: atoms.iter().map(Atom::cast).collect(),
            },
        }
    }
}

/// A validated finite-sum instance with threshold and start point.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance<T: Real> {
    /// The clipping threshold.
    pub gamma: Threshold<T>,
    /// Start point (the point where pointwise statements are evaluated).
    pub x0: DVector<T>,
    /// The components `f_1, …, f_n` (at least one).
    pub components: Vec<Component<T>>,
    /// Free text: where the instance came from, what it shows.
    pub note: Option<String>,
}

impl<T: Real> Instance<T> {
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
        Ok(Self {
            gamma,
            x0: DVector::zeros(dim),
            components: gradients
                .into_iter()
                .map(|c| Component::Linear { c })
                .collect(),
            note: None,
        })
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

    /// `∇²f(x) = (1/n) Σ_i ∇²f_i(x)`.
    pub fn hessian(&self, x: &DVector<T>) -> DMatrix<T> {
        let sum = self
            .components
            .iter()
            .fold(DMatrix::zeros(x.len(), x.len()), |s, c| s + c.hessian(x));
        sum / T::of(self.n() as f64)
    }

    /// The component gradients `∇f_i(x)`, validated as a [`GradientSet`]
    /// (so an overflow to `∞` at `x` is an error, not a NaN later).
    pub fn gradients_at(&self, x: &DVector<T>) -> Result<GradientSet<T>> {
        if x.len() != self.dim() {
            return Err(Error::DimensionMismatch {
                field: "x".into(),
                expected: self.dim(),
                found: x.len(),
            });
        }
        GradientSet::new(
            self.components.iter().map(|c| c.gradient(x)).collect(),
            self.gamma,
        )
    }

    /// The component gradients at the start point `x0`.
    pub fn gradients_at_start(&self) -> Result<GradientSet<T>> {
        self.gradients_at(&self.x0)
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

// ---------------------------------------------------------------------------
// The file model: plain serde structs, then validation into `Instance<f64>`.

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(tag = "atom", rename_all = "lowercase")]
enum AtomFile {
    Quadratic { a: f64 },
    Exp { a: f64, b: f64 },
    Logistic { a: f64 },
    Cosh { a: f64 },
    Logcosh { a: f64 },
    Quartic,
    Expsum { w: Vec<f64>, a: Vec<f64> },
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum ComponentFile {
    Linear {
        c: Vec<f64>,
    },
    Quadratic {
        hessian: Vec<Vec<f64>>,
        linear: Vec<f64>,
        constant: f64,
    },
    Exp {
        a: Vec<f64>,
        b: f64,
    },
    Logistic {
        a: Vec<f64>,
        label: f64,
    },
    Separable {
        rotation: Vec<Vec<f64>>,
        shift: Vec<f64>,
        // Parsed one by one, so that an error names `atoms[j]` and its field.
        atoms: Vec<serde_json::Value>,
    },
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct InstanceFile {
    format: String,
    dim: usize,
    gamma: f64,
    x0: Vec<f64>,
    // Parsed one by one, so that an error names `components[i]` and its field.
    components: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Deserialises `value`, naming `field` and the path inside it on error.
fn parse_part<T: serde::de::DeserializeOwned>(field: &str, value: &serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let at = if inner == "." {
            field.to_string()
        } else {
            format!("{field}.{inner}")
        };
        Error::InvalidField {
            field: at,
            reason: e.inner().to_string(),
        }
    })
}

fn vector(field: &str, values: &[f64], dim: usize) -> Result<DVector<f64>> {
    if values.len() != dim {
        return Err(Error::DimensionMismatch {
            field: field.into(),
            expected: dim,
            found: values.len(),
        });
    }
    for (k, &x) in values.iter().enumerate() {
        ensure_finite(|| format!("{field}[{k}]"), x)?;
    }
    Ok(DVector::from_column_slice(values))
}

fn matrix(field: &str, rows: &[Vec<f64>], dim: usize) -> Result<DMatrix<f64>> {
    if rows.len() != dim {
        return Err(Error::DimensionMismatch {
            field: field.into(),
            expected: dim,
            found: rows.len(),
        });
    }
    for (r, row) in rows.iter().enumerate() {
        vector(&format!("{field}[{r}]"), row, dim)?;
    }
    Ok(DMatrix::from_fn(dim, dim, |r, c| rows[r][c]))
}

fn scalar(field: impl Fn() -> String, x: f64) -> Result<f64> {
    ensure_finite(field, x)?;
    Ok(x)
}

fn atom_from_file(field: &str, atom: &serde_json::Value) -> Result<Atom<f64>> {
    let atom: AtomFile = parse_part(field, atom)?;
    let atom = &atom;
    let f = |name: &'static str| move || format!("{field}.{name}");
    Ok(match atom {
        AtomFile::Quadratic { a } => Atom::Quadratic {
            a: scalar(f("a"), *a)?,
        },
        AtomFile::Exp { a, b } => Atom::Exp {
            a: scalar(f("a"), *a)?,
            b: scalar(f("b"), *b)?,
        },
        AtomFile::Logistic { a } => Atom::Logistic {
            a: scalar(f("a"), *a)?,
        },
        AtomFile::Cosh { a } => Atom::Cosh {
            a: scalar(f("a"), *a)?,
        },
        AtomFile::Logcosh { a } => Atom::LogCosh {
            a: scalar(f("a"), *a)?,
        },
        AtomFile::Quartic => Atom::Quartic,
        AtomFile::Expsum { w, a } => {
            if w.is_empty() {
                return Err(Error::Empty {
                    what: format!("{field}.w"),
                });
            }
            if w.len() != a.len() {
                return Err(Error::DimensionMismatch {
                    field: format!("{field}.a"),
                    expected: w.len(),
                    found: a.len(),
                });
            }
            for (k, &wk) in w.iter().enumerate() {
                ensure_finite(|| format!("{field}.w[{k}]"), wk)?;
                if wk <= 0.0 {
                    return Err(Error::InvalidField {
                        field: format!("{field}.w[{k}]"),
                        reason: format!("weights must be > 0, got {wk}"),
                    });
                }
            }
            for (k, &ak) in a.iter().enumerate() {
                ensure_finite(|| format!("{field}.a[{k}]"), ak)?;
            }
            Atom::ExpSum {
                w: w.clone(),
                a: a.clone(),
            }
        }
    })
}

fn component_from_file(i: usize, dim: usize, value: &serde_json::Value) -> Result<Component<f64>> {
    let file: ComponentFile = parse_part(&format!("components[{i}]"), value)?;
    let file = &file;
    let field = |name: &str| format!("components[{i}].{name}");
    Ok(match file {
        ComponentFile::Linear { c } => Component::Linear {
            c: vector(&field("c"), c, dim)?,
        },
        ComponentFile::Quadratic {
            hessian,
            linear,
            constant,
        } => {
            let h = matrix(&field("hessian"), hessian, dim)?;
            for r in 0..dim {
                for c in (r + 1)..dim {
                    let (a, b) = (h[(r, c)], h[(c, r)]);
                    if (a - b).abs() > ROTATION_TOLERANCE * (1.0 + a.abs().max(b.abs())) {
                        return Err(Error::InvalidField {
                            field: field("hessian"),
                            reason: format!(
                                "must be symmetric: entry ({r},{c}) = {a} but ({c},{r}) = {b}"
                            ),
                        });
                    }
                }
            }
            Component::Quadratic {
                hessian: &h * 0.5 + h.transpose() * 0.5,
                linear: vector(&field("linear"), linear, dim)?,
                constant: scalar(|| field("constant"), *constant)?,
            }
        }
        ComponentFile::Exp { a, b } => Component::Exp {
            a: vector(&field("a"), a, dim)?,
            b: scalar(|| field("b"), *b)?,
        },
        ComponentFile::Logistic { a, label } => {
            if *label != 1.0 && *label != -1.0 {
                return Err(Error::InvalidField {
                    field: field("label"),
                    reason: format!("must be -1 or +1, got {label}"),
                });
            }
            Component::Logistic {
                a: vector(&field("a"), a, dim)?,
                label: *label,
            }
        }
        ComponentFile::Separable {
            rotation,
            shift,
            atoms,
        } => {
            let r = matrix(&field("rotation"), rotation, dim)?;
            let defect = (r.transpose() * &r - DMatrix::identity(dim, dim)).amax();
            if defect > ROTATION_TOLERANCE {
                return Err(Error::InvalidField {
                    field: field("rotation"),
                    reason: format!(
                        "must be orthogonal: max |RᵀR − I| = {defect:e} exceeds {ROTATION_TOLERANCE:e}"
                    ),
                });
            }
            if atoms.len() != dim {
                return Err(Error::DimensionMismatch {
                    field: field("atoms"),
                    expected: dim,
                    found: atoms.len(),
                });
            }
            Component::Separable {
                rotation: r,
                shift: vector(&field("shift"), shift, dim)?,
                atoms: atoms
                    .iter()
                    .enumerate()
                    .map(|(j, a)| atom_from_file(&field(&format!("atoms[{j}]")), a))
                    .collect::<Result<_>>()?,
            }
        }
    })
}

fn atom_to_file(atom: &Atom<f64>) -> AtomFile {
    match atom {
        Atom::Quadratic { a } => AtomFile::Quadratic { a: *a },
        Atom::Exp { a, b } => AtomFile::Exp { a: *a, b: *b },
        Atom::Logistic { a } => AtomFile::Logistic { a: *a },
        Atom::Cosh { a } => AtomFile::Cosh { a: *a },
        Atom::LogCosh { a } => AtomFile::Logcosh { a: *a },
        Atom::Quartic => AtomFile::Quartic,
        Atom::ExpSum { w, a } => AtomFile::Expsum {
            w: w.clone(),
            a: a.clone(),
        },
    }
}

fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|r| m.row(r).iter().copied().collect())
        .collect()
}

impl Instance<f64> {
    /// Parses and validates instance JSON v1 from a string. `origin` names
    /// the source in errors (a path, or `"<string>"`).
    pub fn from_json_str(text: &str, origin: &Path) -> Result<Self> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let file: InstanceFile =
            serde_path_to_error::deserialize(deserializer).map_err(|e| Error::Parse {
                path: origin.to_path_buf(),
                reason: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        Self::from_file_model(&file)
    }

    fn from_file_model(file: &InstanceFile) -> Result<Self> {
        if file.format != INSTANCE_FORMAT {
            return Err(Error::InvalidField {
                field: "format".into(),
                reason: format!("expected \"{INSTANCE_FORMAT}\", got {:?}", file.format),
            });
        }
        if file.dim == 0 {
            return Err(Error::InvalidField {
                field: "dim".into(),
                reason: "must be at least 1".into(),
            });
        }
        ensure_gamma(file.gamma)?;
        if file.components.is_empty() {
            return Err(Error::Empty {
                what: "components".into(),
            });
        }
        let components = file
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| component_from_file(i, file.dim, c))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            gamma: Threshold::new(file.gamma)?,
            x0: vector("x0", &file.x0, file.dim)?,
            components,
            note: file.note.clone(),
        })
    }

    /// Reads and validates an instance file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&text, path)
    }

    /// The instance as pretty-printed JSON v1.
    pub fn to_json_string(&self) -> String {
        let file = InstanceFile {
            format: INSTANCE_FORMAT.into(),
            dim: self.dim(),
            gamma: self.gamma.get(),
            x0: self.x0.iter().copied().collect(),
            components: self
                .components
                .iter()
                .map(|c| match c {
                    Component::Linear { c } => ComponentFile::Linear {
                        c: c.iter().copied().collect(),
                    },
                    Component::Quadratic {
                        hessian,
                        linear,
                        constant,
                    } => ComponentFile::Quadratic {
                        hessian: rows(hessian),
                        linear: linear.iter().copied().collect(),
                        constant: *constant,
                    },
                    Component::Exp { a, b } => ComponentFile::Exp {
                        a: a.iter().copied().collect(),
                        b: *b,
                    },
                    Component::Logistic { a, label } => ComponentFile::Logistic {
                        a: a.iter().copied().collect(),
                        label: *label,
                    },
                    Component::Separable {
                        rotation,
                        shift,
                        atoms,
                    } => ComponentFile::Separable {
                        rotation: rows(rotation),
                        shift: shift.iter().copied().collect(),
                        atoms: atoms
                            .iter()
                            .map(|a| serde_json::to_value(atom_to_file(a)).unwrap_or_default())
                            .collect(),
                    },
                })
                .map(|file| serde_json::to_value(file).unwrap_or_default())
                .collect(),
            note: self.note.clone(),
        };
        // Serialising plain structs of finite f64 cannot fail.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Writes the instance as JSON v1.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json_string() + "\n").map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
