//! The polynomial encoding shared by every id: vectors in lower-triangular
//! coordinates, norms as variables, clipping split into regimes, and the
//! negated (optionally tightened) comparisons.
//!
//! * A configuration of `k` vectors is encoded in `R^k` in lower-triangular
//!   form: every configuration in any dimension is an orthogonal image of
//!   one of these (QR decomposition), and every quantity of the statements
//!   is invariant under orthogonal maps (`theorems/README.md`, "Machine
//!   proofs (SMT)").
//! * Each vector is written in polar form `v_i = s_i e_i` with `s_i ≥ 0`
//!   (its norm) and a unit vector `e_i` (`⟨e_i, e_i⟩ = 1`; lower-triangular:
//!   supported on the first `i + 1` coordinates, `i`-th coordinate `≥ 0`,
//!   so `e_0 = (1, 0, …)`).
//! * Then `clip_γ(v_i) = min(s_i, γ) e_i`, and the minimum is split into two
//!   regimes: *clipped* (`s_i > γ`, `min = γ`) and *unclipped*
//!   (`s_i ≤ γ`, `min = s_i`). Each regime is polynomial (no `ite`, no
//!   division), and the regimes cover every case.
//! * A comparison `lhs ≤ rhs` is refuted by `lhs > rhs`; its tightened form
//!   moves the bound by `0.1 |rhs|` as `src/tolerance.rs` does, with the
//!   sign of `rhs` split into two queries. An identity `lhs = rhs` is
//!   refuted by `lhs ≠ rhs`, its perturbed form by `lhs ≠ (1 + 10⁻³) rhs`.
//! * A comparison of two nonnegative sides (norms, products of norms and
//!   nonnegative factors) is stated on their squares, which removes the
//!   square roots: `x ≤ y ⇔ x² ≤ y²` for `x, y ≥ 0`.

use super::smt::{add, mul, rel, sq, vscale, Query, Term};

/// Builds one query's variables and facts.
#[derive(Clone, Debug, Default)]
pub struct Enc {
    /// The query under construction (variables and facts).
    pub query: Query,
}

impl Enc {
    /// A new real variable.
    pub fn var(&mut self, name: &str) -> Term {
        debug_assert!(!self.query.vars.iter().any(|v| v == name), "{name} twice");
        self.query.vars.push(name.to_string());
        Term::raw(name)
    }

    /// A fact of the regime.
    pub fn fact(&mut self, formula: String) {
        self.query.asserts.push(formula);
    }

    /// The threshold `γ > 0`.
    pub fn gamma(&mut self) -> Term {
        let gamma = self.var("gamma");
        self.fact(rel(">", &gamma, &Term::zero()));
        gamma
    }

    /// `count` vectors in polar form in `R^dim`, `v_i = s_i e_i` (names
    /// `s{i}`, `e{i}_{j}`). With `triangular` (needs `dim ≥ count`), `e_i`
    /// is supported on the first `i + 1` coordinates with a nonnegative
    /// `i`-th one.
    pub fn polar_vectors(&mut self, count: usize, dim: usize, triangular: bool) -> Vec<Polar> {
        (0..count)
            .map(|i| {
                let s = self.var(&format!("s{i}"));
                self.fact(rel(">=", &s, &Term::zero()));
                let e: Vec<Term> = if triangular && i == 0 {
                    (0..dim)
                        .map(|j| if j == 0 { Term::one() } else { Term::zero() })
                        .collect()
                } else {
                    let e: Vec<Term> = (0..dim)
                        .map(|j| {
                            if triangular && j > i {
                                Term::zero()
                            } else {
                                let x = self.var(&format!("e{i}_{j}"));
                                if triangular && j == i {
                                    self.fact(rel(">=", &x, &Term::zero()));
                                }
                                x
                            }
                        })
                        .collect();
                    let squares: Vec<Term> = e.iter().filter(|t| !t.is_zero()).map(sq).collect();
                    self.fact(rel("=", &add(&squares), &Term::one()));
                    e
                };
                let coords = e
                    .iter()
                    .map(|x| {
                        if x.is_zero() {
                            Coord::Zero
                        } else if x.0 == "1.0" {
                            Coord::Var(s.0.clone())
                        } else {
                            Coord::Product(s.0.clone(), x.0.clone())
                        }
                    })
                    .collect();
                Polar {
                    v: vscale(&s, &e),
                    s,
                    e,
                    coords,
                }
            })
            .collect()
    }

    /// A variable `r ≥ 0` with `r² = ⟨w, w⟩`, i.e. `r = ‖w‖`.
    pub fn norm(&mut self, name: &str, w: &[Term]) -> Term {
        let r = self.var(name);
        self.fact(rel(">=", &r, &Term::zero()));
        let squares: Vec<Term> = w.iter().filter(|t| !t.is_zero()).map(sq).collect();
        self.fact(rel("=", &sq(&r), &add(&squares)));
        r
    }

