//! Encodings of CLIP-1..CLIP-5 and CONJ-1: one vector (`R^1`) or one pair
//! (`R^2`) at a time, which covers every `n` and every dimension (each
//! comparison of these statements involves one vector or one pair).

use super::encode::{Built, Claim, Enc, Encoding, Polar, Rel};
use super::smt::{dot, mul, rel, sq, sub, vscale, vsub, Term};

/// The encodings of this module, by id.
pub fn encodings(id: &str) -> Option<Vec<Encoding>> {
    let one = "every n, every dimension (one vector at a time)";
    let pair = "every n, every dimension (one pair at a time)";
    let encoding = |id, scope: &str, space: &str, bits, build| Encoding {
        id,
        scope: scope.into(),
        space: space.into(),
        bits,
        build,
    };
    Some(vec![match id {
        "CLIP-1" => encoding("CLIP-1", one, "R^1", 1, Box::new(clip_1)),
        "CLIP-2" => encoding("CLIP-2", pair, "R^2", 2, Box::new(clip_2)),
        "CLIP-3" => encoding("CLIP-3", one, "R^1", 1, Box::new(clip_3)),
        "CLIP-4" => encoding(
            "CLIP-4",
            "every n, every dimension, every t > 0 (the registry checks t = 0.37, 3, 1000)",
            "R^1",
            3,
            Box::new(clip_4),
        ),
        "CLIP-5" => encoding("CLIP-5", pair, "R^2", 3, Box::new(clip_5)),
        "CONJ-1" => encoding("CONJ-1", pair, "R^2", 3, Box::new(conj_1)),
        _ => return None,
    }])
}

/// One vector `v = s e` in `R^1` (`e = 1`), `γ`, and `min(s, γ)`.
fn one_vector(enc: &mut Enc, clipped: bool) -> (Vec<Polar>, Term, Term) {
    let gamma = enc.gamma();
    let vectors = enc.polar_vectors(1, 1, true);
    let m = enc.min_with(&vectors[0].s, &gamma, clipped);
    (vectors, gamma, m)
}

/// A pair `u = s₀ (1, 0)`, `v = s₁ (p, q)`, `p² + q² = 1`, `q ≥ 0`.
struct Pair {
    vectors: Vec<Polar>,
    gamma: Term,
    s: [Term; 2],
    /// `clip u − clip v`.
    dc: Vec<Term>,
    /// `u − v`.
    dx: Vec<Term>,
}

fn pair(enc: &mut Enc, regime: &[bool]) -> Pair {
    let gamma = enc.gamma();
    let vectors = enc.polar_vectors(2, 2, true);
    let m0 = enc.min_with(&vectors[0].s, &gamma, regime[0]);
    let m1 = enc.min_with(&vectors[1].s, &gamma, regime[1]);
    let dc = vsub(&vectors[0].clipped(&m0), &vectors[1].clipped(&m1));
    let dx = vsub(&vectors[0].v, &vectors[1].v);
    Pair {
        s: [vectors[0].s.clone(), vectors[1].s.clone()],
        vectors,
        gamma,
        dc,
        dx,
    }
}

fn clip_1(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let (vectors, gamma, m) = one_vector(&mut enc, regime[0]);
    let v = &vectors[0];
    let c = v.clipped(&m);
    let removed = vsub(&v.v, &c);
    // (‖v‖ − γ)₊ is ‖v‖ − γ > 0 when clipped, 0 otherwise
    let excess = if regime[0] {
        sub(&v.s, &gamma)
    } else {
        Term::zero()
    };
    let claims = vec![
        Claim::squares("‖clip v‖ = min(‖v‖, γ)", Rel::Equal, dot(&c, &c), sq(&m)),
        Claim::squares(
            "‖v − clip v‖ = (‖v‖ − γ)₊",
            Rel::Equal,
            dot(&removed, &removed),
            sq(&excess),
        ),
    ];
    Built::new(enc, &vectors, claims)
}

fn clip_2(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let p = pair(&mut enc, regime);
    let claims = vec![
        Claim::scalar(
            "‖clip u − clip v‖² ≤ ⟨clip u − clip v, u − v⟩",
            Rel::AtMost,
            dot(&p.dc, &p.dc),
            dot(&p.dc, &p.dx),
        ),
        Claim::squares(
            "‖clip u − clip v‖ ≤ ‖u − v‖",
            Rel::AtMost,
            dot(&p.dc, &p.dc),
            dot(&p.dx, &p.dx),
        ),
    ];
    Built::new(enc, &p.vectors, claims)
}

