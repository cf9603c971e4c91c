//! braid's configuration: `config.toml` in braid's home, `-c key=value` overrides, profiles, and the
//! resolution of a provider into what a model client needs.
//!
//! The file is optional (a missing file means defaults). A file that does not parse, or that names a key
//! braid does not know, is an error naming the file, line and column, because silently ignoring a typo in
//! `model_provider` would send a user's code to a provider they did not choose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use braid_model::{ProviderConfig, RetryConfig, WireApi};
use braid_protocol::ReasoningEffort;
use serde::Deserialize;

/// Why the configuration could not be loaded or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("bad override `-c {raw}`: {message}")]
    Override { raw: String, message: String },
    #[error("unknown profile `{name}`; profiles defined in {}: {}", path.display(), known.join(", "))]
    UnknownProfile { name: String, path: PathBuf, known: Vec<String> },
    #[error(
        "unknown model provider `{name}`; define it under [model_providers.{name}] in {} or use one of: {}",
        path.display(),
        known.join(", ")
    )]
    UnknownProvider { name: String, path: PathBuf, known: Vec<String> },
    #[error(
        "provider `{provider}` needs an API key: set ${env_key}, or choose another provider with -c model_provider=NAME"
    )]
    MissingApiKey { provider: String, env_key: String },
    #[error("no model provider is configured and no API key is set; set OPENAI_API_KEY or ANTHROPIC_API_KEY, or add a provider to {}", path.display())]
    NoProvider { path: PathBuf },
    #[error("{}: `{key}` {message}", path.display())]
    Invalid { path: PathBuf, key: String, message: String },
    #[error("no model is set for provider `{provider}`; pass -m MODEL or set `model` in {}", path.display())]
    NoModel { provider: String, path: PathBuf },
}

/// One `[model_providers.<id>]` table.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProviderToml {
    /// A display name; defaults to the table's id.
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub wire_api: Option<WireApi>,
    /// The environment variable holding the API key. A provider without one sends no key.
    pub env_key: Option<String>,
    #[serde(default)]
    pub http_headers: BTreeMap<String, String>,
    /// The model to use with this provider when none is chosen otherwise.
    pub default_model: Option<String>,
    pub request_max_retries: Option<u32>,
    pub retry_base_delay_ms: Option<u64>,
    pub stream_idle_timeout_ms: Option<u64>,
}

/// One `[profiles.<name>]` table: a named set of choices that override the top level.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_context_window: Option<u64>,
    pub approval_policy: Option<String>,
}

/// The `[tools]` table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ToolsToml {
    /// Default timeout for a shell command the model runs.
    pub shell_timeout_ms: u64,
    /// Output kept per shell command (head and tail).
    pub max_output_bytes: usize,
    /// Variables commands do not get, besides those whose names look like credentials (KEY, TOKEN,
    /// SECRET, PASSWORD) and the providers' key variables.
    pub env_remove: Vec<String>,
    /// Let commands see credential-looking variables after all.
    pub inherit_secrets: bool,
}

impl Default for ToolsToml {
    fn default() -> Self {
        ToolsToml {
            shell_timeout_ms: 120_000,
            max_output_bytes: 16 * 1024,
            env_remove: Vec::new(),
            inherit_secrets: false,
        }
    }
}

/// The `[local]` table: the embedded model braid runs when no remote provider is chosen.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocalToml {
    /// A model name from the store (`braid model list`) or a path to a `.gguf` file.
    pub model: Option<String>,
    /// Context window per session, in tokens.
    pub context_tokens: Option<u32>,
    /// Sessions decoded at the same time by `braid model serve`.
    pub parallel: Option<u32>,
    /// CPU threads for inference; all cores when unset.
    pub threads: Option<i32>,
    /// Sampling temperature; 0 is greedy.
    pub temperature: Option<f32>,
}

/// The `[sandbox_workspace_write]` table: what the `workspace-write` sandbox opens beyond the working
/// directory and the temp dir.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxWorkspaceWriteToml {
    /// More directories commands may write.
    pub writable_roots: Vec<PathBuf>,
    /// Let confined commands use the network.
    pub network_access: bool,
}

