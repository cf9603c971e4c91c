//! MCP servers end to end: `braid exec` starts the configured servers, offers their tools to the
//! scripted model as `<server>__<tool>`, and the tool outputs the model receives show the results, the
//! errors of a server that died, and the approval policy's decisions. `braid mcp list` shows servers
//! and their states. The servers are real processes: a small plain JSON-RPC server in Python (no MCP
//! SDK), and the official filesystem server from npm when npm can install it.

use std::path::{Path, PathBuf};

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

use crate::harness::Env;

/// The Python test server, or `None` (with the reason printed) when python3 is missing.
// A skipped test says why, in the test's output.
#[allow(clippy::print_stdout)]
fn flaky_server() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("python3").is_file()));
    if !found {
        println!("SKIPPED: python3 is not on PATH; the test MCP server is a Python script");
        return None;
    }
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/flaky_mcp.py"))
}

/// A home whose config selects `server` and adds `extra` (MCP tables, policies).
fn env(server: &ScriptedServer, extra: &str) -> Env {
    Env::with_config(&format!(
        "model = \"m\"\nmodel_provider = \"lab\"\nmodel_context_window = 32000\n{extra}\n\
         [model_providers.lab]\nbase_url = \"{}\"\nwire_api = \"responses\"\nenv_key = \"SCRIPTED_API_KEY\"\n",
        server.base_url()
    ))
}

fn flaky_table(script: &Path) -> String {
    format!("[mcp_servers.flaky]\ncommand = \"python3\"\nargs = [\"{}\"]\n", script.display())
}

/// The output of the last tool call the model was sent in request `index`.
fn last_output(server: &ScriptedServer, index: usize) -> String {
    server.requests()[index].tool_outputs().last().map(|(_, output)| output.clone()).unwrap_or_default()
}

