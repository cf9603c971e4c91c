//! Codex CLI's `codex exec --json` events (checked against codex-cli 0.169) mapped to braid's events:
//! `thread.started`, `turn.started`, `item.started|updated|completed` (agent_message, reasoning,
//! command_execution, file_change, mcp_tool_call, web_search, todo_list, error), `turn.completed` with
//! usage, `turn.failed`, and the top-level `error`.

use braid_protocol::{AgentEvent, CommandStatus, FileChange, FileChangeKind, PlanItem, PlanStatus, ToolEffect, Usage};
use serde_json::Value;

use super::transcript::{Tally, str_at, u64_at};

/// Reads one Codex event.
pub(crate) fn read_event(event: &Value, tally: &mut Tally, sink: &mut dyn FnMut(AgentEvent)) {
    match str_at(event, "type") {
        "thread.started" => {
            let id = str_at(event, "thread_id").to_string();
            tally.session_id = Some(id.clone());
            sink(AgentEvent::SessionStarted {
                session_id: id,
                model: String::new(),
                provider: "codex".into(),
                cwd: String::new(),
                rollout_path: None,
                resumed: false,
                forked_from: None,
            });
        }
        "turn.started" => sink(AgentEvent::TurnStarted),
        "turn.completed" => {
            let usage = event.get("usage").unwrap_or(&Value::Null);
            tally.turns += 1;
            tally.reported_success.get_or_insert(true);
            let event = tally.turn_completed(Usage {
                input_tokens: u64_at(usage, "input_tokens"),
                cached_input_tokens: u64_at(usage, "cached_input_tokens"),
                output_tokens: u64_at(usage, "output_tokens"),
                reasoning_output_tokens: u64_at(usage, "reasoning_output_tokens"),
            });
            sink(event);
        }
        "turn.failed" => {
            let message = event.get("error").map(|e| str_at(e, "message")).unwrap_or_default();
            let message = if message.is_empty() { "the turn failed".to_string() } else { message.to_string() };
            tally.turns += 1;
            tally.reported_success = Some(false);
            tally.failure = Some(message.clone());
            sink(AgentEvent::TurnFailed { message });
        }
        "error" => {
            // A top-level error is a stream problem Codex may still recover from (it retries), so it is a
            // warning; if the run then fails, it is the best explanation there is.
            let message = str_at(event, "message").to_string();
            tally.failure = Some(message.clone());
            sink(AgentEvent::Warning { message: format!("codex: {message}") });
        }
        phase @ ("item.started" | "item.updated" | "item.completed") => {
            let item = event.get("item").unwrap_or(&Value::Null);
            read_item(phase, item, tally, sink);
        }
        other => tally.unknown("codex", other, sink),
    }
}

/// Reads one `item.*` event.
fn read_item(phase: &str, item: &Value, tally: &mut Tally, sink: &mut dyn FnMut(AgentEvent)) {
    let id = str_at(item, "id");
    let completed = phase == "item.completed";
    match str_at(item, "type") {
        "agent_message" if completed => tally.message(str_at(item, "text"), sink),
        "reasoning" if completed => sink(AgentEvent::Reasoning { text: str_at(item, "text").to_string() }),
        "agent_message" | "reasoning" => {}
        "error" => sink(AgentEvent::Warning { message: format!("codex: {}", str_at(item, "message")) }),
        "command_execution" => {
            let command = str_at(item, "command").to_string();
            let output = str_at(item, "aggregated_output").to_string();
            let exit_code = item.get("exit_code").and_then(Value::as_i64).and_then(|c| i32::try_from(c).ok());
            let status = match str_at(item, "status") {
                "completed" => CommandStatus::Completed,
                "failed" => CommandStatus::Failed,
                "declined" => CommandStatus::Declined,
                _ => CommandStatus::InProgress,
            };
            let effect = ToolEffect::Command {
                command: command.clone(),
                cwd: String::new(),
                exit_code,
                aggregated_output: output.clone(),
                status,
            };
            tool_item(phase, id, "shell", command, output, effect, exit_code == Some(0), tally, sink);
        }
        "file_change" => {
            let changes: Vec<FileChange> = item
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|change| FileChange {
                    path: str_at(change, "path").to_string(),
                    kind: match str_at(change, "kind") {
                        "add" => FileChangeKind::Add,
                        "delete" => FileChangeKind::Delete,
                        _ => FileChangeKind::Update,
                    },
                    move_to: None,
                })
                .collect();
            let summary = changes
                .iter()
                .map(|c| {
                    let letter = match c.kind {
                        FileChangeKind::Add => 'A',
                        FileChangeKind::Delete => 'D',
                        FileChangeKind::Update => 'M',
                    };
                    format!("{letter} {}", c.path)
                })
                .collect::<Vec<_>>()
                .join("\n");
            let success = str_at(item, "status") != "failed";
            let effect = ToolEffect::FileChange { changes };
            tool_item(phase, id, "apply_patch", summary.clone(), summary, effect, success, tally, sink);
        }
        "mcp_tool_call" => {
            let name = format!("{}__{}", str_at(item, "server"), str_at(item, "tool"));
            let arguments = item.get("arguments").map(Value::to_string).unwrap_or_default();
            let output = item
                .get("result")
                .or_else(|| item.get("error"))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default();
            let success = str_at(item, "status") != "failed";
            tool_item(phase, id, &name, arguments, output, ToolEffect::None, success, tally, sink);
        }
        "web_search" => {
            let query = str_at(item, "query").to_string();
            tool_item(phase, id, "web_search", query, String::new(), ToolEffect::None, true, tally, sink);
        }
        "todo_list" => {
            let items = item
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|todo| PlanItem {
                    step: str_at(todo, "text").to_string(),
                    status: if todo.get("completed").and_then(Value::as_bool) == Some(true) {
                        PlanStatus::Completed
                    } else {
                        PlanStatus::Pending
                    },
                })
                .collect();
            let effect = ToolEffect::Plan { explanation: None, items };
            // The list is updated in place while the turn runs; the completed item carries the final one.
            tool_item(phase, id, "update_plan", String::new(), String::new(), effect, true, tally, sink);
        }
        other => tally.unknown("codex", &format!("item:{other}"), sink),
    }
}

/// Emits the begin (on `item.started`) or the end (on `item.completed`) of a tool-like item; an end
/// without a seen begin gets its begin first, so that front ends always see the pair.
#[allow(clippy::too_many_arguments)]
fn tool_item(
    phase: &str,
    id: &str,
    name: &str,
    arguments: String,
    output: String,
    effect: ToolEffect,
    success: bool,
    tally: &mut Tally,
    sink: &mut dyn FnMut(AgentEvent),
) {
    match phase {
        "item.started" => tally.begin(id, name, arguments, effect, sink),
        "item.completed" => {
            if !tally.is_open(id) {
                let preview = match &effect {
                    ToolEffect::Command { command, cwd, .. } => ToolEffect::Command {
                        command: command.clone(),
                        cwd: cwd.clone(),
                        exit_code: None,
                        aggregated_output: String::new(),
                        status: CommandStatus::InProgress,
                    },
                    other => other.clone(),
                };
                tally.begin(id, name, arguments, preview, sink);
            }
            tally.end(id, name, output, success, Some(effect), sink);
        }
        // Updates of a running command carry partial output; the end event carries all of it.
        _ => {}
    }
}
