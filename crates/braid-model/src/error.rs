//! Errors of the model clients, and the one exhaustive match that decides which are worth retrying.

use std::time::Duration;

/// Why a model request failed. Every variant names the URL it is about.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The provider answered with an HTTP error status (other than 401/403).
    #[error("HTTP {status} from {url}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
        /// The server's `Retry-After` (or `retry-after-ms`), when it sent one.
        retry_after: Option<Duration>,
    },
    /// The provider rejected the credentials (HTTP 401 or 403). `hint` tells the user where the key
    /// should come from.
    #[error("HTTP {status} from {url}: {hint} (server said: {body})")]
    Unauthorized { url: String, status: u16, hint: String, body: String },
    /// The request could not be sent or the response body could not be read (connection refused, reset,
    /// TLS failure, broken chunked encoding).
    #[error("could not talk to {url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The response stream ended before the provider said the response was complete.
    #[error("the response stream from {url} ended before the response was complete")]
    StreamEnded { url: String },
    /// Nothing arrived from the provider for `timeout`.
    #[error("no data from {url} for {} ms (stream idle timeout)", timeout.as_millis())]
    IdleTimeout { url: String, timeout: Duration },
    /// An event could not be understood: its data was not JSON, or a required field was missing.
    #[error("malformed `{event}` event from {url}: {detail}; data: {excerpt}")]
    Malformed { url: String, event: String, detail: String, excerpt: String },
    /// The provider reported a failure inside the stream (`response.failed`, an `error` event or chunk).
    #[error("the provider at {url} failed the response: {message} (code: {})", code.as_deref().unwrap_or("none"))]
    Failed { url: String, code: Option<String>, message: String },
    /// The embedded model failed: it could not be loaded, the prompt did not fit its context window,
    /// or llama.cpp reported an error. `model` is the GGUF file.
    #[error("local model {model}: {message}")]
    Local { model: String, message: String },
    /// The request did not fit the model's context window (the embedded model says so before decoding;
    /// remote providers' refusals are recognised by `is_context_overflow` instead).
    #[error("the request to {url} is too long for the model's context window: {message}")]
    ContextWindowExceeded { url: String, message: String },
    /// The provider configuration cannot be used (a header that is not valid HTTP, for example).
    #[error("invalid configuration for provider `{provider}` ({url}): {detail}")]
    Config { provider: String, url: String, detail: String },
}

impl ModelError {
    /// Whether trying the same request again could succeed: rate limits, server errors, transport
    /// failures, dropped or stalled streams and in-stream failures whose code says the server was
    /// overloaded. Client errors, authentication and malformed data would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            // 408 (request timeout) and 409 (conflict, which OpenAI uses for transient contention) are
            // worth another try, like rate limits and every server error.
            ModelError::Http { status, .. } => matches!(status, 408 | 409 | 429 | 500..=599),
            ModelError::Unauthorized { .. } => false,
            ModelError::Transport { .. } => true,
            ModelError::StreamEnded { .. } => true,
            ModelError::IdleTimeout { .. } => true,
            ModelError::Malformed { .. } => false,
            ModelError::Failed { code, .. } => code.as_deref().is_some_and(is_transient_code),
            ModelError::Config { .. } => false,
            // The same prompt on the same weights fails the same way again.
            ModelError::Local { .. } => false,
            ModelError::ContextWindowExceeded { .. } => false,
        }
    }

    /// Whether the provider refused the request because it is longer than the model's context window.
    /// The agent answers this by compacting the conversation rather than by failing the turn.
    ///
    /// Providers say it in different words: OpenAI's code `context_length_exceeded` (in an HTTP 400 body
    /// or a `response.failed` event), Anthropic's "prompt is too long", and OpenAI-compatible servers
    /// (vLLM, llama.cpp, Ollama) "maximum context length", "exceeds the context" or HTTP 413.
    pub fn is_context_overflow(&self) -> bool {
        match self {
            ModelError::ContextWindowExceeded { .. } => true,
            ModelError::Http { status: 413, .. } => true,
            ModelError::Http { status: 400, body, .. } => mentions_context_overflow(body),
            ModelError::Failed { code, message, .. } => {
                code.as_deref().is_some_and(mentions_context_overflow) || mentions_context_overflow(message)
            }
            _ => false,
        }
    }

    /// The delay the server asked for before a retry, when it named one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ModelError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The URL the error is about (for the embedded model, the path of its GGUF file).
    pub fn url(&self) -> &str {
        match self {
            ModelError::Http { url, .. }
            | ModelError::Unauthorized { url, .. }
            | ModelError::Transport { url, .. }
            | ModelError::StreamEnded { url }
            | ModelError::IdleTimeout { url, .. }
            | ModelError::Malformed { url, .. }
            | ModelError::Failed { url, .. }
            | ModelError::Config { url, .. }
            | ModelError::ContextWindowExceeded { url, .. } => url,
            ModelError::Local { model, .. } => model,
        }
    }
}

