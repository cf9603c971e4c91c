//! The JSONL events `braid exec --json` prints, shaped like `codex exec --json` so that tooling written for
//! Codex (its TypeScript SDK among others) can drive braid unchanged.
//!
//! One object per line: `thread.started`, `turn.started`, `item.started` / `item.updated` /
//! `item.completed` (each carrying a `ThreadItem`), `turn.completed` with usage, `turn.failed`, `error`.

use serde::{Deserialize, Serialize};

/// One line of `braid exec --json` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ThreadEvent {
    #[serde(rename = "thread.started")]
    ThreadStarted { thread_id: String },
    #[serde(rename = "turn.started")]
    TurnStarted {},
    #[serde(rename = "item.started")]
    ItemStarted { item: ThreadItem },
    #[serde(rename = "item.updated")]
    ItemUpdated { item: ThreadItem },
    #[serde(rename = "item.completed")]
    ItemCompleted { item: ThreadItem },
    #[serde(rename = "turn.completed")]
    TurnCompleted { usage: ThreadUsage },
    #[serde(rename = "turn.failed")]
    TurnFailed { error: ThreadError },
    /// A fatal error outside a turn.
    #[serde(rename = "error")]
    Error { message: String },
}

/// Token usage of one turn, as Codex reports it, plus how full the context window is (braid's
/// addition; consumers that only know Codex's fields ignore it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// Tokens the conversation occupies after the turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    /// The model's context window, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Set when braid estimated figures the provider did not report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

/// Why a turn failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadError {
    pub message: String,
}

/// One item of a thread: an id stable across its started/updated/completed events, and its details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    pub id: String,
    #[serde(flatten)]
    pub details: ThreadItemDetails,
}

/// The kinds of thread items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThreadItemDetails {
    AgentMessage {
        text: String,
    },
    Reasoning {
        text: String,
    },
    CommandExecution {
        command: String,
        aggregated_output: String,
        exit_code: Option<i32>,
        status: ItemStatus,
    },
    FileChange {
        changes: Vec<ThreadFileChange>,
        status: ItemStatus,
    },
    /// Codex's generic tool-call item. braid reports its own non-command, non-patch tools (read_file,
    /// grep, list_dir) as calls on the server `braid`, so consumers that only know Codex's item types
    /// still see every tool call.
    McpToolCall {
        server: String,
        tool: String,
        arguments: serde_json::Value,
        result: Option<McpResult>,
        error: Option<ThreadError>,
        status: ItemStatus,
    },
    TodoList {
        items: Vec<TodoItem>,
    },
    /// braid's addition: the conversation was compacted into a handoff summary. Codex has no such item;
    /// consumers that switch on known item types skip it.
    ContextCompaction {
        trigger: String,
        tokens_before: u64,
        tokens_after: u64,
        summary: String,
    },
    /// braid's addition: a tool call that needed approval. Started when the question is asked
    /// (`decision` unset), completed with the answer and who gave it.
    Approval {
        call_id: String,
        tool: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        reason: crate::ApprovalReason,
        unconfined: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<crate::ApprovalDecision>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decided_by: Option<crate::DecidedBy>,
        status: ItemStatus,
    },
    /// A non-fatal problem (a retried stream, a warning).
    Error {
        message: String,
    },
}

/// State of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    InProgress,
    Completed,
    Failed,
}

/// One file of a `file_change` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadFileChange {
    pub path: String,
    pub kind: crate::FileChangeKind,
}

/// The result of a generic tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpResult {
    pub content: Vec<McpContent>,
}

/// One content block of a tool result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum McpContent {
    Text { text: String },
}

/// One entry of a `todo_list` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    pub text: String,
    pub completed: bool,
}
