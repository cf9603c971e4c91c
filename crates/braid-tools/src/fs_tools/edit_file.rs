//! The edit_file tool: replace one exact piece of a file with new text.
//!
//! Small local models write unified-diff patches badly (they drop the `-` lines or copy line
//! numbers in), but they reliably copy a few lines and say what those lines should become. This tool
//! takes exactly that: `old_text` must occur once in the file (or once after trailing whitespace is
//! ignored on every line), and is replaced by `new_text`. The write goes to a temporary file that is
//! renamed over the original, so a failure never leaves a half-written file.

use std::path::Path;

use async_trait::async_trait;
use braid_protocol::{FileChange, FileChangeKind, ToolEffect, ToolSpec};
use serde::Deserialize;
use serde_json::json;

use super::{blocking, resolve_for_write};
use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "edit_file";

/// Replaces one occurrence of a text in a file.
#[derive(Debug, Clone, Default)]
pub struct EditFileTool;

#[derive(Debug, Deserialize)]
struct EditArgs {
    path: String,
    old_text: String,
    new_text: String,
}

#[async_trait]
impl Tool for EditFileTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Edits a file: replaces old_text, copied exactly from the file (a few whole lines), \
                          with new_text. old_text must appear exactly once in the file."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string", "description": "The file to edit." },
                    "old_text": { "type": "string", "description": "The lines to replace, copied exactly." },
                    "new_text": { "type": "string", "description": "What those lines become." }
                },
                "required": ["path", "old_text", "new_text"],
                "additionalProperties": false
            }),
        }
    }

    fn preview(&self, _ctx: &ToolContext, args: &serde_json::Value) -> ToolEffect {
        match args.get("path").and_then(serde_json::Value::as_str) {
            Some(path) => update_effect(path),
            None => ToolEffect::None,
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::Edit
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let args: EditArgs = match args::parse(NAME, args) {
            Ok(args) => args,
            Err(result) => return result,
        };
        if args.old_text.is_empty() {
            return ToolResult::error("`old_text` is empty; copy the lines to replace from the file");
        }
        let path = match resolve_for_write(ctx, &args.path) {
            Ok(path) => path,
            Err(result) => return result,
        };
        blocking(move || match edit(&path, &args.path, &args.old_text, &args.new_text) {
            Ok(message) => ToolResult::ok(message, update_effect(&args.path)),
            Err(message) => ToolResult::error(message),
        })
        .await
    }
}

fn update_effect(path: &str) -> ToolEffect {
    ToolEffect::FileChange {
        changes: vec![FileChange { path: path.to_string(), kind: FileChangeKind::Update, move_to: None }],
    }
}

/// Applies the replacement to the file at `path` (named `shown` in messages).
///
/// Returns a one-line summary, or a message for the model when the file cannot be read or written,
/// or `old` is missing or ambiguous.
fn edit(path: &Path, shown: &str, old: &str, new: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read `{shown}`: {err}"))?;
    let updated = replace_once(&text, old, new).map_err(|problem| match problem {
        Problem::Missing => format!(
            "`old_text` does not appear in `{shown}`; read the file again and copy the lines exactly, indentation included"
        ),
        Problem::Ambiguous(count) => {
            format!("`old_text` appears {count} times in `{shown}`; include more surrounding lines so it is unique")
        }
    })?;
    let parent = path.parent().ok_or_else(|| format!("`{shown}` has no parent directory"))?;
    let mut temp =
        tempfile::NamedTempFile::new_in(parent).map_err(|err| format!("cannot write next to `{shown}`: {err}"))?;
    std::io::Write::write_all(&mut temp, updated.as_bytes()).map_err(|err| format!("cannot write `{shown}`: {err}"))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(temp.path(), meta.permissions());
    }
    temp.persist(path).map_err(|err| format!("cannot replace `{shown}`: {}", err.error))?;
    let removed = old.lines().count();
    let added = new.lines().count();
    Ok(format!("edited `{shown}`: replaced {removed} line(s) with {added}"))
}

