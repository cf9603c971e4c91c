//! The tool set a session offers: every built-in tool, configured from `[tools]`, with commands run
//! under the session's environment policy and confinement.

use std::sync::Arc;
use std::time::Duration;

use braid_sandbox::{Confinement, EnvPolicy};
use braid_tools::apply_patch::ApplyPatchTool;
use braid_tools::{
    EditFileTool, GrepTool, ListDirTool, ReadFileTool, ShellConfig, ShellTool, ToolRegistry, UpdatePlanTool,
};

use crate::config::ToolsToml;

/// How the commands the model runs are started: which of braid's variables they do not get
/// (`Config::command_env_policy`) and the kernel confinement (`None` runs them unconfined). The default
/// withholds credentials and confines nothing.
#[derive(Debug, Clone, Default)]
pub struct Commands {
    pub env: EnvPolicy,
    pub confinement: Option<Arc<Confinement>>,
    /// Offer the model a way to ask to run a command outside the sandbox (the `on-request` policy).
    pub offer_escalation: bool,
}

/// The tools for small local models: shell, read_file and edit_file. Fewer tools mean a shorter
/// prompt and fewer ways for a small model to go astray; `shell` covers listing and searching, and
/// edit_file (old text, new text) replaces apply_patch, whose diff format small models get wrong.
pub fn local_registry(config: &ToolsToml, commands: Commands) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(shell(config, commands)));
    registry.register(Box::new(ReadFileTool::plain()));
    registry.register(Box::new(EditFileTool));
    registry
}

fn shell(config: &ToolsToml, commands: Commands) -> ShellTool {
    ShellTool::new(ShellConfig {
        default_timeout: Duration::from_millis(config.shell_timeout_ms),
        max_output_bytes: config.max_output_bytes,
        env_policy: commands.env,
        confinement: commands.confinement,
        offer_escalation: commands.offer_escalation,
        ..ShellConfig::default()
    })
}

/// The built-in tools: shell, apply_patch, read_file, list_dir, grep, update_plan.
pub fn default_registry(config: &ToolsToml, commands: Commands) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(shell(config, commands)));
    registry.register(Box::new(ApplyPatchTool));
    registry.register(Box::new(ReadFileTool::new()));
    registry.register(Box::new(ListDirTool::new()));
    registry.register(Box::new(GrepTool::new()));
    registry.register(Box::new(UpdatePlanTool::new()));
    registry
}

/// The tools for researching a repository without changing it (writing a plan): shell, read_file, and
/// for capable models list_dir and grep. Commands still run under the session's sandbox, which the
/// caller sets to `read-only`.
pub fn research_registry(config: &ToolsToml, commands: Commands, local: bool) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(shell(config, commands)));
    if local {
        registry.register(Box::new(ReadFileTool::plain()));
    } else {
        registry.register(Box::new(ReadFileTool::new()));
        registry.register(Box::new(ListDirTool::new()));
        registry.register(Box::new(GrepTool::new()));
    }
    registry
}

/// Starts the configured MCP servers (`[mcp_servers]`) for a session working in `cwd`: all at once,
/// each within its startup timeout. Servers that fail are in the manager's `warnings`; the session
/// goes on without them. Register `McpManager::tools` in the session's registry.
pub async fn start_mcp(config: &crate::config::Config, cwd: &std::path::Path) -> braid_mcp::McpManager {
    let env = |key: &str| std::env::var(key).ok();
    braid_mcp::McpManager::start(&config.mcp_servers(), cwd, &env).await
}
