//! Running one command attached to braid's own terminal (stdin, stdout and stderr inherited) under a
//! confinement: what `braid sandbox -- CMD` does, so users and scripts can see exactly what a policy
//! allows on their machine.

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::Arc;

use crate::child::{prepare_child, spawn_error};
use crate::confine::Confinement;
use crate::env::EnvPolicy;
use crate::exec::ExecError;

/// Runs `argv` in `cwd` under `confinement` (unconfined with `None`) with the terminal attached, and
/// waits for it. Fails when the command cannot be started (not found, not executable, no such
/// directory).
pub fn run_attached(
    argv: &[String],
    cwd: &Path,
    confinement: Option<Arc<Confinement>>,
    env_policy: &EnvPolicy,
) -> Result<ExitStatus, ExecError> {
    let Some(program) = argv.first() else { return Err(ExecError::EmptyArgv) };
    if !cwd.is_dir() {
        return Err(ExecError::CwdMissing { cwd: cwd.to_path_buf() });
    }
    let mut command = Command::new(program);
    command.args(&argv[1..]).current_dir(cwd);
    // The command stays in braid's process group, so the terminal's Ctrl-C reaches it.
    prepare_child(&mut command, env_policy, confinement, false);
    let command_text = argv.join(" ");
    let mut child = command.spawn().map_err(|err| spawn_error(program, &command_text, err))?;
    child.wait().map_err(|source| ExecError::Io { command: command_text, source })
}
