//! `braid mcp-server`: braid as an MCP tool server over stdio. The tools (`braid_exec`, `braid_run`,
//! `braid_review`) are the jobs the commands of the same names do, reached through MCP; stdout carries
//! only MCP frames, so every log and progress line goes to stderr.

mod exec_tool;
mod run_tool;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ProgressNotificationParam, ServerCapabilities, ServerConfig,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde::Deserialize;
// braid's sessions take tokio-util's token, which is also the one rmcp cancels on `notifications/cancelled`.
use braid_core::session::CancellationToken;

use crate::cli::{GlobalArgs, McpServerArgs, ReviewArgs};
use crate::review_cmd::{Reviewed, review_change, review_text};

/// Serves MCP over stdin and stdout until the client hangs up. Fails when the MCP handshake fails.
pub async fn serve(global: &GlobalArgs, _args: &McpServerArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let server = BraidServer { defaults: Arc::new(Defaults::from(global)), tool_router: BraidServer::tool_router() };
    let service = server.serve(rmcp::transport::stdio()).await.context("the MCP handshake on stdin/stdout failed")?;
    service.waiting().await.context("the MCP session ended abnormally")?;
    Ok(ExitCode::SUCCESS)
}

/// Logs (rmcp's and braid's) go to stderr, filtered by `RUST_LOG` (warnings by default): stdout is the
/// transport, and one stray line there would corrupt the client's stream.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The command line's global options (`braid -p work mcp-server`), which every call starts from.
#[derive(Debug, Clone)]
struct Defaults {
    config: Vec<String>,
    profile: Option<String>,
    model: Option<String>,
    sandbox: Option<String>,
    ask_for_approval: Option<String>,
}

impl From<&GlobalArgs> for Defaults {
    fn from(global: &GlobalArgs) -> Defaults {
        Defaults {
            config: global.config.clone(),
            profile: global.profile.clone(),
            model: global.model.clone(),
            sandbox: global.sandbox.clone(),
            ask_for_approval: global.ask_for_approval.clone(),
        }
    }
}

/// What one call changes of the defaults.
#[derive(Debug, Default)]
struct CallOptions<'a> {
    model: Option<&'a str>,
    sandbox: Option<SandboxMode>,
    approval: Option<ApprovalPolicy>,
}

impl Defaults {
    /// The global options for a call working in `cwd`. Fails, saying what to pass, when `cwd` is empty
    /// or relative: the server's own directory is rarely what the client means.
    fn for_call(&self, cwd: &str, call: &CallOptions<'_>) -> Result<GlobalArgs, String> {
        if cwd.trim().is_empty() {
            return Err("`cwd` is empty; pass the absolute path of the directory to work in".to_string());
        }
        if !Path::new(cwd).is_absolute() {
            return Err(format!(
                "`cwd` `{cwd}` is a relative path; pass the absolute path of the directory to work in"
            ));
        }
        let dir = Path::new(cwd);
        if !dir.is_dir() {
            return Err(format!(
                "`cwd` {cwd} is not a directory (it does not exist, or is a file); pass an existing directory"
            ));
        }
        Ok(GlobalArgs {
            config: self.config.clone(),
            profile: self.profile.clone(),
            model: call.model.map(str::to_string).or_else(|| self.model.clone()),
            sandbox: call.sandbox.map(|s| s.as_str().to_string()).or_else(|| self.sandbox.clone()),
            ask_for_approval: call.approval.map(|a| a.as_str().to_string()).or_else(|| self.ask_for_approval.clone()),
            cd: Some(dir.to_path_buf()),
        })
    }
}

/// How the commands of a `braid_exec` task are confined. Full access is not offered over MCP: a client
/// that wants it starts the server with `-s full-access`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "kebab-case")]
enum SandboxMode {
    /// Commands may read everything but write nothing.
    ReadOnly,
    /// Commands may write in `cwd` and the temp dir.
    WorkspaceWrite,
}

impl SandboxMode {
    fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
        }
    }
}

