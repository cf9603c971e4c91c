//! `plan::check` over the plan files in tests/plans: each `<name>.md` is checked against the fixture
//! repository tests/plans/repo with a `PATH` holding only fake `cargo` and `npm`, so that the results do not
//! depend on the machine, and its human report (labelled `<name>.md`) must equal `<name>.expected`.
//!
//! After an intended change, `UPDATE_EXPECT=1 cargo test -p braid-orchestra` rewrites the .expected files;
//! review their diff before committing.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use braid_orchestra::plan::{CheckOptions, Plan, Report, Severity, check};
use tempfile::TempDir;

/// Every diagnostic code `check` can produce; each must appear in some .expected file.
const CODES: &[&str] = &[
    "missing-section",
    "duplicate-section",
    "no-title",
    "progress-empty",
    "progress-timestamp",
    "bad-timestamp",
    "decision-incomplete",
    "no-milestones",
    "milestone-scope",
    "milestone-acceptance",
    "milestone-number",
    "unknown-check",
    "machine-missing",
    "machine-duplicate",
    "machine-toml",
    "scope-empty",
    "checks-empty",
    "bad-glob",
    "glob-matches-nothing",
    "check-not-runnable",
    "section-order",
];

fn plans_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans")
}

/// A directory holding executable `cargo` and `npm` scripts, to serve as the whole `PATH`.
fn fake_path() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for program in ["cargo", "npm"] {
        let path = dir.path().join(program);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// Checks `text` against the fixture repository with the fake `PATH`.
fn check_fixture(text: &str, path_dir: &Path) -> (Plan, Report) {
    let root = plans_dir().join("repo");
    let options = CheckOptions { root: &root, path_var: Some(OsString::from(path_dir)) };
    check(text, &options)
}

/// The plan files, sorted by name.
fn plan_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(plans_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn plan_files_give_the_expected_reports() {
    let path_dir = fake_path();
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let files = plan_files();
    assert!(files.len() >= 16, "only {} plan files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let (_, report) = check_fixture(&std::fs::read_to_string(file).unwrap(), path_dir.path());
        let actual = report.human(name);
        let expected_path = file.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            eprintln!("--- {name}: expected\n{expected}--- {name}: actual\n{actual}");
            failures.push(name.to_string());
        }
    }
    assert!(failures.is_empty(), "reports differ for {failures:?} (UPDATE_EXPECT=1 rewrites them)");
}

#[test]
fn every_code_is_covered_and_good_plans_pass() {
    let mut seen = BTreeSet::new();
    for file in plan_files() {
        let expected = std::fs::read_to_string(file.with_extension("expected")).unwrap();
        for line in expected.lines() {
            if let Some((_, rest)) = line.split_once("error[").or_else(|| line.split_once("warning[")) {
                seen.insert(rest.split(']').next().unwrap().to_string());
            }
        }
        let name = file.file_name().unwrap().to_str().unwrap();
        if name.starts_with("good-") {
            assert!(!expected.contains("error["), "{name} has errors:\n{expected}");
        }
    }
    let missing: Vec<_> = CODES.iter().filter(|code| !seen.contains(**code)).collect();
    assert!(missing.is_empty(), "no plan file shows {missing:?}");
    let unknown: Vec<_> = seen.iter().filter(|code| !CODES.contains(&code.as_str())).collect();
    assert!(unknown.is_empty(), "codes missing from CODES: {unknown:?}");
}

#[test]
fn the_complete_plan_parses_into_its_parts() {
    let path_dir = fake_path();
    let text = std::fs::read_to_string(plans_dir().join("good-complete.md")).unwrap();
    let (plan, report) = check_fixture(&text, path_dir.path());
    assert_eq!(report.diagnostics, []);
    assert!(report.passed(true));
    let machine = plan.machine.as_ref().unwrap();
    let names: Vec<_> = machine.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["test", "lint", "script"]);
    assert_eq!(machine.scope, ["src/**", "tests/*.rs"]);
    assert_eq!(machine.approaches.len(), 2);
    assert_eq!(plan.milestones.len(), 2);
    let first: Vec<_> = plan.checks_for(&plan.milestones[0]).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(first, ["test", "lint"]);
    assert_eq!(plan.checks_for(&plan.milestones[1]).len(), 3);
    assert_eq!(plan.sections.len(), 12);
    // Parsing alone reports nothing for a good plan.
    assert_eq!(Plan::parse(&text).1, []);
}

#[test]
fn the_repository_walk_skips_git_and_gitignored_files() {
    let repo = tempfile::tempdir().unwrap();
    for file in [".git/config", "build/out.txt", "src/a.rs", ".github/workflows/ci.yml"] {
        let path = repo.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }
    std::fs::write(repo.path().join(".gitignore"), "build/\n").unwrap();
    let text = std::fs::read_to_string(plans_dir().join("good-complete.md"))
        .unwrap()
        .replace(r#"scope = ["src/**", "tests/*.rs"]"#, r#"scope = ["src", ".git/**", "build/**", ".github/**"]"#);
    let path_dir = fake_path();
    let options = CheckOptions { root: repo.path(), path_var: Some(path_dir.path().into()) };
    let (_, report) = check(&text, &options);
    let nothing: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "glob-matches-nothing")
        .map(|d| d.message.split('`').nth(3).unwrap().to_string())
        .collect();
    // `forbidden` names Cargo.toml and scripts/**, which this repository lacks.
    assert_eq!(nothing, [".git/**", "build/**", "Cargo.toml", "scripts/**"]);
    assert!(report.diagnostics.iter().all(|d| d.severity == Severity::Warning || d.code == "check-not-runnable"));
}
