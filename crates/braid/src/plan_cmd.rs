//! `braid plan`, `braid plan revise` and `braid plan check`.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, PlanArgs, PlanCheckArgs, PlanCommand};

/// Runs `braid plan ...`.
pub async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(PlanCommand::Check(check_args)) => check(global, check_args),
        Some(PlanCommand::Revise(_)) | None => anyhow::bail!("braid plan authoring is being written"),
    }
}

/// Runs `braid plan check` (in progress: a helper is writing it).
fn check(_global: &GlobalArgs, _args: PlanCheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("braid plan check is being written")
}
