//! Reading `owner/name` (and the host) from a git remote's URL in the forms git accepts for GitHub:
//! `https://github.com/o/r.git`, `git@github.com:o/r.git` and `ssh://git@github.com/o/r.git`.

use crate::GithubError;

/// A repository on a GitHub host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoName {
    /// The host the remote points at, such as `github.com`.
    pub host: String,
    pub owner: String,
    pub name: String,
}

impl RepoName {
    /// Parses `owner/name` (as written in config), on host `github.com`.
    ///
    /// Fails with [`GithubError::BadRemote`] when `text` is not two non-empty parts.
    pub fn parse(text: &str) -> Result<RepoName, GithubError> {
        let bad = |reason: &str| GithubError::BadRemote { url: text.to_string(), reason: reason.to_string() };
        let (owner, name) = owner_and_name(text.trim()).ok_or_else(|| bad("expected `owner/name`"))?;
        Ok(RepoName { host: "github.com".to_string(), owner, name })
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Parses a remote URL into its host, owner and repository name (a trailing `.git` or `/` dropped).
///
/// Fails with [`GithubError::BadRemote`] for local paths, `file://` URLs and URLs whose path is not
/// exactly `owner/name`.
pub fn parse_remote(url: &str) -> Result<RepoName, GithubError> {
    let bad = |reason: &str| GithubError::BadRemote { url: url.to_string(), reason: reason.to_string() };
    let trimmed = url.trim();
    let (host, path) = if let Some((scheme, rest)) = trimmed.split_once("://") {
        if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git") {
            return Err(bad("it is not a network URL (https, ssh or git)"));
        }
        let (authority, path) = rest.split_once('/').ok_or_else(|| bad("it has no repository path"))?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        // A port (`ssh://git@host:2222/o/r`) is not part of the host's name.
        let host = host.split_once(':').map_or(host, |(host, _)| host);
        (host, path)
    } else if let Some((authority, path)) = trimmed.split_once(':') {
        // scp-like syntax `user@host:path`; a path with a slash before the colon is a local path.
        if authority.contains('/') || path.starts_with('/') || authority.is_empty() {
            return Err(bad("it is a local path, not a GitHub URL"));
        }
        (authority.rsplit_once('@').map_or(authority, |(_, host)| host), path)
    } else {
        return Err(bad("it is a local path, not a GitHub URL"));
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    let (owner, name) = owner_and_name(path).ok_or_else(|| bad("its path is not `owner/name`"))?;
    Ok(RepoName { host: host.to_ascii_lowercase(), owner, name })
}

/// Splits `owner/name(.git)(/)` into its two parts.
fn owner_and_name(path: &str) -> Option<(String, String)> {
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let valid = |part: &str| !part.is_empty() && !part.contains('/') && !part.chars().any(char::is_whitespace);
    (valid(owner) && valid(name)).then(|| (owner.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: Option<(&str, &str, &str)>) {
        let got = parse_remote(url).ok().map(|r| (r.host, r.owner, r.name));
        let expected = expected.map(|(h, o, n)| (h.to_string(), o.to_string(), n.to_string()));
        assert_eq!(got, expected, "{url}");
    }

    #[test]
    fn remote_urls_in_every_form_git_accepts() {
        check("https://github.com/octo/hello.git", Some(("github.com", "octo", "hello")));
        check("https://github.com/octo/hello", Some(("github.com", "octo", "hello")));
        check("https://github.com/octo/hello/", Some(("github.com", "octo", "hello")));
        check("https://user:pw@GitHub.com/octo/hello.git", Some(("github.com", "octo", "hello")));
        check("git@github.com:octo/hello.git", Some(("github.com", "octo", "hello")));
        check("github.com:octo/hello", Some(("github.com", "octo", "hello")));
        check("ssh://git@github.com/octo/hello.git", Some(("github.com", "octo", "hello")));
        check("ssh://git@ghe.example.com:2222/octo/hello.git", Some(("ghe.example.com", "octo", "hello")));
        check("git://github.com/octo/hello.git", Some(("github.com", "octo", "hello")));
    }

    #[test]
    fn local_paths_and_odd_urls_are_refused_with_the_way_out() {
        check("/srv/git/hello.git", None);
        check("./hello.git", None);
        check("../a:b/hello", None);
        check("file:///srv/git/hello.git", None);
        check("https://github.com/octo", None);
        check("https://github.com/a/b/c", None);
        check("git@github.com:", None);
        let err = parse_remote("/srv/hello.git").unwrap_err().to_string();
        assert!(err.contains("/srv/hello.git") && err.contains("repository = \"owner/name\""), "{err}");
    }

    #[test]
    fn configured_names_are_owner_slash_name() {
        assert_eq!(RepoName::parse("octo/hello").unwrap().to_string(), "octo/hello");
        assert!(RepoName::parse("octo").is_err());
        assert!(RepoName::parse("/hello").is_err());
    }
}
