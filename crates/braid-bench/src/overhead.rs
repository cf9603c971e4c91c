//! The harness-overhead benchmark: braid and Codex CLI play the same long scripted session against one
//! scripted Responses-API server, alternately, several times; wall time, CPU time, peak memory and the
//! bytes each sends to the model per request are compared. The model costs nothing here, so what is
//! measured is the harness itself.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use braid_test_support::ScriptedServer;

use crate::agents::{Agent, Endpoint};
use crate::measure::{self, Measured};
use crate::rounds::{self, Column};
use crate::session::{self, Seen, Step};

/// The model name the scripted server is asked for; neither harness knows it, so neither applies
/// model-specific behaviour.
pub const MODEL: &str = "bench-model";

/// One harness's run of one scripted session.
#[derive(Debug, Clone)]
pub struct SessionRun {
    pub measured: Measured,
    /// When the first model request arrived, after the process started.
    pub first_request: Option<Duration>,
    pub body_bytes: Vec<usize>,
}

/// Runs `agent` once through a session of `steps` in a fresh workspace under `work`, and checks that
/// it did every edit. `label` names the run's logs and home.
///
/// Fails when the harness exits unsuccessfully, leaves edits undone, or meets a step its tools cannot
/// do; the error names the log files to read.
pub fn run_session(
    agent: &Agent,
    steps: &Arc<Vec<Step>>,
    work: &Path,
    label: &str,
    limit: Duration,
) -> anyhow::Result<SessionRun> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = ScriptedServer::start_responder(session::responder(steps.clone(), seen.clone()), false);
    let endpoint = Endpoint::Http { base_url: server.base_url(), model: MODEL.to_owned() };
    let workspace = fresh_dir(work, &format!("{label}-ws"))?;
    let home = fresh_dir(work, &format!("{label}-home"))?;
    session::seed_workspace(&workspace)?;
    let logs = (work.join(format!("{label}.out")), work.join(format!("{label}.err")));
    let stdout = std::fs::File::create(&logs.0).with_context(|| format!("cannot create {}", logs.0.display()))?;
    let stderr = std::fs::File::create(&logs.1).with_context(|| format!("cannot create {}", logs.1.display()))?;
    let mut command = agent.task_command(
        &endpoint,
        &home,
        &workspace,
        "Run the benchmark session: make each tool call you are given.",
    )?;
    command.stdout(Stdio::from(stdout)).stderr(Stdio::from(stderr));
    let started = Instant::now();
    let measured = measure::run(&mut command, limit)?;
    drop(server);
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    let see_logs = format!("see {} and {}", logs.0.display(), logs.1.display());
    if !measured.success() {
        bail!("{} {label} failed ({measured:?}); {see_logs}", agent.label());
    }
    if let Some(problem) = seen.problems.first() {
        bail!("{} {label}: {problem}; {see_logs}", agent.label());
    }
    if seen.body_bytes.len() < steps.len() + 1 {
        bail!(
            "{} {label} made {} model requests, fewer than the session's {}; {see_logs}",
            agent.label(),
            seen.body_bytes.len(),
            steps.len() + 1
        );
    }
    session::verify(&workspace, steps).with_context(|| format!("{} {label}; {see_logs}", agent.label()))?;
    let _ = std::fs::remove_dir_all(&workspace);
    Ok(SessionRun {
        measured,
        first_request: seen.first_request.map(|at| at.saturating_duration_since(started)),
        body_bytes: seen.body_bytes,
    })
}

/// Runs the benchmark: `rounds` rounds of a session of `requests` requests for every agent. Returns
/// the Markdown table, with any peer's failure below it.
pub fn run(agents: &[Agent], requests: usize, rounds: usize, work: &Path) -> anyhow::Result<String> {
    let steps = Arc::new(session::steps(requests));
    let tallies = rounds::alternate(agents, rounds, |agent, round| {
        let label = format!("{}-{round}", agent.label().replace([' ', '(', ')'], ""));
        let run = run_session(agent, &steps, work, &label, Duration::from_secs(900))?;
        eprintln!(
            "round {round} {:<22} wall {:>6.2}s cpu {:>6.2}s rss {:>6.1} MiB, {} requests",
            agent.label(),
            run.measured.wall.as_secs_f64(),
            run.measured.cpu.as_secs_f64(),
            mib(run.measured.max_rss_kib),
            run.body_bytes.len()
        );
        Ok(run)
    })?;
    let columns: [Column<SessionRun>; 6] = [
        ("wall s", |r| r.measured.wall.as_secs_f64(), 2),
        ("CPU s", |r| r.measured.cpu.as_secs_f64(), 2),
        ("peak RSS MiB", |r| mib(r.measured.max_rss_kib), 1),
        ("KiB sent per request (mean)", |r| mean_bytes(r) / 1024.0, 1),
        ("KiB in first request", |r| r.body_bytes.first().copied().unwrap_or(0) as f64 / 1024.0, 1),
        ("KiB in last request", |r| r.body_bytes.last().copied().unwrap_or(0) as f64 / 1024.0, 1),
    ];
    Ok(rounds::table(agents, &tallies, &format!("{requests} requests"), &columns, true))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn mean_bytes(run: &SessionRun) -> f64 {
    run.body_bytes.iter().sum::<usize>() as f64 / run.body_bytes.len().max(1) as f64
}

/// The bench's scratch directory for `name`, emptied first.
pub fn fresh_dir(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = root.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
