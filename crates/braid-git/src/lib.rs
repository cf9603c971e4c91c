//! braid's git plumbing over the `git` CLI: one worktree and branch per attempt under
//! `.braid/worktrees/<run>/<n>` and `braid/<run>/<n>`, the attempt's diff against its base, snapshot
//! commits, archive refs under `refs/braid/archive/`, and the leftovers `braid gc` cleans up.
//!
//! Everything goes through the git CLI, so the user's configuration, credentials and signing setup apply
//! as they would to their own commands. Calls are synchronous and may take a while on a large repository:
//! async callers run them on a blocking thread. The library never prints and never reads `$HOME`.
//!
//! The invariant: braid-git never changes the user's working tree, index, HEAD or branches, with one
//! exception the user asks for explicitly: [`Repo::merge_into`] (`braid pick --merge|--squash`) moves the
//! target branch and, where it is checked out, that worktree's files, refusing rather than overwriting
//! uncommitted changes. Otherwise the only things it writes outside `.braid/` are `braid/*` branches,
//! `refs/braid/*` refs, the worktree registrations git keeps in `.git/worktrees`, one `/.braid/` line in
//! `.git/info/exclude`, and the lock file `.git/braid-worktrees.lock`.
//!
//! ```no_run
//! # fn main() -> Result<(), braid_git::GitError> {
//! let repo = braid_git::Repo::discover(".")?;
//! let attempt = repo.create_worktree("r1", 1, "HEAD")?;
//! // ... an agent edits files in attempt.path ...
//! let diff = repo.diff(&attempt)?;
//! repo.commit_all(&attempt, "braid: attempt 1 of run r1")?;
//! repo.remove_worktree(&attempt, false)?;
//! repo.archive("r1", 1)?;
//! # let _ = diff;
//! # Ok(())
//! # }
//! ```

mod cmd;
mod diff;
mod error;
mod list;
mod merge;
pub mod names;
mod refs;
mod remote;
mod repo;
mod scratch;

pub use diff::{Diff, FileStat, FileStatus, Uncommitted};
pub use error::GitError;
pub use list::{Orphan, Remedy, WorktreeEntry};
pub use merge::{MergeHow, MergeKind, MergeOutcome};
pub use refs::{ArchivedAttempt, BranchTip};
pub use repo::{Repo, Worktree};
pub use scratch::Scratch;
