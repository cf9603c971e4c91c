//! The task-success benchmark: braid, Codex CLI and aider on every task of the suite with the same
//! local model and the same time limit; solved counts, tokens and time per harness, and which task each
//! solved. braid runs the model in-process (its own way of using the embedded model); the peers reach
//! the same GGUF file through `braid model serve`, one fresh server per run so no run inherits another's
//! cache. With `--scripted`, a scripted server plays each task's reference solution instead of a model:
//! the smoke test that keeps this runner from rotting, cheap enough for CI.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use braid_test_support::ScriptedServer;
use clap::Args;
use serde_json::Value;

use crate::Common;
use crate::agents::{Agent, Endpoint, Kind};
use crate::measure;
use crate::report::one_line;
use crate::session::{self, Seen, Step};
use crate::suite::{self, Task};

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(flatten)]
    common: Common,
    /// The local model: a catalog name (pulled with `braid model pull` when missing) or a GGUF path.
    #[arg(long, default_value = "qwen-coder-0.5b")]
    model: String,
    /// The harnesses to run, comma-separated, from braid, codex, aider.
    #[arg(long, value_delimiter = ',', default_value = "braid,codex,aider")]
    agents: Vec<String>,
    /// Only these tasks (ids or id prefixes, comma-separated); all of them by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Seconds each harness gets per task.
    #[arg(long, default_value_t = 300)]
    limit: u64,
    /// Context window per request, in tokens, for every harness.
    #[arg(long, default_value_t = 16384)]
    context_tokens: u32,
    /// The suite's directory.
    #[arg(long, default_value = "bench/tasks")]
    suite: PathBuf,
    /// Play each task's reference solution from a scripted server instead of running a model.
    #[arg(long)]
    scripted: bool,
}

/// One harness on one task.
#[derive(Debug, Clone)]
struct Outcome {
    solved: bool,
    timed_out: bool,
    /// The harness's exit code (`None` when a signal or the time limit ended it).
    code: Option<i32>,
    wall: Duration,
    tokens_in: u64,
    tokens_out: u64,
    requests: u64,
    /// Why the run could not even start or be judged, if so.
    error: Option<String>,
}

/// Runs the benchmark and publishes its tables.
pub fn main(args: &TasksArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let mut tasks = suite::load(&args.suite)?;
    if !args.only.is_empty() {
        tasks.retain(|task| args.only.iter().any(|prefix| task.id.starts_with(prefix.as_str())));
        if tasks.is_empty() {
            bail!("no task id starts with any of: {}", args.only.join(", "));
        }
    }
    let mut braid_kinds = Vec::new();
    let mut peer_kinds = Vec::new();
    for name in &args.agents {
        match name.as_str() {
            "braid" => braid_kinds.push(Kind::Braid),
            "codex" => peer_kinds.push(Kind::Codex),
            "aider" => peer_kinds.push(Kind::Aider),
            other => bail!("unknown harness `{other}`; use braid, codex or aider"),
        }
    }
    let braid = common.braid()?;
    let (agents, mut notes) = common.agents(&braid_kinds, &peer_kinds)?;
    if agents.iter().any(|a| a.kind == Kind::Codex) {
        notes.push("Codex runs with its sandbox off (`--dangerously-bypass-approvals-and-sandbox`)".to_owned());
    }
    if args.scripted && agents.iter().any(|a| a.kind == Kind::Aider) {
        bail!(
            "--scripted plays tool calls, and aider takes its edits as text blocks instead; leave aider out of a scripted run (--agents braid,codex)"
        );
    }
    let gguf = if args.scripted { None } else { Some(model_path(&braid, &args.model)?) };
    match &gguf {
        Some(path) => notes.push(format!(
            "model: `{}`, {}-token context, one request at a time; {} s per task",
            path.display(),
            args.context_tokens,
            args.limit
        )),
        None => notes.push(
            "scripted: each task's reference solution played by a scripted server (a smoke test, not a measurement)"
                .to_owned(),
        ),
    }
    let work = common.work("tasks")?;
    let limit = Duration::from_secs(args.limit);
    let mut results: Vec<Vec<Outcome>> = Vec::new();
    for task in &tasks {
        let mut row = Vec::new();
        for agent in &agents {
            let dir = work.join(&task.id).join(agent.label().replace([' ', '(', ')'], ""));
            let outcome = match &gguf {
                Some(gguf) => run_model(agent, task, gguf, args, &dir, &braid, limit),
                None => run_scripted(agent, task, &dir, limit),
            }
            .unwrap_or_else(|err| Outcome {
                solved: false,
                timed_out: false,
                code: None,
                wall: Duration::ZERO,
                tokens_in: 0,
                tokens_out: 0,
                requests: 0,
                error: Some(format!("{err:#}")),
            });
            eprintln!(
                "{:<24} {:<8} {} (exit {:?}) in {:>6.1}s, {} requests, {} tokens in, {} out{}",
                task.id,
                agent.label(),
                if outcome.solved {
                    "solved"
                } else if outcome.timed_out {
                    "timeout"
                } else {
                    "failed"
                },
                outcome.code,
                outcome.wall.as_secs_f64(),
                outcome.requests,
                outcome.tokens_in,
                outcome.tokens_out,
                outcome.error.as_deref().map(|e| format!(" ({})", one_line(e))).unwrap_or_default()
            );
            row.push(outcome);
        }
        results.push(row);
    }
    let table = tables(&agents, &tasks, &results);
    if args.scripted {
        let unsolved: Vec<String> = tasks
            .iter()
            .zip(&results)
            .flat_map(|(task, row)| agents.iter().zip(row).filter(|(_, o)| !o.solved).map(move |(a, o)| (task, a, o)))
            .map(|(task, agent, outcome)| {
                format!("{} by {}: {}", task.id, agent.label(), outcome.error.as_deref().unwrap_or("check failed"))
            })
            .collect();
        println!("{table}");
        if !unsolved.is_empty() {
            bail!("the scripted smoke run left tasks unsolved: {}", unsolved.join("; "));
        }
        return Ok(());
    }
    common.publish("tasks", "Task success on the same local model", &table, &notes)
}

