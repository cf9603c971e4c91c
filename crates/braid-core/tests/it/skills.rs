//! Skills in a session: the first request lists them (names, descriptions, paths, never bodies), a
//! `$name` prompt adds the invoked skill's body, and broken files become warnings, not failures.

use braid_core::session::CancellationToken;
use braid_protocol::AgentEvent;
use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};

use crate::harness::{WIRES, options, start, start_with};

fn skill_md(name: &str, description: &str, body: &str) -> String {
    format!("---\nname: {name}\ndescription: {description}\n---\n{body}\n")
}

#[tokio::test]
async fn skills_are_listed_and_a_dollar_name_brings_the_body() {
    for wire in WIRES {
        let repo = TempRepo::new();
        let home = tempfile::tempdir().unwrap();
        repo.write(".braid/skills/deploy/SKILL.md", &skill_md("deploy", "Ship a release.", "DEPLOY-BODY-MARKER"));
        repo.write(".claude/skills/broken/SKILL.md", "no front matter");
        let global = home.path().join("skills/notes/SKILL.md");
        std::fs::create_dir_all(global.parent().unwrap()).unwrap();
        std::fs::write(&global, skill_md("notes", "Keep notes.", "NOTES-BODY-MARKER")).unwrap();

        let server = ScriptedServer::start(Script::new([
            Reply::Turn(Turn::new().text("ok")),
            Reply::Turn(Turn::new().text("deployed")),
        ]));
        let (mut session, events) = start(&server, wire, repo.path(), Some(home.path()));
        session.run_turn("what can you do? it costs $5", &CancellationToken::new()).await.unwrap();
        session.run_turn("please $deploy it", &CancellationToken::new()).await.unwrap();

        let requests = server.requests();
        let first = requests[0].body.to_string();
        let deploy_path = repo.path().join(".braid/skills/deploy/SKILL.md");
        assert!(first.contains("<skills>"), "{wire:?}: {first}");
        assert!(first.contains(&format!("- deploy: Ship a release. (file: {})", deploy_path.display())), "{wire:?}");
        assert!(first.contains(&format!("- notes: Keep notes. (file: {})", global.display())), "{wire:?}");
        assert!(!first.contains("BODY-MARKER"), "{wire:?}: bodies stay out of the context: {first}");
        assert!(!first.contains("<skill name="), "{wire:?}: `$5` invokes nothing");

        let second = requests[1].body.to_string();
        assert!(second.contains("<skill name=\\\"deploy\\\">"), "{wire:?}: {second}");
        assert!(second.contains("DEPLOY-BODY-MARKER"), "{wire:?}");
        assert!(!second.contains("NOTES-BODY-MARKER"), "{wire:?}");

        let warnings: Vec<String> = events
            .all()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::Warning { message } => Some(message),
                _ => None,
            })
            .collect();
        let broken = repo.path().join(".claude/skills/broken/SKILL.md");
        assert_eq!(
            warnings,
            [format!(
                "skill {} was skipped: no front matter: the file must start with a `---` line, then `name:` and `description:`, then `---`",
                broken.display()
            )],
            "{wire:?}"
        );
    }
}

#[tokio::test]
async fn skills_can_be_turned_off() {
    let repo = TempRepo::new();
    repo.write(".braid/skills/deploy/SKILL.md", &skill_md("deploy", "Ship a release.", "DEPLOY-BODY-MARKER"));
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("ok"))]));
    let options = braid_core::SessionOptions { skills: false, ..options(repo.path(), None) };
    let (mut session, _events) = start_with(&server, braid_model::WireApi::Chat, options);
    session.run_turn("$deploy", &CancellationToken::new()).await.unwrap();
    let body = server.requests()[0].body.to_string();
    assert!(!body.contains("<skills>") && !body.contains("DEPLOY-BODY-MARKER"), "{body}");
}
