//! Machine proofs by SMT (`cliptheory::prove`; `theorems/README.md`,
//! "Machine proofs (SMT)"): the lemmas come back proved, their tightened
//! forms refuted, DESC-5 refuted with a counterexample that replays.
#![cfg(feature = "smt")]

use std::time::Duration;

use cliptheory::direction::GradientsAt;
use cliptheory::instance::Instance;
use cliptheory::prove::{failures, prove, ProofRow, ProofVerdict};
use cliptheory::statements;

const TIMEOUT: Duration = Duration::from_secs(30);

fn row(id: &str, tightened: bool) -> ProofRow {
    let rows = prove(&[id], tightened, TIMEOUT).expect("known id");
    assert_eq!(rows.len(), 1);
    let row = rows.into_iter().next().unwrap();
    eprintln!(
        "{} {} {:.2}s {}",
        row.id, row.verdict, row.seconds, row.method
    );
    row
}

fn proved(id: &str) {
    let r = row(id, false);
    assert_eq!(r.verdict, ProofVerdict::Proved, "{id}: {}", r.method);
    assert!(r.counterexample.is_none());
}

/// The tightened form is refuted with an exact model, which is an instance.
fn tightened_refuted(id: &str) {
    let r = row(id, true);
    assert_eq!(r.verdict, ProofVerdict::Refuted, "{id}: {}", r.method);
    let json = r.counterexample.expect("a counterexample").to_string();
    Instance::<f64>::from_json_str(&json, std::path::Path::new("model")).expect("instance v1");
}

#[test]
fn clip_1_proved_by_smt() {
    proved("CLIP-1");
}

#[test]
fn clip_2_proved_by_smt() {
    proved("CLIP-2");
}

#[test]
fn clip_3_proved_by_smt() {
    proved("CLIP-3");
}

#[test]
fn clip_4_proved_by_smt() {
    proved("CLIP-4");
}

#[test]
fn clip_5_proved_by_smt() {
    proved("CLIP-5");
}

#[test]
fn conj_1_proved_by_smt() {
    proved("CONJ-1");
}

#[test]
fn desc_4_proved_by_smt() {
    proved("DESC-4");
}

#[test]
fn bias_1_proved_by_smt_for_n_up_to_2() {
    proved("BIAS-1");
}

#[test]
fn bias_2_proved_by_smt_for_n_up_to_2() {
    proved("BIAS-2");
}

#[test]
fn bias_3_proved_by_smt_for_n_up_to_2() {
    proved("BIAS-3");
}

#[test]
fn bias_4_proved_by_smt_for_n_up_to_2() {
    proved("BIAS-4");
}

#[test]
fn bias_5_proved_by_smt() {
    proved("BIAS-5");
}

#[test]
fn desc_1_proved_by_smt_for_n_up_to_2() {
    proved("DESC-1");
}

#[test]
fn desc_2_proved_by_smt_for_n_up_to_2() {
    proved("DESC-2");
}

#[test]
fn desc_3_proved_by_smt_for_n_up_to_2() {
    proved("DESC-3");
}

#[test]
fn desc_6_proved_by_smt_for_n_up_to_2() {
    proved("DESC-6");
}

#[test]
fn clip_1_tightened_refuted_by_smt() {
    tightened_refuted("CLIP-1");
}

#[test]
fn clip_2_tightened_refuted_by_smt() {
    tightened_refuted("CLIP-2");
}

#[test]
fn clip_3_tightened_refuted_by_smt() {
    tightened_refuted("CLIP-3");
}

#[test]
fn clip_4_tightened_refuted_by_smt() {
    tightened_refuted("CLIP-4");
}

#[test]
fn clip_5_tightened_refuted_by_smt() {
    tightened_refuted("CLIP-5");
}

#[test]
fn conj_1_tightened_refuted_by_smt() {
    tightened_refuted("CONJ-1");
}

#[test]
fn desc_4_tightened_refuted_by_smt() {
    tightened_refuted("DESC-4");
}

#[test]
fn bias_1_tightened_refuted_by_smt() {
    tightened_refuted("BIAS-1");
}

#[test]
fn bias_2_tightened_refuted_by_smt() {
    tightened_refuted("BIAS-2");
}

#[test]
fn bias_3_tightened_refuted_by_smt() {
    tightened_refuted("BIAS-3");
}

#[test]
fn bias_4_tightened_refuted_by_smt() {
    tightened_refuted("BIAS-4");
}

#[test]
fn bias_5_tightened_refuted_by_smt() {
    tightened_refuted("BIAS-5");
}

#[test]
fn desc_1_tightened_refuted_by_smt() {
    tightened_refuted("DESC-1");
}

#[test]
fn desc_2_tightened_refuted_by_smt() {
    tightened_refuted("DESC-2");
}

#[test]
fn desc_3_tightened_refuted_by_smt() {
    tightened_refuted("DESC-3");
}

#[test]
fn desc_6_tightened_refuted_by_smt() {
    tightened_refuted("DESC-6");
}

#[test]
fn desc_5_refuted_by_smt_with_replayable_counterexample() {
    let r = row("DESC-5", false);
    assert_eq!(r.verdict, ProofVerdict::Refuted, "{}", r.method);
    let json = r.counterexample.expect("a counterexample").to_string();
    let instance = Instance::<f64>::from_json_str(&json, std::path::Path::new("model")).unwrap();
    assert_eq!((instance.n(), instance.dim()), (3, 1));
    // every number is exact in f64 (dyadic), and the registry refutes it:
    // ⟨d, g⟩ < 0, the clipped direction ascends
    let evaluation = statements::find("DESC-5")
        .unwrap()
        .evaluate::<f64>(&instance)
        .unwrap()
        .expect("n = 3, g ≠ 0");
    assert!(evaluation.is_refuted());
    let set = instance.gradients_at_start().unwrap();
    let d_dot_g = set.clipped_direction().dot(set.mean());
    assert!(d_dot_g < 0.0, "⟨d, g⟩ = {d_dot_g}");
    // round trip through the instance format keeps it
    let again =
        Instance::<f64>::from_json_str(&instance.to_json_string(), std::path::Path::new("x"))
            .unwrap();
    assert_eq!(again, instance);
}

#[test]
fn ids_without_encoding_are_not_applicable_and_unknown_ids_are_errors() {
    let rows = prove(&["SMOOTH-1", "IG-1"], false, TIMEOUT).unwrap();
    assert!(rows
        .iter()
        .all(|r| r.verdict == ProofVerdict::NotApplicable));
    assert!(prove(&["CLIP-99"], false, TIMEOUT).is_err());
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["verdict"], "not-applicable");
}

#[test]
fn failures_flag_refuted_lemmas_and_toothless_tightened_forms() {
    let proved_row = ProofRow {
        id: "CLIP-2".into(),
        verdict: ProofVerdict::Proved,
        method: String::new(),
        scope: String::new(),
        seconds: 0.0,
        counterexample: None,
    };
    let refuted_claim = ProofRow {
        id: "DESC-5".into(),
        verdict: ProofVerdict::Refuted,
        ..proved_row.clone()
    };
    let rows = vec![proved_row.clone(), refuted_claim.clone()];
    assert!(failures(&rows, false).is_empty());
    assert_eq!(failures(&rows, true), vec!["CLIP-2".to_string()]);
    let refuted_lemma = ProofRow {
        verdict: ProofVerdict::Refuted,
        ..proved_row
    };
    assert_eq!(
        failures(std::slice::from_ref(&refuted_lemma), false),
        vec!["CLIP-2".to_string()]
    );
    assert!(failures(&[refuted_lemma], true).is_empty());
}
