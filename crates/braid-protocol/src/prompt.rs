//! What one model request asks for, independent of the wire format, and what it cost.

use serde::{Deserialize, Serialize};

use crate::Item;

/// How hard a reasoning model should think. Providers that lack a level get the nearest one they have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
}

impl ReasoningEffort {
    /// The lowercase name used in configuration and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::Xhigh => "xhigh",
        }
    }
}

/// A function tool offered to the model: its name, what it is for, and a JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema object describing the arguments.
    pub parameters: serde_json::Value,
}

/// Whether the model may call the tools it is offered in this request.
///
/// Compaction requests offer the session's tools (some providers refuse a history with tool calls in it
/// when no tools are defined) but must be answered with text, so they say `None`. A job that cannot
/// finish without one particular call (a plan is only written through `write_plan`) says `Tool` when it
/// reminds the model, which the providers and the embedded model's grammar all enforce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// The model must answer with text only.
    None,
    /// The model must call the named tool, which the request offers.
    Tool(String),
}

impl ToolChoice {
    /// Whether this is the default, so requests that leave it alone serialize as before.
    pub fn is_auto(&self) -> bool {
        *self == ToolChoice::Auto
    }
}

/// One request to a model: the system-level instructions, the conversation so far and the tools offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    pub model: String,
    pub instructions: String,
    pub input: Vec<Item>,
    pub tools: Vec<ToolSpec>,
    #[serde(default, skip_serializing_if = "ToolChoice::is_auto")]
    pub tool_choice: ToolChoice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
}

/// Token counts a provider reports for one response (or a sum over several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl Usage {
    /// Input plus output tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// Adds another response's counts to this one.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
    }
}

/// How full the model's context window is, as of the end of a turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextUsage {
    /// Tokens the conversation occupies: the last request's input plus its output.
    pub tokens: u64,
    /// The model's context window, when braid knows it (config, model metadata or the local model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
    /// Set when the provider reported no usage for some response and braid estimated it.
    #[serde(default)]
    pub estimated: bool,
}

impl ContextUsage {
    /// The share of the window in use, in percent, when the window is known.
    pub fn percent(&self) -> Option<u64> {
        self.window.filter(|w| *w > 0).map(|w| self.tokens.saturating_mul(100) / w)
    }
}
