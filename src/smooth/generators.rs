//! Random instances with certified `(L0, L1)` constants, across scales
//! (SMOOTH-1..6). Every instance drawn here is certified by the rules of
//! [`certificate`](super::certificate) by construction: the families only
//! combine terms those rules cover.
//!
//! Families ([`Family`]): quadratic sums, logistic regression, softmax
//! (multinomial logistic) regression, exponential
//! components in a cone, separable sums under a random rotation and shift
//! (several components sharing them, so atoms add up on one coordinate, plus
//! bounded perturbations), mixed-sign exponential sums on one line
//! (SMOOTH-5), single atoms (SMOOTH-6), logistic regression on real data
//! ([`real_data`](super::real_data)), and the extremal one-dimensional
//! instances `e^{L1 t}` and `f' = (L0/L1)(e^{L1 t} − 1)` that make SMOOTH-1..3
//! tight.

use crate::generators::unit;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::certificate::atom_rate;
use crate::clipping::Threshold;
use crate::instance::{Atom, Component, Instance};

/// `log10` range of rates and curvatures.
pub const LOG10_RATE: std::ops::RangeInclusive<f64> = -1.0..=1.0;
/// Dimensions of the smooth families.
pub const DIMENSIONS: std::ops::RangeInclusive<usize> = 1..=4;

/// The instance families of the certification table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `(1/n) Σ ½ xᵀ H_i x + ⟨b_i, x⟩`, `H_i` symmetric, possibly indefinite.
    Quadratic,
    /// `(1/n) Σ log(1 + e^{−y_i ⟨a_i, x⟩})`.
    Logistic,
    /// `(1/n) Σ (log Σ_c e^{⟨W_c, a_i⟩} − ⟨W_{k_i}, a_i⟩)`, `K ∈ 2..=4` classes.
    Softmax,
    /// `(1/n) Σ e^{⟨a_i, x⟩ + b_i}` with all `a_i` in a cone of half-angle < 45°.
    ExpCone,
    /// Separable components sharing one rotation and shift, plus bounded
    /// logistic and linear perturbations.
    Separable,
    /// Exponentials of both signs on one line (SMOOTH-5).
    MixedExp,
    /// `e^{L1 t}` and `(L0/L1²) e^{L1 t} − (L0/L1) t` (SMOOTH-1..3 equality).
    Extremal,
    /// Logistic regression on real data (red wine quality, binarised).
    WineQuality,
}

impl Family {
    /// Every family, in table order.
    pub const ALL: [Family; 8] = [
        Family::Quadratic,
        Family::Logistic,
        Family::Softmax,
        Family::ExpCone,
        Family::Separable,
        Family::MixedExp,
        Family::Extremal,
        Family::WineQuality,
    ];

    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Quadratic => "quadratic",
            Family::Logistic => "logistic regression",
            Family::Softmax => "softmax regression",
            Family::ExpCone => "exp components in a cone",
            Family::Separable => "rotated separable + perturbation",
            Family::MixedExp => "mixed-sign exp sums (one line)",
            Family::Extremal => "extremal e^{L1 t} witnesses",
            Family::WineQuality => "logistic regression, wine quality (real)",
        }
    }

    /// The family's strategy.
    pub fn strategy(self) -> BoxedStrategy<Instance<f64>> {
        match self {
            Family::Quadratic => quadratic_case(),
            Family::Logistic => logistic_case(),
            Family::Softmax => softmax_case(),
            Family::ExpCone => exp_cone_case(),
            Family::Separable => separable_case(),
            Family::MixedExp => mixed_exp_case(),
            Family::Extremal => extremal_case(),
            Family::WineQuality => super::real_data::wine_logistic_case(),
        }
    }
}

fn gamma() -> Threshold<f64> {
    Threshold::new(1.0).expect("1 > 0")
}

fn instance(x0: DVector<f64>, components: Vec<Component<f64>>, note: &str) -> Instance<f64> {
    Instance::from_parts(crate::instance::InstanceParts {
        gamma: gamma(),
        x0,
        components,
        note: Some(note.to_string()),
    })
    .expect("generated instances are valid")
}

