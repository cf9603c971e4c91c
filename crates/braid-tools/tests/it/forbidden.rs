//! A plan's forbidden paths through braid's own edit tools: every way apply_patch and edit_file can write
//! a file is refused with the plan's reason, the refusal reaches the model as the tool's output, and the
//! workspace is left byte for byte as it was.

use std::collections::BTreeMap;
use std::path::Path;

use braid_sandbox::PathGlobs;
use braid_sandbox::paths::WorkspacePolicy;
use braid_tools::apply_patch::ApplyPatchTool;
use braid_tools::{EditFileTool, ToolContext};
use serde_json::json;

use crate::{assert_error, call, write_files};

/// A workspace where `Cargo.lock` (with a CRLF line to check bytes) and everything in `locked/` are
/// forbidden, with free files beside them.
fn forbidding() -> (tempfile::TempDir, ToolContext) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write_files(
        &root,
        &[("Cargo.lock", "lock v1\r\nend\n"), ("locked/a.sql", "a\n"), ("free.txt", "free\n"), ("src/lib.rs", "x\n")],
    );
    std::os::unix::fs::symlink(root.join("Cargo.lock"), root.join("src/alias")).unwrap();
    let globs = PathGlobs::new(&["Cargo.lock".to_string(), "locked/**".to_string()]).unwrap();
    let policy = WorkspacePolicy::new([root.clone()]).unwrap().with_forbidden(root.clone(), globs);
    (dir, ToolContext::new(root, policy))
}

/// Every file under `root` with its bytes (symlinks as their target).
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, std::fs::read_link(&path).unwrap().display().to_string().into_bytes());
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[tokio::test]
async fn apply_patch_refuses_every_operation_on_a_forbidden_path() {
    let (_dir, ctx) = forbidding();
    let before = tree(&ctx.cwd);
    for (patch, glob) in [
        ("*** Update File: Cargo.lock\n@@\n-end\n+changed\n", "Cargo.lock"),
        ("*** Delete File: Cargo.lock\n", "Cargo.lock"),
        ("*** Add File: locked/new.sql\n+x\n", "locked/**"),
        ("*** Update File: locked/a.sql\n@@\n-a\n+b\n", "locked/**"),
        ("*** Update File: free.txt\n*** Move to: locked/free.txt\n@@\n-free\n+moved\n", "locked/**"),
        ("*** Update File: locked/a.sql\n*** Move to: a.sql\n@@\n-a\n+b\n", "locked/**"),
        ("*** Update File: src/../Cargo.lock\n@@\n-end\n+changed\n", "Cargo.lock"),
        ("*** Update File: src/alias\n@@\n-end\n+changed\n", "Cargo.lock"),
        // A permitted change in the same patch does not go through either.
        ("*** Update File: free.txt\n@@\n-free\n+changed\n*** Delete File: Cargo.lock\n", "Cargo.lock"),
    ] {
        let input = format!("*** Begin Patch\n{patch}*** End Patch\n");
        let result = call(&ApplyPatchTool, &ctx, json!({ "input": input })).await;
        assert_error(&result, &[&format!("`{glob}`"), "plan's `forbidden` list", "leave this file alone"]);
        assert!(!result.sandbox_denied, "an in-process refusal is not a failed command: {patch}");
        assert_eq!(tree(&ctx.cwd), before, "the workspace changed: {patch}");
    }
    let ok = call(
        &ApplyPatchTool,
        &ctx,
        json!({ "input": "*** Begin Patch\n*** Update File: free.txt\n@@\n-free\n+changed\n*** End Patch\n" }),
    )
    .await;
    assert!(ok.success, "{}", ok.output);
}

#[tokio::test]
async fn edit_file_refuses_a_forbidden_path() {
    let (_dir, ctx) = forbidding();
    let before = tree(&ctx.cwd);
    for path in ["Cargo.lock", "./Cargo.lock", "src/alias", "locked/a.sql", "src/../locked/a.sql"] {
        let old = if path.contains("locked/") { "a" } else { "end" };
        let result = call(&EditFileTool, &ctx, json!({ "path": path, "old_text": old, "new_text": "b" })).await;
        assert_error(&result, &["plan's `forbidden` list", "ask the user to change the plan"]);
        assert_eq!(tree(&ctx.cwd), before, "the workspace changed: {path}");
    }
    let ok = call(&EditFileTool, &ctx, json!({ "path": "src/lib.rs", "old_text": "x", "new_text": "y" })).await;
    assert!(ok.success, "{}", ok.output);
}
