//! Integration tests of the model clients against the scripted model server on 127.0.0.1: every wire
//! format streams, assembles and retries the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod failures;
mod formats;
mod retries;

use std::collections::BTreeMap;
use std::time::Duration;

use braid_model::{ModelError, ProviderConfig, RetryConfig, WireApi, client_for};
use braid_protocol::{Item, ModelEvent, Prompt, ToolSpec};
use braid_test_support::{ScriptedServer, Turn};
use futures::StreamExt;
use serde_json::json;

/// Every wire format, so each scenario runs against all three.
pub const WIRES: [WireApi; 3] = [WireApi::Responses, WireApi::Chat, WireApi::Anthropic];

/// A provider for `wire` at `server`, with a key from `$BRAID_TEST_KEY`, an extra header, tiny retry
/// delays and a generous idle timeout.
pub fn provider(wire: WireApi, server: &ScriptedServer) -> ProviderConfig {
    ProviderConfig {
        name: "scripted".into(),
        base_url: server.base_url(),
        wire_api: wire,
        api_key: Some("sk-test".into()),
        env_key: Some("BRAID_TEST_KEY".into()),
        headers: BTreeMap::from([("x-braid-test".to_owned(), "yes".to_owned())]),
        retry: RetryConfig {
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(10),
        },
        stream_idle_timeout: Duration::from_secs(10),
    }
}

/// A small prompt offering one tool.
pub fn prompt() -> Prompt {
    Prompt {
        model: "test-model".into(),
        instructions: "You are terse.".into(),
        input: vec![Item::user("list the files")],
        tools: vec![ToolSpec {
            name: "shell".into(),
            description: "Runs a command.".into(),
            parameters: json!({"type": "object", "properties": {"cmd": {"type": "string"}}}),
        }],
        tool_choice: Default::default(),
        reasoning_effort: None,
        max_output_tokens: None,
    }
}

/// The turn most scenarios play: reasoning, text, then a tool call.
pub fn standard_turn() -> Turn {
    Turn::new().reasoning("Thinking it over").text("Hello there").tool_call("c1", "shell", json!({"cmd": "ls -la"}))
}

/// What a client streamed for `prompt()`: every event, and the error the stream ended with, if any.
pub struct Outcome {
    pub events: Vec<ModelEvent>,
    pub error: Option<ModelError>,
}

impl Outcome {
    /// The items that count: those after the last `Created`, when the stream completed.
    pub fn final_items(&self) -> Vec<Item> {
        assert!(
            matches!(self.events.last(), Some(ModelEvent::Completed { .. })),
            "stream did not complete: {:?} / {:?}",
            self.events,
            self.error
        );
        let start =
            self.events.iter().rposition(|e| matches!(e, ModelEvent::Created { .. })).expect("no Created event");
        self.events[start..]
            .iter()
            .filter_map(|e| match e {
                ModelEvent::ItemDone { item } => Some(item.clone()),
                _ => None,
            })
            .collect()
    }

    /// The `Retrying` events, as (attempt, max_attempts, delay_ms, reason).
    pub fn retries(&self) -> Vec<(u32, u32, u64, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::Retrying { attempt, max_attempts, delay_ms, reason } => {
                    Some((*attempt, *max_attempts, *delay_ms, reason.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// Streams `prompt()` through a client for `provider` to the end.
pub async fn run(provider: ProviderConfig) -> Outcome {
    run_prompt(provider, prompt()).await
}

/// Streams `prompt` through a client for `provider` to the end.
pub async fn run_prompt(provider: ProviderConfig, prompt: Prompt) -> Outcome {
    let client = client_for(provider).expect("client builds");
    let mut stream = client.stream(prompt);
    let mut events = Vec::new();
    let mut error = None;
    while let Some(next) = stream.next().await {
        match next {
            Ok(event) => events.push(event),
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    // A stream ends after its error: nothing may follow it.
    assert!(stream.next().await.is_none(), "stream yielded after its end");
    Outcome { events, error }
}

/// Checks that `items` are the standard turn's reasoning, text and tool call.
pub fn assert_standard_items(wire: WireApi, items: &[Item]) {
    let [reasoning, message, call] = items else {
        panic!("{wire:?}: expected three items, got {items:?}");
    };
    let Item::Reasoning { text, encrypted } = reasoning else { panic!("{wire:?}: {reasoning:?}") };
    assert_eq!(text, "Thinking it over", "{wire:?}");
    if wire == WireApi::Anthropic {
        // Thinking blocks must be sent back with their signature, so the client keeps it.
        assert!(encrypted.as_deref().is_some_and(|s| !s.is_empty()), "{wire:?}: no signature kept");
    }
    assert_eq!(message, &Item::assistant("Hello there"), "{wire:?}");
    assert_eq!(
        call,
        &Item::ToolCall { call_id: "c1".into(), name: "shell".into(), arguments: r#"{"cmd":"ls -la"}"#.into() },
        "{wire:?}"
    );
}
