//! The Chat Completions request as the server reads it, and its translation into braid's chat
//! messages and generation settings. Only what a local model can honour is read; unknown fields are
//! ignored, as OpenAI's own API does.

use serde::Deserialize;
use serde_json::Value;

use crate::template::{ChatMessage, Role, ToolCallMessage, ToolSchema};

#[derive(Debug, Deserialize)]
pub(crate) struct ChatRequest {
    pub model: String,
    pub messages: Vec<RequestMessage>,
    #[serde(default)]
    pub tools: Vec<RequestTool>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub seed: Option<u32>,
    #[serde(default)]
    pub stop: Option<Stop>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Stop {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub tool_calls: Vec<RequestToolCall>,
}

/// Message content: a string, or an array of parts of which the text ones count.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Value>),
}

impl Content {
    fn text(&self) -> String {
        match self {
            Content::Text(text) => text.clone(),
            Content::Parts(parts) => {
                parts.iter().filter_map(|part| part.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestToolCall {
    #[serde(default)]
    pub id: String,
    pub function: RequestFunctionCall,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestFunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestTool {
    pub function: RequestFunction,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestFunction {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// How the request wants tools used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    /// The model decides (the default when tools are offered).
    Auto,
    /// No tool calls, plain text only.
    None,
    /// The answer must be a tool call; `Some` names the one tool it must call.
    Required(Option<String>),
}

impl ChatRequest {
    /// The messages in braid's shape, or a message naming the first role this server does not know.
    pub(crate) fn chat_messages(&self) -> Result<Vec<ChatMessage>, String> {
        self.messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let role = match message.role.as_str() {
                    "system" | "developer" => Role::System,
                    "user" => Role::User,
                    "assistant" => Role::Assistant,
                    "tool" => Role::Tool,
                    other => {
                        return Err(format!(
                            "messages[{index}].role `{other}` is not one of system, developer, user, assistant, tool"
                        ));
                    }
                };
                let content = message.content.as_ref().map(Content::text).unwrap_or_default();
                let tool_calls = message
                    .tool_calls
                    .iter()
                    .map(|call| ToolCallMessage {
                        id: call.id.clone(),
                        name: call.function.name.clone(),
                        arguments: call.function.arguments.clone(),
                    })
                    .collect();
                Ok(ChatMessage { role, content, tool_calls })
            })
            .collect()
    }

    pub(crate) fn tool_schemas(&self) -> Vec<ToolSchema> {
        self.tools
            .iter()
            .map(|tool| ToolSchema {
                name: tool.function.name.clone(),
                description: tool.function.description.clone(),
                parameters: tool.function.parameters.clone().unwrap_or_else(|| serde_json::json!({"type": "object"})),
            })
            .collect()
    }

    pub(crate) fn tool_choice(&self) -> Result<ToolChoice, String> {
        match &self.tool_choice {
            None => Ok(ToolChoice::Auto),
            Some(Value::String(choice)) => match choice.as_str() {
                "auto" => Ok(ToolChoice::Auto),
                "none" => Ok(ToolChoice::None),
                "required" => Ok(ToolChoice::Required(None)),
                other => Err(format!("tool_choice `{other}` is not one of auto, none, required")),
            },
            Some(value) => match value.pointer("/function/name").and_then(Value::as_str) {
                Some(name) if self.tools.iter().any(|t| t.function.name == name) => {
                    Ok(ToolChoice::Required(Some(name.to_string())))
                }
                Some(name) => Err(format!("tool_choice names `{name}`, which is not among the tools offered")),
                None => {
                    Err("tool_choice must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}"
                        .into())
                }
            },
        }
    }

    pub(crate) fn stop_strings(&self) -> Vec<String> {
        match &self.stop {
            None => Vec::new(),
            Some(Stop::One(stop)) => vec![stop.clone()],
            Some(Stop::Many(stops)) => stops.clone(),
        }
    }
}
