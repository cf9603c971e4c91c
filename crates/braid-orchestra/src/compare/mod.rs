//! Comparing a run's attempts on evidence: the same checks run on every attempt's commit, what each
//! attempt changed and cost, and a ranking by a documented, deterministic order (`rank`). The result is
//! plain data ([`Comparison`]) that the binary prints as a table or JSON and `braid-report` renders as a
//! page.

mod gather;
mod model;
mod rank;

use std::path::PathBuf;

use braid_git::Repo;
use braid_sandbox::globs::PathGlobs;
use chrono::Utc;

pub use gather::{CompareOptions, scratch_root};
pub use model::{Comparison, Criterion, DiffStats, Evidence, FindingCounts, PlanInfo, Ranked, RunInfo};
pub use rank::{passes, rank};

use crate::checks::{CheckSpec, ChecksError};
use crate::plan::{Plan, SectionKind};
use crate::store::{Store, StoreError};
use gather::{Conformance, Subject, checks_for, evidence};

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("no run {0} in this repository; `braid runs` lists them")]
    UnknownRun(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] braid_git::GitError),
    #[error(transparent)]
    Checks(#[from] ChecksError),
    #[error("run {run} has no attempt with committed work to compare; `braid show {run}` tells what happened")]
    NothingToCompare { run: String },
    #[error("a check task failed: {0}")]
    Task(String),
}

/// Compares the attempts of run `run` (an id or a unique prefix) in `repo`: runs the checks that have
/// no stored result for an attempt's commit (see [`CompareOptions::rerun`]), gathers the evidence and
/// ranks it. Checks run in scratch checkouts of the commits, so the attempts' worktrees are left as they
/// are.
///
/// Fails when the run is unknown, no attempt committed anything, no checks can be found (the error says
/// how to declare them), or git or the store fail.
pub async fn compare(
    repo: &Repo,
    store: &Store,
    run: &str,
    options: &CompareOptions,
) -> Result<Comparison, CompareError> {
    let detail = store.run(run)?.ok_or_else(|| CompareError::UnknownRun(run.to_string()))?;
    let id = detail.run.id.clone();
    if detail.attempts.iter().all(|a| a.commit.is_none()) {
        return Err(CompareError::NothingToCompare { run: id });
    }
    let plan = detail.run.plan_path.as_ref().and_then(|path| load_plan(repo, path));
    let (check_source, specs) = crate::checks::resolve(repo.root(), plan.as_ref().map(|(p, _)| p))?;

    let subjects: Vec<Subject> =
        detail.attempts.iter().filter_map(|a| a.commit.clone().map(|commit| Subject { n: a.n, commit })).collect();
    // Warnings count only when new, so lint checks also run on the base commit.
    let lint: Vec<CheckSpec> = specs.iter().filter(|s| s.lint).cloned().collect();
    let mut results = checks_for(repo, store, &id, &specs, &subjects, options).await?;
    let base = if lint.is_empty() {
        Vec::new()
    } else {
        let base = [Subject { n: 0, commit: detail.run.base_commit.clone() }];
        checks_for(repo, store, &id, &lint, &base, options).await?.remove(&0).unwrap_or_default()
    };

    let conformance = conformance(plan.as_ref().map(|(p, _)| p), detail.run.plan_path.as_ref());
    // Only a review of the attempt's current commit counts (`latest_reviews` sees to that).
    let reviews: std::collections::HashMap<u32, FindingCounts> =
        store.latest_reviews(&id)?.into_iter().map(|(n, stored)| (n, stored.review.counts())).collect();
    let mut attempts = Vec::new();
    for attempt in &detail.attempts {
        let checks = results.remove(&attempt.n).unwrap_or_default();
        let mut evidence = evidence(repo, &detail, attempt, checks, &base, &conformance)?;
        evidence.findings = reviews.get(&attempt.n).copied();
        attempts.push(evidence);
    }
    let ranking = rank(&mut attempts);
    Ok(Comparison {
        run: RunInfo {
            id,
            task: detail.run.task.clone(),
            base_commit: detail.run.base_commit.clone(),
            plan_path: detail.run.plan_path.as_ref().map(|p| p.display().to_string()),
        },
        plan: plan.as_ref().map(|(plan, text)| plan_info(plan, text)),
        checks: specs,
        check_source,
        attempts,
        ranking,
        generated_at: Utc::now(),
    })
}

/// The run's plan as it is in the user's checkout, with its text; `None` when it is gone or unreadable
/// (the comparison then goes on without plan conformance).
fn load_plan(repo: &Repo, path: &PathBuf) -> Option<(Plan, String)> {
    let text = std::fs::read_to_string(repo.root().join(path)).ok()?;
    let (plan, _) = Plan::parse(&text);
    Some((plan, text))
}

fn conformance(plan: Option<&Plan>, plan_path: Option<&PathBuf>) -> Conformance {
    let machine = plan.and_then(|p| p.machine.as_ref());
    Conformance {
        scope: machine.filter(|m| !m.scope.is_empty()).and_then(|m| PathGlobs::new(&m.scope).ok()),
        forbidden: machine.and_then(|m| PathGlobs::new(&m.forbidden).ok()).unwrap_or_else(PathGlobs::empty),
        plan_file: plan_path.map(|p| p.to_string_lossy().replace('\\', "/")),
    }
}

fn plan_info(plan: &Plan, text: &str) -> PlanInfo {
    let acceptance = plan
        .milestones
        .iter()
        .filter_map(|m| {
            let text = m.acceptance.clone()?;
            let checks = plan.checks_for(m).into_iter().map(|c| c.name.clone()).collect();
            Some(Criterion { milestone: m.number, title: m.title.clone(), text, checks })
        })
        .collect();
    let machine = plan.machine.as_ref();
    PlanInfo {
        title: plan.title.as_ref().map(|t| t.text.clone()),
        acceptance,
        validation: plan
            .section(SectionKind::Validation)
            .map(|s| s.body_text(text).trim().to_string())
            .filter(|t| !t.is_empty()),
        scope: machine.map(|m| m.scope.clone()).unwrap_or_default(),
        forbidden: machine.map(|m| m.forbidden.clone()).unwrap_or_default(),
    }
}
