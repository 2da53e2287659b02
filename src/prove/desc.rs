//! Encodings of DESC-1..DESC-6 and BIAS-1..BIAS-5 for a fixed number `n`
//! of component gradients: `n` vectors in `R^n` (lower-triangular), which
//! covers every dimension for that `n`; DESC-5 (a refuted claim) in
//! `R^1` with `n = 3`, where its counterexamples live.

use super::encode::{Built, Claim, Enc, Encoding, Polar, Rel};
use super::smt::{add, dot, mul, rel, sq, sub, vscale, vsub, vsum, Term};

/// The sizes `n` each general-`n` statement is proved for.
pub const SIZES: [usize; 2] = [1, 2];

/// The encodings of this module, by id.
pub fn encodings(id: &str) -> Option<Vec<Encoding>> {
    let at = |n: usize, bits: u32, build: fn(usize, &[bool]) -> Built, id: &'static str| Encoding {
        id,
        scope: format!("n = {n}, every dimension"),
        space: format!("R^{n}"),
        bits,
        build: Box::new(move |regime| build(n, regime)),
    };
    match id {
        "DESC-4" => Some(vec![at(2, 2, desc_4, "DESC-4")]),
        "DESC-5" => Some(vec![Encoding {
            id: "DESC-5",
            scope: "n = 3, dim = 1 (a refuted claim: one counterexample settles it)".into(),
            space: "R^1".into(),
            bits: 3,
            build: Box::new(desc_5),
        }]),
        "BIAS-1" => Some(SIZES.map(|n| at(n, n as u32, bias_1, "BIAS-1")).into()),
        "BIAS-2" => Some(SIZES.map(|n| at(n, n as u32, bias_2, "BIAS-2")).into()),
        "BIAS-5" => Some(vec![Encoding {
            id: "BIAS-5",
            scope: "every n, every dimension (a statement about g alone)".into(),
            space: "R^1".into(),
            bits: 1,
            build: Box::new(bias_5),
        }]),
        "DESC-1" => Some(SIZES.map(|n| at(n, n as u32, desc_1, "DESC-1")).into()),
        _ => None,
    }
}

/// `n` component gradients `g_i = s_i e_i` with `m_i = min(s_i, γ)`, the
/// full gradient `g` and the clipped direction `d = (1/n) Σ m_i e_i`.
struct Set {
    vectors: Vec<Polar>,
    gamma: Term,
    s: Vec<Term>,
    m: Vec<Term>,
    clipped: Vec<bool>,
    g: Vec<Term>,
    d: Vec<Term>,
    inv_n: Term,
}

impl Set {
    fn new(enc: &mut Enc, n: usize, dim: usize, triangular: bool, clipped: &[bool]) -> Self {
        let gamma = enc.gamma();
        let vectors = enc.polar_vectors(n, dim, triangular);
        let m: Vec<Term> = (0..n)
            .map(|i| enc.min_with(&vectors[i].s, &gamma, clipped[i]))
            .collect();
        let inv_n = Term::rational(1, n as i128);
        let g = vscale(
            &inv_n,
            &vsum(&vectors.iter().map(|v| v.v.clone()).collect::<Vec<_>>()),
        );
        let d = vscale(
            &inv_n,
            &vsum(
                &(0..n)
                    .map(|i| vectors[i].clipped(&m[i]))
                    .collect::<Vec<_>>(),
            ),
        );
        Self {
            s: vectors.iter().map(|v| v.s.clone()).collect(),
            vectors,
            gamma,
            m,
            clipped: clipped[..n].to_vec(),
            g,
            d,
            inv_n,
        }
    }

    /// `min(‖g_i‖, γ)`.
    fn m(&self, i: usize) -> Term {
        self.m[i].clone()
    }

    /// `(1/n) Σ_i f(i)` over the `i` where `f` gives a term.
    fn mean(&self, f: impl Fn(usize) -> Option<Term>) -> Term {
        let terms: Vec<Term> = (0..self.s.len()).filter_map(f).collect();
        mul(&[self.inv_n.clone(), add(&terms)])
    }

    /// `‖g‖ > 0` as a fact, and `cos θ_i` as variables `c_i` with
    /// `c_i ‖g‖ = ⟨e_i, g⟩` if `s_i > 0`, `c_i = 0` if `s_i = 0` (the
    /// registry's convention). Returns `‖g‖` and the cosines.
    fn angles(&self, enc: &mut Enc) -> (Term, Vec<Term>) {
        let gn = enc.norm("gn", &self.g);
        enc.fact(rel(">", &gn, &Term::zero()));
        let c = (0..self.s.len())
            .map(|i| {
                let c = enc.var(&format!("c{i}"));
                enc.fact(format!(
                    "(or (and {} {}) (and {} {}))",
                    rel(">", &self.s[i], &Term::zero()),
                    rel(
                        "=",
                        &mul(&[c.clone(), gn.clone()]),
                        &dot(&self.vectors[i].e, &self.g)
                    ),
                    rel("=", &self.s[i], &Term::zero()),
                    rel("=", &c, &Term::zero()),
                ));
                c
            })
            .collect();
        (gn, c)
    }
}