#[derive(Debug, PartialEq)]
enum Problem {
    Missing,
    Ambiguous(usize),
}

/// `text` with the single occurrence of `old` replaced by `new`. When `old` does not occur as is, a
/// match that ignores trailing whitespace on each line is tried, since models often drop it; then the
/// same with the lines `old` and `new` share at their start and end left out. Those lines are context
/// the edit does not change, and small models often garble the first or last of them.
fn replace_once(text: &str, old: &str, new: &str) -> Result<String, Problem> {
    match replace_lines(text, old, new) {
        Err(Problem::Missing) => {}
        other => return other,
    }
    let old_lines: Vec<&str> = old.trim_matches('\n').lines().collect();
    let new_lines: Vec<&str> = new.trim_matches('\n').lines().collect();
    let head = old_lines.iter().zip(&new_lines).take_while(|(a, b)| a.trim_end() == b.trim_end()).count();
    let tail = old_lines[head..]
        .iter()
        .rev()
        .zip(new_lines[head..].iter().rev())
        .take_while(|(a, b)| a.trim_end() == b.trim_end())
        .count();
    let core_old = &old_lines[head..old_lines.len() - tail];
    let core_new = &new_lines[head..new_lines.len() - tail];
    if (head == 0 && tail == 0) || core_old.is_empty() {
        return Err(Problem::Missing);
    }
    replace_lines(text, &core_old.join("\n"), &core_new.join("\n"))
}

fn replace_lines(text: &str, old: &str, new: &str) -> Result<String, Problem> {
    match text.matches(old).count() {
        1 => return Ok(text.replacen(old, new, 1)),
        0 => {}
        count => return Err(Problem::Ambiguous(count)),
    }
    let wanted: Vec<&str> = old.trim_matches('\n').lines().map(str::trim_end).collect();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let matches: Vec<usize> = (0..lines.len())
        .filter(|&start| {
            start + wanted.len() <= lines.len()
                && wanted.iter().zip(&lines[start..]).all(|(want, have)| have.trim_end() == *want)
        })
        .collect();
    match matches.as_slice() {
        [] => Err(Problem::Missing),
        [start] => {
            let mut out: String = lines[..*start].concat();
            out.push_str(new.trim_matches('\n'));
            let end = start + wanted.len();
            // Keep the line break that ended the replaced block.
            if lines[end - 1].ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&lines[end..].concat());
            Ok(out)
        }
        many => Err(Problem::Ambiguous(many.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_exact_and_whitespace_tolerant_matches() {
        let text = "def f():\n    return 1  \n\nx = 2\n";
        assert_eq!(replace_once(text, "return 1  ", "return 2").unwrap(), "def f():\n    return 2\n\nx = 2\n");
        assert_eq!(
            replace_once(text, "def f():\n    return 1\n", "def f():\n    return 3\n").unwrap(),
            "def f():\n    return 3\n\nx = 2\n"
        );
        assert_eq!(replace_once(text, "return 9", "x"), Err(Problem::Missing));
        assert_eq!(replace_once("a\na\n", "a", "b"), Err(Problem::Ambiguous(2)));
        // A garbled context line that old and new share is left out of the match.
        assert_eq!(
            replace_once(
                "def g(x):\n    y = x + 1\n    return y\n",
                "g(x\n    y = x + 1\n    return y",
                "g(x\n    y = x + 2\n    return y"
            )
            .unwrap(),
            "def g(x):\n    y = x + 2\n    return y\n"
        );
    }

    #[test]
    fn edits_a_real_file_atomically_and_refuses_missing_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.py");
        std::fs::write(&path, "a = 1\nb = 2\n").unwrap();
        assert_eq!(edit(&path, "m.py", "b = 2", "b = 3").unwrap(), "edited `m.py`: replaced 1 line(s) with 1");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\nb = 3\n");
        let err = edit(&path, "m.py", "c = 1", "c = 2").unwrap_err();
        assert!(err.contains("does not appear in `m.py`"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\nb = 3\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }
}
