//! Embedded llama.cpp inference for braid: a local model that works with no account and no network.
//!
//! Layout: `engine` loads a GGUF file and runs generations on a worker thread (parallel sequences,
//! KV-cache reuse); `template` renders conversations in the model family's chat format; `grammar`
//! turns tool schemas into a llama.cpp grammar so tool calls always parse; `parse` reads calls back
//! out of the text; `client` puts all of it behind braid's `ModelClient`; `store` fetches and
//! verifies models; `server` exposes the engine as an OpenAI-compatible HTTP endpoint.

pub mod client;
pub mod engine;
mod error;
pub mod grammar;
pub mod parse;
pub mod server;
pub mod store;
pub mod template;

pub use client::{LocalClient, LocalSampling};
pub use engine::{Engine, EngineOptions, GenerateRequest, GenerationEvent, GenerationStats};
pub use error::LocalError;
