//! The session's approval gate with an approver standing in for a person: "approve for the session"
//! stops later questions about the same command prefix, the model sees the escalation arguments only
//! under `on-request`, and an interruption while a question is open ends the turn with every call
//! answered.

use std::sync::{Arc, Mutex};

use braid_core::SessionError;
use braid_core::approval::Approver;
use braid_core::session::CancellationToken;
use braid_model::WireApi;
use braid_protocol::{AgentEvent, ApprovalDecision, ApprovalPolicy, ApprovalRequest, DecidedBy, Item};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use futures::future::BoxFuture;
use serde_json::json;

use crate::harness::{options, start_with};

/// Answers with the scripted decisions in order and records every request; with none left it never
/// answers (a person who walked away).
#[derive(Default)]
struct Person {
    answers: Mutex<Vec<ApprovalDecision>>,
    asked: Mutex<Vec<ApprovalRequest>>,
}

impl Approver for Person {
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, (ApprovalDecision, DecidedBy)> {
        self.asked.lock().unwrap().push(request.clone());
        let next = {
            let mut answers = self.answers.lock().unwrap();
            (!answers.is_empty()).then(|| answers.remove(0))
        };
        Box::pin(async move {
            match next {
                Some(decision) => (decision, DecidedBy::User),
                None => std::future::pending().await,
            }
        })
    }
}

fn shell(call_id: &str, line: &str) -> Turn {
    Turn::new().tool_call(call_id, "shell", json!({"command": ["bash", "-lc", line]}))
}

#[tokio::test]
async fn approving_for_the_session_stops_questions_about_that_command_prefix() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(shell("c1", "touch a.txt")),
        Reply::Turn(shell("c2", "touch b.txt")),
        Reply::Turn(shell("c3", "touch b.txt")),
        Reply::Turn(shell("c4", "rm a.txt")),
        Reply::Turn(Turn::new().text("done")),
    ]));
    let options =
        braid_core::SessionOptions { approval_policy: ApprovalPolicy::Untrusted, ..options(repo.path(), None) };
    let (mut session, events) = start_with(&server, WireApi::Responses, options);
    let person = Arc::new(Person::default());
    *person.answers.lock().unwrap() =
        vec![ApprovalDecision::Approve, ApprovalDecision::ApproveForSession, ApprovalDecision::Deny];
    session.set_approver(person.clone());
    session.run_turn("make files", &CancellationToken::new()).await.unwrap();

    let asked: Vec<String> = person.asked.lock().unwrap().iter().map(|r| r.call_id.clone()).collect();
    assert_eq!(asked, ["c1", "c2", "c4"], "c3 repeats the command approved for the session");
    let request = &person.asked.lock().unwrap()[1];
    assert_eq!(request.session_scope, "`touch b.txt`");
    assert_eq!(request.cwd, repo.path().display().to_string());
    assert!(repo.path().join("a.txt").exists(), "the denied rm did not run");
    assert!(repo.path().join("b.txt").exists());

    // Each question is followed by its answer, and then by the call it was about.
    let kinds: Vec<&str> = events
        .all()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ApprovalRequested { .. } => Some("asked"),
            AgentEvent::ApprovalDecided { .. } => Some("decided"),
            AgentEvent::ToolCallBegin { .. } => Some("begin"),
            AgentEvent::ToolCallEnd { .. } => Some("end"),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "asked", "decided", "begin", "end", "asked", "decided", "begin", "end", "begin", "end", "asked", "decided",
            "begin", "end"
        ]
    );
    // The model was not offered escalation under `untrusted`.
    let requests = server.requests();
    let properties = &requests[0].body["tools"][0]["parameters"]["properties"];
    assert!(properties.get("with_escalated_permissions").is_none(), "{properties}");
}

#[tokio::test]
async fn an_edit_under_untrusted_is_asked_about_and_a_denied_patch_writes_nothing() {
    let repo = TempRepo::new();
    let patch = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** End Patch\n";
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("p1", "apply_patch", json!({"input": patch}))),
        Reply::Turn(Turn::new().text("ok")),
    ]));
    let options =
        braid_core::SessionOptions { approval_policy: ApprovalPolicy::Untrusted, ..options(repo.path(), None) };
    let (mut session, _events) = start_with(&server, WireApi::Responses, options);
    let person = Arc::new(Person::default());
    *person.answers.lock().unwrap() = vec![ApprovalDecision::Deny];
    session.set_approver(person.clone());
    session.run_turn("add a file", &CancellationToken::new()).await.unwrap();
    let request = person.asked.lock().unwrap()[0].clone();
    assert_eq!(request.changes.len(), 1);
    assert_eq!(request.changes[0].path, "new.txt");
    assert_eq!(request.session_scope, "file edits in the workspace");
    assert!(!repo.path().join("new.txt").exists());
}

#[tokio::test]
async fn an_interruption_while_a_question_is_open_ends_the_turn_with_the_call_answered() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::Turn(shell("c1", "touch a.txt"))]));
    let options =
        braid_core::SessionOptions { approval_policy: ApprovalPolicy::Untrusted, ..options(repo.path(), None) };
    let (mut session, events) = start_with(&server, WireApi::Responses, options);
    session.set_approver(Arc::new(Person::default()));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let err = session.run_turn("touch", &cancel).await.unwrap_err();
    assert!(matches!(err, SessionError::Interrupted), "{err}");
    let last = session.history().last().unwrap();
    assert!(matches!(last, Item::ToolOutput { call_id, success: false, .. } if call_id == "c1"), "{last:?}");
    assert!(events.all().iter().any(|e| matches!(
        e,
        AgentEvent::ApprovalDecided { decided_by: DecidedBy::Interrupt, decision: ApprovalDecision::Abort, .. }
    )));
    assert!(!repo.path().join("a.txt").exists());
}
