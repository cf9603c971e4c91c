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
