//! A fake external coding agent for tests: behaves as `codex exec --json`, `claude -p --output-format
//! stream-json` or a plain command-line agent, really edits its working directory, and prints a
//! transcript shaped like the real CLI's (modelled on transcripts captured from codex-cli 0.169 and
//! Claude Code 2.1.197 against a scripted model server).
//!
//! Which agent it plays: the file name it was started as (`codex`, `claude`; tests put copies or
//! symlinks with those names on a temporary PATH), else a first argument `codex`, `claude` or `cmd`,
//! else a plain agent. What it does is steered by the environment:
//! - `FAKE_AGENT_WRITE=path=content`: the file it writes (relative to its working directory);
//!   default `fake-agent.txt=written by fake-agent`.
//! - `FAKE_AGENT_MODE`: `ok` (default); `fail` (the format's failure event, exit code 1); `malformed`
//!   (a line that is not JSON and an event of an unknown type in the middle); `hang` (starts, then
//!   starts a `sleep 1000` child and waits forever, for cancel and timeout tests).
//! - `FAKE_AGENT_EXIT`: the exit code to end with, overriding the mode's.
//! - `FAKE_AGENT_RECORD=path`: a file that receives what the agent was given, as JSON: argv, stdin,
//!   working directory, and its own and its child's process ids in `hang` mode.
//!
//! It has no dependencies beyond std, so that other crates' tests can compile it with plain `rustc`
//! (see `braid_test_support::fake_agent_path`).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods
)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let invoked_as = Path::new(&args[0]).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let role = match invoked_as.as_str() {
        "codex" | "claude" => invoked_as.clone(),
        _ if matches!(args.get(1).map(String::as_str), Some("codex" | "claude" | "cmd")) => args.remove(1),
        _ => "cmd".to_string(),
    };
    // Codex is told its directory with -C; the others work where they are started.
    if let Some(i) = args.iter().position(|a| a == "-C" || a == "--cd") {
        std::env::set_current_dir(&args[i + 1]).expect("fake-agent: cannot enter the -C directory");
    }
    // Like the real CLIs, the JSON agents read the prompt from stdin when given `-` or no prompt.
    let mut stdin = String::new();
    if role != "cmd" {
        std::io::stdin().read_to_string(&mut stdin).expect("fake-agent: cannot read stdin");
    }
    let mode = std::env::var("FAKE_AGENT_MODE").unwrap_or_else(|_| "ok".into());
    let write = std::env::var("FAKE_AGENT_WRITE").unwrap_or_else(|_| "fake-agent.txt=written by fake-agent".into());
    let (path, content) = write.split_once('=').expect("fake-agent: FAKE_AGENT_WRITE must be path=content");
    let agent = Agent { cwd: std::env::current_dir().unwrap(), path: path.to_string(), content: content.to_string() };
    let record = |extra: &str| {
        if let Ok(file) = std::env::var("FAKE_AGENT_RECORD") {
            let argv: Vec<String> = args.iter().map(|a| json_str(a)).collect();
            let text = format!(
                "{{\"role\":{},\"argv\":[{}],\"stdin\":{},\"cwd\":{},\"pid\":{}{extra}}}",
                json_str(&role),
                argv.join(","),
                json_str(&stdin),
                json_str(&agent.cwd.to_string_lossy()),
                std::process::id()
            );
            std::fs::write(file, text).expect("fake-agent: cannot write FAKE_AGENT_RECORD");
        }
    };

    let code = match mode.as_str() {
        "hang" => {
            agent.start(&role);
            let mut child =
                std::process::Command::new("sleep").arg("1000").spawn().expect("fake-agent: cannot start sleep");
            record(&format!(",\"child_pid\":{}", child.id()));
            // Waiting for the sleep is the hang: the test kills both long before it ends.
            let _ = child.wait();
            0
        }
        "fail" => {
            record("");
            agent.start(&role);
            agent.fail(&role);
            1
        }
        _ => {
            record("");
            agent.start(&role);
            if mode == "malformed" {
                emit("this line is not JSON {");
                emit(r#"{"type":"future.event","detail":"a newer CLI may print events braid does not know"}"#);
            }
            agent.work(&role, &stdin);
            0
        }
    };
    let code = std::env::var("FAKE_AGENT_EXIT").ok().and_then(|c| c.parse().ok()).unwrap_or(code);
    std::process::exit(code);
}

/// The working directory and the file the agent writes there.
struct Agent {
    cwd: PathBuf,
    path: String,
    content: String,
}

