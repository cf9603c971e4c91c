//! Scratch checkouts: a detached worktree of one commit under `.braid/scratch/`, for work that must see
//! exactly a commit's files (running checks on an attempt's result, or on the base for comparison)
//! without touching the attempt's own worktree, whose files are its work.

use std::path::{Path, PathBuf};

use crate::GitError;
use crate::cmd::Git;
use crate::repo::Repo;

/// A detached checkout of one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scratch {
    /// The checkout's directory (absolute), `<root>/.braid/scratch/<name>`.
    pub path: PathBuf,
    /// The full sha checked out.
    pub commit: String,
}

impl Repo {
    /// `<root>/.braid/scratch`, where scratch checkouts live.
    pub fn scratch_dir(&self) -> PathBuf {
        self.root().join(".braid").join("scratch")
    }

    /// Checks `commit` out, detached, at `.braid/scratch/<name>`. A checkout an earlier, interrupted
    /// call left at that place is removed first (it is braid's own scratch space, never the user's work).
    /// `name` is one or more `/`-separated parts of letters, digits, `.`, `_` and `-`.
    ///
    /// Fails with [`GitError::BadName`] for another name, [`GitError::UnknownRevision`] when `commit`
    /// names no commit, and [`GitError::Command`] when git fails; a failed checkout is not left behind.
    pub fn create_scratch(&self, name: &str, commit: &str) -> Result<Scratch, GitError> {
        validate_scratch_name(name)?;
        let commit = self.resolve_commit(commit)?;
        let path = self.scratch_dir().join(name);
        {
            let _lock = self.lock()?;
            self.ensure_excluded()?;
            self.drop_scratch_locked(&path)?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|err| GitError::io(parent, err))?;
            }
            Git::new(self.root(), ["worktree", "add", "--quiet", "--no-checkout", "--detach"])
                .arg(&path)
                .arg(&commit)
                .run()?;
        }
        // As for attempt worktrees: the files are written outside the lock, so checkouts run in parallel.
        if let Err(err) = Git::new(&path, ["reset", "--hard", "--quiet", "--no-recurse-submodules"]).run() {
            let _ = self.remove_scratch(&path);
            return Err(err);
        }
        Ok(Scratch { path, commit })
    }

    /// Removes the scratch checkout at `path`, whatever it holds; does nothing when it is gone.
    ///
    /// Fails with [`GitError::NotAWorktree`] for a path outside `.braid/scratch` and
    /// [`GitError::Command`] when git fails.
    pub fn remove_scratch(&self, path: impl AsRef<Path>) -> Result<(), GitError> {
        let _lock = self.lock()?;
        self.drop_scratch_locked(path.as_ref())
    }

    /// Removes a scratch checkout and its registration, with the worktree lock held.
    fn drop_scratch_locked(&self, path: &Path) -> Result<(), GitError> {
        let dir = self.scratch_dir();
        if !path.starts_with(&dir) || path == dir {
            return Err(GitError::NotAWorktree {
                path: path.to_path_buf(),
                reason: format!("braid only removes scratch checkouts under {}", dir.display()),
            });
        }
        if path.symlink_metadata().is_ok() {
            let removed = Git::new(self.root(), ["worktree", "remove", "--force", "--force"]).arg(path).output()?;
            // A directory git does not know (a crash before registration) is removed by hand.
            if !removed.success && path.exists() {
                std::fs::remove_dir_all(path).map_err(|err| GitError::io(path, err))?;
            }
        }
        Git::new(self.root(), ["worktree", "prune"]).run()?;
        Ok(())
    }
}

fn validate_scratch_name(name: &str) -> Result<(), GitError> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if name.split('/').all(part_ok) {
        Ok(())
    } else {
        Err(GitError::BadName {
            name: name.to_string(),
            rule: "a scratch name is `/`-separated parts of letters, digits, `.`, `_` and `-`",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::validate_scratch_name;

    #[test]
    fn scratch_names() {
        for good in ["r1/base", "r1/2", "a.b_c-d"] {
            assert!(validate_scratch_name(good).is_ok(), "{good}");
        }
        for bad in ["", "r1/", "../x", "r1/../../x", "a b", "/abs"] {
            assert!(validate_scratch_name(bad).is_err(), "{bad}");
        }
    }
}
