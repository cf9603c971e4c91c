//! Markdown to styled terminal lines, over pulldown-cmark's events: headings, emphasis, inline code,
//! fenced code blocks, lists, quotes and links, wrapped to the terminal's width.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::palette;
use crate::wrap::{width, wrap_line};

/// Renders `text` as Markdown wrapped to `width` columns. Blocks are separated by one blank line;
/// there is no trailing blank line.
pub(crate) fn render(text: &str, width: usize) -> Vec<Line<'static>> {
    let mut r = Renderer { width, ..Renderer::default() };
    let parser = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS);
    for event in parser {
        r.event(event);
    }
    r.flush();
    while r.out.last().is_some_and(|l| l.spans.is_empty()) {
        r.out.pop();
    }
    r.out
}

#[derive(Default)]
struct Renderer {
    width: usize,
    out: Vec<Line<'static>>,
    /// The inline spans of the paragraph, heading or item being built.
    current: Vec<Span<'static>>,
    /// Inline style modifiers in force (emphasis, strong, links...).
    styles: Vec<Style>,
    /// One entry per open list: the next number for ordered lists.
    lists: Vec<Option<u64>>,
    /// The marker of the list item whose first line is still to be written.
    pending_marker: Option<String>,
    quote_depth: usize,
    code_block: Option<String>,
    link: Option<String>,
    heading: Option<HeadingLevel>,
}

impl Renderer {
    fn style(&self) -> Style {
        self.styles.iter().fold(Style::new(), |acc, s| acc.patch(*s))
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = self.code_block.as_mut() {
                    code.push_str(&text);
                } else {
                    let style = self.style();
                    self.current.push(Span::styled(text.into_string(), style));
                }
            }
            Event::Code(code) => self.current.push(Span::styled(code.into_string(), palette::accent())),
            Event::SoftBreak => self.current.push(Span::raw(" ")),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                self.out.push(Line::styled("─".repeat(self.width.min(40)), palette::dim()));
                self.blank();
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let style = self.style();
                self.current.push(Span::styled(html.trim_end().to_string(), style));
            }
            Event::TaskListMarker(done) => self.current.push(Span::raw(if done { "[x] " } else { "[ ] " })),
            Event::FootnoteReference(name) => self.current.push(Span::raw(format!("[^{name}]"))),
            Event::InlineMath(m) | Event::DisplayMath(m) => self.current.push(Span::raw(m.into_string())),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level);
                let style = match level {
                    HeadingLevel::H1 => palette::accent().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                    _ => palette::accent().add_modifier(Modifier::BOLD),
                };
                self.styles.push(style);
            }
            Tag::Paragraph => self.flush(),
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let _ = match kind {
                    CodeBlockKind::Fenced(lang) => lang.into_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code_block = Some(String::new());
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_string(),
                };
                self.pending_marker = Some(marker);
            }
            Tag::Emphasis => self.styles.push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.styles.push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles.push(palette::accent().add_modifier(Modifier::UNDERLINED));
                self.link = Some(dest_url.into_string());
            }
            Tag::Image { dest_url, .. } => {
                self.styles.push(palette::dim());
                self.link = Some(dest_url.into_string());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
                self.heading = None;
                self.blank();
            }
            TagEnd::Paragraph => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.blank();
            }
            TagEnd::CodeBlock => {
                let code = self.code_block.take().unwrap_or_default();
                for line in code.trim_end_matches('\n').split('\n') {
                    let prefix = self.prefix_spans(false);
                    let mut spans = prefix.clone();
                    spans.push(Span::styled("  ", palette::dim()));
                    spans.push(Span::styled(line.to_string(), palette::warn()));
                    let mut indent = prefix;
                    indent.push(Span::raw("  "));
                    self.out.extend(wrap_line(&Line::from(spans), self.width, &indent));
                }
                self.blank();
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    let text: String = self.current.last().map(|s| s.content.to_string()).unwrap_or_default();
                    if !url.is_empty() && text != url {
                        self.current.push(Span::styled(format!(" ({url})"), palette::dim()));
                    }
                }
            }
            _ => {}
        }
    }

    /// The quote bars and list indentation in front of a line; `first` marks the first line of an
    /// item, which carries its marker.
    fn prefix_spans(&self, first: bool) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for _ in 0..self.quote_depth {
            spans.push(Span::styled("▌ ", palette::good()));
        }
        let depth = self.lists.len();
        if depth > 0 {
            spans.push(Span::raw("  ".repeat(depth - 1)));
            match (&self.pending_marker, first) {
                (Some(m), true) => spans.push(Span::styled(m.clone(), palette::accent())),
                _ => spans.push(Span::raw("  ")),
            }
        }
        spans
    }

    /// Writes the inline spans gathered so far as wrapped lines.
    fn flush(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let first = self.prefix_spans(true);
        let mut indent = self.prefix_spans(false);
        // A hanging indent as wide as the marker, so item text lines up under itself.
        if let (Some(m), Some(last)) = (&self.pending_marker, indent.last_mut())
            && !self.lists.is_empty()
        {
            *last = Span::raw(" ".repeat(width(m)));
        }
        self.pending_marker = None;
        let mut spans = first;
        spans.append(&mut self.current);
        if self.quote_depth > 0 {
            for s in spans.iter_mut().skip(self.quote_depth) {
                s.style = s.style.add_modifier(Modifier::ITALIC);
            }
        }
        self.out.extend(wrap_line(&Line::from(spans), self.width, &indent));
    }

    fn blank(&mut self) {
        if self.out.last().is_some_and(|l| !l.spans.is_empty()) {
            self.out.push(Line::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;

    fn check(markdown: &str, width: usize) -> String {
        render(markdown, width).iter().map(plain).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn renders_blocks() {
        let md = "# Title\n\nSome *emphasis*, **strong** and `code`, see [the docs](https://example.com/docs).\n\n\
                  - one\n- two is a longer item that wraps\n  1. nested\n  2. second\n\n\
                  > quoted text\n\n```rust\nfn main() {}\n```\n\nAfter.";
        insta::assert_snapshot!(check(md, 40), @r"
        Title

        Some emphasis, strong and code, see the
        docs (https://example.com/docs).

        • one
        • two is a longer item that wraps
          1. nested
          2. second

        ▌ quoted text

          fn main() {}

        After.
        ");
    }

    #[test]
    fn styles_inline_elements() {
        let lines = render("**b** *i* `c`", 40);
        let spans = &lines[0].spans;
        assert!(spans[0].style.add_modifier.contains(Modifier::BOLD));
        assert!(spans[2].style.add_modifier.contains(Modifier::ITALIC));
        assert_eq!(spans[4].style, palette::accent());
    }

    #[test]
    fn narrow_widths_do_not_panic() {
        for w in [1, 2, 5, 10] {
            let _ = render("- a very long list item with `code` and > quote\n\n> quote me please", w);
        }
    }
}
