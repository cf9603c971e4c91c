//! Reading an external agent's stdout one line at a time and turning it into braid's `AgentEvent`s,
//! while keeping the tally (turns, tokens, cost, last message, session id, the agent's own verdict) that
//! becomes the attempt's outcome.
//!
//! The formats belong to other projects and change without notice, so nothing here fails on a line it
//! does not understand: an unknown event type or a line that is not JSON is counted and reported once as
//! a warning, and reading goes on.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use braid_protocol::{AgentEvent, ContextUsage, ToolEffect, Usage};
use serde_json::Value;

use super::{claude, codex};

/// What an agent's transcript said about the attempt, accumulated line by line.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub turns: u32,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub last_message: Option<String>,
    pub session_id: Option<String>,
    /// The agent's own verdict when its format has one (`turn.failed`, a `result` event).
    pub reported_success: Option<bool>,
    /// The agent's own error message, when it gave one.
    pub failure: Option<String>,
    pub unknown_lines: u32,
    pub malformed_lines: u32,
    /// Event types already warned about, so that a stream of one new event type warns once.
    warned: BTreeSet<String>,
    /// Tool calls begun and not yet ended: their name, effect and start time, to complete the end event
    /// (formats that report the end alone do not repeat the name).
    open_calls: HashMap<String, (String, ToolEffect, Instant)>,
}

impl Tally {
    /// Reports an event type this reader does not know, once per type.
    pub fn unknown(&mut self, agent: &str, kind: &str, sink: &mut dyn FnMut(AgentEvent)) {
        self.unknown_lines += 1;
        if self.warned.insert(kind.to_string()) {
            sink(AgentEvent::Warning { message: format!("{agent}: ignored an event of unknown type `{kind}`") });
        }
    }

    /// Emits `ToolCallBegin` and remembers the call for its end.
    pub fn begin(
        &mut self,
        call_id: &str,
        name: &str,
        arguments: String,
        effect: ToolEffect,
        sink: &mut dyn FnMut(AgentEvent),
    ) {
        self.open_calls.insert(call_id.to_string(), (name.to_string(), effect.clone(), Instant::now()));
        sink(AgentEvent::ToolCallBegin { call_id: call_id.to_string(), name: name.to_string(), arguments, effect });
    }

    /// Whether a call with this id has begun and not ended.
    pub fn is_open(&self, call_id: &str) -> bool {
        self.open_calls.contains_key(call_id)
    }

    /// Emits `ToolCallEnd` for a call. `effect` replaces the begin's effect when given; the name is the
    /// begin's when the call was seen beginning, else `fallback_name`.
    pub fn end(
        &mut self,
        call_id: &str,
        fallback_name: &str,
        output: String,
        success: bool,
        effect: Option<ToolEffect>,
        sink: &mut dyn FnMut(AgentEvent),
    ) {
        let (name, begin_effect, started) = self
            .open_calls
            .remove(call_id)
            .unwrap_or_else(|| (fallback_name.to_string(), ToolEffect::None, Instant::now()));
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        sink(AgentEvent::ToolCallEnd {
            call_id: call_id.to_string(),
            name,
            output,
            success,
            effect: effect.unwrap_or(begin_effect),
            duration_ms,
        });
    }

    /// The effect a call began with, if it is open.
    pub fn begin_effect(&self, call_id: &str) -> Option<&ToolEffect> {
        self.open_calls.get(call_id).map(|(_, effect, _)| effect)
    }

    /// Records an assistant message as the last one and emits it.
    pub fn message(&mut self, text: &str, sink: &mut dyn FnMut(AgentEvent)) {
        self.last_message = Some(text.to_string());
        sink(AgentEvent::AgentMessage { text: text.to_string() });
    }

    /// The `TurnCompleted` event for a turn that used `turn_usage`, after adding it to the total.
    pub fn turn_completed(&mut self, turn_usage: Usage) -> AgentEvent {
        self.usage.add(&turn_usage);
        AgentEvent::TurnCompleted {
            context: ContextUsage {
                tokens: turn_usage.input_tokens + turn_usage.output_tokens,
                window: None,
                estimated: false,
            },
            usage: turn_usage,
            total_usage: self.usage,
            last_message: self.last_message.clone(),
        }
    }
}

