//! The list_dir tool: a sorted, indented tree of a directory, skipping what .gitignore ignores.

use std::fmt::Write as _;
use std::path::Path;

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolSpec};
use serde::Deserialize;
use serde_json::json;

use super::{blocking, resolve};
use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "list_dir";
const DEFAULT_DEPTH: usize = 2;
const DEFAULT_LIMIT: usize = 200;

/// Lists a directory as a tree, honouring .gitignore.
#[derive(Debug, Clone, Default)]
pub struct ListDirTool;

impl ListDirTool {
    /// The list_dir tool (it has no configuration).
    pub fn new() -> Self {
        ListDirTool
    }
}

#[derive(Debug, Deserialize)]
struct ListArgs {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    depth: Option<usize>,
    #[serde(default)]
    limit: Option<usize>,
}

#[async_trait]
impl Tool for ListDirTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Lists a directory as an indented tree, sorted by name, directories marked with a \
                          trailing `/`. Files ignored by .gitignore and the .git directory are left out; \
                          hidden files are shown."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string", "description": "The directory to list (default: the current directory)." },
                    "depth": { "type": "integer", "minimum": 1, "description": format!("How many levels to descend (default {DEFAULT_DEPTH}; 1 lists only the directory's own entries).") },
                    "limit": { "type": "integer", "minimum": 1, "description": format!("The most entries to show (default {DEFAULT_LIMIT}).") }
                },
                "additionalProperties": false
            }),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::ReadOnly
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let args: ListArgs = match args::parse(NAME, args) {
            Ok(args) => args,
            Err(result) => return result,
        };
        let shown = args.path.unwrap_or_else(|| ".".into());
        let depth = args.depth.unwrap_or(DEFAULT_DEPTH);
        let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
        if depth == 0 || limit == 0 {
            return ToolResult::error("`depth` and `limit` must be at least 1");
        }
        let dir = match resolve(ctx, &shown) {
            Ok(dir) => dir,
            Err(result) => return result,
        };
        blocking(move || match list(&dir, &shown, depth, limit) {
            Ok(output) => ToolResult::ok(output, ToolEffect::None),
            Err(message) => ToolResult::error(message),
        })
        .await
    }
}

/// Lists `dir` (named `shown` in messages) `depth` levels deep, at most `limit` entries.
///
/// Returns the tree, headed by the directory's absolute path, with a note when the limit cut it. Fails
/// when `dir` is missing or not a directory.
fn list(dir: &Path, shown: &str, depth: usize, limit: usize) -> Result<String, String> {
    if !dir.exists() {
        return Err(format!("`{shown}` does not exist"));
    }
    if !dir.is_dir() {
        return Err(format!("`{shown}` is a file, not a directory; use read_file to read it"));
    }
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .max_depth(Some(depth))
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();

    let mut out = format!("{}/\n", dir.display());
    let mut shown_entries = 0usize;
    let mut errors = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                errors.push(err.to_string());
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        if shown_entries == limit {
            let _ = writeln!(
                out,
                "(listing cut at {limit} entries; list a subdirectory, lower depth or raise limit to see more)"
            );
            break;
        }
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let indent = "  ".repeat(entry.depth());
        let _ = writeln!(out, "{indent}{}{}", entry.file_name().to_string_lossy(), if is_dir { "/" } else { "" });
        shown_entries += 1;
    }
    if shown_entries == 0 {
        out.push_str("  (empty)\n");
    }
    for error in errors.iter().take(5) {
        let _ = writeln!(out, "(could not read part of the tree: {error})");
    }
    Ok(out)
}
