//! A repository as braid sees it (the main worktree's root and the common git dir), and the life of an
//! attempt worktree in it: create, rebuild from disk, remove. Every change to `.git/worktrees` happens
//! under one cross-process lock.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::GitError;
use crate::cmd::Git;
use crate::names::{WORKTREES_DIR, branch_name, validate_run};

/// The file in a worktree's private git dir where braid records the attempt's base commit. Git ignores
/// unknown files there, and deletes it together with the worktree's registration.
const BASE_FILE: &str = "braid-base";

/// The lock file in the common git dir that serialises braid's changes to `.git/worktrees`.
const LOCK_FILE: &str = "braid-worktrees.lock";

/// A git repository with a main working tree, found by [`Repo::discover`].
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
    common_dir: PathBuf,
}

/// An attempt's worktree: `<root>/.braid/worktrees/<run>/<n>` on branch `braid/<run>/<n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// The run id the attempt belongs to.
    pub run: String,
    /// The attempt number within the run.
    pub n: u32,
    /// The worktree's directory (absolute).
    pub path: PathBuf,
    /// The attempt branch's short name, `braid/<run>/<n>`.
    pub branch: String,
    /// The full sha of the commit the attempt started from.
    pub base: String,
}

impl AsRef<Path> for Worktree {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// An exclusive hold on the repository's worktree lock; released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct WorktreeLock {
    _file: File,
}

