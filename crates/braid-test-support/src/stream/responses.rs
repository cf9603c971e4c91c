//! The OpenAI Responses event stream: `response.created`, per output item its added/delta/done events,
//! then `response.completed` with every item and the usage. Every event carries its `type` and an
//! increasing `sequence_number`, as the real service sends them, so that clients such as Codex CLI accept
//! the stream.

use serde_json::{Value, json};

use super::{Context, SseEvent, fresh_id, now_secs};
use crate::script::{Block, Turn, pieces};

/// Numbers events as they are emitted and collects them.
struct Emitter {
    events: Vec<SseEvent>,
}

impl Emitter {
    fn emit(&mut self, kind: &str, mut payload: Value) {
        if let Value::Object(map) = &mut payload {
            map.insert("type".to_owned(), json!(kind));
            map.insert("sequence_number".to_owned(), json!(self.events.len()));
        }
        self.events.push(SseEvent::named(kind, &payload));
    }
}

/// Returns the response object in the given state, as `response.created` and friends carry it.
fn response_object(
    id: &str,
    created_at: u64,
    ctx: &Context,
    status: &str,
    output: Vec<Value>,
    usage: Value,
    error: Value,
) -> Value {
    json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": error,
        "incomplete_details": null,
        "model": ctx.model,
        "output": output,
        "parallel_tool_calls": true,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    })
}

/// Returns the events of a complete response carrying `turn`.
pub(super) fn turn_events(turn: &Turn, ctx: &Context) -> Vec<SseEvent> {
    let mut out = Emitter { events: Vec::new() };
    let id = fresh_id("resp");
    let created_at = now_secs();
    let pending = response_object(&id, created_at, ctx, "in_progress", vec![], Value::Null, Value::Null);
    out.emit("response.created", json!({ "response": pending.clone() }));
    out.emit("response.in_progress", json!({ "response": pending }));

    let mut done_items = Vec::new();
    for (output_index, block) in turn.blocks.iter().enumerate() {
        let item = match block {
            Block::Text(text) => message(&mut out, output_index, text),
            Block::Reasoning(summary) => reasoning(&mut out, output_index, summary),
            Block::ToolCall { call_id, name, arguments } => {
                function_call(&mut out, output_index, call_id, name, arguments)
            }
        };
        out.emit("response.output_item.done", json!({ "output_index": output_index, "item": item.clone() }));
        done_items.push(item);
    }

    let reasoning_tokens =
        if turn.blocks.iter().any(|block| matches!(block, Block::Reasoning(_))) { turn.output_tokens / 2 } else { 0 };
    let usage = json!({
        "input_tokens": turn.input_tokens,
        "input_tokens_details": { "cached_tokens": 0 },
        "output_tokens": turn.output_tokens,
        "output_tokens_details": { "reasoning_tokens": reasoning_tokens },
        "total_tokens": turn.input_tokens + turn.output_tokens,
    });
    let done = response_object(&id, created_at, ctx, "completed", done_items, usage, Value::Null);
    out.emit("response.completed", json!({ "response": done }));
    out.events
}

/// Emits an assistant message item's events and returns the finished item.
fn message(out: &mut Emitter, output_index: usize, text: &str) -> Value {
    let item_id = fresh_id("msg");
    out.emit(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": { "id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": [] },
        }),
    );
    let at = json!({ "item_id": item_id, "output_index": output_index, "content_index": 0 });
    let with = |extra: Value| merge(&at, extra);
    out.emit(
        "response.content_part.added",
        with(json!({ "part": { "type": "output_text", "text": "", "annotations": [] } })),
    );
    for piece in pieces(text) {
        out.emit("response.output_text.delta", with(json!({ "delta": piece, "logprobs": [] })));
    }
    out.emit("response.output_text.done", with(json!({ "text": text, "logprobs": [] })));
    let part = json!({ "type": "output_text", "text": text, "annotations": [] });
    out.emit("response.content_part.done", with(json!({ "part": part.clone() })));
    json!({ "id": item_id, "type": "message", "status": "completed", "role": "assistant", "content": [part] })
}

/// Emits a reasoning item's summary events and returns the finished item.
fn reasoning(out: &mut Emitter, output_index: usize, summary: &str) -> Value {
    let item_id = fresh_id("rs");
    out.emit(
        "response.output_item.added",
        json!({ "output_index": output_index, "item": { "id": item_id, "type": "reasoning", "summary": [] } }),
    );
    let at = json!({ "item_id": item_id, "output_index": output_index, "summary_index": 0 });
    let with = |extra: Value| merge(&at, extra);
    out.emit("response.reasoning_summary_part.added", with(json!({ "part": { "type": "summary_text", "text": "" } })));
    for piece in pieces(summary) {
        out.emit("response.reasoning_summary_text.delta", with(json!({ "delta": piece })));
    }
    out.emit("response.reasoning_summary_text.done", with(json!({ "text": summary })));
    let part = json!({ "type": "summary_text", "text": summary });
    out.emit("response.reasoning_summary_part.done", with(json!({ "part": part.clone() })));
    json!({ "id": item_id, "type": "reasoning", "summary": [part] })
}

/// Emits a function call item's events and returns the finished item.
fn function_call(out: &mut Emitter, output_index: usize, call_id: &str, name: &str, arguments: &str) -> Value {
    let item_id = fresh_id("fc");
    out.emit(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": {
                "type": "function_call", "id": item_id, "call_id": call_id, "name": name,
                "arguments": "", "status": "in_progress",
            },
        }),
    );
    let at = json!({ "item_id": item_id, "output_index": output_index });
    for piece in pieces(arguments) {
        out.emit("response.function_call_arguments.delta", merge(&at, json!({ "delta": piece })));
    }
    out.emit("response.function_call_arguments.done", merge(&at, json!({ "arguments": arguments })));
    json!({
        "type": "function_call", "id": item_id, "call_id": call_id, "name": name,
        "arguments": arguments, "status": "completed",
    })
}

/// Returns `base` with the fields of `extra` added; both are JSON objects built in this module.
fn merge(base: &Value, extra: Value) -> Value {
    let mut merged = base.clone();
    if let (Value::Object(into), Value::Object(from)) = (&mut merged, extra) {
        into.extend(from);
    }
    merged
}

/// Returns `response.created` followed by `response.failed` carrying `code` and `message`.
pub(super) fn failed_events(code: &str, message: &str, ctx: &Context) -> Vec<SseEvent> {
    let mut out = Emitter { events: Vec::new() };
    let id = fresh_id("resp");
    let created_at = now_secs();
    let pending = response_object(&id, created_at, ctx, "in_progress", vec![], Value::Null, Value::Null);
    out.emit("response.created", json!({ "response": pending }));
    let error = json!({ "code": code, "message": message });
    let failed = response_object(&id, created_at, ctx, "failed", vec![], Value::Null, error);
    out.emit("response.failed", json!({ "response": failed }));
    out.events
}
