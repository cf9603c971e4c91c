//! A scripted run in the real terminal, for trying the run panel by hand (and in tmux): three attempts
//! that work for a few seconds and end committed, failed and committed. Ctrl-C cancels the rest.
//! `cargo run -p braid-tui --example run_demo`.

use std::sync::mpsc::channel;
use std::thread;
use std::time::Duration;

use braid_protocol::{AgentEvent, AttemptInfo, AttemptSummary, CommandStatus, RunEvent, ToolEffect, Usage};
use braid_tui::{RunIntent, RunView};

fn summary(state: &str, error: Option<&str>) -> AttemptSummary {
    AttemptSummary {
        state: state.to_string(),
        commit: (state == "committed").then(|| "4f2a9c1e77".to_string()),
        files_changed: 1,
        insertions: 5,
        deletions: 2,
        turns: 3,
        usage: Usage { input_tokens: 9000, output_tokens: 700, ..Usage::default() },
        cost_usd: None,
        elapsed_ms: 4000,
        error: error.map(str::to_string),
    }
}

fn main() -> Result<(), braid_tui::TuiError> {
    let (tx, rx) = channel();
    let (cancel_tx, cancel_rx) = channel::<()>();
    thread::spawn(move || {
        let attempts = (1..=3)
            .map(|n| AttemptInfo { n, agent: "braid".to_string(), approach: None, branch: format!("braid/demo/{n}") })
            .collect();
        let _ = tx.send(RunEvent::RunStarted {
            run: "demo".to_string(),
            base: "main".to_string(),
            attempts,
            resumed: false,
        });
        for n in 1..=3 {
            let _ = tx.send(RunEvent::AttemptState { n, state: "running".to_string(), note: None });
            let _ = tx.send(RunEvent::Agent { n, event: AgentEvent::TurnStarted });
            let _ = tx.send(RunEvent::Agent {
                n,
                event: AgentEvent::ToolCallBegin {
                    call_id: format!("c{n}"),
                    name: "shell".to_string(),
                    arguments: "{}".to_string(),
                    effect: ToolEffect::Command {
                        command: format!("cargo test -p part{n}"),
                        cwd: "/w".to_string(),
                        exit_code: None,
                        aggregated_output: String::new(),
                        status: CommandStatus::InProgress,
                    },
                },
            });
        }
        for n in 1..=3 {
            if cancel_rx.recv_timeout(Duration::from_secs(2)).is_ok() {
                break;
            }
            let (state, error) = if n == 2 { ("failed", Some("tests failed")) } else { ("committed", None) };
            let _ = tx.send(RunEvent::AttemptFinished { n, summary: summary(state, error) });
        }
        let _ = tx.send(RunEvent::RunFinished { run: "demo".to_string(), committed: 2, failed: 1, cancelled: 0 });
    });
    braid_tui::run_panel(
        RunView { title: "make the parser accept empty input".to_string() },
        rx,
        Box::new(move |RunIntent::Cancel| {
            let _ = cancel_tx.send(());
        }),
    )
}
