//! Turns a stream of token bytes into text that is safe to emit: whole UTF-8 characters only, and
//! nothing that might turn out to be the start of a stop string.

/// Accumulates token bytes and releases text once it can no longer change.
#[derive(Debug, Default)]
pub(crate) struct TextStream {
    /// Bytes of an incomplete UTF-8 character at the end of the last token.
    partial: Vec<u8>,
    /// Decoded text not yet released because it could be the beginning of a stop string.
    held: String,
    stop: Vec<String>,
}

/// What pushing a token produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Pushed {
    /// Text that may be emitted now.
    pub text: String,
    /// A stop string was completed; generation must end and `text` is everything before it.
    pub stopped: bool,
}

impl TextStream {
    pub(crate) fn new(stop: Vec<String>) -> Self {
        TextStream { stop: stop.into_iter().filter(|s| !s.is_empty()).collect(), ..TextStream::default() }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) -> Pushed {
        self.partial.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.partial) {
            Ok(text) => text.len(),
            // An error with no `error_len` is an incomplete character at the end: keep its bytes
            // for the next token. Any other error is bytes that can never decode; replace them.
            Err(err) if err.error_len().is_none() => err.valid_up_to(),
            Err(_) => {
                let lossy = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                self.held.push_str(&lossy);
                return self.release();
            }
        };
        let rest = self.partial.split_off(valid);
        let decoded = std::mem::replace(&mut self.partial, rest);
        self.held.push_str(&String::from_utf8_lossy(&decoded));
        self.release()
    }

    /// Emits whatever is still held; called when generation ends for another reason.
    pub(crate) fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.held);
        if !self.partial.is_empty() {
            text.push_str(&String::from_utf8_lossy(&self.partial));
            self.partial.clear();
        }
        text
    }

    fn release(&mut self) -> Pushed {
        if let Some(at) = self.stop.iter().filter_map(|stop| self.held.find(stop.as_str())).min() {
            let text = self.held[..at].to_string();
            self.held.clear();
            return Pushed { text, stopped: true };
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        let keep = self
            .stop
            .iter()
            .flat_map(|stop| (1..stop.len()).filter(|n| stop.is_char_boundary(*n)).map(move |n| &stop[..n]))
            .filter(|prefix| self.held.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let text = self.held[..cut].to_string();
        self.held.drain(..cut);
        Pushed { text, stopped: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stop: &[&str], pieces: &[&[u8]]) -> (Vec<String>, bool, String) {
        let mut stream = TextStream::new(stop.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        for piece in pieces {
            let pushed = stream.push(piece);
            out.push(pushed.text);
            if pushed.stopped {
                return (out, true, String::new());
            }
        }
        let rest = stream.finish();
        (out, false, rest)
    }

    #[test]
    fn splits_multibyte_characters_across_tokens() {
        let snow = "é".as_bytes();
        assert_eq!(
            run(&[], &[b"caf", &snow[..1], &snow[1..]]),
            (vec!["caf".into(), "".into(), "é".into()], false, "".into())
        );
    }

    #[test]
    fn holds_back_a_possible_stop_prefix_and_cuts_at_the_stop() {
        assert_eq!(
            run(&["</s>"], &[b"ab<", b"/s", b">tail"]),
            (vec!["ab".into(), "".into(), "".into()], true, "".into())
        );
        assert_eq!(run(&["</s>"], &[b"ab<", b"x"]), (vec!["ab".into(), "<x".into()], false, "".into()));
    }

    #[test]
    fn releases_held_text_at_the_end() {
        assert_eq!(run(&["STOP"], &[b"ok ST"]), (vec!["ok ".into()], false, "ST".into()));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        assert_eq!(run(&[], &[b"a\xffb"]), (vec!["a\u{fffd}b".into()], false, "".into()));
    }
}
