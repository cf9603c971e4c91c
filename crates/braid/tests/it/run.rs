//! `braid run`, `runs`, `show` and `gc` end to end in real repositories: parallel attempts of braid's
//! agent against the scripted server and of external agents played by the fake agent CLI, the user's
//! checkout compared byte for byte before and after, and a run killed with SIGKILL, collected by `gc` and
//! finished by `--resume` without losing any work.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use braid_orchestra::store::{AttemptState, RunState, Store};
use braid_test_support::{Reply, ScriptedServer, TempRepo, Turn, fake_agent_bin_dir, tree_snapshot};
use serde_json::json;

use crate::harness::Env;

/// A repository with a dirty tree: a modified tracked file, a staged change, an untracked file and an
/// ignored build directory, all of which a run must leave exactly as they are.
fn dirty_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("README.md", "# counter\n");
    repo.write("src/count.sh", "echo 1\n");
    repo.write(".gitignore", "target/\n");
    repo.commit_all("counter");
    repo.write("README.md", "# counter (edited, not committed)\n");
    repo.write("staged.txt", "staged\n");
    repo.git(&["add", "staged.txt"]);
    repo.write("notes.txt", "untracked notes\n");
    repo.write("target/cache.bin", "build cache\n");
    repo
}

/// The scripted model for braid's attempts: the first request of an attempt gets a shell call writing
/// `attempt.txt` from the attempt's own environment, the next one a closing message. The attempt is
/// told apart by the approach in its prompt, so call ids stay unique across the parallel sessions.
fn attempt_responder() -> braid_test_support::Responder {
    Box::new(|request| {
        let prompt = request.user_texts().join("\n");
        let approach = prompt.split("approach-").nth(1).and_then(|rest| rest.chars().next()).unwrap_or('x');
        if request.tool_outputs().is_empty() {
            let script =
                format!("printf '%s %s approach-{approach}\\n' \"$BRAID_ATTEMPT\" \"$BRAID_PORT\" > attempt.txt");
            Reply::Turn(Turn::new().tool_call(
                &format!("call_{approach}"),
                "shell",
                json!({"command": ["sh", "-c", script]}),
            ))
        } else {
            Reply::Turn(Turn::new().text(&format!("Wrote attempt.txt for approach-{approach}.")))
        }
    })
}

fn store(repo: &TempRepo) -> Store {
    Store::open(&repo.path().join(".braid/braid.db")).unwrap()
}

fn only_run(store: &Store) -> braid_orchestra::store::RunDetail {
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    store.run(&runs[0].run.id).unwrap().unwrap()
}

