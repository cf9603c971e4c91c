//! What an attempt changed: its diff against its base (committed, uncommitted and untracked files alike,
//! without touching the worktree's own index), and the snapshot commit of its result.

use std::path::Path;

use crate::GitError;
use crate::cmd::Git;
use crate::repo::{Repo, Worktree};

/// An attempt's change against its base commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// The unified diff (`a/` and `b/` prefixes, binary files as git binary patches), applicable with
    /// `git apply`.
    pub patch: String,
    /// One entry per changed file, in git's order.
    pub files: Vec<FileStat>,
    /// Lines added over all text files.
    pub insertions: u64,
    /// Lines removed over all text files.
    pub deletions: u64,
}

/// How one file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// The file's path after the change (relative to the worktree root).
    pub path: String,
    /// The path before a rename or copy.
    pub old_path: Option<String>,
    /// What happened to the file.
    pub status: FileStatus,
    /// Lines added (0 for a binary file).
    pub insertions: u64,
    /// Lines removed (0 for a binary file).
    pub deletions: u64,
    /// Whether git treats the file as binary (and so counts no lines).
    pub binary: bool,
}

/// The kind of change git reports for a file (`--name-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// The file's type changed (regular file, symlink, submodule).
    TypeChanged,
    /// A status letter this version of braid does not know.
    Other(char),
}

impl FileStatus {
    fn from_letter(letter: char) -> FileStatus {
        match letter {
            'A' => FileStatus::Added,
            'M' => FileStatus::Modified,
            'D' => FileStatus::Deleted,
            'R' => FileStatus::Renamed,
            'C' => FileStatus::Copied,
            'T' => FileStatus::TypeChanged,
            other => FileStatus::Other(other),
        }
    }
}

/// Diff options that make the output independent of the user's diff configuration (colour, prefixes,
/// external drivers, relative paths), since braid parses and applies it.
const DIFF_FLAGS: [&str; 6] =
    ["--no-color", "--no-ext-diff", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "--find-renames"];

impl Repo {
    /// Returns the change of `worktree` against its base: commits on its branch plus uncommitted and
    /// untracked (not ignored) files. The worktree's own index is left alone: the files are staged into a
    /// temporary copy of it.
    ///
    /// Fails with [`GitError::Command`] when git fails and [`GitError::Io`] when the temporary index
    /// cannot be made.
    pub fn diff(&self, worktree: &Worktree) -> Result<Diff, GitError> {
        let staged = StagedCopy::new(&worktree.path)?;
        staged.diff_against(&worktree.base)
    }

    /// Returns the uncommitted change of the main checkout (staged, unstaged and untracked files, ignored
    /// ones not) against HEAD, and a snapshot commit holding that state, which no ref points at: it lets
    /// the change be checked out elsewhere. The user's index is left alone (a temporary copy is staged).
    ///
    /// Fails with [`GitError::UnknownRevision`] when HEAD has no commit yet and [`GitError::Command`]
    /// when git fails.
    pub fn diff_uncommitted(&self) -> Result<Uncommitted, GitError> {
        let head = self.resolve_commit("HEAD")?;
        let staged = StagedCopy::new(self.root())?;
        let diff = staged.diff_against(&head)?;
        let tree = Git::new(self.root(), ["write-tree"]).env("GIT_INDEX_FILE", &staged.index).text()?;
        let snapshot = identity(self.root())?
            .args(["commit-tree", tree.as_str(), "-p", head.as_str(), "-m", "braid: snapshot of uncommitted changes"])
            .text()?;
        Ok(Uncommitted { head, diff, snapshot })
    }

    /// Returns the change from commit `base` to commit `commit` (both revisions git understands), as
    /// [`Repo::diff`] reports an attempt's: this is how an attempt is read after its worktree is gone.
    ///
    /// Fails with [`GitError::UnknownRevision`] when either names no commit and [`GitError::Command`]
    /// when git fails.
    pub fn diff_commits(&self, base: &str, commit: &str) -> Result<Diff, GitError> {
        let base = self.resolve_commit(base)?;
        let commit = self.resolve_commit(commit)?;
        let between = |format: &[&str]| {
            Git::new(self.root(), ["diff"])
                .args(DIFF_FLAGS)
                .args(format.iter().copied())
                .arg(&base)
                .arg(&commit)
                .arg("--")
                .run()
        };
        collect_diff(between)
    }

