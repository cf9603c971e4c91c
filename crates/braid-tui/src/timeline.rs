//! The transcript as a state machine over `AgentEvent`s: finished cells, the text still streaming, the
//! tool calls still running and the open approval request. The session view and the run panel's
//! attempt transcripts both feed events through it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use braid_protocol::{AgentEvent, ApprovalRequest, CommandStatus, ContextUsage, ToolEffect, Usage};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::cells::{Cell, CommandCell, LiveOutput, Notice, command_lines, human_duration, human_tokens, spinner};
use crate::diff;
use crate::markdown;
use crate::palette;
use crate::wrap::{truncate, wrap_line};

/// A tool call that has begun and not ended.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    pub call_id: String,
    pub name: String,
    pub arguments: String,
    pub effect: ToolEffect,
    pub started: Instant,
    /// What the call has printed so far (a command's streamed output).
    pub live: LiveOutput,
}

/// The transcript of one agent session.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    /// Cells that are done and will not change again.
    pub finished: Vec<Cell>,
    /// Assistant text streaming in, before its final message.
    pub stream: String,
    /// A reasoning summary streaming in.
    pub reasoning: String,
    pub running: Vec<Running>,
    pub approval: Option<ApprovalRequest>,
    /// What each approval request was about, for the one-line cell its decision leaves behind.
    asked: HashMap<String, String>,
    pub turn_started: Option<Instant>,
    pub total_usage: Option<Usage>,
    pub context: Option<ContextUsage>,
    pub turns: u32,
    pub model: Option<String>,
}

impl Timeline {
    /// Applies one event at time `now`.
    pub(crate) fn apply(&mut self, event: &AgentEvent, now: Instant) {
        match event {
            AgentEvent::SessionStarted { model, cwd, resumed, session_id, .. } => {
                self.model = Some(model.clone());
                let verb = if *resumed { "resumed session" } else { "session" };
                let text = format!("braid · {model} · {cwd} · {verb} {session_id}");
                self.finished.push(Cell::Notice(Notice::Info, text));
            }
            AgentEvent::TurnStarted => {
                self.turn_started = Some(now);
                self.turns += 1;
            }
            AgentEvent::AgentMessageDelta { delta } => self.stream.push_str(delta),
            AgentEvent::AgentMessage { text } => {
                self.stream.clear();
                if !text.trim().is_empty() {
                    self.finished.push(Cell::Assistant(text.clone()));
                }
            }
            AgentEvent::ReasoningDelta { delta } => self.reasoning.push_str(delta),
            AgentEvent::Reasoning { text } => {
                self.reasoning.clear();
                if !text.trim().is_empty() {
                    self.finished.push(Cell::Reasoning(text.clone()));
                }
            }
            AgentEvent::ToolCallBegin { call_id, name, arguments, effect } => {
                self.flush_stream();
                self.running.push(Running {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                    effect: effect.clone(),
                    started: now,
                    live: LiveOutput::default(),
                });
            }
            AgentEvent::ToolOutputDelta { call_id, delta } => {
                if let Some(running) = self.running.iter_mut().find(|r| &r.call_id == call_id) {
                    running.live.push(delta);
                }
            }
            AgentEvent::ToolCallEnd { call_id, name, output, success, effect, duration_ms } => {
                let begun = self.running.iter().position(|r| &r.call_id == call_id).map(|i| self.running.remove(i));
                let arguments = begun.as_ref().map(|r| r.arguments.as_str()).unwrap_or("");
                let elapsed = Duration::from_millis(*duration_ms);
                self.finished.push(finished_tool(name, arguments, output, *success, effect, elapsed));
            }
            AgentEvent::ApprovalRequested { request } => {
                self.flush_stream();
                self.asked.insert(request.call_id.clone(), approval_subject(request));
                self.approval = Some(request.clone());
            }
            AgentEvent::ApprovalDecided { call_id, decision, decided_by } => {
                if self.approval.as_ref().is_some_and(|a| &a.call_id == call_id) {
                    self.approval = None;
                }
                let what = self.asked.remove(call_id).unwrap_or_else(|| call_id.clone());
                let by_user = matches!(decided_by, braid_protocol::DecidedBy::User);
                self.finished.push(Cell::Decided { what, decision: *decision, by_user });
            }
            AgentEvent::StreamRetry { attempt, max_attempts, delay_ms, reason } => {
                self.stream.clear();
                self.reasoning.clear();
                let delay = human_duration(Duration::from_millis(*delay_ms));
                let text = format!("retrying ({attempt}/{max_attempts}) in {delay}: {reason}");
                self.finished.push(Cell::Notice(Notice::Warning, text));
            }
            AgentEvent::Warning { message } => self.finished.push(Cell::Notice(Notice::Warning, message.clone())),
            AgentEvent::ContextCompacted { trigger, tokens_before, tokens_after, kept_user_messages, .. } => {
                let trigger = match trigger {
                    braid_protocol::CompactionTrigger::Auto => "automatically",
                    braid_protocol::CompactionTrigger::Manual => "on request",
                    braid_protocol::CompactionTrigger::Overflow => "after an overflow",
                };
                let text = format!(
                    "context compacted {trigger}: {} → {} tokens, {kept_user_messages} user messages kept",
                    human_tokens(*tokens_before),
                    human_tokens(*tokens_after)
                );
                self.finished.push(Cell::Notice(Notice::Info, text));
            }
            AgentEvent::CompactionTrimmed { dropped_items, remaining_items, .. } => {
                let text =
                    format!("compaction input trimmed: {dropped_items} oldest items left out, {remaining_items} kept");
                self.finished.push(Cell::Notice(Notice::Warning, text));
            }
            AgentEvent::TurnCompleted { total_usage, context, .. } => {
                self.end_turn();
                self.total_usage = Some(*total_usage);
                self.context = Some(*context);
            }
            AgentEvent::TurnFailed { message } => {
                self.end_turn();
                self.finished.push(Cell::Notice(Notice::Error, message.clone()));
            }
        }
    }

