//! The `ModelClient` trait every provider implements, and the constructor that picks one for a provider.

use std::pin::Pin;
use std::sync::Arc;

use braid_protocol::{ModelEvent, Prompt};
use futures::Stream;

use crate::anthropic::Anthropic;
use crate::chat::Chat;
use crate::responses::Responses;
use crate::sse::Endpoint;
use crate::wire::WireFormat;
use crate::{ModelError, ProviderConfig, RetryConfig, WireApi};

/// A stream of events for one model response, retries included.
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<ModelEvent, ModelError>> + Send>>;

/// A count of the tokens a prompt takes, computed off the caller's task; `None` when the client has no
/// tokenizer and the caller should estimate.
pub type TokenCount<'a> = Pin<Box<dyn Future<Output = Option<u64>> + Send + 'a>>;

/// A model provider that can stream a response to a prompt.
pub trait ModelClient: Send + Sync {
    /// Streams the response to `prompt`. The stream connects lazily, retries retryable failures itself
    /// (yielding `ModelEvent::Retrying` before each retry), and ends after `ModelEvent::Completed` or with
    /// the first error that is not retryable or that exhausted the retry budget.
    fn stream(&self, prompt: Prompt) -> ModelStream;

    /// The configured provider's name, for events and error messages.
    fn provider_name(&self) -> &str;

    /// The context window of the model behind this client, when the client knows it for certain (the
    /// embedded model knows the context it created). Remote clients leave this to config and
    /// `known_context_window`.
    fn context_window(&self) -> Option<u64> {
        None
    }

    /// Counts the tokens `prompt` would take with the model's own tokenizer, when the client has one.
    fn count_tokens<'a>(&'a self, prompt: &'a Prompt) -> TokenCount<'a> {
        let _ = prompt;
        Box::pin(std::future::ready(None))
    }
}

/// Builds the client for `provider`'s wire format. Fails with `ModelError::Config` when a configured
/// header is not valid HTTP or the HTTP client cannot be built.
pub fn client_for(provider: ProviderConfig) -> Result<Arc<dyn ModelClient>, ModelError> {
    Ok(match provider.wire_api {
        WireApi::Responses => Arc::new(HttpClient::new(Responses, provider)?),
        WireApi::Chat => Arc::new(HttpClient::new(Chat, provider)?),
        WireApi::Anthropic => Arc::new(HttpClient::new(Anthropic, provider)?),
    })
}

/// A remote provider speaking wire format `F` over HTTP and server-sent events.
struct HttpClient<F> {
    name: String,
    format: Arc<F>,
    endpoint: Arc<Endpoint>,
    retry: RetryConfig,
}

impl<F: WireFormat> HttpClient<F> {
    fn new(format: F, provider: ProviderConfig) -> Result<Self, ModelError> {
        let endpoint = Endpoint::new(&provider, format.path(), format.auth_headers(&provider))?;
        Ok(HttpClient {
            name: provider.name,
            format: Arc::new(format),
            endpoint: Arc::new(endpoint),
            retry: provider.retry,
        })
    }
}

impl<F: WireFormat> ModelClient for HttpClient<F> {
    fn stream(&self, prompt: Prompt) -> ModelStream {
        crate::retry::stream(Arc::clone(&self.format), Arc::clone(&self.endpoint), self.retry.clone(), &prompt)
    }

    fn provider_name(&self) -> &str {
        &self.name
    }
}