    /// The best common ancestor of `a` and `b` (what `a...b` diffs from).
    ///
    /// Fails with [`GitError::UnknownRevision`] when either names no commit, and
    /// [`GitError::NoMergeBase`] when the two histories share no commit.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<String, GitError> {
        let a = self.resolve_commit(a)?;
        let b = self.resolve_commit(b)?;
        let git = Git::new(self.root(), ["merge-base", a.as_str(), b.as_str()]);
        let output = git.output()?;
        match output.code {
            Some(0) => Ok(output.text()),
            Some(1) => Err(GitError::NoMergeBase { a, b, repo: self.root().to_path_buf() }),
            _ => Err(git.failed(&output)),
        }
    }

    /// The first parent of `commit`, or `None` for a root commit.
    ///
    /// Fails with [`GitError::UnknownRevision`] when `commit` names no commit.
    pub fn parent(&self, commit: &str) -> Result<Option<String>, GitError> {
        let commit = self.resolve_commit(commit)?;
        let output = Git::new(self.root(), ["rev-parse", "--verify", "--quiet", &format!("{commit}^1")]).output()?;
        Ok(output.success.then(|| output.text()))
    }

    /// The contents of `path` (relative to the root) in `commit`, or `None` when the commit has no such
    /// file.
    ///
    /// Fails with [`GitError::UnknownRevision`] when `commit` names no commit.
    pub fn file_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.resolve_commit(commit)?;
        let output = Git::new(self.root(), ["cat-file", "blob", &format!("{commit}:{path}")]).output()?;
        Ok(output.success.then_some(output.stdout))
    }

    /// Stages everything in `worktree` (untracked files included, ignored ones not) and commits it on the
    /// attempt's branch with `message`. Returns the new commit's sha, or `None` when there was nothing to
    /// commit.
    ///
    /// The author and committer are the user's git identity when one is configured, otherwise
    /// `braid <braid@localhost>` (given on the command line; no config is written).
    ///
    /// Fails with [`GitError::NotAWorktree`] when the worktree's HEAD is not on its branch (for example
    /// after [`Repo::archive`]) and [`GitError::Command`] when git fails.
    pub fn commit_all(&self, worktree: &Worktree, message: &str) -> Result<Option<String>, GitError> {
        let dir = worktree.path.as_path();
        let head = Git::new(dir, ["symbolic-ref", "--quiet", "HEAD"]).output()?;
        if !head.success || head.text() != format!("refs/heads/{}", worktree.branch) {
            return Err(GitError::NotAWorktree {
                path: dir.to_path_buf(),
                reason: format!("its HEAD is not on branch {} (was the attempt archived?)", worktree.branch),
            });
        }
        Git::new(dir, ["add", "-A"]).run()?;
        let staged = Git::new(dir, ["diff", "--cached", "--quiet"]);
        let output = staged.output()?;
        match output.code {
            Some(0) => return Ok(None),
            Some(1) => {}
            _ => return Err(staged.failed(&output)),
        }
        let commit = identity(dir)?;
        // These are braid's internal snapshots of an attempt, not the user's commits: pre-commit and
        // commit-msg hooks (linters, ticket-number checks) would reject or rewrite work in progress, and
        // the checks braid runs on an attempt are its own. Signing configuration is still honoured.
        commit.arg("commit").arg("--no-verify").arg("--quiet").arg("-m").arg(message).run()?;
        Ok(Some(Git::new(dir, ["rev-parse", "HEAD"]).text()?))
    }
}

/// The uncommitted state of the main checkout: see [`Repo::diff_uncommitted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncommitted {
    /// The commit HEAD pointed at.
    pub head: String,
    /// The change against `head`.
    pub diff: Diff,
    /// A commit (child of `head`, on no branch) whose tree is the checkout's files as they are.
    pub snapshot: String,
}

/// Every file of a checkout staged into a temporary copy of its index, so that its state can be diffed
/// and written as a tree without touching the index the user (or the agent) works with.
struct StagedCopy<'a> {
    dir: &'a Path,
    index: std::path::PathBuf,
    // Removed on drop, taking the temporary index with it.
    _temp: tempfile::TempDir,
}

impl<'a> StagedCopy<'a> {
    fn new(dir: &'a Path) -> Result<StagedCopy<'a>, GitError> {
        let index = Git::new(dir, ["rev-parse", "--path-format=absolute", "--git-path", "index"]).text()?;
        let index = Path::new(&index);
        let private = index.parent().unwrap_or(dir);
        let temp = tempfile::Builder::new()
            .prefix("braid-diff-")
            .tempdir_in(private)
            .map_err(|err| GitError::io(private, err))?;
        let temp_index = temp.path().join("index");
        if index.exists() {
            // Starting from a copy keeps git's cached file stats, so staging does not rehash every file.
            std::fs::copy(index, &temp_index).map_err(|err| GitError::io(index, err))?;
        }
        Git::new(dir, ["add", "-A"]).env("GIT_INDEX_FILE", &temp_index).run()?;
        Ok(StagedCopy { dir, index: temp_index, _temp: temp })
    }

    fn diff_against(&self, base: &str) -> Result<Diff, GitError> {
        let cached = |format: &[&str]| {
            Git::new(self.dir, ["diff", "--cached"])
                .env("GIT_INDEX_FILE", &self.index)
                .args(DIFF_FLAGS)
                .args(format.iter().copied())
                .arg(base)
                .arg("--")
                .run()
        };
        collect_diff(cached)
    }
}

/// A git command line in `dir` that commits as the user's configured identity, or as
/// `braid <braid@localhost>` where none is configured (given on the command line; no config is written).
pub(crate) fn identity(dir: &Path) -> Result<Git<'_>, GitError> {
    let mut git = Git::new(dir, std::iter::empty::<&str>());
    for (key, fallback) in [("user.name", "braid"), ("user.email", "braid@localhost")] {
        if !Git::new(dir, ["config", "--get", key]).output()?.success {
            git = git.arg("-c").arg(format!("{key}={fallback}"));
        }
    }
    Ok(git)
}