/// Whether an in-stream error code names a transient condition. Providers spell these differently
/// (`server_error`, `rate_limit_exceeded`, Anthropic's `overloaded_error`, `api_error`), so this matches
/// on the words rather than on exact codes.
fn is_transient_code(code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    ["overloaded", "server_error", "rate_limit", "api_error", "timeout"].iter().any(|word| code.contains(word))
}

/// Whether an error text says the prompt was too long for the context window.
fn mentions_context_overflow(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "context_length_exceeded",
        "maximum context length",
        "context window",
        "exceeds the context",
        "prompt is too long",
        "too many tokens",
        "context length",
    ]
    .iter()
    .any(|phrase| text.contains(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ModelError {
        ModelError::Http { url: "u".into(), status, body: String::new(), retry_after: None }
    }

    fn failed(code: Option<&str>) -> ModelError {
        ModelError::Failed { url: "u".into(), code: code.map(Into::into), message: "m".into() }
    }

    #[test]
    fn retryable_statuses() {
        for (status, expected) in
            [(400, false), (404, false), (408, true), (409, true), (429, true), (500, true), (503, true)]
        {
            assert_eq!(http(status).is_retryable(), expected, "status {status}");
        }
    }

    #[test]
    fn retryable_failure_codes() {
        let cases = [
            (Some("server_error"), true),
            (Some("rate_limit_exceeded"), true),
            (Some("overloaded_error"), true),
            (Some("invalid_prompt"), false),
            (Some("context_length_exceeded"), false),
            (None, false),
        ];
        for (code, expected) in cases {
            assert_eq!(failed(code).is_retryable(), expected, "code {code:?}");
        }
    }

    #[test]
    fn messages_name_the_url() {
        let err = ModelError::Unauthorized {
            url: "http://x/v1/responses".into(),
            status: 401,
            hint: "check your API key in $OPENAI_API_KEY".into(),
            body: "nope".into(),
        };
        let text = err.to_string();
        assert!(text.contains("http://x/v1/responses"), "{text}");
        assert!(text.contains("$OPENAI_API_KEY"), "{text}");
        assert!(!err.is_retryable());
    }

    #[test]
    fn context_overflow_in_each_provider_wording() {
        let body = |status: u16, body: &str| ModelError::Http {
            url: "u".into(),
            status,
            body: body.into(),
            retry_after: None,
        };
        let openai = r#"{"error":{"code":"context_length_exceeded","message":"Your input exceeds the context window of this model."}}"#;
        let anthropic = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#;
        let vllm = r#"{"object":"error","message":"This model's maximum context length is 8192 tokens."}"#;
        assert!(body(400, openai).is_context_overflow());
        assert!(body(400, anthropic).is_context_overflow());
        assert!(body(400, vllm).is_context_overflow());
        assert!(body(413, "Payload Too Large").is_context_overflow());
        assert!(!body(400, r#"{"error":{"message":"unknown parameter: foo"}}"#).is_context_overflow());
        assert!(!body(500, openai).is_context_overflow(), "a server error is retried, not compacted");
        assert!(failed(Some("context_length_exceeded")).is_context_overflow());
        assert!(!failed(Some("server_error")).is_context_overflow());
        let local = ModelError::ContextWindowExceeded { url: "/m.gguf".into(), message: "9000 > 8192".into() };
        assert!(local.is_context_overflow() && !local.is_retryable());
    }
}
