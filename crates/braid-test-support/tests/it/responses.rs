//! The Responses stream: event order, sequence numbers, delta reassembly, items and usage.

use braid_test_support::{Script, ScriptedServer, Turn, Wire};
use serde_json::json;

use crate::support::{count, joined, names, stream};

#[tokio::test]
async fn streams_a_full_turn_in_order() {
    let turn = Turn::new()
        .reasoning("Let me look around.")
        .text("I will list the files.")
        .tool_call("call_1", "shell", json!({"command": ["ls", "-la"]}))
        .usage(100, 40);
    let server = ScriptedServer::start(Script::new([braid_test_support::Reply::Turn(turn)]));
    let request = json!({"model": "gpt-test", "input": "hi", "stream": false});
    let events = stream(&server.base_url(), "/responses", &request).await;

    let kinds = names(&events);
    assert_eq!(kinds.first().unwrap(), "response.created");
    assert_eq!(kinds.last().unwrap(), "response.completed");
    for (index, event) in events.iter().enumerate() {
        let json = event.json();
        assert_eq!(json["type"], event.event.clone().unwrap(), "type matches the event line");
        assert_eq!(json["sequence_number"], index, "sequence numbers count up from 0");
    }
    let created = events[0].json();
    assert_eq!(created["response"]["status"], "in_progress");
    assert!(created["response"]["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(created["response"]["model"], "gpt-test");

    // Every kind of item opens and closes, and deltas come in several pieces that reassemble.
    assert_eq!(count(&events, "response.output_item.added"), 3);
    assert_eq!(count(&events, "response.output_item.done"), 3);
    assert!(count(&events, "response.output_text.delta") > 1);
    assert_eq!(joined(&events, "response.output_text.delta", "/delta"), "I will list the files.");
    assert_eq!(joined(&events, "response.reasoning_summary_text.delta", "/delta"), "Let me look around.");
    let arguments = joined(&events, "response.function_call_arguments.delta", "/delta");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&arguments).unwrap(), json!({"command": ["ls", "-la"]}));
    assert!(count(&events, "response.function_call_arguments.delta") > 1);

    let order: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|kind| kind.contains("reasoning") || kind.contains("content_part") || kind.contains("output_text."))
        .collect();
    assert_eq!(order.first(), Some(&"response.reasoning_summary_part.added"));
    assert!(order.contains(&"response.content_part.done"));

    let added_call = events
        .iter()
        .map(|event| event.json())
        .find(|json| json["type"] == "response.output_item.added" && json["item"]["type"] == "function_call")
        .unwrap();
    assert_eq!(added_call["item"]["call_id"], "call_1");
    assert_eq!(added_call["item"]["name"], "shell");
    assert_eq!(added_call["item"]["arguments"], "");
    assert!(added_call["item"]["id"].as_str().unwrap().starts_with("fc_"));

    let completed = events.last().unwrap().json();
    let response = &completed["response"];
    assert_eq!(response["status"], "completed");
    assert_eq!(response["id"], created["response"]["id"]);
    let output = response["output"].as_array().unwrap();
    assert_eq!(output.len(), 3);
    assert_eq!(output[0]["summary"], json!([{"type": "summary_text", "text": "Let me look around."}]));
    assert_eq!(
        output[1]["content"],
        json!([{"type": "output_text", "text": "I will list the files.", "annotations": []}])
    );
    assert_eq!(output[2]["call_id"], "call_1");
    assert_eq!(response["usage"]["input_tokens"], 100);
    assert_eq!(response["usage"]["output_tokens"], 40);
    assert_eq!(response["usage"]["total_tokens"], 140);
    assert_eq!(response["usage"]["input_tokens_details"]["cached_tokens"], 0);
    assert!(response["usage"]["output_tokens_details"]["reasoning_tokens"].is_u64());

    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].wire(), Wire::Responses);
    assert_eq!(recorded[0].header("Authorization"), Some("Bearer test-key"));
    assert_eq!(recorded[0].user_texts(), vec!["hi".to_owned()]);
    assert_eq!(server.remaining(), 0);
}

#[tokio::test]
async fn raw_arguments_are_sent_verbatim_and_paths_work_without_v1() {
    let turn = Turn::new().tool_call_raw("c9", "read", "{\"path\": ");
    let server = ScriptedServer::start(Script::new([braid_test_support::Reply::Turn(turn)]));
    let root = server.base_url().trim_end_matches("/v1").to_owned();
    let events = stream(&root, "/responses", &json!({"input": []})).await;
    let done = events
        .iter()
        .map(|event| event.json())
        .find(|json| json["type"] == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(done["arguments"], "{\"path\": ");
    assert_eq!(server.requests()[0].path, "/responses");
    assert_eq!(server.requests()[0].wire(), Wire::Responses);
}
