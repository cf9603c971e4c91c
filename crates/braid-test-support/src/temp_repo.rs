//! Temporary git repositories for tests: a fresh repo on branch `main` with a local identity and one
//! initial commit, plus helpers to write, read and commit files and to run git in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A git repository in a temporary directory, deleted when dropped.
#[derive(Debug)]
pub struct TempRepo {
    dir: TempDir,
}

impl TempRepo {
    /// Creates a temp dir, runs `git init -b main`, sets a local user name and email, and commits a README.
    ///
    /// Panics when the directory cannot be created or git fails (the panic carries git's stderr).
    pub fn new() -> TempRepo {
        let dir = tempfile::Builder::new()
            .prefix("braid-repo-")
            .tempdir()
            .expect("TempRepo: cannot create a temporary directory");
        let repo = TempRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Braid Test"]);
        repo.git(&["config", "user.email", "braid-test@example.invalid"]);
        // A user's global signing setup must not make test commits prompt or fail.
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.write("README.md", "# test repository\n");
        repo.commit_all("Initial commit");
        repo
    }

    /// Returns the repository's root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `rel` (relative to the root), creating parent directories.
    ///
    /// Panics with the path when the file cannot be written.
    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.full(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|err| panic!("TempRepo: cannot create {}: {err}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|err| panic!("TempRepo: cannot write {}: {err}", path.display()));
    }

    /// Returns the contents of `rel` (relative to the root).
    ///
    /// Panics with the path when the file cannot be read as UTF-8 text.
    pub fn read(&self, rel: &str) -> String {
        let path = self.full(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("TempRepo: cannot read {}: {err}", path.display()))
    }

    /// Stages every change and commits it with `message` (allowing an empty commit).
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// Runs git with `args` in the repository and returns its stdout.
    ///
    /// Panics with the command and git's stderr when git cannot start or exits unsuccessfully.
    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            // Keep the machine's system config and the environment's author overrides out of tests.
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_AUTHOR_DATE")
            .env_remove("GIT_COMMITTER_DATE")
            .output()
            .unwrap_or_else(|err| panic!("TempRepo: cannot run `git {}`: {err}", args.join(" ")));
        if !output.status.success() {
            panic!(
                "TempRepo: `git {}` in {} failed ({}):\n{}",
                args.join(" "),
                self.path().display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn full(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

impl Default for TempRepo {
    fn default() -> TempRepo {
        TempRepo::new()
    }
}
