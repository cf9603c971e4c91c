//! The server manager against real processes: the Python test server of the binary's tests (plain
//! JSON-RPC over stdio), a server that never answers, a program that does not exist, and an HTTP
//! server whose token variable is unset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use braid_mcp::{McpManager, McpServerToml, ServerConfig, ServerState, check_server};
use braid_tools::{Exposure, ToolContext};
use serde_json::json;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../braid/tests/it/fixtures/flaky_mcp.py")
}

fn python_server(name: &str, env: &[(&str, &str)], extra: McpServerToml) -> ServerConfig {
    let table = McpServerToml {
        command: Some("python3".into()),
        args: vec![script().display().to_string()],
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        ..extra
    };
    check_server(name, &table).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn ctx(dir: &Path) -> ToolContext {
    ToolContext::new(dir.to_path_buf(), braid_sandbox::paths::WorkspacePolicy::new([dir.to_path_buf()]).unwrap())
}

/// Whether the process `pid` is gone (or a zombie waiting to be reaped).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn tools_are_offered_filtered_and_the_server_is_killed_when_the_last_handle_goes() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let server = python_server(
        "flaky",
        &[("FLAKY_PID_FILE", pid_file.to_str().unwrap())],
        McpServerToml { disabled_tools: vec!["crash".into()], tool_timeout_sec: Some(0.5), ..Default::default() },
    );
    let manager = McpManager::start(&[server], dir.path(), &no_env).await;
    assert_eq!(manager.statuses()[0].state, ServerState::Ready);
    assert_eq!(manager.statuses()[0].tools, ["flaky__echo", "flaky__write_note", "flaky__sleep", "flaky__screenshot"]);
    let tools = manager.tools();
    drop(manager);

    let echo = &tools[0];
    let spec = echo.spec();
    assert_eq!(
        spec.parameters,
        json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
    );
    let args = json!({"text": "x"});
    assert_eq!(
        echo.exposure(&ctx(dir.path()), &args),
        Exposure::External {
            server: "flaky".into(),
            tool: "echo".into(),
            arguments: args.to_string(),
            read_only: true
        }
    );
    let result = echo.call(&ctx(dir.path()), args).await;
    assert_eq!((result.output.as_str(), result.success), ("echo: x", true));

    // A call past the tool timeout fails, and the server stays usable.
    let slow = tools[2].call(&ctx(dir.path()), json!({"seconds": 5})).await;
    assert!(!slow.success && slow.output.contains("within 0.5s (tool_timeout_sec)"), "{}", slow.output);
    let bad = echo.call(&ctx(dir.path()), json!(["not", "an", "object"])).await;
    assert!(!bad.success && bad.output.contains("must be a JSON object"), "{}", bad.output);

    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(!gone(&pid));
    drop(tools);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !gone(&pid) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone(&pid), "the server {pid} outlived its tools");
}

#[tokio::test]
async fn servers_that_cannot_start_fail_alone_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let hanging = python_server(
        "hangs",
        &[("FLAKY_HANG", "1")],
        McpServerToml { startup_timeout_sec: Some(0.5), ..Default::default() },
    );
    let missing =
        check_server("missing", &McpServerToml { command: Some("/nonexistent/server".into()), ..Default::default() })
            .unwrap();
    let http = check_server(
        "web",
        &McpServerToml {
            url: Some("http://127.0.0.1:9/mcp".into()),
            bearer_token_env_var: Some("BRAID_TEST_UNSET_TOKEN".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let working = python_server("ok", &[], McpServerToml::default());
    let started = std::time::Instant::now();
    let manager = McpManager::start(&[hanging, missing, http, working], dir.path(), &no_env).await;
    assert!(started.elapsed() < Duration::from_secs(5), "servers start at once, each within its timeout");
    let states: Vec<(&str, &ServerState)> = manager.statuses().iter().map(|s| (s.name.as_str(), &s.state)).collect();
    let failed = |reason: &str| ServerState::Failed(reason.to_string());
    assert_eq!(
        states,
        [
            ("hangs", &failed("it did not start and list its tools within 0.5s (startup_timeout_sec)")),
            (
                "missing",
                &failed(
                    "command not found: `/nonexistent/server` is not on PATH or does not exist; check the name or install it"
                )
            ),
            (
                "web",
                &failed(
                    "its bearer token variable `BRAID_TEST_UNSET_TOKEN` (bearer_token_env_var) is not set; export it or remove the key"
                )
            ),
            ("ok", &ServerState::Ready),
        ]
    );
    assert_eq!(manager.warnings().len(), 3);
    assert!(manager.warnings()[1].starts_with("MCP server `missing` failed to start: command not found"));
}
