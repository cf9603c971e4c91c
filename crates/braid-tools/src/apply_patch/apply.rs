//! Applying a parsed patch: every new file content is computed in memory and every path checked before
//! anything is written, so a patch applies wholly or not at all.

use std::io;
use std::path::{Path, PathBuf};

use braid_protocol::FileChange;
use braid_sandbox::paths::{PathError, WorkspacePolicy};

use super::matcher;
use super::patch::{Chunk, FileOp, Patch};
use super::write::{self, Original, Staged};

/// Why a patch could not be applied. Nothing has been written when any of these is returned, except for
/// `Write`, after which the files already written have been restored (the message says if that failed).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("cannot use `{path}`: {source}")]
    Path { path: String, source: PathError },
    #[error("the path `{path}` is absolute; paths in a patch must be relative to the working directory")]
    AbsolutePath { path: String },
    #[error("cannot add `{path}`: it already exists; use `*** Update File: {path}` to change it")]
    AddExists { path: String },
    #[error("cannot {action} `{path}`: there is no such file{hint}")]
    Missing { path: String, action: &'static str, hint: &'static str },
    #[error("cannot {action} `{path}`: it is a directory or other non-file; patches only change files")]
    NotAFile { path: String, action: &'static str },
    #[error("cannot move `{from}` to `{to}`: `{to}` already exists")]
    MoveExists { from: String, to: String },
    #[error("cannot update `{path}`: it is not UTF-8 text")]
    NotText { path: String },
    #[error(
        "`{path}`, hunk {hunk}: could not find the `@@` anchor line `{anchor}`; copy the anchor exactly from \
         the file"
    )]
    AnchorNotFound { path: String, hunk: usize, anchor: String },
    #[error("`{path}`, hunk {hunk}: {detail}; re-read the file and resend the hunk with its lines copied exactly")]
    ContextNotFound { path: String, hunk: usize, detail: String },
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: io::Error },
    #[error("cannot write `{path}`: {source}{restore}")]
    Write { path: String, source: io::Error, restore: String },
}

/// Applies `patch` with relative paths taken from `cwd`, every path checked against `policy`.
///
/// Returns one `FileChange` per file operation, in patch order. Fails without writing anything when a path
/// escapes the workspace or is absolute, an added file or move target exists, an updated or deleted file is
/// missing or not a regular UTF-8 file, or a hunk's anchor or lines are not found. A write failure after
/// writing began restores the files already written and is reported as `ApplyError::Write`.
pub fn apply_patch(policy: &WorkspacePolicy, cwd: &Path, patch: &Patch) -> Result<Vec<FileChange>, ApplyError> {
    let mut plan = Plan { policy, cwd, staged: Vec::new() };
    for op in &patch.hunks {
        plan.stage(op)?;
    }
    write::commit(&plan.staged)?;
    Ok(patch.changes())
}

/// What is at a path, as far as the patch so far is concerned.
enum Current {
    Missing,
    NotAFile,
    File(String),
}

/// The files staged so far: later operations see the effect of earlier ones (an Add then an Update of the
/// same file works), because every lookup goes through `staged` before the disk.
struct Plan<'a> {
    policy: &'a WorkspacePolicy,
    cwd: &'a Path,
    staged: Vec<Staged>,
}

