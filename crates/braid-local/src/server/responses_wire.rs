//! The Responses API request as the server reads it, and its translation into braid's chat messages,
//! tools and tool choice. Input items are read by hand rather than by serde's derive so that a bad
//! one gets a message naming its index (`input[3].type`), which is what a client needs to find it.
//! Unknown top-level fields (`parallel_tool_calls`, `reasoning`, `store`, `include`, ...) are
//! ignored, as OpenAI's own API does.

use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::ToolChoice;
use crate::client::IMAGES_NOT_SHOWN;
use crate::template::{ChatMessage, Role, ToolCallMessage, ToolSchema};

#[derive(Debug, Deserialize)]
pub(crate) struct ResponsesRequest {
    pub model: String,
    #[serde(default)]
    pub instructions: Option<String>,
    pub input: Input,
    /// Kept as raw JSON: clients send tool kinds this server does not know, which must not fail the
    /// request.
    #[serde(default)]
    pub tools: Vec<Value>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub seed: Option<u32>,
    /// Refused when set: this server keeps no responses to continue from.
    #[serde(default)]
    pub previous_response_id: Option<String>,
}

/// `input`: one user message as a string, or a list of items.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Input {
    Text(String),
    Items(Vec<Value>),
}

impl ResponsesRequest {
    /// The conversation in braid's shape: `instructions` first as a system message, then the input
    /// items. Fails with a message naming the first item (and part) this server cannot read.
    pub(crate) fn chat_messages(&self) -> Result<Vec<ChatMessage>, String> {
        // Ignoring the field would silently drop the whole earlier conversation, so it is an error.
        if let Some(id) = &self.previous_response_id {
            return Err(format!(
                "previous_response_id `{id}` cannot be used: this server stores no responses; send the whole conversation in `input` (with `store: false`)"
            ));
        }
        let mut messages = Vec::new();
        if let Some(instructions) = self.instructions.as_deref().filter(|i| !i.is_empty()) {
            messages.push(ChatMessage::new(Role::System, instructions));
        }
        match &self.input {
            Input::Text(text) => messages.push(ChatMessage::new(Role::User, text.as_str())),
            Input::Items(items) => {
                for (index, item) in items.iter().enumerate() {
                    add_item(&mut messages, index, item)?;
                }
            }
        }
        Ok(merge_leading_system(messages))
    }

    /// The `function` tools, flat as the Responses API sends them. Other kinds are skipped: they are
    /// tools OpenAI runs on its side (web search, a shell, free-form tools, namespaces of connector
    /// tools), which a local model cannot run. Fails when a function tool has no name.
    pub(crate) fn tool_schemas(&self) -> Result<Vec<ToolSchema>, String> {
        let mut tools = Vec::new();
        for (index, tool) in self.tools.iter().enumerate() {
            if tool.get("type").and_then(Value::as_str) != Some("function") {
                continue;
            }
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                return Err(format!("tools[{index}] is a function tool without a `name`"));
            };
            let parameters = match tool.get("parameters") {
                Some(Value::Null) | None => json!({"type": "object"}),
                Some(parameters) => parameters.clone(),
            };
            tools.push(ToolSchema {
                name: name.to_string(),
                description: tool.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                parameters,
            });
        }
        Ok(tools)
    }

    /// `tool_choice`: `auto` (also when absent), `none`, `required`, or `{"type": "function",
    /// "name": ...}` naming one of `tools`. Fails on anything else, saying what is accepted.
    pub(crate) fn tool_choice(&self, tools: &[ToolSchema]) -> Result<ToolChoice, String> {
        match &self.tool_choice {
            None | Some(Value::Null) => Ok(ToolChoice::Auto),
            Some(Value::String(choice)) => match choice.as_str() {
                "auto" => Ok(ToolChoice::Auto),
                "none" => Ok(ToolChoice::None),
                "required" => Ok(ToolChoice::Required(None)),
                other => Err(format!("tool_choice `{other}` is not one of auto, none, required")),
            },
            Some(value) => {
                let kind = value.get("type").and_then(Value::as_str);
                match (kind, value.get("name").and_then(Value::as_str)) {
                    (Some("function"), Some(name)) if tools.iter().any(|t| t.name == name) => {
                        Ok(ToolChoice::Required(Some(name.to_string())))
                    }
                    (Some("function"), Some(name)) => {
                        Err(format!("tool_choice names `{name}`, which is not among the function tools offered"))
                    }
                    _ => {
                        Err("tool_choice must be auto, none, required or {\"type\": \"function\", \"name\": ...}"
                            .into())
                    }
                }
            }
        }
    }
}

