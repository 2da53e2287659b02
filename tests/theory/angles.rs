//! The angle analyzer (`cliptheory angles`) on dumps written by
//! `numpy.save` (`tests/fixtures/make_batch_fixtures.py`), against exact
//! statistics the same script computed by enumerating every batch with
//! itertools, independently of this crate.

use std::path::{Path, PathBuf};

use cliptheory::batch::analyzer::analyze_file;
use cliptheory::batch::analyzer::{analyze, AnglesOptions, AnglesReport, RowsInMemory};
use cliptheory::npy::{write_matrix, Dtype, NpyErrorKind, NpyMatrixReader};
use cliptheory::Error;
use serde_json::Value;

/// The contract's per-row statistics that exact enumeration determines.
const STATISTICS: [&str; 7] = cliptheory::batch::analyzer::ROW_STATISTICS;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture("batch_small_expected.json")).expect("readable");
    let all: Value = serde_json::from_str(&text).expect("valid JSON");
    all[name].clone()
}

fn options(samples: usize, seed: u64) -> AnglesOptions {
    AnglesOptions {
        batch_sizes: Vec::new(),
        samples,
        passes: 1000,
        seed,
        clip: None,
    }
}

fn all_sizes(n: usize) -> Vec<usize> {
    (1..=n).collect()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, numpy says {want}"
    );
}

/// With enough samples every size is enumerated, and every statistic
/// matches the numpy enumeration (float32 data is widened exactly, so both
/// sides compute in f64 from the same numbers).
#[test]
fn exact_rows_match_numpy_enumeration() {
    for name in [
        "batch_small_f64.npy",
        "batch_small_f32.npy",
        "batch_4_example.npy",
    ] {
        let want = expected(name);
        let n = want["n"].as_u64().expect("n") as usize;
        let report = analyze_file(
            &fixture(name),
            &AnglesOptions {
                batch_sizes: all_sizes(n),
                ..options(1000, 1)
            },
        )
        .expect("analyzes");
        assert_eq!(report.n, n);
        assert_eq!(report.d as u64, want["d"].as_u64().expect("d"));
        close(
            report.grad_norm,
            want["grad_norm"].as_f64().unwrap(),
            1e-12,
            "grad_norm",
        );
        close(
            report.sigma2,
            want["sigma2"].as_f64().unwrap(),
            1e-11,
            "sigma2",
        );
        for (row, w) in report.rows.iter().zip(want["rows"].as_array().unwrap()) {
            assert!(row.exact, "{name} b = {} not enumerated", row.b);
            assert_eq!(row.stderr_cos, Some(0.0));
            assert_eq!(row.batches as u64, w["batches"].as_u64().unwrap());
            for key in STATISTICS {
                let got = serde_json::to_value(row).unwrap()[key].as_f64().unwrap();
                close(
                    got,
                    w[key].as_f64().unwrap(),
                    1e-12,
                    &format!("{name} b = {} {key}", row.b),
                );
            }
        }
    }
}

