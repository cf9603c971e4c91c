//! `braid run`, `braid runs`, `braid show` and `braid gc`: wiring the orchestrator to the configuration,
//! the repository, the store and the terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use braid_core::config::Config;
use braid_core::session::CancellationToken;
use braid_core::{EventSink, Session};
use braid_git::Repo;
use braid_orchestra::agents::{AgentSettings, AgentSpec, expand_mix};
use braid_orchestra::execute::CheckRunner;
use braid_orchestra::run::{AttemptSession, RunSink, RunSpec, SessionFactory, SessionRequest};
use braid_orchestra::store::Store;
use braid_orchestra::warm::{WarmMode, WarmOptions};
use braid_protocol::RunEvent;

use crate::cli::{GcArgs, GlobalArgs, RunArgs, RunsArgs, ShowArgs};
use crate::exec::{ModelChoice, Setup, braid_home, interrupt_on_ctrl_c, load_config, session_parts, working_dir};
use crate::run_view::{Progress, run_detail_text, runs_table};

/// Runs `braid run`.
pub async fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let repo = Repo::discover(&cwd)?;
    let store = open_store(&repo)?;
    let mut spec = run_spec(&config, global.model.clone(), args.concurrency)?;
    let concurrency = spec.concurrency;
    let cancel = interrupt_on_ctrl_c();
    let title = args.task.clone().or_else(|| args.plan.as_ref().map(|p| p.display().to_string()));
    let (sink, display) = sink(args.json, title.unwrap_or_default(), &cancel)?;

    let outcome: anyhow::Result<braid_orchestra::run::RunOutcome> = async {
        if let Some(run) = &args.resume {
            // The model is only loaded when braid's own agent has attempts to finish.
            let detail =
                store.run(run)?.with_context(|| format!("no run {run} in this repository; `braid runs` lists them"))?;
            let braid_attempts =
                detail.attempts.iter().filter(|a| a.state.is_unfinished() && a.agent == "braid").count();
            let factory = factory(&config, &home, braid_attempts.min(concurrency) as u32)?;
            Ok(braid_orchestra::run::resume(repo, store, run, spec, factory, sink, cancel).await?)
        } else {
            let (task, plan) = task_and_plan(&args, repo.root())?;
            spec.task = task;
            let approaches = approaches(&args, plan.as_deref(), repo.root())?;
            spec.plan = plan;
            spec.agents = expand_mix(&args.agent, args.attempts)?;
            spec.approaches = approaches;
            spec.base = repo.resolve_commit(args.base.as_deref().unwrap_or("HEAD"))?;
            spec.base_ref = repo.branch_name(args.base.as_deref())?;
            let braid_attempts = spec.agents.iter().filter(|a| matches!(a, AgentSpec::Braid)).count();
            let factory = factory(&config, &home, braid_attempts.min(concurrency) as u32)?;
            Ok(braid_orchestra::run::run(repo, store, spec, factory, sink, cancel).await?)
        }
    }
    .await;
    // The display ends first either way: the panel must give the terminal back before an error is printed.
    // The sink, and with it the panel's channel, is gone by now, so the panel returns.
    display.finish()?;
    let outcome = outcome?;
    Ok(if outcome.committed > 0 && outcome.failed == 0 && outcome.cancelled == 0 {
        ExitCode::SUCCESS
    } else if outcome.cancelled > 0 {
        ExitCode::from(130)
    } else {
        ExitCode::FAILURE
    })
}

/// A run's spec from config, with no task, plan, agents, approaches or base yet: `concurrency` (else
/// `[run] concurrency`, else the number of cores) attempts at a time, the configured setup, warm-up and
/// timeouts, and `model` for braid's own agent. Fails when `[run] warm` names no warm-up mode.
pub(crate) fn run_spec(config: &Config, model: Option<String>, concurrency: Option<usize>) -> anyhow::Result<RunSpec> {
    let run_config = &config.toml.run;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(RunSpec {
        task: String::new(),
        plan: None,
        agents: Vec::new(),
        approaches: Vec::new(),
        base: String::new(),
        base_ref: None,
        concurrency: concurrency.or(run_config.concurrency).unwrap_or(cores).max(1),
        setup: run_config.setup.clone(),
        setup_timeout: Duration::from_secs(run_config.setup_timeout_secs.unwrap_or(600)),
        warm: warm_options(config)?,
        agent_settings: AgentSettings::default(),
        agent_model: model,
        agent_timeout: Duration::from_secs(run_config.agent_timeout_secs.unwrap_or(3600)),
    })
}

