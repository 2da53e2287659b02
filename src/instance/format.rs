//! The instance JSON format, version 1 (`docs/instance-format.md`): plain
//! serde structs, validated into an [`Instance`] with errors that name the
//! field (`components[2].label: must be -1 or +1, got 0.5`), and written
//! back.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::{Atom, Component, Instance};
use crate::clipping::Threshold;
use crate::error::{ensure_finite, ensure_gamma, Error, Result};

/// The value of the `format` field of an instance file.
pub const INSTANCE_FORMAT: &str = "cliptheory.instance.v1";

/// Tolerance on `‖RᵀR − I‖_max` when a rotation is checked on load.
pub const ROTATION_TOLERANCE: f64 = 1e-9;

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
    // Any JSON number, checked to be a non-negative integer on load (a
    // typed field would lose the field's name in serde's error).
    Softmax {
        a: Vec<f64>,
        label: serde_json::Number,
        classes: serde_json::Number,
    },
    Separable {
        rotation: Vec<Vec<f64>>,
        shift: Vec<f64>,
        // Parsed one by one, so that an error names `atoms[j]` and its field.
        atoms: Vec<serde_json::Value>,
    },
    // Written for a user-defined objective (so that a report can show the
    // instance); refused on load: the format cannot hold code.
    #[serde(skip_deserializing)]
    Custom {
        description: String,
    },
}

#[derive(Serialize, Debug, Clone)]
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

/// An instance file as read: each component kept as its raw JSON text
/// (borrowed from the file's text, not a `serde_json::Value` tree of 30–50
/// bytes per number), parsed one by one into its kind's struct so that an
/// error names `components[i]` and its field, and so that the peak memory
/// of a load is the text plus the instance.
#[derive(Deserialize)]
struct InstanceFileInput<'a> {
    format: String,
    dim: usize,
    gamma: f64,
    x0: Vec<f64>,
    #[serde(borrow)]
    components: Vec<&'a serde_json::value::RawValue>,
    #[serde(default)]
    note: Option<String>,
}

/// Deserialises `value`, naming `field` and the path inside it on error.
fn parse_part<T: serde::de::DeserializeOwned>(field: &str, value: &serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| located(field, e))
}

/// [`parse_part`] from a component's raw JSON text.
fn parse_raw<T: serde::de::DeserializeOwned>(
    field: &str,
    raw: &serde_json::value::RawValue,
) -> Result<T> {
    let deserializer = &mut serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(deserializer).map_err(|e| located(field, e))
}

/// A serde error at `path` inside `field`, as an error naming both.
fn located(field: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
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

/// A JSON number that must be a non-negative integer (a class index or
/// count); an integral float such as `2.0` (what numpy writes) counts.
fn index(field: &str, number: &serde_json::Number) -> Result<usize> {
    let integral_float = || {
        number
            .as_f64()
            .filter(|v| v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(v))
            .map(|v| v as u64)
    };
    number
        .as_u64()
        .or_else(integral_float)
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| Error::InvalidField {
            field: field.into(),
            reason: format!("must be a non-negative integer, got {number}"),
        })
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

fn component_from_file(
    i: usize,
    dim: usize,
    raw: &serde_json::value::RawValue,
) -> Result<Component<f64>> {
    let file: ComponentFile = parse_raw(&format!("components[{i}]"), raw)?;
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
        ComponentFile::Softmax { a, label, classes } => {
            let (label, classes) = (
                index(&field("label"), label)?,
                index(&field("classes"), classes)?,
            );
            super::check_softmax_classes(i, label, classes)?;
            if !dim.is_multiple_of(classes) {
                return Err(Error::InvalidField {
                    field: field("classes"),
                    reason: format!(
                        "x = vec(W) has dim = {dim} entries, not a multiple of classes = {classes}"
                    ),
                });
            }
            Component::Softmax {
                a: vector(&field("a"), a, dim / classes)?,
                label,
                classes,
            }
        }
        ComponentFile::Custom { .. } => {
            return Err(Error::InvalidField {
                field: format!("components[{i}].kind"),
                reason: "a user-defined objective cannot be read from a file".into(),
            })
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
        let file: InstanceFileInput = serde_path_to_error::deserialize(&mut *deserializer)
            .map_err(|e| Error::Parse {
                path: origin.to_path_buf(),
                reason: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        // Nothing but whitespace may follow the document.
        deserializer.end().map_err(|e| Error::Parse {
            path: origin.to_path_buf(),
            reason: format!("after the instance: {e}"),
        })?;
        Self::from_file_model(&file)
    }

    fn from_file_model(file: &InstanceFileInput) -> Result<Self> {
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
        let instance = Self::new(
            Threshold::new(file.gamma)?,
            vector("x0", &file.x0, file.dim)?,
            components,
        )?;
        Ok(match &file.note {
            Some(note) => instance.with_note(note.clone()),
            None => instance,
        })
    }

    /// Reads and validates an instance file of at most
    /// [`DEFAULT_MAX_INPUT_BYTES`](crate::files::DEFAULT_MAX_INPUT_BYTES).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_limited(path, crate::files::DEFAULT_MAX_INPUT_BYTES)
    }

    /// Reads and validates an instance file of at most `max_bytes`.
    pub fn load_limited(path: &Path, max_bytes: u64) -> Result<Self> {
        let text = crate::files::read_to_string_limited(path, max_bytes)?;
        Self::from_json_str(&text, path)
    }

    /// The instance as pretty-printed JSON v1.
    pub fn to_json_string(&self) -> String {
        let file = InstanceFile {
            format: INSTANCE_FORMAT.into(),
            dim: self.dim(),
            gamma: self.gamma().get(),
            x0: self.x0().iter().copied().collect(),
            components: self
                .components()
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
                    Component::Softmax { a, label, classes } => ComponentFile::Softmax {
                        a: a.iter().copied().collect(),
                        label: (*label as u64).into(),
                        classes: (*classes as u64).into(),
                    },
                    Component::Custom(custom) => ComponentFile::Custom {
                        description: custom.describe(),
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
            note: self.note().map(str::to_string),
        };
        // Serialising plain structs of finite f64 cannot fail.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Writes the instance as JSON v1 (refused when a component is
    /// user-defined: the format cannot hold its code).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(i) = self
            .components()
            .iter()
            .position(|c| matches!(c, Component::Custom(_)))
        {
            return Err(Error::InvalidField {
                field: format!("components[{i}]"),
                reason: "a user-defined objective cannot be written to an instance file".into(),
            });
        }
        crate::files::write_atomically(path, (self.to_json_string() + "\n").as_bytes())
    }
}
