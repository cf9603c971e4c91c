//! The interactive session end to end: the real binary in a real terminal (a private tmux pane) against
//! the scripted model server. A person types a task, approves a command and an edit, sees the diff,
//! interrupts a long command, goes on, and quits; the terminal is handed back in cooked mode.

use std::time::Duration;

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Tmux, Turn, tmux_available};
use serde_json::json;

use crate::harness::Env;

/// Generous: the pane runs a debug binary while the rest of the suite shares two cores.
const WAIT: Duration = Duration::from_secs(60);

fn shell(call_id: &str, line: &str) -> Turn {
    Turn::new().tool_call(call_id, "shell", json!({"command": ["sh", "-c", line]}))
}

/// Quotes `text` for `sh`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[test]
fn a_session_in_tmux_approves_shows_the_diff_interrupts_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let repo = TempRepo::new();
    repo.write("notes.txt", "one\n");
    repo.commit_all("notes");
    let patch = "*** Begin Patch\n*** Update File: notes.txt\n@@\n one\n+two from braid\n*** End Patch\n";
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(shell("call_make", "echo created > made.txt")),
        Reply::Turn(Turn::new().tool_call("call_patch", "apply_patch", json!({ "input": patch }))),
        Reply::Turn(Turn::new().text("Made `made.txt` and added a line to **notes.txt**.")),
        Reply::Turn(shell("call_sleep", "sleep 120")),
        Reply::Turn(Turn::new().text("Still here after the interruption.")),
    ]));
    let env = Env::new(&server, "responses");
    let home = env.home.path().display().to_string();
    // After braid exits, the pane prints the terminal's modes: raw mode left on would show `-icanon`.
    let command = format!(
        "{} -a untrusted; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '",
        quote(env!("CARGO_BIN_EXE_braid"))
    );
    let pane =
        Tmux::start(&command, repo.path(), &[("BRAID_HOME", home.as_str()), ("SCRIPTED_API_KEY", "test-key")], 100, 40);

    // Keys typed before the session owns the terminal would reach the cooked terminal instead.
    pane.wait_for("Enter send", WAIT);
    pane.type_text("make a file and add a line to the notes");
    pane.press(&["Enter"]);
    pane.wait_for("echo created > made.txt", WAIT);
    pane.press(&["y"]);
    pane.wait_for("notes.txt", WAIT);
    // The edit asks too under `untrusted`; approving it for the session covers later edits.
    pane.press(&["a"]);
    let screen = pane.wait_for("added a line to", WAIT);
    assert!(screen.contains("+two from braid"), "the diff is not shown:\n{screen}");
    assert_eq!(std::fs::read_to_string(repo.path().join("made.txt")).unwrap(), "created\n");
    assert_eq!(std::fs::read_to_string(repo.path().join("notes.txt")).unwrap(), "one\ntwo from braid\n");

    pane.type_text("now wait a long time");
    pane.press(&["Enter"]);
    pane.wait_for("sleep 120", WAIT);
    pane.press(&["y"]);
    // The command has started once the model's request for it has been answered and it is not waiting.
    std::thread::sleep(Duration::from_millis(800));
    pane.press(&["C-c"]);
    pane.wait_until("an interruption notice", WAIT, |screen| screen.to_lowercase().contains("interrupted"));

    pane.type_text("are you still there?");
    pane.press(&["Enter"]);
    pane.wait_for("Still here after the interruption.", WAIT);

    pane.press(&["C-c"]);
    pane.press(&["C-c"]);
    let screen = pane.wait_for("[exited", WAIT);
    assert!(screen.contains("[exited 0]"), "braid did not exit cleanly:\n{screen}");
    let modes = screen.lines().rev().find(|line| line.contains("icanon")).unwrap_or_default();
    assert!(
        modes.split_whitespace().any(|m| m == "icanon") && modes.split_whitespace().any(|m| m == "echo"),
        "the terminal was not restored to cooked mode with echo: {modes:?}\n{screen}"
    );

    // What the model saw: the approved command's output, the patch applied, the interruption reported,
    // and the prompts in order.
    let requests = server.requests();
    assert_eq!(requests.len(), 5, "one request per scripted reply");
    let users: Vec<String> = requests.iter().flat_map(|r| r.user_texts()).collect();
    assert!(users.iter().any(|t| t.contains("make a file and add a line")), "{users:?}");
    assert!(users.iter().any(|t| t.contains("are you still there?")), "{users:?}");
    let history = std::fs::read_to_string(env.home.path().join("history.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 3, "every prompt is kept for the composer's history:\n{history}");
}

#[test]
fn braid_run_on_a_terminal_shows_the_live_panel_and_gives_the_terminal_back() {
    if !tmux_available() {
        return;
    }
    let repo = TempRepo::new();
    repo.write("README.md", "demo\n");
    repo.commit_all("start");
    let server = ScriptedServer::start(Script::new([]));
    let env = Env::new(&server, "responses");
    let home = env.home.path().display().to_string();
    let agent = "cmd:sh -c 'sleep 2; echo \"attempt $BRAID_ATTEMPT\" > out.txt'";
    let command = format!(
        "{} run 'write out.txt' -n 2 --agent {}; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon | tr '\\n' ' '",
        quote(env!("CARGO_BIN_EXE_braid")),
        quote(agent)
    );
    let pane = Tmux::start(&command, repo.path(), &[("BRAID_HOME", home.as_str())], 100, 30);
    let screen = pane.wait_for("[exited", WAIT);
    assert!(screen.contains("[exited 0]"), "the run did not succeed:\n{screen}");
    assert!(screen.contains("committed"), "the panel's final rows are not in the scrollback:\n{screen}");
    let modes = screen.lines().rev().find(|line| line.contains("icanon")).unwrap_or_default();
    assert!(modes.split_whitespace().any(|m| m == "icanon"), "raw mode was left on: {modes:?}\n{screen}");
    let branches = repo.git(&["branch", "--list", "braid/*"]);
    assert_eq!(branches.lines().count(), 2, "{branches}");
}

#[test]
fn without_a_terminal_braid_says_to_use_exec() {
    let server = ScriptedServer::start(Script::new([]));
    let env = Env::new(&server, "responses");
    let repo = TempRepo::new();
    let output = env.braid(repo.path()).write_stdin("").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs a terminal") && stderr.contains("braid exec"), "{stderr}");
    assert_eq!(server.requests().len(), 0);
}
