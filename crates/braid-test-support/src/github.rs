//! A fake GitHub REST API on 127.0.0.1 for `braid pick --pr` tests: it implements exactly the endpoints
//! braid calls (open a pull request, list the open ones of a head, post a review), checks every request
//! the way GitHub would (token, headers, field types, that the head branch exists in a bare repository on
//! disk, that each comment's lines are inside the pull request's diff as git computes it from that
//! repository), answers with GitHub's shapes and statuses, and records every request for assertions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::background::Background;

/// One request the fake received and how it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct GithubRequest {
    pub method: String,
    pub path: String,
    /// The query string without `?` (empty when there is none).
    pub query: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The JSON body, `Null` when there was none, a string holding the text when it was not JSON.
    pub body: Value,
    pub status: u16,
}

/// A pull request the fake holds.
#[derive(Debug, Clone, PartialEq)]
pub struct FakePull {
    pub number: u64,
    pub title: String,
    pub head: String,
    pub base: String,
    pub body: String,
    /// The reviews posted on it, as sent.
    pub reviews: Vec<Value>,
}

#[derive(Debug)]
struct Shared {
    bare: PathBuf,
    owner: String,
    repo: String,
    token: String,
    requests: Vec<GithubRequest>,
    pulls: Vec<FakePull>,
}

type SharedState = Arc<Mutex<Shared>>;

fn lock(shared: &SharedState) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fake GitHub. It runs on its own thread with its own runtime and stops when dropped.
#[derive(Debug)]
pub struct FakeGithub {
    shared: SharedState,
    server: Background,
}

