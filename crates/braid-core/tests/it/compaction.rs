//! Long sessions: what compaction sends, what survives it, what happens when the compaction request is
//! itself too long, and how tool output is kept from flooding the window. The scripted model reports
//! usage figures that put the conversation over the threshold exactly where each test wants it.

use braid_core::compaction::COMPACT_PROMPT;
use braid_core::session::CancellationToken;
use braid_core::{Session, SessionError, SessionOptions};
use braid_model::WireApi;
use braid_protocol::{AgentEvent, CompactionTrigger, Item};
use braid_test_support::{RecordedRequest, Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

use crate::harness::{Events, WIRES, client, options, start_with, tools};

/// A window of 100k tokens compacts above 85k: usage of 90k on a response forces the next request to
/// compact, while the small default figures never do.
const WINDOW: u64 = 100_000;
const OVER: u64 = 90_000;

fn windowed(cwd: &std::path::Path, home: Option<&std::path::Path>) -> SessionOptions {
    SessionOptions { context_window: Some(WINDOW), max_turns: 20, ..options(cwd, home) }
}

fn body(request: &RecordedRequest) -> String {
    request.body.to_string()
}

fn compactions(events: &Events) -> Vec<(CompactionTrigger, String)> {
    events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::ContextCompacted { trigger, summary, .. } => Some((trigger, summary)),
            _ => None,
        })
        .collect()
}

fn is_compaction_request(request: &RecordedRequest) -> bool {
    body(request).contains("Write a handoff note for")
}

const PLANTED: &str = "Add order totals. Facts to keep: the new module is orders_ledger.py; we decided to \
    store money as integer cents; constraint: never touch legacy/billing.py.";

#[tokio::test]
async fn facts_survive_three_compactions_and_the_task_completes() {
    for wire in WIRES {
        let repo = TempRepo::new();
        let home = tempfile::tempdir().unwrap();
        let plan = json!({"plan": [
            {"step": "write orders_ledger.py", "status": "completed"},
            {"step": "add tests for cents rounding", "status": "in_progress"},
        ]});
        let server = ScriptedServer::start(Script::new([
            // Turn 1 fills the window.
            Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["echo", "created orders_ledger.py"]}))),
            Reply::Turn(Turn::new().text("Created the module.").usage(OVER, 10)),
            // Turn 2 starts with compaction #1, then sets a plan and fills the window again mid-turn,
            // which compacts (#2) between two requests of the same turn.
            Reply::Turn(
                Turn::new()
                    .text(
                        "SUMMARY-ONE: orders_ledger.py created; money in integer cents; never touch legacy/billing.py.",
                    )
                    .usage(5_000, 50),
            ),
            Reply::Turn(Turn::new().tool_call("c2", "update_plan", plan)),
            Reply::Turn(
                Turn::new().tool_call("c3", "shell", json!({"command": ["echo", "tests added"]})).usage(OVER, 10),
            ),
            Reply::Turn(
                Turn::new()
                    .text("SUMMARY-TWO: orders_ledger.py in integer cents, tests added; next: rounding.")
                    .usage(5_000, 50),
            ),
            Reply::Turn(Turn::new().text("Tests added.").usage(OVER, 10)),
            // Turn 3 starts with compaction #3 and finishes.
            Reply::Turn(Turn::new().text("SUMMARY-THREE: all of the above; remaining: docs.").usage(5_000, 50)),
            Reply::Turn(Turn::new().text("Docs written; the task is complete.")),
        ]));
        let (mut session, events) = start_with(&server, wire, windowed(repo.path(), Some(home.path())));
        let cancel = CancellationToken::new();
        session.run_turn(PLANTED, &cancel).await.unwrap();
        session.run_turn("Now add tests for rounding.", &cancel).await.unwrap();
        let outcome = session.run_turn("Finally, write the docs.", &cancel).await.unwrap();
        assert_eq!(outcome.last_message.as_deref(), Some("Docs written; the task is complete."), "{wire:?}");

        let found = compactions(&events);
        assert_eq!(found.len(), 3, "{wire:?}: {found:?}");
        assert!(found.iter().all(|(trigger, _)| *trigger == CompactionTrigger::Auto));
        let requests = server.requests();
        assert_eq!(requests.len(), 9, "{wire:?}");
        let kinds: Vec<bool> = requests.iter().map(is_compaction_request).collect();
        assert_eq!(kinds, [false, false, true, false, false, true, false, true, false], "{wire:?}");

        // #1: the summarizer sees the planted facts, and is told to answer in text.
        let first = body(&requests[2]);
        for fact in ["orders_ledger.py", "integer cents", "legacy/billing.py"] {
            assert!(first.contains(fact), "{wire:?}: compaction input lacks {fact}");
        }
        assert!(requests[2].user_texts().last().unwrap().contains(COMPACT_PROMPT.lines().next().unwrap()));
        match wire {
            WireApi::Anthropic => assert_eq!(requests[2].body["tool_choice"], json!({"type": "none"})),
            _ => assert_eq!(requests[2].body["tool_choice"], "none", "{wire:?}"),
        }
        // After #1: the summary and the latest user message, and no tool call from before.
        let after_first = body(&requests[3]);
        assert!(after_first.contains("SUMMARY-ONE") && after_first.contains("Now add tests for rounding."));
        assert!(requests[3].tool_calls().is_empty(), "{wire:?}");
        // #2 happens mid-turn: it sees the first summary; the request after it carries the new summary,
        // the latest user message and the plan.
        assert!(body(&requests[5]).contains("SUMMARY-ONE"));
        let after_second = body(&requests[6]);
        for expected in ["SUMMARY-TWO", "Now add tests for rounding.", "[>] add tests for cents rounding"] {
            assert!(after_second.contains(expected), "{wire:?}: lacks {expected}");
        }
        assert!(!after_second.contains("SUMMARY-ONE"), "{wire:?}: the old summary is replaced");
        // After #3: the newest summary, the newest user message, and the planted task verbatim.
        let after_third = body(&requests[8]);
        for expected in ["SUMMARY-THREE", "Finally, write the docs.", "orders_ledger.py"] {
            assert!(after_third.contains(expected), "{wire:?}: lacks {expected}");
        }
        server.assert_every_tool_call_answered_once();

        // The rollout rebuilds exactly the compacted conversation.
        let recorded = braid_core::rollout::read(session.rollout_path().unwrap()).unwrap();
        assert_eq!(recorded.items, session.history(), "{wire:?}");
        assert_eq!(recorded.turns, 3);
    }
}

