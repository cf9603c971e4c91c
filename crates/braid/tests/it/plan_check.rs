//! `braid plan check`: reports for people and as JSON, the exit codes, and the repository root it finds.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use braid_test_support::TempRepo;

/// A plan with every section, one milestone and a `cargo test` check.
fn good_plan() -> String {
    let sections = [
        "Purpose / Big Picture",
        "Progress\n\n- [x] (2026-11-22 09:30Z) Wrote this plan.\n- [ ] Milestone 1.",
        "Surprises & Discoveries",
        "Decision Log",
        "Outcomes & Retrospective",
        "Context and Orientation",
        "Plan of Work\n\n### Milestone 1: Do it\nScope: src/lib.rs.\nAcceptance: the tests pass.",
        "Concrete Steps",
        "Validation and Acceptance",
        "Idempotence and Recovery",
        "Artifacts and Notes",
        "Interfaces and Dependencies",
    ];
    let mut text =
        String::from("# Do it\n\n```toml plan\nscope = [\"src/**\"]\n\n[checks]\ntest = \"cargo test\"\n```\n");
    for section in sections {
        text.push_str(&format!("\n## {section}\n"));
    }
    text
}

/// A repository holding `src/lib.rs`, and a directory with a fake `cargo` to use as the whole `PATH`.
fn setup() -> (TempRepo, tempfile::TempDir) {
    let repo = TempRepo::new();
    repo.write("src/lib.rs", "pub fn f() {}\n");
    let bin = tempfile::tempdir().unwrap();
    let cargo = bin.path().join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    (repo, bin)
}

fn braid(cwd: &Path, path: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("braid").unwrap().current_dir(cwd).env("PATH", path).args(args).output().unwrap()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_bad_plan_gets_lines_with_codes_and_exit_code_1() {
    let (repo, bin) = setup();
    let bad = good_plan()
        .replace("- [x] (2026-11-22 09:30Z) Wrote", "- [x] Wrote")
        .replace("cargo test", "carg test")
        .replace("\n## Artifacts and Notes\n", "\n");
    repo.write("plans/bad.md", &bad);
    // Run from a subdirectory: the root is still the repository's, so `src/**` matches.
    let out = braid(&repo.path().join("src"), bin.path(), &["plan", "check", "../plans/bad.md"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!(stdout_of(&out), @r"
    ../plans/bad.md:1: error[missing-section]: missing section `## Artifacts and Notes`; add it, even if it only says what will go there
    ../plans/bad.md:7: error[check-not-runnable]: check `test` runs `carg`, which is not a shell builtin, not on PATH and not a file in the repository; install it or fix the command
    ../plans/bad.md:14: error[progress-timestamp]: a checked item needs the UTC time it was done right after the box, like `- [x] (2026-11-22 09:30Z) ...`
    ../plans/bad.md: 3 errors, 0 warnings
    ");
}

#[test]
fn a_good_plan_passes_with_a_json_report() {
    let (repo, bin) = setup();
    repo.write("plans/good.md", &good_plan());
    let out = braid(repo.path(), bin.path(), &["plan", "check", "--json", "plans/good.md"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    insta::assert_json_snapshot!(json, @r#"
    {
      "diagnostics": [],
      "errors": 0,
      "file": "plans/good.md",
      "ok": true,
      "warnings": 0
    }
    "#);
}

#[test]
fn several_files_give_one_json_line_each_and_strict_fails_on_warnings() {
    let (repo, bin) = setup();
    repo.write("plans/good.md", &good_plan());
    repo.write("plans/warn.md", &good_plan().replace("[\"src/**\"]", "[\"src/**\", \"docs/**\"]"));
    let args = ["plan", "check", "--json", "plans/good.md", "plans/warn.md"];
    let out = braid(repo.path(), bin.path(), &args);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> =
        stdout_of(&out).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[1]["file"].as_str(), lines[1]["warnings"].as_u64()), (Some("plans/warn.md"), Some(1)));
    assert_eq!(lines[1]["diagnostics"][0]["code"], "glob-matches-nothing");

    let out = braid(repo.path(), bin.path(), &["plan", "check", "--strict", "plans/good.md", "plans/warn.md"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_of(&out).ends_with("plans/warn.md: 0 errors, 1 warning\n"), "{}", stdout_of(&out));
}

#[test]
fn an_unreadable_file_is_named_and_exits_2_after_checking_the_others() {
    let (repo, bin) = setup();
    repo.write("plans/good.md", &good_plan());
    let out = braid(repo.path(), bin.path(), &["plan", "check", "plans/missing.md", "plans/good.md"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: cannot read plan file plans/missing.md: "), "{stderr}");
    assert_eq!(stdout_of(&out), "plans/good.md: 0 errors, 0 warnings\n");
}
