//! A small reader for the YAML front matter of a SKILL.md: the flat `key: value` form skills use, with
//! plain, single- and double-quoted scalars and `|`/`>` block scalars. braid only needs `name` and
//! `description`; anything it cannot read is rejected with a message saying what and where, rather
//! than guessed at, since a misread description would mislead the model.
//!
//! Other keys (`license`, `allowed-tools`, `metadata` and the like) are skipped together with their
//! indented or list continuation lines, so skills written for other agents still load.

/// The front matter fields braid uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub name: String,
    pub description: String,
    /// The text after the closing `---` line.
    pub body: String,
}

/// The longest skill name braid accepts.
pub const MAX_NAME_CHARS: usize = 64;
/// The longest description braid accepts: it goes into every session's context.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// Why a SKILL.md's front matter was rejected. Line numbers count from 1 at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("no front matter: the file must start with a `---` line, then `name:` and `description:`, then `---`")]
    Missing,
    #[error("the front matter is not closed: add a `---` line after its last key")]
    Unterminated,
    #[error("the front matter has no `{0}`")]
    MissingField(&'static str),
    #[error("`{0}` is empty")]
    EmptyField(&'static str),
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error(
        "the name `{0}` is not valid: use at most {MAX_NAME_CHARS} letters, digits, `-` and `_` (it is what `$name` invokes)"
    )]
    BadName(String),
    #[error("the description has {0} characters; keep it under {MAX_DESCRIPTION_CHARS} (it goes into every session)")]
    LongDescription(usize),
}

/// Parses the front matter of a SKILL.md and checks `name` and `description`.
///
/// Fails when the front matter is missing or unterminated, when a line is not YAML braid reads, when a
/// key appears twice, when `name` or `description` is missing or empty, when the name has characters
/// other than letters, digits, `-` and `_` or is longer than 64, or the description is too long.
pub fn parse(text: &str) -> Result<FrontMatter, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Err(FrontMatterError::Missing),
    }
    let mut header = Vec::new();
    let mut body_start = None;
    let mut offset = text.split_inclusive('\n').next().map_or(0, str::len);
    for line in lines {
        let trimmed = line.trim_end();
        offset += line.len();
        if trimmed == "---" || trimmed == "..." {
            body_start = Some(offset);
            break;
        }
        header.push(trimmed);
    }
    let body_start = body_start.ok_or(FrontMatterError::Unterminated)?;
    let (name, description) = read_fields(&header)?;
    let name = name.ok_or(FrontMatterError::MissingField("name"))?;
    let description = description.ok_or(FrontMatterError::MissingField("description"))?;
    if name.is_empty() {
        return Err(FrontMatterError::EmptyField("name"));
    }
    if description.is_empty() {
        return Err(FrontMatterError::EmptyField("description"));
    }
    if !valid_name(&name) {
        return Err(FrontMatterError::BadName(name));
    }
    let chars = description.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(FrontMatterError::LongDescription(chars));
    }
    Ok(FrontMatter { name, description, body: text[body_start..].to_string() })
}

/// Whether `name` is a valid skill name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS && name.chars().all(is_name_char)
}

/// The characters a skill name is made of.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Walks the header lines (the file's line 2 onwards) and returns the trimmed `name` and `description`.
fn read_fields(header: &[&str]) -> Result<(Option<String>, Option<String>), FrontMatterError> {
    let mut name = None;
    let mut description = None;
    let mut seen: Vec<&str> = Vec::new();
    let mut index = 0;
    while index < header.len() {
        let line = header[index];
        let line_no = index + 2;
        let syntax = |message: String| FrontMatterError::Syntax { line: line_no, message };
        index += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return Err(syntax("unexpected indentation; keys start at the beginning of the line".to_string()));
        }
        let Some((key, rest)) = split_key(line) else {
            return Err(syntax(format!("expected `key: value`, found `{line}`")));
        };
        if seen.contains(&key) {
            return Err(syntax(format!("`{key}` appears twice")));
        }
        seen.push(key);
        // The lines that continue this key's value: indented ones, and blank ones between them.
        let mut end = index;
        while end < header.len() && (header[end].trim().is_empty() || header[end].starts_with([' ', '\t'])) {
            end += 1;
        }
        let continuation = &header[index..end];
        index = end;
        let slot = match key {
            "name" => &mut name,
            "description" => &mut description,
            // Another agent's key: its value, however structured, is not braid's concern.
            _ => continue,
        };
        let value = scalar(rest.trim(), continuation, line_no).map_err(syntax)?;
        *slot = Some(value.trim().to_string());
    }
    Ok((name, description))
}

/// Splits `key: rest` (or `key:` at the end of the line); `None` when the line is not a mapping entry.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let rest = &line[colon + 1..];
    let key_ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (key_ok && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some((key, rest))
}

