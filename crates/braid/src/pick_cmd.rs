//! `braid pick` and `braid restore`: make one attempt real code and archive the others, or bring an
//! archived attempt back.

use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{GlobalArgs, PickArgs, RestoreArgs};

/// Runs `braid pick`.
pub async fn pick(global: &GlobalArgs, args: PickArgs) -> anyhow::Result<ExitCode> {
    if args.pr {
        return crate::pr_cmd::open(global, args).await;
    }
    bail!("braid pick --merge is being built (issue 10)")
}

/// Runs `braid restore`.
pub fn restore(_global: &GlobalArgs, _args: RestoreArgs) -> anyhow::Result<ExitCode> {
    bail!("braid restore is being built (issue 10)")
}
