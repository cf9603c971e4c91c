//! The invariant behind `ScriptedServer::assert_every_tool_call_answered_once`: every tool call the server
//! delivered in a completed reply is answered exactly once in the next request and in every later one
//! until a compaction drops the call and its output together, and nothing answers a call that was never
//! delivered. Kept apart from the server so the rule can be tested on plain data.

use crate::request::RecordedRequest;

/// One received request together with what the server did with it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub request: RecordedRequest,
    /// (call id, name) of the tool calls delivered in a completed reply to this request.
    pub delivered: Vec<(String, String)>,
    /// Whether the request arrived after the script ran out.
    pub exhausted: bool,
}

/// Returns a description of every way the recorded exchange breaks the invariant; empty when it holds.
/// Requests are numbered from 0 in arrival order. Requests to paths that are not model endpoints are
/// ignored, since they carry no conversation.
pub(crate) fn problems(entries: &[Entry]) -> Vec<String> {
    let mut found = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if entry.exhausted {
            found.push(format!(
                "request #{index} to {} arrived after the script ran out (add a reply or stop the client earlier)",
                entry.request.path
            ));
        }
    }

    for (index, entry) in entries.iter().enumerate() {
        for (call_id, name) in &entry.delivered {
            let later: Vec<(usize, &Entry)> = entries
                .iter()
                .enumerate()
                .skip(index + 1)
                .filter(|(_, later)| later.request.try_wire().is_some() && !later.exhausted)
                .collect();
            if later.is_empty() {
                found.push(format!(
                    "tool call {call_id:?} ({name}) delivered in the reply to request #{index} was never followed by a request carrying its output"
                ));
            }
            // A compacting client replaces the history with a summary: from then on a call may be
            // gone together with its output. The first later request must still answer it, and a call
            // that was compacted away never comes back.
            let mut compacted_at = None;
            for (position, (later_index, later)) in later.into_iter().enumerate() {
                let outputs = count(&later.request.tool_outputs(), call_id);
                let echoes = count(&later.request.tool_calls(), call_id);
                if position > 0 && outputs == 0 && echoes == 0 {
                    compacted_at.get_or_insert(later_index);
                    continue;
                }
                if let Some(gone) = compacted_at {
                    found.push(format!(
                        "request #{later_index} brings back tool call {call_id:?} ({name}), which request #{gone} had compacted away"
                    ));
                    continue;
                }
                if outputs != 1 {
                    found.push(format!(
                        "request #{later_index} carries {outputs} outputs for tool call {call_id:?} ({name}, delivered in the reply to request #{index}); expected exactly 1"
                    ));
                }
                if echoes != 1 {
                    found.push(format!(
                        "request #{later_index} echoes tool call {call_id:?} ({name}, delivered in the reply to request #{index}) {echoes} times in its history; expected exactly 1"
                    ));
                }
            }
        }
    }

    for (index, entry) in entries.iter().enumerate() {
        for (call_id, _) in entry.request.tool_outputs() {
            let delivered_before =
                entries[..index].iter().any(|earlier| earlier.delivered.iter().any(|(id, _)| *id == call_id));
            if !delivered_before {
                found.push(format!(
                    "request #{index} carries an output for tool call {call_id:?}, which no earlier completed reply delivered"
                ));
            }
        }
    }
    found
}

/// Returns how many of `pairs` have `call_id` as their first element.
fn count(pairs: &[(String, String)], call_id: &str) -> usize {
    pairs.iter().filter(|(id, _)| id == call_id).count()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn chat(messages: Value) -> RecordedRequest {
        RecordedRequest {
            path: "/v1/chat/completions".to_owned(),
            headers: Vec::new(),
            body: json!({ "messages": messages }),
            body_bytes: 0,
        }
    }

    fn entry(request: RecordedRequest, delivered: &[&str]) -> Entry {
        Entry {
            request,
            delivered: delivered.iter().map(|id| ((*id).to_owned(), "shell".to_owned())).collect(),
            exhausted: false,
        }
    }

    fn call_and_output(id: &str, outputs: usize) -> Vec<Value> {
        let mut messages = vec![
            json!({"role": "user", "content": "go"}),
            json!({"role": "assistant", "tool_calls": [{"id": id, "type": "function", "function": {"name": "shell", "arguments": "{}"}}]}),
        ];
        for _ in 0..outputs {
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": "ok"}));
        }
        messages
    }

    fn check(entries: &[Entry], expected: &[&str]) {
        let found = problems(entries);
        assert_eq!(found.len(), expected.len(), "problems: {found:#?}");
        for (problem, fragment) in found.iter().zip(expected) {
            assert!(problem.contains(fragment), "{problem:?} should contain {fragment:?}");
        }
    }

    #[test]
    fn correct_exchange_has_no_problems() {
        let first = entry(chat(json!([{"role": "user", "content": "go"}])), &["c1"]);
        let second = entry(chat(Value::Array(call_and_output("c1", 1))), &[]);
        check(&[first, second], &[]);
    }

    #[test]
    fn reports_missing_duplicate_unknown_and_exhausted() {
        let go = || chat(json!([{"role": "user", "content": "go"}]));
        check(&[entry(go(), &["c1"])], &["never followed"]);
        check(
            &[entry(go(), &["c1"]), entry(chat(Value::Array(call_and_output("c1", 0))), &[])],
            &["carries 0 outputs"],
        );
        check(
            &[entry(go(), &["c1"]), entry(chat(Value::Array(call_and_output("c1", 2))), &[])],
            &["carries 2 outputs"],
        );
        check(
            &[entry(go(), &[]), entry(chat(Value::Array(call_and_output("zz", 1))), &[])],
            &["no earlier completed reply delivered"],
        );
        let mut late = entry(go(), &[]);
        late.exhausted = true;
        check(&[entry(go(), &[]), late], &["after the script ran out"]);
    }

    #[test]
    fn compaction_may_drop_a_call_with_its_output_but_not_bring_it_back() {
        let go = || chat(json!([{"role": "user", "content": "go"}]));
        let answered = || chat(Value::Array(call_and_output("c1", 1)));
        let compacted = || chat(json!([{"role": "user", "content": "go"}, {"role": "user", "content": "summary"}]));
        check(&[entry(go(), &["c1"]), entry(answered(), &[]), entry(compacted(), &[]), entry(compacted(), &[])], &[]);
        check(&[entry(go(), &["c1"]), entry(compacted(), &[])], &["carries 0 outputs", "echoes tool call"]);
        check(
            &[entry(go(), &["c1"]), entry(answered(), &[]), entry(compacted(), &[]), entry(answered(), &[])],
            &["brings back tool call"],
        );
        check(
            &[entry(go(), &["c1"]), entry(answered(), &[]), entry(chat(Value::Array(call_and_output("c1", 0))), &[])],
            &["carries 0 outputs"],
        );
    }
}
