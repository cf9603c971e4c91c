//! The scripted model server: an axum app on 127.0.0.1 that records every request, answers each model
//! request with the next scripted reply rendered in that request's wire format, and checks afterwards that
//! the client answered every delivered tool call exactly once.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::background::Background;
use crate::check::{Entry, problems};
use crate::request::{RecordedRequest, Wire};
use crate::script::{Reply, Script};
use crate::stream::{Context, SseEvent, failed_events, fresh_id, turn_events};

/// Chooses the reply to each model request from the request itself, for sessions too long to script
/// reply by reply (a thousand turns with compactions wherever the client decides to compact).
pub type Responder = Box<dyn FnMut(&RecordedRequest) -> Reply + Send>;

/// What the server remembers between requests.
#[derive(Default)]
struct Shared {
    replies: VecDeque<Reply>,
    responder: Option<Responder>,
    /// Whether requests are kept for `requests()` and the tool-call check; long benchmarks turn this off
    /// so the server's memory does not grow with the session.
    record: bool,
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("replies", &self.replies.len())
            .field("responder", &self.responder.is_some())
            .field("record", &self.record)
            .field("entries", &self.entries.len())
            .finish()
    }
}

type SharedState = Arc<Mutex<Shared>>;

/// Locks the shared state, ignoring poisoning: a test that panicked while holding the lock has already
/// failed, and the data stays readable for its report.
fn lock(shared: &SharedState) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A model provider impersonator for tests. It runs on its own thread with its own tokio runtime, so it
/// serves sync tests and async tests alike, and stops when dropped.
#[derive(Debug)]
pub struct ScriptedServer {
    shared: SharedState,
    server: Background,
}

impl ScriptedServer {
    /// Starts the server on 127.0.0.1 on a free port and returns once it accepts connections.
    ///
    /// Panics when no port can be bound or the runtime cannot be built, which only a broken test
    /// environment causes.
    pub fn start(script: Script) -> ScriptedServer {
        ScriptedServer::serve(Shared { replies: script.0.into(), record: true, ..Shared::default() })
    }

    /// Starts a server that answers every model request with `responder`'s reply. With `record` off it
    /// keeps no requests, so `requests()` is empty and the tool-call check has nothing to check.
    pub fn start_responder(responder: Responder, record: bool) -> ScriptedServer {
        ScriptedServer::serve(Shared { responder: Some(responder), record, ..Shared::default() })
    }

    fn serve(shared: Shared) -> ScriptedServer {
        let shared = Arc::new(Mutex::new(shared));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = Background::start("scripted server", app);
        ScriptedServer { shared, server }
    }

    /// Returns the API root, e.g. `http://127.0.0.1:41234/v1`; clients append `/responses`,
    /// `/chat/completions` or `/messages`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr())
    }

    /// Returns every request received so far, in arrival order, including 404s and rejected bodies.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).entries.iter().map(|entry| entry.request.clone()).collect()
    }

    /// Returns how many replies of the script have not been played yet.
    pub fn remaining(&self) -> usize {
        lock(&self.shared).replies.len()
    }

    /// Panics, listing every problem, unless each tool call delivered in a completed reply is answered by
    /// exactly one output (and echoed exactly once) in every later request, at least one later request
    /// exists for it, no request answers a call that was never delivered, and no request arrived after the
    /// script ran out.
    pub fn assert_every_tool_call_answered_once(&self) {
        let entries = lock(&self.shared).entries.clone();
        let found = problems(&entries);
        if !found.is_empty() {
            panic!("scripted server: tool calls were not answered exactly once:\n  - {}", found.join("\n  - "));
        }
    }
}