/// When tool calls need approval. Nobody can be asked over MCP, so `approval_default` from config.toml
/// (deny by default) answers every approval request.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "kebab-case")]
enum ApprovalPolicy {
    Untrusted,
    OnRequest,
    OnFailure,
    Never,
}

impl ApprovalPolicy {
    fn as_str(self) -> &'static str {
        match self {
            ApprovalPolicy::Untrusted => "untrusted",
            ApprovalPolicy::OnRequest => "on-request",
            ApprovalPolicy::OnFailure => "on-failure",
            ApprovalPolicy::Never => "never",
        }
    }
}

/// `braid_exec`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct ExecParams {
    /// The task, in words, as you would give it to `braid exec`.
    prompt: String,
    /// The absolute path of the directory to work in (usually a git repository).
    cwd: String,
    /// The model to use instead of the configured one.
    model: Option<String>,
    /// How the agent's commands are confined (default: the configured `sandbox_mode`).
    sandbox: Option<SandboxMode>,
    /// When tool calls need approval (default: the configured `approval_policy`). Nobody can be asked,
    /// so `approval_default` from config.toml answers.
    approval: Option<ApprovalPolicy>,
}

/// `braid_run`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct RunParams {
    /// The task every attempt works on.
    task: String,
    /// The absolute path of a directory in the git repository to run in.
    cwd: String,
    /// How many attempts (default 1).
    #[schemars(range(min = 1, max = 16))]
    n: Option<u32>,
    /// Which agents make the attempts: `braid` (the default), `codex`, `claude`, `cmd:<template>`, or a
    /// mix such as `braid,codex`.
    agent: Option<String>,
}

/// `braid_review`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct ReviewParams {
    /// The absolute path of a directory in the git repository.
    cwd: String,
    /// What to review: a revision range such as `main..feature`, or a run's attempt `<run>/<n>`. Without
    /// `target`, `base` and `commit`: the uncommitted changes.
    target: Option<String>,
    /// Review the current branch's changes since it left this branch.
    base: Option<String>,
    /// Review this one commit against its parent.
    commit: Option<String>,
}

/// The most attempts one `braid_run` call may ask for.
const MAX_ATTEMPTS: u32 = 16;

/// The MCP server: the command line's defaults and the tool table.
#[derive(Clone)]
struct BraidServer {
    defaults: Arc<Defaults>,
    tool_router: ToolRouter<BraidServer>,
}

