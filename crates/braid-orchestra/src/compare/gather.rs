//! Gathering the evidence of a run's attempts: the checks run on each attempt's commit in a scratch
//! checkout (and, for lint checks, on the base commit), the diff, plan conformance, and what the store
//! recorded (tokens, cost, time, the agent's claim).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_git::{Repo, Scratch};
use braid_sandbox::globs::PathGlobs;
use braid_sandbox::{Confinement, EnvPolicy};

use super::{CompareError, DiffStats, Evidence};
use crate::checks::{CheckOutcome, CheckSpec, CheckTarget, RunChecksOptions, new_warnings, run_checks};
use crate::store::{AttemptRecord, RunDetail, Store};
use crate::warm::WarmOptions;

/// How checks are run for a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// How many checks run at once over all attempts.
    pub concurrency: usize,
    /// Which of braid's variables the checks do not get.
    pub env_policy: EnvPolicy,
    /// The confinement of the checks; its writable roots must include [`scratch_root`] of the run.
    /// `None` runs them unconfined.
    pub confinement: Option<Arc<Confinement>>,
    /// Run the checks again even where results for the same commit and command are stored.
    pub rerun: bool,
    /// How build caches are seeded into each scratch checkout from the attempt's own worktree, when it
    /// still exists (cold otherwise).
    pub warm: WarmOptions,
}

/// Where the scratch checkouts of `run` go: `.braid/scratch/<run>`. The binary makes it writable for the
/// checks' sandbox.
pub fn scratch_root(repo: &Repo, run: &str) -> PathBuf {
    repo.scratch_dir().join(run)
}

/// What is checked: an attempt's commit (n ≥ 1) or the base (n = 0).
#[derive(Debug, Clone)]
pub(super) struct Subject {
    pub n: u32,
    pub commit: String,
}

/// Runs every check that has no stored result for its subject's commit and command (all of them with
/// `rerun`), stores the results, and returns every result by subject number, one per spec in spec
/// order. Scratch checkouts are removed afterwards, whatever happened.
pub(super) async fn checks_for(
    repo: &Repo,
    store: &Store,
    run: &str,
    specs: &[CheckSpec],
    subjects: &[Subject],
    options: &CompareOptions,
) -> Result<BTreeMap<u32, Vec<CheckOutcome>>, CompareError> {
    let stored = store.checks(run)?;
    let cached = |subject: &Subject, spec: &CheckSpec| {
        stored
            .iter()
            .find(|s| s.n == subject.n && s.commit == subject.commit && s.outcome.name == spec.name)
            .filter(|s| s.outcome.command == spec.command && !options.rerun && s.outcome.log.exists())
            .map(|s| s.outcome.clone())
    };
    let stale: Vec<&Subject> = subjects.iter().filter(|s| specs.iter().any(|spec| cached(s, spec).is_none())).collect();

    let mut fresh: BTreeMap<u32, Vec<CheckOutcome>> = BTreeMap::new();
    if !stale.is_empty() {
        let scratches = checkouts(repo, run, &stale, &options.warm).await;
        let result = match scratches {
            Ok(scratches) => {
                let targets: Vec<CheckTarget> =
                    scratches.iter().map(|(n, s)| CheckTarget { n: *n, root: s.path.clone() }).collect();
                let run_options = RunChecksOptions {
                    concurrency: options.concurrency,
                    env_policy: options.env_policy.clone(),
                    confinement: options.confinement.clone(),
                    log_dir: repo.root().join(".braid").join("runs").join(run).join("checks"),
                };
                let results = run_checks(specs, &targets, &run_options).await;
                cleanup(repo, scratches.iter().map(|(_, s)| s.path.clone()).collect()).await;
                Ok(results)
            }
            Err(err) => Err(err),
        };
        for attempt in result? {
            let commit = subjects.iter().find(|s| s.n == attempt.n).map(|s| s.commit.clone()).unwrap_or_default();
            for outcome in &attempt.outcomes {
                store.save_check(run, attempt.n, &commit, outcome)?;
            }
            fresh.insert(attempt.n, attempt.outcomes);
        }
    }
    let mut all = BTreeMap::new();
    for subject in subjects {
        let outcomes = match fresh.remove(&subject.n) {
            Some(outcomes) => outcomes,
            None => specs.iter().filter_map(|spec| cached(subject, spec)).collect(),
        };
        all.insert(subject.n, outcomes);
    }
    Ok(all)
}

