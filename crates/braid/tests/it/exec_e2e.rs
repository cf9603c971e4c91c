//! The acceptance scenario: the scripted model creates a file with apply_patch, edits it, runs a real test
//! command in a temp git repo and finishes, over each of the three wire formats.

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::{Value, json};

use crate::harness::{Env, jsonl};

const CHECK_SCRIPT: &str = "#!/bin/sh\nif [ \"$(cat greeting.txt)\" = \"hello, braid\" ]; then echo '1 passed'; else echo '1 failed'; exit 1; fi\n";

fn script() -> Script {
    Script::new([
        Reply::Turn(Turn::new().reasoning("Create the greeting first.").tool_call(
            "call_add",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Add File: greeting.txt\n+hello\n*** End Patch\n"}),
        )),
        Reply::Turn(Turn::new().tool_call(
            "call_edit",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Update File: greeting.txt\n@@\n-hello\n+hello, braid\n*** End Patch\n"}),
        )),
        Reply::Turn(Turn::new().tool_call("call_test", "shell", json!({"command": ["sh", "check.sh"]}))),
        Reply::Turn(Turn::new().text("greeting.txt now says hello, braid; check.sh passes.").usage(100, 20)),
    ])
}

/// Keeps only what is stable across runs: event types and item types/ids/status, with volatile values
/// replaced.
fn shape(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap().to_string();
            match e.get("item") {
                Some(item) => {
                    let mut line =
                        format!("{kind} {} {}", item["id"].as_str().unwrap(), item["type"].as_str().unwrap());
                    for key in ["status", "exit_code", "command"] {
                        if let Some(v) = item.get(key) {
                            line.push_str(&format!(" {key}={v}"));
                        }
                    }
                    if let Some(changes) = item.get("changes") {
                        line.push_str(&format!(" changes={changes}"));
                    }
                    line
                }
                None => kind,
            }
        })
        .collect()
}

#[test]
fn exec_json_creates_edits_tests_and_finishes_over_every_wire_format() {
    for wire in ["responses", "chat", "anthropic"] {
        let repo = TempRepo::new();
        repo.write("check.sh", CHECK_SCRIPT);
        repo.commit_all("add check");
        let server = ScriptedServer::start(script());
        let env = Env::new(&server, wire);
        let out = env.braid(repo.path()).args(["exec", "--json", "make check.sh pass"]).output().unwrap();
        assert!(out.status.success(), "{wire}: {}", String::from_utf8_lossy(&out.stderr));

        assert_eq!(repo.read("greeting.txt"), "hello, braid\n", "{wire}");
        let events = jsonl(&out.stdout);
        // The same shape for every wire format: that is the point of normalising events.
        insta::allow_duplicates! {
            insta::assert_snapshot!(shape(&events).join("\n"), @r#"
            thread.started
            turn.started
            item.completed item_0 reasoning
            item.completed item_1 file_change status="completed" changes=[{"kind":"add","path":"greeting.txt"}]
            item.completed item_2 file_change status="completed" changes=[{"kind":"update","path":"greeting.txt"}]
            item.started item_3 command_execution status="in_progress" exit_code=null command="sh check.sh"
            item.completed item_3 command_execution status="completed" exit_code=0 command="sh check.sh"
            item.completed item_4 agent_message
            turn.completed
            "#);
        }
        let command = events.iter().find(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution");
        assert_eq!(command.unwrap()["item"]["aggregated_output"].as_str().unwrap().trim(), "1 passed");
        let done = events.last().unwrap();
        assert_eq!(done["usage"]["input_tokens"].as_u64(), Some(12 * 3 + 100), "{wire}: usage is summed over requests");
        // The window is full by the last request's input plus its output.
        assert_eq!(done["usage"]["context_tokens"].as_u64(), Some(100 + 20), "{wire}");
        assert_eq!(done["usage"]["context_window"].as_u64(), Some(128_000), "{wire}");
        assert_eq!(events[0]["thread_id"].as_str().map(str::len), Some(36), "{wire}");

        server.assert_every_tool_call_answered_once();
        let requests = server.requests();
        assert_eq!(requests.len(), 4, "{wire}");
        let last_outputs = requests[3].tool_outputs();
        assert_eq!(last_outputs.len(), 3, "{wire}: {last_outputs:?}");
        assert!(last_outputs[2].1.contains("Exit code: 0"), "{wire}: {}", last_outputs[2].1);
        // The key comes from the environment variable the config names, in each format's own header.
        let auth = match wire {
            "anthropic" => requests[0].header("x-api-key"),
            _ => requests[0].header("authorization"),
        };
        assert_eq!(auth, Some(if wire == "anthropic" { "test-key" } else { "Bearer test-key" }), "{wire}");

        let sessions = env.sessions();
        assert_eq!(sessions.len(), 1, "{wire}: one rollout recorded");
    }
}

#[test]
fn exec_without_json_prints_progress_on_stderr_and_the_answer_on_stdout() {
    let repo = TempRepo::new();
    repo.write("check.sh", CHECK_SCRIPT);
    let server = ScriptedServer::start(script());
    let env = Env::new(&server, "chat");
    let last = repo.path().join("last.txt");
    let out =
        env.braid(repo.path()).args(["exec", "-o", last.to_str().unwrap(), "make check.sh pass"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "greeting.txt now says hello, braid; check.sh passes.\n");
    assert_eq!(std::fs::read_to_string(last).unwrap(), stdout.trim_end());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for expected in
        ["braid started session", "patch applied:", "  A greeting.txt", "$ sh check.sh", "exit 0", "tokens:"]
    {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
}

#[test]
fn resume_last_continues_the_conversation() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("The answer is 42.")),
        Reply::Turn(Turn::new().text("I said 42.")),
    ]));
    let env = Env::new(&server, "responses");
    env.braid(repo.path()).args(["exec", "what is the answer?"]).assert().success();
    let out = env.braid(repo.path()).args(["resume", "--last", "what did you say?"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "I said 42.\n");
    let second = &server.requests()[1];
    assert!(second.body.to_string().contains("The answer is 42."));
    assert_eq!(env.sessions().len(), 1, "resume appends to the same rollout");

    // `exec resume <id>` works too, with the id taken from the rollout's file name.
    let id = env.sessions()[0].file_stem().unwrap().to_str().unwrap().to_string();
    let out = env.braid(repo.path()).args(["exec", "resume", &id, "again"]).output().unwrap();
    // The script is exhausted now, so the server answers 500 and the turn fails, but the session was found.
    assert!(!out.status.success());
    assert!(server.requests()[2].body.to_string().contains("I said 42."));
}
