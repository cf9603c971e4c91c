//! The Anthropic Messages wire format: `Prompt` to `messages` with content blocks, and the
//! `message_*` / `content_block_*` events to `ModelEvent`s.

use std::collections::BTreeMap;

use braid_protocol::{Item, ModelEvent, Prompt, ReasoningEffort, Role, ToolChoice, Usage};
use serde_json::{Value, json};

use crate::ProviderConfig;
use crate::wire::{
    SseEvent, Translate, TranslateError, WireFormat, count_at, error_parts, parse_data, required_str, str_at,
};

/// `max_tokens` is required by this API; this is used when the prompt does not set one.
const DEFAULT_MAX_TOKENS: u32 = 8192;

/// The API version braid speaks, sent as `anthropic-version`.
const API_VERSION: &str = "2023-06-01";

/// Anthropic Messages: `POST {base_url}/messages`.
pub(crate) struct Anthropic;

impl WireFormat for Anthropic {
    fn path(&self) -> &'static str {
        "/messages"
    }

    fn build_request(&self, prompt: &Prompt) -> Value {
        build_request(prompt)
    }

    fn auth_headers(&self, provider: &ProviderConfig) -> Vec<(String, String)> {
        let mut headers = vec![("anthropic-version".to_owned(), API_VERSION.to_owned())];
        if let Some(key) = &provider.api_key {
            headers.push(("x-api-key".to_owned(), key.clone()));
        }
        headers
    }

    fn translator(&self) -> Box<dyn Translate> {
        Box::new(AnthropicTranslator::default())
    }
}

/// The thinking budget for an effort level. Anthropic takes a token budget, not a level.
fn thinking_budget(effort: ReasoningEffort) -> u32 {
    match effort {
        ReasoningEffort::Minimal => 1024,
        ReasoningEffort::Low => 2048,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 16384,
        ReasoningEffort::Xhigh => 32000,
    }
}

/// The Messages request body for `prompt`.
pub(crate) fn build_request(prompt: &Prompt) -> Value {
    let mut messages: Vec<Value> = Vec::new();
    for item in &prompt.input {
        let (role, block) = match item {
            // The API rejects empty text blocks.
            Item::Message { text, .. } if text.is_empty() => continue,
            Item::Message { role: Role::Assistant, text } => ("assistant", json!({ "type": "text", "text": text })),
            Item::Message { role: Role::User | Role::Developer, text } => {
                ("user", json!({ "type": "text", "text": text }))
            }
            // Thinking can only be sent back with its signature; without one it is dropped.
            Item::Reasoning { text, encrypted: Some(signature) } => {
                ("assistant", json!({ "type": "thinking", "thinking": text, "signature": signature }))
            }
            Item::Reasoning { encrypted: None, .. } => continue,
            Item::ToolCall { call_id, name, arguments } => {
                // The API wants an object; arguments the model garbled are sent as `{}`, and the tool's
                // error output (which braid sends next) tells the model what went wrong.
                let input =
                    serde_json::from_str::<Value>(arguments).ok().filter(Value::is_object).unwrap_or_else(|| json!({}));
                ("assistant", json!({ "type": "tool_use", "id": call_id, "name": name, "input": input }))
            }
            Item::ToolOutput { call_id, output, success, images } if images.is_empty() => (
                "user",
                json!({ "type": "tool_result", "tool_use_id": call_id, "content": output, "is_error": !success }),
            ),
            // Images go inside the result as image blocks after its text.
            Item::ToolOutput { call_id, output, success, images } => {
                let text = (!output.is_empty()).then(|| json!({ "type": "text", "text": output }));
                let content: Vec<Value> = text
                    .into_iter()
                    .chain(images.iter().map(|image| {
                        json!({
                            "type": "image",
                            "source": { "type": "base64", "media_type": image.mime_type, "data": image.data },
                        })
                    }))
                    .collect();
                (
                    "user",
                    json!({ "type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": !success }),
                )
            }
        };
        // The API requires turns to alternate, so consecutive blocks of one role share a message.
        match messages.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(content) = last["content"].as_array_mut() {
                    content.push(block);
                }
            }
            _ => messages.push(json!({ "role": role, "content": [block] })),
        }
    }
    let mut max_tokens = prompt.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    let mut body = json!({ "model": prompt.model, "messages": messages, "stream": true });
    if !prompt.instructions.is_empty() {
        body["system"] = json!(prompt.instructions);
    }
    if !prompt.tools.is_empty() {
        let tools: Vec<Value> = prompt
            .tools
            .iter()
            .map(|t| json!({ "name": t.name, "description": t.description, "input_schema": t.parameters }))
            .collect();
        body["tools"] = json!(tools);
        match &prompt.tool_choice {
            ToolChoice::Auto => {}
            ToolChoice::None => body["tool_choice"] = json!({ "type": "none" }),
            // The Messages API refuses a forced tool together with extended thinking, so a request that
            // thinks leaves the choice to the model; the caller's reminder still says which tool to call.
            ToolChoice::Tool(_) if prompt.reasoning_effort.is_some() => {}
            ToolChoice::Tool(name) => body["tool_choice"] = json!({ "type": "tool", "name": name }),
        }
    }
    if let Some(effort) = prompt.reasoning_effort {
        let budget = thinking_budget(effort);
        // The budget must be below `max_tokens`; leave room for the answer after the thinking.
        max_tokens = max_tokens.max(budget + 4096);
        body["thinking"] = json!({ "type": "enabled", "budget_tokens": budget });
    }
    body["max_tokens"] = json!(max_tokens);
    body
}

