//! `POST /v1/responses`: a Responses API request becomes one generation; the answer comes back as a
//! `response` object, or streamed as its events. A stream opens with `response.created` and
//! `response.in_progress`; prose streams as a message item (`output_item.added`,
//! `content_part.added`, `output_text.delta`s as tokens arrive, then the `.done` events), tool
//! calls follow as `function_call` items once the output is complete (a call is only known when its
//! JSON is), and `response.completed` carries the whole response with its usage. An engine failure
//! ends the stream with `response.failed`. Every event carries its `type` and an increasing
//! `sequence_number`. While nothing else is sent (a long prompt being read, a call being written,
//! since calls are only sent once complete) a `response.in_progress` event repeats every
//! [`HEARTBEAT`], because clients drop a stream that stays silent: Codex CLI gives up after five
//! minutes, and reading its 6k-token prompt on two busy cores took four and a half. A generation cut
//! by `max_output_tokens` is reported as status `incomplete` inside `response.completed` (Codex CLI
//! reads the usage from that event, whatever the status).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::responses_wire::ResponsesRequest;
use super::{AppState, Outline, Sampling, bad_request, collect, event_stream, now_secs, plan, server_error};
use crate::engine::{FinishReason, Generation, GenerationEvent, GenerationStats};
use crate::parse::{ParsedCall, ProseFilter};

const ENDPOINT: &str = "/v1/responses";

/// How long a stream may stay silent before a `response.in_progress` event says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub(super) async fn responses(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    // Parsed by hand, as for chat, so a malformed body gets an OpenAI-shaped error.
    let request: ResponsesRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_request(&format!("the request body is not a valid Responses API request: {err}")),
    };
    if let Some(response) = state.wrong_model(&request.model) {
        return response;
    }
    let messages = match request.chat_messages() {
        Ok(messages) => messages,
        Err(message) => return bad_request(&message),
    };
    if messages.is_empty() {
        return bad_request("input must not be empty");
    }
    let tools = match request.tool_schemas() {
        Ok(tools) => tools,
        Err(message) => return bad_request(&message),
    };
    let choice = match request.tool_choice(&tools) {
        Ok(choice) => choice,
        Err(message) => return bad_request(&message),
    };
    let sampling = Sampling {
        max_tokens: request.max_output_tokens,
        temperature: request.temperature,
        seed: request.seed,
        stop: Vec::new(),
    };
    let (generate, outline) = plan(state.model.family, &messages, tools, &choice, sampling);
    let turn = Turn {
        number: state.next_id(),
        model: state.model.id.clone(),
        created_at: now_secs(),
        outline,
        state: Some(Arc::clone(&state)),
    };
    let generation = state.engine.generate(generate);
    if request.stream { stream_response(turn, generation, HEARTBEAT) } else { whole_response(turn, generation).await }
}

/// What the response and all its items share, and how their ids are made: every id carries the
/// server's request number, so ids (call ids above all, by which clients pair outputs with calls)
/// never repeat on one server.
struct Turn {
    number: String,
    model: String,
    created_at: u64,
    outline: Outline,
    /// The server, for the request log; tests run without one.
    state: Option<Arc<AppState>>,
}

impl Turn {
    fn id(&self) -> String {
        format!("resp_{}", self.number)
    }

    fn message_id(&self) -> String {
        format!("msg_{}", self.number)
    }

    /// The item id and the call id of call `index`.
    fn call_ids(&self, index: usize) -> (String, String) {
        (format!("fc_{}_{index}", self.number), format!("call_{}_{index}", self.number))
    }

    fn message_item(&self, text: &str, status: &str) -> Value {
        let content = if status == "completed" {
            json!([{"type": "output_text", "text": text, "annotations": []}])
        } else {
            json!([])
        };
        json!({"type": "message", "id": self.message_id(), "role": "assistant", "status": status, "content": content})
    }

    fn call_item(&self, index: usize, call: &ParsedCall, arguments: &str, status: &str) -> Value {
        let (id, call_id) = self.call_ids(index);
        json!({"type": "function_call", "id": id, "call_id": call_id, "name": call.name, "arguments": arguments, "status": status})
    }

