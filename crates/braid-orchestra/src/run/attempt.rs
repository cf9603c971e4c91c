//! One attempt of a run, from its worktree to its commit, with each state recorded before the side
//! effect it stands for.

use std::path::Path;
use std::time::{Duration, Instant};

use braid_protocol::{AgentEvent, AttemptSummary, RunEvent, Usage};
use braid_sandbox::exec::{ExecRequest, run as exec_run};
use braid_sandbox::globs::PathGlobs;

use super::{AttemptSession, Context, SessionRequest};
use crate::agents::{AgentOutcome, AgentSpec, AgentTask, ExternalAgent};
use crate::execute::{CheckRunner, DEFAULT_FIX_ROUNDS, PlanEvent, PlanExecution, PlanSink};
use crate::store::{AttemptState, AttemptUpdate};

/// How much of the setup script's output is kept for the failure message.
const SETUP_OUTPUT_BYTES: usize = 16 * 1024;

/// Runs attempt `n` to a final state. Failures are recorded and reported, never returned: one attempt's
/// trouble must not stop the others.
pub(super) async fn run(context: &Context, n: u32, port: u16) {
    let started = Instant::now();
    let result = stages(context, n, port, started).await;
    let (state, error) = match result {
        Ok(state) => (state, None),
        Err(message) if context.cancel.is_cancelled() => (AttemptState::Cancelled, Some(message)),
        Err(message) => (AttemptState::Failed, Some(message)),
    };
    if state != AttemptState::Committed {
        let _ = context.store.update_attempt(
            &context.run,
            n,
            &AttemptUpdate { error: error.clone(), ..Default::default() },
        );
        let _ = context.store.transition(&context.run, n, state, error.as_deref());
        emit_state(context, n, state, error.as_deref());
    }
    let summary = summary(context, n, state, error, started.elapsed());
    (context.sink)(RunEvent::AttemptFinished { n, summary });
}

