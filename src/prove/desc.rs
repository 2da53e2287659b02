//! Encodings of DESC-1..DESC-6 and BIAS-1..BIAS-5 for a fixed number `n`
//! of component gradients: `n` vectors in `R^n` (lower-triangular), which
//! covers every dimension for that `n`; DESC-5 (a refuted claim) in
//! `R^1` with `n = 3`, where its counterexamples live.

use super::encode::{Built, Claim, Enc, Encoding, Polar, Rel};
use super::smt::{add, dot, mul, rel, sq, sub, vscale, vsub, vsum, Term};

/// The sizes `n` each general-`n` statement is proved for (`n = 3` did not
/// finish within 10 minutes for the whole set on z3 4.8.12).
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
        "BIAS-3" => Some(SIZES.map(|n| at(n, n as u32, bias_3, "BIAS-3")).into()),
        "BIAS-4" => Some(SIZES.map(|n| at(n, n as u32, bias_4, "BIAS-4")).into()),
        "DESC-2" => Some(SIZES.map(|n| at(n, n as u32 + 2, desc_2, "DESC-2")).into()),
        "DESC-3" => Some(SIZES.map(|n| at(n, 2 * n as u32, desc_3, "DESC-3")).into()),
        "DESC-6" => Some(SIZES.map(|n| at(n, n as u32 + 4, desc_6, "DESC-6")).into()),
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

fn bias_3(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let (gn, c) = set.angles(&mut enc);
    let weighted = set.mean(|i| Some(mul(&[set.m(i), c[i].clone()])));
    let excess =
        set.mean(|i| set.clipped[i].then(|| mul(&[sub(&set.s[i], &set.gamma), c[i].clone()])));
    let projected = set.mean(|i| Some(mul(&[set.s[i].clone(), c[i].clone()])));
    let claims = vec![
        Claim::scalar(
            "⟨d, g⟩ = (‖g‖/n) Σ min(‖g_i‖, γ) cos θ_i",
            Rel::Equal,
            dot(&set.d, &set.g),
            mul(&[gn.clone(), weighted]),
        ),
        Claim::scalar(
            "⟨d − g, g⟩ = −(‖g‖/n) Σ_C (‖g_i‖ − γ) cos θ_i",
            Rel::Equal,
            dot(&vsub(&set.d, &set.g), &set.g),
            mul(&[Term::num("-1"), gn.clone(), excess]),
        ),
        Claim::scalar("(1/n) Σ ‖g_i‖ cos θ_i = ‖g‖", Rel::Equal, projected, gn),
    ];
    Built::new(enc, &set.vectors, claims)
}

/// `‖P⊥ w‖² = ‖w‖² − ⟨w, g⟩²/‖g‖²` (Pythagoras), so with `|sin θ_i| =
/// ‖P⊥ e_i‖ = σ_i`, `σ_i ≥ 0`, `σ_i² ‖g‖² = ‖g‖² − ⟨e_i, g⟩²`, the claim
/// `‖P⊥ b‖ ≤ B` (`B ≥ 0`) is, on squares times `‖g‖² > 0`,
/// `‖b‖² ‖g‖² − ⟨b, g⟩² ≤ B² ‖g‖²`.
fn bias_4(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let g2 = dot(&set.g, &set.g);
    enc.fact(rel(">", &g2, &Term::zero()));
    let sigma: Vec<Term> = (0..n)
        .map(|i| {
            let sigma = enc.var(&format!("sin{i}"));
            enc.fact(rel(">=", &sigma, &Term::zero()));
            let along = dot(&set.vectors[i].e, &set.g);
            enc.fact(rel(
                "=",
                &mul(&[sq(&sigma), g2.clone()]),
                &sub(&g2, &sq(&along)),
            ));
            sigma
        })
        .collect();
    let bias = vsub(&set.d, &set.g);
    let bound =
        set.mean(|i| set.clipped[i].then(|| mul(&[sub(&set.s[i], &set.gamma), sigma[i].clone()])));
    let claims = vec![Claim::squares(
        "‖P⊥(d − g)‖ ≤ (1/n) Σ_C (‖g_i‖ − γ)|sin θ_i|",
        Rel::AtMost,
        sub(
            &mul(&[dot(&bias, &bias), g2.clone()]),
            &sq(&dot(&bias, &set.g)),
        ),
        mul(&[sq(&bound), g2]),
    )];
    Built::new(enc, &set.vectors, claims)
}

/// `G = ‖g_k‖ = max_i ‖g_i‖` for the regime's `k` (two bits; `k ≥ n` is an
/// empty regime).
fn largest(enc: &mut Enc, set: &Set, bits: &[bool]) -> Term {
    let k = usize::from(bits[0]) + 2 * usize::from(bits[1]);
    if k >= set.s.len() {
        enc.fact("false".into());
        return Term::zero();
    }
    for (j, s) in set.s.iter().enumerate() {
        if j != k {
            enc.fact(rel(">=", &set.s[k], s));
        }
    }
    set.s[k].clone()
}