/// Finds the GGUF file of `model` (a path, or a catalog name in braid's store), pulling it with braid
/// when it is not installed.
pub fn model_path(braid: &Path, model: &str) -> anyhow::Result<PathBuf> {
    if model.ends_with(".gguf") {
        let path = PathBuf::from(model);
        anyhow::ensure!(path.is_file(), "no model file at {}", path.display());
        return Ok(path);
    }
    let home = std::env::var_os("BRAID_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".braid")));
    let home = home.context("neither BRAID_HOME nor HOME is set, so braid's model store cannot be found")?;
    let path = home.join("models").join(format!("{model}.gguf"));
    if !path.is_file() {
        eprintln!("pulling {model} with `braid model pull`");
        let status =
            Command::new(braid).args(["model", "pull", model]).status().context("cannot run braid model pull")?;
        anyhow::ensure!(status.success(), "`braid model pull {model}` failed ({status})");
    }
    Ok(path)
}

/// Runs `agent` on `task` with the real model and judges the result.
fn run_model(
    agent: &Agent,
    task: &Task,
    gguf: &Path,
    args: &TasksArgs,
    dir: &Path,
    braid: &Path,
    limit: Duration,
) -> anyhow::Result<Outcome> {
    let repo = dir.join("repo");
    task.prepare(&repo)?;
    let log = dir.join("requests.jsonl");
    let (endpoint, server) = if agent.is_braid() {
        (Endpoint::Embedded { gguf: gguf.to_path_buf(), context_tokens: args.context_tokens }, None)
    } else {
        let server = ModelServer::start(braid, gguf, args.context_tokens, &log, &dir.join("serve.log"))?;
        let model = gguf.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        (Endpoint::Http { base_url: server.base_url.clone(), model }, Some(server))
    };
    let mut outcome = run_agent(agent, task, &endpoint, dir, &repo, limit)?;
    drop(server);
    if !agent.is_braid() {
        let (tokens_in, tokens_out, requests) = served_usage(&log);
        (outcome.tokens_in, outcome.tokens_out, outcome.requests) = (tokens_in, tokens_out, requests);
    }
    Ok(outcome)
}

/// Runs `agent` on `task` against a scripted server that plays the reference solution: one shell call
/// applying `solution.patch`, then a closing message.
fn run_scripted(agent: &Agent, task: &Task, dir: &Path, limit: Duration) -> anyhow::Result<Outcome> {
    let repo = dir.join("repo");
    task.prepare(&repo)?;
    let patch = std::fs::canonicalize(task.dir.join("solution.patch")).context("cannot resolve solution.patch")?;
    // The overhead benchmark's responder plays the one step, adapted to the harness's declared tools.
    let steps = Arc::new(vec![Step::Shell(format!("git apply {}", patch.display()))]);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = ScriptedServer::start_responder(session::responder(steps, seen.clone()), false);
    let endpoint = Endpoint::Http { base_url: server.base_url(), model: crate::overhead::MODEL.to_owned() };
    let mut outcome = run_agent(agent, task, &endpoint, dir, &repo, limit)?;
    drop(server);
    let seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(problem) = seen.problems.first() {
        bail!("the scripted server could not play the solution to {}: {problem}", agent.label());
    }
    outcome.requests = u64::try_from(seen.body_bytes.len()).unwrap_or(u64::MAX);
    Ok(outcome)
}

/// Runs the harness on the prepared repository under the time limit, then the hidden check.
fn run_agent(
    agent: &Agent,
    task: &Task,
    endpoint: &Endpoint,
    dir: &Path,
    repo: &Path,
    limit: Duration,
) -> anyhow::Result<Outcome> {
    let out_path = dir.join("agent.out");
    let err_path = dir.join("agent.err");
    let stdout = std::fs::File::create(&out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let stderr = std::fs::File::create(&err_path).with_context(|| format!("cannot create {}", err_path.display()))?;
    let mut command = agent.task_command(endpoint, &dir.join("home"), repo, &task.prompt)?;
    command.stdout(Stdio::from(stdout)).stderr(Stdio::from(stderr));
    let measured = measure::run(&mut command, limit)?;
    let verdict = task.judge(repo)?;
    let log = format!(
        "check `{}`: {} in {:.1} s\n\n{}",
        task.check,
        if verdict.passed { "passed" } else { "failed" },
        verdict.duration.as_secs_f64(),
        verdict.output
    );
    std::fs::write(dir.join("check.log"), log)
        .with_context(|| format!("cannot write the check log in {}", dir.display()))?;
    let (tokens_in, tokens_out) =
        if agent.is_braid() { braid_usage(&std::fs::read_to_string(&out_path).unwrap_or_default()) } else { (0, 0) };
    Ok(Outcome {
        solved: verdict.passed,
        timed_out: measured.timed_out,
        code: measured.code,
        wall: measured.wall,
        tokens_in,
        tokens_out,
        requests: 0,
        error: None,
    })
}

/// Sums the usage of every `turn.completed` event in braid's JSONL output; returns (input, output).
/// braid reports one `turn.completed` per task covering all of its model requests, and does not count
/// the requests in its output, so its request count stays 0 (shown as n/a).
fn braid_usage(jsonl: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for line in jsonl.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else { continue };
        if event.get("type").and_then(Value::as_str) == Some("turn.completed") {
            let usage = &event["usage"];
            totals.0 += usage["input_tokens"].as_u64().unwrap_or(0);
            totals.1 += usage["output_tokens"].as_u64().unwrap_or(0);
        }
    }
    totals
}

/// Sums `braid model serve`'s request log: (prompt tokens, completion tokens, requests).
fn served_usage(log: &Path) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut totals = (0, 0, 0);
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else { continue };
        totals.0 += entry["prompt_tokens"].as_u64().unwrap_or(0);
        totals.1 += entry["completion_tokens"].as_u64().unwrap_or(0);
        totals.2 += 1;
    }
    totals
}