/// Runs `braid runs`.
pub fn runs(global: &GlobalArgs, args: RunsArgs) -> anyhow::Result<ExitCode> {
    let (_, store) = repo_and_store(global)?;
    let runs = store.runs()?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for run in &runs {
            writeln!(stdout, "{}", serde_json::to_string(run)?)?;
        }
    } else if runs.is_empty() {
        writeln!(stdout, "no runs yet; start one with `braid run \"<task>\" -n 3`")?;
    } else {
        write!(stdout, "{}", runs_table(&runs))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `braid show`.
pub fn show(global: &GlobalArgs, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (_, store) = repo_and_store(global)?;
    let detail = store
        .run(&args.run)?
        .with_context(|| format!("no run {} in this repository; `braid runs` lists them", args.run))?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&detail)?)?;
    } else {
        write!(stdout, "{}", run_detail_text(&detail))?;
        if let Some(pick) = store.pick(&detail.run.id)? {
            let result = match (&pick.pr_url, &pick.result_commit) {
                (Some(url), _) => format!("pull request {url}"),
                (None, Some(commit)) => format!("{} is now {}", pick.target_branch, commit.get(..10).unwrap_or(commit)),
                (None, None) => pick.target_branch.clone(),
            };
            let how = serde_json::to_value(pick.how)?;
            writeln!(stdout, "\npicked: #{} · {} · {result}", pick.n, how.as_str().unwrap_or_default())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `braid gc`.
pub fn gc(global: &GlobalArgs, args: GcArgs) -> anyhow::Result<ExitCode> {
    let (repo, store) = repo_and_store(global)?;
    let report = braid_orchestra::run::gc(&repo, &store, args.dry_run)?;
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{}", crate::run_view::gc_text(&report, args.dry_run))?;
    Ok(if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub(crate) fn repo_and_store(global: &GlobalArgs) -> anyhow::Result<(Repo, Store)> {
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let repo = Repo::discover(&cwd)?;
    let store = open_store(&repo)?;
    Ok((repo, store))
}

/// The repository's store, `.braid/braid.db`.
/// Finds the attempt `text` names as `<run>/<n>` (a unique prefix of the run's id is enough): the run's
/// record and the attempt's number. Fails naming what is wrong and how to find the right name.
pub(crate) fn find_attempt(store: &Store, text: &str) -> anyhow::Result<(braid_orchestra::store::RunDetail, u32)> {
    let Some((run, n)) = text.rsplit_once('/') else {
        bail!(
            "`{text}` does not name an attempt: write `<run>/<n>`, such as `{text}/1`; `braid show <run>` lists a run's attempts"
        );
    };
    let n: u32 = n.parse().ok().filter(|n| *n >= 1).with_context(|| {
        format!(
            "`{n}` in `{text}` is not an attempt number: attempts are numbered from 1; `braid show {run}` lists them"
        )
    })?;
    let detail =
        store.run(run)?.with_context(|| format!("no run `{run}` in this repository; `braid runs` lists them"))?;
    if !detail.attempts.iter().any(|a| a.n == n) {
        bail!(
            "run {} has no attempt {n}: it has {}; `braid show {}` lists them",
            detail.run.id,
            detail.attempts.iter().map(|a| a.n.to_string()).collect::<Vec<_>>().join(", "),
            detail.run.id
        );
    }
    Ok((detail, n))
}

pub(crate) fn open_store(repo: &Repo) -> anyhow::Result<Store> {
    Ok(Store::open(&repo.root().join(".braid/braid.db"))?)
}

/// The task, and the plan relative to the repository root, from the arguments.
fn task_and_plan(args: &RunArgs, root: &Path) -> anyhow::Result<(String, Option<PathBuf>)> {
    let Some(plan) = &args.plan else {
        return Ok((crate::exec::read_prompt(args.task.clone())?, None));
    };
    let task = args.task.clone().map(|t| crate::exec::read_prompt(Some(t))).transpose()?.unwrap_or_default();
    let absolute = std::env::current_dir().context("cannot read the current directory")?.join(plan);
    let absolute = absolute.canonicalize().with_context(|| format!("the plan {} does not exist", plan.display()))?;
    let relative = absolute
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .map_err(|_| anyhow::anyhow!("the plan {} is outside the repository {}", absolute.display(), root.display()))?;
    Ok((task, Some(relative)))
}

/// One approach per attempt: `--approach` flags, else the plan's `approaches`.
fn approaches(args: &RunArgs, plan: Option<&Path>, root: &Path) -> anyhow::Result<Vec<Option<String>>> {
    let listed: Vec<String> = if !args.approaches.is_empty() {
        args.approaches.clone()
    } else if let Some(plan) = plan {
        let path = root.join(plan);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let (parsed, report) = braid_orchestra::plan::check(
            &text,
            &braid_orchestra::plan::CheckOptions { root, path_var: std::env::var_os("PATH") },
        );
        if !report.passed(false) {
            bail!(
                "the plan {} does not pass `braid plan check`; fix it first:\n{}",
                plan.display(),
                report.human(&plan.display().to_string())
            );
        }
        parsed.machine.map(|m| m.approaches).unwrap_or_default()
    } else {
        Vec::new()
    };
    if listed.len() > args.attempts as usize {
        bail!(
            "{} approaches were given for {} attempts; pass -n {} or fewer approaches",
            listed.len(),
            args.attempts,
            listed.len()
        );
    }
    Ok((0..args.attempts as usize).map(|i| listed.get(i).cloned()).collect())
}

pub(crate) fn warm_options(config: &Config) -> anyhow::Result<WarmOptions> {
    let run = &config.toml.run;
    let mut options = WarmOptions::default();
    if let Some(mode) = &run.warm {
        options.mode = mode.parse::<WarmMode>().map_err(|err| anyhow::anyhow!("`[run] warm`: {err}"))?;
    }
    if let Some(paths) = &run.warm_paths {
        options.paths = paths.clone();
    }
    Ok(options)
}

/// braid's own agent for the run's attempts, sharing one model client; `None` when no attempt uses it.
/// Fails when the configured model cannot be set up.
pub(crate) fn factory(config: &Config, home: &Path, parallel: u32) -> anyhow::Result<Option<Arc<dyn SessionFactory>>> {
    if parallel == 0 {
        return Ok(None);
    }
    let model = crate::exec::model_client(config, home, parallel)?;
    Ok(Some(Arc::new(Factory { config: config.clone(), home: home.to_path_buf(), model })))
}

struct Factory {
    config: Config,
    home: PathBuf,
    model: ModelChoice,
}

impl SessionFactory for Factory {
    fn session(
        &self,
        request: &SessionRequest<'_>,
        sink: EventSink,
    ) -> Result<AttemptSession, Box<dyn std::error::Error + Send + Sync>> {
        let setup =
            Setup { extra_env: request.env.to_vec(), forbidden: Some(request.forbidden.clone()), ..Setup::default() };
        let prepared = session_parts(&self.config, &self.home, request.workdir.to_path_buf(), &setup, &self.model)
            .map_err(|err| -> Box<dyn std::error::Error + Send + Sync> { err.into() })?;
        let checks = CheckRunner {
            env_policy: prepared.commands.env.clone(),
            confinement: prepared.commands.confinement.clone(),
        };
        let session = Session::start(prepared.options, prepared.client, prepared.tools, sink)?;
        Ok(AttemptSession { session, checks })
    }
}

/// Where a run's events are shown.
enum Display {
    /// JSON Lines on stdout.
    Json,
    /// Progress lines on stderr.
    Lines(Arc<Mutex<Progress>>),
    /// The live panel (braid-tui) on its own thread, which returns once it has seen the run finish.
    Panel(std::thread::JoinHandle<Result<(), braid_tui::TuiError>>),
}

impl Display {
    /// Ends the display once the run is over.
    fn finish(self) -> anyhow::Result<()> {
        match self {
            Display::Json => Ok(()),
            Display::Lines(progress) => {
                progress.lock().map_err(|_| anyhow::anyhow!("the progress display failed"))?.finish();
                Ok(())
            }
            Display::Panel(panel) => match panel.join() {
                Ok(result) => Ok(result.context("the live run panel failed")?),
                Err(_) => bail!("the live run panel panicked; the terminal was restored"),
            },
        }
    }
}

/// The run's event printer: JSON Lines on stdout with `--json`; the live panel when braid has a terminal
/// to itself (stdin, stdout and stderr), where Ctrl-C arrives as a key and cancels `cancel`; else
/// progress lines on stderr, redrawn in place on a terminal.
fn sink(json: bool, title: String, cancel: &CancellationToken) -> anyhow::Result<(RunSink, Display)> {
    if json {
        let sink: RunSink = Arc::new(|event: RunEvent| {
            if let Ok(text) = serde_json::to_string(&event) {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{text}");
                let _ = stdout.flush();
            }
        });
        return Ok((sink, Display::Json));
    }
    let interactive =
        std::io::stdin().is_terminal() && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    if interactive {
        let (events, updates) = std::sync::mpsc::channel::<RunEvent>();
        let cancel = cancel.clone();
        let panel = std::thread::Builder::new()
            .name("braid-run-panel".into())
            .spawn(move || {
                let on_intent: Box<dyn FnMut(braid_tui::RunIntent) + Send> = Box::new(move |intent| match intent {
                    braid_tui::RunIntent::Cancel => cancel.cancel(),
                });
                braid_tui::run_panel(braid_tui::RunView { title }, updates, on_intent)
            })
            .context("cannot start the live run panel's thread")?;
        let sink: RunSink = Arc::new(move |event: RunEvent| {
            // A panel that has gone away (it failed, and says so when joined) is no reason to stop the run.
            let _ = events.send(event);
        });
        return Ok((sink, Display::Panel(panel)));
    }
    let progress = Arc::new(Mutex::new(Progress::new(std::io::stderr().is_terminal())));
    let shared = Arc::clone(&progress);
    let sink: RunSink = Arc::new(move |event: RunEvent| {
        if let Ok(mut progress) = shared.lock() {
            progress.on(&event);
        }
    });
    Ok((sink, Display::Lines(progress)))
}
