//! Reading the repository root, branch and commit straight from `.git`, without spawning git, so that
//! building a session's context costs no process and works in linked worktrees.

use std::fs;
use std::path::{Path, PathBuf};

/// Where a directory's repository is and what is checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitInfo {
    /// The top of the working tree.
    pub root: PathBuf,
    /// The branch name, or `None` for a detached HEAD.
    pub branch: Option<String>,
    /// The commit HEAD points at, when it can be resolved (an unborn branch has none).
    pub sha: Option<String>,
}

/// Finds the repository containing `dir` by walking up to the first `.git` (a directory, or a file
/// pointing at a linked worktree's git dir). Returns `None` outside a repository.
pub fn discover(dir: &Path) -> Option<GitInfo> {
    let mut current = Some(dir);
    while let Some(candidate) = current {
        let dot_git = candidate.join(".git");
        if let Some(git_dir) = git_dir_of(&dot_git) {
            let (branch, sha) = read_head(&git_dir);
            return Some(GitInfo { root: candidate.to_path_buf(), branch, sha });
        }
        current = candidate.parent();
    }
    None
}

/// The git dir behind a `.git` entry: the directory itself, or the target of a `gitdir:` file.
fn git_dir_of(dot_git: &Path) -> Option<PathBuf> {
    let meta = fs::metadata(dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    let text = fs::read_to_string(dot_git).ok()?;
    let target = text.strip_prefix("gitdir:")?.trim();
    let parent = dot_git.parent()?;
    Some(parent.join(target))
}

/// The branch and commit of HEAD in `git_dir`.
fn read_head(git_dir: &Path) -> (Option<String>, Option<String>) {
    let Ok(head) = fs::read_to_string(git_dir.join("HEAD")) else {
        return (None, None);
    };
    let head = head.trim();
    match head.strip_prefix("ref:") {
        Some(reference) => {
            let reference = reference.trim();
            let branch = reference.strip_prefix("refs/heads/").unwrap_or(reference).to_string();
            (Some(branch), resolve_ref(git_dir, reference))
        }
        None => (None, Some(head.to_string())),
    }
}

/// Resolves a ref through the loose ref file or `packed-refs`. Linked worktrees keep shared refs in the
/// common dir named by their `commondir` file, so both places are searched.
fn resolve_ref(git_dir: &Path, reference: &str) -> Option<String> {
    let mut dirs = vec![git_dir.to_path_buf()];
    if let Ok(common) = fs::read_to_string(git_dir.join("commondir")) {
        dirs.push(git_dir.join(common.trim()));
    }
    for dir in &dirs {
        if let Ok(sha) = fs::read_to_string(dir.join(reference)) {
            return Some(sha.trim().to_string());
        }
        if let Ok(packed) = fs::read_to_string(dir.join("packed-refs")) {
            let found = packed.lines().find_map(|line| {
                let (sha, name) = line.split_once(' ')?;
                (name.trim() == reference).then(|| sha.to_string())
            });
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_test_support::TempRepo;

    #[test]
    fn reads_branch_and_sha_like_git_does() {
        let repo = TempRepo::new();
        std::fs::create_dir_all(repo.path().join("a/b")).unwrap();
        let info = discover(&repo.path().join("a/b")).unwrap();
        assert_eq!(info.root, repo.path());
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(info.sha.as_deref(), Some(repo.git(&["rev-parse", "HEAD"]).trim()));
    }

    #[test]
    fn follows_packed_refs_and_linked_worktrees() {
        let repo = TempRepo::new();
        repo.git(&["pack-refs", "--all"]);
        let wt = tempfile::tempdir().unwrap();
        let wt_path = wt.path().join("wt");
        repo.git(&["worktree", "add", "-b", "feature", wt_path.to_str().unwrap()]);
        let info = discover(&wt_path).unwrap();
        assert_eq!(info.branch.as_deref(), Some("feature"));
        assert_eq!(info.sha.as_deref(), Some(repo.git(&["rev-parse", "HEAD"]).trim()));
    }

    #[test]
    fn outside_a_repository_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(discover(dir.path()), None);
    }
}
