//! `braid review` end to end against the scripted model server: the reviewer reads the change, submits
//! findings through `submit_review`, braid filters them, and the text, JSON, exit codes, the stored
//! review of an attempt and its place in `braid compare` are asserted. Bad submissions and a model that
//! never submits give clear errors.

use braid_orchestra::compare::Comparison;
use braid_orchestra::review::{DropReason, Priority, Review, Verdict};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::{Value, json};

use crate::harness::Env;

/// A small Python module with a test script, committed; the tests add their change on top.
fn stats_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(
        "stats.py",
        "def mean(values):\n    return sum(values) / len(values)\n\n\ndef top(values, n):\n    return sorted(values)[-n:]\n",
    );
    repo.write("check.sh", "python3 -c 'import stats; assert stats.mean([1, 2, 3]) == 2'\n");
    repo.commit_all("stats");
    repo
}

/// The change under review: `top` gains a bug (it drops the largest value), lines 5-7 of the new file.
const BUGGY_TOP: &str = "def mean(values):\n    return sum(values) / len(values)\n\n\n\
def top(values, n):\n    ordered = sorted(values)\n    return ordered[-n - 1:-1]\n";

fn finding(title: &str, priority: u8, confidence: f64, file: &str, lines: (u32, u32)) -> Value {
    json!({
        "title": title,
        "body": format!("{title}: details."),
        "priority": priority,
        "confidence": confidence,
        "file": file,
        "start_line": lines.0,
        "end_line": lines.1,
    })
}

fn submission(findings: Vec<Value>, verdict: &str) -> Value {
    json!({"findings": findings, "verdict": verdict, "explanation": "Checked `top` against its callers.", "confidence": 0.8})
}

fn status(repo: &TempRepo) -> String {
    repo.git(&["status", "--porcelain", "--untracked-files=all"])
}

