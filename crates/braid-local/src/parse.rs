//! Reads tool calls out of a local model's text. Grammar-constrained output always takes the first
//! path (`<tool_call>` tags); the lenient paths catch models running without a grammar, which
//! like to put the call in a fenced JSON block or bare on a line.

use serde_json::{Map, Value};

use crate::template::{BARE_CALL_OPEN, TOOL_CALL_CLOSE, TOOL_CALL_OPEN};

/// Follows streamed output and releases the prose that may be shown live: everything before the
/// first tool call, minus a tail that might be the start of one. Tool-call JSON is never shown as
/// text; it is reported as calls once the output is complete.
#[derive(Debug, Default)]
pub struct ProseFilter {
    text: String,
    /// How many bytes of `text` have been released.
    shown: usize,
    /// Every byte is prose: the response may not call tools, so text that looks like a call (a
    /// summary quoting one, say) is shown as it is.
    plain: bool,
}

impl ProseFilter {
    /// A filter for a response that may not call tools: it releases everything at once.
    pub fn plain() -> Self {
        ProseFilter { plain: true, ..ProseFilter::default() }
    }

    /// Adds a piece of output; returns the prose that became showable, if any.
    pub fn push(&mut self, piece: &str) -> Option<String> {
        self.text.push_str(piece);
        let markers = [TOOL_CALL_OPEN, BARE_CALL_OPEN];
        let visible = if self.plain {
            self.text.len()
        } else if let Some(at) = markers.iter().filter_map(|m| self.text.find(m)).min() {
            at
        } else {
            let held = markers
                .iter()
                .filter_map(|marker| (1..marker.len()).rev().find(|n| self.text.ends_with(&marker[..*n])))
                .max()
                .unwrap_or(0);
            self.text.len() - held
        };
        if visible <= self.shown {
            return None;
        }
        let delta = self.text[self.shown..visible].to_string();
        self.shown = visible;
        Some(delta)
    }

    /// Everything pushed so far.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A tool call found in the output.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCall {
    pub name: String,
    /// Always a JSON object.
    pub arguments: Value,
}

/// The model's text split into what it said and what it asked to run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedOutput {
    pub content: String,
    pub calls: Vec<ParsedCall>,
}

/// Splits `text` into prose and tool calls. Only calls naming one of `tools` count: a JSON object
/// that happens to have a `name` key is prose unless it names a real tool.
pub fn parse_output(text: &str, tools: &[impl AsRef<str>]) -> ParsedOutput {
    let tools: Vec<&str> = tools.iter().map(AsRef::as_ref).collect();
    let tools = tools.as_slice();
    if text.contains(TOOL_CALL_OPEN) {
        return parse_tagged(text, tools);
    }
    parse_loose(text, tools)
}

fn parse_tagged(text: &str, tools: &[&str]) -> ParsedOutput {
    let mut content = String::new();
    let mut calls = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(TOOL_CALL_OPEN) {
        content.push_str(&rest[..start]);
        let after = &rest[start + TOOL_CALL_OPEN.len()..];
        // A missing close tag means generation stopped mid-call or the model forgot it; take the
        // rest of the text as the body either way.
        let (body, next) = match after.find(TOOL_CALL_CLOSE) {
            Some(end) => (&after[..end], &after[end + TOOL_CALL_CLOSE.len()..]),
            None => (after, ""),
        };
        match call_from_json(body.trim(), tools) {
            Some(call) => calls.push(call),
            None => {
                content.push_str(TOOL_CALL_OPEN);
                content.push_str(body);
            }
        }
        rest = next;
    }
    content.push_str(rest);
    ParsedOutput { content: content.trim().to_string(), calls }
}

/// Fenced code blocks, then lines that are whole JSON objects.
fn parse_loose(text: &str, tools: &[&str]) -> ParsedOutput {
    let mut content = String::new();
    let mut calls = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            let mut block = Vec::new();
            let mut closed = false;
            for inner in lines.by_ref() {
                if inner.trim() == "```" {
                    closed = true;
                    break;
                }
                block.push(inner);
            }
            let body = block.join("\n");
            match call_from_json(body.trim(), tools) {
                Some(call) => calls.push(call),
                None => {
                    content.push_str(line);
                    content.push('\n');
                    content.push_str(&body);
                    if closed {
                        content.push_str("\n```");
                    }
                    content.push('\n');
                }
            }
            continue;
        }
        // A whole line that is a call, in any of the accepted shapes (OpenAI's wrapper included).
        if trimmed.starts_with('{')
            && let Some(call) = call_from_json(trimmed, tools)
        {
            calls.push(call);
            continue;
        }
        content.push_str(line);
        content.push('\n');
    }
    let (content, bare) = parse_bare(&content, tools);
    calls.extend(bare);
    ParsedOutput { content: content.trim().to_string(), calls }
}

