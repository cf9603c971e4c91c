//! Test fixtures shared by braid's integration tests: a scripted model server on 127.0.0.1 that speaks the
//! Responses, Chat Completions and Anthropic Messages wire formats, temporary git repositories, and a
//! fake external agent CLI (`fake-agent`, playing Codex, Claude Code or a plain agent), headless Chromium
//! for tests of HTML output, and a private tmux pane for tests of the interactive session.
//!
//! This crate is only ever a dev-dependency. Panicking on a broken fixture is the right failure here, so
//! the unwrap/expect lints are allowed; spawning processes (git for temp repos) is allowed too.
//!
//! A typical model-client test scripts the replies, points the client at `base_url()`, and checks what
//! the client sent:
//!
//! ```no_run
//! use braid_test_support::{Reply, Script, ScriptedServer, Turn};
//! use serde_json::json;
//!
//! let server = ScriptedServer::start(Script::new([
//!     Reply::Turn(Turn::new().tool_call("call_1", "shell", json!({"command": "ls"}))),
//!     Reply::Turn(Turn::new().text("All done.")),
//! ]));
//! let base_url = server.base_url(); // e.g. http://127.0.0.1:41234/v1
//! // ... run the client against base_url ...
//! assert_eq!(server.remaining(), 0);
//! server.assert_every_tool_call_answered_once();
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod background;
mod check;
mod chromium;
mod fake_agent;
mod gguf;
mod github;
mod local_model;
mod request;
mod script;
mod server;
mod snapshot;
mod stream;
mod temp_repo;
mod tmux;
pub use chromium::{Page, chromium};
pub use fake_agent::{compile_fake_agent, fake_agent_bin_dir, fake_agent_path};
pub use gguf::gguf_header;
pub use github::{FakeGithub, FakePull, GithubRequest};
pub use local_model::{TEST_MODEL, local_model};

pub use request::{RecordedRequest, Wire};
pub use script::{Reply, Script, Turn};
pub use server::{Responder, ScriptedServer};
pub use snapshot::{TreeSnapshot, tree_snapshot};
pub use temp_repo::TempRepo;
pub use tmux::{Tmux, tmux_available};

/// Reports that a test cannot run because `reason`: a failure when `require_var` is `1` (set by
/// `cargo xtask test` after it installed what the test needs), otherwise a skip said on stderr, never a
/// silent one.
pub fn unavailable(require_var: &str, reason: &str) {
    if std::env::var(require_var).is_ok_and(|v| v == "1") {
        panic!("{reason}");
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("skipped: {reason}");
    }
}
