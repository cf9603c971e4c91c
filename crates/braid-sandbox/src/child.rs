//! What every child braid starts has in common: the environment and descriptors it may inherit, its own
//! session when it runs in the background, its confinement, the error when it cannot start, and the
//! guard that kills its process group. `exec`, `stream` and `attached` share these so that a command
//! started any of those ways gets the same treatment.

use std::io;
use std::os::unix::process::CommandExt as _;

use crate::exec::ExecError;

/// close_range(2)'s flag that marks the range close-on-exec instead of closing it.
const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// The error for a command that could not be started: not found and not executable get their own
/// messages, anything else names the command.
pub(crate) fn spawn_error(program: &str, command: &str, err: io::Error) -> ExecError {
    match err.kind() {
        io::ErrorKind::NotFound => ExecError::NotFound { program: program.to_string() },
        io::ErrorKind::PermissionDenied => ExecError::NotExecutable { program: program.to_string() },
        _ => ExecError::Io { command: command.to_string(), source: err },
    }
}

/// Sets up `command` the way braid runs every command: without the variables `env_policy` withholds,
/// with no descriptor beyond stdio surviving exec, in a new session when `new_session`, and under
/// `confinement` (unconfined with `None`). `exec::run`, `stream::spawn` and `attached::run_attached` all use it, so a
/// command started either way gets the same treatment.
pub(crate) fn prepare_child(
    command: &mut std::process::Command,
    env_policy: &crate::EnvPolicy,
    confinement: Option<std::sync::Arc<crate::Confinement>>,
    new_session: bool,
) {
    let inherited = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for name in env_policy.withheld(inherited) {
        command.env_remove(name);
    }
    // The confinement enters the working directory again after its mounts, so the path is made here,
    // where allocating is allowed, and absolute, since the child is already inside it. A directory that is
    // not a valid C string cannot be entered anyway.
    let cwd = command.get_current_dir().and_then(|dir| {
        let dir = if dir.is_absolute() { dir.to_path_buf() } else { std::env::current_dir().ok()?.join(dir) };
        std::ffi::CString::new(dir.into_os_string().into_encoded_bytes()).ok()
    });
    // SAFETY: the closure runs in the forked child before exec and only makes system calls (setsid,
    // close_range and the confinement's calls on data prepared in the parent); nothing allocates.
    unsafe {
        command.pre_exec(move || {
            if new_session && libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            // No descriptor braid holds (beyond the three standard ones) may survive into the command: an
            // open file outside the sandbox would be a way around it. Marking them close-on-exec rather
            // than closing them keeps the one std uses to report a failed exec.
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) != 0 && confinement.is_some() {
                return Err(io::Error::last_os_error());
            }
            // Confinement comes last, so that nothing braid itself does in the child is restricted.
            if let Some(confinement) = &confinement {
                confinement.apply_in_child(cwd.as_deref())?;
            }
            Ok(())
        });
    }
}

/// Kills the child's process group when dropped: at the end of a run, or when the caller drops the
/// future (a cancelled turn), so that no process the command started outlives the call.
pub(crate) struct GroupGuard(pub(crate) u32);

impl GroupGuard {
    pub(crate) fn kill(&self) {
        let Ok(pgid) = libc::pid_t::try_from(self.0) else {
            return;
        };
        // SAFETY: killpg only sends a signal; an already-empty group yields ESRCH, which is fine to
        // ignore. The group id is the child's pid, which Linux does not reuse while the group exists.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}
