//! The `[mcp_servers.<name>]` tables of `config.toml`, and the checks that make a bad one an error
//! naming the server and the key before anything starts. Key names follow Codex CLI's where it has them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Default time a server gets to start and list its tools.
pub const DEFAULT_STARTUP_TIMEOUT_SEC: f64 = 10.0;
/// Default time one tool call may take.
pub const DEFAULT_TOOL_TIMEOUT_SEC: f64 = 60.0;

/// One `[mcp_servers.<name>]` table, as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct McpServerToml {
    /// The program of a stdio server.
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables set for a stdio server on top of braid's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where a stdio server starts; braid's working directory when unset.
    pub cwd: Option<PathBuf>,
    /// The endpoint of a streamable HTTP server.
    pub url: Option<String>,
    /// The environment variable holding the bearer token sent to an HTTP server.
    pub bearer_token_env_var: Option<String>,
    /// `false` keeps the server configured but unstarted.
    pub enabled: Option<bool>,
    pub startup_timeout_sec: Option<f64>,
    pub tool_timeout_sec: Option<f64>,
    /// Offer only these tools (names as the server gives them).
    pub enabled_tools: Option<Vec<String>>,
    /// Never offer these tools.
    #[serde(default)]
    pub disabled_tools: Vec<String>,
}

/// How braid reaches a server.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    Stdio { command: String, args: Vec<String>, env: BTreeMap<String, String>, cwd: Option<PathBuf> },
    Http { url: String, bearer_token_env_var: Option<String> },
}

impl Transport {
    /// `stdio` or `http`, for listings.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Stdio { .. } => "stdio",
            Transport::Http { .. } => "http",
        }
    }
}

/// A server's table, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub name: String,
    pub transport: Transport,
    pub enabled: bool,
    pub startup_timeout: Duration,
    pub tool_timeout: Duration,
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Vec<String>,
}

impl ServerConfig {
    /// Whether the tool `name` (as the server gives it) is offered.
    pub fn offers(&self, name: &str) -> bool {
        self.enabled_tools.as_ref().is_none_or(|tools| tools.iter().any(|t| t == name))
            && !self.disabled_tools.iter().any(|t| t == name)
    }
}

/// A `[mcp_servers.<name>]` table braid cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[mcp_servers.{server}]: {}{message}", if key.is_empty() { String::new() } else { format!("`{key}` ") })]
pub struct McpConfigError {
    pub server: String,
    /// The key at fault (`command`, `url`, …), or empty for the table's name.
    pub key: String,
    pub message: String,
}

/// Whether `name` can be part of a tool name: letters, digits, `_` and `-`, and no `__` (which
/// separates the server from the tool).
pub fn valid_server_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !name.contains("__")
}

/// Checks every table and returns them in name order.
///
/// Fails on the first server whose name cannot be used in a tool name, that gives both or neither of
/// `command` and `url`, mixes keys of the two transports, or has a timeout that is not a positive number
/// of seconds.
pub fn check_servers(servers: &BTreeMap<String, McpServerToml>) -> Result<Vec<ServerConfig>, McpConfigError> {
    servers.iter().map(|(name, table)| check_server(name, table)).collect()
}

