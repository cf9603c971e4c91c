//! Parsing the apply_patch text format into a `Patch`: the file operations and the hunks of each update.
//!
//! The parser is strict about structure (every error names the 1-based line of the patch and what was
//! expected there) but tolerant of the small slips models make: blank lines around the envelope, a heredoc
//! wrapper, a first hunk without `@@`, and empty context lines sent without their leading space.

use std::path::Path;

use super::heredoc;
use super::patch::{Chunk, FileOp, Patch};

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
const ADD: &str = "*** Add File:";
const DELETE: &str = "*** Delete File:";
const UPDATE: &str = "*** Update File:";
const MOVE_TO: &str = "*** Move to:";
const END_OF_FILE: &str = "*** End of File";

/// Why a patch text could not be parsed. Line numbers are 1-based lines of the text as sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the patch is empty; send the whole patch, from `*** Begin Patch` to `*** End Patch`")]
    Empty,
    #[error("line {line}: expected `*** Begin Patch` as the first line of the patch, found `{found}`")]
    MissingBegin { line: usize, found: String },
    #[error(
        "line {line}: expected `*** End Patch` as the last line of the patch, found `{found}`; \
         send the whole patch and finish it with `*** End Patch`"
    )]
    MissingEnd { line: usize, found: String },
    #[error(
        "line {line}: the patch contains no file operations; add `*** Add File:`, `*** Delete File:` or \
         `*** Update File:` sections between `*** Begin Patch` and `*** End Patch`"
    )]
    NoOperations { line: usize },
    #[error("line {line}: expected {expected}, found `{found}`")]
    Unexpected { line: usize, expected: &'static str, found: String },
    #[error("line {line}: `{header}` names no path; write a relative path after the colon")]
    MissingPath { line: usize, header: &'static str },
    #[error(
        "line {line}: the path `{path}` is absolute; paths in a patch must be relative to the working \
         directory"
    )]
    AbsolutePath { line: usize, path: String },
    #[error(
        "line {line}: `*** Update File: {path}` has no hunks; add hunks (`@@` then lines starting with \
         ` `, `-` or `+`) or a `*** Move to:` line"
    )]
    EmptyUpdate { line: usize, path: String },
    #[error(
        "line {line}: this hunk of `{path}` has no lines; follow `@@` with lines starting with ` ` \
         (context), `-` (remove) or `+` (add)"
    )]
    EmptyHunk { line: usize, path: String },
}

/// One line of the patch: its 1-based number in the text as sent, and its text without the line ending.
type Line<'a> = (usize, &'a str);

/// Parses a patch text.
///
/// Returns the file operations in patch order. Fails with a `ParseError` naming the offending line when the
/// envelope is missing, a header is unknown, a path is absolute or empty, or a hunk line has no prefix.
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let all: Vec<Line<'_>> =
        text.split('\n').enumerate().map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line))).collect();
    let mut lines = trim_blank(&all);
    if let Some(inner) = strip_heredoc(lines) {
        lines = trim_blank(inner);
    }
    let (Some(&(first_no, first)), Some(&(last_no, last))) = (lines.first(), lines.last()) else {
        return Err(ParseError::Empty);
    };
    if first.trim() != BEGIN {
        return Err(ParseError::MissingBegin { line: first_no, found: first.to_string() });
    }
    if lines.len() < 2 || last.trim() != END {
        return Err(ParseError::MissingEnd { line: last_no, found: last.to_string() });
    }
    let mut parser = Parser { lines: &lines[1..lines.len() - 1], pos: 0 };
    let hunks = parser.file_ops()?;
    if hunks.is_empty() {
        return Err(ParseError::NoOperations { line: last_no });
    }
    Ok(Patch { hunks })
}

/// The lines without leading and trailing blank lines.
fn trim_blank<'a, 'b>(lines: &'b [Line<'a>]) -> &'b [Line<'a>] {
    let start = lines.iter().position(|(_, l)| !l.trim().is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|(_, l)| !l.trim().is_empty()).map_or(start, |i| i + 1);
    &lines[start..end]
}

/// When the patch is wrapped in a heredoc (`apply_patch <<'EOF'` ... `EOF`), as models sometimes send it
/// even to the tool, returns the lines inside; otherwise `None`.
fn strip_heredoc<'a, 'b>(lines: &'b [Line<'a>]) -> Option<&'b [Line<'a>]> {
    let (&(_, first), &(_, last)) = (lines.first()?, lines.last()?);
    if lines.len() < 2 || first.trim() == BEGIN {
        return None;
    }
    let delimiter = heredoc::opening_delimiter(first)?;
    (last.trim() == delimiter).then(|| &lines[1..lines.len() - 1])
}

