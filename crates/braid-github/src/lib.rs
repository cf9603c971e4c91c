//! A small GitHub REST client for `braid pick --pr`: open a pull request (or find the open one for the
//! same branch), post a review with comments on the diff's lines, find the token, and read
//! `owner/name` from a remote's URL.
//!
//! The library never reads `$HOME` and never prints: the caller passes the environment's values and the
//! path of `gh`'s `hosts.yml` in.

mod client;
mod error;
mod remote;
mod token;

pub use client::{Client, NewComment, NewPull, NewReview, PostedReview, Pull, Side};
pub use error::GithubError;
pub use remote::{RepoName, parse_remote};
pub use token::{Token, TokenSource, find_token};

/// The public GitHub API, used when neither the config nor `GITHUB_API_URL` names another.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The API base to use: the config's `api_url`, else the environment's `GITHUB_API_URL` (the GitHub
/// Actions convention, so that braid works unchanged on a GitHub Enterprise runner), else
/// [`DEFAULT_API_URL`]. Empty values count as unset.
pub fn api_url(configured: Option<&str>, env: Option<&str>) -> String {
    configured
        .filter(|url| !url.trim().is_empty())
        .or(env.filter(|url| !url.trim().is_empty()))
        .unwrap_or(DEFAULT_API_URL)
        .trim()
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_wins_over_the_environment_over_the_default() {
        assert_eq!(api_url(Some("http://c/api/"), Some("http://e")), "http://c/api");
        assert_eq!(api_url(None, Some("http://e")), "http://e");
        assert_eq!(api_url(Some(" "), Some("")), DEFAULT_API_URL);
        assert_eq!(api_url(None, None), DEFAULT_API_URL);
    }
}
