//! `init` against real temporary directories: a fresh one, existing files that must survive byte for
//! byte, running twice, CRLF files, git repositories and linked worktrees, and bad input.

use std::os::unix::fs::PermissionsExt as _;

use super::*;

/// Runs init in `dir` and returns each file's path and status.
fn statuses(dir: &Path) -> Vec<(String, FileStatus)> {
    let report = init(dir).unwrap();
    assert_eq!(report.repo, dir);
    report.files.iter().map(|f| (f.path.display().to_string(), f.status)).collect()
}

fn read(dir: &Path, path: &str) -> String {
    fs::read_to_string(dir.join(path)).unwrap()
}

/// No temporary file may be left behind anywhere in `dir`.
fn no_leftovers(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
    }
}

#[test]
fn a_fresh_directory_gets_both_files() {
    let dir = tempfile::tempdir().unwrap();
    use FileStatus::*;
    assert_eq!(statuses(dir.path()), vec![("PLANS.md".into(), Created), ("AGENTS.md".into(), Created)]);
    assert_eq!(read(dir.path(), "PLANS.md"), PLANS_GUIDE);
    let agents = read(dir.path(), "AGENTS.md");
    assert!(agents.starts_with("# Instructions for coding agents\n\n<!-- braid:plans -->\n"), "{agents}");
    assert!(agents.ends_with("<!-- /braid:plans -->\n") && agents.contains("[PLANS.md](PLANS.md)"), "{agents}");
    no_leftovers(dir.path());
    // A second run finds everything in place.
    assert_eq!(statuses(dir.path()), vec![("PLANS.md".into(), Unchanged), ("AGENTS.md".into(), Unchanged)]);
}

#[test]
fn the_guide_covers_what_a_plan_needs() {
    for needle in [
        "```toml plan",
        "scope",
        "forbidden",
        "checks",
        "approaches",
        "### Milestone 1:",
        "Acceptance:",
        "Decision Log",
        "Outcomes & Retrospective",
        "UTC",
        "braid plan \"<goal>\"",
        "braid plan check",
        "braid exec --plan",
        "self-containment",
    ] {
        assert!(PLANS_GUIDE.contains(needle), "PLANS.md lacks {needle:?}");
    }
    let lines = PLANS_GUIDE.lines().count();
    assert!((120..=200).contains(&lines), "PLANS.md has {lines} lines");
}

#[test]
fn an_existing_agents_md_is_kept_byte_for_byte_and_gains_the_block_once() {
    // Each case: the existing AGENTS.md, and what must sit between it and the block.
    for (existing, separator) in [
        ("# Ours\n\nRun `make test`.\n", "\n"),
        ("# Ours\n\nNo newline at the end", "\n\n"),
        ("# Ours\r\n\r\nWindows file\r\n", "\r\n"),
        ("", ""),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("AGENTS.md");
        fs::write(&path, existing).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let files = statuses(dir.path());
        assert_eq!(files[1], ("AGENTS.md".into(), FileStatus::Updated), "{existing:?}");
        let text = read(dir.path(), "AGENTS.md");
        let eol = if existing.contains("\r\n") { "\r\n" } else { "\n" };
        assert_eq!(text, format!("{existing}{separator}{}", agents_block(eol)), "{existing:?}");
        if eol == "\r\n" {
            assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "mixed line endings: {text:?}");
        }
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640, "permissions kept");
        no_leftovers(dir.path());
        assert_eq!(statuses(dir.path())[1].1, FileStatus::Unchanged, "{existing:?}");
        assert_eq!(read(dir.path(), "AGENTS.md"), text, "a second run changes nothing");
    }
}

#[test]
fn an_agents_md_with_the_block_moved_by_a_person_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("# Ours\n\n{}\nMore rules after it.\n", agents_block("\n"));
    fs::write(dir.path().join("AGENTS.md"), &text).unwrap();
    assert_eq!(statuses(dir.path())[1].1, FileStatus::Unchanged);
    assert_eq!(read(dir.path(), "AGENTS.md"), text);
}