    /// The finished output items: the message when there is prose (or it was already streamed),
    /// then one item per call.
    fn output(&self, content: &str, calls: &[ParsedCall], with_message: bool) -> Vec<Value> {
        let message = (with_message || !content.is_empty()).then(|| self.message_item(content, "completed"));
        let calls =
            calls.iter().enumerate().map(|(i, call)| self.call_item(i, call, &call.arguments.to_string(), "completed"));
        message.into_iter().chain(calls).collect()
    }

    /// The `response` object with `status`, `output`, and the usage once there is one.
    fn response(&self, status: &str, output: Vec<Value>, stats: Option<&GenerationStats>) -> Value {
        let mut response = json!({
            "id": self.id(),
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": Value::Null,
            "incomplete_details": Value::Null,
            "model": self.model,
            "output": output,
            "usage": stats.map(usage),
        });
        if stats.is_some_and(|s| s.finish == FinishReason::Length) {
            response["status"] = json!("incomplete");
            response["incomplete_details"] = json!({"reason": "max_output_tokens"});
        }
        response
    }

    fn record(&self, stats: &GenerationStats) {
        if let Some(state) = &self.state {
            state.record(ENDPOINT, stats);
        }
    }
}

fn usage(stats: &GenerationStats) -> Value {
    json!({
        "input_tokens": stats.prompt_tokens,
        "input_tokens_details": {"cached_tokens": stats.cached_tokens},
        "output_tokens": stats.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
    })
}

async fn whole_response(turn: Turn, mut generation: Generation) -> Response {
    let (text, stats) = match collect(&mut generation).await {
        Ok(done) => done,
        Err(message) => return server_error(&message),
    };
    turn.record(&stats);
    let (content, calls) = turn.outline.parse(&text);
    let output = turn.output(&content, &calls, false);
    axum::Json(turn.response("completed", output, Some(&stats))).into_response()
}

/// Streams the response's events, with a heartbeat after every `heartbeat` of silence.
fn stream_response(turn: Turn, generation: Generation, heartbeat: Duration) -> Response {
    let prose = if turn.outline.text_only { ProseFilter::plain() } else { ProseFilter::default() };
    let mut events =
        Events { turn, generation, prose, heartbeat, sequence: 0, opened: false, pending: String::new(), done: false };
    let head = events.start();
    let rest = futures::stream::unfold(events, |mut events| async move {
        if events.done {
            return None;
        }
        let frames = match tokio::time::timeout(events.heartbeat, events.generation.recv()).await {
            Ok(event) => events.on(event),
            Err(_) => events.alive(),
        };
        Some((futures::stream::iter(frames.into_iter().map(Ok::<_, Infallible>)), events))
    });
    let head = futures::stream::iter(head.into_iter().map(Ok::<_, Infallible>));
    event_stream(Body::from_stream(futures::StreamExt::chain(head, futures::StreamExt::flatten(rest))))
}

/// The state of one streamed response.
struct Events {
    turn: Turn,
    generation: Generation,
    prose: ProseFilter,
    heartbeat: Duration,
    /// The next event's `sequence_number`.
    sequence: u64,
    /// The message item has been announced.
    opened: bool,
    /// Leading whitespace held back, so that output which turns out to be only a call does not
    /// announce an empty message.
    pending: String,
    done: bool,
}

