//! What git and the disk say exists: the registered worktrees (`git worktree list --porcelain -z`) and
//! the leftovers of attempts that are no longer running, for `braid gc`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::GitError;
use crate::cmd::Git;
use crate::names::{BRANCH_PREFIX, parse_run_n};
use crate::repo::Repo;

/// One worktree git knows about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorktreeEntry {
    /// The worktree's directory, as git recorded it.
    pub path: PathBuf,
    /// The commit its HEAD is at (`None` for a bare entry or an unborn branch).
    pub head: Option<String>,
    /// The short name of the branch checked out there (`None` when detached).
    pub branch: Option<String>,
    /// Whether this is the bare repository's entry.
    pub bare: bool,
    /// Whether the worktree is locked (`git worktree lock`).
    pub locked: bool,
    /// Whether git considers the entry prunable (its directory is gone).
    pub prunable: bool,
    /// The attempt (`run`, `n`) for a worktree under `.braid/worktrees/<run>/<n>`.
    pub attempt: Option<(String, u32)>,
}

/// A leftover of an attempt that is not live, and what `braid gc` should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Orphan {
    /// A registered worktree of an attempt that is not running.
    DeadWorktree { run: String, n: u32, path: PathBuf },
    /// A directory under `.braid/worktrees` that git does not know (a crash between creating it and
    /// registering it).
    UnregisteredDir { path: PathBuf },
    /// A registered braid worktree whose directory is gone.
    StaleRegistration { path: PathBuf },
    /// A `braid/<run>/<n>` branch of an attempt that is not running, with no worktree.
    LooseBranch { run: String, n: u32, branch: String },
}

/// What to do about an [`Orphan`], so that no attempt's work is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Commit whatever is uncommitted ([`Repo::commit_all`]), archive the branch ([`Repo::archive`]),
    /// then remove the worktree with force ([`Repo::remove_worktree`]).
    SnapshotArchiveRemove,
    /// Delete the directory: git holds nothing of it.
    DeleteDirectory,
    /// Drop the registration ([`Repo::remove_worktree`] on the missing path prunes it).
    Prune,
    /// Archive the branch ([`Repo::archive`]).
    Archive,
}

impl Orphan {
    /// Returns what `braid gc` should do about this leftover.
    pub fn remedy(&self) -> Remedy {
        match self {
            Orphan::DeadWorktree { .. } => Remedy::SnapshotArchiveRemove,
            Orphan::UnregisteredDir { .. } => Remedy::DeleteDirectory,
            Orphan::StaleRegistration { .. } => Remedy::Prune,
            Orphan::LooseBranch { .. } => Remedy::Archive,
        }
    }
}

impl Repo {
    /// Returns the registered worktrees under `.braid/worktrees/`, in git's order.
    ///
    /// Fails with [`GitError::Command`] when git fails.
    pub fn braid_worktrees(&self) -> Result<Vec<WorktreeEntry>, GitError> {
        let dir = self.worktrees_dir();
        Ok(self
            .worktree_entries()?
            .into_iter()
            .filter(|entry| entry.path.starts_with(&dir) && entry.path != dir)
            .map(|mut entry| {
                entry.attempt = attempt_of(&dir, &entry.path);
                entry
            })
            .collect())
    }

