//! Human-readable progress lines for `braid exec` without `--json`: one short line per thing that
//! happened, written to stderr by the binary while the final message goes to stdout.

use braid_protocol::{AgentEvent, CommandStatus, FileChangeKind, PlanStatus, ToolEffect};

/// Longest command output excerpt shown per command, in lines.
const OUTPUT_EXCERPT_LINES: usize = 6;

/// The progress text for one event, or `None` for events not worth a line (deltas).
pub fn progress_line(event: &AgentEvent) -> Option<String> {
    match event {
        AgentEvent::SessionStarted { session_id, model, provider, cwd, resumed, .. } => Some(format!(
            "braid {} session {session_id}\n  model {model} ({provider}) · {cwd}",
            if *resumed { "resumed" } else { "started" }
        )),
        AgentEvent::TurnStarted => None,
        AgentEvent::AgentMessageDelta { .. } | AgentEvent::ReasoningDelta { .. } => None,
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
        AgentEvent::StreamRetry { attempt, max_attempts, delay_ms, reason } => Some(format!(
            "retrying model request ({attempt}/{max_attempts}) in {:.1}s: {reason}",
            *delay_ms as f64 / 1000.0
        )),
        AgentEvent::Warning { message } => Some(format!("warning: {message}")),
        AgentEvent::TurnCompleted { usage, .. } => Some(format!(
            "tokens: {} in ({} cached), {} out",
            usage.input_tokens, usage.cached_input_tokens, usage.output_tokens
        )),
        AgentEvent::TurnFailed { message } => Some(format!("error: {message}")),
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
