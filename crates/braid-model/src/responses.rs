//! The OpenAI Responses wire format: `Prompt` to request JSON, and `response.*` events to `ModelEvent`s.

use std::collections::BTreeMap;

use braid_protocol::{Item, ModelEvent, Prompt, Role, ToolChoice, Usage};
use serde_json::{Value, json};

use crate::ProviderConfig;
use crate::wire::{
    SseEvent, Translate, TranslateError, WireFormat, count_at, error_parts, parse_data, required_str, str_at,
};

/// OpenAI Responses: `POST {base_url}/responses`.
pub(crate) struct Responses;

impl WireFormat for Responses {
    fn path(&self) -> &'static str {
        "/responses"
    }

    fn build_request(&self, prompt: &Prompt) -> Value {
        build_request(prompt)
    }

    fn auth_headers(&self, provider: &ProviderConfig) -> Vec<(String, String)> {
        bearer(provider)
    }

    fn translator(&self) -> Box<dyn Translate> {
        Box::new(ResponsesTranslator::default())
    }
}

/// `Authorization: Bearer <key>` when a key is set; shared with Chat Completions.
pub(crate) fn bearer(provider: &ProviderConfig) -> Vec<(String, String)> {
    provider.api_key.iter().map(|key| ("authorization".to_owned(), format!("Bearer {key}"))).collect()
}

/// The Responses request body for `prompt`.
pub(crate) fn build_request(prompt: &Prompt) -> Value {
    let input: Vec<Value> = prompt.input.iter().filter_map(input_item).collect();
    let mut body = json!({
        "model": prompt.model,
        "instructions": prompt.instructions,
        "input": input,
        "stream": true,
        // braid keeps the history itself and sends it whole, so nothing needs storing server-side.
        "store": false,
    });
    // The tool fields are left out when there are no tools: some servers reject `tool_choice` without
    // any tool to choose.
    if !prompt.tools.is_empty() {
        let tools: Vec<Value> = prompt
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                    "strict": false,
                })
            })
            .collect();
        body["tools"] = json!(tools);
        body["tool_choice"] = match &prompt.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({ "type": "function", "name": name }),
        };
        body["parallel_tool_calls"] = json!(false);
    }
    if let Some(effort) = prompt.reasoning_effort {
        body["reasoning"] = json!({ "effort": effort.as_str(), "summary": "auto" });
        // With `store: false` the only way to carry reasoning into the next request is the encrypted
        // blob, so ask for it.
        body["include"] = json!(["reasoning.encrypted_content"]);
    }
    if let Some(max) = prompt.max_output_tokens {
        body["max_output_tokens"] = json!(max);
    }
    body
}

/// One history item as a Responses input item, or `None` for reasoning the server could not use.
fn input_item(item: &Item) -> Option<Value> {
    Some(match item {
        Item::Message { role: Role::Assistant, text } => json!({
            "type": "message",
            "role": "assistant",
            "content": [{ "type": "output_text", "text": text }],
        }),
        Item::Message { role, text } => json!({
            "type": "message",
            "role": if *role == Role::Developer { "developer" } else { "user" },
            "content": [{ "type": "input_text", "text": text }],
        }),
        // Reasoning without its encrypted content cannot be replayed (the server would look it up by
        // id, and nothing is stored), so it is dropped.
        Item::Reasoning { text, encrypted } => {
            let encrypted = encrypted.as_ref()?;
            let summary: Vec<Value> =
                if text.is_empty() { Vec::new() } else { vec![json!({ "type": "summary_text", "text": text })] };
            json!({ "type": "reasoning", "summary": summary, "encrypted_content": encrypted })
        }
        Item::ToolCall { call_id, name, arguments } => json!({
            "type": "function_call",
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
        }),
        Item::ToolOutput { call_id, output, images, .. } if images.is_empty() => json!({
            "type": "function_call_output",
            "call_id": call_id,
            "output": output,
        }),
        // With images the output is a list of content parts: the text (when there is any), then each
        // image.
        Item::ToolOutput { call_id, output, images, .. } => {
            let text = (!output.is_empty()).then(|| json!({ "type": "input_text", "text": output }));
            let parts: Vec<Value> = text
                .into_iter()
                .chain(
                    images
                        .iter()
                        .map(|image| json!({ "type": "input_image", "image_url": image.data_url(), "detail": "auto" })),
                )
                .collect();
            json!({ "type": "function_call_output", "call_id": call_id, "output": parts })
        }
    })
}