/// A cursor over the lines between `*** Begin Patch` and `*** End Patch`.
struct Parser<'a, 'b> {
    lines: &'b [Line<'a>],
    pos: usize,
}

/// A hunk being collected, with the number of trailing blank (prefix-less) lines it ends with so far.
struct ChunkBuilder {
    line: usize,
    chunk: Chunk,
    trailing_blank: usize,
}

impl ChunkBuilder {
    fn new(line: usize) -> Self {
        ChunkBuilder { line, chunk: Chunk::default(), trailing_blank: 0 }
    }

    fn has_lines(&self) -> bool {
        !self.chunk.old_lines.is_empty() || !self.chunk.new_lines.is_empty()
    }

    /// Ends the hunk. Blank prefix-less lines at its end are dropped: they are almost always the gap a model
    /// leaves before the next section, and dropping context never changes what a hunk does.
    fn finish(mut self, path: &str, chunks: &mut Vec<Chunk>) -> Result<(), ParseError> {
        for _ in 0..self.trailing_blank {
            self.chunk.old_lines.pop();
            self.chunk.new_lines.pop();
        }
        if self.has_lines() {
            chunks.push(self.chunk);
            Ok(())
        } else if self.chunk.anchors.is_empty() && !self.chunk.end_of_file && self.trailing_blank > 0 {
            // Only blank lines, without `@@`: a gap, not a hunk.
            Ok(())
        } else {
            Err(ParseError::EmptyHunk { line: self.line, path: path.to_string() })
        }
    }
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn file_ops(&mut self) -> Result<Vec<FileOp>, ParseError> {
        let mut ops = Vec::new();
        while let Some((no, line)) = self.peek() {
            self.pos += 1;
            if line.trim().is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix(ADD) {
                let path = checked_path(no, ADD, rest)?;
                ops.push(FileOp::Add { path, contents: self.add_contents()? });
            } else if let Some(rest) = line.strip_prefix(DELETE) {
                ops.push(FileOp::Delete { path: checked_path(no, DELETE, rest)? });
            } else if let Some(rest) = line.strip_prefix(UPDATE) {
                let path = checked_path(no, UPDATE, rest)?;
                ops.push(self.update(no, path)?);
            } else if line.trim() == END {
                return Err(ParseError::Unexpected {
                    line: no,
                    expected: "nothing after the first `*** End Patch` (send one patch per call)",
                    found: line.to_string(),
                });
            } else {
                return Err(ParseError::Unexpected {
                    line: no,
                    expected: "a file header (`*** Add File: <path>`, `*** Delete File: <path>` or \
                               `*** Update File: <path>`) or `*** End Patch`",
                    found: line.to_string(),
                });
            }
        }
        Ok(ops)
    }

    /// Reads the `+` lines of an Add File section up to the next `***` line.
    fn add_contents(&mut self) -> Result<String, ParseError> {
        let mut lines: Vec<&str> = Vec::new();
        let mut trailing_blank = 0;
        while let Some((no, line)) = self.peek() {
            if line.starts_with("***") {
                break;
            }
            self.pos += 1;
            if let Some(text) = line.strip_prefix('+') {
                lines.push(text);
                trailing_blank = 0;
            } else if line.trim().is_empty() {
                // A blank line without `+` is kept when more content follows and dropped at the end.
                lines.push("");
                trailing_blank += 1;
            } else {
                return Err(ParseError::Unexpected {
                    line: no,
                    expected: "a line starting with `+` (every line of an added file starts with `+`)",
                    found: line.to_string(),
                });
            }
        }
        lines.truncate(lines.len() - trailing_blank);
        let mut contents = lines.join("\n");
        if !lines.is_empty() {
            contents.push('\n');
        }
        Ok(contents)
    }

