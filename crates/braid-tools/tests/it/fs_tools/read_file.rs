//! read_file: numbering, paging, caps, binary files, and paths that are missing or escape the workspace.

use braid_tools::{ReadFileTool, ToolResult};
use serde_json::{Value, json};

use crate::{assert_error, call, workspace, write_files};

async fn read(ctx: &braid_tools::ToolContext, args: Value) -> ToolResult {
    call(&ReadFileTool::new(), ctx, args).await
}

/// Reads `args` from a workspace holding `files` and compares the whole output.
async fn check(files: &[(&str, &str)], args: Value, expected: &str) {
    let (_dir, ctx) = workspace();
    write_files(&ctx.cwd, files);
    let result = read(&ctx, args).await;
    assert!(result.success, "{}", result.output);
    pretty_assertions::assert_eq!(result.output, expected);
}

fn ten_lines() -> String {
    (1..=10).map(|n| format!("line {n}\n")).collect()
}

#[tokio::test]
async fn whole_small_file() {
    check(
        &[("a.txt", "alpha\nbeta\r\ngamma")],
        json!({"path": "a.txt"}),
        "     1\talpha\n     2\tbeta\n     3\tgamma\n",
    )
    .await;
}

#[tokio::test]
async fn offset_and_limit_page_through() {
    let text = ten_lines();
    let files = [("ten.txt", text.as_str())];
    check(
        &files,
        json!({"path": "ten.txt", "offset": 3, "limit": 2}),
        "     3\tline 3\n     4\tline 4\n(showing lines 3-4 of 10; call again with offset=5)\n",
    )
    .await;
    check(
        &files,
        json!({"path": "ten.txt", "offset": 9}),
        "     9\tline 9\n    10\tline 10\n(showing lines 9-10 of 10; this is the end of the file)\n",
    )
    .await;
}

#[tokio::test]
async fn empty_file_says_so() {
    check(&[("empty.txt", "")], json!({"path": "empty.txt"}), "(`empty.txt` is empty)").await;
}

#[tokio::test]
async fn long_lines_are_cut() {
    let (_dir, ctx) = workspace();
    write_files(&ctx.cwd, &[("long.txt", &"x".repeat(600))]);
    let result = read(&ctx, json!({"path": "long.txt"})).await;
    assert_eq!(result.output, format!("     1\t{} [... line cut: 600 characters in all]\n", "x".repeat(500)));
}

#[tokio::test]
async fn output_is_capped_near_64_kib() {
    let (_dir, ctx) = workspace();
    let text: String = (1..=3000).map(|n| format!("{n:04} {}\n", "y".repeat(95))).collect();
    write_files(&ctx.cwd, &[("big.txt", &text)]);
    let result = read(&ctx, json!({"path": "big.txt"})).await;
    assert!(result.success);
    let footer = result.output.lines().last().unwrap();
    // Each numbered line is 108 bytes, so 606 of them fit in 64 KiB.
    assert_eq!(footer, "(showing lines 1-606 of 3000; call again with offset=607)");
    assert!(result.output.len() <= 64 * 1024 + footer.len() + 1);
}

#[tokio::test]
async fn callers_output_limit_pages_sooner() {
    // A session on a small context window asks for 4 KiB at most: the file is paged, not cut.
    let (_dir, mut ctx) = workspace();
    ctx.output_limit = Some(4096);
    let text: String = (1..=3000).map(|n| format!("{n:04} {}\n", "y".repeat(95))).collect();
    write_files(&ctx.cwd, &[("big.txt", &text)]);
    let result = read(&ctx, json!({"path": "big.txt"})).await;
    let footer = result.output.lines().last().unwrap();
    assert_eq!(footer, "(showing lines 1-37 of 3000; call again with offset=38)");
    let next = read(&ctx, json!({"path": "big.txt", "offset": 38})).await;
    assert!(next.output.starts_with("    38\t0038 "), "{}", &next.output[..40]);
}

#[tokio::test]
async fn offset_beyond_the_end_names_the_line_count() {
    let (_dir, ctx) = workspace();
    write_files(&ctx.cwd, &[("ten.txt", &ten_lines())]);
    let result = read(&ctx, json!({"path": "ten.txt", "offset": 20})).await;
    assert_error(&result, &["offset 20 is beyond the end of `ten.txt`", "10 lines"]);
}

#[tokio::test]
async fn binary_file_is_described_not_dumped() {
    let (_dir, ctx) = workspace();
    std::fs::write(ctx.cwd.join("blob.bin"), [0x7f, b'E', b'L', b'F', 0, 1, 2, 3]).unwrap();
    let result = read(&ctx, json!({"path": "blob.bin"})).await;
    assert_error(&result, &["`blob.bin` is a binary file (8 bytes)"]);
}

#[tokio::test]
async fn missing_file_and_directory_are_named() {
    let (_dir, ctx) = workspace();
    std::fs::create_dir(ctx.cwd.join("src")).unwrap();
    assert_error(&read(&ctx, json!({"path": "nope.txt"})).await, &["`nope.txt` does not exist"]);
    assert_error(&read(&ctx, json!({"path": "src"})).await, &["`src` is a directory", "list_dir"]);
}

#[tokio::test]
async fn paths_escaping_the_workspace_are_refused() {
    let (_dir, ctx) = workspace();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(outside.path(), ctx.cwd.join("link")).unwrap();
    let absolute = outside.path().join("secret.txt").display().to_string();
    for path in ["../secret.txt", absolute.as_str(), "link/secret.txt"] {
        let result = read(&ctx, json!({"path": path})).await;
        assert_error(&result, &["outside the workspace"]);
        assert!(!result.output.contains("\tsecret"));
    }
}

#[tokio::test]
async fn bad_arguments_name_the_problem() {
    let (_dir, ctx) = workspace();
    write_files(&ctx.cwd, &[("a.txt", "a\n")]);
    assert_error(&read(&ctx, json!({})).await, &["invalid arguments for `read_file`", "missing field `path`"]);
    assert_error(&read(&ctx, json!({"path": 3})).await, &["invalid arguments for `read_file`"]);
    assert_error(&read(&ctx, json!({"path": "a.txt", "offset": 0})).await, &["1-based"]);
    assert_error(&read(&ctx, json!({"path": "a.txt", "limit": -1})).await, &["invalid arguments"]);
}
