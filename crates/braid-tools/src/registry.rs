//! The `Tool` trait, the context a call runs in, and the registry that dispatches a model's tool call.

use std::path::PathBuf;

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolImage, ToolSpec};
use braid_sandbox::paths::WorkspacePolicy;

/// Everything a tool call may depend on besides its arguments.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The directory relative paths and commands start from.
    pub cwd: PathBuf,
    /// Which paths the file tools may read and write.
    pub policy: WorkspacePolicy,
    /// Most bytes of output the caller wants from one call, when it is tighter than the tool's own cap.
    /// Tools that can page (read_file) stop at it and say where to continue; others keep the head and
    /// tail. The session sets it from the model's context window.
    pub output_limit: Option<usize>,
    /// Run commands outside the sandbox: set only for a call the user (or the configured default)
    /// approved to run unconfined.
    pub unconfined: bool,
    /// Where a running call's output goes as it is produced, for live display (the shell tool sends a
    /// command's stdout and stderr here). `None` by default; what the model sees is unaffected.
    pub output: Option<braid_sandbox::OutputSink>,
}

impl ToolContext {
    /// A context for `cwd` under `policy`, with no output limit beyond each tool's own.
    pub fn new(cwd: PathBuf, policy: WorkspacePolicy) -> ToolContext {
        ToolContext { cwd, policy, output_limit: None, unconfined: false, output: None }
    }

    /// `own` (a tool's built-in cap) lowered to the caller's limit, when it has one.
    pub fn output_cap(&self, own: usize) -> usize {
        self.output_limit.map_or(own, |limit| own.min(limit))
    }
}

/// What a tool call returns: the text for the model, whether it succeeded, and its effect for front ends.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub output: String,
    /// Images that go to the model with `output` (checked with [`crate::image::check_image`]). The
    /// output names each one in a line, for models that cannot see them.
    pub images: Vec<ToolImage>,
    pub success: bool,
    pub effect: ToolEffect,
    /// The call failed in a way that looks like the sandbox refused it (the `on-failure` approval
    /// policy offers to run it again outside).
    pub sandbox_denied: bool,
}

impl ToolResult {
    /// A successful call.
    pub fn ok(output: impl Into<String>, effect: ToolEffect) -> Self {
        ToolResult { output: output.into(), images: Vec::new(), success: true, effect, sandbox_denied: false }
    }

    /// A failed call whose message goes back to the model so it can correct itself.
    pub fn error(message: impl Into<String>) -> Self {
        ToolResult {
            output: message.into(),
            images: Vec::new(),
            success: false,
            effect: ToolEffect::None,
            sandbox_denied: false,
        }
    }
}

/// What a call would do that the approval policy cares about.
#[derive(Debug, Clone, PartialEq)]
pub enum Exposure {
    /// Nothing beyond reading inside the workspace (reads, searches, listings, the plan).
    ReadOnly,
    /// Runs a command.
    Command {
        argv: Vec<String>,
        cwd: PathBuf,
        /// Set when the model asked to run the command outside the sandbox: its justification (possibly
        /// empty).
        escalation: Option<String>,
    },
    /// Writes files through braid's own edit tools, under the workspace policy.
    Edit,
    /// Calls a tool of an external (MCP) server, which braid cannot see into or confine.
    External {
        /// The server's name in config.
        server: String,
        /// The tool's name on the server.
        tool: String,
        /// The call's arguments as JSON text, for the approval prompt.
        arguments: String,
        /// The server declares the tool read-only (`readOnlyHint`); a hint, trusted only as far as
        /// the user trusts the server they configured.
        read_only: bool,
    },
}

/// One tool the model may call.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The name, description and argument schema offered to the model.
    fn spec(&self) -> ToolSpec;

    /// What the call is about to do, shown before it runs. Arguments that do not parse preview as `None`.
    fn preview(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> ToolEffect {
        ToolEffect::None
    }

    /// What the call would do, for the approval policy. Arguments that do not parse expose nothing: the
    /// call will fail without doing anything.
    fn exposure(&self, ctx: &ToolContext, args: &serde_json::Value) -> Exposure;

    /// Runs the call. Failures the model can act on are `ToolResult`s with `success: false`, not panics.
    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult;
}

/// The tools offered in a session, dispatched by name.
#[derive(Default)]
pub struct ToolRegistry {
    tools: Vec<Box<dyn Tool>>,
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        ToolRegistry::default()
    }

    /// Adds a tool; a later tool with the same name replaces the earlier one.
    pub fn register(&mut self, tool: Box<dyn Tool>) {
        let name = tool.spec().name;
        self.tools.retain(|t| t.spec().name != name);
        self.tools.push(tool);
    }

    /// The specs of every registered tool, in registration order.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|t| t.spec()).collect()
    }

    fn find(&self, name: &str) -> Option<&dyn Tool> {
        self.tools.iter().find(|t| t.spec().name == name).map(|t| t.as_ref())
    }

    /// What a call of `name` with `raw_arguments` would do, known before it runs: its previewed effect
    /// (for front ends) and its exposure (for the approval policy). An unknown tool or arguments that
    /// are not JSON give `ToolEffect::None` and `Exposure::ReadOnly`, since such a call fails without
    /// doing anything.
    pub fn inspect(&self, ctx: &ToolContext, name: &str, raw_arguments: &str) -> (ToolEffect, Exposure) {
        match (self.find(name), parse_arguments(raw_arguments)) {
            (Some(tool), Ok(args)) => (tool.preview(ctx, &args), tool.exposure(ctx, &args)),
            _ => (ToolEffect::None, Exposure::ReadOnly),
        }
    }

    /// Runs the tool `name` with the model's raw argument text. An unknown tool or arguments that are not
    /// valid JSON become an error result addressed to the model, so the turn goes on and it can correct
    /// itself.
    pub async fn dispatch(&self, ctx: &ToolContext, name: &str, raw_arguments: &str) -> ToolResult {
        let Some(tool) = self.find(name) else {
            let known: Vec<String> = self.tools.iter().map(|t| t.spec().name).collect();
            return ToolResult::error(format!("unknown tool `{name}`; the available tools are: {}", known.join(", ")));
        };
        match parse_arguments(raw_arguments) {
            Ok(args) => tool.call(ctx, args).await,
            Err(err) => ToolResult::error(format!(
                "the arguments for `{name}` are not valid JSON ({err}); send a JSON object matching the tool's schema"
            )),
        }
    }
}

/// The model's raw argument text as JSON; empty text stands for no arguments (`{}`), which some models
/// send for tools without required parameters.
fn parse_arguments(raw: &str) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_str(if raw.trim().is_empty() { "{}" } else { raw })
}
