//! The apply_patch tool: parses the patch format models are trained on and applies it wholly or not at all.
//!
//! `parser` turns the text into a `Patch` (the plain data of `patch`), `matcher` finds hunks in files with
//! increasing tolerance, `apply` computes every new file in memory and checks every path, and `write` puts
//! the result on disk (restoring what it wrote if a write fails). `heredoc` recognises a patch sent through the shell tool instead.

mod apply;
mod heredoc;
mod matcher;
mod parser;
mod patch;
mod write;

use async_trait::async_trait;
use braid_protocol::{FileChange, FileChangeKind, ToolEffect, ToolSpec};
use serde_json::json;

use crate::{Tool, ToolContext, ToolResult};

pub use apply::{ApplyError, apply_patch};
pub use heredoc::extract_from_shell_argv;
pub use parser::{ParseError, parse_patch};
pub use patch::{Chunk, FileOp, Patch};

/// What the model reads about the tool: enough to write a correct patch from the description alone.
const DESCRIPTION: &str = "\
Edit files by applying a patch. Put the whole patch in `input`:

*** Begin Patch
*** Add File: path/new.txt
+every line of a new file starts with +
*** Delete File: path/old.txt
*** Update File: path/file.rs
*** Move to: path/renamed.rs   (optional: rename the file too)
@@ fn some_function()          (optional: a line to find first, to say where the hunk is)
 a context line, unchanged (starts with a space)
-a line to remove
+a line to add
 another context line
*** End Patch

Paths are relative to the working directory. In an update, give about 3 lines of context above and below \
each change, copied exactly from the file; start each further hunk with `@@` (or `@@ <line>` to narrow the \
place). Hunks must be in file order. Add `*** End of File` after a hunk that ends at the end of the file. \
The patch applies wholly or not at all: on error nothing is changed and the message says what to fix.";

/// The `apply_patch` tool: `{"input": "<patch>"}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyPatchTool;

/// The patch text of a call's arguments: the `input` field, or the arguments themselves when a model sent
/// a bare string.
fn patch_text(args: &serde_json::Value) -> Option<&str> {
    args.get("input").and_then(|v| v.as_str()).or_else(|| args.as_str())
}

/// The success message: one `A`/`M`/`D` line per file.
fn summary(changes: &[FileChange]) -> String {
    let mut out = String::from("Success. Updated the following files:");
    for change in changes {
        let letter = match change.kind {
            FileChangeKind::Add => 'A',
            FileChangeKind::Delete => 'D',
            FileChangeKind::Update => 'M',
        };
        out.push_str(&format!("\n{letter} {}", change.path));
        if let Some(to) = &change.move_to {
            out.push_str(&format!(" -> {to}"));
        }
    }
    out
}

#[async_trait]
impl Tool for ApplyPatchTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "apply_patch".to_string(),
            description: DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "input": {
                        "type": "string",
                        "description": "The entire patch, from `*** Begin Patch` to `*** End Patch`."
                    }
                },
                "required": ["input"],
                "additionalProperties": false
            }),
        }
    }

    fn preview(&self, _ctx: &ToolContext, args: &serde_json::Value) -> ToolEffect {
        match patch_text(args).map(parse_patch) {
            Some(Ok(patch)) => ToolEffect::FileChange { changes: patch.changes() },
            _ => ToolEffect::None,
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::Edit
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let Some(text) = patch_text(&args) else {
            return ToolResult::error(
                "apply_patch expects {\"input\": \"<patch>\"} with the patch text as a string, from \
                 `*** Begin Patch` to `*** End Patch`",
            );
        };
        let patch = match parse_patch(text) {
            Ok(patch) => patch,
            Err(err) => return ToolResult::error(format!("The patch is malformed: {err}")),
        };
        let (policy, cwd) = (ctx.policy.clone(), ctx.cwd.clone());
        // File IO blocks; keep it off the async workers.
        let outcome = tokio::task::spawn_blocking(move || apply_patch(&policy, &cwd, &patch)).await;
        match outcome {
            Ok(Ok(changes)) => ToolResult::ok(summary(&changes), ToolEffect::FileChange { changes }),
            // Nothing was changed, so the failure has no effect to show.
            Ok(Err(err)) => ToolResult::error(format!("The patch was not applied: {err}")),
            Err(join) => ToolResult::error(format!("The patch was not applied: the worker failed ({join})")),
        }
    }
}
