//! Creating, rebuilding and removing attempt worktrees, including concurrent creates and failures.

use std::sync::Arc;

use braid_git::{GitError, Repo};

use crate::support::{git, ref_exists, repo};

#[test]
fn creates_a_worktree_on_a_new_branch_at_the_base() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let first = git(temp.path(), &["rev-parse", "HEAD~1"]);
    let wt = repo.create_worktree("r1", 2, "HEAD~1").unwrap();
    assert_eq!(wt.path, repo.root().join(".braid/worktrees/r1/2"));
    assert_eq!(wt.branch, "braid/r1/2");
    assert_eq!(wt.base, first);
    assert_eq!(git(&wt.path, &["rev-parse", "HEAD"]), first);
    assert_eq!(git(&wt.path, &["symbolic-ref", "HEAD"]), "refs/heads/braid/r1/2");
    // Checked out and clean: the files of the base are there, and the index matches.
    assert!(wt.path.join("README.md").is_file());
    assert!(!wt.path.join("src").exists());
    assert_eq!(git(&wt.path, &["status", "--porcelain"]), "");
    // The user's status does not show braid's directory.
    assert_eq!(git(temp.path(), &["status", "--porcelain"]), "");
    assert_eq!(repo.worktree("r1", 2).unwrap(), wt);
}

#[test]
fn excludes_braid_once_keeping_the_existing_file() {
    let temp = repo();
    let exclude = temp.path().join(".git/info/exclude");
    std::fs::write(&exclude, "# mine\nsecret.txt").unwrap();
    let repo = Repo::discover(temp.path()).unwrap();
    repo.create_worktree("r1", 1, "HEAD").unwrap();
    repo.create_worktree("r1", 2, "HEAD").unwrap();
    repo.create_worktree("r2", 1, "HEAD").unwrap();
    let text = std::fs::read_to_string(&exclude).unwrap();
    assert!(text.starts_with("# mine\nsecret.txt\n"), "{text}");
    assert_eq!(text.matches("/.braid/").count(), 1, "{text}");
}

#[test]
fn bad_names_and_bases_are_refused_before_anything_is_made() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    for run in ["", "..", "a/b", "../x", "a b", ".x", "-x", "x.lock"] {
        let err = repo.create_worktree(run, 1, "HEAD").unwrap_err();
        assert!(matches!(err, GitError::BadName { .. }), "{run:?}: {err:?}");
        assert!(err.to_string().contains("ASCII letters"), "{err}");
    }
    let err = repo.create_worktree("r1", 1, "nope").unwrap_err();
    assert!(matches!(err, GitError::UnknownRevision { .. }), "{err:?}");
    assert!(!temp.path().join(".braid/worktrees/r1").exists());
    assert!(repo.branches("braid/").unwrap().is_empty());
}

#[test]
fn an_existing_branch_or_directory_is_refused_and_left_alone() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    git(temp.path(), &["branch", "braid/r1/1"]);
    let err = repo.create_worktree("r1", 1, "HEAD").unwrap_err();
    assert!(matches!(err, GitError::Exists { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("branch braid/r1/1") && text.contains("braid gc"), "{text}");
    assert!(ref_exists(temp.path(), "refs/heads/braid/r1/1"));

    let dir = temp.path().join(".braid/worktrees/r1/2");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    let err = repo.create_worktree("r1", 2, "HEAD").unwrap_err();
    assert!(err.to_string().contains("directory") && err.to_string().contains("r1/2"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("keep.txt")).unwrap(), "mine");
    assert!(!ref_exists(temp.path(), "refs/heads/braid/r1/2"));
}

#[test]
fn a_failed_checkout_leaves_no_branch_registration_or_directory() {
    let temp = repo();
    // A required smudge filter that fails makes the checkout fail after registration.
    temp.git(&["config", "filter.broken.smudge", "false"]);
    temp.git(&["config", "filter.broken.clean", "cat"]);
    temp.git(&["config", "filter.broken.required", "true"]);
    temp.write(".gitattributes", "*.dat filter=broken\n");
    temp.write("data.dat", "payload\n");
    temp.commit_all("filtered file");
    let repo = Repo::discover(temp.path()).unwrap();
    let err = repo.create_worktree("r1", 1, "HEAD").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GitError::Command { .. }), "{err:?}");
    assert!(text.contains("git reset --hard") && text.contains("broken"), "{text}");
    assert!(!ref_exists(temp.path(), "refs/heads/braid/r1/1"));
    assert!(!temp.path().join(".braid/worktrees/r1").exists());
    assert_eq!(git(temp.path(), &["worktree", "list", "--porcelain"]).matches("worktree ").count(), 1);
    // Once the filter works, the same attempt can be created.
    temp.git(&["config", "filter.broken.smudge", "cat"]);
    repo.create_worktree("r1", 1, "HEAD").unwrap();
}

