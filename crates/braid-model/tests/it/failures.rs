//! Failures that must not be retried, and the messages they carry.

use braid_model::{ModelError, WireApi, client_for};
use braid_test_support::{Reply, Script, ScriptedServer};

use crate::{WIRES, provider, run, standard_turn};

#[tokio::test]
async fn unauthorized_names_the_key_variable_and_is_not_retried() {
    for wire in WIRES {
        let reply = Reply::HttpError { status: 401, body: "invalid key".into(), retry_after: None };
        let server = ScriptedServer::start(Script::new([reply, Reply::Turn(standard_turn())]));
        let outcome = run(provider(wire, &server)).await;
        let Some(error @ ModelError::Unauthorized { .. }) = &outcome.error else {
            panic!("{wire:?}: {:?}", outcome.error)
        };
        let message = error.to_string();
        assert!(message.contains("check your API key in $BRAID_TEST_KEY"), "{wire:?}: {message}");
        assert!(message.contains(&server.base_url()), "{wire:?}: {message}");
        assert!(outcome.retries().is_empty(), "{wire:?}");
        assert_eq!(server.requests().len(), 1, "{wire:?}");
    }
}

#[tokio::test]
async fn forbidden_without_a_key_says_none_is_configured() {
    let reply = Reply::HttpError { status: 403, body: "no".into(), retry_after: None };
    let server = ScriptedServer::start(Script::new([reply]));
    let mut provider = provider(WireApi::Chat, &server);
    provider.api_key = None;
    provider.env_key = None;
    let outcome = run(provider).await;
    let message = outcome.error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("no API key is configured for provider `scripted`"), "{message}");
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn malformed_event_is_a_clear_error() {
    for wire in WIRES {
        let raw = Reply::Raw { content_type: "text/event-stream".into(), body: "data: {not json\n\n".into() };
        let server = ScriptedServer::start(Script::new([raw, Reply::Turn(standard_turn())]));
        let outcome = run(provider(wire, &server)).await;
        let Some(error @ ModelError::Malformed { excerpt, .. }) = &outcome.error else {
            panic!("{wire:?}: {:?}", outcome.error)
        };
        assert_eq!(excerpt, "{not json", "{wire:?}");
        let message = error.to_string();
        assert!(message.contains("not JSON"), "{wire:?}: {message}");
        assert!(message.contains(&server.base_url()), "{wire:?}: {message}");
        assert_eq!(server.requests().len(), 1, "{wire:?}");
    }
}

#[tokio::test]
async fn client_error_status_is_not_retried() {
    let reply = Reply::HttpError { status: 400, body: "bad request: unknown field".into(), retry_after: None };
    let server = ScriptedServer::start(Script::new([reply]));
    let outcome = run(provider(WireApi::Responses, &server)).await;
    let Some(ModelError::Http { status: 400, body, url, .. }) = &outcome.error else { panic!("{:?}", outcome.error) };
    assert_eq!(body, "bad request: unknown field");
    assert_eq!(url, &format!("{}/responses", server.base_url()));
    assert!(outcome.retries().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // A port that was just free and is closed again: connecting to it is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = ScriptedServer::start(Script::new([]));
    let mut provider = provider(WireApi::Anthropic, &server);
    provider.base_url = format!("http://127.0.0.1:{port}/v1");
    provider.retry.max_retries = 1;
    let outcome = run(provider).await;
    assert_eq!(outcome.retries().len(), 1);
    let Some(error @ ModelError::Transport { .. }) = &outcome.error else { panic!("{:?}", outcome.error) };
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}/v1/messages")), "{error}");
}

#[test]
fn invalid_header_is_a_config_error() {
    let server = ScriptedServer::start(Script::new([]));
    let mut provider = provider(WireApi::Responses, &server);
    provider.headers.insert("bad header".into(), "x".into());
    let Err(error) = client_for(provider) else { panic!("client built with a bad header") };
    let message = error.to_string();
    assert!(message.contains("`bad header` is not a valid HTTP header name"), "{message}");
}
