//! Plain-text tables of the `check` report, a replay, and the certification
//! table (the library returns them as data).

use cliptheory::report::{CheckReport, Replay};
use cliptheory::smooth::LoosenessRow;
use cliptheory::tolerance::tolerance;

fn format_slack(slack: Option<f64>) -> String {
    // `+ 0.0` turns −0 into +0.
    slack.map_or_else(|| "—".to_string(), |s| format!("{:+.2e}", s + 0.0))
}

/// Shortens `text` to at most `width` characters, with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        format!("{text:width$}")
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// The report as a plain-text table.
/// The check report as a table; `proofs` gives the SMT column (`—` for ids
/// it lacks).
pub fn render_check_table(report: &CheckReport, proofs: &[cliptheory::prove::ProofRow]) -> String {
    let mut out = format!(
        "cliptheory check: {} random cases per statement in f64 and f32, seed {}\n\
         slack = signed relative slack (negative = violated); f64 tolerance {:.1e}, f32 {:.1e} at n + dim = 96\n\n",
        report.cases_per_statement,
        report.seed,
        tolerance::<f64>(96),
        tolerance::<f32>(96),
    );
    out.push_str(&format!(
        "{:<8} {:<52} {:>6} {:>10} {:>10} {:>8} {:>10} {:>5} {:>22}  {:<26} {}\n",
        "id",
        "statement",
        "cases",
        "worst f64",
        "worst f32",
        "tol used",
        "witness",
        "teeth",
        "certified",
        "verdict",
        "SMT"
    ));
    for row in &report.rows {
        out.push_str(&format!(
            "{:<8} {} {:>6} {:>10} {:>10} {:>8} {:>10} {:>5} {:>22}  {:<26} {}\n",
            row.id,
            fit(row.statement, 52),
            row.cases,
            format_slack(row.worst_slack),
            format_slack(row.worst_slack_f32),
            if row.expectation.must_hold() {
                format!("{:.2}%", 100.0 * row.tolerance_used)
            } else {
                "—".to_string()
            },
            format_slack(row.witness_slack),
            match (
                row.strengthened_refuted,
                row.comparisons_without_teeth.is_empty(),
            ) {
                (true, true) => "yes",
                (true, false) => "part",
                (false, _) => "no",
            },
            format_certified(row),
            row.verdict.label(),
            smt_cell(proofs, row.id),
        ));
    }
    let failures: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| r.is_failure())
        .map(|r| r.id)
        .collect();
    // Teeth and tightness per comparison: what the columns' summary hides.
    let mut notes = String::new();
    for row in &report.rows {
        for label in &row.comparisons_without_teeth {
            notes.push_str(&format!("  {}: no teeth on `{label}`\n", row.id));
        }
        for label in &row.comparisons_without_tight_witness {
            notes.push_str(&format!("  {}: no tight witness on `{label}`\n", row.id));
        }
        for loose in &row.loose_comparisons {
            notes.push_str(&format!(
                "  {}: no tight witness known, `{}`: {}\n",
                row.id, loose.label, loose.reason
            ));
        }
    }
    if !notes.is_empty() {
        out.push_str("\nper comparison (its strengthened form never refuted; no witness within 1e-6 of equality; no tight witness known where the proof gives a factor away):\n");
        out.push_str(&notes);
    }
    for row in report.rows.iter().filter(|r| r.evaluation_errors > 0) {
        out.push_str(&format!(
            "{}: {} evaluations failed, first {}\n",
            row.id,
            row.evaluation_errors,
            row.first_error.as_deref().unwrap_or("(no message)")
        ));
    }
    if !report.certification.is_empty() {
        out.push_str(&format!(
            "\nCertified (L0, L1) against the sampled lower bound on L0 at the same L1 \
             ({} instances per family; ratio 1: the certificate is the least valid L0):\n",
            cliptheory::smooth::TABLE_CASES
        ));
        out.push_str(&render_rows(&report.certification));
        if report.certification.iter().any(|r| r.violations > 0) {
            out.push_str("FAILED: a sampled point violated a certified (L0, L1) pair\n");
        }
    }
    out.push('\n');
    if failures.is_empty() {
        out.push_str("every lemma that should hold held; expected counterexamples were found where marked.\n");
    } else {
        out.push_str(&format!(
            "FAILED: {} refuted (see `cliptheory check --only ID --json`)\n",
            failures.join(", ")
        ));
    }
    out.push_str(&format!(
        "certified: hold/violation/undecided over the first {} applicable cases, proved in interval arithmetic with\n\
         the inputs taken as exact reals; tN: N of the undecided are tight (an enclosure of rhs − lhs contains 0, as at\n\
         exact equality), the others met an undecidable branch or exp/ln; +Nw: N known counterexamples certified too.\n",
        report.certified_cases_per_statement
    ));
    out.push_str(
        "tol used: the largest share of the rounding tolerance 8 (n + dim) ε a case that held used up;\n\
         witness: slack on the tightness witness (≈ 0: the bound is attained) or on a known counterexample;\n\
         teeth: each comparison with its bound tightened by 10% (identities perturbed by 1e-3, bounds of 0 moved by 10% of\n\
         the scale, IG-5's factor-2 bounds by their stated wrong variants) is refuted by these cases (part: only some are);\n\
         SMT: `cliptheory prove` settles the algebraic statement for every dimension (with the n shown), by z3.\n",
    );
    out
}

