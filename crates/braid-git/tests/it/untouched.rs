//! The invariant: a whole attempt's life leaves the user's checkout exactly as it was, dirty state included.

use braid_git::Repo;
use braid_test_support::tree_snapshot;

use crate::support::{git, repo};

#[test]
fn an_attempts_whole_life_leaves_the_users_checkout_byte_identical() {
    let temp = repo();
    // A dirty tree: modified tracked file, staged change, untracked and ignored files, an executable.
    temp.write("src/lib.rs", "pub fn one() -> u32 {\n    100\n}\n");
    temp.write("staged.txt", "staged\n");
    temp.git(&["add", "staged.txt"]);
    temp.write("notes/untracked.md", "mine\n");
    temp.write("target/debug/app.log", "ignored build output\n");
    temp.write("run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(temp.path().join("run.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let before = tree_snapshot(temp.path());
    assert!(before.contains("notes/untracked.md") && before.contains("target/debug/app.log"));

    let repo = Repo::discover(temp.path().join("src")).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(wt.path.join("src/lib.rs"), "pub fn one() -> u32 {\n    1\n}\npub fn two() {}\n").unwrap();
    std::fs::write(wt.path.join("added.txt"), "new\n").unwrap();
    let diff = repo.diff(&wt).unwrap();
    assert_eq!(diff.files.len(), 2);
    repo.commit_all(&wt, "attempt 1").unwrap().unwrap();
    repo.archive("r1", 1).unwrap();
    repo.remove_worktree(&wt, false).unwrap();

    let after = tree_snapshot(temp.path());
    before.assert_same(&after);
    assert_eq!(before, after);
    // The user's status only ever saw their own changes.
    let status = git(temp.path(), &["status", "--porcelain"]);
    assert!(!status.contains(".braid"), "{status}");
}
