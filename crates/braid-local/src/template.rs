//! Chat templates: how a conversation and the offered tools become the one prompt string a local
//! model was trained to continue.
//!
//! The models braid ships all use ChatML turns (`<|im_start|>role … <|im_end|>`). Qwen2.5 was also
//! trained on a tool section in the system turn, tool calls written as JSON inside `<tool_call>` tags
//! in the assistant turn, and tool results returned in a user turn inside `<tool_response>` tags. braid
//! uses the same layout for every family: the grammar makes a model that never saw it (SmolLM2) still
//! produce well-formed calls, and one layout means one parser.

use serde_json::json;

use crate::store::Family;

/// Opens a tool call in the model's output; the grammar switches on when it appears.
pub const TOOL_CALL_OPEN: &str = "<tool_call>";
/// How a tool call written without the tag begins; small models often write the JSON straight away.
pub const BARE_CALL_OPEN: &str = "{\"name\"";
/// Closes a tool call.
pub const TOOL_CALL_CLOSE: &str = "</tool_call>";
/// Ends a turn; generation stops on it.
pub const END_OF_TURN: &str = "<|im_end|>";

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    /// The output of a tool call, answering an earlier assistant message.
    Tool,
}

/// A tool call inside an assistant message.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallMessage {
    pub id: String,
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

/// One message of a conversation, in the shape every front end can translate into.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    pub tool_calls: Vec<ToolCallMessage>,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage { role, content: content.into(), tool_calls: Vec::new() }
    }
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSchema {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: serde_json::Value,
}

/// Renders `messages` and `tools` as the prompt for `family`, ending with an open assistant turn.
pub fn render(family: Family, messages: &[ChatMessage], tools: &[ToolSchema]) -> String {
    let mut out = String::new();
    let (system, rest) = match messages.split_first() {
        Some((first, rest)) if first.role == Role::System => (Some(first.content.as_str()), rest),
        _ => (None, messages),
    };
    let system = system.unwrap_or(default_system(family));
    if !system.is_empty() || !tools.is_empty() {
        out.push_str("<|im_start|>system\n");
        out.push_str(system);
        if !tools.is_empty() {
            out.push_str(&tool_section(tools));
        }
        out.push_str("<|im_end|>\n");
    }
    let mut index = 0;
    while index < rest.len() {
        let message = &rest[index];
        match message.role {
            // Consecutive tool results share one user turn, in call order.
            Role::Tool => {
                out.push_str("<|im_start|>user");
                while let Some(result) = rest.get(index).filter(|m| m.role == Role::Tool) {
                    out.push_str("\n<tool_response>\n");
                    out.push_str(&result.content);
                    out.push_str("\n</tool_response>");
                    index += 1;
                }
                out.push_str("<|im_end|>\n");
                continue;
            }
            Role::Assistant => {
                out.push_str("<|im_start|>assistant\n");
                out.push_str(&message.content);
                for call in &message.tool_calls {
                    if !out.ends_with('\n') && !out.ends_with("assistant\n") {
                        out.push('\n');
                    }
                    out.push_str(TOOL_CALL_OPEN);
                    out.push('\n');
                    out.push_str(&call_json(call));
                    out.push('\n');
                    out.push_str(TOOL_CALL_CLOSE);
                }
                out.push_str("<|im_end|>\n");
            }
            Role::System | Role::User => {
                let role = if message.role == Role::System { "system" } else { "user" };
                out.push_str("<|im_start|>");
                out.push_str(role);
                out.push('\n');
                out.push_str(&message.content);
                out.push_str("<|im_end|>\n");
            }
        }
        index += 1;
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

fn default_system(family: Family) -> &'static str {
    match family {
        Family::Qwen2 => "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
        Family::SmolLM2 | Family::ChatMl => "You are a helpful assistant.",
    }
}

/// The tool section of the system turn: the signatures as JSON lines, and how to call one.
fn tool_section(tools: &[ToolSchema]) -> String {
    let mut out = String::from(
        "\n\n# Tools\n\nYou can call functions to help with the request. Their signatures are inside <tools></tools>:\n<tools>",
    );
    for tool in tools {
        let signature = json!({
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
        });
        out.push('\n');
        out.push_str(&signature.to_string());
    }
    out.push_str(
        "\n</tools>\n\nTo call a function, write a JSON object with the function's name and its arguments inside <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>",
    );
    out
}

/// A call as the model writes it. Arguments that are not valid JSON are passed through as a string
/// so the transcript still shows what was asked.
fn call_json(call: &ToolCallMessage) -> String {
    let arguments = serde_json::from_str::<serde_json::Value>(&call.arguments)
        .unwrap_or_else(|_| serde_json::Value::String(call.arguments.clone()));
    // Name first, as the grammar makes the model write it.
    format!("{{\"name\": {}, \"arguments\": {}}}", serde_json::Value::String(call.name.clone()), arguments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_tool_round_trip() {
        let messages = vec![
            ChatMessage::new(Role::System, "Be brief."),
            ChatMessage::new(Role::User, "List files."),
            ChatMessage {
                role: Role::Assistant,
                content: String::new(),
                tool_calls: vec![ToolCallMessage {
                    id: "c1".into(),
                    name: "shell".into(),
                    arguments: r#"{"command":["ls"]}"#.into(),
                }],
            },
            ChatMessage::new(Role::Tool, "a.txt"),
            ChatMessage::new(Role::Tool, "b.txt"),
        ];
        let tools = vec![ToolSchema {
            name: "shell".into(),
            description: "Run a command".into(),
            parameters: json!({"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}, "required": ["command"]}),
        }];
        insta::assert_snapshot!(render(Family::Qwen2, &messages, &tools), @r#"
        <|im_start|>system
        Be brief.

        # Tools

        You can call functions to help with the request. Their signatures are inside <tools></tools>:
        <tools>
        {"function":{"description":"Run a command","name":"shell","parameters":{"properties":{"command":{"items":{"type":"string"},"type":"array"}},"required":["command"],"type":"object"}},"type":"function"}
        </tools>

        To call a function, write a JSON object with the function's name and its arguments inside <tool_call></tool_call> tags:
        <tool_call>
        {"name": <function-name>, "arguments": <args-json-object>}
        </tool_call><|im_end|>
        <|im_start|>user
        List files.<|im_end|>
        <|im_start|>assistant
        <tool_call>
        {"name": "shell", "arguments": {"command":["ls"]}}
        </tool_call><|im_end|>
        <|im_start|>user
        <tool_response>
        a.txt
        </tool_response>
        <tool_response>
        b.txt
        </tool_response><|im_end|>
        <|im_start|>assistant
        "#);
    }

    #[test]
    fn plain_chat_gets_the_family_default_system_turn() {
        let prompt = render(Family::SmolLM2, &[ChatMessage::new(Role::User, "hi")], &[]);
        assert_eq!(
            prompt,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}