#[test]
fn eight_concurrent_creates_all_succeed_and_keep_git_consistent() {
    let temp = repo();
    let repo = Arc::new(Repo::discover(temp.path()).unwrap());
    let handles: Vec<_> = (1..=8)
        .map(|n| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || repo.create_worktree("par", n, "HEAD"))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    let entries = repo.braid_worktrees().unwrap();
    assert_eq!(entries.len(), 8);
    let mut attempts: Vec<u32> = entries.iter().map(|e| e.attempt.as_ref().unwrap().1).collect();
    attempts.sort();
    assert_eq!(attempts, (1..=8).collect::<Vec<_>>());
    for n in 1..=8 {
        let wt = repo.worktree("par", n).unwrap();
        assert_eq!(git(&wt.path, &["status", "--porcelain"]), "");
        assert_eq!(git(&wt.path, &["symbolic-ref", "--short", "HEAD"]), format!("braid/par/{n}"));
    }
    // Git's own consistency check of the registrations finds nothing to prune.
    assert_eq!(git(temp.path(), &["worktree", "prune", "--dry-run", "-v"]), "");
    assert_eq!(std::fs::read_to_string(temp.path().join(".git/info/exclude")).unwrap().matches("/.braid/").count(), 1);

    // Removals run in parallel too.
    let handles: Vec<_> = (1..=8)
        .map(|n| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || repo.remove_worktree(repo.worktree_path("par", n), false))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    assert!(repo.braid_worktrees().unwrap().is_empty());
    assert_eq!(git(temp.path(), &["worktree", "prune", "--dry-run", "-v"]), "");
    assert!(!temp.path().join(".braid/worktrees/par").exists());
}

#[test]
fn rebuilding_a_worktree_that_is_not_there_says_why() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let err = repo.worktree("r1", 1).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    std::fs::create_dir_all(temp.path().join(".braid/worktrees/r1/1")).unwrap();
    let err = repo.worktree("r1", 1).unwrap_err();
    assert!(err.to_string().contains("not registered"), "{err}");
    assert!(matches!(repo.worktree("../x", 1).unwrap_err(), GitError::BadName { .. }));
}

#[test]
fn removal_refuses_dirty_worktrees_unless_forced_and_keeps_the_branch() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let clean = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(clean.path.join("build.log"), "ignored files do not count").unwrap();
    repo.remove_worktree(&clean, false).unwrap();
    assert!(!clean.path.exists());
    assert!(ref_exists(temp.path(), "refs/heads/braid/r1/1"));

    let dirty = repo.create_worktree("r1", 2, "HEAD").unwrap();
    std::fs::write(dirty.path.join("new.txt"), "untracked").unwrap();
    let err = repo.remove_worktree(&dirty, false).unwrap_err();
    assert!(matches!(err, GitError::Dirty { .. }), "{err:?}");
    assert!(err.to_string().contains("force"), "{err}");
    assert!(dirty.path.join("new.txt").exists());
    repo.remove_worktree(&dirty.path, true).unwrap();
    assert!(!dirty.path.exists());
    assert!(ref_exists(temp.path(), "refs/heads/braid/r1/2"));
    // The run's directory goes with its last attempt.
    assert!(!temp.path().join(".braid/worktrees/r1").exists());
    assert!(repo.braid_worktrees().unwrap().is_empty());
}

#[test]
fn removal_prunes_a_registration_whose_directory_is_gone_and_refuses_other_paths() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::remove_dir_all(&wt.path).unwrap();
    assert_eq!(repo.braid_worktrees().unwrap().len(), 1);
    repo.remove_worktree(&wt, false).unwrap();
    assert!(repo.braid_worktrees().unwrap().is_empty());

    let err = repo.remove_worktree(temp.path().join("src"), true).unwrap_err();
    assert!(matches!(err, GitError::NotAWorktree { .. }), "{err:?}");
    let err = repo.remove_worktree(repo.worktrees_dir(), true).unwrap_err();
    assert!(matches!(err, GitError::NotAWorktree { .. }), "{err:?}");
    assert!(temp.path().join("src/lib.rs").exists());
}