impl Agent {
    /// The transcript's opening events.
    fn start(&self, role: &str) {
        match role {
            "codex" => {
                emit(r#"{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}"#);
                emit(r#"{"type":"turn.started"}"#);
            }
            "claude" => emit(&format!(
                r#"{{"type":"system","subtype":"init","cwd":{},"session_id":"8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10","tools":["Bash","Edit","Read","Write"],"mcp_servers":[],"model":"claude-fake-1","permissionMode":"bypassPermissions","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.197","uuid":"1"}}"#,
                json_str(&self.cwd.to_string_lossy())
            )),
            _ => emit("fake-agent: starting"),
        }
    }

    /// Lists the directory (the "command" the agent runs), writes the file, and reports it all.
    fn work(&self, role: &str, prompt: &str) {
        let listing = self.listing();
        std::fs::write(self.cwd.join(&self.path), &self.content).expect("fake-agent: cannot write its file");
        let target = self.cwd.join(&self.path).to_string_lossy().into_owned();
        let done = format!("Wrote {} as asked.", self.path);
        match role {
            "codex" => {
                emit(&format!(
                    r#"{{"type":"item.completed","item":{{"id":"item_0","type":"reasoning","text":{}}}}}"#,
                    json_str(&format!("**Reading the task** {}", prompt.trim()))
                ));
                let command = json_str("/bin/bash -lc ls");
                emit(&format!(
                    r#"{{"type":"item.started","item":{{"id":"item_1","type":"command_execution","command":{command},"aggregated_output":"","exit_code":null,"status":"in_progress"}}}}"#
                ));
                emit(&format!(
                    r#"{{"type":"item.completed","item":{{"id":"item_1","type":"command_execution","command":{command},"aggregated_output":{},"exit_code":0,"status":"completed"}}}}"#,
                    json_str(&listing)
                ));
                emit(&format!(
                    r#"{{"type":"item.completed","item":{{"id":"item_2","type":"file_change","changes":[{{"path":{},"kind":"add"}}],"status":"completed"}}}}"#,
                    json_str(&target)
                ));
                emit(&format!(
                    r#"{{"type":"item.completed","item":{{"id":"item_3","type":"agent_message","text":{}}}}}"#,
                    json_str(&done)
                ));
                emit(
                    r#"{"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":200,"cache_write_input_tokens":0,"output_tokens":80,"reasoning_output_tokens":16}}"#,
                );
            }
            "claude" => {
                let usage = r#"{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":300,"cache_creation_input_tokens":50}"#;
                let assistant = |content: String| {
                    emit(&format!(
                        r#"{{"type":"assistant","message":{{"id":"msg_1","type":"message","role":"assistant","model":"claude-fake-1","content":[{content}],"stop_reason":null,"usage":{usage}}},"parent_tool_use_id":null,"session_id":"8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10"}}"#
                    ))
                };
                let tool_result = |id: &str, text: &str| {
                    emit(&format!(
                        r#"{{"type":"user","message":{{"role":"user","content":[{{"tool_use_id":"{id}","type":"tool_result","content":{},"is_error":false}}]}},"parent_tool_use_id":null,"session_id":"8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10"}}"#,
                        json_str(text)
                    ))
                };
                assistant(format!(
                    r#"{{"type":"thinking","thinking":{},"signature":"c2ln"}}"#,
                    json_str(&format!("The task: {}", prompt.trim()))
                ));
                assistant(r#"{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls","description":"List files"}}"#.to_string());
                tool_result("toolu_01", &listing);
                assistant(format!(
                    r#"{{"type":"tool_use","id":"toolu_02","name":"Write","input":{{"file_path":{},"content":{}}}}}"#,
                    json_str(&target),
                    json_str(&self.content)
                ));
                tool_result("toolu_02", &format!("File created successfully at: {target}"));
                assistant(format!(r#"{{"type":"text","text":{}}}"#, json_str(&done)));
                emit(&format!(
                    r#"{{"type":"result","subtype":"success","is_error":false,"duration_ms":1234,"num_turns":3,"result":{},"stop_reason":"end_turn","session_id":"8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10","total_cost_usd":0.0123,"usage":{{"input_tokens":30,"cache_creation_input_tokens":150,"cache_read_input_tokens":900,"output_tokens":60}},"permission_denials":[]}}"#,
                    json_str(&done)
                ));
            }
            _ => {
                emit("$ ls");
                listing.lines().for_each(emit);
                emit(&done);
            }
        }
    }

    /// The transcript of a run that fails.
    fn fail(&self, role: &str) {
        match role {
            "codex" => {
                emit(r#"{"type":"error","message":"stream disconnected before completion: fake outage"}"#);
                emit(r#"{"type":"turn.failed","error":{"message":"fake outage: the model could not be reached"}}"#);
            }
            "claude" => emit(
                r#"{"type":"result","subtype":"success","is_error":true,"duration_ms":10,"num_turns":1,"result":"API Error: 500 fake outage","session_id":"8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10","total_cost_usd":0.001,"usage":{"input_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}"#,
            ),
            _ => {
                emit("fake-agent: giving up");
                eprintln!("fake-agent: fake outage, nothing was done");
            }
        }
    }

    /// The sorted names in the working directory, one per line.
    fn listing(&self) -> String {
        let mut names: Vec<String> = std::fs::read_dir(&self.cwd)
            .map(|entries| {
                entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        names.sort();
        names.iter().map(|n| format!("{n}\n")).collect()
    }
}

/// Prints one line and flushes it, so that a reader sees it while the agent runs.
fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("fake-agent: stdout closed");
    out.flush().expect("fake-agent: stdout closed");
}

/// `text` as a JSON string literal.
fn json_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
