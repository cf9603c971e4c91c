//! Plan-driven execution against the scripted model server: a real session with real tools and the real
//! sandbox in a temp git repository, driven milestone by milestone, with the plan file read at each
//! accepted milestone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_core::tools::{Commands, default_registry};
use braid_core::{Session, SessionOptions};
use braid_model::{ProviderConfig, RetryConfig, WireApi};
use braid_orchestra::author::{NewPlan, render};
use braid_orchestra::execute::{CheckRunner, PlanEvent, PlanExecution, PlanSink};
use braid_orchestra::plan::Plan;
use braid_protocol::AgentEvent;
use braid_sandbox::{Confinement, PathGlobs, Policy, SandboxSpec, forbidden_mounts};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

const PLAN: &str = "plans/files.md";

/// A two-milestone plan: create one.txt, then two.txt; locked.txt and vendor/ are forbidden.
fn write_plan(repo: &TempRepo) {
    let plan: NewPlan = serde_json::from_value(json!({
        "title": "Add the two files",
        "purpose": "Both files exist.",
        "context": "An empty repository apart from locked.txt.",
        "milestones": [
            {"title": "Create one.txt", "scope": "one.txt", "acceptance": "one.txt exists", "checks": ["one"]},
            {"title": "Create two.txt", "scope": "two.txt", "acceptance": "two.txt says two", "checks": ["two"]}
        ],
        "validation": "Both checks pass.",
        "scope": ["one.txt", "two.txt"],
        "forbidden": ["locked.txt", "vendor/**"],
        "checks": [{"name": "one", "command": "test -f one.txt"}, {"name": "two", "command": "grep -q two two.txt"}]
    }))
    .unwrap();
    repo.write(PLAN, &render(&plan, chrono::Utc::now()));
    repo.write("locked.txt", "do not touch\n");
    repo.write("vendor/lib.txt", "vendored\n");
    repo.commit_all("plan");
}

fn patch(body: &str) -> serde_json::Value {
    json!({ "input": format!("*** Begin Patch\n{body}*** End Patch\n") })
}

fn tick(milestone: u32, title: &str) -> String {
    format!(
        "*** Update File: {PLAN}\n@@\n-- [ ] Milestone {milestone}: {title}\n+- [x] (2026-11-22 10:0{milestone}Z) Milestone {milestone}: {title}\n"
    )
}

fn provider(server: &ScriptedServer) -> ProviderConfig {
    ProviderConfig {
        name: "scripted".into(),
        base_url: server.base_url(),
        wire_api: WireApi::Responses,
        api_key: Some("test-key".into()),
        env_key: None,
        headers: Default::default(),
        retry: RetryConfig {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(1),
        },
        stream_idle_timeout: Duration::from_secs(5),
    }
}

struct Run {
    events: Arc<Mutex<Vec<PlanEvent>>>,
    agent: Arc<Mutex<Vec<AgentEvent>>>,
    /// The plan file's text when each milestone was accepted.
    accepted_plans: Arc<Mutex<Vec<String>>>,
    outcome: braid_orchestra::execute::PlanOutcome,
}

