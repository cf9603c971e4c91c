//! `braid compare` end to end: three attempts made by a scripted external agent (one right, one that
//! breaks a test, one that edits the forbidden test file), the plan's checks run on each, and the
//! ranking, its reasons, the stored results, the JSON and the HTML report asserted.

use braid_orchestra::compare::Comparison;
use braid_test_support::TempRepo;
use serde_json::json;

use crate::harness::{Env, write_plan};

/// A buggy adder with a test the plan forbids changing, a lint check that flags TODOs, and the plan.
fn adder_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("add.sh", "echo $(($1 - $2))\n");
    repo.write("test.sh", "test \"$(sh add.sh 2 3)\" = 5 || { echo 'FAIL: 2 + 3'; exit 1; }\necho 'ok: 2 + 3'\n");
    repo.write("lint.sh", "grep -n TODO add.sh | while IFS=: read -r line _; do echo \"add.sh:$line:1: T001 TODO left in the code\"; done\n");
    repo.commit_all("adder");
    write_plan(
        &repo,
        "plans/add.md",
        json!({
            "title": "Fix the adder",
            "purpose": "`add.sh A B` prints A + B.",
            "context": "add.sh subtracts; test.sh tests it.",
            "milestones": [{"title": "Add", "scope": "add.sh", "acceptance": "sh test.sh passes"}],
            "validation": "sh test.sh",
            "scope": ["add.sh"],
            "forbidden": ["test.sh"],
            "checks": [{"name": "test", "command": "sh test.sh"}, {"name": "lint", "command": "sh lint.sh"}]
        }),
    );
    repo.commit_all("plan");
    repo
}

fn regex_escape(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || c == '/' { c.to_string() } else { format!("\\{c}") }).collect()
}

/// The id of the repository's one run, from `braid runs --json`.
fn only_run(env: &Env, repo: &TempRepo) -> String {
    let out = env.braid(repo.path()).args(["runs", "--json"]).output().unwrap();
    let lines = crate::harness::jsonl(&out.stdout);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0]["run"]["id"].as_str().unwrap().to_string()
}

/// The agent each attempt runs: attempt 1 fixes the adder (leaving a TODO), attempt 2 breaks it another
/// way, attempt 3 fixes it and also weakens the forbidden test. Each says it succeeded.
const AGENT: &str = r#"cd "$BRAID_WORKTREE"
case "$BRAID_ATTEMPT" in
  1) printf 'echo $(($1 + $2)) # TODO: check the arguments\n' > add.sh ;;
  2) printf 'echo $(($1 * $2))\n' > add.sh ;;
  3) printf 'echo $(($1 + $2))\n' > add.sh; printf 'echo ok\n' > test.sh ;;
esac
echo "Done: the adder works."
"#;

