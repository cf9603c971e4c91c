//! The Responses endpoint's output, from fake generations: the streamed event sequence and the
//! whole response object.

use super::super::test_support::{body, generation};
use super::*;

const CALL: &str =
    "Let me look.\n<tool_call>\n{\"name\": \"exec_command\", \"arguments\": {\"cmd\": \"ls\"}}\n</tool_call>";

fn turn(text_only: bool) -> Turn {
    Turn {
        number: "t7".into(),
        model: "m".into(),
        created_at: 1,
        outline: Outline { tool_names: vec!["exec_command".into()], text_only },
        state: None,
    }
}

/// The events of a streamed response as (type, payload), checking the framing on the way: every
/// event's `event:` line matches its payload's `type`, and sequence numbers count up from zero.
async fn events(text: &str, split: usize, finish: Option<FinishReason>) -> Vec<(String, Value)> {
    parse(&body(stream_response(turn(false), generation(text, split, finish), Duration::from_secs(60))).await)
}

/// Parses a streamed body into its events, checking the framing on the way.
fn parse(streamed: &str) -> Vec<(String, Value)> {
    let events: Vec<(String, Value)> = streamed
        .split_terminator("\n\n")
        .map(|frame| {
            let (event, data) = frame.split_once('\n').unwrap();
            let kind = event.strip_prefix("event: ").unwrap().to_string();
            let payload: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(payload["type"], kind.as_str(), "{frame}");
            (kind, payload)
        })
        .collect();
    for (number, (_, payload)) in events.iter().enumerate() {
        assert_eq!(payload["sequence_number"], number as u64, "{payload}");
    }
    events
}

/// Every `output_item.added` is followed by its `output_item.done` before the next item opens.
fn assert_items_pair_up(events: &[(String, Value)]) {
    let mut open: Option<u64> = None;
    for (kind, payload) in events {
        let index = payload["output_index"].as_u64();
        match kind.as_str() {
            "response.output_item.added" => {
                assert_eq!(open, None, "{payload}");
                open = index;
            }
            "response.output_item.done" => {
                assert_eq!(open, index, "{payload}");
                open = None;
            }
            _ => {}
        }
    }
    assert_eq!(open, None);
}

#[tokio::test]
async fn a_streamed_call_after_prose_gives_a_message_then_a_function_call() {
    // Split inside the `<tool_call>` marker, so the filter has to hold back its start.
    let events = events(CALL, 16, Some(FinishReason::Stop)).await;
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_items_pair_up(&events);
    let deltas: String = events.iter().filter_map(|(_, p)| p["delta"].as_str()).collect();
    assert!(deltas.starts_with("Let me look."), "{deltas}");
    assert!(!deltas.contains("<tool"), "call markup leaked: {deltas}");
    assert_eq!(events[0].1["response"]["status"], "in_progress");

    let (_, completed) = events.last().unwrap();
    let response = &completed["response"];
    assert_eq!(response["status"], "completed");
    assert_eq!(response["id"], "resp_t7");
    assert_eq!(response["output"][0]["content"][0]["text"], "Let me look.");
    let call = &response["output"][1];
    assert_eq!(call["type"], "function_call");
    assert_eq!(
        (&call["id"], &call["call_id"], &call["name"]),
        (&json!("fc_t7_0"), &json!("call_t7_0"), &json!("exec_command"))
    );
    let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"cmd": "ls"}));
    assert_eq!(events[8].1["item"]["arguments"], "", "the call opens with empty arguments");
    assert_eq!(
        response["usage"],
        json!({"input_tokens": 10, "input_tokens_details": {"cached_tokens": 2}, "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15})
    );
}

#[tokio::test]
async fn a_bare_call_announces_no_message() {
    let bare = "\n<tool_call>\n{\"name\": \"exec_command\", \"arguments\": {}}\n</tool_call>";
    let events = events(bare, 1, Some(FinishReason::Stop)).await;
    assert_items_pair_up(&events);
    let output = &events.last().unwrap().1["response"]["output"];
    assert_eq!(output.as_array().unwrap().len(), 1, "{output}");
    assert_eq!(output[0]["type"], "function_call");
    assert_eq!(events[2].1["output_index"], 0);
}

#[tokio::test]
async fn prose_only_streams_a_message_and_a_length_cut_is_incomplete() {
    let events = events("Hello there, friend.", 5, Some(FinishReason::Length)).await;
    assert_items_pair_up(&events);
    let done = events.iter().find(|(kind, _)| kind == "response.output_text.done").unwrap();
    assert_eq!(done.1["text"], "Hello there, friend.");
    let response = &events.last().unwrap().1["response"];
    assert_eq!(response["status"], "incomplete");
    assert_eq!(response["incomplete_details"]["reason"], "max_output_tokens");
}

#[tokio::test]
async fn an_engine_failure_ends_the_stream_with_response_failed() {
    let events = events("partial answer", 4, None).await;
    let (kind, payload) = events.last().unwrap();
    assert_eq!(kind, "response.failed");
    assert_eq!(payload["response"]["status"], "failed");
    assert_eq!(payload["response"]["error"]["code"], "server_error");
    assert!(payload["response"]["error"]["message"].as_str().unwrap().contains("boom"));
    assert!(!events.iter().any(|(kind, _)| kind == "response.completed"));
}

#[tokio::test]
async fn a_whole_response_has_the_items_and_usage() {
    let whole = whole_response(turn(false), generation(CALL, 3, Some(FinishReason::Stop))).await;
    let response: Value = serde_json::from_str(&body(whole).await).unwrap();
    assert_eq!(response["object"], "response");
    assert_eq!(response["status"], "completed");
    assert_eq!(response["output"][0]["type"], "message");
    assert_eq!(response["output"][0]["role"], "assistant");
    assert_eq!(response["output"][1]["name"], "exec_command");
    assert_eq!(response["usage"]["total_tokens"], 15);

    // With `tool_choice: none` the call-shaped text is the message.
    let whole = whole_response(turn(true), generation(CALL, 3, Some(FinishReason::Stop))).await;
    let response: Value = serde_json::from_str(&body(whole).await).unwrap();
    assert_eq!(response["output"].as_array().unwrap().len(), 1);
    assert_eq!(response["output"][0]["content"][0]["text"], CALL);

    let failed = whole_response(turn(false), generation("x", 0, None)).await;
    assert_eq!(failed.status(), 500);
}

#[tokio::test]
async fn a_silent_generation_gets_heartbeats() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        tx.send(GenerationEvent::Text("Hi.".into())).unwrap();
        tx.send(GenerationEvent::Done(super::super::test_support::stats(FinishReason::Stop))).unwrap();
    });
    let events = parse(&body(stream_response(turn(false), rx, Duration::from_millis(20))).await);
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    let before_output = kinds.iter().take_while(|kind| **kind != "response.output_item.added");
    let beats = before_output.filter(|kind| **kind == "response.in_progress").count();
    assert!(beats >= 3, "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"response.completed"));
}
