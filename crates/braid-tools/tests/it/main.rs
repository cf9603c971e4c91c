//! Integration tests for braid-tools: each tool against real temporary directories and real processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apply_patch;
mod forbidden;
mod fs_tools;
mod plan;
mod shell;

use std::path::Path;

use braid_sandbox::paths::WorkspacePolicy;
use braid_tools::{Tool, ToolContext, ToolResult};
use tempfile::TempDir;

/// A temporary workspace and a context whose cwd and only root it is.
pub fn workspace() -> (TempDir, ToolContext) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let ctx = ToolContext::new(root.clone(), WorkspacePolicy::new([root]).unwrap());
    (dir, ctx)
}

/// Writes `files` (path, contents) under `root`, creating parent directories.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

/// Calls `tool` with `args`.
pub async fn call(tool: &dyn Tool, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
    tool.call(ctx, args).await
}

/// Asserts that the call failed with a message containing every one of `needles`.
pub fn assert_error(result: &ToolResult, needles: &[&str]) {
    assert!(!result.success, "expected a failure, got: {}", result.output);
    for needle in needles {
        assert!(result.output.contains(needle), "{needle:?} not in {:?}", result.output);
    }
}
