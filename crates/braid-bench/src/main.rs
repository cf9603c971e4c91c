//! `braid-bench`: braid measured against real peers in the same run on the same machine. Each
//! subcommand is one benchmark; `cargo xtask bench <name>` builds everything in release mode and runs it.
//!
//! This is a developer tool, never shipped: spawning processes (braid, Codex CLI, aider, npm, pip,
//! git, the tasks' checks) and printing progress are its whole job, so those lints are allowed here.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

mod measure;
mod suite;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "braid-bench", about = "braid against Codex CLI and aider, measured in the same run")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks that every task of the suite is well formed (its check fails as given, passes with its
    /// reference solution) and lists them.
    Suite {
        /// The suite's directory.
        #[arg(long, default_value = "bench/tasks")]
        tasks: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
