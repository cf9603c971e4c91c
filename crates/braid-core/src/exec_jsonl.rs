//! Turns the session's `AgentEvent`s into the Codex-compatible `ThreadEvent` lines of `braid exec --json`.
//!
//! Deltas are not printed (Codex prints whole items); each tool call becomes one item whose id is stable
//! from `item.started` to `item.completed`; the agent's plan is one `todo_list` item per turn, started on
//! the first `update_plan`, updated on later ones and completed when the turn ends.

use std::collections::HashMap;

use braid_protocol::thread_event::{
    ItemStatus, McpContent, McpResult, ThreadError, ThreadEvent, ThreadFileChange, ThreadItem, ThreadItemDetails,
    ThreadUsage, TodoItem,
};
use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalRequest, CommandStatus, CompactionTrigger, DecidedBy, PlanItem, PlanStatus,
    ToolEffect,
};

/// The server name braid's own non-command tools are reported under.
pub const BRAID_TOOL_SERVER: &str = "braid";

/// Stateful mapper from agent events to JSONL thread events.
#[derive(Debug, Default)]
pub struct JsonlMapper {
    next_id: u64,
    /// Item ids and parsed arguments of tool calls in flight, by call id.
    calls: HashMap<String, (String, serde_json::Value)>,
    /// The plan item of the current turn: its id and latest content.
    todo: Option<(String, Vec<TodoItem>)>,
    /// Open approval questions: item id and request, by call id.
    approvals: HashMap<String, (String, ApprovalRequest)>,
}

impl JsonlMapper {
    /// A mapper for a new thread.
    pub fn new() -> JsonlMapper {
        JsonlMapper::default()
    }

    fn new_id(&mut self) -> String {
        let id = format!("item_{}", self.next_id);
        self.next_id += 1;
        id
    }

    /// The thread events for one agent event (often none or one).
    pub fn map(&mut self, event: &AgentEvent) -> Vec<ThreadEvent> {
        match event {
            AgentEvent::SessionStarted { session_id, .. } => {
                vec![ThreadEvent::ThreadStarted { thread_id: session_id.clone() }]
            }
            AgentEvent::TurnStarted => vec![ThreadEvent::TurnStarted {}],
            // Codex reports a command's output only in its completed item, so live output is not printed.
            AgentEvent::AgentMessageDelta { .. }
            | AgentEvent::ReasoningDelta { .. }
            | AgentEvent::ToolOutputDelta { .. } => {
                vec![]
            }
            AgentEvent::AgentMessage { text } => {
                vec![self.completed(ThreadItemDetails::AgentMessage { text: text.clone() })]
            }
            AgentEvent::Reasoning { text } => vec![self.completed(ThreadItemDetails::Reasoning { text: text.clone() })],
            AgentEvent::ToolCallBegin { call_id, name, arguments, effect } => {
                self.begin(call_id, name, arguments, effect)
            }
            AgentEvent::ToolCallEnd { call_id, name, output, success, effect, .. } => {
                self.end(call_id, name, output, *success, effect)
            }
            AgentEvent::ApprovalRequested { request } => {
                let id = self.new_id();
                let item = ThreadItem { id: id.clone(), details: approval_details(request, None) };
                self.approvals.insert(request.call_id.clone(), (id, request.clone()));
                vec![ThreadEvent::ItemStarted { item }]
            }
            AgentEvent::ApprovalDecided { call_id, decision, decided_by } => match self.approvals.remove(call_id) {
                Some((id, request)) => vec![ThreadEvent::ItemCompleted {
                    item: ThreadItem { id, details: approval_details(&request, Some((*decision, *decided_by))) },
                }],
                None => vec![],
            },
            AgentEvent::StreamRetry { attempt, max_attempts, reason, .. } => {
                vec![self.completed(ThreadItemDetails::Error {
                    message: format!("Reconnecting... {attempt}/{max_attempts} ({reason})"),
                })]
            }
            AgentEvent::Warning { message } => {
                vec![self.completed(ThreadItemDetails::Error { message: message.clone() })]
            }
            AgentEvent::ContextCompacted { trigger, tokens_before, tokens_after, summary, .. } => {
                let trigger = match trigger {
                    CompactionTrigger::Auto => "auto",
                    CompactionTrigger::Manual => "manual",
                    CompactionTrigger::Overflow => "overflow",
                };
                vec![self.completed(ThreadItemDetails::ContextCompaction {
                    trigger: trigger.to_string(),
                    tokens_before: *tokens_before,
                    tokens_after: *tokens_after,
                    summary: summary.clone(),
                })]
            }
            AgentEvent::CompactionTrimmed { dropped_items, remaining_items, reason } => {
                vec![self.completed(ThreadItemDetails::Error {
                    message: crate::render::compaction_trimmed(*dropped_items, *remaining_items, reason),
                })]
            }
            AgentEvent::TurnCompleted { usage, context, .. } => {
                let mut events = self.finish_todo();
                events.push(ThreadEvent::TurnCompleted {
                    usage: ThreadUsage {
                        input_tokens: usage.input_tokens,
                        cached_input_tokens: usage.cached_input_tokens,
                        output_tokens: usage.output_tokens,
                        context_tokens: Some(context.tokens),
                        context_window: context.window,
                        estimated: context.estimated,
                    },
                });
                events
            }
            AgentEvent::TurnFailed { message } => {
                let mut events = self.finish_todo();
                events.push(ThreadEvent::TurnFailed { error: ThreadError { message: message.clone() } });
                events
            }
        }
    }

