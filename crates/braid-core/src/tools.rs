//! The tool set a session offers: every built-in tool, configured from `[tools]`.

use std::time::Duration;

use braid_tools::apply_patch::ApplyPatchTool;
use braid_tools::{GrepTool, ListDirTool, ReadFileTool, ShellConfig, ShellTool, ToolRegistry, UpdatePlanTool};

use crate::config::ToolsToml;

/// The built-in tools: shell, apply_patch, read_file, list_dir, grep, update_plan.
pub fn default_registry(config: &ToolsToml) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Box::new(ShellTool::new(ShellConfig {
        default_timeout: Duration::from_millis(config.shell_timeout_ms),
        max_output_bytes: config.max_output_bytes,
        ..ShellConfig::default()
    })));
    registry.register(Box::new(ApplyPatchTool));
    registry.register(Box::new(ReadFileTool::new()));
    registry.register(Box::new(ListDirTool::new()));
    registry.register(Box::new(GrepTool::new()));
    registry.register(Box::new(UpdatePlanTool::new()));
    registry
}