/// Reads the scalar value `first` (the text after the colon) with its `continuation` lines.
fn scalar(first: &str, continuation: &[&str], line_no: usize) -> Result<String, String> {
    let has_more = continuation.iter().any(|l| !l.trim().is_empty());
    match first.chars().next() {
        None if has_more => {
            Err("the value is a nested list or map; write it as a string on the same line or as a `|` block".into())
        }
        None => Ok(String::new()),
        Some('\'') | Some('"') if has_more => Err(
            "a quoted value continues on the next line, which braid does not read; keep it on one line or use a `>` block"
                .into(),
        ),
        Some('\'') => single_quoted(first),
        Some('"') => double_quoted(first),
        Some('|') | Some('>') => block(first, continuation, line_no),
        Some('[' | '{' | '&' | '*' | '!' | '%' | '@' | '`') => Err(format!(
            "`{first}` uses YAML syntax braid does not read (flow collections, anchors, tags); quote the value"
        )),
        Some(_) => plain(first, continuation),
    }
}

/// A plain scalar, folded over its indented continuation lines as YAML does.
fn plain(first: &str, continuation: &[&str]) -> Result<String, String> {
    let mut parts = vec![strip_comment(first)];
    parts.extend(continuation.iter().map(|l| l.trim()).filter(|l| !l.is_empty()));
    let value = parts.join(" ");
    if value.contains(": ") {
        return Err(format!("`{value}` contains `: `, which YAML reads as a nested map; quote the value"));
    }
    Ok(value)
}

/// A plain value without its trailing ` # comment`.
fn strip_comment(value: &str) -> &str {
    match value.find(" #") {
        Some(at) => value[..at].trim_end(),
        None => value,
    }
}

/// What may follow a closing quote: nothing, or a comment.
fn check_after_quote(after: &str) -> Result<(), String> {
    let after = after.trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err(format!("unexpected `{after}` after the closing quote"))
    }
}

fn single_quoted(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = value[1..].char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            check_after_quote(&value[1 + at + 1..])?;
            return Ok(out);
        }
        out.push(c);
    }
    Err("the single-quoted value has no closing `'`".into())
}

fn double_quoted(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = value[1..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                check_after_quote(&value[1 + at + 1..])?;
                return Ok(out);
            }
            '\\' => {
                let escaped = chars.next().map(|(_, e)| e);
                let decoded = match escaped {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('/') => '/',
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("`\\u{hex}` is not a valid \\uXXXX escape"))?
                    }
                    Some(other) => return Err(format!("`\\{other}` is an escape braid does not read")),
                    None => break,
                };
                out.push(decoded);
            }
            _ => out.push(c),
        }
    }
    Err("the double-quoted value has no closing `\"`".into())
}

