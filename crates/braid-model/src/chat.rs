//! The Chat Completions wire format (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter):
//! `Prompt` to `messages`, and `chat.completion.chunk` data to `ModelEvent`s.

use std::collections::BTreeMap;

use braid_protocol::{Item, ModelEvent, Prompt, Role, ToolChoice, Usage};
use serde_json::{Value, json};

use crate::ProviderConfig;
use crate::responses::bearer;
use crate::wire::{SseEvent, Translate, TranslateError, WireFormat, count_at, error_parts, parse_data, str_at};

/// Chat Completions: `POST {base_url}/chat/completions`.
pub(crate) struct Chat;

impl WireFormat for Chat {
    fn path(&self) -> &'static str {
        "/chat/completions"
    }

    fn build_request(&self, prompt: &Prompt) -> Value {
        build_request(prompt)
    }

    fn auth_headers(&self, provider: &ProviderConfig) -> Vec<(String, String)> {
        bearer(provider)
    }

    fn translator(&self) -> Box<dyn Translate> {
        Box::new(ChatTranslator::default())
    }
}

/// Sends the collected image parts, if any, as one user message.
fn flush_images(messages: &mut Vec<Value>, images: &mut Vec<Value>) {
    if !images.is_empty() {
        messages.push(json!({ "role": "user", "content": std::mem::take(images) }));
    }
}

/// The Chat Completions request body for `prompt`.
pub(crate) fn build_request(prompt: &Prompt) -> Value {
    let mut messages: Vec<Value> = Vec::new();
    if !prompt.instructions.is_empty() {
        messages.push(json!({ "role": "system", "content": prompt.instructions }));
    }
    // Tool messages take text only, so the images of a run of tool outputs follow it in one user
    // message. It cannot go between them: every call of an assistant message must be answered by the
    // tool messages right after it.
    let mut images: Vec<Value> = Vec::new();
    for item in &prompt.input {
        if !matches!(item, Item::ToolOutput { .. }) {
            flush_images(&mut messages, &mut images);
        }
        match item {
            Item::Message { role: Role::Assistant, text } => {
                let message = assistant_message(&mut messages);
                message["content"] = match message["content"].as_str() {
                    Some(before) if !before.is_empty() => json!(format!("{before}\n\n{text}")),
                    _ => json!(text),
                };
            }
            // Many local servers accept only one leading system message, so braid's context goes as
            // user messages.
            Item::Message { role: Role::User | Role::Developer, text } => {
                messages.push(json!({ "role": "user", "content": text }));
            }
            Item::ToolCall { call_id, name, arguments } => {
                let call = json!({
                    "id": call_id,
                    "type": "function",
                    "function": { "name": name, "arguments": arguments },
                });
                let message = assistant_message(&mut messages);
                match message["tool_calls"].as_array_mut() {
                    Some(calls) => calls.push(call),
                    None => message["tool_calls"] = json!([call]),
                }
            }
            Item::ToolOutput { call_id, output, images: attached, .. } => {
                messages.push(json!({ "role": "tool", "tool_call_id": call_id, "content": output }));
                if !attached.is_empty() {
                    let names = if attached.len() == 1 { "image" } else { "images" };
                    images.push(
                        json!({ "type": "text", "text": format!("The {names} the tool call {call_id} returned:") }),
                    );
                    images.extend(
                        attached
                            .iter()
                            .map(|image| json!({ "type": "image_url", "image_url": { "url": image.data_url() } })),
                    );
                }
            }
            // Chat Completions has no standard way to send reasoning back.
            Item::Reasoning { .. } => {}
        }
    }
    flush_images(&mut messages, &mut images);
    let mut body = json!({
        "model": prompt.model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    if !prompt.tools.is_empty() {
        let tools: Vec<Value> = prompt
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    },
                })
            })
            .collect();
        body["tools"] = json!(tools);
        // Only the non-default is sent: local servers differ in which `tool_choice` values they accept.
        match &prompt.tool_choice {
            ToolChoice::Auto => {}
            ToolChoice::None => body["tool_choice"] = json!("none"),
            ToolChoice::Tool(name) => body["tool_choice"] = json!({ "type": "function", "function": { "name": name } }),
        }
    }
    if let Some(effort) = prompt.reasoning_effort {
        body["reasoning_effort"] = json!(effort.as_str());
    }
    if let Some(max) = prompt.max_output_tokens {
        // `max_tokens` rather than `max_completion_tokens`: it is the name local servers understand.
        body["max_tokens"] = json!(max);
    }
    body
}

