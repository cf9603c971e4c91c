//! The scripted session both harnesses play in the overhead and start-up benchmarks: a seeded workspace,
//! a fixed list of steps (shell commands and file edits), and a responder for the scripted
//! Responses-API server that turns each step into a call of whatever tool the harness declared in its
//! request, so that every harness does the same work.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, bail};
use braid_test_support::{RecordedRequest, Reply, Responder, Turn};
use serde_json::json;

/// Files in the seeded workspace, and lines in each.
const FILES: usize = 10;
const LINES: usize = 40;

/// One unit of work the model asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A shell script, run by `bash -c` or the harness's own command tool.
    Shell(String),
    /// A file edit in the apply_patch format, with what it must leave on disk.
    Edit { patch: String, path: String, expect: String },
}

/// Returns the steps of a session of `requests` model requests: every request but the last answers
/// with one tool call; the last answers with a message. A quarter of the calls are edits (new files
/// and one-line changes to existing ones), the rest read, search and count.
pub fn steps(requests: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut edits = 0usize;
    for i in 0..requests.saturating_sub(1) {
        let file = i % FILES;
        let step = match i % 4 {
            0 => Step::Shell(format!("cat src/f{file}.txt")),
            1 => Step::Shell(format!("grep -rn 'line {} of' src | head -5", i % LINES)),
            2 => {
                edits += 1;
                if edits % 2 == 1 {
                    let path = format!("notes/step{i}.txt");
                    let patch = format!(
                        "*** Begin Patch\n*** Add File: {path}\n+note written at step {i}\n+second line\n*** End Patch"
                    );
                    Step::Edit { patch, path, expect: format!("note written at step {i}") }
                } else {
                    // Each change targets a line no earlier change touched, so its context always matches.
                    let n = edits / 2;
                    let (target, line) = (n % FILES, n / FILES + 1);
                    let path = format!("src/f{target}.txt");
                    let old = format!("line {line} of file {target}");
                    let new = format!("{old} (edited at step {i})");
                    let patch = format!("*** Begin Patch\n*** Update File: {path}\n@@\n-{old}\n+{new}\n*** End Patch");
                    Step::Edit { patch, path, expect: new }
                }
            }
            _ => Step::Shell(
                "ls src notes 2>/dev/null | wc -l; seq 1 200 | tail -3; git status --short | head -3".to_owned(),
            ),
        };
        steps.push(step);
    }
    steps
}

/// Creates the workspace the session runs in: a git repository holding `src/f0.txt` .. `src/f9.txt`,
/// committed.
pub fn seed_workspace(dir: &Path) -> anyhow::Result<()> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).with_context(|| format!("cannot create {}", src.display()))?;
    for file in 0..FILES {
        let text: String = (0..LINES).map(|line| format!("line {line} of file {file}\n")).collect();
        let path = src.join(format!("f{file}.txt"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    crate::suite::commit_fresh_repo(dir, "seed")
}

/// Checks that every edit of `steps` is on disk in `dir`, which proves the harness did the work rather
/// than failing its way through the calls.
pub fn verify(dir: &Path, steps: &[Step]) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for step in steps {
        if let Step::Edit { path, expect, .. } = step {
            let text = std::fs::read_to_string(dir.join(path)).unwrap_or_default();
            if !text.lines().any(|line| line == expect) {
                missing.push(format!("{path}: `{expect}`"));
            }
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} of the session's edits are not on disk in {}, first: {}",
            missing.len(),
            dir.display(),
            missing.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
        );
    }
    Ok(())
}

/// What the responder saw of one session.
#[derive(Debug, Default)]
pub struct Seen {
    /// When the first model request arrived.
    pub first_request: Option<Instant>,
    /// The body size of every request, in arrival order.
    pub body_bytes: Vec<usize>,
    /// Requests the responder could not serve (a step no declared tool can do), with the reason.
    pub problems: Vec<String>,
}