/// A content block being streamed.
enum Block {
    Text(String),
    Thinking {
        text: String,
        signature: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        json: String,
        start_input: Value,
    },
    /// Block types braid does not use (redacted thinking, server tools); their deltas are ignored.
    Other,
}

/// Translates one Messages stream: blocks are assembled by `index` and emitted at `content_block_stop`.
#[derive(Default)]
pub(crate) struct AnthropicTranslator {
    response_id: Option<String>,
    blocks: BTreeMap<u64, Block>,
    usage: Usage,
}

impl Translate for AnthropicTranslator {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        let data = parse_data(event)?;
        let kind = str_at(&data, "/type").unwrap_or(&event.event);
        match kind {
            "message_start" => {
                self.response_id = str_at(&data, "/message/id").map(str::to_owned);
                if let Some(usage) = data.pointer("/message/usage") {
                    // Anthropic counts cache reads and writes apart from `input_tokens`; braid's `Usage`
                    // (like OpenAI's) counts all input, with the cached part repeated.
                    let cached = count_at(usage, "/cache_read_input_tokens");
                    self.usage.input_tokens =
                        count_at(usage, "/input_tokens") + count_at(usage, "/cache_creation_input_tokens") + cached;
                    self.usage.cached_input_tokens = cached;
                    self.usage.output_tokens = count_at(usage, "/output_tokens");
                }
                out.push(ModelEvent::Created { response_id: self.response_id.clone() });
            }
            "content_block_start" => {
                let index = index(event, &data)?;
                let block = data
                    .get("content_block")
                    .filter(|b| b.is_object())
                    .ok_or_else(|| TranslateError::malformed(event, "missing object field `content_block`"))?;
                let block = match required_str(event, block, "/type")? {
                    "text" => Block::Text(str_at(block, "/text").unwrap_or_default().to_owned()),
                    "thinking" => Block::Thinking {
                        text: str_at(block, "/thinking").unwrap_or_default().to_owned(),
                        signature: str_at(block, "/signature").filter(|s| !s.is_empty()).map(str::to_owned),
                    },
                    "tool_use" => Block::ToolUse {
                        id: required_str(event, block, "/id")?.to_owned(),
                        name: required_str(event, block, "/name")?.to_owned(),
                        json: String::new(),
                        start_input: block.get("input").cloned().unwrap_or(Value::Null),
                    },
                    _ => Block::Other,
                };
                self.blocks.insert(index, block);
            }
            "content_block_delta" => self.on_delta(event, &data, out)?,
            "content_block_stop" => {
                let index = index(event, &data)?;
                let block = self.blocks.remove(&index).ok_or_else(|| {
                    TranslateError::malformed(event, format!("block {index} was stopped but never started"))
                })?;
                if let Some(item) = finish_block(block) {
                    out.push(ModelEvent::ItemDone { item });
                }
            }
            "message_delta" => {
                if let Some(output) = data.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.usage.output_tokens = output;
                }
            }
            "message_stop" => {
                out.push(ModelEvent::Completed { response_id: self.response_id.clone(), usage: Some(self.usage) });
            }
            "error" => {
                let (code, message) = error_parts(&data);
                return Err(TranslateError::Failed { code, message });
            }
            // `ping` and event types added later carry nothing braid needs.
            _ => {}
        }
        Ok(())
    }
}

