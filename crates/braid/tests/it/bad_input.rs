//! Bad input at the command line: each failure is one clear line and a non-zero exit code.

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};

use crate::harness::Env;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn broken_config_names_file_and_line() {
    let repo = TempRepo::new();
    let env = Env::with_config("model = \"x\"\nmodel_provider = [\n");
    let out = env.braid(repo.path()).args(["exec", "hi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(stderr.starts_with("error: ") && stderr.contains("config.toml:"), "{stderr}");
}

#[test]
fn no_provider_and_no_model_says_which_pull_to_run() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("braid")
        .unwrap()
        .current_dir(repo.path())
        .env("BRAID_HOME", home.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .args(["exec", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    // With no key and no provider the embedded model is the default, so the hint is how to get it.
    assert!(stderr.contains("model `qwen-coder-1.5b` is not installed"), "{stderr}");
    assert!(stderr.contains("braid model pull qwen-coder-1.5b"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn unauthorized_says_which_variable_to_check() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::HttpError {
        status: 401,
        body: "{\"error\":{\"message\":\"Incorrect API key provided\"}}".into(),
        retry_after: None,
    }]));
    let env = Env::new(&server, "responses");
    let out = env.braid(repo.path()).args(["exec", "--json", "hi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("SCRIPTED_API_KEY"), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().last().unwrap().contains("\"turn.failed\""), "{stdout}");
}

#[test]
fn empty_task_and_unknown_session_are_refused() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([Reply::Turn(Turn::new().text("unused"))]));
    let env = Env::new(&server, "chat");
    let out = env.braid(repo.path()).args(["exec", "   "]).output().unwrap();
    assert!(stderr_of(&out).contains("the task is empty"), "{}", stderr_of(&out));
    let out = env.braid(repo.path()).args(["resume", "0000dead", "hi"]).output().unwrap();
    assert!(stderr_of(&out).contains("no session matches `0000dead`"), "{}", stderr_of(&out));
    assert!(server.requests().is_empty());
}

#[test]
fn missing_working_directory_is_named() {
    let repo = TempRepo::new();
    let server = ScriptedServer::start(Script::new([]));
    let env = Env::new(&server, "chat");
    let out = env.braid(repo.path()).args(["exec", "-C", "/nonexistent/dir", "hi"]).output().unwrap();
    assert!(stderr_of(&out).contains("/nonexistent/dir"), "{}", stderr_of(&out));
}
