//! `braid sandbox [--policy P] -- CMD ARGS…`: runs one command under a sandbox policy with the terminal
//! attached and exits with its status, so users can test their machine and scripts can rely on it.

use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use braid_sandbox::{Confinement, Policy};

use crate::cli::{GlobalArgs, SandboxArgs};
use crate::exec::{braid_home, load_config, sandbox_spec, working_dir};

/// Runs `braid sandbox`.
pub fn run(global: &GlobalArgs, args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let policy = match &args.policy {
        Some(name) => Policy::parse(name).with_context(|| {
            format!("unknown sandbox policy `{name}`; use read-only, workspace-write or full-access")
        })?,
        None => config.sandbox,
    };
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let mut spec = sandbox_spec(&config, &cwd, policy, &braid_sandbox::PathGlobs::empty())?;
    spec.writable_roots.extend(args.writable.iter().cloned());
    spec.network |= args.network;
    let confinement = match policy {
        Policy::FullAccess => None,
        _ => Some(Arc::new(Confinement::prepare(&spec)?)),
    };
    let env_policy = config.command_env_policy();
    let status = braid_sandbox::attached::run_attached(&args.command, &cwd, confinement, &env_policy)?;
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    if code != 0 && policy != Policy::FullAccess {
        let _ = writeln!(
            std::io::stderr().lock(),
            "braid sandbox: `{}` exited with {code} under {} ({}); \"Permission denied\", \"Operation not permitted\" or \"Read-only file system\" above means the sandbox refused it",
            args.command.join(" "),
            policy.name(),
            spec.allowance()
        );
    }
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
