//! apply_patch against real directories: every fixture case under `tests/fixtures/apply_patch/`, and the
//! tool's JSON interface.
//!
//! A case is a directory with `before/` (the starting tree; absent for an empty one), `patch`, and either
//! `after/` (the expected tree) or `error` (a substring the error must contain, and then the tree must be
//! left exactly as `before/`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use braid_protocol::{FileChange, FileChangeKind, ToolEffect};
use braid_sandbox::paths::WorkspacePolicy;
use braid_tools::apply_patch::{ApplyPatchTool, apply_patch, parse_patch};
use braid_tools::{Tool, ToolContext};
use serde_json::json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apply_patch")
}

/// Every file under `root` (relative path to bytes); an absent root is an empty tree.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

fn write_tree(root: &Path, tree: &BTreeMap<String, Vec<u8>>) {
    fs::create_dir_all(root).unwrap();
    for (rel, bytes) in tree {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

fn show(tree: &BTreeMap<String, Vec<u8>>) -> String {
    tree.iter().map(|(path, bytes)| format!("--- {path}\n{:?}\n", String::from_utf8_lossy(bytes))).collect()
}

/// Runs one fixture case in a fresh workspace (a directory inside a temp dir, so that `..` leads outside
/// it). Returns a description of what went wrong, or `None` when the case passes.
fn check(case: &Path) -> Option<String> {
    let before = read_tree(&case.join("before"));
    let patch_text = fs::read_to_string(case.join("patch")).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    write_tree(&workspace, &before);
    let policy = WorkspacePolicy::new([workspace.clone()]).unwrap();

    let result = parse_patch(&patch_text)
        .map_err(|e| e.to_string())
        .and_then(|patch| apply_patch(&policy, &workspace, &patch).map_err(|e| e.to_string()));
    let got = read_tree(&workspace);
    let outside: Vec<_> = fs::read_dir(temp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    if outside.len() != 1 {
        return Some(format!("wrote outside the workspace: {outside:?}"));
    }

    if case.join("error").exists() {
        let expected = fs::read_to_string(case.join("error")).unwrap().trim().to_string();
        return match result {
            Ok(changes) => Some(format!("expected an error containing `{expected}`, but it applied: {changes:?}")),
            Err(err) if !err.contains(&expected) => Some(format!("error `{err}` does not contain `{expected}`")),
            Err(_) if got != before => Some(format!("the tree changed on error:\n{}", show(&got))),
            Err(_) => None,
        };
    }
    let expected = read_tree(&case.join("after"));
    match result {
        Err(err) => Some(format!("failed: {err}")),
        Ok(_) if got != expected => Some(format!("tree differs\nexpected:\n{}got:\n{}", show(&expected), show(&got))),
        Ok(_) => None,
    }
}

#[test]
fn fixture_cases() {
    let mut cases: Vec<PathBuf> =
        fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 30, "expected the fixture cases in {}", fixtures().display());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            check(case).map(|why| format!("== {name}: {why}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn context(dir: &Path) -> ToolContext {
    ToolContext::new(dir.to_path_buf(), WorkspacePolicy::new([dir.to_path_buf()]).unwrap())
}

#[tokio::test]
async fn tool_reports_every_change_on_success() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("m.txt"), "a\n").unwrap();
    fs::write(dir.path().join("d.txt"), "d\n").unwrap();
    let patch = "*** Begin Patch\n*** Add File: sub/a.txt\n+new\n*** Update File: m.txt\n*** Move to: n.txt\n\
                 @@\n-a\n+b\n*** Delete File: d.txt\n*** End Patch\n";
    let args = json!({ "input": patch });
    let ctx = context(dir.path());
    let expected_changes = vec![
        FileChange { path: "sub/a.txt".into(), kind: FileChangeKind::Add, move_to: None },
        FileChange { path: "m.txt".into(), kind: FileChangeKind::Update, move_to: Some("n.txt".into()) },
        FileChange { path: "d.txt".into(), kind: FileChangeKind::Delete, move_to: None },
    ];
    assert_eq!(ApplyPatchTool.preview(&ctx, &args), ToolEffect::FileChange { changes: expected_changes.clone() });

    let result = ApplyPatchTool.call(&ctx, args).await;
    assert!(result.success, "{}", result.output);
    assert_eq!(result.output, "Success. Updated the following files:\nA sub/a.txt\nM m.txt -> n.txt\nD d.txt");
    assert_eq!(result.effect, ToolEffect::FileChange { changes: expected_changes });
    assert_eq!(fs::read_to_string(dir.path().join("n.txt")).unwrap(), "b\n");
    assert_eq!(fs::read_to_string(dir.path().join("sub/a.txt")).unwrap(), "new\n");
    assert!(!dir.path().join("d.txt").exists() && !dir.path().join("m.txt").exists());
}

#[tokio::test]
async fn tool_failures_go_back_to_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path());
    let check = async |args: serde_json::Value, expected: &str| {
        let result = ApplyPatchTool.call(&ctx, args).await;
        assert!(!result.success, "{}", result.output);
        assert!(result.output.contains(expected), "`{}` lacks `{expected}`", result.output);
        assert_eq!(result.effect, ToolEffect::None);
    };
    check(json!({ "patch": "x" }), "expects {\"input\"").await;
    check(json!({ "input": "*** Begin Patch\n" }), "The patch is malformed: line 1").await;
    check(
        json!({ "input": "*** Begin Patch\n*** Delete File: gone.txt\n*** End Patch" }),
        "The patch was not applied: cannot delete `gone.txt`",
    )
    .await;
    assert_eq!(ApplyPatchTool.preview(&ctx, &json!({ "input": "nonsense" })), ToolEffect::None);
    assert!(read_tree(dir.path()).is_empty());
}