#[test]
fn four_parallel_attempts_each_commit_their_own_change_and_leave_the_checkout_untouched() {
    let repo = dirty_repo();
    let before = tree_snapshot(repo.path());
    let server = ScriptedServer::start_responder(attempt_responder(), true);
    // The sessions run in parallel, so their requests interleave; the server's check of tool outputs
    // follows one conversation, so each attempt's call is checked on its own below.
    let env = Env::new(&server, "responses");
    let mut args = vec!["run", "count to three", "-n", "4", "-j", "4"];
    for approach in ["--approach", "approach-1", "--approach", "approach-2", "--approach", "approach-3"] {
        args.push(approach);
    }
    args.extend(["--approach", "approach-4"]);
    let out = env.braid(repo.path()).args(&args).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("4 committed, 0 failed, 0 cancelled"), "{stderr}");
    let requests = server.requests();
    for k in 1..=4 {
        let call = format!("call_{k}");
        let answered: usize = requests
            .iter()
            .map(|r| r.tool_outputs().iter().filter(|(id, _)| *id == call).count())
            .filter(|&count| count > 0)
            .inspect(|&count| assert_eq!(count, 1, "{call} answered once per request"))
            .count();
        assert_eq!(answered, 1, "{call} was answered in exactly one request");
    }

    // The checkout, its index, HEAD and the user's branches are exactly as they were.
    before.assert_same(&tree_snapshot(repo.path()));

    let store = store(&repo);
    let detail = only_run(&store);
    let run = detail.run.id.clone();
    assert_eq!(detail.run.state, RunState::Finished);
    assert_eq!(detail.run.task, "count to three");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(detail.run.base_commit, head);
    let mut ports = Vec::new();
    for attempt in &detail.attempts {
        let n = attempt.n;
        assert_eq!(attempt.state, AttemptState::Committed, "{attempt:?}");
        assert_eq!(attempt.approach.as_deref(), Some(format!("approach-{n}").as_str()));
        let branch = format!("braid/{run}/{n}");
        assert_eq!(attempt.branch, branch);
        // The branch holds one commit on top of the base, with this attempt's file and nothing else.
        let commit = attempt.commit.clone().unwrap();
        assert_eq!(repo.git(&["rev-parse", &branch]).trim(), commit);
        assert_eq!(repo.git(&["rev-parse", &format!("{commit}^")]).trim(), head);
        let changed = repo.git(&["diff", "--name-only", &head, &commit]);
        assert_eq!(changed.trim(), "attempt.txt");
        let text = repo.git(&["show", &format!("{commit}:attempt.txt")]);
        let fields: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(fields[0], n.to_string(), "BRAID_ATTEMPT reached the command: {text}");
        assert_eq!(fields[2], format!("approach-{n}"), "the approach reached the prompt: {text}");
        ports.push(fields[1].parse::<u16>().unwrap());
        assert_eq!(attempt.port, Some(ports[ports.len() - 1]));
        let message = repo.git(&["log", "-1", "--format=%B", &commit]);
        assert!(message.contains(&format!("attempt {n}")) && message.contains("Agent: braid"), "{message}");
        // Every state was recorded on the way, in order.
        let states: Vec<&str> = detail.transitions.iter().filter(|t| t.n == n).map(|t| t.to.as_str()).collect();
        assert_eq!(states, ["creating", "created", "running", "committing", "committed"], "attempt {n}");
        // The attempt's events are logged and counted.
        let log = std::fs::read_to_string(repo.path().join(format!(".braid/runs/{run}/{n}.jsonl"))).unwrap();
        assert!(log.contains("tool_call_end"), "{log}");
        let tool_calls = detail.events.iter().find(|e| e.n == n && e.kind == "tool_call").map(|e| e.count);
        assert_eq!(tool_calls, Some(1));
    }
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4, "each attempt gets its own port");

    // `braid runs` and `braid show` report it.
    let out = env.braid(repo.path()).arg("runs").assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(table.contains(&run) && table.contains("finished") && table.contains("count to three"), "{table}");
    let prefix = &run[..run.len() - 2];
    let out = env.braid(repo.path()).args(["show", prefix]).assert().success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(shown.contains(&format!("#4 braid · committed · braid/{run}/4")), "{shown}");
    assert!(shown.contains("creating → created → running → committing → committed"), "{shown}");

    // gc archives every branch and removes every worktree; the commits stay reachable.
    let out = env.braid(repo.path()).arg("gc").assert().success();
    let report = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for n in 1..=4 {
        let commit = detail.attempts[n - 1].commit.clone().unwrap();
        assert_eq!(repo.git(&["rev-parse", &format!("refs/braid/archive/{run}/{n}")]).trim(), commit, "{report}");
    }
    assert!(repo.git(&["branch", "--list", "braid/*"]).trim().is_empty());
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
    assert!(!repo.path().join(format!(".braid/worktrees/{run}")).exists());
    let detail = store.run(&run).unwrap().unwrap();
    assert!(detail.attempts.iter().all(|a| a.state == AttemptState::Removed), "{:?}", detail.attempts);
    before.assert_same(&tree_snapshot(repo.path()));
}

