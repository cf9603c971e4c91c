//! A small syntax highlighter for the diff view: one lexer, configured per language family (chosen by
//! file extension), that marks keywords, strings, comments and numbers. It works line by line, carrying
//! only whether a block comment or a multi-line string is still open, because a diff shows fragments of
//! files and a full parser would have nothing to stand on.

use crate::escape::push_escaped;

/// What a piece of a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Keyword,
    String,
    Comment,
    Number,
}

impl Kind {
    /// The CSS class of the kind (`None` for plain text, which needs no span).
    fn class(self) -> Option<&'static str> {
        match self {
            Kind::Plain => None,
            Kind::Keyword => Some("k"),
            Kind::String => Some("s"),
            Kind::Comment => Some("c"),
            Kind::Number => Some("n"),
        }
    }
}

/// The lexical rules of one language family.
#[derive(Debug)]
pub struct Syntax {
    keywords: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [char],
    /// `"""`/`'''` strings that may span lines (Python, TOML).
    triple_quotes: bool,
    /// `'` starts a char literal only when it closes within a few characters (Rust lifetimes).
    rust_chars: bool,
    /// `#` starts a comment only at the start of a word (shell's `$#`).
    hash_needs_space: bool,
}

const RUST: Syntax = Syntax {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
        "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
    ],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\''],
    triple_quotes: false,
    rust_chars: true,
    hash_needs_space: false,
};

const PYTHON: Syntax = Syntax {
    keywords: &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "self", "try", "while", "with", "yield",
    ],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    triple_quotes: true,
    rust_chars: false,
    hash_needs_space: false,
};

const JS: Syntax = Syntax {
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "from",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "of",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "undefined",
        "var",
        "void",
        "while",
        "yield",
    ],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    triple_quotes: false,
    rust_chars: false,
    hash_needs_space: false,
};

const GO: Syntax = Syntax {
    keywords: &[
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "false",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "nil",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "true",
        "type",
        "var",
    ],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    triple_quotes: false,
    rust_chars: false,
    hash_needs_space: false,
};

const C_LIKE: Syntax = Syntax {
    keywords: &[
        "break",
        "case",
        "char",
        "class",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extends",
        "false",
        "final",
        "float",
        "for",
        "if",
        "import",
        "int",
        "long",
        "namespace",
        "new",
        "null",
        "nullptr",
        "private",
        "protected",
        "public",
        "return",
        "short",
        "sizeof",
        "static",
        "struct",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typedef",
        "unsigned",
        "using",
        "void",
        "while",
    ],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\''],
    triple_quotes: false,
    rust_chars: false,
    hash_needs_space: false,
};

const DATA: Syntax = Syntax {
    keywords: &["true", "false", "null", "yes", "no", "on", "off"],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    triple_quotes: true,
    rust_chars: false,
    hash_needs_space: false,
};

const SHELL: Syntax = Syntax {
    keywords: &[
        "case", "do", "done", "elif", "else", "esac", "exit", "export", "fi", "for", "function", "if", "in", "local",
        "return", "set", "then", "until", "while",
    ],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    triple_quotes: false,
    rust_chars: false,
    hash_needs_space: true,
};

/// The syntax for a file path, by extension (or name); `None` means show it plain (Markdown, text and
/// anything unknown).
pub fn syntax_for(path: &str) -> Option<&'static Syntax> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "Makefile" | "Dockerfile" | ".bashrc" | ".profile") {
        return Some(&SHELL);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "rs" => &RUST,
        "py" | "pyi" => &PYTHON,
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" => &JS,
        "go" => &GO,
        "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "java" | "cs" | "kt" | "swift" | "scala" => &C_LIKE,
        "toml" | "json" | "yaml" | "yml" | "ini" | "cfg" => &DATA,
        "sh" | "bash" | "zsh" => &SHELL,
        _ => return None,
    })
}

/// What is still open at the end of a line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum State {
    #[default]
    Normal,
    BlockComment,
    /// Inside a `"""` or `'''` string opened by this quote.
    Triple(char),
}

