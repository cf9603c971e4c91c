//! The checks `braid compare` runs on every attempt: where they come from (the plan, the repository's
//! configuration, or detection), running them in each worktree, and reading test runners' and linters'
//! output into counts, failing test names and warnings.

mod model;
mod parse;
mod resolve;
mod run;
mod warnings;

use std::path::PathBuf;

pub use model::{CheckOutcome, CheckSource, CheckSpec, Runner, TestCounts, Warning};
pub use parse::{recognise, strip_ansi};
pub use resolve::resolve;
pub use run::{AttemptChecks, CheckTarget, RunChecksOptions, run_checks};
pub use warnings::{new_warnings, warnings};

/// Why the checks of a comparison could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum ChecksError {
    /// A configuration file's `[checks]` is malformed; the message names the line and what to fix.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    /// A file that decides the checks exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// No source declares checks and nothing was detected.
    #[error(
        "no checks to run in {}: the plan declares none, neither .braid/config.toml nor braid.toml has a \
         [checks] table, and no Cargo.toml, go.mod, package.json with a test script or Python project was \
         found. Declare the checks in .braid/config.toml, for example:\n\n[checks]\ntest = \"make test\"\n\
         lint = {{ command = \"make lint\", timeout_secs = 300 }}\n",
        root.display()
    )]
    NoChecks { root: PathBuf },
}