fn desc_4(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let d_dot_g = dot(&set.d, &set.g);
    let product = mul(&[sub(&set.m(0), &set.m(1)), sub(&set.s[0], &set.s[1])]);
    let claims = vec![
        Claim::scalar(
            "n = 2 ⇒ 4⟨d, g⟩ ≥ (m₁ − m₂)(s₁ − s₂)",
            Rel::AtLeast,
            mul(&[Term::num("4"), d_dot_g.clone()]),
            product.clone(),
        ),
        Claim::scalar(
            "(m₁ − m₂)(s₁ − s₂) ≥ 0",
            Rel::AtLeast,
            product,
            Term::zero(),
        ),
        Claim::scalar("n = 2 ⇒ ⟨d, g⟩ ≥ 0", Rel::AtLeast, d_dot_g, Term::zero()),
    ];
    Built::new(enc, &set.vectors, claims)
}

/// The claim "n ≥ 3 ⇒ ⟨d, g⟩ ≥ 0" for three numbers (`dim = 1`), `g ≠ 0`.
fn desc_5(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, 3, 1, false, regime);
    let nonzero = format!("(not {})", rel("=", &set.g[0], &Term::zero()));
    let claims = vec![Claim::scalar(
        "n ≥ 3 ⇒ ⟨d, g⟩ ≥ 0",
        Rel::AtLeast,
        dot(&set.d, &set.g),
        Term::zero(),
    )
    .given(vec![nonzero])];
    Built::new(enc, &set.vectors, claims)
}

fn bias_1(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    // −(1/n) Σ_C (1 − γ/‖g_i‖) g_i = −(1/n) Σ_C (s_i − γ) e_i, as g_i = s_i e_i
    let parts: Vec<Vec<Term>> = (0..n)
        .filter(|&i| set.clipped[i])
        .map(|i| vscale(&sub(&set.s[i], &set.gamma), &set.vectors[i].e))
        .collect();
    let bias = if parts.is_empty() {
        vec![Term::zero(); n]
    } else {
        vscale(&mul(&[Term::num("-1"), set.inv_n.clone()]), &vsum(&parts))
    };
    let inside: Vec<String> = set.s.iter().map(|s| rel("<=", s, &set.gamma)).collect();
    let claims = vec![
        Claim::vectors(
            "d − g = −(1/n) Σ_C (1 − γ/‖g_i‖) g_i",
            vsub(&set.d, &set.g),
            bias,
        ),
        Claim::vectors("γ ≥ G ⇒ d = g", set.d.clone(), set.g.clone()).given(inside),
    ];
    Built::new(enc, &set.vectors, claims)
}

fn bias_2(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let bias = vsub(&set.d, &set.g);
    // β = (1/n) Σ_C (s_i − γ) ≥ 0; stated on squares
    let beta = set.mean(|i| set.clipped[i].then(|| sub(&set.s[i], &set.gamma)));
    let claims = vec![Claim::squares(
        "‖d − g‖ ≤ β",
        Rel::AtMost,
        dot(&bias, &bias),
        sq(&beta),
    )];
    Built::new(enc, &set.vectors, claims)
}

/// BIAS-5 is about the full gradient `g` alone: one vector.
fn bias_5(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, 1, 1, true, regime);
    let g = &set.vectors[0];
    let claims = vec![Claim::scalar(
        "⟨clip g, g⟩ = min(‖g‖, γ)‖g‖",
        Rel::Equal,
        dot(&g.clipped(&set.m(0)), &g.v),
        mul(&[set.m(0), g.s.clone()]),
    )];
    Built::new(enc, &set.vectors, claims)
}

fn desc_1(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let (gn, c) = set.angles(&mut enc);
    let d_dot_g = dot(&set.d, &set.g);
    let weighted = set.mean(|i| Some(mul(&[set.m(i), c[i].clone()])));
    let excess =
        set.mean(|i| set.clipped[i].then(|| mul(&[sub(&set.s[i], &set.gamma), c[i].clone()])));
    let claims = vec![
        Claim::scalar(
            "⟨d, g⟩ = ‖g‖ · (1/n) Σ min(‖g_i‖, γ) cos θ_i",
            Rel::Equal,
            d_dot_g.clone(),
            mul(&[gn.clone(), weighted]),
        ),
        Claim::scalar(
            "⟨d, g⟩ = ‖g‖ (‖g‖ − (1/n) Σ_C (‖g_i‖ − γ) cos θ_i)",
            Rel::Equal,
            d_dot_g,
            mul(&[gn.clone(), sub(&gn, &excess)]),
        ),
    ];
    Built::new(enc, &set.vectors, claims)
}
