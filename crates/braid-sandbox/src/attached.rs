//! Running one command attached to braid's own terminal (stdin, stdout and stderr inherited) under a
//! confinement: what `braid sandbox -- CMD` does, so users and scripts can see exactly what a policy
//! allows on their machine.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::Arc;

use crate::confine::Confinement;
use crate::env::EnvPolicy;
use crate::exec::{CLOSE_RANGE_CLOEXEC, ExecError};

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
    let inherited = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for name in env_policy.withheld(inherited) {
        command.env_remove(name);
    }
    // SAFETY: as in `exec::spawn`, the closure only makes system calls on data prepared before the
    // fork (the confinement outlives the spawn), and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) != 0 && confinement.is_some() {
                return Err(io::Error::last_os_error());
            }
            if let Some(confinement) = &confinement {
                confinement.apply_in_child()?;
            }
            Ok(())
        });
    }
    let command_text = argv.join(" ");
    let mut child = command.spawn().map_err(|err| match err.kind() {
        io::ErrorKind::NotFound => ExecError::NotFound { program: program.clone() },
        io::ErrorKind::PermissionDenied => ExecError::NotExecutable { program: program.clone() },
        _ => ExecError::Io { command: command_text.clone(), source: err },
    })?;
    child.wait().map_err(|source| ExecError::Io { command: command_text, source })
}
