//! `cargo xtask demo`: the README's first command. It installs what the build needs, builds braid, pulls
//! the default model, breaks the demo package (`demo/`) in a fresh git repository with one of the tasks
//! under `demo/tasks/`, and lets `braid exec` fix it on the embedded model with no API key in sight.
//! The task model and the repository preparation here are shared with `demo-bench` and the tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cmd::{self, Finished};
use crate::deps;

/// The model `demo` uses when none is named: the one that solved the most demo tasks in the time budget.
pub const DEFAULT_MODEL: &str = "qwen-coder-1.5b";

/// How long one `braid exec` may run before it is killed and counted as a failure.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(900);

/// Environment variables that would make braid pick a remote provider over the embedded model.
const API_KEY_VARS: &[&str] = &["OPENAI_API_KEY", "ANTHROPIC_API_KEY"];

/// One demo task: `demo/tasks/<number>-<slug>/` with its prompt, setup patch and check command.
#[derive(Debug, Clone)]
pub struct Task {
    pub number: u32,
    pub slug: String,
    pub dir: PathBuf,
    /// The prompt given to `braid exec`, from `task.md`.
    pub prompt: String,
    /// The command that must pass afterwards, from `check`, split on whitespace.
    pub check: Vec<String>,
}

impl Task {
    /// `<number>-<slug>`, the task's directory name.
    pub fn name(&self) -> String {
        format!("{}-{}", self.number, self.slug)
    }
}

/// Every task under `demo_dir/tasks`, ordered by number. Fails naming the directory or file when the tasks
/// directory cannot be read, a directory name does not start with `<number>-`, or a task lacks `task.md`,
/// `setup.patch` or `check`.
pub fn tasks(demo_dir: &Path) -> anyhow::Result<Vec<Task>> {
    let tasks_dir = demo_dir.join("tasks");
    let entries = std::fs::read_dir(&tasks_dir).with_context(|| format!("cannot read {}", tasks_dir.display()))?;
    let mut tasks = Vec::new();
    for entry in entries {
        let dir = entry.with_context(|| format!("cannot read {}", tasks_dir.display()))?.path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((number, slug)) = name.split_once('-').and_then(|(n, s)| Some((n.parse::<u32>().ok()?, s))) else {
            bail!("{}: a task directory must be named <number>-<slug>", dir.display());
        };
        let read = |file: &str| {
            let path = dir.join(file);
            std::fs::read_to_string(&path).with_context(|| format!("task {name} lacks {}", path.display()))
        };
        let prompt = read("task.md")?.trim().to_string();
        let check: Vec<String> = read("check")?.split_whitespace().map(str::to_string).collect();
        read("setup.patch")?;
        if prompt.is_empty() || check.is_empty() {
            bail!("{}: task.md and check must not be empty", dir.display());
        }
        tasks.push(Task { number, slug: slug.to_string(), dir, prompt, check });
    }
    tasks.sort_by_key(|t| t.number);
    Ok(tasks)
}

/// The task numbered `number` among `tasks`; fails listing the numbers that exist.
pub fn find(tasks: &[Task], number: u32) -> anyhow::Result<&Task> {
    tasks.iter().find(|t| t.number == number).with_context(|| {
        let known: Vec<String> = tasks.iter().map(Task::name).collect();
        format!("no demo task {number}; the tasks are: {}", known.join(", "))
    })
}

/// Copies the demo package from `demo_dir` (everything but `tasks/`, its README and Python caches) into
/// `dest`, which must not exist, applies the task's `setup.patch` and commits the result as the initial
/// commit, so that `git diff` afterwards shows exactly what the agent changed. Fails naming the path or
/// git command that failed.
pub fn prepare(demo_dir: &Path, task: &Task, dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        bail!("{} already exists; the demo repository must be fresh", dest.display());
    }
    copy_package(demo_dir, dest)?;
    cmd::run(cmd::git(dest).args(["init", "-q"]))?;
    let patch = task.dir.join("setup.patch");
    apply(dest, &patch)?;
    cmd::run(cmd::git(dest).args(["add", "-A"]))?;
    cmd::run(cmd::git(dest).args(["commit", "-q", "-m", &format!("demo task {}", task.name())]))?;
    Ok(())
}

