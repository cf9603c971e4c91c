//! Running a long-lived process whose stdout is read line by line while it runs: what braid needs to
//! follow an external agent (Codex, Claude Code, any CLI) that reports its progress as JSON lines.
//!
//! `exec::run` suits a tool call: it waits for the end and hands back one capped blob. An agent runs for
//! minutes, and its events matter as they happen, so here stdout is a stream of lines and stderr is kept
//! apart (its last few kilobytes in memory, all of it in a log file when asked), because agents print
//! their diagnostics there and their protocol on stdout.
//!
//! The child leads its own session and so its own process group, exactly as in `exec`: `kill()` and
//! dropping the `StreamingChild` signal the whole group, so nothing an agent started survives it.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;

use crate::child::{GroupGuard, prepare_child, spawn_error};
use crate::exec::ExecError;

/// How long `wait` lets the stderr reader finish after the process exited: something the process left
/// running may hold stderr open indefinitely. Normally the reader ends at once when the pipe closes, so
/// this only delays such a process; it is generous because on a loaded machine (parallel attempts and a
/// model decoding on two cores) the reader task was seen to need more than 300 ms to be scheduled, and
/// a failure's message then lost the stderr that explained it.
const STDERR_GRACE: Duration = Duration::from_secs(2);

/// A process to start with its stdout streamed.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    /// The program and its arguments; the program is looked up in `PATH` when it has no slash.
    pub argv: Vec<String>,
    /// The working directory; it must exist.
    pub cwd: PathBuf,
    /// Variables added to (or overriding) the environment braid inherited.
    pub env: Vec<(String, String)>,
    /// Which inherited variables the process does not get.
    pub env_policy: crate::EnvPolicy,
    /// The kernel confinement applied to the process and everything it starts; `None` runs it unconfined.
    pub confinement: Option<Arc<crate::confine::Confinement>>,
    /// Bytes written to the process's stdin, which is then closed; `None` gives it /dev/null.
    pub stdin: Option<Vec<u8>>,
    /// The longest stdout line kept; the rest of a longer line is dropped and the line marked.
    pub max_line_bytes: usize,
    /// How many of the last bytes of stderr `stderr_tail` can show.
    pub stderr_tail_bytes: usize,
    /// A file that receives everything the process writes to stderr (created or truncated).
    pub stderr_log: Option<PathBuf>,
}

