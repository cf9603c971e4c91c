//! The turn loop: tool dispatch, error recovery within a turn, limits and interruption.

use braid_core::SessionError;
use braid_core::session::CancellationToken;
use braid_model::WireApi;
use braid_protocol::{AgentEvent, Item};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

use crate::harness::{WIRES, start};

fn add_file_patch(path: &str, body: &str) -> serde_json::Value {
    json!({ "input": format!("*** Begin Patch\n*** Add File: {path}\n+{body}\n*** End Patch\n") })
}

#[tokio::test]
async fn tool_calls_run_and_the_loop_ends_on_plain_text() {
    for wire in WIRES {
        let repo = TempRepo::new();
        let server = ScriptedServer::start(Script::new([
            Reply::Turn(Turn::new().reasoning("Need a file.").tool_call(
                "c1",
                "apply_patch",
                add_file_patch("a.txt", "hello"),
            )),
            Reply::Turn(Turn::new().tool_call("c2", "shell", json!({"command": ["bash", "-lc", "cat a.txt"]}))),
            Reply::Turn(Turn::new().text("Created a.txt.")),
        ]));
        let (mut session, events) = start(&server, wire, repo.path(), None);
        let outcome = session.run_turn("make a.txt", &CancellationToken::new()).await.unwrap();
        assert_eq!(outcome.last_message.as_deref(), Some("Created a.txt."), "{wire:?}");
        assert_eq!(repo.read("a.txt"), "hello\n");
        let ends = events.tool_ends();
        assert_eq!(ends.len(), 2, "{wire:?}: {ends:?}");
        assert!(ends[1].1 && ends[1].2.contains("hello"), "{wire:?}: {ends:?}");
        assert!(events.all().iter().any(|e| matches!(e, AgentEvent::Reasoning { text } if text == "Need a file.")));
        server.assert_every_tool_call_answered_once();
        // The first request carries the environment context and the user's task; tools are declared.
        let first = &server.requests()[0];
        assert!(first.tool_names().contains(&"apply_patch".to_string()), "{wire:?}");
        assert!(first.user_texts().iter().any(|t| t.contains("make a.txt")), "{wire:?}");
    }
}

#[tokio::test]
async fn bad_tool_calls_go_back_to_the_model_and_the_turn_goes_on() {
    for wire in WIRES {
        let repo = TempRepo::new();
        repo.write("keep.txt", "original\n");
        let server = ScriptedServer::start(Script::new([
            Reply::Turn(Turn::new().tool_call_raw("c1", "shell", "{\"command\": [\"ls\"")),
            Reply::Turn(Turn::new().tool_call("c2", "run_tests", json!({}))),
            Reply::Turn(Turn::new().tool_call(
                "c3",
                "apply_patch",
                json!({"input": "*** Begin Patch\n*** Add File: new.txt\n+x\n*** Update File: keep.txt\n@@\n-not there\n+y\n*** End Patch"}),
            )),
            Reply::Turn(Turn::new().tool_call("c4", "read_file", json!({"path": "../outside.txt"}))),
            Reply::Turn(Turn::new().text("gave up")),
        ]));
        let (mut session, events) = start(&server, wire, repo.path(), None);
        session.run_turn("try things", &CancellationToken::new()).await.unwrap();
        let ends = events.tool_ends();
        assert_eq!(ends.len(), 4, "{wire:?}");
        assert!(ends.iter().all(|(_, success, _)| !success), "{wire:?}: {ends:?}");
        assert!(ends[0].2.contains("not valid JSON"), "{}", ends[0].2);
        assert!(ends[1].2.contains("unknown tool `run_tests`"), "{}", ends[1].2);
        assert!(ends[2].2.contains("not there"), "the failing context line is quoted: {}", ends[2].2);
        assert!(ends[3].2.contains("outside the workspace"), "{}", ends[3].2);
        // A patch that fails applies nothing, not even its first file.
        assert!(!repo.path().join("new.txt").exists());
        assert_eq!(repo.read("keep.txt"), "original\n");
        server.assert_every_tool_call_answered_once();
    }
}

