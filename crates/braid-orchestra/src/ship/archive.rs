//! Archiving a picked run's attempts (branch kept under `refs/braid/archive/<run>/<n>`, worktree removed,
//! uncommitted leftovers committed first as `braid gc` does) and `braid restore`, which brings one back.

use std::path::PathBuf;

use braid_git::names::{archive_ref, branch_name};
use braid_git::{Repo, Worktree};

use super::merge::PICK_NOTE;
use super::{ShipError, settled_run};
use crate::run::gc::{archive, collect_worktree, record};
use crate::store::{AttemptState, RunDetail, Store, StoreError};

/// The note transitions made by a restore carry.
const RESTORE_NOTE: &str = "braid restore";

/// An attempt kept under its archive ref.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchivedOne {
    pub n: u32,
    /// `refs/braid/archive/<run>/<n>`.
    pub reference: String,
    pub commit: String,
}

/// What archiving a run's attempts did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveReport {
    /// The attempts now under an archive ref, by number.
    pub archived: Vec<ArchivedOne>,
    /// The worktrees removed.
    pub removed_worktrees: Vec<PathBuf>,
    /// One line per action, e.g. "archived braid/<run>/2 as refs/braid/archive/<run>/2 (abc123)".
    pub actions: Vec<String>,
    /// What could not be done, with the reason; the rest was done anyway.
    pub problems: Vec<String>,
}

impl ArchiveReport {
    /// Appends `other`'s entries to this report's.
    pub fn merge(&mut self, other: ArchiveReport) {
        self.archived.extend(other.archived);
        self.removed_worktrees.extend(other.removed_worktrees);
        self.actions.extend(other.actions);
        self.problems.extend(other.problems);
    }

    /// Orders the archived attempts and removed worktrees by attempt number and path.
    pub(crate) fn sort(&mut self) {
        self.archived.sort_by_key(|a| a.n);
        self.removed_worktrees.sort();
    }
}

/// Archives every attempt of `run` except attempt `keep`, once the run has been picked (merged, or
/// opened as a pull request): work left uncommitted in a worktree is committed on the attempt's branch,
/// the branch is archived as `refs/braid/archive/<run>/<n>`, the worktree removed, and the store's
/// states follow (`archived`, `removed`; an attempt that never finished keeps its state). Returns what
/// was done; an attempt that cannot be archived is listed in `problems` and the others are still done.
///
/// Fails with [`ShipError::UnknownRun`] when the store has no such run, [`ShipError::RunGoing`] when it
/// is still going, and [`ShipError::Store`] when the store cannot be read.
pub fn archive_others(repo: &Repo, store: &Store, run: &str, keep: u32) -> Result<ArchiveReport, ShipError> {
    let detail = settled_run(store, run)?;
    let mut report = ArchiveReport::default();
    for attempt in detail.attempts.iter().filter(|a| a.n != keep) {
        archive_attempt(repo, store, &detail.run.id, attempt.n, PICK_NOTE, &mut report);
    }
    report.sort();
    Ok(report)
}

/// Archives attempt `n` as [`archive_others`] describes, adding what happened to `report`.
pub(crate) fn archive_attempt(repo: &Repo, store: &Store, run: &str, n: u32, note: &str, report: &mut ArchiveReport) {
    let result = match repo.worktree(run, n) {
        Ok(worktree) => collect_worktree(repo, store, run, n, note, &mut report.actions)
            .map(|()| report.removed_worktrees.push(worktree.path)),
        Err(_) => {
            let branch = branch_name(run, n);
            let has_branch = repo.branches(&branch).map(|tips| tips.iter().any(|tip| tip.name == branch));
            match has_branch {
                Ok(true) => archive(repo, store, run, n, note, &mut report.actions),
                Ok(false) => Ok(()),
                Err(err) => Err(err.to_string()),
            }
            // No worktree is left either way.
            .map(|()| record(store, run, n, AttemptState::Removed, note))
        }
    };
    if let Err(problem) = result {
        report.problems.push(format!("attempt {n}: {problem}"));
    }
    let reference = archive_ref(run, n);
    if let Ok(archived) = repo.archived()
        && let Some(found) = archived.into_iter().find(|a| a.reference == reference)
    {
        report.archived.push(ArchivedOne { n, reference, commit: found.commit });
    }
}

/// What `braid restore` brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOutcome {
    /// The run's full id.
    pub run: String,
    /// The attempt's worktree, on its branch `braid/<run>/<n>` again.
    pub worktree: Worktree,
    /// The attempt's state in the store now.
    pub state: AttemptState,
}

/// Brings back attempt `n` of `run` (a unique prefix of its id is enough): its branch `braid/<run>/<n>`
/// from the archive ref (or the branch as it still is) and its worktree at `.braid/worktrees/<run>/<n>`,
/// with the run's base recorded so its diff shows all its work. An archived or removed attempt moves
/// back to the final state it had before it was archived. A picked run stays picked.
///
/// Fails with [`ShipError::UnknownRun`], [`StoreError::NoSuchAttempt`], [`ShipError::NotArchived`] when
/// the worktree is there, and the [`braid_git::GitError`]s of [`Repo::reopen_worktree`] (the branch
/// points elsewhere than the archive, the directory exists, nothing to restore from).
pub fn restore(repo: &Repo, store: &Store, run: &str, n: u32) -> Result<RestoreOutcome, ShipError> {
    let detail = store.run(run)?.ok_or_else(|| ShipError::UnknownRun(run.to_string()))?;
    let run = detail.run.id.clone();
    let attempt =
        detail.attempts.iter().find(|a| a.n == n).ok_or_else(|| StoreError::NoSuchAttempt { run: run.clone(), n })?;
    if let Ok(worktree) = repo.worktree(&run, n) {
        return Err(ShipError::NotArchived { run, n, path: worktree.path });
    }
    let worktree = repo.reopen_worktree(&run, n, &detail.run.base_commit)?;
    let mut state = attempt.state;
    if matches!(state, AttemptState::Archived | AttemptState::Removed) {
        let back = state_before_archive(&detail, n, attempt.commit.is_some());
        store.transition(&run, n, back, Some(RESTORE_NOTE))?;
        state = back;
    }
    Ok(RestoreOutcome { run, worktree, state })
}

/// The final state attempt `n` had when it was last archived, from its transitions; without a record,
/// `committed` for an attempt with a commit and `cancelled` otherwise.
fn state_before_archive(detail: &RunDetail, n: u32, has_commit: bool) -> AttemptState {
    detail
        .transitions
        .iter()
        .rev()
        .find(|t| t.n == n && t.to == AttemptState::Archived && t.from.is_final())
        .map(|t| t.from)
        .unwrap_or(if has_commit { AttemptState::Committed } else { AttemptState::Cancelled })
}
