//! `braid pick <run>/<n> --merge|--squash`: merge the attempt into a branch of the user's (the run's base
//! branch unless told otherwise), record the pick, then archive every attempt of the run and remove their
//! worktrees.

use std::path::PathBuf;

use braid_git::names::{archive_ref, branch_name};
use braid_git::{MergeHow, Repo};
use chrono::Utc;

use super::archive::{ArchiveReport, archive_attempt, archive_others};
use super::{ShipError, settled_run};
use crate::store::{AttemptRecord, PickHow, PickRecord, Store, StoreError};

/// The note transitions made by a pick carry.
pub(crate) const PICK_NOTE: &str = "braid pick";

/// What to pick and how.
#[derive(Debug, Clone, Copy)]
pub struct PickRequest<'a> {
    /// The run's id, or a unique prefix of it.
    pub run: &'a str,
    pub n: u32,
    pub how: MergeHow,
    /// The branch to merge into; `None` for the branch the run started from.
    pub into: Option<&'a str>,
}

/// What a pick did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PickOutcome {
    /// The run's full id.
    pub run: String,
    pub n: u32,
    pub how: PickHow,
    /// The commit of the attempt that was merged.
    pub picked_commit: String,
    pub target_branch: String,
    /// `fast_forward`, `merge_commit`, `squash` or `up_to_date` ([`braid_git::MergeKind::as_str`]).
    pub kind: &'static str,
    pub old_tip: String,
    pub new_tip: String,
    /// The worktree whose files moved with the branch (the user's checkout, usually).
    pub updated_worktree: Option<PathBuf>,
    /// The run's attempts as archived afterwards, the picked one included.
    pub archive: ArchiveReport,
}

/// Picks attempt `request.n` of a run: merges its commit into the target branch, records the pick, and
/// archives every attempt of the run (the picked one too, as the target now holds its work), removing
/// their worktrees. Returns what happened; a problem archiving one attempt is reported in
/// `archive.problems` instead of failing the pick that already happened.
///
/// Nothing changes when it fails: with [`ShipError::UnknownRun`], [`ShipError::RunGoing`],
/// [`StoreError::AlreadyPicked`] when the run was picked before, [`StoreError::NoSuchAttempt`],
/// [`ShipError::NoCommit`] for an attempt without a commit, [`ShipError::DirtyWorktree`] when the
/// attempt's worktree has uncommitted changes, [`ShipError::NoTarget`] when there is no branch to merge
/// into, and the [`braid_git::GitError`]s of [`Repo::merge_into`] (conflicts, a dirty checkout).
pub fn pick(repo: &Repo, store: &Store, request: &PickRequest<'_>) -> Result<PickOutcome, ShipError> {
    let detail = settled_run(store, request.run)?;
    let run = detail.run.id.clone();
    let n = request.n;
    if let Some(earlier) = store.pick(&run)? {
        return Err(StoreError::AlreadyPicked { path: store.path().to_path_buf(), run, n: earlier.n }.into());
    }
    let attempt =
        detail.attempts.iter().find(|a| a.n == n).ok_or_else(|| StoreError::NoSuchAttempt { run: run.clone(), n })?;
    let Some(recorded) = attempt.commit.clone() else {
        return Err(ShipError::NoCommit { run, n, state: attempt.state });
    };
    if let Ok(worktree) = repo.worktree(&run, n) {
        let paths = repo.dirty_paths(&worktree.path)?;
        if !paths.is_empty() {
            return Err(ShipError::DirtyWorktree { run, n, path: worktree.path, paths });
        }
    }
    let commit = attempt_tip(repo, &run, n)?.unwrap_or(recorded);
    let target = match request.into.map(str::to_string).or_else(|| detail.run.base_ref.clone()) {
        Some(target) => target,
        None => return Err(ShipError::NoTarget { run }),
    };
    let how = match request.how {
        MergeHow::Merge => PickHow::Merge,
        MergeHow::Squash => PickHow::Squash,
    };
    let message = message(&detail.run.task, attempt, &target, request.how);
    let merged = repo.merge_into(&target, &commit, request.how, &message)?;
    store.record_pick(&PickRecord {
        run_id: run.clone(),
        n,
        how,
        at: Utc::now(),
        target_branch: merged.branch.clone(),
        result_commit: Some(merged.new_tip.clone()),
        pr_url: None,
    })?;
    let mut archive = ArchiveReport::default();
    archive_attempt(repo, store, &run, n, PICK_NOTE, &mut archive);
    let others = archive_others(repo, store, &run, n)?;
    archive.merge(others);
    archive.sort();
    Ok(PickOutcome {
        run,
        n,
        how,
        picked_commit: commit,
        target_branch: merged.branch,
        kind: merged.kind.as_str(),
        old_tip: merged.old_tip,
        new_tip: merged.new_tip,
        updated_worktree: merged.worktree,
        archive,
    })
}

/// The attempt's current commit: its branch's tip (which includes anything the user committed in its
/// worktree since), else its archive ref's, else `None`.
fn attempt_tip(repo: &Repo, run: &str, n: u32) -> Result<Option<String>, ShipError> {
    let branch = branch_name(run, n);
    if let Some(tip) = repo.branches(&branch)?.into_iter().find(|b| b.name == branch) {
        return Ok(Some(tip.commit));
    }
    let archive = archive_ref(run, n);
    Ok(repo.archived()?.into_iter().find(|a| a.reference == archive).map(|a| a.commit))
}

/// The message of a merge commit or a squashed commit: the task's first line as the subject for a
/// squash (the commit stands for the attempt's work), then which attempt it was and its closing message.
fn message(task: &str, attempt: &AttemptRecord, target: &str, how: MergeHow) -> String {
    let task_line = task.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("braid run");
    let subject: String = task_line.chars().take(72).collect();
    let origin = format!("braid attempt {} of run {} ({})", attempt.n, attempt.run_id, attempt.agent);
    let subject = match how {
        MergeHow::Merge => format!("Merge {} into {target}", attempt.branch),
        MergeHow::Squash => subject,
    };
    let mut body = match how {
        MergeHow::Merge => format!("{origin}: {task_line}"),
        MergeHow::Squash => origin,
    };
    if let Some(summary) = attempt.final_message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        body.push_str("\n\n");
        body.push_str(summary);
    }
    format!("{subject}\n\n{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_attempt() {
        let attempt = AttemptRecord {
            run_id: "r1".into(),
            n: 2,
            agent: "codex".into(),
            approach: None,
            branch: "braid/r1/2".into(),
            worktree: PathBuf::from("/x"),
            state: crate::store::AttemptState::Committed,
            turns: 0,
            tokens: Default::default(),
            cost_usd: None,
            commit: None,
            error: None,
            started_at: None,
            finished_at: None,
            last_action: None,
            port: None,
            final_message: Some("Fixed the adder.\n".into()),
            claimed_success: None,
        };
        let check = |how, expected: &str| assert_eq!(message("\nFix the adder\nmore", &attempt, "main", how), expected);
        check(
            MergeHow::Merge,
            "Merge braid/r1/2 into main\n\nbraid attempt 2 of run r1 (codex): Fix the adder\n\nFixed the adder.\n",
        );
        check(MergeHow::Squash, "Fix the adder\n\nbraid attempt 2 of run r1 (codex)\n\nFixed the adder.\n");
    }
}