/// Translates one Responses stream. It only keeps the argument deltas of function calls, in case a
/// server's `output_item.done` leaves the full arguments out.
#[derive(Default)]
pub(crate) struct ResponsesTranslator {
    arguments: BTreeMap<u64, String>,
}

impl Translate for ResponsesTranslator {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError> {
        let data = parse_data(event)?;
        // The type is in the data; the `event:` line repeats it, and is the fallback for servers that
        // only send one of them.
        let kind = str_at(&data, "/type").unwrap_or(&event.event);
        match kind {
            "response.created" => {
                out.push(ModelEvent::Created { response_id: str_at(&data, "/response/id").map(str::to_owned) })
            }
            "response.output_text.delta" => {
                let delta = required_str(event, &data, "/delta")?;
                out.push(ModelEvent::TextDelta { delta: delta.to_owned() });
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                let delta = required_str(event, &data, "/delta")?;
                out.push(ModelEvent::ReasoningDelta { delta: delta.to_owned() });
            }
            "response.function_call_arguments.delta" => {
                let delta = required_str(event, &data, "/delta")?;
                let index = count_at(&data, "/output_index");
                self.arguments.entry(index).or_default().push_str(delta);
            }
            "response.output_item.done" => {
                let index = count_at(&data, "/output_index");
                let streamed = self.arguments.remove(&index);
                if let Some(item) = output_item(event, &data, streamed)? {
                    out.push(ModelEvent::ItemDone { item });
                }
            }
            "response.completed" => out.push(ModelEvent::Completed {
                response_id: str_at(&data, "/response/id").map(str::to_owned),
                usage: data.pointer("/response/usage").filter(|u| u.is_object()).map(usage),
            }),
            "response.failed" => {
                let (code, message) = match data.pointer("/response/error") {
                    Some(error) if error.is_object() => error_parts(error),
                    _ => (None, "the response failed without saying why".to_owned()),
                };
                return Err(TranslateError::Failed { code, message });
            }
            "response.incomplete" => {
                let reason = str_at(&data, "/response/incomplete_details/reason").unwrap_or("unknown");
                return Err(TranslateError::Failed {
                    code: Some("incomplete".to_owned()),
                    message: format!("the response is incomplete: {reason}"),
                });
            }
            "error" => {
                let (code, message) = error_parts(&data);
                return Err(TranslateError::Failed { code, message });
            }
            // Other events (item added, content part added, text done, ...) repeat what the deltas and
            // `output_item.done` already carry.
            _ => {}
        }
        Ok(())
    }
}

/// The finished output item in `data/item`, or `None` for item types braid does not use.
fn output_item(
    event: &SseEvent,
    data: &Value,
    streamed_arguments: Option<String>,
) -> Result<Option<Item>, TranslateError> {
    let item = data
        .get("item")
        .filter(|item| item.is_object())
        .ok_or_else(|| TranslateError::malformed(event, "missing object field `item`"))?;
    let kind = required_str(event, item, "/type")?;
    Ok(match kind {
        "message" => Some(Item::assistant(join_parts(item, "content", &["output_text", "refusal"], ""))),
        "reasoning" => {
            let mut text = join_parts(item, "summary", &["summary_text"], "\n\n");
            if text.is_empty() {
                text = join_parts(item, "content", &["reasoning_text"], "");
            }
            let encrypted = str_at(item, "/encrypted_content").map(str::to_owned);
            Some(Item::Reasoning { text, encrypted })
        }
        "function_call" => {
            let call_id = required_str(event, item, "/call_id")?.to_owned();
            let name = required_str(event, item, "/name")?.to_owned();
            let arguments = match str_at(item, "/arguments") {
                Some(arguments) => arguments.to_owned(),
                None => streamed_arguments.unwrap_or_default(),
            };
            Some(Item::ToolCall { call_id, name, arguments })
        }
        _ => None,
    })
}

/// The texts of the parts in `item[field]` whose type is one of `types` (the refusal part keeps its
/// text under `refusal`), joined with `separator`.
fn join_parts(item: &Value, field: &str, types: &[&str], separator: &str) -> String {
    let parts = item.get(field).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    parts
        .iter()
        .filter(|part| str_at(part, "/type").is_some_and(|t| types.contains(&t)))
        .filter_map(|part| str_at(part, "/text").or_else(|| str_at(part, "/refusal")))
        .collect::<Vec<_>>()
        .join(separator)
}

