//! Renders a scripted `Turn` (or an in-stream failure) as the SSE events of one wire format. Each module
//! below knows one format's event shapes; this one holds what they share: the event record, its encoding
//! and the per-request context (model name, usage option, fresh ids).

mod anthropic;
mod chat;
mod responses;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::request::Wire;
use crate::script::Turn;

/// One SSE record: an optional `event:` name and one `data:` payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// Returns a record with an `event:` line naming `name` and `data` serialized as JSON.
    pub(crate) fn named(name: &str, data: &serde_json::Value) -> SseEvent {
        SseEvent { event: Some(name.to_owned()), data: data.to_string() }
    }

    /// Returns a record with only a `data:` line.
    pub(crate) fn data(data: impl Into<String>) -> SseEvent {
        SseEvent { event: None, data: data.into() }
    }

    /// Returns the bytes of this record on the wire, blank line included.
    pub(crate) fn encode(&self) -> Bytes {
        let mut out = String::new();
        if let Some(event) = &self.event {
            out.push_str("event: ");
            out.push_str(event);
            out.push('\n');
        }
        out.push_str("data: ");
        out.push_str(&self.data);
        out.push_str("\n\n");
        Bytes::from(out)
    }
}

/// What a rendering needs to know about the request it answers.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The `model` the request named, echoed back as real providers do.
    pub model: String,
    /// Chat Completions only: whether `stream_options.include_usage` asked for a usage chunk.
    pub include_usage: bool,
}

impl Context {
    /// Returns the context for a request body, with a placeholder model name when the body has none.
    pub(crate) fn from_body(body: &serde_json::Value) -> Context {
        Context {
            model: body.get("model").and_then(|model| model.as_str()).unwrap_or("scripted-model").to_owned(),
            include_usage: body
                .pointer("/stream_options/include_usage")
                .and_then(|flag| flag.as_bool())
                .unwrap_or(false),
        }
    }
}

/// Returns a fresh id with this prefix. Ids are unique within the process, which is all clients rely on.
pub(crate) fn fresh_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{n:024x}")
}

/// Returns the current Unix time in seconds, for `created` fields.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// Returns every SSE event of a complete response carrying `turn` in `wire`'s format.
pub(crate) fn turn_events(wire: Wire, turn: &Turn, ctx: &Context) -> Vec<SseEvent> {
    match wire {
        Wire::Responses => responses::turn_events(turn, ctx),
        Wire::Chat => chat::turn_events(turn, ctx),
        Wire::Anthropic => anthropic::turn_events(turn, ctx),
    }
}

/// Returns the SSE events of a response that fails in-stream with `code` and `message`.
pub(crate) fn failed_events(wire: Wire, code: &str, message: &str, ctx: &Context) -> Vec<SseEvent> {
    match wire {
        Wire::Responses => responses::failed_events(code, message, ctx),
        Wire::Chat => chat::failed_events(code, message),
        Wire::Anthropic => anthropic::failed_events(code, message, ctx),
    }
}
