//! Scratch checkouts of a commit and diffs between two commits: how an attempt's result is checked and
//! read after its own worktree is gone.

use braid_git::{FileStatus, GitError, Repo};
use braid_test_support::tree_snapshot;

use crate::support::{git, git_maybe, repo};

#[test]
fn a_scratch_checkout_holds_exactly_the_commit_and_goes_without_a_trace() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(wt.path.join("src/lib.rs"), "pub fn one() -> u32 {\n    2\n}\n").unwrap();
    std::fs::write(wt.path.join("added.txt"), "new\n").unwrap();
    let commit = repo.commit_all(&wt, "attempt").unwrap().unwrap();
    // Work left in the attempt's worktree after its commit is not part of the commit.
    std::fs::write(wt.path.join("later.txt"), "not committed\n").unwrap();
    let before = tree_snapshot(temp.path());

    let scratch = repo.create_scratch("r1/1", &commit).unwrap();
    assert_eq!(scratch.path, temp.path().canonicalize().unwrap().join(".braid/scratch/r1/1"));
    assert_eq!(std::fs::read_to_string(scratch.path.join("added.txt")).unwrap(), "new\n");
    assert!(!scratch.path.join("later.txt").exists());
    assert_eq!(git(&scratch.path, &["rev-parse", "HEAD"]), commit);
    assert!(git(&scratch.path, &["status", "--porcelain"]).is_empty());
    // Detached: no branch was made for it.
    assert_eq!(git_maybe(&scratch.path, &["symbolic-ref", "-q", "HEAD"]), None);

    // A leftover from an interrupted call is replaced, dirty or not.
    std::fs::write(scratch.path.join("junk.txt"), "junk\n").unwrap();
    let again = repo.create_scratch("r1/1", &commit).unwrap();
    assert!(!again.path.join("junk.txt").exists());

    repo.remove_scratch(&again.path).unwrap();
    assert!(!again.path.exists());
    repo.remove_scratch(&again.path).unwrap();
    assert_eq!(git(temp.path(), &["worktree", "list", "--porcelain"]).matches("worktree ").count(), 2);
    before.assert_same(&tree_snapshot(temp.path()));

    // Bad names and places are refused.
    assert!(matches!(repo.create_scratch("../x", &commit), Err(GitError::BadName { .. })));
    assert!(matches!(repo.create_scratch("r1/2", "no-such-rev"), Err(GitError::UnknownRevision { .. })));
    assert!(matches!(repo.remove_scratch(temp.path().join("src")), Err(GitError::NotAWorktree { .. })));
}

#[test]
fn diff_commits_reads_an_attempt_without_its_worktree() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let base = git(temp.path(), &["rev-parse", "HEAD"]);
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(wt.path.join("src/lib.rs"), "pub fn one() -> u32 {\n    2\n}\n").unwrap();
    std::fs::remove_file(wt.path.join("src/deep/mod.rs")).unwrap();
    let commit = repo.commit_all(&wt, "attempt").unwrap().unwrap();
    let from_worktree = repo.diff(&wt).unwrap();
    repo.remove_worktree(&wt, true).unwrap();

    let diff = repo.diff_commits(&base, &commit).unwrap();
    assert_eq!(diff, from_worktree);
    let files: Vec<_> = diff.files.iter().map(|f| (f.path.as_str(), f.status)).collect();
    assert_eq!(files, [("src/deep/mod.rs", FileStatus::Deleted), ("src/lib.rs", FileStatus::Modified)]);
    assert_eq!((diff.insertions, diff.deletions), (1, 2));
    assert!(matches!(repo.diff_commits(&base, "nope"), Err(GitError::UnknownRevision { .. })));
}
