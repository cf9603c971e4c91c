//! Whole-frame snapshot tests: scripted event streams applied to the session view and the run panel,
//! drawn through an inline viewport into ratatui's `TestBackend` (scrollback included) at 80 and 60
//! columns, and the key handling that turns keys into intents.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalReason, ApprovalRequest, CommandStatus, ContextUsage, DecidedBy, FileChange,
    FileChangeKind, PlanItem, PlanStatus, ToolEffect, Usage,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::widgets::{Paragraph, Widget};
use ratatui::{Terminal, TerminalOptions, Viewport};
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::{Intent, SessionView, Update};

/// A terminal of `width` x `height` with an inline viewport of `viewport` rows, as the real loop uses.
pub(crate) struct Screen {
    terminal: Terminal<TestBackend>,
}

impl Screen {
    pub(crate) fn new(width: u16, height: u16, viewport: u16) -> Self {
        let options = TerminalOptions { viewport: Viewport::Inline(viewport) };
        Screen { terminal: Terminal::with_options(TestBackend::new(width, height), options).unwrap() }
    }

    /// Does what one turn of the session loop does: history to the scrollback, then a frame.
    pub(crate) fn step(&mut self, app: &mut App) {
        let width = self.terminal.size().unwrap().width;
        let lines = app.take_history(width);
        if !lines.is_empty() {
            let height = lines.len() as u16;
            self.terminal.insert_before(height, |buf| Paragraph::new(lines).render(buf.area, buf)).unwrap();
        }
        let wanted = app.desired_height(width);
        crate::terminal::fit_viewport(&mut self.terminal, wanted, |b| b.clone()).unwrap();
        self.terminal.draw(|f| app.render(f, f.area())).unwrap();
    }

    pub(crate) fn terminal_backend(&self) -> &TestBackend {
        self.terminal.backend()
    }

    /// Everything on the screen and in the scrollback, as text with trailing blanks trimmed.
    pub(crate) fn text(&self) -> String {
        let backend = self.terminal.backend();
        let mut rows = buffer_rows(backend.scrollback());
        rows.extend(buffer_rows(backend.buffer()));
        while rows.first().is_some_and(|r| r.is_empty()) {
            rows.remove(0);
        }
        while rows.last().is_some_and(|r| r.is_empty()) {
            rows.pop();
        }
        rows.join("\n")
    }
}

pub(crate) fn buffer_rows(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in 0..area.width {
                let symbol = buffer[(x, y)].symbol();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                skip = symbol.width().saturating_sub(1);
                row.push_str(symbol);
            }
            row.trim_end().to_string()
        })
        .collect()
}

pub(crate) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub(crate) fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub(crate) fn type_text(app: &mut App, text: &str) -> Vec<Intent> {
    text.chars().flat_map(|c| app.handle_key(key(KeyCode::Char(c)))).collect()
}

pub(crate) fn new_app(cwd: PathBuf, t0: Instant) -> App {
    App::new(
        SessionView { cwd, history: vec!["earlier prompt".to_string()], model: "gpt-test".to_string(), prompt: None },
        t0,
    )
}

pub(crate) fn usage(input: u64, output: u64) -> Usage {
    Usage { input_tokens: input, output_tokens: output, ..Usage::default() }
}

fn shell(command: &str, output: &str, exit_code: Option<i32>, done: bool) -> ToolEffect {
    ToolEffect::Command {
        command: command.to_string(),
        cwd: "/repo".to_string(),
        exit_code,
        aggregated_output: output.to_string(),
        status: match (done, exit_code) {
            (false, _) => CommandStatus::InProgress,
            (true, Some(0)) => CommandStatus::Completed,
            (true, _) => CommandStatus::Failed,
        },
    }
}