    /// Reads an Update File section: an optional `*** Move to:` line and then its hunks.
    fn update(&mut self, header_line: usize, path: String) -> Result<FileOp, ParseError> {
        let mut move_to = None;
        let move_line = self.peek().and_then(|(no, line)| Some((no, line.strip_prefix(MOVE_TO)?)));
        if let Some((no, rest)) = move_line {
            self.pos += 1;
            move_to = Some(checked_path(no, MOVE_TO, rest)?);
        }
        let mut chunks = Vec::new();
        let mut current: Option<ChunkBuilder> = None;
        while let Some((no, line)) = self.peek() {
            if is_file_header(line) {
                break;
            }
            self.pos += 1;
            if line.starts_with("***") {
                if line.trim_end() != END_OF_FILE {
                    return Err(ParseError::Unexpected {
                        line: no,
                        expected: "a hunk line, `*** End of File` or a file header",
                        found: line.to_string(),
                    });
                }
                let Some(mut builder) = current.take().filter(ChunkBuilder::has_lines) else {
                    return Err(ParseError::Unexpected {
                        line: no,
                        expected: "hunk lines before `*** End of File`",
                        found: line.to_string(),
                    });
                };
                builder.chunk.end_of_file = true;
                builder.finish(&path, &mut chunks)?;
                continue;
            }
            if let Some(rest) = line.strip_prefix("@@") {
                // `@@` after hunk lines starts the next hunk; right after another `@@` it narrows the
                // same hunk's position with a further anchor.
                if let Some(done) = current.take_if(|b| b.has_lines()) {
                    done.finish(&path, &mut chunks)?;
                }
                let builder = current.get_or_insert_with(|| ChunkBuilder::new(no));
                if let Some(anchor) = anchor_text(rest) {
                    builder.chunk.anchors.push(anchor.to_string());
                }
                continue;
            }
            let builder = current.get_or_insert_with(|| ChunkBuilder::new(no));
            let chunk = &mut builder.chunk;
            match line.chars().next() {
                Some(' ') => {
                    chunk.old_lines.push(line[1..].to_string());
                    chunk.new_lines.push(line[1..].to_string());
                    builder.trailing_blank = 0;
                }
                Some('-') => {
                    chunk.old_lines.push(line[1..].to_string());
                    builder.trailing_blank = 0;
                }
                Some('+') => {
                    chunk.new_lines.push(line[1..].to_string());
                    builder.trailing_blank = 0;
                }
                None => {
                    chunk.old_lines.push(String::new());
                    chunk.new_lines.push(String::new());
                    builder.trailing_blank += 1;
                }
                Some(_) => {
                    return Err(ParseError::Unexpected {
                        line: no,
                        expected: "a hunk line starting with ` ` (context), `-` (remove) or `+` (add), \
                                   or `@@`",
                        found: line.to_string(),
                    });
                }
            }
        }
        if let Some(done) = current.take() {
            done.finish(&path, &mut chunks)?;
        }
        if chunks.is_empty() && move_to.is_none() {
            return Err(ParseError::EmptyUpdate { line: header_line, path });
        }
        Ok(FileOp::Update { path, move_to, chunks })
    }
}

/// Whether `line` starts another file section (or is the end marker, which never reaches here but is
/// harmless to recognise).
fn is_file_header(line: &str) -> bool {
    [ADD, DELETE, UPDATE].iter().any(|h| line.starts_with(h)) || line.trim_end() == END
}

