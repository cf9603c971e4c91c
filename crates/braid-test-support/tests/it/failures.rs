//! The unhappy replies: HTTP errors, dropped and stalled streams, in-stream failures, raw bodies, and the
//! server's own rejections (exhausted script, unknown path, non-JSON body).

use std::time::Duration;

use braid_test_support::{Reply, Script, ScriptedServer, Turn};
use serde_json::{Value, json};

use crate::support::{parse_sse, post, stream};

fn a_turn() -> Turn {
    Turn::new().text("some text to stream").tool_call("c1", "shell", json!({"cmd": "ls"}))
}

/// Reads the body chunk by chunk; returns the text received and whether the read ended in an error.
async fn read_until_end(mut response: reqwest::Response) -> (String, bool) {
    let mut text = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
            Ok(None) => return (text, false),
            Err(_) => return (text, true),
        }
    }
}

#[tokio::test]
async fn http_error_carries_status_body_and_retry_after() {
    let server = ScriptedServer::start(Script::new([
        Reply::HttpError {
            status: 429,
            body: r#"{"error":{"message":"slow down"}}"#.to_owned(),
            retry_after: Some("2".to_owned()),
        },
        Reply::HttpError { status: 503, body: "overloaded".to_owned(), retry_after: None },
    ]));
    let response = post(&server.base_url(), "/responses", &json!({})).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["message"], "slow down");

    let response = post(&server.base_url(), "/messages", &json!({})).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(response.text().await.unwrap(), "overloaded");
    server.assert_every_tool_call_answered_once();
}

#[tokio::test]
async fn drop_after_breaks_the_body_after_the_given_events() {
    for (path, events) in [("/responses", 3), ("/chat/completions", 2), ("/messages", 4)] {
        let server = ScriptedServer::start(Script::new([Reply::DropAfter { turn: a_turn(), events }]));
        let response = post(&server.base_url(), path, &json!({"messages": [], "input": []})).await;
        assert_eq!(response.status(), 200);
        let (text, failed) = read_until_end(response).await;
        assert!(failed, "{path}: the body read must fail, got a clean end after {text:?}");
        assert_eq!(parse_sse(&text).len(), events, "{path}: events before the drop");
        // The calls of a dropped reply were never delivered, so nothing is owed for them.
        server.assert_every_tool_call_answered_once();
    }
}

#[tokio::test]
async fn stall_after_goes_silent_with_the_connection_open() {
    let server = ScriptedServer::start(Script::new([Reply::StallAfter { turn: a_turn(), events: 2 }]));
    let mut response = post(&server.base_url(), "/responses", &json!({"input": []})).await;
    let mut text = String::new();
    let outcome = loop {
        match tokio::time::timeout(Duration::from_millis(300), response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
            other => break other,
        }
    };
    assert!(outcome.is_err(), "expected a timeout, got {outcome:?}");
    assert_eq!(parse_sse(&text).len(), 2);
}

#[tokio::test]
async fn failed_uses_each_formats_own_error_shape() {
    let failed = || Reply::Failed { code: "server_error".to_owned(), message: "boom".to_owned() };
    let server = ScriptedServer::start(Script::new([failed(), failed(), failed()]));

    let events = stream(&server.base_url(), "/responses", &json!({})).await;
    let kinds: Vec<_> = events.iter().map(|event| event.event.clone().unwrap()).collect();
    assert_eq!(kinds, ["response.created", "response.failed"]);
    let failure = events[1].json();
    assert_eq!(failure["sequence_number"], 1);
    assert_eq!(failure["response"]["status"], "failed");
    assert_eq!(failure["response"]["error"], json!({"code": "server_error", "message": "boom"}));

    let events = stream(&server.base_url(), "/chat/completions", &json!({})).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].json()["error"]["message"], "boom");
    assert_eq!(events[0].json()["error"]["code"], "server_error");

    let events = stream(&server.base_url(), "/messages", &json!({})).await;
    let kinds: Vec<_> = events.iter().map(|event| event.event.clone().unwrap()).collect();
    assert_eq!(kinds, ["message_start", "error"]);
    assert_eq!(events[1].json()["error"], json!({"type": "server_error", "message": "boom"}));
}

#[tokio::test]
async fn raw_sends_the_body_verbatim() {
    let body = "data: {not json\n\nevent: ???\n";
    let server = ScriptedServer::start(Script::new([Reply::Raw {
        content_type: "text/event-stream".to_owned(),
        body: body.to_owned(),
    }]));
    let response = post(&server.base_url(), "/chat/completions", &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.text().await.unwrap(), body);
}

#[tokio::test]
async fn exhausted_script_answers_500_and_fails_the_assertion() {
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("only one"))]));
    stream(&server.base_url(), "/responses", &json!({})).await;
    assert_eq!(server.remaining(), 0);
    let response = post(&server.base_url(), "/responses", &json!({})).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": {"message": "scripted server: script exhausted"}})
    );
    assert_eq!(server.requests().len(), 2);
    let message = crate::invariant::panic_message(&server);
    assert!(message.contains("after the script ran out"), "{message}");
}

#[tokio::test]
async fn unknown_path_and_non_json_body_are_rejected_and_recorded() {
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("kept"))]));
    let response = post(&server.base_url(), "/embeddings", &json!({})).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("/v1/embeddings"));

    let response = reqwest::Client::new()
        .post(format!("{}/responses", server.base_url()))
        .body("this is not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("not valid JSON"));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/v1/embeddings");
    assert_eq!(requests[0].try_wire(), None);
    assert_eq!(requests[1].body, json!("this is not json"));
    assert_eq!(server.remaining(), 1, "rejected requests consume no reply");
}
