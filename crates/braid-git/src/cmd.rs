//! The only place braid-git starts processes: one function that runs the `git` CLI with a clean,
//! predictable environment and captures its output, and thin helpers over it.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::GitError;

/// What a finished git command produced.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) success: bool,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
    pub(crate) status: String,
}

impl Output {
    /// Returns stdout as text with the trailing newline removed.
    pub(crate) fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.stdout);
        text.trim_end_matches('\n').to_string()
    }
}

/// A git command line to run in one directory: arguments plus extra environment variables.
#[derive(Debug)]
pub(crate) struct Git<'a> {
    dir: &'a Path,
    args: Vec<OsString>,
    envs: Vec<(&'static str, OsString)>,
}

impl<'a> Git<'a> {
    /// Starts a command `git <args>` that will run in `dir`.
    pub(crate) fn new<I, S>(dir: &'a Path, args: I) -> Git<'a>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Git { dir, args: args.into_iter().map(|a| a.as_ref().to_os_string()).collect(), envs: Vec::new() }
    }

    /// Appends one argument.
    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Git<'a> {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Appends several arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Git<'a>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Sets an environment variable for this command only (applied after the inherited ones are cleaned).
    pub(crate) fn env(mut self, key: &'static str, value: impl AsRef<OsStr>) -> Git<'a> {
        self.envs.push((key, value.as_ref().to_os_string()));
        self
    }

    /// Runs the command and returns its output whatever its exit status.
    ///
    /// Fails with [`GitError::GitMissing`] when `git` is not on PATH, and with [`GitError::Command`] when it
    /// cannot be started for another reason.
    pub(crate) fn output(&self) -> Result<Output, GitError> {
        spawn(self)
    }

    /// Runs the command and returns its output, failing with [`GitError::Command`] (command line,
    /// directory, exit status and git's stderr) when git exits unsuccessfully.
    pub(crate) fn run(&self) -> Result<Output, GitError> {
        let output = spawn(self)?;
        if output.success { Ok(output) } else { Err(self.failed(&output)) }
    }

    /// Like [`Git::run`], returning stdout as text without its trailing newline.
    pub(crate) fn text(&self) -> Result<String, GitError> {
        Ok(self.run()?.text())
    }

    /// The error describing this command's unsuccessful `output`.
    pub(crate) fn failed(&self, output: &Output) -> GitError {
        GitError::Command {
            command: self.command_line(),
            dir: self.dir.to_path_buf(),
            status: output.status.clone(),
            stderr: output.stderr.clone(),
        }
    }

    /// The command as a user could type it, for error messages.
    pub(crate) fn command_line(&self) -> String {
        let mut line = String::from("git");
        for arg in &self.args {
            let arg = arg.to_string_lossy();
            line.push(' ');
            if arg.is_empty() || arg.chars().any(|c| c.is_whitespace() || c == '\'' || c == '"') {
                line.push('\'');
                line.push_str(&arg.replace('\'', "'\\''"));
                line.push('\'');
            } else {
                line.push_str(&arg);
            }
        }
        line
    }
}

/// Spawns git and waits for it.
///
/// These are braid's own git plumbing commands (worktree add/remove, diff, commit, update-ref) on braid's
/// own state, not commands the agent asked to run, so the sandbox and approval policy that the
/// workspace-wide `Command::new` ban protects does not apply; keeping every spawn of this crate in this one
/// function keeps that exception small and reviewable.
#[allow(clippy::disallowed_methods)]
fn spawn(git: &Git<'_>) -> Result<Output, GitError> {
    let mut command = Command::new("git");
    command
        .args(&git.args)
        .current_dir(git.dir)
        .stdin(Stdio::null())
        // A credential or passphrase prompt would hang a background attempt forever; fail instead.
        .env("GIT_TERMINAL_PROMPT", "0")
        // Messages are parsed and quoted in errors: keep them in one language.
        .env("LC_ALL", "C")
        // Variables a git hook or a wrapper exports would point every command at the caller's repository
        // and index instead of the one named by `current_dir`.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_PREFIX");
    for (key, value) in &git.envs {
        command.env(key, value);
    }
    let output = command.output().map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound && git.dir.is_dir() {
            GitError::GitMissing
        } else {
            GitError::Command {
                command: git.command_line(),
                dir: git.dir.to_path_buf(),
                status: "not started".to_string(),
                stderr: err.to_string(),
            }
        }
    })?;
    Ok(Output {
        success: output.status.success(),
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let dir = Path::new("/");
        let check = |args: &[&str], expected: &str| assert_eq!(Git::new(dir, args).command_line(), expected);
        check(&["status"], "git status");
        check(&["commit", "-m", "two words"], "git commit -m 'two words'");
        check(&["update-ref", "refs/x", "abc", ""], "git update-ref refs/x abc ''");
        check(&["log", "it's"], "git log 'it'\\''s'");
    }
}