    fn completed(&mut self, details: ThreadItemDetails) -> ThreadEvent {
        ThreadEvent::ItemCompleted { item: ThreadItem { id: self.new_id(), details } }
    }

    fn begin(&mut self, call_id: &str, name: &str, arguments: &str, effect: &ToolEffect) -> Vec<ThreadEvent> {
        let arguments: serde_json::Value =
            serde_json::from_str(arguments).unwrap_or_else(|_| serde_json::Value::String(arguments.to_string()));
        let details = match effect {
            ToolEffect::Command { command, .. } => ThreadItemDetails::CommandExecution {
                command: command.clone(),
                aggregated_output: String::new(),
                exit_code: None,
                status: ItemStatus::InProgress,
            },
            // Codex announces file changes only once they are applied, and plans as todo_list items.
            ToolEffect::FileChange { .. } | ToolEffect::Plan { .. } => return vec![],
            ToolEffect::None => ThreadItemDetails::McpToolCall {
                server: BRAID_TOOL_SERVER.to_string(),
                tool: name.to_string(),
                arguments: arguments.clone(),
                result: None,
                error: None,
                status: ItemStatus::InProgress,
            },
        };
        let id = self.new_id();
        self.calls.insert(call_id.to_string(), (id.clone(), arguments));
        vec![ThreadEvent::ItemStarted { item: ThreadItem { id, details } }]
    }

    fn end(&mut self, call_id: &str, name: &str, output: &str, success: bool, effect: &ToolEffect) -> Vec<ThreadEvent> {
        let status = if success { ItemStatus::Completed } else { ItemStatus::Failed };
        let details = match effect {
            // Plans are one todo_list item per turn, not one item per call.
            ToolEffect::Plan { items, .. } => return self.plan(items),
            ToolEffect::Command { command, exit_code, aggregated_output, status: command_status, .. } => {
                ThreadItemDetails::CommandExecution {
                    command: command.clone(),
                    aggregated_output: aggregated_output.clone(),
                    exit_code: *exit_code,
                    status: match command_status {
                        CommandStatus::Completed if success => ItemStatus::Completed,
                        CommandStatus::InProgress => ItemStatus::InProgress,
                        _ => ItemStatus::Failed,
                    },
                }
            }
            ToolEffect::FileChange { changes } => ThreadItemDetails::FileChange {
                changes: changes.iter().map(|c| ThreadFileChange { path: c.path.clone(), kind: c.kind }).collect(),
                status,
            },
            ToolEffect::None => ThreadItemDetails::McpToolCall {
                server: BRAID_TOOL_SERVER.to_string(),
                tool: name.to_string(),
                arguments: self.calls.get(call_id).map_or(serde_json::Value::Null, |(_, args)| args.clone()),
                result: success.then(|| McpResult { content: vec![McpContent::Text { text: output.to_string() }] }),
                error: (!success).then(|| ThreadError { message: output.to_string() }),
                status,
            },
        };
        // The item started for this call keeps its id; a call that started no item gets one now.
        let id = match self.calls.remove(call_id) {
            Some((id, _)) => id,
            None => self.new_id(),
        };
        vec![ThreadEvent::ItemCompleted { item: ThreadItem { id, details } }]
    }

    fn plan(&mut self, items: &[PlanItem]) -> Vec<ThreadEvent> {
        let todo: Vec<TodoItem> = items
            .iter()
            .map(|i| TodoItem { text: i.step.clone(), completed: i.status == PlanStatus::Completed })
            .collect();
        match &mut self.todo {
            Some((id, current)) => {
                *current = todo.clone();
                vec![ThreadEvent::ItemUpdated {
                    item: ThreadItem { id: id.clone(), details: ThreadItemDetails::TodoList { items: todo } },
                }]
            }
            None => {
                let id = self.new_id();
                self.todo = Some((id.clone(), todo.clone()));
                vec![ThreadEvent::ItemStarted {
                    item: ThreadItem { id, details: ThreadItemDetails::TodoList { items: todo } },
                }]
            }
        }
    }

    fn finish_todo(&mut self) -> Vec<ThreadEvent> {
        match self.todo.take() {
            Some((id, items)) => {
                vec![ThreadEvent::ItemCompleted {
                    item: ThreadItem { id, details: ThreadItemDetails::TodoList { items } },
                }]
            }
            None => vec![],
        }
    }
}

/// The `approval` item for `request`, open (`answer` unset) or decided.
fn approval_details(request: &ApprovalRequest, answer: Option<(ApprovalDecision, DecidedBy)>) -> ThreadItemDetails {
    ThreadItemDetails::Approval {
        call_id: request.call_id.clone(),
        tool: request.tool.clone(),
        command: request.command.clone(),
        reason: request.reason,
        unconfined: request.unconfined,
        justification: request.justification.clone(),
        decision: answer.map(|(decision, _)| decision),
        decided_by: answer.map(|(_, by)| by),
        status: match answer {
            None => ItemStatus::InProgress,
            Some((decision, _)) if decision.approves() => ItemStatus::Completed,
            Some(_) => ItemStatus::Failed,
        },
    }
}