/// Adds input item `index` to the conversation.
fn add_item(messages: &mut Vec<ChatMessage>, index: usize, item: &Value) -> Result<(), String> {
    let field = |name: &str| item.get(name).and_then(Value::as_str);
    // A message may leave out its type; anything with a role is one.
    let kind = field("type").unwrap_or(if item.get("role").is_some() { "message" } else { "" });
    match kind {
        "message" => {
            let role = match field("role") {
                Some("user") => Role::User,
                Some("system" | "developer") => Role::System,
                Some("assistant") => Role::Assistant,
                Some(other) => {
                    return Err(format!(
                        "input[{index}].role `{other}` is not one of user, system, developer, assistant"
                    ));
                }
                None => return Err(format!("input[{index}] is a message without a `role`")),
            };
            let content = text_of(item.get("content"), &format!("input[{index}].content"), Images::Refuse)?;
            messages.push(ChatMessage::new(role, content));
        }
        "function_call" => {
            let (Some(call_id), Some(name)) = (field("call_id"), field("name")) else {
                return Err(format!("input[{index}] is a function_call without a `call_id` and a `name`"));
            };
            let call = ToolCallMessage {
                id: call_id.to_string(),
                name: name.to_string(),
                arguments: field("arguments").unwrap_or("{}").to_string(),
            };
            // Calls join the assistant turn right before them (its text, or earlier calls), because
            // the model produced them in one answer and the template renders them as one.
            match messages.last_mut() {
                Some(last) if last.role == Role::Assistant => last.tool_calls.push(call),
                _ => {
                    messages.push(ChatMessage { role: Role::Assistant, content: String::new(), tool_calls: vec![call] })
                }
            }
        }
        "function_call_output" => {
            // A tool's image (an MCP screenshot) is the tool's doing, not something the user asked the
            // model to look at, so it is named instead of failing the request.
            let output = text_of(item.get("output"), &format!("input[{index}].output"), Images::Describe)?;
            messages.push(ChatMessage::new(Role::Tool, output));
        }
        // Reasoning items carry a hosted model's (encrypted) thoughts; a local model has none to
        // replay, and their summaries were already shown.
        "reasoning" => {}
        "" => return Err(format!("input[{index}] has no `type`")),
        other => {
            return Err(format!(
                "input[{index}].type `{other}` is not supported; this server reads message, function_call, function_call_output and reasoning items"
            ));
        }
    }
    Ok(())
}

/// What `text_of` does with an image part.
#[derive(Clone, Copy, PartialEq)]
enum Images {
    /// Fail the request, naming the part.
    Refuse,
    /// Say in the text that the image is not shown.
    Describe,
}

/// The text of a message's content or a call's output: a string, or text parts joined. `at` names
/// the field for errors, which name the first part that is not text (an image, a file); image parts
/// are only described when `images` says so.
fn text_of(content: Option<&Value>, at: &str, images: Images) -> Result<String, String> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            let mut described = false;
            for (index, part) in parts.iter().enumerate() {
                match part.get("type").and_then(Value::as_str) {
                    Some("input_text" | "output_text" | "text") => {
                        text.push_str(part.get("text").and_then(Value::as_str).unwrap_or_default());
                    }
                    Some("input_image") if images == Images::Describe => {
                        if !described {
                            if !text.is_empty() {
                                text.push('\n');
                            }
                            text.push_str(IMAGES_NOT_SHOWN);
                            described = true;
                        }
                    }
                    Some(kind) => {
                        return Err(format!(
                            "{at}[{index}] is an `{kind}` part; this server serves a text-only model and reads input_text and output_text parts"
                        ));
                    }
                    None => return Err(format!("{at}[{index}] has no `type`")),
                }
            }
            Ok(text)
        }
        Some(_) => Err(format!("{at} must be a string or an array of parts")),
    }
}

