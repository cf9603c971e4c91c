//! Resuming a recorded session continues the same conversation.

use std::path::{Path, PathBuf};

use braid_core::Session;
use braid_core::session::CancellationToken;
use braid_model::WireApi;
use braid_protocol::{AgentEvent, Item};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};

use crate::harness::{Events, client, options, start, tools};

/// A session with one recorded turn ("first question", answered by the script's first reply), ended;
/// returns its rollout and id.
async fn one_recorded_turn(server: &ScriptedServer, wire: WireApi, repo: &TempRepo, home: &Path) -> (PathBuf, String) {
    let (mut session, _) = start(server, wire, repo.path(), Some(home));
    session.run_turn("first question", &CancellationToken::new()).await.unwrap();
    (session.rollout_path().unwrap().to_path_buf(), session.id().to_string())
}

/// Resumes the session recorded at `path`.
fn resume(server: &ScriptedServer, wire: WireApi, repo: &TempRepo, home: &Path, path: &Path) -> (Session, Events) {
    let events = Events::default();
    let session =
        Session::resume(options(repo.path(), Some(home)), client(server, wire), tools(), events.sink(), path).unwrap();
    (session, events)
}

#[tokio::test]
async fn resume_sends_the_recorded_history_and_appends_to_the_same_file() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("first answer")),
        Reply::Turn(Turn::new().text("second answer")),
    ]));
    let (path, id) = one_recorded_turn(&server, WireApi::Responses, &repo, home.path()).await;
    let (mut resumed, events) = resume(&server, WireApi::Responses, &repo, home.path(), &path);
    assert_eq!(resumed.id(), id);
    resumed.run_turn("second question", &CancellationToken::new()).await.unwrap();

    let second = &server.requests()[1];
    let texts = second.user_texts();
    assert!(texts.iter().any(|t| t.contains("first question")) && texts.iter().any(|t| t.contains("second question")));
    assert!(second.body.to_string().contains("first answer"));
    assert!(matches!(events.all()[0], AgentEvent::SessionStarted { resumed: true, .. }));
    let recorded = braid_core::rollout::read(&path).unwrap();
    assert_eq!(recorded.items.iter().filter(|i| matches!(i, Item::Message { .. })).count(), 5);
}

#[tokio::test]
async fn resume_answers_a_call_the_crash_left_open_without_running_it() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("first answer")),
        Reply::Turn(Turn::new().text("carried on")),
    ]));
    let (path, _) = one_recorded_turn(&server, WireApi::Chat, &repo, home.path()).await;
    // What a kill leaves behind: a call recorded before it ran (it would have created the file), and
    // half of the next line.
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        let call = Item::ToolCall {
            call_id: "c-open".into(),
            name: "shell".into(),
            arguments: r#"{"command":["touch","ran.txt"]}"#.into(),
        };
        let line = braid_core::rollout::RolloutLine::Item { timestamp: chrono::Utc::now(), item: call };
        writeln!(file, "{}", serde_json::to_string(&line).unwrap()).unwrap();
        file.write_all(br#"{"type":"event","timest"#).unwrap();
    }

    let (mut resumed, events) = resume(&server, WireApi::Chat, &repo, home.path(), &path);
    let warnings: Vec<String> = events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::Warning { message } => Some(message),
            _ => None,
        })
        .collect();
    assert!(warnings.iter().any(|w| w.contains("partial line")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("c-open") && w.contains("not run again")), "{warnings:?}");
    resumed.run_turn("go on", &CancellationToken::new()).await.unwrap();
    assert!(!repo.path().join("ran.txt").exists(), "the open call is never run");
    let outputs = server.requests()[1].tool_outputs();
    assert_eq!(outputs.len(), 1);
    assert_eq!(
        (outputs[0].0.as_str(), outputs[0].1.as_str()),
        ("c-open", braid_core::session::INTERRUPTED_CALL_OUTPUT)
    );
    // The answer is recorded, so a second resume finds nothing open.
    let again = braid_core::rollout::read(&path).unwrap();
    assert!(again.unanswered_calls().is_empty());
}

#[tokio::test]
async fn fork_copies_a_prefix_into_a_new_session_and_leaves_the_original() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call(
            "p1",
            "update_plan",
            serde_json::json!({"plan": [{"step": "pick a name", "status": "in_progress"}]}),
        )),
        Reply::Turn(Turn::new().text("named it alpha")),
        Reply::Turn(Turn::new().text("renamed to beta")),
        Reply::Turn(Turn::new().text("on the fork, still alpha")),
    ]));
    let (mut session, _) = start(&server, WireApi::Responses, repo.path(), Some(home.path()));
    let cancel = CancellationToken::new();
    session.run_turn("name it", &cancel).await.unwrap();
    session.run_turn("rename it", &cancel).await.unwrap();
    let original = session.rollout_path().unwrap().to_path_buf();
    let before = std::fs::read(&original).unwrap();
    let original_id = session.id().to_string();
    drop(session);

    let events = Events::default();
    let options = options(repo.path(), Some(home.path()));
    let mut fork =
        Session::fork(options.clone(), client(&server, WireApi::Responses), tools(), events.sink(), &original, Some(1))
            .unwrap();
    assert_ne!(fork.id(), original_id);
    assert!(matches!(&events.all()[0], AgentEvent::SessionStarted { forked_from: Some(id), .. } if *id == original_id));
    fork.run_turn("what is it called?", &cancel).await.unwrap();
    let sent = server.requests()[3].body.to_string();
    assert!(sent.contains("named it alpha") && !sent.contains("renamed to beta") && !sent.contains("rename it"));
    assert_eq!(std::fs::read(&original).unwrap(), before, "the original rollout is untouched");

    // The fork is a session of its own: it resumes with its plan and names where it came from.
    let forked = braid_core::rollout::read(fork.rollout_path().unwrap()).unwrap();
    assert_eq!(
        forked.meta.forked_from.as_ref().map(|o| (o.session_id.as_str(), o.turns)),
        Some((original_id.as_str(), 1))
    );
    assert_eq!(forked.plan.unwrap().items[0].step, "pick a name");
    assert_eq!(forked.turns, 2);

    let err = Session::fork(
        options,
        client(&server, WireApi::Responses),
        tools(),
        Events::default().sink(),
        &original,
        Some(5),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("has 2 user turns; --at takes 0 to 2"), "{err}");
}