/// The attempt's stages; returns the final state reached, or why it stopped.
async fn stages(context: &Context, n: u32, port: u16, started: Instant) -> Result<AttemptState, String> {
    let (worktree, fresh) = worktree(context, n).await?;
    let workdir = worktree.path.clone();
    if fresh {
        bring_plan(context, &workdir)?;
    }

    let main_root = context.repo.root().to_path_buf();
    let warm = context.spec.warm.clone();
    let seed_dir = workdir.clone();
    // After seeding, the worktree's sources get the main checkout's times where their bytes are the same:
    // `git worktree add` writes them fresh, which would make a build tool rebuild what the seeded cache
    // already holds (see `warm::align_source_times`).
    let warm_up = move || {
        let report = crate::warm::seed(&main_root, &seed_dir, &warm)?;
        if !report.entries.is_empty() {
            let seeded: Vec<String> = report.entries.iter().map(|e| e.path.clone()).collect();
            crate::warm::align_source_times(&main_root, &seed_dir, &seeded)?;
        }
        Ok::<_, crate::warm::WarmError>(report)
    };
    match tokio::task::spawn_blocking(warm_up).await {
        Ok(Ok(report)) if !report.entries.is_empty() => {
            let seeded: Vec<String> = report.entries.iter().map(|e| e.path.clone()).collect();
            emit(context, n, AgentEvent::Warning { message: format!("seeded build caches: {}", seeded.join(", ")) });
        }
        Ok(Ok(_)) => {}
        // A cache that could not be seeded only costs time; the attempt goes on cold.
        Ok(Err(err)) => emit(context, n, AgentEvent::Warning { message: format!("build caches not seeded: {err}") }),
        Err(err) => emit(context, n, AgentEvent::Warning { message: format!("build caches not seeded: {err}") }),
    }

    let env = attempt_env(n, port, &workdir);
    if let Some(script) = &context.spec.setup {
        transition(context, n, AttemptState::SettingUp, None)?;
        setup(script, &workdir, &env, context.spec.setup_timeout).await?;
    }
    let _ = context.store.update_attempt(&context.run, n, &AttemptUpdate { port: Some(port), ..Default::default() });

    transition(context, n, AttemptState::Running, None)?;
    let agent = context.spec.agents.get(n as usize - 1).cloned().unwrap_or(AgentSpec::Braid);
    let approach = context.spec.approaches.get(n as usize - 1).cloned().flatten();
    let log_path = context.log_dir.join(format!("{n}.jsonl"));
    let outcome = match agent {
        AgentSpec::Braid => braid_agent(context, n, approach.as_deref(), &workdir, &env, &log_path).await,
        external => {
            let task = AgentTask {
                prompt: prompt(context, approach.as_deref()),
                workdir: workdir.clone(),
                env: env.clone(),
                model: context.spec.agent_model.clone(),
                timeout: context.spec.agent_timeout,
                log_path: log_path.clone(),
                attempt: n,
                port: Some(port).filter(|p| *p != 0),
            };
            let agent = ExternalAgent::new(external, context.spec.agent_settings.clone());
            let mut forward = |event: AgentEvent| forward(context, n, event);
            agent.run(&task, &mut forward, &context.cancel).await.map_err(|err| err.to_string())
        }
    };
    // Whatever the agent left is committed, even when it failed: nothing it wrote may be lost.
    transition(context, n, AttemptState::Committing, None)?;
    let message = commit_message(context, n, &agent_name(context, n), approach.as_deref());
    let repo = context.repo.clone();
    let tree = worktree.clone();
    let commit = tokio::task::spawn_blocking(move || repo.commit_all(&tree, &message))
        .await
        .map_err(|err| format!("committing the attempt's work: {err}"))?
        .map_err(|err| err.to_string())?;
    let mut update = AttemptUpdate { commit: commit.clone(), ..Default::default() };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            update.claimed_success = Some(false);
            context.store.update_attempt(&context.run, n, &update).map_err(|e| e.to_string())?;
            return Err(err);
        }
    };
    update.claimed_success = Some(outcome.success);
    update.final_message = outcome.last_message.clone();
    update.turns = Some(outcome.turns);
    update.tokens = Some((&outcome.usage).into());
    update.cost_usd = outcome.cost_usd;
    update.last_action = outcome.last_message.as_deref().map(crate::author::one_line);
    context.store.update_attempt(&context.run, n, &update).map_err(|e| e.to_string())?;
    if !outcome.success {
        let why = outcome.failure.unwrap_or_else(|| "the agent reported a failure".to_string());
        return Err(format!("{why} (after {:.0?})", started.elapsed()));
    }
    transition(context, n, AttemptState::Committed, commit.as_deref().map(|c| format!("commit {c}")).as_deref())?;
    Ok(AttemptState::Committed)
}

/// Copies the run's plan from the user's checkout into a fresh worktree when the base commit does not
/// hold it as it is now: a plan is usually written and run before it is committed, and the agent reads
/// and updates it in the worktree. An attempt that already has work (a resumed one) keeps its own copy,
/// with the progress it recorded.
fn bring_plan(context: &Context, workdir: &Path) -> Result<(), String> {
    let Some(plan) = &context.spec.plan else { return Ok(()) };
    let source = context.repo.root().join(plan);
    let text = std::fs::read(&source).map_err(|err| format!("cannot read the plan {}: {err}", source.display()))?;
    let target = workdir.join(plan);
    if std::fs::read(&target).is_ok_and(|existing| existing == text) {
        return Ok(());
    }
    crate::fsutil::write_atomic(&target, &text).map_err(|err| err.to_string())
}

/// The attempt's worktree, and whether it is fresh: created now, or (not fresh) the one an interrupted
/// earlier try left, reused with the work in it, or restored from the archive.
async fn worktree(context: &Context, n: u32) -> Result<(braid_git::Worktree, bool), String> {
    let repo = context.repo.clone();
    let (run, base) = (context.run.clone(), context.spec.base.clone());
    transition(context, n, AttemptState::Creating, None)?;
    if let Ok(existing) = repo.worktree(&run, n) {
        transition(context, n, AttemptState::Created, Some("reusing the worktree of the interrupted attempt"))?;
        return Ok((existing, false));
    }
    // An interrupted attempt that `braid gc` collected continues from its archived work.
    let archived = repo.archived().map_err(|err| err.to_string())?.iter().any(|a| a.run == run && a.n == n);
    if archived {
        let restored = tokio::task::spawn_blocking(move || repo.restore_worktree(&run, n, &base))
            .await
            .map_err(|err| format!("restoring the worktree: {err}"))?
            .map_err(|err| err.to_string())?;
        transition(context, n, AttemptState::Created, Some("restored from the archive braid gc made"))?;
        return Ok((restored, false));
    }
    let created = tokio::task::spawn_blocking(move || repo.create_worktree(&run, n, &base))
        .await
        .map_err(|err| format!("creating the worktree: {err}"))?
        .map_err(|err| err.to_string())?;
    transition(context, n, AttemptState::Created, None)?;
    Ok((created, true))
}

