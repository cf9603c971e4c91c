//! Builds sessions wired to a scripted server and collects their events.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_core::config::ToolsToml;
use braid_core::{Session, SessionOptions};
use braid_model::{ProviderConfig, RetryConfig, WireApi};
use braid_protocol::AgentEvent;
use braid_test_support::ScriptedServer;

pub const WIRES: [WireApi; 3] = [WireApi::Responses, WireApi::Chat, WireApi::Anthropic];

pub fn provider(server: &ScriptedServer, wire: WireApi) -> ProviderConfig {
    ProviderConfig {
        name: "scripted".into(),
        base_url: server.base_url(),
        wire_api: wire,
        api_key: Some("test-key".into()),
        env_key: Some("SCRIPTED_API_KEY".into()),
        headers: Default::default(),
        retry: RetryConfig {
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(5),
        },
        stream_idle_timeout: Duration::from_millis(500),
    }
}

pub fn options(cwd: &Path, home: Option<&Path>) -> SessionOptions {
    SessionOptions {
        home: home.map(Path::to_path_buf),
        max_turns: 10,
        // A window large enough that the short scripted sessions never compact.
        context_window: Some(1_000_000),
        ..SessionOptions::new("scripted-model", "scripted", cwd.to_path_buf())
    }
}

/// Events a session emitted, shared with the test.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<AgentEvent>>>);

impl Events {
    pub fn sink(&self) -> braid_core::EventSink {
        let events = self.0.clone();
        Box::new(move |event| events.lock().unwrap().push(event.clone()))
    }

    pub fn all(&self) -> Vec<AgentEvent> {
        self.0.lock().unwrap().clone()
    }

    /// Tool outputs by tool name, in order.
    pub fn tool_ends(&self) -> Vec<(String, bool, String)> {
        self.all()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::ToolCallEnd { name, success, output, .. } => Some((name, success, output)),
                _ => None,
            })
            .collect()
    }
}

pub fn start(server: &ScriptedServer, wire: WireApi, cwd: &Path, home: Option<&Path>) -> (Session, Events) {
    start_with(server, wire, options(cwd, home))
}

/// A session on the scripted server with these options.
pub fn start_with(server: &ScriptedServer, wire: WireApi, options: SessionOptions) -> (Session, Events) {
    let events = Events::default();
    let session = Session::start(options, client(server, wire), tools(), events.sink()).unwrap();
    (session, events)
}

pub fn client(server: &ScriptedServer, wire: WireApi) -> std::sync::Arc<dyn braid_model::ModelClient> {
    braid_model::client_for(provider(server, wire)).unwrap()
}

pub fn tools() -> braid_tools::ToolRegistry {
    braid_core::tools::default_registry(&ToolsToml::default(), Default::default())
}