/// How to read an agent's stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `codex exec --json`.
    Codex,
    /// `claude -p --output-format stream-json`.
    Claude,
    /// Any other CLI: plain text, unless its first JSON line shows it speaks one of the formats above.
    Plain,
}

/// A transcript reader for one agent run.
#[derive(Debug)]
pub(crate) struct Reader {
    format: Format,
    /// For `Plain`: set once a line showed the output is really Codex's or Claude's format.
    detected: Option<Format>,
    /// For plain text: everything printed so far, kept within `PLAIN_TEXT_CAP` (the end is kept).
    text: String,
    pub tally: Tally,
    /// What the front ends call the agent (`codex`, `claude`, the program name).
    agent: String,
}

/// How much of a plain agent's output is kept as its final message.
const PLAIN_TEXT_CAP: usize = 64 * 1024;

impl Reader {
    pub fn new(format: Format, agent: &str) -> Self {
        Reader { format, detected: None, text: String::new(), tally: Tally::default(), agent: agent.to_string() }
    }

    /// Reads one stdout line, emitting the events it stands for.
    pub fn line(&mut self, line: &str, sink: &mut dyn FnMut(AgentEvent)) {
        let format = self.detected.unwrap_or(self.format);
        if format == Format::Plain {
            if let Some(found) = detect(line) {
                self.detected = Some(found);
                return self.line(line, sink);
            }
            let mut delta = line.to_string();
            delta.push('\n');
            self.text.push_str(&delta);
            if self.text.len() > PLAIN_TEXT_CAP {
                let mut cut = self.text.len() - PLAIN_TEXT_CAP;
                while !self.text.is_char_boundary(cut) {
                    cut += 1;
                }
                self.text.drain(..cut);
            }
            sink(AgentEvent::AgentMessageDelta { delta });
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        let value = match serde_json::from_str::<Value>(line) {
            Ok(value @ Value::Object(_)) => value,
            _ => {
                self.tally.malformed_lines += 1;
                if self.tally.malformed_lines == 1 {
                    let shown: String = line.chars().take(120).collect();
                    sink(AgentEvent::Warning {
                        message: format!("{}: ignored a line that is not a JSON event: {shown}", self.agent),
                    });
                }
                return;
            }
        };
        match format {
            Format::Codex => codex::read_event(&value, &mut self.tally, sink),
            Format::Claude => claude::read_event(&value, &mut self.tally, sink),
            Format::Plain => {}
        }
    }

    /// Ends the transcript: for plain text, the whole output becomes the final message.
    pub fn finish(&mut self, sink: &mut dyn FnMut(AgentEvent)) {
        if self.detected.is_none() && self.format == Format::Plain {
            let text = self.text.trim_end().to_string();
            if !text.is_empty() {
                self.tally.message(&text, sink);
            }
        }
    }
}

/// Which JSON format a plain agent's line belongs to, judging by its first field values.
fn detect(line: &str) -> Option<Format> {
    let value: Value = serde_json::from_str(line.trim_start()).ok()?;
    match value.get("type")?.as_str()? {
        "thread.started" | "turn.started" => Some(Format::Codex),
        "system" if value.get("subtype").and_then(Value::as_str) == Some("init") => Some(Format::Claude),
        _ => None,
    }
}

/// A JSON value's string at `key`, or "".
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A JSON value's unsigned integer at `key`, or 0.
pub(crate) fn u64_at(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `transcript` as `format` and returns a short name per event and the tally.
    fn read(format: Format, transcript: &str) -> (Vec<String>, Tally) {
        let mut reader = Reader::new(format, "test");
        let mut names = Vec::new();
        let mut sink = |event: AgentEvent| {
            names.push(match event {
                AgentEvent::SessionStarted { .. } => "session".to_string(),
                AgentEvent::TurnStarted => "turn".into(),
                AgentEvent::AgentMessageDelta { .. } => "delta".into(),
                AgentEvent::AgentMessage { .. } => "message".into(),
                AgentEvent::Reasoning { .. } => "reasoning".into(),
                AgentEvent::ToolCallBegin { name, .. } => format!("begin:{name}"),
                AgentEvent::ToolCallEnd { name, success, .. } => format!("end:{name}:{success}"),
                AgentEvent::Warning { .. } => "warning".into(),
                AgentEvent::TurnCompleted { .. } => "completed".into(),
                AgentEvent::TurnFailed { .. } => "failed".into(),
                other => format!("{other:?}"),
            })
        };
        for line in transcript.lines() {
            reader.line(line, &mut sink);
        }
        reader.finish(&mut sink);
        (names, reader.tally)
    }

    #[test]
    fn a_real_codex_transcript_reads_completely() {
        // Captured from codex-cli 0.169 against a scripted Responses server: it runs one command and
        // answers; the first item is Codex warning about an unknown model name.
        let (names, tally) = read(Format::Codex, include_str!("fixtures/codex-0.169.jsonl"));
        assert_eq!(names, ["session", "warning", "turn", "begin:shell", "end:shell:true", "message", "completed"]);
        assert_eq!(
            tally.usage,
            Usage { input_tokens: 200, cached_input_tokens: 40, output_tokens: 14, reasoning_output_tokens: 0 }
        );
        assert_eq!(tally.last_message.as_deref(), Some("Wrote hello.txt."));
        assert_eq!(
            (tally.turns, tally.reported_success, tally.unknown_lines, tally.malformed_lines),
            (1, Some(true), 0, 0)
        );
    }

    #[test]
    fn a_real_claude_transcript_reads_completely() {
        // Captured from Claude Code 2.1.197 against a scripted Anthropic server, same task.
        let (names, tally) = read(Format::Claude, include_str!("fixtures/claude-2.1.197.jsonl"));
        assert_eq!(names, ["session", "turn", "begin:Bash", "end:Bash:true", "message", "completed"]);
        assert_eq!(
            tally.usage,
            Usage { input_tokens: 250, cached_input_tokens: 40, output_tokens: 14, reasoning_output_tokens: 0 }
        );
        assert_eq!(tally.cost_usd, Some(0.0014325000000000002));
        assert_eq!(tally.session_id.as_deref(), Some("ba6e5d8f-4f60-4407-be3f-2e17cf613ec4"));
        assert_eq!(
            (tally.turns, tally.reported_success, tally.unknown_lines, tally.malformed_lines),
            (2, Some(true), 0, 0)
        );
    }

    #[test]
    fn plain_output_that_is_really_a_known_format_is_read_as_it() {
        let (names, tally) = read(Format::Plain, include_str!("fixtures/codex-0.169.jsonl"));
        assert_eq!(names.last().map(String::as_str), Some("completed"));
        assert_eq!(tally.usage.output_tokens, 14);
        let (names, tally) = read(Format::Plain, "working\n{\"type\":\"other\"}\ndone\n");
        assert_eq!(names, ["delta", "delta", "delta", "message"]);
        assert_eq!(tally.last_message.as_deref(), Some("working\n{\"type\":\"other\"}\ndone"));
    }

    #[test]
    fn codex_items_without_a_start_still_pair_and_unknown_items_warn_once() {
        let transcript = [
            r#"{"type":"item.completed","item":{"id":"a","type":"command_execution","command":"false","aggregated_output":"boom","exit_code":1,"status":"failed"}}"#,
            r#"{"type":"item.completed","item":{"id":"b","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":"found","status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"c","type":"todo_list","items":[{"text":"one","completed":true},{"text":"two","completed":false}]}}"#,
            r#"{"type":"item.completed","item":{"id":"d","type":"hologram"}}"#,
            r#"{"type":"item.completed","item":{"id":"e","type":"hologram"}}"#,
            r#"[1,2]"#,
        ]
        .join("\n");
        let (names, tally) = read(Format::Codex, &transcript);
        assert_eq!(
            names,
            [
                "begin:shell",
                "end:shell:false",
                "begin:docs__search",
                "end:docs__search:true",
                "begin:update_plan",
                "end:update_plan:true",
                "warning",
                "warning"
            ]
        );
        assert_eq!((tally.unknown_lines, tally.malformed_lines), (2, 1));
    }
}
