//! `braid model serve`: the embedded engine as an OpenAI-compatible HTTP server on 127.0.0.1, so
//! external agents (Codex CLI, aider) and braid's own parallel attempts share one copy of the weights.
//!
//! Endpoints: `GET /v1/models` and `POST /v1/chat/completions` (streaming or not, with tools and
//! `tool_choice`). Every request becomes one engine generation; the engine decodes up to its
//! `parallel` requests together and queues the rest. Errors use OpenAI's body shape
//! (`{"error": {"message", "type", "param", "code"}}`) and never stop the server.

mod wire;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use self::wire::{ChatRequest, ToolChoice};
use crate::engine::{Engine, FinishReason, GenerateRequest, Generation, GenerationEvent, GenerationStats};
use crate::grammar::tool_call_grammar;
use crate::parse::{ParsedCall, ProseFilter, parse_output};
use crate::store::Family;
use crate::template::{ToolSchema, render};

/// What the server serves.
#[derive(Debug, Clone)]
pub struct ServedModel {
    /// The id clients put in `model` (the store name, for example `qwen-coder-1.5b`).
    pub id: String,
    pub family: Family,
}

struct AppState {
    engine: Arc<Engine>,
    model: ServedModel,
    requests: AtomicU64,
}

/// The HTTP routes, ready for `axum::serve`.
pub fn router(engine: Arc<Engine>, model: ServedModel) -> Router {
    let state = Arc::new(AppState { engine, model, requests: AtomicU64::new(0) });
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(not_found)
        .with_state(state)
}

async fn list_models(State(state): State<Arc<AppState>>) -> Response {
    let body = json!({
        "object": "list",
        "data": [{"id": state.model.id, "object": "model", "created": 0, "owned_by": "braid"}],
    });
    axum::Json(body).into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        None,
        "no such endpoint; this server offers GET /v1/models and POST /v1/chat/completions",
    )
}

/// An OpenAI-style error response.
fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": Value::Null, "code": code}});
    (status, axum::Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", None, message)
}

async fn chat_completions(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    // The body is parsed here rather than by axum's extractor so that a malformed request gets an
    // OpenAI-shaped error saying what is wrong, which is what OpenAI clients know how to show.
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_request(&format!("the request body is not a valid chat completion request: {err}")),
    };
    if request.model != state.model.id {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model_not_found"),
            &format!("the model `{}` does not exist here; this server serves `{}`", request.model, state.model.id),
        );
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
    let all_tools = request.tool_schemas();
    let tools: Vec<ToolSchema> = match &choice {
        ToolChoice::Required(Some(name)) => all_tools.into_iter().filter(|t| &t.name == name).collect(),
        ToolChoice::Auto | ToolChoice::None | ToolChoice::Required(None) => all_tools,
    };
    // `none` keeps the tools in the prompt (the model still knows them, and the prompt shares its
    // KV-cache prefix with the conversation's other requests) but applies no grammar and reads no
    // calls back: the whole output is the message, even where it quotes a call.
    let text_only = choice == ToolChoice::None;
    let mut generate = GenerateRequest::new(render(state.model.family, &messages, &tools));
    if !text_only {
        generate.grammar = tool_call_grammar(&tools, matches!(choice, ToolChoice::Required(_)));
    }
    if let Some(max) = request.max_completion_tokens.or(request.max_tokens) {
        generate.max_tokens = max;
    }
    if let Some(temperature) = request.temperature {
        generate.temperature = temperature;
    }
    if let Some(seed) = request.seed {
        generate.seed = seed;
    }
    generate.stop = request.stop_strings();
    let number = state.requests.fetch_add(1, Ordering::Relaxed);
    let reply = Reply {
        id: format!("chatcmpl-braid-{number}"),
        model: state.model.id.clone(),
        created: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        tool_names: tools.iter().map(|t| t.name.clone()).collect(),
        text_only,
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
    tool_names: Vec<String>,
    /// `tool_choice` was `none`: all of the output is content.
    text_only: bool,
}

impl Reply {
    fn parse(&self, text: &str) -> (String, Vec<ParsedCall>) {
        if self.text_only {
            return (text.trim().to_string(), Vec::new());
        }
        let parsed = parse_output(text, &self.tool_names);
        (parsed.content, parsed.calls)
    }

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
    let mut text = String::new();
    let stats = loop {
        match generation.recv().await {
            Some(GenerationEvent::Text(piece)) => text.push_str(&piece),
            Some(GenerationEvent::Done(stats)) => break stats,
            Some(GenerationEvent::Failed(err)) => {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, &err.to_string());
            }
            None => {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, "the inference worker stopped");
            }
        }
    };
    let (content, calls) = reply.parse(&text);
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
    let prose = if reply.text_only { ProseFilter::plain() } else { ProseFilter::default() };
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
    let body = Body::from_stream(futures::StreamExt::chain(head, frames));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| {
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, "could not build the response")
        })
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
        let (_, calls) = self.reply.parse(self.prose.text());
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
    use tokio::sync::mpsc;

    use super::*;

    /// Output that quotes a call to an offered tool, as a summary of the session might.
    const QUOTING: &str = "I ran <tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call> and {\"name\": \"read_file\"} too.";

    fn generation(text: &str) -> Generation {
        let (tx, rx) = mpsc::unbounded_channel();
        // Split mid-marker, the way tokens arrive.
        for piece in [&text[..12], &text[12..]] {
            tx.send(GenerationEvent::Text(piece.to_string())).unwrap();
        }
        let stats = GenerationStats {
            prompt_tokens: 10,
            cached_tokens: 0,
            completion_tokens: 5,
            finish: FinishReason::Stop,
            prompt_seconds: 0.0,
            decode_seconds: 0.0,
        };
        tx.send(GenerationEvent::Done(stats)).unwrap();
        rx
    }

    fn reply(text_only: bool) -> Reply {
        Reply {
            id: "chatcmpl-t".into(),
            model: "m".into(),
            created: 0,
            tool_names: vec!["read_file".into()],
            text_only,
        }
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn text_only_replies_keep_call_shaped_text_as_content() {
        let whole: Value =
            serde_json::from_str(&body(whole_reply(reply(true), generation(QUOTING)).await).await).unwrap();
        let choice = &whole["choices"][0];
        assert_eq!(choice["message"]["content"], QUOTING, "{whole}");
        assert!(choice["message"].get("tool_calls").is_none(), "{whole}");
        assert_eq!(choice["finish_reason"], "stop");

        let streamed = body(stream_reply(reply(true), generation(QUOTING), false)).await;
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
        let whole: Value =
            serde_json::from_str(&body(whole_reply(reply(false), generation(QUOTING)).await).await).unwrap();
        assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls", "{whole}");
        assert_eq!(whole["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "read_file");
    }
}
