//! `braid gc`: collecting what finished and interrupted runs left behind — worktrees, stray directories,
//! stale registrations and attempt branches — without losing any attempt's work.
//!
//! Work left uncommitted in a worktree is committed on the attempt's branch first; every branch is then
//! archived as `refs/braid/archive/<run>/<n>`, so each attempt's commits stay reachable; only then is the
//! worktree removed. Attempts of a run that is still going are not touched. An interrupted attempt keeps
//! its unfinished state in the store, so that `braid run --resume` can still finish it from the archive.

use std::collections::BTreeSet;

use braid_git::{Orphan, Repo};

use super::RunError;
use crate::store::{AttemptState, RunState, Store};

/// What `gc` did, or would do with `dry_run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// One line per action, e.g. "archived braid/<run>/2 as refs/braid/archive/<run>/2 (abc123)".
    pub actions: Vec<String>,
    /// Runs left alone because their braid process is still working on them.
    pub skipped_live: Vec<String>,
    /// Leftovers that could not be collected, with the reason; the rest were collected anyway.
    pub problems: Vec<String>,
}

/// Collects the leftovers of every run in `repo` that is not running. Fails only when the store or git
/// cannot be read at all; a leftover that cannot be collected is reported in `problems`.
pub fn gc(repo: &Repo, store: &Store, dry_run: bool) -> Result<GcReport, RunError> {
    let mut report = GcReport::default();
    let runs = store.runs()?;
    let live: BTreeSet<String> =
        runs.iter().filter(|r| r.run.state == RunState::Running).map(|r| r.run.id.clone()).collect();
    report.skipped_live = live.iter().cloned().collect();
    let is_live = |run: &str, _n: u32| live.contains(run);
    for orphan in repo.orphans(&is_live)? {
        let result = match &orphan {
            Orphan::DeadWorktree { run, n, path } => {
                if dry_run {
                    report.actions.push(format!("archive braid/{run}/{n} and remove its worktree {}", path.display()));
                    continue;
                }
                collect_worktree(repo, store, run, *n, GC_NOTE, &mut report.actions)
            }
            Orphan::UnregisteredDir { path } => {
                // git never registered this directory, so no agent ever worked in it: the attempt's state
                // was still `creating`. Its contents are a partial checkout of the base commit.
                if dry_run {
                    report.actions.push(format!("delete {} (never registered with git)", path.display()));
                    continue;
                }
                std::fs::remove_dir_all(path)
                    .map(|()| report.actions.push(format!("deleted {} (never registered with git)", path.display())))
                    .map_err(|err| format!("cannot delete {}: {err}", path.display()))
            }
            Orphan::StaleRegistration { path } => {
                if dry_run {
                    report.actions.push(format!("prune the registration of {} (directory gone)", path.display()));
                    continue;
                }
                repo.remove_worktree(path, false)
                    .map(|()| report.actions.push(format!("pruned the registration of {}", path.display())))
                    .map_err(|err| err.to_string())
            }
            Orphan::LooseBranch { run, n, branch } => {
                if dry_run {
                    report.actions.push(format!("archive {branch}"));
                    continue;
                }
                archive(repo, store, run, *n, GC_NOTE, &mut report.actions)
            }
        };
        if let Err(problem) = result {
            report.problems.push(problem);
        }
    }
    if !dry_run {
        remove_empty_run_dirs(repo);
    }
    Ok(report)
}

/// The note the store's transitions carry for what `braid gc` did.
const GC_NOTE: &str = "braid gc";

/// Commits what attempt `n`'s worktree holds, archives its branch, removes the worktree, and records
/// it in the store with `note`, appending one line per action to `actions`. `braid pick` uses it too.
/// Fails with the reason, as text, when git fails; whatever was done before stays done.
pub(crate) fn collect_worktree(
    repo: &Repo,
    store: &Store,
    run: &str,
    n: u32,
    note: &str,
    actions: &mut Vec<String>,
) -> Result<(), String> {
    let worktree = repo.worktree(run, n).map_err(|err| err.to_string())?;
    let message = format!("{note}: work left uncommitted in attempt {n} of run {run}\n\nKept by `{note}`.\n");
    if let Some(commit) = repo.commit_all(&worktree, &message).map_err(|err| err.to_string())? {
        actions.push(format!("committed work left in {} as {}", worktree.path.display(), short(&commit)));
    }
    archive(repo, store, run, n, note, actions)?;
    // The work is committed and archived; what remains are ignored files (build caches), which `force`
    // lets git delete.
    repo.remove_worktree(&worktree.path, true).map_err(|err| err.to_string())?;
    actions.push(format!("removed worktree {}", worktree.path.display()));
    record(store, run, n, AttemptState::Removed, note);
    Ok(())
}

/// Archives attempt `n`'s branch and records it in the store with `note`; fails with git's reason.
pub(crate) fn archive(
    repo: &Repo,
    store: &Store,
    run: &str,
    n: u32,
    note: &str,
    actions: &mut Vec<String>,
) -> Result<(), String> {
    let commit = repo.archive(run, n).map_err(|err| err.to_string())?;
    actions.push(format!("archived braid/{run}/{n} as {} ({})", braid_git::names::archive_ref(run, n), short(&commit)));
    record(store, run, n, AttemptState::Archived, note);
    Ok(())
}

/// Moves a finished attempt on to `to` (archived, then removed) in the store. Unfinished attempts keep
/// their state for `--resume`, and attempts the store does not know (its file was deleted) are skipped.
pub(crate) fn record(store: &Store, run: &str, n: u32, to: AttemptState, note: &str) {
    let Ok(Some(detail)) = store.run(run) else { return };
    let Some(attempt) = detail.attempts.iter().find(|a| a.n == n) else { return };
    let mut state = attempt.state;
    if state.is_final() {
        let _ = store.transition(run, n, AttemptState::Archived, Some(note));
        state = AttemptState::Archived;
    }
    if to == AttemptState::Removed && state == AttemptState::Archived {
        let _ = store.transition(run, n, AttemptState::Removed, Some(note));
    }
}

/// Removes `.braid/worktrees/<run>/` directories left empty once their attempts are gone.
fn remove_empty_run_dirs(repo: &Repo) {
    let Ok(entries) = std::fs::read_dir(repo.worktrees_dir()) else { return };
    for entry in entries.flatten() {
        // `remove_dir` only removes an empty directory, which is exactly the condition wanted.
        let _ = std::fs::remove_dir(entry.path());
    }
}

pub(crate) fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}