/// Answers every request: records it, then routes it by path.
async fn handle(
    State(shared): State<SharedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let recorded_headers = headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_ascii_lowercase(), value)
        })
        .collect();
    let parsed = serde_json::from_slice::<serde_json::Value>(&body);
    let request = RecordedRequest {
        body_bytes: body.len(),
        path: path.clone(),
        headers: recorded_headers,
        body: match &parsed {
            Ok(value) => value.clone(),
            Err(_) => serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()),
        },
    };
    let record = |request: RecordedRequest, delivered, exhausted| {
        let mut state = lock(&shared);
        if state.record {
            state.entries.push(Entry { request, delivered, exhausted });
        }
    };

    let wire = match Wire::from_path(&path) {
        Some(wire) if method == Method::POST => wire,
        _ => {
            record(request, Vec::new(), false);
            let message = format!(
                "scripted server: no route for {method} {path}; use POST /v1/responses, /v1/chat/completions or /v1/messages"
            );
            return json_error(StatusCode::NOT_FOUND, &message);
        }
    };
    if let Err(err) = &parsed {
        let message = format!("scripted server: the request body to {path} is not valid JSON: {err}");
        record(request, Vec::new(), false);
        return json_error(StatusCode::BAD_REQUEST, &message);
    }

    let ctx = Context::from_body(&request.body);
    // Take the reply and record the request under one lock, so concurrent requests cannot interleave
    // between consuming a reply and recording what it delivered.
    let reply = {
        let mut state = lock(&shared);
        let reply = match state.responder.as_mut() {
            Some(responder) => Some(responder(&request)),
            None => state.replies.pop_front(),
        };
        let delivered = match &reply {
            Some(Reply::Turn(turn)) => turn.calls(),
            _ => Vec::new(),
        };
        let exhausted = reply.is_none();
        if state.record {
            state.entries.push(Entry { request, delivered, exhausted });
        }
        reply
    };
    match reply {
        None => {
            let body = json!({ "error": { "message": "scripted server: script exhausted" } });
            plain(StatusCode::INTERNAL_SERVER_ERROR, "application/json", body.to_string(), None)
        }
        Some(Reply::Turn(turn)) => sse(turn_events(wire, &turn, &ctx), Ending::Clean),
        Some(Reply::DropAfter { turn, events }) => {
            let mut all = turn_events(wire, &turn, &ctx);
            all.truncate(events);
            sse(all, Ending::Abort)
        }
        Some(Reply::StallAfter { turn, events }) => {
            let mut all = turn_events(wire, &turn, &ctx);
            all.truncate(events);
            sse(all, Ending::Stall)
        }
        Some(Reply::Failed { code, message }) => sse(failed_events(wire, &code, &message, &ctx), Ending::Clean),
        Some(Reply::Raw { content_type, body }) => plain(StatusCode::OK, &content_type, body, None),
        Some(Reply::HttpError { status, body, retry_after }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let content_type = if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            plain(status, content_type, body, retry_after.as_deref())
        }
    }
}

/// How a streamed reply ends after its events.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// The body ends normally.
    Clean,
    /// The body fails, so hyper aborts the connection and the client sees a broken stream.
    Abort,
    /// The body stays open and silent until the client hangs up or the server stops.
    Stall,
}

/// Returns a streaming `text/event-stream` response sending `events` one per chunk, then ending as told.
fn sse(events: Vec<SseEvent>, ending: Ending) -> Response {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::spawn(async move {
        for event in events {
            if sender.send(Ok(event.encode())).await.is_err() {
                return;
            }
            // Yielding between events lets hyper write them as separate chunks, as a real provider would.
            tokio::task::yield_now().await;
        }
        match ending {
            Ending::Clean => {}
            Ending::Abort => {
                // Give hyper time to flush what was sent, so the client receives those events before the
                // connection breaks rather than losing them with it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = sender.send(Err(io::Error::other("scripted server: dropping the stream"))).await;
            }
            Ending::Stall => sender.closed().await,
        }
    });
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(receiver)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(id) = HeaderValue::from_str(&fresh_id("req")) {
        headers.insert("x-request-id", id);
    }
    response
}

/// Returns a non-streamed response with this status, content type, body and optional `Retry-After`.
fn plain(status: StatusCode, content_type: &str, body: String, retry_after: Option<&str>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(value).ok()) {
        headers.insert(header::RETRY_AFTER, value);
    }
    response
}

/// Returns an OpenAI-style JSON error answer.
fn json_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "error": { "message": message, "type": "invalid_request_error", "param": null, "code": null }
    });
    plain(status, "application/json", body.to_string(), None)
}