#[test]
fn uncommitted_changes_are_reviewed_filtered_and_a_p1_exits_1() {
    let repo = stats_repo();
    repo.write("stats.py", BUGGY_TOP);
    let before = status(&repo);
    let findings = vec![
        finding("top drops the largest value", 1, 0.9, "stats.py", (7, 7)),
        finding("Maybe slow for large inputs", 2, 0.2, "stats.py", (6, 6)),
        finding("check.sh does not test top", 1, 0.9, "check.sh", (1, 1)),
        finding("The largest value is dropped by top", 2, 0.8, "./stats.py", (6, 7)),
        finding("Bug in a file that does not exist", 0, 0.9, "nothing.py", (1, 1)),
    ];
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("call_read", "shell", json!({"command": ["cat", "stats.py"]}))),
        Reply::Turn(Turn::new().tool_call("call_review", "submit_review", submission(findings, "incorrect"))),
        Reply::Turn(Turn::new().text("Submitted.")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["review", "--json", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    server.assert_every_tool_call_answered_once();
    let review: Review = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(review.verdict, Verdict::Incorrect);
    assert_eq!(review.head_commit, None);
    assert_eq!(review.files, ["stats.py"]);
    let kept: Vec<_> = review.findings.iter().map(|f| (f.title.as_str(), f.priority, f.start_line)).collect();
    assert_eq!(kept, [("top drops the largest value", Priority::P1, 7)]);
    let dropped: Vec<_> = review.dropped.iter().map(|d| (d.finding.title.as_str(), d.reason.clone())).collect();
    assert_eq!(
        dropped,
        [
            ("Maybe slow for large inputs", DropReason::LowConfidence { threshold: 0.5 }),
            ("check.sh does not test top", DropReason::OutsideChange),
            ("The largest value is dropped by top", DropReason::Duplicate { of: 0 }),
            ("Bug in a file that does not exist", DropReason::NoSuchLocation),
        ]
    );

    // The reviewer read the change with its new line numbers, with read-only tools plus the review's.
    let requests = server.requests();
    let prompt = requests[0].user_texts().join("\n");
    assert!(prompt.contains("Review uncommitted changes: 1 file(s)"), "{prompt}");
    assert!(prompt.contains("    7 +    return ordered[-n - 1:-1]"), "{prompt}");
    let tools = requests[0].tool_names();
    assert!(tools.contains(&"submit_review".to_string()) && tools.contains(&"shell".to_string()), "{tools:?}");
    assert!(!tools.iter().any(|t| t == "apply_patch" || t == "edit_file" || t == "run_test"), "{tools:?}");
    // The user's working tree and index are as they were; no `.braid/` appeared.
    assert_eq!(status(&repo), before);
    assert!(!repo.path().join(".braid").exists());
}

#[test]
fn a_malformed_review_is_sent_back_and_a_clean_commit_exits_0() {
    let repo = stats_repo();
    repo.write(
        "stats.py",
        &format!(
            "{}\n\ndef count(values):\n    return len(values)\n",
            BUGGY_TOP.split("\n\n\ndef top").next().unwrap()
        ),
    );
    repo.commit_all("add count");
    let bad = json!({"findings": [finding("x", 9, 0.5, "stats.py", (0, 1))], "verdict": "lgtm", "explanation": "", "confidence": 0.5});
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("call_bad", "submit_review", bad)),
        Reply::Turn(Turn::new().tool_call("call_good", "submit_review", submission(vec![], "correct"))),
        Reply::Turn(Turn::new().text("Done.")),
    ]));
    let env = Env::new(&server, "chat");
    let out = env.braid(repo.path()).args(["review", "--commit", "HEAD", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    server.assert_every_tool_call_answered_once();
    let outputs = server.requests()[1].tool_outputs();
    let (_, refusal) = outputs.iter().find(|(id, _)| id == "call_bad").unwrap();
    assert!(
        refusal.contains("verdict `lgtm` is neither `correct` nor `incorrect`")
            && refusal.contains("priority 9 is not 0, 1, 2 or 3")
            && refusal.contains("lines 0-1 are not line numbers"),
        "{refusal}"
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    insta::assert_snapshot!(text.replace(&head, "[HEAD]"), @r"
    commit HEAD · verdict: correct (80% sure)
    Checked `top` against its callers.

    No findings.
    ");
    // The scratch checkout the reviewer read is gone again.
    let scratch = repo.path().join(".braid/scratch");
    assert!(!scratch.exists() || std::fs::read_dir(&scratch).unwrap().next().is_none());
}

#[test]
fn a_model_that_never_submits_gets_a_clear_error_and_exit_2() {
    let repo = stats_repo();
    repo.write("stats.py", BUGGY_TOP);
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("Looks fine to me.")),
        Reply::Turn(Turn::new().text("I think it is fine.")),
        Reply::Turn(Turn::new().text("{\"findings\": \"none\"}")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["review", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the reviewer gave no usable review after 3 turns")
            && stderr.contains("it does not match the schema"),
        "{stderr}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for reminder in &requests[1..] {
        assert_eq!(reminder.body["tool_choice"], json!({"type": "function", "name": "submit_review"}));
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn a_review_written_as_json_in_prose_is_accepted() {
    let repo = stats_repo();
    repo.write("stats.py", BUGGY_TOP);
    let answer = format!(
        "Here is my review:\n```json\n{}\n```",
        submission(vec![finding("top drops the largest value", 0, 0.95, "stats.py", (7, 7))], "incorrect")
    );
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text(&answer))]));
    let env = Env::new(&server, "anthropic");
    let out = env.braid(repo.path()).args(["review", "--json", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let review: Review = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(review.findings[0].priority, Priority::P0);
}

#[test]
fn the_reviewer_proves_a_finding_with_a_test_in_a_scratch_checkout() {
    let repo = stats_repo();
    repo.write("stats.py", BUGGY_TOP);
    let before = status(&repo);
    let test = "import stats\nassert stats.top([1, 5, 3], 1) == [5], stats.top([1, 5, 3], 1)\n";
    let mut proven = finding("top drops the largest value", 1, 0.9, "stats.py", (7, 7));
    proven["test_id"] = json!("t1");
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "call_test",
            "run_test",
            json!({"path": "test_top.py", "content": test, "command": "python3 test_top.py"}),
        )),
        Reply::Turn(Turn::new().tool_call("call_review", "submit_review", submission(vec![proven], "incorrect"))),
        Reply::Turn(Turn::new().text("Done.")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["review", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    server.assert_every_tool_call_answered_once();
    let outputs = server.requests()[1].tool_outputs();
    let (_, result) = outputs.iter().find(|(id, _)| id == "call_test").unwrap();
    assert!(result.starts_with("test t1: exit code 1; it failed"), "{result}");
    assert!(result.contains("AssertionError: [3]"), "{result}");
    let review: Review = serde_json::from_slice(&out.stdout).unwrap();
    let evidence = review.findings[0].test.as_ref().unwrap();
    assert_eq!((evidence.exit_code, evidence.demonstrates), (Some(1), true));
    assert_eq!(evidence.command, "python3 test_top.py");
    // The test was written in braid's scratch checkout, never in the user's files.
    assert!(!repo.path().join("test_top.py").exists());
    let scratch = repo.path().join(".braid/scratch");
    assert!(std::fs::read_dir(&scratch).unwrap().next().is_none(), "scratch checkouts were left behind");
    let mut after = status(&repo);
    after.retain(|c| c != '\r');
    assert_eq!(after, before);
}

#[test]
fn an_attempts_review_is_stored_and_counted_by_compare() {
    let repo = stats_repo();
    repo.write("braid.toml", "[checks]\ntest = \"sh check.sh\"\n");
    repo.commit_all("checks");
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.sh");
    std::fs::write(&agent, format!("cd \"$BRAID_WORKTREE\"\ncat > stats.py <<'EOF'\n{BUGGY_TOP}EOF\necho done\n"))
        .unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "call_review",
            "submit_review",
            submission(vec![finding("top drops the largest value", 1, 0.9, "stats.py", (7, 7))], "incorrect"),
        )),
        Reply::Turn(Turn::new().text("Done.")),
    ]));
    let env = Env::new(&server, "responses");
    let spec = format!("cmd:sh {}", agent.display());
    let out = env.braid(repo.path()).args(["run", "fix top", "-n", "2", "--agent", &spec]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs = crate::harness::jsonl(&env.braid(repo.path()).args(["runs", "--json"]).output().unwrap().stdout);
    let run = runs[0]["run"]["id"].as_str().unwrap().to_string();

    // A bad attempt name is refused before any model request.
    let out = env.braid(repo.path()).args(["review", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is neither a revision range"));

    let out = env.braid(repo.path()).args(["review", &format!("{run}/1"), "--json", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let review: Review = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(review.target.to_string(), format!("attempt {run}/1"));
    // The checks stored for the attempt are what the reviewer is told about (none ran yet).
    let prompt = server.requests()[0].user_texts().join("\n");
    assert!(!prompt.contains("braid ran these checks"), "{prompt}");

    let out = env.braid(repo.path()).args(["compare", &run, "--json"]).output().unwrap();
    let comparison: Comparison = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<_> = comparison.attempts.iter().map(|a| (a.n, a.findings.map(|f| f.p1))).collect();
    // Attempt 1's P1 finding counts against it; attempt 2 was not reviewed, so it ranks first.
    assert_eq!(findings, [(2, None), (1, Some(1))]);
    assert!(comparison.ranking[1].reason.contains("more P0/P1 review findings: 1"), "{:?}", comparison.ranking);
}

#[test]
fn a_reviewer_that_keeps_reading_is_made_to_submit_after_ten_requests() {
    let repo = stats_repo();
    repo.write("stats.py", BUGGY_TOP);
    let mut replies: Vec<Reply> = (0..10)
        .map(|i| {
            Reply::Turn(Turn::new().tool_call(
                &format!("call_read_{i}"),
                "shell",
                json!({"command": ["cat", "stats.py"]}),
            ))
        })
        .collect();
    replies.push(Reply::Turn(Turn::new().tool_call("call_review", "submit_review", submission(vec![], "correct"))));
    replies.push(Reply::Turn(Turn::new().text("Done.")));
    let server = ScriptedServer::start(Script::new(replies));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["review", "--no-tests"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    server.assert_every_tool_call_answered_once();
    let requests = server.requests();
    assert_eq!(requests.len(), 12);
    assert_eq!(requests[10].body["tool_choice"], json!({"type": "function", "name": "submit_review"}));
}
