//! The `ModelClient` trait every provider implements, and the constructor that picks one for a provider.

use std::pin::Pin;
use std::sync::Arc;

use braid_protocol::{ModelEvent, Prompt};
use futures::Stream;

use crate::{ModelError, ProviderConfig};

/// A stream of events for one model response, retries included.
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<ModelEvent, ModelError>> + Send>>;

/// A model provider that can stream a response to a prompt.
pub trait ModelClient: Send + Sync {
    /// Streams the response to `prompt`. The stream connects lazily, retries retryable failures itself
    /// (yielding `ModelEvent::Retrying` before each retry), and ends after `ModelEvent::Completed` or with
    /// the first error that is not retryable or that exhausted the retry budget.
    fn stream(&self, prompt: Prompt) -> ModelStream;

    /// The configured provider's name, for events and error messages.
    fn provider_name(&self) -> &str;
}

/// Builds the client for `provider`'s wire format.
pub fn client_for(provider: ProviderConfig) -> Result<Arc<dyn ModelClient>, ModelError> {
    let _ = provider;
    Err(ModelError::NotImplemented)
}