#[tokio::test]
async fn a_stream_dropped_mid_tool_call_is_retried_and_the_tool_runs_once() {
    for wire in WIRES {
        let repo = TempRepo::new();
        let append = json!({"command": ["bash", "-lc", "echo run >> log.txt"]});
        let call = Turn::new().tool_call("c1", "shell", append.clone());
        let server = ScriptedServer::start(Script::new([
            Reply::DropAfter { turn: call.clone(), events: 4 },
            Reply::HttpError { status: 429, body: "slow down".into(), retry_after: Some("0".into()) },
            Reply::Turn(call),
            Reply::Turn(Turn::new().text("done")),
        ]));
        let (mut session, events) = start(&server, wire, repo.path(), None);
        session.run_turn("log once", &CancellationToken::new()).await.unwrap();
        assert_eq!(repo.read("log.txt"), "run\n", "{wire:?}: the command ran exactly once");
        let retries = events.all().iter().filter(|e| matches!(e, AgentEvent::StreamRetry { .. })).count();
        assert_eq!(retries, 2, "{wire:?}");
        server.assert_every_tool_call_answered_once();
    }
}

#[tokio::test]
async fn unauthorized_fails_the_turn_naming_the_key_variable() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::HttpError {
        status: 401,
        body: "{\"error\":{\"message\":\"bad key\"}}".into(),
        retry_after: None,
    }]));
    let (mut session, events) = start(&server, WireApi::Responses, repo.path(), None);
    let err = session.run_turn("hi", &CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("SCRIPTED_API_KEY"), "{err}");
    assert_eq!(server.requests().len(), 1, "authentication failures are not retried");
    assert!(matches!(events.all().last(), Some(AgentEvent::TurnFailed { .. })));
}

#[tokio::test]
async fn the_turn_limit_stops_a_model_that_never_finishes() {
    let repo = TempRepo::new();
    let looping = |id: &str| Reply::Turn(Turn::new().tool_call(id, "list_dir", json!({})));
    let mut replies: Vec<Reply> = (0..10).map(|i| looping(&format!("c{i}"))).collect();
    replies.push(Reply::Turn(Turn::new().text("never reached")));
    let server = ScriptedServer::start(Script::new(replies));
    let (mut session, _events) = start(&server, WireApi::Chat, repo.path(), None);
    let err = session.run_turn("loop", &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, SessionError::TurnLimit { max_turns: 10 }), "{err}");
    // Every call of the ten requests got its output in the history.
    let outputs = session.history().iter().filter(|i| matches!(i, Item::ToolOutput { .. })).count();
    assert_eq!(outputs, 10);
}

#[tokio::test]
async fn an_interrupted_tool_call_still_gets_an_output() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().tool_call(
        "c1",
        "shell",
        json!({"command": ["sleep", "30"]}),
    ))]));
    let (mut session, _events) = start(&server, WireApi::Responses, repo.path(), None);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let err = session.run_turn("sleep", &cancel).await.unwrap_err();
    assert!(matches!(err, SessionError::Interrupted), "{err}");
    let last = session.history().last().unwrap();
    assert!(matches!(last, Item::ToolOutput { call_id, success: false, .. } if call_id == "c1"), "{last:?}");
}

#[tokio::test]
async fn agents_md_reaches_the_model_closest_last() {
    let repo = TempRepo::new();
    repo.write("AGENTS.md", "ROOT RULE");
    repo.write("sub/AGENTS.md", "SUB RULE");
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("ok"))]));
    let (mut session, _events) = start(&server, WireApi::Anthropic, &repo.path().join("sub"), None);
    session.run_turn("hi", &CancellationToken::new()).await.unwrap();
    let body = server.requests()[0].body.to_string();
    let (root, sub) = (body.find("ROOT RULE").unwrap(), body.find("SUB RULE").unwrap());
    assert!(root < sub, "closer AGENTS.md comes later");
}

