//! A structured fuzz of the command line's options (proptest, seeded):
//! random subcommands with random, often hostile, option values. Whatever
//! the arguments, the binary exits with 0, 1 or 2 (never a panic's 101 or
//! an abort's 134), prints no panic message, and finishes quickly.

use std::process::Command;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

/// Option values that have broken command lines before: zero, negative,
/// huge, non-numbers, empty, paths that do not exist.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("-1".to_string()),
        Just("3".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e308".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("".to_string()),
        Just("0.01".to_string()),
        Just("x".to_string()),
        Just("/nonexistent/out.svg".to_string()),
        Just("1,2,0".to_string()),
        (1u64..100).prop_map(|v| v.to_string()),
    ]
}

fn file() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tests/fixtures/desc_5_ascent_n3.json"),
        Just("tests/fixtures/ig_6a_fixed_points.json"),
        Just("tests/fixtures/format_example_all_kinds.json"),
        Just("tests/fixtures/hostile/trailing_garbage.json"),
        Just("tests/fixtures/hostile/exp_overflows_at_x0.json"),
        Just("tests/fixtures/batch_small_f64.npy"),
        Just("tests/fixtures/batch_bad_truncated.npy"),
        Just("tests/fixtures/hostile/npy_shape_overflows.npy"),
        Just("/nonexistent.json"),
        Just("Cargo.toml"),
        Just("/dev/zero"),
    ]
    .prop_map(|f| {
        if f.starts_with('/') {
            f.to_string()
        } else {
            format!("{}/../{f}", env!("CARGO_MANIFEST_DIR"))
        }
    })
}

/// One command line: a subcommand, its positional argument, and up to four
/// options with values (the options are those the subcommand has, with
/// cheap defaults forced so each run stays short).
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let options = |names: &'static [&'static str]| {
        proptest::collection::vec((proptest::sample::select(names), value()), 0..4)
    };
    prop_oneof![
        (
            file(),
            options(&[
                "--epochs",
                "--step",
                "--batch",
                "--order",
                "--schedule",
                "--variant",
                "--seed",
                "--trace",
                "--plot"
            ])
        )
            .prop_map(|(f, o)| [
                vec!["run".into(), f, "--epochs".into(), "3".into()],
                flat(o)
            ]
            .concat()),
        (file(), options(&["--samples", "--max-input-bytes"])).prop_map(|(f, o)| [
            vec!["certify".into(), f, "--samples".into(), "5".into()],
            flat(o)
        ]
        .concat()),
        (
            file(),
            options(&["--batch-sizes", "--samples", "--passes", "--seed", "--plot"])
        )
            .prop_map(|(f, o)| [vec!["angles".into(), f], flat(o)].concat()),
        (file(), options(&["--max-input-bytes"])).prop_map(|(f, o)| [
            vec!["replay".into(), f],
            flat(o)
        ]
        .concat()),
        options(&["--budget", "--seed", "--components", "--restarts", "--out"]).prop_map(|o| [
            vec![
                "explore".into(),
                "DESC-5".into(),
                "--budget".into(),
                "50".into()
            ],
            flat(o)
        ]
        .concat()),
        options(&["--seed", "--only"]).prop_map(|o| [
            vec![
                "check".into(),
                "--only".into(),
                "BIAS-2".into(),
                "--cases".into(),
                "20".into()
            ],
            flat(o)
        ]
        .concat()),
    ]
}

fn flat(options: Vec<(&'static str, String)>) -> Vec<String> {
    options
        .into_iter()
        .flat_map(|(name, value)| [name.to_string(), value])
        .collect()
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cliptheory-options-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn config() -> Config {
    let mut config = Config::with_cases(256);
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(20210318);
    }
    config.failure_persistence = Some(Box::new(FileFailurePersistence::SourceParallel(
        "proptest-regressions",
    )));
    config
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn any_options_exit_0_1_or_2_without_panic(args in command_line()) {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_cliptheory"))
            .args(&args)
            // Outputs the options name (`--plot x`, `--out 1`) land in a
            // scratch folder, not in the repository.
            .current_dir(scratch())
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(
            matches!(output.status.code(), Some(0..=2)),
            "{args:?}: status {:?}: {stderr}",
            output.status
        );
        prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        prop_assert!(started.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", started.elapsed());
    }
}
