//! Approval policies end to end: the scripted model makes calls that need a decision, `braid exec`
//! answers with the configured default (nobody can be asked), and the JSONL stream, the tool outputs the
//! model receives and the file system all show what was decided.

use std::path::Path;

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::{Value, json};

use crate::harness::{Env, jsonl};

/// A home whose config selects `server` with the given approval settings (extra TOML lines).
fn env(server: &ScriptedServer, settings: &str) -> Env {
    Env::with_config(&format!(
        "model = \"m\"\nmodel_provider = \"lab\"\nmodel_context_window = 32000\n{settings}\n\
         [model_providers.lab]\nbase_url = \"{}\"\nwire_api = \"responses\"\nenv_key = \"SCRIPTED_API_KEY\"\n",
        server.base_url()
    ))
}

fn shell(call_id: &str, line: &str) -> Turn {
    Turn::new().tool_call(call_id, "shell", json!({"command": ["bash", "-lc", line]}))
}

/// The approval items of a JSONL stream: (event type, item).
fn approvals(events: &[Value]) -> Vec<(String, Value)> {
    events
        .iter()
        .filter(|e| e["item"]["type"] == "approval")
        .map(|e| (e["type"].as_str().unwrap().to_string(), e["item"].clone()))
        .collect()
}

/// Runs `braid exec --json` in `repo` and returns its exit status and events.
fn exec(env: &Env, repo: &Path, args: &[&str]) -> (std::process::Output, Vec<Value>) {
    let out = env.braid(repo).args(["exec", "--json"]).args(args).args(["do the task"]).output().unwrap();
    let events = jsonl(&out.stdout);
    (out, events)
}

#[test]
fn untrusted_runs_known_safe_commands_and_asks_before_others_and_the_default_denies() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(shell("c1", "git status && ls")),
        Reply::Turn(shell("c2", "touch made.txt")),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(&server, "approval_policy = \"untrusted\"");
    let (out, events) = exec(&env, repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let asked = approvals(&events);
    assert_eq!(asked.len(), 2, "one question, opened and answered: {asked:?}");
    let (kind, item) = &asked[1];
    assert_eq!(kind, "item.completed");
    assert_eq!(item["call_id"], "c2");
    assert_eq!(item["command"], "bash -lc 'touch made.txt'");
    assert_eq!(item["reason"], "untrusted");
    assert_eq!(item["decision"], "deny");
    assert_eq!(item["decided_by"], "default");
    assert_eq!(item["status"], "failed");
    assert_eq!(asked[0].0, "item.started");
    assert!(asked[0].1.get("decision").is_none());

    let outputs = server.requests()[2].tool_outputs();
    assert!(outputs[0].1.contains("Exit code: 0"), "the safe command ran: {}", outputs[0].1);
    assert!(outputs[1].1.contains("did not run") && outputs[1].1.contains("approval_default"), "{}", outputs[1].1);
    assert!(!repo.path().join("made.txt").exists(), "a denied command must not run");
}

#[test]
fn untrusted_with_approve_as_default_runs_the_command_inside_the_sandbox() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = outside.path().join("escaped.txt");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(shell("c1", "touch made.txt")),
        Reply::Turn(shell("c2", &format!("touch {}", target.display()))),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(&server, "approval_policy = \"untrusted\"\napproval_default = \"approve\"");
    let (out, events) = exec(&env, repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decided: Vec<Value> =
        approvals(&events).into_iter().filter(|(kind, _)| kind == "item.completed").map(|(_, item)| item).collect();
    assert_eq!(decided.len(), 2);
    assert!(decided.iter().all(|i| i["decision"] == "approve" && i["unconfined"] == false));
    assert!(repo.path().join("made.txt").exists());
    // Approval under `untrusted` is consent to run, not to leave the sandbox.
    assert!(!target.exists(), "an approved command still runs confined");
    let outputs = server.requests()[2].tool_outputs();
    assert!(outputs[1].1.contains("braid sandbox"), "{}", outputs[1].1);
}