/// Splits `line` into kinds, starting in `state`; returns the pieces (adjacent pieces of one kind
/// merged) and the state at the end of the line.
pub fn lex<'a>(syntax: &Syntax, line: &'a str, mut state: State) -> (Vec<(Kind, &'a str)>, State) {
    // Pieces are byte ranges of `line`; a piece of the same kind as the one before extends it.
    let mut ranges: Vec<(Kind, usize, usize)> = Vec::new();
    let mut push = |kind: Kind, start: usize, end: usize| {
        if start == end {
            return;
        }
        match ranges.last_mut() {
            Some((last, _, last_end)) if *last == kind && *last_end == start => *last_end = end,
            _ => ranges.push((kind, start, end)),
        }
    };
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        match state {
            State::BlockComment => {
                let close = syntax.block_comment.map_or("*/", |(_, c)| c);
                match line[i..].find(close) {
                    Some(at) => {
                        push(Kind::Comment, i, i + at + close.len());
                        i += at + close.len();
                        state = State::Normal;
                    }
                    None => {
                        push(Kind::Comment, i, line.len());
                        i = line.len();
                    }
                }
                continue;
            }
            State::Triple(q) => {
                let close: String = [q, q, q].iter().collect();
                match line[i..].find(&close) {
                    Some(at) => {
                        push(Kind::String, i, i + at + 3);
                        i += at + 3;
                        state = State::Normal;
                    }
                    None => {
                        push(Kind::String, i, line.len());
                        i = line.len();
                    }
                }
                continue;
            }
            State::Normal => {}
        }
        let rest = &line[i..];
        let prev_is_word = i > 0 && is_word(bytes[i - 1]);
        let c = rest.chars().next().unwrap_or(' ');
        if let Some(open) = syntax.line_comments.iter().find(|o| rest.starts_with(**o)) {
            let at_word_start = i == 0 || bytes[i - 1].is_ascii_whitespace();
            if !(syntax.hash_needs_space && *open == "#" && !at_word_start) {
                push(Kind::Comment, i, line.len());
                break;
            }
        }
        if let Some((open, _)) = syntax.block_comment
            && rest.starts_with(open)
        {
            push(Kind::Comment, i, i + open.len());
            i += open.len();
            state = State::BlockComment;
            continue;
        }
        if syntax.triple_quotes && (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
            push(Kind::String, i, i + 3);
            i += 3;
            state = State::Triple(c);
            continue;
        }
        if syntax.quotes.contains(&c) {
            if syntax.rust_chars && c == '\'' && !is_char_literal(rest) {
                // A lifetime or label (`'a`): plain text.
                push(Kind::Plain, i, i + 1);
                i += 1;
                continue;
            }
            let end = string_end(rest, c);
            push(Kind::String, i, i + end);
            i += end;
            continue;
        }
        if c.is_ascii_digit() && !prev_is_word {
            let end = rest.bytes().position(|b| !(is_word(b) || b == b'.')).unwrap_or(rest.len());
            // `1..10` is two numbers and a range, not one number.
            let end = rest[..end].find("..").unwrap_or(end);
            push(Kind::Number, i, i + end);
            i += end;
            continue;
        }
        if c.is_ascii() && is_word(c as u8) && !prev_is_word {
            let end = rest.bytes().position(|b| !is_word(b)).unwrap_or(rest.len());
            let word = &rest[..end];
            push(if syntax.keywords.contains(&word) { Kind::Keyword } else { Kind::Plain }, i, i + end);
            i += end;
            continue;
        }
        let len = c.len_utf8();
        push(Kind::Plain, i, i + len);
        i += len;
    }
    (ranges.into_iter().map(|(kind, start, end)| (kind, &line[start..end])).collect(), state)
}

/// Whether `b` may be part of an identifier or number.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte length of the string literal at the start of `rest` (opened by `quote`), honouring
/// backslash escapes; an unclosed string runs to the end of the line.
fn string_end(rest: &str, quote: char) -> usize {
    let mut escaped = false;
    for (at, c) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return at + c.len_utf8();
        }
    }
    rest.len()
}

/// Whether the `'` at the start of `rest` opens a Rust char literal (`'x'`, `'\n'`, `'\u{1F600}'`)
/// rather than a lifetime.
fn is_char_literal(rest: &str) -> bool {
    let mut chars = rest.chars().skip(1);
    match chars.next() {
        Some('\\') => rest[1..].chars().take(10).skip(1).any(|c| c == '\''),
        Some(_) => chars.next() == Some('\''),
        None => false,
    }
}

