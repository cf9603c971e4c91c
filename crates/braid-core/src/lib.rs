//! The braid agent session: configuration, the context sent to the model (base instructions, environment,
//! AGENTS.md, skills), the turn loop that streams a response and dispatches tool calls, token accounting and
//! compaction for long tasks, and the rollout that records every session so it can be resumed or forked.
//!
//! This crate never touches the terminal: it reports everything as `AgentEvent`s, and offers the
//! renderings front ends need (`exec_jsonl`, `render`) as pure functions of those events.

pub mod agents_md;
pub mod approval;
pub mod compaction;
pub mod config;
pub mod context;
pub mod environment;
pub mod exec_jsonl;
pub mod git_info;
pub mod prompt_history;
pub mod render;
pub mod rollout;
pub mod session;
pub mod skills;
pub mod tools;

pub use session::{EventSink, Session, SessionError, SessionOptions, TurnOutcome};
