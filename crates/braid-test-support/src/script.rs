//! What the scripted server plays: a list of replies, one per model request, and the `Turn` builder that
//! describes one normal streamed response independently of the wire format it is later rendered in.

/// The replies the server plays, one per model request, in order, whichever of the three model paths the
/// request arrives on.
#[derive(Debug, Clone, Default)]
pub struct Script(pub Vec<Reply>);

impl Script {
    /// Returns a script that plays `replies` in order.
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Script {
        Script(replies.into_iter().collect())
    }
}

/// One scripted answer to one model request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal, complete streamed response.
    Turn(Turn),
    /// A plain (non-SSE) error answer with this status and body, and a `Retry-After` header when set.
    HttpError { status: u16, body: String, retry_after: Option<String> },
    /// Streams the first `events` SSE events of `turn`, then aborts the connection without a clean end.
    DropAfter { turn: Turn, events: usize },
    /// Streams the first `events` SSE events of `turn`, then goes silent with the connection left open.
    StallAfter { turn: Turn, events: usize },
    /// An in-stream failure event in the wire format's own shape.
    Failed { code: String, message: String },
    /// Sends exactly this body with this content type and status 200, for malformed-stream tests.
    Raw { content_type: String, body: String },
}

impl From<Turn> for Reply {
    /// Wraps a turn as a normal streamed reply, so scripts can say `turn.into()`.
    fn from(turn: Turn) -> Reply {
        Reply::Turn(turn)
    }
}

/// One piece of a turn's output, in the order the model "produced" it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Text(String),
    Reasoning(String),
    ToolCall { call_id: String, name: String, arguments: String },
}

/// A normal streamed response, built with chained calls:
/// `Turn::new().text("Looking.").tool_call("c1", "shell", json!({"cmd": "ls"}))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub(crate) blocks: Vec<Block>,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
}

impl Default for Turn {
    fn default() -> Turn {
        Turn::new()
    }
}

impl Turn {
    /// Returns an empty turn with small fixed usage figures (input 12, output 7).
    pub fn new() -> Turn {
        Turn { blocks: Vec::new(), input_tokens: 12, output_tokens: 7 }
    }

    /// Adds an assistant message, streamed in a few deltas.
    pub fn text(mut self, text: &str) -> Turn {
        self.blocks.push(Block::Text(text.to_owned()));
        self
    }

    /// Adds a reasoning summary (Anthropic: a thinking block with a signature), streamed in a few deltas.
    pub fn reasoning(mut self, summary: &str) -> Turn {
        self.blocks.push(Block::Reasoning(summary.to_owned()));
        self
    }

    /// Adds a function tool call whose JSON arguments are streamed in several fragments.
    pub fn tool_call(self, call_id: &str, name: &str, arguments: serde_json::Value) -> Turn {
        let text = arguments.to_string();
        self.tool_call_raw(call_id, name, &text)
    }

    /// Adds a function tool call whose arguments text is sent verbatim, so it may be invalid JSON.
    pub fn tool_call_raw(mut self, call_id: &str, name: &str, arguments: &str) -> Turn {
        self.blocks.push(Block::ToolCall {
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        });
        self
    }

    /// Sets the token counts the response reports.
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Turn {
        self.input_tokens = input_tokens;
        self.output_tokens = output_tokens;
        self
    }

    /// Returns the (call id, name) of every tool call in this turn, in order.
    pub(crate) fn calls(&self) -> Vec<(String, String)> {
        self.blocks
            .iter()
            .filter_map(|block| match block {
                Block::ToolCall { call_id, name, .. } => Some((call_id.clone(), name.clone())),
                _ => None,
            })
            .collect()
    }

    /// Whether the turn ends with tool calls the client must answer.
    pub(crate) fn has_tool_calls(&self) -> bool {
        self.blocks.iter().any(|block| matches!(block, Block::ToolCall { .. }))
    }
}

/// Splits `text` into up to three non-empty pieces on character boundaries, so that clients have to
/// assemble deltas rather than getting lucky with a single one. Returns no pieces for empty text.
pub(crate) fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let size = chars.len().div_ceil(3);
    chars.chunks(size).map(|chunk| chunk.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &[&str]) {
        assert_eq!(pieces(input), expected, "pieces of {input:?}");
    }

    #[test]
    fn splits_into_up_to_three_pieces() {
        check("", &[]);
        check("a", &["a"]);
        check("ab", &["a", "b"]);
        check("abcdefg", &["abc", "def", "g"]);
        check("héllo wörld", &["héll", "o wö", "rld"]);
    }

    #[test]
    fn builder_collects_calls_in_order() {
        let turn = Turn::new().text("hi").tool_call("c1", "shell", serde_json::json!({"cmd": "ls"})).tool_call_raw(
            "c2",
            "read",
            "{not json",
        );
        assert!(turn.has_tool_calls());
        assert_eq!(turn.calls(), vec![("c1".to_owned(), "shell".to_owned()), ("c2".to_owned(), "read".to_owned())]);
    }
}
