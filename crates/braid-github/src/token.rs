//! Finding the GitHub token: `GITHUB_TOKEN`, else `GH_TOKEN`, else the `oauth_token` gh keeps for the
//! host in its `hosts.yml`.

use std::path::Path;

use crate::GithubError;

/// Where a token came from, for messages that must not show the token itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    GithubToken,
    GhToken,
    GhHosts,
}

/// A token and where it came from. Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub secret: String,
    pub source: TokenSource,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("secret", &"<hidden>").field("source", &self.source).finish()
    }
}

/// Finds the token for `host` (such as `github.com`): `env("GITHUB_TOKEN")`, else `env("GH_TOKEN")`,
/// else the host's `oauth_token` in `gh_hosts` (gh's `hosts.yml`, which the caller locates). Empty values
/// count as unset.
///
/// Fails with [`GithubError::NoToken`] when none is found (saying how to provide one), and with
/// [`GithubError::HostsFile`] when `gh_hosts` exists but cannot be read.
pub fn find_token(
    env: &dyn Fn(&str) -> Option<String>,
    gh_hosts: Option<&Path>,
    host: &str,
) -> Result<Token, GithubError> {
    for (name, source) in [("GITHUB_TOKEN", TokenSource::GithubToken), ("GH_TOKEN", TokenSource::GhToken)] {
        if let Some(secret) = env(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            return Ok(Token { secret, source });
        }
    }
    if let Some(path) = gh_hosts {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                if let Some(secret) = hosts_token(&text, host) {
                    return Ok(Token { secret, source: TokenSource::GhHosts });
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(GithubError::HostsFile { path: path.to_path_buf(), source }),
        }
    }
    Err(GithubError::NoToken { hosts: gh_hosts.map(Path::to_path_buf) })
}

/// The `oauth_token` under `host:` in gh's `hosts.yml`. The file is a small YAML mapping of hosts to
/// settings; only top-level keys and their indented `oauth_token:` entries matter here, so a line reader
/// is enough (gh versions that keep the token in the system keyring write no `oauth_token`, and then
/// there is nothing to find).
fn hosts_token(text: &str, host: &str) -> Option<String> {
    let mut in_host = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            let key = line.trim_end().strip_suffix(':').map(unquote);
            in_host = key.is_some_and(|key| key.eq_ignore_ascii_case(host));
            continue;
        }
        if in_host && let Some(value) = line.trim().strip_prefix("oauth_token:") {
            let value = unquote(value.trim());
            if !value.is_empty() {
                return Some(value.to_string());
            }
        }
    }
    None
}

/// Drops one pair of surrounding quotes.
fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "\
# gh's hosts
ghe.example.com:
    oauth_token: ghe_secret
github.com:
    users:
        octo:
            oauth_token: nested_secret
    user: octo
    oauth_token: \"gho_secret\"
    git_protocol: https
";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn check(env: &[(&str, &str)], hosts: Option<&str>, host: &str, expected: Option<(&str, TokenSource)>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.yml");
        if let Some(text) = hosts {
            std::fs::write(&path, text).unwrap();
        }
        let got = find_token(&env_of(env), Some(&path), host).ok().map(|t| (t.secret, t.source));
        assert_eq!(got, expected.map(|(s, src)| (s.to_string(), src)));
    }

    #[test]
    fn the_environment_wins_then_gh_hosts() {
        use TokenSource::*;
        check(&[("GITHUB_TOKEN", "a"), ("GH_TOKEN", "b")], Some(HOSTS), "github.com", Some(("a", GithubToken)));
        check(&[("GITHUB_TOKEN", " "), ("GH_TOKEN", "b")], Some(HOSTS), "github.com", Some(("b", GhToken)));
        check(&[], Some(HOSTS), "github.com", Some(("nested_secret", GhHosts)));
        check(&[], Some(HOSTS), "ghe.example.com", Some(("ghe_secret", GhHosts)));
        check(&[], Some("github.com:\n    oauth_token: 'x1'\n"), "github.com", Some(("x1", GhHosts)));
        check(&[], Some(HOSTS), "other.example.com", None);
        check(&[], None, "github.com", None);
        check(&[], Some("github.com:\n    user: octo\n"), "github.com", None);
    }

    #[test]
    fn a_missing_token_says_how_to_provide_one_and_hides_nothing_it_found() {
        let err = find_token(&|_| None, Some(Path::new("/nowhere/hosts.yml")), "github.com").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GITHUB_TOKEN") && text.contains("gh auth login"), "{text}");
        assert!(text.contains("/nowhere/hosts.yml"), "{text}");
        let token = Token { secret: "s3cret".into(), source: TokenSource::GhToken };
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
