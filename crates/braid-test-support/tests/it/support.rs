//! Shared helpers: posting JSON to the server and parsing an SSE body by hand, so the tests check the
//! bytes on the wire rather than trusting another SSE implementation.

use serde_json::Value;

/// One parsed SSE record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

impl Event {
    /// The data parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|err| panic!("data {:?}: {err}", self.data))
    }
}

/// Parses a complete SSE body into its records.
pub fn parse_sse(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter(|record| !record.trim().is_empty())
        .map(|record| {
            let mut event = None;
            let mut data = Vec::new();
            for line in record.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_owned());
                } else if let Some(payload) = line.strip_prefix("data: ") {
                    data.push(payload);
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            Event { event, data: data.join("\n") }
        })
        .collect()
}

/// Posts `body` as JSON to `base_url` + `path`.
pub async fn post(base_url: &str, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base_url}{path}"))
        .header("authorization", "Bearer test-key")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Posts `body` and returns the parsed SSE events of a successful streamed answer.
pub async fn stream(base_url: &str, path: &str, body: &Value) -> Vec<Event> {
    let response = post(base_url, path, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"].to_str().unwrap(), "text/event-stream");
    parse_sse(&response.text().await.unwrap())
}

/// Returns the names of events (the `event:` line) in order.
pub fn names(events: &[Event]) -> Vec<String> {
    events.iter().map(|event| event.event.clone().unwrap_or_default()).collect()
}

/// Concatenates the string at `pointer` in each event whose JSON `type` is `kind`.
pub fn joined(events: &[Event], kind: &str, pointer: &str) -> String {
    events
        .iter()
        .map(Event::json)
        .filter(|json| json["type"] == kind)
        .map(|json| json.pointer(pointer).and_then(Value::as_str).unwrap().to_owned())
        .collect()
}

/// Counts events whose JSON `type` is `kind`.
pub fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|event| event.json()["type"] == kind).count()
}