/// Runs the setup script in the worktree; fails with the script's output when it does.
async fn setup(script: &str, workdir: &Path, env: &[(String, String)], timeout: Duration) -> Result<(), String> {
    let request = ExecRequest {
        argv: vec!["sh".into(), "-c".into(), script.to_string()],
        cwd: workdir.to_path_buf(),
        env: env.to_vec(),
        env_policy: braid_sandbox::EnvPolicy::default(),
        confinement: None,
        timeout,
        max_output_bytes: SETUP_OUTPUT_BYTES,
    };
    let output = exec_run(request).await.map_err(|err| format!("the setup script could not run: {err}"))?;
    if output.timed_out {
        return Err(format!("the setup script ran past {timeout:?} and was stopped:\n{}", output.output.trim_end()));
    }
    if output.exit_code != Some(0) {
        let code = output.exit_code.map_or_else(|| "a signal".to_string(), |c| format!("code {c}"));
        return Err(format!("the setup script exited with {code}:\n{}", output.output.trim_end()));
    }
    Ok(())
}

/// What braid's own agent leaves in an attempt's log: its events, and with a plan the gate's.
enum Logged {
    Agent(AgentEvent),
    Plan(PlanEvent),
}

/// Runs braid's own agent in the worktree: one turn for a task, or with a plan the milestone-gated
/// execution `braid exec --plan` does, so every attempt's milestones pass the plan's checks before the
/// next begins.
async fn braid_agent(
    context: &Context,
    n: u32,
    approach: Option<&str>,
    workdir: &Path,
    env: &[(String, String)],
    log_path: &Path,
) -> Result<AgentOutcome, String> {
    let Some(factory) = &context.factory else {
        return Err("braid's own agent is not available in this run".to_string());
    };
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Logged>();
    let agent_sender = sender.clone();
    let sink: braid_core::EventSink = Box::new(move |event| {
        // A command's live output would bloat the attempt's log and nothing in a run shows it: the
        // call's end carries the output.
        if matches!(event, AgentEvent::ToolOutputDelta { .. }) {
            return;
        }
        let _ = agent_sender.send(Logged::Agent(event.clone()));
    });
    let mut log = EventLog::create(log_path)?;
    let mut turns = 0u32;
    let mut on_event = |logged: Logged| match logged {
        Logged::Agent(event) => {
            turns += u32::from(matches!(event, AgentEvent::ToolCallBegin { .. }));
            log.write(&event);
            forward(context, n, event);
        }
        Logged::Plan(event) => {
            log.write(&event);
            let text = crate::execute::progress_line(&event).trim().to_string();
            (context.sink)(RunEvent::Progress { n, text });
        }
    };

    let execution = context.spec.plan.as_ref().map(|plan| PlanExecution {
        plan_path: workdir.join(plan),
        root: workdir.to_path_buf(),
        path_var: std::env::var_os("PATH"),
        checks: CheckRunner::default(),
        fix_rounds: DEFAULT_FIX_ROUNDS,
        instructions: instructions(context, approach),
    });
    let forbidden = match &execution {
        Some(execution) => execution.forbidden().map_err(|err| err.to_string())?,
        None => PathGlobs::empty(),
    };
    let request = SessionRequest { workdir, env, forbidden: &forbidden };
    let AttemptSession { mut session, checks } = factory.session(&request, sink).map_err(|err| err.to_string())?;
    let session_id = session.id().to_string();

    // A session that fails part-way (a turn limit, a provider error, an interrupt) is still reported as an
    // outcome, so the tokens it spent and its events are recorded with the attempt's failure.
    let (success, failure, last_message) = match execution {
        None => {
            let prompt = prompt(context, approach);
            let turn = session.run_turn(&prompt, &context.cancel);
            match pump(turn, &mut receiver, &mut on_event).await {
                Ok(outcome) => (true, None, outcome.last_message),
                Err(err) => (false, Some(err.to_string()), None),
            }
        }
        Some(mut execution) => {
            execution.checks = checks;
            let plan_sender = sender.clone();
            let mut plan_sink: PlanSink = Box::new(move |event: &PlanEvent| {
                let _ = plan_sender.send(Logged::Plan(event.clone()));
            });
            let run = execution.run(&mut session, &mut plan_sink, &context.cancel);
            match pump(run, &mut receiver, &mut on_event).await {
                Ok(outcome) => {
                    let refused = outcome.milestones.iter().find(|m| !m.accepted);
                    let failure = refused.map(|m| {
                        let problems = m.problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                        format!("the plan's gate refused milestone {} ({}): {problems}", m.number, m.title)
                    });
                    (outcome.completed, failure, outcome.last_message)
                }
                Err(err) => (false, Some(err.to_string()), None),
            }
        }
    };
    drop(sender);
    while let Ok(logged) = receiver.try_recv() {
        on_event(logged);
    }
    Ok(AgentOutcome {
        success,
        exit_code: None,
        turns: turns.max(1),
        usage: session.total_usage(),
        cost_usd: None,
        last_message,
        session_id: Some(session_id),
        failure,
        malformed_lines: 0,
        unknown_lines: 0,
    })
}