/// The `[sandbox]` table: what confined commands (under `read-only` and `workspace-write`) may not read.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SandboxToml {
    /// Secret locations (directories or files) hidden from confined commands. When set, replaces the
    /// default list (`~/.ssh`, `~/.aws`, `~/.netrc`, braid's home…); a leading `~/` is expanded by the
    /// binary.
    pub deny_read: Option<Vec<String>>,
}

/// The provider id that selects the embedded model.
pub const LOCAL_PROVIDER: &str = "local";

/// Where model requests go.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// A remote provider and the model to ask for.
    Remote { provider: ProviderConfig, model: String },
    /// The embedded model: `model` is a store name or `.gguf` path, `None` for the default one.
    Local { model: Option<String>, settings: LocalToml },
}

/// The whole file, as written by the user.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    /// The profile used when `--profile` is not given.
    pub profile: Option<String>,
    /// Model requests allowed within one user turn before braid stops the turn.
    pub max_turns: Option<u32>,
    /// The model's context window in tokens, for models braid does not know (its table covers the
    /// OpenAI, Anthropic and Qwen families; the embedded model reports its own).
    pub model_context_window: Option<u64>,
    /// Compact the conversation when the next request would pass this share of the context window.
    pub auto_compact_threshold: Option<f64>,
    /// Most tokens one tool output may put into the conversation; the middle of a longer output is cut
    /// and the model told so.
    pub tool_output_token_limit: Option<u64>,
    /// Cap on the joined AGENTS.md text, in bytes.
    pub project_doc_max_bytes: Option<usize>,
    /// File names read when a directory has no AGENTS.md (for example `CLAUDE.md`).
    #[serde(default)]
    pub project_doc_fallback_filenames: Vec<String>,
    #[serde(default)]
    pub model_providers: BTreeMap<String, ProviderToml>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileToml>,
    #[serde(default)]
    pub tools: ToolsToml,
    #[serde(default)]
    pub local: LocalToml,
    /// `read-only`, `workspace-write` (the default) or `full-access`: how commands the model runs are
    /// confined.
    pub sandbox_mode: Option<String>,
    /// `untrusted`, `on-request` (the default), `on-failure` or `never`: when a tool call waits for a
    /// decision.
    pub approval_policy: Option<String>,
    /// The answer where nobody can be asked (`braid exec`): `deny` (the default), `approve` or `abort`.
    pub approval_default: Option<String>,
    #[serde(default)]
    pub sandbox_workspace_write: SandboxWorkspaceWriteToml,
    #[serde(default)]
    pub sandbox: SandboxToml,
    #[serde(default)]
    pub run: RunToml,
    /// `skills = false` (or `[skills] enabled = false`) stops braid from looking for SKILL.md skills.
    pub skills: Option<crate::skills::SkillsToml>,
    #[serde(default)]
    pub pr: PrToml,
    /// `[mcp_servers.<name>]`: MCP servers whose tools sessions offer as `<name>__<tool>`.
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, braid_mcp::McpServerToml>,
}

/// The `[pr]` table: where `braid pick --pr` pushes and which GitHub repository it opens the pull
/// request on.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PrToml {
    /// The git remote to push to (default `origin`; `--remote` overrides it).
    pub remote: Option<String>,
    /// The GitHub repository as `owner/name`, when the remote's URL does not say (default: read from
    /// the remote's URL).
    pub repository: Option<String>,
    /// The REST API base (default: `GITHUB_API_URL`, else `https://api.github.com`).
    pub api_url: Option<String>,
}

