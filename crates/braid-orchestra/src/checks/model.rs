//! The plain data of checks run on attempts: where a check came from, what a test runner reported, and
//! the warnings a compiler or linter printed. Serializable, because `braid compare --json` and the HTML
//! report carry it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where the checks of a comparison came from, in the order braid looks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSource {
    /// The run's plan (`[checks]` in its `toml plan` block).
    Plan,
    /// `[checks]` in the repository's `.braid/config.toml` (local to this checkout, git-ignored).
    LocalConfig,
    /// `[checks]` in the committed `braid.toml` at the repository root (shared with everyone).
    RepoConfig,
    /// Detected from the repository's files (`Cargo.toml`, `pyproject.toml`, `go.mod`, `package.json`).
    Detected,
}

/// A check to run on every attempt: a shell command run with `sh -c` from the worktree root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSpec {
    pub name: String,
    pub command: String,
    pub timeout_secs: u64,
    /// Whether a failure makes the attempt lose (a check that is not required is reported only).
    pub required: bool,
    /// Whether the check is a compiler or linter run whose warnings are compared with the base commit's
    /// (its name is `lint`, `clippy` or `check`, or its table says `lint = true`).
    pub lint: bool,
}

/// The test runner whose output a check's log was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runner {
    CargoTest,
    Nextest,
    Pytest,
    GoTest,
    Jest,
    Vitest,
}

/// What a test runner reported: counts, and the names of the failing tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    /// Skipped or ignored tests.
    pub skipped: u64,
    /// The failing tests' names as the runner prints them (`tests::adds`, `test_x.py::test_adds`), in the
    /// order they were reported, without duplicates.
    pub failing: Vec<String>,
}

/// One warning from a compiler or linter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// The file it is about, relative to the worktree root, when the tool said.
    pub file: Option<String>,
    /// The 1-based line, when the tool said.
    pub line: Option<u32>,
    /// The lint or rule name (`unused_variables`, `clippy::needless_return`, `E501`), when the tool said.
    pub code: Option<String>,
    /// The warning's first line, without its `warning:` prefix.
    pub message: String,
}

/// One check's result on one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub name: String,
    pub command: String,
    pub required: bool,
    /// Exit code 0 within the timeout.
    pub passed: bool,
    /// `None` when the command was killed by a signal, timed out or could not start.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub seconds: f64,
    /// The full output (stdout and stderr interleaved), saved under `.braid/runs/<run>/<n>/checks/`.
    pub log: PathBuf,
    /// The runner the output was recognised as; `None` means only the exit code is known.
    pub runner: Option<Runner>,
    pub tests: Option<TestCounts>,
    /// Warnings found in the output (for lint checks).
    pub warnings: Vec<Warning>,
}
