//! Policy and confinement: which paths the agent's tools may touch, and how a command the model chose is
//! run (its own process group, a timeout that kills the whole group, capped output, credentials withheld
//! from its environment).
//!
//! This is the only crate allowed to spawn processes (see `clippy.toml`), so that every command goes
//! through the same policy.
#![allow(clippy::disallowed_methods)]

pub mod attached;
mod capture;
mod child;
pub mod confine;
pub mod env;
pub mod exec;
pub mod forbidden;
pub mod globs;
mod namespace;
pub mod paths;
pub mod program;
pub mod safe_command;
pub mod server;
pub mod stream;

pub use confine::{ConfineError, Confinement, Policy, SandboxSpec, looks_denied};
pub use env::EnvPolicy;
pub use exec::{ExecError, ExecOutput, ExecRequest, OutputSink, run, run_with_output};
pub use forbidden::forbidden_mounts;
pub use globs::{GlobError, PathGlobs};
