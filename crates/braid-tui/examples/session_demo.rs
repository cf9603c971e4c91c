//! A scripted session in the real terminal, for trying the front end by hand (and in tmux) without a
//! model: every prompt gets the same turn (reasoning, an answer, a command, an approval, an edit, the
//! plan). `cargo run -p braid-tui --example session_demo`.

use std::sync::mpsc::{Sender, channel};
use std::thread;
use std::time::Duration;

use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalReason, ApprovalRequest, CommandStatus, ContextUsage, DecidedBy, FileChange,
    FileChangeKind, PlanItem, PlanStatus, ToolEffect, Usage,
};
use braid_tui::{Intent, SessionView, Update};

fn send(tx: &Sender<Update>, event: AgentEvent) {
    let _ = tx.send(Update::Agent(event));
}

fn first_half(tx: Sender<Update>) {
    thread::spawn(move || {
        send(&tx, AgentEvent::TurnStarted);
        send(&tx, AgentEvent::Reasoning { text: "**Reading** the parser".to_string() });
        for word in "Let me look at the **parser** and run `cargo test` first.".split_inclusive(' ') {
            send(&tx, AgentEvent::AgentMessageDelta { delta: word.to_string() });
            thread::sleep(Duration::from_millis(60));
        }
        send(
            &tx,
            AgentEvent::AgentMessage { text: "Let me look at the **parser** and run `cargo test` first.".to_string() },
        );
        let effect = |done: bool| ToolEffect::Command {
            command: "cargo test -p parser".to_string(),
            cwd: "/repo".to_string(),
            exit_code: done.then_some(0),
            aggregated_output: if done {
                (1..=9).map(|i| format!("test t{i} ... ok\n")).collect()
            } else {
                String::new()
            },
            status: if done { CommandStatus::Completed } else { CommandStatus::InProgress },
        };
        send(
            &tx,
            AgentEvent::ToolCallBegin {
                call_id: "c1".to_string(),
                name: "shell".to_string(),
                arguments: "{}".to_string(),
                effect: effect(false),
            },
        );
        thread::sleep(Duration::from_millis(1500));
        send(
            &tx,
            AgentEvent::ToolCallEnd {
                call_id: "c1".to_string(),
                name: "shell".to_string(),
                output: String::new(),
                success: true,
                effect: effect(true),
                duration_ms: 1500,
            },
        );
        send(
            &tx,
            AgentEvent::ApprovalRequested {
                request: ApprovalRequest {
                    call_id: "c2".to_string(),
                    tool: "apply_patch".to_string(),
                    command: None,
                    cwd: "/repo".to_string(),
                    changes: vec![change()],
                    reason: ApprovalReason::Untrusted,
                    unconfined: false,
                    justification: Some("fix the empty-input case".to_string()),
                    session_scope: "file edits".to_string(),
                },
            },
        );
    });
}

fn change() -> FileChange {
    FileChange { path: "src/parser.rs".to_string(), kind: FileChangeKind::Update, move_to: None }
}

fn second_half(tx: Sender<Update>, decision: ApprovalDecision) {
    thread::spawn(move || {
        send(&tx, AgentEvent::ApprovalDecided { call_id: "c2".to_string(), decision, decided_by: DecidedBy::User });
        if decision.approves() {
            let patch = "*** Begin Patch\n*** Update File: src/parser.rs\n@@ fn parse\n-    todo!()\n+    Ok(Vec::new())\n*** End Patch";
            let args = serde_json::json!({ "input": patch }).to_string();
            send(
                &tx,
                AgentEvent::ToolCallBegin {
                    call_id: "c2".to_string(),
                    name: "apply_patch".to_string(),
                    arguments: args,
                    effect: ToolEffect::FileChange { changes: vec![change()] },
                },
            );
            send(
                &tx,
                AgentEvent::ToolCallEnd {
                    call_id: "c2".to_string(),
                    name: "apply_patch".to_string(),
                    output: "Success.".to_string(),
                    success: true,
                    effect: ToolEffect::FileChange { changes: vec![change()] },
                    duration_ms: 3,
                },
            );
        }
        let plan = ToolEffect::Plan {
            explanation: None,
            items: vec![
                PlanItem { step: "Fix parse".to_string(), status: PlanStatus::Completed },
                PlanItem { step: "Run the tests".to_string(), status: PlanStatus::InProgress },
            ],
        };
        send(
            &tx,
            AgentEvent::ToolCallBegin {
                call_id: "c3".to_string(),
                name: "update_plan".to_string(),
                arguments: "{}".to_string(),
                effect: plan.clone(),
            },
        );
        send(
            &tx,
            AgentEvent::ToolCallEnd {
                call_id: "c3".to_string(),
                name: "update_plan".to_string(),
                output: "ok".to_string(),
                success: true,
                effect: plan,
                duration_ms: 1,
            },
        );
        send(
            &tx,
            AgentEvent::AgentMessage { text: "## Done\n\n- `parse` handles empty input\n- tests pass".to_string() },
        );
        let usage = Usage { input_tokens: 12_000, output_tokens: 800, ..Usage::default() };
        send(
            &tx,
            AgentEvent::TurnCompleted {
                usage,
                total_usage: usage,
                context: ContextUsage { tokens: 12_800, window: Some(128_000), estimated: false },
                last_message: None,
            },
        );
    });
}

fn main() -> Result<(), braid_tui::TuiError> {
    let (tx, rx) = channel();
    let view = SessionView {
        cwd: std::env::current_dir().unwrap_or_default(),
        history: vec![],
        model: "demo".to_string(),
        prompt: None,
    };
    let intents = Box::new(move |intent: Intent| match intent {
        Intent::Submit { .. } => first_half(tx.clone()),
        Intent::Approve { decision, .. } => second_half(tx.clone(), decision),
        Intent::Interrupt => send(&tx, AgentEvent::TurnFailed { message: "turn interrupted".to_string() }),
        Intent::Command(command) => {
            let _ = tx.send(Update::Info(format!("{command:?} is not wired in the demo")));
        }
        Intent::Quit => {}
    });
    braid_tui::run_session(view, rx, intents)
}
