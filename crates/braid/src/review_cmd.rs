//! `braid review`: the AI reviewer on uncommitted changes, a branch, a commit, a range or an attempt.

use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{GlobalArgs, ReviewArgs};

/// Runs `braid review`.
pub async fn review(_global: &GlobalArgs, _args: ReviewArgs) -> anyhow::Result<ExitCode> {
    bail!("braid review is being built (issue 10)")
}
