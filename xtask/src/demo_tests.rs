//! Tests of the demo tasks with real python3 and real git: every task's setup breaks the package, every
//! reference fix repairs it, and bad task directories and options are refused with a clear message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{DemoArgs, Task, apply, attempt, check, exec_command, find, parse_args, prepare, scratch_dir, tasks};

fn demo_dir() -> PathBuf {
    crate::workspace_root().join("demo")
}

/// A scratch directory removed when the test ends, pass or fail.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Self {
        Scratch(scratch_dir(&format!("test-{label}")))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn there_are_five_tasks_numbered_one_to_five() {
    let tasks = tasks(&demo_dir()).unwrap();
    let numbers: Vec<u32> = tasks.iter().map(|t| t.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    for task in &tasks {
        assert!(task.prompt.contains(".py"), "task {} must name the file: {}", task.name(), task.prompt);
        assert!(task.dir.join("solution.patch").is_file(), "task {} lacks solution.patch", task.name());
    }
}

#[test]
fn the_clean_package_passes_its_tests() {
    let scratch = Scratch::new("clean");
    super::copy_package(&demo_dir(), &scratch.0).unwrap();
    assert!(!scratch.0.join("tasks").exists(), "tasks (with the reference fixes) must not be copied");
    assert!(!scratch.0.join("README.md").exists());
    let tasks = tasks(&demo_dir()).unwrap();
    let outcome = check(&scratch.0, &tasks[0]).unwrap();
    assert!(outcome.passed, "{}", outcome.output);
}

/// The acceptance test for the demo: setup makes the check fail, the reference fix makes it pass, and the
/// commit leaves a clean tree so `git diff` shows only the fix.
#[test]
fn every_task_fails_after_setup_and_passes_with_its_solution() {
    for task in tasks(&demo_dir()).unwrap() {
        let scratch = Scratch::new(&task.name());
        prepare(&demo_dir(), &task, &scratch.0).unwrap();
        let status = crate::cmd::stdout_of(crate::cmd::git(&scratch.0).args(["status", "--porcelain"])).unwrap();
        assert_eq!(status, "", "task {}: the prepared repository must be committed and clean", task.name());

        let before = check(&scratch.0, &task).unwrap();
        assert!(!before.passed, "task {}: the check passes before any fix:\n{}", task.name(), before.output);

        apply(&scratch.0, &task.dir.join("solution.patch")).unwrap();
        let after = check(&scratch.0, &task).unwrap();
        assert!(after.passed, "task {}: the reference fix does not pass:\n{}", task.name(), after.output);
    }
}

/// Writes an executable `braid` stand-in into `dir` running `body` with `sh`, and returns its path.
fn fake_braid(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("braid");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The whole attempt with an agent that applies the reference fix: the check fails before and passes after.
#[test]
fn an_agent_that_fixes_the_task_passes_and_one_that_does_nothing_fails() {
    let task = tasks(&demo_dir()).unwrap().remove(1);
    let scratch = Scratch::new("attempt");
    let solution = task.dir.join("solution.patch");
    let fixer = fake_braid(
        &scratch.0.join("fixer"),
        &format!(
            "[ \"$1 $2 $3\" = \"exec --model tiny\" ] || {{ echo \"bad args: $*\" >&2; exit 4; }}\n\
             git apply '{}'",
            solution.display()
        ),
    );
    let fixed =
        attempt(&fixer, &demo_dir(), &task, &scratch.0.join("r1"), "tiny", Duration::from_secs(60), true).unwrap();
    assert!(fixed.passed && !fixed.timed_out, "{fixed:?}");

    let idler = fake_braid(&scratch.0.join("idler"), "exit 1");
    let idle =
        attempt(&idler, &demo_dir(), &task, &scratch.0.join("r2"), "tiny", Duration::from_secs(60), false).unwrap();
    assert!(!idle.passed && !idle.timed_out, "{idle:?}");
}

#[test]
fn an_agent_past_the_deadline_is_stopped_and_fails() {
    let task = tasks(&demo_dir()).unwrap().remove(0);
    let scratch = Scratch::new("deadline");
    let sleeper = fake_braid(&scratch.0.join("sleeper"), "sleep 30");
    let started = std::time::Instant::now();
    let late = attempt(&sleeper, &demo_dir(), &task, &scratch.0.join("r"), "m", Duration::from_secs(1), false).unwrap();
    assert!(late.timed_out && !late.passed, "{late:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn braid_exec_runs_without_api_keys() {
    let exec = exec_command(Path::new("braid"), Path::new("/tmp"), "qwen-coder-0.5b", "fix it");
    let removed: Vec<String> =
        exec.get_envs().filter(|(_, v)| v.is_none()).map(|(k, _)| k.to_string_lossy().into_owned()).collect();
    assert_eq!(removed, ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
    let args: Vec<_> = exec.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    assert_eq!(args, ["exec", "--model", "qwen-coder-0.5b", "fix it"]);
}

fn fake_task(dir: &Path) -> Task {
    Task { number: 9, slug: "fake".into(), dir: dir.to_path_buf(), prompt: "p".into(), check: vec!["true".into()] }
}

#[test]
fn a_setup_patch_that_does_not_apply_names_the_patch() {
    let scratch = Scratch::new("bad-patch");
    let task_dir = scratch.0.join("task");
    std::fs::create_dir_all(&task_dir).unwrap();
    std::fs::write(task_dir.join("setup.patch"), "--- a/tally/nope.py\n+++ b/tally/nope.py\n@@ -1 +1 @@\n-old\n+new\n")
        .unwrap();
    let err = prepare(&demo_dir(), &fake_task(&task_dir), &scratch.0.join("repo")).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("setup.patch does not apply"), "{message}");
}

#[test]
fn an_existing_destination_is_refused() {
    let scratch = Scratch::new("exists");
    std::fs::create_dir_all(&scratch.0).unwrap();
    let err = prepare(&demo_dir(), &fake_task(&scratch.0), &scratch.0).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn a_task_without_its_files_or_with_a_bad_name_is_refused() {
    let scratch = Scratch::new("bad-tasks");
    std::fs::create_dir_all(scratch.0.join("tasks/1-empty")).unwrap();
    let err = tasks(&scratch.0).unwrap_err();
    assert!(format!("{err:#}").contains("task 1-empty lacks"), "{err:#}");

    std::fs::remove_dir(scratch.0.join("tasks/1-empty")).unwrap();
    std::fs::create_dir_all(scratch.0.join("tasks/first")).unwrap();
    let err = tasks(&scratch.0).unwrap_err();
    assert!(err.to_string().contains("<number>-<slug>"), "{err}");
}

#[test]
fn an_unknown_task_number_lists_the_tasks() {
    let tasks = tasks(&demo_dir()).unwrap();
    let err = find(&tasks, 42).unwrap_err();
    assert!(err.to_string().contains("no demo task 42; the tasks are: 1-paginate-off-by-one"), "{err}");
}

/// Checks an option parser: `args` must parse to `expected`, or fail with a message containing the
/// expected error text. Shared by the `demo` and `demo-bench` option tests.
pub(crate) fn check_parse<T: PartialEq + std::fmt::Debug>(
    parse: impl Fn(&[String]) -> anyhow::Result<T>,
    args: &[&str],
    expected: Result<T, &str>,
) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_string()).collect();
    match (parse(&args), expected) {
        (Ok(got), Ok(want)) => assert_eq!(got, want),
        (Err(err), Err(want)) => assert!(format!("{err:#}").contains(want), "{err:#} lacks {want}"),
        (got, want) => panic!("{args:?}: got {got:?}, want {want:?}"),
    }
}

fn check_args(args: &[&str], expected: Result<DemoArgs, &str>) {
    check_parse(parse_args, args, expected);
}

#[test]
fn demo_options() {
    let default =
        || DemoArgs { model: "qwen-coder-1.5b".into(), task: 1, keep: false, timeout: Duration::from_secs(900) };
    check_args(&[], Ok(default()));
    check_args(
        &["--model", "smollm2-135m", "--task", "3", "--keep", "--timeout", "60"],
        Ok(DemoArgs { model: "smollm2-135m".into(), task: 3, keep: true, timeout: Duration::from_secs(60) }),
    );
    check_args(&["--task", "two"], Err("--task takes a task number, not `two`"));
    check_args(&["--task"], Err("--task needs a value"));
    check_args(&["--timeout", "0"], Err("positive number of seconds"));
    check_args(&["--fast"], Err("unknown option `--fast`"));
}
