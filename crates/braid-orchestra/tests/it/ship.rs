//! `braid pick --merge|--squash` and `braid restore` on real repositories and a real store: the merge, the
//! archive of every attempt, the store's record, the refusals that change nothing, and the round trip
//! through restore that keeps every commit reachable.

use std::path::Path;
use std::process::Command;

use braid_git::{GitError, MergeHow, Repo};
use braid_orchestra::ship::{PickRequest, ShipError, archive_others, pick, restore};
use braid_orchestra::store::{AttemptState, AttemptUpdate, NewAttempt, NewRun, PickHow, RunState, Store, StoreError};
use braid_test_support::TempRepo;
use chrono::Utc;

#[allow(clippy::disallowed_methods)]
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// A finished run `r1` of three attempts from `main`: 1 and 2 committed (different files), 3 failed with
/// work left uncommitted in its worktree. Returns the repository, the store and the attempts' commits.
struct Fixture {
    temp: TempRepo,
    repo: Repo,
    store: Store,
    commits: [String; 2],
}

fn fixture(base_ref: Option<&str>) -> Fixture {
    let temp = TempRepo::new();
    temp.write("lib.txt", "one\n");
    temp.commit_all("base");
    git(temp.path(), &["branch", "feature"]);
    let repo = Repo::discover(temp.path()).unwrap();
    let store = Store::open(&repo.root().join(".braid/braid.db")).unwrap();
    let base = git(temp.path(), &["rev-parse", "HEAD"]);
    store
        .create_run(&NewRun {
            id: "r1".into(),
            created_at: Utc::now(),
            task: "Make lib better\n\nwith details".into(),
            plan_path: None,
            base_commit: base.clone(),
            base_ref: base_ref.map(str::to_string),
            agents: "cmd:x".into(),
            attempts: 3,
            concurrency: 3,
            owner: None,
        })
        .unwrap();
    let mut commits = Vec::new();
    for n in 1..=3u32 {
        store
            .add_attempt(
                "r1",
                &NewAttempt {
                    n,
                    agent: "cmd:x".into(),
                    approach: None,
                    branch: format!("braid/r1/{n}"),
                    worktree: format!(".braid/worktrees/r1/{n}").into(),
                    port: None,
                },
            )
            .unwrap();
        let wt = repo.create_worktree("r1", n, &base).unwrap();
        std::fs::write(wt.path.join(format!("file{n}.txt")), format!("attempt {n}\n")).unwrap();
        for state in [AttemptState::Creating, AttemptState::Created, AttemptState::Running] {
            store.transition("r1", n, state, None).unwrap();
        }
        if n == 3 {
            store.transition("r1", n, AttemptState::Failed, Some("the agent crashed")).unwrap();
            continue;
        }
        let commit = repo.commit_all(&wt, &format!("attempt {n}")).unwrap().unwrap();
        store.transition("r1", n, AttemptState::Committing, None).unwrap();
        let update = AttemptUpdate {
            commit: Some(commit.clone()),
            final_message: Some(format!("Did attempt {n}.")),
            ..AttemptUpdate::default()
        };
        store.update_attempt("r1", n, &update).unwrap();
        store.transition("r1", n, AttemptState::Committed, None).unwrap();
        commits.push(commit);
    }
    store.finish_run("r1", RunState::Finished, None).unwrap();
    Fixture { temp, repo, store, commits: [commits[0].clone(), commits[1].clone()] }
}

fn states(store: &Store) -> Vec<AttemptState> {
    store.run("r1").unwrap().unwrap().attempts.iter().map(|a| a.state).collect()
}

fn reachable(temp: &TempRepo, commit: &str) -> bool {
    !git(temp.path(), &["for-each-ref", "--contains", commit]).is_empty()
}