/// Checks one `[mcp_servers.<name>]` table; see `check_servers`.
pub fn check_server(name: &str, table: &McpServerToml) -> Result<ServerConfig, McpConfigError> {
    let err = |key: &str, message: String| McpConfigError { server: name.to_string(), key: key.to_string(), message };
    if !valid_server_name(name) {
        return Err(err(
            "",
            format!(
                "the server name `{name}` cannot be used in tool names (`<server>__<tool>`); use only letters, digits, `_` and `-`, without `__`"
            ),
        ));
    }
    let transport = match (&table.command, &table.url) {
        (Some(_), Some(_)) => {
            return Err(err(
                "",
                "gives both `command` (a stdio server) and `url` (an HTTP server); keep one".to_string(),
            ));
        }
        (None, None) => {
            return Err(err(
                "",
                "gives neither `command` (a stdio server) nor `url` (a streamable HTTP server); add one".to_string(),
            ));
        }
        (Some(command), None) => {
            if command.trim().is_empty() {
                return Err(err("command", "is empty; give the program that starts the server".to_string()));
            }
            if table.bearer_token_env_var.is_some() {
                return Err(err(
                    "bearer_token_env_var",
                    "only applies to HTTP servers (`url`); pass a stdio server its token through `env`".to_string(),
                ));
            }
            Transport::Stdio {
                command: command.clone(),
                args: table.args.clone(),
                env: table.env.clone(),
                cwd: table.cwd.clone(),
            }
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(err("url", format!("is `{url}`; give an http:// or https:// URL")));
            }
            for (key, set) in
                [("args", !table.args.is_empty()), ("env", !table.env.is_empty()), ("cwd", table.cwd.is_some())]
            {
                if set {
                    return Err(err(key, "only applies to stdio servers (`command`), not to `url`".to_string()));
                }
            }
            Transport::Http { url: url.clone(), bearer_token_env_var: table.bearer_token_env_var.clone() }
        }
    };
    let seconds = |key: &str, value: Option<f64>, default: f64| -> Result<Duration, McpConfigError> {
        let value = value.unwrap_or(default);
        if value.is_finite() && value > 0.0 && value <= 86_400.0 {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(err(key, format!("is {value}; give a number of seconds above 0, e.g. {default}")))
        }
    };
    Ok(ServerConfig {
        name: name.to_string(),
        transport,
        enabled: table.enabled.unwrap_or(true),
        startup_timeout: seconds("startup_timeout_sec", table.startup_timeout_sec, DEFAULT_STARTUP_TIMEOUT_SEC)?,
        tool_timeout: seconds("tool_timeout_sec", table.tool_timeout_sec, DEFAULT_TOOL_TIMEOUT_SEC)?,
        enabled_tools: table.enabled_tools.clone(),
        disabled_tools: table.disabled_tools.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ServerConfig>, String> {
        #[derive(Deserialize)]
        struct File {
            mcp_servers: BTreeMap<String, McpServerToml>,
        }
        let file: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
        check_servers(&file.mcp_servers).map_err(|e| e.to_string())
    }

    #[test]
    fn bad_tables_are_errors_naming_the_server_and_key() {
        let check = |text: &str, expected: &str| match parse(text) {
            Ok(servers) => panic!("{text} parsed: {servers:?}"),
            Err(message) => assert!(message.contains(expected), "{text}: {message}"),
        };
        check("[mcp_servers.fs]\ncommand = 'x'\nurl = 'http://a'", "[mcp_servers.fs]: gives both");
        check("[mcp_servers.fs]\nargs = ['a']", "[mcp_servers.fs]: gives neither");
        check("[mcp_servers.'a b']\ncommand = 'x'", "server name `a b` cannot be used");
        check("[mcp_servers.a__b]\ncommand = 'x'", "without `__`");
        check("[mcp_servers.web]\nurl = 'ftp://x'", "give an http:// or https:// URL");
        check("[mcp_servers.web]\nurl = 'http://x'\nargs = ['a']", "only applies to stdio servers");
        check("[mcp_servers.fs]\ncommand = 'x'\nbearer_token_env_var = 'T'", "only applies to HTTP servers");
        check("[mcp_servers.fs]\ncommand = 'x'\nstartup_timeout_sec = 0", "`startup_timeout_sec` is 0");
        check("[mcp_servers.fs]\ncommand = 'x'\ntool_timeout_sec = -1.5", "tool_timeout_sec");
        check("[mcp_servers.fs]\ncommand = 'x'\ncomand = 'y'", "unknown field `comand`");
        check("[mcp_servers.fs]\ncommand = ''", "is empty");
    }

    #[test]
    fn good_tables_get_defaults() {
        let servers = parse(
            "[mcp_servers.fs]\ncommand = 'npx'\nargs = ['-y', 'srv']\ndisabled_tools = ['write_file']\n\
             [mcp_servers.web]\nurl = 'https://x/mcp'\nbearer_token_env_var = 'TOKEN'\nenabled = false\ntool_timeout_sec = 2.5",
        )
        .unwrap();
        assert_eq!(servers[0].name, "fs");
        assert_eq!(servers[0].transport.kind(), "stdio");
        assert_eq!(servers[0].startup_timeout, Duration::from_secs(10));
        assert!(servers[0].offers("read_file") && !servers[0].offers("write_file"));
        assert_eq!(servers[1].transport.kind(), "http");
        assert!(!servers[1].enabled);
        assert_eq!(servers[1].tool_timeout, Duration::from_millis(2500));
    }
}
