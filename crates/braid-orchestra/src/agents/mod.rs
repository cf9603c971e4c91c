//! External agent backends: running Codex CLI, Claude Code or any other command-line agent on a task in
//! a working directory, and normalising what it prints into braid's `AgentEvent`s and an `AgentOutcome`,
//! so that a run can mix them with braid's own agent and show them all the same way.
//!
//! Every agent runs through `braid_sandbox::stream` in its own process group: a timeout or a
//! cancellation kills everything it started. Its stdout is written to the task's log as received (JSONL
//! for the two JSON formats) and its stderr next to it, so that a surprising result can be read later
//! exactly as the agent reported it.

mod claude;
mod codex;
mod spec;
mod transcript;

use std::path::{Path, PathBuf};
use std::time::Duration;

use braid_core::session::CancellationToken;
use braid_protocol::{AgentEvent, ToolEffect, Usage};
use braid_sandbox::EnvPolicy;
use braid_sandbox::exec::ExecError;
use braid_sandbox::stream::{self, StreamRequest, StreamingChild};
use tokio::io::AsyncWriteExt as _;

pub use spec::{AgentSpec, AgentSpecError, TemplateValues, expand_mix, expand_template, parse_mix};
use transcript::{Format, Reader};

/// How often the run checks whether the agent has exited while its stdout is still open.
const EXIT_POLL: Duration = Duration::from_millis(200);

/// How long output is still read after the agent exited, for what was in the pipe when it did.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// One task for an external agent.
#[derive(Debug, Clone)]
pub struct AgentTask {
    /// What the agent is asked to do.
    pub prompt: String,
    /// Where it works (an attempt's worktree); it must exist.
    pub workdir: PathBuf,
    /// Variables added to the agent's environment (`BRAID_ATTEMPT`, `BRAID_PORT`, ...).
    pub env: Vec<(String, String)>,
    /// The model to ask the agent to use; `None` leaves it to the agent's own configuration.
    pub model: Option<String>,
    /// How long the agent may run before it is killed.
    pub timeout: Duration,
    /// Where the agent's stdout is logged as received; its stderr goes to this path plus `.stderr`.
    pub log_path: PathBuf,
    /// The attempt's number, for a `cmd:` template's `{attempt}`.
    pub attempt: u32,
    /// The attempt's port, for a `cmd:` template's `{port}`.
    pub port: Option<u16>,
}

/// How an agent's run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentOutcome {
    /// The agent exited with code 0 and did not report a failure itself.
    pub success: bool,
    /// The exit code, or `None` when a signal ended the agent.
    pub exit_code: Option<i32>,
    /// Turns as the agent counts them (Codex: turns completed; Claude Code: `num_turns`).
    pub turns: u32,
    /// Tokens as the agent reported them.
    pub usage: Usage,
    /// Cost in US dollars, when the agent reports it (Claude Code does).
    pub cost_usd: Option<f64>,
    /// The agent's final message.
    pub last_message: Option<String>,
    /// The agent's own session or thread id, for resuming it with the agent's tools.
    pub session_id: Option<String>,
    /// Why the run failed, when it did: the agent's error message, or the end of its stderr.
    pub failure: Option<String>,
    /// Lines of a JSON transcript that were not JSON, and events of unknown types; both are skipped.
    pub malformed_lines: u32,
    pub unknown_lines: u32,
}

