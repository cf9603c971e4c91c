//! Shared fixtures: a repository with a few files, and helpers to read git state.

use std::path::Path;
use std::process::Command;

use braid_test_support::TempRepo;

/// A temp repository with tracked files in nested directories and an ignore rule.
pub fn repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("src/lib.rs", "pub fn one() -> u32 {\n    1\n}\n");
    repo.write("src/deep/mod.rs", "// deep\n");
    repo.write(".gitignore", "target/\n*.log\n");
    repo.commit_all("Add sources");
    repo
}

/// Runs git in `dir` and returns stdout; panics with stderr on failure.
#[allow(clippy::disallowed_methods)]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(output.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim_end().to_string()
}

/// Returns whether a ref exists in the repository at `dir`.
#[allow(clippy::disallowed_methods)]
pub fn ref_exists(dir: &Path, name: &str) -> bool {
    Command::new("git").args(["show-ref", "--verify", "--quiet", name]).current_dir(dir).status().unwrap().success()
}

/// Runs git in `dir` and returns stdout when it succeeds, `None` otherwise.
#[allow(clippy::disallowed_methods)]
pub fn git_maybe(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).current_dir(dir).output().unwrap();
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim_end().to_string())
}
