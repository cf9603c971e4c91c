//! Provider settings as the model clients need them: endpoint, wire format, credentials, retry budget.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which HTTP API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    /// OpenAI Responses API: POST `{base_url}/responses`.
    Responses,
    /// Chat Completions: POST `{base_url}/chat/completions` (Ollama, vLLM, llama.cpp server, LM Studio,
    /// OpenRouter and OpenAI itself).
    Chat,
    /// Anthropic Messages: POST `{base_url}/messages`.
    Anthropic,
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Retries after the first attempt (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
    /// The delay before the first retry; each further retry doubles it, with jitter.
    pub base_delay: Duration,
    /// No computed delay exceeds this (a server's `Retry-After` is honoured up to `max_retry_after`).
    pub max_delay: Duration,
    /// The longest `Retry-After` braid will wait; a longer one fails the request instead.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// A resolved provider: everything a client needs, with the API key already read from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// The name the user gave it in config (`openai`, `ollama`, ...), used in messages.
    pub name: String,
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub wire_api: WireApi,
    /// The key, when the provider needs one.
    pub api_key: Option<String>,
    /// The environment variable the key came from, named in authentication errors.
    pub env_key: Option<String>,
    /// Extra headers sent with every request.
    pub headers: BTreeMap<String, String>,
    pub retry: RetryConfig,
    /// A stream that yields nothing for this long is treated as dropped (and retried).
    pub stream_idle_timeout: Duration,
}