impl FakeGithub {
    /// Starts a fake serving repository `owner/repo`, whose branches are those of the bare repository
    /// `bare`, accepting only `token`.
    ///
    /// Panics when no port can be bound, which only a broken test environment causes.
    pub fn start(bare: &Path, owner: &str, repo: &str, token: &str) -> FakeGithub {
        let shared = Arc::new(Mutex::new(Shared {
            bare: bare.to_path_buf(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            token: token.to_string(),
            requests: Vec::new(),
            pulls: Vec::new(),
        }));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = Background::start("fake github", app);
        FakeGithub { shared, server }
    }

    /// The API base to give the client, e.g. `http://127.0.0.1:41234`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every request so far, in arrival order, including refused ones.
    pub fn requests(&self) -> Vec<GithubRequest> {
        lock(&self.shared).requests.clone()
    }

    /// The pull requests opened so far, by number.
    pub fn pulls(&self) -> Vec<FakePull> {
        lock(&self.shared).pulls.clone()
    }

    /// Adds an open pull request without a request, as if someone had opened it before. Returns its number.
    pub fn add_pull(&self, head: &str, base: &str, title: &str) -> u64 {
        let mut shared = lock(&self.shared);
        let number = shared.pulls.len() as u64 + 1;
        shared.pulls.push(FakePull {
            number,
            title: title.into(),
            head: head.into(),
            base: base.into(),
            body: String::new(),
            reviews: Vec::new(),
        });
        number
    }
}

/// An answer: status and JSON body.
type Answer = (StatusCode, Value);

fn message(status: StatusCode, text: &str) -> Answer {
    (status, json!({ "message": text, "documentation_url": "https://docs.github.com/rest" }))
}

/// GitHub's 422: `Validation Failed` with the list of what was wrong.
fn invalid(errors: Vec<Value>) -> Answer {
    (StatusCode::UNPROCESSABLE_ENTITY, json!({ "message": "Validation Failed", "errors": errors }))
}

fn field_error(resource: &str, field: &str, code: &str) -> Value {
    json!({ "resource": resource, "field": field, "code": code })
}

async fn handle(
    State(shared): State<SharedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded_headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_ascii_lowercase(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let parsed = if body.is_empty() {
        Ok(Value::Null)
    } else {
        serde_json::from_slice::<Value>(&body).map_err(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    let query = uri.query().unwrap_or("").to_string();
    let (status, answer) = {
        let mut state = lock(&shared);
        let answer = answer(&mut state, &method, uri.path(), &query, &headers, &parsed);
        state.requests.push(GithubRequest {
            method: method.to_string(),
            path: uri.path().to_string(),
            query,
            headers: recorded_headers,
            body: parsed.unwrap_or_else(|text| text),
            status: answer.0.as_u16(),
        });
        answer
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(answer.to_string()))
        .unwrap_or_default()
}

/// Checks the request's headers, then routes it.
fn answer(
    state: &mut Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &Result<Value, Value>,
) -> Answer {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("user-agent").is_empty() {
        return message(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        );
    }
    if header("authorization") != format!("Bearer {}", state.token) {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    if header("accept") != "application/vnd.github+json" {
        return message(StatusCode::BAD_REQUEST, "fake github: Accept must be application/vnd.github+json");
    }
    if header("x-github-api-version") != "2022-11-28" {
        return message(StatusCode::BAD_REQUEST, "fake github: X-GitHub-Api-Version must be 2022-11-28");
    }
    let prefix = format!("/repos/{}/{}/pulls", state.owner, state.repo);
    let Some(rest) = path.strip_prefix(&prefix) else { return message(StatusCode::NOT_FOUND, "Not Found") };
    let body = match body {
        Ok(body) => body,
        Err(_) => return message(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
    };
    match (method.as_str(), rest) {
        ("GET", "") => list_pulls(state, query),
        ("POST", "") => create_pull(state, body),
        ("POST", rest) => {
            match rest.strip_prefix('/').and_then(|r| r.strip_suffix("/reviews")).map(str::parse::<u64>) {
                Some(Ok(number)) => create_review(state, number, body),
                _ => message(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn pull_json(state: &Shared, pull: &FakePull) -> Value {
    let sha = git(&state.bare, &["rev-parse", &format!("refs/heads/{}", pull.head)]).unwrap_or_default();
    json!({
        "number": pull.number,
        "state": "open",
        "title": pull.title,
        "body": pull.body,
        "html_url": format!("https://github.com/{}/{}/pull/{}", state.owner, state.repo, pull.number),
        "url": format!("https://api.github.com/repos/{}/{}/pulls/{}", state.owner, state.repo, pull.number),
        "head": { "ref": pull.head, "sha": sha, "label": format!("{}:{}", state.owner, pull.head) },
        "base": { "ref": pull.base },
    })
}

/// GET pulls?head=owner:branch&state=open.
fn list_pulls(state: &Shared, query: &str) -> Answer {
    // Only open pull requests exist here, so `state` needs no handling.
    let mut head = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = value.replace("%3A", ":").replace("%3a", ":").replace("%2F", "/").replace("%2f", "/");
        if key == "head" {
            head = Some(value);
        }
    }
    let wanted = head.map(|h| match h.split_once(':') {
        Some((owner, branch)) if owner == state.owner => Some(branch.to_string()),
        // A head in another owner's fork matches nothing here.
        Some(_) => None,
        None => Some(h),
    });
    let found: Vec<Value> = state
        .pulls
        .iter()
        .filter(|pull| match &wanted {
            None => true,
            Some(None) => false,
            Some(Some(branch)) => &pull.head == branch,
        })
        .map(|pull| pull_json(state, pull))
        .collect();
    (StatusCode::OK, Value::Array(found))
}

fn string_field<'v>(
    body: &'v Value,
    name: &str,
    required: bool,
    errors: &mut Vec<Value>,
    resource: &str,
) -> Option<&'v str> {
    match body.get(name) {
        Some(Value::String(text)) => Some(text),
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            errors.push(field_error(resource, name, "missing_field"));
            None
        }
        Some(_) => {
            errors.push(field_error(resource, name, "invalid"));
            None
        }
    }
}

/// POST pulls.
fn create_pull(state: &mut Shared, body: &Value) -> Answer {
    let mut errors = Vec::new();
    let title = string_field(body, "title", true, &mut errors, "PullRequest").unwrap_or("").to_string();
    let head = string_field(body, "head", true, &mut errors, "PullRequest").unwrap_or("").to_string();
    let base = string_field(body, "base", true, &mut errors, "PullRequest").unwrap_or("").to_string();
    let text = string_field(body, "body", false, &mut errors, "PullRequest").unwrap_or("").to_string();
    if !errors.is_empty() {
        return invalid(errors);
    }
    if title.trim().is_empty() {
        return invalid(vec![field_error("PullRequest", "title", "missing_field")]);
    }
    let head_branch = match head.split_once(':') {
        Some((owner, branch)) if owner == state.owner => branch.to_string(),
        Some(_) => return invalid(vec![field_error("PullRequest", "head", "invalid")]),
        None => head.clone(),
    };
    if git(&state.bare, &["rev-parse", "--verify", "--quiet", &format!("refs/heads/{head_branch}")]).is_none() {
        return invalid(vec![field_error("PullRequest", "head", "invalid")]);
    }
    if git(&state.bare, &["rev-parse", "--verify", "--quiet", &format!("refs/heads/{base}")]).is_none() {
        return invalid(vec![field_error("PullRequest", "base", "invalid")]);
    }
    if state.pulls.iter().any(|p| p.head == head_branch && p.base == base) {
        let text = format!("A pull request already exists for {}:{head_branch}.", state.owner);
        return invalid(vec![json!({ "resource": "PullRequest", "code": "custom", "message": text })]);
    }
    let number = state.pulls.len() as u64 + 1;
    let pull = FakePull { number, title, head: head_branch, base, body: text, reviews: Vec::new() };
    let answer = pull_json(state, &pull);
    state.pulls.push(pull);
    (StatusCode::CREATED, answer)
}

/// POST pulls/{number}/reviews.
fn create_review(state: &mut Shared, number: u64, body: &Value) -> Answer {
    let Some(index) = state.pulls.iter().position(|p| p.number == number) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let mut errors = Vec::new();
    let commit = string_field(body, "commit_id", false, &mut errors, "PullRequestReview").map(str::to_string);
    let _ = string_field(body, "body", false, &mut errors, "PullRequestReview");
    match body.get("event").and_then(Value::as_str) {
        Some("COMMENT" | "APPROVE" | "REQUEST_CHANGES") | None => {}
        Some(_) => errors.push(field_error("PullRequestReview", "event", "invalid")),
    }
    if !errors.is_empty() {
        return invalid(errors);
    }
    let pull = state.pulls[index].clone();
    let head_sha = git(&state.bare, &["rev-parse", &format!("refs/heads/{}", pull.head)]).unwrap_or_default();
    if let Some(commit) = &commit
        && git(&state.bare, &["merge-base", "--is-ancestor", commit, &head_sha]).is_none()
    {
        return invalid(vec![json!("commit_id is not part of the pull request")]);
    }
    let hunks = diff_hunks(&state.bare, &pull.base, &pull.head);
    let comments = match body.get("comments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(comments)) => comments.clone(),
        Some(_) => return invalid(vec![field_error("PullRequestReview", "comments", "invalid")]),
    };
    for comment in &comments {
        if let Err(problem) = check_comment(comment, &hunks) {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "message": "Unprocessable Entity", "errors": [problem] }),
            );
        }
    }
    state.pulls[index].reviews.push(body.clone());
    let id = state.pulls.iter().map(|p| p.reviews.len() as u64).sum::<u64>();
    let url = format!("https://github.com/{}/{}/pull/{number}#pullrequestreview-{id}", state.owner, state.repo);
    (
        StatusCode::OK,
        json!({ "id": id, "state": "COMMENTED", "html_url": url, "commit_id": commit.unwrap_or(head_sha) }),
    )
}

/// Checks one review comment's fields and that its lines lie inside one hunk of its file.
fn check_comment(comment: &Value, hunks: &[(String, u32, u32)]) -> Result<(), String> {
    let path = comment.get("path").and_then(Value::as_str).ok_or("comment without a string `path`")?;
    comment.get("body").and_then(Value::as_str).ok_or("comment without a string `body`")?;
    let line = comment.get("line").and_then(Value::as_u64).ok_or("comment without an integer `line`")? as u32;
    match comment.get("side").and_then(Value::as_str) {
        Some("RIGHT") => {}
        other => return Err(format!("fake github: braid must comment on side RIGHT, got {other:?}")),
    }
    let start = match comment.get("start_line") {
        None => line,
        Some(value) => {
            let start = value.as_u64().ok_or("`start_line` is not an integer")? as u32;
            if comment.get("start_side").and_then(Value::as_str) != Some("RIGHT") {
                return Err("`start_side` must be RIGHT with `start_line`".into());
            }
            if start >= line {
                return Err("`start_line` must precede `line`".into());
            }
            start
        }
    };
    let inside = hunks.iter().any(|(file, from, to)| file == path && *from <= start && line <= *to);
    if inside { Ok(()) } else { Err("Pull request review thread line must be part of the diff".into()) }
}

/// The new-side line ranges of the pull request's diff (base...head, as GitHub shows it), per file.
fn diff_hunks(bare: &Path, base: &str, head: &str) -> Vec<(String, u32, u32)> {
    let range = format!("refs/heads/{base}...refs/heads/{head}");
    let patch = git(bare, &["diff", "--no-color", "--no-ext-diff", "--dst-prefix=b/", "--src-prefix=a/", &range])
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut file: Option<String> = None;
    for line in patch.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            file = path.strip_prefix("b/").map(str::to_string);
        } else if let (Some(rest), Some(path)) = (line.strip_prefix("@@ "), &file) {
            let Some(new) = rest.split(' ').find_map(|part| part.strip_prefix('+')) else { continue };
            let (start, count) = match new.split_once(',') {
                Some((s, c)) => (s.parse().unwrap_or(0), c.parse().unwrap_or(0)),
                None => (new.parse().unwrap_or(0), 1),
            };
            if count > 0 {
                out.push((path.clone(), start, start + count - 1));
            }
        }
    }
    out
}

/// Runs git in `dir`; stdout without its trailing newline when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).current_dir(dir).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim_end().to_string())
}