fn clip_3(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let (vectors, _gamma, m) = one_vector(&mut enc, regime[0]);
    let v = &vectors[0];
    let c = v.clipped(&m);
    let inner = dot(&c, &v.v);
    let claims = vec![
        Claim::scalar(
            "⟨clip v, v⟩ = min(‖v‖, γ)‖v‖",
            Rel::Equal,
            inner.clone(),
            mul(&[m.clone(), v.s.clone()]),
        ),
        Claim::scalar("⟨clip v, v⟩ ≥ ‖clip v‖²", Rel::AtLeast, inner, dot(&c, &c)),
    ];
    Built::new(enc, &vectors, claims)
}

/// Regime bits: `v` clipped, `t v` clipped at `t γ`, `clip v` clipped again.
/// `t v = (t s) e` and `clip v = min(s, γ) e` are again in polar form
/// (`t s ≥ 0`, `min(s, γ) ≥ 0`), so they clip the same way.
fn clip_4(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let (vectors, gamma, m) = one_vector(&mut enc, regime[0]);
    let v = &vectors[0];
    let t = enc.var("t");
    enc.fact(rel(">", &t, &Term::zero()));
    let c = v.clipped(&m);
    let ts = mul(&[t.clone(), v.s.clone()]);
    let tgamma = mul(&[t.clone(), gamma.clone()]);
    let mt = enc.min_with(&ts, &tgamma, regime[1]);
    let mm = enc.min_with(&m, &gamma, regime[2]);
    let claims = vec![
        Claim::vectors(
            "clip_{tγ}(t v) = t clip_γ(v)",
            vscale(&mt, &v.e),
            vscale(&t, &c),
        ),
        Claim::vectors("clip(clip v) = clip v", vscale(&mm, &v.e), c.clone()),
    ];
    Built::new(enc, &vectors, claims)
}

/// Regime bits: `u` clipped, `v` clipped, `‖u‖ ≤ ‖v‖`.
fn clip_5(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let p = pair(&mut enc, regime);
    let (smaller, order) = if regime[2] {
        (p.s[0].clone(), rel("<=", &p.s[0], &p.s[1]))
    } else {
        (p.s[1].clone(), rel(">", &p.s[0], &p.s[1]))
    };
    enc.fact(order);
    let (gap2, dist2) = (dot(&p.dc, &p.dc), dot(&p.dx, &p.dx));
    // factor = γ/min(‖u‖, ‖v‖) if min > γ (both clipped), else 1; stated
    // on squares: gap² min² ≤ dist² γ², resp. gap² ≤ dist²
    let first = if regime[0] && regime[1] {
        (
            mul(&[gap2.clone(), sq(&smaller)]),
            mul(&[dist2.clone(), sq(&p.gamma)]),
        )
    } else {
        (gap2.clone(), dist2.clone())
    };
    let outside = vec![rel(">=", &p.s[0], &p.gamma), rel(">=", &p.s[1], &p.gamma)];
    let claims = vec![
        Claim::squares(
            "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/min(‖u‖,‖v‖))",
            Rel::AtMost,
            first.0,
            first.1,
        ),
        // gap ≤ γ dist / sqrt(s0 s1) ⇔ gap² s0 s1 ≤ γ² dist² (s0 s1 ≥ γ² > 0)
        Claim::squares(
            "‖u‖,‖v‖ ≥ γ ⇒ ‖clip u − clip v‖ ≤ γ‖u − v‖/sqrt(‖u‖‖v‖)",
            Rel::AtMost,
            mul(&[gap2, p.s[0].clone(), p.s[1].clone()]),
            mul(&[sq(&p.gamma), dist2]),
        )
        .given(outside),
    ];
    Built::new(enc, &p.vectors, claims)
}

/// Regime bits: `u` clipped, `v` clipped,
/// `γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)) < 1` (else the factor is 1).
fn conj_1(regime: &[bool]) -> Built {
    let mut enc = Enc::default();
    let p = pair(&mut enc, regime);
    let big = |k: usize| {
        if regime[k] {
            p.s[k].clone()
        } else {
            p.gamma.clone()
        }
    };
    // With M = max(‖u‖,γ) max(‖v‖,γ) ≥ γ² > 0 and factor f = min(1, γ/sqrt M):
    // gap ≤ dist f ⇔ gap² M ≤ dist² γ² when γ² < M, gap² ≤ dist² otherwise.
    let product = mul(&[big(0), big(1)]);
    let gamma2 = sq(&p.gamma);
    let (gap2, dist2) = (dot(&p.dc, &p.dc), dot(&p.dx, &p.dx));
    let sides = if regime[2] {
        enc.fact(rel("<", &gamma2, &product));
        (mul(&[gap2, product]), mul(&[dist2, gamma2]))
    } else {
        enc.fact(rel(">=", &gamma2, &product));
        (gap2, dist2)
    };
    let claims = vec![Claim::squares(
        "‖clip u − clip v‖ ≤ ‖u − v‖ min(1, γ/sqrt(max(‖u‖,γ) max(‖v‖,γ)))",
        Rel::AtMost,
        sides.0,
        sides.1,
    )];
    Built::new(enc, &p.vectors, claims)
}