impl Events {
    /// One server-sent event of `kind` with `payload`, numbered.
    fn event(&mut self, kind: &str, mut payload: Value) -> Bytes {
        payload["type"] = json!(kind);
        payload["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        Bytes::from(format!("event: {kind}\ndata: {payload}\n\n"))
    }

    fn start(&mut self) -> Vec<Bytes> {
        let response = self.turn.response("in_progress", Vec::new(), None);
        vec![
            self.event("response.created", json!({"response": response})),
            self.event("response.in_progress", json!({"response": response})),
        ]
    }

    /// The heartbeat: the response is still in progress.
    fn alive(&mut self) -> Vec<Bytes> {
        let response = self.turn.response("in_progress", Vec::new(), None);
        vec![self.event("response.in_progress", json!({"response": response}))]
    }

    fn on(&mut self, event: Option<GenerationEvent>) -> Vec<Bytes> {
        match event {
            Some(GenerationEvent::Text(piece)) => match self.prose.push(&piece) {
                Some(delta) => self.text(&delta),
                None => Vec::new(),
            },
            Some(GenerationEvent::Done(stats)) => {
                self.done = true;
                self.turn.record(&stats);
                self.finish(&stats)
            }
            Some(GenerationEvent::Failed(err)) => {
                self.done = true;
                self.failed(&err.to_string())
            }
            None => {
                self.done = true;
                self.failed("the inference worker stopped")
            }
        }
    }

    /// Events for prose that became showable: the message item's opening the first time.
    fn text(&mut self, delta: &str) -> Vec<Bytes> {
        let mut frames = Vec::new();
        let delta = if self.opened {
            delta.to_string()
        } else {
            self.pending.push_str(delta);
            if self.pending.trim().is_empty() {
                return frames;
            }
            let delta = self.pending.trim_start().to_string();
            self.pending.clear();
            frames.extend(self.open_message());
            delta
        };
        let item_id = self.turn.message_id();
        frames.push(self.event(
            "response.output_text.delta",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0, "delta": delta, "logprobs": []}),
        ));
        frames
    }

    fn open_message(&mut self) -> Vec<Bytes> {
        self.opened = true;
        let item = self.turn.message_item("", "in_progress");
        let item_id = self.turn.message_id();
        vec![
            self.event("response.output_item.added", json!({"output_index": 0, "item": item})),
            self.event(
                "response.content_part.added",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
            ),
        ]
    }

    fn finish(&mut self, stats: &GenerationStats) -> Vec<Bytes> {
        let (content, calls) = self.turn.outline.parse(self.prose.text());
        let mut frames = Vec::new();
        if !self.opened && !content.is_empty() {
            // Prose the filter held back to the end (it looked like the start of a call).
            frames.extend(self.text(&content));
        }
        let with_message = self.opened;
        if self.opened {
            let item_id = self.turn.message_id();
            let part = json!({"type": "output_text", "text": content, "annotations": []});
            let item = self.turn.message_item(&content, "completed");
            frames.push(self.event(
                "response.output_text.done",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0, "text": content, "logprobs": []}),
            ));
            frames.push(self.event(
                "response.content_part.done",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0, "part": part}),
            ));
            frames.push(self.event("response.output_item.done", json!({"output_index": 0, "item": item})));
        }
        let first = usize::from(with_message);
        for (index, call) in calls.iter().enumerate() {
            let output_index = first + index;
            let arguments = call.arguments.to_string();
            let (item_id, _) = self.turn.call_ids(index);
            let added = self.turn.call_item(index, call, "", "in_progress");
            let done = self.turn.call_item(index, call, &arguments, "completed");
            frames.push(self.event("response.output_item.added", json!({"output_index": output_index, "item": added})));
            frames.push(self.event(
                "response.function_call_arguments.delta",
                json!({"item_id": item_id, "output_index": output_index, "delta": arguments}),
            ));
            frames.push(self.event(
                "response.function_call_arguments.done",
                json!({"item_id": item_id, "output_index": output_index, "name": call.name, "arguments": arguments}),
            ));
            frames.push(self.event("response.output_item.done", json!({"output_index": output_index, "item": done})));
        }
        let output = self.turn.output(&content, &calls, with_message);
        let response = self.turn.response("completed", output, Some(stats));
        frames.push(self.event("response.completed", json!({"response": response})));
        frames
    }

    fn failed(&mut self, message: &str) -> Vec<Bytes> {
        let mut response = self.turn.response("failed", Vec::new(), None);
        response["error"] = json!({"code": "server_error", "message": message});
        vec![self.event("response.failed", json!({"response": response}))]
    }
}

#[cfg(test)]
mod tests;
