//! `braid model serve`: the embedded engine as an OpenAI-compatible HTTP server on 127.0.0.1, so
//! external agents (Codex CLI, aider) and braid's own parallel attempts share one copy of the weights.
//!
//! Endpoints:
//! - `GET /v1/models`: the one served model.
//! - `POST /v1/chat/completions` (module `chat`): Chat Completions, streaming or not, with tools and
//!   `tool_choice`.
//! - `POST /v1/responses` (module `responses`): the Responses API that Codex CLI speaks, streaming
//!   (server-sent `event:`/`data:` pairs with increasing `sequence_number`s) or not, with function
//!   tools. Only `function` tools reach the model; the built-in kinds OpenAI runs on its side
//!   (`web_search`, `local_shell`, `custom`, `namespace` groups, ...) are ignored, because a local
//!   model cannot run them. Stateless: `previous_response_id` is not supported, the client sends the
//!   whole conversation as `input` each time (as Codex CLI does).
//!
//! Every request becomes one engine generation through the same path: the conversation is rendered
//! with the model family's chat template, the offered tools become a grammar that constrains any call
//! the model makes, and the finished text is split into prose and calls by `parse_output`. The engine
//! decodes up to its `parallel` requests together and queues the rest. Errors use OpenAI's body shape
//! (`{"error": {"message", "type", "param", "code"}}`) and never stop the server. With a
//! [`RequestLog`], every finished generation of either endpoint appends one JSON line of token counts
//! and timings.

mod chat;
mod log;
mod responses;
mod responses_wire;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use self::log::{RequestLog, RequestLogError};
use self::wire::ToolChoice;
use crate::engine::{Engine, GenerateRequest, Generation, GenerationEvent, GenerationStats};
use crate::grammar::tool_call_grammar;
use crate::parse::{ParsedCall, parse_output};
use crate::store::Family;
use crate::template::{ChatMessage, ToolSchema, render};

/// What the server serves.
#[derive(Debug, Clone)]
pub struct ServedModel {
    /// The id clients put in `model` (the store name, for example `qwen-coder-1.5b`).
    pub id: String,
    pub family: Family,
}

/// How the server behaves beyond what it serves.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Where every finished generation is recorded, if anywhere.
    pub request_log: Option<Arc<RequestLog>>,
}

struct AppState {
    engine: Arc<Engine>,
    model: ServedModel,
    options: ServeOptions,
    /// Numbers requests, so every id the server hands out (responses, items, tool calls) is unique.
    requests: AtomicU64,
    /// Distinguishes this server's ids from those of an earlier run, whose calls a client may still
    /// carry in its conversation.
    run: String,
}

impl AppState {
    /// The next request number, as text that is unique for this server's lifetime and unlikely to
    /// repeat across restarts.
    fn next_id(&self) -> String {
        format!("{}{}", self.run, self.requests.fetch_add(1, Ordering::Relaxed))
    }

    /// The 404 every endpoint answers when `model` is not the served one, or `None` when it is.
    fn wrong_model(&self, model: &str) -> Option<Response> {
        (model != self.model.id).then(|| {
            error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("model_not_found"),
                &format!("the model `{model}` does not exist here; this server serves `{}`", self.model.id),
            )
        })
    }

    /// Records a finished generation in the request log, when there is one.
    fn record(&self, endpoint: &str, stats: &GenerationStats) {
        if let Some(log) = &self.options.request_log {
            log.record(endpoint, &self.model.id, stats);
        }
    }
}

/// The HTTP routes, ready for `axum::serve`.
pub fn router(engine: Arc<Engine>, model: ServedModel, options: ServeOptions) -> Router {
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let state = Arc::new(AppState {
        engine,
        model,
        options,
        requests: AtomicU64::new(0),
        run: format!("{:x}", started & 0xff_ffff),
    });
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/v1/responses", post(responses::responses))
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
        "no such endpoint; this server offers GET /v1/models, POST /v1/chat/completions and POST /v1/responses",
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

fn server_error(message: &str) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, message)
}

/// Seconds since the Unix epoch, for `created` fields.
fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// How one request's output is read back: which tools count, and whether calls count at all.
#[derive(Debug, Clone)]
struct Outline {
    tool_names: Vec<String>,
    /// `tool_choice` was `none`: all of the output is content.
    text_only: bool,
}

