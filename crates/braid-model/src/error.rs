//! Errors of the model clients, and the one exhaustive match that decides which are worth retrying.

use std::time::Duration;

/// Why a model request failed. Every variant names the URL it is about.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model clients are not built yet")]
    NotImplemented,
    #[error("HTTP {status} from {url}: {body}")]
    Http { url: String, status: u16, body: String, retry_after: Option<Duration> },
}

impl ModelError {
    /// Whether trying the same request again could succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ModelError::NotImplemented => false,
            ModelError::Http { status, .. } => *status == 429 || *status >= 500,
        }
    }
}