/// The `[run]` table: how `braid run` prepares and runs attempts.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunToml {
    /// A shell script run in each fresh worktree before its agent starts (copy `.env`, install
    /// dependencies). It gets `BRAID_ATTEMPT`, `BRAID_PORT` and `BRAID_WORKTREE`.
    pub setup: Option<String>,
    /// How long the setup script may run, in seconds (default 600).
    pub setup_timeout_secs: Option<u64>,
    /// How build caches are seeded from your checkout: `auto` (copy-on-write where the file system
    /// can, else a copy; the default), `copy`, `hardlink` or `off`.
    pub warm: Option<String>,
    /// The ignored directories seeded (default: `target`, `node_modules`, `.venv` and other common
    /// caches that exist).
    pub warm_paths: Option<Vec<String>>,
    /// Attempts running at once (default: the number of cores).
    pub concurrency: Option<usize>,
    /// How long an external agent may run, in seconds (default 3600).
    pub agent_timeout_secs: Option<u64>,
}

/// What the command line adds on top of the file.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    /// `-c key=value` pairs, applied in order.
    pub raw: Vec<String>,
    pub profile: Option<String>,
    pub model: Option<String>,
}

/// The configuration after file, profile and overrides are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from (which may not exist).
    pub path: PathBuf,
    pub toml: ConfigToml,
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub max_turns: u32,
    pub project_doc_max_bytes: usize,
    /// The embedded model to use: `-m`, else the profile's model, else `[local] model`. The top-level
    /// `model` is not used, since it usually names a remote model.
    pub local_model: Option<String>,
    /// `model_context_window` from the profile or the file.
    pub context_window: Option<u64>,
    /// `auto_compact_threshold`, default `DEFAULT_AUTO_COMPACT_THRESHOLD`.
    pub auto_compact_threshold: f64,
    pub tool_output_token_limit: Option<u64>,
    /// How commands the model runs are confined.
    pub sandbox: braid_sandbox::Policy,
    /// When tool calls wait for a decision (the profile's, else the file's).
    pub approval_policy: braid_protocol::ApprovalPolicy,
    /// The answer where nobody can be asked.
    pub approval_default: braid_protocol::ApprovalDecision,
}

/// Compact when the next request would pass this share of the window, unless configured otherwise.
pub const DEFAULT_AUTO_COMPACT_THRESHOLD: f64 = 0.85;

/// The default cap on AGENTS.md text.
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;
/// Model requests allowed in one user turn unless configured otherwise.
pub const DEFAULT_MAX_TURNS: u32 = 100;

impl Config {
    /// Loads `<home>/config.toml` (defaults when missing) and applies `overrides`.
    ///
    /// Fails when the file cannot be read or parsed, an override is malformed, or the profile is unknown;
    /// every error names the file and, for parse errors, the line and column.
    pub fn load(home: &Path, overrides: &ConfigOverrides) -> Result<Config, ConfigError> {
        let path = home.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Config::parse(&path, &text, overrides)
    }

