//! The engine on the smallest real model: grammar-constrained tool calls, KV-cache reuse across
//! turns, and the bad inputs (missing file, non-GGUF file, prompt too long, context too big).

use std::path::PathBuf;
use std::sync::Arc;

use braid_local::engine::{FinishReason, GrammarSpec};
use braid_local::grammar::tool_call_grammar;
use braid_local::parse::parse_output;
use braid_local::store::Family;
use braid_local::template::{ChatMessage, Role, ToolCallMessage, ToolSchema, render};
use braid_local::{Engine, EngineOptions, GenerateRequest, GenerationEvent, GenerationStats, LocalError};
use braid_test_support::{TEST_MODEL, local_model};
use serde_json::{Value, json};

fn load(path: &std::path::Path, options: EngineOptions) -> Arc<Engine> {
    Arc::new(Engine::load(path, options).unwrap())
}

/// Runs one generation to the end: the whole text and the final stats.
async fn complete(engine: &Engine, request: GenerateRequest) -> Result<(String, GenerationStats), LocalError> {
    let mut events = engine.generate(request);
    let mut text = String::new();
    while let Some(event) = events.recv().await {
        match event {
            GenerationEvent::Text(piece) => text.push_str(&piece),
            GenerationEvent::Done(stats) => return Ok((text, stats)),
            GenerationEvent::Failed(err) => return Err(err),
        }
    }
    panic!("generation ended without Done or Failed");
}

fn shell_tool() -> ToolSchema {
    ToolSchema {
        name: "shell".into(),
        description: "Runs a command and returns its output.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "command": {"type": "array", "items": {"type": "string"}, "description": "argv"},
                "timeout_ms": {"type": "integer"},
            },
            "required": ["command"],
        }),
    }
}

#[tokio::test]
async fn a_required_tool_call_round_trip_parses_and_reuses_the_cache() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 2048, ..EngineOptions::default() });
    let tools = vec![shell_tool()];
    let mut messages = vec![
        ChatMessage::new(Role::System, "You are a coding agent. Use the shell tool."),
        ChatMessage::new(Role::User, "List the files in the current directory."),
    ];

    // The grammar is enforced from the first token: the output must be a call to a real tool with
    // arguments of the declared shape, whatever a 135M-parameter model would rather say.
    let mut request = GenerateRequest::new(render(Family::SmolLM2, &messages, &tools));
    request.grammar = tool_call_grammar(&tools, true);
    request.max_tokens = 96;
    let (text, first) = complete(&engine, request).await.unwrap();
    assert_eq!(first.finish, FinishReason::Stop, "the grammar must close the call within 96 tokens: {text}");
    let parsed = parse_output(&text, &["shell"]);
    assert_eq!(parsed.calls.len(), 1, "one call expected in {text:?}");
    let call = &parsed.calls[0];
    assert_eq!(call.name, "shell");
    let command = call.arguments["command"].as_array().expect("command is an array");
    assert!(command.iter().all(Value::is_string), "argv of strings: {}", call.arguments);

    // The round trip: the call and its output go back, and the model answers. The second prompt
    // extends the first, so the cache must cover at least the first prompt.
    messages.push(ChatMessage {
        role: Role::Assistant,
        content: String::new(),
        tool_calls: vec![ToolCallMessage {
            id: "c0".into(),
            name: call.name.clone(),
            arguments: call.arguments.to_string(),
        }],
    });
    messages.push(ChatMessage::new(Role::Tool, "Cargo.toml\nsrc"));
    let mut request = GenerateRequest::new(render(Family::SmolLM2, &messages, &tools));
    request.grammar = tool_call_grammar(&tools, false);
    request.max_tokens = 48;
    let (_, second) = complete(&engine, request).await.unwrap();
    assert!(
        second.cached_tokens >= first.prompt_tokens - 1,
        "second turn reused {} cached tokens; the first prompt had {}",
        second.cached_tokens,
        first.prompt_tokens
    );
    assert!(second.prompt_tokens > first.prompt_tokens);
}

