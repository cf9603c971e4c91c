//! The retry loop every client shares: one attempt connects and translates events until `Completed`; a
//! retryable failure before that yields `ModelEvent::Retrying`, waits, and starts a fresh attempt.
//!
//! `Retrying.attempt` counts retries from 1 and `Retrying.max_attempts` is the retry budget
//! (`RetryConfig::max_retries`), so "retry 2 of 5" reads naturally.
//!
//! The loop is a `futures::stream::unfold` over an `Attempts` state, so the stream is lazy (nothing is
//! sent until it is first polled) and needs no task of its own.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use braid_protocol::{ModelEvent, Prompt};
use futures::StreamExt;
use rand::Rng;
use serde_json::Value;

use crate::client::ModelStream;
use crate::sse::{Endpoint, EventStream};
use crate::wire::{Translate, TranslateError, WireFormat};
use crate::{ModelError, RetryConfig};

/// How long to wait before retry number `attempt` (1-based) after `error`: the server's `Retry-After` when
/// it sent one, otherwise `base_delay * 2^(attempt-1)` capped at `max_delay`, with ±20% jitter. Returns
/// `None` when the server asked for longer than `max_retry_after`, so the caller fails instead of waiting.
pub(crate) fn retry_delay(config: &RetryConfig, attempt: u32, error: &ModelError) -> Option<Duration> {
    if let Some(asked) = error.retry_after() {
        return (asked <= config.max_retry_after).then_some(asked);
    }
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    let backoff = config.base_delay.saturating_mul(factor).min(config.max_delay);
    let jitter = rand::rng().random_range(0.8..=1.2);
    Some(backoff.mul_f64(jitter))
}

/// Starts the lazy, self-retrying event stream for one request.
pub(crate) fn stream<F: WireFormat>(
    format: Arc<F>,
    endpoint: Arc<Endpoint>,
    retry: RetryConfig,
    prompt: &Prompt,
) -> ModelStream {
    let body = format.build_request(prompt);
    let attempts = Attempts {
        format,
        endpoint,
        retry,
        body,
        retries: 0,
        delay: None,
        connection: None,
        queue: VecDeque::new(),
        finished: false,
    };
    // Fused, so that polling after the end keeps answering `None` instead of panicking.
    let events = futures::stream::unfold(attempts, |mut attempts| async move {
        let next = attempts.next().await?;
        Some((next, attempts))
    });
    Box::pin(events.fuse())
}

/// The state of one request across its attempts.
struct Attempts<F> {
    format: Arc<F>,
    endpoint: Arc<Endpoint>,
    retry: RetryConfig,
    body: Value,
    /// Retries started so far.
    retries: u32,
    /// The wait before the next connection, set when a retry was announced.
    delay: Option<Duration>,
    /// The open stream of the current attempt and its translator.
    connection: Option<(EventStream, Box<dyn Translate>)>,
    /// Events translated but not yet handed out.
    queue: VecDeque<ModelEvent>,
    /// Set after `Completed` or a final error: the stream then ends.
    finished: bool,
}

impl<F: WireFormat> Attempts<F> {
    /// The next item of the stream, or `None` once it is over.
    async fn next(&mut self) -> Option<Result<ModelEvent, ModelError>> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                if matches!(event, ModelEvent::Completed { .. }) {
                    // Nothing after `Completed` matters, and a response that completed must never be
                    // retried, so the connection is dropped and the stream ends here.
                    self.finished = true;
                    self.queue.clear();
                    self.connection = None;
                }
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            if let Err(error) = self.step().await {
                return Some(self.on_error(error));
            }
        }
    }

    /// Connects when needed, then reads and translates one event into the queue.
    async fn step(&mut self) -> Result<(), ModelError> {
        if self.connection.is_none() {
            if let Some(delay) = self.delay.take() {
                tokio::time::sleep(delay).await;
            }
            let events = self.endpoint.open(&self.body).await?;
            self.connection = Some((events, self.format.translator()));
        }
        let url = &self.endpoint.url;
        let Some((events, translator)) = &mut self.connection else {
            return Err(ModelError::StreamEnded { url: url.clone() });
        };
        let Some(event) = events.next().await? else {
            return Err(ModelError::StreamEnded { url: url.clone() });
        };
        let mut out = Vec::new();
        translator.on_event(&event, &mut out).map_err(|err| translate_error(url, err))?;
        self.queue.extend(out);
        Ok(())
    }

    /// Decides what a failed attempt turns into: a `Retrying` event (and a fresh attempt on the next
    /// poll), or the final error.
    fn on_error(&mut self, error: ModelError) -> Result<ModelEvent, ModelError> {
        self.connection = None;
        self.queue.clear();
        let delay = if error.is_retryable() && self.retries < self.retry.max_retries {
            retry_delay(&self.retry, self.retries + 1, &error)
        } else {
            None
        };
        let Some(delay) = delay else {
            self.finished = true;
            return Err(error);
        };
        self.retries += 1;
        self.delay = Some(delay);
        tracing::debug!(attempt = self.retries, ?delay, %error, "retrying model request");
        Ok(ModelEvent::Retrying {
            attempt: self.retries,
            max_attempts: self.retry.max_retries,
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            reason: error.to_string(),
        })
    }
}

/// The `ModelError` for a translator's complaint about the response from `url`.
fn translate_error(url: &str, error: TranslateError) -> ModelError {
    let url = url.to_owned();
    match error {
        TranslateError::Malformed { event, detail, excerpt } => ModelError::Malformed { url, event, detail, excerpt },
        TranslateError::Failed { code, message } => ModelError::Failed { url, code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RetryConfig {
        RetryConfig {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(10),
        }
    }

    fn http(retry_after: Option<Duration>) -> ModelError {
        ModelError::Http { url: "u".into(), status: 429, body: String::new(), retry_after }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        for (attempt, nominal) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)] {
            let delay = retry_delay(&config(), attempt, &http(None)).unwrap().as_millis();
            let (low, high) = (nominal * 8 / 10, nominal * 12 / 10);
            assert!((low..=high).contains(&delay), "attempt {attempt}: {delay} not in {low}..={high}");
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_limit() {
        let asked = Duration::from_secs(3);
        assert_eq!(retry_delay(&config(), 1, &http(Some(asked))), Some(asked));
        assert_eq!(retry_delay(&config(), 1, &http(Some(Duration::from_secs(11)))), None);
    }
}