#[test]
fn a_server_that_crashes_mid_session_gives_the_model_a_clear_error_and_the_session_goes_on() {
    let Some(script) = flaky_server() else { return };
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "flaky__echo", json!({"text": "hi"}))),
        Reply::Turn(Turn::new().tool_call("c2", "flaky__crash", json!({}))),
        Reply::Turn(Turn::new().tool_call("c3", "flaky__echo", json!({"text": "again"}))),
        Reply::Turn(Turn::new().tool_call("c4", "shell", json!({"command": ["echo", "still working"]}))),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(&server, &flaky_table(&script));
    let out = env.braid(repo.path()).args(["exec", "--json", "use the tools"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let tools = server.requests()[0].tool_names();
    for name in ["flaky__echo", "flaky__write_note", "flaky__crash", "shell"] {
        assert!(tools.contains(&name.to_string()), "{name} offered: {tools:?}");
    }
    assert_eq!(last_output(&server, 1), "echo: hi");
    let crashed = last_output(&server, 2);
    assert!(crashed.starts_with("MCP server `flaky` exited: "), "{crashed}");
    assert!(crashed.contains("fatal: the flaky server fell over"), "its stderr explains it: {crashed}");
    assert!(crashed.ends_with("its tools are unavailable for the rest of the session"), "{crashed}");
    assert_eq!(last_output(&server, 3), crashed, "later calls fail fast with the same message");
    assert!(last_output(&server, 4).contains("still working"), "the session goes on");
    server.assert_every_tool_call_answered_once();
    // The server's stderr was captured, never printed over braid's output.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("fell over"));
}

/// The image part of the tool output in `body`, in each wire format's own place for it.
fn sent_images(wire: &str, body: &serde_json::Value) -> Vec<String> {
    let strings =
        |values: Vec<&serde_json::Value>| values.into_iter().filter_map(|v| v.as_str()).map(str::to_owned).collect();
    match wire {
        "responses" => {
            let items = body["input"].as_array().unwrap();
            let output = items.iter().find(|i| i["type"] == "function_call_output").unwrap();
            let parts = output["output"].as_array().unwrap();
            strings(parts.iter().filter(|p| p["type"] == "input_image").map(|p| &p["image_url"]).collect())
        }
        "chat" => {
            let messages = body["messages"].as_array().unwrap();
            let tool = messages.iter().position(|m| m["role"] == "tool").unwrap();
            // Tool messages take text only; the images follow in a user message.
            assert!(messages[tool]["content"].is_string(), "{body}");
            let parts = messages[tool + 1]["content"].as_array().unwrap();
            strings(parts.iter().filter(|p| p["type"] == "image_url").map(|p| &p["image_url"]["url"]).collect())
        }
        _ => {
            let messages = body["messages"].as_array().unwrap();
            let result = messages
                .iter()
                .flat_map(|m| m["content"].as_array().into_iter().flatten())
                .find(|b| b["type"] == "tool_result")
                .unwrap();
            let blocks = result["content"].as_array().unwrap();
            blocks
                .iter()
                .filter(|b| b["type"] == "image")
                .map(|b| {
                    format!(
                        "data:{};base64,{}",
                        b["source"]["media_type"].as_str().unwrap(),
                        b["source"]["data"].as_str().unwrap()
                    )
                })
                .collect()
        }
    }
}

#[test]
fn an_image_a_tool_returns_reaches_the_model_as_an_attachment_in_every_wire_format() {
    let Some(script) = flaky_server() else { return };
    // The PNG the server draws, read from the server itself so the test checks what was sent.
    let expected_png = {
        #[allow(clippy::disallowed_methods)]
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import runpy,base64,sys; sys.argv=['x']; sys.stdin=open('/dev/null'); \
                 m=runpy.run_path('{}'); print(base64.b64encode(m['png'](4, 3, (200, 30, 30))).decode())",
                script.display()
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    for wire in ["responses", "chat", "anthropic"] {
        let repo = TempRepo::new();
        let server = ScriptedServer::start(Script::new([
            Reply::Turn(Turn::new().tool_call("c1", "flaky__screenshot", json!({}))),
            Reply::Turn(Turn::new().text("a red box")),
            Reply::Turn(Turn::new().text("still red")),
        ]));
        let env = Env::new(&server, wire);
        let config = env.home.path().join("config.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, format!("{text}\n{}", flaky_table(&script))).unwrap();
        let out = env.braid(repo.path()).args(["exec", "what does the page look like?"]).output().unwrap();
        assert!(out.status.success(), "{wire}: {}", String::from_utf8_lossy(&out.stderr));

        let requests = server.requests();
        let (_, output) = requests[1].tool_outputs().into_iter().next().unwrap();
        // The text names each image, and says why the one that is not a PNG stayed behind.
        assert_eq!(
            output,
            "the page, rendered:\n[image 1: image/png, 73 bytes]\n\
             [image: image/png, 13 bytes, not attached: its bytes are not image/png data]",
            "{wire}"
        );
        assert_eq!(sent_images(wire, &requests[1].body), [format!("data:image/png;base64,{expected_png}")], "{wire}");

        // The image is part of the recorded history: a resumed session sends it again.
        let out = env.braid(repo.path()).args(["exec", "resume", "--last", "and now?"]).output().unwrap();
        assert!(out.status.success(), "{wire}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(sent_images(wire, &server.requests()[2].body).len(), 1, "{wire}");
    }
}

#[test]
fn an_image_that_does_not_fit_the_calls_budget_is_left_out_and_the_model_is_told() {
    let Some(script) = flaky_server() else { return };
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "flaky__screenshot", json!({}))),
        Reply::Turn(Turn::new().text("no picture")),
    ]));
    // A 4,000-token window gives a tool output 400 tokens, less than one image takes.
    let env = Env::with_config(&format!(
        "model = \"m\"\nmodel_provider = \"lab\"\nmodel_context_window = 4000\n\
         [model_providers.lab]\nbase_url = \"{}\"\nwire_api = \"responses\"\nenv_key = \"SCRIPTED_API_KEY\"\n{}",
        server.base_url(),
        flaky_table(&script)
    ));
    let out = env.braid(repo.path()).args(["exec", "--json", "look"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note =
        "[braid: the last image was not attached: it would take more than this call's share of the context window]";
    let sent = last_output(&server, 1);
    assert!(sent.ends_with(note), "{sent}");
    let input = server.requests()[1].body["input"].as_array().unwrap().clone();
    let output = input.iter().find(|i| i["type"] == "function_call_output").unwrap();
    assert!(output["output"].is_string(), "no image parts: {output}");
    // The event front ends see says the same as what the model read.
    assert!(String::from_utf8_lossy(&out.stdout).contains(note), "the JSONL event carries the note");
}

#[test]
fn a_server_that_cannot_start_is_one_warning_and_the_session_goes_on() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("done"))]));
    let env = env(&server, "[mcp_servers.broken]\ncommand = \"/nonexistent/mcp-server\"\n");
    let out = env.braid(repo.path()).args(["exec", "hello"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("MCP server `broken`")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].starts_with("warning: MCP server `broken` failed to start: command not found"), "{stderr}");
    assert!(!server.requests()[0].tool_names().iter().any(|t| t.starts_with("broken__")));
}

