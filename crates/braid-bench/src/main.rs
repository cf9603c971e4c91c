//! `braid-bench`: braid measured against real peers in the same run on the same machine. Each
//! subcommand is one benchmark; `cargo xtask bench <name>` builds everything in release mode and runs it.
//!
//! This is a developer tool, never shipped: spawning processes (braid, Codex CLI, aider, npm, pip,
//! git, the tasks' checks) and printing progress are its whole job, so those lints are allowed here.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]
// Figures are converted to f64 for summaries; the values involved are far below 2^52.
#![allow(clippy::cast_precision_loss)]

mod agents;
mod machine;
mod measure;
mod overhead;
mod peers;
mod report;
mod review;
mod rounds;
mod session;
mod startup;
mod suite;
mod tasks;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::agents::{Agent, Kind};

#[derive(Debug, Parser)]
#[command(name = "braid-bench", about = "braid against Codex CLI and aider, measured in the same run")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Harness overhead: braid and Codex CLI play the same long scripted session (shell commands and
    /// file edits) against one scripted Responses-API server.
    Overhead {
        #[command(flatten)]
        common: Common,
        /// Model requests in the session (every one but the last carries one tool call).
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Rounds; each runs every harness once, in turn.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Also measure braid with its sandbox on.
        #[arg(long)]
        sandboxed: bool,
    },
    /// Start-up: process start to first model request, and `--version`.
    Startup {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// Task success on the same local model: braid, Codex CLI and aider on every task of the suite.
    Tasks(tasks::TasksArgs),
    /// The reviewer on the evaluation set of `bench/review/`: precision and recall of `braid review` with
    /// the embedded model and every configured remote model.
    Review(review::ReviewArgs),
    /// Checks that every task of the suite is well formed (its check fails as given, passes with its
    /// reference solution) and lists them.
    Suite {
        /// The suite's directory.
        #[arg(long, default_value = "bench/tasks")]
        tasks: PathBuf,
    },
}

/// What every benchmark against peers needs.
#[derive(Debug, Args)]
pub struct Common {
    /// The braid binary to measure (a release build); defaults to `braid` next to this program.
    #[arg(long)]
    braid: Option<PathBuf>,
    /// Where peers are installed (npm and pip write here); defaults to `bench-tools` in the target dir.
    #[arg(long)]
    tools: Option<PathBuf>,
    /// Scratch space for workspaces, homes and logs; defaults to `bench-work` in the target dir.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Measure braid alone, without installing or running peers.
    #[arg(long)]
    no_peers: bool,
    /// The document whose `<!-- bench:NAME -->` section receives the table.
    #[arg(long, default_value = "docs/benchmarks.md")]
    docs: PathBuf,
    /// Print the table without writing it into the document.
    #[arg(long)]
    no_docs: bool,
    /// The command line to record with the results (xtask passes its own).
    #[arg(long)]
    command_line: Option<String>,
}

impl Common {
    /// The target directory this program was built into (`<target>/release/braid-bench`).
    fn target_dir() -> anyhow::Result<PathBuf> {
        let exe = std::env::current_exe().context("cannot find this program's path")?;
        let profile = exe.parent().context("this program has no directory")?;
        Ok(profile.parent().unwrap_or(profile).to_path_buf())
    }

    fn braid(&self) -> anyhow::Result<PathBuf> {
        match &self.braid {
            Some(path) => Ok(path.clone()),
            None => {
                let exe = std::env::current_exe().context("cannot find this program's path")?;
                let path = exe.with_file_name("braid");
                anyhow::ensure!(path.exists(), "no braid binary at {}; build it or pass --braid PATH", path.display());
                Ok(path)
            }
        }
    }

    fn tools(&self) -> anyhow::Result<PathBuf> {
        self.tools.clone().map_or_else(|| Ok(Common::target_dir()?.join("bench-tools")), Ok)
    }

    fn work(&self, name: &str) -> anyhow::Result<PathBuf> {
        let root =
            self.work.clone().map_or_else(|| Ok(Common::target_dir()?.join("bench-work")), Ok::<_, anyhow::Error>)?;
        overhead::fresh_dir(&root, name)
    }