    /// Parses `text` as if it were the file at `path`, then applies `overrides`.
    pub fn parse(path: &Path, text: &str, overrides: &ConfigOverrides) -> Result<Config, ConfigError> {
        let mut table: toml::Table = toml::from_str(text).map_err(|err| parse_error(path, text, &err))?;
        for raw in &overrides.raw {
            apply_override(&mut table, raw)?;
        }
        // Re-serialising lets the typed parse report unknown keys and wrong types. Positions then refer
        // to the merged text, so when the file alone already fails we report against the file itself.
        let toml: ConfigToml = match toml::from_str::<ConfigToml>(text) {
            Err(err) => return Err(parse_error(path, text, &err)),
            Ok(_) => {
                let merged = toml::to_string(&table)
                    .map_err(|err| ConfigError::Override { raw: overrides.raw.join(" "), message: err.to_string() })?;
                toml::from_str(&merged).map_err(|err| ConfigError::Override {
                    raw: overrides.raw.join(" "),
                    message: err.message().to_string(),
                })?
            }
        };

        let profile_name = overrides.profile.clone().or_else(|| toml.profile.clone());
        let profile = match &profile_name {
            Some(name) => match toml.profiles.get(name) {
                Some(profile) => profile.clone(),
                None => {
                    return Err(ConfigError::UnknownProfile {
                        name: name.clone(),
                        path: path.to_path_buf(),
                        known: toml.profiles.keys().cloned().collect(),
                    });
                }
            },
            None => ProfileToml::default(),
        };

        let local_model = overrides.model.clone().or(profile.model.clone()).or_else(|| toml.local.model.clone());
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let auto_compact_threshold = toml.auto_compact_threshold.unwrap_or(DEFAULT_AUTO_COMPACT_THRESHOLD);
        if !(auto_compact_threshold > 0.0 && auto_compact_threshold <= 1.0) {
            return Err(invalid(
                "auto_compact_threshold",
                format!(
                    "is {auto_compact_threshold}; it is a share of the context window, between 0 (exclusive) and 1, e.g. 0.85"
                ),
            ));
        }
        let context_window = profile.model_context_window.or(toml.model_context_window);
        if context_window.is_some_and(|w| w < 1024) {
            return Err(invalid(
                "model_context_window",
                "is below 1024 tokens; give the model's whole window in tokens, e.g. 128000".to_string(),
            ));
        }
        if toml.tool_output_token_limit.is_some_and(|l| l < 64) {
            return Err(invalid(
                "tool_output_token_limit",
                "is below 64 tokens, too small for any tool output to be useful".to_string(),
            ));
        }
        let sandbox = match toml.sandbox_mode.as_deref() {
            None => braid_sandbox::Policy::WorkspaceWrite,
            Some(name) => braid_sandbox::Policy::parse(name).ok_or_else(|| {
                invalid("sandbox_mode", format!("is `{name}`; use read-only, workspace-write or full-access"))
            })?,
        };
        let approval_policy = match profile.approval_policy.as_deref().or(toml.approval_policy.as_deref()) {
            None => braid_protocol::ApprovalPolicy::OnRequest,
            Some(name) => braid_protocol::ApprovalPolicy::parse(name).ok_or_else(|| {
                invalid("approval_policy", format!("is `{name}`; use untrusted, on-request, on-failure or never"))
            })?,
        };
        let approval_default = match toml.approval_default.as_deref() {
            None => braid_protocol::ApprovalDecision::Deny,
            Some(name) => braid_protocol::ApprovalDecision::parse(name)
                .filter(|d| *d != braid_protocol::ApprovalDecision::ApproveForSession)
                .ok_or_else(|| invalid("approval_default", format!("is `{name}`; use deny, approve or abort")))?,
        };
        if let Err(err) = braid_mcp::check_servers(&toml.mcp_servers) {
            let key = if err.key.is_empty() {
                format!("mcp_servers.{}", err.server)
            } else {
                format!("mcp_servers.{}.{}", err.server, err.key)
            };
            return Err(invalid(&key, err.message));
        }
        Ok(Config {
            sandbox,
            approval_policy,
            approval_default,
            context_window,
            auto_compact_threshold,
            tool_output_token_limit: toml.tool_output_token_limit,
            path: path.to_path_buf(),
            local_model,
            model: overrides.model.clone().or(profile.model).or_else(|| toml.model.clone()),
            model_provider: profile.model_provider.or_else(|| toml.model_provider.clone()),
            reasoning_effort: profile.model_reasoning_effort.or(toml.model_reasoning_effort),
            max_turns: toml.max_turns.unwrap_or(DEFAULT_MAX_TURNS),
            project_doc_max_bytes: toml.project_doc_max_bytes.unwrap_or(DEFAULT_PROJECT_DOC_MAX_BYTES),
            toml,
        })
    }

    /// Which of braid's environment variables commands the model runs do not get: credential-looking
    /// names, `[tools] env_remove`, and the variables holding the providers' API keys (built-in and
    /// configured), whatever they are called.
    pub fn command_env_policy(&self) -> braid_sandbox::EnvPolicy {
        let mut remove: Vec<String> = builtin_providers()
            .values()
            .chain(self.toml.model_providers.values())
            .filter_map(|p| p.env_key.clone())
            .chain(self.toml.tools.env_remove.iter().cloned())
            .collect();
        remove.sort();
        remove.dedup();
        braid_sandbox::EnvPolicy { remove, inherit_secrets: self.toml.tools.inherit_secrets, set: Vec::new() }
    }

