//! `POST /v1/chat/completions`: a Chat Completions request becomes one generation; the answer comes
//! back whole or as `chat.completion.chunk` events (prose as it is generated, tool calls once the
//! output is complete, then the finish reason, the usage when asked for, and `[DONE]`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::wire::ChatRequest;
use super::{AppState, Outline, Sampling, bad_request, collect, event_stream, now_secs, plan, server_error};
use crate::engine::{FinishReason, Generation, GenerationEvent, GenerationStats};
use crate::parse::ProseFilter;

const ENDPOINT: &str = "/v1/chat/completions";

pub(super) async fn chat_completions(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    // The body is parsed here rather than by axum's extractor so that a malformed request gets an
    // OpenAI-shaped error saying what is wrong, which is what OpenAI clients know how to show.
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_request(&format!("the request body is not a valid chat completion request: {err}")),
    };
    if let Some(response) = state.wrong_model(&request.model) {
        return response;
    }
    let messages = match request.chat_messages() {
        Ok(messages) => messages,
        Err(message) => return bad_request(&message),
    };
    if messages.is_empty() {
        return bad_request("messages must not be empty");
    }
    let choice = match request.tool_choice() {
        Ok(choice) => choice,
        Err(message) => return bad_request(&message),
    };
    let sampling = Sampling {
        max_tokens: request.max_completion_tokens.or(request.max_tokens),
        temperature: request.temperature,
        seed: request.seed,
        stop: request.stop_strings(),
    };
    let (generate, outline) = plan(state.model.family, &messages, request.tool_schemas(), &choice, sampling);
    let reply = Reply {
        id: format!("chatcmpl-braid-{}", state.next_id()),
        model: state.model.id.clone(),
        created: now_secs(),
        outline,
        state: Some(Arc::clone(&state)),
    };
    let generation = state.engine.generate(generate);
    if request.stream {
        let include_usage = request.stream_options.as_ref().is_some_and(|o| o.include_usage);
        stream_reply(reply, generation, include_usage)
    } else {
        whole_reply(reply, generation).await
    }
}

/// What every chunk or response of one request shares.
struct Reply {
    id: String,
    model: String,
    created: u64,
    outline: Outline,
    /// The server, for the request log; tests run without one.
    state: Option<Arc<AppState>>,
}

impl Reply {
    fn chunk(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }

    fn call_id(&self, index: usize) -> String {
        format!("call_{}_{index}", self.id.trim_start_matches("chatcmpl-"))
    }

    fn record(&self, stats: &GenerationStats) {
        if let Some(state) = &self.state {
            state.record(ENDPOINT, stats);
        }
    }
}

fn finish_reason(stats: &GenerationStats, calls: usize) -> &'static str {
    match (calls, stats.finish) {
        (1.., _) => "tool_calls",
        (0, FinishReason::Stop) => "stop",
        (0, FinishReason::Length) => "length",
    }
}

fn usage(stats: &GenerationStats) -> Value {
    json!({
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.cached_tokens},
    })
}

async fn whole_reply(reply: Reply, mut generation: Generation) -> Response {
    let (text, stats) = match collect(&mut generation).await {
        Ok(done) => done,
        Err(message) => return server_error(&message),
    };
    reply.record(&stats);
    let (content, calls) = reply.outline.parse(&text);
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(index, call)| {
            json!({"id": reply.call_id(index), "type": "function", "function": {"name": call.name, "arguments": call.arguments.to_string()}})
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": if content.is_empty() && !calls.is_empty() { Value::Null } else { Value::String(content) }});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let body = json!({
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(&stats, calls.len())}],
        "usage": usage(&stats),
    });
    axum::Json(body).into_response()
}

/// Streams server-sent events: prose as it is generated, tool calls once the output is complete,
/// then the finish reason, the usage when asked for, and `[DONE]`.
fn stream_reply(reply: Reply, generation: Generation, include_usage: bool) -> Response {
    let first =
        reply.chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": Value::Null}]));
    let prose = if reply.outline.text_only { ProseFilter::plain() } else { ProseFilter::default() };
    let state = StreamState { reply, generation, prose, include_usage, done: false };
    let rest = futures::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let event = state.generation.recv().await;
        let frames = state.on(event);
        Some((futures::stream::iter(frames.into_iter().map(Ok::<_, Infallible>)), state))
    });
    let frames = futures::StreamExt::flatten(rest);
    let head = futures::stream::once(futures::future::ready(Ok::<_, Infallible>(frame(&first))));
    event_stream(Body::from_stream(futures::StreamExt::chain(head, frames)))
}