/// Why an agent could not be run to an outcome. An agent that ran and failed is not an error: see
/// `AgentOutcome::success`.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("`{program}` is not installed (not found on PATH): {hint}")]
    NotInstalled { program: String, hint: String },
    #[error("the agent command could not be built: {0}")]
    Spec(#[from] AgentSpecError),
    #[error("`braid` is braid's own agent: it runs in process, not as an external command")]
    NotExternal,
    #[error("starting the agent failed: {0}")]
    Spawn(#[source] ExecError),
    #[error("the agent ran past its time limit of {secs} s and was killed with everything it started")]
    Timeout { secs: u64 },
    #[error("the agent was cancelled and killed with everything it started")]
    Cancelled,
    #[error("writing the agent's log `{}` failed: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// How braid runs external agents; every field has a sensible default.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The Codex CLI program (a name looked up in `PATH`, or a path).
    pub codex_program: String,
    /// The Claude Code program.
    pub claude_program: String,
    /// Codex's `--sandbox` mode (`read-only`, `workspace-write`, `danger-full-access`); `None` passes
    /// `--dangerously-bypass-approvals-and-sandbox`, the default because an attempt already works in its
    /// own worktree and Codex's Linux sandbox helper is missing from some npm installs.
    pub codex_sandbox: Option<String>,
    /// Claude Code's `--permission-mode`; `None` passes none. The default, `bypassPermissions`, lets it
    /// work unattended; Claude Code refuses it when run as root unless `IS_SANDBOX=1` is set.
    pub claude_permission_mode: Option<String>,
    /// Which of braid's environment variables the agent does not get. By default it gets them all,
    /// credentials included: an external agent needs its own API key.
    pub env_policy: EnvPolicy,
    /// The longest stdout line kept; longer ones are cut (and then count as malformed JSON).
    pub max_line_bytes: usize,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            codex_program: "codex".into(),
            claude_program: "claude".into(),
            codex_sandbox: None,
            claude_permission_mode: Some("bypassPermissions".into()),
            env_policy: EnvPolicy { remove: Vec::new(), inherit_secrets: true, set: Vec::new() },
            max_line_bytes: 4 * 1024 * 1024,
        }
    }
}

/// How one agent run is started: its argv, what it reads on stdin, and how its stdout is read.
struct Invocation {
    argv: Vec<String>,
    stdin: Option<Vec<u8>>,
    format: Format,
}

/// An external agent, ready to run tasks.
#[derive(Debug, Clone)]
pub struct ExternalAgent {
    spec: AgentSpec,
    settings: AgentSettings,
}

impl ExternalAgent {
    /// An agent of kind `spec` run with `settings`. `AgentSpec::Braid` is accepted here but fails in
    /// `run`, since braid's own agent runs in process.
    pub fn new(spec: AgentSpec, settings: AgentSettings) -> Self {
        ExternalAgent { spec, settings }
    }

    /// The argv and stdin for `task`. Codex and Claude Code read the prompt from stdin: an argument is
    /// limited to 128 KiB on Linux (a plan can be longer) and a prompt starting with `-` would be read
    /// as an option. Fails for `braid` and for a `cmd:` template that does not expand.
    fn command(&self, task: &AgentTask) -> Result<Invocation, AgentError> {
        let s = &self.settings;
        let stdin = Some(task.prompt.clone().into_bytes());
        match &self.spec {
            AgentSpec::Braid => Err(AgentError::NotExternal),
            AgentSpec::Codex => {
                let mut argv: Vec<String> = vec![s.codex_program.clone(), "exec".into(), "--json".into()];
                argv.push("--skip-git-repo-check".into());
                argv.extend(["-C".into(), task.workdir.to_string_lossy().into_owned()]);
                if let Some(model) = &task.model {
                    argv.extend(["--model".into(), model.clone()]);
                }
                match &s.codex_sandbox {
                    Some(mode) => argv.extend(["--sandbox".into(), mode.clone()]),
                    None => argv.push("--dangerously-bypass-approvals-and-sandbox".into()),
                }
                argv.push("-".into());
                Ok(Invocation { argv, stdin, format: Format::Codex })
            }
            AgentSpec::Claude => {
                let mut argv: Vec<String> = vec![s.claude_program.clone(), "-p".into()];
                argv.extend(["--output-format".into(), "stream-json".into(), "--verbose".into()]);
                if let Some(model) = &task.model {
                    argv.extend(["--model".into(), model.clone()]);
                }
                if let Some(mode) = &s.claude_permission_mode {
                    argv.extend(["--permission-mode".into(), mode.clone()]);
                }
                Ok(Invocation { argv, stdin, format: Format::Claude })
            }
            AgentSpec::Cmd { template } => {
                let values = TemplateValues {
                    prompt: &task.prompt,
                    workdir: &task.workdir,
                    attempt: task.attempt,
                    port: task.port,
                };
                Ok(Invocation { argv: expand_template(template, &values)?, stdin: None, format: Format::Plain })
            }
        }
    }

