//! The composer: the multi-line input at the bottom of the session view, with history, cursor movement
//! and large pastes folded into placeholders.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use crate::palette;

/// Pastes with more lines than this are shown as a placeholder (and sent in full).
const PASTE_FOLD_LINES: usize = 5;
/// The composer never grows taller than this many rows; it scrolls to keep the cursor visible.
pub(crate) const MAX_ROWS: usize = 8;

/// The text being written. `cursor` is a byte offset into `text`, always on a character boundary.
#[derive(Debug, Clone, Default)]
pub(crate) struct Composer {
    pub text: String,
    pub cursor: usize,
    history: Vec<String>,
    /// Where Up/Down are in `history`; `None` when editing a fresh draft.
    history_pos: Option<usize>,
    /// The draft put aside while browsing history.
    draft: String,
    /// Placeholders standing for large pastes, and what they stand for.
    pastes: Vec<(String, String)>,
}

impl Composer {
    pub(crate) fn new(history: Vec<String>) -> Self {
        Composer { history, ..Composer::default() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub(crate) fn insert_str(&mut self, s: &str) {
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
    }

    pub(crate) fn insert_char(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// Inserts pasted text; more than a few lines become a `[pasted N lines]` placeholder.
    pub(crate) fn paste(&mut self, pasted: &str) {
        let pasted = pasted.replace("\r\n", "\n").replace('\r', "\n");
        let lines = pasted.lines().count();
        if lines > PASTE_FOLD_LINES {
            let mut placeholder = format!("[pasted {lines} lines]");
            let mut n = 2;
            while self.pastes.iter().any(|(p, _)| *p == placeholder) {
                placeholder = format!("[pasted {lines} lines #{n}]");
                n += 1;
            }
            self.insert_str(&placeholder);
            self.pastes.push((placeholder, pasted));
        } else {
            self.insert_str(&pasted);
        }
    }

    /// Takes the text to send, with paste placeholders expanded, and clears the composer. The text is
    /// remembered in the history.
    pub(crate) fn take(&mut self) -> String {
        let shown = std::mem::take(&mut self.text);
        let mut full = shown.clone();
        for (placeholder, pasted) in self.pastes.drain(..) {
            full = full.replacen(&placeholder, &pasted, 1);
        }
        if !shown.trim().is_empty() && self.history.last() != Some(&shown) {
            self.history.push(shown);
        }
        self.cursor = 0;
        self.history_pos = None;
        full
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
        self.pastes.clear();
        self.history_pos = None;
    }

    pub(crate) fn backspace(&mut self) {
        // A paste placeholder goes as a whole: half a placeholder would expand to nothing.
        if let Some((placeholder, _)) = self.pastes.iter().find(|(p, _)| self.text[..self.cursor].ends_with(p.as_str()))
        {
            let start = self.cursor - placeholder.len();
            self.text.replace_range(start..self.cursor, "");
            self.cursor = start;
            return;
        }
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    pub(crate) fn delete(&mut self) {
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    pub(crate) fn left(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    pub(crate) fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..].find('\n').map_or(self.text.len(), |i| self.cursor + i)
    }

    pub(crate) fn home(&mut self) {
        self.cursor = self.line_start();
    }

    pub(crate) fn end(&mut self) {
        self.cursor = self.line_end();
    }

    /// Moves up a line, or to the previous history entry from the first line.
    pub(crate) fn up(&mut self) {
        let start = self.line_start();
        if start == 0 {
            self.history_prev();
            return;
        }
        let col = self.text[start..self.cursor].chars().count();
        let prev_start = self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        self.cursor = advance(&self.text, prev_start, start - 1, col);
    }

    /// Moves down a line, or to the next history entry from the last line.
    pub(crate) fn down(&mut self) {
        let end = self.line_end();
        if end == self.text.len() {
            self.history_next();
            return;
        }
        let col = self.text[self.line_start()..self.cursor].chars().count();
        let next_start = end + 1;
        let next_end = self.text[next_start..].find('\n').map_or(self.text.len(), |i| next_start + i);
        self.cursor = advance(&self.text, next_start, next_end, col);
    }

    fn history_prev(&mut self) {
        let pos = match self.history_pos {
            None if self.history.is_empty() => return,
            None => {
                self.draft = self.text.clone();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(p) => p - 1,
        };
        self.history_pos = Some(pos);
        self.text = self.history[pos].clone();
        self.cursor = self.text.len();
    }

    fn history_next(&mut self) {
        let Some(pos) = self.history_pos else { return };
        if pos + 1 < self.history.len() {
            self.history_pos = Some(pos + 1);
            self.text = self.history[pos + 1].clone();
        } else {
            self.history_pos = None;
            self.text = std::mem::take(&mut self.draft);
        }
        self.cursor = self.text.len();
    }

    /// The composer's rows at `width` columns (a `› ` prompt, then the text wrapped at spaces, or
    /// anywhere in a word longer than a row), and the cursor's (column, row) among them.
    pub(crate) fn layout(&self, width: usize) -> (Vec<Line<'static>>, (u16, u16)) {
        let inner = width.saturating_sub(2).max(1);
        let mut rows: Vec<Line<'static>> = Vec::new();
        let mut cursor = (2u16, 0u16);
        let mut offset = 0usize;
        for (i, line) in self.text.split('\n').enumerate() {
            let breaks = row_breaks(line, inner);
            for (r, &(start, end)) in breaks.iter().enumerate() {
                let prefix = if i == 0 && r == 0 { Span::styled("› ", palette::user()) } else { Span::raw("  ") };
                let last = r + 1 == breaks.len();
                let at = self.cursor.checked_sub(offset).filter(|b| *b >= start && (*b < end || (last && *b == end)));
                if let Some(b) = at {
                    cursor = ((crate::wrap::width(&line[start..b]) + 2) as u16, rows.len() as u16);
                }
                rows.push(Line::from(vec![prefix, Span::raw(line[start..end].to_string())]));
            }
            offset += line.len() + 1;
        }
        (rows, cursor)
    }
}

/// Splits one line into rows of at most `inner` columns, as byte ranges: after the last space that
/// fits, or mid-word when a word is longer than a row. A row that ends exactly full gets an empty
/// row after it only at the end of the line, where the cursor needs somewhere to be.
fn row_breaks(line: &str, inner: usize) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let mut start = 0usize;
    let mut col = 0usize;
    let mut last_space: Option<usize> = None;
    for (b, c) in line.char_indices() {
        let w = c.width().unwrap_or(0);
        if col + w > inner && b > start {
            let end = match last_space {
                // A space that overflows ends the row itself (drawn past the edge, where it is not seen),
                // so the next row does not start with it.
                _ if c == ' ' => b + 1,
                Some(space) if space > start => space,
                _ => b,
            };
            rows.push((start, end));
            start = end;
            last_space = None;
            if start > b {
                col = 0;
                continue;
            }
            col = crate::wrap::width(&line[start..b]);
        }
        col += w;
        if c == ' ' {
            last_space = Some(b + 1);
        }
    }
    if col >= inner && start < line.len() {
        rows.push((start, line.len()));
        start = line.len();
    }
    rows.push((start, line.len()));
    rows
}

/// The byte offset `col` characters after `start`, but not past `end`.
fn advance(text: &str, start: usize, end: usize, col: usize) -> usize {
    text[start..end].char_indices().nth(col).map_or(end, |(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;

    fn typed(s: &str) -> Composer {
        let mut c = Composer::new(vec!["first".to_string(), "second".to_string()]);
        c.insert_str(s);
        c
    }

    #[test]
    fn moves_between_lines_and_history() {
        let mut c = typed("abc\nde");
        c.up();
        assert_eq!(c.cursor, 2, "column kept when moving up");
        c.up();
        assert_eq!(c.text, "second", "Up on the first line goes back in history");
        c.up();
        assert_eq!(c.text, "first");
        c.down();
        c.down();
        assert_eq!(c.text, "abc\nde", "the draft comes back");
        c.home();
        assert_eq!(c.cursor, 4);
        c.end();
        c.backspace();
        c.left();
        c.delete();
        assert_eq!(c.text, "abc\n");
    }

    #[test]
    fn large_pastes_are_folded_and_sent_in_full() {
        let mut c = typed("see ");
        let pasted = (1..=120).map(|i| format!("l{i}")).collect::<Vec<_>>().join("\n");
        c.paste(&pasted);
        assert_eq!(c.text, "see [pasted 120 lines]");
        assert_eq!(c.take(), format!("see {pasted}"));
        c.paste(&pasted);
        c.backspace();
        assert_eq!(c.text, "", "the placeholder is deleted as a whole");
        c.paste("two\nlines");
        assert_eq!(c.text, "two\nlines");
    }

    #[test]
    fn lays_out_a_multi_line_draft() {
        let c = typed("fix the bug in the parser\nand add a test for it");
        let (rows, cursor) = c.layout(20);
        let text: Vec<String> = rows.iter().map(|r| plain(r).trim_end().to_string()).collect();
        insta::assert_snapshot!(text.join("\n"), @r"
            › fix the bug in the
              parser
              and add a test for
              it
        ");
        assert_eq!(cursor, (4, 3), "after \"it\" on the fourth row");
        for width in [1, 2, 3, 5] {
            let (rows, _) = typed("a bb ccc dddd 日本語").layout(width);
            assert!(!rows.is_empty());
        }
        let (rows, cursor) = typed("abcd").layout(6);
        assert_eq!(
            rows.iter().map(plain).collect::<Vec<_>>(),
            ["› abcd", "  "],
            "a full row leaves room for the cursor"
        );
        assert_eq!(cursor, (2, 1));
    }
}
