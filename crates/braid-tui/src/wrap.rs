//! Word wrapping of styled lines to a width, so that every cell knows its exact height before it is
//! drawn (the inline viewport and `insert_before` need heights up front) and narrow terminals never
//! cut text off.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// The display width of a string in terminal columns.
pub(crate) fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Wraps `line` to `width` columns at word boundaries. Words longer than a whole line are split
/// wherever they must be. Continuation lines start with `indent` (a hanging indent for list items
/// and quotes). Returns at least one line, even for empty input.
pub(crate) fn wrap_line(line: &Line<'_>, width: usize, indent: &[Span<'static>]) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent_width: usize = indent.iter().map(|s| self::width(&s.content)).sum();
    // An indent that leaves no room for text is dropped rather than looping forever.
    let indent: &[Span<'static>] = if indent_width + 1 > width { &[] } else { indent };
    let indent_width = if indent.is_empty() { 0 } else { indent_width };

    let chars: Vec<(char, Style)> =
        line.spans.iter().flat_map(|s| s.content.chars().map(move |c| (c, line.style.patch(s.style)))).collect();
    let mut out: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut col = 0usize;
    let mut i = 0usize;
    while i < chars.len() {
        let is_space = chars[i].0 == ' ';
        let mut j = i;
        while j < chars.len() && (chars[j].0 == ' ') == is_space {
            j += 1;
        }
        let word = &chars[i..j];
        let word_width: usize = word.iter().map(|(c, _)| char_width(*c)).sum();
        let at_line_start = col == 0 || (out.len() > 1 && col == indent_width);
        if col + word_width <= width {
            push_all(&mut out, word);
            col += word_width;
        } else if is_space {
            // Spaces at a break are dropped: the line ends here.
            if !at_line_start {
                out.push(Vec::new());
                col = start_line(&mut out, indent, indent_width);
            }
        } else if word_width <= width - indent_width && !at_line_start {
            out.push(Vec::new());
            col = start_line(&mut out, indent, indent_width);
            push_all(&mut out, word);
            col += word_width;
        } else {
            // A word wider than a line: fill what is left, then split it across lines.
            for &(c, style) in word {
                let w = char_width(c);
                if col + w > width && col > indent_width {
                    out.push(Vec::new());
                    col = start_line(&mut out, indent, indent_width);
                }
                push_all(&mut out, &[(c, style)]);
                col += w;
            }
        }
        i = j;
    }
    out.into_iter()
        .map(|chars| {
            let mut line = to_line(&chars);
            // Trailing spaces before a break carry no meaning and would make snapshots noisy.
            trim_end(&mut line);
            line
        })
        .collect()
}

fn push_all(out: &mut [Vec<(char, Style)>], chars: &[(char, Style)]) {
    if let Some(line) = out.last_mut() {
        line.extend_from_slice(chars);
    }
}

/// Starts a continuation line with the indent and returns the column after it.
fn start_line(out: &mut [Vec<(char, Style)>], indent: &[Span<'static>], indent_width: usize) -> usize {
    if let Some(line) = out.last_mut() {
        for span in indent {
            line.extend(span.content.chars().map(|c| (c, span.style)));
        }
    }
    indent_width
}

fn to_line(chars: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style: Option<Style> = None;
    for &(c, s) in chars {
        if style != Some(s) {
            if let Some(prev) = style
                && !text.is_empty()
            {
                spans.push(Span::styled(std::mem::take(&mut text), prev));
            }
            style = Some(s);
        }
        text.push(c);
    }
    if let Some(prev) = style
        && !text.is_empty()
    {
        spans.push(Span::styled(text, prev));
    }
    Line::from(spans)
}

fn trim_end(line: &mut Line<'static>) {
    while let Some(last) = line.spans.last_mut() {
        let trimmed = last.content.trim_end_matches(' ').to_string();
        if trimmed.is_empty() {
            line.spans.pop();
        } else {
            last.content = trimmed.into();
            break;
        }
    }
}

/// Cuts `s` to at most `max` columns, ending with `…` when something was cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        let w = char_width(c);
        if col + w + 1 > max {
            break;
        }
        out.push(c);
        col += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// The plain text of a line, for tests and for measuring.
#[cfg(test)]
pub(crate) fn plain(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, width: usize, indent: &str, expected: &[&str]) {
        let indent = [Span::raw(indent.to_string())];
        let got: Vec<String> = wrap_line(&Line::from(text), width, &indent).iter().map(plain).collect();
        assert_eq!(got, expected, "wrapping {text:?} at {width}");
    }

    #[test]
    fn wraps_at_words_and_splits_long_words() {
        check("the quick brown fox", 10, "", &["the quick", "brown fox"]);
        check("the quick brown fox", 10, "  ", &["the quick", "  brown", "  fox"]);
        check("abcdefghijklmnop", 6, "", &["abcdef", "ghijkl", "mnop"]);
        check("go abcdefghij", 6, "", &["go abc", "defghi", "j"]);
        check("", 10, "", &[""]);
        check("  indented text", 40, "", &["  indented text"]);
        check("wide 日本語の文字", 8, "", &["wide 日", "本語の文", "字"]);
        // An indent as wide as the line is dropped rather than looping forever.
        check("aaaa bbbb", 2, "    ", &["aa", "aa", "bb", "bb"]);
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("hello world", 20), "hello world");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hello", 0), "");
    }
}