    /// Lists the leftovers of attempts for which `is_live(run, n)` is false: their registered worktrees,
    /// `braid/<run>/<n>` branches without a worktree, plus (whatever the attempt) directories under
    /// `.braid/worktrees` that git does not know and registrations whose directory is gone. A directory or
    /// branch of a live attempt is left out even when unregistered: it may be half-way through creation.
    ///
    /// Fails with [`GitError::Command`] when git fails and [`GitError::Io`] when `.braid/worktrees`
    /// cannot be read.
    pub fn orphans(&self, is_live: &dyn Fn(&str, u32) -> bool) -> Result<Vec<Orphan>, GitError> {
        let dir = self.worktrees_dir();
        let all = self.worktree_entries()?;
        let ours = self.braid_worktrees()?;
        let mut orphans = Vec::new();
        for entry in &ours {
            if entry.prunable || !entry.path.exists() {
                orphans.push(Orphan::StaleRegistration { path: entry.path.clone() });
            } else if let Some((run, n)) = &entry.attempt
                && !is_live(run, *n)
            {
                orphans.push(Orphan::DeadWorktree { run: run.clone(), n: *n, path: entry.path.clone() });
            }
        }
        let registered: BTreeSet<&Path> = ours.iter().map(|e| e.path.as_path()).collect();
        for run_dir in read_dirs(&dir)? {
            let children = read_dirs(&run_dir)?;
            if children.is_empty() && std::fs::read_dir(&run_dir).is_ok_and(|mut d| d.next().is_none()) {
                orphans.push(Orphan::UnregisteredDir { path: run_dir.clone() });
            }
            for path in children {
                if registered.contains(path.as_path()) {
                    continue;
                }
                let live = attempt_of(&dir, &path).is_some_and(|(run, n)| is_live(&run, n));
                if !live {
                    orphans.push(Orphan::UnregisteredDir { path });
                }
            }
        }
        for branch in self.branches(BRANCH_PREFIX)? {
            let Some((run, n)) = branch.name.strip_prefix(BRANCH_PREFIX).and_then(parse_run_n) else { continue };
            // A registration whose directory is gone does not count: it is pruned, which frees the branch.
            let checked_out =
                all.iter().any(|e| e.branch.as_deref() == Some(branch.name.as_str()) && !e.prunable && e.path.exists());
            if !checked_out && !is_live(&run, n) {
                orphans.push(Orphan::LooseBranch { run, n, branch: branch.name });
            }
        }
        Ok(orphans)
    }

    /// Returns every worktree git knows about, the main one first.
    pub(crate) fn worktree_entries(&self) -> Result<Vec<WorktreeEntry>, GitError> {
        let output = Git::new(self.root(), ["worktree", "list", "--porcelain", "-z"]).run()?;
        Ok(parse_worktree_list(&output.stdout))
    }
}

/// The attempt a path under `.braid/worktrees` belongs to, when it is exactly `<run>/<n>` there.
fn attempt_of(worktrees_dir: &Path, path: &Path) -> Option<(String, u32)> {
    let tail = path.strip_prefix(worktrees_dir).ok()?.to_str()?;
    parse_run_n(tail)
}

/// Returns the subdirectories of `dir` (none when `dir` does not exist), sorted.
fn read_dirs(dir: &Path) -> Result<Vec<PathBuf>, GitError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(GitError::io(dir, err)),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| GitError::io(dir, err))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Parses `git worktree list --porcelain -z`: NUL-terminated `key value` attributes, a worktree's
/// record ending with an empty attribute.
pub(crate) fn parse_worktree_list(bytes: &[u8]) -> Vec<WorktreeEntry> {
    let mut entries = Vec::new();
    let mut current: Option<WorktreeEntry> = None;
    for token in bytes.split(|&b| b == 0) {
        let token = String::from_utf8_lossy(token);
        let (key, value) = token.split_once(' ').unwrap_or((&token, ""));
        match key {
            "" => entries.extend(current.take()),
            "worktree" => {
                entries.extend(current.take());
                current = Some(WorktreeEntry { path: PathBuf::from(value), ..WorktreeEntry::default() });
            }
            _ => {
                let Some(entry) = current.as_mut() else { continue };
                match key {
                    "HEAD" => entry.head = Some(value.to_string()),
                    "branch" => entry.branch = Some(value.strip_prefix("refs/heads/").unwrap_or(value).to_string()),
                    "bare" => entry.bare = true,
                    "locked" => entry.locked = true,
                    "prunable" => entry.prunable = true,
                    _ => {}
                }
            }
        }
    }
    entries.extend(current);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_porcelain_z() {
        let out = b"worktree /r\0HEAD abc\0branch refs/heads/main\0\0worktree /r/.braid/worktrees/x/1\0HEAD def\0detached\0locked initializing\0prunable gitdir file points to non-existent location\0\0";
        let entries = parse_worktree_list(out);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].path, PathBuf::from("/r"));
        assert_eq!(entries[0].branch.as_deref(), Some("main"));
        assert_eq!(entries[1].head.as_deref(), Some("def"));
        assert_eq!(entries[1].branch, None);
        assert!(entries[1].locked && entries[1].prunable && !entries[1].bare);
        let bare = parse_worktree_list(b"worktree /b.git\0bare\0\0");
        assert!(bare[0].bare);
        assert!(parse_worktree_list(b"").is_empty());
    }
}