impl AnthropicTranslator {
    fn on_delta(&mut self, event: &SseEvent, data: &Value, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        let index = index(event, data)?;
        let block = self.blocks.get_mut(&index).ok_or_else(|| {
            TranslateError::malformed(event, format!("delta for block {index}, which was never started"))
        })?;
        let delta = data
            .get("delta")
            .filter(|d| d.is_object())
            .ok_or_else(|| TranslateError::malformed(event, "missing object field `delta`"))?;
        match (required_str(event, delta, "/type")?, block) {
            ("text_delta", Block::Text(text)) => {
                let piece = required_str(event, delta, "/text")?;
                text.push_str(piece);
                out.push(ModelEvent::TextDelta { delta: piece.to_owned() });
            }
            ("thinking_delta", Block::Thinking { text, .. }) => {
                let piece = required_str(event, delta, "/thinking")?;
                text.push_str(piece);
                out.push(ModelEvent::ReasoningDelta { delta: piece.to_owned() });
            }
            ("signature_delta", Block::Thinking { signature, .. }) => {
                let piece = required_str(event, delta, "/signature")?;
                signature.get_or_insert_with(String::new).push_str(piece);
            }
            ("input_json_delta", Block::ToolUse { json, .. }) => {
                json.push_str(required_str(event, delta, "/partial_json")?);
            }
            (_, Block::Other) => {}
            (kind, _) => {
                return Err(TranslateError::malformed(
                    event,
                    format!("`{kind}` does not fit the kind of block {index}"),
                ));
            }
        }
        Ok(())
    }
}

/// The item a finished block stands for, if any.
fn finish_block(block: Block) -> Option<Item> {
    match block {
        Block::Text(text) => Some(Item::assistant(text)),
        Block::Thinking { text, signature } => Some(Item::Reasoning { text, encrypted: signature }),
        Block::ToolUse { id, name, json, start_input } => {
            // The arguments normally arrive as `input_json_delta` pieces; a server that sends the whole
            // input in the start event (and no deltas) still yields it.
            let arguments = if !json.is_empty() {
                json
            } else if start_input.as_object().is_some_and(|o| !o.is_empty()) {
                start_input.to_string()
            } else {
                "{}".to_owned()
            };
            Some(Item::ToolCall { call_id: id, name, arguments })
        }
        Block::Other => None,
    }
}