/// Drives `work` to its end while handing every event that arrives meanwhile to `on_event`, so progress
/// is live; events still queued when it ends are left for the caller to drain.
async fn pump<T>(
    work: impl std::future::Future<Output = T>,
    receiver: &mut tokio::sync::mpsc::UnboundedReceiver<Logged>,
    on_event: &mut impl FnMut(Logged),
) -> T {
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            Some(logged) = receiver.recv() => on_event(logged),
        }
    }
}

/// The prompt of an attempt: the task, or the plan to carry out, and the approach it is to take.
/// External agents get the plan's text here; braid's own agent runs the plan milestone by milestone
/// instead (see `braid_agent`).
fn prompt(context: &Context, approach: Option<&str>) -> String {
    let mut prompt = match &context.spec.plan {
        Some(plan) => {
            let mut prompt = format!(
                "Carry out the execution plan in {}, milestone by milestone. Read it first. Keep its Progress \
                 section up to date in the file as you go, record any change of course in its Decision Log, and \
                 run its checks before you finish.",
                plan.display()
            );
            if !context.spec.task.trim().is_empty() {
                prompt.push_str(&format!("\n\nAlso: {}", context.spec.task.trim()));
            }
            prompt
        }
        None => context.spec.task.trim().to_string(),
    };
    if let Some(approach) = approach {
        prompt.push_str(&format!("\n\nTake this approach (other attempts try others): {approach}"));
    }
    prompt
}