/// Applies `patch` to the working tree of `repo` with `git apply`; fails quoting git's complaint.
pub fn apply(repo: &Path, patch: &Path) -> anyhow::Result<()> {
    cmd::stdout_of(cmd::git(repo).arg("apply").arg(patch))
        .map(drop)
        .with_context(|| format!("{} does not apply to the demo package in {}", patch.display(), repo.display()))
}

fn copy_package(from: &Path, to: &Path) -> anyhow::Result<()> {
    // tasks/ and the README describe the exercise (and hold the reference fixes): the agent must not
    // see them.
    copy_dir(from, to, &[&from.join("tasks"), &from.join("README.md")])
}

/// Copies `from` into `to` recursively, leaving out the paths in `exclude` and every `__pycache__`
/// (caches would only add noise to `git status`).
fn copy_dir(from: &Path, to: &Path, exclude: &[&Path]) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        if entry.file_name() == "__pycache__" || exclude.contains(&entry.path().as_path()) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target, exclude)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {} to {}", entry.path().display(), target.display()))?;
        }
    }
    Ok(())
}

/// The outcome of a task's check command.
#[derive(Debug)]
pub struct CheckOutcome {
    pub passed: bool,
    /// stdout then stderr of the check, for showing to the user.
    pub output: String,
}

/// Runs the task's check command in `repo`; fails only when it cannot start (python3 missing).
pub fn check(repo: &Path, task: &Task) -> anyhow::Result<CheckOutcome> {
    let (program, args) = task.check.split_first().context("empty check command")?;
    let mut command = Command::new(program);
    // No bytecode caches: they would show up as untracked files and make runs differ.
    command.args(args).current_dir(repo).env("PYTHONDONTWRITEBYTECODE", "1");
    let output = cmd::capture(&mut command)?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(CheckOutcome { passed: output.status.success(), output: text })
}

/// Options of `cargo xtask demo`.
#[derive(Debug, PartialEq)]
pub struct DemoArgs {
    pub model: String,
    pub task: u32,
    pub keep: bool,
    pub timeout: Duration,
}

/// Parses `[--model NAME] [--task N] [--keep] [--timeout SECS]`; fails naming the bad option.
pub fn parse_args(args: &[String]) -> anyhow::Result<DemoArgs> {
    let mut parsed = DemoArgs { model: DEFAULT_MODEL.to_string(), task: 1, keep: false, timeout: DEFAULT_TIMEOUT };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--model" => parsed.model = value("--model")?.clone(),
            "--task" => {
                let v = value("--task")?;
                parsed.task = v.parse().with_context(|| format!("--task takes a task number, not `{v}`"))?;
            }
            "--timeout" => parsed.timeout = Duration::from_secs(parse_secs(value("--timeout")?)?),
            "--keep" => parsed.keep = true,
            other => bail!("unknown option `{other}` for `demo`; options: --model NAME --task N --keep --timeout SECS"),
        }
    }
    Ok(parsed)
}

/// Parses a positive number of seconds.
pub fn parse_secs(text: &str) -> anyhow::Result<u64> {
    match text.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(secs),
        _ => bail!("--timeout takes a positive number of seconds, not `{text}`"),
    }
}

/// Runs the demo end to end; `Ok` only when the task's check passes after `braid exec`.
pub fn run(root: &Path, args: &DemoArgs) -> anyhow::Result<()> {
    let demo_dir = root.join("demo");
    let all = tasks(&demo_dir)?;
    let task = find(&all, args.task)?.clone();
    crate::step("build dependencies", || deps::ensure(deps::BUILD_DEPS))?;
    crate::step("cargo build --release -p braid", || build_release(root))?;
    let braid = braid_binary(root);
    crate::step(&format!("braid model pull {}", args.model), || pull_model(&braid, &args.model))?;
    let repo = scratch_dir(&format!("demo-{}", task.name()));
    let result = attempt(&braid, &demo_dir, &task, &repo, &args.model, args.timeout, true);
    if args.keep {
        eprintln!("the demo repository is kept at {}", repo.display());
    } else if let Err(err) = std::fs::remove_dir_all(&repo) {
        eprintln!("warning: cannot remove {}: {err}", repo.display());
    }
    let solved = result?;
    if !solved.passed {
        bail!("the check `{}` still fails after braid exec", task.check.join(" "));
    }
    eprintln!("task {} solved in {:.0?}", task.name(), solved.took);
    Ok(())
}

