//! `braid exec`, `braid resume` and `braid fork`: load config, build the model client and the session,
//! run one turn (compacting first on request), and print its events as human progress (stderr) or JSONL
//! (stdout).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use braid_core::config::{Backend, Config, ConfigOverrides};
use braid_core::exec_jsonl::JsonlMapper;
use braid_core::session::CancellationToken;
use braid_core::tools::Commands;
use braid_core::{EventSink, Session, SessionOptions, render, rollout};
use braid_sandbox::PathGlobs;
use braid_tools::ToolRegistry;

use crate::cli::{ExecArgs, ExecSubcommand, ForkArgs, GlobalArgs, OutputArgs, ResumeArgs};

/// Runs `braid exec`.
pub async fn run(global: &GlobalArgs, args: ExecArgs) -> anyhow::Result<ExitCode> {
    if let Some(ExecSubcommand::Resume(resume)) = args.resume {
        return run_resume(global, resume).await;
    }
    if let Some(plan) = args.plan {
        let instructions = args.prompt.map(|p| read_prompt(Some(p))).transpose()?;
        return crate::plan_exec::run(global, plan, instructions, args.output).await;
    }
    let prompt = read_prompt(args.prompt)?;
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let (mut options, client, mut tools) = prepare(&config, &home, cwd, &PathGlobs::empty())?;
    add_mcp_tools(&config, &mut options, &mut tools).await;
    let output = args.output;
    let sink = make_sink(&output);
    let session = Session::start(options, client, tools, sink)?;
    drive(session, &prompt, &output, &interrupt_on_ctrl_c()).await
}