/// Checks out each subject's commit at `.braid/scratch/<run>/<n>` (`base` for 0), seeding build caches
/// from the attempt's worktree when it exists. On failure the checkouts made so far are removed.
async fn checkouts(
    repo: &Repo,
    run: &str,
    subjects: &[&Subject],
    warm: &WarmOptions,
) -> Result<Vec<(u32, Scratch)>, CompareError> {
    let mut handles = Vec::new();
    for subject in subjects {
        let (repo, run, subject, warm) = (repo.clone(), run.to_string(), (*subject).clone(), warm.clone());
        handles.push(tokio::task::spawn_blocking(move || {
            let name = if subject.n == 0 { format!("{run}/base") } else { format!("{run}/{}", subject.n) };
            let scratch = repo.create_scratch(&name, &subject.commit)?;
            let source = if subject.n == 0 { None } else { repo.worktree(&run, subject.n).ok() };
            if let Some(source) = source {
                // A cache that cannot be seeded only costs time: the checks then build cold.
                if let Ok(report) = crate::warm::seed(&source.path, &scratch.path, &warm) {
                    let seeded: Vec<String> = report.entries.iter().map(|e| e.path.clone()).collect();
                    if !seeded.is_empty() {
                        let _ = crate::warm::align_source_times(&source.path, &scratch.path, &seeded);
                    }
                }
            }
            Ok::<_, braid_git::GitError>((subject.n, scratch))
        }));
    }
    let mut made = Vec::new();
    let mut failure = None;
    for handle in handles {
        match handle.await {
            Ok(Ok(scratch)) => made.push(scratch),
            Ok(Err(err)) => failure = failure.or(Some(CompareError::Git(err))),
            Err(err) => failure = failure.or(Some(CompareError::Task(err.to_string()))),
        }
    }
    if let Some(err) = failure {
        cleanup(repo, made.iter().map(|(_, s)| s.path.clone()).collect()).await;
        return Err(err);
    }
    Ok(made)
}

/// Removes scratch checkouts; one that cannot be removed is replaced by the next comparison of the run.
async fn cleanup(repo: &Repo, paths: Vec<PathBuf>) {
    let repo = repo.clone();
    let _ = tokio::task::spawn_blocking(move || {
        for path in &paths {
            let _ = repo.remove_scratch(path);
        }
        // The run's scratch directory goes with its last checkout (`remove_dir` leaves a non-empty one).
        for parent in paths.iter().filter_map(|p| p.parent()) {
            let _ = std::fs::remove_dir(parent);
        }
    })
    .await;
}

/// The globs of the plan that decide conformance.
pub(super) struct Conformance {
    pub scope: Option<PathGlobs>,
    pub forbidden: PathGlobs,
    /// The plan file itself, which the agent is expected to change (its Progress).
    pub plan_file: Option<String>,
}

/// One attempt's evidence from its record, its diff and its check results.
pub(super) fn evidence(
    repo: &Repo,
    detail: &RunDetail,
    attempt: &AttemptRecord,
    checks: Vec<CheckOutcome>,
    base_checks: &[CheckOutcome],
    conformance: &Conformance,
) -> Result<Evidence, CompareError> {
    let diff = match &attempt.commit {
        Some(commit) => Some(repo.diff_commits(&detail.run.base_commit, commit)?),
        None => None,
    };
    let files: Vec<String> =
        diff.as_ref().map(|d| d.files.iter().map(|f| f.path.clone()).collect()).unwrap_or_default();
    let is_plan = |path: &String| conformance.plan_file.as_deref() == Some(path.as_str());
    let outside_scope = match &conformance.scope {
        Some(scope) => files.iter().filter(|f| !is_plan(f) && !scope.is_match(Path::new(f))).cloned().collect(),
        None => Vec::new(),
    };
    let forbidden = files.iter().filter(|f| conformance.forbidden.is_match(Path::new(f))).cloned().collect();
    let mut warnings = Vec::new();
    for outcome in checks.iter().filter(|o| !o.warnings.is_empty()) {
        let base = base_checks.iter().find(|b| b.name == outcome.name).map_or(&[][..], |b| &b.warnings[..]);
        warnings.extend(new_warnings(base, &outcome.warnings));
    }
    let wall_seconds = match (attempt.started_at, attempt.finished_at) {
        (Some(start), Some(end)) => Some((end - start).num_milliseconds().max(0) as f64 / 1000.0),
        _ => None,
    };
    Ok(Evidence {
        n: attempt.n,
        agent: attempt.agent.clone(),
        approach: attempt.approach.clone(),
        branch: attempt.branch.clone(),
        commit: attempt.commit.clone(),
        state: attempt.state,
        checks,
        diff: diff.as_ref().map_or(DiffStats::default(), |d| DiffStats {
            files: d.files.len() as u64,
            added: d.insertions,
            removed: d.deletions,
        }),
        outside_scope,
        forbidden,
        new_warnings: warnings,
        findings: None,
        tokens: attempt.tokens,
        cost_usd: attempt.cost_usd,
        wall_seconds,
        claimed_success: attempt.claimed_success,
        final_message: attempt.final_message.clone(),
        patch: diff.map(|d| d.patch).unwrap_or_default(),
    })
}
