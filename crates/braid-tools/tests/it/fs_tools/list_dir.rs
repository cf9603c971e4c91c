//! list_dir: the tree's shape and order, .gitignore, depth and limit, and bad paths.

use braid_tools::{ListDirTool, ToolContext, ToolResult};
use serde_json::{Value, json};

use crate::{assert_error, call, workspace, write_files};

/// A small project: ignored build output and logs, a hidden file, a `.git` directory, nested sources.
/// There is no `git init`: the tool honours `.gitignore` without one (`require_git(false)`).
fn project() -> (tempfile::TempDir, ToolContext) {
    let (dir, ctx) = workspace();
    write_files(
        &ctx.cwd,
        &[
            (".gitignore", "target/\n*.log\n"),
            (".hidden", ""),
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("README.md", "# hi\n"),
            ("app.log", "noise\n"),
            ("src/main.rs", "fn main() {}\n"),
            ("src/lib/mod.rs", "\n"),
            ("target/debug/app", "\n"),
        ],
    );
    (dir, ctx)
}

async fn list(ctx: &ToolContext, args: Value) -> ToolResult {
    let mut result = call(&ListDirTool::new(), ctx, args).await;
    result.output = result.output.replace(&ctx.cwd.display().to_string(), "[ROOT]");
    result
}

#[tokio::test]
async fn default_listing_is_a_sorted_tree_two_levels_deep() {
    let (_dir, ctx) = project();
    let result = list(&ctx, json!({})).await;
    assert!(result.success);
    insta::assert_snapshot!(result.output, @r"
    [ROOT]/
      .gitignore
      .hidden
      README.md
      src/
        lib/
        main.rs
    ");
}

#[tokio::test]
async fn depth_and_subdirectory() {
    let (_dir, ctx) = project();
    let result = list(&ctx, json!({"depth": 1})).await;
    assert_eq!(result.output, "[ROOT]/\n  .gitignore\n  .hidden\n  README.md\n  src/\n");
    let result = list(&ctx, json!({"path": "src", "depth": 5})).await;
    assert_eq!(result.output, "[ROOT]/src/\n  lib/\n    mod.rs\n  main.rs\n");
}

#[tokio::test]
async fn limit_cuts_with_a_note() {
    let (_dir, ctx) = project();
    let result = list(&ctx, json!({"limit": 2})).await;
    insta::assert_snapshot!(result.output, @r"
    [ROOT]/
      .gitignore
      .hidden
    (listing cut at 2 entries; list a subdirectory, lower depth or raise limit to see more)
    ");
}

#[tokio::test]
async fn empty_directory() {
    let (_dir, ctx) = workspace();
    assert_eq!(list(&ctx, json!({"path": "."})).await.output, "[ROOT]/\n  (empty)\n");
}

#[tokio::test]
async fn bad_paths_and_arguments() {
    let (_dir, ctx) = project();
    assert_error(&list(&ctx, json!({"path": "README.md"})).await, &["`README.md` is a file"]);
    assert_error(&list(&ctx, json!({"path": "nope"})).await, &["`nope` does not exist"]);
    assert_error(&list(&ctx, json!({"path": ".."})).await, &["outside the workspace"]);
    assert_error(&list(&ctx, json!({"path": "/"})).await, &["outside the workspace"]);
    assert_error(&list(&ctx, json!({"depth": 0})).await, &["at least 1"]);
    assert_error(&list(&ctx, json!({"depth": "deep"})).await, &["invalid arguments for `list_dir`"]);
}
