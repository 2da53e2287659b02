//! The explorer: it rediscovers the theory's counterexamples from scratch,
//! finds nothing where a lemma holds, and its saved findings replay.
//! Budgets are small enough for the suite (each test well under a minute).

use std::path::Path;

use cliptheory::explorer::{
    explore, parameters, refutes, shrink, with_parameters, Exploration, ExploreOptions, Positive,
};
use cliptheory::instance::Instance;
use cliptheory::statements::{find, Statement};

fn options(budget: usize, components: Option<usize>) -> ExploreOptions {
    ExploreOptions {
        budget,
        seed: 1,
        components,
        restarts: 8,
    }
}

fn fixture(name: &str) -> Instance<f64> {
    Instance::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// Explores `statement` from scratch (seed 1) and checks that it finds an
/// expected counterexample of size `(n, dim)`; returns it and the run.
fn rediscover(
    statement: &Statement,
    budget: usize,
    components: Option<usize>,
    size: (usize, usize),
) -> (Instance<f64>, Exploration) {
    let found = explore(statement, &options(budget, components)).unwrap();
    assert!(found.refuted, "{}: nothing found", statement.id);
    assert_eq!(found.verdict, "expected-counterexample");
    let instance = found.best.clone().unwrap();
    assert_eq!(
        (instance.n(), instance.dim()),
        size,
        "not shrunk to {size:?}"
    );
    (instance, found)
}

/// `instance` equals the committed fixture `name` (so the search is
/// reproducible), which also refutes `statement` in f32.
fn assert_is_fixture_refuting_in_f32(statement: &Statement, instance: &Instance<f64>, name: &str) {
    let saved = fixture(name);
    assert_eq!(
        instance, &saved,
        "{name}: differs from the committed fixture"
    );
    let in_f32 = statement
        .evaluate(&saved.cast::<f32>().unwrap())
        .unwrap()
        .unwrap();
    assert!(in_f32.is_refuted(), "{name}: does not refute in f32");
}

/// DESC-5: an ascent configuration for `n = 3, 4, 8`, found from scratch,
/// shrunk to one dimension with `γ = 1` and rounded numbers, identical to the
/// committed fixture (so the search is reproducible), and still refuting in f32.
#[test]
fn desc_5_explorer_rediscovers_ascent_for_n_3_4_8() {
    let statement = find("DESC-5").unwrap();
    for n in [3, 4, 8] {
        let (instance, _) = rediscover(statement, 5000, Some(n), (n, 1));
        assert_eq!(instance.gamma().get(), 1.0);
        assert_is_fixture_refuting_in_f32(
            statement,
            &instance,
            &format!("explorer_desc_5_n{n}.json"),
        );
    }
}

/// DESC-4 holds: a large budget finds nothing for `n = 2`.
#[test]
fn desc_4_explorer_finds_nothing_within_large_budget() {
    let found = explore(find("DESC-4").unwrap(), &options(100_000, None)).unwrap();
    assert!(
        !found.refuted,
        "DESC-4 refuted: {:?}",
        found.best.map(|i| i.to_json_string())
    );
    assert_eq!(found.verdict, "no-counterexample-within-budget");
    assert!(
        found.evaluations >= 90_000,
        "budget not spent: {}",
        found.evaluations
    );
}

/// CONJ-1 is proved: the explorer agrees within its budget.
#[test]
fn conj_1_explorer_finds_nothing_within_budget() {
    let found = explore(find("CONJ-1").unwrap(), &options(30_000, None)).unwrap();
    assert!(!found.refuted);
}

/// The search itself, not the random pool, finds violations: from a case
/// that holds (the DESC-5 statement at a descent configuration), the local
/// search alone reaches an ascent.
#[test]
fn desc_5_local_search_walks_from_descent_to_ascent() {
    let statement = find("DESC-5").unwrap();
    let start = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":1,"gamma":1.0,"x0":[0.0],
            "components":[{"kind":"linear","c":[3.0]},{"kind":"linear","c":[-0.5]},{"kind":"linear","c":[-0.5]}]}"#,
        Path::new("<inline>"),
    )
    .unwrap();
    assert!(!refutes(statement, &start));
    let found = cliptheory::explorer::search_from(statement, start, 2000, 7);
    assert!(
        refutes(statement, &found),
        "no ascent reached from a descent start"
    );
}

/// Parameters round-trip, and shrinking keeps a refutation refuting.
#[test]
fn desc_5_parameters_round_trip_and_shrinking_keeps_refutation() {
    let statement = find("DESC-5").unwrap();
    let instance = fixture("desc_5_ascent_n8.json");
    for positive in [Positive::Log, Positive::Natural] {
        let p = parameters(&instance, positive);
        let back = with_parameters(&instance, &p, positive).unwrap();
        assert_eq!(parameters(&back, positive), p);
    }
    let (shrunk, _) = shrink(statement, &instance, false);
    assert!(refutes(statement, &shrunk));
    assert!(shrunk.n() <= instance.n());
}

