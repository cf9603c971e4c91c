//! `braid plan` and `braid plan revise` end to end: the scripted model researches, hands braid a plan
//! through the plan tools, gets the checker's findings back, fixes them, and the file on disk is asserted.

use braid_orchestra::plan::{CheckOptions, Plan, SectionKind, check};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::{Value, json};

use crate::harness::{Env, greeter_repo as repo, write_plan};

/// A plan as the model would send it to `write_plan`, with one check command given by `test_command`.
fn new_plan(test_command: &str) -> Value {
    json!({
        "title": "Greet by name",
        "purpose": "After this change `greet.sh NAME` prints `hello, NAME`, so scripts can greet people.",
        "context": "`greet.sh` at the root prints a fixed greeting. `check.sh` tests it.",
        "plan_of_work": "Read the name from the first argument, then cover it with a test.",
        "milestones": [
            {"title": "Take the name", "scope": "greet.sh reads $1.", "acceptance": "`sh greet.sh Ada` prints `hello, Ada`.", "checks": ["test"]},
            {"title": "Document it", "scope": "README.md gains a usage line.", "acceptance": "The README shows `sh greet.sh NAME`."}
        ],
        "validation": "Run `sh check.sh`; it prints `ok`.",
        "decisions": [{"decision": "Keep it POSIX sh.", "rationale": "The script runs on minimal images."}],
        "scope": ["greet.sh", "README.md"],
        "forbidden": ["check.sh"],
        "checks": [{"name": "test", "command": test_command}],
        "approaches": ["Use $1 directly", "Parse options with getopts"]
    })
}

fn check_plan(repo: &TempRepo, text: &str) -> braid_orchestra::plan::Report {
    let options = CheckOptions { root: repo.path(), path_var: std::env::var_os("PATH") };
    check(text, &options).1
}

#[test]
fn plan_researches_read_only_fixes_what_the_checker_finds_and_writes_the_plan() {
    let repo = repo();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("call_look", "shell", json!({"command": ["cat", "greet.sh", "check.sh"]}))),
        // A first plan whose check names a program that does not exist: the checker refuses it.
        Reply::Turn(Turn::new().tool_call("call_plan_1", "write_plan", new_plan("no-such-runner greet"))),
        Reply::Turn(Turn::new().tool_call("call_plan_2", "write_plan", new_plan("sh check.sh"))),
        Reply::Turn(Turn::new().text("The plan makes greet.sh take a name in two milestones.")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["plan", "Let greet.sh greet someone by name"]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let path = repo.path().join("plans/let-greet-sh-greet-someone-by.md");
    assert_eq!(stdout.trim(), path.canonicalize().unwrap().display().to_string());
    server.assert_every_tool_call_answered_once();

    // Research is read-only: no edit tools are offered, and the plan tool is.
    let requests = server.requests();
    let tools = requests[0].tool_names();
    assert!(tools.contains(&"write_plan".to_string()) && tools.contains(&"shell".to_string()), "{tools:?}");
    assert!(!tools.iter().any(|t| t == "apply_patch" || t == "edit_file"), "{tools:?}");
    // The refusal reached the model with the checker's finding and line.
    let outputs = requests[2].tool_outputs();
    let (_, refusal) = outputs.iter().find(|(id, _)| id == "call_plan_1").unwrap();
    assert!(refusal.contains("was not written") && refusal.contains("check-not-runnable"), "{refusal}");
    assert!(refusal.contains("no-such-runner"), "{refusal}");

    let text = std::fs::read_to_string(&path).unwrap();
    let report = check_plan(&repo, &text);
    assert!(report.passed(false), "{}", report.human("plan"));
    let (plan, _) = Plan::parse(&text);
    assert_eq!(plan.title.as_ref().unwrap().text, "Greet by name");
    assert_eq!(plan.milestones.len(), 2);
    assert_eq!(plan.milestones[0].checks.as_deref(), Some(&["test".to_string()][..]));
    assert_eq!(plan.progress.len(), 3);
    assert!(plan.progress[0].done && plan.progress[0].timestamp.is_some(), "{:?}", plan.progress[0]);
    assert!(plan.progress[1..].iter().all(|item| !item.done));
    assert_eq!(plan.decisions.len(), 1);
    let machine = plan.machine.unwrap();
    assert_eq!(machine.forbidden, ["check.sh"]);
    assert_eq!(machine.approaches.len(), 2);
    assert_eq!(machine.checks[0].command, "sh check.sh");
    // Nothing else in the repository changed.
    assert_eq!(repo.git(&["status", "--porcelain"]).trim(), "?? plans/");
}