impl Plan<'_> {
    fn resolve(&self, path: &str) -> Result<PathBuf, ApplyError> {
        if Path::new(path).is_absolute() {
            return Err(ApplyError::AbsolutePath { path: path.to_string() });
        }
        // Every path a patch names is written (added, updated, deleted or moved).
        self.policy
            .resolve_for_write(self.cwd, path)
            .map_err(|source| ApplyError::Path { path: path.to_string(), source })
    }

    fn current(&self, resolved: &Path, shown: &str) -> Result<Current, ApplyError> {
        if let Some(staged) = self.staged.iter().find(|s| s.path == resolved) {
            return Ok(match &staged.new {
                None => Current::Missing,
                Some(bytes) => Current::File(String::from_utf8_lossy(bytes).into_owned()),
            });
        }
        match std::fs::metadata(resolved) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Current::Missing),
            Err(source) => Err(ApplyError::Read { path: shown.to_string(), source }),
            Ok(meta) if !meta.is_file() => Ok(Current::NotAFile),
            Ok(_) => {
                let bytes =
                    std::fs::read(resolved).map_err(|source| ApplyError::Read { path: shown.to_string(), source })?;
                String::from_utf8(bytes).map(Current::File).map_err(|_| ApplyError::NotText { path: shown.to_string() })
            }
        }
    }

    /// Records that `resolved` should end up holding `new` (or be gone), remembering what is on disk now
    /// the first time the path is staged, so a failed write can put it back.
    fn put(&mut self, resolved: PathBuf, shown: &str, new: Option<String>) -> Result<(), ApplyError> {
        let new = new.map(String::into_bytes);
        if let Some(staged) = self.staged.iter_mut().find(|s| s.path == resolved) {
            staged.new = new;
            return Ok(());
        }
        let original =
            Original::read(&resolved).map_err(|source| ApplyError::Read { path: shown.to_string(), source })?;
        self.staged.push(Staged { path: resolved, shown: shown.to_string(), original, new });
        Ok(())
    }

    /// The existing text file at `path`, or the error saying why the operation `action` cannot use it.
    fn existing(&self, path: &str, action: &'static str) -> Result<(PathBuf, String), ApplyError> {
        let resolved = self.resolve(path)?;
        match self.current(&resolved, path)? {
            Current::File(text) => Ok((resolved, text)),
            Current::NotAFile => Err(ApplyError::NotAFile { path: path.to_string(), action }),
            Current::Missing => Err(ApplyError::Missing {
                path: path.to_string(),
                action,
                hint: if action == "update" { "; use `*** Add File:` to create it" } else { "" },
            }),
        }
    }

    fn stage(&mut self, op: &FileOp) -> Result<(), ApplyError> {
        match op {
            FileOp::Add { path, contents } => {
                let resolved = self.resolve(path)?;
                if !matches!(self.current(&resolved, path)?, Current::Missing) {
                    return Err(ApplyError::AddExists { path: path.clone() });
                }
                self.put(resolved, path, Some(contents.clone()))
            }
            FileOp::Delete { path } => {
                let (resolved, _) = self.existing(path, "delete")?;
                self.put(resolved, path, None)
            }
            FileOp::Update { path, move_to, chunks } => {
                let (resolved, text) = self.existing(path, "update")?;
                let new_text = apply_chunks(&text, chunks, path)?;
                let destination = match move_to {
                    Some(to) => Some((self.resolve(to)?, to)),
                    None => None,
                };
                match destination {
                    Some((dest, to)) if dest != resolved => {
                        if !matches!(self.current(&dest, to)?, Current::Missing) {
                            return Err(ApplyError::MoveExists { from: path.clone(), to: to.clone() });
                        }
                        self.put(resolved, path, None)?;
                        self.put(dest, to, Some(new_text))?;
                    }
                    _ => self.put(resolved, path, Some(new_text))?,
                }
                Ok(())
            }
        }
    }
}

/// Applies `chunks` in order to `text`, keeping its line endings (CRLF stays CRLF) and whether it ends
/// with a newline. Returns the new text, or the error naming the hunk (1-based) whose anchor or lines were
/// not found after the previous hunk.
pub(crate) fn apply_chunks(text: &str, chunks: &[Chunk], path: &str) -> Result<String, ApplyError> {
    let crlf = text.find('\n').is_some_and(|i| text[..i].ends_with('\r'));
    let ends_with_newline = text.is_empty() || text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        body.split('\n').map(|l| if crlf { l.strip_suffix('\r').unwrap_or(l) } else { l }.to_string()).collect()
    };

    let mut replacements = Vec::with_capacity(chunks.len());
    let mut cursor = 0;
    for (index, chunk) in chunks.iter().enumerate() {
        let hunk = index + 1;
        let mut anchor_line = None;
        for anchor in &chunk.anchors {
            let found = matcher::find(&lines, std::slice::from_ref(anchor), cursor, false);
            let Some(at) = found else {
                return Err(ApplyError::AnchorNotFound { path: path.to_string(), hunk, anchor: anchor.clone() });
            };
            anchor_line = Some(at);
            cursor = at + 1;
        }
        let start = if chunk.old_lines.is_empty() && chunk.anchors.is_empty() {
            // A hunk that only adds lines and names no anchor appends them.
            lines.len()
        } else {
            let eof = chunk.end_of_file;
            matcher::find(&lines, &chunk.old_lines, cursor, eof)
                // Models often repeat the `@@` line as the hunk's first context line: then the hunk
                // starts at the anchor itself rather than after it.
                .or_else(|| anchor_line.and_then(|at| matcher::find(&lines, &chunk.old_lines, at, eof)))
                .ok_or_else(|| {
                    let detail = describe_miss(&lines, &chunk.old_lines, cursor);
                    ApplyError::ContextNotFound { path: path.to_string(), hunk, detail }
                })?
        };
        replacements.push((start, chunk.old_lines.len(), keep_file_context(&lines, start, chunk)));
        cursor = start + chunk.old_lines.len();
    }

    // Replacements are ordered and do not overlap (each hunk is searched after the previous one), so
    // applying them back to front keeps the earlier indices valid.
    for (start, len, new_lines) in replacements.into_iter().rev() {
        lines.splice(start..start + len, new_lines);
    }
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = lines.join(eol);
    if ends_with_newline && !lines.is_empty() {
        out.push_str(eol);
    }
    Ok(out)
}

