//! SMT-LIB 2 text for QF_NRA queries, and running them on z3 (all ids).
//!
//! A query is plain SMT-LIB 2 text: `declare-const`s of real variables and
//! `assert`s of polynomial (in)equalities, no `ite`, no division. It is
//! parsed by z3 (`Solver::from_string`) into a solver for the logic
//! `QF_NRA` (z3's `nlsat` procedure, complete for real arithmetic) with a
//! wall-clock timeout. The text of every query can be printed, so a proof
//! can be re-run by any SMT solver.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// An SMT-LIB 2 term of sort `Real`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term(pub String);

impl Term {
    /// A real variable (declared elsewhere) or any literal term.
    pub fn raw(text: impl Into<String>) -> Self {
        Term(text.into())
    }

    /// A numeral from a decimal string: `"0.37"`, `"-2"`, `"1000"`.
    pub fn num(decimal: &str) -> Self {
        match decimal.strip_prefix('-') {
            Some(rest) => Term(format!("(- {})", Self::decimal(rest))),
            None => Term(Self::decimal(decimal)),
        }
    }

    /// An exact rational `p/q` (`q > 0`).
    pub fn rational(p: i128, q: i128) -> Self {
        let body = format!("(/ {}.0 {}.0)", p.unsigned_abs(), q);
        if p < 0 {
            Term(format!("(- {body})"))
        } else {
            Term(body)
        }
    }

    fn decimal(text: &str) -> String {
        if text.contains('.') {
            text.to_string()
        } else {
            format!("{text}.0")
        }
    }

    /// `0`.
    pub fn zero() -> Self {
        Term("0.0".into())
    }

    /// `1`.
    pub fn one() -> Self {
        Term("1.0".into())
    }

    /// Whether this is the literal `0`.
    pub fn is_zero(&self) -> bool {
        self.0 == "0.0"
    }
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `(+ a b …)`.
pub fn add(terms: &[Term]) -> Term {
    match terms {
        [] => Term::zero(),
        [one] => one.clone(),
        _ => Term(format!("(+ {})", join(terms))),
    }
}

/// `(* a b …)`.
pub fn mul(terms: &[Term]) -> Term {
    match terms {
        [] => Term::one(),
        [one] => one.clone(),
        _ => Term(format!("(* {})", join(terms))),
    }
}

/// `a − b`.
pub fn sub(a: &Term, b: &Term) -> Term {
    Term(format!("(- {a} {b})"))
}

/// `−a`.
pub fn neg(a: &Term) -> Term {
    Term(format!("(- {a})"))
}

/// `a²`.
pub fn sq(a: &Term) -> Term {
    Term(format!("(* {a} {a})"))
}

fn join(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| t.0.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `⟨a, b⟩`.
pub fn dot(a: &[Term], b: &[Term]) -> Term {
    add(&a
        .iter()
        .zip(b)
        .map(|(x, y)| mul(&[x.clone(), y.clone()]))
        .collect::<Vec<_>>())
}

/// `a − b`, coordinatewise.
pub fn vsub(a: &[Term], b: &[Term]) -> Vec<Term> {
    a.iter().zip(b).map(|(x, y)| sub(x, y)).collect()
}

/// `t · a`, coordinatewise.
pub fn vscale(t: &Term, a: &[Term]) -> Vec<Term> {
    a.iter().map(|x| mul(&[t.clone(), x.clone()])).collect()
}

/// `Σ_i a_i`, coordinatewise (all of one length).
pub fn vsum(vectors: &[Vec<Term>]) -> Vec<Term> {
    let dim = vectors.first().map_or(0, Vec::len);
    (0..dim)
        .map(|j| add(&vectors.iter().map(|v| v[j].clone()).collect::<Vec<_>>()))
        .collect()
}

/// An atomic formula `(op a b)` with `op` one of `<`, `<=`, `=`, `>=`, `>`.
pub fn rel(op: &str, a: &Term, b: &Term) -> String {
    format!("({op} {a} {b})")
}

/// What z3 answered for one query.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `unsat`: the assertions have no real solution.
    Unsat,
    /// `sat`, with the values of the requested variables (exact rationals
    /// where z3 gives them, else a decimal approximation).
    Sat(Vec<Value>),
    /// `unknown` (timeout or incompleteness), with z3's reason.
    Unknown(String),
}

/// The value of a real variable in a model.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An exact rational `p/q`, `q > 0`.
    Rational(i128, i128),
    /// An irrational algebraic number (or a rational too large for `i64`),
    /// approximated to 17 significant digits.
    Approximate(f64),
}