#[test]
fn plan_never_overwrites_an_existing_plan() {
    let repo = repo();
    repo.write("plans/mine.md", "my own notes\n");
    let server = ScriptedServer::start(Script::new([]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["plan", "--out", "plans/mine.md", "anything"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("already exists") && stderr.contains("braid plan revise"), "{stderr}");
    assert_eq!(repo.read("plans/mine.md"), "my own notes\n");
    assert!(server.requests().is_empty());
}

#[test]
fn a_model_that_never_calls_the_tool_gets_reminded_then_a_clear_error() {
    let repo = repo();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("Here is my plan: do it.")),
        Reply::Turn(Turn::new().text("Plan: change greet.sh.")),
        Reply::Turn(Turn::new().text("Done planning.")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["plan", "greet by name"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("did not produce a plan") && stderr.contains("nothing was written"), "{stderr}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].user_texts().last().unwrap().contains("Call `write_plan` now"));
    // The first request leaves the choice to the model; each reminder forces the plan tool.
    assert_eq!(requests[0].body["tool_choice"], "auto");
    for reminder in &requests[1..] {
        assert_eq!(reminder.body["tool_choice"], json!({"type": "function", "name": "write_plan"}));
    }
    assert!(!repo.path().join("plans").exists());
}

#[test]
fn a_model_that_researches_until_the_turn_limit_is_made_to_write_the_plan() {
    let repo = repo();
    let look = |id: &str| Reply::Turn(Turn::new().tool_call(id, "shell", json!({"command": ["cat", "greet.sh"]})));
    let server = ScriptedServer::start(Script::new([
        look("call_1"),
        look("call_2"),
        // The turn limit (2) ends the research; the forced reminder gets the plan.
        Reply::Turn(Turn::new().tool_call("call_plan", "write_plan", new_plan("sh check.sh"))),
        Reply::Turn(Turn::new().text("Written.")),
    ]));
    let env = Env::new(&server, "responses");
    env.braid(repo.path())
        .args(["-c", "max_turns=2", "plan", "--out", "plans/greet.md", "greet by name"])
        .assert()
        .success();
    server.assert_every_tool_call_answered_once();
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[1].body["tool_choice"], "auto");
    assert_eq!(requests[2].body["tool_choice"], json!({"type": "function", "name": "write_plan"}));
    // Only the reminder's first response is forced; the model then answers freely.
    assert_eq!(requests[3].body["tool_choice"], "auto");
    let report = check_plan(&repo, &repo.read("plans/greet.md"));
    assert!(report.passed(false), "{}", report.human("plan"));
}

#[test]
fn revise_replaces_sections_and_records_the_decision_and_a_note() {
    let repo = repo();
    // Write the plan through braid first, as a user would.
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("call_plan", "write_plan", new_plan("sh check.sh"))),
        Reply::Turn(Turn::new().text("Written.")),
    ]));
    let env = Env::new(&server, "responses");
    env.braid(repo.path()).args(["plan", "--out", "plans/greet.md", "greet by name"]).assert().success();
    let before = repo.read("plans/greet.md");

    let new_work = "Read the name from `$1`, falling back to `world`.\n\n### Milestone 1: Take the name\n\nScope: greet.sh reads $1 with a default.\nAcceptance: `sh greet.sh` prints `hello, world`; `sh greet.sh Ada` prints `hello, Ada`.\nChecks: test\n\n### Milestone 2: Document it\n\nScope: README.md.\nAcceptance: the README shows both forms.\n";
    let server = ScriptedServer::start(Script::new([
        // Progress is history: the tool refuses to replace it.
        Reply::Turn(Turn::new().tool_call(
            "call_bad",
            "revise_plan",
            json!({"sections": [{"heading": "Progress", "body": "- [x] all done"}], "decision": "d", "rationale": "r", "summary": "s"}),
        )),
        Reply::Turn(Turn::new().tool_call(
            "call_revise",
            "revise_plan",
            json!({
                "sections": [{"heading": "plan of work", "body": new_work}],
                "scope": ["greet.sh", "README.md", "tests/**"],
                "decision": "Default the name to `world`.",
                "rationale": "The reviewer asked that running it without a name keep working.",
                "summary": "Milestone 1 now keeps a default name."
            }),
        )),
        Reply::Turn(Turn::new().text("The plan keeps `world` as the default name.")),
    ]));
    let env = Env::new(&server, "chat");
    env.braid(repo.path()).args(["plan", "revise", "plans/greet.md", "keep working without a name"]).assert().success();
    server.assert_every_tool_call_answered_once();
    let outputs = server.requests()[1].tool_outputs();
    assert!(outputs[0].1.contains("is history"), "{}", outputs[0].1);

    let after = repo.read("plans/greet.md");
    assert!(check_plan(&repo, &after).passed(false), "{}", check_plan(&repo, &after).human("plan"));
    let (old, _) = Plan::parse(&before);
    let (new, _) = Plan::parse(&after);
    // The Decision Log gained exactly the new entry, dated.
    assert_eq!(new.decisions.len(), old.decisions.len() + 1);
    let entry = new.decisions.last().unwrap();
    assert_eq!(entry.decision, "Default the name to `world`.");
    assert!(entry.rationale.as_deref().unwrap().contains("reviewer"));
    assert!(entry.date.is_some());
    // The revision note is at the bottom, with the feedback.
    let last = new.sections.last().unwrap();
    assert_eq!(last.heading, "Revision Notes");
    let note = last.body_text(&after);
    assert!(
        note.contains("Milestone 1 now keeps a default name.") && note.contains("keep working without a name"),
        "{note}"
    );
    // The replaced section changed; the others are byte-identical; Progress kept its items.
    let body = |plan: &Plan, text: &str, kind| plan.section(kind).unwrap().body_text(text).to_string();
    assert!(body(&new, &after, SectionKind::PlanOfWork).contains("falling back to `world`"));
    for kind in [SectionKind::Purpose, SectionKind::Context, SectionKind::Progress, SectionKind::Validation] {
        assert_eq!(body(&old, &before, kind), body(&new, &after, kind), "{kind:?}");
    }
    assert_eq!(new.machine.unwrap().scope, ["greet.sh", "README.md", "tests/**"]);
}

