//! `braid pick --pr`: push an attempt's branch and open a pull request on GitHub, with the plan's
//! purpose, the check matrix and the review's verdict in its description and the review's findings as
//! comments on the lines they are about.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use braid_github::{Client, NewComment, NewPull, NewReview, RepoName};
use braid_orchestra::ship::pr::{PlanSummary, PrInput, draft};
use braid_orchestra::store::{PickHow, PickRecord};

use crate::cli::{GlobalArgs, PickArgs};

/// Pushes the attempt's branch and opens the pull request (or reports the open one of the same branch),
/// posts the stored review's findings as comments, records the pick and prints the pull request's URL.
///
/// Everything that can be checked before pushing (the attempt, the base branch, the repository's name,
/// the token, and that GitHub accepts the token) is checked first, so a missing or refused token leaves
/// the remote untouched.
pub async fn open(global: &GlobalArgs, args: PickArgs) -> anyhow::Result<ExitCode> {
    let (repo, store) = crate::run_cmd::repo_and_store(global)?;
    let (detail, n) = crate::run_cmd::find_attempt(&store, &args.attempt)?;
    let run = &detail.run;
    let Some(attempt) = detail.attempts.iter().find(|a| a.n == n) else {
        bail!("run {} has no attempt {n}", run.id);
    };
    let Some(commit) = attempt.commit.clone() else {
        bail!(
            "attempt {}/{n} has no commit to open a pull request with (it is {}); `braid show {}` shows its state",
            run.id,
            attempt.state,
            run.id
        );
    };
    let earlier = store.pick(&run.id)?;
    if let Some(pick) = &earlier
        && (pick.how != PickHow::Pr || pick.n != n)
    {
        bail!(
            "run {} was already picked: attempt {} ({:?} into {}); a run is picked once",
            run.id,
            pick.n,
            pick.how,
            pick.target_branch
        );
    }
    let home = crate::exec::braid_home()?;
    let config = crate::exec::load_config(&home, global)?;
    let pr_config = &config.toml.pr;
    let remote = args.remote.clone().or_else(|| pr_config.remote.clone()).unwrap_or_else(|| "origin".to_string());
    let Some(base) = args.into.clone().or_else(|| run.base_ref.clone()) else {
        bail!(
            "run {} did not start on a branch, so braid cannot tell which branch the pull request is for; pass --into <branch>",
            run.id
        );
    };
    let github_repo = match &pr_config.repository {
        Some(name) => RepoName::parse(name)?,
        None => braid_github::parse_remote(&repo.remote_url(&remote)?)?,
    };
    let env = |name: &str| std::env::var(name).ok();
    let token = braid_github::find_token(&env, gh_hosts_path().as_deref(), &github_repo.host)?;
    let api = braid_github::api_url(pr_config.api_url.as_deref(), env("GITHUB_API_URL").as_deref());
    let client = Client::new(&api, token)?;

    let plan = match &run.plan_path {
        Some(path) => std::fs::read_to_string(repo.root().join(path)).ok().map(|text| PlanSummary::from_text(&text)),
        None => None,
    };
    let checks: Vec<_> = store
        .checks(&run.id)?
        .into_iter()
        .filter(|check| check.n == n && check.commit == commit)
        .map(|check| check.outcome)
        .collect();
    let review = store.latest_reviews(&run.id)?.into_iter().find(|(k, _)| *k == n).map(|(_, stored)| stored.review);
    let diff = repo.diff_commits(&run.base_commit, &commit)?;
    let drafted = draft(&PrInput {
        run_id: &run.id,
        n,
        task: &run.task,
        plan: plan.as_ref(),
        checks: &checks,
        review: review.as_ref(),
        patch: &diff.patch,
    });

    // Asking for an open pull request first also proves the token and the repository before anything
    // is pushed.
    let existing = client.find_open_pull(&github_repo, &github_repo.owner, &attempt.branch).await?;
    repo.push(&remote, &attempt.branch).with_context(|| {
        format!(
            "cannot push {} to {remote}; an archived attempt comes back with `braid restore {}/{n}`",
            attempt.branch, run.id
        )
    })?;
    let created = existing.is_none();
    let pull = match existing {
        Some(pull) => pull,
        None => {
            let new = NewPull {
                title: drafted.title.clone(),
                head: attempt.branch.clone(),
                base: base.clone(),
                body: drafted.body.clone(),
            };
            client.create_pull(&github_repo, &new).await?
        }
    };
    // An earlier `pick --pr` that recorded its pick got as far as posting the review; posting it again
    // would duplicate every comment.
    let mut posted = 0;
    if earlier.is_none() && review.is_some() {
        let comments: Vec<NewComment> = drafted
            .comments
            .iter()
            .map(|c| NewComment::on_lines(&c.path, c.start_line, c.end_line, c.body.clone()))
            .collect();
        posted = comments.len();
        let review = NewReview::comment(&commit, drafted.review_body.clone(), comments);
        client
            .create_review(&github_repo, pull.number, &review)
            .await
            .with_context(|| format!("opened {} but could not post the review's comments on it", pull.html_url))?;
    }
    if earlier.is_none() {
        store.record_pick(&PickRecord {
            run_id: run.id.clone(),
            n,
            how: PickHow::Pr,
            at: chrono::Utc::now(),
            target_branch: base.clone(),
            result_commit: None,
            pr_url: Some(pull.html_url.clone()),
        })?;
    }
    // The pull request carries the picked attempt; the others are archived, not lost (`braid restore`
    // brings one back). The picked attempt keeps its branch and worktree for follow-up pushes.
    let archive = braid_orchestra::ship::archive_others(&repo, &store, &run.id, n)?;

    let in_body = review.as_ref().map_or(0, |r| r.findings.len().saturating_sub(drafted.comments.len()));
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({
            "run": run.id,
            "n": n,
            "branch": attempt.branch,
            "remote": remote,
            "repository": github_repo.to_string(),
            "base": base,
            "commit": commit,
            "number": pull.number,
            "url": pull.html_url,
            "created": created,
            "review_comments": posted,
            "findings_in_description": in_body,
            "archived": archive.archived.iter().map(|a| a.n).collect::<Vec<_>>(),
            "archive_problems": archive.problems,
        });
        writeln!(stdout, "{value}")?;
    } else {
        writeln!(stdout, "Pushed {} to {remote}.", attempt.branch)?;
        let verb = if created { "Opened" } else { "Found the open" };
        writeln!(stdout, "{verb} pull request #{} into {base}: {}", pull.number, pull.html_url)?;
        if review.is_some() && earlier.is_none() {
            writeln!(
                stdout,
                "Posted {posted} review comment(s); {in_body} finding(s) outside the diff are in the description."
            )?;
        }
        for action in &archive.actions {
            writeln!(stdout, "{action}")?;
        }
        for problem in &archive.problems {
            writeln!(stdout, "problem: {problem}")?;
        }
    }
    Ok(if archive.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// gh's `hosts.yml`: `$GH_CONFIG_DIR/hosts.yml`, else `$XDG_CONFIG_HOME/gh/hosts.yml`, else
/// `~/.config/gh/hosts.yml`, as gh itself looks; `None` when none of those variables is set.
fn gh_hosts_path() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("GH_CONFIG_DIR") {
        return Some(dir.join("hosts.yml"));
    }
    if let Some(dir) = var("XDG_CONFIG_HOME") {
        return Some(dir.join("gh/hosts.yml"));
    }
    var("HOME").map(|home| home.join(".config/gh/hosts.yml"))
}
