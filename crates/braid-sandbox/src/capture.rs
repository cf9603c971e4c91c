//! Bounded capture of a command's output: keeps the head and the tail, counts what was cut in between.
//!
//! A chatty command (a test suite, `seq 1 10000000`) must not grow braid's memory without bound, and
//! the model learns the most from the start of the output (what ran) and its end (how it finished), so
//! the middle is what gets dropped.

use std::collections::VecDeque;

/// Collects bytes, holding at most `max_bytes` of them: the first half and the last half.
#[derive(Debug)]
pub struct HeadTail {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    total: usize,
}

/// The text a capture ends up with, and how many bytes of the original were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub text: String,
    pub truncated_bytes: usize,
}

impl HeadTail {
    /// A capture that keeps at most `max_bytes` bytes in total.
    pub fn new(max_bytes: usize) -> Self {
        let head_cap = max_bytes / 2;
        HeadTail { head: Vec::new(), tail: VecDeque::new(), head_cap, tail_cap: max_bytes - head_cap, total: 0 }
    }

    /// Appends `bytes`; the head fills first, later bytes go through the tail window.
    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        if self.head.len() < self.head_cap {
            let take = bytes.len().min(self.head_cap - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        if self.tail_cap == 0 || bytes.is_empty() {
            return;
        }
        // Only the last `tail_cap` bytes of this chunk can survive, so skip the rest up front.
        if bytes.len() > self.tail_cap {
            bytes = &bytes[bytes.len() - self.tail_cap..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// The captured text, decoded lossily. When bytes were cut, the head is trimmed back and the tail
    /// forward to UTF-8 character boundaries (so no character is split), and a line
    /// `[... N bytes cut ...]` marks the gap; `truncated_bytes` is N.
    pub fn finish(self) -> Captured {
        let kept = self.head.len() + self.tail.len();
        let (head, tail) = (self.head, Vec::from(self.tail));
        if kept == self.total {
            let mut all = head;
            all.extend_from_slice(&tail);
            return Captured { text: String::from_utf8_lossy(&all).into_owned(), truncated_bytes: 0 };
        }
        let head = &head[..char_boundary_back(&head)];
        let tail = &tail[char_boundary_forward(&tail)..];
        let cut = self.total - head.len() - tail.len();
        let mut text = String::from_utf8_lossy(head).into_owned();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("[... {cut} bytes cut ...]\n"));
        text.push_str(&String::from_utf8_lossy(tail));
        Captured { text, truncated_bytes: cut }
    }
}

/// Turns a byte stream into text pieces that never split a UTF-8 character, for showing a command's
/// output live: the bytes of a character cut by a read wait for the next read. Bytes that can never be
/// valid UTF-8 become U+FFFD, as in the final capture.
#[derive(Debug, Default)]
pub struct Utf8Pieces {
    pending: Vec<u8>,
}

impl Utf8Pieces {
    /// Appends `bytes` and returns the text that is now complete; `None` when there is none yet.
    pub fn push(&mut self, bytes: &[u8]) -> Option<String> {
        self.pending.extend_from_slice(bytes);
        let mut text = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    text.push_str(valid);
                    rest = &[];
                    break;
                }
                Err(err) => {
                    let (valid, after) = rest.split_at(err.valid_up_to());
                    text.push_str(&String::from_utf8_lossy(valid));
                    match err.error_len() {
                        // An incomplete character at the end: keep its bytes for the next read.
                        None => {
                            rest = after;
                            break;
                        }
                        Some(bad) => {
                            text.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        (!text.is_empty()).then_some(text)
    }

    /// The text of bytes still held back at the end of the stream (an incomplete character), decoded
    /// lossily; `None` when nothing is held back.
    pub fn finish(self) -> Option<String> {
        (!self.pending.is_empty()).then(|| String::from_utf8_lossy(&self.pending).into_owned())
    }
}

/// The length of the longest prefix of `bytes` that does not end inside a multi-byte UTF-8 character.
fn char_boundary_back(bytes: &[u8]) -> usize {
    // Look back at most three bytes for the start of the last character.
    for back in 1..=bytes.len().min(4) {
        let at = bytes.len() - back;
        let byte = bytes[at];
        if byte & 0b1100_0000 != 0b1000_0000 {
            let width = utf8_width(byte);
            // The character starting here is complete when all its bytes are present.
            return if width <= back { bytes.len() } else { at };
        }
    }
    bytes.len()
}

/// The index of the first byte of `bytes` that is not a UTF-8 continuation byte (at most three skipped).
fn char_boundary_forward(bytes: &[u8]) -> usize {
    bytes.iter().take(3).take_while(|b| *b & 0b1100_0000 == 0b1000_0000).count()
}

/// How many bytes the UTF-8 character starting with `first` occupies (1 for invalid lead bytes, which
/// lossy decoding will replace anyway).
fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(max: usize, chunks: &[&str], expected_text: &str, expected_cut: usize) {
        let mut capture = HeadTail::new(max);
        for chunk in chunks {
            capture.push(chunk.as_bytes());
        }
        let got = capture.finish();
        assert_eq!(got.text, expected_text);
        assert_eq!(got.truncated_bytes, expected_cut);
    }

    #[test]
    fn short_output_is_kept_whole() {
        check(10, &["abc", "def"], "abcdef", 0);
        check(6, &["abc", "def"], "abcdef", 0);
        check(0, &[], "", 0);
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        check(6, &["abcdefghij"], "abc\n[... 4 bytes cut ...]\nhij", 4);
        check(6, &["ab", "cdefg", "hi", "j"], "abc\n[... 4 bytes cut ...]\nhij", 4);
        check(4, &["a\n", "b\n", "c\n", "d\n"], "a\n[... 4 bytes cut ...]\nd\n", 4);
    }

    #[test]
    fn zero_budget_cuts_everything() {
        check(0, &["abc"], "[... 3 bytes cut ...]\n", 3);
    }

    #[test]
    fn multibyte_characters_are_not_split() {
        // "é" is two bytes: the head would end, and the tail begin, in the middle of one.
        check(4, &["aé", "xxxx", "éb"], "a\n[... 8 bytes cut ...]\nb", 8);
        check(6, &["€€€€"], "€\n[... 6 bytes cut ...]\n€", 6);
    }

    fn check_pieces(chunks: &[&[u8]], expected: &[&str]) {
        let mut pieces = Utf8Pieces::default();
        let mut got: Vec<String> = chunks.iter().filter_map(|chunk| pieces.push(chunk)).collect();
        got.extend(pieces.finish());
        assert_eq!(got, expected, "chunks {chunks:?}");
    }

    #[test]
    fn pieces_never_split_a_character() {
        let e = "é".as_bytes();
        check_pieces(&[b"one\n", b"two\n"], &["one\n", "two\n"]);
        check_pieces(&[b"a", &e[..1], &e[1..], b"b"], &["a", "é", "b"]);
        check_pieces(&[&e[..1]], &["\u{fffd}"]);
        check_pieces(&[b"", b"x"], &["x"]);
        check_pieces(&[b"a\xffb"], &["a\u{fffd}b"]);
        check_pieces(&[b"a\xff", &e[..1], b"", &e[1..]], &["a\u{fffd}", "é"]);
    }

    #[test]
    fn boundary_helpers() {
        assert_eq!(char_boundary_back("aé".as_bytes()), 3);
        assert_eq!(char_boundary_back(&"aé".as_bytes()[..2]), 1);
        assert_eq!(char_boundary_back(b""), 0);
        assert_eq!(char_boundary_forward(&"é".as_bytes()[1..]), 1);
        assert_eq!(char_boundary_forward(b"abc"), 0);
    }
}
