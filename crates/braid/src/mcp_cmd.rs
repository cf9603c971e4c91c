//! `braid mcp list`: the configured MCP servers, their state and their tools.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, McpListArgs};

/// Lists the configured MCP servers.
pub async fn list(_global: &GlobalArgs, _args: &McpListArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`braid mcp list` is being built (issue 12)")
}
