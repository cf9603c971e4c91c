//! `braid mcp list`: the configured MCP servers, their state and their tools. Each server is started as a
//! session would start it, listed, and stopped again, so the listing shows what a session would get.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use braid_mcp::{ServerState, ServerStatus};

use crate::cli::{GlobalArgs, McpListArgs};
use crate::exec::{braid_home, load_config, working_dir};

/// Lists the configured MCP servers. Exits 0 when servers fail to start (their state says so) and 2 when
/// the configuration itself is wrong. Fails when braid's home or the working directory cannot be
/// found, or stdout cannot be written.
pub async fn list(global: &GlobalArgs, args: &McpListArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = match load_config(&home, global) {
        Ok(config) => config,
        Err(err) => {
            let _ = writeln!(std::io::stderr().lock(), "error: {err:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let manager = braid_core::tools::start_mcp(&config, &cwd).await;
    let statuses = manager.statuses().to_vec();
    // Stop the servers before printing: the listing is complete, and no server should outlive it.
    drop(manager);

    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&statuses.iter().map(status_json).collect::<Vec<_>>())
            .context("cannot encode the servers as JSON")?;
        json.push('\n');
        json
    } else if statuses.is_empty() {
        format!(
            "no MCP servers configured; add a [mcp_servers.<name>] table to {} (see docs/mcp.md)\n",
            config.path.display()
        )
    } else {
        statuses.iter().map(status_text).collect()
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn state_text(state: &ServerState) -> String {
    match state {
        ServerState::Ready => "ready".to_string(),
        ServerState::Failed(reason) => format!("failed: {reason}"),
        ServerState::Disabled => "disabled".to_string(),
    }
}

fn status_text(status: &ServerStatus) -> String {
    let mut text = format!("{} ({}): {}\n", status.name, status.transport, state_text(&status.state));
    if status.state == ServerState::Ready && status.tools.is_empty() {
        text.push_str("  (no tools offered)\n");
    }
    for tool in &status.tools {
        text.push_str(&format!("  {tool}\n"));
    }
    text
}

fn status_json(status: &ServerStatus) -> serde_json::Value {
    let (state, error) = match &status.state {
        ServerState::Ready => ("ready", None),
        ServerState::Failed(reason) => ("failed", Some(reason.clone())),
        ServerState::Disabled => ("disabled", None),
    };
    serde_json::json!({
        "name": status.name,
        "transport": status.transport,
        "state": state,
        "error": error,
        "tools": status.tools,
    })
}