/// Executes the plan in `repo` as `braid exec --plan` does: forbidden paths refused by the file tools
/// and mounted read-only for commands, checks under the same sandbox.
async fn execute(repo: &TempRepo, server: &ScriptedServer, fix_rounds: u32) -> Run {
    let root = repo.path().canonicalize().unwrap();
    let forbidden = PathGlobs::new(&["locked.txt".to_string(), "vendor/**".to_string()]).unwrap();
    let spec = SandboxSpec {
        policy: Policy::WorkspaceWrite,
        writable_roots: vec![root.clone(), std::env::temp_dir()],
        network: false,
        deny_read: Vec::new(),
        read_only: forbidden_mounts(&root, &forbidden),
    };
    let confinement = Some(Arc::new(Confinement::prepare(&spec).unwrap()));
    let commands = Commands { env: Default::default(), confinement: confinement.clone(), offer_escalation: false };
    let options = SessionOptions {
        context_window: Some(1_000_000),
        max_turns: 20,
        forbidden: forbidden.clone(),
        ..SessionOptions::new("scripted-model", "scripted", root.clone())
    };
    let agent = Arc::new(Mutex::new(Vec::new()));
    let agent_events = agent.clone();
    let client = braid_model::client_for(provider(server)).unwrap();
    let tools = default_registry(&Default::default(), commands);
    let mut session =
        Session::start(options, client, tools, Box::new(move |event| agent_events.lock().unwrap().push(event.clone())))
            .unwrap();
    let execution = PlanExecution {
        plan_path: root.join(PLAN),
        root: root.clone(),
        path_var: std::env::var_os("PATH"),
        checks: CheckRunner { env_policy: Default::default(), confinement },
        fix_rounds,
        instructions: None,
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let accepted_plans = Arc::new(Mutex::new(Vec::new()));
    let (sink_events, sink_plans, plan_path) = (events.clone(), accepted_plans.clone(), root.join(PLAN));
    let mut sink: PlanSink = Box::new(move |event: &PlanEvent| {
        if matches!(event, PlanEvent::MilestoneAccepted { .. }) {
            sink_plans.lock().unwrap().push(std::fs::read_to_string(&plan_path).unwrap());
        }
        sink_events.lock().unwrap().push(event.clone());
    });
    let outcome = execution.run(&mut session, &mut sink, &braid_core::session::CancellationToken::new()).await.unwrap();
    Run { events, agent, accepted_plans, outcome }
}

fn tool_output(agent: &[AgentEvent], call: &str) -> (bool, String) {
    agent
        .iter()
        .find_map(|e| match e {
            AgentEvent::ToolCallEnd { call_id, success, output, .. } if call_id == call => {
                Some((*success, output.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no output for {call}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_milestones_are_gated_on_checks_progress_and_the_decision_log_and_forbidden_paths_are_refused() {
    let repo = TempRepo::new();
    write_plan(&repo);
    let decision = format!(
        "*** Update File: {PLAN}\n@@\n-No decisions yet.\n+- Decision: Keep notes.txt beside the files.\n+  Rationale: The reviewer wants a record.\n+  Date: 2026-11-22 10:05Z\n"
    );
    let server = ScriptedServer::start(Script::new([
        // Milestone 1, turn 1: the work, two attempts at the forbidden file, but Progress left alone.
        Reply::Turn(Turn::new().tool_call("add_one", "apply_patch", patch("*** Add File: one.txt\n+one\n"))),
        Reply::Turn(Turn::new().tool_call(
            "patch_locked",
            "apply_patch",
            patch("*** Update File: locked.txt\n@@\n-do not touch\n+touched\n"),
        )),
        Reply::Turn(Turn::new().tool_call(
            "shell_locked",
            "shell",
            json!({"command": ["sh", "-c", "echo touched > locked.txt"]}),
        )),
        Reply::Turn(Turn::new().tool_call(
            "shell_vendor",
            "shell",
            json!({"command": ["sh", "-c", "echo new > vendor/new.txt"]}),
        )),
        Reply::Turn(Turn::new().text("Milestone 1 is done.")),
        // Turn 2, after the gate's refusal: tick Progress.
        Reply::Turn(Turn::new().tool_call("tick_one", "apply_patch", patch(&tick(1, "Create one.txt")))),
        Reply::Turn(Turn::new().text("Progress is updated.")),
        // Milestone 2: the work, a file outside the scope, Progress and the Decision Log, in one turn.
        Reply::Turn(Turn::new().tool_call(
            "add_two",
            "apply_patch",
            patch(&format!("*** Add File: two.txt\n+two\n*** Add File: notes.txt\n+why\n{}{decision}", tick(2, "Create two.txt"))),
        )),
        Reply::Turn(Turn::new().text("Milestone 2 is done.")),
        // The retrospective.
        Reply::Turn(Turn::new().tool_call(
            "outcomes",
            "apply_patch",
            patch(&format!("*** Update File: {PLAN}\n@@\n-To be written when the work is done.\n+Both files exist; notes.txt records why.\n")),
        )),
        Reply::Turn(Turn::new().text("All done.")),
    ]));
    let run = execute(&repo, &server, 2).await;
    server.assert_every_tool_call_answered_once();
    let agent = run.agent.lock().unwrap().clone();

    // The forbidden file was refused by the edit tool and by the sandbox, and is unchanged.
    let (ok, output) = tool_output(&agent, "patch_locked");
    assert!(!ok && output.contains("forbidden") && output.contains("locked.txt"), "{output}");
    let (ok, output) = tool_output(&agent, "shell_locked");
    assert!(!ok && braid_sandbox::looks_denied(&output), "{output}");
    let (ok, output) = tool_output(&agent, "shell_vendor");
    assert!(!ok && braid_sandbox::looks_denied(&output), "{output}");
    assert_eq!(repo.read("locked.txt"), "do not touch\n");
    assert!(!repo.path().join("vendor/new.txt").exists());

    let events = run.events.lock().unwrap().clone();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            PlanEvent::MilestoneStarted { number, .. } => format!("started {number}"),
            PlanEvent::CheckFinished { result, .. } => format!("check {} {}", result.name, result.passed),
            PlanEvent::GateRefused { milestone, problems, .. } => format!("refused {milestone}: {}", problems.len()),
            PlanEvent::OutOfScope { paths, .. } => format!("out of scope {}", paths.join(",")),
            PlanEvent::MilestoneAccepted { number, rounds } => format!("accepted {number} after {rounds}"),
            PlanEvent::MilestoneSkipped { number, .. } => format!("skipped {number}"),
            PlanEvent::Finished { completed, accepted, total } => format!("finished {completed} {accepted}/{total}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "started 1",
            "check one true",
            "refused 1: 1",
            "check one true",
            "accepted 1 after 2",
            "started 2",
            "check two true",
            "out of scope notes.txt",
            "accepted 2 after 1",
            "finished true 2/2",
        ]
    );
    let refusal = events.iter().find_map(|e| match e {
        PlanEvent::GateRefused { problems, .. } => Some(problems[0].clone()),
        _ => None,
    });
    assert!(refusal.unwrap().contains("Progress in plans/files.md shows nothing new"));

    // The plan as it stood when each milestone was accepted.
    let plans = run.accepted_plans.lock().unwrap().clone();
    let (first, _) = Plan::parse(&plans[0]);
    assert!(first.progress[1].done && first.progress[1].timestamp.is_some(), "{:?}", first.progress);
    assert!(!first.progress[2].done);
    assert!(first.decisions.is_empty());
    let (second, _) = Plan::parse(&plans[1]);
    assert!(second.progress[2].done);
    assert_eq!(second.decisions.len(), 1);
    assert_eq!(second.decisions[0].decision, "Keep notes.txt beside the files.");

    // The end: the agent's retrospective and braid's record under Outcomes.
    let text = repo.read(PLAN);
    let (plan, _) = Plan::parse(&text);
    let outcomes = plan.section(braid_orchestra::plan::SectionKind::Outcomes).unwrap().body_text(&text);
    assert!(outcomes.contains("Both files exist; notes.txt records why."), "{outcomes}");
    assert!(
        outcomes.contains("- Milestone 1 (Create one.txt): accepted after 2 turns; checks: one passed"),
        "{outcomes}"
    );
    assert!(outcomes.contains("changed outside scope: notes.txt"), "{outcomes}");
    assert!(run.outcome.completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_milestone_the_gate_keeps_refusing_stops_the_run_and_the_record_says_why() {
    let repo = TempRepo::new();
    write_plan(&repo);
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("I think it is done.")),
        Reply::Turn(Turn::new().text("Still done.")),
    ]));
    let run = execute(&repo, &server, 1).await;
    assert!(!run.outcome.completed);
    let record = &run.outcome.milestones[0];
    assert_eq!((record.number, record.accepted, record.rounds), (1, false, 2));
    assert!(
        record.problems.iter().any(|p| p.contains("check `one` (`test -f one.txt`) failed: exit 1")),
        "{:?}",
        record.problems
    );
    let events = run.events.lock().unwrap().clone();
    assert!(!events.iter().any(|e| matches!(e, PlanEvent::MilestoneStarted { number: 2, .. })));
    assert_eq!(events.last(), Some(&PlanEvent::Finished { completed: false, accepted: 0, total: 2 }));
    let text = repo.read(PLAN);
    assert!(text.contains("- Milestone 1 (Create one.txt): not accepted after 2 turns"), "{text}");
    assert!(text.contains("The run stopped there"));
    // One request per turn: milestone 2 was never prompted, and no retrospective was asked for.
    assert_eq!(server.requests().len(), 2);
}
