//! Where checks come from, over real temporary directories: each source, their precedence, detection,
//! and malformed configuration.

use std::path::Path;

use super::*;

fn spec(name: &str, command: &str, timeout_secs: u64, required: bool, lint: bool) -> CheckSpec {
    CheckSpec { name: name.into(), command: command.into(), timeout_secs, required, lint }
}

/// A temporary repository holding `files` (path, contents); a path ending in `/` is a directory.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let full = dir.path().join(path);
        if path.ends_with('/') {
            std::fs::create_dir_all(&full).unwrap();
            continue;
        }
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, contents).unwrap();
    }
    dir
}

fn plan_with_checks(checks: &str) -> Plan {
    let text = format!("# Plan\n\n```toml plan\nscope = [\"src/**\"]\n{checks}```\n");
    let (plan, _) = Plan::parse(&text);
    plan
}

fn check(root: &Path, plan: Option<&Plan>, source: CheckSource, expected: &[CheckSpec]) {
    let (found_source, specs) = resolve(root, plan).unwrap();
    assert_eq!((found_source, specs.as_slice()), (source, expected));
}

#[test]
fn the_plan_comes_first_then_local_then_repo_config() {
    let local = ".braid/config.toml";
    let dir = repo(&[
        (local, "[checks]\nlint = \"make lint\"\n"),
        ("braid.toml", "[checks]\ntest = \"make test\"\n"),
        ("Cargo.toml", "[package]\n"),
    ]);
    let plan = plan_with_checks("[checks]\nclippy = { command = \"cargo clippy\", timeout_secs = 30 }\n");
    check(dir.path(), Some(&plan), CheckSource::Plan, &[spec("clippy", "cargo clippy", 30, true, true)]);
    // A plan without checks passes to the configuration.
    let empty = plan_with_checks("");
    check(dir.path(), Some(&empty), CheckSource::LocalConfig, &[spec("lint", "make lint", 600, true, true)]);
    std::fs::remove_file(dir.path().join(local)).unwrap();
    check(dir.path(), None, CheckSource::RepoConfig, &[spec("test", "make test", 600, true, false)]);
    std::fs::remove_file(dir.path().join("braid.toml")).unwrap();
    check(dir.path(), None, CheckSource::Detected, &[spec("test", "cargo test", 600, true, false)]);
}

#[test]
fn config_keeps_order_and_options_and_ignores_other_tables() {
    let dir = repo(&[(
        "braid.toml",
        "[model]\nname = \"x\"\n\n[checks]\nzeta = \"make z\"\nalpha = { command = \"make a\", timeout_secs = 5, required = false }\n\
         check = { command = \"cargo check\", lint = false }\nstyle = { command = \"ruff check\", lint = true }\n",
    )]);
    check(
        dir.path(),
        None,
        CheckSource::RepoConfig,
        &[
            spec("zeta", "make z", 600, true, false),
            spec("alpha", "make a", 5, false, false),
            spec("check", "cargo check", 600, true, false),
            spec("style", "ruff check", 600, true, true),
        ],
    );
}

#[test]
fn a_config_without_checks_passes_to_the_next_source() {
    let dir = repo(&[
        (".braid/config.toml", "[model]\nname = \"x\"\n"),
        ("braid.toml", "[checks]\n"),
        ("go.mod", "module x\n"),
    ]);
    check(dir.path(), None, CheckSource::Detected, &[spec("test", "go test ./...", 600, true, false)]);
}

/// Asserts that `braid.toml` holding `text` is refused with a message containing each of `needles`.
fn check_bad(text: &str, needles: &[&str]) {
    let dir = repo(&[("braid.toml", text), ("Cargo.toml", "")]);
    match resolve(dir.path(), None) {
        Err(ChecksError::Config { path, message }) => {
            assert_eq!(path, dir.path().join("braid.toml"));
            for needle in needles {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            }
        }
        other => panic!("{text:?} gave {other:?}"),
    }
}

#[test]
fn malformed_config_names_the_line_and_the_fix() {
    check_bad("[checks]\ntest = \"make\"\nlint = { cmd = \"x\" }\n", &["line 3", "unknown key `cmd`", "`command`"]);
    check_bad("[checks]\n\ntest = 3\n", &["line 3", "command string or a table"]);
    check_bad("[checks]\ntest = { timeout_secs = 5 }\n", &["line 2", "has no `command`"]);
    check_bad("[checks]\ntest = { command = \"x\", timeout_secs = 0 }\n", &["line 2", "above 0"]);
    check_bad("[checks]\ntest = { command = \"x\", lint = \"yes\" }\n", &["`lint` must be true or false"]);
    check_bad("[checks]\ntest = \"  \"\n", &["line 2", "empty command"]);
    check_bad("[checks]\ntest = \"x\n", &["line 2", "fix the TOML"]);
    check_bad("checks = \"cargo test\"\n", &["line 1"]);
}

#[test]
fn detection_names_each_ecosystem() {
    let placeholder = r#"{"scripts": {"test": "echo \"Error: no test specified\" && exit 1"}}"#;
    // The files of a repository, and the (name, command) of the checks detected in it.
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case<'_>> = vec![
        (vec![("go.mod", "")], vec![("test", "go test ./...")]),
        (vec![("package.json", r#"{"scripts": {"test": "jest"}}"#)], vec![("test", "npm test")]),
        (vec![("package.json", placeholder)], vec![]),
        (vec![("package.json", "{ not json")], vec![]),
        (vec![("package.json", r#"{"scripts": {"build": "tsc"}}"#)], vec![]),
        (vec![("pyproject.toml", "")], vec![("test", "python3 -m pytest")]),
        (vec![("setup.py", "")], vec![("test", "python3 -m pytest")]),
        (vec![("tests/test_x.py", "")], vec![("test", "python3 -m pytest")]),
        (vec![("tests/helper.py", "")], vec![]),
        (vec![("tests", "a file, not a directory")], vec![]),
        (
            vec![
                ("Cargo.toml", ""),
                ("go.mod", ""),
                ("package.json", r#"{"scripts": {"test": "vitest run"}}"#),
                ("tox.ini", ""),
            ],
            vec![
                ("test", "cargo test"),
                ("go-test", "go test ./..."),
                ("npm-test", "npm test"),
                ("pytest", "python3 -m pytest"),
            ],
        ),
        (vec![("go.mod", ""), ("pytest.ini", "")], vec![("test", "go test ./..."), ("pytest", "python3 -m pytest")]),
    ];
    for (files, expected) in cases {
        let dir = repo(&files);
        let expected: Vec<_> = expected.iter().map(|(name, command)| spec(name, command, 600, true, false)).collect();
        assert_eq!(detect(dir.path()).unwrap(), expected, "{files:?}");
    }
}

#[test]
fn nothing_found_says_how_to_declare_checks() {
    let dir = repo(&[("README.md", "hello"), ("src/", "")]);
    let err = resolve(dir.path(), None).unwrap_err();
    assert!(matches!(err, ChecksError::NoChecks { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(".braid/config.toml") && message.contains("[checks]\ntest = "), "{message}");
}

#[test]
fn an_unreadable_config_is_an_error_naming_it() {
    // A directory where the file should be cannot be read as one.
    let dir = repo(&[(".braid/config.toml/", "")]);
    let err = resolve(dir.path(), None).unwrap_err();
    assert!(matches!(&err, ChecksError::Read { path, .. } if path.ends_with(".braid/config.toml")), "{err:?}");
}
