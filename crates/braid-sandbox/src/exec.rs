//! Running a command in its own process group with a timeout and capped output.
//!
//! The child becomes the leader of a new session (and so of a new process group), which lets braid kill
//! everything the command started, background jobs included, with one signal: at the timeout, when the
//! caller stops waiting (the future is dropped because the turn was cancelled), and when the command has
//! finished but left something running that still holds its output pipe.
//!
//! stdout and stderr are the same pipe, so the output reads in the order the command wrote it, exactly as
//! it would appear in a terminal.

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::capture::{HeadTail, Utf8Pieces};
use crate::child::{GroupGuard, prepare_child, spawn_error};

/// How long to keep reading output after the command itself has exited. Anything still holding the pipe
/// open after this is a background process the command left behind; waiting for it could take forever.
const DRAIN_GRACE: Duration = Duration::from_millis(300);

/// A command to run.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The program and its arguments; the program is looked up in `PATH` when it has no slash.
    pub argv: Vec<String>,
    /// The working directory; it must exist.
    pub cwd: PathBuf,
    /// Variables added to (or overriding) the environment braid inherited.
    pub env: Vec<(String, String)>,
    /// Which inherited variables the command does not get.
    pub env_policy: crate::EnvPolicy,
    /// The kernel confinement applied to the command and everything it starts; `None` runs it
    /// unconfined (braid's own commands, and the `full-access` policy).
    pub confinement: Option<std::sync::Arc<crate::confine::Confinement>>,
    /// How long the command may run before its whole process group is killed.
    pub timeout: Duration,
    /// How many bytes of output to keep: the first half and the last half of this budget.
    pub max_output_bytes: usize,
}

/// How a command ended and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit code, or `None` when a signal ended the command.
    pub exit_code: Option<i32>,
    /// The signal that ended the command, if one did (SIGKILL after a timeout).
    pub signal: Option<i32>,
    /// The command ran past its timeout and was killed.
    pub timed_out: bool,
    /// stdout and stderr interleaved in the order they were written, capped to `max_output_bytes`.
    pub output: String,
    /// How many bytes of output were left out of `output` (0 when it is complete).
    pub truncated_bytes: usize,
    /// Wall time from spawn to the end of output collection.
    pub duration: Duration,
}

/// Why a command could not be run. A command that ran and failed is not an error: see `ExecOutput`.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("no command given: the argument list is empty")]
    EmptyArgv,
    #[error("command not found: `{program}` is not on PATH or does not exist; check the name or install it")]
    NotFound { program: String },
    #[error("`{program}` cannot be executed (permission denied or not an executable file)")]
    NotExecutable { program: String },
    #[error("the working directory `{}` does not exist or is not a directory", cwd.display())]
    CwdMissing { cwd: PathBuf },
    #[error("running `{command}` failed: {source}")]
    Io { command: String, source: io::Error },
}

/// Receives a running command's output as it arrives, for live display: pieces of text that never
/// split a UTF-8 character and are never empty. It is called from the task running the command, so it
/// should hand the text on (to a channel, say) rather than block.
#[derive(Clone)]
pub struct OutputSink(Arc<dyn Fn(&str) + Send + Sync>);

impl OutputSink {
    /// A sink that calls `f` with each piece.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> OutputSink {
        OutputSink(Arc::new(f))
    }

    /// Hands `text` to the sink.
    pub fn send(&self, text: &str) {
        (self.0)(text);
    }
}

impl std::fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutputSink")
    }
}

/// Runs `req` to completion, a timeout, or cancellation; see `run_with_output`, which this is without a
/// live output sink.
///
/// Fails as `run_with_output` does.
pub async fn run(req: ExecRequest) -> Result<ExecOutput, ExecError> {
    run_with_output(req, None).await
}

