//! `braid pick --pr`: push an attempt's branch and open a pull request on GitHub.

use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{GlobalArgs, PickArgs};

/// Pushes the attempt's branch and opens the pull request.
pub async fn open(_global: &GlobalArgs, _args: PickArgs) -> anyhow::Result<ExitCode> {
    bail!("braid pick --pr is being built (issue 10)")
}
