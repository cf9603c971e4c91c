//! `braid init` as a user runs it: in a real git repository, with `-C`, twice, and on bad input.

use braid_test_support::TempRepo;

fn braid() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("braid").unwrap();
    command.env("BRAID_HOME", std::env::temp_dir().join("braid-init-test-home-unused"));
    command
}

/// Runs `braid -C <repo> init` and returns its stdout with the repository path replaced by `[REPO]`.
fn init_output(repo: &std::path::Path) -> String {
    let out = braid().arg("-C").arg(repo).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let canonical = repo.canonicalize().unwrap();
    String::from_utf8(out.stdout).unwrap().replace(&canonical.display().to_string(), "[REPO]")
}

#[test]
fn init_writes_the_guide_and_says_what_it_did() {
    let repo = TempRepo::new();
    std::fs::write(repo.path().join("AGENTS.md"), "# House rules\n\nRun `make check`.\n").unwrap();
    insta::assert_snapshot!(init_output(repo.path()), @r#"
    braid init in [REPO]
      created   PLANS.md           how to write and keep an execution plan
      updated   AGENTS.md          tells agents to follow PLANS.md
      updated   .git/info/exclude  keeps .braid/ (braid's state) out of git
    Next: `braid plan "<goal>"` writes a plan to plans/<slug>.md; check it with `braid plan check <file>` and run it with `braid exec --plan <file>`.
    "#);
    assert!(repo.path().join("PLANS.md").exists());
    let agents = std::fs::read_to_string(repo.path().join("AGENTS.md")).unwrap();
    assert!(agents.starts_with("# House rules\n\nRun `make check`.\n\n<!-- braid:plans -->"), "{agents}");
    let exclude = std::fs::read_to_string(repo.path().join(".git/info/exclude")).unwrap();
    assert!(exclude.lines().any(|line| line == ".braid/"), "{exclude}");
    insta::assert_snapshot!(init_output(repo.path()), @r#"
    braid init in [REPO]
      unchanged PLANS.md           how to write and keep an execution plan
      unchanged AGENTS.md          tells agents to follow PLANS.md
      unchanged .git/info/exclude  keeps .braid/ (braid's state) out of git
    Next: `braid plan "<goal>"` writes a plan to plans/<slug>.md; check it with `braid plan check <file>` and run it with `braid exec --plan <file>`.
    "#);
}

#[test]
fn init_in_the_current_directory_works_without_git() {
    let dir = tempfile::tempdir().unwrap();
    let out = braid().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().filter(|line| line.starts_with("  created")).count(), 2, "{stdout}");
    assert!(!stdout.contains("exclude"), "{stdout}");
}

#[test]
fn init_on_a_file_or_missing_directory_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "x").unwrap();
    for (path, needle) in [(file, "is not a directory"), (dir.path().join("missing"), "does not exist")] {
        let out = braid().arg("-C").arg(&path).arg("init").output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
