//! Events: what a model stream yields to the agent core, and what the agent core yields to every front end.
//!
//! `AgentEvent` is one closed enum on purpose: the JSONL printer, the TUI and the dashboard all match on
//! it exhaustively, so a new kind of event is a compile error wherever it must be handled.

use serde::{Deserialize, Serialize};

use crate::{ApprovalDecision, ApprovalRequest, ContextUsage, DecidedBy, Item, Usage};

/// One event of a streamed model response, as every model client (remote or embedded) reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModelEvent {
    /// The provider accepted the request.
    Created { response_id: Option<String> },
    /// A piece of assistant text, for live display.
    TextDelta { delta: String },
    /// A piece of a reasoning summary, for live display.
    ReasoningDelta { delta: String },
    /// A complete output item (message, reasoning summary or tool call).
    ItemDone { item: Item },
    /// The stream failed in a retryable way and is being retried after `delay_ms`. Everything received
    /// since the last `Created` must be discarded: the retried response replaces it. Because the agent
    /// only runs tools after `Completed`, a retry can never make a tool call run twice.
    Retrying { attempt: u32, max_attempts: u32, delay_ms: u64, reason: String },
    /// The response finished. Only now are its items final.
    Completed { response_id: Option<String>, usage: Option<Usage> },
}

/// State of one step in the agent's own plan (the `update_plan` tool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Pending,
    InProgress,
    Completed,
}

/// One step of the agent's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub step: String,
    pub status: PlanStatus,
}

/// What happened to one file in a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeKind {
    Add,
    Delete,
    Update,
}

/// One file touched by a patch. Paths are as the patch named them (relative to the working directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub kind: FileChangeKind,
    /// Set when an update also renamed the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to: Option<String>,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    InProgress,
    Completed,
    Failed,
    TimedOut,
    /// It never ran: the approval it needed was not given.
    Declined,
}

/// What a tool call did to the world, in a form front ends can show without parsing tool output text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolEffect {
    /// A command ran (or, at begin, is about to run).
    Command {
        /// The command as a person would type it (argv joined with shell quoting).
        command: String,
        cwd: String,
        exit_code: Option<i32>,
        /// stdout and stderr interleaved, after capping.
        aggregated_output: String,
        status: CommandStatus,
    },
    /// Files were added, deleted or updated (or, at begin, are about to be).
    FileChange { changes: Vec<FileChange> },
    /// The agent's plan now reads like this.
    Plan { explanation: Option<String>, items: Vec<PlanItem> },
    /// A tool with no effect worth showing beyond its output (reads, searches, listings).
    None,
}

/// What started a compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompactionTrigger {
    /// The next request would have passed the configured share of the context window.
    Auto,
    /// The user asked for it.
    Manual,
    /// The provider refused a request as too long for its window although braid's estimate said it fit.
    Overflow,
}

/// One event of an agent session, consumed by every front end (JSONL, human progress, TUI, dashboard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The session is ready. `rollout_path` is where it is being recorded, when it is.
    SessionStarted {
        session_id: String,
        model: String,
        provider: String,
        cwd: String,
        rollout_path: Option<String>,
        resumed: bool,
        /// The session this one was forked from, when it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forked_from: Option<String>,
    },
    /// A user turn began.
    TurnStarted,
    /// A piece of assistant text.
    AgentMessageDelta { delta: String },
    /// A complete assistant message.
    AgentMessage { text: String },
    /// A piece of a reasoning summary.
    ReasoningDelta { delta: String },
    /// A complete reasoning summary.
    Reasoning { text: String },
    /// A tool call is about to run. `effect` previews it (the command, the files a patch names).
    ToolCallBegin { call_id: String, name: String, arguments: String, effect: ToolEffect },
    /// A piece of a running tool call's output, as it is produced (today: a command's stdout and stderr,
    /// cut at UTF-8 character boundaries, never empty). For live display only: the model receives only
    /// `ToolCallEnd.output`, and rollouts do not record these.
    ToolOutputDelta { call_id: String, delta: String },
    /// A tool call finished. `output` is exactly what the model receives.
    ToolCallEnd { call_id: String, name: String, output: String, success: bool, effect: ToolEffect, duration_ms: u64 },
    /// A tool call waits for the user's consent (or the configured default) before it runs.
    ApprovalRequested { request: ApprovalRequest },
    /// The answer to an approval request.
    ApprovalDecided { call_id: String, decision: ApprovalDecision, decided_by: DecidedBy },
    /// A model request failed in a retryable way and is retried; streamed text since the request began
    /// is void.
    StreamRetry { attempt: u32, max_attempts: u32, delay_ms: u64, reason: String },
    /// Something the user should know that does not stop the turn.
    Warning { message: String },
    /// The conversation was replaced by a handoff summary, the recent user messages and the plan.
    /// `tokens_before` and `tokens_after` are the estimated size of the next request either side.
    ContextCompacted {
        trigger: CompactionTrigger,
        tokens_before: u64,
        tokens_after: u64,
        /// How many user messages were kept verbatim.
        kept_user_messages: usize,
        summary: String,
    },
    /// The compaction request itself did not fit the window, so the oldest `dropped_items` conversation
    /// items were left out of it and it is tried again.
    CompactionTrimmed { dropped_items: usize, remaining_items: usize, reason: String },
    /// The turn ended normally. `usage` covers this turn, `total_usage` the whole session, `context`
    /// how full the window is now.
    TurnCompleted { usage: Usage, total_usage: Usage, context: ContextUsage, last_message: Option<String> },
    /// The turn ended with an error.
    TurnFailed { message: String },
}
