//! `LocalClient` on the smallest real model, as the agent's compaction uses it: token counts that
//! match what a request reports, the context window, text-only requests, and overflow errors the
//! agent can recognise.

use std::sync::Arc;

use braid_local::store::Family;
use braid_local::{Engine, EngineOptions, LocalClient, LocalSampling};
use braid_model::{ModelClient, ModelError};
use braid_protocol::{Item, ModelEvent, Prompt, ToolChoice, ToolSpec, Usage};
use braid_test_support::{TEST_MODEL, local_model};
use futures::StreamExt;
use serde_json::json;

fn client(context_tokens: u32) -> Option<(LocalClient, Arc<Engine>)> {
    let path = local_model(TEST_MODEL)?;
    let engine = Arc::new(Engine::load(&path, EngineOptions { context_tokens, ..EngineOptions::default() }).unwrap());
    Some((LocalClient::new(Arc::clone(&engine), Family::SmolLM2, LocalSampling::default()), engine))
}

fn prompt(user: &str, tool_choice: ToolChoice) -> Prompt {
    Prompt {
        model: TEST_MODEL.into(),
        instructions: "You are a coding agent. Use the tools to inspect the repository.".into(),
        input: vec![Item::user(user)],
        tools: vec![ToolSpec {
            name: "read_file".into(),
            description: "Reads a file and returns its text.".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        }],
        tool_choice,
        reasoning_effort: None,
        max_output_tokens: Some(48),
    }
}

/// Streams `prompt` to the end: the items and the usage of `Completed`, or the first error.
async fn run(client: &LocalClient, prompt: Prompt) -> Result<(Vec<Item>, Usage), ModelError> {
    let mut stream = client.stream(prompt);
    let mut items = Vec::new();
    while let Some(event) = stream.next().await {
        match event? {
            ModelEvent::ItemDone { item } => items.push(item),
            ModelEvent::Completed { usage, .. } => return Ok((items, usage.expect("the local client reports usage"))),
            _ => {}
        }
    }
    panic!("the stream ended without Completed or an error");
}

#[tokio::test]
async fn the_token_count_is_the_input_a_request_reports() {
    let Some((client, engine)) = client(1024) else { return };
    assert_eq!(client.context_window(), Some(u64::from(engine.info().context_tokens)));
    assert_eq!(client.context_window(), Some(1024));

    let auto = prompt("Read README.md and tell me what the project does.", ToolChoice::Auto);
    let counted = client.count_tokens(&auto).await.expect("the local client counts tokens");
    let (_, usage) = run(&client, auto.clone()).await.unwrap();
    assert_eq!(counted, usage.input_tokens);

    // A text-only request renders the same tools, so it counts the same and reuses the cache.
    let none = Prompt { tool_choice: ToolChoice::None, ..auto };
    assert_eq!(client.count_tokens(&none).await, Some(counted));
    let (_, usage) = run(&client, none).await.unwrap();
    assert_eq!(usage.input_tokens, counted);
    assert!(usage.cached_input_tokens + 1 >= counted, "the shared prefix is reused: {usage:?}");
}

#[tokio::test]
async fn tool_choice_none_answers_in_text_while_auto_still_forces_a_call() {
    let Some((client, _engine)) = client(1024) else { return };
    let ask = "Summarise the conversation so far in one sentence.";

    let (items, _) = run(&client, prompt(ask, ToolChoice::None)).await.unwrap();
    assert!(items.iter().all(|item| !matches!(item, Item::ToolCall { .. })), "{items:?}");
    assert!(
        items.iter().any(|item| matches!(item, Item::Message { text, .. } if !text.trim().is_empty())),
        "a text answer expected: {items:?}"
    );

    // The same prompt without the restriction ends in a user message, so the call is insisted on.
    let (items, _) = run(&client, prompt(ask, ToolChoice::Auto)).await.unwrap();
    assert!(
        items.iter().any(|item| matches!(item, Item::ToolCall { name, .. } if name == "read_file")),
        "a forced call expected: {items:?}"
    );
}

#[tokio::test]
async fn a_forced_tool_is_called_even_where_the_model_may_answer_in_text() {
    let Some((client, _engine)) = client(1024) else { return };
    let mut forced = prompt("Read README.md.", ToolChoice::Tool("write_note".into()));
    forced.tools.push(ToolSpec {
        name: "write_note".into(),
        description: "Saves a note.".into(),
        parameters: json!({"type": "object", "properties": {"note": {"type": "string", "maxLength": 40}}, "required": ["note"]}),
    });
    // After a successful tool output the client would not insist on a call; the forced choice does,
    // and only the named tool fits the grammar.
    forced.input.push(Item::ToolCall {
        call_id: "c1".into(),
        name: "read_file".into(),
        arguments: r#"{"path":"README.md"}"#.into(),
    });
    forced.input.push(Item::tool_output("c1", "# demo\nA tiny project.", true));
    forced.max_output_tokens = Some(64);
    let (items, _) = run(&client, forced).await.unwrap();
    let note = items.iter().find_map(|item| match item {
        Item::ToolCall { name, arguments, .. } if name == "write_note" => Some(arguments.clone()),
        _ => None,
    });
    let note = note.unwrap_or_else(|| panic!("a write_note call expected: {items:?}"));
    let args: serde_json::Value = serde_json::from_str(&note).unwrap();
    assert!(args["note"].as_str().unwrap().chars().count() <= 40, "maxLength holds: {note}");
}

#[tokio::test]
async fn a_prompt_longer_than_the_context_is_a_context_window_error() {
    let Some((client, engine)) = client(256) else { return };
    let long = prompt(&"Please read every file. ".repeat(120), ToolChoice::Auto);
    let counted = client.count_tokens(&long).await.unwrap();
    assert!(counted > 256, "the test prompt must overflow: {counted} tokens");

    let err = run(&client, long).await.unwrap_err();
    assert!(matches!(err, ModelError::ContextWindowExceeded { .. }), "{err:?}");
    assert!(err.is_context_overflow());
    assert!(!err.is_retryable());
    let path = engine.info().path.display().to_string();
    assert!(err.to_string().contains(&path), "the error names the model file: {err}");
    assert!(err.to_string().contains("context window holds 256"), "{err}");
}
