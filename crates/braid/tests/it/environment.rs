//! Commands the model runs do not see credentials: the provider's key variable (whatever it is called)
//! and anything that looks like a key, token, secret or password are withheld from their environment.

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

use crate::harness::Env;

#[test]
fn the_provider_key_and_other_credentials_are_absent_from_a_commands_environment() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([
        Reply::Turn(Turn::new().tool_call("c1", "shell", json!({"command": ["env"]}))),
        Reply::Turn(Turn::new().text("looked")),
    ]));
    // The key variable's name does not look like a secret: only the provider config says it is one.
    let env = Env::with_config(&format!(
        "model = \"m\"\nmodel_provider = \"lab\"\nmodel_context_window = 32000\n\
         [model_providers.lab]\nbase_url = \"{}\"\nwire_api = \"chat\"\nenv_key = \"LAB_ACCESS\"\n\
         [tools]\nenv_remove = [\"TEAM_BADGE\"]\n",
        server.base_url()
    ));
    let out = env
        .braid(repo.path())
        .env("LAB_ACCESS", "lab-secret-value")
        .env("GITHUB_TOKEN", "ghp-secret-value")
        .env("MY_DB_PASSWORD", "hunter2")
        .env("TEAM_BADGE", "badge-value")
        .env("BRAID_TEST_VISIBLE", "plain-value")
        .args(["exec", "show the environment"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen = &server.requests()[1].tool_outputs()[0].1;
    assert!(seen.contains("BRAID_TEST_VISIBLE=plain-value"), "{seen}");
    for secret in ["LAB_ACCESS", "lab-secret-value", "GITHUB_TOKEN", "ghp-secret-value", "hunter2", "TEAM_BADGE"] {
        assert!(!seen.contains(secret), "{secret} reached the command:\n{seen}");
    }
    // The request itself still authenticated with the key.
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer lab-secret-value"));
}