struct StreamState {
    reply: Reply,
    generation: Generation,
    prose: ProseFilter,
    include_usage: bool,
    done: bool,
}

impl StreamState {
    fn on(&mut self, event: Option<GenerationEvent>) -> Vec<Bytes> {
        match event {
            Some(GenerationEvent::Text(piece)) => match self.prose.push(&piece) {
                Some(delta) => {
                    vec![frame(
                        &self
                            .reply
                            .chunk(json!([{"index": 0, "delta": {"content": delta}, "finish_reason": Value::Null}])),
                    )]
                }
                None => Vec::new(),
            },
            Some(GenerationEvent::Done(stats)) => {
                self.done = true;
                self.reply.record(&stats);
                self.finish(&stats)
            }
            Some(GenerationEvent::Failed(err)) => {
                self.done = true;
                let body = json!({"error": {"message": err.to_string(), "type": "server_error", "param": Value::Null, "code": Value::Null}});
                vec![frame(&body)]
            }
            None => {
                self.done = true;
                let body = json!({"error": {"message": "the inference worker stopped", "type": "server_error", "param": Value::Null, "code": Value::Null}});
                vec![frame(&body)]
            }
        }
    }

    fn finish(&mut self, stats: &GenerationStats) -> Vec<Bytes> {
        let (_, calls) = self.reply.outline.parse(self.prose.text());
        let mut frames = Vec::new();
        if !calls.is_empty() {
            let deltas: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(index, call)| {
                    json!({
                        "index": index,
                        "id": self.reply.call_id(index),
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments.to_string()},
                    })
                })
                .collect();
            let chunk = json!([{"index": 0, "delta": {"tool_calls": deltas}, "finish_reason": Value::Null}]);
            frames.push(frame(&self.reply.chunk(chunk)));
        }
        let reason = finish_reason(stats, calls.len());
        frames.push(frame(&self.reply.chunk(json!([{"index": 0, "delta": {}, "finish_reason": reason}]))));
        if self.include_usage {
            let mut chunk = self.reply.chunk(json!([]));
            chunk["usage"] = usage(stats);
            frames.push(frame(&chunk));
        }
        frames.push(Bytes::from_static(b"data: [DONE]\n\n"));
        frames
    }
}

fn frame(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{body, generation};
    use super::*;

    /// Output that quotes a call to an offered tool, as a summary of the session might.
    const QUOTING: &str = "I ran <tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call> and {\"name\": \"read_file\"} too.";

    fn quoting() -> Generation {
        generation(QUOTING, 12, Some(FinishReason::Stop))
    }

    fn reply(text_only: bool) -> Reply {
        Reply {
            id: "chatcmpl-t".into(),
            model: "m".into(),
            created: 0,
            outline: Outline { tool_names: vec!["read_file".into()], text_only },
            state: None,
        }
    }

    #[tokio::test]
    async fn text_only_replies_keep_call_shaped_text_as_content() {
        let whole: Value = serde_json::from_str(&body(whole_reply(reply(true), quoting()).await).await).unwrap();
        let choice = &whole["choices"][0];
        assert_eq!(choice["message"]["content"], QUOTING, "{whole}");
        assert!(choice["message"].get("tool_calls").is_none(), "{whole}");
        assert_eq!(choice["finish_reason"], "stop");

        let streamed = body(stream_reply(reply(true), quoting(), false)).await;
        let chunks: Vec<Value> = streamed
            .split("\n\n")
            .filter_map(|frame| frame.strip_prefix("data: "))
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).unwrap())
            .collect();
        let content: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
        assert_eq!(content, QUOTING);
        assert!(!streamed.contains("tool_calls"), "{streamed}");
    }

    #[tokio::test]
    async fn auto_replies_still_read_the_call() {
        let whole: Value = serde_json::from_str(&body(whole_reply(reply(false), quoting()).await).await).unwrap();
        assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls", "{whole}");
        assert_eq!(whole["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "read_file");
    }
}
