//! Claude Code's `claude -p --output-format stream-json --verbose` events (checked against Claude Code
//! 2.1.197) mapped to braid's events: `system`/`init`, `assistant` messages (text, thinking, tool_use
//! blocks), `user` messages carrying `tool_result` blocks, and the final `result` with turns, usage and
//! cost.

use braid_protocol::{AgentEvent, CommandStatus, FileChange, FileChangeKind, ToolEffect, Usage};
use serde_json::Value;

use super::transcript::{Tally, str_at, u64_at};

/// Reads one Claude Code event.
pub(crate) fn read_event(event: &Value, tally: &mut Tally, sink: &mut dyn FnMut(AgentEvent)) {
    match (str_at(event, "type"), str_at(event, "subtype")) {
        ("system", "init") => {
            let id = str_at(event, "session_id").to_string();
            tally.session_id = Some(id.clone());
            sink(AgentEvent::SessionStarted {
                session_id: id,
                model: str_at(event, "model").to_string(),
                provider: "claude".into(),
                cwd: str_at(event, "cwd").to_string(),
                rollout_path: None,
                resumed: false,
                forked_from: None,
            });
            sink(AgentEvent::TurnStarted);
        }
        // Other system events (hooks, compaction boundaries, status) carry nothing braid shows.
        ("system", _) => {}
        ("assistant", _) => {
            for block in content(event) {
                match str_at(block, "type") {
                    "text" => tally.message(str_at(block, "text"), sink),
                    "thinking" => sink(AgentEvent::Reasoning { text: str_at(block, "thinking").to_string() }),
                    "redacted_thinking" => {}
                    "tool_use" => {
                        let name = str_at(block, "name");
                        let input = block.get("input").unwrap_or(&Value::Null);
                        tally.begin(str_at(block, "id"), name, input.to_string(), preview(name, input), sink);
                    }
                    other => tally.unknown("claude", &format!("content:{other}"), sink),
                }
            }
        }
        ("user", _) => {
            for block in content(event) {
                if str_at(block, "type") != "tool_result" {
                    continue;
                }
                let call_id = str_at(block, "tool_use_id");
                let output = result_text(block.get("content").unwrap_or(&Value::Null));
                let success = block.get("is_error").and_then(Value::as_bool) != Some(true);
                let effect = tally.begin_effect(call_id).map(|effect| finished(effect, &output, success));
                tally.end(call_id, "tool", output, success, effect, sink);
            }
        }
        ("result", subtype) => read_result(event, subtype, tally, sink),
        (kind, _) => tally.unknown("claude", kind, sink),
    }
}

/// Reads the final `result` event: the turn count, usage, cost and verdict.
fn read_result(event: &Value, subtype: &str, tally: &mut Tally, sink: &mut dyn FnMut(AgentEvent)) {
    tally.turns = u32::try_from(u64_at(event, "num_turns")).unwrap_or(u32::MAX);
    tally.cost_usd = event.get("total_cost_usd").and_then(Value::as_f64);
    let usage = event.get("usage").unwrap_or(&Value::Null);
    // Anthropic counts cache reads and writes apart from `input_tokens`; braid's input count includes
    // them (as OpenAI's does), with the reads also counted as cached.
    let cached = u64_at(usage, "cache_read_input_tokens");
    let usage = Usage {
        input_tokens: u64_at(usage, "input_tokens") + u64_at(usage, "cache_creation_input_tokens") + cached,
        cached_input_tokens: cached,
        output_tokens: u64_at(usage, "output_tokens"),
        reasoning_output_tokens: 0,
    };
    let result = str_at(event, "result");
    let failed = event.get("is_error").and_then(Value::as_bool) == Some(true) || subtype != "success";
    tally.reported_success = Some(!failed);
    if failed {
        tally.usage.add(&usage);
        let message = match (subtype, result) {
            (subtype, "") => format!("claude ended with {subtype}"),
            (subtype, result) => format!("claude ended with {subtype}: {result}"),
        };
        tally.failure = Some(message.clone());
        sink(AgentEvent::TurnFailed { message });
    } else {
        if !result.is_empty() {
            tally.last_message = Some(result.to_string());
        }
        let event = tally.turn_completed(usage);
        sink(event);
    }
}

/// The content blocks of an `assistant` or `user` event's message.
fn content(event: &Value) -> impl Iterator<Item = &Value> {
    event.get("message").and_then(|m| m.get("content")).and_then(Value::as_array).into_iter().flatten()
}

/// A tool result's text: a plain string, or the text blocks of a list joined.
fn result_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks.iter().map(|b| str_at(b, "text")).collect::<Vec<_>>().join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What a Claude Code tool call is about to do, for the tools whose effect braid can show.
fn preview(name: &str, input: &Value) -> ToolEffect {
    let path = || str_at(input, "file_path").to_string();
    match name {
        "Bash" => ToolEffect::Command {
            command: str_at(input, "command").to_string(),
            cwd: String::new(),
            exit_code: None,
            aggregated_output: String::new(),
            status: CommandStatus::InProgress,
        },
        // Write may also replace an existing file; the transcript does not say which, so it is shown as
        // an addition.
        "Write" => ToolEffect::FileChange {
            changes: vec![FileChange { path: path(), kind: FileChangeKind::Add, move_to: None }],
        },
        "Edit" | "MultiEdit" => ToolEffect::FileChange {
            changes: vec![FileChange { path: path(), kind: FileChangeKind::Update, move_to: None }],
        },
        _ => ToolEffect::None,
    }
}

/// The effect at the end of a call that began with `effect`: a command gets its output and status.
fn finished(effect: &ToolEffect, output: &str, success: bool) -> ToolEffect {
    match effect {
        ToolEffect::Command { command, cwd, .. } => ToolEffect::Command {
            command: command.clone(),
            cwd: cwd.clone(),
            // Claude Code reports success or failure, not the exit code.
            exit_code: None,
            aggregated_output: output.to_string(),
            status: if success { CommandStatus::Completed } else { CommandStatus::Failed },
        },
        other => other.clone(),
    }
}
