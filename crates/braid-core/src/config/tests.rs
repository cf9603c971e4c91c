//! Tests of config parsing, overrides, profiles and provider resolution.

use std::path::Path;

use super::*;

fn parse(text: &str, raw: &[&str]) -> Result<Config, ConfigError> {
    let overrides = ConfigOverrides { raw: raw.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    Config::parse(Path::new("/home/u/.braid/config.toml"), text, &overrides)
}

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
}

#[test]
fn missing_file_gives_defaults() {
    let home = tempfile::tempdir().unwrap();
    let config = Config::load(home.path(), &ConfigOverrides::default()).unwrap();
    assert_eq!(config.max_turns, DEFAULT_MAX_TURNS);
    assert_eq!(config.model, None);
}

#[test]
fn broken_file_names_the_line() {
    let err = parse("model = \"a\"\nmodel_provider = \n", &[]).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("/home/u/.braid/config.toml:2:"), "{message}");
}

#[test]
fn unknown_key_names_the_line() {
    let err = parse("model = \"a\"\n\nmodle_provider = \"x\"\n", &[]).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("/home/u/.braid/config.toml:3:1:"), "{message}");
    assert!(message.contains("modle_provider"), "{message}");
}

#[test]
fn overrides_accept_bare_strings_and_toml_values() {
    let config =
        parse("model = \"a\"", &["model=gpt-5", "max_turns=7", "model_providers.x.base_url=http://h/v1"]).unwrap();
    assert_eq!(config.model.as_deref(), Some("gpt-5"));
    assert_eq!(config.max_turns, 7);
    assert_eq!(config.toml.model_providers["x"].base_url.as_deref(), Some("http://h/v1"));
}

#[test]
fn bad_override_is_named() {
    assert!(matches!(parse("", &["novalue"]), Err(ConfigError::Override { .. })));
    let err = parse("", &["max_turns=\"many\""]).unwrap_err();
    assert!(err.to_string().contains("-c max_turns=\"many\""), "{err}");
}

#[test]
fn profile_overrides_top_level() {
    let text = "model = \"a\"\nprofile = \"fast\"\n[profiles.fast]\nmodel = \"b\"\nmodel_reasoning_effort = \"low\"\n";
    let config = parse(text, &[]).unwrap();
    assert_eq!(config.model.as_deref(), Some("b"));
    assert_eq!(config.reasoning_effort, Some(ReasoningEffort::Low));
    let err = parse("profile = \"nope\"", &[]).unwrap_err();
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err}");
}