    /// Text that streamed without a final message (an interrupted turn) is kept as it was.
    fn flush_stream(&mut self) {
        if !self.stream.trim().is_empty() {
            self.finished.push(Cell::Assistant(std::mem::take(&mut self.stream)));
        }
        self.stream.clear();
        if !self.reasoning.trim().is_empty() {
            self.finished.push(Cell::Reasoning(std::mem::take(&mut self.reasoning)));
        }
        self.reasoning.clear();
    }

    fn end_turn(&mut self) {
        self.flush_stream();
        self.turn_started = None;
        self.approval = None;
        // Calls that never reported an end (an interrupted turn) are shown as cut short.
        for r in std::mem::take(&mut self.running) {
            let summary = format!("{} (interrupted)", summarize_arguments(&r.arguments));
            self.finished.push(Cell::Tool { name: r.name, summary, success: Some(false) });
        }
    }

    /// The lines of what is still in progress: reasoning and assistant text streaming, running tools.
    pub(crate) fn live_lines(&self, width: usize, now: Instant) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        if !self.reasoning.trim().is_empty() {
            out.extend(Cell::Reasoning(self.reasoning.clone()).lines(width));
        }
        if !self.stream.is_empty() {
            out.extend(markdown::render(&self.stream, width));
        }
        for r in &self.running {
            let elapsed = now.saturating_duration_since(r.started);
            match &r.effect {
                ToolEffect::Command { command, aggregated_output, .. } => {
                    // The streamed output while it runs; `ToolCallEnd` replaces it with the final one.
                    let output = if r.live.tail.is_empty() { aggregated_output } else { &r.live.tail };
                    let cell = CommandCell {
                        command: command.clone(),
                        output: output.clone(),
                        exit_code: None,
                        status: CommandStatus::InProgress,
                        elapsed,
                        earlier_lines: r.live.earlier_lines,
                    };
                    out.extend(command_lines(&cell, width, Some(elapsed)));
                }
                _ => {
                    let line = Line::from(vec![
                        Span::styled(format!("{} ", spinner(elapsed)), palette::accent()),
                        Span::styled(r.name.clone(), palette::bold()),
                        Span::raw(" "),
                        Span::styled(summarize_arguments(&r.arguments), palette::dim()),
                    ]);
                    out.extend(wrap_line(&line, width, &[Span::raw("  ")]));
                }
            }
        }
        out
    }
}

/// The cell a finished tool call leaves in the transcript.
fn finished_tool(
    name: &str,
    arguments: &str,
    output: &str,
    success: bool,
    effect: &ToolEffect,
    elapsed: Duration,
) -> Cell {
    match effect {
        ToolEffect::Command { command, exit_code, aggregated_output, status, .. } => Cell::Command(CommandCell {
            command: command.clone(),
            output: aggregated_output.clone(),
            exit_code: *exit_code,
            status: *status,
            elapsed,
            earlier_lines: 0,
        }),
        ToolEffect::FileChange { changes } => {
            // The patch an apply_patch call carries, else an edit_file call's replacement, else the
            // bare list of files the effect names.
            let files = patch_text(arguments)
                .map(|patch| diff::parse_patch(&patch))
                .filter(|files| !files.is_empty())
                .or_else(|| replacement(arguments).map(|file| vec![file]))
                .unwrap_or_else(|| diff::from_changes(changes));
            Cell::Files { files, success: Some(success) }
        }
        ToolEffect::Plan { explanation, items } => {
            Cell::Plan { explanation: explanation.clone(), items: items.clone() }
        }
        ToolEffect::None => {
            let mut summary = summarize_arguments(arguments);
            if !success {
                let first = output.lines().next().unwrap_or("");
                summary = format!("{summary} — {}", truncate(first, 60));
            }
            Cell::Tool { name: name.to_string(), summary, success: Some(success) }
        }
    }
}

