//! The braid agent session: configuration, the context sent to the model (base instructions, environment,
//! AGENTS.md), the turn loop that streams a response and dispatches tool calls, and the rollout that
//! records every session so it can be resumed.
//!
//! This crate never touches the terminal: it reports everything as `AgentEvent`s.