    /// `min(s, γ)` for a norm `s`, in the regime `clipped` (`s > γ`, gives
    /// `γ`) or unclipped (`s ≤ γ`, gives `s`); adds the regime's fact.
    pub fn min_with(&mut self, s: &Term, gamma: &Term, clipped: bool) -> Term {
        if clipped {
            self.fact(rel(">", s, gamma));
            gamma.clone()
        } else {
            self.fact(rel("<=", s, gamma));
            s.clone()
        }
    }
}

/// A vector in polar form `v = s e`.
#[derive(Clone, Debug)]
pub struct Polar {
    /// Its norm `s ≥ 0`.
    pub s: Term,
    /// Its direction, a unit vector.
    pub e: Vec<Term>,
    /// Its coordinates `s e`.
    pub v: Vec<Term>,
    /// Its coordinates, for reading a counterexample off a model.
    pub coords: Vec<Coord>,
}

impl Polar {
    /// `clip_γ(v) = min(s, γ) e`, given the minimum from [`Enc::min_with`].
    pub fn clipped(&self, min: &Term) -> Vec<Term> {
        vscale(min, &self.e)
    }
}

/// A coordinate of a vector in terms of model variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coord {
    /// Fixed to 0.
    Zero,
    /// A variable.
    Var(String),
    /// The product of two variables.
    Product(String, String),
}

impl Coord {
    /// The variables it is made of.
    pub fn vars(&self) -> Vec<String> {
        match self {
            Coord::Zero => vec![],
            Coord::Var(a) => vec![a.clone()],
            Coord::Product(a, b) => vec![a.clone(), b.clone()],
        }
    }

    /// As a term.
    pub fn term(&self) -> Term {
        match self {
            Coord::Zero => Term::zero(),
            Coord::Var(a) => Term::raw(a.as_str()),
            Coord::Product(a, b) => mul(&[Term::raw(a.as_str()), Term::raw(b.as_str())]),
        }
    }
}

/// The relation of a [`Claim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    /// `lhs ≤ rhs`.
    AtMost,
    /// `lhs ≥ rhs`.
    AtLeast,
    /// `lhs = rhs`.
    Equal,
    /// Vectors `a = b` (coordinatewise).
    VectorsEqual,
}

/// One comparison of a statement, in one regime.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The registry's label of the comparison.
    pub label: &'static str,
    /// The relation.
    pub rel: Rel,
    /// Left side (for [`Rel::VectorsEqual`]: the coordinates of `a`).
    pub lhs: Vec<Term>,
    /// Right side (for [`Rel::VectorsEqual`]: the coordinates of `b`).
    pub rhs: Vec<Term>,
    /// Extra hypotheses of this comparison (the registry makes it only when
    /// they hold).
    pub hypotheses: Vec<String>,
    /// Whether `lhs` and `rhs` are the squares of the registry's two sides,
    /// both nonnegative (norms, products of norms and nonnegative factors):
    /// then `x ≤ y ⇔ x² ≤ y²`, and the tightening factors are squared
    /// (`0.9² = 0.81`, `1.1² = 1.21`, `1.001² = 1.002001`).
    pub squared: bool,
}

impl Claim {
    /// A scalar comparison `lhs rel rhs`.
    pub fn scalar(label: &'static str, rel: Rel, lhs: Term, rhs: Term) -> Self {
        Self {
            label,
            rel,
            lhs: vec![lhs],
            rhs: vec![rhs],
            hypotheses: Vec::new(),
            squared: false,
        }
    }

    /// Vectors `a = b`.
    pub fn vectors(label: &'static str, a: Vec<Term>, b: Vec<Term>) -> Self {
        Self {
            label,
            rel: Rel::VectorsEqual,
            lhs: a,
            rhs: b,
            hypotheses: Vec::new(),
            squared: false,
        }
    }

    /// A comparison of two nonnegative sides, given by their squares
    /// `lhs²` and `rhs²` (see [`Claim::squared`]).
    pub fn squares(label: &'static str, rel: Rel, lhs_squared: Term, rhs_squared: Term) -> Self {
        let mut claim = Self::scalar(label, rel, lhs_squared, rhs_squared);
        claim.squared = true;
        claim
    }

    /// With extra hypotheses.
    pub fn given(mut self, hypotheses: Vec<String>) -> Self {
        self.hypotheses = hypotheses;
        self
    }