/// The anchor an `@@` line names, if any. A unified-diff range (`@@ -12,5 +12,6 @@ fn f()`), which models
/// used to `diff -u` output sometimes write, locates nothing in this format: it is skipped, keeping the
/// function context after it as the anchor.
fn anchor_text(rest: &str) -> Option<&str> {
    let text = rest.trim();
    let is_range = |word: &str, sign: char| {
        word.strip_prefix(sign)
            .is_some_and(|r| r.split(',').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
    };
    let mut parts = text.splitn(3, ' ');
    let text = match (parts.next(), parts.next(), parts.next()) {
        (Some(old), Some(new), Some(tail)) if is_range(old, '-') && is_range(new, '+') => {
            tail.trim().strip_prefix("@@").map_or(text, str::trim)
        }
        _ => text,
    };
    (!text.is_empty()).then_some(text)
}

/// The path after a header, trimmed; refused when empty or absolute.
fn checked_path(line: usize, header: &'static str, rest: &str) -> Result<String, ParseError> {
    let path = rest.trim();
    if path.is_empty() {
        return Err(ParseError::MissingPath { line, header });
    }
    if Path::new(path).is_absolute() || path.starts_with('\\') {
        return Err(ParseError::AbsolutePath { line, path: path.to_string() });
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(path: &str, chunks: Vec<Chunk>) -> FileOp {
        FileOp::Update { path: path.into(), move_to: None, chunks }
    }

    fn chunk(anchors: &[&str], old: &[&str], new: &[&str], eof: bool) -> Chunk {
        Chunk::from_strs(anchors, old, new, eof)
    }

    fn check(text: &str, expected: Vec<FileOp>) {
        assert_eq!(parse_patch(text).unwrap(), Patch { hunks: expected }, "patch:\n{text}");
    }

    fn check_err(text: &str, expected: &str) {
        let err = parse_patch(text).unwrap_err().to_string();
        assert!(err.contains(expected), "error `{err}` lacks `{expected}` for patch:\n{text}");
    }

    #[test]
    fn parses_every_construct() {
        check(
            "*** Begin Patch\n*** Add File: a.txt\n+one\n+two\n*** Delete File: b.txt\n\
             *** Update File: c.rs\n*** Move to: d.rs\n@@ fn main()\n@@     let x\n ctx\n-old\n+new\n\
             @@\n-tail\n+TAIL\n*** End of File\n*** End Patch\n",
            vec![
                FileOp::Add { path: "a.txt".into(), contents: "one\ntwo\n".into() },
                FileOp::Delete { path: "b.txt".into() },
                FileOp::Update {
                    path: "c.rs".into(),
                    move_to: Some("d.rs".into()),
                    chunks: vec![
                        chunk(&["fn main()", "let x"], &["ctx", "old"], &["ctx", "new"], false),
                        chunk(&[], &["tail"], &["TAIL"], true),
                    ],
                },
            ],
        );
    }

    #[test]
    fn tolerates_heredoc_blank_lines_and_missing_first_at() {
        check(
            "\n\napply_patch <<'EOF'\n*** Begin Patch\n*** Update File: x\n a\n\n-b\n+c\n\n*** End Patch\nEOF\n\n",
            vec![update("x", vec![chunk(&[], &["a", "", "b"], &["a", "", "c"], false)])],
        );
        check(
            "*** Begin Patch\r\n*** Update File: x\r\n-b\r\n+c\r\n*** End Patch\r\n",
            vec![update("x", vec![chunk(&[], &["b"], &["c"], false)])],
        );
    }

    #[test]
    fn unified_diff_ranges_are_not_anchors() {
        check(
            "*** Begin Patch\n*** Update File: x\n@@ -1,2 +1,2 @@\n-a\n+b\n@@ -10 +10 @@ fn f()\n-c\n+d\n*** End Patch",
            vec![update("x", vec![chunk(&[], &["a"], &["b"], false), chunk(&["fn f()"], &["c"], &["d"], false)])],
        );
    }

    #[test]
    fn add_file_keeps_inner_blank_lines_and_drops_trailing_ones() {
        check(
            "*** Begin Patch\n*** Add File: a\n+x\n\n+y\n\n*** End Patch",
            vec![FileOp::Add { path: "a".into(), contents: "x\n\ny\n".into() }],
        );
        check(
            "*** Begin Patch\n*** Add File: empty\n*** End Patch",
            vec![FileOp::Add { path: "empty".into(), contents: String::new() }],
        );
    }

    #[test]
    fn reports_malformed_patches_with_line_numbers() {
        check_err("", "the patch is empty");
        check_err(
            "*** Begin Patch\n*** Delete File: x\n*** End Patch\n*** End Patch",
            "line 3: expected nothing after the first `*** End Patch`",
        );
        check_err("\n \n", "the patch is empty");
        check_err("*** Update File: x\n*** End Patch", "line 1: expected `*** Begin Patch`");
        check_err("*** Begin Patch\n*** Delete File: x\n", "line 2: expected `*** End Patch`");
        check_err("*** Begin Patch\n*** End Patch", "no file operations");
        check_err("*** Begin Patch\n*** Frobnicate File: x\n*** End Patch", "line 2: expected a file header");
        check_err(
            "*** Begin Patch\n*** Add File: a\n+x\ny\n*** End Patch",
            "line 4: expected a line starting with `+`",
        );
        check_err("*** Begin Patch\n*** Add File: /etc/x\n+x\n*** End Patch", "line 2: the path `/etc/x` is absolute");
        check_err("*** Begin Patch\n*** Delete File:  \n*** End Patch", "line 2: `*** Delete File:` names no path");
        check_err("*** Begin Patch\n*** Update File: a\n*** End Patch", "line 2: `*** Update File: a` has no hunks");
        check_err("*** Begin Patch\n*** Update File: a\n@@ x\n*** End Patch", "line 3: this hunk of `a` has no lines");
        check_err("*** Begin Patch\n*** Update File: a\n-x\nbad\n*** End Patch", "line 4: expected a hunk line");
        check_err("*** Begin Patch\n*** Update File: a\n*** End of File\n*** End Patch", "line 3: expected hunk lines");
        check_err(
            "*** Begin Patch\n*** Update File: a\n-x\n*** Bogus\n*** End Patch",
            "line 4: expected a hunk line, `*** End of File`",
        );
    }
}