#[tokio::test]
async fn a_forbidden_path_is_refused_to_the_model_and_the_turn_goes_on() {
    let repo = TempRepo::new();
    repo.write("Cargo.lock", "locked\n");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "c1",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Update File: Cargo.lock\n@@\n-locked\n+changed\n*** End Patch"}),
        )),
        Reply::Turn(Turn::new().tool_call("c2", "apply_patch", add_file_patch("notes.txt", "fine"))),
        Reply::Turn(Turn::new().text("left Cargo.lock alone")),
    ]));
    let forbidden = braid_sandbox::PathGlobs::new(&["Cargo.lock".to_string()]).unwrap();
    let options = braid_core::SessionOptions { forbidden, ..crate::harness::options(repo.path(), None) };
    let (mut session, events) = crate::harness::start_with(&server, WireApi::Responses, options);
    session.run_turn("update things", &CancellationToken::new()).await.unwrap();
    let ends = events.tool_ends();
    assert!(!ends[0].1 && ends[0].2.contains("plan's `forbidden` list"), "{ends:?}");
    assert!(ends[1].1, "{ends:?}");
    assert_eq!(repo.read("Cargo.lock"), "locked\n");
    assert_eq!(repo.read("notes.txt"), "fine\n");
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn a_commands_output_streams_as_deltas_between_its_begin_and_end() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let command = json!({"command": ["bash", "-lc", "echo one; sleep 0.2; echo two >&2; printf three"]});
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", command)),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let (mut session, events) = start(&server, WireApi::Responses, repo.path(), Some(home.path()));
    session.run_turn("count", &CancellationToken::new()).await.unwrap();
    let all = events.all();
    let position = |wanted: fn(&AgentEvent) -> bool| all.iter().position(wanted).unwrap();
    let begin = position(|e| matches!(e, AgentEvent::ToolCallBegin { .. }));
    let end = position(|e| matches!(e, AgentEvent::ToolCallEnd { .. }));
    let mut streamed = String::new();
    for (at, event) in all.iter().enumerate() {
        if let AgentEvent::ToolOutputDelta { call_id, delta } = event {
            assert!(begin < at && at < end, "delta at {at} is outside the call ({begin}..{end})");
            assert_eq!(call_id, "c1");
            assert!(!delta.is_empty());
            streamed.push_str(delta);
        }
    }
    assert_eq!(streamed, "one\ntwo\nthree");
    let AgentEvent::ToolCallEnd { call_id, effect, .. } = &all[end] else { unreachable!() };
    assert_eq!(call_id, "c1");
    let braid_protocol::ToolEffect::Command { aggregated_output, .. } = effect else { panic!("{effect:?}") };
    assert_eq!(aggregated_output, &streamed);
    // The model gets the output once, as the call's result, and the rollout records no deltas.
    assert!(server.requests()[1].tool_outputs().iter().any(|(id, o)| id == "c1" && o.contains("one\ntwo\nthree")));
    let rollout = std::fs::read_to_string(session.rollout_path().unwrap()).unwrap();
    assert!(rollout.contains("tool_call_end") && !rollout.contains("tool_output_delta"), "{rollout}");
    // `exec --json` prints the same lines as it would without the deltas.
    let lines = |events: &[AgentEvent]| {
        let mut mapper = braid_core::exec_jsonl::JsonlMapper::new();
        events.iter().flat_map(|e| mapper.map(e)).map(|l| serde_json::to_string(&l).unwrap()).collect::<Vec<_>>()
    };
    let without: Vec<AgentEvent> =
        all.iter().filter(|e| !matches!(e, AgentEvent::ToolOutputDelta { .. })).cloned().collect();
    assert_eq!(lines(&all), lines(&without));
}