/// Acute angles: `cos θ_i ≥ 0` for every `i`, i.e. `⟨g_i, g⟩ ≥ 0` (the
/// cosine is `⟨g_i, g⟩/(‖g_i‖ ‖g‖)`, and `0` for `g_i = 0`).
fn acute(set: &Set) -> Vec<String> {
    set.vectors
        .iter()
        .map(|v| rel(">=", &dot(&v.v, &set.g), &Term::zero()))
        .collect()
}

/// Regime bits: clipped (n), which is largest (2).
fn desc_2(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let g2 = dot(&set.g, &set.g);
    enc.fact(rel(">", &g2, &Term::zero()));
    let big = largest(&mut enc, &set, &regime[n..]);
    let d_dot_g = dot(&set.d, &set.g);
    // min(1, γ/G) is 1 when nothing is clipped (G ≤ γ), else γ/G; then the
    // claim times G > 0: G ⟨d, g⟩ ≥ γ ‖g‖²
    let (lhs, rhs) = if set.clipped.iter().any(|&c| c) {
        (mul(&[big, d_dot_g]), mul(&[set.gamma.clone(), g2]))
    } else {
        (d_dot_g, g2)
    };
    let claims = vec![
        Claim::scalar("acute ⇒ ⟨d, g⟩ ≥ min(1, γ/G)‖g‖²", Rel::AtLeast, lhs, rhs)
            .given(acute(&set)),
    ];
    Built::new(enc, &set.vectors, claims)
}

/// Regime bits: clipped (n), `cos θ_i ≥ 0` (n).
fn desc_3(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let (gn, c) = set.angles(&mut enc);
    let positive_part: Vec<Term> = (0..n)
        .map(|i| {
            if regime[n + i] {
                enc.fact(rel(">=", &c[i], &Term::zero()));
                c[i].clone()
            } else {
                enc.fact(rel("<", &c[i], &Term::zero()));
                Term::zero()
            }
        })
        .collect();
    let beta = set.mean(|i| set.clipped[i].then(|| sub(&set.s[i], &set.gamma)));
    let beta_plus = set.mean(|i| {
        set.clipped[i].then(|| mul(&[sub(&set.s[i], &set.gamma), positive_part[i].clone()]))
    });
    let d_dot_g = dot(&set.d, &set.g);
    let claims = vec![
        Claim::scalar(
            "⟨d, g⟩ ≥ ‖g‖(‖g‖ − β₊)",
            Rel::AtLeast,
            d_dot_g.clone(),
            mul(&[gn.clone(), sub(&gn, &beta_plus)]),
        ),
        Claim::scalar("β₊ ≤ β", Rel::AtMost, beta_plus, beta.clone()),
        // ρ = 1 − β/‖g‖ > 0 ⇔ β < ‖g‖, and ρ ‖g‖² = ‖g‖² − β ‖g‖
        Claim::scalar(
            "β ≤ (1 − ρ)‖g‖ ⇒ ⟨d, g⟩ ≥ ρ‖g‖²",
            Rel::AtLeast,
            d_dot_g,
            sub(&sq(&gn), &mul(&[beta.clone(), gn.clone()])),
        )
        .given(vec![rel("<", &beta, &gn)]),
    ];
    Built::new(enc, &set.vectors, claims)
}

/// Regime bits: clipped (n), which is largest (2), `‖g‖ ≤ γ` (1),
/// `max(‖g‖, γ) ≥ G` (1, then `ρ = 1`).
fn desc_6(n: usize, regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let set = Set::new(&mut enc, n, n, true, regime);
    let gn = enc.norm("gn", &set.g);
    enc.fact(rel(">", &gn, &Term::zero()));
    let big = largest(&mut enc, &set, &regime[n..n + 2]);
    let (min, max) = if regime[n + 2] {
        enc.fact(rel("<=", &gn, &set.gamma));
        (gn.clone(), set.gamma.clone())
    } else {
        enc.fact(rel(">", &gn, &set.gamma));
        (set.gamma.clone(), gn.clone())
    };
    let d_dot_g = dot(&set.d, &set.g);
    let g2 = dot(&set.g, &set.g);
    // ρ = min(1, max/G): 1 if max ≥ G, else max/G, then the claim times
    // G > 0. Products ‖g‖·‖g‖ are written ⟨g, g⟩ (a fact: gn² = ⟨g, g⟩);
    // max·min = γ‖g‖ in both cases of ‖g‖ ≤ γ.
    let (lhs, rhs) = if regime[n + 3] {
        enc.fact(rel(">=", &max, &big));
        let rhs = if regime[n + 2] { g2 } else { mul(&[min, gn]) };
        (d_dot_g, rhs)
    } else {
        enc.fact(rel("<", &max, &big));
        (mul(&[big, d_dot_g]), mul(&[set.gamma.clone(), g2]))
    };
    let claims = vec![Claim::scalar(
        "acute, G ≤ max(‖g‖, γ)/ρ ⇒ ⟨d, g⟩ ≥ ρ min(‖g‖, γ)‖g‖",
        Rel::AtLeast,
        lhs,
        rhs,
    )
    .given(acute(&set))];
    Built::new(enc, &set.vectors, claims)
}