/// `hold/violation/undecided` of the certified cases, with `+Nw` for
/// witnesses certified as violations (statements the theory refutes).
fn format_certified(row: &cliptheory::report::CheckRow) -> String {
    let c = &row.certified;
    let mut text = format!("{}/{}/{}", c.hold, c.violation, c.undecided);
    if c.undecided_tight > 0 {
        text.push_str(&format!(" t{}", c.undecided_tight));
    }
    if !row.expectation.must_hold() && row.certified_witnesses.violation > 0 {
        text.push_str(&format!(" +{}w", row.certified_witnesses.violation));
    }
    text
}

/// A replay as a plain-text table.
pub fn render_replay_table(replay: &Replay) -> String {
    let q = &replay.quantities;
    let mut out = format!(
        "n = {}, dim = {}, γ = {}\n‖∇f‖ = {:.6e}  ‖d‖ = {:.6e}  ⟨d, ∇f⟩ = {:.6e}  β = {:.6e}  β₊ = {:.6e}  ρ* = {:.6e}\n",
        q.n, q.dim, q.gamma, q.grad_norm, q.clipped_direction_norm, q.d_dot_g, q.beta, q.beta_plus, q.rho
    );
    out.push_str(if q.d_dot_g > 0.0 {
        "the clipped direction is a descent direction at x0\n\n"
    } else if q.d_dot_g < 0.0 {
        "the clipped direction is an ASCENT direction at x0 (⟨d, ∇f⟩ < 0)\n\n"
    } else {
        "the clipped direction is orthogonal to ∇f at x0 (no first-order progress)\n\n"
    });
    out.push_str(&format!(
        "{:<8} {:<52} {:>10} {:>10} {:>27}  {:<32}  {}\n",
        "id", "statement", "slack", "slack f32", "exact slack ∈", "certified", "verdict"
    ));
    for row in &replay.rows {
        out.push_str(&format!(
            "{:<8} {} {:>10} {:>10} {:>27}  {:<32}  {}\n",
            row.id,
            fit(row.statement, 52),
            format_slack(row.error.is_none().then_some(row.slack)),
            format_slack(row.slack_f32),
            row.enclosure.map_or_else(
                || "—".to_string(),
                |[lo, hi]| format!("[{:+.4e}, {:+.4e}]", lo + 0.0, hi + 0.0)
            ),
            row.certified.label(),
            match &row.error {
                Some(error) => format!("{}: {error}", row.verdict.label()),
                None => row.verdict.label().to_string(),
            }
        ));
    }
    out.push_str(
        "\nexact slack ∈: enclosure of the smallest slack with the instance's numbers taken as exact reals\n\
         (interval arithmetic, outward rounding); certified counterexample: the enclosure of rhs − lhs is\n\
         entirely negative, so the statement fails on this instance in real arithmetic, not only in floating point.\n",
    );
    out
}

/// The SMT verdict of `id`, short: `proved`, `proved n ≤ 2` (a scope
/// narrower than every n), `refuted`, `unknown`, or `—`.
pub fn smt_cell(proofs: &[cliptheory::prove::ProofRow], id: &str) -> String {
    use cliptheory::prove::ProofVerdict;
    match proofs.iter().find(|p| p.id == id) {
        Some(p) if p.verdict == ProofVerdict::Proved && p.scope.starts_with("n = 1") => {
            "proved n ≤ 2".into()
        }
        Some(p) if p.verdict == ProofVerdict::Proved && p.scope.starts_with("n = 2") => {
            "proved (n = 2)".into()
        }
        Some(p) if p.verdict != ProofVerdict::NotApplicable => p.verdict.to_string(),
        _ => "—".into(),
    }
}

/// The `prove` rows as a plain-text table.
pub fn render_proofs(rows: &[cliptheory::prove::ProofRow]) -> String {
    let mut out = format!(
        "{:<8} {:<15} {:>8}  {:<45} {}\n",
        "id", "verdict", "seconds", "scope", "method"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<8} {:<15} {:>8.2}  {:<45} {}\n",
            row.id, row.verdict, row.seconds, row.scope, row.method
        ));
    }
    out
}

/// The certification table rows as a Markdown table.
pub fn render_rows(rows: &[LoosenessRow]) -> String {
    let fmt = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.3}"));
    let mut out = String::from(
        "| family | cases | median certified/lower L0 | max certified/lower L0 | certified L0 = 0 | violations |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.family,
            r.cases,
            fmt(r.median_ratio),
            fmt(r.max_ratio),
            r.zero_l0,
            r.violations
        );
    }
    out
}
