//! The harnesses under test and how each is started on one task against one model endpoint: braid
//! (`braid exec`), Codex CLI (`codex exec` with a custom provider) and aider (`aider --message`), each
//! with a private home so no user configuration leaks into a measurement.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;

/// Where a harness gets its model.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// An OpenAI-compatible server at `base_url` (ending in `/v1`), serving `model` over the
    /// Responses API and Chat Completions.
    Http { base_url: String, model: String },
    /// braid's embedded engine in-process, on this GGUF file, with this context per request.
    Embedded { gguf: PathBuf, context_tokens: u32 },
}

impl Endpoint {
    /// The base URL and model of an HTTP endpoint. Fails for the embedded engine, which only braid can
    /// load in-process: a peer (`who`) needs `braid model serve` in front of it.
    fn http(&self, who: &str) -> anyhow::Result<(&str, &str)> {
        match self {
            Endpoint::Http { base_url, model } => Ok((base_url, model)),
            Endpoint::Embedded { .. } => {
                anyhow::bail!("{who} needs an HTTP endpoint; start `braid model serve` in front of the model")
            }
        }
    }
}

/// The API key variable every harness is told to read; the servers here accept any key.
const KEY_VAR: &str = "BRAID_BENCH_KEY";

/// Which harness, and how it is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// braid with its sandbox off, as Codex runs here.
    Braid,
    /// braid with its default `workspace-write` sandbox (Landlock, seccomp, namespaces per command).
    BraidSandboxed,
    /// Codex CLI's native binary with its sandbox off: its Linux sandbox helper is missing from the npm
    /// install on this machine.
    Codex,
    /// Codex CLI through its npm entry point (a Node script that starts the native binary), which is
    /// what a user who types `codex` runs.
    CodexNpm,
    Aider,
}

/// One harness: its kind and the program that starts it.
#[derive(Debug, Clone)]
pub struct Agent {
    pub kind: Kind,
    pub program: PathBuf,
}

impl Agent {
    /// The name tables show.
    pub fn label(&self) -> &'static str {
        match self.kind {
            Kind::Braid => "braid",
            Kind::BraidSandboxed => "braid (sandboxed)",
            Kind::Codex => "codex",
            Kind::CodexNpm => "codex (npm launcher)",
            Kind::Aider => "aider",
        }
    }

    /// Whether this is one of braid's own variants.
    pub fn is_braid(&self) -> bool {
        matches!(self.kind, Kind::Braid | Kind::BraidSandboxed)
    }

    /// `<program> --version`.
    pub fn version_command(&self) -> Command {
        let mut command = self.base_command();
        command.arg("--version").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    /// Builds the command that runs `prompt` in `workspace` non-interactively against `endpoint`. The
    /// harness's home (config, sessions) goes into `home`, which must be outside `/tmp` for Codex (it
    /// refuses to install its helper commands under a temporary directory) and is created here.
    ///
    /// Fails when `home` or its config file cannot be written.
    pub fn task_command(
        &self,
        endpoint: &Endpoint,
        home: &Path,
        workspace: &Path,
        prompt: &str,
    ) -> anyhow::Result<Command> {
        std::fs::create_dir_all(home).with_context(|| format!("cannot create {}", home.display()))?;
        let mut command = self.base_command();
        command.current_dir(workspace).stdin(Stdio::null()).env(KEY_VAR, "bench");
        for var in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_KEY", "RUST_LOG"] {
            command.env_remove(var);
        }
        match self.kind {
            Kind::Braid | Kind::BraidSandboxed => {
                write(&home.join("config.toml"), &braid_config(endpoint))?;
                let sandbox = if self.kind == Kind::Braid { "full-access" } else { "workspace-write" };
                command.env("BRAID_HOME", home).args(["exec", "--json", "-s", sandbox, prompt]);
            }
            Kind::Codex | Kind::CodexNpm => {
                let (base_url, model) = endpoint.http(self.label())?;
                write(&home.join("config.toml"), &codex_config(base_url, model))?;
                command.env("CODEX_HOME", home).args([
                    "exec",
                    "--json",
                    "--skip-git-repo-check",
                    "--dangerously-bypass-approvals-and-sandbox",
                    prompt,
                ]);
            }
            Kind::Aider => {
                let (base_url, model) = endpoint.http(self.label())?;
                // aider reads OpenAI-compatible servers through LiteLLM's `openai/` prefix. Its
                // analytics, update and model-metadata lookups would reach for the network, which
                // this machine does not have, so they are switched off.
                command
                    .env("HOME", home)
                    .env("OPENAI_API_BASE", base_url)
                    .env("OPENAI_API_KEY", "bench")
                    .env("AIDER_ANALYTICS", "false")
                    // LiteLLM otherwise fetches its model price list from GitHub at import.
                    .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                    .args([
                        "--model",
                        &format!("openai/{model}"),
                        "--yes-always",
                        "--no-check-update",
                        "--no-show-model-warnings",
                        "--no-analytics",
                        "--no-gitignore",
                        "--no-pretty",
                        "--no-stream",
                        "--no-auto-commits",
                        "--map-tokens",
                        "1024",
                        "--message",
                        prompt,
                    ]);
            }
        }
        Ok(command)
    }

    fn base_command(&self) -> Command {
        Command::new(&self.program)
    }
}

/// braid's config for `endpoint`: the scripted or served model over the Responses API, or the embedded
/// engine on the GGUF file; a turn limit no benchmark reaches and a window no benchmark fills, so that
/// both harnesses do the same requests without compacting.
pub fn braid_config(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Http { base_url, model } => format!(
            "model = \"{model}\"\nmodel_provider = \"bench\"\nmodel_context_window = 1000000\nmax_turns = 10000\n\n\
             [model_providers.bench]\nbase_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"{KEY_VAR}\"\n"
        ),
        Endpoint::Embedded { gguf, context_tokens } => format!(
            "model_provider = \"local\"\nmax_turns = 10000\n\n[local]\nmodel = \"{}\"\ncontext_tokens = {context_tokens}\nparallel = 1\n",
            gguf.display()
        ),
    }
}

/// Codex's config for `endpoint`: a custom Responses provider, and no update check (there is no
/// network here to check with).
fn codex_config(base_url: &str, model: &str) -> String {
    format!(
        "model = \"{model}\"\nmodel_provider = \"bench\"\nmodel_context_window = 1000000\ncheck_for_update_on_startup = false\n\n\
         [model_providers.bench]\nname = \"bench\"\nbase_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"{KEY_VAR}\"\n\n\
         [analytics]\nenabled = false\n"
    )
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
