//! The Chat Completions stream: chunk shape, role first, content/reasoning/tool-call fragments by index,
//! finish reason, the optional usage chunk and `[DONE]`.

use braid_test_support::{Reply, Script, ScriptedServer, Turn, Wire};
use serde_json::{Value, json};

use crate::support::stream;

/// Concatenates `delta.<field>` across chunks.
fn deltas(chunks: &[Value], field: &str) -> String {
    chunks.iter().filter_map(|chunk| chunk["choices"][0]["delta"][field].as_str()).collect()
}

#[tokio::test]
async fn streams_chunks_with_tool_calls_usage_and_done() {
    let turn = Turn::new()
        .reasoning("thinking hard")
        .text("Two calls coming.")
        .tool_call("call_a", "shell", json!({"command": "ls"}))
        .tool_call("call_b", "read_file", json!({"path": "src/main.rs"}))
        .usage(50, 9);
    let server = ScriptedServer::start(Script::new([Reply::Turn(turn)]));
    let request = json!({
        "model": "llama-test",
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "list"},
        ],
        "tools": [{"type": "function", "function": {"name": "shell", "parameters": {}}}],
    });
    let events = stream(&server.base_url(), "/chat/completions", &request).await;

    assert!(events.iter().all(|event| event.event.is_none()), "chat uses data: lines only");
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|event| event.json()).collect();
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["model"], "llama-test");
        assert!(chunk["created"].is_u64());
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(deltas(&chunks, "content"), "Two calls coming.");
    assert_eq!(deltas(&chunks, "reasoning_content"), "thinking hard");

    // Assemble tool calls by index, the way clients must.
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for chunk in &chunks {
        for fragment in chunk["choices"][0]["delta"]["tool_calls"].as_array().into_iter().flatten() {
            let index = fragment["index"].as_u64().unwrap() as usize;
            if let Some(call_id) = fragment["id"].as_str() {
                assert_eq!(index, calls.len(), "a new call opens the next index");
                assert_eq!(fragment["type"], "function");
                let name = fragment["function"]["name"].as_str().unwrap().to_owned();
                calls.push((call_id.to_owned(), name, String::new()));
            }
            calls[index].2 += fragment["function"]["arguments"].as_str().unwrap();
        }
    }
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].0.as_str(), calls[0].1.as_str()), ("call_a", "shell"));
    assert_eq!(serde_json::from_str::<Value>(&calls[1].2).unwrap(), json!({"path": "src/main.rs"}));

    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(
        usage["usage"],
        json!({"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59, "prompt_tokens_details": {"cached_tokens": 0}})
    );

    let recorded = &server.requests()[0];
    assert_eq!(recorded.wire(), Wire::Chat);
    assert_eq!(recorded.instructions().as_deref(), Some("be brief"));
    assert_eq!(recorded.user_texts(), vec!["list".to_owned()]);
    assert_eq!(recorded.tool_names(), vec!["shell".to_owned()]);
}

#[tokio::test]
async fn text_only_turn_stops_and_omits_usage_unless_asked() {
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("hello"))]));
    let events = stream(&server.base_url(), "/chat/completions", &json!({"messages": []})).await;
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|event| event.json()).collect();
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(chunks.iter().all(|chunk| chunk.get("usage").is_none()));
    assert_eq!(deltas(&chunks, "content"), "hello");
}