/// An orthogonal matrix: the `Q` factor of a random matrix (identity if
/// the draw is degenerate).
pub fn rotation(dim: usize, raw: &[f64]) -> DMatrix<f64> {
    let m = DMatrix::from_column_slice(dim, dim, &raw[..dim * dim]);
    let q = m.clone().qr().q();
    if (q.transpose() * &q - DMatrix::identity(dim, dim)).amax() < 1e-12 {
        q
    } else {
        DMatrix::identity(dim, dim)
    }
}

fn matrix_entries(dim: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0f64, dim * dim)
}

fn vector(dim: usize, range: f64) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-range..range, dim)
}

/// Quadratic sums, `n ∈ 1..=4`, curvature `10^s`, `s ∈ [−2, 2]`.
pub fn quadratic_case() -> BoxedStrategy<Instance<f64>> {
    (1usize..=4, DIMENSIONS)
        .prop_flat_map(|(n, dim)| {
            (
                prop::collection::vec((matrix_entries(dim), vector(dim, 1.0)), n),
                -2.0..2.0f64,
                vector(dim, 3.0),
            )
        })
        .prop_map(|(terms, s, x0)| {
            let scale = 10f64.powf(s);
            let dim = x0.len();
            let components = terms
                .iter()
                .map(|(m, b)| {
                    let m = DMatrix::from_column_slice(dim, dim, m);
                    Component::Quadratic {
                        hessian: (&m + m.transpose()) * (scale / 2.0),
                        linear: DVector::from_column_slice(b) * scale,
                        constant: 0.0,
                    }
                })
                .collect();
            instance(
                DVector::from_column_slice(&x0),
                components,
                "quadratic family",
            )
        })
        .boxed()
}

/// Logistic regression, `n ∈ 2..=24`, feature scale `10^s`, `s ∈ [−1, 1]`.
pub fn logistic_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=24, DIMENSIONS)
        .prop_flat_map(|(n, dim)| {
            (
                prop::collection::vec((vector(dim, 1.0), any::<bool>()), n),
                LOG10_RATE,
                vector(dim, 2.0),
            )
        })
        .prop_map(|(rows, s, x0)| {
            let scale = 10f64.powf(s);
            let components = rows
                .iter()
                .map(|(a, y)| Component::Logistic {
                    a: DVector::from_column_slice(a) * scale,
                    label: if *y { 1.0 } else { -1.0 },
                })
                .collect();
            instance(
                DVector::from_column_slice(&x0) / scale,
                components,
                "logistic regression family",
            )
        })
        .boxed()
}

/// Softmax regression, `n ∈ 2..=16` examples, `K ∈ 2..=4` classes,
/// `p ∈ 1..=3` features of scale `10^s`, `s ∈ [−1, 1]`, weights `x0` of
/// scale `10^{−s}` (logits of order one to a few).
pub fn softmax_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=16, 2usize..=4, 1usize..=3)
        .prop_flat_map(|(n, classes, p)| {
            (
                prop::collection::vec((vector(p, 1.0), 0..classes), n),
                Just(classes),
                LOG10_RATE,
                vector(classes * p, 2.0),
            )
        })
        .prop_map(|(rows, classes, s, x0)| {
            let scale = 10f64.powf(s);
            let components = rows
                .iter()
                .map(|(a, label)| Component::Softmax {
                    a: DVector::from_column_slice(a) * scale,
                    label: *label,
                    classes,
                })
                .collect();
            instance(
                DVector::from_column_slice(&x0) / scale,
                components,
                "softmax regression family",
            )
        })
        .boxed()
}

