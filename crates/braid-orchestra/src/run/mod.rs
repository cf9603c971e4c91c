//! Best-of-N runs (`braid run`): the same task attempted N times in parallel, each attempt in its own git
//! worktree and branch, by braid's own agent or an external one, with every step recorded in the store
//! before it happens so that a crash leaves a record `braid gc` and `braid run --resume` can act on.
//!
//! An attempt goes: worktree created from the run's base commit → build caches seeded → the setup script
//! → the agent → its work committed on the attempt's branch. The user's own checkout is only read (to
//! seed caches); its files, index, HEAD and branches never change.

mod attempt;
pub(crate) mod gc;
mod ports;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_core::Session;
use braid_core::session::CancellationToken;
use braid_git::Repo;
use braid_git::names::branch_name;
use braid_protocol::{AttemptInfo, RunEvent};
use braid_sandbox::globs::PathGlobs;

pub use gc::{GcReport, gc};

use crate::agents::{AgentSettings, AgentSpec};
use crate::execute::CheckRunner;
use crate::store::{AttemptState, NewAttempt, NewRun, ProcessStamp, RunState, Store, StoreError};
use crate::warm::WarmOptions;

/// Where a run's events go: the terminal progress, JSON Lines, a test.
pub type RunSink = Arc<dyn Fn(RunEvent) + Send + Sync>;

/// Builds braid's own agent for an attempt: a session working in the attempt's worktree, confined to it,
/// with the run's shared model client. The binary implements it, since it owns configuration.
pub trait SessionFactory: Send + Sync {
    /// A new session for `request`, reporting to `sink`, with the check runner that runs the plan's checks
    /// under the same sandbox and environment policy. Fails when the configuration cannot produce one (the
    /// error is the attempt's failure).
    fn session(
        &self,
        request: &SessionRequest<'_>,
        sink: braid_core::EventSink,
    ) -> Result<AttemptSession, Box<dyn std::error::Error + Send + Sync>>;
}

/// What an attempt's session is for.
#[derive(Debug, Clone, Copy)]
pub struct SessionRequest<'a> {
    /// The attempt's worktree, where the session works and its commands are confined.
    pub workdir: &'a Path,
    /// Added to the environment of the session's commands (`BRAID_ATTEMPT`, `BRAID_PORT`...).
    pub env: &'a [(String, String)],
    /// Paths no tool and no command may change: the plan's `forbidden` globs, relative to `workdir`
    /// (empty without a plan).
    pub forbidden: &'a PathGlobs,
}

/// A session built for an attempt, and how checks run beside it.
pub struct AttemptSession {
    pub session: Session,
    /// Runs a plan's checks with the session's sandbox and environment policy.
    pub checks: CheckRunner,
}

/// What to run.
#[derive(Clone)]
pub struct RunSpec {
    /// The task, as the user wrote it; with a plan, extra instructions (may be empty).
    pub task: String,
    /// The plan to carry out, relative to the repository root.
    pub plan: Option<PathBuf>,
    /// The agent of each attempt, in order (its length is the number of attempts).
    pub agents: Vec<AgentSpec>,
    /// The approach each attempt is asked to take (empty, or one per attempt).
    pub approaches: Vec<Option<String>>,
    /// The commit every attempt starts from.
    pub base: String,
    /// The branch the base commit was taken from, when it was a branch (`braid pick --merge` merges into it).
    pub base_ref: Option<String>,
    /// How many attempts run at once.
    pub concurrency: usize,
    /// A shell script run in each fresh worktree before the agent (`[run] setup`).
    pub setup: Option<String>,
    /// How long the setup script may take.
    pub setup_timeout: std::time::Duration,
    /// Which build caches are seeded from the main checkout.
    pub warm: WarmOptions,
    /// Settings of the external agents.
    pub agent_settings: AgentSettings,
    /// The model external agents are asked to use; `None` leaves it to their own configuration.
    pub agent_model: Option<String>,
    /// How long an external agent may run.
    pub agent_timeout: std::time::Duration,
}

