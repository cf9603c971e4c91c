//! `braid skills list` over a real repository and home: precedence, a duplicate and a broken file.

use braid_test_support::TempRepo;

use crate::harness::Env;

fn skill_md(name: &str, description: &str) -> String {
    format!("---\nname: {name}\ndescription: {description}\n---\nBody.\n")
}

/// A repository with skills in every root, a duplicate and a broken one, and a home with one more.
fn fixture() -> (TempRepo, Env) {
    let repo = TempRepo::new();
    repo.write(".braid/skills/deploy/SKILL.md", &skill_md("deploy", "Ship a release."));
    repo.write(".codex/skills/review/SKILL.md", &skill_md("review", "Review a change."));
    repo.write(".claude/skills/deploy/SKILL.md", &skill_md("deploy", "An older deploy."));
    repo.write(".claude/skills/broken/SKILL.md", "---\nname: broken\ndescription: [a, b]\n---\n");
    repo.write("src/main.rs", "fn main() {}\n");
    let env = Env::with_config("");
    let global = env.home.path().join("skills/notes");
    std::fs::create_dir_all(&global).unwrap();
    std::fs::write(global.join("SKILL.md"), skill_md("notes", "Keep notes\n  as you go.")).unwrap();
    (repo, env)
}

fn redact(text: &[u8], repo: &TempRepo, env: &Env) -> String {
    String::from_utf8_lossy(text)
        .replace(&repo.path().canonicalize().unwrap().display().to_string(), "[REPO]")
        .replace(&env.home.path().display().to_string(), "[HOME]")
}

#[test]
fn lists_skills_in_precedence_order_with_warnings_on_stderr() {
    let (repo, env) = fixture();
    // From a subdirectory: the roots are found at the repository's top.
    let out = env.braid(&repo.path().join("src")).args(["skills", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(redact(&out.stdout, &repo, &env), @r"
    deploy (.braid/skills)
      Ship a release.
      [REPO]/.braid/skills/deploy/SKILL.md
    review (.codex/skills)
      Review a change.
      [REPO]/.codex/skills/review/SKILL.md
    notes (home)
      Keep notes as you go.
      [HOME]/skills/notes/SKILL.md
    ");
    insta::assert_snapshot!(redact(&out.stderr, &repo, &env), @r"
    warning: skill [REPO]/.claude/skills/broken/SKILL.md was skipped: line 3: `[a, b]` uses YAML syntax braid does not read (flow collections, anchors, tags); quote the value
    warning: skill `deploy` is defined twice: [REPO]/.braid/skills/deploy/SKILL.md is used and [REPO]/.claude/skills/deploy/SKILL.md is ignored (rename one to keep both)
    ");
}

#[test]
fn lists_skills_as_json() {
    let (repo, env) = fixture();
    let out = env.braid(repo.path()).args(["skills", "list", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["source"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("deploy", "braid"), ("review", "codex"), ("notes", "home")]);
    assert_eq!(listed[0]["description"], "Ship a release.");
    assert!(listed[0]["path"].as_str().unwrap().ends_with(".braid/skills/deploy/SKILL.md"));
}

#[test]
fn says_when_skills_are_off_or_missing() {
    let repo = TempRepo::new();
    let env = Env::with_config("skills = false\n");
    let out = env.braid(repo.path()).args(["skills", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(redact(&out.stdout, &repo, &env), @"no skills found; add folders with a SKILL.md under .braid/skills in the repository or under $BRAID_HOME/skills");
    insta::assert_snapshot!(redact(&out.stderr, &repo, &env), @"note: skills are turned off in [HOME]/config.toml (`skills = false`), so sessions do not offer these");
}