/// Sampled rows agree with the exact means within their reported standard
/// errors. With `samples = 40`, sizes `3..=n − 3` of both fixtures are
/// sampled (`C(n, b) > 40`) while `b = 1, 2, n − 2, n − 1, n` stay exact
/// (`C(n, 2)` is within the enumeration budget); 10 seeds. With `passes`
/// above `samples` every batch comes from its own permutation (40
/// replicates of one batch: the standard error is the textbook `s/√40`).
///
/// The cosine of a small batch has a long left tail (rare obtuse batches),
/// so with 40 batches the studentized error `z = (mean − exact)/stderr` is
/// skewed: a run that misses the tail has a high mean *and* a small
/// standard error (measured over 400 seeds at `b = 5`: mean `z` 0.18, 0.75%
/// beyond 4). Hence three checks: (1) per size, the 10 runs combined (400
/// batches, standard error `sqrt(Σ se²)/10`) are within 4 standard errors
/// of the exact mean, which catches a biased sampler; (2) at least 85% of
/// the single runs are within 2 of their own standard errors (95% if the
/// error bars are right; far fewer would mean they are too small); (3) no
/// single run is beyond 8, which catches gross errors (the worst is 6.2:
/// the float32 fixture at `b = 5`, seed 0, whose 40 batches all miss the
/// tail; 108 of the 120 runs are within 2).
#[test]
fn sampled_rows_agree_with_exact_within_stderr() {
    const SEEDS: u64 = 10;
    let mut within_two = 0usize;
    let mut total = 0usize;
    let mut worst_single = 0.0f64;
    let mut worst_combined = 0.0f64;
    for name in ["batch_small_f64.npy", "batch_small_f32.npy"] {
        let want = expected(name);
        let exact_rows = want["rows"].as_array().unwrap();
        let n = want["n"].as_u64().unwrap() as usize;
        let mut combined = vec![(0.0f64, 0.0f64); n];
        for seed in 0..SEEDS {
            let report = analyze_file(
                &fixture(name),
                &AnglesOptions {
                    batch_sizes: all_sizes(n),
                    ..options(40, seed)
                },
            )
            .expect("analyzes");
            for (row, w) in report.rows.iter().zip(exact_rows) {
                let exact_mean = w["mean_cos"].as_f64().unwrap();
                if [1, 2, n - 2, n - 1, n].contains(&row.b) {
                    assert!(row.exact);
                    close(row.mean_cos, exact_mean, 1e-12, "exact row");
                    continue;
                }
                let stderr = row.stderr_cos.expect("sampled rows have a standard error");
                assert!(!row.exact && row.batches == 40 && stderr > 0.0);
                let z = (row.mean_cos - exact_mean).abs() / stderr;
                assert!(
                    z <= 8.0,
                    "{name} seed {seed} b = {}: sampled {} ± {}, exact {exact_mean} (z = {z:.2})",
                    row.b,
                    row.mean_cos,
                    stderr
                );
                worst_single = worst_single.max(z);
                within_two += usize::from(z <= 2.0);
                total += 1;
                combined[row.b - 1].0 += row.mean_cos / SEEDS as f64;
                combined[row.b - 1].1 += stderr.powi(2) / (SEEDS * SEEDS) as f64;
            }
        }
        for b in 3..n - 2 {
            let exact_mean = exact_rows[b - 1]["mean_cos"].as_f64().unwrap();
            let (mean, variance) = combined[b - 1];
            let z = (mean - exact_mean).abs() / variance.sqrt();
            worst_combined = worst_combined.max(z);
            assert!(
                z <= 4.0,
                "{name} b = {b}: {SEEDS} runs combined give {mean} ± {}, exact {exact_mean} (z = {z:.2})",
                variance.sqrt()
            );
        }
    }
    println!(
        "{within_two} of {total} runs within 2 standard errors; worst single z {worst_single:.2}, worst combined z {worst_combined:.2}"
    );
    assert!(
        within_two as f64 >= 0.85 * total as f64,
        "only {within_two} of {total} sampled means within 2 standard errors"
    );
}

