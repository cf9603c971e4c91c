//! grep: matches sorted by path, case folding, globs, caps, .gitignore and binary files, bad input.

use braid_tools::{GrepTool, ToolContext, ToolResult};
use serde_json::{Value, json};

use crate::{assert_error, call, workspace, write_files};

/// Sources with matches in several files, an ignored log and a binary file that also contain the word.
fn project() -> (tempfile::TempDir, ToolContext) {
    let (dir, ctx) = workspace();
    write_files(
        &ctx.cwd,
        &[
            (".gitignore", "*.log\n"),
            ("src/a.rs", "fn alpha() {}\nfn beta() {}\nlet x = alpha();\n"),
            ("src/b.rs", "// Alpha, capitalised\n"),
            ("notes.txt", "alpha notes\n"),
            ("debug.log", "alpha in a log\n"),
        ],
    );
    std::fs::write(ctx.cwd.join("blob.bin"), b"\0\0\0alpha\n").unwrap();
    (dir, ctx)
}

async fn grep(ctx: &ToolContext, args: Value) -> ToolResult {
    call(&GrepTool::new(), ctx, args).await
}

/// Greps the standard project with `args` and compares the whole output.
async fn check(args: Value, expected: &str) {
    let (_dir, ctx) = project();
    let result = grep(&ctx, args).await;
    assert!(result.success, "{}", result.output);
    pretty_assertions::assert_eq!(result.output, expected);
}

#[tokio::test]
async fn matches_are_sorted_by_path_and_skip_ignored_and_binary_files() {
    check(
        json!({"pattern": "alpha"}),
        "notes.txt:1:alpha notes\nsrc/a.rs:1:fn alpha() {}\nsrc/a.rs:3:let x = alpha();\n",
    )
    .await;
}

#[tokio::test]
async fn case_insensitive_glob_and_path() {
    check(
        json!({"pattern": "ALPHA", "case_insensitive": true, "glob": "*.rs"}),
        "src/a.rs:1:fn alpha() {}\nsrc/a.rs:3:let x = alpha();\nsrc/b.rs:1:// Alpha, capitalised\n",
    )
    .await;
    check(json!({"pattern": "fn \\w+\\(", "path": "src"}), "src/a.rs:1:fn alpha() {}\nsrc/a.rs:2:fn beta() {}\n").await;
    check(json!({"pattern": "beta", "path": "src/a.rs"}), "src/a.rs:2:fn beta() {}\n").await;
}

#[tokio::test]
async fn results_are_capped_with_a_note() {
    check(
        json!({"pattern": "alpha", "max_results": 2}),
        "notes.txt:1:alpha notes\nsrc/a.rs:1:fn alpha() {}\n\
         (showing the first 2 matches; narrow the pattern, path or glob, or raise max_results)\n",
    )
    .await;
}

#[tokio::test]
async fn no_matches_says_so() {
    check(json!({"pattern": "gamma"}), "No matches.\n").await;
}

#[tokio::test]
async fn bad_input_is_explained() {
    let (_dir, ctx) = project();
    assert_error(&grep(&ctx, json!({"pattern": "fn ("})).await, &["invalid regular expression `fn (`"]);
    assert_error(&grep(&ctx, json!({"pattern": "a", "glob": "[z"})).await, &["invalid glob `[z`"]);
    assert_error(&grep(&ctx, json!({"pattern": "a", "path": "../"})).await, &["outside the workspace"]);
    assert_error(&grep(&ctx, json!({"pattern": "a", "path": "nope"})).await, &["`nope` does not exist"]);
    assert_error(&grep(&ctx, json!({"pattern": ""})).await, &["`pattern` is empty"]);
    assert_error(&grep(&ctx, json!({"path": "src"})).await, &["missing field `pattern`"]);
}
