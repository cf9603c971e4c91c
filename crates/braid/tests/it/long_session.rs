//! Long sessions from the command line: a braid killed mid-turn resumes without running a tool call
//! twice, `fork` copies a prefix, `resume --compact` compacts, and the embedded model writes a handoff
//! summary when asked.

use std::time::{Duration, Instant};

use braid_test_support::{Reply, Script, ScriptedServer, TEST_MODEL, TempRepo, Turn, local_model};
use serde_json::json;

use crate::harness::{Env, jsonl};

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_while_a_tool_runs_then_resume_completes_without_running_it_twice() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "c1",
            "shell",
            json!({"command": ["sh", "-c", "echo first >> marker.txt; sleep 3"]}),
        )),
        Reply::Turn(Turn::new().tool_call(
            "c2",
            "shell",
            json!({"command": ["sh", "-c", "echo second >> marker.txt"]}),
        )),
        Reply::Turn(Turn::new().text("finished after the crash")),
    ]));
    let env = Env::new(&server, "chat");
    let mut braid = env.spawn(repo.path(), &["exec", "append to marker.txt"]);
    let marker = repo.path().join("marker.txt");
    wait_for("the tool to start", || marker.exists());
    // std's kill is SIGKILL: no handler runs, nothing is flushed or cleaned up.
    braid.kill().unwrap();
    braid.wait().unwrap();

    let out = env.braid(repo.path()).args(["resume", "--last", "--json", "continue"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = jsonl(&out.stdout);
    let warning = events.iter().find(|e| e["item"]["type"] == "error").unwrap();
    assert!(warning["item"]["message"].as_str().unwrap().contains("c1"), "{warning}");
    assert_eq!(events.last().unwrap()["type"], "turn.completed");
    // The orphaned `sleep` may still be running; the first command ran once, and only once.
    wait_for("the marker", || std::fs::read_to_string(&marker).unwrap().contains("second"));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "first\nsecond\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let outputs = requests[1].tool_outputs();
    assert_eq!(outputs[0].0, "c1");
    assert!(outputs[0].1.contains("was not run again"), "{}", outputs[0].1);
    server.assert_every_tool_call_answered_once();
    assert_eq!(env.sessions().len(), 1);
}

#[test]
fn sigkill_while_the_model_streams_then_resume_continues() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::StallAfter { turn: Turn::new().text("I will now"), events: 2 },
        Reply::Turn(Turn::new().text("picked up where we left off")),
    ]));
    let env = Env::new(&server, "responses");
    let mut braid = env.spawn(repo.path(), &["exec", "do the thing"]);
    wait_for("the request", || !server.requests().is_empty());
    std::thread::sleep(Duration::from_millis(100));
    braid.kill().unwrap();
    braid.wait().unwrap();
    let out = env.braid(repo.path()).args(["resume", "--last", "continue"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "picked up where we left off\n");
    let texts = server.requests()[1].user_texts();
    assert!(texts.iter().any(|t| t == "do the thing") && texts.iter().any(|t| t == "continue"), "{texts:?}");
}

#[test]
fn fork_at_a_turn_and_resume_with_compact() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("call it alpha")),
        Reply::Turn(Turn::new().text("renamed to beta")),
        Reply::Turn(Turn::new().text("HANDOFF: named alpha, then beta")),
        Reply::Turn(Turn::new().text("it is beta")),
    ]));
    let env = Env::new(&server, "chat");
    env.braid(repo.path()).args(["exec", "name it"]).assert().success();
    env.braid(repo.path()).args(["resume", "--last", "rename it"]).assert().success();
    let original = env.sessions()[0].clone();
    let id = original.file_stem().unwrap().to_str().unwrap().to_string();

    let out = env.braid(repo.path()).args(["fork", &id, "--at", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fork_id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(fork_id.len(), 36);
    assert_ne!(fork_id, id);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("forked from {id}")));
    let fork = braid_core::rollout::read(&braid_core::rollout::find(env.home.path(), Some(&fork_id)).unwrap()).unwrap();
    assert_eq!(fork.turns, 1);
    assert!(!serde_json::to_string(&fork.items).unwrap().contains("beta"));

    let out = env.braid(repo.path()).args(["fork", &id, "--at", "7"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has 2 user turns; --at takes 0 to 2"));

    // `--compact` alone compacts and stops; the next resume continues from the summary.
    let out = env.braid(repo.path()).args(["resume", &id, "--compact"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("context compacted (on request)"));
    let out = env.braid(repo.path()).args(["resume", &id, "what is it called?"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "it is beta\n");
    assert!(server.requests()[3].body.to_string().contains("HANDOFF: named alpha, then beta"));
}

#[test]
fn the_embedded_model_writes_a_handoff_summary_on_compact() {
    let Some(model) = local_model(TEST_MODEL) else { return };
    let _model = crate::harness::one_model_at_a_time();
    let repo = TempRepo::new();
    repo.write("notes.txt", "The release codename is HELIOTROPE. Ship it on Friday.\n");
    let env = Env::with_config(&format!(
        "model_provider = \"local\"\nmax_turns = 2\n[local]\nmodel = \"{}\"\ncontext_tokens = 4096\n",
        model.display()
    ));
    let out =
        env.braid(repo.path()).args(["exec", "--json", "Read notes.txt and tell me the codename."]).output().unwrap();
    let events = jsonl(&out.stdout);
    // Whatever the tiny model did, the turn reports the window the engine was created with.
    let usage = events.iter().rev().find(|e| e["type"] == "turn.completed" || e["type"] == "turn.failed");
    if let Some(done) = usage.filter(|e| e["type"] == "turn.completed") {
        assert_eq!(done["usage"]["context_window"].as_u64(), Some(4096), "{done}");
        assert!(done["usage"]["context_tokens"].as_u64().unwrap() > 100, "{done}");
    }

    // The tiny model shares two cores with the rest of the suite, so this step gets more than the
    // harness's default minute; the test is about what it writes, not how fast.
    let out = env
        .braid(repo.path())
        .args(["resume", "--last", "--compact", "--json"])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = jsonl(&out.stdout);
    let compaction = events.iter().find(|e| e["item"]["type"] == "context_compaction").unwrap_or_else(|| {
        panic!("no compaction item in {events:#?}");
    });
    assert_eq!(compaction["item"]["trigger"], "manual");
    assert!(compaction["item"]["summary"].as_str().unwrap().trim().len() > 10, "{compaction}");
    let recorded = braid_core::rollout::read(&env.sessions()[0]).unwrap();
    assert!(recorded.items.iter().any(braid_core::compaction::is_summary));
}
