//! The Anthropic Messages event stream: `message_start`, a `ping`, per content block its start, deltas and
//! stop, then `message_delta` with the stop reason and output usage, and `message_stop`.

use serde_json::{Value, json};

use super::{Context, SseEvent, fresh_id};
use crate::script::{Block, Turn, pieces};

/// Returns the `message_start` event with an empty message and the input usage.
fn message_start(ctx: &Context, input_tokens: u64) -> SseEvent {
    let message = json!({
        "id": fresh_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": [],
        "stop_reason": null,
        "stop_sequence": null,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        },
    });
    named("message_start", json!({ "message": message }))
}

/// Returns an event whose `data` also carries its name as `type`, as Anthropic sends them.
fn named(kind: &str, mut payload: Value) -> SseEvent {
    if let Value::Object(map) = &mut payload {
        map.insert("type".to_owned(), json!(kind));
    }
    SseEvent::named(kind, &payload)
}

/// Returns a `content_block_delta` event for block `index`.
fn delta(index: usize, delta: Value) -> SseEvent {
    named("content_block_delta", json!({ "index": index, "delta": delta }))
}

/// Returns the events of a complete message carrying `turn`.
pub(super) fn turn_events(turn: &Turn, ctx: &Context) -> Vec<SseEvent> {
    let mut events = vec![message_start(ctx, turn.input_tokens), named("ping", json!({}))];
    for (index, block) in turn.blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                let start = json!({ "type": "text", "text": "" });
                events.push(named("content_block_start", json!({ "index": index, "content_block": start })));
                for piece in pieces(text) {
                    events.push(delta(index, json!({ "type": "text_delta", "text": piece })));
                }
            }
            Block::Reasoning(summary) => {
                let start = json!({ "type": "thinking", "thinking": "", "signature": "" });
                events.push(named("content_block_start", json!({ "index": index, "content_block": start })));
                for piece in pieces(summary) {
                    events.push(delta(index, json!({ "type": "thinking_delta", "thinking": piece })));
                }
                let signature = fresh_id("sig");
                events.push(delta(index, json!({ "type": "signature_delta", "signature": signature })));
            }
            Block::ToolCall { call_id, name, arguments } => {
                let start = json!({ "type": "tool_use", "id": call_id, "name": name, "input": {} });
                events.push(named("content_block_start", json!({ "index": index, "content_block": start })));
                for piece in pieces(arguments) {
                    events.push(delta(index, json!({ "type": "input_json_delta", "partial_json": piece })));
                }
            }
        }
        events.push(named("content_block_stop", json!({ "index": index })));
    }
    let stop_reason = if turn.has_tool_calls() { "tool_use" } else { "end_turn" };
    events.push(named(
        "message_delta",
        json!({
            "delta": { "stop_reason": stop_reason, "stop_sequence": null },
            "usage": { "output_tokens": turn.output_tokens },
        }),
    ));
    events.push(named("message_stop", json!({})));
    events
}

/// Returns `message_start` followed by an `error` event carrying `code` as the error type.
pub(super) fn failed_events(code: &str, message: &str, ctx: &Context) -> Vec<SseEvent> {
    vec![message_start(ctx, 0), named("error", json!({ "error": { "type": code, "message": message } }))]
}