/// Everything an attempt needs, shared by the run's tasks.
pub(crate) struct Context {
    pub run: String,
    pub repo: Repo,
    pub store: Store,
    pub spec: RunSpec,
    pub sink: RunSink,
    pub factory: Option<Arc<dyn SessionFactory>>,
    /// `.braid/runs/<run>/`, where attempts' logs go.
    pub log_dir: PathBuf,
    pub cancel: CancellationToken,
}

/// Why a run could not start or go on. An attempt's own failure is not an error of the run: it is
/// recorded and reported, and the other attempts go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Git(#[from] braid_git::GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot create {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no run {0} in this repository; `braid runs` lists them")]
    UnknownRun(String),
    #[error("run {run} is still going (process {pid}); wait for it, or stop it first, before resuming it")]
    StillRunning { run: String, pid: u32 },
    #[error("run {run} has nothing left to do: every attempt is committed, failed or cancelled")]
    NothingToResume { run: String },
    #[error("braid's own agent was asked for, but no session factory was given")]
    NoSessionFactory,
    #[error("a run needs at least one attempt")]
    NoAttempts,
}

/// The outcome of a run: how many attempts ended in each way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub run: String,
    pub committed: u32,
    pub failed: u32,
    pub cancelled: u32,
}

/// Starts a new run of `spec` in `repo`, recorded in `store`, and runs it to the end. `factory` builds
/// braid's own agent (needed when an attempt uses it).
pub async fn run(
    repo: Repo,
    store: Store,
    spec: RunSpec,
    factory: Option<Arc<dyn SessionFactory>>,
    sink: RunSink,
    cancel: CancellationToken,
) -> Result<RunOutcome, RunError> {
    if spec.agents.is_empty() {
        return Err(RunError::NoAttempts);
    }
    if factory.is_none() && spec.agents.iter().any(|a| matches!(a, AgentSpec::Braid)) {
        return Err(RunError::NoSessionFactory);
    }
    let run = crate::store::new_run_id(chrono::Utc::now());
    store.create_run(&NewRun {
        id: run.clone(),
        created_at: chrono::Utc::now(),
        task: spec.task.clone(),
        plan_path: spec.plan.clone(),
        base_commit: spec.base.clone(),
        base_ref: spec.base_ref.clone(),
        agents: spec.agents.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
        attempts: spec.agents.len() as u32,
        concurrency: spec.concurrency as u32,
        owner: ProcessStamp::current(),
    })?;
    let mut attempts = Vec::new();
    for (index, agent) in spec.agents.iter().enumerate() {
        let n = index as u32 + 1;
        let approach = spec.approaches.get(index).cloned().flatten();
        store.add_attempt(
            &run,
            &NewAttempt {
                n,
                agent: agent.to_string(),
                approach: approach.clone(),
                branch: branch_name(&run, n),
                worktree: repo.worktree_path(&run, n),
                port: None,
            },
        )?;
        attempts.push(AttemptInfo { n, agent: agent.to_string(), approach, branch: branch_name(&run, n) });
    }
    let numbers: Vec<u32> = attempts.iter().map(|a| a.n).collect();
    sink(RunEvent::RunStarted { run: run.clone(), base: spec.base.clone(), attempts, resumed: false });
    let log_dir = repo.root().join(".braid/runs").join(&run);
    let context = Context { run, repo, store, spec, sink, factory, log_dir, cancel };
    drive(context, numbers).await
}