/// What one `braid exec` attempt at a task came to.
#[derive(Debug)]
pub struct Attempt {
    pub passed: bool,
    pub timed_out: bool,
    pub took: Duration,
}

/// Prepares `repo` for `task`, shows the failing check, runs `braid exec` on it under `timeout`, then
/// shows (when `verbose`) the diff and the check's result. Fails when the setup does not make the check
/// fail or a step cannot run; an agent that fails or times out is an `Ok` attempt that did not pass.
pub fn attempt(
    braid: &Path,
    demo_dir: &Path,
    task: &Task,
    repo: &Path,
    model: &str,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<Attempt> {
    prepare(demo_dir, task, repo)?;
    let before = check(repo, task)?;
    if before.passed {
        bail!("task {}: the check passes before the agent ran, so the setup broke nothing", task.name());
    }
    if verbose {
        eprintln!("==> the failing check, `{}` in {}:\n{}", task.check.join(" "), repo.display(), before.output);
        eprintln!("==> braid exec --model {model} \"{}\"", task.prompt);
    }
    let (finished, took) = cmd::run_with_deadline(&mut exec_command(braid, repo, model, &task.prompt), timeout)?;
    let timed_out = matches!(finished, Finished::TimedOut);
    match finished {
        Finished::Exited(status) if !status.success() => eprintln!("braid exec exited with {status}"),
        Finished::TimedOut => eprintln!("braid exec was still running after {timeout:?} and was stopped"),
        Finished::Exited(_) => {}
    }
    if verbose {
        eprintln!("==> git diff");
        cmd::run(cmd::git(repo).args(["--no-pager", "diff"]))?;
    }
    let after = check(repo, task)?;
    if verbose {
        let verdict = if after.passed { "passes" } else { "still fails" };
        eprintln!("==> `{}` {verdict}:\n{}", task.check.join(" "), after.output);
    }
    Ok(Attempt { passed: after.passed, timed_out, took })
}

/// `braid exec --model <model> <prompt>` in `repo`, with no API key in its environment so that braid
/// picks the embedded model, and `BRAID_HOME` left alone so it finds the model `braid model pull` stored.
fn exec_command(braid: &Path, repo: &Path, model: &str, prompt: &str) -> Command {
    let mut exec = Command::new(braid);
    // No stdin: the task is on the command line, and a benchmark must never wait for a keyboard.
    exec.current_dir(repo).args(["exec", "--model", model, prompt]).stdin(std::process::Stdio::null());
    for var in API_KEY_VARS {
        exec.env_remove(var);
    }
    exec
}

/// `cargo build --release -p braid` in `root`.
pub fn build_release(root: &Path) -> anyhow::Result<()> {
    cmd::run(Command::new(cmd::cargo_program()).current_dir(root).args(["build", "--release", "-p", "braid"]))
}

/// `braid model pull <model>`, which is quick when the model is already in the store.
pub fn pull_model(braid: &Path, model: &str) -> anyhow::Result<()> {
    cmd::run(Command::new(braid).args(["model", "pull", model]))
        .with_context(|| format!("cannot get the model `{model}`; the model store is needed for the demo"))
}

/// The cargo target directory: `$CARGO_TARGET_DIR` (relative to `root` when relative) or `root/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The release `braid` binary built by [`build_release`].
pub fn braid_binary(root: &Path) -> PathBuf {
    target_dir(root).join("release").join("braid")
}

/// A path under the system temp directory that does not exist yet, named after `label`, this process and
/// the time, so concurrent runs never collide.
pub fn scratch_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("braid-{label}-{}-{nanos}", std::process::id()))
}

#[cfg(test)]
#[path = "demo_tests.rs"]
pub(crate) mod tests;
