//! Attempt branches and archive refs: archiving an attempt (its commits stay reachable under
//! `refs/braid/archive/<run>/<n>` after its branch is deleted) and listing both.

use crate::GitError;
use crate::cmd::Git;
use crate::names::{ARCHIVE_PREFIX, archive_ref, branch_name, parse_run_n, validate_run};
use crate::repo::Repo;

/// A branch and the commit it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchTip {
    /// The branch's short name (without `refs/heads/`).
    pub name: String,
    /// The full sha of its tip.
    pub commit: String,
}

/// An archived attempt: `refs/braid/archive/<run>/<n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedAttempt {
    pub run: String,
    pub n: u32,
    /// The archive ref's full name.
    pub reference: String,
    /// The full sha it points at (the attempt branch's last tip).
    pub commit: String,
}

impl Repo {
    /// Archives attempt `n` of run `run`: points `refs/braid/archive/<run>/<n>` at the tip of branch
    /// `braid/<run>/<n>` and deletes the branch, so the attempt no longer shows among the user's branches
    /// while its commits stay reachable. A worktree that still has the branch checked out is detached at
    /// the same commit (its files and index are untouched). Returns the archived commit's sha.
    ///
    /// Archiving is idempotent, so that `braid gc` can finish an archive a crash interrupted: when the
    /// branch is already gone and the archive ref exists, nothing changes and the archived sha is
    /// returned; when both exist at the same commit, only the branch is deleted.
    ///
    /// Fails with [`GitError::BadName`] for an invalid run id, [`GitError::NoSuchBranch`] when neither the
    /// branch nor the archive ref exists, [`GitError::Exists`] when the archive ref exists at a different
    /// commit than the branch, and [`GitError::Command`] when git fails (including when the branch moved
    /// while being archived: every ref update checks the old value).
    pub fn archive(&self, run: &str, n: u32) -> Result<String, GitError> {
        validate_run(run)?;
        let branch = branch_name(run, n);
        let branch_ref = format!("refs/heads/{branch}");
        let archive = archive_ref(run, n);
        // Under the worktree lock, so that a concurrent create of the same attempt sees one state or the other.
        let _lock = self.lock()?;
        let tip = self.ref_commit(&branch_ref)?;
        let archived = self.ref_commit(&archive)?;
        let tip = match (tip, archived.as_deref()) {
            (None, Some(archived)) => return Ok(archived.to_string()),
            (None, None) => return Err(GitError::NoSuchBranch { branch, repo: self.root().to_path_buf() }),
            (Some(tip), Some(archived)) if tip != archived => {
                return Err(GitError::Exists {
                    what: format!("archive ref {archive} at {archived}, while branch {branch} is at {tip}"),
                    path: self.common_dir().to_path_buf(),
                });
            }
            (Some(tip), _) => tip,
        };
        if archived.is_none() {
            let message = format!("braid: archive {branch}");
            // The empty old value makes git refuse if the archive ref appeared in the meantime.
            Git::new(self.root(), ["update-ref", "-m", &message, &archive, &tip, ""]).run()?;
        }
        for entry in self.worktree_entries()? {
            if entry.branch.as_deref() == Some(branch.as_str()) && entry.path.is_dir() {
                // Writing HEAD directly detaches the worktree without touching its index or files.
                Git::new(&entry.path, ["update-ref", "--no-deref", "-m", "braid: archive", "HEAD", &tip]).run()?;
            }
        }
        Git::new(self.root(), ["update-ref", "-d", &branch_ref, &tip]).run()?;
        Ok(tip)
    }

    /// Returns every local branch whose short name starts with `prefix` (e.g. `"braid/"` or
    /// `"braid/<run>/"`), sorted by name.
    ///
    /// Fails with [`GitError::Command`] when git fails.
    pub fn branches(&self, prefix: &str) -> Result<Vec<BranchTip>, GitError> {
        Ok(self
            .refs_under("refs/heads/")?
            .into_iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, commit)| BranchTip { name, commit })
            .collect())
    }

    /// Returns every archived attempt (`refs/braid/archive/<run>/<n>`), sorted by ref name. Refs under
    /// that prefix that braid would not have made are skipped.
    ///
    /// Fails with [`GitError::Command`] when git fails.
    pub fn archived(&self) -> Result<Vec<ArchivedAttempt>, GitError> {
        Ok(self
            .refs_under(ARCHIVE_PREFIX)?
            .into_iter()
            .filter_map(|(tail, commit)| {
                let (run, n) = parse_run_n(&tail)?;
                Some(ArchivedAttempt { reference: format!("{ARCHIVE_PREFIX}{tail}"), run, n, commit })
            })
            .collect())
    }

    /// Lists refs under `prefix` (which ends in `/`) as (name without the prefix, sha), sorted by name.
    fn refs_under(&self, prefix: &str) -> Result<Vec<(String, String)>, GitError> {
        let output = Git::new(self.root(), ["for-each-ref", "--format=%(refname)%00%(objectname)", prefix]).run()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut refs: Vec<(String, String)> = text
            .lines()
            .filter_map(|line| {
                let (name, sha) = line.split_once('\0')?;
                Some((name.strip_prefix(prefix)?.to_string(), sha.to_string()))
            })
            .collect();
        refs.sort();
        Ok(refs)
    }
}