#[test]
fn custom_provider_resolves_with_key_and_headers() {
    let text = r#"
model = "m1"
model_provider = "local"
[model_providers.local]
base_url = "http://127.0.0.1:9/v1/"
wire_api = "responses"
env_key = "LOCAL_KEY"
http_headers = { "X-Team" = "braid" }
request_max_retries = 2
"#;
    let config = parse(text, &[]).unwrap();
    let (provider, model) = config.resolve(&env(&[("LOCAL_KEY", "secret")])).unwrap();
    assert_eq!(model, "m1");
    assert_eq!(provider.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(provider.wire_api, WireApi::Responses);
    assert_eq!(provider.api_key.as_deref(), Some("secret"));
    assert_eq!(provider.headers["X-Team"], "braid");
    assert_eq!(provider.retry.max_retries, 2);
}

#[test]
fn missing_key_names_the_variable() {
    let config = parse("model_provider = \"openai\"", &[]).unwrap();
    let err = config.resolve(&env(&[])).unwrap_err();
    assert!(err.to_string().contains("$OPENAI_API_KEY"), "{err}");
}

#[test]
fn provider_is_picked_from_the_keys_present() {
    let config = parse("", &[]).unwrap();
    let (provider, model) = config.resolve(&env(&[("ANTHROPIC_API_KEY", "k")])).unwrap();
    assert_eq!(provider.wire_api, WireApi::Anthropic);
    assert_eq!(model, "claude-sonnet-4-5");
    assert!(matches!(config.resolve(&env(&[])), Err(ConfigError::NoProvider { .. })));
}

#[test]
fn unknown_provider_lists_known_ones() {
    let config = parse("model_provider = \"olama\"\nmodel = \"x\"", &[]).unwrap();
    let err = config.resolve(&env(&[])).unwrap_err();
    assert!(err.to_string().contains("ollama"), "{err}");
}

#[test]
fn context_settings_default_and_profile_wins() {
    let config = parse("", &[]).unwrap();
    assert_eq!(config.auto_compact_threshold, DEFAULT_AUTO_COMPACT_THRESHOLD);
    assert_eq!((config.context_window, config.tool_output_token_limit), (None, None));
    let text = "model_context_window = 32000\ntool_output_token_limit = 2000\nauto_compact_threshold = 0.5\n\
                [profiles.big]\nmodel_context_window = 200000\n";
    let config = parse(text, &[]).unwrap();
    assert_eq!((config.context_window, config.tool_output_token_limit), (Some(32_000), Some(2_000)));
    assert_eq!(config.auto_compact_threshold, 0.5);
    let overrides = ConfigOverrides { profile: Some("big".into()), ..Default::default() };
    let config = Config::parse(Path::new("/c.toml"), text, &overrides).unwrap();
    assert_eq!(config.context_window, Some(200_000));
}

#[test]
fn context_settings_out_of_range_are_named() {
    for (raw, key) in [
        ("auto_compact_threshold=1.5", "auto_compact_threshold"),
        ("auto_compact_threshold=0", "auto_compact_threshold"),
        ("model_context_window=100", "model_context_window"),
        ("tool_output_token_limit=10", "tool_output_token_limit"),
    ] {
        let message = parse("", &[raw]).unwrap_err().to_string();
        assert!(message.starts_with("/home/u/.braid/config.toml: `"), "{message}");
        assert!(message.contains(key), "{raw}: {message}");
    }
}

#[test]
fn sandbox_mode_defaults_to_workspace_write_and_names_bad_values() {
    assert_eq!(parse("", &[]).unwrap().sandbox, braid_sandbox::Policy::WorkspaceWrite);
    let config =
        parse("sandbox_mode = \"read-only\"\n[sandbox_workspace_write]\nnetwork_access = true\n", &[]).unwrap();
    assert_eq!(config.sandbox, braid_sandbox::Policy::ReadOnly);
    assert!(config.toml.sandbox_workspace_write.network_access);
    assert_eq!(parse("", &["sandbox_mode=full-access"]).unwrap().sandbox, braid_sandbox::Policy::FullAccess);
    let message = parse("", &["sandbox_mode=open"]).unwrap_err().to_string();
    assert!(message.contains("`sandbox_mode` is `open`; use read-only, workspace-write or full-access"), "{message}");
}

#[test]
fn approval_policy_and_default_parse_with_profile_precedence_and_name_bad_values() {
    use braid_protocol::{ApprovalDecision, ApprovalPolicy};
    let config = parse("", &[]).unwrap();
    assert_eq!((config.approval_policy, config.approval_default), (ApprovalPolicy::OnRequest, ApprovalDecision::Deny));
    let text =
        "approval_policy = \"untrusted\"\napproval_default = \"approve\"\n[profiles.ci]\napproval_policy = \"never\"\n";
    let config = parse(text, &[]).unwrap();
    assert_eq!(
        (config.approval_policy, config.approval_default),
        (ApprovalPolicy::Untrusted, ApprovalDecision::Approve)
    );
    let config = parse(text, &["profile=\"ci\""]).unwrap();
    assert_eq!(config.approval_policy, ApprovalPolicy::Never);
    assert_eq!(parse("", &["approval_policy=on-failure"]).unwrap().approval_policy, ApprovalPolicy::OnFailure);
    let message = parse("", &["approval_policy=sometimes"]).unwrap_err().to_string();
    assert!(
        message.contains("`approval_policy` is `sometimes`; use untrusted, on-request, on-failure or never"),
        "{message}"
    );
    let message = parse("", &["approval_default=approve-for-session"]).unwrap_err().to_string();
    assert!(message.contains("use deny, approve or abort"), "{message}");
}

#[test]
fn sandbox_deny_read_is_unset_by_default_and_replaces_the_list_when_given() {
    assert_eq!(parse("", &[]).unwrap().toml.sandbox.deny_read, None);
    let config = parse("[sandbox]\ndeny_read = [\"~/.ssh\", \"/etc/secret\"]\n", &[]).unwrap();
    assert_eq!(config.toml.sandbox.deny_read, Some(vec!["~/.ssh".to_string(), "/etc/secret".to_string()]));
    assert_eq!(parse("", &["sandbox.deny_read=[]"]).unwrap().toml.sandbox.deny_read, Some(vec![]));
    let message = parse("[sandbox]\ndeny = []\n", &[]).unwrap_err().to_string();
    assert!(message.contains("deny"), "{message}");
}

#[test]
fn skills_switch_in_the_file_and_as_an_override() {
    let enabled = |text: &str, raw: &[&str]| parse(text, raw).map(|c| c.skills_enabled()).map_err(|e| e.to_string());
    assert_eq!(enabled("", &[]), Ok(true));
    assert_eq!(enabled("skills = false", &[]), Ok(false));
    assert_eq!(enabled("[skills]\nenabled = false", &[]), Ok(false));
    assert_eq!(enabled("", &["skills=false"]), Ok(false));
    assert_eq!(enabled("", &["skills.enabled=false"]), Ok(false));
    let err = enabled("skills = 1", &[]).unwrap_err();
    assert!(
        err.starts_with("/home/u/.braid/config.toml:1:10: invalid type: integer `1`, expected `skills = true|false`"),
        "{err}"
    );
}

#[test]
fn the_pr_table_is_optional_and_overridable() {
    assert_eq!(parse("", &[]).unwrap().toml.pr, PrToml::default());
    let config = parse("[pr]\nremote = \"upstream\"\nrepository = \"octo/hello\"\n", &["pr.api_url=http://x"]).unwrap();
    assert_eq!(config.toml.pr.remote.as_deref(), Some("upstream"));
    assert_eq!(config.toml.pr.repository.as_deref(), Some("octo/hello"));
    assert_eq!(config.toml.pr.api_url.as_deref(), Some("http://x"));
    let err = parse("[pr]\nbranch = \"x\"\n", &[]).unwrap_err().to_string();
    assert!(err.contains("branch"), "{err}");
}

#[test]
fn mcp_server_tables_are_checked_and_errors_name_the_server() {
    let check = |text: &str, expected: &str| {
        let message = parse(text, &[]).unwrap_err().to_string();
        assert_eq!(message, expected, "{text}");
    };
    check(
        "[mcp_servers.fs]\ncommand = 'npx'\nurl = 'http://127.0.0.1:1/mcp'",
        "/home/u/.braid/config.toml: `mcp_servers.fs` gives both `command` (a stdio server) and `url` (an HTTP server); keep one",
    );
    check(
        "[mcp_servers.'my.fs']\ncommand = 'npx'",
        "/home/u/.braid/config.toml: `mcp_servers.my.fs` the server name `my.fs` cannot be used in tool names (`<server>__<tool>`); use only letters, digits, `_` and `-`, without `__`",
    );
    check(
        "[mcp_servers.fs]\ncommand = 'npx'\ntool_timeout_sec = 0",
        "/home/u/.braid/config.toml: `mcp_servers.fs.tool_timeout_sec` is 0; give a number of seconds above 0, e.g. 60",
    );
    let unknown = parse("[mcp_servers.fs]\ncommand = 'npx'\nstartup_timeout = 5", &[]).unwrap_err().to_string();
    assert!(unknown.contains("unknown field `startup_timeout`"), "{unknown}");

    let config =
        parse("[mcp_servers.fs]\ncommand = 'npx'\n[mcp_servers.web]\nurl = 'http://127.0.0.1:1/mcp'", &[]).unwrap();
    let names: Vec<String> = config.mcp_servers().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["fs", "web"]);
    // `-c` overrides reach the tables too.
    let config = parse("[mcp_servers.fs]\ncommand = 'npx'", &["mcp_servers.fs.enabled=false"]).unwrap();
    assert!(!config.mcp_servers()[0].enabled);
}