/// A PATH with the fake `codex` and `claude` first.
fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn external_agents_of_every_format_share_a_run_and_their_work_is_committed() {
    let repo = dirty_repo();
    let before = tree_snapshot(repo.path());
    let bin = fake_agent_bin_dir();
    let env = Env::with_config("");
    let fake = bin.path().join("fake-agent");
    let agent = format!("codex:1,claude:1,cmd:{} cmd {{prompt}}:1", fake.display());
    let out = env
        .braid(repo.path())
        .args(["run", "make a change", "-n", "3", "--agent", &agent, "--json"])
        .env("PATH", path_with(bin.path()))
        .env("FAKE_AGENT_WRITE", "agent.txt=written by a fake agent")
        .assert()
        .success();
    let events = crate::harness::jsonl(&out.get_output().stdout);
    let finished: Vec<&serde_json::Value> = events.iter().filter(|e| e["type"] == "attempt_finished").collect();
    assert_eq!(finished.len(), 3, "{events:?}");
    assert!(finished.iter().all(|e| e["summary"]["state"] == "committed"), "{finished:?}");
    // The normalized transcripts carried tool calls and usage through.
    assert!(events.iter().any(|e| e["type"] == "agent" && e["event"]["type"] == "tool_call_begin"), "{events:?}");
    before.assert_same(&tree_snapshot(repo.path()));

    let detail = only_run(&store(&repo));
    let run = &detail.run.id;
    for attempt in &detail.attempts {
        assert_eq!(attempt.state, AttemptState::Committed, "{attempt:?}");
        let commit = attempt.commit.clone().unwrap();
        let files = repo.git(&["show", "--name-only", "--format=", &commit]);
        assert!(files.contains("agent.txt"), "attempt {}: {files}", attempt.n);
        let log = repo.path().join(format!(".braid/runs/{run}/{}.jsonl", attempt.n));
        assert!(std::fs::metadata(&log).unwrap().len() > 0, "{}", log.display());
    }
    let agents: Vec<&str> = detail.attempts.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(agents[..2], ["codex", "claude"]);
    assert!(agents[2].starts_with("cmd:"), "{agents:?}");
    // Claude Code reports a cost; it is recorded.
    assert!(detail.attempts[1].cost_usd.is_some(), "{:?}", detail.attempts[1]);
    assert!(detail.attempts[0].tokens.input > 0, "{:?}", detail.attempts[0]);
}

