//! The temporary git repository fixture against the real git CLI.

use braid_test_support::TempRepo;

#[test]
fn starts_on_main_with_one_commit_and_commits_changes() {
    let repo = TempRepo::new();
    assert!(repo.path().join(".git").is_dir());
    assert_eq!(repo.git(&["branch", "--show-current"]).trim(), "main");
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert!(repo.read("README.md").starts_with("# "));

    repo.write("src/lib.rs", "pub fn one() -> u32 { 1 }\n");
    assert_eq!(repo.read("src/lib.rs"), "pub fn one() -> u32 { 1 }\n");
    assert!(repo.git(&["status", "--porcelain"]).contains("src/"));
    repo.commit_all("Add lib");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "Add lib");
    assert_eq!(repo.git(&["log", "-1", "--format=%ae"]).trim(), "braid-test@example.invalid");
}

#[test]
#[should_panic(expected = "git rev-parse no-such-ref")]
fn failing_git_panics_with_the_command() {
    TempRepo::new().git(&["rev-parse", "no-such-ref"]);
}