#[test]
fn an_agents_md_symlink_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/agents.md"), "# Shared\n").unwrap();
    std::os::unix::fs::symlink("docs/agents.md", dir.path().join("AGENTS.md")).unwrap();
    assert_eq!(statuses(dir.path())[1].1, FileStatus::Updated);
    assert!(fs::symlink_metadata(dir.path().join("AGENTS.md")).unwrap().file_type().is_symlink());
    assert!(read(dir.path(), "docs/agents.md").starts_with("# Shared\n\n<!-- braid:plans -->\n"));
}

#[test]
fn an_existing_plans_md_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("PLANS.md"), "our own guide\n").unwrap();
    assert_eq!(statuses(dir.path())[0], ("PLANS.md".into(), FileStatus::Kept));
    assert_eq!(read(dir.path(), "PLANS.md"), "our own guide\n");
    assert_eq!(statuses(dir.path())[0].1, FileStatus::Kept);
}

#[test]
fn a_git_repository_excludes_braid_state_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".git/info")).unwrap();
    fs::write(dir.path().join(".git/info/exclude"), "# git's own comment\n*.swp").unwrap();
    let files = statuses(dir.path());
    assert_eq!(files[2], (".git/info/exclude".into(), FileStatus::Updated));
    let exclude = read(dir.path(), ".git/info/exclude");
    assert!(exclude.starts_with("# git's own comment\n*.swp\n") && exclude.ends_with("\n.braid/\n"), "{exclude}");
    assert_eq!(statuses(dir.path())[2].1, FileStatus::Unchanged);
    assert_eq!(read(dir.path(), ".git/info/exclude"), exclude);

    // A repository without info/ gets one; one that ignores .braid already is left alone.
    let fresh = tempfile::tempdir().unwrap();
    fs::create_dir(fresh.path().join(".git")).unwrap();
    assert_eq!(statuses(fresh.path())[2].1, FileStatus::Created);
    let ignored = tempfile::tempdir().unwrap();
    fs::create_dir(ignored.path().join(".git")).unwrap();
    fs::write(ignored.path().join(".gitignore"), "target\n/.braid\n").unwrap();
    assert_eq!(statuses(ignored.path())[2].1, FileStatus::Unchanged);
    assert!(!ignored.path().join(".git/info/exclude").exists());
}

#[test]
fn a_linked_worktree_uses_the_shared_exclude_file() {
    let dir = tempfile::tempdir().unwrap();
    let main_git = dir.path().join("main/.git");
    fs::create_dir_all(main_git.join("worktrees/wt")).unwrap();
    fs::write(main_git.join("worktrees/wt/commondir"), "../..\n").unwrap();
    let worktree = dir.path().join("wt");
    fs::create_dir(&worktree).unwrap();
    fs::write(worktree.join(".git"), "gitdir: ../main/.git/worktrees/wt\n").unwrap();
    let report = init(&worktree).unwrap();
    assert_eq!(report.files[2].status, FileStatus::Created);
    assert!(report.files[2].path.is_absolute(), "outside the worktree, so shown in full");
    let exclude = main_git.join("info/exclude");
    assert_eq!(report.files[2].path, main_git.canonicalize().unwrap().join("info/exclude"));
    assert!(fs::read_to_string(exclude).unwrap().ends_with(".braid/\n"));
}

#[test]
fn a_path_that_is_not_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    fs::write(&file, "x").unwrap();
    for path in [file, dir.path().join("missing")] {
        let err = init(&path).unwrap_err();
        assert!(matches!(err, InitError::NotADirectory { .. }), "{err}");
        assert!(err.to_string().contains("is not a directory") && err.to_string().contains("-C"), "{err}");
    }
}

#[test]
fn a_read_only_directory_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let result = init(dir.path());
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    // Root may write anyway; then there is no failure to look at.
    if let Err(err) = result {
        assert!(matches!(err, InitError::Write { .. }), "{err}");
        assert!(err.to_string().contains("PLANS.md"), "{err}");
    }
}