/// The assistant message at the end of `messages`, appended first when the last message is not one, so
/// that assistant text and the tool calls after it form a single message.
fn assistant_message(messages: &mut Vec<Value>) -> &mut Value {
    let last_is_assistant = messages.last().is_some_and(|m| m["role"] == "assistant");
    if !last_is_assistant {
        messages.push(json!({ "role": "assistant", "content": null }));
    }
    let last = messages.len() - 1;
    &mut messages[last]
}

/// A tool call being assembled from `delta.tool_calls` fragments.
#[derive(Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Translates one Chat Completions stream: deltas are shown live and accumulated; the items are emitted
/// when the choice finishes (or at `[DONE]` for servers that never send a `finish_reason`).
#[derive(Default)]
pub(crate) struct ChatTranslator {
    created: bool,
    response_id: Option<String>,
    text: String,
    reasoning: String,
    calls: BTreeMap<u64, PartialCall>,
    flushed: bool,
    usage: Option<Usage>,
}

impl Translate for ChatTranslator {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        if event.data.trim() == "[DONE]" {
            self.ensure_created(out);
            self.flush(event, out)?;
            out.push(ModelEvent::Completed { response_id: self.response_id.clone(), usage: self.usage });
            return Ok(());
        }
        let data = parse_data(event)?;
        if data.get("error").is_some_and(|e| !e.is_null()) {
            let (code, message) = error_parts(&data);
            return Err(TranslateError::Failed { code, message });
        }
        if self.response_id.is_none() {
            self.response_id = str_at(&data, "/id").map(str::to_owned);
        }
        self.ensure_created(out);
        if let Some(usage) = data.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(Usage {
                input_tokens: count_at(usage, "/prompt_tokens"),
                cached_input_tokens: count_at(usage, "/prompt_tokens_details/cached_tokens"),
                output_tokens: count_at(usage, "/completion_tokens"),
                reasoning_output_tokens: count_at(usage, "/completion_tokens_details/reasoning_tokens"),
            });
        }
        // braid asks for one choice; a server that sends more gets its first one read.
        let Some(choice) = data.get("choices").and_then(Value::as_array).and_then(|c| c.first()) else {
            return Ok(());
        };
        if let Some(delta) = choice.get("delta").filter(|d| d.is_object()) {
            self.on_delta(event, delta, out)?;
        }
        if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
            self.flush(event, out)?;
        }
        Ok(())
    }
}

impl ChatTranslator {
    fn ensure_created(&mut self, out: &mut Vec<ModelEvent>) {
        if !self.created {
            self.created = true;
            out.push(ModelEvent::Created { response_id: self.response_id.clone() });
        }
    }