/// Exponentials `e^{⟨a_i, x⟩ + b_i}`, `a_i = r_i (u + 0.7 w_i)` with `‖w_i‖ ≤ 1`
/// (a cone of half-angle `asin 0.7 < 45°` around `u`), `|⟨a_i, x0⟩| ≤ 2`.
pub fn exp_cone_case() -> BoxedStrategy<Instance<f64>> {
    (1usize..=4, DIMENSIONS)
        .prop_flat_map(|(n, dim)| {
            (
                vector(dim, 1.0),
                prop::collection::vec((vector(dim, 1.0), LOG10_RATE, -1.0..1.0f64), n),
                vector(dim, 1.0),
                -2.0..2.0f64,
            )
        })
        .prop_map(|(axis, terms, x0, t0)| {
            let dim = axis.len();
            let axis = unit(&axis);
            let components: Vec<Component<f64>> = terms
                .iter()
                .map(|(w, s, b)| {
                    let w = DVector::from_column_slice(w);
                    let w = if w.norm() > 1.0 { &w / w.norm() } else { w };
                    Component::Exp {
                        a: (&axis + w * 0.7) * 10f64.powf(*s),
                        b: *b,
                    }
                })
                .collect();
            let big_a = components
                .iter()
                .map(|c| match c {
                    Component::Exp { a, .. } => a.norm(),
                    _ => 0.0,
                })
                .fold(1e-3, f64::max);
            let x0 = unit(&x0) * (t0 / big_a);
            debug_assert_eq!(x0.len(), dim);
            instance(x0, components, "exp cone family")
        })
        .boxed()
}

/// Which atoms a coordinate of a separable group may carry (the classes the
/// same-coordinate rule accepts together).
#[derive(Clone, Copy, Debug)]
enum Class {
    Exponential,
    Quadratic,
    Quartic,
    Bounded,
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Exponential),
        Just(Class::Quadratic),
        Just(Class::Quartic),
        Just(Class::Bounded),
    ]
}

/// One atom of `class`, rate `±10^s`; `kind` picks among the class's atoms.
fn atom_of(class: Class, kind: u8, s: f64, sign: bool, b: f64) -> Atom<f64> {
    let a = if sign { 1.0 } else { -1.0 } * 10f64.powf(s);
    let bounded = |k: u8| {
        if k.is_multiple_of(2) {
            Atom::Logistic { a }
        } else {
            Atom::LogCosh { a }
        }
    };
    match (class, kind % 5) {
        (Class::Exponential, 0 | 1) => Atom::Exp { a, b },
        (Class::Exponential, 2) => Atom::Cosh { a },
        (Class::Exponential, 3) => Atom::ExpSum {
            w: vec![b.exp(), 0.5],
            a: vec![a, -a / 2.0],
        },
        (Class::Quadratic, 0..=2) => Atom::Quadratic { a },
        (Class::Quartic, 0..=2) => Atom::Quartic,
        (_, k) => bounded(k),
    }
}

/// Separable groups: `1..=3` components sharing a random rotation and shift
/// (so atoms add up per coordinate), atoms drawn per coordinate class, plus
/// `0..=2` bounded perturbations (logistic or linear components). The start
/// point has `|a z_j| ≤ 2` on every coordinate.
pub fn separable_case() -> BoxedStrategy<Instance<f64>> {
    (1usize..=3, DIMENSIONS, 0usize..=2)
        .prop_flat_map(|(n, dim, extra)| {
            (
                matrix_entries(dim),
                vector(dim, 2.0),
                prop::collection::vec(class(), dim),
                prop::collection::vec(
                    prop::collection::vec(
                        (any::<u8>(), -1.0..0.5f64, any::<bool>(), -1.0..1.0f64),
                        dim,
                    ),
                    n,
                ),
                vector(dim, 1.0),
                prop::collection::vec((vector(dim, 1.0), any::<bool>(), any::<bool>()), extra),
            )
        })
        .prop_map(|(raw, shift, classes, draws, z0, extras)| {
            let dim = shift.len();
            let r = rotation(dim, &raw);
            let shift = DVector::from_column_slice(&shift);
            let mut components: Vec<Component<f64>> = draws
                .iter()
                .map(|row| Component::Separable {
                    rotation: r.clone(),
                    shift: shift.clone(),
                    atoms: row
                        .iter()
                        .zip(&classes)
                        .map(|(&(kind, s, sign, b), &class)| atom_of(class, kind, s, sign, b))
                        .collect(),
                })
                .collect();
            let mut largest = vec![1e-3f64; dim];
            for c in &components {
                if let Component::Separable { atoms, .. } = c {
                    for (j, atom) in atoms.iter().enumerate() {
                        largest[j] = largest[j].max(atom_rate(atom));
                    }
                }
            }
            let z0 = DVector::from_iterator(dim, z0.iter().zip(&largest).map(|(z, m)| 2.0 * z / m));
            let x0 = r.transpose() * z0 + &shift;
            for (a, logistic, label) in extras {
                let a = DVector::from_column_slice(&a);
                components.push(if logistic {
                    Component::Logistic {
                        a,
                        label: if label { 1.0 } else { -1.0 },
                    }
                } else {
                    Component::Linear { c: a }
                });
            }
            instance(x0, components, "rotated separable family")
        })
        .boxed()
}