/// The patch inside a tool call's arguments: any string value holding `*** Begin Patch`.
fn patch_text(arguments: &str) -> Option<String> {
    fn find(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) if s.contains("*** Begin Patch") => Some(s.clone()),
            serde_json::Value::Array(a) => a.iter().find_map(find),
            serde_json::Value::Object(o) => o.values().find_map(find),
            _ => None,
        }
    }
    let value: serde_json::Value = serde_json::from_str(arguments).ok()?;
    find(&value)
}

/// The diff of an edit_file call, read from its arguments (`path`, `old_text`, `new_text`).
fn replacement(arguments: &str) -> Option<diff::FileDiff> {
    let value: serde_json::Value = serde_json::from_str(arguments).ok()?;
    let field = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
    Some(diff::from_replacement(field("path")?, field("old_text")?, field("new_text")?))
}

/// A short `key=value` summary of a tool call's JSON arguments, for one-line cells.
pub(crate) fn summarize_arguments(arguments: &str) -> String {
    let summary = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{k}={}", truncate(v.lines().next().unwrap_or(""), 40))
            })
            .collect::<Vec<_>>()
            .join(" "),
        Ok(other) => other.to_string(),
        Err(_) => arguments.to_string(),
    };
    truncate(&summary, 80)
}

/// What an approval request is about, in one line: the command, or the files.
fn approval_subject(request: &ApprovalRequest) -> String {
    match &request.command {
        Some(c) => c.clone(),
        None if !request.changes.is_empty() => {
            request.changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>().join(", ")
        }
        None => request.tool.clone(),
    }
}

