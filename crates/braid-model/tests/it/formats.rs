//! The happy path of each wire format: deltas live, items assembled, usage read, the request shaped
//! and authenticated as the format requires.

use braid_model::WireApi;
use braid_protocol::{Item, ModelEvent, Usage};
use braid_test_support::{Reply, Script, ScriptedServer, Turn};

use crate::{WIRES, assert_standard_items, provider, run, standard_turn};

#[tokio::test]
async fn text_reasoning_and_tool_call_are_assembled_with_usage() {
    for wire in WIRES {
        let server = ScriptedServer::start(Script::new([Reply::Turn(standard_turn().usage(30, 9))]));
        let outcome = run(provider(wire, &server)).await;
        assert!(outcome.error.is_none(), "{wire:?}: {:?}", outcome.error);
        assert!(matches!(outcome.events.first(), Some(ModelEvent::Created { .. })), "{wire:?}");
        let text: String = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::TextDelta { delta } => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Hello there", "{wire:?}");
        let reasoning: String = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::ReasoningDelta { delta } => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reasoning, "Thinking it over", "{wire:?}");
        assert_standard_items(wire, &outcome.final_items());
        let Some(ModelEvent::Completed { usage: Some(usage), .. }) = outcome.events.last() else {
            panic!("{wire:?}: no usage in {:?}", outcome.events.last());
        };
        assert_eq!((usage.input_tokens, usage.output_tokens), (30, 9), "{wire:?}: {usage:?}");
        assert!(outcome.retries().is_empty(), "{wire:?}");
    }
}

#[tokio::test]
async fn requests_carry_the_format_headers_and_body() {
    for wire in WIRES {
        let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("ok"))]));
        let outcome = run(provider(wire, &server)).await;
        assert_eq!(outcome.final_items(), vec![Item::assistant("ok")], "{wire:?}");
        let requests = server.requests();
        let [request] = requests.as_slice() else { panic!("{wire:?}: {requests:?}") };
        assert_eq!(request.header("x-braid-test"), Some("yes"), "{wire:?}");
        assert_eq!(request.body["stream"], true, "{wire:?}");
        assert_eq!(request.body["model"], "test-model", "{wire:?}");
        assert_eq!(request.user_texts(), vec!["list the files".to_owned()], "{wire:?}");
        assert_eq!(request.tool_names(), vec!["shell".to_owned()], "{wire:?}");
        assert_eq!(request.instructions().as_deref(), Some("You are terse."), "{wire:?}");
        match wire {
            WireApi::Responses | WireApi::Chat => {
                assert_eq!(request.header("authorization"), Some("Bearer sk-test"), "{wire:?}");
            }
            WireApi::Anthropic => {
                assert_eq!(request.header("x-api-key"), Some("sk-test"));
                assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(request.header("authorization"), None);
            }
        }
    }
}

#[tokio::test]
async fn chat_reports_usage_when_asked_for_it() {
    // `stream_options.include_usage` is what makes Chat servers send the usage chunk at all.
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("ok").usage(5, 2))]));
    let outcome = run(provider(WireApi::Chat, &server)).await;
    let Some(ModelEvent::Completed { usage, .. }) = outcome.events.last() else { panic!("{:?}", outcome.events) };
    assert_eq!(usage, &Some(Usage { input_tokens: 5, output_tokens: 2, ..Usage::default() }));
}

#[tokio::test]
async fn invalid_json_arguments_are_kept_verbatim() {
    for wire in WIRES {
        let turn = Turn::new().tool_call_raw("c9", "shell", "{\"cmd\": \"ls");
        let server = ScriptedServer::start(Script::new([Reply::Turn(turn)]));
        let outcome = run(provider(wire, &server)).await;
        let expected =
            Item::ToolCall { call_id: "c9".into(), name: "shell".into(), arguments: "{\"cmd\": \"ls".into() };
        assert_eq!(outcome.final_items(), vec![expected], "{wire:?}");
    }
}

#[tokio::test]
async fn tool_outputs_go_back_once_per_call_in_every_format() {
    for wire in WIRES {
        let script = Script::new([Reply::Turn(standard_turn()), Reply::Turn(Turn::new().text("done"))]);
        let server = ScriptedServer::start(script);
        let first = run(provider(wire, &server)).await;
        let mut next = crate::prompt();
        next.input.extend(first.final_items());
        next.input.push(Item::tool_output("c1", "a.txt\nb.txt", true));
        let second = crate::run_prompt(provider(wire, &server), next).await;
        assert_eq!(second.final_items(), vec![Item::assistant("done")], "{wire:?}");
        let requests = server.requests();
        assert_eq!(requests[1].tool_outputs(), vec![("c1".to_owned(), "a.txt\nb.txt".to_owned())], "{wire:?}");
        server.assert_every_tool_call_answered_once();
        if wire == WireApi::Anthropic {
            // The thinking block goes back with the signature the server gave it.
            let content = &requests[1].body["messages"][1]["content"];
            assert_eq!(content[0]["type"], "thinking", "{content}");
            assert!(content[0]["signature"].as_str().is_some_and(|s| !s.is_empty()), "{content}");
        }
    }
}
