//! The one error type of braid-github: every failure names the URL, file or input it is about and, for
//! GitHub's answers, the status and GitHub's own message.

use std::path::PathBuf;

/// Why a GitHub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// A remote URL does not name a repository as `owner/name`.
    #[error(
        "cannot tell the GitHub repository from the remote URL `{url}`: {reason}; set `repository = \"owner/name\"` in the [pr] table of config.toml"
    )]
    BadRemote { url: String, reason: String },

    /// No token was found anywhere braid looks.
    #[error(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may push and open pull requests, or log in with `gh auth login`{}",
        hosts.as_ref().map(|p| format!(" (braid looked in {})", p.display())).unwrap_or_default()
    )]
    NoToken { hosts: Option<PathBuf> },

    /// gh's `hosts.yml` exists but cannot be read.
    #[error("cannot read gh's config {}: {source}", path.display())]
    HostsFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The API base URL is not a usable URL.
    #[error(
        "the GitHub API URL `{url}` is not valid: {reason}; set `api_url` in [pr] or GITHUB_API_URL to one like https://api.github.com"
    )]
    BadApiUrl { url: String, reason: String },

    /// The request did not get an answer (connection refused, timeout, TLS).
    #[error("{method} {url} failed: {source}")]
    Http {
        method: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// GitHub answered with an error status.
    #[error("{method} {url} answered {status}: {message}{}{}", list(errors), hint(*status))]
    Api { method: &'static str, url: String, status: u16, message: String, errors: Vec<String> },

    /// GitHub's answer is not what its API documents.
    #[error("{method} {url} answered {status} with a body braid cannot read: {reason}")]
    BadResponse { method: &'static str, url: String, status: u16, reason: String },
}

/// GitHub's `errors` list of a 422, one per line.
fn list(errors: &[String]) -> String {
    errors.iter().map(|error| format!("\n  - {error}")).collect()
}

/// What to do about the statuses a user can fix.
fn hint(status: u16) -> &'static str {
    match status {
        401 => "\n(the token was refused: check GITHUB_TOKEN, GH_TOKEN or `gh auth status`)",
        403 | 404 => "\n(check that the repository exists and that the token may open pull requests on it)",
        _ => "",
    }
}