#[test]
fn compare_ranks_three_attempts_on_their_checks_and_the_plan_and_writes_the_report() {
    let repo = adder_repo();
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    let env = Env::with_config("");
    let spec = format!("cmd:sh {}", agent.display());
    let out =
        env.braid(repo.path()).args(["run", "--plan", "plans/add.md", "-n", "3", "--agent", &spec]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let report = dir.path().join("report.html");
    let run = only_run(&env, &repo);
    let run_prefix = &run[..run.len() - 2];
    let out = env.braid(repo.path()).args(["compare", run_prefix, "--html"]).arg(&report).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&repo.path().canonicalize().unwrap().display().to_string()), "[REPO]");
    settings.add_filter(&regex_escape(&repo.path().display().to_string()), "[REPO]");
    settings.add_filter(&regex_escape(&dir.path().display().to_string()), "[TMP]");
    settings.add_filter(&run, "[RUN]");
    settings.add_filter(r"\(\d+\.\d s\)", "([T])");
    settings.bind(|| {
        insta::assert_snapshot!(text, @r#"
run [RUN] · 3 attempts · checks from the plan: test, lint

rank  attempt                             verdict  tests  diff           plan         warn  review  cost
1     #1 cmd:sh [TMP]/agent.sh  passed   -      1 files +1 −1  ok           1     -       -
2     #3 cmd:sh [TMP]/agent.sh  failed   -      2 files +2 −3  1 forbidden  0     -       -
3     #2 cmd:sh [TMP]/agent.sh  failed   -      1 files +1 −1  ok           0     -       -

1. #1: passes every required check (2 of 2 checks pass); diff +1 −1
   ✓ test ([T]) · .braid/runs/[RUN]/checks/1/test.log
   ✓ lint ([T]) · .braid/runs/[RUN]/checks/1/lint.log
2. #3: changes forbidden file(s): test.sh
   ✓ test ([T]) · .braid/runs/[RUN]/checks/3/test.log
   ✓ lint ([T]) · .braid/runs/[RUN]/checks/3/lint.log
   ! the agent claimed success, but the checks say otherwise
3. #2: required check `test` fails: exit 1; fewer checks pass: 1 (#3: 2)
   ✗ test exit 1 ([T]) · .braid/runs/[RUN]/checks/2/test.log
   ✓ lint ([T]) · .braid/runs/[RUN]/checks/2/lint.log
   ! the agent claimed success, but the checks say otherwise
report: [TMP]/report.html
"#);
    });

    let out = env.braid(repo.path()).args(["compare", run_prefix, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let comparison: Comparison = serde_json::from_slice(&out.stdout).unwrap();
    let order: Vec<u32> = comparison.ranking.iter().map(|r| r.n).collect();
    assert_eq!(order, [1, 3, 2], "{:#?}", comparison.ranking);
    let reasons: Vec<&str> = comparison.ranking.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "passes every required check (2 of 2 checks pass); diff +1 −1",
            "changes forbidden file(s): test.sh",
            "required check `test` fails: exit 1; fewer checks pass: 1 (#3: 2)",
        ]
    );
    assert_eq!(comparison.ranking.iter().map(|r| r.passed).collect::<Vec<_>>(), [true, false, false]);
    // The evidence behind it.
    let first = &comparison.attempts[0];
    assert_eq!(first.new_warnings.len(), 1, "{:?}", first.new_warnings);
    assert_eq!(first.new_warnings[0].file.as_deref(), Some("add.sh"));
    assert_eq!(first.claimed_success, Some(true));
    let forbidden = &comparison.attempts[1];
    assert_eq!(forbidden.forbidden, ["test.sh"]);
    assert_eq!(forbidden.outside_scope, ["test.sh"]);
    let broken = &comparison.attempts[2];
    let test = broken.checks.iter().find(|c| c.name == "test").unwrap();
    assert!(!test.passed && test.exit_code == Some(1));
    assert!(std::fs::read_to_string(&test.log).unwrap().contains("FAIL: 2 + 3"));
    let plan = comparison.plan.as_ref().unwrap();
    assert_eq!(plan.acceptance[0].text, "sh test.sh passes");

    // The second comparison reused the stored results instead of running the checks again, and left no
    // scratch checkout behind.
    let store = braid_orchestra::store::Store::open(&repo.path().join(".braid/braid.db")).unwrap();
    let stored = store.checks(&comparison.run.id).unwrap();
    // Three attempts × two checks, and the lint check once more on the base commit.
    assert_eq!(stored.len(), 7, "{stored:#?}");
    assert!(!repo.path().join(".braid/scratch").join(&comparison.run.id).exists());
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 4, "the three attempts' worktrees only");

    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("id=\"check-matrix\"") && page.contains("data-attempt=\"3\""));
}

#[test]
fn compare_refuses_unknown_runs_and_runs_without_checks_clearly() {
    let repo = TempRepo::new();
    repo.write("notes.txt", "one\n");
    repo.commit_all("notes");
    let env = Env::with_config("");
    let out = env.braid(repo.path()).args(["compare", "nope"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no run nope") && stderr.contains("braid runs"), "{stderr}");

    let agent = "cmd:sh -c 'echo two >> notes.txt'";
    let out = env.braid(repo.path()).args(["run", "append", "-n", "1", "--agent", agent]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = only_run(&env, &repo);
    let out = env.braid(repo.path()).args(["compare", &run]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no checks to run") && stderr.contains("[checks]"), "{stderr}");

    // Declared in .braid/config.toml, the same run compares.
    repo.write(".braid/config.toml", "[checks]\ntest = \"grep -q two notes.txt\"\n");
    let out = env.braid(repo.path()).args(["compare", &run]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("checks from .braid/config.toml: test") && text.contains("passed"), "{text}");
}
