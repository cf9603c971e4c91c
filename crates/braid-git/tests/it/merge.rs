//! Merging an attempt into the user's branch in real repositories: fast-forward, merge commit, squash,
//! conflicts and dirty trees (nothing changed), and a target no worktree has checked out.

use braid_git::{GitError, MergeHow, MergeKind, Repo, Worktree};
use braid_test_support::{TempRepo, tree_snapshot};

use crate::support::{git, repo};

/// An attempt of run `r1` that writes `files` and commits them; returns it and its commit.
fn attempt(repo: &Repo, n: u32, files: &[(&str, &str)]) -> (Worktree, String) {
    let wt = repo.create_worktree("r1", n, "HEAD").unwrap();
    for (path, text) in files {
        let full = wt.path.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let commit = repo.commit_all(&wt, &format!("attempt {n}")).unwrap().unwrap();
    (wt, commit)
}

fn parents(temp: &TempRepo, commit: &str) -> Vec<String> {
    let line = git(temp.path(), &["rev-list", "--parents", "-n", "1", commit]);
    line.split(' ').skip(1).map(str::to_string).collect()
}

fn fsck_clean(temp: &TempRepo) {
    let out = git(temp.path(), &["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(!out.contains("missing") && !out.contains("error"), "{out}");
}

#[test]
fn fast_forward_moves_the_checked_out_branch_and_its_files() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let old = git(temp.path(), &["rev-parse", "main"]);
    let (_wt, commit) = attempt(&repo, 1, &[("src/lib.rs", "pub fn one() -> u32 {\n    2\n}\n")]);

    let out = repo.merge_into("main", &commit, MergeHow::Merge, "unused").unwrap();
    assert_eq!(out.kind, MergeKind::FastForward);
    assert_eq!((out.old_tip.as_str(), out.new_tip.as_str()), (old.as_str(), commit.as_str()));
    assert_eq!(out.worktree.as_deref(), Some(temp.path().canonicalize().unwrap().as_path()));
    assert_eq!(git(temp.path(), &["rev-parse", "main"]), commit);
    assert_eq!(temp.read("src/lib.rs"), "pub fn one() -> u32 {\n    2\n}\n");
    assert_eq!(git(temp.path(), &["status", "--porcelain"]), "");

    // Merging it again changes nothing.
    let again = repo.merge_into("refs/heads/main", &commit, MergeHow::Merge, "unused").unwrap();
    assert_eq!(again.kind, MergeKind::UpToDate);
    assert_eq!(again.new_tip, commit);
    let squash = repo.merge_into("main", &commit, MergeHow::Squash, "unused").unwrap();
    assert_eq!(squash.kind, MergeKind::UpToDate);
    fsck_clean(&temp);
}

#[test]
fn diverged_branches_get_a_merge_commit_or_a_squashed_one() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let (_wt, commit) = attempt(&repo, 1, &[("added.txt", "from the attempt\n")]);
    temp.write("README.md", "# moved on\n");
    temp.commit_all("user's own work");
    let old = git(temp.path(), &["rev-parse", "main"]);
    git(temp.path(), &["branch", "other", "main"]);

    let out = repo.merge_into("main", &commit, MergeHow::Merge, "Merge attempt 1 of r1").unwrap();
    assert_eq!(out.kind, MergeKind::MergeCommit);
    assert_eq!(parents(&temp, &out.new_tip), [old.clone(), commit.clone()]);
    assert_eq!(git(temp.path(), &["log", "-1", "--format=%s", "main"]), "Merge attempt 1 of r1");
    assert_eq!(temp.read("added.txt"), "from the attempt\n");
    assert_eq!(temp.read("README.md"), "# moved on\n");
    assert_eq!(git(temp.path(), &["status", "--porcelain"]), "");

    // Squash onto the other branch, which is not checked out anywhere: only its ref moves.
    let before = tree_snapshot(temp.path());
    let out = repo.merge_into("other", &commit, MergeHow::Squash, "Attempt 1 of r1\n\nbody").unwrap();
    assert_eq!(out.kind, MergeKind::Squash);
    assert_eq!(out.worktree, None);
    assert_eq!(parents(&temp, &out.new_tip), [old]);
    assert_eq!(git(temp.path(), &["show", "other:added.txt"]), "from the attempt");
    assert_eq!(git(temp.path(), &["log", "-1", "--format=%b", "other"]), "body");
    let changed = before.diff(&tree_snapshot(temp.path()));
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed.iter().all(|line| line.contains("ref refs/heads/other")), "{changed:?}");
    // The branch's reflog says who moved it.
    assert!(git(temp.path(), &["reflog", "-1", "other"]).contains("braid: merge into other"));
    fsck_clean(&temp);
}