    /// braid (in the given variants) and, unless `--no-peers`, the peers asked for (Codex CLI in its
    /// variants, aider), installed when missing. A peer that cannot be installed is reported in the
    /// returned notes and left out, never faked.
    fn agents(&self, braid_kinds: &[Kind], peer_kinds: &[Kind]) -> anyhow::Result<(Vec<Agent>, Vec<String>)> {
        let braid = self.braid()?;
        let mut agents: Vec<Agent> = braid_kinds.iter().map(|&kind| Agent { kind, program: braid.clone() }).collect();
        let mut notes = vec![format!("braid: `{}` ({})", braid.display(), machine::version_of(&braid))];
        if self.no_peers {
            notes.push("peers not run (`--no-peers`)".to_owned());
            return Ok((agents, notes));
        }
        let not_installed = |name: &str, err: anyhow::Error| {
            format!("{name} could not be installed, so it is not measured: {}", report::one_line(&format!("{err:#}")))
        };
        if peer_kinds.iter().any(|kind| matches!(kind, Kind::Codex | Kind::CodexNpm)) {
            match peers::codex(&self.tools()?) {
                Ok(codex) => {
                    notes.push(format!("Codex CLI: {} (native `{}`)", codex.version, codex.native.display()));
                    for &kind in peer_kinds {
                        match kind {
                            Kind::Codex => agents.push(Agent { kind, program: codex.native.clone() }),
                            Kind::CodexNpm => agents.push(Agent { kind, program: codex.npm.clone() }),
                            _ => {}
                        }
                    }
                }
                Err(err) => notes.push(not_installed("Codex CLI", err)),
            }
        }
        if peer_kinds.contains(&Kind::Aider) {
            match peers::aider(&self.tools()?) {
                Ok(aider) => {
                    notes.push(format!("aider: {}", aider.version));
                    agents.push(Agent { kind: Kind::Aider, program: aider.program });
                }
                Err(err) => notes.push(not_installed("aider", err)),
            }
        }
        Ok((agents, notes))
    }

    /// Prints the results and writes them into the document's section `name`.
    fn publish(&self, name: &str, title: &str, table: &str, notes: &[String]) -> anyhow::Result<()> {
        let command = self.command_line.clone().unwrap_or_else(|| std::env::args().collect::<Vec<_>>().join(" "));
        let mut section =
            format!("{title}, measured {} on {}.\n\nCommand: `{command}`\n\n", machine::today(), machine::describe());
        for note in notes {
            section.push_str(&format!("- {note}\n"));
        }
        section.push('\n');
        section.push_str(table);
        println!("{section}");
        if !self.no_docs {
            report::replace_section(&self.docs, name, &section)?;
            eprintln!("wrote the {name} section of {}", self.docs.display());
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Overhead { common, requests, rounds, sandboxed } => (|| {
            let braid_kinds: &[Kind] = if sandboxed { &[Kind::Braid, Kind::BraidSandboxed] } else { &[Kind::Braid] };
            let (agents, mut notes) = common.agents(braid_kinds, &[Kind::Codex])?;
            notes.push("both with their sandbox off (`-s full-access`; Codex `--dangerously-bypass-approvals-and-sandbox`), unless marked sandboxed".to_owned());
            let table = overhead::run(&agents, requests, rounds, &common.work("overhead")?)?;
            common.publish("overhead", "Harness overhead", &table, &notes)
        })(),
        Command::Startup { common, rounds } => (|| {
            let (agents, notes) = common.agents(&[Kind::Braid], &[Kind::Codex, Kind::CodexNpm])?;
            let table = startup::run(&agents, rounds, &common.work("startup")?)?;
            common.publish("startup", "Start-up", &table, &notes)
        })(),
        Command::Tasks(args) => tasks::main(&args),
        Command::Review(args) => review::main(&args),
        Command::Suite { tasks } => suite::validate_all(&tasks),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("braid-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}