/// A `braid model serve` process on a free loopback port, stopped when dropped.
struct ModelServer {
    child: Child,
    base_url: String,
}

impl ModelServer {
    /// Starts the server and waits until it accepts connections (it binds only after loading the
    /// model). Fails with the tail of its log when it exits or is not up within two minutes.
    fn start(
        braid: &Path,
        gguf: &Path,
        context_tokens: u32,
        request_log: &Path,
        log: &Path,
    ) -> anyhow::Result<ModelServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("cannot find a free port on 127.0.0.1")?
            .port();
        let log_file = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(braid)
            .args(["model", "serve"])
            .arg(gguf)
            .args([
                "--port",
                &port.to_string(),
                "--parallel",
                "1",
                "--context-tokens",
                &context_tokens.to_string(),
                "--request-log",
            ])
            .arg(request_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("cannot start braid model serve")?;
        let mut server = ModelServer { child, base_url: format!("http://127.0.0.1:{port}/v1") };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            let exited = server.child.try_wait().context("cannot poll braid model serve")?;
            if exited.is_some() || Instant::now() > deadline {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                bail!("braid model serve did not come up ({exited:?}): {}", one_line(suite::tail(&text, 1000)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The summary table (one row per harness) and the per-task matrix.
fn tables(agents: &[Agent], tasks: &[Task], results: &[Vec<Outcome>]) -> String {
    let mut out = String::from(
        "| harness | solved | timed out | wall time, all tasks | median per task | tokens in | tokens out | model requests |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (column, agent) in agents.iter().enumerate() {
        let outcomes: Vec<&Outcome> = results.iter().map(|row| &row[column]).collect();
        let solved = outcomes.iter().filter(|o| o.solved).count();
        let timed_out = outcomes.iter().filter(|o| o.timed_out).count();
        let wall: f64 = outcomes.iter().map(|o| o.wall.as_secs_f64()).sum();
        let median = crate::report::Summary::of(&outcomes.iter().map(|o| o.wall.as_secs_f64()).collect::<Vec<_>>())
            .map_or(0.0, |s| s.median);
        let sum = |f: fn(&Outcome) -> u64| outcomes.iter().map(|o| f(o)).sum::<u64>();
        let requests = if agent.is_braid() { "n/a".to_owned() } else { sum(|o| o.requests).to_string() };
        out.push_str(&format!(
            "| {} | {solved}/{} | {timed_out} | {wall:.0} s | {median:.0} s | {} | {} | {} |\n",
            agent.label(),
            outcomes.len(),
            sum(|o| o.tokens_in),
            sum(|o| o.tokens_out),
            requests
        ));
    }
    out.push_str("\n| task |");
    for agent in agents {
        out.push_str(&format!(" {} |", agent.label()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(agents.len()));
    out.push('\n');
    for (task, row) in tasks.iter().zip(results) {
        out.push_str(&format!("| {} |", task.id));
        for outcome in row {
            let mark = match (outcome.solved, outcome.timed_out, &outcome.error) {
                (_, _, Some(_)) => "error".to_owned(),
                (true, _, _) => format!("solved, {:.0} s", outcome.wall.as_secs_f64()),
                (false, true, _) => "time limit".to_owned(),
                (false, false, _) if outcome.code != Some(0) => {
                    format!(
                        "not solved (exit {}), {:.0} s",
                        outcome.code.map_or("by signal".to_owned(), |c| c.to_string()),
                        outcome.wall.as_secs_f64()
                    )
                }
                (false, false, _) => format!("not solved, {:.0} s", outcome.wall.as_secs_f64()),
            };
            out.push_str(&format!(" {mark} |"));
        }
        out.push('\n');
    }
    let errors: Vec<String> = tasks
        .iter()
        .zip(results)
        .flat_map(|(task, row)| {
            agents.iter().zip(row).filter_map(move |(a, o)| {
                o.error.as_ref().map(|e| format!("{} / {}: {}", task.id, a.label(), one_line(e)))
            })
        })
        .collect();
    if !errors.is_empty() {
        out.push_str("\nErrors:\n");
        for error in errors {
            out.push_str(&format!("- {error}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braid_usage_sums_turn_completed_events() {
        let jsonl = "{\"type\":\"thread.started\"}\nnot json\n{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":120,\"output_tokens\":30}}\n{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}\n";
        assert_eq!(braid_usage(jsonl), (125, 31));
    }

    #[test]
    fn served_usage_counts_each_logged_request() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        std::fs::write(
            &log,
            "{\"prompt_tokens\":100,\"completion_tokens\":7}\n{\"prompt_tokens\":50,\"completion_tokens\":3}\n",
        )
        .unwrap();
        assert_eq!(served_usage(&log), (150, 10, 2));
        assert_eq!(served_usage(&dir.path().join("missing")), (0, 0, 0));
    }
}