    /// The negation of the claim (of its tightened form with `tightened`),
    /// as alternatives: the claim fails iff one alternative (a list of
    /// assertions) is satisfiable together with the regime's facts.
    pub fn negations(&self, tightened: bool) -> Vec<Vec<String>> {
        let squared = self.squared;
        let factor = |f: &str, t: &Term| {
            let f = match (squared, f) {
                (false, f) => f,
                (true, "0.9") => "0.81",
                (true, "1.1") => "1.21",
                (true, "1.001") => "1.002001",
                (true, other) => unreachable!("no squared factor for {other}"),
            };
            mul(&[Term::num(f), t.clone()])
        };
        if self.rel == Rel::VectorsEqual {
            let b: Vec<Term> = if tightened {
                self.rhs.iter().map(|t| factor("1.001", t)).collect()
            } else {
                self.rhs.clone()
            };
            let differs: Vec<String> = self
                .lhs
                .iter()
                .zip(&b)
                .map(|(x, y)| format!("(not {})", rel("=", x, y)))
                .collect();
            let any = if differs.len() == 1 {
                differs[0].clone()
            } else {
                format!("(or {})", differs.join(" "))
            };
            return vec![with(&self.hypotheses, any)];
        }
        let (lhs, rhs) = (&self.lhs[0], &self.rhs[0]);
        let zero = Term::zero();
        match (self.rel, tightened) {
            (Rel::AtMost, false) => vec![with(&self.hypotheses, rel(">", lhs, rhs))],
            (Rel::AtLeast, false) => vec![with(&self.hypotheses, rel("<", lhs, rhs))],
            (Rel::Equal, false) => {
                vec![with(
                    &self.hypotheses,
                    format!("(not {})", rel("=", lhs, rhs)),
                )]
            }
            // rhs − 0.1|rhs|: 0.9 rhs for rhs ≥ 0, 1.1 rhs for rhs < 0.
            (Rel::AtMost, true) => vec![
                with2(
                    &self.hypotheses,
                    rel(">=", rhs, &zero),
                    rel(">", lhs, &factor("0.9", rhs)),
                ),
                with2(
                    &self.hypotheses,
                    rel("<", rhs, &zero),
                    rel(">", lhs, &factor("1.1", rhs)),
                ),
            ],
            // rhs + 0.1|rhs|: 1.1 rhs for rhs ≥ 0, 0.9 rhs for rhs < 0.
            (Rel::AtLeast, true) => vec![
                with2(
                    &self.hypotheses,
                    rel(">=", rhs, &zero),
                    rel("<", lhs, &factor("1.1", rhs)),
                ),
                with2(
                    &self.hypotheses,
                    rel("<", rhs, &zero),
                    rel("<", lhs, &factor("0.9", rhs)),
                ),
            ],
            (Rel::Equal, true) => vec![with(
                &self.hypotheses,
                format!("(not {})", rel("=", lhs, &factor("1.001", rhs))),
            )],
            (Rel::VectorsEqual, _) => unreachable!("handled above"),
        }
    }
}

fn with(hypotheses: &[String], last: String) -> Vec<String> {
    let mut out = hypotheses.to_vec();
    out.push(last);
    out
}

fn with2(hypotheses: &[String], a: String, b: String) -> Vec<String> {
    let mut out = hypotheses.to_vec();
    out.push(a);
    out.push(b);
    out
}

/// One regime of a statement: its facts, its comparisons, and which
/// variables make up the configuration (for counterexamples).
#[derive(Clone, Debug)]
pub struct Built {
    /// Variables and facts of the regime.
    pub enc: Enc,
    /// The comparisons.
    pub claims: Vec<Claim>,
    /// The configuration's vectors, coordinatewise.
    pub vectors: Vec<Vec<Coord>>,
}

impl Built {
    /// A regime from its encoder and the vectors it declared.
    pub fn new(enc: Enc, vectors: &[Polar], claims: Vec<Claim>) -> Self {
        Self {
            enc,
            claims,
            vectors: vectors.iter().map(|v| v.coords.clone()).collect(),
        }
    }
}

/// Builds one regime of an [`Encoding`] from its bits.
pub type Builder = Box<dyn Fn(&[bool]) -> Built + Send + Sync>;

/// How one id (at one size) is encoded: a number of regime bits and a
/// builder for each regime.
pub struct Encoding {
    /// The statement id.
    pub id: &'static str,
    /// What the proof covers, e.g. `"n = 2, every dimension"`.
    pub scope: String,
    /// The reduced space, e.g. `"R^2"`.
    pub space: String,
    /// Number of regime bits: the regimes are `0..2^bits`.
    pub bits: u32,
    /// Builds the regime with the given bits.
    pub build: Builder,
}

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoding")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl Encoding {
    /// The regime bits of regime number `r`.
    pub fn regime(&self, r: usize) -> Vec<bool> {
        (0..self.bits).map(|b| r >> b & 1 == 1).collect()
    }

    /// Number of regimes.
    pub fn regimes(&self) -> usize {
        1 << self.bits
    }
}
