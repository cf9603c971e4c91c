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
use crate::report::{Summary, cell, ratio};
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
    let workspace = work.join(format!("{label}-ws"));
    let home = work.join(format!("{label}-home"));
    for dir in [&workspace, &home] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(&workspace).with_context(|| format!("cannot create {}", workspace.display()))?;
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

/// Everything measured for one harness over all rounds.
#[derive(Debug, Default)]
struct Tally {
    runs: Vec<SessionRun>,
    failure: Option<String>,
}

impl Tally {
    fn summary(&self, f: impl Fn(&SessionRun) -> f64) -> Option<Summary> {
        Summary::of(&self.runs.iter().map(f).collect::<Vec<_>>())
    }
}

/// Runs the benchmark: `rounds` rounds, each running every agent once in order, so a drift in the
/// machine's load affects all harnesses alike. Returns the Markdown table, the peer's failure (if any)
/// included below it.
pub fn run(agents: &[Agent], requests: usize, rounds: usize, work: &Path) -> anyhow::Result<String> {
    let steps = Arc::new(session::steps(requests));
    let mut tallies: Vec<Tally> = agents.iter().map(|_| Tally::default()).collect();
    for round in 0..rounds {
        for (agent, tally) in agents.iter().zip(&mut tallies) {
            if tally.failure.is_some() {
                continue;
            }
            let label = format!("{}-{round}", agent.label().replace([' ', '(', ')'], ""));
            match run_session(agent, &steps, work, &label, Duration::from_secs(900)) {
                Ok(run) => {
                    eprintln!(
                        "round {round} {:<22} wall {:>6.2}s cpu {:>6.2}s rss {:>6.1} MiB, {} requests",
                        agent.label(),
                        run.measured.wall.as_secs_f64(),
                        run.measured.cpu.as_secs_f64(),
                        mib(run.measured.max_rss_kib),
                        run.body_bytes.len()
                    );
                    tally.runs.push(run);
                }
                Err(err) if agent.is_braid() => return Err(err),
                Err(err) => {
                    eprintln!("round {round} {}: {err:#}", agent.label());
                    tally.failure = Some(format!("{err:#}"));
                }
            }
        }
    }
    Ok(table(agents, &tallies, requests))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn mean_bytes(run: &SessionRun) -> f64 {
    run.body_bytes.iter().sum::<usize>() as f64 / run.body_bytes.len().max(1) as f64
}

/// The Markdown table: one row per harness, then a ratio row for braid against each peer.
fn table(agents: &[Agent], tallies: &[Tally], requests: usize) -> String {
    type Column = (&'static str, fn(&SessionRun) -> f64, usize);
    let columns: [Column; 6] = [
        ("wall s", |r| r.measured.wall.as_secs_f64(), 2),
        ("CPU s", |r| r.measured.cpu.as_secs_f64(), 2),
        ("peak RSS MiB", |r| mib(r.measured.max_rss_kib), 1),
        ("KiB sent per request (mean)", |r| mean_bytes(r) / 1024.0, 1),
        ("KiB in first request", |r| r.body_bytes.first().copied().unwrap_or(0) as f64 / 1024.0, 1),
        ("KiB in last request", |r| r.body_bytes.last().copied().unwrap_or(0) as f64 / 1024.0, 1),
    ];
    let mut out = String::new();
    out.push_str(&format!("| harness ({requests} requests, median [min–max]) | runs |"));
    for (name, _, _) in &columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for (agent, tally) in agents.iter().zip(tallies) {
        out.push_str(&format!("| {} | {} |", agent.label(), tally.runs.len()));
        for (_, f, decimals) in &columns {
            out.push_str(&format!(" {} |", cell(tally.summary(*f), *decimals)));
        }
        out.push('\n');
    }
    let braid = agents.iter().position(|a| a.is_braid());
    for (agent, tally) in agents.iter().zip(tallies) {
        let Some(braid) = braid else { break };
        if agent.is_braid() {
            continue;
        }
        out.push_str(&format!("| **ratio {} / {}** | |", agents[braid].label(), agent.label()));
        for (_, f, _) in &columns {
            out.push_str(&format!(" {} |", ratio(tallies[braid].summary(*f), tally.summary(*f))));
        }
        out.push('\n');
    }
    for (agent, tally) in agents.iter().zip(tallies) {
        if let Some(failure) = &tally.failure {
            out.push_str(&format!("\n{} could not be measured: {}\n", agent.label(), one_line(failure)));
        }
    }
    out
}

/// `text` on one line, shortened, for a table's footnote.
pub fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 400 { format!("{}…", flat.chars().take(400).collect::<String>()) } else { flat }
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