/// Runs `req` to completion, a timeout, or cancellation, handing its output to `live` (when given) as it
/// is read. What `live` sees is all of the output, uncapped; the returned output is capped as always.
///
/// Returns the exit status and capped output; a non-zero exit or a timeout is reported in `ExecOutput`,
/// not as an error. Fails when the argv is empty, the working directory is missing, the program cannot
/// be found or executed, or an IO error occurs while spawning or reading.
///
/// If the returned future is dropped before it completes, the command's process group is killed.
pub async fn run_with_output(req: ExecRequest, live: Option<OutputSink>) -> Result<ExecOutput, ExecError> {
    let Some(program) = req.argv.first().cloned() else {
        return Err(ExecError::EmptyArgv);
    };
    if !req.cwd.is_dir() {
        return Err(ExecError::CwdMissing { cwd: req.cwd });
    }
    let command_text = req.argv.join(" ");
    let io_err = |source: io::Error| ExecError::Io { command: command_text.clone(), source };

    let (sender, mut reader) = pipe::pipe().map_err(io_err)?;
    let started = Instant::now();
    let mut child = spawn(&req, sender.into_blocking_fd().map_err(io_err)?)
        .map_err(|err| spawn_error(&program, &command_text, err))?;
    let guard = child.id().map(GroupGuard);

    let mut capture = HeadTail::new(req.max_output_bytes);
    let mut pieces = Utf8Pieces::default();
    // Every read goes to the capture and, when someone watches, to the live sink.
    let mut take = |bytes: &[u8]| {
        capture.push(bytes);
        if let Some(live) = &live
            && let Some(text) = pieces.push(bytes)
        {
            live.send(&text);
        }
    };
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = started + req.timeout;
    let mut status: Option<ExitStatus> = None;
    let mut eof = false;
    let mut timed_out = false;

    // Phase one: read while the command runs, until it exits or the deadline passes.
    while status.is_none() {
        tokio::select! {
            read = reader.read(&mut buf), if !eof => match read.map_err(io_err)? {
                0 => eof = true,
                n => take(&buf[..n]),
            },
            exited = child.wait() => status = Some(exited.map_err(io_err)?),
            () = tokio::time::sleep_until(deadline) => {
                timed_out = true;
                if let Some(guard) = &guard {
                    guard.kill();
                }
                status = Some(child.wait().await.map_err(io_err)?);
            }
        }
    }

    // Phase two: collect what is still in the pipe, but only briefly, since a background process the
    // command started may hold the pipe open indefinitely.
    let drain_until = Instant::now() + DRAIN_GRACE;
    while !eof {
        tokio::select! {
            read = reader.read(&mut buf) => match read.map_err(io_err)? {
                0 => eof = true,
                n => take(&buf[..n]),
            },
            () = tokio::time::sleep_until(drain_until) => break,
        }
    }
    // Whatever the command left running in its group is killed now: its result has been reported, and a
    // stray process would otherwise outlive the tool call unseen. The guard does this on drop.
    drop(guard);

    if let (Some(live), Some(text)) = (&live, pieces.finish()) {
        live.send(&text);
    }
    let status = status.unwrap_or_default();
    let captured = capture.finish();
    Ok(ExecOutput {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        output: captured.text,
        truncated_bytes: captured.truncated_bytes,
        duration: started.elapsed(),
    })
}

/// Spawns the child with stdin from /dev/null, stdout and stderr both on `output`, in a new session.
fn spawn(req: &ExecRequest, output: OwnedFd) -> io::Result<Child> {
    let mut command = Command::new(&req.argv[0]);
    command
        .args(&req.argv[1..])
        .current_dir(&req.cwd)
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::from(output.try_clone()?))
        .stdout(Stdio::from(output));
    // A new session makes the child a session and process group leader, so that one killpg reaches
    // every process the command starts.
    prepare_child(command.as_std_mut(), &req.env_policy, req.confinement.clone(), true);
    // The Command owns the parent's copies of the pipe's write end; it is dropped when this function
    // returns, so that the reader sees end-of-file once the child's side closes.
    command.spawn()
}