    /// The `[mcp_servers]` tables, checked (`Config::parse` already refused bad ones), in name order.
    pub fn mcp_servers(&self) -> Vec<braid_mcp::ServerConfig> {
        self.toml.mcp_servers.iter().filter_map(|(name, table)| braid_mcp::check_server(name, table).ok()).collect()
    }

    /// Whether braid looks for skills (`skills` in the file; on unless turned off).
    pub fn skills_enabled(&self) -> bool {
        self.toml.skills.is_none_or(|s| s.enabled())
    }

    /// The provider ids the user may choose: the built-in ones and those in the file.
    pub fn provider_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = builtin_providers().into_keys().collect();
        ids.push(LOCAL_PROVIDER.to_string());
        ids.extend(self.toml.model_providers.keys().cloned());
        ids.sort();
        ids.dedup();
        ids
    }

    /// Chooses where model requests go. An explicit `model_provider` wins (`local` selects the
    /// embedded model); without one, a remote provider is used when its API key is set, and the
    /// embedded model otherwise, so braid works with no account at all.
    pub fn backend(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Backend, ConfigError> {
        let local = || Backend::Local { model: self.local_model.clone(), settings: self.toml.local.clone() };
        match self.model_provider.as_deref() {
            Some(LOCAL_PROVIDER) => Ok(local()),
            Some(_) => self.resolve(env).map(|(provider, model)| Backend::Remote { provider, model }),
            None => match self.resolve(env) {
                Ok((provider, model)) => Ok(Backend::Remote { provider, model }),
                Err(ConfigError::NoProvider { .. }) => Ok(local()),
                Err(err) => Err(err),
            },
        }
    }

    /// Resolves the chosen provider and model. `env` looks up environment variables (injected so that
    /// tests and callers decide what the environment is).
    ///
    /// Without an explicit provider, the first built-in provider whose key is set is chosen (OpenAI, then
    /// Anthropic). Fails when the provider is unknown, its key is missing, or no model can be determined.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<(ProviderConfig, String), ConfigError> {
        let builtins = builtin_providers();
        let id = match &self.model_provider {
            Some(id) => id.clone(),
            None => ["openai", "anthropic"]
                .into_iter()
                .find(|id| {
                    builtins
                        .get(*id)
                        .and_then(|p| p.env_key.as_deref())
                        .is_some_and(|key| env(key).is_some_and(|v| !v.is_empty()))
                })
                .map(str::to_string)
                .ok_or_else(|| ConfigError::NoProvider { path: self.path.clone() })?,
        };
        let user = self.toml.model_providers.get(&id);
        let builtin = builtins.get(&id);
        let merged = match (builtin, user) {
            (None, None) => {
                return Err(ConfigError::UnknownProvider {
                    name: id,
                    path: self.path.clone(),
                    known: self.provider_ids(),
                });
            }
            (Some(base), None) => base.clone(),
            (None, Some(user)) => user.clone(),
            (Some(base), Some(user)) => merge_provider(base, user),
        };
        let base_url = merged.base_url.clone().ok_or_else(|| ConfigError::Parse {
            path: self.path.clone(),
            line: 0,
            column: 0,
            message: format!("[model_providers.{id}] needs a base_url"),
        })?;
        let api_key = match &merged.env_key {
            Some(key) => match env(key).filter(|v| !v.is_empty()) {
                Some(value) => Some(value),
                None => return Err(ConfigError::MissingApiKey { provider: id, env_key: key.clone() }),
            },
            None => None,
        };
        let model = self
            .model
            .clone()
            .or_else(|| merged.default_model.clone())
            .ok_or_else(|| ConfigError::NoModel { provider: id.clone(), path: self.path.clone() })?;
        let defaults = RetryConfig::default();
        let provider = ProviderConfig {
            name: merged.name.clone().unwrap_or_else(|| id.clone()),
            base_url: base_url.trim_end_matches('/').to_string(),
            wire_api: merged.wire_api.unwrap_or(WireApi::Chat),
            api_key,
            env_key: merged.env_key.clone(),
            headers: merged.http_headers.clone(),
            retry: RetryConfig {
                max_retries: merged.request_max_retries.unwrap_or(defaults.max_retries),
                base_delay: merged.retry_base_delay_ms.map(Duration::from_millis).unwrap_or(defaults.base_delay),
                ..defaults
            },
            stream_idle_timeout: Duration::from_millis(merged.stream_idle_timeout_ms.unwrap_or(300_000)),
        };
        Ok((provider, model))
    }
}

