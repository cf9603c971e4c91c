//! `braid pick --pr` end to end: a run made by a `cmd:` agent, a real bare repository as `origin`, a
//! stored review, and the fake GitHub: the branch is pushed, the pull request and its review comments
//! are checked (one finding on the diff, one moved into the description), and the pick is recorded; a
//! second pick reports the open pull request; without a token nothing is pushed.

use std::path::Path;

use braid_orchestra::review::{Finding, Priority, Review, ReviewTarget, Verdict};
use braid_orchestra::store::{PickHow, Store};
use braid_test_support::{FakeGithub, TempRepo};

use crate::harness::Env;

const AGENT: &str = "cd \"$BRAID_WORKTREE\"\nsed -i 's/^three$/THREE/' notes.txt\necho 'Done.'\n";

struct Setup {
    repo: TempRepo,
    bare: tempfile::TempDir,
    dir: tempfile::TempDir,
    env: Env,
    run: String,
    commit: String,
}

/// A repository with a ten-line file and a bare `origin`, one attempt that changes line 3, and a stored
/// review of it with a finding on line 3 (inside the hunk) and one on line 10 (outside it).
fn setup() -> Setup {
    let repo = TempRepo::new();
    repo.write("notes.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n");
    repo.commit_all("notes");
    let bare = tempfile::tempdir().unwrap();
    git(bare.path(), &["init", "-q", "--bare", "-b", "main"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    let env = Env::with_config("[pr]\nrepository = \"octo/notes\"\n");
    let spec = format!("cmd:sh {}", agent.display());
    let out = env
        .braid(repo.path())
        .args(["run", "-n", "2", "--agent", &spec, "Shout line three\n\nThe third line must be loud."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let store = Store::open(&repo.path().join(".braid/braid.db")).unwrap();
    let runs = crate::harness::jsonl(&env.braid(repo.path()).args(["runs", "--json"]).output().unwrap().stdout);
    let run = runs[0]["run"]["id"].as_str().unwrap().to_string();
    let detail = store.run(&run).unwrap().unwrap();
    let commit = detail.attempts[0].commit.clone().unwrap();
    let finding = |title: &str, line: u32| Finding {
        title: title.into(),
        body: format!("Why {title} matters."),
        priority: Priority::P2,
        confidence: 0.8,
        file: "notes.txt".into(),
        start_line: line,
        end_line: line,
        test: None,
    };
    let review = Review {
        target: ReviewTarget::Attempt { run: run.clone(), n: 1 },
        base_commit: detail.run.base_commit.clone(),
        head_commit: Some(commit.clone()),
        files: vec!["notes.txt".into()],
        verdict: Verdict::Correct,
        explanation: "Line three is loud now.".into(),
        confidence: 0.9,
        findings: vec![finding("Shouting is rude", 3), finding("Ten is quiet", 10)],
        dropped: Vec::new(),
        model: "scripted".into(),
    };
    store.save_review(Some((&run, 1)), &review).unwrap();
    Setup { repo, bare, dir, env, run, commit }
}

#[allow(clippy::disallowed_methods)]
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn pick(setup: &Setup, token: Option<&str>, api: &str) -> std::process::Output {
    let mut command = setup.env.braid(setup.repo.path());
    command
        .args(["pick", &format!("{}/1", setup.run), "--pr", "--json"])
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("GH_CONFIG_DIR", setup.dir.path())
        .env("GITHUB_API_URL", api);
    if let Some(token) = token {
        command.env("GITHUB_TOKEN", token);
    }
    command.output().unwrap()
}

#[test]
fn pick_pr_pushes_opens_the_pull_request_and_comments_on_the_diff() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let out = pick(&setup, Some("t0ken"), &fake.api_url());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["url"], "https://github.com/octo/notes/pull/1");
    assert_eq!(printed["created"], true);
    assert_eq!(printed["review_comments"], 1);
    assert_eq!(printed["findings_in_description"], 1);
    // The other attempt is archived and its worktree removed; the picked one keeps both for follow-ups.
    assert_eq!(printed["archived"], serde_json::json!([2]));
    let repo = setup.repo.path();
    assert!(git(repo, &["rev-parse", "--verify", "--quiet", &format!("refs/braid/archive/{}/2", setup.run)]).is_some());
    assert!(git(repo, &["rev-parse", "--verify", "--quiet", &format!("refs/heads/braid/{}/2", setup.run)]).is_none());
    assert!(!repo.join(format!(".braid/worktrees/{}/2", setup.run)).exists());
    assert!(repo.join(format!(".braid/worktrees/{}/1", setup.run)).exists());

    let branch = format!("braid/{}/1", setup.run);
    assert_eq!(git(setup.bare.path(), &["rev-parse", &branch]).as_deref(), Some(setup.commit.as_str()));
    let pulls = fake.pulls();
    assert_eq!(pulls.len(), 1);
    let pull = &pulls[0];
    assert_eq!(
        (pull.title.as_str(), pull.head.as_str(), pull.base.as_str()),
        ("Shout line three", branch.as_str(), "main")
    );
    assert!(pull.body.contains("The third line must be loud."), "{}", pull.body);
    assert!(
        pull.body.contains(&format!("No checks were run on this attempt; `braid compare {}`", setup.run)),
        "{}",
        pull.body
    );
    assert!(
        pull.body.contains("**Verdict: correct**") && pull.body.contains("Line three is loud now."),
        "{}",
        pull.body
    );
    assert!(pull.body.contains("- **P2** Ten is quiet (`notes.txt`, line 10)"), "{}", pull.body);
    assert!(!pull.body.contains("Shouting is rude"), "{}", pull.body);
    assert_eq!(pull.reviews.len(), 1);
    let review = &pull.reviews[0];
    assert_eq!(review["commit_id"], setup.commit.as_str());
    assert_eq!(review["event"], "COMMENT");
    let comments = review["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["path"], "notes.txt");
    assert_eq!(comments[0]["line"], 3);
    assert_eq!(comments[0]["side"], "RIGHT");
    assert!(comments[0]["body"].as_str().unwrap().starts_with("**P2** Shouting is rude"));

    let store = Store::open(&setup.repo.path().join(".braid/braid.db")).unwrap();
    let picked = store.pick(&setup.run).unwrap().unwrap();
    assert_eq!((picked.n, picked.how, picked.target_branch.as_str()), (1, PickHow::Pr, "main"));
    assert_eq!(picked.pr_url.as_deref(), Some("https://github.com/octo/notes/pull/1"));

    // Picking again reports the open pull request: nothing new is opened or posted.
    let again = pick(&setup, Some("t0ken"), &fake.api_url());
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((printed["created"].as_bool(), printed["number"].as_u64()), (Some(false), Some(1)));
    assert_eq!(fake.pulls().len(), 1);
    assert_eq!(fake.pulls()[0].reviews.len(), 1);
}

#[test]
fn pick_pr_without_a_token_fails_before_pushing() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let out = pick(&setup, None, &fake.api_url());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no GitHub token") && stderr.contains("GITHUB_TOKEN"), "{stderr}");
    assert_eq!(git(setup.bare.path(), &["rev-parse", "--verify", "--quiet", &format!("braid/{}/1", setup.run)]), None);
    assert!(fake.requests().is_empty());
    let store = Store::open(&setup.repo.path().join(".braid/braid.db")).unwrap();
    assert_eq!(store.pick(&setup.run).unwrap(), None);
}

#[test]
fn pick_pr_with_a_refused_token_names_the_status_and_pushes_and_records_nothing() {
    let setup = setup();
    let fake = FakeGithub::start(setup.bare.path(), "octo", "notes", "t0ken");
    let out = pick(&setup, Some("wrong"), &fake.api_url());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401") && stderr.contains("Bad credentials"), "{stderr}");
    let branch = format!("braid/{}/1", setup.run);
    assert_eq!(git(setup.bare.path(), &["rev-parse", "--verify", "--quiet", &branch]), None);
    let store = Store::open(&setup.repo.path().join(".braid/braid.db")).unwrap();
    assert_eq!(store.pick(&setup.run).unwrap(), None);
}
