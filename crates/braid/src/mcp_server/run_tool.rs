//! `braid_run`: a best-of-N run set up like `braid run` (one attempt per agent of the mix, each in its own
//! worktree and branch), reported per attempt: its state, branch, change and final message.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use braid_core::session::CancellationToken;
use braid_git::Repo;
use braid_orchestra::agents::{AgentSpec, expand_mix};
use braid_orchestra::run::RunSink;
use braid_protocol::{AgentEvent, RunEvent};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::exec::{braid_home, load_config, working_dir};
use crate::run_cmd::{factory, open_store, run_spec};

/// Receives one line per attempt state change, for progress notifications.
pub(super) type OnProgress = Arc<dyn Fn(String) + Send + Sync>;

/// What a `braid_run` call did.
#[derive(Debug, Default, Serialize)]
pub(super) struct RunReport {
    pub run: String,
    /// The commit the attempts started from.
    pub base: String,
    pub attempts: Vec<AttemptReport>,
    pub committed: u32,
    pub failed: u32,
    pub cancelled: u32,
}

/// One attempt of the run.
#[derive(Debug, Default, Serialize)]
pub(super) struct AttemptReport {
    pub n: u32,
    pub agent: String,
    pub branch: String,
    /// The attempt's last state: `committed`, `failed`, `cancelled` (or where it stopped).
    pub state: String,
    /// The commit holding its work; `None` when it changed nothing.
    pub commit: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
    /// The agent's last message, when braid's own agent made the attempt.
    pub final_message: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl RunReport {
    /// The report for people: the run, then one block per attempt.
    pub fn text(&self) -> String {
        let mut out = format!(
            "Run {}: {} committed, {} failed, {} cancelled.\n",
            self.run, self.committed, self.failed, self.cancelled
        );
        for attempt in &self.attempts {
            out.push_str(&format!(
                "\n#{} {} on {}: {}, {} file(s) +{} -{}\n",
                attempt.n,
                attempt.agent,
                attempt.branch,
                attempt.state,
                attempt.files_changed,
                attempt.insertions,
                attempt.deletions
            ));
            if let Some(error) = &attempt.error {
                out.push_str(&format!("  error: {error}\n"));
            }
            if let Some(message) = &attempt.final_message {
                for line in message.trim_end().lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        out.push_str(&format!(
            "\n`braid compare {}` ranks the attempts; `braid pick {}/<n> --merge` takes one.\n",
            self.run, self.run
        ));
        out
    }

    /// Follows one event of the run.
    fn on(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted { run, base, attempts, .. } => {
                self.run = run.clone();
                self.base = base.clone();
                self.attempts = attempts
                    .iter()
                    .map(|a| AttemptReport {
                        n: a.n,
                        agent: a.agent.clone(),
                        branch: a.branch.clone(),
                        state: "pending".to_string(),
                        ..AttemptReport::default()
                    })
                    .collect();
            }
            RunEvent::AttemptState { n, state, .. } => {
                if let Some(attempt) = self.attempt(*n) {
                    attempt.state = state.clone();
                }
            }
            RunEvent::Agent { n, event: AgentEvent::AgentMessage { text } } => {
                if let Some(attempt) = self.attempt(*n) {
                    attempt.final_message = Some(text.clone());
                }
            }
            RunEvent::AttemptFinished { n, summary } => {
                if let Some(attempt) = self.attempt(*n) {
                    attempt.state = summary.state.clone();
                    attempt.commit = summary.commit.clone();
                    attempt.files_changed = summary.files_changed;
                    attempt.insertions = summary.insertions;
                    attempt.deletions = summary.deletions;
                    attempt.error = summary.error.clone();
                }
            }
            RunEvent::RunFinished { committed, failed, cancelled, .. } => {
                self.committed = *committed;
                self.failed = *failed;
                self.cancelled = *cancelled;
            }
            RunEvent::Agent { .. } | RunEvent::Progress { .. } => {}
        }
    }

    fn attempt(&mut self, n: u32) -> Option<&mut AttemptReport> {
        self.attempts.iter_mut().find(|a| a.n == n)
    }
}

/// Runs `task` `n` times with the agents of `agent` (a mix, as `--agent` takes) in the repository holding
/// `global.cd`, from its HEAD. `progress` hears of every attempt state change. Fails when the directory
/// is not in a git repository (or HEAD has no commit), the mix does not parse, the model cannot be set
/// up or the run cannot start.
pub(super) async fn run(
    global: &GlobalArgs,
    task: &str,
    n: u32,
    agent: &str,
    progress: Option<OnProgress>,
    cancel: &CancellationToken,
) -> anyhow::Result<RunReport> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let repo = Repo::discover(&cwd)?;
    let store = open_store(&repo)?;
    let mut spec = run_spec(&config, global.model.clone(), None)?;
    spec.task = task.to_string();
    spec.agents = expand_mix(agent, n)?;
    spec.approaches = vec![None; n as usize];
    spec.base =
        repo.resolve_commit("HEAD").with_context(|| format!("{} has no commit to start from", cwd.display()))?;
    spec.base_ref = repo.branch_name(None)?;
    let braid_attempts = spec.agents.iter().filter(|a| matches!(a, AgentSpec::Braid)).count();
    let factory = factory(&config, &home, braid_attempts.min(spec.concurrency) as u32)?;

    let report = Arc::new(Mutex::new(RunReport::default()));
    let seen = Arc::clone(&report);
    let sink: RunSink = Arc::new(move |event: RunEvent| {
        if let (Some(progress), RunEvent::AttemptState { n, state, note }) = (&progress, &event) {
            let note = note.as_deref().map(|note| format!(": {note}")).unwrap_or_default();
            progress(format!("attempt {n}: {state}{note}"));
        }
        if let Ok(mut report) = seen.lock() {
            report.on(&event);
        }
    });
    let outcome = braid_orchestra::run::run(repo, store, spec, factory, sink, cancel.clone()).await?;
    let mut report = report.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
    report.run = outcome.run;
    report.committed = outcome.committed;
    report.failed = outcome.failed;
    report.cancelled = outcome.cancelled;
    Ok(report)
}
