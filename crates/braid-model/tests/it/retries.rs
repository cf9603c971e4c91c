//! Retries: rate limits with `Retry-After`, server errors, dropped and stalled streams, in-stream
//! failures, and the budget running out.

use std::time::Duration;

use braid_model::ModelError;
use braid_protocol::{Item, ModelEvent};
use braid_test_support::{Reply, Script, ScriptedServer, Turn};
use serde_json::json;

use crate::{WIRES, assert_standard_items, provider, run, standard_turn};

fn http_error(status: u16, retry_after: Option<&str>) -> Reply {
    Reply::HttpError {
        status,
        body: json!({"error": {"message": format!("status {status}")}}).to_string(),
        retry_after: retry_after.map(str::to_owned),
    }
}

#[tokio::test]
async fn rate_limit_waits_as_long_as_retry_after_says() {
    for wire in WIRES {
        let script = Script::new([http_error(429, Some("0.2")), Reply::Turn(standard_turn())]);
        let server = ScriptedServer::start(script);
        let outcome = run(provider(wire, &server)).await;
        let retries = outcome.retries();
        let [(attempt, max, delay_ms, reason)] = retries.as_slice() else { panic!("{wire:?}: {retries:?}") };
        assert_eq!((*attempt, *max, *delay_ms), (1, 3, 200), "{wire:?}");
        assert!(reason.contains("429"), "{wire:?}: {reason}");
        assert_standard_items(wire, &outcome.final_items());
        assert_eq!(server.requests().len(), 2, "{wire:?}");
    }
}

#[tokio::test]
async fn server_error_is_retried() {
    for wire in WIRES {
        let server = ScriptedServer::start(Script::new([http_error(500, None), Reply::Turn(standard_turn())]));
        let outcome = run(provider(wire, &server)).await;
        let retries = outcome.retries();
        assert_eq!(retries.len(), 1, "{wire:?}: {retries:?}");
        assert!(retries[0].3.contains("500"), "{wire:?}: {}", retries[0].3);
        assert_standard_items(wire, &outcome.final_items());
    }
}

#[tokio::test]
async fn stream_dropped_mid_tool_call_is_retried_and_the_partial_call_never_finishes() {
    for wire in WIRES {
        let partial = Turn::new().tool_call("c0", "shell", json!({"cmd": "rm -rf build"}));
        let script = Script::new([Reply::DropAfter { turn: partial, events: 4 }, Reply::Turn(standard_turn())]);
        let server = ScriptedServer::start(script);
        let outcome = run(provider(wire, &server)).await;
        let retry_at = outcome
            .events
            .iter()
            .position(|e| matches!(e, ModelEvent::Retrying { .. }))
            .unwrap_or_else(|| panic!("{wire:?}: no retry in {:?}", outcome.events));
        let early_items: Vec<_> =
            outcome.events[..retry_at].iter().filter(|e| matches!(e, ModelEvent::ItemDone { .. })).collect();
        assert!(early_items.is_empty(), "{wire:?}: partial items before the retry: {early_items:?}");
        assert_standard_items(wire, &outcome.final_items());
        assert_eq!(server.requests().len(), 2, "{wire:?}");
    }
}

#[tokio::test]
async fn stalled_stream_times_out_and_is_retried() {
    for wire in WIRES {
        let script =
            Script::new([Reply::StallAfter { turn: standard_turn(), events: 2 }, Reply::Turn(standard_turn())]);
        let server = ScriptedServer::start(script);
        let mut provider = provider(wire, &server);
        provider.stream_idle_timeout = Duration::from_millis(300);
        let outcome = run(provider).await;
        let retries = outcome.retries();
        assert_eq!(retries.len(), 1, "{wire:?}: {retries:?}");
        assert!(retries[0].3.contains("idle"), "{wire:?}: {}", retries[0].3);
        assert_standard_items(wire, &outcome.final_items());
    }
}

