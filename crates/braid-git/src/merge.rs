//! Merging an attempt into one of the user's branches: the one place braid changes a branch of the user,
//! and only when the user asks for it (`braid pick --merge` or `--squash`).
//!
//! The result is computed first without touching anything (`git merge-tree --write-tree` and `git
//! commit-tree` write only objects), so a conflict leaves the repository as it was. Only then is the
//! branch moved: with `git merge --ff-only` in the worktree that has it checked out (git carries the
//! user's unrelated uncommitted changes across, exactly as for their own fast-forward), or with a
//! compare-and-swap `git update-ref` when no worktree has it checked out.

use std::path::{Path, PathBuf};

use crate::GitError;
use crate::cmd::Git;
use crate::repo::Repo;

/// How the attempt's work lands on the target branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeHow {
    /// A fast-forward when the target's tip is an ancestor of the attempt, else a merge commit with the
    /// target's tip and the attempt as parents.
    Merge,
    /// One new commit on top of the target with the merged tree, the target's tip as its only parent.
    Squash,
}

/// What a merge did to the target branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    /// The branch moved forward to the attempt's commit; no new commit was made.
    FastForward,
    /// A new merge commit joins the branch's old tip and the attempt.
    MergeCommit,
    /// A new single-parent commit holds the attempt's work.
    Squash,
    /// The attempt's work was already on the branch: nothing changed.
    UpToDate,
}

impl MergeKind {
    /// The kind's name in snake case, as braid's JSON output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeKind::FastForward => "fast_forward",
            MergeKind::MergeCommit => "merge_commit",
            MergeKind::Squash => "squash",
            MergeKind::UpToDate => "up_to_date",
        }
    }
}

/// What [`Repo::merge_into`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The target branch's short name.
    pub branch: String,
    pub kind: MergeKind,
    /// The branch's tip before the merge.
    pub old_tip: String,
    /// The branch's tip after the merge (equal to `old_tip` for [`MergeKind::UpToDate`]).
    pub new_tip: String,
    /// The worktree that has the branch checked out and whose files were updated, if any.
    pub worktree: Option<PathBuf>,
}

impl Repo {
    /// Merges `commit` into branch `target` as `how` says, using `message` for a new commit (a merge
    /// commit or the squashed commit). Returns what happened; when `commit` is already on the branch,
    /// nothing changes and the kind is [`MergeKind::UpToDate`].
    ///
    /// Nothing changes either when the merge fails: fails with [`GitError::NoSuchBranch`] when `target`
    /// is not a local branch, [`GitError::UnknownRevision`] when `commit` names no commit,
    /// [`GitError::MergeConflict`] listing the conflicting paths, [`GitError::DirtyPaths`] when the
    /// branch is checked out in a worktree where a path the merge changes has uncommitted, staged or
    /// untracked changes, and [`GitError::Command`] when git fails (including when the branch moved
    /// while merging: the final update checks the old tip).
    pub fn merge_into(
        &self,
        target: &str,
        commit: &str,
        how: MergeHow,
        message: &str,
    ) -> Result<MergeOutcome, GitError> {
        let name = target.strip_prefix("refs/heads/").unwrap_or(target);
        let full = format!("refs/heads/{name}");
        let old_tip = self
            .ref_commit(&full)?
            .ok_or_else(|| GitError::NoSuchBranch { branch: name.to_string(), repo: self.root().to_path_buf() })?;
        let commit = self.resolve_commit(commit)?;
        let outcome = |kind, new_tip: String, worktree| MergeOutcome {
            branch: name.to_string(),
            kind,
            old_tip: old_tip.clone(),
            new_tip,
            worktree,
        };
        if self.is_ancestor(&commit, &old_tip)? {
            return Ok(outcome(MergeKind::UpToDate, old_tip.clone(), None));
        }
        let (kind, new_tip) = match how {
            MergeHow::Merge if self.is_ancestor(&old_tip, &commit)? => (MergeKind::FastForward, commit.clone()),
            MergeHow::Merge => {
                let tree = self.merged_tree(name, &old_tip, &commit)?;
                (MergeKind::MergeCommit, self.commit_tree(&tree, &[&old_tip, &commit], message)?)
            }
            MergeHow::Squash => {
                let tree = self.merged_tree(name, &old_tip, &commit)?;
                if tree == Git::new(self.root(), ["rev-parse", &format!("{old_tip}^{{tree}}")]).text()? {
                    return Ok(outcome(MergeKind::UpToDate, old_tip.clone(), None));
                }
                (MergeKind::Squash, self.commit_tree(&tree, &[&old_tip], message)?)
            }
        };
        let worktree = self.move_branch(name, &old_tip, &new_tip)?;
        Ok(outcome(kind, new_tip, worktree))
    }