fn usage(usage: &Value) -> Usage {
    Usage {
        input_tokens: count_at(usage, "/input_tokens"),
        cached_input_tokens: count_at(usage, "/input_tokens_details/cached_tokens"),
        output_tokens: count_at(usage, "/output_tokens"),
        reasoning_output_tokens: count_at(usage, "/output_tokens_details/reasoning_tokens"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests_support::{feed, image_prompt, prompt_fixture};
    use braid_protocol::ReasoningEffort;
    use pretty_assertions::assert_eq;

    #[test]
    fn request_translates_every_item_kind() {
        let mut prompt = prompt_fixture();
        prompt.reasoning_effort = Some(ReasoningEffort::High);
        prompt.max_output_tokens = Some(100);
        let expected = json!({
            "model": "m",
            "instructions": "be brief",
            "input": [
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "env"}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}], "encrypted_content": "blob"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "looking"}]},
                {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{\"cmd\":\"ls\"}"},
                {"type": "function_call_output", "call_id": "c1", "output": "a.txt"},
                {"type": "function_call", "call_id": "c2", "name": "shell", "arguments": "not json"},
                {"type": "function_call_output", "call_id": "c2", "output": "bad args"},
            ],
            "tools": [{"type": "function", "name": "shell", "description": "run", "parameters": {"type": "object"}, "strict": false}],
            "tool_choice": "auto",
            "parallel_tool_calls": false,
            "stream": true,
            "store": false,
            "reasoning": {"effort": "high", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
            "max_output_tokens": 100,
        });
        assert_eq!(build_request(&prompt), expected);
    }

    #[test]
    fn tool_images_go_in_the_output_as_input_image_parts_after_the_text() {
        let body = build_request(&image_prompt());
        let expected = json!([
            {"type": "function_call_output", "call_id": "c1", "output": [
                {"type": "input_text", "text": "[image 1: image/png, 3 bytes]\n[image 2: image/gif, 3 bytes]"},
                {"type": "input_image", "image_url": "data:image/png;base64,UE5H", "detail": "auto"},
                {"type": "input_image", "image_url": "data:image/gif;base64,R0lG", "detail": "auto"},
            ]},
            {"type": "function_call_output", "call_id": "c2", "output": [
                {"type": "input_image", "image_url": "data:image/webp;base64,UklG", "detail": "auto"},
            ]},
        ]);
        assert_eq!(body["input"].as_array().unwrap()[3..5], expected.as_array().unwrap()[..]);
    }

    #[test]
    fn request_without_tools_or_effort_leaves_those_fields_out() {
        let mut prompt = prompt_fixture();
        prompt.tools.clear();
        let body = build_request(&prompt);
        for field in ["tools", "tool_choice", "parallel_tool_calls", "reasoning", "include", "max_output_tokens"] {
            assert!(body.get(field).is_none(), "{field} should be absent");
        }
    }

    #[test]
    fn text_only_requests_keep_the_tools_but_forbid_calls() {
        let mut prompt = prompt_fixture();
        prompt.tool_choice = ToolChoice::None;
        let body = build_request(&prompt);
        assert_eq!(body["tool_choice"], "none");
        assert_eq!(body["tools"].as_array().map(Vec::len), Some(1));
        assert_eq!(crate::chat::build_request(&prompt)["tool_choice"], "none");
        assert_eq!(crate::anthropic::build_request(&prompt)["tool_choice"], serde_json::json!({"type": "none"}));
        prompt.tool_choice = ToolChoice::Auto;
        assert!(crate::chat::build_request(&prompt).get("tool_choice").is_none());
        assert!(crate::anthropic::build_request(&prompt).get("tool_choice").is_none());
    }

    #[test]
    fn a_forced_tool_is_named_in_each_providers_shape() {
        let mut prompt = prompt_fixture();
        prompt.reasoning_effort = None;
        prompt.tool_choice = ToolChoice::Tool("shell".into());
        assert_eq!(build_request(&prompt)["tool_choice"], json!({"type": "function", "name": "shell"}));
        assert_eq!(
            crate::chat::build_request(&prompt)["tool_choice"],
            json!({"type": "function", "function": {"name": "shell"}})
        );
        assert_eq!(crate::anthropic::build_request(&prompt)["tool_choice"], json!({"type": "tool", "name": "shell"}));
        // Anthropic refuses a forced tool with extended thinking on, so a thinking request leaves it out.
        prompt.reasoning_effort = Some(braid_protocol::ReasoningEffort::High);
        assert!(crate::anthropic::build_request(&prompt).get("tool_choice").is_none());
    }

    fn check(events: &[(&str, Value)], expected: Result<Vec<ModelEvent>, TranslateError>) {
        assert_eq!(feed(&mut ResponsesTranslator::default(), events), expected);
    }

    #[test]
    fn text_reasoning_and_tool_call() {
        check(
            &[
                ("response.created", json!({"type": "response.created", "response": {"id": "r1"}})),
                (
                    "response.reasoning_summary_text.delta",
                    json!({"type": "response.reasoning_summary_text.delta", "delta": "hm"}),
                ),
                (
                    "response.output_item.done",
                    json!({"type": "response.output_item.done", "output_index": 0, "item": {
                    "type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}], "encrypted_content": "enc"}}),
                ),
                ("response.output_text.delta", json!({"type": "response.output_text.delta", "delta": "Hel"})),
                ("response.output_text.delta", json!({"type": "response.output_text.delta", "delta": "lo"})),
                (
                    "response.output_item.done",
                    json!({"type": "response.output_item.done", "output_index": 1, "item": {
                    "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello"}]}}),
                ),
                (
                    "response.function_call_arguments.delta",
                    json!({"type": "response.function_call_arguments.delta", "output_index": 2, "delta": "{\"a\""}),
                ),
                (
                    "response.function_call_arguments.delta",
                    json!({"type": "response.function_call_arguments.delta", "output_index": 2, "delta": ":1"}),
                ),
                (
                    "response.output_item.done",
                    json!({"type": "response.output_item.done", "output_index": 2, "item": {
                    "type": "function_call", "call_id": "c1", "name": "shell"}}),
                ),
                (
                    "response.completed",
                    json!({"type": "response.completed", "response": {"id": "r1", "usage": {
                    "input_tokens": 10, "input_tokens_details": {"cached_tokens": 4},
                    "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 3}}}}),
                ),
            ],
            Ok(vec![
                ModelEvent::Created { response_id: Some("r1".into()) },
                ModelEvent::ReasoningDelta { delta: "hm".into() },
                ModelEvent::ItemDone { item: Item::Reasoning { text: "hm".into(), encrypted: Some("enc".into()) } },
                ModelEvent::TextDelta { delta: "Hel".into() },
                ModelEvent::TextDelta { delta: "lo".into() },
                ModelEvent::ItemDone { item: Item::assistant("Hello") },
                // The arguments are kept verbatim even though they are not valid JSON.
                ModelEvent::ItemDone {
                    item: Item::ToolCall { call_id: "c1".into(), name: "shell".into(), arguments: "{\"a\":1".into() },
                },
                ModelEvent::Completed {
                    response_id: Some("r1".into()),
                    usage: Some(Usage {
                        input_tokens: 10,
                        cached_input_tokens: 4,
                        output_tokens: 7,
                        reasoning_output_tokens: 3,
                    }),
                },
            ]),
        );
    }

    #[test]
    fn failures_carry_code_and_message() {
        check(
            &[(
                "response.failed",
                json!({"type": "response.failed", "response": {"error": {"code": "server_error", "message": "boom"}}}),
            )],
            Err(TranslateError::Failed { code: Some("server_error".into()), message: "boom".into() }),
        );
        check(
            &[("error", json!({"type": "error", "code": "rate_limit_exceeded", "message": "slow down"}))],
            Err(TranslateError::Failed { code: Some("rate_limit_exceeded".into()), message: "slow down".into() }),
        );
    }

    #[test]
    fn missing_fields_are_malformed() {
        let result = feed(
            &mut ResponsesTranslator::default(),
            &[(
                "response.output_item.done",
                json!({"type": "response.output_item.done", "item": {"type": "function_call", "name": "x"}}),
            )],
        );
        let Err(TranslateError::Malformed { event, detail, .. }) = result else { panic!("{result:?}") };
        assert_eq!(event, "response.output_item.done");
        assert!(detail.contains("call_id"), "{detail}");
    }
}
