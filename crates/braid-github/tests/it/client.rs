//! Opening a pull request, finding an existing one, posting review comments, and GitHub's refusals.

use std::path::Path;

use braid_github::{Client, GithubError, NewComment, NewPull, NewReview, RepoName, Token, TokenSource};
use braid_test_support::{FakeGithub, TempRepo};

/// A work repository with `main` (one file of five lines) and `feature` (line 3 changed), both pushed to
/// a bare repository.
struct Setup {
    _work: TempRepo,
    bare: tempfile::TempDir,
    head: String,
}

fn setup() -> Setup {
    let work = TempRepo::new();
    work.write("notes.txt", "one\ntwo\nthree\nfour\nfive\n");
    work.commit_all("notes");
    work.git(&["checkout", "-q", "-b", "feature"]);
    work.write("notes.txt", "one\ntwo\nTHREE\nfour\nfive\n");
    work.commit_all("shout");
    let bare = tempfile::tempdir().unwrap();
    git(bare.path(), &["init", "-q", "--bare", "-b", "main"]);
    work.git(&["push", "-q", bare.path().to_str().unwrap(), "main", "feature"]);
    let head = work.git(&["rev-parse", "feature"]).trim().to_string();
    Setup { _work: work, bare, head }
}

#[allow(clippy::disallowed_methods)]
fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git").args(args).current_dir(dir).status().unwrap();
    assert!(status.success(), "git {args:?}");
}

fn repo() -> RepoName {
    RepoName { host: "github.com".into(), owner: "octo".into(), name: "notes".into() }
}

fn client(fake: &FakeGithub, secret: &str) -> Client {
    Client::new(&fake.api_url(), Token { secret: secret.into(), source: TokenSource::GithubToken }).unwrap()
}

fn pull() -> NewPull {
    NewPull { title: "Shout".into(), head: "feature".into(), base: "main".into(), body: "Why.".into() }
}

#[tokio::test]
async fn opens_a_pull_request_and_posts_comments_on_its_lines() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let client = client(&fake, "t0ken");
    let opened = client.create_pull(&repo(), &pull()).await.unwrap();
    assert_eq!(opened.number, 1);
    assert_eq!(opened.html_url, "https://github.com/octo/notes/pull/1");
    let comments = vec![
        NewComment::on_lines("notes.txt", 3, 3, "Why shout?".into()),
        NewComment::on_lines("notes.txt", 1, 5, "The whole hunk.".into()),
    ];
    let review = NewReview::comment(&setup.head, "braid's review".into(), comments);
    let posted = client.create_review(&repo(), 1, &review).await.unwrap();
    assert!(posted.html_url.contains("/pull/1#"), "{posted:?}");

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let header = |name: &str| requests[0].headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("authorization").as_deref(), Some("Bearer t0ken"));
    assert_eq!(header("accept").as_deref(), Some("application/vnd.github+json"));
    assert_eq!(header("x-github-api-version").as_deref(), Some("2022-11-28"));
    assert!(header("user-agent").unwrap().starts_with("braid/"));
    assert_eq!(requests[0].body["head"], "feature");
    let sent = &fake.pulls()[0].reviews[0];
    assert_eq!(sent["event"], "COMMENT");
    assert_eq!(sent["commit_id"], setup.head.as_str());
    assert_eq!(sent["comments"][1]["start_line"], 1);
}

#[tokio::test]
async fn a_bad_token_is_a_401_that_says_what_to_check() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let err = client(&fake, "wrong").create_pull(&repo(), &pull()).await.unwrap_err();
    assert!(matches!(err, GithubError::Api { status: 401, .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("Bad credentials") && text.contains("GITHUB_TOKEN"), "{text}");
    assert!(text.contains(&format!("{}/repos/octo/notes/pulls", fake.api_url())), "{text}");
}

#[tokio::test]
async fn validation_errors_surface_githubs_reasons() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let client = client(&fake, "t0ken");
    let missing = NewPull { head: "no-such-branch".into(), ..pull() };
    let err = client.create_pull(&repo(), &missing).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GithubError::Api { status: 422, .. }), "{text}");
    assert!(text.contains("Validation Failed") && text.contains("PullRequest head is invalid"), "{text}");

    client.create_pull(&repo(), &pull()).await.unwrap();
    let again = client.create_pull(&repo(), &pull()).await.unwrap_err().to_string();
    assert!(again.contains("A pull request already exists for octo:feature"), "{again}");

    let outside =
        NewReview::comment(&setup.head, "r".into(), vec![NewComment::on_lines("notes.txt", 9, 9, "x".into())]);
    let err = client.create_review(&repo(), 1, &outside).await.unwrap_err().to_string();
    assert!(err.contains("422") && err.contains("must be part of the diff"), "{err}");
}

#[tokio::test]
async fn an_open_pull_request_of_the_same_head_is_found() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let client = client(&fake, "t0ken");
    assert_eq!(client.find_open_pull(&repo(), "octo", "feature").await.unwrap(), None);
    let number = fake.add_pull("feature", "main", "Earlier");
    let found = client.find_open_pull(&repo(), "octo", "feature").await.unwrap().unwrap();
    assert_eq!(found.number, number);
    assert_eq!(client.find_open_pull(&repo(), "someone", "feature").await.unwrap(), None);
    let query = &fake.requests()[0].query;
    assert!(query.contains("head=octo%3Afeature") && query.contains("state=open"), "{query}");
}

#[tokio::test]
async fn an_unreachable_api_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::new(&url, Token { secret: "t".into(), source: TokenSource::GhToken }).unwrap();
    let err = client.create_pull(&repo(), &pull()).await.unwrap_err().to_string();
    assert!(err.contains(&format!("POST {url}/repos/octo/notes/pulls failed")), "{err}");
    assert!(Client::new("ftp://x", Token { secret: "t".into(), source: TokenSource::GhToken }).is_err());
}
