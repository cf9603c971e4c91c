//! Shipping a run's result: `braid pick` makes one attempt real code (merged into a branch here; a pull
//! request in its own module) and archives the others, and `braid restore` brings an archived attempt
//! back. Every attempt's commits stay reachable throughout: branches are archived, never deleted.

mod archive;
mod merge;
pub mod pr;

use std::path::PathBuf;

pub use archive::{ArchiveReport, ArchivedOne, RestoreOutcome, archive_others, restore};
pub use merge::{PickOutcome, PickRequest, pick};

use crate::store::{AttemptState, RunDetail, RunState, Store, StoreError};

/// Why a pick or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    #[error(transparent)]
    Git(#[from] braid_git::GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store has no such run.
    #[error("no run `{0}` in this repository; `braid runs` lists them")]
    UnknownRun(String),
    /// The run's braid process is still working on it.
    #[error("run {run} is still going (process {pid}); wait for it or stop it, then pick")]
    RunGoing { run: String, pid: u32 },
    /// The attempt never committed anything.
    #[error(
        "attempt {n} of run {run} has no commit to pick (it is {state}); `braid show {run}` lists the committed ones"
    )]
    NoCommit { run: String, n: u32, state: AttemptState },
    /// The attempt's worktree holds work that is not in its commit.
    #[error(
        "the worktree of attempt {n} of run {run}, {}, has uncommitted changes ({}); commit them there (or discard them) so that what is picked is what you see, then pick again (nothing was changed)",
        path.display(),
        paths.join(", ")
    )]
    DirtyWorktree { run: String, n: u32, path: PathBuf, paths: Vec<String> },
    /// No branch to merge into was given and the run did not start from one.
    #[error("run {run} did not start from a branch, so there is no branch to merge into; pass --into BRANCH")]
    NoTarget { run: String },
    /// `braid restore` of an attempt whose worktree is there.
    #[error("attempt {n} of run {run} already has its worktree at {}; there is nothing to restore", path.display())]
    NotArchived { run: String, n: u32, path: PathBuf },
}

/// The run `run` names (a unique prefix of its id is enough), refusing one that is still going.
fn settled_run(store: &Store, run: &str) -> Result<RunDetail, ShipError> {
    let detail = store.run(run)?.ok_or_else(|| ShipError::UnknownRun(run.to_string()))?;
    if detail.run.state == RunState::Running {
        let pid = detail.run.owner.as_ref().map_or(0, |owner| owner.pid);
        return Err(ShipError::RunGoing { run: detail.run.id, pid });
    }
    Ok(detail)
}
