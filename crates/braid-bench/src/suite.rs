//! The task-success suite on disk (`bench/tasks/`): one directory per task, read and checked here, and
//! the two operations every agent run needs: a fresh git repository holding the task's starting code,
//! and the hidden check that decides afterwards whether the agent solved it.
//!
//! A task directory holds:
//! - `task.toml`: `language` (`rust`, `python` or `javascript`) and `check`, the shell command that
//!   decides success, run from the repository root after `hidden/` is copied in;
//! - `task.md`: the statement, given to the agent verbatim as its prompt;
//! - `repo/`: the starting code (with whatever visible tests the task offers);
//! - `hidden/`: files the agent never sees, copied over its result before the check (hidden tests);
//! - `solution.patch`: a reference solution (`git apply` in the repository), used only to prove the
//!   task is solvable.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::measure;

/// How long a check may run: a Rust task's first `cargo test` compiles the crate.
const CHECK_LIMIT: Duration = Duration::from_secs(180);

/// The languages the suite covers; each decides which toolchain the check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Rust,
    Python,
    Javascript,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskToml {
    language: Language,
    check: String,
}

/// One task of the suite.
#[derive(Debug, Clone)]
pub struct Task {
    /// The directory name, e.g. `py-03-parse-duration`.
    pub id: String,
    pub dir: PathBuf,
    pub language: Language,
    /// The statement given to the agent.
    pub prompt: String,
    pub check: String,
}

/// The check's verdict on one repository.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub passed: bool,
    pub duration: Duration,
    /// The check's combined stdout and stderr, for the log.
    pub output: String,
}

/// Reads every task under `root`, sorted by id.
///
/// Fails naming the directory and the problem when a task lacks a file, has a malformed `task.toml`,
/// or when `root` holds no task at all.
pub fn load(root: &Path) -> anyhow::Result<Vec<Task>> {
    let entries =
        std::fs::read_dir(root).with_context(|| format!("cannot read the task suite at {}", root.display()))?;
    let mut tasks = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        if entry.file_type().with_context(|| format!("cannot stat {}", entry.path().display()))?.is_dir() {
            tasks.push(load_task(&entry.path())?);
        }
    }
    if tasks.is_empty() {
        bail!("{} holds no task directories", root.display());
    }
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tasks)
}

/// Reads one task directory.
pub fn load_task(dir: &Path) -> anyhow::Result<Task> {
    let id = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    for needed in ["task.toml", "task.md", "repo", "hidden", "solution.patch"] {
        if !dir.join(needed).exists() {
            bail!(
                "task {} lacks `{needed}`; a task needs task.toml, task.md, repo/, hidden/ and solution.patch",
                dir.display()
            );
        }
    }
    let toml_path = dir.join("task.toml");
    let text = std::fs::read_to_string(&toml_path).with_context(|| format!("cannot read {}", toml_path.display()))?;
    let parsed: TaskToml =
        toml::from_str(&text).with_context(|| format!("{} is not a valid task.toml", toml_path.display()))?;
    let prompt_path = dir.join("task.md");
    let prompt =
        std::fs::read_to_string(&prompt_path).with_context(|| format!("cannot read {}", prompt_path.display()))?;
    if prompt.trim().is_empty() {
        bail!("{} is empty; it is the prompt the agent gets", prompt_path.display());
    }
    Ok(Task {
        id,
        dir: dir.to_path_buf(),
        language: parsed.language,
        prompt: prompt.trim().to_owned(),
        check: parsed.check,
    })
}

impl Task {
    /// Copies the starting code into `dest` (which must not exist or be empty) and commits it as the
    /// first commit of a fresh git repository, so that an agent's changes show as its diff.
    pub fn prepare(&self, dest: &Path) -> anyhow::Result<()> {
        copy_tree(&self.dir.join("repo"), dest)?;
        commit_fresh_repo(dest, "task")
    }

