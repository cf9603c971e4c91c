//! The fake agent binary: in each role it prints a transcript whose lines are JSON (or plain text for a
//! plain agent), writes its file, and exits as its mode says; and the `rustc` fallback that other crates'
//! tests use builds a copy that behaves the same.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs the fake agent at `binary` as `role` in a fresh directory with `env`, feeding `stdin`; returns
/// its stdout lines, its exit code and the directory.
// braid-test-support may spawn processes (see its crate docs); this runs the fake agent bare, to check
// the binary itself rather than a backend reading it.
#[allow(clippy::disallowed_methods)]
fn run(binary: &Path, role: &str, env: &[(&str, &str)]) -> (Vec<String>, i32, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(binary)
        .arg(role)
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    // A plain agent does not read stdin and may have exited already.
    let _ = child.stdin.take().unwrap().write_all(b"do the thing");
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    (lines, out.status.code().unwrap(), dir)
}

fn types(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["type"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn each_role_prints_its_format_and_writes_the_file() {
    let binary = Path::new(env!("CARGO_BIN_EXE_fake-agent"));
    let (lines, code, dir) = run(binary, "codex", &[("FAKE_AGENT_WRITE", "out.txt=hello")]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("out.txt")).unwrap(), "hello");
    let kinds = types(&lines);
    assert_eq!(kinds.first().unwrap(), "thread.started");
    assert_eq!(kinds.last().unwrap(), "turn.completed");
    assert!(lines.iter().any(|l| l.contains("command_execution")) && lines.iter().any(|l| l.contains("file_change")));
    assert!(lines.iter().any(|l| l.contains("do the thing")), "the prompt read from stdin shows in the reasoning");

    let (lines, code, _dir) = run(binary, "claude", &[]);
    assert_eq!(code, 0);
    let kinds = types(&lines);
    assert_eq!((kinds.first().unwrap().as_str(), kinds.last().unwrap().as_str()), ("system", "result"));

    let (lines, code, _dir) = run(binary, "codex", &[("FAKE_AGENT_MODE", "fail")]);
    assert_eq!((code, types(&lines).last().unwrap().as_str()), (1, "turn.failed"));
    let (lines, _, _dir) = run(binary, "codex", &[("FAKE_AGENT_MODE", "malformed"), ("FAKE_AGENT_EXIT", "7")]);
    assert!(lines.iter().any(|l| serde_json::from_str::<Value>(l).is_err()));
    let (lines, code, _dir) = run(binary, "cmd", &[]);
    assert_eq!((code, lines.last().unwrap().as_str()), (0, "Wrote fake-agent.txt as asked."));
}

#[test]
fn the_rustc_fallback_builds_a_working_copy() {
    // Other crates' tests get this copy when cargo did not build the binary for them.
    let dir = tempfile::tempdir().unwrap();
    let path = braid_test_support::compile_fake_agent(dir.path());
    let (lines, code, _dir) = run(&path, "claude", &[]);
    assert_eq!((code, types(&lines).last().unwrap().as_str()), (0, "result"));
    // In this crate's own tests cargo's copy is fresh, and it is the one found.
    assert_eq!(braid_test_support::fake_agent_path(), Path::new(env!("CARGO_BIN_EXE_fake-agent")));
}