impl StreamRequest {
    /// A request for `argv` in `cwd` with the defaults: inherited environment minus credentials, no
    /// confinement, stdin from /dev/null, lines capped at 1 MiB, the last 16 KiB of stderr kept.
    pub fn new(argv: Vec<String>, cwd: PathBuf) -> Self {
        StreamRequest {
            argv,
            cwd,
            env: Vec::new(),
            env_policy: crate::EnvPolicy::default(),
            confinement: None,
            stdin: None,
            max_line_bytes: 1024 * 1024,
            stderr_tail_bytes: 16 * 1024,
            stderr_log: None,
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    /// The exit code, or `None` when a signal ended the process.
    pub code: Option<i32>,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// A running process whose stdout is read line by line. Dropping it kills its process group.
pub struct StreamingChild {
    child: Child,
    stdout: Option<BufReader<ChildStdout>>,
    /// The line being assembled; kept here rather than in the future so that `next_line` can be
    /// cancelled (in a `select!`) without losing half a line.
    pending: Vec<u8>,
    /// Bytes of the current line dropped because it passed `max_line_bytes`.
    dropped: usize,
    max_line_bytes: usize,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    stderr_task: Option<JoinHandle<()>>,
    guard: Option<GroupGuard>,
    command: String,
}

impl std::fmt::Debug for StreamingChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingChild").field("command", &self.command).field("pid", &self.child.id()).finish()
    }
}

/// Starts `req` and returns the running process. Must be called inside a tokio runtime.
///
/// Fails when the argv is empty, the working directory is missing, the program cannot be found or
/// executed (the error names it), the stderr log cannot be created, or spawning fails otherwise.
pub fn spawn(req: &StreamRequest) -> Result<StreamingChild, ExecError> {
    let Some(program) = req.argv.first() else {
        return Err(ExecError::EmptyArgv);
    };
    if !req.cwd.is_dir() {
        return Err(ExecError::CwdMissing { cwd: req.cwd.clone() });
    }
    let command_text = req.argv.join(" ");
    let log = match &req.stderr_log {
        Some(path) => Some(std::fs::File::create(path).map_err(|source| ExecError::Io {
            command: format!("{command_text} (creating its stderr log {})", path.display()),
            source,
        })?),
        None => None,
    };

    let mut command = Command::new(program);
    command
        .args(&req.argv[1..])
        .current_dir(&req.cwd)
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .stdin(if req.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    prepare_child(command.as_std_mut(), &req.env_policy, req.confinement.clone(), true);
    let mut child = command.spawn().map_err(|err| spawn_error(program, &command_text, err))?;
    let guard = child.id().map(GroupGuard);

    if let (Some(bytes), Some(mut stdin)) = (req.stdin.clone(), child.stdin.take()) {
        // A process that exits without reading its input makes this write fail with a broken pipe; that
        // is its business, not an error of the stream, so the result is ignored.
        tokio::spawn(async move {
            let _ = stdin.write_all(&bytes).await;
            let _ = stdin.shutdown().await;
        });
    }

    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let stderr_task = child.stderr.take().map(|stderr| {
        tokio::spawn(collect_stderr(
            stderr,
            Arc::clone(&stderr_tail),
            req.stderr_tail_bytes,
            log.map(tokio::fs::File::from_std),
        ))
    });

    Ok(StreamingChild {
        stdout: child.stdout.take().map(BufReader::new),
        child,
        pending: Vec::new(),
        dropped: 0,
        max_line_bytes: req.max_line_bytes.max(1),
        stderr_tail,
        stderr_task,
        guard,
        command: command_text,
    })
}

/// Reads stderr to its end, keeping the last `cap` bytes in `tail` and writing everything to `log`.
async fn collect_stderr(
    mut stderr: tokio::process::ChildStderr,
    tail: Arc<Mutex<VecDeque<u8>>>,
    cap: usize,
    mut log: Option<tokio::fs::File>,
) {
    let mut buf = vec![0u8; 8 * 1024];
    while let Ok(n @ 1..) = stderr.read(&mut buf).await {
        let chunk = &buf[..n];
        if let Some(file) = &mut log {
            // A full disk must not stop braid from following the agent: the log is a convenience, and the
            // tail in memory still holds the end of it.
            if file.write_all(chunk).await.is_err() {
                log = None;
            }
        }
        if let Ok(mut tail) = tail.lock() {
            tail.extend(chunk);
            let excess = tail.len().saturating_sub(cap);
            tail.drain(..excess);
        }
    }
    if let Some(file) = &mut log {
        let _ = file.flush().await;
    }
}

impl StreamingChild {
    /// The process id of the child (also its process group id), while it has not been reaped.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// The next line of stdout without its line ending, or `None` at end of output.
    ///
    /// A line longer than the request's `max_line_bytes` is cut there and ends with a marker saying how
    /// many bytes were dropped; the rest of it is read and discarded, never held in memory. Invalid
    /// UTF-8 is replaced. Cancel-safe: a partly read line is kept for the next call. Fails when reading
    /// the pipe fails.
    pub async fn next_line(&mut self) -> Option<Result<String, ExecError>> {
        loop {
            let stdout = self.stdout.as_mut()?;
            let buf = match stdout.fill_buf().await {
                Ok(buf) => buf,
                Err(source) => return Some(Err(ExecError::Io { command: self.command.clone(), source })),
            };
            if buf.is_empty() {
                self.stdout = None;
                if self.pending.is_empty() && self.dropped == 0 {
                    return None;
                }
                return Some(Ok(self.finish_line()));
            }
            match buf.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    keep(&mut self.pending, &mut self.dropped, self.max_line_bytes, &buf[..end]);
                    stdout.consume(end + 1);
                    return Some(Ok(self.finish_line()));
                }
                None => {
                    let len = buf.len();
                    keep(&mut self.pending, &mut self.dropped, self.max_line_bytes, buf);
                    stdout.consume(len);
                }
            }
        }
    }