    /// Returns the paths with uncommitted changes in the worktree at `dir`: modified, staged, deleted,
    /// renamed (both names) and untracked files, but not ignored ones, sorted.
    ///
    /// Fails with [`GitError::Command`] when git fails (for example when `dir` is not a worktree).
    pub fn dirty_paths(&self, dir: &Path) -> Result<Vec<String>, GitError> {
        let output = Git::new(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]).run()?;
        let mut paths = Vec::new();
        let mut tokens = output.stdout.split(|&b| b == 0);
        while let Some(token) = tokens.next() {
            let token = String::from_utf8_lossy(token);
            let Some(path) = token.get(3..) else { continue };
            paths.push(path.to_string());
            // A rename or copy is followed by its source path as a token of its own.
            if (token.starts_with('R') || token.starts_with('C'))
                && let Some(source) = tokens.next()
            {
                paths.push(String::from_utf8_lossy(source).into_owned());
            }
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let check = Git::new(self.root(), ["merge-base", "--is-ancestor", ancestor, descendant]);
        let output = check.output()?;
        match output.code {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(check.failed(&output)),
        }
    }

    /// The tree of merging `theirs` into `ours`, written as objects only; fails with
    /// [`GitError::MergeConflict`] naming the conflicting paths.
    fn merged_tree(&self, branch: &str, ours: &str, theirs: &str) -> Result<String, GitError> {
        let merge =
            Git::new(self.root(), ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs]);
        let output = merge.output()?;
        let mut tokens = output.stdout.split(|&b| b == 0).map(|t| String::from_utf8_lossy(t).into_owned());
        let tree = tokens.next().unwrap_or_default();
        match output.code {
            Some(0) if !tree.is_empty() => Ok(tree),
            Some(1) => Err(GitError::MergeConflict {
                branch: branch.to_string(),
                commit: theirs.to_string(),
                paths: tokens.filter(|t| !t.is_empty()).collect(),
            }),
            _ => Err(merge.failed(&output)),
        }
    }

    /// Writes a commit of `tree` with `parents` and `message`, returning its sha. The author and committer
    /// are the user's identity, or braid's fallback when none is configured.
    fn commit_tree(&self, tree: &str, parents: &[&str], message: &str) -> Result<String, GitError> {
        let mut git = crate::diff::identity(self.root())?.args(["commit-tree", tree]);
        for parent in parents {
            git = git.arg("-p").arg(parent);
        }
        git.arg("-m").arg(message).text()
    }

    /// Moves branch `name` from `old_tip` to `new_tip` (a descendant of it). Where a worktree has the
    /// branch checked out, its files follow with `git merge --ff-only` after checking that none of the
    /// paths that change there is dirty; returns that worktree. Elsewhere only the ref moves.
    fn move_branch(&self, name: &str, old_tip: &str, new_tip: &str) -> Result<Option<PathBuf>, GitError> {
        let checked_out = self
            .worktree_entries()?
            .into_iter()
            .find(|entry| entry.branch.as_deref() == Some(name) && !entry.prunable && entry.path.is_dir());
        let Some(entry) = checked_out else {
            let message = format!("braid: merge into {name}");
            let full = format!("refs/heads/{name}");
            Git::new(self.root(), ["update-ref", "-m", &message, &full, new_tip, old_tip]).run()?;
            return Ok(None);
        };
        let changed = Git::new(self.root(), ["diff", "--name-only", "-z", "--no-renames", old_tip, new_tip]).run()?;
        let changed: Vec<String> = changed
            .stdout
            .split(|&b| b == 0)
            .filter(|t| !t.is_empty())
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect();
        let in_the_way: Vec<String> = self
            .dirty_paths(&entry.path)?
            .into_iter()
            .filter(|dirty| changed.iter().any(|path| overlaps(dirty, path)))
            .collect();
        if !in_the_way.is_empty() {
            return Err(GitError::DirtyPaths { branch: name.to_string(), worktree: entry.path, paths: in_the_way });
        }
        // Hooks (post-merge) run as for the user's own fast-forward: this is their branch and their request.
        Git::new(&entry.path, ["merge", "--ff-only", "--quiet", new_tip]).run()?;
        Ok(Some(entry.path))
    }
}

/// Whether two repository paths are the same file or one is a directory holding the other.
fn overlaps(a: &str, b: &str) -> bool {
    let under = |inner: &str, outer: &str| inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('/'));
    a == b || under(a, b) || under(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_paths() {
        let check = |a: &str, b: &str, expected: bool| assert_eq!(overlaps(a, b), expected, "{a} {b}");
        check("a.txt", "a.txt", true);
        check("src", "src/lib.rs", true);
        check("src/lib.rs", "src", true);
        check("src2/x", "src/x", false);
        check("src/lib.rs", "src/lib.rs.orig", false);
    }
}
