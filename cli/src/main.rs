//! The `cliptheory` command line: `check` (the theory check report),
//! `replay` (every statement at one saved instance), `explore`, `run`,
//! `certify`, `angles`, `list`. Argument parsing, tables, plots, progress
//! bars and exit codes live here; everything they show is computed by the
//! `cliptheory` library.
//!
//! Exit status: 0 when everything checked held, 1 when a statement that
//! should hold was refuted, 2 for bad input or a failed evaluation.

use cliptheory_cli::output::{self, Globals};
use cliptheory_cli::{angles, certify, progress, run, tables};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cliptheory::explorer::{explore_with, ExploreOptions, MAX_RESTARTS};
use cliptheory::instance::Instance;
use cliptheory::report::{self, DEFAULT_CASES, DEFAULT_SEED};
use cliptheory::statements::Registry;

/// Machine checks for gradient clipping in incremental gradient methods.
#[derive(Parser, Debug)]
#[command(name = "cliptheory", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    globals: Globals,
}

/// The most random cases `check` draws per statement and float type.
const MAX_CASES: u64 = 1_000_000;

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every registered statement on seeded random cases and print the report.
    Check {
        /// Random cases per statement and float type (1 to 10⁶).
        #[arg(long, default_value_t = DEFAULT_CASES as u64, value_parser = clap::value_parser!(u64).range(1..=MAX_CASES))]
        cases: u64,
        /// Seed of the random cases.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Only these ids (repeatable), e.g. `--only BIAS-2`.
        #[arg(long)]
        only: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Save the worst counterexample of each refuted statement into this folder.
        #[arg(long, value_name = "DIR")]
        save_counterexamples: Option<PathBuf>,
    },
    /// Evaluate every applicable statement at one instance's start point.
    Replay {
        /// An instance file (cliptheory.instance.v1).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Hunt for a counterexample to one statement: search, shrink, save.
    Explore {
        /// Statement id, e.g. `DESC-5` (see `cliptheory list`), or `SMOOTH-5-NAIVE` (the naive sum rule SMOOTH-5 refutes).
        id: String,
        /// Evaluations of the statement to spend.
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
        budget: u64,
        /// Seed: the same seed gives the same result.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Only instances with exactly this many components.
        #[arg(long)]
        components: Option<usize>,
        /// Local searches, run in parallel.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=MAX_RESTARTS as u64))]
        restarts: u64,
        /// Save the (shrunk) counterexample here as instance JSON.
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
        /// Print JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Run clipped incremental gradient on an instance and print its per-epoch trace.
    Run(run::RunArgs),
    /// List the statement ids with their summaries.
    List,
    /// Prove statements by SMT (z3): proved, refuted (with a counterexample), unknown.
    Prove {
        /// Statement ids (all registered statements if none).
        ids: Vec<String>,
        /// Prove the 10%-tightened forms instead: every lemma's must be refuted.
        #[arg(long)]
        tightened: bool,
        /// Print JSON (`{"rows": [...]}`) instead of a table.
        #[arg(long)]
        json: bool,
        /// Timeout per solver query, in seconds.
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
    },
    /// Print certified (L0, L1) of every component and of f, and the sampled lower bound on L0.
    Certify(certify::CertifyArgs),
    /// Angles between minibatch gradients and the full gradient, per batch size, for a `.npy` dump.
    Angles(angles::AnglesArgs),
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The file `check --save-counterexamples` writes for `id`.
fn counterexample_file(dir: &std::path::Path, id: &str) -> PathBuf {
    dir.join(format!(
        "{}.json",
        id.to_ascii_lowercase().replace('-', "_")
    ))
}

fn run(cli: Cli) -> cliptheory::Result<ExitCode> {
    let registry = Registry::builtin();
    let globals = cli.globals;
    match cli.command {
        Command::Check {
            cases,
            seed,
            only,
            json,
            save_counterexamples,
        } => {
            // The folder is made (or refused) before any work.
            if let Some(dir) = &save_counterexamples {
                std::fs::create_dir_all(dir).map_err(|source| cliptheory::Error::Io {
                    path: dir.clone(),
                    source,
                })?;
                let ids: Vec<&str> = if only.is_empty() {
                    registry.iter().map(|s| s.id).collect()
                } else {
                    only.iter()
                        .map(|id| registry.find(id).map(|s| s.id))
                        .collect::<cliptheory::Result<_>>()?
                };
                for id in ids {
                    globals.check_output(&counterexample_file(dir, id))?;
                }
            }
            let cases = usize::try_from(cases).unwrap_or(usize::MAX);
            let report = report::check(&registry, cases, seed, &only)?;
            // The machine proofs of the ids the prover encodes (a second or two).
            let ids: Vec<&str> = report.rows.iter().map(|r| r.id).collect();
            let proofs = cliptheory::prove::prove(&ids, false, std::time::Duration::from_secs(30))?;
            if json {
                let mut value = serde_json::to_value(&report).unwrap_or_default();
                if let Some(rows) = value.get_mut("rows").and_then(|r| r.as_array_mut()) {
                    for row in rows {
                        let id = row["id"].as_str().unwrap_or("").to_string();
                        if let Some(proof) = proofs.iter().find(|p| p.id == id) {
                            row["smt"] = serde_json::json!({
                                "verdict": proof.verdict,
                                "scope": proof.scope,
                            });
                        }
                    }
                }
                output::println(&to_json(&value))?;
            } else {
                output::print(&tables::render_check_table(&report, &proofs))?;
            }
            // A lemma the prover refutes fails the check like a refuted case.
            let refuted_by_smt = !cliptheory::prove::failures(&proofs, false).is_empty();
            if let Some(dir) = save_counterexamples {
                for row in &report.rows {
                    if let Some(case) = &row.counterexample {
                        let path = counterexample_file(&dir, row.id);
                        let case = case.clone().with_note(format!(
                            "counterexample to {} found by `cliptheory check --seed {seed}`: {}",
                            row.id, row.statement
                        ));
                        case.save(&path)?;
                        eprintln!("saved {}", path.display());
                    }
                }
            }
            Ok(if report.has_failures() || refuted_by_smt {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Replay { file, json } => {
            let instance = Instance::load_limited(&file, globals.max_input_bytes)?;
            let replay = report::replay(&registry, &instance)?;
            if json {
                output::println(&to_json(&replay))?;
            } else {
                if let Some(note) = instance.note() {
                    output::println(&format!("{}: {note}", file.display()))?;
                }
                output::print(&tables::render_replay_table(&replay))?;
            }
            Ok(if replay.has_refutations() {
                ExitCode::from(1)
            } else if replay.has_failed_evaluations() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Explore {
            id,
            budget,
            seed,
            components,
            restarts,
            out,
            json,
        } => {
            // The explorer also hunts claims outside the theory's registry.
            let registry = registry
                .clone()
                .with(cliptheory::explorer::smooth_5_naive_sum_claim())?;
            let statement = registry.find(&id)?;
            if let Some(path) = &out {
                globals.check_output(path)?;
            }
            let options = ExploreOptions {
                budget: usize::try_from(budget).unwrap_or(usize::MAX),
                seed,
                components,
                restarts: restarts as usize,
            };
            let bar = progress::Bar::new(true, "{msg} [{bar:40}] {pos}/{len} local searches");
            let found = explore_with(statement, &options, &bar);
            cliptheory::progress::Progress::finish(&bar);
            let found = found?;
            if let (Some(path), Some(instance), true) = (&out, &found.best, found.refuted) {
                instance.save(path)?;
            }
            if json {
                output::println(&to_json(&found))?;
            } else {
                output::println(&format!(
                    "{}: {} after {} evaluations; best slack {:+.3e}{}",
                    found.id,
                    found.verdict,
                    found.evaluations,
                    found.best_slack,
                    found
                        .shrunk_slack
                        .map(|s| format!(
                            ", shrunk to n = {}, dim = {} with slack {s:+.3e}",
                            found.size.map_or(0, |x| x.0),
                            found.size.map_or(0, |x| x.1)
                        ))
                        .unwrap_or_default()
                ))?;
                if let (Some(instance), true) = (&found.best, found.refuted) {
                    output::println(&match &out {
                        Some(path) => format!(
                            "saved {} (replay it with `cliptheory replay {}`)",
                            path.display(),
                            path.display()
                        ),
                        None => instance.to_json_string(),
                    })?;
                }
            }
            // A counterexample to a statement that should hold is a refuted lemma.
            Ok(if found.refuted && statement.expectation.must_hold() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Run(args) => {
            output::print(&run::run(&args, &globals)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Certify(args) => certify::run(&args, &globals),
        Command::Angles(args) => {
            output::print(&angles::run(&args, &globals)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Prove {
            ids,
            tightened,
            json,
            timeout,
        } => {
            use cliptheory::prove;
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let timeout = std::time::Duration::try_from_secs_f64(timeout).map_err(|_| {
                cliptheory::Error::InvalidField {
                    field: "--timeout".into(),
                    reason: format!("must be a number of seconds ≥ 0, got {timeout}"),
                }
            })?;
            let rows = prove::prove(&ids, tightened, timeout)?;
            if json {
                output::println(&to_json(&serde_json::json!({ "rows": rows })))?;
            } else {
                output::print(&tables::render_proofs(&rows))?;
            }
            let failures = prove::failures(&rows, tightened);
            if failures.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("failed: {}", failures.join(", "));
                Ok(ExitCode::from(1))
            }
        }
        Command::List => {
            let mut text = String::new();
            for statement in registry.iter() {
                text += &format!(
                    "{:<8} {:?}  {}\n",
                    statement.id, statement.expectation, statement.summary
                );
            }
            output::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
