//! Requests as the scripted server recorded them, and readers that pull the interesting parts (tool
//! outputs, echoed tool calls, declared tools, user texts, instructions) out of each wire format's body.

use serde_json::Value;

/// The three wire formats the server speaks, told apart by the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wire {
    /// OpenAI Responses, `POST /v1/responses`.
    Responses,
    /// Chat Completions, `POST /v1/chat/completions`.
    Chat,
    /// Anthropic Messages, `POST /v1/messages`.
    Anthropic,
}

impl Wire {
    /// Returns the wire format served at `path` (with or without the `/v1` prefix), or `None` for any
    /// other path.
    pub fn from_path(path: &str) -> Option<Wire> {
        let rest = path.strip_prefix("/v1").unwrap_or(path);
        match rest {
            "/responses" => Some(Wire::Responses),
            "/chat/completions" => Some(Wire::Chat),
            "/messages" => Some(Wire::Anthropic),
            _ => None,
        }
    }
}

/// One request the server received: its path, headers (names lowercased) and JSON body. A body that was
/// not JSON is recorded as a JSON string holding its text (lossily decoded), so it can still be inspected.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// The size of the body as sent, in bytes: what a harness spends on context per request.
    pub body_bytes: usize,
}

impl RecordedRequest {
    /// Returns the wire format of this request's path, or `None` when the path is not a model endpoint.
    pub fn try_wire(&self) -> Option<Wire> {
        Wire::from_path(&self.path)
    }

    /// Returns the wire format of this request's path.
    ///
    /// Panics when the path is not one of the three model endpoints (such a request got a 404).
    pub fn wire(&self) -> Wire {
        match self.try_wire() {
            Some(wire) => wire,
            None => panic!(
                "request to {:?} has no wire format: only /v1/responses, /v1/chat/completions and /v1/messages do",
                self.path
            ),
        }
    }

    /// Returns the value of the first header called `name` (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Returns (call id, output text) of every tool output in the history, in order. Outputs given as
    /// content parts or blocks are joined into one text.
    pub fn tool_outputs(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        match self.try_wire() {
            Some(Wire::Responses) => {
                for item in responses_items(&self.body) {
                    if kind(item) == Some("function_call_output") {
                        found.push((str_field(item, "call_id"), content_text(item.get("output"))));
                    }
                }
            }
            Some(Wire::Chat) => {
                for message in array(&self.body, "messages") {
                    if str_field(message, "role") == "tool" {
                        let call_id = str_field(message, "tool_call_id");
                        found.push((call_id, content_text(message.get("content"))));
                    }
                }
            }
            Some(Wire::Anthropic) => {
                for block in anthropic_blocks(&self.body) {
                    if kind(block) == Some("tool_result") {
                        let call_id = str_field(block, "tool_use_id");
                        found.push((call_id, content_text(block.get("content"))));
                    }
                }
            }
            None => {}
        }
        found
    }

    /// Returns (call id, name) of every tool call echoed back in the history, in order.
    pub fn tool_calls(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        match self.try_wire() {
            Some(Wire::Responses) => {
                for item in responses_items(&self.body) {
                    if kind(item) == Some("function_call") {
                        found.push((str_field(item, "call_id"), str_field(item, "name")));
                    }
                }
            }
            Some(Wire::Chat) => {
                for message in array(&self.body, "messages") {
                    for call in array(message, "tool_calls") {
                        let name = call.pointer("/function/name").and_then(Value::as_str).unwrap_or_default();
                        found.push((str_field(call, "id"), name.to_owned()));
                    }
                }
            }
            Some(Wire::Anthropic) => {
                for block in anthropic_blocks(&self.body) {
                    if kind(block) == Some("tool_use") {
                        found.push((str_field(block, "id"), str_field(block, "name")));
                    }
                }
            }
            None => {}
        }
        found
    }