#[test]
fn squash_of_a_fast_forwardable_attempt_is_still_one_new_commit() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let old = git(temp.path(), &["rev-parse", "main"]);
    let (wt, _) = attempt(&repo, 1, &[("a.txt", "a\n")]);
    std::fs::write(wt.path.join("b.txt"), "b\n").unwrap();
    let commit = repo.commit_all(&wt, "second").unwrap().unwrap();

    let out = repo.merge_into("main", &commit, MergeHow::Squash, "Squashed").unwrap();
    assert_eq!(out.kind, MergeKind::Squash);
    assert_eq!(parents(&temp, &out.new_tip), [old]);
    assert_eq!(
        git(temp.path(), &["rev-parse", "main^{tree}"]),
        git(temp.path(), &["rev-parse", &format!("{commit}^{{tree}}")])
    );
    assert_eq!((temp.read("a.txt").as_str(), temp.read("b.txt").as_str()), ("a\n", "b\n"));
}

#[test]
fn a_conflict_changes_nothing_and_names_the_paths() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let (_wt, commit) = attempt(&repo, 1, &[("src/lib.rs", "attempt\n"), ("fine.txt", "fine\n")]);
    temp.write("src/lib.rs", "user\n");
    temp.commit_all("user edit");
    temp.write("notes.txt", "dirty but unrelated\n");
    let before = tree_snapshot(temp.path());

    for how in [MergeHow::Merge, MergeHow::Squash] {
        let err = repo.merge_into("main", &commit, how, "m").unwrap_err();
        match &err {
            GitError::MergeConflict { branch, paths, .. } => {
                assert_eq!((branch.as_str(), paths.as_slice()), ("main", ["src/lib.rs".to_string()].as_slice()));
            }
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("src/lib.rs") && text.contains("nothing was changed"), "{text}");
        before.assert_same(&tree_snapshot(temp.path()));
    }
    fsck_clean(&temp);
}

#[test]
fn dirty_paths_the_merge_touches_are_refused_and_others_are_kept() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let (_wt, commit) = attempt(&repo, 1, &[("src/lib.rs", "attempt\n"), ("new.txt", "attempt's\n")]);

    // A modified file the attempt changes, then an untracked file where the attempt adds one, then a
    // staged change: each refused with the path named, and the checkout byte-identical.
    let cases: [(&str, &dyn Fn()); 3] = [
        ("src/lib.rs", &|| temp.write("src/lib.rs", "user's edit\n")),
        ("new.txt", &|| temp.write("new.txt", "user's own\n")),
        ("src/lib.rs", &|| {
            temp.write("src/lib.rs", "staged\n");
            temp.git(&["add", "src/lib.rs"]);
        }),
    ];
    for (path, make_dirty) in cases {
        make_dirty();
        let before = tree_snapshot(temp.path());
        let err = repo.merge_into("main", &commit, MergeHow::Merge, "m").unwrap_err();
        assert!(matches!(&err, GitError::DirtyPaths { paths, .. } if paths == &[path.to_string()]), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(path) && text.contains("commit or stash them"), "{text}");
        before.assert_same(&tree_snapshot(temp.path()));
        temp.git(&["reset", "-q", "--hard"]);
        temp.git(&["clean", "-q", "-f"]);
    }

    // Unrelated dirt (a modified file, a staged one, an untracked one) stays as it was.
    temp.write("README.md", "# mine\n");
    temp.write("staged.txt", "staged\n");
    temp.git(&["add", "staged.txt"]);
    temp.write("scratch/notes.md", "notes\n");
    let out = repo.merge_into("main", &commit, MergeHow::Merge, "m").unwrap();
    assert_eq!(out.kind, MergeKind::FastForward);
    assert_eq!(temp.read("src/lib.rs"), "attempt\n");
    assert_eq!(temp.read("README.md"), "# mine\n");
    assert_eq!(temp.read("scratch/notes.md"), "notes\n");
    let status = git(temp.path(), &["status", "--porcelain"]);
    assert_eq!(status, " M README.md\nA  staged.txt\n?? scratch/");
}

