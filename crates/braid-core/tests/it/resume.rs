//! Resuming a recorded session continues the same conversation.

use braid_core::Session;
use braid_core::config::ToolsToml;
use braid_core::session::CancellationToken;
use braid_model::WireApi;
use braid_protocol::{AgentEvent, Item};
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};

use crate::harness::{Events, options, provider, start};

#[tokio::test]
async fn resume_sends_the_recorded_history_and_appends_to_the_same_file() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().text("first answer")),
        Reply::Turn(Turn::new().text("second answer")),
    ]));
    let (mut session, _) = start(&server, WireApi::Responses, repo.path(), Some(home.path()));
    session.run_turn("first question", &CancellationToken::new()).await.unwrap();
    let path = session.rollout_path().unwrap().to_path_buf();
    let id = session.id().to_string();
    drop(session);

    let events = Events::default();
    let client = braid_model::client_for(provider(&server, WireApi::Responses)).unwrap();
    let tools = braid_core::tools::default_registry(&ToolsToml::default());
    let mut resumed =
        Session::resume(options(repo.path(), Some(home.path())), client, tools, events.sink(), &path).unwrap();
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
