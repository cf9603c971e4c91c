//! Small wrappers over `std::process::Command` shared by the demo and benchmark tasks: run and require
//! success, run and capture, run under a deadline, and find a program on `PATH`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A printable form of a command line, for error messages and progress lines.
pub fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

/// Quotes one argument for display when it holds spaces or is empty, so the line can be pasted into a shell.
fn quote(arg: &OsStr) -> String {
    let text = arg.to_string_lossy();
    if text.is_empty() || text.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        format!("'{}'", text.replace('\'', r"'\''"))
    } else {
        text.into_owned()
    }
}

/// Runs `cmd` with its stdout sent to our stderr (xtask's stdout carries only results, such as the
/// benchmark table, so it can be redirected to a file) and returns `Ok` when it exits with status 0; fails
/// naming the command when it cannot start or exits otherwise.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let line = describe(cmd);
    let status = cmd.stdout(std::io::stderr()).status().with_context(|| format!("cannot run `{line}`"))?;
    if !status.success() {
        bail!("`{line}` exited with {status}");
    }
    Ok(())
}

/// Runs `cmd` capturing stdout and stderr, whatever its exit status; fails only when it cannot start.
pub fn capture(cmd: &mut Command) -> anyhow::Result<Output> {
    let line = describe(cmd);
    cmd.output().with_context(|| format!("cannot run `{line}`"))
}

/// Runs `cmd` capturing its output and returns its stdout as text; fails naming the command and quoting its
/// stderr when it exits with a non-zero status.
pub fn stdout_of(cmd: &mut Command) -> anyhow::Result<String> {
    let line = describe(cmd);
    let output = capture(cmd)?;
    if !output.status.success() {
        bail!("`{line}` exited with {}:\n{}", output.status, String::from_utf8_lossy(&output.stderr).trim_end());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// How a command run under a deadline ended.
#[derive(Debug)]
pub enum Finished {
    /// It exited by itself with this status.
    Exited(ExitStatus),
    /// It was still running at the deadline and was killed, with its whole process group.
    TimedOut,
}

/// Runs `cmd` with its stdout sent to our stderr, in a process group of its own and kills the group if it is still running
/// after `limit`, so a wandering agent and the commands it started cannot stall a benchmark. Returns how it
/// ended and the wall time; fails when the command cannot start.
pub fn run_with_deadline(cmd: &mut Command, limit: Duration) -> anyhow::Result<(Finished, Duration)> {
    use std::os::unix::process::CommandExt;
    let line = describe(cmd);
    let started = Instant::now();
    let mut child =
        cmd.process_group(0).stdout(std::io::stderr()).spawn().with_context(|| format!("cannot run `{line}`"))?;
    loop {
        if let Some(status) = child.try_wait().with_context(|| format!("cannot wait for `{line}`"))? {
            return Ok((Finished::Exited(status), started.elapsed()));
        }
        if started.elapsed() >= limit {
            // The child leads its own group, so its pid is the group id; `kill -KILL -PGID` reaches the
            // agent's own children too. Failure to kill is reported after we stop waiting.
            let group = format!("-{}", child.id());
            let killed = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
            if let Err(err) = killed {
                eprintln!("warning: cannot kill process group {group} of `{line}`: {err}");
            }
            return Ok((Finished::TimedOut, started.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The full path of `program` when an executable of that name is on `PATH`, else `None`.
pub fn which(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| {
        candidate.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

/// A `git` command in `repo` with a fixed identity and no signing, so commits work on a machine where the
/// user never configured git and behave the same on every machine.
pub fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(repo).args([
        "-c",
        "user.name=braid demo",
        "-c",
        "user.email=demo@braid.invalid",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
    ]);
    cmd
}

/// The workspace's cargo: the one running xtask when invoked through `cargo xtask`, else `cargo` on PATH.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::time::Duration;

    use super::{Finished, describe, run_with_deadline, which};

    #[test]
    fn describe_quotes_arguments_with_spaces() {
        let mut cmd = Command::new("braid");
        cmd.args(["exec", "fix the test", ""]);
        assert_eq!(describe(&cmd), "braid exec 'fix the test' ''");
    }

    #[test]
    fn a_command_past_its_deadline_is_killed() {
        let (finished, took) = run_with_deadline(Command::new("sleep").arg("30"), Duration::from_millis(300)).unwrap();
        assert!(matches!(finished, Finished::TimedOut), "{finished:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    }

    #[test]
    fn a_quick_command_reports_its_status() {
        let (finished, _) = run_with_deadline(&mut Command::new("false"), Duration::from_secs(30)).unwrap();
        assert!(matches!(finished, Finished::Exited(status) if !status.success()), "{finished:?}");
    }

    #[test]
    fn which_finds_sh_and_not_nonsense() {
        assert!(which("sh").is_some());
        assert!(which("no-such-program-braid-xtask").is_none());
    }
}
