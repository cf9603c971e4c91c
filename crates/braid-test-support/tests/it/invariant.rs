//! `assert_every_tool_call_answered_once` over real exchanges in each wire format: it passes on a correct
//! exchange and panics on a missing output, a duplicated output and an output for an unknown call.

use std::panic::{AssertUnwindSafe, catch_unwind};

use braid_test_support::{Reply, Script, ScriptedServer, Turn, Wire};
use serde_json::{Value, json};

use crate::support::{post, stream};

/// Runs the assertion and returns its panic message; fails the test when it does not panic.
pub fn panic_message(server: &ScriptedServer) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| server.assert_every_tool_call_answered_once()));
    let payload = outcome.expect_err("the assertion should have panicked");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().unwrap().to_string(),
    }
}

fn path(wire: Wire) -> &'static str {
    match wire {
        Wire::Responses => "/responses",
        Wire::Chat => "/chat/completions",
        Wire::Anthropic => "/messages",
    }
}

/// The first request of a conversation: instructions, one user message and one tool.
fn first_request(wire: Wire) -> Value {
    match wire {
        Wire::Responses => json!({
            "model": "m", "instructions": "be careful",
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}],
            "tools": [{"type": "function", "name": "shell", "parameters": {}}],
        }),
        Wire::Chat => json!({
            "model": "m",
            "messages": [{"role": "system", "content": "be careful"}, {"role": "user", "content": "go"}],
            "tools": [{"type": "function", "function": {"name": "shell", "parameters": {}}}],
        }),
        Wire::Anthropic => json!({
            "model": "m", "system": "be careful",
            "messages": [{"role": "user", "content": "go"}],
            "tools": [{"name": "shell", "input_schema": {}}],
        }),
    }
}

/// The follow-up request: the first request's history, the echoed calls, then one output per entry of
/// `outputs` (call ids, possibly repeated or unknown).
fn follow_up(wire: Wire, calls: &[&str], outputs: &[&str]) -> Value {
    let mut body = first_request(wire);
    match wire {
        Wire::Responses => {
            let input = body["input"].as_array_mut().unwrap();
            for id in calls {
                input.push(json!({"type": "function_call", "call_id": id, "name": "shell", "arguments": "{}"}));
            }
            for id in outputs {
                input.push(json!({"type": "function_call_output", "call_id": id,
                    "output": [{"type": "input_text", "text": "out"}]}));
            }
        }
        Wire::Chat => {
            let messages = body["messages"].as_array_mut().unwrap();
            let tool_calls: Vec<Value> = calls
                .iter()
                .map(|id| json!({"id": id, "type": "function", "function": {"name": "shell", "arguments": "{}"}}))
                .collect();
            messages.push(json!({"role": "assistant", "content": null, "tool_calls": tool_calls}));
            for id in outputs {
                messages.push(json!({"role": "tool", "tool_call_id": id, "content": "out"}));
            }
        }
        Wire::Anthropic => {
            let messages = body["messages"].as_array_mut().unwrap();
            let uses: Vec<Value> =
                calls.iter().map(|id| json!({"type": "tool_use", "id": id, "name": "shell", "input": {}})).collect();
            messages.push(json!({"role": "assistant", "content": uses}));
            let results: Vec<Value> = outputs
                .iter()
                .map(|id| {
                    json!({"type": "tool_result", "tool_use_id": id,
                    "content": [{"type": "text", "text": "out"}], "is_error": false})
                })
                .collect();
            messages.push(json!({"role": "user", "content": results}));
        }
    }
    body
}

/// Plays a two-request exchange in `wire` where the first reply delivers call `c1`, the follow-up echoes
/// `calls` and answers `outputs`; then checks the assertion passes (`None`) or panics mentioning `expected`.
async fn check(wire: Wire, calls: &[&str], outputs: &[&str], expected: Option<&str>) {
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"cmd": "ls"}))),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let base = server.base_url();
    stream(&base, path(wire), &first_request(wire)).await;
    stream(&base, path(wire), &follow_up(wire, calls, outputs)).await;

    let requests = server.requests();
    assert_eq!(requests[1].wire(), wire);
    assert_eq!(requests[1].instructions().as_deref(), Some("be careful"));
    assert_eq!(requests[1].user_texts(), vec!["go".to_owned()], "{wire:?}");
    assert_eq!(requests[1].tool_names(), vec!["shell".to_owned()]);
    let echoed: Vec<String> = requests[1].tool_calls().into_iter().map(|(id, _)| id).collect();
    assert_eq!(echoed, calls);
    let answered: Vec<(String, String)> = requests[1].tool_outputs();
    let expected_outputs: Vec<(String, String)> =
        outputs.iter().map(|id| ((*id).to_owned(), "out".to_owned())).collect();
    assert_eq!(answered, expected_outputs, "{wire:?}");

    match expected {
        None => server.assert_every_tool_call_answered_once(),
        Some(fragment) => {
            let message = panic_message(&server);
            assert!(message.contains(fragment), "{wire:?}: {message:?} should mention {fragment:?}");
        }
    }
}

const WIRES: [Wire; 3] = [Wire::Responses, Wire::Chat, Wire::Anthropic];

#[tokio::test]
async fn passes_on_a_correct_exchange() {
    for wire in WIRES {
        check(wire, &["c1"], &["c1"], None).await;
    }
}

#[tokio::test]
async fn panics_on_a_missing_output() {
    for wire in WIRES {
        check(wire, &["c1"], &[], Some("carries 0 outputs for tool call \"c1\"")).await;
    }
}

#[tokio::test]
async fn panics_on_a_duplicated_output() {
    for wire in WIRES {
        check(wire, &["c1"], &["c1", "c1"], Some("carries 2 outputs")).await;
    }
}

#[tokio::test]
async fn panics_on_an_output_for_an_unknown_call() {
    for wire in WIRES {
        check(wire, &["c1"], &["c1", "ghost"], Some("\"ghost\", which no earlier completed reply")).await;
    }
}

#[tokio::test]
async fn panics_on_a_call_not_echoed_in_the_history() {
    check(Wire::Chat, &[], &["c1"], Some("echoes tool call \"c1\"")).await;
}

#[tokio::test]
#[should_panic(expected = "was never followed by a request")]
async fn panics_when_no_request_follows_a_delivered_call() {
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().tool_call("c1", "shell", json!({})))]));
    stream(&server.base_url(), "/responses", &first_request(Wire::Responses)).await;
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn later_requests_must_all_keep_the_output() {
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({}))),
        Reply::Turn(Turn::new().text("ok")),
        Reply::Turn(Turn::new().text("ok again")),
    ]));
    let base = server.base_url();
    stream(&base, "/messages", &first_request(Wire::Anthropic)).await;
    stream(&base, "/messages", &follow_up(Wire::Anthropic, &["c1"], &["c1"])).await;
    // The third request forgets the answered call: its history lost the output.
    let response = post(&base, "/messages", &follow_up(Wire::Anthropic, &["c1"], &[])).await;
    assert_eq!(response.status(), 200);
    let message = panic_message(&server);
    assert!(message.contains("request #2 carries 0 outputs"), "{message}");
}