pub(crate) fn approval() -> ApprovalRequest {
    ApprovalRequest {
        call_id: "c2".to_string(),
        tool: "shell".to_string(),
        command: Some("cargo test -p parser".to_string()),
        cwd: "/repo".to_string(),
        changes: vec![],
        reason: ApprovalReason::Escalation,
        unconfined: true,
        justification: Some("the tests need the network-free cache outside the sandbox".to_string()),
        session_scope: "cargo test".to_string(),
    }
}

const PATCH: &str = "*** Begin Patch\n*** Update File: src/parser.rs\n@@ fn parse(input: &str)\n-    let x = input.len();\n\
                     +    if input.is_empty() {\n+        return Ok(Vec::new());\n+    }\n*** End Patch\n";

/// The session script: a prompt, reasoning, an answer, a command, an approval, an edit and the plan.
/// Snapshots are taken at the named points.
fn run_script(width: u16) -> Vec<(&'static str, String)> {
    let t0 = Instant::now();
    let mut app = new_app(PathBuf::from("/nonexistent"), t0);
    let mut screen = Screen::new(width, 40, 16);
    let mut shots = Vec::new();
    let ev = |app: &mut App, e: AgentEvent| assert!(app.apply(Update::Agent(e)).is_empty());

    ev(
        &mut app,
        AgentEvent::SessionStarted {
            session_id: "s1".to_string(),
            model: "gpt-test".to_string(),
            provider: "responses".to_string(),
            cwd: "/repo".to_string(),
            rollout_path: None,
            resumed: false,
            forked_from: None,
        },
    );
    assert!(type_text(&mut app, "fix the parser").is_empty());
    app.handle_key(ctrl('j'));
    type_text(&mut app, "and run its tests");
    let intents = app.handle_key(key(KeyCode::Enter));
    assert_eq!(intents, vec![Intent::Submit { text: "fix the parser\nand run its tests".to_string() }]);
    ev(&mut app, AgentEvent::TurnStarted);
    ev(&mut app, AgentEvent::Reasoning { text: "**Reading the parser** to find the empty-input case".to_string() });
    ev(&mut app, AgentEvent::AgentMessageDelta { delta: "I'll look at `parse` ".to_string() });
    app.now = t0 + Duration::from_millis(1200);
    screen.step(&mut app);
    shots.push(("streaming", screen.text()));

    ev(&mut app, AgentEvent::AgentMessage { text: "I'll look at `parse` first.".to_string() });
    let begin = shell("rg -n parse src", "", None, false);
    ev(
        &mut app,
        AgentEvent::ToolCallBegin {
            call_id: "c1".to_string(),
            name: "shell".to_string(),
            arguments: r#"{"command":["rg","-n","parse","src"]}"#.to_string(),
            effect: begin,
        },
    );
    app.now = t0 + Duration::from_millis(3300);
    screen.step(&mut app);
    shots.push(("running command", screen.text()));

    // Its output streams in while it runs: the cell shows the last lines, the rest folded above.
    for i in 1..=6 {
        ev(
            &mut app,
            AgentEvent::ToolOutputDelta { call_id: "c1".to_string(), delta: format!("src/parser.rs:{i}: fn parse\n") },
        );
    }
    ev(&mut app, AgentEvent::ToolOutputDelta { call_id: "c1".to_string(), delta: "src/parser.rs:7: fn".to_string() });
    screen.step(&mut app);
    shots.push(("running command with output", screen.text()));

    let output = (1..=7).map(|i| format!("src/parser.rs:{i}: fn parse")).collect::<Vec<_>>().join("\n");
    ev(
        &mut app,
        AgentEvent::ToolCallEnd {
            call_id: "c1".to_string(),
            name: "shell".to_string(),
            output: output.clone(),
            success: true,
            effect: shell("rg -n parse src", &output, Some(0), true),
            duration_ms: 420,
        },
    );
    ev(&mut app, AgentEvent::ApprovalRequested { request: approval() });
    screen.step(&mut app);
    shots.push(("approval", screen.text()));

    assert!(type_text(&mut app, "q").is_empty(), "other keys do not answer an approval");
    let intents = app.handle_key(key(KeyCode::Char('a')));
    assert_eq!(
        intents,
        vec![Intent::Approve { call_id: "c2".to_string(), decision: ApprovalDecision::ApproveForSession }]
    );
    ev(
        &mut app,
        AgentEvent::ApprovalDecided {
            call_id: "c2".to_string(),
            decision: ApprovalDecision::ApproveForSession,
            decided_by: DecidedBy::User,
        },
    );
    ev(
        &mut app,
        AgentEvent::ToolCallBegin {
            call_id: "c3".to_string(),
            name: "apply_patch".to_string(),
            arguments: serde_json::json!({ "input": PATCH }).to_string(),
            effect: ToolEffect::FileChange {
                changes: vec![FileChange {
                    path: "src/parser.rs".to_string(),
                    kind: FileChangeKind::Update,
                    move_to: None,
                }],
            },
        },
    );
    ev(
        &mut app,
        AgentEvent::ToolCallEnd {
            call_id: "c3".to_string(),
            name: "apply_patch".to_string(),
            output: "Success.".to_string(),
            success: true,
            effect: ToolEffect::FileChange {
                changes: vec![FileChange {
                    path: "src/parser.rs".to_string(),
                    kind: FileChangeKind::Update,
                    move_to: None,
                }],
            },
            duration_ms: 5,
        },
    );
    let plan = ToolEffect::Plan {
        explanation: None,
        items: vec![
            PlanItem { step: "Handle empty input".to_string(), status: PlanStatus::Completed },
            PlanItem { step: "Run the parser tests".to_string(), status: PlanStatus::InProgress },
        ],
    };
    ev(
        &mut app,
        AgentEvent::ToolCallBegin {
            call_id: "c4".to_string(),
            name: "update_plan".to_string(),
            arguments: "{}".to_string(),
            effect: plan.clone(),
        },
    );
    ev(
        &mut app,
        AgentEvent::ToolCallEnd {
            call_id: "c4".to_string(),
            name: "update_plan".to_string(),
            output: "ok".to_string(),
            success: true,
            effect: plan,
            duration_ms: 1,
        },
    );
    ev(
        &mut app,
        AgentEvent::ToolCallBegin {
            call_id: "c5".to_string(),
            name: "docs__search".to_string(),
            arguments: r#"{"query":"empty input"}"#.to_string(),
            effect: ToolEffect::None,
        },
    );
    ev(
        &mut app,
        AgentEvent::ToolCallEnd {
            call_id: "c5".to_string(),
            name: "docs__search".to_string(),
            output: "2 hits".to_string(),
            success: true,
            effect: ToolEffect::None,
            duration_ms: 30,
        },
    );
    ev(&mut app, AgentEvent::Warning { message: "the model's context is filling up".to_string() });
    ev(
        &mut app,
        AgentEvent::AgentMessage {
            text: "Done. Empty input now returns an empty list.\n\n- fixed `parse`\n- tests pass".to_string(),
        },
    );
    ev(
        &mut app,
        AgentEvent::TurnCompleted {
            usage: usage(9000, 500),
            total_usage: usage(12000, 345),
            context: ContextUsage { tokens: 30000, window: Some(100000), estimated: false },
            last_message: None,
        },
    );
    screen.step(&mut app);
    shots.push(("turn done", screen.text()));
    shots
}