    /// Turns the assembled bytes into the line `next_line` returns, and starts a new one.
    fn finish_line(&mut self) -> String {
        if self.pending.last() == Some(&b'\r') {
            self.pending.pop();
        }
        let mut line = String::from_utf8_lossy(&self.pending).into_owned();
        if self.dropped > 0 {
            line.push_str(&format!(" [braid: line truncated, {} bytes dropped]", self.dropped));
        }
        self.pending.clear();
        self.dropped = 0;
        line
    }

    /// The last bytes the process wrote to stderr so far (at most the request's `stderr_tail_bytes`).
    pub fn stderr_tail(&self) -> String {
        match self.stderr_tail.lock() {
            Ok(tail) => String::from_utf8_lossy(&tail.iter().copied().collect::<Vec<_>>()).into_owned(),
            Err(_) => String::new(),
        }
    }

    /// Waits for the process to exit and returns how it ended. Then gives the stderr reader a moment to
    /// finish, so that `stderr_tail` and the stderr log are complete. Cancel-safe. Fails when waiting
    /// fails.
    pub async fn wait(&mut self) -> Result<ExitInfo, ExecError> {
        let status =
            self.child.wait().await.map_err(|source| ExecError::Io { command: self.command.clone(), source })?;
        self.settle_stderr().await;
        Ok(ExitInfo { code: status.code(), signal: status.signal() })
    }

    /// Gives the stderr reader a moment (at most `STDERR_GRACE`) to reach the end of the pipe, so that
    /// `stderr_tail` and the stderr log are complete. `wait` does this itself; a caller that learned of
    /// the exit from `try_wait` calls it before reading `stderr_tail`.
    pub async fn settle_stderr(&mut self) {
        if let Some(task) = &mut self.stderr_task
            && tokio::time::timeout(STDERR_GRACE, task).await.is_ok()
        {
            self.stderr_task = None;
        }
    }

    /// How the process ended, if it has (without waiting). Callers reading stdout use it to notice that
    /// the process exited while something it left running still holds stdout open. Fails when
    /// checking fails.
    pub fn try_wait(&mut self) -> Result<Option<ExitInfo>, ExecError> {
        let status = self.child.try_wait().map_err(|source| ExecError::Io { command: self.command.clone(), source })?;
        Ok(status.map(|status| ExitInfo { code: status.code(), signal: status.signal() }))
    }

    /// Kills the process and everything it started (SIGKILL to its process group). The caller still
    /// calls `wait` to learn the exit status.
    pub fn kill(&mut self) {
        if let Some(guard) = &self.guard {
            guard.kill();
        }
        // The leader may have left its group; signalling it directly makes sure it dies anyway.
        let _ = self.child.start_kill();
    }
}

impl Drop for StreamingChild {
    fn drop(&mut self) {
        // The guard's own drop kills the group; the stderr reader ends once the pipe closes.
        self.guard.take();
        if let Some(task) = self.stderr_task.take() {
            task.abort();
        }
    }
}

/// Appends `bytes` to `line` up to `max` bytes in all, counting the rest in `dropped`.
fn keep(line: &mut Vec<u8>, dropped: &mut usize, max: usize, bytes: &[u8]) {
    let room = max.saturating_sub(line.len()).min(bytes.len());
    line.extend_from_slice(&bytes[..room]);
    *dropped += bytes.len() - room;
}
