//! One running server: the rmcp client session, the process behind it (for stdio servers), the tail of
//! what it wrote to stderr, and whether it has died. Once a call finds the transport gone, every later
//! call fails at once with the same message instead of waiting for a timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_sandbox::server::{ServerGuard, ServerSpec, spawn_server};
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool as McpToolInfo};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::AsyncReadExt as _;

use crate::config::{ServerConfig, Transport};

/// Most bytes of a server's stderr kept for error messages (its tail).
const STDERR_KEEP: usize = 4096;

/// What went wrong with a call, for the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CallError {
    /// The server is gone; its tools stay unavailable.
    Dead(String),
    /// This call failed (an error reply, a timeout); the server may still work.
    Failed(String),
}

/// A server that started and answered `tools/list`.
pub(crate) struct Connection {
    pub(crate) name: String,
    service: RunningService<RoleClient, ()>,
    tool_timeout: Duration,
    stderr: Arc<Mutex<Vec<u8>>>,
    dead: Mutex<Option<String>>,
    /// Kills the stdio server's process group when the last tool lets go of the connection.
    _guard: Option<ServerGuard>,
}

impl Connection {
    /// Starts `config`'s server and initialises the session, then lists its tools. `cwd` is where a
    /// stdio server starts when its table gives no `cwd`; `env` looks up variables (the HTTP token).
    ///
    /// Fails with a message for the user (the server's name is added by the caller) when the program
    /// cannot start, the token variable is unset, the handshake fails, or the listing fails.
    pub(crate) async fn start(
        config: &ServerConfig,
        cwd: &std::path::Path,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<(Connection, Vec<McpToolInfo>), String> {
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (service, guard) = match &config.transport {
            Transport::Stdio { command, args, env: vars, cwd: dir } => {
                let spec = ServerSpec {
                    program: command.clone(),
                    args: args.clone(),
                    cwd: Some(dir.as_ref().map_or_else(|| cwd.to_path_buf(), |d| cwd.join(d))),
                    env: vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                };
                let process = spawn_server(&spec).map_err(|err| err.to_string())?;
                let (stdin, stdout, child_stderr, guard) = process.into_parts();
                keep_tail(child_stderr, Arc::clone(&stderr));
                match ().serve((stdout, stdin)).await {
                    Ok(service) => (service, Some(guard)),
                    Err(err) => {
                        // Give the reader a moment to collect what the server said before it died.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        return Err(with_stderr(format!("the MCP handshake failed: {err}"), &stderr));
                    }
                }
            }
            Transport::Http { url, bearer_token_env_var } => {
                let mut transport_config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
                if let Some(var) = bearer_token_env_var {
                    let token = env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                        format!("its bearer token variable `{var}` (bearer_token_env_var) is not set; export it or remove the key")
                    })?;
                    transport_config.auth_header = Some(token);
                }
                let transport = StreamableHttpClientTransport::from_config(transport_config);
                let service = ().serve(transport).await.map_err(|err| format!("cannot connect to {url}: {err}"))?;
                (service, None)
            }
        };
        let tools = service
            .list_all_tools()
            .await
            .map_err(|err| with_stderr(format!("listing its tools failed: {err}"), &stderr))?;
        let connection = Connection {
            name: config.name.clone(),
            service,
            tool_timeout: config.tool_timeout,
            stderr,
            dead: Mutex::new(None),
            _guard: guard,
        };
        Ok((connection, tools))
    }

    /// Calls `tool` with `arguments`, bounded by the server's tool timeout.
    ///
    /// Fails with `CallError::Dead` once the server is gone (now or on an earlier call), and with
    /// `CallError::Failed` for an error reply or a timeout.
    pub(crate) async fn call(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<CallToolResult, CallError> {
        if let Some(message) = self.dead_message() {
            return Err(CallError::Dead(message));
        }
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        let call = self.service.call_tool(params);
        match tokio::time::timeout(self.tool_timeout, call).await {
            Err(_) => Err(CallError::Failed(format!(
                "MCP server `{}` did not answer the call of `{tool}` within {}s (tool_timeout_sec); it may still be working on it",
                self.name,
                self.tool_timeout.as_secs_f64()
            ))),
            Ok(Ok(result)) => Ok(result),
            Ok(Err(ServiceError::McpError(error))) => Err(CallError::Failed(format!(
                "MCP server `{}` refused the call of `{tool}`: {}",
                self.name, error.message
            ))),
            Ok(Err(ServiceError::Timeout { .. })) => Err(CallError::Failed(format!(
                "MCP server `{}` did not answer the call of `{tool}` in time",
                self.name
            ))),
            Ok(Err(err)) => {
                // Let the stderr reader catch up with what the server said as it died.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let reason = with_stderr(err.to_string(), &self.stderr);
                let message = format!(
                    "MCP server `{}` exited: {reason}; its tools are unavailable for the rest of the session",
                    self.name
                );
                if let Ok(mut dead) = self.dead.lock() {
                    *dead = Some(message.clone());
                }
                Err(CallError::Dead(message))
            }
        }
    }

    fn dead_message(&self) -> Option<String> {
        self.dead.lock().ok().and_then(|dead| dead.clone())
    }
}

/// Reads the server's stderr until it closes, keeping the last `STDERR_KEEP` bytes, so that the server's
/// own messages never reach braid's terminal but can explain a failure.
fn keep_tail(mut stderr: tokio::process::ChildStderr, buffer: Arc<Mutex<Vec<u8>>>) {
    tokio::spawn(async move {
        let mut chunk = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            let Ok(mut kept) = buffer.lock() else { break };
            kept.extend_from_slice(&chunk[..n]);
            if kept.len() > STDERR_KEEP {
                let excess = kept.len() - STDERR_KEEP;
                kept.drain(..excess);
            }
        }
    });
}

/// `message`, followed by the server's last stderr line(s) when it wrote any.
fn with_stderr(message: String, stderr: &Mutex<Vec<u8>>) -> String {
    let tail = stderr.lock().map(|kept| String::from_utf8_lossy(&kept).trim().to_string()).unwrap_or_default();
    if tail.is_empty() {
        return message;
    }
    let lines: Vec<&str> = tail.lines().collect();
    let last = lines[lines.len().saturating_sub(5)..].join(" | ");
    format!("{message} (its stderr: {last})")
}