/// Returns a responder playing `steps`, recording into `seen`. The step a request is at is the number of
/// tool outputs in its history, so a retried request gets the same call again rather than skipping one.
/// Usage reports one token per four bytes of request, the same rule for every harness.
pub fn responder(steps: Arc<Vec<Step>>, seen: Arc<Mutex<Seen>>) -> Responder {
    Box::new(move |request: &RecordedRequest| {
        let mut seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.first_request.get_or_insert_with(Instant::now);
        seen.body_bytes.push(request.body_bytes);
        let input_tokens = u64::try_from(request.body_bytes / 4).unwrap_or(u64::MAX);
        let at = request.tool_outputs().len();
        let Some(step) = steps.get(at) else {
            return Reply::Turn(Turn::new().text("All steps are done.").usage(input_tokens, 8));
        };
        match call_for(step, &request.tool_names()) {
            Ok((name, arguments)) => {
                Reply::Turn(Turn::new().tool_call(&format!("call_bench_{at}"), name, arguments).usage(input_tokens, 40))
            }
            Err(problem) => {
                seen.problems.push(format!("step {at}: {problem}"));
                Reply::Turn(Turn::new().text(&format!("Cannot continue: {problem}")).usage(input_tokens, 8))
            }
        }
    })
}

/// Adapts one step to the tools a harness declared: braid's `shell` (an argv) and `apply_patch` (the
/// patch as `input`), or Codex's `exec_command` (a command line), through which Codex applies patches
/// given to its `apply_patch` command.
fn call_for(step: &Step, tools: &[String]) -> Result<(&'static str, serde_json::Value), String> {
    let has = |name: &str| tools.iter().any(|tool| tool == name);
    let command_line = match step {
        Step::Edit { patch, .. } if has("apply_patch") => return Ok(("apply_patch", json!({ "input": patch }))),
        Step::Edit { patch, .. } => format!("apply_patch <<'PATCH'\n{patch}\nPATCH"),
        Step::Shell(script) => script.clone(),
    };
    if has("shell") {
        Ok(("shell", json!({ "command": ["bash", "-c", command_line] })))
    } else if has("exec_command") {
        Ok(("exec_command", json!({ "cmd": command_line, "login": false })))
    } else {
        Err(format!("the request declares neither `shell` nor `exec_command` (it declares: {})", tools.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_mostly_commands_with_a_quarter_edits() {
        let steps = steps(200);
        assert_eq!(steps.len(), 199);
        let edits = steps.iter().filter(|s| matches!(s, Step::Edit { .. })).count();
        assert_eq!(edits, 50);
        let mut touched: Vec<&str> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Edit { expect, .. } => Some(expect.as_str()),
                Step::Shell(_) => None,
            })
            .collect();
        touched.sort_unstable();
        touched.dedup();
        assert_eq!(touched.len(), 50, "every edit leaves a distinct line");
    }

    #[test]
    fn steps_become_the_declared_tools_calls() {
        let braid = ["shell".to_owned(), "apply_patch".to_owned()];
        let codex = ["exec_command".to_owned(), "write_stdin".to_owned()];
        let shell = Step::Shell("ls".into());
        let edit = Step::Edit { patch: "P".into(), path: "a".into(), expect: "x".into() };
        assert_eq!(call_for(&shell, &braid).unwrap(), ("shell", json!({"command": ["bash", "-c", "ls"]})));
        assert_eq!(call_for(&edit, &braid).unwrap(), ("apply_patch", json!({"input": "P"})));
        assert_eq!(call_for(&shell, &codex).unwrap(), ("exec_command", json!({"cmd": "ls", "login": false})));
        assert_eq!(
            call_for(&edit, &codex).unwrap(),
            ("exec_command", json!({"cmd": "apply_patch <<'PATCH'\nP\nPATCH", "login": false}))
        );
        assert!(call_for(&shell, &["read_file".to_owned()]).unwrap_err().contains("read_file"));
    }

    #[test]
    fn verify_finds_edits_that_did_not_happen() {
        let dir = tempfile::tempdir().unwrap();
        seed_workspace(dir.path()).unwrap();
        let steps = steps(12);
        let err = verify(dir.path(), &steps).unwrap_err().to_string();
        assert!(err.contains("3 of the session's edits"), "{err}");
        for step in &steps {
            if let Step::Edit { path, expect, .. } = step {
                let file = dir.path().join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                let old = std::fs::read_to_string(&file).unwrap_or_default();
                std::fs::write(&file, format!("{old}{expect}\n")).unwrap();
            }
        }
        verify(dir.path(), &steps).unwrap();
    }
}