/// Joins the system messages at the start (`instructions`, then developer messages, as Codex CLI
/// sends them) into one, because the templates put the tool list into the first system message
/// only and models expect one system prompt.
fn merge_leading_system(messages: Vec<ChatMessage>) -> Vec<ChatMessage> {
    let leading = messages.iter().take_while(|m| m.role == Role::System).count();
    if leading < 2 {
        return messages;
    }
    let mut rest = messages.into_iter();
    let system: Vec<String> = rest.by_ref().take(leading).map(|m| m.content).collect();
    std::iter::once(ChatMessage::new(Role::System, system.join("\n\n"))).chain(rest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> ResponsesRequest {
        serde_json::from_value(body).unwrap()
    }

    /// Translates a request with `extra` fields and input `input`, and compares the conversation
    /// with `expected` (each message as `[role, content, [call names]]`) or the error with
    /// `Err(fragment)`.
    fn check(extra: Value, input: Value, expected: Result<Value, &str>) {
        let mut body = json!({"model": "m", "input": input});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        let got = request(body).chat_messages();
        match (got, expected) {
            (Ok(messages), Ok(expected)) => {
                let messages: Vec<Value> = messages
                    .iter()
                    .map(|m| {
                        let calls: Vec<String> =
                            m.tool_calls.iter().map(|c| format!("{}:{}:{}", c.id, c.name, c.arguments)).collect();
                        json!([format!("{:?}", m.role), m.content, calls])
                    })
                    .collect();
                assert_eq!(Value::Array(messages), expected);
            }
            (Err(err), Err(fragment)) => assert!(err.contains(fragment), "{err} does not mention {fragment}"),
            (got, expected) => panic!("got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn images_in_a_tool_output_are_named_as_not_shown_and_in_a_user_message_refused() {
        let image = json!({"type": "input_image", "image_url": "data:image/png;base64,UE5H"});
        let text = json!({"type": "input_text", "text": "[image 1: image/png, 3 bytes]"});
        check(
            json!({}),
            json!([
                {"type": "function_call", "call_id": "c", "name": "shot", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c", "output": [text, image, image]},
                {"type": "function_call_output", "call_id": "d", "output": [image]},
            ]),
            Ok(json!([
                ["Assistant", "", ["c:shot:{}"]],
                ["Tool", format!("[image 1: image/png, 3 bytes]\n{IMAGES_NOT_SHOWN}"), []],
                ["Tool", IMAGES_NOT_SHOWN, []],
            ])),
        );
        check(
            json!({}),
            json!([{"role": "user", "content": [image]}]),
            Err("input[0].content[0] is an `input_image` part"),
        );
    }

    #[test]
    fn input_items_become_chat_messages() {
        let none = json!({});
        check(none.clone(), json!("hello"), Ok(json!([["User", "hello", []]])));
        check(
            json!({"instructions": "be brief"}),
            json!("hello"),
            Ok(json!([["System", "be brief", []], ["User", "hello", []]])),
        );
        // Instructions and developer messages become one system prompt; text parts are joined.
        check(
            json!({"instructions": "be brief"}),
            json!([
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox"}]},
                {"role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "text", "text": "b"}]},
            ]),
            Ok(json!([["System", "be brief\n\nsandbox", []], ["User", "ab", []]])),
        );
        // Assistant text followed by two calls is one turn; outputs as a string or parts; reasoning skipped.
        check(
            none.clone(),
            json!([
                {"role": "user", "content": "list"},
                {"type": "reasoning", "summary": [], "encrypted_content": "x"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Sure."}]},
                {"type": "function_call", "call_id": "c1", "name": "ls", "arguments": "{\"a\":1}"},
                {"type": "function_call", "call_id": "c2", "name": "cat", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "one"},
                {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "two"}]},
                {"type": "function_call", "call_id": "c3", "name": "ls"},
            ]),
            Ok(json!([
                ["User", "list", []],
                ["Assistant", "Sure.", ["c1:ls:{\"a\":1}", "c2:cat:{}"]],
                ["Tool", "one", []],
                ["Tool", "two", []],
                ["Assistant", "", ["c3:ls:{}"]],
            ])),
        );
        check(
            none.clone(),
            json!([{"type": "local_shell_call", "call_id": "x"}]),
            Err("input[0].type `local_shell_call`"),
        );
        check(
            none.clone(),
            json!([{"role": "user", "content": "hi"}, {"role": "user", "content": [{"type": "input_text", "text": "see"}, {"type": "input_image", "image_url": "x"}]}]),
            Err("input[1].content[1] is an `input_image` part"),
        );
        check(
            none.clone(),
            json!([{"type": "function_call_output", "call_id": "c", "output": [{"type": "input_file"}]}]),
            Err("input[0].output[0] is an `input_file` part"),
        );
        check(none.clone(), json!([{"role": "robot", "content": "hi"}]), Err("input[0].role `robot`"));
        check(json!({"previous_response_id": "resp_1"}), json!("go on"), Err("previous_response_id `resp_1`"));
        check(none, json!([{"type": "function_call", "name": "ls"}]), Err("input[0] is a function_call without"));
    }

    #[test]
    fn only_function_tools_are_offered_and_tool_choice_names_one() {
        let tools = json!([
            {"type": "function", "name": "exec_command", "description": "Runs", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}, "strict": false},
            {"type": "web_search"},
            {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}},
            {"type": "namespace", "name": "mcp", "tools": [{"type": "function", "name": "inner"}]},
            {"type": "local_shell"},
            {"type": "function", "name": "update_plan"},
        ]);
        let request = request(json!({"model": "m", "input": "x", "tools": tools}));
        let schemas = request.tool_schemas().unwrap();
        let names: Vec<&str> = schemas.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["exec_command", "update_plan"]);
        assert_eq!(schemas[0].description, "Runs");
        assert_eq!(schemas[1].parameters, json!({"type": "object"}));

        let nameless = ResponsesRequest { tools: vec![json!({"type": "function"})], ..request };
        assert!(nameless.tool_schemas().unwrap_err().contains("tools[0]"));

        for (choice, expected) in [
            (Value::Null, Ok(ToolChoice::Auto)),
            (json!("auto"), Ok(ToolChoice::Auto)),
            (json!("none"), Ok(ToolChoice::None)),
            (json!("required"), Ok(ToolChoice::Required(None))),
            (
                json!({"type": "function", "name": "exec_command"}),
                Ok(ToolChoice::Required(Some("exec_command".into()))),
            ),
            (json!({"type": "function", "name": "apply_patch"}), Err("`apply_patch`, which is not among")),
            (json!({"type": "function", "function": {"name": "exec_command"}}), Err("must be auto")),
            (json!("sometimes"), Err("`sometimes` is not one of")),
        ] {
            let request = ResponsesRequest { tool_choice: Some(choice.clone()), tools: vec![], ..nameless_like() };
            match (request.tool_choice(&schemas), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{choice}"),
                (Err(err), Err(fragment)) => assert!(err.contains(fragment), "{choice}: {err}"),
                (got, want) => panic!("{choice}: got {got:?}, expected {want:?}"),
            }
        }
    }

    fn nameless_like() -> ResponsesRequest {
        request(json!({"model": "m", "input": "x"}))
    }
}
