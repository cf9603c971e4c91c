//! Archiving attempts, listing branches and archive refs, and finding orphans.

use braid_git::{GitError, Orphan, Remedy, Repo};

use crate::support::{git, ref_exists, repo};

#[test]
fn archive_moves_the_branch_under_refs_braid_and_is_idempotent() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let wt = repo.create_worktree("r1", 1, "HEAD").unwrap();
    std::fs::write(wt.path.join("a.txt"), "a\n").unwrap();
    let sha = repo.commit_all(&wt, "attempt").unwrap().unwrap();

    assert_eq!(repo.archive("r1", 1).unwrap(), sha);
    assert!(!ref_exists(temp.path(), "refs/heads/braid/r1/1"));
    assert_eq!(git(temp.path(), &["rev-parse", "refs/braid/archive/r1/1"]), sha);
    // The worktree still checks out the same commit, detached, with nothing changed.
    assert_eq!(git(&wt.path, &["rev-parse", "HEAD"]), sha);
    assert_eq!(git(&wt.path, &["status", "--porcelain"]), "");
    assert!(braid_git::Repo::discover(&wt.path).is_ok());
    // A second archive changes nothing and returns the same commit.
    assert_eq!(repo.archive("r1", 1).unwrap(), sha);
    let archived = repo.archived().unwrap();
    assert_eq!(archived.len(), 1);
    assert_eq!((archived[0].run.as_str(), archived[0].n, archived[0].commit.as_str()), ("r1", 1, sha.as_str()));
    assert_eq!(archived[0].reference, "refs/braid/archive/r1/1");
    // The worktree can be removed afterwards, and the commit stays reachable.
    repo.remove_worktree(&wt, false).unwrap();
    assert_eq!(git(temp.path(), &["cat-file", "-t", &sha]), "commit");
}

#[test]
fn archive_finishes_an_interrupted_archive_and_refuses_conflicts() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let head = git(temp.path(), &["rev-parse", "HEAD"]);
    // A crash between writing the archive ref and deleting the branch.
    git(temp.path(), &["branch", "braid/r1/1"]);
    git(temp.path(), &["update-ref", "refs/braid/archive/r1/1", &head]);
    assert_eq!(repo.archive("r1", 1).unwrap(), head);
    assert!(!ref_exists(temp.path(), "refs/heads/braid/r1/1"));

    // An archive ref at another commit than the branch: refused, nothing changes.
    git(temp.path(), &["branch", "braid/r1/2", "HEAD~1"]);
    git(temp.path(), &["update-ref", "refs/braid/archive/r1/2", &head]);
    let err = repo.archive("r1", 2).unwrap_err();
    assert!(matches!(err, GitError::Exists { .. }), "{err:?}");
    assert!(ref_exists(temp.path(), "refs/heads/braid/r1/2"));

    let err = repo.archive("r9", 1).unwrap_err();
    assert!(matches!(err, GitError::NoSuchBranch { .. }) && err.to_string().contains("braid/r9/1"), "{err}");
    assert!(matches!(repo.archive("a/b", 1).unwrap_err(), GitError::BadName { .. }));
}

#[test]
fn lists_branches_by_prefix() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    repo.create_worktree("r1", 1, "HEAD").unwrap();
    repo.create_worktree("r1", 2, "HEAD~1").unwrap();
    repo.create_worktree("r2", 1, "HEAD").unwrap();
    let names = |prefix: &str| repo.branches(prefix).unwrap().into_iter().map(|b| b.name).collect::<Vec<_>>();
    assert_eq!(names("braid/"), ["braid/r1/1", "braid/r1/2", "braid/r2/1"]);
    assert_eq!(names("braid/r1/"), ["braid/r1/1", "braid/r1/2"]);
    assert_eq!(names(""), ["braid/r1/1", "braid/r1/2", "braid/r2/1", "main"]);
    let tips = repo.branches("braid/r1/2").unwrap();
    assert_eq!(tips[0].commit, git(temp.path(), &["rev-parse", "HEAD~1"]));
}

