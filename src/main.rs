//! The `cliptheory` command line: `check` (the theory check report),
//! `replay` (every statement at one saved instance), `list` (the ids).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::io::IsTerminal;

use cliptheory::explorer::{explore, ExploreOptions};
use cliptheory::incremental;
use cliptheory::instance::Instance;
use cliptheory::report::{self, DEFAULT_CASES, DEFAULT_SEED};
use cliptheory::statements::registry;

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
        /// Statement id, e.g. `DESC-5` (see `cliptheory list`).
        id: String,
        /// Evaluations of the statement to spend.
        #[arg(long, default_value_t = 20_000)]
        budget: usize,
        /// Seed: the same seed gives the same result.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Only instances with exactly this many components.
        #[arg(long)]
        components: Option<usize>,
        /// Local searches, run in parallel.
        #[arg(long, default_value_t = 8)]
        restarts: usize,
        /// Save the (shrunk) counterexample here as instance JSON.
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
        /// Print JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Run clipped incremental gradient on an instance and print its per-epoch trace.
    Run(incremental::RunArgs),
    /// List the statement ids with their summaries.
    List,
    /// Prove statements by SMT (z3): proved, refuted (with a counterexample), unknown.
    #[cfg(feature = "smt")]
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
    Certify(cliptheory::smooth::CertifyArgs),
    /// Angles between minibatch gradients and the full gradient, per batch size, for a `.npy` dump.
    Angles(cliptheory::batch::command::AnglesArgs),
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn run(cli: Cli) -> cliptheory::Result<ExitCode> {
    match cli.command {
        Command::Check {
            cases,
            seed,
            only,
            json,
            save_counterexamples,
        } => {
            let report = report::check(cases, seed, &only)?;
            if json {
                println!("{}", to_json(&report));
            } else {
                print!("{}", report::render_check_table(&report));
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
                        let mut case = case.clone();
                        case.note = Some(format!(
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
            let replay = report::replay(&instance)?;
            if json {
                println!("{}", to_json(&replay));
            } else {
                if let Some(note) = &instance.note {
                    println!("{}: {note}", file.display());
                }
                print!("{}", report::render_replay_table(&replay));
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
            let statement = cliptheory::statements::find(&id)?;
            let options = ExploreOptions {
                budget,
                seed,
                components,
                restarts,
                progress: std::io::stderr().is_terminal(),
            };
            let found = explore(statement, &options)?;
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
            print!("{}", incremental::run_command(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Certify(args) => cliptheory::smooth::run_certify(&args),
        Command::Angles(args) => {
            print!("{}", cliptheory::batch::command::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "smt")]
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
                println!("{}", to_json(&serde_json::json!({ "rows": rows })));
            } else {
                print!("{}", prove::render_table(&rows));
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
            for statement in registry() {
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
