//! HTTP and server-sent-events plumbing shared by every wire format: sending the request, turning error
//! statuses into `ModelError`s (with `Retry-After`), and reading events under an idle timeout.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::wire::{SseEvent, excerpt};
use crate::{ModelError, ProviderConfig};

/// The longest error body kept in a `ModelError`, so a server's HTML error page does not flood the log.
const MAX_ERROR_BODY: usize = 2000;

type RawEvents =
    Pin<Box<dyn Stream<Item = Result<eventsource_stream::Event, EventStreamError<reqwest::Error>>> + Send>>;

/// An open response stream: its events, and what is needed to name it in errors.
pub(crate) struct EventStream {
    url: String,
    idle_timeout: Duration,
    events: RawEvents,
}

/// Everything needed to send one request, fixed for the life of a client.
pub(crate) struct Endpoint {
    pub http: reqwest::Client,
    pub url: String,
    pub headers: HeaderMap,
    /// What to tell the user when the server rejects the key.
    pub auth_hint: String,
    pub idle_timeout: Duration,
}

impl Endpoint {
    /// Builds the endpoint for `provider` at `path`, with the format's `auth_headers` and the provider's
    /// extra headers (which win on conflict). Fails when a header name or value is not valid HTTP.
    pub fn new(provider: &ProviderConfig, path: &str, auth_headers: Vec<(String, String)>) -> Result<Self, ModelError> {
        let url = format!("{}{}", provider.base_url.trim_end_matches('/'), path);
        let config_error =
            |detail: String| ModelError::Config { provider: provider.name.clone(), url: url.clone(), detail };
        let mut headers = HeaderMap::new();
        let extra = provider.headers.iter().map(|(k, v)| (k.clone(), v.clone()));
        for (name, value) in auth_headers.into_iter().chain(extra) {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(format!("`{name}` is not a valid HTTP header name")))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| config_error(format!("the value of header `{name}` is not a valid HTTP header value")))?;
            headers.insert(header, value);
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|err| config_error(format!("could not build an HTTP client: {err}")))?;
        Ok(Endpoint { http, url, headers, auth_hint: auth_hint(provider), idle_timeout: provider.stream_idle_timeout })
    }

    /// Sends `body` and returns the event stream of a successful answer. Fails with the matching
    /// `ModelError` when the connection fails, the server does not answer within the idle timeout, or it
    /// answers with an error status.
    pub async fn open(&self, body: &Value) -> Result<EventStream, ModelError> {
        let request = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(body)
            .send();
        let response = tokio::time::timeout(self.idle_timeout, request)
            .await
            .map_err(|_| self.idle_error())?
            .map_err(|source| ModelError::Transport { url: self.url.clone(), source })?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_error(status, response).await);
        }
        Ok(EventStream {
            url: self.url.clone(),
            idle_timeout: self.idle_timeout,
            events: Box::pin(response.bytes_stream().eventsource()),
        })
    }

    fn idle_error(&self) -> ModelError {
        ModelError::IdleTimeout { url: self.url.clone(), timeout: self.idle_timeout }
    }

    /// The error for a non-success `status`, with the body (read under the idle timeout, cut short).
    async fn status_error(&self, status: StatusCode, response: Response) -> ModelError {
        let retry_after = parse_retry_after(response.headers());
        let body = match tokio::time::timeout(self.idle_timeout, response.text()).await {
            Ok(Ok(text)) => truncate(text.trim()),
            Ok(Err(err)) => format!("(could not read the body: {err})"),
            Err(_) => "(the body did not arrive in time)".to_owned(),
        };
        let url = self.url.clone();
        let status = status.as_u16();
        if status == 401 || status == 403 {
            ModelError::Unauthorized { url, status, hint: self.auth_hint.clone(), body }
        } else {
            ModelError::Http { url, status, body, retry_after }
        }
    }
}

impl EventStream {
    /// The next event, or `None` when the server closed the stream. Fails when nothing arrives within the
    /// idle timeout, the connection breaks, or the bytes are not a valid event stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, ModelError> {
        let next = tokio::time::timeout(self.idle_timeout, self.events.next())
            .await
            .map_err(|_| ModelError::IdleTimeout { url: self.url.clone(), timeout: self.idle_timeout })?;
        match next {
            None => Ok(None),
            Some(Ok(event)) => Ok(Some(SseEvent { event: event.event, data: event.data })),
            Some(Err(EventStreamError::Transport(source))) => {
                Err(ModelError::Transport { url: self.url.clone(), source })
            }
            Some(Err(EventStreamError::Utf8(err))) => Err(ModelError::Malformed {
                url: self.url.clone(),
                event: "(stream)".to_owned(),
                detail: format!("the stream is not valid UTF-8 ({err})"),
                excerpt: String::new(),
            }),
            Some(Err(EventStreamError::Parser(err))) => Err(ModelError::Malformed {
                url: self.url.clone(),
                event: "(stream)".to_owned(),
                detail: "the stream is not a valid server-sent event stream".to_owned(),
                excerpt: excerpt(&err.to_string()),
            }),
        }
    }
}

/// What to tell the user when the server rejects the credentials.
fn auth_hint(provider: &ProviderConfig) -> String {
    match (&provider.env_key, &provider.api_key) {
        (Some(env), _) => format!("check your API key in ${env}"),
        (None, Some(_)) => format!("check the API key configured for provider `{}`", provider.name),
        (None, None) => format!(
            "no API key is configured for provider `{}`; set `env_key` to the environment variable \
             that holds it",
            provider.name
        ),
    }
}

/// The delay a server asked for: `retry-after-ms` (milliseconds) or `Retry-After` (seconds, possibly
/// fractional). The HTTP-date form of `Retry-After` is ignored: model providers send seconds.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        let value = headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok()?;
        (value.is_finite() && value >= 0.0).then_some(value)
    };
    if let Some(ms) = number("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    number("retry-after").map(Duration::from_secs_f64)
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_BODY) {
        Some((cut, _)) => format!("{}... (cut)", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: &[(&str, &str)], expected: Option<Duration>) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        assert_eq!(parse_retry_after(&map), expected, "{headers:?}");
    }

    #[test]
    fn retry_after_forms() {
        check(&[], None);
        check(&[("retry-after", "3")], Some(Duration::from_secs(3)));
        check(&[("retry-after", "0.5")], Some(Duration::from_millis(500)));
        check(&[("retry-after-ms", "250"), ("retry-after", "9")], Some(Duration::from_millis(250)));
        check(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], None);
        check(&[("retry-after", "-1")], None);
    }
}