fn index(event: &SseEvent, data: &Value) -> Result<u64, TranslateError> {
    data.get("index")
        .and_then(Value::as_u64)
        .ok_or_else(|| TranslateError::malformed(event, "missing number field `index`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests_support::{feed, image_prompt, prompt_fixture};
    use pretty_assertions::assert_eq;

    #[test]
    fn tool_images_go_inside_the_result_as_base64_image_blocks_after_the_text() {
        let body = build_request(&image_prompt());
        let image = |mime: &str, data: &str| json!({"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}});
        // Both results share the user turn; the empty text of the second is left out, as the API
        // refuses empty text blocks.
        let expected = json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "c1", "is_error": false, "content": [
                {"type": "text", "text": "[image 1: image/png, 3 bytes]\n[image 2: image/gif, 3 bytes]"},
                image("image/png", "UE5H"),
                image("image/gif", "R0lG"),
            ]},
            {"type": "tool_result", "tool_use_id": "c2", "is_error": true, "content": [image("image/webp", "UklG")]},
        ]});
        assert_eq!(body["messages"][2], expected);
        assert_eq!(body["messages"][3]["role"], "assistant");
    }

    #[test]
    fn request_merges_turns_and_translates_blocks() {
        let mut prompt = prompt_fixture();
        prompt.reasoning_effort = Some(ReasoningEffort::Low);
        let expected = json!({
            "model": "m",
            "system": "be brief",
            "max_tokens": 8192,
            "stream": true,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "env"}, {"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "thinking", "signature": "blob"},
                    {"type": "text", "text": "looking"},
                    {"type": "tool_use", "id": "c1", "name": "shell", "input": {"cmd": "ls"}},
                ]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "a.txt", "is_error": false}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "c2", "name": "shell", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c2", "content": "bad args", "is_error": true}]},
            ],
            "tools": [{"name": "shell", "description": "run", "input_schema": {"type": "object"}}],
        });
        assert_eq!(build_request(&prompt), expected);
    }

    #[test]
    fn max_tokens_leaves_room_for_thinking() {
        let mut prompt = prompt_fixture();
        prompt.max_output_tokens = Some(1000);
        assert_eq!(build_request(&prompt)["max_tokens"], json!(1000));
        prompt.reasoning_effort = Some(ReasoningEffort::High);
        assert_eq!(build_request(&prompt)["max_tokens"], json!(16384 + 4096));
    }

    fn check(events: &[(&str, Value)], expected: Result<Vec<ModelEvent>, TranslateError>) {
        assert_eq!(feed(&mut AnthropicTranslator::default(), events), expected);
    }

    fn ev(kind: &'static str, mut data: Value) -> (&'static str, Value) {
        data["type"] = json!(kind);
        (kind, data)
    }

    #[test]
    fn thinking_text_and_tool_use_with_json_deltas() {
        check(
            &[
                ev(
                    "message_start",
                    json!({"message": {"id": "msg1", "usage": {"input_tokens": 5, "cache_read_input_tokens": 3, "output_tokens": 1}}}),
                ),
                ev("content_block_start", json!({"index": 0, "content_block": {"type": "thinking", "thinking": ""}})),
                ev("content_block_delta", json!({"index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}})),
                ev(
                    "content_block_delta",
                    json!({"index": 0, "delta": {"type": "signature_delta", "signature": "sig"}}),
                ),
                ev("content_block_stop", json!({"index": 0})),
                ev("ping", json!({})),
                ev("content_block_start", json!({"index": 1, "content_block": {"type": "text", "text": ""}})),
                ev("content_block_delta", json!({"index": 1, "delta": {"type": "text_delta", "text": "ok"}})),
                ev("content_block_stop", json!({"index": 1})),
                ev(
                    "content_block_start",
                    json!({"index": 2, "content_block": {"type": "tool_use", "id": "t1", "name": "shell", "input": {}}}),
                ),
                ev(
                    "content_block_delta",
                    json!({"index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"cmd\": "}}),
                ),
                ev(
                    "content_block_delta",
                    json!({"index": 2, "delta": {"type": "input_json_delta", "partial_json": "\"ls\"}"}}),
                ),
                ev("content_block_stop", json!({"index": 2})),
                ev("message_delta", json!({"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 42}})),
                ev("message_stop", json!({})),
            ],
            Ok(vec![
                ModelEvent::Created { response_id: Some("msg1".into()) },
                ModelEvent::ReasoningDelta { delta: "hmm".into() },
                ModelEvent::ItemDone { item: Item::Reasoning { text: "hmm".into(), encrypted: Some("sig".into()) } },
                ModelEvent::TextDelta { delta: "ok".into() },
                ModelEvent::ItemDone { item: Item::assistant("ok") },
                ModelEvent::ItemDone {
                    item: Item::ToolCall {
                        call_id: "t1".into(),
                        name: "shell".into(),
                        arguments: "{\"cmd\": \"ls\"}".into(),
                    },
                },
                ModelEvent::Completed {
                    response_id: Some("msg1".into()),
                    usage: Some(Usage {
                        input_tokens: 8,
                        cached_input_tokens: 3,
                        output_tokens: 42,
                        reasoning_output_tokens: 0,
                    }),
                },
            ]),
        );
    }

    #[test]
    fn tool_use_without_deltas_is_empty_object() {
        check(
            &[
                ev(
                    "content_block_start",
                    json!({"index": 0, "content_block": {"type": "tool_use", "id": "t1", "name": "plan", "input": {}}}),
                ),
                ev("content_block_stop", json!({"index": 0})),
            ],
            Ok(vec![ModelEvent::ItemDone {
                item: Item::ToolCall { call_id: "t1".into(), name: "plan".into(), arguments: "{}".into() },
            }]),
        );
    }

    #[test]
    fn error_event_and_malformed_blocks() {
        check(
            &[ev("error", json!({"error": {"type": "overloaded_error", "message": "Overloaded"}}))],
            Err(TranslateError::Failed { code: Some("overloaded_error".into()), message: "Overloaded".into() }),
        );
        let result = feed(
            &mut AnthropicTranslator::default(),
            &[ev("content_block_delta", json!({"index": 4, "delta": {"type": "text_delta", "text": "x"}}))],
        );
        let Err(TranslateError::Malformed { detail, .. }) = result else { panic!("{result:?}") };
        assert!(detail.contains("never started"), "{detail}");
        let result = feed(
            &mut AnthropicTranslator::default(),
            &[ev("content_block_start", json!({"index": 0, "content_block": {"type": "tool_use", "name": "x"}}))],
        );
        let Err(TranslateError::Malformed { detail, .. }) = result else { panic!("{result:?}") };
        assert!(detail.contains("/id"), "{detail}");
    }
}