/// The extra instructions a plan's milestones get: the user's task text and the attempt's approach.
fn instructions(context: &Context, approach: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if !context.spec.task.trim().is_empty() {
        parts.push(context.spec.task.trim().to_string());
    }
    if let Some(approach) = approach {
        parts.push(format!("Take this approach (other attempts try others): {approach}"));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// What every process of the attempt gets in its environment.
fn attempt_env(n: u32, port: u16, workdir: &Path) -> Vec<(String, String)> {
    vec![
        ("BRAID_ATTEMPT".to_string(), n.to_string()),
        ("BRAID_PORT".to_string(), port.to_string()),
        ("BRAID_WORKTREE".to_string(), workdir.display().to_string()),
    ]
}

fn commit_message(context: &Context, n: u32, agent: &str, approach: Option<&str>) -> String {
    let task = if context.spec.task.trim().is_empty() {
        context.spec.plan.as_ref().map(|p| format!("carry out {}", p.display())).unwrap_or_default()
    } else {
        crate::author::one_line(&context.spec.task)
    };
    let mut title: String = task.chars().take(60).collect();
    if title.len() < task.len() {
        title.push('…');
    }
    let mut message = format!("braid {} attempt {n}: {title}\n\nRun: {}\nAgent: {agent}\n", context.run, context.run);
    if let Some(approach) = approach {
        message.push_str(&format!("Approach: {}\n", crate::author::one_line(approach)));
    }
    message
}

fn agent_name(context: &Context, n: u32) -> String {
    context.spec.agents.get(n as usize - 1).map(ToString::to_string).unwrap_or_default()
}

fn transition(context: &Context, n: u32, state: AttemptState, note: Option<&str>) -> Result<(), String> {
    context.store.transition(&context.run, n, state, note).map_err(|err| err.to_string())?;
    emit_state(context, n, state, note);
    Ok(())
}

fn emit_state(context: &Context, n: u32, state: AttemptState, note: Option<&str>) {
    (context.sink)(RunEvent::AttemptState { n, state: state.as_str().to_string(), note: note.map(str::to_string) });
}

fn emit(context: &Context, n: u32, event: AgentEvent) {
    (context.sink)(RunEvent::Agent { n, event });
}

/// Counts the event in the store's summary and passes it on.
fn forward(context: &Context, n: u32, event: AgentEvent) {
    if let Some(kind) = event_kind(&event) {
        let _ = context.store.bump_event(&context.run, n, kind);
    }
    emit(context, n, event);
}

/// The kinds the store counts; deltas are left out, being many per message.
fn event_kind(event: &AgentEvent) -> Option<&'static str> {
    Some(match event {
        AgentEvent::ToolCallEnd { success: true, .. } => "tool_call",
        AgentEvent::ToolCallEnd { success: false, .. } => "tool_call_failed",
        AgentEvent::AgentMessage { .. } => "message",
        AgentEvent::TurnFailed { .. } => "turn_failed",
        AgentEvent::Warning { .. } => "warning",
        AgentEvent::ContextCompacted { .. } => "compaction",
        AgentEvent::StreamRetry { .. } => "retry",
        _ => return None,
    })
}

/// The attempt's summary from the store (the truth) and the diff of its branch.
fn summary(context: &Context, n: u32, state: AttemptState, error: Option<String>, elapsed: Duration) -> AttemptSummary {
    let row = context.store.run(&context.run).ok().flatten().and_then(|d| d.attempts.into_iter().find(|a| a.n == n));
    let diff = context.repo.worktree(&context.run, n).ok().and_then(|wt| context.repo.diff(&wt).ok());
    let usage = row.as_ref().map_or(Usage::default(), |r| Usage {
        input_tokens: r.tokens.input,
        cached_input_tokens: r.tokens.cached,
        output_tokens: r.tokens.output,
        reasoning_output_tokens: 0,
    });
    AttemptSummary {
        state: state.as_str().to_string(),
        commit: row.as_ref().and_then(|r| r.commit.clone()),
        files_changed: diff.as_ref().map_or(0, |d| d.files.len() as u32),
        insertions: diff.as_ref().map_or(0, |d| d.insertions as u32),
        deletions: diff.as_ref().map_or(0, |d| d.deletions as u32),
        turns: row.as_ref().map_or(0, |r| r.turns),
        usage,
        cost_usd: row.as_ref().and_then(|r| r.cost_usd),
        elapsed_ms: elapsed.as_millis() as u64,
        error,
    }
}

/// The log of braid's own agent in an attempt: its events as JSON Lines, like the transcripts external
/// agents leave. A write that fails is dropped: the log is evidence, not something to stop the agent for.
struct EventLog {
    file: std::io::BufWriter<std::fs::File>,
}

impl EventLog {
    fn create(path: &Path) -> Result<EventLog, String> {
        let file =
            std::fs::File::create(path).map_err(|err| format!("cannot create the log {}: {err}", path.display()))?;
        Ok(EventLog { file: std::io::BufWriter::new(file) })
    }

    fn write(&mut self, event: &impl LogLine) {
        use std::io::Write as _;
        if !event.worth_logging() {
            return;
        }
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(self.file, "{line}");
        }
    }
}

/// An event the log can hold.
trait LogLine: serde::Serialize {
    /// Whether the event belongs in the log.
    fn worth_logging(&self) -> bool {
        true
    }
}

impl LogLine for AgentEvent {
    // Deltas repeat what the complete message holds; the log keeps the complete one.
    fn worth_logging(&self) -> bool {
        !matches!(self, AgentEvent::AgentMessageDelta { .. } | AgentEvent::ReasoningDelta { .. })
    }
}

impl LogLine for PlanEvent {}

impl Drop for EventLog {
    fn drop(&mut self) {
        use std::io::Write as _;
        let _ = self.file.flush();
    }
}