/// Runs `braid resume` / `braid exec resume`.
pub async fn run_resume(global: &GlobalArgs, mut args: ResumeArgs) -> anyhow::Result<ExitCode> {
    // With --last there is no id, so the first positional word is the prompt.
    if args.last && args.prompt.is_none() {
        args.prompt = args.session.take();
    }
    // `--compact` alone only compacts; it does not wait for a prompt on stdin.
    let prompt = if args.compact && args.prompt.is_none() { None } else { Some(read_prompt(args.prompt)?) };
    let (path, mut options, client, mut tools, config) =
        recorded(global, if args.last { None } else { args.session.as_deref() })?;
    add_mcp_tools(&config, &mut options, &mut tools).await;
    let mut session = Session::resume(options, client, tools, make_sink(&args.output), &path)?;
    let cancel = interrupt_on_ctrl_c();
    if args.compact {
        session.compact(&cancel).await?;
    }
    match prompt {
        Some(prompt) => drive(session, &prompt, &args.output, &cancel).await,
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Runs `braid fork`: a new session from (a prefix of) a saved one, then the prompt if one was given.
pub async fn run_fork(global: &GlobalArgs, args: ForkArgs) -> anyhow::Result<ExitCode> {
    let prompt = args.prompt.map(|p| read_prompt(Some(p))).transpose()?;
    let (path, mut options, client, mut tools, config) = recorded(global, Some(&args.session))?;
    add_mcp_tools(&config, &mut options, &mut tools).await;
    let session = Session::fork(options, client, tools, make_sink(&args.output), &path, args.at)?;
    match prompt {
        Some(prompt) => drive(session, &prompt, &args.output, &interrupt_on_ctrl_c()).await,
        None => {
            if !args.output.json {
                print_final(session.id())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Starts the configured MCP servers for a session working in `options.cwd` and adds their tools to
/// `tools`; servers that fail to start become warnings the session emits once it has started.
pub(crate) async fn add_mcp_tools(config: &Config, options: &mut SessionOptions, tools: &mut ToolRegistry) {
    let manager = braid_core::tools::start_mcp(config, &options.cwd).await;
    for tool in manager.tools() {
        tools.register(tool);
    }
    options.startup_warnings.extend(manager.warnings());
}

/// What `recorded` returns: the rollout's path and the parts of a session continuing it.
type Recorded = (PathBuf, SessionOptions, Arc<dyn braid_model::ModelClient>, ToolRegistry, Config);

/// The rollout of the session `query` names (the newest with `None`), and the session options, client,
/// tools and config for continuing it in the directory it worked in (or `-C`).
fn recorded(global: &GlobalArgs, query: Option<&str>) -> anyhow::Result<Recorded> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let path = rollout::find(&home, query)?;
    let recorded = rollout::read(&path)?;
    let cwd = working_dir(global.cd.as_deref(), Some(&recorded.meta.cwd))?;
    let (options, client, tools) = prepare(&config, &home, cwd, &PathGlobs::empty())?;
    Ok((path, options, client, tools, config))
}

/// A token cancelled by the first Ctrl-C.
pub(crate) fn interrupt_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    cancel
}

/// Lets a person at the terminal answer the session's approval questions. `approval_default` is for runs
/// where nobody can be asked (JSON consumers, pipes, CI), and answers when stdin ends.
pub(crate) fn ask_at_terminal(session: &mut Session, output: &OutputArgs) {
    if !output.json && crate::approve::TerminalApprover::available() {
        let fallback = session.approval_default();
        session.set_approver(Arc::new(crate::approve::TerminalApprover { fallback }));
    }
}

/// Writes the last assistant message to `-o FILE`, when one was asked for.
pub(crate) fn write_last_message(output: &OutputArgs, message: &str) -> anyhow::Result<()> {
    if let Some(path) = &output.output_last_message {
        std::fs::write(path, message).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Runs one turn, interrupting it on Ctrl-C, and reports its outcome.
async fn drive(
    mut session: Session,
    prompt: &str,
    output: &OutputArgs,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitCode> {
    ask_at_terminal(&mut session, output);
    match session.run_turn(prompt, cancel).await {
        Ok(outcome) => {
            let message = outcome.last_message.unwrap_or_default();
            write_last_message(output, &message)?;
            if !output.json {
                print_final(&message)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(braid_core::SessionError::Interrupted) => {
            // The event stream already carries turn.failed; the exit code says it was the user.
            Ok(ExitCode::from(130))
        }
        Err(err) => Err(err.into()),
    }
}

#[allow(clippy::print_stdout)]
pub(crate) fn print_final(message: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", message.trim_end()).context("cannot write to stdout")?;
    Ok(())
}

/// The event printer: JSONL on stdout with `--json`, else progress lines on stderr.
pub(crate) fn make_sink(output: &OutputArgs) -> EventSink {
    if output.json {
        let mapper = Arc::new(Mutex::new(JsonlMapper::new()));
        Box::new(move |event| {
            let Ok(mut mapper) = mapper.lock() else { return };
            let mut stdout = std::io::stdout().lock();
            for line in mapper.map(event) {
                if let Ok(text) = serde_json::to_string(&line) {
                    // A closed stdout (the consumer went away) is not worth crashing the agent over.
                    let _ = writeln!(stdout, "{text}");
                }
            }
            let _ = stdout.flush();
        })
    } else {
        Box::new(|event| {
            if let Some(line) = render::progress_line(event) {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        })
    }
}

/// Resolves config into session options, a model client and the tools. The embedded model gets
/// shorter instructions and a smaller tool set, which small models handle far better. `forbidden` (a
/// plan's `forbidden` globs, relative to `cwd`; empty for none) is enforced twice: the file tools refuse
/// to write matching paths, and confined commands see the existing ones mounted read-only.
pub(crate) fn prepare(
    config: &Config,
    home: &Path,
    cwd: PathBuf,
    forbidden: &PathGlobs,
) -> anyhow::Result<(SessionOptions, Arc<dyn braid_model::ModelClient>, ToolRegistry)> {
    let setup = Setup { forbidden: Some(forbidden.clone()), ..Setup::default() };
    let prepared = prepare_with(config, home, cwd, &setup)?;
    Ok((prepared.options, prepared.client, prepared.tools))
}

/// What a command needs beyond plain `exec`.
#[derive(Debug, Default)]
pub(crate) struct Setup {
    /// Offer only the tools for reading the repository (writing a plan).
    pub research: bool,
    /// Paths no tool and no command may change (a plan's `forbidden` globs, relative to the working
    /// directory).
    pub forbidden: Option<PathGlobs>,
    /// Variables every command of the session gets (a run attempt's `BRAID_ATTEMPT`, `BRAID_PORT`).
    pub extra_env: Vec<(String, String)>,
}

/// A session's parts, resolved from config.
pub(crate) struct Prepared {
    pub options: SessionOptions,
    pub client: Arc<dyn braid_model::ModelClient>,
    pub tools: ToolRegistry,
    /// How the session's commands run, for commands braid runs on its behalf (a plan's checks).
    pub commands: Commands,
}

/// `prepare` for `setup`.
pub(crate) fn prepare_with(config: &Config, home: &Path, cwd: PathBuf, setup: &Setup) -> anyhow::Result<Prepared> {
    let model = model_client(config, home, 1)?;
    session_parts(config, home, cwd, setup, &model)
}

/// The configured model, loaded once: attempts of a run share it, and the embedded model then serves
/// `parallel` sequences at a time from one copy of the weights.
pub(crate) struct ModelChoice {
    pub provider_name: String,
    pub model: String,
    pub client: Arc<dyn braid_model::ModelClient>,
    /// The embedded model, which gets shorter instructions and fewer tools.
    pub local: bool,
}

/// Resolves the configured backend into a client able to serve `parallel` sessions at once.
pub(crate) fn model_client(config: &Config, home: &Path, parallel: u32) -> anyhow::Result<ModelChoice> {
    let env = |key: &str| std::env::var(key).ok();
    Ok(match config.backend(&env)? {
        Backend::Remote { provider, model } => {
            let provider_name = provider.name.clone();
            ModelChoice { provider_name, model, client: braid_model::client_for(provider)?, local: false }
        }
        Backend::Local { model, settings } => {
            let (client, name) = crate::local::client(home, model.as_deref(), &settings, parallel)?;
            ModelChoice {
                provider_name: braid_core::config::LOCAL_PROVIDER.to_string(),
                model: name,
                client,
                local: true,
            }
        }
    })
}

/// A session's options, tools and command policy for working in `cwd` with `model`.
pub(crate) fn session_parts(
    config: &Config,
    home: &Path,
    cwd: PathBuf,
    setup: &Setup,
    model: &ModelChoice,
) -> anyhow::Result<Prepared> {
    let local = model.local;
    // Small local models get no escalation arguments: every extra schema field is one more way for them
    // to go wrong, and under `on-request` they then simply run everything inside the sandbox.
    let offer_escalation = config.approval_policy == braid_protocol::ApprovalPolicy::OnRequest
        && config.sandbox != braid_sandbox::Policy::FullAccess
        && !local;
    let forbidden = setup.forbidden.clone().unwrap_or_else(PathGlobs::empty);
    let mut env = config.command_env_policy();
    env.set = setup.extra_env.clone();
    let commands = Commands {
        env,
        confinement: confinement(config, &cwd, &forbidden)?,
        // A command run outside the sandbox would not see the forbidden paths' read-only mounts.
        offer_escalation: offer_escalation && forbidden.is_empty(),
    };
    let tools = if setup.research {
        braid_core::tools::research_registry(&config.toml.tools, commands.clone(), local)
    } else if local {
        braid_core::tools::local_registry(&config.toml.tools, commands.clone())
    } else {
        braid_core::tools::default_registry(&config.toml.tools, commands.clone())
    };
    let options = SessionOptions {
        reasoning_effort: config.reasoning_effort,
        home: Some(home.to_path_buf()),
        max_turns: config.max_turns,
        project_doc_max_bytes: config.project_doc_max_bytes,
        project_doc_fallback_filenames: config.toml.project_doc_fallback_filenames.clone(),
        instructions: local.then(|| braid_core::session::LOCAL_INSTRUCTIONS.to_string()),
        context_window: config.context_window,
        auto_compact_threshold: config.auto_compact_threshold,
        tool_output_token_limit: config.tool_output_token_limit,
        sandbox: config.sandbox,
        forbidden: forbidden.clone(),
        approval_policy: config.approval_policy,
        approval_default: config.approval_default,
        skills: config.skills_enabled(),
        ..SessionOptions::new(model.model.clone(), model.provider_name.clone(), cwd)
    };
    Ok(Prepared { options, client: Arc::clone(&model.client), tools, commands })
}

/// The kernel confinement for commands under the configured sandbox mode: the working directory, the
/// temp dir and the configured extra roots are writable under `workspace-write`, except what `forbidden`
/// matches. Fails, saying how to proceed, when the kernel cannot enforce the mode.
pub(crate) fn confinement(
    config: &Config,
    cwd: &Path,
    forbidden: &PathGlobs,
) -> anyhow::Result<Option<Arc<braid_sandbox::Confinement>>> {
    if config.sandbox == braid_sandbox::Policy::FullAccess {
        return Ok(None);
    }
    let spec = sandbox_spec(config, cwd, config.sandbox, forbidden)?;
    Ok(Some(Arc::new(braid_sandbox::Confinement::prepare(&spec)?)))
}

/// The sandbox `policy` for commands working in `cwd`, with the writable roots, network switch and
/// unreadable locations from config, and the existing paths under `cwd` that `forbidden` matches made
/// read-only. Fails when a `[sandbox] deny_read` entry cannot be resolved.
pub(crate) fn sandbox_spec(
    config: &Config,
    cwd: &Path,
    policy: braid_sandbox::Policy,
    forbidden: &PathGlobs,
) -> anyhow::Result<braid_sandbox::SandboxSpec> {
    let extra = &config.toml.sandbox_workspace_write;
    let mut writable_roots = vec![cwd.to_path_buf(), std::env::temp_dir()];
    writable_roots.extend(extra.writable_roots.iter().cloned());
    Ok(braid_sandbox::SandboxSpec {
        policy,
        writable_roots,
        network: extra.network_access,
        deny_read: deny_read(config)?,
        read_only: braid_sandbox::forbidden_mounts(cwd, forbidden),
    })
}

/// Where credentials usually live; confined commands may not read them (`[sandbox] deny_read` replaces
/// this list).
const DEFAULT_DENY_READ: &[&str] = &[
    "~/.ssh",
    "~/.aws",
    "~/.config/gh",
    "~/.netrc",
    "~/.git-credentials",
    "~/.gnupg",
    "~/.docker/config.json",
    "~/.kube",
];

/// The locations confined commands may not read: `[sandbox] deny_read` with `~/` expanded, else the
/// default list plus braid's own home (sessions, models and anything braid may keep there later, none
/// of which a command needs). Fails when an entry is relative, or starts with `~/` while HOME is unset.
fn deny_read(config: &Config) -> anyhow::Result<Vec<PathBuf>> {
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
    let expand = |entry: &str| -> anyhow::Result<PathBuf> {
        if let Some(rest) = entry.strip_prefix("~/") {
            let Some(home) = &home else {
                bail!(
                    "cannot expand `{entry}` in `[sandbox] deny_read`: HOME is not set; set HOME or use an absolute path"
                )
            };
            return Ok(home.join(rest));
        }
        let path = PathBuf::from(entry);
        if !path.is_absolute() {
            bail!("`[sandbox] deny_read` entry `{entry}` is relative; use an absolute path or one starting with `~/`");
        }
        Ok(path)
    };
    match &config.toml.sandbox.deny_read {
        Some(entries) => entries.iter().map(|entry| expand(entry)).collect(),
        None => {
            // Without HOME only braid's home is known; the `~/` defaults have nothing to point at.
            let mut paths: Vec<PathBuf> = if home.is_some() {
                DEFAULT_DENY_READ.iter().map(|e| expand(e)).collect::<Result<_, _>>()?
            } else {
                Vec::new()
            };
            paths.push(braid_home()?);
            Ok(paths)
        }
    }
}

pub(crate) fn load_config(home: &Path, global: &GlobalArgs) -> anyhow::Result<Config> {
    let mut raw = global.config.clone();
    if let Some(mode) = &global.sandbox {
        raw.push(format!("sandbox_mode={mode}"));
    }
    if let Some(policy) = &global.ask_for_approval {
        raw.push(format!("approval_policy={policy}"));
    }
    let overrides = ConfigOverrides { raw, profile: global.profile.clone(), model: global.model.clone() };
    Ok(Config::load(home, &overrides)?)
}

/// braid's home: `$BRAID_HOME`, else `~/.braid`.
pub(crate) fn braid_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("BRAID_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".braid")),
        None => bail!("neither BRAID_HOME nor HOME is set; set BRAID_HOME to a directory braid may use"),
    }
}

/// The working directory: `-C`, else the resumed session's, else the current one. It must exist.
pub(crate) fn working_dir(cd: Option<&Path>, recorded: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match (cd, recorded) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(dir)) => dir.to_path_buf(),
        (None, None) => std::env::current_dir().context("cannot read the current directory")?,
    };
    dir.canonicalize().with_context(|| format!("working directory {} does not exist", dir.display()))
}

/// The prompt from the argument, or from stdin when it is `-` or absent and stdin is not a terminal.
pub(crate) fn read_prompt(arg: Option<String>) -> anyhow::Result<String> {
    let from_stdin = match arg.as_deref() {
        Some("-") => true,
        Some(text) => return non_empty(text.to_string()),
        None => !std::io::stdin().is_terminal(),
    };
    if !from_stdin {
        bail!("no task given; pass it as an argument (braid exec \"fix the failing test\") or pipe it on stdin");
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read the task from stdin")?;
    non_empty(text)
}

fn non_empty(text: String) -> anyhow::Result<String> {
    if text.trim().is_empty() {
        bail!("the task is empty; say what braid should do");
    }
    Ok(text)
}
