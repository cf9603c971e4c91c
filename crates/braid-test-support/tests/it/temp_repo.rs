//! The temporary git repository fixture against the real git CLI.

use braid_test_support::TempRepo;

#[test]
fn starts_on_main_with_one_commit_and_commits_changes() {
    let repo = TempRepo::new();
    assert!(repo.path().join(".git").is_dir());
    assert_eq!(repo.git(&["branch", "--show-current"]).trim(), "main");
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert!(repo.read("README.md").starts_with("# "));

    repo.write("src/lib.rs", "pub fn one() -> u32 { 1 }\n");
    assert_eq!(repo.read("src/lib.rs"), "pub fn one() -> u32 { 1 }\n");
    assert!(repo.git(&["status", "--porcelain"]).contains("src/"));
    repo.commit_all("Add lib");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "Add lib");
    assert_eq!(repo.git(&["log", "-1", "--format=%ae"]).trim(), "braid-test@example.invalid");
}

#[test]
#[should_panic(expected = "git rev-parse no-such-ref")]
fn failing_git_panics_with_the_command() {
    TempRepo::new().git(&["rev-parse", "no-such-ref"]);
}

#[test]
fn tree_snapshots_see_untracked_ignored_index_mode_and_ref_changes_but_not_braid_state() {
    use braid_test_support::tree_snapshot;
    let repo = TempRepo::new();
    repo.write(".gitignore", "*.log\n");
    repo.write("a.log", "ignored\n");
    let before = tree_snapshot(repo.path());
    assert_eq!(before, tree_snapshot(repo.path()));

    let changed = |change: &dyn Fn(), expected: &str| {
        let before = tree_snapshot(repo.path());
        change();
        let after = tree_snapshot(repo.path());
        let diff = before.diff(&after).join("\n");
        assert!(diff.contains(expected), "expected {expected:?} in:\n{diff}");
    };
    changed(&|| repo.write("a.log", "changed\n"), "+ a.log");
    repo.write("a.log", "ignored\n");
    changed(&|| repo.write("new.txt", "x"), "+ new.txt");
    std::fs::remove_file(repo.path().join("new.txt")).unwrap();
    changed(
        &|| {
            repo.git(&["add", ".gitignore"]);
        },
        "+ .git/index",
    );
    repo.git(&["reset", "-q"]);
    changed(
        &|| {
            repo.git(&["branch", "topic"]);
        },
        "+ ref refs/heads/topic",
    );
    repo.git(&["branch", "-D", "topic"]);
    changed(
        &|| {
            std::fs::set_permissions(repo.path().join("README.md"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap()
        },
        "README.md: 100600",
    );
    std::fs::set_permissions(repo.path().join("README.md"), std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .unwrap();
    // braid's own state does not count.
    let before = tree_snapshot(repo.path());
    repo.write(".braid/worktrees/r/1/x", "x");
    repo.git(&["branch", "braid/r/1"]);
    repo.git(&["update-ref", "refs/braid/archive/r/1", "HEAD"]);
    before.assert_same(&tree_snapshot(repo.path()));
}
