//! Streaming model clients: one per wire format (OpenAI Responses, Chat Completions, Anthropic Messages),
//! all behind the `ModelClient` trait and all reporting the same `ModelEvent`s.
//!
//! Retries live here, not in the agent: a client retries 429/5xx answers and streams that drop before
//! completion, with exponential backoff and jitter, honouring `Retry-After`, and reports each retry as
//! `ModelEvent::Retrying` so the caller discards what it received since the request began.
//!
//! Layout: `client` holds the trait and `client_for`; `sse` sends requests and reads server-sent events
//! under the idle timeout; `retry` drives attempts; `wire` defines what a format provides (a pure request
//! builder and a pure event translator); `responses`, `chat` and `anthropic` contain only translation.

mod anthropic;
mod chat;
mod client;
mod error;
mod model_info;
mod provider;
mod responses;
mod retry;
mod sse;
mod wire;

pub use client::{ModelClient, ModelStream, TokenCount, client_for};
pub use error::ModelError;
pub use model_info::known_context_window;
pub use provider::{ProviderConfig, RetryConfig, WireApi};