    /// Returns the names of the tools the request declares. Chat nests them under `function`; tools
    /// without any name (built-in tools such as web search) are listed by their `type`.
    pub fn tool_names(&self) -> Vec<String> {
        array(&self.body, "tools")
            .iter()
            .filter_map(|tool| {
                tool.get("name")
                    .or_else(|| tool.pointer("/function/name"))
                    .or_else(|| tool.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Returns the text of each user-role message, in order. A message's text parts are joined with
    /// newlines; user messages that carry only tool results are skipped.
    pub fn user_texts(&self) -> Vec<String> {
        let messages: Vec<&Value> = match self.try_wire() {
            Some(Wire::Responses) => {
                if let Some(text) = self.body.get("input").and_then(Value::as_str) {
                    return vec![text.to_owned()];
                }
                responses_items(&self.body)
                    .into_iter()
                    .filter(|item| matches!(kind(item), None | Some("message")))
                    .collect()
            }
            Some(Wire::Chat) | Some(Wire::Anthropic) => array(&self.body, "messages").iter().collect(),
            None => Vec::new(),
        };
        messages
            .into_iter()
            .filter(|message| str_field(message, "role") == "user")
            .filter_map(|message| text_of(message.get("content")))
            .collect()
    }

    /// Returns the system-level instructions: Responses `instructions`, the first Chat system (or
    /// developer) message, or Anthropic `system` (blocks joined with newlines).
    pub fn instructions(&self) -> Option<String> {
        match self.try_wire()? {
            Wire::Responses => self.body.get("instructions").and_then(Value::as_str).map(str::to_owned),
            Wire::Chat => array(&self.body, "messages")
                .iter()
                .find(|message| matches!(str_field(message, "role").as_str(), "system" | "developer"))
                .and_then(|message| text_of(message.get("content"))),
            Wire::Anthropic => text_of(self.body.get("system")),
        }
    }
}

/// Returns the array under `key`, or an empty slice when it is missing or not an array.
fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Returns the string under `key`, or an empty string when it is missing.
fn str_field(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Returns the `type` of an item or block.
fn kind(value: &Value) -> Option<&str> {
    value.get("type").and_then(Value::as_str)
}

/// Returns the items of a Responses `input` array (a plain-string input has none).
fn responses_items(body: &Value) -> Vec<&Value> {
    array(body, "input").iter().collect()
}

/// Returns every content block of every Anthropic message, in order.
fn anthropic_blocks(body: &Value) -> Vec<&Value> {
    array(body, "messages").iter().flat_map(|message| array(message, "content")).collect()
}

/// Returns the text of a content value that is a string or a list of text-bearing parts, or `None` when
/// it holds no text parts at all (for example only tool results or images).
fn text_of(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|part| matches!(kind(part), Some("text" | "input_text" | "output_text") | None))
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// Returns the text of a tool output: a string, a list of parts or blocks joined with newlines, or the
/// JSON text of anything else.
fn content_text(content: Option<&Value>) -> String {
    match content {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other @ Value::Array(_)) => text_of(Some(other)).unwrap_or_default(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(path: &str, body: Value) -> RecordedRequest {
        RecordedRequest {
            path: path.to_owned(),
            headers: vec![("x-api-key".to_owned(), "k".to_owned())],
            body,
            body_bytes: 0,
        }
    }

    /// Checks every reader on one request at once.
    fn check(
        path: &str,
        body: Value,
        outputs: &[(&str, &str)],
        calls: &[(&str, &str)],
        users: &[&str],
        instructions: Option<&str>,
    ) {
        let request = request(path, body);
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
        };
        assert_eq!(request.tool_outputs(), pairs(outputs), "outputs of {path}");
        assert_eq!(request.tool_calls(), pairs(calls), "calls of {path}");
        assert_eq!(request.user_texts(), users, "user texts of {path}");
        assert_eq!(request.instructions().as_deref(), instructions, "instructions of {path}");
    }

    #[test]
    fn reads_responses_history_shapes() {
        check(
            "/v1/responses",
            json!({"instructions": "sys", "input": [
                {"role": "user", "content": "plain string, no type"},
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev"}]},
                {"type": "reasoning", "summary": []},
                {"type": "function_call", "call_id": "a", "name": "shell", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "a", "output": "plain"},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "one"}, {"type": "input_text", "text": "two"}]},
            ]}),
            &[("a", "plain")],
            &[("a", "shell")],
            &["plain string, no type", "one\ntwo"],
            Some("sys"),
        );
    }

    #[test]
    fn reads_chat_history_shapes() {
        check(
            "/chat/completions",
            json!({"messages": [
                {"role": "system", "content": [{"type": "text", "text": "sys"}]},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "shell", "arguments": "{}"}},
                    {"id": "b", "type": "function", "function": {"name": "read", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "b", "content": "B"},
                {"role": "tool", "tool_call_id": "a", "content": [{"type": "text", "text": "A"}]},
            ]}),
            &[("b", "B"), ("a", "A")],
            &[("a", "shell"), ("b", "read")],
            &["hi"],
            Some("sys"),
        );
    }

    #[test]
    fn reads_anthropic_history_shapes() {
        check(
            "/v1/messages",
            json!({"system": [{"type": "text", "text": "s1"}, {"type": "text", "text": "s2"}], "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "x"},
                    {"type": "tool_use", "id": "t", "name": "shell", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": "out", "is_error": true}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "u", "content": [{"type": "text", "text": "o2"}]},
                    {"type": "text", "text": "and then"}]},
            ]}),
            &[("t", "out"), ("u", "o2")],
            &[("t", "shell")],
            &["hi", "and then"],
            Some("s1\ns2"),
        );
    }

    #[test]
    fn wire_comes_from_the_path() {
        assert_eq!(Wire::from_path("/v1/responses"), Some(Wire::Responses));
        assert_eq!(Wire::from_path("/chat/completions"), Some(Wire::Chat));
        assert_eq!(Wire::from_path("/v1/messages"), Some(Wire::Anthropic));
        assert_eq!(Wire::from_path("/v1/models"), None);
        assert_eq!(request("/v1/messages", json!({})).header("X-API-Key"), Some("k"));
    }

    #[test]
    #[should_panic(expected = "has no wire format")]
    fn wire_of_an_unknown_path_panics_with_the_path() {
        request("/v1/embeddings", json!({})).wire();
    }
}
