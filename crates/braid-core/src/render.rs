//! Human-readable progress lines for `braid exec` without `--json`: one short line per thing that
//! happened, written to stderr by the binary while the final message goes to stdout.

use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalReason, ApprovalRequest, CommandStatus, CompactionTrigger, DecidedBy,
    FileChangeKind, PlanStatus, ToolEffect,
};

/// The lines announcing an approval question: what, why, and what approving for the session covers.
pub fn approval_request(request: &ApprovalRequest) -> String {
    let why = match request.reason {
        ApprovalReason::Untrusted if request.command.is_none() => "the untrusted policy asks before edits",
        ApprovalReason::Untrusted => "not known to be read-only",
        ApprovalReason::Escalation => "the model asks to run it outside the sandbox",
        ApprovalReason::SandboxDenied => "the sandbox refused it; approving runs it again outside the sandbox",
    };
    let what = match &request.command {
        Some(command) => format!("$ {command}"),
        None if !request.changes.is_empty() => {
            let files: Vec<&str> = request.changes.iter().map(|c| c.path.as_str()).collect();
            format!("{} editing {}", request.tool, files.join(", "))
        }
        None => request.tool.clone(),
    };
    let mut text = format!("approval needed ({why}): {what}\n  in {}", request.cwd);
    if let Some(justification) = &request.justification {
        text.push_str(&format!("\n  because: {justification}"));
    }
    text.push_str(&format!("\n  approving for the session covers: {}", request.session_scope));
    text
}

/// Longest command output excerpt shown per command, in lines.
const OUTPUT_EXCERPT_LINES: usize = 6;

/// The progress text for one event, or `None` for events not worth a line (deltas).
pub fn progress_line(event: &AgentEvent) -> Option<String> {
    match event {
        AgentEvent::SessionStarted { session_id, model, provider, cwd, resumed, forked_from, .. } => {
            let verb = match (resumed, forked_from) {
                (_, Some(origin)) => format!("forked from {origin} as"),
                (true, None) => "resumed".to_string(),
                (false, None) => "started".to_string(),
            };
            Some(format!("braid {verb} session {session_id}\n  model {model} ({provider}) · {cwd}"))
        }
        AgentEvent::TurnStarted => None,
        // The progress log stays one line per call: live output is for the TUI.
        AgentEvent::AgentMessageDelta { .. }
        | AgentEvent::ReasoningDelta { .. }
        | AgentEvent::ToolOutputDelta { .. } => None,
        AgentEvent::AgentMessage { text } => Some(format!("assistant: {}", text.trim())),
        AgentEvent::Reasoning { text } => Some(format!("thinking: {}", first_line(text))),
        // Patches and plans are shown once, when they end, with what they did.
        AgentEvent::ToolCallBegin { name, arguments, effect, .. } => match effect {
            ToolEffect::Command { command, .. } => Some(format!("$ {command}")),
            ToolEffect::FileChange { .. } | ToolEffect::Plan { .. } => None,
            ToolEffect::None => Some(format!("{name} {}", shorten(arguments, 100))),
        },
        AgentEvent::ToolCallEnd { name, output, success, effect, duration_ms, .. } => Some(match effect {
            ToolEffect::Command { exit_code, aggregated_output, status, .. } => {
                let head = match status {
                    CommandStatus::TimedOut => format!("  timed out after {:.1}s", *duration_ms as f64 / 1000.0),
                    CommandStatus::Declined => "  not run (not approved)".to_string(),
                    _ => format!(
                        "  exit {} in {:.1}s",
                        exit_code.map_or("?".to_string(), |c| c.to_string()),
                        *duration_ms as f64 / 1000.0
                    ),
                };
                let tail = last_lines(aggregated_output, OUTPUT_EXCERPT_LINES);
                if tail.is_empty() { head } else { format!("{head}\n{tail}") }
            }
            ToolEffect::FileChange { changes } => {
                let verb = if *success { "applied" } else { "failed" };
                let files: Vec<String> = changes
                    .iter()
                    .map(|c| {
                        let mark = match c.kind {
                            FileChangeKind::Add => "A",
                            FileChangeKind::Delete => "D",
                            FileChangeKind::Update => "M",
                        };
                        match &c.move_to {
                            Some(to) => format!("  {mark} {} -> {to}", c.path),
                            None => format!("  {mark} {}", c.path),
                        }
                    })
                    .collect();
                if *success {
                    format!("patch {verb}:\n{}", files.join("\n"))
                } else {
                    format!("patch {verb}: {}", first_line(output))
                }
            }
            ToolEffect::Plan { items, .. } => {
                let lines: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let mark = match i.status {
                            PlanStatus::Completed => "[x]",
                            PlanStatus::InProgress => "[>]",
                            PlanStatus::Pending => "[ ]",
                        };
                        format!("  {mark} {}", i.step)
                    })
                    .collect();
                format!("plan:\n{}", lines.join("\n"))
            }
            ToolEffect::None if *success => format!("  {name}: ok ({} lines)", output.lines().count()),
            ToolEffect::None => format!("  {name} failed: {}", first_line(output)),
        }),
        AgentEvent::ApprovalRequested { request } => Some(approval_request(request)),
        AgentEvent::ApprovalDecided { decision, decided_by, .. } => {
            let what = match decision {
                ApprovalDecision::Approve => "approved once",
                ApprovalDecision::ApproveForSession => "approved for the session",
                ApprovalDecision::Deny => "denied",
                ApprovalDecision::Abort => "turn aborted",
            };
            let by = match decided_by {
                DecidedBy::User => "by the user",
                DecidedBy::Default => "by approval_default: nobody to ask",
                DecidedBy::Interrupt => "interrupted",
            };
            Some(format!("  → {what} ({by})"))
        }
        AgentEvent::StreamRetry { attempt, max_attempts, delay_ms, reason } => Some(format!(
            "retrying model request ({attempt}/{max_attempts}) in {:.1}s: {reason}",
            *delay_ms as f64 / 1000.0
        )),
        AgentEvent::Warning { message } => Some(format!("warning: {message}")),
        AgentEvent::ContextCompacted { trigger, tokens_before, tokens_after, kept_user_messages, .. } => {
            let why = match trigger {
                CompactionTrigger::Auto => "the context window was filling up",
                CompactionTrigger::Manual => "on request",
                CompactionTrigger::Overflow => "the model refused the request as too long",
            };
            Some(format!(
                "context compacted ({why}): {} -> {} tokens; kept the summary, {kept_user_messages} user message{} and the plan",
                compact_count(*tokens_before),
                compact_count(*tokens_after),
                if *kept_user_messages == 1 { "" } else { "s" }
            ))
        }
        AgentEvent::CompactionTrimmed { dropped_items, remaining_items, reason } => {
            Some(compaction_trimmed(*dropped_items, *remaining_items, reason))
        }
        AgentEvent::TurnCompleted { usage, context, .. } => {
            let window = match (context.window, context.percent()) {
                (Some(window), Some(percent)) => {
                    format!(" · context {}/{} ({percent}%)", compact_count(context.tokens), compact_count(window))
                }
                _ => format!(" · context {}", compact_count(context.tokens)),
            };
            Some(format!(
                "tokens: {} in ({} cached), {} out{window}{}",
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens,
                if context.estimated { " (estimated: the provider reported no usage)" } else { "" }
            ))
        }
        AgentEvent::TurnFailed { message } => Some(format!("error: {message}")),
    }
}

