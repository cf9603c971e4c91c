//! The one error type of braid-git: every failure names the command, path, ref or input it is about.

use std::path::PathBuf;

/// Why a braid-git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `path` is not inside a git repository (or does not exist).
    #[error("{} is not inside a git repository; run braid from a git checkout (or `git init` one)", path.display())]
    NotARepository { path: PathBuf },

    /// The repository at `path` is bare: there is no main working tree to hold `.braid/`.
    #[error("{} is a bare git repository; braid needs a repository with a working tree", path.display())]
    BareRepository { path: PathBuf },

    /// The `git` program could not be found on PATH.
    #[error("cannot run `git`: it is not installed or not on PATH")]
    GitMissing,

    /// A git command failed (or could not be started for a reason other than a missing program).
    #[error("`{command}` in {} failed ({status}): {}", dir.display(), stderr.trim_end())]
    Command { command: String, dir: PathBuf, status: String, stderr: String },

    /// A revision given by the caller does not name a commit.
    #[error("`{rev}` does not name a commit in {}", repo.display())]
    UnknownRevision { rev: String, repo: PathBuf },

    /// Two commits whose histories share no commit, so there is no base to diff from.
    #[error("{a} and {b} have no common ancestor in {}; name the base commit explicitly", repo.display())]
    NoMergeBase { a: String, b: String, repo: PathBuf },

    /// A caller-supplied name (a run id) breaks the naming rule given.
    #[error("invalid name {name:?}: {rule}")]
    BadName { name: String, rule: &'static str },

    /// Something braid was about to create already exists.
    #[error("{what} already exists ({}); remove leftovers of earlier runs with `braid gc`", path.display())]
    Exists { what: String, path: PathBuf },

    /// An attempt's branch does not exist (and was never archived).
    #[error("branch {branch} does not exist in {}", repo.display())]
    NoSuchBranch { branch: String, repo: PathBuf },

    /// No remote of this name is configured.
    #[error("no remote `{remote}` in {}; add one with `git remote add {remote} <url>` or name another", repo.display())]
    NoSuchRemote { remote: String, repo: PathBuf },

    /// A directory is not a braid worktree of this repository, or lacks braid's record of its base.
    #[error("{} is not a braid attempt worktree of this repository: {reason}", path.display())]
    NotAWorktree { path: PathBuf, reason: String },

    /// A worktree has uncommitted or untracked changes and removal was not forced.
    #[error("worktree {} has uncommitted or untracked changes; commit them first or remove it with force", path.display())]
    Dirty { path: PathBuf },

    /// An attempt's branch exists while its archive ref holds another commit, so restoring it would lose
    /// one of the two.
    #[error(
        "branch {branch} exists at {tip} while the archive ref {archive} holds {archived}; keep the one you want (`git branch -m {branch} <new name>` or `git update-ref -d {archive}`) and restore again"
    )]
    BranchMoved { branch: String, tip: String, archive: String, archived: String },

    /// Merging an attempt into a branch conflicts; nothing was changed.
    #[error(
        "merging {commit} into {branch} conflicts in {}; nothing was changed. Resolve it by hand (`git merge {commit}` on {branch}), or pick another attempt",
        paths.join(", ")
    )]
    MergeConflict { branch: String, commit: String, paths: Vec<String> },

    /// The target branch is checked out in a worktree where paths the merge would change have uncommitted,
    /// staged or untracked changes; nothing was changed.
    #[error(
        "{branch} is checked out in {}, where {} would be overwritten by the merge; commit or stash them, then pick again (nothing was changed)",
        worktree.display(),
        paths.join(", ")
    )]
    DirtyPaths { branch: String, worktree: PathBuf, paths: Vec<String> },

    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GitError {
    /// Wraps an I/O error with the path it is about.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> GitError {
        GitError::Io { path: path.into(), source }
    }
}