/// Calls written as JSON objects in running text, possibly spread over several lines. Each is read
/// with a streaming JSON reader from where `{"name"` starts, so the object's own end is found
/// whatever follows it.
fn parse_bare(text: &str, tools: &[&str]) -> (String, Vec<ParsedCall>) {
    let mut content = String::new();
    let mut calls = Vec::new();
    let mut rest = text;
    while let Some(at) = find_bare_open(rest) {
        let candidate = &rest[at..];
        let mut values = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
        let parsed = match values.next() {
            Some(Ok(value)) => Some((value, values.byte_offset())),
            _ => None,
        };
        match parsed.and_then(|(value, end)| call_from_json(&value.to_string(), tools).map(|call| (call, end))) {
            Some((call, end)) => {
                content.push_str(&rest[..at]);
                calls.push(call);
                rest = &candidate[end..];
            }
            None => {
                content.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    content.push_str(rest);
    (content, calls)
}

/// Where the next object opening with a `"name"` key starts: `{"name"`, or with whitespace inside as in
/// `{ "name"` (which the call grammar allows, and which a forced call therefore often looks like).
fn find_bare_open(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = text[from..].find('{') {
        let at = from + offset;
        if text[at + 1..].trim_start().starts_with("\"name\"") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A call from JSON text shaped `{"name": ..., "arguments": {...}}` (also accepting `parameters`,
/// arguments given as a JSON string, and OpenAI's `{"function": {...}}` wrapper).
fn call_from_json(body: &str, tools: &[&str]) -> Option<ParsedCall> {
    let value: Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    let object = match object.get("function").and_then(Value::as_object) {
        Some(inner) => inner,
        None => object,
    };
    let name = object.get("name")?.as_str()?;
    if !tools.contains(&name) {
        return None;
    }
    let arguments = match object.get("arguments").or_else(|| object.get("parameters")) {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Value::Object(map),
            _ => return None,
        },
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(_) => return None,
    };
    Some(ParsedCall { name: name.to_string(), arguments })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOOLS: &[&str] = &["shell", "read_file"];

    fn check(text: &str, content: &str, calls: &[(&str, Value)]) {
        let parsed = parse_output(text, TOOLS);
        let expected: Vec<ParsedCall> =
            calls.iter().map(|(name, args)| ParsedCall { name: name.to_string(), arguments: args.clone() }).collect();
        assert_eq!(parsed, ParsedOutput { content: content.to_string(), calls: expected }, "input: {text:?}");
    }

    #[test]
    fn tagged_calls() {
        check(
            "Let me look.\n<tool_call>\n{\"name\": \"shell\", \"arguments\": {\"command\": [\"ls\"]}}\n</tool_call>",
            "Let me look.",
            &[("shell", json!({"command": ["ls"]}))],
        );
        check(
            "<tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}</tool_call>\n<tool_call>{\"name\":\"shell\",\"arguments\":\"{\\\"command\\\":[\\\"pwd\\\"]}\"}",
            "",
            &[("read_file", json!({"path": "a"})), ("shell", json!({"command": ["pwd"]}))],
        );
    }

    #[test]
    fn a_tagged_call_to_an_unknown_tool_stays_text() {
        check(
            "<tool_call>{\"name\":\"rm_rf\",\"arguments\":{}}</tool_call>",
            "<tool_call>{\"name\":\"rm_rf\",\"arguments\":{}}",
            &[],
        );
    }

    #[test]
    fn fenced_and_bare_json() {
        check(
            "I will run it:\n```json\n{\"name\": \"shell\", \"parameters\": {\"command\": [\"cargo\", \"test\"]}}\n```",
            "I will run it:",
            &[("shell", json!({"command": ["cargo", "test"]}))],
        );
        check(
            "{\"function\": {\"name\": \"read_file\", \"arguments\": {\"path\": \"x\"}}}",
            "",
            &[("read_file", json!({"path": "x"}))],
        );
    }

    #[test]
    fn a_bare_call_spread_over_lines_with_spaces_inside_the_brace_is_a_call() {
        // The shape a grammar-forced call takes: whitespace after `{`, the object over several lines.
        check(
            "{ \"name\": \"read_file\",\n  \"arguments\": { \"path\": \"a.py\" } }",
            "",
            &[("read_file", json!({"path": "a.py"}))],
        );
        check(
            "Reading it. {\n\"name\": \"shell\", \"arguments\": {\"command\": [\"ls\"]}\n} done",
            "Reading it.  done",
            &[("shell", json!({"command": ["ls"]}))],
        );
        check(
            "{ \"name\": \"nope\", \"arguments\": {} } and {a}",
            "{ \"name\": \"nope\", \"arguments\": {} } and {a}",
            &[],
        );
    }

    #[test]
    fn prose_filter_stops_at_a_tool_call() {
        let mut filter = ProseFilter::default();
        let shown: String = ["I will", " look.\n<tool", "_call>\n{\"name\"", ": \"shell\"}"]
            .iter()
            .filter_map(|piece| filter.push(piece))
            .collect();
        assert_eq!(shown, "I will look.\n");
        let mut filter = ProseFilter::default();
        assert_eq!(filter.push("a <"), Some("a ".into()));
        assert_eq!(filter.push("b"), Some("<b".into()));
    }

    #[test]
    fn a_plain_filter_shows_call_shaped_text_as_it_comes() {
        let mut filter = ProseFilter::plain();
        let pieces = ["Summary: ran ", "<tool_call>", "{\"name\": \"shell\"}"];
        let shown: Vec<Option<String>> = pieces.iter().map(|piece| filter.push(piece)).collect();
        assert_eq!(shown, pieces.iter().map(|p| Some(p.to_string())).collect::<Vec<_>>());
        assert_eq!(filter.text(), pieces.concat());
    }

    #[test]
    fn a_bare_call_spread_over_lines() {
        check(
            "Now the fix:\n{\"name\": \"shell\",\n \"arguments\": {\"command\": [\"ls\"]}}\nthen more",
            "Now the fix:\n\nthen more",
            &[("shell", json!({"command": ["ls"]}))],
        );
    }

    #[test]
    fn code_that_is_not_a_call_stays_text() {
        check("```python\nprint(1)\n```\ndone", "```python\nprint(1)\n```\ndone", &[]);
        check("{\"name\": \"Bob\"}", "{\"name\": \"Bob\"}", &[]);
        check("{\"name\": oops", "{\"name\": oops", &[]);
    }
}