/// A `|` (literal) or `>` (folded) block scalar. Chomping indicators are accepted; the value is trimmed
/// afterwards anyway, so they change nothing.
fn block(header: &str, continuation: &[&str], line_no: usize) -> Result<String, String> {
    let indicators = strip_comment(&header[1..]);
    if !indicators.chars().all(|c| matches!(c, '-' | '+' | '1'..='9')) || indicators.len() > 2 {
        return Err(format!("`{header}` is not a block scalar header braid reads; use `|` or `>`"));
    }
    let indent = continuation
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or(0, |l| l.len() - l.trim_start_matches([' ', '\t']).len());
    let mut lines = Vec::new();
    for (i, line) in continuation.iter().enumerate() {
        if line.trim().is_empty() {
            lines.push("");
            continue;
        }
        let Some(content) = line.get(indent..).filter(|_| line[..indent].trim().is_empty()) else {
            return Err(format!("the block's line {} is indented less than its first line", line_no + 1 + i));
        };
        lines.push(content);
    }
    if header.starts_with('|') {
        return Ok(lines.join("\n"));
    }
    // Folded: lines join with a space; a blank line is a line break.
    let mut out = String::new();
    for line in lines {
        if line.is_empty() {
            out.push('\n');
        } else {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            out.push_str(line);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `input` and compares the name and description, or the exact error message.
    fn check(input: &str, expected: Result<(&str, &str), &str>) {
        let got = parse(input).map(|fm| (fm.name, fm.description)).map_err(|e| e.to_string());
        let expected = expected.map(|(n, d)| (n.to_string(), d.to_string())).map_err(str::to_string);
        assert_eq!(got, expected, "input:\n{input}");
    }

    #[test]
    fn scalars() {
        check("---\nname: pdf\ndescription: Fill PDF forms.\n---\nbody", Ok(("pdf", "Fill PDF forms.")));
        check("---\r\nname: pdf\r\ndescription: x\r\n---\r\n", Ok(("pdf", "x")));
        check("\u{feff}---\nname: a\ndescription: b\n---\n", Ok(("a", "b")));
        check(
            "---\nname: 'it''s'\ndescription: b\n---\n",
            Err(
                "the name `it's` is not valid: use at most 64 letters, digits, `-` and `_` (it is what `$name` invokes)",
            ),
        );
        check("---\nname: 'pdf'\ndescription: 'Say ''hi'': now' # note\n---\n", Ok(("pdf", "Say 'hi': now")));
        check("---\nname: \"pdf\"\ndescription: \"a \\\"b\\\"\\tc \\u00e9\"\n---\n", Ok(("pdf", "a \"b\"\tc é")));
        check(
            "---\nname: pdf # the id\ndescription: use it\n  when forms\n  appear\n---\n",
            Ok(("pdf", "use it when forms appear")),
        );
        check("---\nname: a_b-9\ndescription: x\n---\n", Ok(("a_b-9", "x")));
    }

    #[test]
    fn block_scalars() {
        check("---\nname: a\ndescription: |\n  one\n    two\n\n  three\n---\n", Ok(("a", "one\n  two\n\nthree")));
        check("---\nname: a\ndescription: >-\n  one\n  two\n\n  three\n---\n", Ok(("a", "one two\nthree")));
        check("---\nname: a\ndescription: |2\n   x\n---\n", Ok(("a", "x")));
        check(
            "---\nname: a\ndescription: |x\n  x\n---\n",
            Err("line 3: `|x` is not a block scalar header braid reads; use `|` or `>`"),
        );
        check(
            "---\nname: a\ndescription: |\n    x\n  y\n---\n",
            Err("line 3: the block's line 5 is indented less than its first line"),
        );
    }

    #[test]
    fn other_keys_are_skipped_with_their_values() {
        let input = "---\nname: a\nlicense: MIT\nallowed-tools:\n  - Read\n  - Bash\nmetadata:\n  version: 1\n  {weird}: [x\ndescription: d\n---\n";
        check(input, Ok(("a", "d")));
    }

    #[test]
    fn bad_front_matter() {
        check(
            "# Title\n",
            Err("no front matter: the file must start with a `---` line, then `name:` and `description:`, then `---`"),
        );
        check(
            "",
            Err("no front matter: the file must start with a `---` line, then `name:` and `description:`, then `---`"),
        );
        check(
            "---\nname: a\ndescription: b\n",
            Err("the front matter is not closed: add a `---` line after its last key"),
        );
        check("---\nname: a\n---\n", Err("the front matter has no `description`"));
        check("---\ndescription: b\n---\n", Err("the front matter has no `name`"));
        check("---\nname:\ndescription: b\n---\n", Err("`name` is empty"));
        check("---\nname: a\ndescription: ''\n---\n", Err("`description` is empty"));
        check(
            "---\nname: a b\ndescription: c\n---\n",
            Err(
                "the name `a b` is not valid: use at most 64 letters, digits, `-` and `_` (it is what `$name` invokes)",
            ),
        );
        let long = "x".repeat(65);
        check(
            &format!("---\nname: {long}\ndescription: c\n---\n"),
            Err(&format!(
                "the name `{long}` is not valid: use at most 64 letters, digits, `-` and `_` (it is what `$name` invokes)"
            )),
        );
        let long = "d".repeat(1025);
        check(
            &format!("---\nname: a\ndescription: {long}\n---\n"),
            Err("the description has 1025 characters; keep it under 1024 (it goes into every session)"),
        );
    }

    #[test]
    fn yaml_braid_does_not_read() {
        check(
            "---\nname: a\ndescription: [x, y]\n---\n",
            Err(
                "line 3: `[x, y]` uses YAML syntax braid does not read (flow collections, anchors, tags); quote the value",
            ),
        );
        check(
            "---\nname: a\ndescription: b: c\n---\n",
            Err("line 3: `b: c` contains `: `, which YAML reads as a nested map; quote the value"),
        );
        check(
            "---\nname: a\ndescription:\n  k: v\n---\n",
            Err("line 3: the value is a nested list or map; write it as a string on the same line or as a `|` block"),
        );
        check(
            "---\nname: a\ndescription: 'b\n  c'\n---\n",
            Err(
                "line 3: a quoted value continues on the next line, which braid does not read; keep it on one line or use a `>` block",
            ),
        );
        check("---\nname: a\ndescription: 'b\n---\n", Err("line 3: the single-quoted value has no closing `'`"));
        check("---\nname: a\ndescription: \"b\\x\"\n---\n", Err("line 3: `\\x` is an escape braid does not read"));
        check("---\nname: a\ndescription: \"b\" c\n---\n", Err("line 3: unexpected `c` after the closing quote"));
        check("---\nname: a\nname: b\ndescription: c\n---\n", Err("line 3: `name` appears twice"));
        check("---\n  name: a\n---\n", Err("line 2: unexpected indentation; keys start at the beginning of the line"));
        check("---\njust text\n---\n", Err("line 2: expected `key: value`, found `just text`"));
    }

    #[test]
    fn body_is_what_follows_the_front_matter() {
        let fm = parse("---\nname: a\ndescription: b\n---\n# Steps\n1. go\n").unwrap();
        assert_eq!(fm.body, "# Steps\n1. go\n");
    }
}
