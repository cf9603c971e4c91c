//! Tests of the task suite: every shipped task is well formed, and malformed task directories are
//! refused with a message naming the problem.

use std::path::PathBuf;

use super::*;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/tasks")
}

#[test]
fn a_task_without_its_hidden_check_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("py-01-x");
    std::fs::create_dir_all(task.join("repo")).unwrap();
    std::fs::write(task.join("task.toml"), "language = \"python\"\ncheck = \"true\"\n").unwrap();
    std::fs::write(task.join("task.md"), "Do it.").unwrap();
    std::fs::write(task.join("solution.patch"), "").unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("py-01-x") && err.contains("`hidden`"), "{err}");
}

#[test]
fn an_unknown_language_is_refused_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("go-01-x");
    for sub in ["repo", "hidden"] {
        std::fs::create_dir_all(task.join(sub)).unwrap();
    }
    std::fs::write(task.join("task.toml"), "language = \"go\"\ncheck = \"true\"\n").unwrap();
    std::fs::write(task.join("task.md"), "Do it.").unwrap();
    std::fs::write(task.join("solution.patch"), "").unwrap();
    let err = format!("{:#}", load(dir.path()).unwrap_err());
    assert!(err.contains("task.toml") && err.contains("go"), "{err}");
}

#[test]
fn the_suite_has_at_least_twenty_tasks_in_three_languages() {
    let tasks = load(&suite_dir()).unwrap();
    assert!(tasks.len() >= 20, "only {} tasks", tasks.len());
    for language in [Language::Rust, Language::Python, Language::Javascript] {
        assert!(tasks.iter().any(|t| t.language == language), "no {language:?} task");
    }
}

/// Validates every shipped task on two threads (the checks are mostly process start-up and, for Rust,
/// a small compile) and reports every broken task at once.
#[test]
fn every_task_fails_as_given_and_passes_with_its_solution() {
    let tasks = load(&suite_dir()).unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(task) = tasks.get(index) else { break };
                    if let Err(err) = validate(task) {
                        failures.lock().unwrap().push(format!("{}: {err:#}", task.id));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(failures.is_empty(), "{} of {} tasks are broken:\n{}", failures.len(), tasks.len(), failures.join("\n\n"));
}

#[test]
fn task_ids_name_their_language_and_the_mix_is_even() {
    let tasks = load(&suite_dir()).unwrap();
    for language in [Language::Rust, Language::Python, Language::Javascript] {
        let prefix = match language {
            Language::Rust => "rs-",
            Language::Python => "py-",
            Language::Javascript => "js-",
        };
        let ids: Vec<&str> = tasks.iter().filter(|t| t.language == language).map(|t| t.id.as_str()).collect();
        assert!(ids.len() >= 7, "only {} {language:?} tasks: {ids:?}", ids.len());
        for id in ids {
            assert!(id.starts_with(prefix), "{id} is a {language:?} task but does not start with {prefix}");
        }
    }
}

#[test]
fn a_task_whose_check_passes_as_given_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("py-01-solved");
    for sub in ["repo", "hidden"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("repo/a.txt"), "x\n").unwrap();
    std::fs::write(root.join("task.toml"), "language = \"python\"\ncheck = \"true\"\n").unwrap();
    std::fs::write(root.join("task.md"), "Do it.").unwrap();
    std::fs::write(root.join("solution.patch"), "").unwrap();
    let err = format!("{:#}", validate(&load_task(&root).unwrap()).unwrap_err());
    assert!(err.contains("already solved"), "{err}");
}

#[test]
fn a_solution_that_does_not_pass_is_refused_with_the_check_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("py-01-unsolved");
    for sub in ["repo", "hidden"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("repo/a.txt"), "x\n").unwrap();
    std::fs::write(root.join("task.toml"), "language = \"python\"\ncheck = \"echo still-broken; false\"\n").unwrap();
    std::fs::write(root.join("task.md"), "Do it.").unwrap();
    let patch = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n";
    std::fs::write(root.join("solution.patch"), patch).unwrap();
    let err = format!("{:#}", validate(&load_task(&root).unwrap()).unwrap_err());
    assert!(err.contains("fails with the reference solution") && err.contains("still-broken"), "{err}");
}

/// `braid-bench suite` passes the default `bench/tasks`, a relative path, while git applies the patch
/// from inside the prepared repository; the patch must still be found.
#[test]
fn a_solution_is_found_when_the_suite_path_is_relative() {
    let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    let root = dir.path().join("py-01-relative");
    for sub in ["repo", "hidden"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("repo/a.txt"), "x\n").unwrap();
    std::fs::write(root.join("task.toml"), "language = \"python\"\ncheck = \"grep -q y a.txt\"\n").unwrap();
    std::fs::write(root.join("task.md"), "Do it.").unwrap();
    let patch = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n";
    std::fs::write(root.join("solution.patch"), patch).unwrap();
    // Tests run with the package directory as their working directory.
    let relative = root.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert!(relative.is_relative());
    validate(&load_task(relative).unwrap()).unwrap();
}