fn fsck_clean(temp: &TempRepo) {
    let out = git(temp.path(), &["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(!out.contains("missing") && !out.contains("error"), "{out}");
}

#[test]
fn pick_merges_archives_everything_and_restore_brings_one_back() {
    let f = fixture(Some("main"));
    let feature = git(f.temp.path(), &["rev-parse", "feature"]);
    let request = PickRequest { run: "r", n: 2, how: MergeHow::Merge, into: None };
    let out = pick(&f.repo, &f.store, &request).unwrap();

    assert_eq!((out.run.as_str(), out.n, out.kind, out.how), ("r1", 2, "fast_forward", PickHow::Merge));
    assert_eq!(out.new_tip, f.commits[1]);
    assert_eq!(git(f.temp.path(), &["rev-parse", "main"]), f.commits[1]);
    assert_eq!(f.temp.read("file2.txt"), "attempt 2\n");
    // Every attempt is archived, the picked one too, and no worktree is left.
    let archived: Vec<u32> = out.archive.archived.iter().map(|a| a.n).collect();
    assert_eq!(archived, [1, 2, 3]);
    assert_eq!(out.archive.removed_worktrees.len(), 3, "{:?}", out.archive);
    assert!(out.archive.problems.is_empty(), "{:?}", out.archive.problems);
    assert!(f.repo.braid_worktrees().unwrap().is_empty());
    assert!(f.repo.branches("braid/").unwrap().is_empty());
    assert!(!f.repo.worktrees_dir().join("r1").exists());
    // Attempt 3's uncommitted work was committed before its branch was archived.
    let third = &out.archive.archived[2].commit;
    assert_eq!(git(f.temp.path(), &["show", &format!("{third}:file3.txt")]), "attempt 3");
    assert_eq!(states(&f.store), [AttemptState::Removed; 3]);
    let record = f.store.pick("r1").unwrap().unwrap();
    assert_eq!((record.n, record.target_branch.as_str()), (2, "main"));
    assert_eq!(record.result_commit.as_deref(), Some(f.commits[1].as_str()));
    for commit in [&f.commits[0], &f.commits[1], third] {
        assert!(reachable(&f.temp, commit), "{commit}");
    }
    assert_eq!(git(f.temp.path(), &["rev-parse", "feature"]), feature);

    // A second pick is refused and changes nothing.
    let err = pick(&f.repo, &f.store, &PickRequest { n: 1, ..request }).unwrap_err();
    assert!(matches!(err, ShipError::Store(StoreError::AlreadyPicked { n: 2, .. })), "{err:?}");
    assert_eq!(git(f.temp.path(), &["rev-parse", "main"]), f.commits[1]);

    // Restore attempt 1: branch, worktree and its committed state are back; restoring again is refused.
    let back = restore(&f.repo, &f.store, "r1", 1).unwrap();
    assert_eq!(back.state, AttemptState::Committed);
    assert_eq!(git(&back.worktree.path, &["rev-parse", "HEAD"]), f.commits[0]);
    assert_eq!(std::fs::read_to_string(back.worktree.path.join("file1.txt")).unwrap(), "attempt 1\n");
    assert_eq!(f.repo.diff(&back.worktree).unwrap().files.len(), 1);
    let err = restore(&f.repo, &f.store, "r1", 1).unwrap_err();
    assert!(matches!(err, ShipError::NotArchived { .. }) && err.to_string().contains("nothing to restore"), "{err}");
    // The failed attempt comes back as failed.
    assert_eq!(restore(&f.repo, &f.store, "r1", 3).unwrap().state, AttemptState::Failed);
    assert_eq!(states(&f.store), [AttemptState::Committed, AttemptState::Removed, AttemptState::Failed]);
    for commit in [&f.commits[0], &f.commits[1], third] {
        assert!(reachable(&f.temp, commit), "{commit}");
    }
    fsck_clean(&f.temp);
}

#[test]
fn squash_into_another_branch_leaves_the_checkout_alone() {
    let f = fixture(None);
    let main = git(f.temp.path(), &["rev-parse", "main"]);
    let feature = git(f.temp.path(), &["rev-parse", "feature"]);
    let request = PickRequest { run: "r1", n: 1, how: MergeHow::Squash, into: Some("feature") };
    let out = pick(&f.repo, &f.store, &request).unwrap();
    assert_eq!((out.kind, out.updated_worktree.as_deref()), ("squash", None));
    assert_eq!(git(f.temp.path(), &["rev-parse", "feature^"]), feature);
    assert_eq!(git(f.temp.path(), &["log", "-1", "--format=%s", "feature"]), "Make lib better");
    assert!(git(f.temp.path(), &["log", "-1", "--format=%b", "feature"]).contains("Did attempt 1."));
    assert_eq!(git(f.temp.path(), &["rev-parse", "main"]), main);
    assert!(!f.temp.path().join("file1.txt").exists());
    assert_eq!(f.store.pick("r1").unwrap().unwrap().how, PickHow::Squash);
    fsck_clean(&f.temp);
}

#[test]
fn refusals_name_the_problem_and_change_nothing() {
    let f = fixture(None);
    let main = git(f.temp.path(), &["rev-parse", "main"]);
    let request = PickRequest { run: "r1", n: 1, how: MergeHow::Merge, into: None };
    let check = |request: PickRequest<'_>, expected: &str| {
        let err = pick(&f.repo, &f.store, &request).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        assert!(f.store.pick("r1").unwrap().is_none());
        assert_eq!(git(f.temp.path(), &["rev-parse", "main"]), main);
        assert_eq!(f.repo.braid_worktrees().unwrap().len(), 3);
        err
    };
    check(request, "pass --into BRANCH");
    check(PickRequest { n: 3, into: Some("main"), ..request }, "has no commit to pick (it is failed)");
    check(PickRequest { n: 7, into: Some("main"), ..request }, "has no attempt 7");
    check(PickRequest { run: "zz", ..request }, "no run `zz`");
    let err = check(PickRequest { into: Some("nope"), ..request }, "branch nope does not exist");
    assert!(matches!(err, ShipError::Git(GitError::NoSuchBranch { .. })), "{err:?}");

    // Work in the attempt's worktree that its commit does not hold.
    let wt = f.repo.worktree("r1", 1).unwrap();
    std::fs::write(wt.path.join("later.txt"), "more\n").unwrap();
    let err = check(PickRequest { into: Some("main"), ..request }, "has uncommitted changes (later.txt)");
    assert!(err.to_string().contains(&wt.path.display().to_string()), "{err}");
    std::fs::remove_file(wt.path.join("later.txt")).unwrap();

    // A conflict with the user's branch: nothing changes, the run can still be picked.
    f.temp.write("file1.txt", "the user's\n");
    f.temp.commit_all("user adds file1");
    let moved = git(f.temp.path(), &["rev-parse", "main"]);
    let err = pick(&f.repo, &f.store, &PickRequest { into: Some("main"), ..request }).unwrap_err();
    assert!(matches!(err, ShipError::Git(GitError::MergeConflict { .. })), "{err:?}");
    assert_eq!(git(f.temp.path(), &["rev-parse", "main"]), moved);
    assert!(f.store.pick("r1").unwrap().is_none());
    assert_eq!(f.repo.braid_worktrees().unwrap().len(), 3);
    let out = pick(&f.repo, &f.store, &PickRequest { n: 2, into: Some("main"), ..request }).unwrap();
    assert_eq!(out.kind, "merge_commit");
    assert_eq!(git(f.temp.path(), &["rev-parse", "main^1"]), moved);
}

#[test]
fn archive_others_keeps_the_picked_attempt_and_refuses_a_live_run() {
    let f = fixture(Some("main"));
    let report = archive_others(&f.repo, &f.store, "r1", 2).unwrap();
    assert_eq!(report.archived.iter().map(|a| a.n).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(states(&f.store), [AttemptState::Removed, AttemptState::Committed, AttemptState::Removed]);
    assert_eq!(f.repo.branches("braid/").unwrap().into_iter().map(|b| b.name).collect::<Vec<_>>(), ["braid/r1/2"]);
    assert!(f.repo.worktree("r1", 2).is_ok());

    let live = fixture(Some("main"));
    live.store.resume_run("r1", braid_orchestra::store::ProcessStamp::current().as_ref()).unwrap();
    let err = archive_others(&live.repo, &live.store, "r1", 2).unwrap_err();
    assert!(matches!(err, ShipError::RunGoing { .. }) && err.to_string().contains("still going"), "{err}");
    let err = pick(&live.repo, &live.store, &PickRequest { run: "r1", n: 2, how: MergeHow::Merge, into: None });
    assert!(matches!(err, Err(ShipError::RunGoing { .. })), "{err:?}");
}
