//! MCP connectors: the servers declared under `[mcp_servers.<name>]`, started and spoken to through the
//! official Rust SDK, and their tools offered to the agent as `<server>__<tool>`.
//!
//! This crate never prints and never decides policy: failures are returned as statuses and messages
//! for the caller to show, and each tool says what it would do (`Exposure::External`) so that the
//! session's approval policy decides whether it runs.

pub mod config;
mod connection;
pub mod naming;
pub mod schema;
mod tool;

use std::path::Path;
use std::sync::Arc;

use braid_tools::Tool;
use futures::future::join_all;

pub use config::{McpConfigError, McpServerToml, ServerConfig, Transport, check_server, check_servers};
use connection::Connection;

/// Where a server stands after start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// Started and listed its tools.
    Ready,
    /// Could not start, with the reason.
    Failed(String),
    /// `enabled = false` in config.
    Disabled,
}

/// A server as `braid mcp list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    pub name: String,
    /// `stdio` or `http`.
    pub transport: &'static str,
    pub state: ServerState,
    /// The names its tools are offered under, after the enabled/disabled filters.
    pub tools: Vec<String>,
}

/// The configured servers, started. Dropping the manager and every tool it handed out stops them
/// (stdio servers are killed with their process group).
pub struct McpManager {
    statuses: Vec<ServerStatus>,
    tools: Vec<Arc<tool::McpTool>>,
}

impl std::fmt::Debug for McpManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpManager").field("statuses", &self.statuses).finish()
    }
}

impl McpManager {
    /// Starts every enabled server at once, each bounded by its startup timeout. A server that fails
    /// is recorded as failed with the reason; the others are unaffected. `cwd` is where stdio servers
    /// start unless their table says otherwise; `env` looks up environment variables (bearer tokens).
    pub async fn start(
        servers: &[ServerConfig],
        cwd: &Path,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> McpManager {
        let started = join_all(servers.iter().map(|server| async move {
            if !server.enabled {
                return (server, Err(None));
            }
            match tokio::time::timeout(server.startup_timeout, Connection::start(server, cwd, env)).await {
                Ok(Ok(started)) => (server, Ok(started)),
                Ok(Err(reason)) => (server, Err(Some(reason))),
                Err(_) => (
                    server,
                    Err(Some(format!(
                        "it did not start and list its tools within {}s (startup_timeout_sec)",
                        server.startup_timeout.as_secs_f64()
                    ))),
                ),
            }
        }))
        .await;
        let mut statuses = Vec::new();
        let mut tools = Vec::new();
        for (server, outcome) in started {
            let (state, offered) = match outcome {
                Err(None) => (ServerState::Disabled, Vec::new()),
                Err(Some(reason)) => (ServerState::Failed(reason), Vec::new()),
                Ok((connection, listed)) => {
                    let connection = Arc::new(connection);
                    let mut offered = Vec::new();
                    for info in listed.into_iter().filter(|t| server.offers(&t.name)) {
                        let name = naming::qualified_name(&server.name, &info.name);
                        offered.push(name.clone());
                        let schema = schema::sanitize(&serde_json::Value::Object((*info.input_schema).clone()));
                        tools.push(Arc::new(tool::McpTool {
                            connection: Arc::clone(&connection),
                            offered: name,
                            tool: info.name.to_string(),
                            description: info.description.as_deref().map_or_else(
                                || format!("Tool `{}` of MCP server `{}`.", info.name, server.name),
                                str::to_string,
                            ),
                            schema,
                            read_only: info.annotations.as_ref().and_then(|a| a.read_only_hint).unwrap_or(false),
                        }));
                    }
                    (ServerState::Ready, offered)
                }
            };
            statuses.push(ServerStatus {
                name: server.name.clone(),
                transport: server.transport.kind(),
                state,
                tools: offered,
            });
        }
        McpManager { statuses, tools }
    }

    /// Every configured server with its state and offered tools, in name order.
    pub fn statuses(&self) -> &[ServerStatus] {
        &self.statuses
    }

    /// One warning per server that failed to start, naming it and the reason.
    pub fn warnings(&self) -> Vec<String> {
        self.statuses
            .iter()
            .filter_map(|s| match &s.state {
                ServerState::Failed(reason) => {
                    Some(format!("MCP server `{}` failed to start: {reason}; continuing without its tools", s.name))
                }
                _ => None,
            })
            .collect()
    }

    /// The ready servers' tools, for a session's registry. They keep their servers running for as long
    /// as they live.
    pub fn tools(&self) -> Vec<Box<dyn Tool>> {
        self.tools.iter().map(|t| Box::new(SharedTool(Arc::clone(t))) as Box<dyn Tool>).collect()
    }
}

/// A handle on a tool the manager also holds, so the manager and several registries can share it.
struct SharedTool(Arc<tool::McpTool>);

#[async_trait::async_trait]
impl Tool for SharedTool {
    fn spec(&self) -> braid_protocol::ToolSpec {
        self.0.spec()
    }

    fn exposure(&self, ctx: &braid_tools::ToolContext, args: &serde_json::Value) -> braid_tools::Exposure {
        self.0.exposure(ctx, args)
    }

    async fn call(&self, ctx: &braid_tools::ToolContext, args: serde_json::Value) -> braid_tools::ToolResult {
        self.0.call(ctx, args).await
    }
}