#[tokio::test]
async fn transient_in_stream_failure_is_retried_and_others_are_not() {
    for wire in WIRES {
        let failed = Reply::Failed { code: "server_error".into(), message: "try again".into() };
        let server = ScriptedServer::start(Script::new([failed, Reply::Turn(Turn::new().text("ok"))]));
        let outcome = run(provider(wire, &server)).await;
        assert_eq!(outcome.retries().len(), 1, "{wire:?}: {:?}", outcome.events);
        assert_eq!(outcome.final_items(), vec![Item::assistant("ok")], "{wire:?}");

        let failed = Reply::Failed { code: "context_length_exceeded".into(), message: "too long".into() };
        let server = ScriptedServer::start(Script::new([failed]));
        let outcome = run(provider(wire, &server)).await;
        let Some(error @ ModelError::Failed { code, message, .. }) = &outcome.error else {
            panic!("{wire:?}: {:?}", outcome.error)
        };
        assert_eq!(code.as_deref(), Some("context_length_exceeded"), "{wire:?}");
        assert_eq!(message, "too long", "{wire:?}");
        assert!(error.to_string().contains(&server.base_url()), "{wire:?}: {error}");
        assert!(outcome.retries().is_empty(), "{wire:?}");
    }
}

#[tokio::test]
async fn exhausted_retries_end_with_the_last_error() {
    for wire in WIRES {
        let script = Script::new([http_error(503, None), http_error(502, None), http_error(500, None)]);
        let server = ScriptedServer::start(script);
        let mut provider = provider(wire, &server);
        provider.retry.max_retries = 2;
        let outcome = run(provider).await;
        let attempts: Vec<_> = outcome.retries().iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(attempts, vec![(1, 2), (2, 2)], "{wire:?}");
        let Some(ModelError::Http { status, .. }) = &outcome.error else { panic!("{wire:?}: {:?}", outcome.error) };
        assert_eq!(*status, 500, "{wire:?}");
        assert_eq!(server.requests().len(), 3, "{wire:?}");
    }
}

#[tokio::test]
async fn retry_after_beyond_the_limit_fails_at_once() {
    for wire in WIRES {
        let server = ScriptedServer::start(Script::new([http_error(429, Some("3600")), Reply::Turn(standard_turn())]));
        let outcome = run(provider(wire, &server)).await;
        let Some(ModelError::Http { status: 429, retry_after, .. }) = &outcome.error else {
            panic!("{wire:?}: {:?}", outcome.error)
        };
        assert_eq!(*retry_after, Some(Duration::from_secs(3600)), "{wire:?}");
        assert!(outcome.retries().is_empty(), "{wire:?}");
        assert_eq!(server.requests().len(), 1, "{wire:?}");
    }
}

#[tokio::test]
async fn stream_that_ends_without_completion_is_retried() {
    let body = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r0\"}}\n\n";
    let raw = Reply::Raw { content_type: "text/event-stream".into(), body: body.into() };
    let server = ScriptedServer::start(Script::new([raw, Reply::Turn(Turn::new().text("ok"))]));
    let outcome = run(provider(braid_model::WireApi::Responses, &server)).await;
    let retries = outcome.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(retries[0].3.contains("ended before"), "{}", retries[0].3);
    assert_eq!(outcome.final_items(), vec![Item::assistant("ok")]);
}

#[tokio::test]
async fn nothing_after_completed_is_read_or_retried() {
    // A completed response followed by garbage: the garbage must not turn a finished response into a
    // failure or a retry, since the caller may already be running its tool calls.
    let body = concat!(
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n",
        "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":0,",
        "\"item\":{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"shell\",\"arguments\":\"{}\"}}\n\n",
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\"}}\n\n",
        "data: {not json\n\n",
    );
    let raw = Reply::Raw { content_type: "text/event-stream".into(), body: body.into() };
    let server = ScriptedServer::start(Script::new([raw]));
    let outcome = run(provider(braid_model::WireApi::Responses, &server)).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert!(outcome.retries().is_empty());
    let call = Item::ToolCall { call_id: "c1".into(), name: "shell".into(), arguments: "{}".into() };
    assert_eq!(outcome.final_items(), vec![call]);
    assert_eq!(server.requests().len(), 1);
}