#[test]
fn orphans_are_found_with_what_to_do_about_them() {
    let temp = repo();
    let repo = Repo::discover(temp.path()).unwrap();
    let live = repo.create_worktree("live", 1, "HEAD").unwrap();
    let dead = repo.create_worktree("dead", 1, "HEAD").unwrap();
    let gone = repo.create_worktree("dead", 2, "HEAD").unwrap();
    std::fs::remove_dir_all(&gone.path).unwrap();
    let loose = repo.create_worktree("dead", 3, "HEAD").unwrap();
    repo.remove_worktree(&loose, false).unwrap();
    // A crash between creating a directory and registering it, for a dead and a live attempt.
    let unregistered = repo.worktree_path("dead", 4);
    std::fs::create_dir_all(&unregistered).unwrap();
    std::fs::create_dir_all(repo.worktree_path("live", 2)).unwrap();
    // A user's own branch that merely looks similar is not braid's.
    git(temp.path(), &["branch", "braid-feature"]);

    let is_live = |run: &str, _n: u32| run == "live";
    let orphans = repo.orphans(&is_live).unwrap();
    let expected = vec![
        Orphan::DeadWorktree { run: "dead".into(), n: 1, path: dead.path.clone() },
        Orphan::StaleRegistration { path: gone.path.clone() },
        Orphan::UnregisteredDir { path: unregistered.clone() },
        Orphan::LooseBranch { run: "dead".into(), n: 2, branch: "braid/dead/2".into() },
        Orphan::LooseBranch { run: "dead".into(), n: 3, branch: "braid/dead/3".into() },
    ];
    assert_eq!(sorted(orphans.clone()), sorted(expected));
    assert!(!orphans.iter().any(|o| format!("{o:?}").contains(live.path.to_str().unwrap())));

    // Following each remedy leaves no orphans (a second pass removes the run directory its first pass
    // emptied) and every attempt's commit reachable.
    apply_remedies(&repo, &orphans);
    let rest = repo.orphans(&is_live).unwrap();
    assert_eq!(rest, vec![Orphan::UnregisteredDir { path: repo.worktrees_dir().join("dead") }]);
    apply_remedies(&repo, &rest);
    assert_eq!(repo.orphans(&is_live).unwrap(), vec![]);
    let archived: Vec<_> = repo.archived().unwrap().into_iter().map(|a| (a.run, a.n)).collect();
    assert_eq!(archived, [("dead".to_string(), 1), ("dead".to_string(), 2), ("dead".to_string(), 3)]);
    // With nothing live, the live attempt's worktree and its unregistered sibling are orphans too.
    let none_live = repo.orphans(&|_: &str, _: u32| false).unwrap();
    assert_eq!(none_live.len(), 2, "{none_live:?}");
}

fn sorted(mut orphans: Vec<Orphan>) -> Vec<String> {
    let mut lines: Vec<String> = orphans.drain(..).map(|o| format!("{o:?}")).collect();
    lines.sort();
    lines
}

fn apply_remedies(repo: &Repo, orphans: &[Orphan]) {
    for orphan in orphans {
        match (orphan, orphan.remedy()) {
            (Orphan::DeadWorktree { run, n, path }, Remedy::SnapshotArchiveRemove) => {
                let wt = repo.worktree(run, *n).unwrap();
                repo.commit_all(&wt, "gc snapshot").unwrap();
                repo.archive(run, *n).unwrap();
                repo.remove_worktree(path, true).unwrap();
            }
            (Orphan::StaleRegistration { path }, Remedy::Prune) => repo.remove_worktree(path, false).unwrap(),
            (Orphan::UnregisteredDir { path }, Remedy::DeleteDirectory) => std::fs::remove_dir_all(path).unwrap(),
            (Orphan::LooseBranch { run, n, .. }, Remedy::Archive) => {
                repo.archive(run, *n).unwrap();
            }
            (orphan, remedy) => panic!("unexpected remedy {remedy:?} for {orphan:?}"),
        }
    }
}