    /// Runs the agent on `task` until it exits, its time runs out, or `cancel` fires, passing every
    /// event to `sink` as it happens.
    ///
    /// Returns the outcome when the agent exited (successfully or not). Fails when the program is not
    /// installed (the error says how to install it), the agent cannot be started or its log written,
    /// the timeout passes (`Timeout`) or the run is cancelled (`Cancelled`); in the last two cases the
    /// agent's whole process group has been killed.
    pub async fn run(
        &self,
        task: &AgentTask,
        sink: &mut (dyn FnMut(AgentEvent) + Send),
        cancel: &CancellationToken,
    ) -> Result<AgentOutcome, AgentError> {
        let Invocation { argv, stdin, format } = self.command(task)?;
        let program = argv.first().cloned().unwrap_or_default();
        let log_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AgentError::Io { path, source }
        };
        if let Some(parent) = task.log_path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(log_err(parent))?;
        }
        let mut log =
            tokio::io::BufWriter::new(tokio::fs::File::create(&task.log_path).await.map_err(log_err(&task.log_path))?);
        let mut stderr_log = task.log_path.clone().into_os_string();
        stderr_log.push(".stderr");

        let mut request = StreamRequest::new(argv, task.workdir.clone());
        request.env = task.env.clone();
        request.env_policy = self.settings.env_policy.clone();
        request.stdin = stdin;
        request.max_line_bytes = self.settings.max_line_bytes;
        request.stderr_log = Some(stderr_log.into());
        let mut child = stream::spawn(&request).map_err(|err| match err {
            ExecError::NotFound { program } => {
                AgentError::NotInstalled { hint: install_hint(&self.spec, &program), program }
            }
            other => AgentError::Spawn(other),
        })?;

        let mut reader = Reader::new(format, &self.spec.agent_name(&program));
        // Codex does not repeat the model or directory in its events; the task knows them.
        let workdir = task.workdir.to_string_lossy().into_owned();
        let mut sink = |mut event: AgentEvent| {
            fill_in(&mut event, task.model.as_deref(), &workdir);
            sink(event);
        };
        let deadline = tokio::time::sleep(task.timeout);
        tokio::pin!(deadline);
        let mut poll = tokio::time::interval(EXIT_POLL);
        let mut exited = None;
        let mut drain_until = None;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return Err(stop(&mut child, AgentError::Cancelled).await),
                () = &mut deadline => {
                    return Err(stop(&mut child, AgentError::Timeout { secs: task.timeout.as_secs() }).await);
                }
                line = child.next_line() => match line {
                    Some(Ok(line)) => {
                        log.write_all(line.as_bytes()).await.map_err(log_err(&task.log_path))?;
                        log.write_all(b"\n").await.map_err(log_err(&task.log_path))?;
                        reader.line(&line, &mut sink);
                    }
                    Some(Err(err)) => return Err(AgentError::Spawn(err)),
                    None => break,
                },
                // An agent that exits but leaves something running that holds its stdout (a dev server
                // started in the background) would keep the loop above waiting for end of output until
                // the timeout; so the exit is noticed here, and output is read only briefly after it.
                _ = poll.tick() => match drain_until {
                    None => {
                        exited = child.try_wait().map_err(AgentError::Spawn)?;
                        if exited.is_some() {
                            drain_until = Some(tokio::time::Instant::now() + DRAIN_GRACE);
                        }
                    }
                    Some(until) if tokio::time::Instant::now() >= until => break,
                    Some(_) => {}
                },
            }
        }
        log.flush().await.map_err(log_err(&task.log_path))?;
        let exit = match exited {
            // The exit was seen by polling, so nothing has waited for stderr yet: without this the
            // failure message could miss the stderr that explains it (seen under load in the run tests).
            Some(exit) => {
                child.settle_stderr().await;
                exit
            }
            None => tokio::select! {
                () = cancel.cancelled() => return Err(stop(&mut child, AgentError::Cancelled).await),
                () = &mut deadline => {
                    return Err(stop(&mut child, AgentError::Timeout { secs: task.timeout.as_secs() }).await);
                }
                exit = child.wait() => exit.map_err(AgentError::Spawn)?,
            },
        };
        // Whatever the agent left running dies with it: the attempt is over.
        child.kill();
        reader.finish(&mut sink);

        let tally = reader.tally;
        let success = exit.success() && tally.reported_success != Some(false);
        let failure = match (success, tally.failure) {
            (true, _) => None,
            (false, Some(message)) => Some(message),
            (false, None) => Some(exit_failure(exit.code, exit.signal, &child.stderr_tail())),
        };
        Ok(AgentOutcome {
            success,
            exit_code: exit.code,
            turns: tally.turns,
            usage: tally.usage,
            cost_usd: tally.cost_usd,
            last_message: tally.last_message,
            session_id: tally.session_id,
            failure,
            malformed_lines: tally.malformed_lines,
            unknown_lines: tally.unknown_lines,
        })
    }
}

