//! The shell tool against real processes: output format, exit codes, workdirs, timeouts, bad arguments.

use std::time::Duration;

use braid_protocol::{CommandStatus, ToolEffect};
use braid_tools::{ShellConfig, ShellTool, Tool, ToolResult};
use serde_json::json;

use crate::{assert_error, call, workspace};

fn shell() -> ShellTool {
    ShellTool::new(ShellConfig::default())
}

/// Snapshots a result's output with wall times redacted.
macro_rules! assert_output {
    ($result:expr, @$snapshot:literal) => {
        insta::with_settings!({ filters => vec![(r"Wall time: \d+\.\d seconds", "Wall time: [T] seconds")] }, {
            insta::assert_snapshot!($result.output, @$snapshot);
        })
    };
}

fn status(result: &ToolResult) -> (Option<i32>, CommandStatus) {
    match &result.effect {
        ToolEffect::Command { exit_code, status, .. } => (*exit_code, *status),
        other => panic!("expected a command effect, got {other:?}"),
    }
}

#[tokio::test]
async fn argv_command_reports_exit_code_and_output() {
    let (_dir, ctx) = workspace();
    let result = call(&shell(), &ctx, json!({"command": ["bash", "-lc", "echo hi; echo err >&2"]})).await;
    assert!(result.success);
    assert_output!(result, @r"
    Exit code: 0
    Wall time: [T] seconds
    Output:
    hi
    err
    ");
    let ToolEffect::Command { command, cwd, aggregated_output, .. } = &result.effect else { panic!() };
    assert_eq!(command, "bash -lc 'echo hi; echo err >&2'");
    assert_eq!(cwd, &ctx.cwd.display().to_string());
    assert_eq!(aggregated_output, "hi\nerr\n");
    assert_eq!(status(&result), (Some(0), CommandStatus::Completed));
}

#[tokio::test]
async fn string_command_runs_through_bash() {
    let (_dir, ctx) = workspace();
    let result = call(&shell(), &ctx, json!({"command": "echo $((1 + 2)) | cat"})).await;
    assert!(result.success);
    assert!(result.output.ends_with("Output:\n3\n"), "{}", result.output);
}

#[tokio::test]
async fn failing_command_is_not_a_success() {
    let (_dir, ctx) = workspace();
    let result = call(&shell(), &ctx, json!({"command": ["sh", "-c", "echo nope; exit 2"]})).await;
    assert!(!result.success);
    assert!(result.output.starts_with("Exit code: 2\n"), "{}", result.output);
    assert_eq!(status(&result), (Some(2), CommandStatus::Failed));
}

#[tokio::test]
async fn workdir_inside_the_workspace_is_used() {
    let (_dir, ctx) = workspace();
    std::fs::create_dir(ctx.cwd.join("sub")).unwrap();
    let result = call(&shell(), &ctx, json!({"command": ["pwd"], "workdir": "sub"})).await;
    assert!(result.success, "{}", result.output);
    assert!(result.output.ends_with(&format!("Output:\n{}\n", ctx.cwd.join("sub").display())));
}

#[tokio::test]
async fn workdir_outside_the_workspace_is_refused() {
    let (_dir, ctx) = workspace();
    for workdir in ["..", "/tmp", "../../etc"] {
        let result = call(&shell(), &ctx, json!({"command": ["pwd"], "workdir": workdir})).await;
        assert_error(&result, &["cannot run in workdir", workdir, "outside the workspace"]);
    }
}

#[tokio::test]
async fn missing_workdir_is_named() {
    let (_dir, ctx) = workspace();
    let result = call(&shell(), &ctx, json!({"command": ["pwd"], "workdir": "nope"})).await;
    assert_error(&result, &["nope", "does not exist"]);
}

#[tokio::test]
async fn timeout_kills_and_reports_output_so_far() {
    let (_dir, ctx) = workspace();
    let args = json!({"command": ["sh", "-c", "echo started; sleep 100"], "timeout_ms": 1000});
    let result = call(&shell(), &ctx, args).await;
    assert!(!result.success);
    assert_output!(result, @r"
    Command timed out after 1.0 seconds and was killed.
    Wall time: [T] seconds
    Output so far:
    started
    ");
    assert_eq!(status(&result), (None, CommandStatus::TimedOut));
}

#[tokio::test]
async fn requested_timeout_is_capped_by_max_timeout() {
    let (_dir, ctx) = workspace();
    let tool = ShellTool::new(ShellConfig { max_timeout: Duration::from_millis(200), ..ShellConfig::default() });
    let result = call(&tool, &ctx, json!({"command": ["sleep", "100"], "timeout_ms": 100_000})).await;
    assert!(result.output.starts_with("Command timed out after 0.2 seconds"), "{}", result.output);
}

#[tokio::test]
async fn long_output_is_cut_in_the_middle() {
    let (_dir, ctx) = workspace();
    let tool = ShellTool::new(ShellConfig { max_output_bytes: 100, ..ShellConfig::default() });
    let result = call(&tool, &ctx, json!({"command": ["seq", "1", "10000"]})).await;
    assert!(result.success);
    assert!(result.output.contains("\n1\n2\n3\n"));
    assert!(result.output.contains("bytes cut ...]\n"));
    assert!(result.output.ends_with("9999\n10000\n"));
}

#[tokio::test]
async fn missing_program_is_reported_to_the_model() {
    let (_dir, ctx) = workspace();
    let result = call(&shell(), &ctx, json!({"command": ["braid-no-such-program-xyz"]})).await;
    assert_error(&result, &["command not found", "braid-no-such-program-xyz"]);
}

#[tokio::test]
async fn bad_arguments_name_the_problem() {
    let (_dir, ctx) = workspace();
    let check = |args: serde_json::Value, needle: &'static str| {
        let ctx = ctx.clone();
        async move { assert_error(&call(&shell(), &ctx, args).await, &[needle]) }
    };
    check(json!({}), "missing field `command`").await;
    check(json!({"command": 5}), "`command` must be a non-empty array of strings").await;
    check(json!({"command": []}), "`command` must be a non-empty array of strings").await;
    check(json!({"command": ["ls"], "timeout_ms": "soon"}), "invalid arguments for `shell`").await;
}

#[test]
fn preview_shows_the_command_about_to_run() {
    let (_dir, ctx) = workspace();
    let effect = shell().preview(&ctx, &json!({"command": ["bash", "-lc", "cargo test"]}));
    let expected = ToolEffect::Command {
        command: "bash -lc 'cargo test'".into(),
        cwd: ctx.cwd.display().to_string(),
        exit_code: None,
        aggregated_output: String::new(),
        status: CommandStatus::InProgress,
    };
    assert_eq!(effect, expected);
    assert_eq!(shell().preview(&ctx, &json!({"command": 1})), ToolEffect::None);
}

#[test]
fn exposure_carries_an_escalation_only_when_it_is_offered() {
    use braid_tools::Exposure;
    let (_dir, ctx) = workspace();
    let args = json!({"command": ["curl", "x"], "with_escalated_permissions": true, "justification": "download"});
    let escalation = |tool: &ShellTool| match tool.exposure(&ctx, &args) {
        Exposure::Command { escalation, .. } => escalation,
        other => panic!("{other:?}"),
    };
    assert_eq!(escalation(&shell()), None, "not offered: the arguments are ignored");
    let offering = ShellTool::new(ShellConfig { offer_escalation: true, ..ShellConfig::default() });
    assert_eq!(escalation(&offering), Some("download".to_string()));
    assert!(offering.spec().parameters["properties"].get("with_escalated_permissions").is_some());
    assert!(shell().spec().parameters["properties"].get("with_escalated_permissions").is_none());
    let patch = json!({"command": ["bash", "-lc", "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\nEOF"]});
    assert_eq!(shell().exposure(&ctx, &patch), Exposure::Edit);
    assert_eq!(shell().exposure(&ctx, &json!({"command": 3})), Exposure::ReadOnly);
}

#[tokio::test]
async fn output_reaches_the_sink_while_the_command_runs() {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let (_dir, mut ctx) = workspace();
    // Each piece is recorded with the time it arrived, to show `one` came before the command ended.
    let pieces: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let seen = Arc::clone(&pieces);
    ctx.output =
        Some(braid_tools::OutputSink::new(move |text| seen.lock().unwrap().push((Instant::now(), text.to_string()))));
    let result = call(&shell(), &ctx, json!({"command": "echo one; sleep 0.5; echo two"})).await;
    let ended = Instant::now();
    assert!(result.success, "{}", result.output);
    let pieces = pieces.lock().unwrap().clone();
    assert!(pieces.iter().all(|(_, text)| !text.is_empty()), "{pieces:?}");
    let all: String = pieces.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(all, "one\ntwo\n");
    // `one` arrives about half a second before the end; a quarter of a second leaves room for a slow
    // machine without accepting output that only came at exit.
    let (first_at, first) = &pieces[0];
    assert!(first.starts_with("one"), "{pieces:?}");
    assert!(!first.contains("two"), "`one` and `two` arrived together: {pieces:?}");
    assert!(ended.duration_since(*first_at) >= Duration::from_millis(250), "{pieces:?}");
    // The model's output is the same as without a sink.
    assert!(result.output.ends_with("Output:\none\ntwo\n"), "{}", result.output);
}

#[tokio::test]
async fn the_sink_sees_all_output_while_the_model_sees_it_capped() {
    use std::sync::{Arc, Mutex};

    let (_dir, mut ctx) = workspace();
    let seen: Arc<Mutex<String>> = Arc::default();
    let sink_seen = Arc::clone(&seen);
    ctx.output = Some(braid_tools::OutputSink::new(move |text| sink_seen.lock().unwrap().push_str(text)));
    let tool = ShellTool::new(ShellConfig { max_output_bytes: 100, ..ShellConfig::default() });
    let result = call(&tool, &ctx, json!({"command": "seq 1 3000"})).await;
    let expected: String = (1..=3000).map(|n| format!("{n}\n")).collect();
    assert_eq!(*seen.lock().unwrap(), expected);
    assert!(result.output.contains("bytes cut ...]"), "{}", result.output);
    assert!(result.output.len() < 300, "{}", result.output);
}