#[tokio::test]
async fn a_too_long_compaction_request_drops_the_oldest_items_and_retries() {
    let repo = TempRepo::new();
    let overflow = r#"{"error":{"type":"invalid_request_error","code":"context_length_exceeded","message":"Your input exceeds the context window of this model."}}"#;
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["echo", "one"]}))),
        Reply::Turn(Turn::new().tool_call("c2", "shell", json!({"command": ["echo", "two"]}))),
        Reply::Turn(Turn::new().text("done").usage(OVER, 10)),
        Reply::HttpError { status: 400, body: overflow.into(), retry_after: None },
        Reply::Turn(Turn::new().text("SUMMARY after trimming").usage(3_000, 20)),
        Reply::Turn(Turn::new().text("second turn done")),
    ]));
    let (mut session, events) = start_with(&server, WireApi::Responses, windowed(repo.path(), None));
    let cancel = CancellationToken::new();
    session.run_turn("first", &cancel).await.unwrap();
    let outcome = session.run_turn("second", &cancel).await.unwrap();
    assert_eq!(outcome.last_message.as_deref(), Some("second turn done"));

    let trimmed: Vec<(usize, usize)> = events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::CompactionTrimmed { dropped_items, remaining_items, reason } => {
                assert!(reason.contains("context_length_exceeded"), "{reason}");
                Some((dropped_items, remaining_items))
            }
            _ => None,
        })
        .collect();
    assert_eq!(trimmed.len(), 1, "{trimmed:?}");
    let requests = server.requests();
    assert!(is_compaction_request(&requests[3]) && is_compaction_request(&requests[4]));
    assert!(requests[4].tool_calls().len() < requests[3].tool_calls().len(), "the retry is shorter");
    assert!(requests[4].user_texts().iter().any(|t| t == "second"), "the newest user message is kept");
    assert_eq!(compactions(&events).len(), 1);
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn a_compaction_that_never_fits_fails_clearly_instead_of_looping() {
    let repo = TempRepo::new();
    let overflow = r#"{"error":{"code":"context_length_exceeded","message":"too long"}}"#;
    let mut replies = vec![
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["echo", "one"]}))),
        Reply::Turn(Turn::new().text("done").usage(OVER, 10)),
    ];
    replies.extend((0..20).map(|_| Reply::HttpError { status: 400, body: overflow.into(), retry_after: None }));
    let server = ScriptedServer::start(Script::new(replies));
    let (mut session, events) = start_with(&server, WireApi::Chat, windowed(repo.path(), None));
    let cancel = CancellationToken::new();
    session.run_turn("first", &cancel).await.unwrap();
    let err = session.run_turn("second", &cancel).await.unwrap_err();
    assert!(matches!(err, SessionError::CompactionFailed { .. }), "{err}");
    assert!(err.to_string().contains("too long for this model's context window"), "{err}");
    // A handful of tries, each shorter, then a clear stop with most of the script unplayed.
    let compaction_requests = server.requests().iter().filter(|r| is_compaction_request(r)).count();
    assert!((2..=9).contains(&compaction_requests), "{compaction_requests}");
    assert!(server.remaining() >= 11);
    assert!(events.all().iter().any(|e| matches!(e, AgentEvent::CompactionTrimmed { .. })));
    assert!(matches!(events.all().last(), Some(AgentEvent::TurnFailed { .. })));
}