/// Mixed-sign exponential sums on one coordinate: `2..=5` separable
/// components sharing rotation and shift, each an `exp` atom `e^{a_k z_0 + b_k}`
/// on coordinate 0 (rates of both signs; a third of the draws are symmetric
/// `±a` pairs, where `(2AM, A)` is on the frontier), quadratic atoms elsewhere.
pub fn mixed_exp_case() -> BoxedStrategy<Instance<f64>> {
    (2usize..=5, DIMENSIONS, 0u8..3)
        .prop_flat_map(|(n, dim, symmetric)| {
            (
                matrix_entries(dim),
                vector(dim, 2.0),
                prop::collection::vec((LOG10_RATE, -1.0..1.0f64), n),
                vector(dim, 1.0),
                prop::collection::vec(-1.0..0.5f64, dim),
                Just(symmetric == 0),
            )
        })
        .prop_map(|(raw, shift, terms, z0, curvatures, symmetric)| {
            let dim = shift.len();
            let r = rotation(dim, &raw);
            let shift = DVector::from_column_slice(&shift);
            let (s0, b0) = terms[0];
            let big_a = terms.iter().fold(0.0f64, |m, t| m.max(10f64.powf(t.0)));
            let components = terms
                .iter()
                .enumerate()
                .map(|(k, &(s, b))| {
                    let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                    let (a, b) = if symmetric {
                        (sign * 10f64.powf(s0), b0)
                    } else {
                        (sign * 10f64.powf(s), b)
                    };
                    let mut atoms = vec![Atom::Exp { a, b }];
                    atoms.extend(
                        curvatures[1..]
                            .iter()
                            .map(|&c| Atom::Quadratic { a: 10f64.powf(c) }),
                    );
                    Component::Separable {
                        rotation: r.clone(),
                        shift: shift.clone(),
                        atoms,
                    }
                })
                .collect();
            let z0 = DVector::from_column_slice(&z0) * (2.0 / big_a);
            let x0 = r.transpose() * z0 + &shift;
            instance(x0, components, "mixed-sign exponential family")
        })
        .boxed()
}

/// The extremal one-dimensional instances: `e^{L1 t + b}` alone, or with a
/// linear component making `f = (L0/L1²) e^{L1 t} − (L0/L1) t`, whose
/// certificate is exactly `(L0, L1)`; start point `t0 ≥ 0` for the second.
pub fn extremal_case() -> BoxedStrategy<Instance<f64>> {
    (
        LOG10_RATE,
        LOG10_RATE,
        -1.0..1.0f64,
        0.0..2.0f64,
        any::<bool>(),
    )
        .prop_map(|(s1, s0, b, t0, with_linear)| {
            let l1 = 10f64.powf(s1);
            if with_linear {
                extremal_instance(10f64.powf(s0), l1, t0 / l1)
            } else {
                exp_instance(l1, b, (t0 - 1.0) / l1)
            }
        })
        .boxed()
}