#[test]
fn on_request_offers_escalation_and_an_approved_request_runs_outside_the_sandbox() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = outside.path().join("escaped.txt");
    let escalate = |id: &str, line: String| {
        Turn::new().tool_call(
            id,
            "shell",
            json!({"command": ["bash", "-lc", line], "with_escalated_permissions": true,
                   "justification": "the release notes live outside the repository"}),
        )
    };
    let script = || {
        Script::new([
            Reply::Turn(escalate("c1", format!("touch {}", target.display()))),
            Reply::Turn(Turn::new().text("done")),
        ])
    };

    // Denied (the default): nothing happens outside, and the model is told.
    let server = ScriptedServer::start(script());
    let (out, events) = exec(&env(&server, ""), repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = server.requests();
    let shell_spec = &requests[0].body["tools"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["parameters"]
        ["properties"];
    assert!(shell_spec.get("with_escalated_permissions").is_some() && shell_spec.get("justification").is_some());
    let (_, item) = approvals(&events).pop().unwrap();
    assert_eq!(item["reason"], "escalation");
    assert_eq!(item["unconfined"], true);
    assert_eq!(item["justification"], "the release notes live outside the repository");
    assert_eq!(item["decision"], "deny");
    assert!(!target.exists());

    // Approved: it runs outside the sandbox.
    let server = ScriptedServer::start(script());
    let (out, events) = exec(&env(&server, "approval_default = \"approve\""), repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(approvals(&events).pop().unwrap().1["decision"], "approve");
    assert!(target.exists(), "{}", server.requests()[1].tool_outputs()[0].1);
}

#[test]
fn never_offers_no_escalation_and_sends_denials_back_to_the_model_without_asking() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = outside.path().join("escaped.txt");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "c1",
            "shell",
            json!({"command": ["bash", "-lc", format!("touch {}", target.display())], "with_escalated_permissions": true}),
        )),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let (out, events) = exec(&env(&server, "approval_default = \"approve\""), repo.path(), &["-a", "never"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = server.requests();
    let shell_spec = &requests[0].body["tools"][0]["parameters"]["properties"];
    assert!(shell_spec.get("with_escalated_permissions").is_none(), "{shell_spec}");
    assert!(approvals(&events).is_empty(), "never asks");
    assert!(!target.exists());
    let output = &server.requests()[1].tool_outputs()[0].1;
    assert!(output.contains("braid sandbox") && output.contains("workspace-write"), "{output}");
}

#[test]
fn on_failure_asks_to_run_a_refused_command_again_outside_the_sandbox() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = outside.path().join("escaped.txt");
    let script = || {
        Script::new([
            Reply::Turn(shell("c1", &format!("echo hi > {}", target.display()))),
            Reply::Turn(Turn::new().text("done")),
        ])
    };

    let server = ScriptedServer::start(script());
    let (out, events) = exec(&env(&server, "approval_policy = \"on-failure\""), repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, item) = approvals(&events).pop().unwrap();
    assert_eq!((&item["reason"], &item["decision"]), (&json!("sandbox_denied"), &json!("deny")));
    let output = &server.requests()[1].tool_outputs()[0].1;
    assert!(output.contains("outside the sandbox was not approved"), "{output}");
    assert!(!target.exists());

    let server = ScriptedServer::start(script());
    let settings = "approval_policy = \"on-failure\"\napproval_default = \"approve\"";
    let (out, events) = exec(&env(&server, settings), repo.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(approvals(&events).pop().unwrap().1["decision"], "approve");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hi\n");
    let output = &server.requests()[1].tool_outputs()[0].1;
    assert!(output.starts_with("The sandbox refused this command, and the user approved"), "{output}");
    // One command item for the call, which succeeded in the end.
    let commands: Vec<&Value> =
        events.iter().filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution").collect();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["item"]["exit_code"], 0);
}

#[test]
fn abort_ends_the_turn_and_every_call_of_the_batch_still_gets_an_output() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(
            Turn::new().tool_call("c1", "shell", json!({"command": ["bash", "-lc", "touch one.txt"]})).tool_call(
                "c2",
                "shell",
                json!({"command": ["bash", "-lc", "touch two.txt"]}),
            ),
        ),
        // The resumed session's request: the server checks every call in it has its output.
        Reply::Turn(Turn::new().text("understood")),
    ]));
    let env = env(&server, "approval_policy = \"untrusted\"\napproval_default = \"abort\"");
    let (out, events) = exec(&env, repo.path(), &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped at an approval prompt"));
    let failed = events.iter().find(|e| e["type"] == "turn.failed").expect("turn.failed");
    assert!(failed["error"]["message"].as_str().unwrap().contains("approval prompt"), "{failed}");
    assert_eq!(approvals(&events).len(), 2, "only the first call was asked about");
    assert!(!repo.path().join("one.txt").exists() && !repo.path().join("two.txt").exists());

    let out = env.braid(repo.path()).args(["exec", "resume", "--last", "what happened?"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outputs = server.requests()[1].tool_outputs();
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    assert!(outputs[0].1.contains("stopped the turn"), "{}", outputs[0].1);
    assert!(outputs[1].1.starts_with("Not run"), "{}", outputs[1].1);
}

#[test]
fn a_bad_policy_name_is_refused_with_the_valid_ones() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([]));
    let out = env(&server, "").braid(repo.path()).args(["exec", "-a", "sometimes", "x"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("untrusted, on-request, on-failure or never"), "{stderr}");
}

/// Starts `braid exec 'make a file'` in `repo` on a pseudo-terminal made by script(1) (util-linux),
/// with stdin (the keyboard) and stdout (the screen, stderr included) piped to the test.
#[allow(clippy::disallowed_methods)]
fn on_a_terminal(env: &Env, repo: &Path) -> std::process::Child {
    let command = format!("{} exec 'make a file'", env!("CARGO_BIN_EXE_braid"));
    std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(repo)
        .env("BRAID_HOME", env.home.path())
        .env("SCRIPTED_API_KEY", "test-key")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs the binary on a pty")
}

/// With a terminal (a pty from `script`), the person at it answers: here "approve for the session",
/// which also covers the repeated command, then "deny", which beats the configured default of approve.
#[test]
fn at_a_terminal_the_person_answers_instead_of_the_default() {
    use std::io::Write as _;

    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(shell("c1", "touch a.txt")),
        Reply::Turn(shell("c2", "touch a.txt")),
        Reply::Turn(shell("c3", "rm a.txt")),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let env = env(&server, "approval_policy = \"untrusted\"\napproval_default = \"approve\"");
    let mut child = on_a_terminal(&env, repo.path());
    child.stdin.take().unwrap().write_all(b"s\nn\n").unwrap();
    let out = child.wait_with_output().unwrap();
    // The terminal turns each newline into CR LF.
    let screen = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("approval needed (not known to be read-only): $ bash -lc 'touch a.txt'"), "{screen}");
    assert!(screen.contains("approving for the session covers: `touch a.txt`"), "{screen}");
    assert!(screen.contains("[s] approve for the session"), "{screen}");
    assert!(screen.contains("approved for the session (by the user)"), "{screen}");
    assert!(screen.contains("denied (by the user)\n$ bash -lc 'rm a.txt'\n  not run (not approved)"), "{screen}");
    assert_eq!(screen.matches("approval needed").count(), 2, "c2 is covered by the session rule:\n{screen}");
    assert!(repo.path().join("a.txt").exists(), "the person denied the rm");
}

/// Ctrl-C at the approval prompt ends the turn and braid exits at once, although the prompt's read of
/// the terminal is still waiting for a line.
#[test]
fn ctrl_c_at_the_prompt_interrupts_and_braid_exits() {
    use std::io::{Read as _, Write as _};

    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::Turn(shell("c1", "touch a.txt"))]));
    let env = env(&server, "approval_policy = \"untrusted\"");
    let mut child = on_a_terminal(&env, repo.path());
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut sent = false;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            screen.extend_from_slice(&buf[..n]);
            if !sent && String::from_utf8_lossy(&screen).contains("abort the turn >") {
                // The terminal turns ^C into SIGINT for braid.
                stdin.write_all(b"\x03").unwrap();
                stdin.flush().unwrap();
                sent = true;
            }
        }
        String::from_utf8_lossy(&screen).replace("\r\n", "\n")
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("braid did not exit after Ctrl-C at the approval prompt");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let screen = reader.join().unwrap();
    assert!(!status.success(), "{screen}");
    assert!(screen.contains("→ turn aborted (interrupted)"), "{screen}");
    assert!(screen.contains("the turn was interrupted"), "{screen}");
    assert!(!repo.path().join("a.txt").exists());
}
