//! `braid init` (in progress: a helper is writing it).

use std::process::ExitCode;

use crate::cli::{GlobalArgs, InitArgs};

pub fn run(_global: &GlobalArgs, _args: InitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("braid init is being written")
}