/// `f(t) = e^{L1 t + b}` on `R`, start `t0`: `(0, L1)`, SMOOTH-1..3 hold with
/// equality for `y ≥ x`.
pub fn exp_instance(l1: f64, b: f64, t0: f64) -> Instance<f64> {
    instance(
        DVector::from_element(1, t0),
        vec![Component::Separable {
            rotation: DMatrix::identity(1, 1),
            shift: DVector::zeros(1),
            atoms: vec![Atom::Exp { a: l1, b }],
        }],
        "SMOOTH-1..3 witness e^{L1 t + b}: equality for y ≥ x",
    )
}

/// `f(t) = (L0/L1²) e^{L1 t} − (L0/L1) t` (so `f' = (L0/L1)(e^{L1 t} − 1)`),
/// built as the mean of the atom `e^{L1 t + log(2 L0/L1²)}` and the linear
/// component `−(2 L0/L1) t`; certificate `(L0, L1)`, equality for `y ≥ x ≥ 0`.
pub fn extremal_instance(l0: f64, l1: f64, t0: f64) -> Instance<f64> {
    instance(
        DVector::from_element(1, t0),
        vec![
            Component::Separable {
                rotation: DMatrix::identity(1, 1),
                shift: DVector::zeros(1),
                atoms: vec![Atom::Exp {
                    a: l1,
                    b: (2.0 * l0 / (l1 * l1)).ln(),
                }],
            },
            Component::Linear {
                c: DVector::from_element(1, -2.0 * l0 / l1),
            },
        ],
        "SMOOTH-1..3 witness f' = (L0/L1)(e^{L1 t} − 1): equality for y ≥ x ≥ 0",
    )
}

/// Single atoms of every kind under a random rotation and shift (SMOOTH-6).
pub fn atom_case() -> BoxedStrategy<Instance<f64>> {
    DIMENSIONS
        .prop_flat_map(|dim| {
            (
                matrix_entries(dim),
                vector(dim, 2.0),
                prop::collection::vec(
                    (
                        0u8..7,
                        LOG10_RATE,
                        any::<bool>(),
                        -1.0..1.0f64,
                        0.05..1.0f64,
                    ),
                    dim,
                ),
                vector(dim, 1.0),
            )
        })
        .prop_map(|(raw, shift, draws, z0)| {
            let dim = shift.len();
            let r = rotation(dim, &raw);
            let shift = DVector::from_column_slice(&shift);
            let atoms: Vec<Atom<f64>> = draws
                .iter()
                .map(|&(kind, s, sign, b, w)| {
                    let a = if sign { 1.0 } else { -1.0 } * 10f64.powf(s);
                    match kind {
                        0 => Atom::Quadratic { a },
                        1 => Atom::Exp { a, b },
                        2 => Atom::Logistic { a },
                        3 => Atom::Cosh { a },
                        4 => Atom::LogCosh { a },
                        5 => Atom::Quartic,
                        _ => Atom::ExpSum {
                            w: vec![w, 1.0 - w / 2.0, b.exp()],
                            a: vec![a, -a * (0.5 + w), a / 3.0],
                        },
                    }
                })
                .collect();
            let z0 = DVector::from_iterator(
                dim,
                z0.iter()
                    .zip(&atoms)
                    .map(|(z, atom)| 2.0 * z / atom_rate(atom)),
            );
            let x0 = r.transpose() * z0 + &shift;
            instance(
                x0,
                vec![Component::Separable {
                    rotation: r,
                    shift,
                    atoms,
                }],
                "single atoms",
            )
        })
        .boxed()
}

/// Every certified family (SMOOTH-1..4): the union of [`Family::ALL`].
pub fn smooth_case() -> BoxedStrategy<Instance<f64>> {
    prop_oneof![
        quadratic_case(),
        logistic_case(),
        softmax_case(),
        exp_cone_case(),
        separable_case(),
        mixed_exp_case(),
        extremal_case(),
        super::real_data::wine_logistic_case(),
    ]
    .boxed()
}
