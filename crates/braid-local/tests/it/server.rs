//! The OpenAI-compatible server with a real HTTP client: two streaming requests decoded at the same
//! time from one loaded model, forced tool calls, and OpenAI-shaped errors that leave it running; and
//! the Responses API as Codex CLI uses it: a streamed forced call, its output sent back, the request log.

use std::sync::Arc;
use std::time::Instant;

use braid_local::server::{RequestLog, ServeOptions, ServedModel, router};
use braid_local::store::Family;
use braid_local::{Engine, EngineOptions};
use braid_test_support::{TEST_MODEL, local_model};
use futures::StreamExt;
use serde_json::{Value, json};

struct Served {
    base: String,
    client: reqwest::Client,
}

async fn serve(parallel: u32) -> Option<Served> {
    serve_with(parallel, ServeOptions::default()).await
}

async fn serve_with(parallel: u32, options: ServeOptions) -> Option<Served> {
    let path = local_model(TEST_MODEL)?;
    let engine =
        Arc::new(Engine::load(&path, EngineOptions { context_tokens: 1024, parallel, threads: None }).unwrap());
    let app = router(engine, ServedModel { id: TEST_MODEL.into(), family: Family::SmolLM2 }, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Some(Served { base: format!("http://{addr}/v1"), client: reqwest::Client::new() })
}

/// One streamed completion: the data frames in order, and when the first content and the end came.
struct Streamed {
    frames: Vec<String>,
    first_content: Option<Instant>,
    done: Instant,
}

async fn stream(served: &Served, prompt: &str) -> Streamed {
    let body = json!({
        "model": TEST_MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": 24,
        "temperature": 0,
    });
    let response = served.client.post(format!("{}/chat/completions", served.base)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut bytes = response.bytes_stream();
    let mut buffer = String::new();
    let mut frames = Vec::new();
    let mut first_content = None;
    while let Some(chunk) = bytes.next().await {
        buffer.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let frame = buffer[..end].strip_prefix("data: ").expect("every event is a data line").to_string();
            buffer.drain(..end + 2);
            if first_content.is_none() && frame.contains("\"content\":\"") && !frame.contains("\"content\":\"\"") {
                first_content = Some(Instant::now());
            }
            frames.push(frame);
        }
    }
    Streamed { frames, first_content, done: Instant::now() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_streaming_requests_are_decoded_together() {
    let Some(served) = serve(2).await else { return };
    let (a, b) = tokio::join!(stream(&served, "Name three colours."), stream(&served, "Name three animals."));
    for streamed in [&a, &b] {
        assert_eq!(streamed.frames.last().map(String::as_str), Some("[DONE]"));
        let chunks: Vec<Value> =
            streamed.frames[..streamed.frames.len() - 1].iter().map(|f| serde_json::from_str(f).unwrap()).collect();
        assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
        assert!(!text.trim().is_empty());
        let finish: Vec<&Value> =
            chunks.iter().map(|c| &c["choices"][0]["finish_reason"]).filter(|r| !r.is_null()).collect();
        assert_eq!(finish.len(), 1);
        assert!(finish[0] == "stop" || finish[0] == "length", "{finish:?}");
        let usage = &chunks.last().unwrap()["usage"];
        assert!(usage["completion_tokens"].as_u64().unwrap() <= 24, "{usage}");
    }
    // Both were in flight at once: each produced text before the other finished.
    assert!(a.first_content.unwrap() < b.done && b.first_content.unwrap() < a.done);
}

/// Asks the served model, offering a read_file tool with this `tool_choice`, to read README.md, and
/// returns the (successful) non-streamed answer.
async fn ask_to_read_a_file(served: &Served, tool_choice: &str, max_tokens: u32) -> Value {
    let body = json!({
        "model": TEST_MODEL,
        "messages": [{"role": "user", "content": "Read the file README.md"}],
        "tools": [{"type": "function", "function": {
            "name": "read_file",
            "description": "Reads a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        }}],
        "tool_choice": tool_choice,
        "max_tokens": max_tokens,
    });
    let response = served.client.post(format!("{}/chat/completions", served.base)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_required_tool_call_comes_back_as_openai_tool_calls() {
    let Some(served) = serve(1).await else { return };
    let body = ask_to_read_a_file(&served, "required", 64).await;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{body}");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "read_file");
    let arguments: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert!(arguments["path"].is_string(), "{arguments}");
}

#[tokio::test]
async fn bad_requests_get_openai_errors_and_the_server_keeps_running() {
    let Some(served) = serve(1).await else { return };
    let url = format!("{}/chat/completions", served.base);
    let response = served.client.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("not a valid chat completion request"));

    let unknown = json!({"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]});
    let response = served.client.post(&url).json(&unknown).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains(TEST_MODEL));

    let bad_role = json!({"model": TEST_MODEL, "messages": [{"role": "robot", "content": "hi"}]});
    let response = served.client.post(&url).json(&bad_role).send().await.unwrap();
    assert_eq!(response.status(), 400);

    let models: Value =
        served.client.get(format!("{}/models", served.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["data"][0]["id"], TEST_MODEL);
}

#[tokio::test]
async fn tool_choice_none_answers_in_text() {
    let Some(served) = serve(1).await else { return };
    let body = ask_to_read_a_file(&served, "none", 48).await;
    let choice = &body["choices"][0];
    assert!(choice["message"].get("tool_calls").is_none(), "{body}");
    assert!(choice["finish_reason"] == "stop" || choice["finish_reason"] == "length", "{body}");
    assert!(!choice["message"]["content"].as_str().unwrap().trim().is_empty(), "{body}");
}

fn exec_tool() -> Value {
    json!({
        "type": "function",
        "name": "exec_command",
        "description": "Runs a shell command",
        "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
        "strict": false,
    })
}

/// A streamed Responses request's events as (type, payload).
async fn stream_responses(served: &Served, body: &Value) -> Vec<(String, Value)> {
    let response = served.client.post(format!("{}/responses", served.base)).json(body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    text.split_terminator("\n\n")
        .map(|frame| {
            let (event, data) = frame.split_once('\n').unwrap();
            let kind = event.strip_prefix("event: ").unwrap().to_string();
            (kind, serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn responses_a_forced_call_streams_and_its_output_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("requests.jsonl");
    let log = Arc::new(RequestLog::open(&log_path).unwrap());
    let Some(served) = serve_with(1, ServeOptions { request_log: Some(log) }).await else { return };
    let input = json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "List the files here."}]}]);
    let body = json!({
        "model": TEST_MODEL,
        "instructions": "You are a coding agent.",
        "input": input,
        // Kinds a local model cannot run are ignored rather than refused.
        "tools": [exec_tool(), {"type": "web_search"}, {"type": "custom", "name": "apply_patch"}],
        "tool_choice": {"type": "function", "name": "exec_command"},
        "parallel_tool_calls": false,
        "reasoning": null,
        "store": false,
        "stream": true,
        "max_output_tokens": 64,
        "temperature": 0,
    });
    let events = stream_responses(&served, &body).await;
    let sequence: Vec<u64> = events.iter().map(|(_, p)| p["sequence_number"].as_u64().unwrap()).collect();
    assert!(sequence.windows(2).all(|w| w[1] == w[0] + 1), "{sequence:?}");
    assert_eq!(events[0].0, "response.created");
    let (kind, completed) = events.last().unwrap();
    assert_eq!(kind, "response.completed", "{events:?}");
    let output = completed["response"]["output"].as_array().unwrap();
    let call = output.iter().find(|item| item["type"] == "function_call").expect("a function_call item");
    assert_eq!(call["name"], "exec_command");
    let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert!(arguments["cmd"].is_string(), "{arguments}");
    assert!(completed["response"]["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // The call and its output come back as the next request's input, non-streamed this time.
    let mut input = input.as_array().unwrap().clone();
    input.push(call.clone());
    input.push(json!({"type": "function_call_output", "call_id": call["call_id"], "output": "README.md\nsrc"}));
    let follow_up = json!({
        "model": TEST_MODEL,
        "input": input,
        "tools": [exec_tool()],
        "tool_choice": "none",
        "max_output_tokens": 24,
    });
    let response = served.client.post(format!("{}/responses", served.base)).json(&follow_up).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response: Value = response.json().await.unwrap();
    assert!(response["status"] == "completed" || response["status"] == "incomplete", "{response}");
    assert_eq!(response["output"][0]["type"], "message", "{response}");
    assert!(response["id"].as_str().unwrap().starts_with("resp_"));

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines.iter().all(|l| l["endpoint"] == "/v1/responses" && l["model"] == TEST_MODEL), "{log}");
    assert!(lines[1]["prompt_tokens"].as_u64().unwrap() > lines[0]["prompt_tokens"].as_u64().unwrap());
}

#[tokio::test]
async fn responses_bad_requests_get_openai_errors() {
    let Some(served) = serve(1).await else { return };
    let url = format!("{}/responses", served.base);
    let wrong_model = json!({"model": "gpt-9", "input": "hi"});
    let response = served.client.post(&url).json(&wrong_model).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");

    let bad_item =
        json!({"model": TEST_MODEL, "input": [{"role": "user", "content": "hi"}, {"type": "computer_call"}]});
    let response = served.client.post(&url).json(&bad_item).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("input[1].type `computer_call`"), "{body}");

    let response = served.client.post(&url).body("{\"model\": 3}").send().await.unwrap();
    assert_eq!(response.status(), 400);
}