impl AgentSpec {
    /// The name events and warnings use for this agent: its kind, or a `cmd:` agent's program.
    fn agent_name(&self, program: &str) -> String {
        match self {
            AgentSpec::Cmd { .. } => Path::new(program)
                .file_name()
                .map_or_else(|| program.to_string(), |name| name.to_string_lossy().into_owned()),
            other => other.to_string(),
        }
    }
}

/// Fills in what an agent's events leave out and the task knows: the model and working directory of
/// the session, and the directory commands ran in.
fn fill_in(event: &mut AgentEvent, model: Option<&str>, workdir: &str) {
    match event {
        AgentEvent::SessionStarted { model: event_model, cwd, .. } => {
            if event_model.is_empty() {
                *event_model = model.unwrap_or_default().to_string();
            }
            if cwd.is_empty() {
                *cwd = workdir.to_string();
            }
        }
        AgentEvent::ToolCallBegin { effect: ToolEffect::Command { cwd, .. }, .. }
        | AgentEvent::ToolCallEnd { effect: ToolEffect::Command { cwd, .. }, .. }
            if cwd.is_empty() =>
        {
            *cwd = workdir.to_string();
        }
        _ => {}
    }
}

/// Kills the agent's process group, reaps it, and returns `error`.
async fn stop(child: &mut StreamingChild, error: AgentError) -> AgentError {
    child.kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    error
}

/// The explanation for an agent that failed without saying why: how it exited and the end of stderr.
fn exit_failure(code: Option<i32>, signal: Option<i32>, stderr_tail: &str) -> String {
    let how = match (code, signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended".to_string(),
    };
    let tail: Vec<&str> = stderr_tail.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    if tail.is_empty() { format!("the agent {how}") } else { format!("the agent {how}: {}", tail.join("\n")) }
}

/// How to install the program an agent needs.
fn install_hint(spec: &AgentSpec, program: &str) -> String {
    match spec {
        AgentSpec::Codex => "install Codex CLI with `npm install -g @openai/codex`, or set the path to it in braid's config".into(),
        AgentSpec::Claude => {
            "install Claude Code with `npm install -g @anthropic-ai/claude-code`, or set the path to it in braid's config".into()
        }
        _ => format!("install `{program}` or fix the command template so that its first word names a program on PATH"),
    }
}
