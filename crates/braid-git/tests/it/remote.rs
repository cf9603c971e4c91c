//! Pushing an attempt's branch to a bare repository on disk and reading remote URLs.

use braid_git::{GitError, Repo};

use crate::support::{git, ref_exists, repo};

/// A bare repository in a temp dir, registered as `origin` of `work`.
fn with_origin(work: &std::path::Path) -> tempfile::TempDir {
    let bare = tempfile::tempdir().unwrap();
    git(bare.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(work, &["remote", "add", "origin", bare.path().to_str().unwrap()]);
    bare
}

#[test]
fn push_sends_the_branch_and_reports_the_remote_url() {
    let temp = repo();
    let bare = with_origin(temp.path());
    git(temp.path(), &["branch", "braid/r1/1"]);
    let repo = Repo::discover(temp.path()).unwrap();
    assert_eq!(repo.remote_url("origin").unwrap(), bare.path().to_str().unwrap());
    let report = repo.push("origin", "braid/r1/1").unwrap();
    assert!(report.contains("refs/heads/braid/r1/1"), "{report}");
    assert!(ref_exists(bare.path(), "refs/heads/braid/r1/1"));
    assert_eq!(git(bare.path(), &["rev-parse", "braid/r1/1"]), git(temp.path(), &["rev-parse", "braid/r1/1"]));
    // Pushing the same commit again is a no-op, not an error.
    repo.push("origin", "braid/r1/1").unwrap();
}

#[test]
fn push_refuses_to_overwrite_a_remote_branch_that_moved() {
    let temp = repo();
    let _bare = with_origin(temp.path());
    git(temp.path(), &["branch", "braid/r1/1"]);
    let repo = Repo::discover(temp.path()).unwrap();
    repo.push("origin", "braid/r1/1").unwrap();
    git(temp.path(), &["branch", "-f", "braid/r1/1", "HEAD~1"]);
    let err = repo.push("origin", "braid/r1/1").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GitError::Command { .. }), "{text}");
    assert!(text.contains("git push --porcelain"), "{text}");
    assert!(text.contains("rejected"), "{text}");
}

#[test]
fn unknown_remotes_and_branches_are_named() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let err = repo.remote_url("upstream").unwrap_err();
    assert!(matches!(err, GitError::NoSuchRemote { .. }), "{err}");
    assert!(err.to_string().contains("git remote add upstream"), "{err}");
    let err = repo.push("origin", "braid/nope/1").unwrap_err();
    assert!(matches!(err, GitError::NoSuchBranch { .. }), "{err}");
    git(temp.path(), &["branch", "braid/r1/1"]);
    let err = repo.push("nowhere", "braid/r1/1").unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
}
