//! The REST calls braid makes: open a pull request, find the open one for a branch, and post a review
//! with comments on the diff's lines. Every request carries the token, GitHub's media type and API
//! version, and a User-Agent (GitHub refuses requests without one).

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{GithubError, RepoName, Token};

/// The REST API version braid is written against.
const API_VERSION: &str = "2022-11-28";

/// A client for one API base (`https://api.github.com` or an Enterprise server's `/api/v3`).
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Token,
    http: reqwest::Client,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPull {
    pub title: String,
    /// The branch with the changes, as `branch` (same repository) or `owner:branch`.
    pub head: String,
    /// The branch the changes should go into.
    pub base: String,
    /// Markdown.
    pub body: String,
}

/// A pull request as GitHub reports it (the fields braid uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pull {
    pub number: u64,
    pub html_url: String,
    pub state: String,
}

/// Which side of the diff a comment is on: braid comments only on the new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    Right,
}

/// One review comment on lines of the pull request's diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewComment {
    /// The file, relative to the repository root.
    pub path: String,
    pub body: String,
    /// The last line of the range (or the one line), in the file after the change.
    pub line: u32,
    pub side: Side,
    /// The first line, for a comment on several lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<Side>,
}

impl NewComment {
    /// A comment on lines `start..=end` of the new `path` (one line when they are equal).
    pub fn on_lines(path: &str, start: u32, end: u32, body: String) -> NewComment {
        let range = start < end;
        NewComment {
            path: path.to_string(),
            body,
            line: end.max(start),
            side: Side::Right,
            start_line: range.then_some(start),
            start_side: range.then_some(Side::Right),
        }
    }
}

/// A review to post: always a plain comment (no approval, no change request), pinned to `commit_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewReview {
    /// The commit the comments' line numbers refer to.
    pub commit_id: String,
    pub body: String,
    pub event: &'static str,
    pub comments: Vec<NewComment>,
}

impl NewReview {
    /// A `COMMENT` review of `commit_id`.
    pub fn comment(commit_id: &str, body: String, comments: Vec<NewComment>) -> NewReview {
        NewReview { commit_id: commit_id.to_string(), body, event: "COMMENT", comments }
    }
}

/// A review as GitHub reports it after posting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostedReview {
    pub id: u64,
    #[serde(default)]
    pub html_url: String,
}

/// GitHub's error body: a message and, for 422, what was wrong with which field.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