#[tokio::test]
async fn patches_cannot_touch_git_or_braid_state_or_a_read_only_workspace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git/hooks")).unwrap();
    let ctx = context(dir.path());
    for (patch, expected) in [
        ("*** Add File: .git/hooks/pre-commit\n+rm -rf ~\n", "which the agent may read but not change"),
        ("*** Add File: sub/.git/config\n+x\n", "sub/.git"),
        ("*** Add File: ok.txt\n+fine\n*** Add File: .braid/braid.db\n+x\n", ".braid"),
    ] {
        let input = format!("*** Begin Patch\n{patch}*** End Patch");
        let result = ApplyPatchTool.call(&ctx, json!({ "input": input })).await;
        assert!(!result.success && result.output.contains(expected), "{}", result.output);
    }
    // Nothing was written, not even the allowed file in the same patch.
    assert!(!dir.path().join("ok.txt").exists() && !dir.path().join(".git/hooks/pre-commit").exists());
    let gitignore = json!({ "input": "*** Begin Patch\n*** Add File: .gitignore\n+target\n*** End Patch" });
    assert!(ApplyPatchTool.call(&ctx, gitignore.clone()).await.success, ".gitignore is an ordinary file");

    let read_only = ToolContext { policy: ctx.policy.clone().read_only(), ..ctx.clone() };
    std::fs::remove_file(dir.path().join(".gitignore")).unwrap();
    let result = ApplyPatchTool.call(&read_only, gitignore).await;
    assert!(!result.success && result.output.contains("the sandbox is read-only"), "{}", result.output);
}

#[test]
fn spec_offers_a_required_input_string() {
    let spec = ApplyPatchTool.spec();
    assert_eq!(spec.name, "apply_patch");
    assert_eq!(spec.parameters["required"], json!(["input"]));
    assert_eq!(spec.parameters["properties"]["input"]["type"], "string");
    for needle in ["*** Begin Patch", "*** Add File:", "*** Update File:", "*** Move to:", "@@", "*** End of File"] {
        assert!(spec.description.contains(needle), "description lacks {needle}");
    }
}
