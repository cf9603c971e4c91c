//! Conversation items: the history an agent session sends to the model and records in its rollout.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// Context that braid adds on the user's side of the conversation (environment, AGENTS.md). Wire
    /// formats without a developer role send it as a user message.
    Developer,
}

/// One entry of a conversation's history, independent of any wire format.
///
/// Each model client translates these to and from its own format; the agent core and the rollout only
/// ever see this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// A message from the user, the assistant, or braid's own context.
    Message { role: Role, text: String },
    /// A reasoning summary the model chose to share. `encrypted` carries an opaque blob some providers
    /// ask to have sent back verbatim on the next request.
    Reasoning {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted: Option<String>,
    },
    /// The model asks for a tool to run. `arguments` is the raw JSON text as the model produced it: it is
    /// only parsed by the tool, so that a malformed argument string can be reported back to the model.
    ToolCall { call_id: String, name: String, arguments: String },
    /// The result of a tool call, sent back to the model exactly once per `call_id`.
    ToolOutput { call_id: String, output: String, success: bool },
}

impl Item {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Item::Message { role: Role::User, text: text.into() }
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Item::Message { role: Role::Assistant, text: text.into() }
    }

    /// A developer (braid-provided context) message.
    pub fn developer(text: impl Into<String>) -> Self {
        Item::Message { role: Role::Developer, text: text.into() }
    }
}