#[test]
fn session_at_80_columns() {
    let shots = run_script(80);
    insta::assert_snapshot!(shots[0].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse
        ────────────────────────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠹ working 1s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[1].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          ⠙ running 2.1s
        ────────────────────────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠸ working 3s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[2].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn
          ⠙ running 2.1s
        ────────────────────────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠸ working 3s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[3].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn parse
          ✓ exit 0 · 420ms

        ▌ Run this outside the sandbox?
        ▌ $ cargo test -p parser
        ▌ in: /repo
        ▌ why: the tests need the network-free cache outside the sandbox
        ▌ note: approving runs it without the sandbox
        ▌ y approve once  a approve for the session (cargo test)  n deny  esc abort the
        ▌   turn
        ────────────────────────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠸ working 3s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[4].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn parse
          ✓ exit 0 · 420ms

        ✓ approved for the session: cargo test -p parser

        ● Update src/parser.rs (+3 -1)
          @@ fn parse(input: &str)
          -    let x = input.len();
          +    if input.is_empty() {
          +        return Ok(Vec::new());
          +    }

        Plan
          ✓ Handle empty input
          ▸ Run the parser tests

        ✓ docs__search query=empty input

        ⚠ the model's context is filling up

        Done. Empty input now returns an empty list.

        • fixed parse
        • tests pass

        ────────────────────────────────────────────────────────────────────────────────
        ›
        gpt-test · 12.3k tokens · 70% context left · Enter send · / commands
    ");
}

#[test]
fn session_at_60_columns() {
    let shots = run_script(60);
    insta::assert_snapshot!(shots[2].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn
          ⠙ running 2.1s
        ────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠸ working 3s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[3].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn parse
          ✓ exit 0 · 420ms

        ▌ Run this outside the sandbox?
        ▌ $ cargo test -p parser
        ▌ in: /repo
        ▌ why: the tests need the network-free cache outside the
        ▌   sandbox
        ▌ note: approving runs it without the sandbox
        ▌ y approve once  a approve for the session (cargo test)  n
        ▌   deny  esc abort the turn
        ────────────────────────────────────────────────────────────
        ›
        gpt-test · ⠸ working 3s · Ctrl-C to interrupt
    ");
    insta::assert_snapshot!(shots[4].1, @r"
        • braid · gpt-test · /repo · session s1

        › fix the parser
          and run its tests

        Reading the parser to find the empty-input case

        I'll look at parse first.

        $ rg -n parse src
          … 2 earlier lines
          src/parser.rs:3: fn parse
          src/parser.rs:4: fn parse
          src/parser.rs:5: fn parse
          src/parser.rs:6: fn parse
          src/parser.rs:7: fn parse
          ✓ exit 0 · 420ms

        ✓ approved for the session: cargo test -p parser

        ● Update src/parser.rs (+3 -1)
          @@ fn parse(input: &str)
          -    let x = input.len();
          +    if input.is_empty() {
          +        return Ok(Vec::new());
          +    }

        Plan
          ✓ Handle empty input
          ▸ Run the parser tests

        ✓ docs__search query=empty input

        ⚠ the model's context is filling up

        Done. Empty input now returns an empty list.

        • fixed parse
        • tests pass

        ────────────────────────────────────────────────────────────
        ›
        gpt-test · 12.3k tokens · 70% context left
    ");
}

#[test]
fn session_at_40_columns_does_not_panic() {
    for width in [40, 20, 8, 1] {
        let shots = run_script(width);
        assert_eq!(shots.len(), 5);
    }
}

#[test]
fn survives_a_resize_and_history_taller_than_the_screen() {
    let t0 = Instant::now();
    let mut app = new_app(PathBuf::from("/nonexistent"), t0);
    let mut screen = Screen::new(80, 12, 6);
    let long: String = (1..=30).map(|i| format!("- item {i} of a long answer\n")).collect();
    app.apply(Update::Agent(AgentEvent::AgentMessage { text: long }));
    screen.step(&mut app);
    screen.terminal.backend_mut().resize(60, 12);
    type_text(&mut app, "a draft long enough to wrap at sixty columns, and then some more words");
    screen.step(&mut app);
    let text = screen.text();
    assert!(text.contains("• item 1 of a long answer"), "the first lines reached the scrollback:\n{text}");
    assert!(text.contains("• item 30 of a long answer"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    insta::assert_snapshot!(lines[lines.len() - 4..].join("\n"), @r"
        ────────────────────────────────────────────────────────────
        › a draft long enough to wrap at sixty columns, and then
          some more words
        gpt-test · Enter send · / commands
    ");
}
