//! `braid pick` and `braid restore`: make one attempt real code and archive the others, or bring an
//! archived attempt back.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use braid_git::MergeHow;
use braid_orchestra::ship::{PickOutcome, PickRequest};

use crate::cli::{GlobalArgs, PickArgs, RestoreArgs};
use crate::run_cmd::{find_attempt, repo_and_store};

/// Runs `braid pick`: `--pr` opens a pull request; `--merge` and `--squash` merge the attempt into the
/// target branch and archive the run's attempts. Exits with failure when an attempt could not be
/// archived (the merge itself is done and reported).
pub async fn pick(global: &GlobalArgs, args: PickArgs) -> anyhow::Result<ExitCode> {
    if args.pr {
        return crate::pr_cmd::open(global, args).await;
    }
    let (repo, store) = repo_and_store(global)?;
    let (detail, n) = find_attempt(&store, &args.attempt)?;
    let how = if args.squash { MergeHow::Squash } else { MergeHow::Merge };
    let (run, into) = (detail.run.id, args.into);
    // Git commands on a large repository take a while: off the async runtime's threads.
    let outcome = tokio::task::spawn_blocking(move || {
        let request = PickRequest { run: &run, n, how, into: into.as_deref() };
        braid_orchestra::ship::pick(&repo, &store, &request)
    })
    .await??;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string(&outcome)?)?;
    } else {
        write!(stdout, "{}", pick_text(&outcome))?;
    }
    Ok(if outcome.archive.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs `braid restore`: prints the restored worktree's path.
pub fn restore(global: &GlobalArgs, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let (repo, store) = repo_and_store(global)?;
    let (detail, n) = find_attempt(&store, &args.attempt)?;
    let outcome = braid_orchestra::ship::restore(&repo, &store, &detail.run.id, n)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", outcome.worktree.path.display())?;
    Ok(ExitCode::SUCCESS)
}

/// What `braid pick --merge|--squash` did, for people.
fn pick_text(outcome: &PickOutcome) -> String {
    let mut out = String::new();
    let target = &outcome.target_branch;
    let (old, new) = (short(&outcome.old_tip), short(&outcome.new_tip));
    let what = match outcome.kind {
        "fast_forward" => format!("fast-forwarded {target} from {old} to {new}"),
        "merge_commit" => format!("merged into {target} with merge commit {new} (was {old})"),
        "squash" => format!("squashed into {target} as commit {new} (was {old})"),
        _ => format!("{target} already holds this work; it stays at {old}"),
    };
    let _ = writeln!(out, "picked attempt {} of run {}: {what}", outcome.n, outcome.run);
    if let Some(worktree) = &outcome.updated_worktree {
        let _ = writeln!(out, "updated the files in {}", worktree.display());
    }
    for archived in &outcome.archive.archived {
        let _ =
            writeln!(out, "archived attempt {} as {} ({})", archived.n, archived.reference, short(&archived.commit));
    }
    for worktree in &outcome.archive.removed_worktrees {
        let _ = writeln!(out, "removed worktree {}", worktree.display());
    }
    for problem in &outcome.archive.problems {
        let _ = writeln!(out, "problem: {problem}");
    }
    let _ = writeln!(out, "`braid restore {}/<n>` brings an archived attempt back", outcome.run);
    out
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}