/// CONJ-3 is refuted: from scratch the explorer finds an order-dependent
/// `e_k` where the cyclic order beats the average, shrinks it to `n = 2`,
/// `dim = 1`, identical to the committed fixture; it refutes in f32 too.
#[test]
fn conj_3_explorer_finds_counterexample() {
    let statement = find("CONJ-3").unwrap();
    let (instance, _) = rediscover(statement, 2000, None, (2, 1));
    assert_is_fixture_refuting_in_f32(statement, &instance, "conj_3_explorer_counterexample.json");
}

/// CONJ-2 (acute angles at `x_k`, `a = 1/(L0 + L1γ)`) is refuted: with
/// two components the explorer finds a near-stationary counterexample from
/// scratch (its generator starts half of the quadratic cases near the
/// minimiser), identical to the committed fixture, refuting in f32 too.
#[test]
fn conj_2_explorer_finds_counterexample_near_stationary_point() {
    let statement = find("CONJ-2").unwrap();
    let (instance, _) = rediscover(statement, 200_000, Some(2), (2, 3));
    assert_is_fixture_refuting_in_f32(statement, &instance, "conj_2_explorer_counterexample.json");
}

/// BATCH-4: a non-monotone batch curve `b ↦ E[cos θ_B]`, found from scratch
/// (1274 evaluations with seed 1), shrunk to three numbers in one dimension,
/// identical to the committed fixture, refuting in f32 too.
#[test]
fn batch_4_explorer_rediscovers_non_monotone_curve() {
    let statement = find("BATCH-4").unwrap();
    let (instance, _) = rediscover(statement, 5000, None, (3, 1));
    assert_is_fixture_refuting_in_f32(statement, &instance, "explorer_batch_4.json");
}

/// SMOOTH-5: a mean of `(0, L1)`-smooth exponentials that is not
/// `(0, L1)`-smooth (it needs `L0 > 0`, like `cosh`), found from scratch
/// through the explorer-facing naive sum claim, shrunk, identical to the
/// committed fixture, refuting in f32 too.
#[test]
fn smooth_5_explorer_rediscovers_sum_needing_l0() {
    let statement = cliptheory::explorer::smooth_5_naive_sum_claim();
    let witness = &(statement.witnesses)()[0].instance;
    assert!(refutes(&statement, witness), "cosh does not refute");
    let (instance, found) = rediscover(&statement, 5000, None, (2, 1));
    let instance = instance.with_note(format!(
        "counterexample to the naive sum rule that SMOOTH-5 refutes (cliptheory::explorer::smooth_5_naive_sum_claim, seed 1, {} evaluations): relative slack {:.3e}",
        found.evaluations,
        found.shrunk_slack.unwrap()
    ));
    if std::env::var_os("CLIPTHEORY_WRITE_FIXTURES").is_some() {
        instance
            .save(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/explorer_smooth_5.json"),
            )
            .unwrap();
    }
    assert_is_fixture_refuting_in_f32(&statement, &instance, "explorer_smooth_5.json");
}

/// Shrinking drops coordinates of separable components whose rotation
/// leaves them alone: a two-dimensional `cosh`-type separable mean shrinks
/// to one dimension and keeps refuting the naive sum rule (SMOOTH-5).
#[test]
fn smooth_5_shrinking_drops_coordinates_of_separable_components() {
    let statement = cliptheory::explorer::smooth_5_naive_sum_claim();
    let instance = Instance::from_json_str(
        r#"{"format":"cliptheory.instance.v1","dim":2,"gamma":1.0,"x0":[0.0,-3.0],
            "components":[
              {"kind":"separable","rotation":[[1.0,0.0],[0.0,1.0]],"shift":[0.0,0.0],
               "atoms":[{"atom":"exp","a":1.0,"b":0.0},{"atom":"exp","a":1.0,"b":0.0}]},
              {"kind":"separable","rotation":[[1.0,0.0],[0.0,1.0]],"shift":[0.0,0.0],
               "atoms":[{"atom":"exp","a":-1.0,"b":0.0},{"atom":"exp","a":1.0,"b":0.0}]}]}"#,
        Path::new("<inline>"),
    )
    .unwrap();
    assert!(refutes(&statement, &instance));
    let (shrunk, _) = shrink(&statement, &instance, true);
    assert!(refutes(&statement, &shrunk));
    assert_eq!(shrunk.dim(), 1, "{}", shrunk.to_json_string());
}
