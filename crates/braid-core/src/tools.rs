//! The tool set a session offers: every built-in tool, configured from `[tools]`.

use braid_tools::apply_patch::ApplyPatchTool;
use braid_tools::{
    EditFileTool, GrepTool, ListDirTool, ReadFileTool, ShellConfig, ShellTool, ToolRegistry, UpdatePlanTool,
};
use std::time::Duration;

use std::sync::Arc;

use braid_sandbox::{Confinement, EnvPolicy};

use crate::config::ToolsToml;

/// The tools for small local models: shell, read_file and edit_file. Fewer tools mean a shorter
/// prompt and fewer ways for a small model to go astray; `shell` covers listing and searching, and
/// edit_file (old text, new text) replaces apply_patch, whose diff format small models get wrong.
pub fn local_registry(config: &ToolsToml, confinement: Option<Arc<Confinement>>) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(shell(config, confinement)));
    registry.register(Box::new(ReadFileTool::plain()));
    registry.register(Box::new(EditFileTool));
    registry
}

fn shell(config: &ToolsToml, confinement: Option<Arc<Confinement>>) -> ShellTool {
    ShellTool::new(ShellConfig {
        confinement,
        default_timeout: Duration::from_millis(config.shell_timeout_ms),
        max_output_bytes: config.max_output_bytes,
        env_policy: EnvPolicy { remove: config.env_remove.clone(), inherit_secrets: config.inherit_secrets },
        ..ShellConfig::default()
    })
}

/// The built-in tools: shell, apply_patch, read_file, list_dir, grep, update_plan. Commands run under
/// `confinement` (unconfined with `None`).
pub fn default_registry(config: &ToolsToml, confinement: Option<Arc<Confinement>>) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(shell(config, confinement)));
    registry.register(Box::new(ApplyPatchTool));
    registry.register(Box::new(ReadFileTool::new()));
    registry.register(Box::new(ListDirTool::new()));
    registry.register(Box::new(GrepTool::new()));
    registry.register(Box::new(UpdatePlanTool::new()));
    registry
}
