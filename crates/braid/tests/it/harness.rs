//! Runs the braid binary with a private BRAID_HOME whose config points at a scripted server.

use std::path::Path;

use assert_cmd::Command;
use braid_test_support::{ScriptedServer, TempRepo};

pub struct Env {
    pub home: tempfile::TempDir,
}

impl Env {
    /// A home whose config selects the scripted server speaking `wire` ("responses", "chat", "anthropic").
    pub fn new(server: &ScriptedServer, wire: &str) -> Env {
        let home = tempfile::tempdir().unwrap();
        let config = format!(
            r#"model = "scripted-model"
model_provider = "scripted"
model_context_window = 128000

[model_providers.scripted]
base_url = "{}"
wire_api = "{wire}"
env_key = "SCRIPTED_API_KEY"
retry_base_delay_ms = 1
stream_idle_timeout_ms = 2000
"#,
            server.base_url()
        );
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        Env { home }
    }

    /// A home with exactly this config text.
    pub fn with_config(text: &str) -> Env {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), text).unwrap();
        Env { home }
    }

    pub fn braid(&self, cwd: &Path) -> Command {
        let mut cmd = Command::cargo_bin("braid").unwrap();
        cmd.current_dir(cwd)
            .env("BRAID_HOME", self.home.path())
            .env("SCRIPTED_API_KEY", "test-key")
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("RUST_LOG")
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// Starts braid in the background, for tests that must kill it mid-run (which assert_cmd cannot).
    #[allow(clippy::disallowed_methods)]
    pub fn spawn(&self, cwd: &Path, args: &[&str]) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(args)
            .current_dir(cwd)
            .env("BRAID_HOME", self.home.path())
            .env("SCRIPTED_API_KEY", "test-key")
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The rollout files written under this home.
    pub fn sessions(&self) -> Vec<std::path::PathBuf> {
        braid_core::rollout::list(self.home.path())
    }
}

/// Parses JSONL output into values.
pub fn jsonl(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// Held by each test that decodes with the embedded model, so that only one does at a time: two of them
/// decoding at once on a two-core CI machine, beside the rest of the suite, starve each other past their
/// time limits.
pub fn one_model_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A repository with `greet.sh`, which prints a fixed greeting, and `check.sh`, which wants
/// `sh greet.sh Ada` to print `hello, Ada`: the task most plan tests are about.
pub fn greeter_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("greet.sh", "echo hello\n");
    repo.write("check.sh", "test \"$(sh greet.sh Ada)\" = 'hello, Ada' && echo ok\n");
    repo.commit_all("greeter");
    repo
}

/// Writes the plan `fields` (what the model hands the `write_plan` tool) to `path` in `repo`, laid out as
/// `braid plan` writes it; not committed.
pub fn write_plan(repo: &TempRepo, path: &str, fields: serde_json::Value) {
    let plan: braid_orchestra::author::NewPlan = serde_json::from_value(fields).unwrap();
    repo.write(path, &braid_orchestra::author::render(&plan, chrono::Utc::now()));
}