impl Value {
    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        match *self {
            Value::Rational(p, q) => p as f64 / q as f64,
            Value::Approximate(x) => x,
        }
    }

    /// The product, exact when both are rationals whose product fits.
    pub fn times(&self, other: &Value) -> Value {
        if let (Value::Rational(p, q), Value::Rational(r, t)) = (self, other) {
            if let (Some(num), Some(den)) = (p.checked_mul(*r), q.checked_mul(*t)) {
                return Value::Rational(num, den);
            }
        }
        Value::Approximate(self.to_f64() * other.to_f64())
    }

    /// Whether the value is an exact rational that `f64` represents exactly.
    pub fn exact_in_f64(&self) -> bool {
        match *self {
            Value::Rational(p, q) => {
                q > 0 && (q as u128).is_power_of_two() && p.unsigned_abs() < (1u128 << 53)
            }
            Value::Approximate(_) => false,
        }
    }
}

/// A closed QF_NRA query: declared real variables and assertions.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Declared variable names.
    pub vars: Vec<String>,
    /// Assertions (SMT-LIB formulas).
    pub asserts: Vec<String>,
}

impl Query {
    /// The SMT-LIB 2 script (without `check-sat`).
    pub fn script(&self) -> String {
        let mut out = String::from("(set-logic QF_NRA)\n");
        for v in &self.vars {
            let _ = writeln!(out, "(declare-const {v} Real)");
        }
        for a in &self.asserts {
            let _ = writeln!(out, "(assert {a})");
        }
        out
    }

    /// Runs z3 on the query with a wall-clock `timeout`, returning the values
    /// of `wanted` when satisfiable, and the seconds spent.
    pub fn check(&self, wanted: &[String], timeout: Duration) -> (Answer, f64) {
        let start = Instant::now();
        let solver = if std::env::var("CLIPTHEORY_Z3_DEFAULT").is_ok() {
            z3::Solver::new()
        } else {
            z3::Solver::new_for_logic("QF_NRA").unwrap_or_default()
        };
        let mut params = z3::Params::new();
        let ms = timeout.as_millis().clamp(1, u128::from(u32::MAX)) as u32;
        params.set_u32("timeout", ms);
        solver.set_params(&params);
        solver.from_string(self.script());
        let answer = match solver.check() {
            z3::SatResult::Unsat => Answer::Unsat,
            z3::SatResult::Unknown => Answer::Unknown(
                solver
                    .get_reason_unknown()
                    .unwrap_or_else(|| "unknown".into()),
            ),
            z3::SatResult::Sat => match solver.get_model() {
                Some(model) => Answer::Sat(
                    wanted
                        .iter()
                        .map(|name| {
                            let value = model.eval(&z3::ast::Real::new_const(name.as_str()), true);
                            value.map_or(Value::Approximate(f64::NAN), |v| match v.as_rational() {
                                Some((p, q)) if q > 0 => Value::Rational(p.into(), q.into()),
                                Some((p, q)) => Value::Rational(-i128::from(p), -i128::from(q)),
                                None => Value::Approximate(v.approx_f64()),
                            })
                        })
                        .collect(),
                ),
                None => Answer::Unknown("sat without a model".into()),
            },
        };
        (answer, start.elapsed().as_secs_f64())
    }
}