impl Outline {
    /// The prose and the calls in a finished output.
    fn parse(&self, text: &str) -> (String, Vec<ParsedCall>) {
        if self.text_only {
            return (text.trim().to_string(), Vec::new());
        }
        let parsed = parse_output(text, &self.tool_names);
        (parsed.content, parsed.calls)
    }
}

/// The sampling settings a request may set; each left `None` (or empty) keeps the engine's default.
#[derive(Debug)]
struct Sampling {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    seed: Option<u32>,
    stop: Vec<String>,
}

/// Builds the generation both endpoints run for a conversation: the rendered prompt, unless the tools
/// are off the grammar for calls to them, and the request's sampling settings. Returns it with the
/// outline that reads its output.
fn plan(
    family: Family,
    messages: &[ChatMessage],
    all_tools: Vec<ToolSchema>,
    choice: &ToolChoice,
    sampling: Sampling,
) -> (GenerateRequest, Outline) {
    let tools: Vec<ToolSchema> = match choice {
        ToolChoice::Required(Some(name)) => all_tools.into_iter().filter(|t| &t.name == name).collect(),
        ToolChoice::Auto | ToolChoice::None | ToolChoice::Required(None) => all_tools,
    };
    // `none` keeps the tools in the prompt (the model still knows them, and the prompt shares its
    // KV-cache prefix with the conversation's other requests) but applies no grammar and reads no
    // calls back: the whole output is the message, even where it quotes a call.
    let text_only = *choice == ToolChoice::None;
    let mut generate = GenerateRequest::new(render(family, messages, &tools));
    if !text_only {
        generate.grammar = tool_call_grammar(&tools, matches!(choice, ToolChoice::Required(_)));
    }
    if let Some(max) = sampling.max_tokens {
        generate.max_tokens = max;
    }
    if let Some(temperature) = sampling.temperature {
        generate.temperature = temperature;
    }
    if let Some(seed) = sampling.seed {
        generate.seed = seed;
    }
    generate.stop = sampling.stop;
    let outline = Outline { tool_names: tools.iter().map(|t| t.name.clone()).collect(), text_only };
    (generate, outline)
}

/// Waits for a whole generation. Returns its text and counters, or the message of the engine's
/// failure (also when the worker went away without a word).
async fn collect(generation: &mut Generation) -> Result<(String, GenerationStats), String> {
    let mut text = String::new();
    loop {
        match generation.recv().await {
            Some(GenerationEvent::Text(piece)) => text.push_str(&piece),
            Some(GenerationEvent::Done(stats)) => return Ok((text, stats)),
            Some(GenerationEvent::Failed(err)) => return Err(err.to_string()),
            None => return Err("the inference worker stopped".into()),
        }
    }
}

/// A streamed response body with the headers server-sent events need.
fn event_stream(body: axum::body::Body) -> Response {
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "text/event-stream")
        .header(axum::http::header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| server_error("could not build the response"))
}

#[cfg(test)]
mod test_support {
    use tokio::sync::mpsc;

    use crate::engine::{FinishReason, Generation, GenerationEvent, GenerationStats};
    use crate::error::LocalError;

    /// Counters of a fake generation.
    pub(crate) fn stats(finish: FinishReason) -> GenerationStats {
        GenerationStats {
            prompt_tokens: 10,
            cached_tokens: 2,
            completion_tokens: 5,
            finish,
            prompt_seconds: 0.0,
            decode_seconds: 0.0,
        }
    }

    /// A generation that yields `text` in two pieces split at byte `split` (mid-marker, the way
    /// tokens arrive), then ends with `finish`, or fails when `finish` is `None`.
    pub(crate) fn generation(text: &str, split: usize, finish: Option<FinishReason>) -> Generation {
        let (tx, rx) = mpsc::unbounded_channel();
        for piece in [&text[..split], &text[split..]] {
            tx.send(GenerationEvent::Text(piece.to_string())).unwrap();
        }
        match finish {
            Some(finish) => tx.send(GenerationEvent::Done(stats(finish))).unwrap(),
            None => tx.send(GenerationEvent::Failed(LocalError::Decode { message: "boom".into() })).unwrap(),
        }
        rx
    }

    pub(crate) async fn body(response: axum::response::Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