/// The spec's BATCH-4 example, as a numpy dump: not monotone, and the
/// decreases are reported.
#[test]
fn batch_4_dump_is_not_monotone() {
    let report = analyze_file(&fixture("batch_4_example.npy"), &options(1000, 1)).expect("ok");
    let means: Vec<f64> = report.rows.iter().map(|r| r.mean_cos).collect();
    // every b for a small dump: the spec's values 0.5, 0, −0.5, 1
    assert_eq!(
        report.rows.iter().map(|r| r.b).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    close(means[0], 0.5, 1e-12, "b = 1");
    close(means[1], 0.0, 1e-12, "b = 2");
    close(means[2], -0.5, 1e-12, "b = 3");
    close(means[3], 1.0, 1e-12, "b = 4");
    assert!(!report.monotone);
    let falls: Vec<(usize, usize, bool)> = report
        .falls
        .iter()
        .map(|f| (f.from_b, f.to_b, f.significant))
        .collect();
    assert_eq!(falls, [(1, 2, true), (2, 3, true)]);
    assert!(report.falls.iter().all(|f| f.stderr == Some(0.0)));
    assert!(
        report
            .summary
            .starts_with("dips: falls b = 1→2 by 0.500 (exact)"),
        "{}",
        report.summary
    );
}

/// Big-endian data reads to the same numbers.
#[test]
fn big_endian_dump_reads_the_same() {
    let little = NpyMatrixReader::open(&fixture("batch_small_f64.npy"))
        .expect("opens")
        .read_all()
        .expect("reads");
    let big = NpyMatrixReader::open(&fixture("batch_small_f64_big_endian.npy"))
        .expect("opens")
        .read_all()
        .expect("reads");
    assert_eq!(little, big);
}

/// Each malformed file is refused with the error that names its problem.
#[test]
fn malformed_dumps_get_typed_errors() {
    let kind = |name: &str| NpyMatrixReader::open(&fixture(name)).expect_err(name).kind;
    assert!(matches!(
        kind("batch_bad_magic.npy"),
        NpyErrorKind::BadMagic
    ));
    assert!(
        matches!(kind("batch_bad_int.npy"), NpyErrorKind::UnsupportedDtype { descr } if descr == "<i8")
    );
    assert!(matches!(
        kind("batch_bad_fortran.npy"),
        NpyErrorKind::FortranOrder
    ));
    assert!(
        matches!(kind("batch_bad_1d.npy"), NpyErrorKind::NotTwoDimensional { shape } if shape == [5])
    );
    assert!(
        matches!(kind("batch_bad_3d.npy"), NpyErrorKind::NotTwoDimensional { shape } if shape == [2, 2, 10])
    );
    assert!(matches!(
        kind("batch_bad_empty.npy"),
        NpyErrorKind::EmptyArray { rows: 0, cols: 3 }
    ));
    assert!(matches!(
        kind("batch_bad_truncated.npy"),
        NpyErrorKind::Truncated {
            expected: 160,
            found: 152
        }
    ));
    assert!(matches!(kind("does_not_exist.npy"), NpyErrorKind::Io(_)));
    match analyze_file(&fixture("batch_bad_nan.npy"), &options(10, 1)) {
        Err(Error::NonFinite { field, value }) => {
            assert!(field.ends_with("row 2, column 1"), "{field}");
            assert!(value.is_nan());
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

/// Bad options and degenerate data are errors, not panics or NaN.
#[test]
fn bad_options_and_zero_mean_are_refused() {
    let values = [1.0, 2.0, -1.0, -2.0];
    let rows = RowsInMemory::new(2, 2, &values).expect("valid");
    assert!(matches!(
        analyze(&rows, &options(10, 1)),
        Err(Error::InvalidField { field, .. }) if field == "gradients"
    ));
    let values = [1.0, 2.0, 3.0, 4.0];
    for bad in [
        AnglesOptions {
            batch_sizes: vec![3],
            ..options(10, 1)
        },
        AnglesOptions {
            batch_sizes: vec![0],
            ..options(10, 1)
        },
        AnglesOptions {
            samples: 0,
            ..options(10, 1)
        },
        AnglesOptions {
            passes: 0,
            ..options(10, 1)
        },
    ] {
        let rows = RowsInMemory::new(2, 2, &values).expect("valid");
        assert!(
            matches!(analyze(&rows, &bad), Err(Error::InvalidField { .. })),
            "{bad:?}"
        );
    }
    assert!(matches!(
        RowsInMemory::new(2, 2, &[1.0, f64::INFINITY, 0.0, 0.0]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        RowsInMemory::new(0, 2, &[]),
        Err(Error::Empty { .. })
    ));
    let huge = [1e300, 0.0, -1e300, 1.0, 1e300, 0.0];
    let rows = RowsInMemory::new(3, 2, &huge).expect("finite");
    assert!(matches!(
        analyze(&rows, &options(10, 1)),
        Err(Error::InvalidField { reason, .. }) if reason.contains("overflows")
    ));
}

/// `write_matrix` output reads back exactly (f64) and rounded (f32), and the
/// analysis of the file equals the analysis in memory.
#[test]
fn written_dumps_read_back() {
    let dir = std::env::temp_dir().join(format!("cliptheory-angles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let values: Vec<f64> = (0..60)
        .map(|k| ((k * 37 % 23) as f64 - 9.0) / 7.0)
        .collect();
    for (dtype, name) in [(Dtype::F64, "w64.npy"), (Dtype::F32, "w32.npy")] {
        let path = dir.join(name);
        write_matrix(&path, 20, 3, &values, dtype).expect("writes");
        let back = NpyMatrixReader::open(&path)
            .expect("opens")
            .read_all()
            .expect("reads");
        let rounded: Vec<f64> = match dtype {
            Dtype::F64 => values.clone(),
            Dtype::F32 => values.iter().map(|&x| f64::from(x as f32)).collect(),
        };
        assert_eq!(back, rounded);
        let from_file = analyze_file(&path, &options(50, 3)).expect("analyzes");
        let from_memory: AnglesReport = analyze(
            &RowsInMemory::new(20, 3, &rounded).expect("valid"),
            &options(50, 3),
        )
        .expect("analyzes");
        assert_eq!(from_file, from_memory);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A synthetic dump like a late-training one: a shared direction plus
/// Gaussian noise, rows scaled by heavy-tailed factors `e^z` (z standard normal).
fn synthetic_dump(n: usize, d: usize) -> Vec<f64> {
    use cliptheory::random::{gaussian, seeded_rng};
    let mut rng = seeded_rng(7, "synthetic angles dump");
    let mut values = Vec::with_capacity(n * d);
    for _ in 0..n {
        let scale = gaussian(&mut rng).exp();
        for k in 0..d {
            let shared = if k == 0 { 0.3 } else { 0.0 };
            values.push(scale * (shared + gaussian(&mut rng)));
        }
    }
    values
}

/// Per sampled batch size of the default schedule: the average of
/// `stderr(row)` over seeds divided by the seed-to-seed standard deviation
/// of `mean_cos`.
fn stderr_calibration(
    reports: &[AnglesReport],
    stderr: impl Fn(&cliptheory::batch::analyzer::AnglesRow) -> f64,
) -> Vec<(usize, f64)> {
    let sizes: Vec<usize> = reports[0]
        .rows
        .iter()
        .filter(|r| !r.exact)
        .map(|r| r.b)
        .collect();
    sizes
        .into_iter()
        .map(|b| {
            let rows: Vec<_> = reports
                .iter()
                .map(|report| report.rows.iter().find(|r| r.b == b).expect("same sizes"))
                .collect();
            let k = rows.len() as f64;
            let mean = rows.iter().map(|r| r.mean_cos).sum::<f64>() / k;
            let spread = (rows
                .iter()
                .map(|r| (r.mean_cos - mean).powi(2))
                .sum::<f64>()
                / (k - 1.0))
                .sqrt();
            let reported = rows.iter().map(|r| stderr(r)).sum::<f64>() / k;
            (b, reported / spread)
        })
        .collect()
}

/// The reported standard error matches the seed-to-seed spread of the
/// sampled means (ratio in 0.7–1.4) at every sampled size the default
/// schedule produces, over 60 seeds of a synthetic dump (`n = 300`:
/// `b = 4…256` sampled, from 10 permutations of 1–75 batches each). The
/// textbook `s/√K`, which treats the `K` batches as independent, fails the
/// same check (it is approximated here from the quantiles, `s ≈ (q90 −
/// q10)/2.563`): batches of one permutation are disjoint, and where they
/// cover most of it their mean varies far less than `s/√K` says.
#[test]
fn standard_errors_match_the_spread_over_seeds() {
    const SEEDS: u64 = 60;
    let (n, d) = (300, 8);
    let values = synthetic_dump(n, d);
    let rows = RowsInMemory::new(n, d, &values).expect("valid");
    let reports: Vec<AnglesReport> = (0..SEEDS)
        .map(|seed| {
            analyze(
                &rows,
                &AnglesOptions {
                    seed,
                    ..AnglesOptions::default()
                },
            )
            .expect("analyzes")
        })
        .collect();
    let calibrated = stderr_calibration(&reports, |r| r.stderr_cos.expect("R = 10"));
    println!("reported / spread: {calibrated:?}");
    assert!(calibrated.len() >= 6, "{calibrated:?}");
    for &(b, ratio) in &calibrated {
        assert!(
            (0.7..=1.4).contains(&ratio),
            "b = {b}: stderr / spread = {ratio:.2}"
        );
    }
    let naive = stderr_calibration(&reports, |r| {
        (r.q90_cos - r.q10_cos) / 2.563 / (r.batches as f64).sqrt()
    });
    println!("naive s/√K / spread: {naive:?}");
    assert!(
        naive
            .iter()
            .any(|&(_, ratio)| !(0.7..=1.4).contains(&ratio)),
        "{naive:?}"
    );
}

/// `clip = γ`: every row's `mean_cos_clipped` equals the mean over all
/// `C(n, b)` batches of `cos((1/b) Σ_{i∈B} clip_γ(g_i), g)`, computed here
/// by brute force over subsets with the library's `clip`; `b = 1` keeps
/// the unclipped cosines. A non-finite or non-positive `γ` is refused.
#[test]
fn clipped_angles_match_brute_force() {
    use cliptheory::clipping::{clip, Threshold};
    use nalgebra::DVector;
    let values = NpyMatrixReader::open(&fixture("batch_small_f64.npy"))
        .expect("opens")
        .read_all()
        .expect("reads");
    let (n, d) = (10, 5);
    let gamma = 0.5;
    let rows: Vec<DVector<f64>> = values.chunks(d).map(DVector::from_column_slice).collect();
    let clipped: Vec<DVector<f64>> = rows
        .iter()
        .map(|r| clip(r, Threshold::new(gamma).unwrap()).unwrap())
        .collect();
    let g = rows.iter().fold(DVector::zeros(d), |s, r| s + r) / n as f64;
    let mut sums = vec![(0.0f64, 0usize); n];
    for mask in 1usize..(1 << n) {
        let batch = (0..n)
            .filter(|i| mask >> i & 1 == 1)
            .fold(DVector::zeros(d), |s, i| s + &clipped[i]);
        let cos = batch.dot(&g) / (batch.norm() * g.norm());
        let b = mask.count_ones() as usize;
        sums[b - 1].0 += cos;
        sums[b - 1].1 += 1;
    }
    let matrix = RowsInMemory::new(n, d, &values).expect("valid");
    let report = analyze(
        &matrix,
        &AnglesOptions {
            batch_sizes: all_sizes(n),
            clip: Some(gamma),
            ..options(1000, 1)
        },
    )
    .expect("analyzes");
    assert_eq!(report.clip, Some(gamma));
    for row in &report.rows {
        let (sum, count) = sums[row.b - 1];
        close(
            row.mean_cos_clipped.expect("clip asked for"),
            sum / count as f64,
            1e-12,
            &format!("clipped b = {}", row.b),
        );
        assert_eq!(row.stderr_cos_clipped, Some(Some(0.0)));
    }
    close(
        report.rows[0].mean_cos_clipped.unwrap(),
        report.rows[0].mean_cos,
        0.0,
        "b = 1 unchanged by clipping",
    );
    // Clipping changes the other sizes here (γ below most row norms).
    assert!((report.rows[1].mean_cos_clipped.unwrap() - report.rows[1].mean_cos).abs() > 1e-3);
    // Sampled rows get a standard error for the clipped cosines too.
    let sampled = analyze(
        &matrix,
        &AnglesOptions {
            batch_sizes: vec![5],
            clip: Some(gamma),
            ..options(40, 1)
        },
    )
    .expect("analyzes");
    assert!(sampled.rows[0]
        .stderr_cos_clipped
        .flatten()
        .is_some_and(|se| se > 0.0));
    for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
        assert!(
            matches!(
                analyze(&matrix, &AnglesOptions { clip: Some(bad), ..options(10, 1) }),
                Err(Error::InvalidField { field, .. }) if field == "clip"
            ),
            "γ = {bad}"
        );
    }
}

/// `.npz` archives written by `numpy.savez` (stored) and
/// `numpy.savez_compressed` (deflated): one matrix per array, named
/// `FILE.npz:NAME`, each analysed as its `.npy` twin is; a file that is not
/// a zip archive gets a typed error.
#[test]
fn npz_archives_hold_one_checkpoint_per_array() {
    use cliptheory::npy::NpyMatrix;
    for archive in ["batch_checkpoints.npz", "batch_checkpoints_compressed.npz"] {
        let matrices = NpyMatrix::open_all(&fixture(archive)).expect("reads");
        let names: Vec<String> = matrices
            .iter()
            .map(|m| m.path().file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [format!("{archive}:step0"), format!("{archive}:step10")]
        );
        for (matrix, twin) in matrices
            .iter()
            .zip(["batch_small_f64.npy", "batch_small_f32.npy"])
        {
            let from_archive = analyze(matrix, &options(40, 2)).expect("analyzes");
            let from_file = analyze_file(&fixture(twin), &options(40, 2)).expect("analyzes");
            assert_eq!(from_archive, from_file, "{archive} vs {twin}");
        }
    }
    let single = NpyMatrix::open_all(&fixture("batch_small_f64.npy")).expect("reads");
    assert_eq!(single.len(), 1);
    let not_zip =
        std::env::temp_dir().join(format!("cliptheory-not-zip-{}.npz", std::process::id()));
    std::fs::write(&not_zip, b"not a zip archive").expect("temp file");
    assert!(matches!(
        NpyMatrix::open_all(&not_zip).expect_err("not a zip").kind,
        NpyErrorKind::BadArchive { .. }
    ));
    std::fs::remove_file(&not_zip).ok();
}