    fn on_delta(&mut self, event: &SseEvent, delta: &Value, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        // Servers spell streamed reasoning `reasoning_content` (DeepSeek, vLLM, llama.cpp) or
        // `reasoning` (Ollama, OpenRouter).
        for field in ["/reasoning_content", "/reasoning"] {
            if let Some(piece) = str_at(delta, field).filter(|p| !p.is_empty()) {
                self.reasoning.push_str(piece);
                out.push(ModelEvent::ReasoningDelta { delta: piece.to_owned() });
            }
        }
        if let Some(piece) = str_at(delta, "/content").filter(|p| !p.is_empty()) {
            self.text.push_str(piece);
            out.push(ModelEvent::TextDelta { delta: piece.to_owned() });
        }
        let fragments = delta.get("tool_calls").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for (position, fragment) in fragments.iter().enumerate() {
            // `index` says which call a fragment continues; a server that leaves it out sends whole
            // calls, so their position in the array is the index.
            let index = match fragment.get("index") {
                Some(index) => index
                    .as_u64()
                    .ok_or_else(|| TranslateError::malformed(event, "`tool_calls[].index` is not a number"))?,
                None => position as u64,
            };
            let call = self.calls.entry(index).or_default();
            if let Some(id) = str_at(fragment, "/id").filter(|id| !id.is_empty()) {
                call.id.get_or_insert_with(|| id.to_owned());
            }
            // The name comes whole in the first fragment; later repeats of it are ignored.
            match str_at(fragment, "/function/name") {
                Some(name) if !name.is_empty() && call.name.is_empty() => call.name = name.to_owned(),
                _ => {}
            }
            if let Some(arguments) = str_at(fragment, "/function/arguments") {
                call.arguments.push_str(arguments);
            }
        }
        Ok(())
    }

