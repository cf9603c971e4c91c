//! `braid mcp-server` driven by the official Python MCP SDK (PyPI `mcp`, installed into a venv under the
//! target directory on first use): the client lists the tools, runs a task with `braid_exec` against
//! the scripted model in a temp git repository, sends a bad `cwd`, has the change reviewed with
//! `braid_review` and attempted with `braid_run`, and the results it printed are asserted.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::{Value, json};

use crate::harness::Env;

/// Set to make a missing Python or PyPI a test failure instead of a skip (CI, where both must work).
const REQUIRE_VAR: &str = "BRAID_REQUIRE_PYTHON_MCP";

/// The venv's Python with `mcp` installed, made once per target directory and reused; `None` when
/// python3, its venv module or pip (PyPI) is unavailable, after saying so on the terminal.
pub(crate) fn python_with_mcp() -> Option<PathBuf> {
    static SETUP: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SETUP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // target/debug/braid -> target/mcp-python-venv, beside the build, so that it survives between runs.
    let target = Path::new(env!("CARGO_BIN_EXE_braid")).parent().and_then(Path::parent).unwrap();
    let venv = target.join("mcp-python-venv");
    let python = venv.join("bin/python");
    let ready = venv.join("braid-mcp-installed");
    if ready.exists() {
        return Some(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let steps: [(&str, Vec<&str>); 2] = [
        ("python3", vec!["-m", "venv", venv.to_str().unwrap()]),
        (python.to_str().unwrap(), vec!["-m", "pip", "install", "--quiet", "mcp"]),
    ];
    for (program, args) in steps {
        match run(program, &args) {
            Ok(out) if out.status.success() => {}
            Ok(out) => return unavailable(&format!("`{program} {}` failed", args.join(" ")), &out.stderr),
            Err(err) => return unavailable(&format!("cannot run `{program}`: {err}"), &[]),
        }
    }
    std::fs::write(&ready, "").unwrap();
    Some(python)
}

#[allow(clippy::disallowed_methods)]
fn run(program: &str, args: &[&str]) -> std::io::Result<Output> {
    Command::new(program).args(args).stdin(Stdio::null()).output()
}

/// Says why the test is skipped, past the test harness's output capture (so a skip is never silent),
/// or fails when `REQUIRE_VAR` is set.
fn unavailable(why: &str, stderr: &[u8]) -> Option<PathBuf> {
    let tail: String = String::from_utf8_lossy(stderr).lines().rev().take(5).collect::<Vec<_>>().join(" | ");
    let message = format!("mcp_server tests skipped: {why} ({tail}); Debian needs python3-venv and PyPI access");
    assert!(std::env::var_os(REQUIRE_VAR).is_none(), "{message}");
    let _ = writeln!(std::io::stderr(), "{message}");
    None
}

/// Runs the client script with `spec` (see tests/fixtures/mcp_client.py) and returns what it printed.
#[allow(clippy::disallowed_methods)]
fn client(python: &Path, spec: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp_client.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(spec.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the MCP client failed:\n{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("the client printed no JSON ({e}):\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout))
    })
}

/// The spec that starts `braid mcp-server` with `env`'s home and makes `calls`.
fn spec(env: &Env, calls: Value) -> Value {
    json!({
        "command": env!("CARGO_BIN_EXE_braid"),
        "args": ["mcp-server"],
        "env": {"BRAID_HOME": env.home.path(), "SCRIPTED_API_KEY": "test-key"},
        "calls": calls,
    })
}

/// The text of a call result's content.
fn text(result: &Value) -> String {
    result["content"].as_array().unwrap().iter().filter_map(|c| c["text"].as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn python_client_lists_tools_and_runs_exec_review_and_run() {
    let Some(python) = python_with_mcp() else { return };
    let repo = TempRepo::new();
    repo.write("README.md", "# greeter\n");
    repo.commit_all("start");
    let finding = json!({
        "title": "The greeting has no name", "body": "Say who is greeted.", "priority": 2, "confidence": 0.9,
        "file": "greeting.txt", "start_line": 1, "end_line": 1,
    });
    let server = ScriptedServer::start(Script::new([
        // braid_exec: one patch, then the final message.
        Reply::Turn(Turn::new().tool_call(
            "call_add",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Add File: greeting.txt\n+hello\n*** End Patch\n"}),
        ).usage(50, 5)),
        Reply::Turn(Turn::new().text("Added greeting.txt.").usage(100, 20)),
        // braid_review of the uncommitted greeting.txt.
        Reply::Turn(Turn::new().tool_call(
            "call_review",
            "submit_review",
            json!({"findings": [finding], "verdict": "incorrect", "explanation": "Read greeting.txt.", "confidence": 0.7}),
        )),
        Reply::Turn(Turn::new().text("Submitted.")),
        // braid_run with one attempt of braid's agent.
        Reply::Turn(Turn::new().tool_call(
            "call_attempt",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Add File: attempt.txt\n+attempted\n*** End Patch\n"}),
        )),
        Reply::Turn(Turn::new().text("Wrote attempt.txt.")),
    ]));
    let env = Env::new(&server, "responses");
    let cwd = repo.path().to_str().unwrap();
    let calls = json!([
        {"name": "braid_exec", "arguments": {"prompt": "add a greeting", "cwd": cwd, "sandbox": "workspace-write"}},
        {"name": "braid_exec", "arguments": {"prompt": "add a greeting", "cwd": "/nonexistent/braid-mcp-test"}},
        {"name": "braid_exec", "arguments": {"prompt": "add a greeting", "cwd": "relative/dir"}},
        {"name": "braid_review", "arguments": {"cwd": cwd}},
        {"name": "braid_run", "arguments": {"task": "write attempt.txt", "cwd": cwd, "n": 1}, "progress": true},
    ]);
    let out = client(&python, &spec(&env, calls));
    server.assert_every_tool_call_answered_once();

    assert_eq!(out["server"]["name"], "braid");
    let mut names: Vec<&str> = out["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["braid_exec", "braid_review", "braid_run"]);
    for tool in out["tools"].as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(!tool["description"].as_str().unwrap().is_empty(), "{tool}");
    }

    let calls = out["calls"].as_array().unwrap();
    let exec = &calls[0];
    assert_eq!(exec["isError"], false, "{exec}");
    let exec_text = text(exec);
    assert!(exec_text.starts_with("Added greeting.txt."), "{exec_text}");
    assert!(exec_text.contains("added greeting.txt +1 -0"), "{exec_text}");
    let report = &exec["structuredContent"];
    assert_eq!(report["final_message"], "Added greeting.txt.");
    assert_eq!(
        report["changes"],
        json!({"source": "git", "files": [{"path": "greeting.txt", "status": "added", "insertions": 1, "deletions": 0}], "insertions": 1, "deletions": 0})
    );
    assert_eq!(
        (report["usage"]["input_tokens"].as_u64(), report["usage"]["output_tokens"].as_u64()),
        (Some(150), Some(25))
    );
    assert!(exec_text.contains("Tokens: 175 (150 input, 25 output)"), "{exec_text}");
    let session = report["session_id"].as_str().unwrap();
    assert!(env.sessions().iter().any(|p| p.to_string_lossy().contains(session)), "{session}");
    assert_eq!(std::fs::read_to_string(repo.path().join("greeting.txt")).unwrap(), "hello\n");

    // Bad directories are tool errors with a clear text; the server stays up for the calls after them.
    for (bad, expected) in [(&calls[1], "/nonexistent/braid-mcp-test is not a directory"), (&calls[2], "relative path")]
    {
        assert_eq!(bad["isError"], true, "{bad}");
        assert!(text(bad).contains(expected), "{bad}");
    }

    let review = &calls[3];
    assert_eq!(review["isError"], false, "{review}");
    assert!(text(review).contains("verdict: incorrect"), "{review}");
    assert!(text(review).contains("[P2] greeting.txt:1 The greeting has no name"), "{review}");
    assert_eq!(review["structuredContent"]["verdict"], "incorrect");
    assert_eq!(review["structuredContent"]["findings"][0]["title"], "The greeting has no name");

    let run = &calls[4];
    assert_eq!(run["isError"], false, "{run}");
    let attempt = &run["structuredContent"]["attempts"][0];
    assert_eq!(attempt["state"], "committed", "{run}");
    assert_eq!(attempt["files_changed"], 1, "{run}");
    assert_eq!(attempt["final_message"], "Wrote attempt.txt.", "{run}");
    let branch = attempt["branch"].as_str().unwrap();
    assert!(branch.starts_with("braid/"), "{branch}");
    assert_eq!(repo.git(&["show", &format!("{branch}:attempt.txt")]), "attempted\n");
    let progress: Vec<&str> = run["progress"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(progress.iter().any(|m| m.starts_with("attempt 1: ")), "{progress:?}");
    // The user's checkout did not get the attempt's file.
    assert!(!repo.path().join("attempt.txt").exists());
}

#[test]
fn an_unreachable_model_is_a_tool_error_and_the_server_goes_on() {
    let Some(python) = python_with_mcp() else { return };
    let repo = TempRepo::new();
    repo.write("README.md", "# nothing\n");
    repo.commit_all("start");
    // Nothing listens on port 9 of the loopback: every request is refused at once.
    let env = Env::with_config(
        r#"model = "m"
model_provider = "nowhere"

[model_providers.nowhere]
base_url = "http://127.0.0.1:9/v1"
wire_api = "responses"
env_key = "SCRIPTED_API_KEY"
request_max_retries = 0
retry_base_delay_ms = 1
"#,
    );
    let cwd = repo.path().to_str().unwrap();
    let calls = json!([
        {"name": "braid_exec", "arguments": {"prompt": "do it", "cwd": cwd}},
        {"name": "braid_review", "arguments": {"cwd": cwd}},
        {"name": "braid_run", "arguments": {"task": "do it", "cwd": cwd, "n": 0}},
    ]);
    let out = client(&python, &spec(&env, calls));
    let calls = out["calls"].as_array().unwrap();
    assert_eq!(calls[0]["isError"], true, "{}", calls[0]);
    assert!(text(&calls[0]).starts_with("braid_exec failed: "), "{}", calls[0]);
    assert!(text(&calls[0]).contains("127.0.0.1:9"), "{}", calls[0]);
    // A clean checkout has nothing to review: a plain answer, not an error.
    assert_eq!(calls[1]["isError"], false, "{}", calls[1]);
    assert!(!text(&calls[1]).is_empty(), "{}", calls[1]);
    assert_eq!(calls[2]["isError"], true, "{}", calls[2]);
    assert!(text(&calls[2]).contains("ask for 1 to 16 attempts"), "{}", calls[2]);
}

#[test]
fn a_cancelled_call_stops_its_session_and_the_server_takes_the_next() {
    let Some(python) = python_with_mcp() else { return };
    let repo = TempRepo::new();
    repo.write("README.md", "# slow\n");
    repo.commit_all("start");
    let server = ScriptedServer::start(Script::new([
        // The first call's command outlives the client's patience; cancelling must stop it.
        Reply::Turn(Turn::new().tool_call(
            "call_slow",
            "shell",
            json!({"command": ["sh", "-c", "sleep 4; echo late > late.txt"]}),
        )),
        Reply::Turn(Turn::new().text("Still here.")),
    ]));
    let env = Env::new(&server, "responses");
    let cwd = repo.path().to_str().unwrap();
    let started = std::time::Instant::now();
    let calls = json!([
        {"name": "braid_exec", "arguments": {"prompt": "be slow", "cwd": cwd}, "cancel_after": 1.5},
        {"name": "braid_exec", "arguments": {"prompt": "answer", "cwd": cwd}},
    ]);
    let out = client(&python, &spec(&env, calls));
    let calls = out["calls"].as_array().unwrap();
    assert_eq!(calls[0], json!({"cancelled": true}));
    assert_eq!(calls[1]["isError"], false, "{}", calls[1]);
    assert_eq!(calls[1]["structuredContent"]["final_message"], "Still here.");
    // Had the command run on, it would have written late.txt four seconds in.
    std::thread::sleep(std::time::Duration::from_secs(6).saturating_sub(started.elapsed()));
    assert!(!repo.path().join("late.txt").exists(), "the cancelled command ran to the end");
}

/// Speaks MCP to `braid mcp-server` by hand, one JSON line at a time, so that everything it writes to
/// stdout is seen (the Python SDK skips lines it cannot parse). Needs no Python.
#[test]
#[allow(clippy::disallowed_methods)]
fn stdout_carries_nothing_but_mcp_messages() {
    use std::io::{BufRead, BufReader};

    let repo = TempRepo::new();
    repo.write("README.md", "# raw\n");
    repo.commit_all("start");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("call_ls", "shell", json!({"command": ["ls"]}))),
        Reply::Turn(Turn::new().text("Listed.")),
    ]));
    let env = Env::new(&server, "chat");
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("mcp-server")
        .current_dir(repo.path())
        .env("BRAID_HOME", env.home.path())
        .env("SCRIPTED_API_KEY", "test-key")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    // Reads lines until the response to request `id`, keeping every line seen.
    let mut until_response = |id: u64, lines: &mut Vec<String>| -> Value {
        loop {
            let mut line = String::new();
            assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "the server closed stdout; lines so far: {lines:?}");
            lines.push(line.clone());
            let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if message["id"] == id {
                return message;
            }
        }
    };
    let mut send = |message: Value| writeln!(stdin, "{message}").unwrap();
    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "0"}}}));
    let init = until_response(1, &mut lines);
    assert_eq!(init["result"]["serverInfo"]["name"], "braid", "{init}");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let cwd = repo.path().to_str().unwrap();
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "braid_exec", "arguments": {"prompt": "list the files", "cwd": cwd}}}));
    let exec = until_response(2, &mut lines);
    assert_eq!(exec["result"]["isError"], false, "{exec}");
    assert_eq!(exec["result"]["structuredContent"]["final_message"], "Listed.", "{exec}");
    assert_eq!(exec["result"]["structuredContent"]["changes"]["files"], json!([]), "{exec}");
    // Unknown arguments are refused, as a tool error that names them.
    send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "braid_exec", "arguments": {"prompt": "x", "cwd": cwd, "colour": "red"}}}));
    let unknown = until_response(3, &mut lines);
    assert_eq!(unknown["result"]["isError"], true, "{unknown}");
    assert!(unknown["result"]["content"][0]["text"].as_str().unwrap().contains("unknown field `colour`"), "{unknown}");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        lines.push(line.to_string());
    }
    for line in &lines {
        let message: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
    }
    // The session's progress went to stderr instead.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ls"), "{stderr}");
}
