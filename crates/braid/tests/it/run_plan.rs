//! `braid run` beyond a plain task: attempts that carry out a plan milestone by milestone behind the
//! plan's gate, and a run of braid's own agent on the embedded model, whose attempts share one engine.

use braid_orchestra::store::{AttemptState, Store};
use braid_test_support::{Reply, ScriptedServer, TEST_MODEL, TempRepo, Turn, local_model, tree_snapshot};
use serde_json::json;

use crate::harness::{Env, greeter_repo, write_plan};

/// A greeter whose check wants `greet.sh NAME` to greet NAME, and a one-milestone plan for it written
/// but not committed (as a plan usually is when it is first run).
fn greeter_with_plan() -> TempRepo {
    let repo = greeter_repo();
    write_plan(
        &repo,
        "plans/greet.md",
        json!({
            "title": "Greet by name",
            "purpose": "`greet.sh NAME` greets NAME.",
            "context": "greet.sh prints a fixed greeting; check.sh tests it.",
            "milestones": [{"title": "Take the name", "scope": "greet.sh", "acceptance": "check.sh prints ok"}],
            "validation": "sh check.sh",
            "scope": ["greet.sh"],
            "forbidden": ["check.sh"],
            "checks": [{"name": "test", "command": "sh check.sh"}],
            "approaches": ["approach-1: edit in place", "approach-2: claim success without work"]
        }),
    );
    repo
}

/// Attempt 1 does the milestone's work and ticks it; attempt 2 first tries to weaken the forbidden
/// check, then only ever claims to be done. The attempt is told apart by the approach in its prompt.
fn plan_responder() -> braid_test_support::Responder {
    Box::new(|request| {
        let prompt = request.user_texts().join("\n");
        let outputs = request.tool_outputs();
        if prompt.contains("approach-1") {
            if outputs.is_empty() {
                let work = "*** Begin Patch\n*** Update File: greet.sh\n@@\n-echo hello\n+echo \"hello, $1\"\n*** Update File: plans/greet.md\n@@\n-- [ ] Milestone 1: Take the name\n+- [x] (2026-11-22 11:00Z) Milestone 1: Take the name\n*** End Patch\n";
                return Reply::Turn(Turn::new().tool_call("call_work", "apply_patch", json!({"input": work})));
            }
            return Reply::Turn(Turn::new().text("greet.sh takes the name."));
        }
        if outputs.is_empty() {
            let cheat = "*** Begin Patch\n*** Update File: check.sh\n@@\n-test \"$(sh greet.sh Ada)\" = 'hello, Ada' && echo ok\n+echo ok\n*** End Patch\n";
            return Reply::Turn(Turn::new().tool_call("call_cheat", "apply_patch", json!({"input": cheat})));
        }
        Reply::Turn(Turn::new().text("All done, everything works."))
    })
}

fn only_run(repo: &TempRepo) -> braid_orchestra::store::RunDetail {
    let store = Store::open(&repo.path().join(".braid/braid.db")).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    store.run(&runs[0].run.id).unwrap().unwrap()
}

#[test]
fn plan_attempts_are_gated_milestone_by_milestone_and_a_false_claim_fails() {
    let repo = greeter_with_plan();
    let before = tree_snapshot(repo.path());
    let server = ScriptedServer::start_responder(plan_responder(), true);
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["run", "--plan", "plans/greet.md", "-n", "2", "-j", "2"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("1 committed, 1 failed"), "{stderr}");
    // The gate's steps show in the progress, beside the agent's own events.
    assert!(stderr.contains("milestone 1/1: Take the name"), "{stderr}");
    before.assert_same(&tree_snapshot(repo.path()));

    let detail = only_run(&repo);
    let run = &detail.run.id;
    let base = &detail.run.base_commit;
    let (good, bad) = (&detail.attempts[0], &detail.attempts[1]);

    // Attempt 1 passed the gate: its commit holds the work and the plan with the milestone ticked.
    assert_eq!(good.state, AttemptState::Committed, "{good:?}");
    assert_eq!(good.claimed_success, Some(true));
    assert_eq!(good.final_message.as_deref(), Some("greet.sh takes the name."));
    let commit = good.commit.clone().unwrap();
    assert_eq!(repo.git(&["show", &format!("{commit}:greet.sh")]), "echo \"hello, $1\"\n");
    assert!(repo.git(&["show", &format!("{commit}:plans/greet.md")]).contains("- [x]"));
    let log = std::fs::read_to_string(repo.path().join(format!(".braid/runs/{run}/1.jsonl"))).unwrap();
    assert!(log.contains("\"milestone_accepted\""), "{log}");

    // Attempt 2 claimed success, but the gate ran the check, refused every round, and failed it. The
    // forbidden check.sh was refused, and whatever it left is committed.
    assert_eq!(bad.state, AttemptState::Failed, "{bad:?}");
    assert_eq!(bad.claimed_success, Some(false));
    let error = bad.error.clone().unwrap_or_default();
    assert!(error.contains("refused milestone 1"), "{error}");
    let commit = bad.commit.clone().expect("the plan copy at least is committed");
    assert_eq!(repo.git(&["show", &format!("{commit}:check.sh")]), repo.git(&["show", &format!("{base}:check.sh")]));
    let log = std::fs::read_to_string(repo.path().join(format!(".braid/runs/{run}/2.jsonl"))).unwrap();
    assert!(log.contains("\"gate_refused\""), "{log}");
    let refused = server
        .requests()
        .iter()
        .flat_map(|r| r.tool_outputs())
        .filter(|(id, output)| id == "call_cheat" && output.contains("forbidden"))
        .count();
    assert!(refused >= 1, "the edit of check.sh was refused as forbidden");
}

#[test]
fn attempts_on_the_embedded_model_share_one_engine_and_all_finish() {
    let Some(model) = local_model(TEST_MODEL) else { return };
    let _model = crate::harness::one_model_at_a_time();
    let repo = TempRepo::new();
    repo.write("notes.txt", "one\n");
    repo.commit_all("notes");
    let before = tree_snapshot(repo.path());
    let env = Env::with_config(&format!(
        "model_provider = \"local\"\nmax_turns = 2\n[local]\nmodel = \"{}\"\ncontext_tokens = 4096\n",
        model.display()
    ));
    // The tiny model may do anything; what is under test is that two attempts decode side by side on one
    // loaded engine, each to a final state with its own branch and its own token counts.
    let out = env
        .braid(repo.path())
        .args(["run", "Append the word two to notes.txt.", "-n", "2", "-j", "2"])
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    before.assert_same(&tree_snapshot(repo.path()));
    let detail = only_run(&repo);
    assert_eq!(detail.attempts.len(), 2, "{stderr}");
    for attempt in &detail.attempts {
        assert!(matches!(attempt.state, AttemptState::Committed | AttemptState::Failed), "{attempt:?}\n{stderr}");
        assert!(attempt.tokens.input > 0 && attempt.tokens.output > 0, "{attempt:?}\n{stderr}");
        let log = repo.path().join(format!(".braid/runs/{}/{}.jsonl", detail.run.id, attempt.n));
        assert!(log.exists(), "{}", log.display());
    }
    assert!(stderr.contains("2 committed") || stderr.contains("failed"), "{stderr}");
}
