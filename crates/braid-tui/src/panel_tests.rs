//! The run panel driven by a scripted run: its rows at 80 and 60 columns, an attempt's transcript, the
//! keys, and the table left in the scrollback.

use std::time::{Duration, Instant};

use braid_protocol::{
    AgentEvent, AttemptInfo, AttemptSummary, CommandStatus, ContextUsage, RunEvent, ToolEffect, Usage,
};
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::frames::{buffer_rows, ctrl, key, usage};
use crate::run_panel::RunPanel;
use crate::{RunIntent, RunView};

fn info(n: u32, agent: &str, approach: Option<&str>) -> AttemptInfo {
    AttemptInfo { n, agent: agent.to_string(), approach: approach.map(str::to_string), branch: format!("braid/r1/{n}") }
}

fn summary(state: &str, commit: Option<&str>, error: Option<&str>) -> AttemptSummary {
    AttemptSummary {
        state: state.to_string(),
        commit: commit.map(str::to_string),
        files_changed: 2,
        insertions: 14,
        deletions: 3,
        turns: 4,
        usage: Usage { input_tokens: 20_000, output_tokens: 1_500, ..Usage::default() },
        cost_usd: None,
        elapsed_ms: 95_000,
        error: error.map(str::to_string),
    }
}

/// A run of three attempts at `t0 + 65s`: one still running a command, one committed, one failed.
fn scripted_panel() -> RunPanel {
    let t0 = Instant::now();
    let mut panel = RunPanel::new(RunView { title: "fix the flaky parser test".to_string() }, t0);
    let events = vec![
        RunEvent::RunStarted {
            run: "r1".to_string(),
            base: "main".to_string(),
            attempts: vec![info(1, "braid", None), info(2, "braid", Some("minimal")), info(3, "codex", None)],
            resumed: false,
        },
        RunEvent::AttemptState { n: 1, state: "running".to_string(), note: None },
        RunEvent::AttemptState { n: 2, state: "running".to_string(), note: None },
        RunEvent::AttemptState { n: 3, state: "running".to_string(), note: None },
        RunEvent::Agent { n: 1, event: AgentEvent::TurnStarted },
        RunEvent::Agent { n: 1, event: AgentEvent::AgentMessage { text: "Looking at the test first.".to_string() } },
        RunEvent::Agent {
            n: 1,
            event: AgentEvent::ToolCallBegin {
                call_id: "c1".to_string(),
                name: "shell".to_string(),
                arguments: "{}".to_string(),
                effect: ToolEffect::Command {
                    command: "cargo test -p parser flaky".to_string(),
                    cwd: "/w/1".to_string(),
                    exit_code: None,
                    aggregated_output: String::new(),
                    status: CommandStatus::InProgress,
                },
            },
        },
        RunEvent::Agent {
            n: 2,
            event: AgentEvent::TurnCompleted {
                usage: usage(5000, 200),
                total_usage: usage(5000, 200),
                context: ContextUsage { tokens: 5200, window: None, estimated: false },
                last_message: None,
            },
        },
        RunEvent::Progress { n: 2, text: "check `cargo test` passed".to_string() },
        RunEvent::AttemptFinished { n: 2, summary: summary("committed", Some("0123456789abcdef"), None) },
        RunEvent::AttemptFinished { n: 3, summary: summary("failed", None, Some("codex exited with status 2")) },
    ];
    for e in &events {
        panel.apply(e);
    }
    panel.now = t0 + Duration::from_secs(65);
    panel
}

fn draw(panel: &RunPanel, width: u16, height: u16) -> String {
    let options = TerminalOptions { viewport: Viewport::Inline(height) };
    let mut terminal = Terminal::with_options(TestBackend::new(width, height), options).unwrap();
    terminal.draw(|f| panel.render(f, f.area())).unwrap();
    let mut rows = buffer_rows(terminal.backend().buffer());
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    rows.join("\n")
}

#[test]
fn rows_at_80_and_60_columns() {
    let panel = scripted_panel();
    insta::assert_snapshot!(draw(&panel, 80, 6), @r"
        run r1 · fix the flaky parser test
            # agent           state      turns  tokens elapsed last action
        ▸   1 braid           running        1       0  1m 05s $ cargo test -p parser f…
            2 braid (minimal) committed      4   21.5k  1m 35s 01234567 · 2 files +14 -3
            3 codex           failed         4   21.5k  1m 35s codex exited with status…
        Up/Down select · Enter open transcript · Ctrl-C cancel
    ");
    insta::assert_snapshot!(draw(&panel, 60, 6), @r"
        run r1 · fix the flaky parser test
            # agent    state      turns  tokens elapsed last action
        ▸   1 braid    running        1       0  1m 05s $ cargo tes…
            2 braid (… committed      4   21.5k  1m 35s 01234567 · …
            3 codex    failed         4   21.5k  1m 35s codex exite…
        Up/Down select · Enter open transcript · Ctrl-C cancel
    ");
    assert_eq!(panel.desired_height(80), 6);
    let _ = draw(&panel, 20, 3);
    let _ = draw(&panel, 1, 1);
}

#[test]
fn opens_an_attempts_transcript() {
    let mut panel = scripted_panel();
    panel.handle_key(key(KeyCode::Down));
    panel.handle_key(key(KeyCode::Down));
    panel.handle_key(key(KeyCode::Down));
    panel.handle_key(key(KeyCode::Up));
    panel.handle_key(key(KeyCode::Up));
    assert!(panel.handle_key(key(KeyCode::Enter)).is_empty());
    insta::assert_snapshot!(draw(&panel, 60, 10), @r"
        attempt 1 · braid · running
        Looking at the test first.

        $ cargo test -p parser flaky
          ⠋ running 1m 05s
        Esc back · Up/Down scroll
    ");
    panel.handle_key(key(KeyCode::Esc));
    assert!(draw(&panel, 60, 6).contains("▸   1"), "back on the table, first row selected");
}

#[test]
fn ctrl_c_cancels_every_time() {
    let mut panel = scripted_panel();
    assert_eq!(panel.handle_key(ctrl('c')), vec![RunIntent::Cancel]);
    assert_eq!(panel.handle_key(ctrl('c')), vec![RunIntent::Cancel]);
    assert!(draw(&panel, 60, 6).contains("cancelling"));
}

#[test]
fn the_final_table_stays() {
    let mut panel = scripted_panel();
    panel.apply(&RunEvent::AttemptFinished { n: 1, summary: summary("cancelled", None, None) });
    assert!(!panel.finished());
    panel.apply(&RunEvent::RunFinished { run: "r1".to_string(), committed: 1, failed: 1, cancelled: 1 });
    assert!(panel.finished());
    let text: Vec<String> = panel.final_lines(70).iter().map(crate::wrap::plain).collect();
    insta::assert_snapshot!(text.join("\n"), @r"
        run r1 · fix the flaky parser test
            # agent           state      turns  tokens elapsed last action
            1 braid           cancelled      4   21.5k  1m 35s no changes
            2 braid (minimal) committed      4   21.5k  1m 35s 01234567 · 2 f…
            3 codex           failed         4   21.5k  1m 35s codex exited w…
        run r1: 1 committed, 1 failed, 1 cancelled
    ");
}
