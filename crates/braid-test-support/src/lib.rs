//! Test fixtures shared by braid's integration tests: a scripted model server on 127.0.0.1 that speaks the
//! Responses, Chat Completions and Anthropic Messages wire formats, and temporary git repositories.
//!
//! This crate is only ever a dev-dependency. Panicking on a broken fixture is the right failure here, so
//! the unwrap/expect lints are allowed; spawning processes (git for temp repos) is allowed too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod check;
mod request;
mod script;
mod server;
mod stream;
mod temp_repo;

pub use request::{RecordedRequest, Wire};
pub use script::{Reply, Script, Turn};
pub use server::ScriptedServer;
pub use temp_repo::TempRepo;