/// Finishes the unfinished attempts of `run` (a prefix of its id is enough): those a crash or a kill left
/// between states are set back to `pending` and redone, keeping their worktrees and any work in them.
pub async fn resume(
    repo: Repo,
    store: Store,
    run: &str,
    mut spec: RunSpec,
    factory: Option<Arc<dyn SessionFactory>>,
    sink: RunSink,
    cancel: CancellationToken,
) -> Result<RunOutcome, RunError> {
    let detail = store.run(run)?.ok_or_else(|| RunError::UnknownRun(run.to_string()))?;
    let run = detail.run.id.clone();
    if detail.run.state == RunState::Running {
        let pid = detail.run.owner.as_ref().map_or(0, |o| o.pid);
        return Err(RunError::StillRunning { run, pid });
    }
    let pending: Vec<_> = detail.attempts.iter().filter(|a| a.state.is_unfinished()).collect();
    if pending.is_empty() {
        return Err(RunError::NothingToResume { run });
    }
    // The attempts keep what they were started with; only how they run (settings, setup) is today's.
    spec.task = detail.run.task.clone();
    spec.plan = detail.run.plan_path.clone();
    spec.base = detail.run.base_commit.clone();
    spec.base_ref = detail.run.base_ref.clone();
    spec.agents = Vec::new();
    spec.approaches = Vec::new();
    for attempt in &detail.attempts {
        spec.agents.push(attempt.agent.parse().unwrap_or(AgentSpec::Braid));
        spec.approaches.push(attempt.approach.clone());
    }
    if factory.is_none() && pending.iter().any(|a| a.agent == AgentSpec::Braid.to_string()) {
        return Err(RunError::NoSessionFactory);
    }
    store.resume_run(&run, ProcessStamp::current().as_ref())?;
    let mut numbers = Vec::new();
    for attempt in &pending {
        if attempt.state != AttemptState::Pending {
            store.transition(&run, attempt.n, AttemptState::Pending, Some("interrupted; resumed"))?;
        }
        numbers.push(attempt.n);
    }
    let attempts = detail
        .attempts
        .iter()
        .map(|a| AttemptInfo { n: a.n, agent: a.agent.clone(), approach: a.approach.clone(), branch: a.branch.clone() })
        .collect();
    sink(RunEvent::RunStarted { run: run.clone(), base: spec.base.clone(), attempts, resumed: true });
    let log_dir = repo.root().join(".braid/runs").join(&run);
    let context = Context { run, repo, store, spec, sink, factory, log_dir, cancel };
    drive(context, numbers).await
}

/// Runs the attempts numbered `numbers`, at most `concurrency` at a time, then records the run's end.
async fn drive(context: Context, numbers: Vec<u32>) -> Result<RunOutcome, RunError> {
    std::fs::create_dir_all(&context.log_dir)
        .map_err(|source| RunError::Io { path: context.log_dir.clone(), source })?;
    let context = Arc::new(context);
    let ports = ports::distinct_free_ports(numbers.len());
    let limit = Arc::new(tokio::sync::Semaphore::new(context.spec.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, n) in numbers.into_iter().enumerate() {
        let context = Arc::clone(&context);
        let limit = Arc::clone(&limit);
        let port = ports.get(index).copied().unwrap_or(0);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were; run unbounded then.
            let _permit = limit.acquire_owned().await.ok();
            attempt::run(&context, n, port).await
        });
    }
    while tasks.join_next().await.is_some() {}

    // The store, not the tasks' return values, is the truth: it also holds attempts finished earlier.
    let detail = context.store.run(&context.run)?.ok_or_else(|| RunError::UnknownRun(context.run.clone()))?;
    let mut outcome = RunOutcome { run: context.run.clone(), ..RunOutcome::default() };
    for attempt in &detail.attempts {
        match attempt.state {
            AttemptState::Committed => outcome.committed += 1,
            AttemptState::Cancelled => outcome.cancelled += 1,
            _ => outcome.failed += 1,
        }
    }
    let state = if context.cancel.is_cancelled() { RunState::Cancelled } else { RunState::Finished };
    context.store.finish_run(&context.run, state, None)?;
    (context.sink)(RunEvent::RunFinished {
        run: outcome.run.clone(),
        committed: outcome.committed,
        failed: outcome.failed,
        cancelled: outcome.cancelled,
    });
    Ok(outcome)
}