/// The inline approval prompt's lines: the command (or files), its directory, the justification, the
/// reason, and the keys.
pub(crate) fn approval_lines(request: &ApprovalRequest, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let title = match request.reason {
        braid_protocol::ApprovalReason::Untrusted if request.command.is_none() => "Apply these edits?",
        braid_protocol::ApprovalReason::Untrusted => "Run this?",
        braid_protocol::ApprovalReason::Escalation => "Run this outside the sandbox?",
        braid_protocol::ApprovalReason::SandboxDenied => "The sandbox refused this. Run it outside the sandbox?",
    };
    out.extend(wrap_line(
        &Line::styled(format!("▌ {title}"), palette::warn().add_modifier(Modifier::BOLD)),
        width,
        &[Span::styled("▌ ", palette::warn())],
    ));
    let bar = || Span::styled("▌ ", palette::warn());
    let indent = [Span::styled("▌   ", palette::warn())];
    match &request.command {
        Some(command) => {
            let l = Line::from(vec![
                bar(),
                Span::styled("$ ", palette::accent()),
                Span::styled(command.clone(), palette::bold()),
            ]);
            out.extend(wrap_line(&l, width, &indent));
        }
        None => {
            for c in &request.changes {
                let l = Line::from(vec![
                    bar(),
                    Span::styled(format!("{:?} ", c.kind), palette::bold()),
                    Span::raw(c.path.clone()),
                ]);
                out.extend(wrap_line(&l, width, &indent));
            }
        }
    }
    let field = |label: &str, value: &str| {
        Line::from(vec![bar(), Span::styled(format!("{label}: "), palette::dim()), Span::raw(value.to_string())])
    };
    out.extend(wrap_line(&field("in", &request.cwd), width, &indent));
    if let Some(j) = &request.justification {
        out.extend(wrap_line(&field("why", j), width, &indent));
    }
    if request.unconfined {
        out.extend(wrap_line(&field("note", "approving runs it without the sandbox"), width, &indent));
    }
    let keys = Line::from(vec![
        bar(),
        Span::styled("y", palette::good().add_modifier(Modifier::BOLD)),
        Span::raw(" approve once  "),
        Span::styled("a", palette::good().add_modifier(Modifier::BOLD)),
        Span::raw(format!(" approve for the session ({})  ", request.session_scope)),
        Span::styled("n", palette::bad().add_modifier(Modifier::BOLD)),
        Span::raw(" deny  "),
        Span::styled("esc", palette::bad().add_modifier(Modifier::BOLD)),
        Span::raw(" abort the turn"),
    ]);
    out.extend(wrap_line(&keys, width, &indent));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;
    use braid_protocol::FileChangeKind;

    /// Applies `events` and returns the finished cells and the live lines as text.
    fn check(events: &[AgentEvent]) -> String {
        let t0 = Instant::now();
        let mut timeline = Timeline::default();
        for e in events {
            timeline.apply(e, t0);
        }
        let mut out: Vec<String> = timeline.finished.iter().flat_map(|c| c.lines(60)).map(|l| plain(&l)).collect();
        out.push("-- live --".to_string());
        out.extend(timeline.live_lines(60, t0 + Duration::from_secs(2)).iter().map(plain));
        out.join("\n")
    }

    /// A finished call that changed one file.
    fn edited(call_id: &str, name: &str, output: &str, success: bool, path: &str, kind: FileChangeKind) -> AgentEvent {
        AgentEvent::ToolCallEnd {
            call_id: call_id.to_string(),
            name: name.to_string(),
            output: output.to_string(),
            success,
            effect: ToolEffect::FileChange {
                changes: vec![braid_protocol::FileChange { path: path.to_string(), kind, move_to: None }],
            },
            duration_ms: 1,
        }
    }

    fn begin(call_id: &str, name: &str, arguments: &str) -> AgentEvent {
        AgentEvent::ToolCallBegin {
            call_id: call_id.to_string(),
            name: name.to_string(),
            arguments: arguments.to_string(),
            effect: ToolEffect::None,
        }
    }

    #[test]
    fn an_interrupted_turn_keeps_what_streamed_and_marks_running_calls() {
        let text = check(&[
            AgentEvent::TurnStarted,
            AgentEvent::AgentMessageDelta { delta: "Half an ans".to_string() },
            begin("c1", "read_file", r#"{"path":"src/lib.rs"}"#),
            AgentEvent::TurnFailed { message: "turn interrupted".to_string() },
        ]);
        insta::assert_snapshot!(text, @r"
            Half an ans
            ✗ read_file path=src/lib.rs (interrupted)
            ✗ turn interrupted
            -- live --
        ");
    }

    #[test]
    fn a_retry_drops_the_streamed_text() {
        let text = check(&[
            AgentEvent::TurnStarted,
            AgentEvent::ReasoningDelta { delta: "thinking".to_string() },
            AgentEvent::AgentMessageDelta { delta: "void".to_string() },
            AgentEvent::StreamRetry { attempt: 1, max_attempts: 5, delay_ms: 1500, reason: "HTTP 503".to_string() },
            AgentEvent::AgentMessageDelta { delta: "Fresh **start**".to_string() },
            begin("c1", "github__search_issues", r#"{"query":"parser crash","limit":5}"#),
        ]);
        insta::assert_snapshot!(text, @r"
            ⚠ retrying (1/5) in 1.5s: HTTP 503
            Fresh start
            -- live --
            ⠋ github__search_issues limit=5 query=parser crash
        ");
    }

    #[test]
    fn an_edit_file_call_shows_its_replacement_as_a_diff() {
        let arguments = serde_json::json!({
            "path": "src/lib.rs",
            "old_text": "fn a() {\n    1\n}\n",
            "new_text": "fn a() {\n    2\n}\n",
        })
        .to_string();
        let text = check(&[
            begin("c1", "edit_file", &arguments),
            edited("c1", "edit_file", "edited src/lib.rs", true, "src/lib.rs", FileChangeKind::Update),
        ]);
        insta::assert_snapshot!(text, @r"
            ● Update src/lib.rs (+1 -1)
              @@
               fn a() {
              -    1
              +    2
               }
            -- live --
        ");
    }

    #[test]
    fn notices_for_compaction_and_failed_tools() {
        let text = check(&[
            AgentEvent::ContextCompacted {
                trigger: braid_protocol::CompactionTrigger::Auto,
                tokens_before: 180_000,
                tokens_after: 9_500,
                kept_user_messages: 3,
                summary: "s".to_string(),
            },
            AgentEvent::CompactionTrimmed { dropped_items: 4, remaining_items: 20, reason: "too long".to_string() },
            begin("c2", "read_file", r#"{"path":"missing.rs"}"#),
            AgentEvent::ToolCallEnd {
                call_id: "c2".to_string(),
                name: "read_file".to_string(),
                output: "no such file: missing.rs\nmore".to_string(),
                success: false,
                effect: ToolEffect::None,
                duration_ms: 1,
            },
            edited("never-begun", "apply_patch", "", false, "a.rs", FileChangeKind::Delete),
        ]);
        insta::assert_snapshot!(text, @r"
            • context compacted automatically: 180.0k → 9.5k tokens, 3
              user messages kept
            ⚠ compaction input trimmed: 4 oldest items left out, 20 kept
            ✗ read_file path=missing.rs — no such file: missing.rs
            ● Delete a.rs
              ✗ the patch was not applied
            -- live --
        ");
    }
}
