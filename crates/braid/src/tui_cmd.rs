//! `braid` with no command: the interactive terminal session.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, InteractiveArgs};

/// Opens the interactive session.
pub async fn run(_global: &GlobalArgs, _args: InteractiveArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the interactive session is being built (issue 11)")
}