/// Appends `line` as escaped HTML with `<span class>` around highlighted pieces; returns the state at
/// the end of the line. Without a syntax the line is escaped only.
pub fn push_highlighted(out: &mut String, syntax: Option<&Syntax>, line: &str, state: State) -> State {
    let Some(syntax) = syntax else {
        push_escaped(out, line);
        return state;
    };
    let (pieces, state) = lex(syntax, line, state);
    for (kind, text) in pieces {
        match kind.class() {
            Some(class) => {
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\">");
                push_escaped(out, text);
                out.push_str("</span>");
            }
            None => push_escaped(out, text),
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Lexes `lines` of the file `path` in order and renders the pieces as `[k fn]`, `[s "x"]`, ...,
    /// leaving plain text bare, one output line per input line.
    fn check(path: &str, lines: &str, expected: &str) {
        let syntax = syntax_for(path);
        let mut state = State::Normal;
        let mut out = Vec::new();
        for line in lines.lines() {
            let Some(syntax) = syntax else {
                out.push(line.to_string());
                continue;
            };
            let (pieces, next) = lex(syntax, line, state);
            state = next;
            let rendered: String = pieces
                .iter()
                .map(|(kind, text)| match kind.class() {
                    Some(class) => format!("[{class} {text}]"),
                    None => (*text).to_string(),
                })
                .collect();
            out.push(rendered);
        }
        assert_eq!(out.join("\n"), expected, "{path}: {lines}");
    }

    #[test]
    fn snippets_by_language() {
        check("src/main.rs", "pub fn main() { let x = 42; }", "[k pub] [k fn] main() { [k let] x = [n 42]; }");
        check("a.rs", "let s = \"a \\\" b\"; // done", "[k let] s = [s \"a \\\" b\"]; [c // done]");
        check("a.rs", "fn f<'a>(c: char) -> &'a str { 'x' }", "[k fn] f<'a>(c: char) -> &'a str { [s 'x'] }");
        check("a.rs", "let n = '\\n'; for i in 0..10 {}", "[k let] n = [s '\\n']; [k for] i [k in] [n 0]..[n 10] {}");
        check("a.rs", "let v1 = 0x1F + 2.5e3;", "[k let] v1 = [n 0x1F] + [n 2.5e3];");
        check("m.py", "def f(x): return x  # why", "[k def] f(x): [k return] x  [c # why]");
        check("m.py", "s = 'it''s' if True else None", "s = [s 'it''s'] [k if] [k True] [k else] [k None]");
        check("app.ts", "const s = `tpl ${x}`; // c", "[k const] s = [s `tpl ${x}`]; [c // c]");
        check("main.go", "func main() { fmt.Println(\"hi\") }", "[k func] main() { fmt.Println([s \"hi\"]) }");
        check("x.c", "int main(void) { return 0; }", "[k int] main([k void]) { [k return] [n 0]; }");
        check("Cargo.toml", "edition = \"2024\" # pinned", "edition = [s \"2024\"] [c # pinned]");
        check("a.json", "{\"ok\": true, \"n\": 3}", "{[s \"ok\"]: [k true], [s \"n\"]: [n 3]}");
        check("ci.yml", "enabled: yes", "enabled: [k yes]");
        check(
            "run.sh",
            "if [ $# -gt 0 ]; then echo hi; fi # end",
            "[k if] [ $# -gt [n 0] ]; [k then] echo hi; [k fi] [c # end]",
        );
    }

    #[test]
    fn block_comments_and_triple_strings_span_lines() {
        check(
            "a.rs",
            "let a = 1; /* start\nstill comment\nend */ let b = 2;",
            "[k let] a = [n 1]; [c /* start]\n[c still comment]\n[c end */] [k let] b = [n 2];",
        );
        check("m.py", "doc = \"\"\"first\nsecond\n\"\"\" + x", "doc = [s \"\"\"first]\n[s second]\n[s \"\"\"] + x");
    }

    #[test]
    fn unknown_and_markdown_files_stay_plain() {
        check("README.md", "# Title with `code` and if", "# Title with `code` and if");
        check("notes.txt", "fn main", "fn main");
        check("LICENSE", "fn main", "fn main");
    }

    #[test]
    fn odd_input_does_not_panic() {
        check("a.rs", "\"unterminated", "[s \"unterminated]");
        check("a.rs", "'", "'");
        check("a.rs", "名前 = 1_000 ✓", "名前 = [n 1_000] ✓");
        check("a.rs", "x /* open", "x [c /* open]");
        check("a.py", "", "");
    }

    #[test]
    fn html_output_escapes_inside_spans() {
        let mut out = String::new();
        push_highlighted(&mut out, syntax_for("a.rs"), "let s = \"<script>\"; // <b>", State::Normal);
        assert_eq!(
            out,
            "<span class=\"k\">let</span> s = <span class=\"s\">&quot;&lt;script&gt;&quot;</span>; \
             <span class=\"c\">// &lt;b&gt;</span>"
        );
        let mut plain = String::new();
        push_highlighted(&mut plain, None, "<script>alert(1)</script>", State::Normal);
        assert_eq!(plain, "&lt;script&gt;alert(1)&lt;/script&gt;");
    }
}