    /// Applies the reference solution in `repo`.
    pub fn apply_solution(&self, repo: &Path) -> anyhow::Result<()> {
        // git runs inside `repo`, so a path relative to our own directory (the default `bench/tasks`)
        // would not name the patch there.
        let patch = self.dir.join("solution.patch");
        let patch = std::fs::canonicalize(&patch).with_context(|| format!("cannot resolve {}", patch.display()))?;
        git(repo, &["apply", "--whitespace=nowarn", &patch.to_string_lossy()])
            .with_context(|| format!("the reference solution {} does not apply", patch.display()))
    }

    /// Copies the hidden files over `repo` and runs the check there.
    pub fn judge(&self, repo: &Path) -> anyhow::Result<Verdict> {
        copy_tree(&self.dir.join("hidden"), repo)?;
        let log = tempfile::NamedTempFile::new().context("cannot create a temporary file for the check's output")?;
        let out = log.reopen().context("cannot reopen the check's output file")?;
        let err = out.try_clone().context("cannot duplicate the check's output file")?;
        let mut command = Command::new("sh");
        // A target directory inherited from whoever runs the bench (every braid worktree sets one)
        // would send a Rust task's build outside its repository and share it between tasks.
        command.env_remove("CARGO_TARGET_DIR");
        command.args(["-c", &self.check]).current_dir(repo).stdin(std::process::Stdio::null()).stdout(out).stderr(err);
        let measured = measure::run(&mut command, CHECK_LIMIT)
            .with_context(|| format!("cannot run the check of task {}", self.id))?;
        let output = std::fs::read_to_string(log.path()).unwrap_or_default();
        Ok(Verdict { passed: measured.success(), duration: measured.wall, output })
    }
}

/// Checks every task: as given, its check fails; with its reference solution, it passes. Prints one line
/// per task and fails listing every task that is not well formed.
pub fn validate_all(root: &Path) -> anyhow::Result<()> {
    let tasks = load(root)?;
    let mut broken = Vec::new();
    for task in &tasks {
        match validate(task) {
            Ok(()) => println!("ok    {} ({:?})", task.id, task.language),
            Err(err) => {
                println!("FAIL  {}: {err:#}", task.id);
                broken.push(task.id.clone());
            }
        }
    }
    if !broken.is_empty() {
        bail!("{} of {} tasks are broken: {}", broken.len(), tasks.len(), broken.join(", "));
    }
    Ok(())
}

/// Proves one task is well formed: the check fails on the starting code and passes with the solution.
pub fn validate(task: &Task) -> anyhow::Result<()> {
    let before = tempfile::tempdir().context("cannot create a temporary directory")?;
    task.prepare(before.path())?;
    let verdict = task.judge(before.path())?;
    if verdict.passed {
        bail!("the check passes on the starting code, so the task is already solved");
    }
    let after = tempfile::tempdir().context("cannot create a temporary directory")?;
    task.prepare(after.path())?;
    task.apply_solution(after.path())?;
    let verdict = task.judge(after.path())?;
    if !verdict.passed {
        bail!("the check fails with the reference solution:\n{}", tail(&verdict.output, 2000));
    }
    Ok(())
}

/// Returns at most the last `max` bytes of `text`, cut on a character boundary.
pub fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Copies the directory tree `from` into `to`, creating `to` and overwriting files that exist.
pub fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let entries = std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", from.display()))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().with_context(|| format!("cannot stat {}", source.display()))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)
                .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// Makes `dir` a fresh git repository on `main` whose one commit, `message`, holds everything in it,
/// with an identity of its own and no signing, so no user configuration can make the commit fail.
pub fn commit_fresh_repo(dir: &Path, message: &str) -> anyhow::Result<()> {
    git(dir, &["init", "-q", "-b", "main"])?;
    git(dir, &["add", "-A"])?;
    let identity =
        ["-c", "user.name=braid-bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"];
    git(dir, &[&identity[..], &["commit", "-qm", message]].concat())
}

/// Runs git in `dir` and fails with its stderr when it fails.
pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run git in {}", dir.display()))?;
    if !output.status.success() {
        bail!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