/// Builds a [`Diff`] from one git diff command line run three ways (`run` adds the output format): the
/// binary patch, the line counts and the file statuses.
fn collect_diff(run: impl Fn(&[&str]) -> Result<crate::cmd::Output, GitError>) -> Result<Diff, GitError> {
    let patch = run(&["--binary"])?;
    let numstat = run(&["--numstat", "-z"])?;
    let names = run(&["--name-status", "-z"])?;
    let mut files = parse_name_status(&names.stdout);
    apply_numstat(&mut files, &numstat.stdout);
    Ok(Diff {
        patch: String::from_utf8_lossy(&patch.stdout).into_owned(),
        insertions: files.iter().map(|f| f.insertions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        files,
    })
}

/// Parses `git diff --name-status -z`: a status token, then one path (two for renames and copies).
fn parse_name_status(bytes: &[u8]) -> Vec<FileStat> {
    let mut tokens = bytes.split(|&b| b == 0).map(|t| String::from_utf8_lossy(t).into_owned());
    let mut files = Vec::new();
    while let Some(status) = tokens.next() {
        let Some(letter) = status.chars().next() else { continue };
        let status = FileStatus::from_letter(letter);
        let first = tokens.next().unwrap_or_default();
        let (old_path, path) = if matches!(status, FileStatus::Renamed | FileStatus::Copied) {
            (Some(first), tokens.next().unwrap_or_default())
        } else {
            (None, first)
        };
        files.push(FileStat { path, old_path, status, insertions: 0, deletions: 0, binary: false });
    }
    files
}

/// Fills line counts from `git diff --numstat -z`: `<ins>\t<del>\t<path>` or, for a rename,
/// `<ins>\t<del>\t` followed by the old and new path as two more tokens; `-` counts mean binary.
fn apply_numstat(files: &mut [FileStat], bytes: &[u8]) {
    let mut tokens = bytes.split(|&b| b == 0).map(|t| String::from_utf8_lossy(t).into_owned());
    while let Some(token) = tokens.next() {
        let mut fields = token.splitn(3, '\t');
        let (Some(ins), Some(del), Some(path)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let path = if path.is_empty() {
            let _old = tokens.next();
            tokens.next().unwrap_or_default()
        } else {
            path.to_string()
        };
        if let Some(file) = files.iter_mut().find(|f| f.path == path) {
            file.binary = ins == "-" && del == "-";
            file.insertions = ins.parse().unwrap_or(0);
            file.deletions = del.parse().unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(path: &str, old: Option<&str>, status: FileStatus, ins: u64, del: u64, binary: bool) -> FileStat {
        FileStat {
            path: path.to_string(),
            old_path: old.map(str::to_string),
            status,
            insertions: ins,
            deletions: del,
            binary,
        }
    }

    fn check(names: &[u8], numstat: &[u8], expected: Vec<FileStat>) {
        let mut files = parse_name_status(names);
        apply_numstat(&mut files, numstat);
        assert_eq!(files, expected);
    }

    #[test]
    fn parses_git_z_output() {
        check(b"", b"", vec![]);
        check(
            b"M\0src/a b.rs\0A\0new\0D\0gone\0",
            b"3\t1\tsrc/a b.rs\x002\t0\tnew\x000\t4\tgone\0",
            vec![
                stat("src/a b.rs", None, FileStatus::Modified, 3, 1, false),
                stat("new", None, FileStatus::Added, 2, 0, false),
                stat("gone", None, FileStatus::Deleted, 0, 4, false),
            ],
        );
        check(
            b"R087\0old.txt\0new.txt\0A\0pic.png\0",
            b"1\t1\t\0old.txt\0new.txt\0-\t-\tpic.png\0",
            vec![
                stat("new.txt", Some("old.txt"), FileStatus::Renamed, 1, 1, false),
                stat("pic.png", None, FileStatus::Added, 0, 0, true),
            ],
        );
        check(
            b"T\0link\0X\0odd\0",
            b"",
            vec![
                stat("link", None, FileStatus::TypeChanged, 0, 0, false),
                stat("odd", None, FileStatus::Other('X'), 0, 0, false),
            ],
        );
    }
}
