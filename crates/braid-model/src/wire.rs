//! What every wire format provides to the shared HTTP and retry machinery: a request builder and an event
//! translator, both pure, plus small JSON helpers the translators share.
//!
//! The translators never see a URL or a socket; they report problems as `TranslateError`, and the stream
//! driver turns those into `ModelError`s that name the URL.

use braid_protocol::{ModelEvent, Prompt};
use serde_json::Value;

use crate::ProviderConfig;

/// One server-sent event as the translators see it: the `event:` name (`message` when absent) and the
/// `data:` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: String,
    pub data: String,
}

impl SseEvent {
    /// An event with the given name and data, for tests and fixtures.
    #[cfg(test)]
    pub fn new(event: &str, data: &str) -> Self {
        SseEvent { event: event.to_owned(), data: data.to_owned() }
    }
}

/// Why a translator could not handle an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TranslateError {
    /// The event's data was not JSON or lacked a required field.
    Malformed { event: String, detail: String, excerpt: String },
    /// The provider reported a failure inside the stream.
    Failed { code: Option<String>, message: String },
}

impl TranslateError {
    /// A malformed-event error for `event`, quoting the start of its data.
    pub fn malformed(event: &SseEvent, detail: impl Into<String>) -> Self {
        TranslateError::Malformed { event: event.event.clone(), detail: detail.into(), excerpt: excerpt(&event.data) }
    }
}

/// A stateful translator of one response's SSE events into `ModelEvent`s.
pub(crate) trait Translate: Send {
    /// Handles one event, appending what it produces to `out`. After the event that completes the
    /// response, `out` ends with `ModelEvent::Completed`. Fails when the event is malformed or reports a
    /// provider failure.
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<ModelEvent>) -> Result<(), TranslateError>;
}

/// A wire format: where requests go, how they look, which headers carry the key, and how to read answers.
pub(crate) trait WireFormat: Send + Sync + 'static {
    /// The path appended to the provider's base URL, starting with `/`.
    fn path(&self) -> &'static str;

    /// The JSON body for `prompt`.
    fn build_request(&self, prompt: &Prompt) -> Value;

    /// The headers that carry the key (and any version header the format requires).
    fn auth_headers(&self, provider: &ProviderConfig) -> Vec<(String, String)>;

    /// A fresh translator for one attempt.
    fn translator(&self) -> Box<dyn Translate>;
}

/// The first 200 characters of `data`, for error messages.
pub(crate) fn excerpt(data: &str) -> String {
    const LIMIT: usize = 200;
    match data.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &data[..cut]),
        None => data.to_owned(),
    }
}

/// Parses an event's data as a JSON object, or explains why it is not one.
pub(crate) fn parse_data(event: &SseEvent) -> Result<Value, TranslateError> {
    let value: Value = serde_json::from_str(&event.data)
        .map_err(|err| TranslateError::malformed(event, format!("data is not JSON ({err})")))?;
    if value.is_object() { Ok(value) } else { Err(TranslateError::malformed(event, "data is not a JSON object")) }
}

/// The string at `pointer` in `value`, if there is one.
pub(crate) fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The string at `pointer`, or a malformed-event error naming the missing field.
pub(crate) fn required_str<'a>(event: &SseEvent, value: &'a Value, pointer: &str) -> Result<&'a str, TranslateError> {
    str_at(value, pointer).ok_or_else(|| TranslateError::malformed(event, format!("missing string field `{pointer}`")))
}

