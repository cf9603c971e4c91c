//! Token accounting: how many tokens the next request will take and how much room a tool output may
//! have, so that the session compacts before the window overflows and no single output floods it.
//!
//! Counts come, in order of trust, from the model's own tokenizer (the embedded model has one), from the
//! usage the provider reported for the previous request plus an estimate of what was added since, and
//! from a byte-based estimate whose tokens-per-byte ratio is recalibrated on every reported usage.

use braid_protocol::{Item, Prompt, ToolSpec, Usage};

/// Bytes per token before any usage has been seen: the usual figure for English and code with the
/// BPE vocabularies current models use.
const DEFAULT_BYTES_PER_TOKEN: f64 = 4.0;
/// Calibration is clamped to this range of bytes per token, so one odd response (a cached prompt
/// reported as zero input, a provider counting images) cannot wreck the estimate.
const BYTES_PER_TOKEN_RANGE: (f64, f64) = (1.5, 6.0);
/// Per-item overhead in bytes: role markers, JSON keys and separators every wire format adds.
const ITEM_OVERHEAD_BYTES: u64 = 16;
/// Tokens braid counts for one attached image. Providers count an image by its pixels (Anthropic about
/// one token per 750 pixels, up to about 1,600 for an image it does not scale down; OpenAI by 512-pixel
/// tiles), and braid does not decode images, so each is taken at the upper end of the usual size.
pub const IMAGE_TOKENS: u64 = 1_600;
/// [`IMAGE_TOKENS`] in the bytes of text braid's estimate counts, at the default ratio.
const IMAGE_BYTES: usize = IMAGE_TOKENS as usize * DEFAULT_BYTES_PER_TOKEN as usize;

/// Tracks the size of a session's conversation in tokens.
#[derive(Debug, Clone)]
pub struct TokenMeter {
    bytes_per_token: f64,
    /// The conversation's size after the last response, in the provider's tokens and in braid's bytes.
    /// The next request's size is this plus an estimate of the bytes added since.
    anchor: Option<Anchor>,
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    tokens: u64,
    bytes: u64,
}

impl Default for TokenMeter {
    fn default() -> Self {
        TokenMeter { bytes_per_token: DEFAULT_BYTES_PER_TOKEN, anchor: None }
    }
}

impl TokenMeter {
    /// The estimated token count of a conversation that is `bytes` long (see `prompt_bytes`).
    pub fn estimate(&self, bytes: u64) -> u64 {
        match self.anchor {
            // Only growth since the anchor is estimated; the rest is what the provider counted.
            Some(anchor) if bytes >= anchor.bytes => anchor.tokens + self.tokens_for_bytes(bytes - anchor.bytes),
            _ => self.tokens_for_bytes(bytes),
        }
    }

    /// Records a completed response. `request_bytes` is the size of the prompt that was sent,
    /// `conversation_bytes` the size with the response's items added. Returns the usage to account:
    /// the reported one, or an estimate (and `true`) when the provider reported none.
    pub fn observe(&mut self, request_bytes: u64, conversation_bytes: u64, reported: Option<Usage>) -> (Usage, bool) {
        match reported {
            Some(usage) if usage.input_tokens > 0 => {
                let ratio = request_bytes as f64 / usage.input_tokens as f64;
                self.bytes_per_token = ratio.clamp(BYTES_PER_TOKEN_RANGE.0, BYTES_PER_TOKEN_RANGE.1);
                // Reasoning tokens are not sent back on the next request, so they take no room.
                let visible_output = usage.output_tokens.saturating_sub(usage.reasoning_output_tokens);
                self.anchor = Some(Anchor { tokens: usage.input_tokens + visible_output, bytes: conversation_bytes });
                (usage, false)
            }
            _ => {
                let usage = Usage {
                    input_tokens: self.estimate(request_bytes),
                    output_tokens: self.tokens_for_bytes(conversation_bytes.saturating_sub(request_bytes)),
                    ..Usage::default()
                };
                // The estimate becomes the anchor, so the figures stay continuous from turn to turn.
                self.anchor =
                    Some(Anchor { tokens: usage.input_tokens + usage.output_tokens, bytes: conversation_bytes });
                (usage, true)
            }
        }
    }