/// The line for a compaction request that was trimmed and is sent again; the JSONL stream carries the
/// same text.
pub fn compaction_trimmed(dropped_items: usize, remaining_items: usize, reason: &str) -> String {
    format!(
        "compaction request too long ({reason}); left out the {dropped_items} oldest items, {remaining_items} remain; trying again"
    )
}

/// A token count as people read it: `950`, `12.3k`, `1.2M`.
fn compact_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

fn first_line(text: &str) -> &str {
    text.trim().lines().next().unwrap_or("")
}

fn shorten(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{cut}…")
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use braid_protocol::{ContextUsage, Usage};

    use super::*;

    fn lines(events: &[AgentEvent]) -> String {
        events.iter().filter_map(progress_line).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn context_accounting_and_compaction_lines() {
        let usage = Usage { input_tokens: 41_200, cached_input_tokens: 30_000, output_tokens: 950, ..Usage::default() };
        let events = [
            AgentEvent::CompactionTrimmed {
                dropped_items: 12,
                remaining_items: 30,
                reason: "HTTP 400: context_length_exceeded".into(),
            },
            AgentEvent::ContextCompacted {
                trigger: CompactionTrigger::Auto,
                tokens_before: 87_310,
                tokens_after: 6_120,
                kept_user_messages: 1,
                summary: "## Task".into(),
            },
            AgentEvent::TurnCompleted {
                usage,
                total_usage: usage,
                context: ContextUsage { tokens: 42_150, window: Some(128_000), estimated: false },
                last_message: None,
            },
            AgentEvent::TurnCompleted {
                usage,
                total_usage: usage,
                context: ContextUsage { tokens: 812, window: None, estimated: true },
                last_message: None,
            },
        ];
        insta::assert_snapshot!(lines(&events), @r"
        compaction request too long (HTTP 400: context_length_exceeded); left out the 12 oldest items, 30 remain; trying again
        context compacted (the context window was filling up): 87.3k -> 6.1k tokens; kept the summary, 1 user message and the plan
        tokens: 41200 in (30000 cached), 950 out · context 42.1k/128.0k (32%)
        tokens: 41200 in (30000 cached), 950 out · context 812 (estimated: the provider reported no usage)
        ");
    }

    #[test]
    fn approval_lines() {
        let request = ApprovalRequest {
            call_id: "c1".into(),
            tool: "shell".into(),
            command: Some("bash -lc 'cargo publish'".into()),
            cwd: "/repo".into(),
            changes: vec![],
            reason: ApprovalReason::Escalation,
            unconfined: true,
            justification: Some("publishing needs the network".into()),
            session_scope: "`cargo publish …`".into(),
        };
        let edit = ApprovalRequest {
            call_id: "c2".into(),
            tool: "apply_patch".into(),
            command: None,
            changes: vec![braid_protocol::FileChange {
                path: "src/lib.rs".into(),
                kind: FileChangeKind::Update,
                move_to: None,
            }],
            reason: ApprovalReason::Untrusted,
            unconfined: false,
            justification: None,
            session_scope: "file edits in the workspace".into(),
            ..request.clone()
        };
        let events = [
            AgentEvent::ApprovalRequested { request },
            AgentEvent::ApprovalDecided {
                call_id: "c1".into(),
                decision: ApprovalDecision::Deny,
                decided_by: DecidedBy::Default,
            },
            AgentEvent::ApprovalRequested { request: edit },
            AgentEvent::ApprovalDecided {
                call_id: "c2".into(),
                decision: ApprovalDecision::ApproveForSession,
                decided_by: DecidedBy::User,
            },
        ];
        insta::assert_snapshot!(lines(&events), @r"
        approval needed (the model asks to run it outside the sandbox): $ bash -lc 'cargo publish'
          in /repo
          because: publishing needs the network
          approving for the session covers: `cargo publish …`
          → denied (by approval_default: nobody to ask)
        approval needed (the untrusted policy asks before edits): apply_patch editing src/lib.rs
          in /repo
          approving for the session covers: file edits in the workspace
          → approved for the session (by the user)
        ");
    }
}
