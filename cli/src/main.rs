//! The `cliptheory` command line: `check` (the theory check report),
//! `replay` (every statement at one saved instance), `explore`, `run`,
//! `certify`, `angles`, `list`. Argument parsing, tables, plots, progress
//! bars and exit codes live here; everything they show is computed by the
//! `cliptheory` library.
//!
//! Exit status: 0 when everything checked held, 1 when a statement that
//! should hold was refuted, 2 for bad input or a failed evaluation.

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
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every registered statement on seeded random cases and print the report.
    Check {
        /// Random cases per statement and float type.
        #[arg(long, default_value_t = DEFAULT_CASES)]
        cases: usize,
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
    /// Print certified (L0, L1) of every component and of f, and the sampled lower bound on L0.
    Certify(certify::CertifyArgs),
    /// Angles between minibatch gradients and the full gradient, per batch size, for a `.npy` dump.
    Angles(angles::AnglesArgs),
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn run(cli: Cli) -> cliptheory::Result<ExitCode> {
    let registry = Registry::builtin();
    match cli.command {
        Command::Check {
            cases,
            seed,
            only,
            json,
            save_counterexamples,
        } => {
            let report = report::check(&registry, cases, seed, &only)?;
            if json {
                println!("{}", to_json(&report));
            } else {
                print!("{}", tables::render_check_table(&report));
            }
            if let Some(dir) = save_counterexamples {
                std::fs::create_dir_all(&dir).map_err(|source| cliptheory::Error::Io {
                    path: dir.clone(),
                    source,
                })?;
                for row in &report.rows {
                    if let Some(case) = &row.counterexample {
                        let path = dir.join(format!(
                            "{}.json",
                            row.id.to_ascii_lowercase().replace('-', "_")
                        ));
                        let case = case.clone().with_note(format!(
                            "counterexample to {} found by `cliptheory check --seed {seed}`: {}",
                            row.id, row.statement
                        ));
                        case.save(&path)?;
                        eprintln!("saved {}", path.display());
                    }
                }
            }
            Ok(if report.has_failures() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Replay { file, json } => {
            let instance = Instance::load(&file)?;
            let replay = report::replay(&registry, &instance)?;
            if json {
                println!("{}", to_json(&replay));
            } else {
                if let Some(note) = instance.note() {
                    println!("{}: {note}", file.display());
                }
                print!("{}", tables::render_replay_table(&replay));
            }
            Ok(ExitCode::SUCCESS)
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
                println!("{}", to_json(&found));
            } else {
                println!(
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
                );
                if let (Some(instance), true) = (&found.best, found.refuted) {
                    match &out {
                        Some(path) => println!(
                            "saved {} (replay it with `cliptheory replay {}`)",
                            path.display(),
                            path.display()
                        ),
                        None => println!("{}", instance.to_json_string()),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            print!("{}", run::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Certify(args) => certify::run(&args),
        Command::Angles(args) => {
            print!("{}", angles::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::List => {
            for statement in registry.iter() {
                println!(
                    "{:<8} {:?}  {}",
                    statement.id, statement.expectation, statement.summary
                );
            }
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