/// The providers braid knows without configuration.
fn builtin_providers() -> BTreeMap<String, ProviderToml> {
    let provider = |name: &str, url: &str, wire: WireApi, key: Option<&str>, model: Option<&str>| ProviderToml {
        name: Some(name.to_string()),
        base_url: Some(url.to_string()),
        wire_api: Some(wire),
        env_key: key.map(str::to_string),
        default_model: model.map(str::to_string),
        ..ProviderToml::default()
    };
    BTreeMap::from([
        (
            "openai".to_string(),
            provider("OpenAI", "https://api.openai.com/v1", WireApi::Responses, Some("OPENAI_API_KEY"), Some("gpt-5")),
        ),
        (
            "anthropic".to_string(),
            provider(
                "Anthropic",
                "https://api.anthropic.com/v1",
                WireApi::Anthropic,
                Some("ANTHROPIC_API_KEY"),
                Some("claude-sonnet-4-5"),
            ),
        ),
        ("ollama".to_string(), provider("Ollama", "http://127.0.0.1:11434/v1", WireApi::Chat, None, None)),
        (
            "openrouter".to_string(),
            provider("OpenRouter", "https://openrouter.ai/api/v1", WireApi::Chat, Some("OPENROUTER_API_KEY"), None),
        ),
    ])
}

/// The user's table wins field by field over the built-in one.
fn merge_provider(base: &ProviderToml, user: &ProviderToml) -> ProviderToml {
    let mut headers = base.http_headers.clone();
    headers.extend(user.http_headers.clone());
    ProviderToml {
        name: user.name.clone().or_else(|| base.name.clone()),
        base_url: user.base_url.clone().or_else(|| base.base_url.clone()),
        wire_api: user.wire_api.or(base.wire_api),
        env_key: user.env_key.clone().or_else(|| base.env_key.clone()),
        http_headers: headers,
        default_model: user.default_model.clone().or_else(|| base.default_model.clone()),
        request_max_retries: user.request_max_retries.or(base.request_max_retries),
        retry_base_delay_ms: user.retry_base_delay_ms.or(base.retry_base_delay_ms),
        stream_idle_timeout_ms: user.stream_idle_timeout_ms.or(base.stream_idle_timeout_ms),
    }
}

/// Turns a TOML error into one naming the file, line and column (1-based).
fn parse_error(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
    let (line, column) = match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (0, 0),
    };
    ConfigError::Parse { path: path.to_path_buf(), line, column, message: err.message().trim().to_string() }
}

/// Applies one `key.path=value` override. The value is parsed as TOML when it can be (numbers, booleans,
/// arrays, quoted strings) and taken as a plain string otherwise, so `-c model=gpt-5` works unquoted.
fn apply_override(table: &mut toml::Table, raw: &str) -> Result<(), ConfigError> {
    let bad = |message: &str| ConfigError::Override { raw: raw.to_string(), message: message.to_string() };
    let (key, value) = raw.split_once('=').ok_or_else(|| bad("expected key=value"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad("the key is empty"));
    }
    let value: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {value}")) {
        Ok(mut parsed) => parsed.remove("v").unwrap_or_else(|| toml::Value::String(value.to_string())),
        Err(_) => toml::Value::String(value.trim().to_string()),
    };
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    let (last, parents) = parts.split_last().ok_or_else(|| bad("the key is empty"))?;
    let mut current = table;
    for part in parents {
        let entry = current.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(bad(&format!("`{part}` is not a table"))),
        };
    }
    current.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests;
