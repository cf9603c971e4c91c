//! Diffs against the base (committed, uncommitted and untracked changes) and snapshot commits.

use braid_git::{FileStatus, Repo};

use crate::support::{git, repo};

#[test]
fn diff_covers_commits_uncommitted_and_untracked_files_but_not_ignored_ones() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    assert_eq!(repo.diff(&wt).unwrap(), braid_git::Diff::default());

    // Committed on the branch.
    std::fs::write(wt.path.join("committed.txt"), "one\ntwo\n").unwrap();
    git(&wt.path, &["add", "committed.txt"]);
    git(&wt.path, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c"]);
    // Modified and staged, modified unstaged, deleted, renamed, untracked, ignored, binary.
    std::fs::write(wt.path.join("src/lib.rs"), "pub fn one() -> u32 {\n    2\n}\n").unwrap();
    git(&wt.path, &["add", "src/lib.rs"]);
    std::fs::write(wt.path.join("README.md"), "# changed\nmore\n").unwrap();
    std::fs::remove_file(wt.path.join("src/deep/mod.rs")).unwrap();
    std::fs::write(wt.path.join("new file.txt"), "fresh\n").unwrap();
    std::fs::write(wt.path.join("debug.log"), "ignored\n").unwrap();
    std::fs::write(wt.path.join("blob.bin"), [0u8, 1, 2, 0, 255]).unwrap();
    let index_before = std::fs::read(git_path(&wt.path, "index")).unwrap();
    let status_before = git(&wt.path, &["status", "--porcelain"]);

    let diff = repo.diff(&wt).unwrap();
    let mut files: Vec<_> =
        diff.files.iter().map(|f| (f.path.as_str(), f.status, f.insertions, f.deletions, f.binary)).collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(
        files,
        vec![
            ("README.md", FileStatus::Modified, 2, 1, false),
            ("blob.bin", FileStatus::Added, 0, 0, true),
            ("committed.txt", FileStatus::Added, 2, 0, false),
            ("new file.txt", FileStatus::Added, 1, 0, false),
            ("src/deep/mod.rs", FileStatus::Deleted, 0, 1, false),
            ("src/lib.rs", FileStatus::Modified, 1, 1, false),
        ]
    );
    assert_eq!((diff.insertions, diff.deletions), (6, 3));
    assert!(diff.patch.contains("diff --git a/src/lib.rs b/src/lib.rs"), "{}", diff.patch);
    assert!(diff.patch.contains("+    2") && diff.patch.contains("GIT binary patch"));
    assert!(!diff.patch.contains("debug.log"));

    // The worktree's own index and status are untouched, and no temporary index is left behind.
    assert_eq!(std::fs::read(git_path(&wt.path, "index")).unwrap(), index_before);
    assert_eq!(git(&wt.path, &["status", "--porcelain"]), status_before);
    let private = git(&wt.path, &["rev-parse", "--absolute-git-dir"]);
    let leftovers: Vec<_> = std::fs::read_dir(&private)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("braid-diff"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The patch applies to the base and reproduces the worktree.
    let check = tempfile::tempdir().unwrap();
    let patch = check.path().join("attempt.patch");
    std::fs::write(&patch, &diff.patch).unwrap();
    git(temp.path(), &["apply", "--check", patch.to_str().unwrap()]);
}

#[test]
fn diff_reports_renames_with_their_old_path() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::rename(wt.path.join("src/lib.rs"), wt.path.join("src/core.rs")).unwrap();
    let diff = repo.diff(&wt).unwrap();
    assert_eq!(diff.files.len(), 1, "{:?}", diff.files);
    let file = &diff.files[0];
    assert_eq!(
        (file.path.as_str(), file.old_path.as_deref(), file.status),
        ("src/core.rs", Some("src/lib.rs"), FileStatus::Renamed)
    );
    assert_eq!((file.insertions, file.deletions), (0, 0));
}

#[test]
fn commit_all_snapshots_everything_once_and_skips_hooks() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    assert_eq!(repo.commit_all(&wt, "nothing yet").unwrap(), None);

    // A pre-commit hook that would reject the commit is skipped for braid's snapshots.
    let hook = temp.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho rejected >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    std::fs::write(wt.path.join("a.txt"), "a\n").unwrap();
    std::fs::write(wt.path.join("ignored.log"), "no\n").unwrap();
    std::fs::write(wt.path.join("README.md"), "# changed\n").unwrap();
    let sha = repo.commit_all(&wt, "braid: attempt 1").unwrap().unwrap();
    assert_eq!(git(&wt.path, &["rev-parse", "refs/heads/braid/r1/1"]), sha);
    assert_eq!(
        git(&wt.path, &["log", "-1", "--format=%s|%an|%ae"]),
        "braid: attempt 1|Braid Test|braid-test@example.invalid"
    );
    assert_eq!(git(&wt.path, &["show", "--name-only", "--format=", "HEAD"]), "README.md\na.txt");
    assert_eq!(git(&wt.path, &["status", "--porcelain"]), "");
    assert_eq!(repo.commit_all(&wt, "again").unwrap(), None);
    // After the commit the diff against the base is the committed change.
    assert_eq!(repo.diff(&wt).unwrap().files.len(), 2);
}

#[test]
fn commit_all_without_a_configured_identity_uses_braids_and_writes_no_config() {
    let temp = repo();
    temp.git(&["config", "--unset", "user.name"]);
    temp.git(&["config", "--unset", "user.email"]);
    let config_before = std::fs::read(temp.path().join(".git/config")).unwrap();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(wt.path.join("a.txt"), "a\n").unwrap();
    repo.commit_all(&wt, "snapshot").unwrap().unwrap();
    // A global identity on this machine wins over braid's fallback, as it would for the user.
    let global = |key: &str, fallback: &str| {
        crate::support::git_maybe(temp.path(), &["config", "--get", key]).unwrap_or_else(|| fallback.to_string())
    };
    let expected = format!("{}|{}", global("user.name", "braid"), global("user.email", "braid@localhost"));
    assert_eq!(git(&wt.path, &["log", "-1", "--format=%an|%ae"]), expected);
    assert_eq!(std::fs::read(temp.path().join(".git/config")).unwrap(), config_before);
}

#[test]
fn commit_all_refuses_an_archived_attempt() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    repo.archive("r1", 1).unwrap();
    std::fs::write(wt.path.join("late.txt"), "late\n").unwrap();
    let err = repo.commit_all(&wt, "late").unwrap_err();
    assert!(err.to_string().contains("archived"), "{err}");
}

fn git_path(worktree: &std::path::Path, name: &str) -> std::path::PathBuf {
    git(worktree, &["rev-parse", "--path-format=absolute", "--git-path", name]).into()
}