/// The unsigned number at `pointer`, or 0 when it is absent (providers omit zero counts).
pub(crate) fn count_at(value: &Value, pointer: &str) -> u64 {
    value.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// The `(code, message)` of an error object in the shapes providers use: `{code, message}`,
/// `{type, message}`, either of those nested under `error`, or a bare string under `error`.
pub(crate) fn error_parts(value: &Value) -> (Option<String>, String) {
    // Some local servers send the error as a bare string: `{"error": "model not loaded"}`.
    if let Some(message) = value.get("error").and_then(Value::as_str) {
        return (None, message.to_owned());
    }
    let inner = value.get("error").filter(|e| e.is_object()).unwrap_or(value);
    let code = str_at(inner, "/code")
        .or_else(|| str_at(inner, "/type"))
        .map(str::to_owned)
        .or_else(|| inner.get("code").filter(|c| c.is_number()).map(Value::to_string));
    let message = str_at(inner, "/message")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("no message given: {}", excerpt(&value.to_string())));
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn excerpt_cuts_long_data_on_char_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(300);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 203);
        assert!(cut.ends_with("..."));
    }

    #[test]
    fn error_parts_reads_every_shape() {
        let check = |value: Value, code: Option<&str>, message: &str| {
            assert_eq!(error_parts(&value), (code.map(str::to_owned), message.to_owned()));
        };
        check(json!({"code": "server_error", "message": "boom"}), Some("server_error"), "boom");
        check(json!({"error": {"type": "overloaded_error", "message": "busy"}}), Some("overloaded_error"), "busy");
        check(json!({"error": {"code": 500, "message": "x"}}), Some("500"), "x");
        check(json!({"error": {"message": "x"}}), None, "x");
        check(json!({"error": "model not loaded"}), None, "model not loaded");
    }

    #[test]
    fn parse_data_rejects_non_objects() {
        let bad = SseEvent::new("message", "not json");
        assert!(matches!(parse_data(&bad), Err(TranslateError::Malformed { .. })));
        let array = SseEvent::new("message", "[1]");
        assert!(matches!(parse_data(&array), Err(TranslateError::Malformed { .. })));
    }
}

/// Fixtures shared by the wire formats' unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use braid_protocol::{Item, ToolSpec};

    /// Feeds `events` (name and JSON data) to `translator`, collecting what it yields up to the first
    /// error.
    pub fn feed(translator: &mut dyn Translate, events: &[(&str, Value)]) -> Result<Vec<ModelEvent>, TranslateError> {
        let raw: Vec<(&str, String)> = events.iter().map(|(name, data)| (*name, data.to_string())).collect();
        feed_raw(translator, &raw)
    }

    /// Like `feed`, with the data given as text (for data that is not JSON).
    pub fn feed_raw(
        translator: &mut dyn Translate,
        events: &[(&str, String)],
    ) -> Result<Vec<ModelEvent>, TranslateError> {
        let mut out = Vec::new();
        for (name, data) in events {
            translator.on_event(&SseEvent::new(name, data), &mut out)?;
        }
        Ok(out)
    }

    /// A prompt whose one response made two tool calls, the first returning two images and the
    /// second one, followed by the assistant's answer.
    pub fn image_prompt() -> Prompt {
        let image = |mime: &str, data: &str| braid_protocol::ToolImage { mime_type: mime.into(), data: data.into() };
        let call = |id: &str| Item::ToolCall { call_id: id.into(), name: "shot".into(), arguments: "{}".into() };
        Prompt {
            input: vec![
                Item::user("look"),
                call("c1"),
                call("c2"),
                Item::ToolOutput {
                    call_id: "c1".into(),
                    output: "[image 1: image/png, 3 bytes]\n[image 2: image/gif, 3 bytes]".into(),
                    success: true,
                    images: vec![image("image/png", "UE5H"), image("image/gif", "R0lG")],
                },
                Item::ToolOutput {
                    call_id: "c2".into(),
                    output: String::new(),
                    success: false,
                    images: vec![image("image/webp", "UklG")],
                },
                Item::assistant("seen"),
            ],
            tools: Vec::new(),
            ..prompt_fixture()
        }
    }

    /// A prompt with one item of every kind: developer context, a user message, reasoning with and
    /// without an encrypted blob, assistant text, a tool call with its output, and a tool call whose
    /// arguments are not JSON with a failed output.
    pub fn prompt_fixture() -> Prompt {
        Prompt {
            model: "m".into(),
            instructions: "be brief".into(),
            input: vec![
                Item::developer("env"),
                Item::user("hi"),
                Item::Reasoning { text: "thinking".into(), encrypted: Some("blob".into()) },
                Item::Reasoning { text: "plain".into(), encrypted: None },
                Item::assistant("looking"),
                Item::ToolCall { call_id: "c1".into(), name: "shell".into(), arguments: r#"{"cmd":"ls"}"#.into() },
                Item::tool_output("c1", "a.txt", true),
                Item::ToolCall { call_id: "c2".into(), name: "shell".into(), arguments: "not json".into() },
                Item::tool_output("c2", "bad args", false),
            ],
            tools: vec![ToolSpec {
                name: "shell".into(),
                description: "run".into(),
                parameters: serde_json::json!({"type": "object"}),
            }],
            tool_choice: Default::default(),
            reasoning_effort: None,
            max_output_tokens: None,
        }
    }
}