/// A one-milestone plan for `braid exec --plan`, committed in `repo`.
fn one_milestone_plan(repo: &TempRepo) {
    write_plan(
        repo,
        "plans/greet.md",
        json!({
            "title": "Greet by name",
            "purpose": "`greet.sh NAME` greets NAME.",
            "context": "greet.sh prints a fixed greeting; check.sh tests it.",
            "milestones": [{"title": "Take the name", "scope": "greet.sh", "acceptance": "check.sh prints ok"}],
            "validation": "sh check.sh",
            "scope": ["greet.sh"],
            "forbidden": ["check.sh"],
            "checks": [{"name": "test", "command": "sh check.sh"}]
        }),
    );
    repo.commit_all("plan");
}

#[test]
fn exec_plan_runs_the_milestone_gates_it_and_reports_plan_events_as_json() {
    let repo = repo();
    one_milestone_plan(&repo);
    let work = "*** Begin Patch\n*** Update File: greet.sh\n@@\n-echo hello\n+echo \"hello, $1\"\n*** Update File: plans/greet.md\n@@\n-- [ ] Milestone 1: Take the name\n+- [x] (2026-11-22 11:00Z) Milestone 1: Take the name\n*** End Patch\n";
    let server = ScriptedServer::start(Script::new([
        // check.sh is forbidden: the edit is refused and the model moves on.
        Reply::Turn(Turn::new().tool_call(
            "call_cheat",
            "apply_patch",
            json!({"input": "*** Begin Patch\n*** Update File: check.sh\n@@\n-test \"$(sh greet.sh Ada)\" = 'hello, Ada' && echo ok\n+echo ok\n*** End Patch\n"}),
        )),
        Reply::Turn(Turn::new().tool_call("call_work", "apply_patch", json!({"input": work}))),
        Reply::Turn(Turn::new().text("greet.sh takes the name.")),
        Reply::Turn(Turn::new().text("Outcomes: greet.sh greets by name.")),
    ]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["exec", "--json", "--plan", "plans/greet.md"]).assert().success();
    server.assert_every_tool_call_answered_once();
    let lines = crate::harness::jsonl(&out.get_output().stdout);
    let plan_events: Vec<String> = lines
        .iter()
        .filter_map(|l| l["type"].as_str().filter(|t| t.starts_with("plan.")).map(str::to_string))
        .collect();
    assert_eq!(
        plan_events,
        ["plan.milestone_started", "plan.check_finished", "plan.milestone_accepted", "plan.finished"]
    );
    let check = lines.iter().find(|l| l["type"] == "plan.check_finished").unwrap();
    assert_eq!(check["result"]["passed"], true, "{check}");
    let outputs = server.requests()[1].tool_outputs();
    assert!(outputs[0].1.contains("forbidden") && outputs[0].1.contains("check.sh"), "{}", outputs[0].1);
    assert_eq!(repo.read("check.sh"), "test \"$(sh greet.sh Ada)\" = 'hello, Ada' && echo ok\n");
    assert!(repo.read("plans/greet.md").contains("braid's record"));
}

#[test]
fn exec_plan_refuses_a_plan_that_does_not_pass_the_checker_before_asking_the_model() {
    let repo = repo();
    repo.write("plans/bad.md", "# A plan\n\n## Progress\n\n- [x] done without a time\n");
    let server = ScriptedServer::start(Script::new([]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["exec", "--plan", "plans/bad.md"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("does not pass `braid plan check`") && stderr.contains("progress-timestamp"), "{stderr}");
    assert!(server.requests().is_empty());
}
