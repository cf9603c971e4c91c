//! The Anthropic Messages stream: message_start, ping, blocks with their deltas, message_delta and
//! message_stop.

use braid_test_support::{Reply, Script, ScriptedServer, Turn, Wire};
use serde_json::{Value, json};

use crate::support::{Event, names, stream};

/// Concatenates `delta.<field>` of the content_block_delta events for block `index`.
fn block_deltas(events: &[Event], index: u64, field: &str) -> String {
    events
        .iter()
        .map(Event::json)
        .filter(|json| json["type"] == "content_block_delta" && json["index"] == index)
        .filter_map(|json| json["delta"][field].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn streams_blocks_in_order() {
    let turn = Turn::new()
        .reasoning("Consider the tree.")
        .text("Reading it.")
        .tool_call("toolu_1", "read_file", json!({"path": "a.txt"}))
        .usage(77, 21);
    let server = ScriptedServer::start(Script::new([Reply::Turn(turn)]));
    let request = json!({
        "model": "claude-test",
        "system": [{"type": "text", "text": "You are terse."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "read a.txt"}]}],
        "tools": [{"name": "read_file", "input_schema": {}}],
    });
    let events = stream(&server.base_url(), "/messages", &request).await;
    for event in &events {
        assert_eq!(event.json()["type"], event.event.clone().unwrap());
    }
    let expected_start = ["message_start", "ping", "content_block_start"];
    assert_eq!(names(&events)[..3], expected_start);
    let tail: Vec<String> = names(&events).into_iter().rev().take(3).collect();
    assert_eq!(tail, ["message_stop", "message_delta", "content_block_stop"]);

    let start = events[0].json();
    assert_eq!(start["message"]["role"], "assistant");
    assert_eq!(start["message"]["model"], "claude-test");
    assert_eq!(start["message"]["content"], json!([]));
    assert_eq!(start["message"]["usage"]["input_tokens"], 77);
    assert!(start["message"]["id"].as_str().unwrap().starts_with("msg_"));

    let starts: Vec<Value> = events
        .iter()
        .map(Event::json)
        .filter(|json| json["type"] == "content_block_start")
        .map(|json| json["content_block"].clone())
        .collect();
    assert_eq!(starts[0]["type"], "thinking");
    assert_eq!(starts[1]["type"], "text");
    assert_eq!(starts[2], json!({"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}));

    assert_eq!(block_deltas(&events, 0, "thinking"), "Consider the tree.");
    assert!(!block_deltas(&events, 0, "signature").is_empty(), "thinking carries a signature");
    assert_eq!(block_deltas(&events, 1, "text"), "Reading it.");
    let input = block_deltas(&events, 2, "partial_json");
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), json!({"path": "a.txt"}));

    let delta = events[events.len() - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 21);

    let recorded = &server.requests()[0];
    assert_eq!(recorded.wire(), Wire::Anthropic);
    assert_eq!(recorded.instructions().as_deref(), Some("You are terse."));
    assert_eq!(recorded.user_texts(), vec!["read a.txt".to_owned()]);
    assert_eq!(recorded.tool_names(), vec!["read_file".to_owned()]);
}

#[tokio::test]
async fn text_only_turn_ends_the_turn() {
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("done"))]));
    let events = stream(&server.base_url(), "/messages", &json!({"messages": []})).await;
    let delta = events[events.len() - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(block_deltas(&events, 0, "text"), "done");
}
