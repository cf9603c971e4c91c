//! Key handling of the session view: what each key sends, and the frames the composer's popups, queued
//! prompts and pastes produce.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use braid_protocol::{AgentEvent, ApprovalDecision, ContextUsage};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use crate::app::App;
use crate::frames::{Screen, approval, ctrl, key, new_app, type_text, usage};
use crate::{Intent, SlashCommand, Update};

fn idle_app() -> (App, Instant) {
    let t0 = Instant::now();
    (new_app(PathBuf::from("/nonexistent"), t0), t0)
}

fn frame(app: &mut App, width: u16) -> String {
    let mut screen = Screen::new(width, 30, 10);
    screen.step(app);
    screen.text()
}

fn turn_done() -> Update {
    Update::Agent(AgentEvent::TurnCompleted {
        usage: usage(10, 10),
        total_usage: usage(10, 10),
        context: ContextUsage { tokens: 20, window: None, estimated: false },
        last_message: None,
    })
}

#[test]
fn ctrl_c_clears_then_arms_then_quits() {
    let (mut app, t0) = idle_app();
    type_text(&mut app, "draft");
    assert!(app.handle_key(ctrl('c')).is_empty());
    assert!(frame(&mut app, 60).contains("›\n"), "the draft is cleared");
    assert!(app.handle_key(ctrl('c')).is_empty(), "the first Ctrl-C on an empty composer only warns");
    insta::assert_snapshot!(frame(&mut app, 60), @r"
    ────────────────────────────────────────────────────────────
    ›
    gpt-test · press Ctrl-C again to quit
    ");
    app.now = t0 + Duration::from_secs(3);
    assert!(app.handle_key(ctrl('c')).is_empty(), "too late: this one arms again");
    app.now = t0 + Duration::from_secs(4);
    assert_eq!(app.handle_key(ctrl('c')), vec![Intent::Quit]);
    assert!(app.should_quit());
}

#[test]
fn ctrl_c_interrupts_a_running_turn() {
    let (mut app, _) = idle_app();
    app.apply(Update::Agent(AgentEvent::TurnStarted));
    assert_eq!(app.handle_key(ctrl('c')), vec![Intent::Interrupt]);
    app.apply(Update::Agent(AgentEvent::TurnFailed { message: "turn interrupted".to_string() }));
    insta::assert_snapshot!(frame(&mut app, 60), @r"
        ⚠ interrupted

        ✗ turn interrupted

        ────────────────────────────────────────────────────────────
        ›
        gpt-test · Enter send · / commands
    ");
    assert!(!app.should_quit(), "the session stays usable");
}

#[test]
fn ctrl_d_quits_only_on_an_empty_composer() {
    let (mut app, _) = idle_app();
    type_text(&mut app, "x");
    assert!(app.handle_key(ctrl('d')).is_empty());
    app.handle_key(key(KeyCode::Backspace));
    assert_eq!(app.handle_key(ctrl('d')), vec![Intent::Quit]);
}

#[test]
fn prompts_typed_during_a_turn_are_queued() {
    let (mut app, _) = idle_app();
    type_text(&mut app, "first");
    assert_eq!(app.handle_key(key(KeyCode::Enter)), vec![Intent::Submit { text: "first".to_string() }]);
    type_text(&mut app, "second");
    assert!(app.handle_key(key(KeyCode::Enter)).is_empty(), "queued before the turn even starts");
    app.apply(Update::Agent(AgentEvent::TurnStarted));
    insta::assert_snapshot!(frame(&mut app, 60), @r"
    › first

    queued: second
    ────────────────────────────────────────────────────────────
    ›
    gpt-test · ⠋ working 0s · Ctrl-C to interrupt
    ");
    assert_eq!(app.apply(turn_done()), vec![Intent::Submit { text: "second".to_string() }]);
    assert!(app.apply(turn_done()).is_empty());
}

#[test]
fn approval_keys() {
    for (pressed, decision) in [
        (key(KeyCode::Char('y')), ApprovalDecision::Approve),
        (key(KeyCode::Char('n')), ApprovalDecision::Deny),
        (key(KeyCode::Esc), ApprovalDecision::Abort),
        (key(KeyCode::Char('x')), ApprovalDecision::Abort),
    ] {
        let (mut app, _) = idle_app();
        app.apply(Update::Agent(AgentEvent::TurnStarted));
        app.apply(Update::Agent(AgentEvent::ApprovalRequested { request: approval() }));
        assert!(app.handle_key(key(KeyCode::Enter)).is_empty(), "Enter does not answer");
        assert_eq!(app.handle_key(pressed), vec![Intent::Approve { call_id: "c2".to_string(), decision }]);
        assert!(app.handle_key(key(KeyCode::Char('y'))).is_empty(), "answered once only");
    }
}

#[test]
fn slash_commands() {
    let check = |typed: &str, keys: &[KeyEvent], expected: Vec<Intent>| {
        let (mut app, _) = idle_app();
        type_text(&mut app, typed);
        let mut got = Vec::new();
        for k in keys {
            got.extend(app.handle_key(*k));
        }
        assert_eq!(got, expected, "typing {typed:?}");
    };
    let enter = key(KeyCode::Enter);
    check("/status", &[enter], vec![Intent::Command(SlashCommand::Status)]);
    check("/re", &[key(KeyCode::Down), enter], vec![Intent::Command(SlashCommand::Resume(None))]);
    check("/model gpt-5", &[enter], vec![Intent::Command(SlashCommand::Model(Some("gpt-5".to_string())))]);
    check("/resume abc", &[enter], vec![Intent::Command(SlashCommand::Resume(Some("abc".to_string())))]);
    check("/di", &[enter], vec![Intent::Command(SlashCommand::Diff)]);
    check("/q", &[enter], vec![Intent::Quit]);
    check("/bogus x", &[enter], vec![]);
    check("/plan", &[enter], vec![]);
    let (mut app, _) = idle_app();
    type_text(&mut app, "/pl");
    assert!(app.handle_key(key(KeyCode::Enter)).is_empty(), "/plan completes, waiting for the goal");
    type_text(&mut app, "ship it");
    assert_eq!(app.handle_key(key(KeyCode::Enter)), vec![Intent::Command(SlashCommand::Plan("ship it".to_string()))]);
    type_text(&mut app, "/plan   ");
    app.handle_key(key(KeyCode::Enter));
    type_text(&mut app, "/nope");
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(key(KeyCode::Enter));
    insta::assert_snapshot!(frame(&mut app, 60), @r"
        › /plan ship it

        ✗ /plan needs a goal: /plan <what to do>

        ✗ unknown command /nope; type / to see the commands

        ────────────────────────────────────────────────────────────
        ›
        gpt-test · Enter send · / commands
    ");
}

#[test]
fn slash_popup_frame() {
    let (mut app, _) = idle_app();
    type_text(&mut app, "/re");
    insta::assert_snapshot!(frame(&mut app, 60), @r"
        ▸ /review  review the uncommitted changes
          /resume  continue a saved session
        ────────────────────────────────────────────────────────────
        › /re
        gpt-test · Enter send · / commands
    ");
}

#[test]
fn file_picker_inserts_the_chosen_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    for f in ["src/parser.rs", "src/lib.rs", "README.md", "ignored.txt"] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "ignored.txt\n").unwrap();
    let mut app = new_app(dir.path().to_path_buf(), Instant::now());
    type_text(&mut app, "look at @");
    insta::assert_snapshot!(frame(&mut app, 60), @r"
        ▸ README.md
          src/lib.rs
          src/parser.rs
        ────────────────────────────────────────────────────────────
        › look at @
        gpt-test · Enter send · / commands
    ");
    type_text(&mut app, "par");
    insta::assert_snapshot!(frame(&mut app, 60), @r"
        ▸ src/parser.rs
        ────────────────────────────────────────────────────────────
        › look at @par
        gpt-test · Enter send · / commands
    ");
    app.handle_key(key(KeyCode::Tab));
    type_text(&mut app, "and @zzz");
    assert!(frame(&mut app, 60).contains("no matching files"));
    app.handle_key(key(KeyCode::Esc));
    assert_eq!(
        app.handle_key(key(KeyCode::Enter)),
        vec![Intent::Submit { text: "look at @src/parser.rs and @zzz".to_string() }]
    );
}

#[test]
fn pastes_and_multi_line_drafts() {
    let (mut app, _) = idle_app();
    type_text(&mut app, "explain this:");
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    let pasted: String = (1..=120).map(|i| format!("log line {i}\n")).collect();
    app.handle_paste(&pasted);
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    type_text(&mut app, "thanks");
    insta::assert_snapshot!(frame(&mut app, 40), @r"
    ────────────────────────────────────────
    › explain this:
      [pasted 120 lines]
      thanks
    gpt-test · Enter send · / commands
    ");
    let intents = app.handle_key(key(KeyCode::Enter));
    assert_eq!(intents, vec![Intent::Submit { text: format!("explain this:\n{pasted}\nthanks") }]);
    app.handle_key(key(KeyCode::Up));
    assert!(frame(&mut app, 40).contains("[pasted 120 lines]"), "history holds what was shown");
}

#[test]
fn caller_updates() {
    let (mut app, _) = idle_app();
    app.apply(Update::Info("model gpt-test, 12% of the context used".to_string()));
    app.apply(Update::Diff("diff --git a/a.rs b/a.rs\n--- a/a.rs\n+++ b/a.rs\n@@ -1 +1 @@\n-old\n+new\n".to_string()));
    app.apply(Update::Diff(String::new()));
    app.apply(Update::Error("no session to resume".to_string()));
    let mut screen = Screen::new(60, 30, 10);
    screen.step(&mut app);
    insta::assert_snapshot!(screen.text(), @r"
        • model gpt-test, 12% of the context used

        ● Update a.rs (+1 -1)
          @@ -1 +1 @@
          -old
          +new

        • no changes

        ✗ no session to resume

        ────────────────────────────────────────────────────────────
        ›
        gpt-test · Enter send · / commands
    ");
    // The diff is coloured where it lands: in the scrollback.
    let scrollback = screen_colours(&screen);
    assert!(scrollback.contains(&('+', Color::Green)), "added lines are green");
    assert!(scrollback.contains(&('-', Color::Red)), "removed lines are red");
    assert!(scrollback.contains(&('@', Color::Cyan)), "hunk headers are cyan");
    assert!(!app.should_quit());
    app.apply(Update::Exit);
    assert!(app.should_quit());
}

/// The first character of every row of the screen, with its foreground colour.
fn screen_colours(screen: &Screen) -> Vec<(char, Color)> {
    let backend = screen.terminal_backend();
    [backend.scrollback(), backend.buffer()]
        .into_iter()
        .flat_map(|buf| {
            (0..buf.area.height).filter_map(move |y| {
                let cell = &buf[(2, y)];
                cell.symbol().chars().next().map(|c| (c, cell.fg))
            })
        })
        .collect()
}

#[test]
fn the_prompt_the_view_opens_with_is_shown_and_sent_once() {
    let t0 = Instant::now();
    let view = crate::SessionView {
        cwd: PathBuf::from("/nonexistent"),
        history: vec![],
        model: "gpt-test".to_string(),
        prompt: Some("explain the parser".to_string()),
    };
    let mut app = App::new(view, t0);
    assert_eq!(app.start(), vec![Intent::Submit { text: "explain the parser".to_string() }]);
    assert_eq!(app.start(), vec![]);
    assert!(frame(&mut app, 60).contains("› explain the parser"), "{}", frame(&mut app, 60));
    let blank = crate::SessionView { prompt: Some("  ".to_string()), ..new_view() };
    assert_eq!(App::new(blank, t0).start(), vec![]);
}

fn new_view() -> crate::SessionView {
    crate::SessionView { cwd: PathBuf::from("/nonexistent"), history: vec![], model: "m".to_string(), prompt: None }
}