    /// Forgets the anchor: after compaction the conversation is a different one.
    pub fn reset(&mut self) {
        self.anchor = None;
    }

    /// Tokens that `bytes` of text take, by the calibrated ratio, rounded up.
    pub fn tokens_for_bytes(&self, bytes: u64) -> u64 {
        (bytes as f64 / self.bytes_per_token).ceil() as u64
    }

    /// Bytes of text that fit in `tokens`, by the calibrated ratio, rounded down.
    pub fn bytes_for_tokens(&self, tokens: u64) -> usize {
        (tokens as f64 * self.bytes_per_token) as usize
    }
}

/// The size braid counts for a prompt: instructions, tool schemas and every item, in bytes.
pub fn prompt_bytes(prompt: &Prompt) -> u64 {
    request_bytes(&prompt.instructions, &prompt.tools, &prompt.input)
}

/// The size braid counts for a request made of these parts, in bytes, without building it.
pub fn request_bytes(instructions: &str, tools: &[ToolSpec], items: &[Item]) -> u64 {
    let tools: u64 = tools
        .iter()
        .map(|t| (t.name.len() + t.description.len() + t.parameters.to_string().len()) as u64 + ITEM_OVERHEAD_BYTES)
        .sum();
    instructions.len() as u64 + tools + items_bytes(items)
}

/// The size braid counts for conversation items, in bytes.
pub fn items_bytes(items: &[Item]) -> u64 {
    items.iter().map(item_bytes).sum()
}

/// The size braid counts for one item: its text (each image counted as `IMAGE_BYTES` of it) plus a fixed
/// overhead.
pub fn item_bytes(item: &Item) -> u64 {
    let text = match item {
        Item::Message { text, .. } => text.len(),
        // Encrypted reasoning is sent back but is opaque; its length is a fair guess of its weight.
        Item::Reasoning { text, encrypted } => text.len() + encrypted.as_ref().map_or(0, String::len),
        Item::ToolCall { call_id, name, arguments } => call_id.len() + name.len() + arguments.len(),
        Item::ToolOutput { call_id, output, images, .. } => call_id.len() + output.len() + images.len() * IMAGE_BYTES,
    };
    text as u64 + ITEM_OVERHEAD_BYTES
}

/// `output` cut to at most about `max_bytes`: the head and the tail are kept, on line boundaries where
/// one is near, and the cut is stated in the text so the model knows what it did not see and how to
/// get it. Output that fits is returned unchanged.
pub fn cap_output(output: &str, max_bytes: usize, meter: &TokenMeter) -> String {
    if output.len() <= max_bytes {
        return output.to_string();
    }
    let half = max_bytes / 2;
    let head_end = line_boundary_before(output, floor_char_boundary(output, half));
    let tail_start = line_boundary_after(output, ceil_char_boundary(output, output.len() - half));
    let cut = &output[head_end..tail_start];
    format!(
        "{}\n[... braid left out {} characters (about {} tokens, {} lines) here to keep the context window small. \
         To see them, narrow the command (grep, sed -n 'A,Bp', head, tail) or read the file in pages with \
         offset and limit ...]\n{}",
        output[..head_end].trim_end_matches('\n'),
        cut.chars().count(),
        meter.tokens_for_bytes(cut.len() as u64),
        cut.lines().count(),
        output[tail_start..].trim_start_matches('\n'),
    )
}

/// The end of the last full line within `text[..at]`, unless that throws away more than a fifth.
fn line_boundary_before(text: &str, at: usize) -> usize {
    match text[..at].rfind('\n') {
        Some(newline) if newline + 1 >= at - at / 5 => newline + 1,
        _ => at,
    }
}

/// The start of the first full line within `text[at..]`, unless that throws away more than a fifth.
fn line_boundary_after(text: &str, at: usize) -> usize {
    let room = (text.len() - at) / 5;
    match text[at..].find('\n') {
        Some(offset) if offset < room => at + offset + 1,
        _ => at,
    }
}

/// The first `max` bytes of `text` at most, cut back to a character boundary.
pub fn cut_at_char_boundary(text: &str, max: usize) -> &str {
    &text[..floor_char_boundary(text, max.min(text.len()))]
}