/// The lines that replace a hunk matched at `start`, with every line the hunk leaves unchanged taken from
/// the file rather than from the patch: when the match was whitespace- or punctuation-tolerant, the
/// context the model retyped loosely must not overwrite what the file really says.
fn keep_file_context(lines: &[String], start: usize, chunk: &Chunk) -> Vec<String> {
    let mut replacement = chunk.new_lines.clone();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &chunk.old_lines, &chunk.new_lines) {
        if let similar::DiffOp::Equal { old_index, new_index, len } = op {
            for k in 0..len {
                if let Some(original) = lines.get(start + old_index + k) {
                    replacement[new_index + k] = original.clone();
                }
            }
        }
    }
    replacement
}

/// Explains why `old_lines` were not found from `cursor`: the first line that is nowhere to be found, the
/// line that failed to follow the ones found, or that the lines occur only before the previous hunk.
fn describe_miss(lines: &[String], old_lines: &[String], cursor: usize) -> String {
    if matcher::find(lines, old_lines, 0, false).is_some() {
        return format!(
            "its lines (starting with `{}`) occur only before the previous hunk; list hunks in the order \
             they appear in the file",
            old_lines[0]
        );
    }
    for len in 1..=old_lines.len() {
        if matcher::find(lines, &old_lines[..len], cursor, false).is_none() {
            let missing = &old_lines[len - 1];
            return if len == 1 {
                format!("could not find the line `{missing}`")
            } else {
                format!("could not find the line `{missing}` after the line `{}` (hunk line {len})", old_lines[len - 2])
            };
        }
    }
    // Unreachable in practice: the whole sequence was not found, so some prefix fails above.
    format!("could not find the hunk's lines starting with `{}`", old_lines[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(anchors: &[&str], old: &[&str], new: &[&str], eof: bool) -> Chunk {
        Chunk::from_strs(anchors, old, new, eof)
    }

    fn check(text: &str, chunks: &[Chunk], expected: Result<&str, &str>) {
        let got = apply_chunks(text, chunks, "f").map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "text {text:?}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "error `{got}` lacks `{want}`"),
            (got, want) => panic!("text {text:?}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn keeps_line_endings_and_final_newline() {
        check("a\r\nb\r\n", &[chunk(&[], &["a"], &["A", "A2"], false)], Ok("A\r\nA2\r\nb\r\n"));
        check("a\nb", &[chunk(&[], &["b"], &["B"], false)], Ok("a\nB"));
        check("", &[chunk(&[], &[], &["x"], false)], Ok("x\n"));
        check("a\n", &[chunk(&[], &["a"], &[], false)], Ok(""));
    }

    #[test]
    fn anchor_repeated_as_context() {
        check(
            "fn a() {\n    x\n}\n",
            &[chunk(&["fn a() {"], &["fn a() {", "    x"], &["fn a() {", "    y"], false)],
            Ok("fn a() {\n    y\n}\n"),
        );
    }

    #[test]
    fn anchors_and_insertions() {
        let text = "fn a() {\n    x\n}\nfn b() {\n    x\n}\n";
        check(
            text,
            &[chunk(&["fn b() {"], &["    x"], &["    y"], false)],
            Ok("fn a() {\n    x\n}\nfn b() {\n    y\n}\n"),
        );
        check(
            text,
            &[chunk(&["fn b() {"], &[], &["    // b"], false)],
            Ok("fn a() {\n    x\n}\nfn b() {\n    // b\n    x\n}\n"),
        );
        check("a\nb\n", &[chunk(&[], &[], &["c"], false)], Ok("a\nb\nc\n"));
        check(
            text,
            &[chunk(&["fn c() {"], &["    x"], &["    y"], false)],
            Err("hunk 1: could not find the `@@` anchor line `fn c() {`"),
        );
    }

    #[test]
    fn loosely_matched_context_keeps_the_file_text() {
        check(
            "x = 1;  \ny \u{2014} z\n",
            &[chunk(&[], &["x = 1;", "y - z"], &["x = 1;", "y - z", "w"], false)],
            Ok("x = 1;  \ny \u{2014} z\nw\n"),
        );
    }

    #[test]
    fn misses_are_explained() {
        let text = "one\ntwo\nthree\n";
        check(text, &[chunk(&[], &["four"], &[], false)], Err("`f`, hunk 1: could not find the line `four`"));
        check(
            text,
            &[chunk(&[], &["one", "three"], &[], false)],
            Err("could not find the line `three` after the line `one`"),
        );
        check(
            text,
            &[chunk(&[], &["two"], &["2"], false), chunk(&[], &["one"], &["1"], false)],
            Err("hunk 2: its lines (starting with `one`) occur only before the previous hunk"),
        );
    }
}