impl Client {
    /// A client for the API at `base` (no trailing slash needed) authenticated with `token`.
    ///
    /// Fails with [`GithubError::BadApiUrl`] when `base` is not an http(s) URL.
    pub fn new(base: &str, token: Token) -> Result<Client, GithubError> {
        let base = base.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|err| GithubError::BadApiUrl { url: base.clone(), reason: err.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GithubError::BadApiUrl { url: base, reason: "it is not an http or https URL".into() });
        }
        Ok(Client { base, token, http: reqwest::Client::new() })
    }

    /// Opens the pull request `pull` on `repo`. Returns it as GitHub reports it.
    ///
    /// Fails with [`GithubError::Api`] when GitHub refuses (401 bad token, 422 with GitHub's reasons,
    /// such as an unknown branch or an existing pull request), [`GithubError::Http`] when it cannot be
    /// reached and [`GithubError::BadResponse`] when its answer does not parse.
    pub async fn create_pull(&self, repo: &RepoName, pull: &NewPull) -> Result<Pull, GithubError> {
        let url = format!("{}/repos/{}/{}/pulls", self.base, repo.owner, repo.name);
        self.send(Method::POST, url, |r| r.json(pull)).await
    }

    /// Returns the open pull request whose head is `branch` of `head_owner`'s fork (or of `repo` when
    /// `head_owner` is its owner), or `None` when there is none.
    ///
    /// Fails as [`Client::create_pull`] does.
    pub async fn find_open_pull(
        &self,
        repo: &RepoName,
        head_owner: &str,
        branch: &str,
    ) -> Result<Option<Pull>, GithubError> {
        let url = format!("{}/repos/{}/{}/pulls", self.base, repo.owner, repo.name);
        let head = format!("{head_owner}:{branch}");
        let query = [("head", head.as_str()), ("state", "open")];
        let url = reqwest::Url::parse_with_params(&url, query)
            .map_err(|err| GithubError::BadApiUrl { url: url.clone(), reason: err.to_string() })?;
        let pulls: Vec<Pull> = self.send(Method::GET, url.to_string(), |r| r).await?;
        Ok(pulls.into_iter().next())
    }

    /// Posts `review` on pull request `number` of `repo`. Returns the posted review.
    ///
    /// Fails as [`Client::create_pull`] does; a comment on a line outside the diff is a 422.
    pub async fn create_review(
        &self,
        repo: &RepoName,
        number: u64,
        review: &NewReview,
    ) -> Result<PostedReview, GithubError> {
        let url = format!("{}/repos/{}/{}/pulls/{number}/reviews", self.base, repo.owner, repo.name);
        self.send(Method::POST, url, |r| r.json(review)).await
    }

    /// Sends one request with braid's headers and reads a JSON answer of type `T` from a 2xx response.
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, GithubError> {
        let name = if method == Method::GET { "GET" } else { "POST" };
        let request = self
            .http
            .request(method, &url)
            .bearer_auth(&self.token.secret)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .header("User-Agent", concat!("braid/", env!("CARGO_PKG_VERSION")));
        let response = build(request).send().await.map_err(|source| GithubError::Http {
            method: name,
            url: url.clone(),
            source,
        })?;
        let status = response.status();
        let bytes =
            response.bytes().await.map_err(|source| GithubError::Http { method: name, url: url.clone(), source })?;
        if !status.is_success() {
            return Err(api_error(name, url, status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|err| GithubError::BadResponse {
            method: name,
            url,
            status: status.as_u16(),
            reason: err.to_string(),
        })
    }
}

/// The error for an unsuccessful answer: GitHub's `message` and each of its `errors` in words.
fn api_error(method: &'static str, url: String, status: StatusCode, body: &[u8]) -> GithubError {
    let (message, errors) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => (parsed.message, parsed.errors.iter().map(describe_error).collect()),
        Err(_) => (String::from_utf8_lossy(body).trim().chars().take(500).collect(), Vec::new()),
    };
    let message = if message.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { message };
    GithubError::Api { method, url, status: status.as_u16(), message, errors }
}

/// One entry of a 422's `errors`: its own `message` when it has one, else `field` and `code`.
fn describe_error(error: &serde_json::Value) -> String {
    if let Some(text) = error.as_str() {
        return text.to_string();
    }
    let field = |key: &str| error.get(key).and_then(serde_json::Value::as_str);
    match (field("message"), field("resource"), field("field"), field("code")) {
        (Some(message), ..) => message.to_string(),
        (None, resource, name, code) => format!(
            "{} {} is {}",
            resource.unwrap_or("request"),
            name.unwrap_or("field"),
            code.unwrap_or("invalid").replace('_', " ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn comments_on_one_line_have_no_start_and_ranges_do() {
        let one = serde_json::to_value(NewComment::on_lines("a.rs", 4, 4, "b".into())).unwrap();
        assert_eq!(one, json!({"path": "a.rs", "body": "b", "line": 4, "side": "RIGHT"}));
        let range = serde_json::to_value(NewComment::on_lines("a.rs", 2, 5, "b".into())).unwrap();
        assert_eq!(
            range,
            json!({"path": "a.rs", "body": "b", "line": 5, "side": "RIGHT", "start_line": 2, "start_side": "RIGHT"})
        );
    }

    #[test]
    fn error_entries_read_as_words() {
        assert_eq!(
            describe_error(&json!({"message": "A pull request already exists"})),
            "A pull request already exists"
        );
        assert_eq!(
            describe_error(&json!({"resource": "PullRequest", "field": "head", "code": "invalid"})),
            "PullRequest head is invalid"
        );
        assert_eq!(describe_error(&json!("plain")), "plain");
        let err = api_error("POST", "http://x/pulls".into(), StatusCode::from_u16(422).unwrap(), b"not json");
        assert!(err.to_string().contains("422") && err.to_string().contains("not json"), "{err}");
    }
}
