//! The checks `braid compare` runs on every attempt: where they come from (the plan, the repository's
//! configuration, or detection), running them in each worktree, and reading test runners' and linters'
//! output into counts, failing test names and warnings.

mod model;

pub use model::{CheckOutcome, CheckSource, CheckSpec, Runner, TestCounts, Warning};