#[test]
fn bad_targets_are_named() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let head = git(temp.path(), &["rev-parse", "HEAD"]);
    let err = repo.merge_into("nope", &head, MergeHow::Merge, "m").unwrap_err();
    assert!(matches!(&err, GitError::NoSuchBranch { branch, .. } if branch == "nope"), "{err:?}");
    let err = repo.merge_into("main", "no-such-rev", MergeHow::Merge, "m").unwrap_err();
    assert!(matches!(err, GitError::UnknownRevision { .. }), "{err:?}");
}

#[test]
fn reopening_brings_back_an_archived_attempt_or_its_branch() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let base = git(temp.path(), &["rev-parse", "HEAD"]);
    let (wt, commit) = attempt(&repo, 1, &[("a.txt", "a\n")]);
    repo.remove_worktree(&wt, false).unwrap();
    repo.archive("r1", 1).unwrap();

    // From the archive: the branch comes back and the archive ref goes.
    let back = repo.reopen_worktree("r1", 1, &base).unwrap();
    assert_eq!(back.path, wt.path);
    assert_eq!(git(&back.path, &["rev-parse", "HEAD"]), commit);
    assert_eq!(std::fs::read_to_string(back.path.join("a.txt")).unwrap(), "a\n");
    assert!(repo.archived().unwrap().is_empty());
    assert_eq!(repo.diff(&back).unwrap().files.len(), 1);
    // The directory exists now: refused.
    let err = repo.reopen_worktree("r1", 1, &base).unwrap_err();
    assert!(matches!(err, GitError::Exists { .. }), "{err:?}");

    // From a branch that still exists, with or without an archive at the same commit.
    repo.remove_worktree(&back, false).unwrap();
    git(temp.path(), &["update-ref", "refs/braid/archive/r1/1", &commit]);
    let again = repo.reopen_worktree("r1", 1, &base).unwrap();
    assert_eq!(git(&again.path, &["symbolic-ref", "HEAD"]), "refs/heads/braid/r1/1");
    assert!(repo.archived().unwrap().is_empty());

    // A branch that moved away from its archive: refused, both kept.
    repo.remove_worktree(&again, false).unwrap();
    git(temp.path(), &["update-ref", "refs/braid/archive/r1/1", &base]);
    let err = repo.reopen_worktree("r1", 1, &base).unwrap_err();
    assert!(matches!(err, GitError::BranchMoved { .. }), "{err:?}");
    assert!(err.to_string().contains("braid/r1/1") && err.to_string().contains(&commit), "{err}");
    assert_eq!(git(temp.path(), &["rev-parse", "braid/r1/1"]), commit);
    assert_eq!(git(temp.path(), &["rev-parse", "refs/braid/archive/r1/1"]), base);

    let err = repo.reopen_worktree("r1", 9, &base).unwrap_err();
    assert!(matches!(err, GitError::NoSuchBranch { .. }), "{err:?}");
    fsck_clean(&temp);
}

#[test]
fn a_target_checked_out_in_a_linked_worktree_is_moved_there() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let (_wt, commit) = attempt(&repo, 1, &[("a.txt", "a\n")]);
    let linked = tempfile::tempdir().unwrap();
    let linked_path = linked.path().join("feature");
    git(temp.path(), &["worktree", "add", "-q", "-b", "feature", linked_path.to_str().unwrap()]);
    std::fs::write(linked_path.join("a.txt"), "in the way\n").unwrap();
    let before = tree_snapshot(temp.path());

    let err = repo.merge_into("feature", &commit, MergeHow::Merge, "m").unwrap_err();
    assert!(matches!(&err, GitError::DirtyPaths { worktree, .. } if worktree.ends_with("feature")), "{err:?}");
    std::fs::remove_file(linked_path.join("a.txt")).unwrap();
    let out = repo.merge_into("feature", &commit, MergeHow::Merge, "m").unwrap();
    assert_eq!(out.kind, MergeKind::FastForward);
    assert!(out.worktree.unwrap().ends_with("feature"));
    assert_eq!(std::fs::read_to_string(linked_path.join("a.txt")).unwrap(), "a\n");
    // The main checkout (on main) saw nothing but the new branch's ref.
    let changed = before.diff(&tree_snapshot(temp.path()));
    assert!(changed.iter().all(|line| line.contains("ref refs/heads/feature")), "{changed:?}");
}
