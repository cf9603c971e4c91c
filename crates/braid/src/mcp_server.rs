//! `braid mcp-server`: braid as an MCP tool server over stdio.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, McpServerArgs};

/// Serves MCP over stdin and stdout until the client hangs up.
pub async fn serve(_global: &GlobalArgs, _args: &McpServerArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`braid mcp-server` is being built (issue 12)")
}
