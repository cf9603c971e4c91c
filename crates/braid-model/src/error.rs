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
            | ModelError::Config { url, .. } => url,
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
}
