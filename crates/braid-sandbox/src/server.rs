//! Long-lived helper processes braid talks to over stdio (MCP servers): started in their own session
//! with piped stdin, stdout and stderr, and killed with everything they started when braid lets go of
//! them, so that no server outlives the session that started it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use crate::child::{GroupGuard, prepare_child, spawn_error};
use crate::exec::ExecError;

/// What to start: the program, its arguments, where, and variables set on top of braid's environment.
#[derive(Debug, Clone, Default)]
pub struct ServerSpec {
    pub program: String,
    pub args: Vec<String>,
    /// The working directory; braid's own when `None`.
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// A running server. Dropping it kills the server's whole process group (a server started through
/// `npx` or a shell wrapper leaves no grandchild behind).
pub struct ServerProcess {
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
    child: Child,
    _group: Option<GroupGuard>,
}

impl std::fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerProcess").field("pid", &self.child.id()).finish()
    }
}

impl ServerProcess {
    /// The server's process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Splits the process into its pipes and a guard that kills it (and its group) when dropped.
    pub fn into_parts(self) -> (ChildStdin, ChildStdout, ChildStderr, ServerGuard) {
        (self.stdin, self.stdout, self.stderr, ServerGuard { _child: self.child, _group: self._group })
    }
}

/// Keeps a server alive; dropping it kills the server's process group.
pub struct ServerGuard {
    _child: Child,
    _group: Option<GroupGuard>,
}

impl std::fmt::Debug for ServerGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerGuard").field("pid", &self._child.id()).finish()
    }
}

/// Starts `spec` with piped stdio in a new session. The server runs unconfined, with braid's
/// environment plus `spec.env`: it is software the user configured, like an editor plugin, not a
/// command the model chose.
///
/// Fails when the program cannot be found or executed, or the working directory does not exist.
pub fn spawn_server(spec: &ServerSpec) -> Result<ServerProcess, ExecError> {
    let cwd: Option<&Path> = spec.cwd.as_deref();
    if let Some(dir) = cwd
        && !dir.is_dir()
    {
        return Err(ExecError::CwdMissing { cwd: dir.to_path_buf() });
    }
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    // Servers commonly need tokens from the environment (a GitHub server needs GITHUB_TOKEN), so nothing
    // is withheld from them.
    let inherit_all = crate::EnvPolicy { remove: Vec::new(), inherit_secrets: true, set: Vec::new() };
    prepare_child(command.as_std_mut(), &inherit_all, None, true);
    let text = std::iter::once(spec.program.as_str())
        .chain(spec.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = command.spawn().map_err(|err| spawn_error(&spec.program, &text, err))?;
    let group = child.id().map(GroupGuard);
    let io = |what: &str| ExecError::Io {
        command: text.clone(),
        source: std::io::Error::other(format!("the server's {what} was not captured")),
    };
    let stdin = child.stdin.take().ok_or_else(|| io("stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| io("stdout"))?;
    let stderr = child.stderr.take().ok_or_else(|| io("stderr"))?;
    Ok(ServerProcess { stdin, stdout, stderr, child, _group: group })
}