#[test]
fn under_untrusted_mcp_calls_ask_unless_read_only_and_the_default_declines() {
    let Some(script) = flaky_server() else { return };
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "flaky__write_note", json!({"note": "secret plan"}))),
        Reply::Turn(Turn::new().tool_call("c2", "flaky__echo", json!({"text": "read only"}))),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(&server, &flaky_table(&script));
    let out = env.braid(repo.path()).args(["-a", "untrusted", "exec", "--json", "note it"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let declined = last_output(&server, 1);
    assert!(declined.contains("declined this call; it did not run"), "{declined}");
    assert_eq!(last_output(&server, 2), "echo: read only", "a read-only tool runs without asking");
    let events = crate::harness::jsonl(&out.stdout);
    let asked: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["item"]["type"] == "approval" && e["type"] == "item.completed").collect();
    assert_eq!(asked.len(), 1, "{events:?}");
    let command = asked[0]["item"]["command"].as_str().unwrap();
    assert_eq!(command, r#"[MCP server `flaky`, tool `write_note`] {"note":"secret plan"}"#);
    assert_eq!(asked[0]["item"]["decision"], "deny");
}

#[test]
fn mcp_list_shows_each_server_with_its_state_and_tools() {
    let Some(script) = flaky_server() else { return };
    let repo = TempRepo::new();
    let env = Env::with_config(&format!(
        "{}disabled_tools = [\"crash\"]\n\
         [mcp_servers.broken]\ncommand = \"/nonexistent/mcp-server\"\n\
         [mcp_servers.off]\nurl = \"http://127.0.0.1:9/mcp\"\nenabled = false\n",
        flaky_table(&script)
    ));
    let out = env.braid(repo.path()).args(["mcp", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout), @r"
    broken (stdio): failed: command not found: `/nonexistent/mcp-server` is not on PATH or does not exist; check the name or install it
    flaky (stdio): ready
      flaky__echo
      flaky__write_note
      flaky__sleep
      flaky__screenshot
    off (http): disabled
    ");

    let out = env.braid(repo.path()).args(["mcp", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[1]["name"], "flaky");
    assert_eq!(listed[1]["state"], "ready");
    assert_eq!(listed[1]["tools"], json!(["flaky__echo", "flaky__write_note", "flaky__sleep", "flaky__screenshot"]));
    assert_eq!(listed[0]["state"], "failed");
}

#[test]
fn mcp_list_exits_2_on_a_config_error_naming_the_server() {
    let repo = TempRepo::new();
    let env = Env::with_config("[mcp_servers.both]\ncommand = \"x\"\nurl = \"http://127.0.0.1:9/mcp\"\n");
    let out = env.braid(repo.path()).args(["mcp", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`mcp_servers.both` gives both `command`"), "{stderr}");
}

/// The official filesystem server installed under the target dir (once, reused), or `None` with the
/// reason printed when npm or the registry is unavailable.
#[allow(clippy::print_stdout)]
fn filesystem_server() -> Option<PathBuf> {
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-mcp-filesystem");
    let entry = prefix.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    if entry.is_file() {
        return Some(entry);
    }
    let npm = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join("npm")).find(|p| p.is_file()));
    let Some(npm) = npm else {
        println!("SKIPPED: npm is not on PATH, so @modelcontextprotocol/server-filesystem cannot be installed");
        return None;
    };
    std::fs::create_dir_all(&prefix).unwrap();
    #[allow(clippy::disallowed_methods)]
    let installed = std::process::Command::new(npm)
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg("@modelcontextprotocol/server-filesystem")
        .output();
    match installed {
        Ok(out) if out.status.success() && entry.is_file() => Some(entry),
        Ok(out) => {
            println!(
                "SKIPPED: `npm install @modelcontextprotocol/server-filesystem` failed (is the registry reachable?): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        Err(err) => {
            println!("SKIPPED: cannot run npm: {err}");
            None
        }
    }
}

#[test]
fn the_official_filesystem_server_reads_a_file_for_the_model() {
    let Some(entry) = filesystem_server() else { return };
    let repo = TempRepo::new();
    repo.write("notes/hello.txt", "the answer is 42\n");
    let root = repo.path().canonicalize().unwrap();
    let file = root.join("notes/hello.txt");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "fs__read_text_file", json!({"path": file.display().to_string()}))),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(
        &server,
        &format!(
            "[mcp_servers.fs]\ncommand = \"node\"\nargs = [\"{}\", \"{}\"]\nstartup_timeout_sec = 30\n",
            entry.display(),
            root.display()
        ),
    );
    let out = env.braid(repo.path()).args(["exec", "--json", "read the note"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tools = server.requests()[0].tool_names();
    assert!(tools.contains(&"fs__read_text_file".to_string()), "{tools:?}");
    assert_eq!(last_output(&server, 1).trim(), "the answer is 42");
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the official Python SDK's streamable-HTTP server (tests/fixtures/mcp_http_server.py) on a
/// free port of 127.0.0.1, requiring `token`, and waits until it accepts connections.
#[allow(clippy::disallowed_methods)]
fn http_server(python: &Path, token: &str) -> (KillOnDrop, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp_http_server.py");
    let child = std::process::Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg(token)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let guard = KillOnDrop(child);
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "the HTTP MCP server never listened");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (guard, port)
}

#[test]
fn a_streamable_http_server_gets_the_bearer_token_and_a_wrong_token_is_a_warning() {
    let Some(python) = crate::mcp_server::python_with_mcp() else { return };
    let (_server_process, port) = http_server(&python, "sekrit-token");
    let table =
        format!("[mcp_servers.web]\nurl = \"http://127.0.0.1:{port}/mcp\"\nbearer_token_env_var = \"WEB_TOKEN\"\n");
    let repo = TempRepo::new();

    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "web__echo", json!({ "text": "over http" }))),
        Reply::Turn(Turn::new().text("It answered.")),
    ]));
    let home = env(&server, &table);
    home.braid(repo.path()).env("WEB_TOKEN", "sekrit-token").args(["exec", "call the web echo"]).assert().success();
    assert!(server.requests()[0].tool_names().iter().any(|name| name == "web__echo"));
    let output = last_output(&server, 1);
    assert!(output.contains("echo: over http"), "{output}");
    server.assert_every_tool_call_answered_once();

    // The server refuses a wrong token: braid says so and the session goes on without its tools.
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("No web tools here."))]));
    let home = env(&server, &table);
    let out = home.braid(repo.path()).env("WEB_TOKEN", "wrong").args(["exec", "hello"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("MCP server `web` failed to start"), "no warning names the server:\n{stderr}");
    assert!(stderr.contains("401") || stderr.to_lowercase().contains("unauthorized"), "the reason is lost:\n{stderr}");
    assert!(!server.requests()[0].tool_names().iter().any(|name| name.starts_with("web__")));
}