#[test]
fn a_failing_agent_fails_its_attempt_but_its_partial_work_is_committed() {
    let repo = dirty_repo();
    let env = Env::with_config("");
    let agent = "cmd:sh -c 'printf \"half done\" > half.txt; echo giving up >&2; exit 3'";
    let out = env.braid(repo.path()).args(["run", "make a change", "-n", "1", "--agent", agent]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("0 committed, 1 failed"), "{stderr}");
    let detail = only_run(&store(&repo));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&detail.run.id, "[RUN]");
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    settings.add_filter(r"\b[0-9a-f]{10}\b", "[SHORT]");
    settings.add_filter(r"\d+\.\ds\b", "[TIME]");
    settings.add_filter(r"after \d+(\.\d+)?m?s\b", "after [TIME]");
    settings.add_filter(r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "started [DATE]");
    settings.bind(|| {
        insta::assert_snapshot!(stderr, @r#"
run [RUN] · 1 attempts from [SHORT]
  #1 cmd:sh -c 'printf "half done" > half.txt; echo giving up >&2; exit 3' on braid/[RUN]/1
#1 creating
#1 created
#1 running
#1 committing
#1 failed · 1 files +1 -0 · 0 turns · 0 tokens · [TIME] · commit [SHORT] · the agent exited with code 3: giving up (after [TIME])
run [RUN]: 0 committed, 1 failed, 0 cancelled · `braid show [RUN]` for details
"#);
        let out = env.braid(repo.path()).args(["show", &detail.run.id]).assert().success();
        insta::assert_snapshot!(String::from_utf8_lossy(&out.get_output().stdout), @r#"
run [RUN] · finished
task: make a change
base: [SHORT] · started [DATE]

#1 cmd:sh -c 'printf "half done" > half.txt; echo giving up >&2; exit 3' · failed · braid/[RUN]/1
  commit:   [SHA]
  turns 0 · tokens 0 in (0 cached) / 0 out
  error:    the agent exited with code 3: giving up (after [TIME])
  states:   creating → created → running → committing → failed
"#);
    });
    let attempt = &detail.attempts[0];
    assert_eq!(attempt.state, AttemptState::Failed);
    let error = attempt.error.clone().unwrap_or_default();
    assert!(error.contains("giving up") || error.contains('3'), "{error}");
    let commit = attempt.commit.clone().expect("the partial work is committed");
    assert_eq!(repo.git(&["show", &format!("{commit}:half.txt")]), "half done");
}

#[test]
fn bad_input_is_refused_before_anything_is_created() {
    let repo = dirty_repo();
    let env = Env::with_config("");
    let cases: [(&[&str], &str); 4] = [
        (&["run", "x", "-n", "3", "--agent", "braid:1,codex:1"], "3"),
        (&["run", "x", "-n", "1", "--agent", "gemini"], "gemini"),
        (&["run", "x", "-n", "1", "--base", "no-such-rev"], "no-such-rev"),
        (&["run", "x", "-n", "1", "--approach", "a", "--approach", "b"], "2 approaches"),
    ];
    for (args, needle) in cases {
        let out = env.braid(repo.path()).args(args).assert().failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert!(repo.git(&["branch", "--list", "braid/*"]).trim().is_empty());
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
    let outside = tempfile::tempdir().unwrap();
    let out = env.braid(outside.path()).args(["run", "x"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("not a git repository") || stderr.contains("not inside"), "{stderr}");
}

/// Waits until `path` exists, or panics after a while.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_run_killed_with_sigkill_is_collected_by_gc_and_finished_by_resume_without_losing_work() {
    let repo = dirty_repo();
    let before = tree_snapshot(repo.path());
    let control = tempfile::tempdir().unwrap();
    let go = control.path().join("go");
    // The agent appends a line, says it started, and then waits for the test's signal (a file), so the
    // run can be killed while both attempts are mid-work.
    let script = format!(
        "echo \"line from pid $$\" >> work.txt; touch {dir}/started-$BRAID_ATTEMPT; \
         while [ ! -e {go} ]; do sleep 0.05; done; echo done >> work.txt",
        dir = control.path().display(),
        go = go.display()
    );
    let agent = format!("cmd:sh -c '{script}'");
    let env = Env::with_config("");
    let mut braid = env.spawn(repo.path(), &["run", "fill work.txt", "-n", "2", "--agent", &agent]);
    for n in 1..=2 {
        wait_for(&control.path().join(format!("started-{n}")));
    }
    braid.kill().unwrap();
    braid.wait().unwrap();

    let store = store(&repo);
    let detail = only_run(&store);
    let run = detail.run.id.clone();
    assert_eq!(detail.run.state, RunState::Interrupted, "a dead owner reads as interrupted");
    assert!(detail.attempts.iter().all(|a| a.state == AttemptState::Running), "{:?}", detail.attempts);
    let out = env.braid(repo.path()).arg("runs").assert().success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("interrupted"));

    // gc keeps the half-done work: committed, archived, worktrees gone.
    let worktrees: Vec<PathBuf> = (1..=2).map(|n| repo.path().join(format!(".braid/worktrees/{run}/{n}"))).collect();
    env.braid(repo.path()).arg("gc").assert().success();
    for (n, worktree) in (1..=2).zip(&worktrees) {
        assert!(!worktree.exists(), "{}", worktree.display());
        let archived = format!("refs/braid/archive/{run}/{n}");
        let work = repo.git(&["show", &format!("{archived}:work.txt")]);
        assert!(work.starts_with("line from pid"), "{work}");
    }
    // The attempts are still unfinished, so a resume can finish them.
    let detail = store.run(&run).unwrap().unwrap();
    assert!(detail.attempts.iter().all(|a| a.state == AttemptState::Running), "{:?}", detail.attempts);

    std::fs::write(&go, "").unwrap();
    env.braid(repo.path()).args(["run", "--resume", &run]).assert().success();
    let detail = store.run(&run).unwrap().unwrap();
    assert_eq!(detail.run.state, RunState::Finished);
    for attempt in &detail.attempts {
        assert_eq!(attempt.state, AttemptState::Committed, "{attempt:?}");
        let commit = attempt.commit.clone().unwrap();
        // The line written before the kill is still there, followed by the resumed agent's work.
        let work = repo.git(&["show", &format!("{commit}:work.txt")]);
        let lines: Vec<&str> = work.lines().collect();
        assert_eq!(lines.len(), 3, "{work}");
        assert!(lines[0].starts_with("line from pid") && lines[2] == "done", "{work}");
    }
    before.assert_same(&tree_snapshot(repo.path()));
}
