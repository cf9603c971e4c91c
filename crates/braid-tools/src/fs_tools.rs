//! File tools: read_file (line ranges, binary detection, caps), edit_file (one exact replacement), list_dir
//! and grep (respecting .gitignore).
//!
//! Every path goes through `WorkspacePolicy::resolve` first, so a path that escapes the workspace (with
//! `..`, an absolute path or a symlink) is refused before anything is read. The walking tools skip what
//! `.gitignore` ignores even outside a git repository (`require_git(false)`): a fresh project directory
//! the agent created has the same listing before and after `git init`.

mod edit_file;
mod grep;
mod list_dir;
mod read_file;

use std::path::PathBuf;

pub use edit_file::EditFileTool;
pub use grep::GrepTool;
pub use list_dir::ListDirTool;
pub use read_file::ReadFileTool;

use crate::{ToolContext, ToolResult};

/// Lines longer than this many characters are cut, so that one minified file cannot fill the output.
const MAX_LINE_CHARS: usize = 500;

/// Resolves a path argument through the workspace policy.
///
/// Returns the absolute path, or an error result naming the path and why it was refused.
fn resolve(ctx: &ToolContext, path: &str) -> Result<PathBuf, ToolResult> {
    ctx.policy.resolve(&ctx.cwd, path).map_err(|err| ToolResult::error(err.to_string()))
}

/// Resolves a path argument that will be written: as `resolve`, and also refused under a read-only
/// policy or inside `.git` / `.braid`.
fn resolve_for_write(ctx: &ToolContext, path: &str) -> Result<PathBuf, ToolResult> {
    ctx.policy.resolve_for_write(&ctx.cwd, path).map_err(|err| ToolResult::error(err.to_string()))
}

/// `line` cut to `MAX_LINE_CHARS` characters, with a marker saying how long it really was.
fn clip_line(line: &str) -> std::borrow::Cow<'_, str> {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        None => line.into(),
        Some((cut, _)) => {
            let total = line.chars().count();
            format!("{} [... line cut: {total} characters in all]", &line[..cut]).into()
        }
    }
}

/// Runs blocking file work off the async runtime's worker threads.
///
/// Returns the work's result; a panic in it becomes an error result rather than tearing down the turn.
async fn blocking(work: impl FnOnce() -> ToolResult + Send + 'static) -> ToolResult {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|err| ToolResult::error(format!("the tool failed unexpectedly: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_clipped_on_char_boundaries() {
        assert_eq!(clip_line("short"), "short");
        let exact = "x".repeat(MAX_LINE_CHARS);
        assert_eq!(clip_line(&exact), exact);
        let long = "é".repeat(MAX_LINE_CHARS + 5);
        let clipped = clip_line(&long);
        assert!(clipped.starts_with(&"é".repeat(MAX_LINE_CHARS)));
        assert!(clipped.ends_with(&format!("[... line cut: {} characters in all]", MAX_LINE_CHARS + 5)));
    }
}