#[tool_router]
impl BraidServer {
    #[tool(
        description = "Run the braid coding agent on one task in a directory, like `braid exec`, and wait for it to finish. Returns the agent's final message, the files it changed (with +/- line counts when the directory is a git repository), the tokens used and the session id (`braid resume <id>` continues it). Approvals are answered by `approval_default` from braid's config.toml, since nobody can be asked."
    )]
    async fn braid_exec(
        &self,
        Parameters(params): Parameters<ExecParams>,
        cancel: CancellationToken,
    ) -> CallToolResult {
        let call = CallOptions { model: params.model.as_deref(), sandbox: params.sandbox, approval: params.approval };
        let global = match self.defaults.for_call(&params.cwd, &call) {
            Ok(global) => global,
            Err(message) => return failure(message),
        };
        if params.prompt.trim().is_empty() {
            return failure("`prompt` is empty; say what braid should do");
        }
        match exec_tool::exec(&global, &params.prompt, &cancel).await {
            Ok(report) => success(report.text(), serde_json::to_value(&report)),
            Err(err) => failure(format!("braid_exec failed: {}", chain(&err))),
        }
    }

    #[tool(
        description = "Attempt a task N times in parallel, like `braid run -n N`: each attempt works in its own git worktree and branch `braid/<run>/<n>`; the user's checkout is never changed. Returns the run id and each attempt's agent, branch, state, change (files, +/- lines), final message and error. Sends a progress notification per attempt state when the call carries a progress token."
    )]
    async fn braid_run(
        &self,
        Parameters(params): Parameters<RunParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let global = match self.defaults.for_call(&params.cwd, &CallOptions::default()) {
            Ok(global) => global,
            Err(message) => return failure(message),
        };
        if params.task.trim().is_empty() {
            return failure("`task` is empty; say what the attempts should do");
        }
        let n = params.n.unwrap_or(1);
        if !(1..=MAX_ATTEMPTS).contains(&n) {
            return failure(format!("`n` is {n}; ask for 1 to {MAX_ATTEMPTS} attempts"));
        }
        let agent = params.agent.as_deref().unwrap_or("braid");
        let progress = progress_reporter(&context);
        match run_tool::run(&global, &params.task, n, agent, progress, &context.ct).await {
            Ok(report) => success(report.text(), serde_json::to_value(&report)),
            Err(err) => failure(format!("braid_run failed: {}", chain(&err))),
        }
    }

    #[tool(
        description = "Review a change with braid's AI reviewer, like `braid review`: the uncommitted changes by default, or a revision range, a branch since it left `base`, one commit, or a run's attempt. Returns the verdict and the prioritised findings (P0 must fix .. P3 nit) as text, and the whole review as structured JSON."
    )]
    async fn braid_review(
        &self,
        Parameters(params): Parameters<ReviewParams>,
        cancel: CancellationToken,
    ) -> CallToolResult {
        let global = match self.defaults.for_call(&params.cwd, &CallOptions::default()) {
            Ok(global) => global,
            Err(message) => return failure(message),
        };
        if params.target.is_some() as u8 + params.base.is_some() as u8 + params.commit.is_some() as u8 > 1 {
            return failure("pass at most one of `target`, `base` and `commit`");
        }
        let args = ReviewArgs {
            target: params.target,
            base: params.base,
            commit: params.commit,
            min_confidence: 0.5,
            no_tests: false,
            focus: None,
            plan: None,
            json: true,
        };
        match review_change(&global, &args, &cancel).await {
            Ok(Reviewed::Done(review)) => success(review_text(&review), serde_json::to_value(&review)),
            Ok(Reviewed::Nothing(why)) => CallToolResult::success(vec![ContentBlock::text(why)]),
            Ok(Reviewed::Interrupted) => failure("the review was cancelled"),
            Ok(Reviewed::Failed(err)) => failure(format!("the review failed: {err}")),
            Err(err) => failure(format!("braid_review failed: {}", chain(&err))),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BraidServer {
    fn get_info(&self) -> ServerConfig {
        let mut config = ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
            "braid is a coding agent. braid_exec runs one task in a directory and returns its final message and \
             changes; braid_run makes N attempts at a task in separate git worktrees; braid_review reviews a change.",
        );
        config.server_info = Implementation::new("braid", env!("CARGO_PKG_VERSION"));
        config
    }
}

/// A successful result: `text` for people (and models), `structured` as the result's structured content.
fn success(text: String, structured: serde_json::Result<serde_json::Value>) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = structured.ok();
    result
}

/// A tool error (`isError: true`) the client shows: the call failed, the server goes on.
fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// An error and its causes in one line.
fn chain(err: &anyhow::Error) -> String {
    err.chain().map(|e| e.to_string()).collect::<Vec<_>>().join(": ")
}

/// Reports progress lines as `notifications/progress` when the call asked for progress (carries a
/// progress token); `None` otherwise. The run's sink is synchronous, so lines go through a channel to a
/// task that sends them.
fn progress_reporter(context: &RequestContext<RoleServer>) -> Option<run_tool::OnProgress> {
    let token = context.meta.get_progress_token()?;
    let peer = context.peer.clone();
    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut count = 0.0;
        while let Some(line) = lines.recv().await {
            count += 1.0;
            let mut param = ProgressNotificationParam::new(token.clone(), count);
            param.message = Some(line);
            // A client that stopped listening for progress does not stop the run.
            let _ = peer.notify_progress(param).await;
        }
    });
    Some(Arc::new(move |line: String| {
        let _ = sender.send(line);
    }))
}
