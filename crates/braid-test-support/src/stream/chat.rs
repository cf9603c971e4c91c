//! The Chat Completions chunk stream: `data:` lines only, a role delta first, content, reasoning and
//! tool-call fragments, a finishing chunk, an optional usage chunk and the `[DONE]` sentinel.

use serde_json::{Value, json};

use super::{Context, SseEvent, fresh_id, now_secs};
use crate::script::{Block, Turn, pieces};

/// Builds chunks that share the completion's id, timestamp and model.
struct Chunks {
    id: String,
    created: u64,
    model: String,
    events: Vec<SseEvent>,
}

impl Chunks {
    fn push(&mut self, delta: Value, finish_reason: Value) {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        });
        self.events.push(SseEvent::data(chunk.to_string()));
    }
}

/// Returns the chunks of a complete completion carrying `turn`, `[DONE]` included.
pub(super) fn turn_events(turn: &Turn, ctx: &Context) -> Vec<SseEvent> {
    let mut out = Chunks {
        id: fresh_id("chatcmpl").replacen('_', "-", 1),
        created: now_secs(),
        model: ctx.model.clone(),
        events: Vec::new(),
    };
    out.push(json!({ "role": "assistant" }), Value::Null);
    let mut tool_index = 0;
    for block in &turn.blocks {
        match block {
            Block::Text(text) => {
                for piece in pieces(text) {
                    out.push(json!({ "content": piece }), Value::Null);
                }
            }
            Block::Reasoning(summary) => {
                for piece in pieces(summary) {
                    out.push(json!({ "reasoning_content": piece }), Value::Null);
                }
            }
            Block::ToolCall { call_id, name, arguments } => {
                let opening = json!({
                    "index": tool_index, "id": call_id, "type": "function",
                    "function": { "name": name, "arguments": "" },
                });
                out.push(json!({ "tool_calls": [opening] }), Value::Null);
                for piece in pieces(arguments) {
                    let fragment = json!({ "index": tool_index, "function": { "arguments": piece } });
                    out.push(json!({ "tool_calls": [fragment] }), Value::Null);
                }
                tool_index += 1;
            }
        }
    }
    let finish = if turn.has_tool_calls() { "tool_calls" } else { "stop" };
    out.push(json!({}), json!(finish));
    if ctx.include_usage {
        let usage = json!({
            "id": out.id,
            "object": "chat.completion.chunk",
            "created": out.created,
            "model": out.model,
            "choices": [],
            "usage": {
                "prompt_tokens": turn.input_tokens,
                "completion_tokens": turn.output_tokens,
                "total_tokens": turn.input_tokens + turn.output_tokens,
                "prompt_tokens_details": { "cached_tokens": 0 },
            },
        });
        out.events.push(SseEvent::data(usage.to_string()));
    }
    out.events.push(SseEvent::data("[DONE]"));
    out.events
}

/// Returns the single error chunk OpenAI-compatible servers send when a stream fails midway.
pub(super) fn failed_events(code: &str, message: &str) -> Vec<SseEvent> {
    let error = json!({ "error": { "message": message, "type": "server_error", "code": code } });
    vec![SseEvent::data(error.to_string())]
}