#[tokio::test]
async fn a_lazy_grammar_leaves_plain_answers_free() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 1024, ..EngineOptions::default() });
    let messages = vec![ChatMessage::new(Role::User, "Say hello.")];
    let mut request = GenerateRequest::new(render(Family::SmolLM2, &messages, &[]));
    request.grammar = Some(GrammarSpec {
        gbnf: tool_call_grammar(&[shell_tool()], false).unwrap().gbnf,
        triggers: vec!["<tool_call>".into()],
    });
    request.max_tokens = 24;
    request.temperature = 0.0;
    let (text, stats) = complete(&engine, request).await.unwrap();
    assert!(!text.trim().is_empty());
    assert!(stats.completion_tokens <= 24);
}

#[tokio::test]
async fn ignore_eos_generates_exactly_the_asked_tokens() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 512, ..EngineOptions::default() });
    let mut request = GenerateRequest::new("<|im_start|>user\nCount.<|im_end|>\n<|im_start|>assistant\n");
    request.max_tokens = 40;
    request.ignore_eos = true;
    let (_, stats) = complete(&engine, request).await.unwrap();
    assert_eq!((stats.completion_tokens, stats.finish), (40, FinishReason::Length));
}

#[tokio::test]
async fn a_prompt_longer_than_the_context_is_a_clear_error() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 256, ..EngineOptions::default() });
    let err = complete(&engine, GenerateRequest::new("word ".repeat(600))).await.unwrap_err();
    assert!(matches!(err, LocalError::ContextOverflow { n_ctx: 256, .. }), "{err}");
    assert!(err.to_string().contains("context window holds 256"), "{err}");
    // The engine keeps serving after refusing a request.
    let mut request = GenerateRequest::new("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    request.max_tokens = 4;
    complete(&engine, request).await.unwrap();
}

#[test]
fn a_context_that_cannot_fit_in_memory_is_refused_before_loading_it() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let err = Engine::load(&path, EngineOptions { context_tokens: 8192, parallel: 4096, threads: None }).unwrap_err();
    assert!(matches!(err, LocalError::NotEnoughMemory { .. }), "{err}");
    assert!(err.to_string().contains("smaller context"), "{err}");
}

#[test]
fn missing_and_non_gguf_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.gguf");
    let err = Engine::load(&missing, EngineOptions::default()).unwrap_err();
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    assert!(err.to_string().contains("braid model pull"), "{err}");

    let bogus: PathBuf = dir.path().join("bogus.gguf");
    std::fs::write(&bogus, b"GGUF but not really a model").unwrap();
    let err = Engine::load(&bogus, EngineOptions::default()).unwrap_err();
    assert!(matches!(err, LocalError::Load { .. }), "{err}");
    assert!(err.to_string().contains("bogus.gguf"), "{err}");
}

#[tokio::test]
async fn counting_matches_the_prompt_a_generation_evaluates() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 1024, ..EngineOptions::default() });
    let prompt = render(Family::SmolLM2, &[ChatMessage::new(Role::User, "List the files.")], &[shell_tool()]);
    let counted = engine.count_tokens(prompt.clone()).await.unwrap();
    let mut request = GenerateRequest::new(prompt);
    request.max_tokens = 4;
    let (_, stats) = complete(&engine, request).await.unwrap();
    assert_eq!(counted, stats.prompt_tokens);
}

#[tokio::test]
async fn a_count_does_not_wait_for_a_running_generation() {
    let Some(path) = local_model(TEST_MODEL) else { return };
    let engine = load(&path, EngineOptions { context_tokens: 1024, ..EngineOptions::default() });
    let mut request = GenerateRequest::new("<|im_start|>user\nCount.<|im_end|>\n<|im_start|>assistant\n");
    request.max_tokens = 600;
    request.ignore_eos = true;
    let mut events = engine.generate(request);
    // Wait until the generation is decoding, then ask.
    assert!(matches!(events.recv().await, Some(GenerationEvent::Text(_))));
    assert!(engine.count_tokens("hello world".into()).await.unwrap() >= 2);
    while let Ok(event) = events.try_recv() {
        assert!(matches!(event, GenerationEvent::Text(_)), "the generation finished before the count: {event:?}");
    }
}
