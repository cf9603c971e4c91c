//! Tests of skill discovery over real fixture trees, of the context text and of `$name` invocation.

use std::fs;
use std::path::Path;

use super::*;

fn skill_md(name: &str, description: &str) -> String {
    format!("---\nname: {name}\ndescription: {description}\n---\n# {name}\n\nThe body of {name}.\n")
}

/// Writes `files` (paths relative to the repo, or to home when they start with `~/`).
fn tree(repo: &Path, home: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let full = match path.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => repo.join(path),
        };
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, content).unwrap();
    }
}

/// Replaces the temp dirs in `text` with `[REPO]` and `[HOME]`.
fn redact(text: &str, repo: &Path, home: &Path) -> String {
    text.replace(&repo.display().to_string(), "[REPO]").replace(&home.display().to_string(), "[HOME]")
}

#[test]
fn discovery_over_all_roots_with_precedence_a_duplicate_and_a_broken_file() {
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    tree(
        repo.path(),
        home.path(),
        &[
            (".braid/skills/deploy/SKILL.md", &skill_md("deploy", "Ship a release.")),
            (".braid/skills/deploy/scripts/ship.sh", "echo ship"),
            (".codex/skills/review/SKILL.md", &skill_md("review", "Review a change.")),
            // The same name in a later root: the .braid one wins.
            (".claude/skills/deploy/SKILL.md", &skill_md("deploy", "An older deploy.")),
            (".claude/skills/broken/SKILL.md", "---\nname: broken\n"),
            (".claude/skills/notes/README.md", "no SKILL.md here, so not a skill"),
            // Grouped one level further down.
            (".claude/skills/group/pdf/SKILL.md", &skill_md("pdf", "Fill PDF forms.")),
            ("~/skills/global/SKILL.md", &skill_md("global", "Everywhere.")),
        ],
    );
    let set = discover(repo.path(), Some(home.path()));
    let listed: Vec<(String, SkillSource, String)> = set
        .skills
        .iter()
        .map(|s| (s.name.clone(), s.source, redact(&s.path.display().to_string(), repo.path(), home.path())))
        .collect();
    assert_eq!(
        listed,
        [
            ("deploy".to_string(), SkillSource::Braid, "[REPO]/.braid/skills/deploy/SKILL.md".to_string()),
            ("review".to_string(), SkillSource::Codex, "[REPO]/.codex/skills/review/SKILL.md".to_string()),
            ("pdf".to_string(), SkillSource::Claude, "[REPO]/.claude/skills/group/pdf/SKILL.md".to_string()),
            ("global".to_string(), SkillSource::Home, "[HOME]/skills/global/SKILL.md".to_string()),
        ]
    );
    assert_eq!(set.skills[0].description, "Ship a release.");
    let warnings: Vec<String> = set.warnings.iter().map(|w| redact(w, repo.path(), home.path())).collect();
    assert_eq!(
        warnings,
        [
            "skill [REPO]/.claude/skills/broken/SKILL.md was skipped: the front matter is not closed: add a `---` line after its last key",
            "skill `deploy` is defined twice: [REPO]/.braid/skills/deploy/SKILL.md is used and [REPO]/.claude/skills/deploy/SKILL.md is ignored (rename one to keep both)",
        ]
    );
}

#[test]
fn no_roots_no_skills_and_no_home_skips_home() {
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    tree(repo.path(), home.path(), &[("~/skills/global/SKILL.md", &skill_md("global", "Everywhere."))]);
    assert_eq!(discover(repo.path(), None), SkillSet::default());
    assert_eq!(discover(repo.path(), Some(home.path())).skills.len(), 1);
}

#[test]
fn context_lists_names_descriptions_and_paths_but_not_bodies() {
    let skills = [
        Skill {
            name: "deploy".into(),
            description: "Ship a\nrelease.".into(),
            path: "/r/.braid/skills/deploy/SKILL.md".into(),
            source: SkillSource::Braid,
        },
        Skill {
            name: "pdf".into(),
            description: "Fill forms.".into(),
            path: "/h/skills/pdf/SKILL.md".into(),
            source: SkillSource::Home,
        },
    ];
    let text = context_text(&skills).unwrap();
    assert!(text.starts_with("<skills>\n") && text.ends_with("\n</skills>"), "{text}");
    assert!(text.contains("- deploy: Ship a release. (file: /r/.braid/skills/deploy/SKILL.md)\n"), "{text}");
    assert!(text.contains("- pdf: Fill forms. (file: /h/skills/pdf/SKILL.md)\n"), "{text}");
    assert_eq!(context_text(&[]), None);
}

#[test]
fn dollar_names_invoke_known_skills_only() {
    let skill = |name: &str| Skill {
        name: name.into(),
        description: "d".into(),
        path: format!("/s/{name}/SKILL.md").into(),
        source: SkillSource::Braid,
    };
    let skills = [skill("deploy"), skill("pdf"), skill("deploy-docs")];
    let check = |prompt: &str, expected: &[&str]| {
        let got: Vec<&str> = invoked(prompt, &skills).iter().map(|s| s.name.as_str()).collect();
        assert_eq!(got, expected, "prompt: {prompt}");
    };
    check("use $deploy now", &["deploy"]);
    check("$pdf, then $deploy. And $pdf again", &["pdf", "deploy"]);
    check("($deploy-docs)", &["deploy-docs"]);
    check("costs $5 and $HOME is set", &[]);
    check("a$deploy $$deploy $deployment $Deploy", &[]);
    check("$deploy_x $ deploy deploy", &[]);
    check("é$pdf", &[]);
    check("$pdf", &["pdf"]);
}

#[test]
fn invocation_carries_the_body_and_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("SKILL.md");
    fs::write(&path, skill_md("deploy", "Ship.")).unwrap();
    let skill =
        Skill { name: "deploy".into(), description: "Ship.".into(), path: path.clone(), source: SkillSource::Home };
    let text = invocation_text(&skill).unwrap();
    assert!(text.starts_with("<skill name=\"deploy\">\n"), "{text}");
    assert!(text.contains("The body of deploy.\n</skill>"), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(!text.contains("description: Ship."), "the front matter is not repeated: {text}");

    fs::write(&path, format!("{}{}", skill_md("deploy", "Ship."), "é".repeat(MAX_INVOKED_BODY_BYTES))).unwrap();
    let text = invocation_text(&skill).unwrap();
    assert!(text.len() < MAX_INVOKED_BODY_BYTES + 1024, "{}", text.len());
    assert!(text.contains("[braid cut the skill here at 16384 bytes"), "{text}");

    fs::remove_file(&path).unwrap();
    let err = invocation_text(&skill).unwrap_err();
    assert!(err.starts_with(&format!("cannot read {}", path.display())), "{err}");
}

#[test]
fn config_switch() {
    #[derive(serde::Deserialize)]
    struct Doc {
        skills: SkillsToml,
    }
    let enabled = |text: &str| toml::from_str::<Doc>(text).map(|d| d.skills.enabled()).map_err(|e| e.to_string());
    assert_eq!(enabled("skills = false"), Ok(false));
    assert_eq!(enabled("skills = true"), Ok(true));
    assert_eq!(enabled("[skills]\nenabled = false"), Ok(false));
    assert_eq!(enabled("[skills]\n"), Ok(true));
    let err = enabled("[skills]\nenable = false").unwrap_err();
    assert!(err.contains("unknown field `enable`, expected `enabled`"), "{err}");
    let err = enabled("skills = \"no\"").unwrap_err();
    assert!(err.contains("expected `skills = true|false` or a `[skills]` table with `enabled = true|false`"), "{err}");
}