impl Repo {
    /// Finds the repository containing `path`, even when `path` is inside a linked worktree (an attempt's
    /// own worktree included): the result always names the main worktree's root.
    ///
    /// Fails with [`GitError::Io`] when `path` cannot be read, [`GitError::NotARepository`] when it is not
    /// inside a git repository, [`GitError::BareRepository`] when the repository has no main working tree,
    /// and [`GitError::GitMissing`] when git is not installed.
    pub fn discover(path: impl AsRef<Path>) -> Result<Repo, GitError> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|err| GitError::io(path, err))?;
        // A file stands for its directory; a bare relative file name's parent is the empty path.
        let dir = match path.parent() {
            _ if meta.is_dir() => path,
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let probe = Git::new(dir, ["rev-parse", "--path-format=absolute", "--git-common-dir", "--is-bare-repository"]);
        let output = probe.output()?;
        if !output.success {
            if output.stderr.contains("not a git repository") {
                return Err(GitError::NotARepository { path: path.to_path_buf() });
            }
            return Err(probe.failed(&output));
        }
        let text = output.text();
        let mut lines = text.lines();
        let common_dir = PathBuf::from(lines.next().unwrap_or_default());
        if lines.next() == Some("true") {
            return Err(GitError::BareRepository { path: common_dir });
        }
        // The first entry of the worktree list is always the main worktree, wherever we were called from.
        let list = Git::new(dir, ["worktree", "list", "--porcelain", "-z"]).run()?;
        let first = crate::list::parse_worktree_list(&list.stdout).into_iter().next();
        match first {
            Some(entry) if !entry.bare => Ok(Repo { root: entry.path, common_dir }),
            _ => Err(GitError::BareRepository { path: common_dir }),
        }
    }

    /// Returns the main worktree's root directory (absolute, as git reports it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns the common git dir (usually `<root>/.git`), shared by every worktree.
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// Returns the directory an attempt's worktree lives in: `<root>/.braid/worktrees/<run>/<n>`.
    pub fn worktree_path(&self, run: &str, n: u32) -> PathBuf {
        self.worktrees_dir().join(run).join(n.to_string())
    }

    /// Returns `<root>/.braid/worktrees`, the directory holding every attempt worktree.
    pub fn worktrees_dir(&self) -> PathBuf {
        self.root.join(WORKTREES_DIR)
    }

    /// Resolves `rev` (a branch, tag, sha, `HEAD~2`, ...) to the full sha of the commit it names.
    ///
    /// Fails with [`GitError::UnknownRevision`] naming `rev` when it names no commit.
    pub fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        let spec = format!("{rev}^{{commit}}");
        let output = Git::new(&self.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]).output()?;
        if output.success {
            Ok(output.text())
        } else {
            Err(GitError::UnknownRevision { rev: rev.to_string(), repo: self.root.clone() })
        }
    }

    /// The branch `rev` names, if it is a branch name (`main`, `refs/heads/main`), or for `None` the branch
    /// the main worktree has checked out; `None` for a detached HEAD, a sha, a tag or an expression.
    pub fn branch_name(&self, rev: Option<&str>) -> Result<Option<String>, GitError> {
        let Some(rev) = rev else {
            let output = Git::new(&self.root, ["symbolic-ref", "--quiet", "--short", "HEAD"]).output()?;
            return Ok(output.success.then(|| output.text()).filter(|name| !name.is_empty()));
        };
        let name = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        let full = format!("refs/heads/{name}");
        let output = Git::new(&self.root, ["show-ref", "--verify", "--quiet", &full]).output()?;
        Ok(output.success.then(|| name.to_string()))
    }

    /// Creates attempt `n` of run `run`: a worktree at `<root>/.braid/worktrees/<run>/<n>` on a new branch
    /// `braid/<run>/<n>` at the commit `base` names, and records that base. Also makes sure `.braid/` is
    /// listed in the repository's `info/exclude`, so the user's `git status` never shows braid's state.
    ///
    /// Safe to call concurrently from threads and processes: registration happens under the repository's
    /// worktree lock, while the checkout of the files (the slow part) runs in parallel. Git's
    /// `post-checkout` hook is not run: preparing an attempt is the job of braid's own setup script.
    ///
    /// Fails with [`GitError::BadName`] for an invalid run id, [`GitError::UnknownRevision`] when `base`
    /// names no commit, [`GitError::Exists`] when the branch or the directory already exists, and
    /// [`GitError::Command`] when git fails; after a failure no branch, registration or directory is left.
    pub fn create_worktree(&self, run: &str, n: u32, base: &str) -> Result<Worktree, GitError> {
        validate_run(run)?;
        let base = self.resolve_commit(base)?;
        self.add_attempt_worktree(run, n, base, None, false)
    }

    /// Brings back attempt `n` of run `run` after `braid gc` archived it: a worktree at the usual place on
    /// branch `braid/<run>/<n>` at the archived commit, with `base` recorded as its base (so its diff still
    /// shows all of the attempt's work), and the archive ref dropped since the branch holds the commit
    /// again. This is how `braid run --resume` continues an interrupted attempt that gc collected.
    ///
    /// Fails with [`GitError::NoSuchBranch`] when there is no archive of the attempt,
    /// [`GitError::Exists`] when its branch or directory exists, and as `create_worktree` does otherwise.
    pub fn restore_worktree(&self, run: &str, n: u32, base: &str) -> Result<Worktree, GitError> {
        validate_run(run)?;
        let base = self.resolve_commit(base)?;
        self.add_attempt_worktree(run, n, base, Some(crate::names::archive_ref(run, n)), false)
    }

    /// Brings back attempt `n` of run `run` for `braid restore`: like [`Repo::restore_worktree`] from its
    /// archive ref, or, when its branch `braid/<run>/<n>` still exists, a worktree on that branch (an
    /// archive ref at the same commit is then dropped). `base` is recorded as the attempt's base.
    ///
    /// Fails with [`GitError::BranchMoved`] when the branch exists and the archive ref holds another
    /// commit, [`GitError::NoSuchBranch`] when there is neither, [`GitError::Exists`] when the directory
    /// exists, and as `create_worktree` does otherwise; the branch is never deleted by a failure.
    pub fn reopen_worktree(&self, run: &str, n: u32, base: &str) -> Result<Worktree, GitError> {
        validate_run(run)?;
        let base = self.resolve_commit(base)?;
        let branch = branch_name(run, n);
        let archive = crate::names::archive_ref(run, n);
        let tip = self.ref_commit(&format!("refs/heads/{branch}"))?;
        match (tip, self.ref_commit(&archive)?) {
            (None, _) => self.add_attempt_worktree(run, n, base, Some(archive), false),
            (Some(tip), Some(archived)) if tip != archived => {
                Err(GitError::BranchMoved { branch, tip, archive, archived })
            }
            (Some(_), archived) => self.add_attempt_worktree(run, n, base, archived.map(|_| archive), true),
        }
    }

    /// Registers and checks out attempt `n`'s worktree recording `base`. On a new branch at `base`, or,
    /// with `archive`, at the commit that archive ref holds (which is then dropped, the branch holding the
    /// commit again); with `existing`, on the branch as it is (the archive ref, at the same commit, is
    /// dropped). Leaves no new branch, registration or directory behind when it fails.
    fn add_attempt_worktree(
        &self,
        run: &str,
        n: u32,
        base: String,
        archive: Option<String>,
        existing: bool,
    ) -> Result<Worktree, GitError> {
        let path = self.worktree_path(run, n);
        let branch = branch_name(run, n);
        {
            let _lock = self.lock()?;
            self.ensure_excluded()?;
            let branch_tip = self.ref_commit(&format!("refs/heads/{branch}"))?;
            let start = match &archive {
                _ if existing => branch_tip
                    .clone()
                    .ok_or_else(|| GitError::NoSuchBranch { branch: branch.clone(), repo: self.root.clone() })?,
                None => base.clone(),
                Some(archive) => self
                    .ref_commit(archive)?
                    .ok_or_else(|| GitError::NoSuchBranch { branch: archive.clone(), repo: self.root.clone() })?,
            };
            if !existing && branch_tip.is_some() {
                return Err(GitError::Exists { what: format!("branch {branch}"), path: self.root.clone() });
            }
            if path.symlink_metadata().is_ok() {
                return Err(GitError::Exists { what: "attempt worktree directory".to_string(), path });
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|err| GitError::io(parent, err))?;
            }
            // Registering without checking out keeps the time under the lock short and independent of the
            // repository's size.
            let add = if existing {
                Git::new(&self.root, ["worktree", "add", "--quiet", "--no-checkout"]).arg(&path).arg(&branch).run()
            } else {
                Git::new(&self.root, ["worktree", "add", "--quiet", "--no-checkout", "-b", &branch])
                    .arg(&path)
                    .arg(&start)
                    .run()
            };
            let recorded = add.and_then(|_| self.write_base(&path, &base));
            if let Err(err) = recorded {
                self.undo_create(&path, (!existing).then_some(branch.as_str()));
                return Err(err);
            }
            if let Some(archive) = &archive {
                // The branch holds the commit now; a crash before this line leaves both at the same
                // commit, which `archive` accepts.
                Git::new(&self.root, ["update-ref", "-d", archive, &start]).run()?;
            }
        }
        // What `git worktree add` itself runs after registering: fill the index and the files from HEAD.
        if let Err(err) = Git::new(&path, ["reset", "--hard", "--quiet", "--no-recurse-submodules"]).run() {
            if let Ok(_lock) = self.lock() {
                self.undo_create(&path, (!existing).then_some(branch.as_str()));
            }
            return Err(err);
        }
        Ok(Worktree { run: run.to_string(), n, path, branch, base })
    }

    /// Rebuilds attempt `n` of run `run` from disk (its directory, registration and recorded base).
    ///
    /// Fails with [`GitError::BadName`] for an invalid run id and [`GitError::NotAWorktree`] when the
    /// directory is missing, is not a worktree of this repository, or has no recorded base.
    pub fn worktree(&self, run: &str, n: u32) -> Result<Worktree, GitError> {
        validate_run(run)?;
        let path = self.worktree_path(run, n);
        let not = |reason: &str| GitError::NotAWorktree { path: path.clone(), reason: reason.to_string() };
        if !path.is_dir() {
            return Err(not("the directory does not exist"));
        }
        let top = Git::new(&path, ["rev-parse", "--show-toplevel"]).text().map_err(|_| not("git does not know it"))?;
        if Path::new(&top) != path {
            return Err(not("it is not registered with git (a crash before registration?)"));
        }
        let base_file = self.private_git_path(&path, BASE_FILE)?;
        let base =
            std::fs::read_to_string(&base_file).map_err(|_| not("braid's record of its base commit is missing"))?;
        Ok(Worktree { run: run.to_string(), n, path, branch: branch_name(run, n), base: base.trim().to_string() })
    }

    /// Removes the attempt worktree at `worktree` (a [`Worktree`] or its path) with `git worktree
    /// remove`; when its directory is already gone, prunes the stale registration instead. Never deletes a
    /// branch: the attempt's commits stay on `braid/<run>/<n>` (see [`Repo::archive`]).
    ///
    /// Fails with [`GitError::NotAWorktree`] for a path outside `.braid/worktrees`, with
    /// [`GitError::Dirty`] when the worktree has uncommitted or untracked (not ignored) changes and
    /// `force` is false, and with [`GitError::Command`] when git fails.
    pub fn remove_worktree(&self, worktree: impl AsRef<Path>, force: bool) -> Result<(), GitError> {
        let path = worktree.as_ref();
        if !path.starts_with(self.worktrees_dir()) || path == self.worktrees_dir() {
            return Err(GitError::NotAWorktree {
                path: path.to_path_buf(),
                reason: format!("braid only removes worktrees under {}", self.worktrees_dir().display()),
            });
        }
        if path.symlink_metadata().is_err() {
            let _lock = self.lock()?;
            // Prune only drops registrations whose directory is gone, which git's own gc would drop too.
            Git::new(&self.root, ["worktree", "prune"]).run()?;
        } else {
            // Alone, like creates: `git worktree remove` reads every entry of `.git/worktrees`, so a
            // removal running beside another one fails on the entry the other is deleting ("failed to
            // read .git/worktrees/7/commondir", seen with eight removals from threads).
            let _lock = self.lock()?;
            let mut remove = Git::new(&self.root, ["worktree", "remove"]);
            if force {
                // Twice: also removes a worktree that is locked (e.g. by a crashed `git worktree add`).
                remove = remove.arg("--force").arg("--force");
            }
            let remove = remove.arg(path);
            let output = remove.output()?;
            if !output.success {
                // Git checks for changes itself (one status scan instead of two); its refusal is ours.
                if !force && output.stderr.contains("contains modified or untracked files") {
                    return Err(GitError::Dirty { path: path.to_path_buf() });
                }
                return Err(remove.failed(&output));
            }
        }
        // The run's directory goes once its last attempt is gone; a non-empty one simply stays.
        if let Some(parent) = path.parent().filter(|p| *p != self.worktrees_dir()) {
            let _ = std::fs::remove_dir(parent);
        }
        Ok(())
    }

    /// Returns the commit a full ref name points at, or `None` when the ref does not exist.
    pub(crate) fn ref_commit(&self, reference: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{reference}^{{commit}}");
        let check = Git::new(&self.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]);
        let output = check.output()?;
        match output.code {
            Some(0) => Ok(Some(output.text())),
            Some(1) => Ok(None),
            _ => Err(check.failed(&output)),
        }
    }

    /// Takes the repository's worktree lock exclusively, waiting for other threads and processes that hold
    /// it; the lock file is opened (created if needed) for it.
    pub(crate) fn lock(&self) -> Result<WorktreeLock, GitError> {
        let path = self.common_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| GitError::io(&path, err))?;
        file.lock().map_err(|err| GitError::io(&path, err))?;
        Ok(WorktreeLock { _file: file })
    }

    /// Appends `/.braid/` to `<common-dir>/info/exclude` unless an entry for it is already there, keeping
    /// the file's existing bytes. Called with the worktree lock held so concurrent creates append once.
    pub fn ensure_excluded(&self) -> Result<(), GitError> {
        let info = self.common_dir.join("info");
        let exclude = info.join("exclude");
        let existing = match std::fs::read(&exclude) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(GitError::io(&exclude, err)),
        };
        let listed = String::from_utf8_lossy(&existing)
            .lines()
            .any(|line| matches!(line.trim(), ".braid" | ".braid/" | "/.braid" | "/.braid/"));
        if listed {
            return Ok(());
        }
        std::fs::create_dir_all(&info).map_err(|err| GitError::io(&info, err))?;
        let mut addition = String::new();
        if !existing.is_empty() && !existing.ends_with(b"\n") {
            addition.push('\n');
        }
        addition.push_str("# braid's state and attempt worktrees (added by braid)\n/.braid/\n");
        let mut file =
            OpenOptions::new().create(true).append(true).open(&exclude).map_err(|err| GitError::io(&exclude, err))?;
        file.write_all(addition.as_bytes()).map_err(|err| GitError::io(&exclude, err))
    }

    /// Returns the absolute path of `name` in the private git dir of the worktree at `worktree`.
    fn private_git_path(&self, worktree: &Path, name: &str) -> Result<PathBuf, GitError> {
        let path = Git::new(worktree, ["rev-parse", "--path-format=absolute", "--git-path", name]).text()?;
        Ok(PathBuf::from(path))
    }

    /// Records `base` as the base commit of the freshly registered worktree at `path`.
    fn write_base(&self, path: &Path, base: &str) -> Result<(), GitError> {
        let file = self.private_git_path(path, BASE_FILE)?;
        std::fs::write(&file, format!("{base}\n")).map_err(|err| GitError::io(&file, err))
    }

    /// Best-effort undo of a failed create, with the lock held: unregister and delete the worktree, delete
    /// the branch when it was created here. Errors are ignored on purpose: the caller reports the failure
    /// that got us here, and whatever cannot be undone now is listed by [`Repo::orphans`] for `braid gc`.
    fn undo_create(&self, path: &Path, branch: Option<&str>) {
        let _ = Git::new(&self.root, ["worktree", "remove", "--force", "--force"]).arg(path).output();
        if path.symlink_metadata().is_ok() {
            let _ = std::fs::remove_dir_all(path);
        }
        let _ = Git::new(&self.root, ["worktree", "prune"]).output();
        if let Some(branch) = branch {
            let _ = Git::new(&self.root, ["update-ref", "-d", &format!("refs/heads/{branch}")]).output();
        }
        if let Some(parent) = path.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}
