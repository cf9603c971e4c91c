//! Finding the repository and resolving revisions.

use braid_git::{GitError, Repo};

use crate::support::{git, repo};

#[test]
fn discovers_the_main_root_from_anywhere_inside() {
    let temp = repo();
    let root = std::fs::canonicalize(temp.path()).unwrap();
    let from_root = Repo::discover(temp.path()).unwrap();
    assert_eq!(from_root.root(), root);
    assert_eq!(from_root.common_dir(), root.join(".git"));
    assert_eq!(Repo::discover(temp.path().join("src/deep")).unwrap().root(), root);
    assert_eq!(Repo::discover(temp.path().join("src/lib.rs")).unwrap().root(), root);

    // From inside an attempt's worktree and inside a user's own linked worktree, still the main root.
    let attempt = from_root.create_worktree("r1", 1, "HEAD").unwrap();
    assert_eq!(Repo::discover(&attempt.path).unwrap().root(), root);
    let linked = tempfile::tempdir().unwrap();
    let linked_path = linked.path().join("wt");
    git(temp.path(), &["worktree", "add", "-q", linked_path.to_str().unwrap()]);
    let from_linked = Repo::discover(&linked_path).unwrap();
    assert_eq!(from_linked.root(), root);
    assert_eq!(from_linked.common_dir(), root.join(".git"));
}

#[test]
fn outside_a_repository_bare_or_missing_are_clear_errors() {
    let plain = tempfile::tempdir().unwrap();
    let err = Repo::discover(plain.path()).unwrap_err();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err:?}");
    assert!(err.to_string().contains(&plain.path().display().to_string()), "{err}");

    let missing = plain.path().join("nope");
    let err = Repo::discover(&missing).unwrap_err();
    assert!(matches!(err, GitError::Io { .. }) && err.to_string().contains("nope"), "{err}");

    let bare = plain.path().join("bare.git");
    git(plain.path(), &["init", "-q", "--bare", bare.to_str().unwrap()]);
    let err = Repo::discover(&bare).unwrap_err();
    assert!(matches!(err, GitError::BareRepository { .. }), "{err:?}");
    assert!(err.to_string().contains("bare"), "{err}");
}

#[test]
fn resolves_revisions_to_full_shas() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let head = git(temp.path(), &["rev-parse", "HEAD"]);
    let parent = git(temp.path(), &["rev-parse", "HEAD~1"]);
    let check = |rev: &str, expected: Option<&str>| match (repo.resolve_commit(rev), expected) {
        (Ok(sha), Some(expected)) => assert_eq!(sha, expected, "{rev}"),
        (Err(err), None) => {
            assert!(matches!(err, GitError::UnknownRevision { .. }), "{rev}: {err:?}");
            assert!(err.to_string().contains(&format!("`{rev}`")), "{err}");
        }
        (got, expected) => panic!("{rev}: got {got:?}, expected {expected:?}"),
    };
    check("HEAD", Some(&head));
    check("main", Some(&head));
    check(&head[..10], Some(&head));
    check("HEAD~1", Some(&parent));
    check("no-such-branch", None);
    check("--output=/tmp/x", None);
    check("", None);
    // A tree is not a commit.
    check("HEAD^{tree}", None);
}