#[tokio::test]
async fn a_provider_refusal_compacts_even_when_the_window_is_unknown() {
    let repo = TempRepo::new();
    let overflow = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#;
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("first done")),
        Reply::HttpError { status: 400, body: overflow.into(), retry_after: None },
        Reply::Turn(Turn::new().text("SUMMARY of the first turn")),
        Reply::Turn(Turn::new().text("second done")),
    ]));
    let options = SessionOptions { context_window: None, ..options(repo.path(), None) };
    let (mut session, events) = start_with(&server, WireApi::Anthropic, options);
    assert_eq!(session.context_window(), None);
    let cancel = CancellationToken::new();
    session.run_turn("first", &cancel).await.unwrap();
    let outcome = session.run_turn("second", &cancel).await.unwrap();
    assert_eq!(outcome.last_message.as_deref(), Some("second done"));
    assert_eq!(compactions(&events), vec![(CompactionTrigger::Overflow, "SUMMARY of the first turn".to_string())]);
    let warned = events
        .all()
        .iter()
        .any(|e| matches!(e, AgentEvent::Warning { message } if message.contains("model_context_window")));
    assert!(warned, "the unknown window is pointed out at start");
    assert!(body(&server.requests()[3]).contains("SUMMARY of the first turn"));
}

#[tokio::test]
async fn manual_compaction_is_recorded_and_survives_resume() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["echo", "hi"]}))),
        Reply::Turn(Turn::new().text("said hi")),
        Reply::Turn(Turn::new().text("MANUAL SUMMARY")),
        Reply::Turn(Turn::new().text("continued")),
    ]));
    let (mut session, events) = start_with(&server, WireApi::Chat, windowed(repo.path(), Some(home.path())));
    let cancel = CancellationToken::new();
    session.run_turn("say hi", &cancel).await.unwrap();
    session.compact(&cancel).await.unwrap();
    assert_eq!(compactions(&events), vec![(CompactionTrigger::Manual, "MANUAL SUMMARY".to_string())]);
    let path = session.rollout_path().unwrap().to_path_buf();
    let compacted = session.history().to_vec();
    assert!(!compacted.iter().any(|i| matches!(i, Item::ToolCall { .. })));
    drop(session);

    let resumed_events = Events::default();
    let options = windowed(repo.path(), Some(home.path()));
    let mut resumed =
        Session::resume(options, client(&server, WireApi::Chat), tools(), resumed_events.sink(), &path).unwrap();
    assert_eq!(resumed.history(), compacted);
    resumed.run_turn("go on", &cancel).await.unwrap();
    let last = body(server.requests().last().unwrap());
    assert!(last.contains("MANUAL SUMMARY") && last.contains("say hi") && !last.contains("\"c1\""));
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn tool_output_is_capped_per_call_and_the_cut_is_stated() {
    let repo = TempRepo::new();
    let big: String = (1..=5000).map(|n| format!("row {n:05}\n")).collect();
    repo.write("big.txt", &big);
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["cat", "big.txt"]}))),
        Reply::Turn(Turn::new().tool_call("c2", "read_file", json!({"path": "big.txt"}))),
        Reply::Turn(Turn::new().text("read it")),
    ]));
    let options = SessionOptions { tool_output_token_limit: Some(500), ..options(repo.path(), None) };
    let (mut session, events) = start_with(&server, WireApi::Responses, options);
    session.run_turn("look at big.txt", &CancellationToken::new()).await.unwrap();
    let ends = events.tool_ends();
    // The scripted usage (12 input tokens for a prompt of many kilobytes) calibrates the meter to its
    // most generous ratio, 6 bytes per token: 500 tokens are 3000 bytes, 2700 of them for the tool.
    let (_, _, shell) = &ends[0];
    assert!(shell.len() <= 3000, "{}", shell.len());
    assert!(shell.contains("bytes cut") && shell.contains("row 00001") && shell.contains("row 05000"), "{shell}");
    // read_file pages instead of cutting.
    let (_, _, read) = &ends[1];
    assert!(read.len() <= 2700 + 60 && !read.contains("braid left out"), "{}", read.len());
    assert!(read.trim_end().ends_with(")") && read.contains("call again with offset="), "{read}");
    // The model gets exactly what the events show.
    let outputs = server.requests()[2].tool_outputs();
    assert_eq!(outputs[0].1.trim(), shell.trim());
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn turn_completed_reports_the_context_and_estimates_missing_usage() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("reported").usage(1_234, 56)),
        Reply::Turn(Turn::new().text("not reported").usage(0, 0)),
    ]));
    let (mut session, events) = start_with(&server, WireApi::Chat, windowed(repo.path(), None));
    let cancel = CancellationToken::new();
    session.run_turn("one", &cancel).await.unwrap();
    session.run_turn("two", &cancel).await.unwrap();
    let completed: Vec<_> = events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::TurnCompleted { usage, context, .. } => Some((usage, context)),
            _ => None,
        })
        .collect();
    let (usage, context) = completed[0];
    assert_eq!(
        (usage.input_tokens, context.tokens, context.window, context.estimated),
        (1_234, 1_290, Some(WINDOW), false)
    );
    let (usage, context) = completed[1];
    assert!(context.estimated);
    // The estimate is near the real size: more than the first request, well under twice it.
    assert!(usage.input_tokens > 1_290 && usage.input_tokens < 2_600, "{usage:?}");
    assert!(context.tokens >= usage.input_tokens);
}