    /// Emits the finished items once: reasoning, then the message, then the tool calls by index.
    fn flush(&mut self, event: &SseEvent, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        if self.flushed {
            return Ok(());
        }
        self.flushed = true;
        if !self.reasoning.is_empty() {
            let text = std::mem::take(&mut self.reasoning);
            out.push(ModelEvent::ItemDone { item: Item::Reasoning { text, encrypted: None } });
        }
        if !self.text.is_empty() {
            out.push(ModelEvent::ItemDone { item: Item::assistant(std::mem::take(&mut self.text)) });
        }
        for (index, call) in std::mem::take(&mut self.calls) {
            if call.name.is_empty() {
                return Err(TranslateError::malformed(event, format!("tool call {index} has no function name")));
            }
            // Some local servers send no call ids; braid still needs one to pair the output with.
            let call_id = call.id.unwrap_or_else(|| format!("call_{index}"));
            out.push(ModelEvent::ItemDone {
                item: Item::ToolCall { call_id, name: call.name, arguments: call.arguments },
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests_support::{feed, feed_raw, image_prompt, prompt_fixture};
    use braid_protocol::ReasoningEffort;
    use pretty_assertions::assert_eq;

    #[test]
    fn tool_images_follow_the_run_of_tool_messages_in_one_user_message() {
        let body = build_request(&image_prompt());
        let url = |url: &str| json!({"type": "image_url", "image_url": {"url": url}});
        let messages = body["messages"].as_array().unwrap();
        let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool", "tool", "user", "assistant"]);
        assert_eq!(messages[3]["content"], "[image 1: image/png, 3 bytes]\n[image 2: image/gif, 3 bytes]");
        let expected = json!([
            {"type": "text", "text": "The images the tool call c1 returned:"},
            url("data:image/png;base64,UE5H"),
            url("data:image/gif;base64,R0lG"),
            {"type": "text", "text": "The image the tool call c2 returned:"},
            url("data:image/webp;base64,UklG"),
        ]);
        assert_eq!(messages[5]["content"], expected);
        // A history ending in tool outputs still sends their images.
        let mut ending = image_prompt();
        ending.input.pop();
        let body = build_request(&ending);
        assert_eq!(body["messages"].as_array().unwrap().last().unwrap()["content"], expected);
    }

    #[test]
    fn request_merges_assistant_turns_and_sends_developer_as_user() {
        let mut prompt = prompt_fixture();
        prompt.reasoning_effort = Some(ReasoningEffort::Low);
        prompt.max_output_tokens = Some(64);
        let expected = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "env"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "looking", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": "{\"cmd\":\"ls\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "c1", "content": "a.txt"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c2", "type": "function", "function": {"name": "shell", "arguments": "not json"}},
                ]},
                {"role": "tool", "tool_call_id": "c2", "content": "bad args"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {"name": "shell", "description": "run", "parameters": {"type": "object"}}}],
            "reasoning_effort": "low",
            "max_tokens": 64,
        });
        assert_eq!(build_request(&prompt), expected);
    }

    fn chunk(delta: Value, finish: Option<&str>) -> (&'static str, Value) {
        ("message", json!({"id": "cc1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))
    }

    fn check(events: &[(&str, Value)], expected: Result<Vec<ModelEvent>, TranslateError>) {
        let mut translator = ChatTranslator::default();
        let mut raw: Vec<(&str, String)> = events.iter().map(|(n, d)| (*n, d.to_string())).collect();
        if expected.is_ok() {
            raw.push(("message", "[DONE]".to_owned()));
        }
        assert_eq!(feed_raw(&mut translator, &raw), expected);
    }

    #[test]
    fn tool_call_fragments_across_indices() {
        check(
            &[
                chunk(json!({"role": "assistant", "reasoning_content": "let me"}), None),
                chunk(json!({"reasoning": " see"}), None),
                chunk(json!({"content": "Running"}), None),
                chunk(
                    json!({"tool_calls": [{"index": 0, "id": "a", "type": "function", "function": {"name": "shell", "arguments": ""}}]}),
                    None,
                ),
                chunk(
                    json!({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "read", "arguments": "{\"p"}}]}),
                    None,
                ),
                chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"cmd\":"}}]}), None),
                chunk(json!({"tool_calls": [{"index": 1, "function": {"arguments": "\":1}"}}]}), None),
                chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ls\""}}]}), Some("tool_calls")),
                (
                    "message",
                    json!({"id": "cc1", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 2}}}),
                ),
            ],
            Ok(vec![
                ModelEvent::Created { response_id: Some("cc1".into()) },
                ModelEvent::ReasoningDelta { delta: "let me".into() },
                ModelEvent::ReasoningDelta { delta: " see".into() },
                ModelEvent::TextDelta { delta: "Running".into() },
                ModelEvent::ItemDone { item: Item::Reasoning { text: "let me see".into(), encrypted: None } },
                ModelEvent::ItemDone { item: Item::assistant("Running") },
                // Index 0 never got its closing brace: the text is kept as the model wrote it.
                ModelEvent::ItemDone {
                    item: Item::ToolCall {
                        call_id: "a".into(),
                        name: "shell".into(),
                        arguments: "{\"cmd\":\"ls\"".into(),
                    },
                },
                ModelEvent::ItemDone {
                    item: Item::ToolCall { call_id: "b".into(), name: "read".into(), arguments: "{\"p\":1}".into() },
                },
                ModelEvent::Completed {
                    response_id: Some("cc1".into()),
                    usage: Some(Usage {
                        input_tokens: 9,
                        cached_input_tokens: 2,
                        output_tokens: 5,
                        reasoning_output_tokens: 0,
                    }),
                },
            ]),
        );
    }

    #[test]
    fn done_without_finish_reason_still_emits_items() {
        check(
            &[chunk(json!({"content": "hi"}), None)],
            Ok(vec![
                ModelEvent::Created { response_id: Some("cc1".into()) },
                ModelEvent::TextDelta { delta: "hi".into() },
                ModelEvent::ItemDone { item: Item::assistant("hi") },
                ModelEvent::Completed { response_id: Some("cc1".into()), usage: None },
            ]),
        );
    }

    #[test]
    fn error_chunk_fails() {
        check(
            &[("message", json!({"error": {"message": "model not found", "type": "invalid_request_error"}}))],
            Err(TranslateError::Failed {
                code: Some("invalid_request_error".into()),
                message: "model not found".into(),
            }),
        );
    }

    #[test]
    fn bad_data_and_nameless_calls_are_malformed() {
        let result = feed_raw(&mut ChatTranslator::default(), &[("message", "{not json".to_owned())]);
        assert!(matches!(result, Err(TranslateError::Malformed { .. })), "{result:?}");
        let result = feed(
            &mut ChatTranslator::default(),
            &[chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}), Some("tool_calls"))],
        );
        let Err(TranslateError::Malformed { detail, .. }) = result else { panic!("{result:?}") };
        assert!(detail.contains("no function name"), "{detail}");
    }
}