/// The last `max` bytes of `text` at most, cut forward to a character boundary.
pub fn tail_at_char_boundary(text: &str, max: usize) -> &str {
    &text[ceil_char_boundary(text, text.len().saturating_sub(max))..]
}

/// The largest character boundary of `text` at or before byte `at` (which must be at most its length).
pub fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest character boundary of `text` at or after byte `at` (which must be at most its length).
pub fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_image_counts_as_a_fixed_share_of_its_output() {
        let image = braid_protocol::ToolImage { mime_type: "image/png".into(), data: "UE5H".repeat(1000) };
        let plain = Item::tool_output("c1", "seen", true);
        let with = Item::ToolOutput {
            call_id: "c1".into(),
            output: "seen".into(),
            success: true,
            images: vec![image.clone(), image],
        };
        assert_eq!(item_bytes(&plain), 6 + ITEM_OVERHEAD_BYTES);
        assert_eq!(item_bytes(&with), 6 + 2 * 6_400 + ITEM_OVERHEAD_BYTES, "the image data's length does not count");
    }

    fn usage(input: u64, output: u64, reasoning: u64) -> Option<Usage> {
        Some(Usage {
            input_tokens: input,
            output_tokens: output,
            reasoning_output_tokens: reasoning,
            ..Usage::default()
        })
    }

    #[test]
    fn estimate_starts_at_four_bytes_per_token_then_calibrates() {
        let mut meter = TokenMeter::default();
        assert_eq!(meter.estimate(4000), 1000);
        // The provider counted 2000 tokens for 4000 bytes: 2 bytes per token from now on, and the
        // conversation (request plus 300 bytes of answer) stands at 2000 + 100 visible output tokens.
        let (reported, estimated) = meter.observe(4000, 4300, usage(2000, 150, 50));
        assert_eq!((reported.input_tokens, estimated), (2000, false));
        assert_eq!(meter.estimate(4300), 2100);
        assert_eq!(meter.estimate(5300), 2100 + 500);
        // A smaller conversation (after compaction) is estimated from scratch with the new ratio.
        meter.reset();
        assert_eq!(meter.estimate(1000), 500);
    }

    #[test]
    fn missing_usage_is_estimated_and_flagged() {
        let mut meter = TokenMeter::default();
        let (estimate, estimated) = meter.observe(8000, 8400, None);
        assert!(estimated);
        assert_eq!((estimate.input_tokens, estimate.output_tokens), (2000, 100));
        let (_, estimated) = meter.observe(8000, 8400, usage(0, 0, 0));
        assert!(estimated, "a zero input count is no count");
    }

    #[test]
    fn calibration_is_clamped() {
        let mut meter = TokenMeter::default();
        meter.observe(100_000, 100_000, usage(1, 1, 0));
        meter.reset();
        assert_eq!(meter.estimate(6000), 1000, "clamped at 6 bytes per token");
    }

    #[test]
    fn short_output_is_untouched() {
        assert_eq!(cap_output("abc\n", 10, &TokenMeter::default()), "abc\n");
    }

    #[test]
    fn long_output_keeps_whole_lines_at_both_ends_and_says_what_was_cut() {
        let text: String = (1..=100).map(|n| format!("line {n:03}\n")).collect();
        let capped = cap_output(&text, 200, &TokenMeter::default());
        let lines: Vec<&str> = capped.lines().collect();
        assert_eq!(lines.first(), Some(&"line 001"));
        assert_eq!(lines.last(), Some(&"line 100"));
        let marker = lines.iter().find(|l| l.starts_with("[... braid left out")).unwrap();
        assert!(marker.contains("(about ") && marker.contains("offset and limit"), "{marker}");
        let kept = lines.iter().filter(|l| l.starts_with("line ")).count();
        assert!((20..=22).contains(&kept), "kept {kept} lines");
        let cut: usize = marker.split_whitespace().nth(4).unwrap().parse().unwrap();
        assert_eq!(cut, text.len() - kept * 9);
    }

    #[test]
    fn cuts_inside_multibyte_text_and_single_long_lines() {
        let text = "é".repeat(1000);
        let capped = cap_output(&text, 101, &TokenMeter::default());
        assert!(capped.starts_with("éé") && capped.ends_with("éé"));
        assert!(capped.len() < 400, "{}", capped.len());
    }
}
