//! `braid plan "<goal>"`, `braid plan revise` and `braid plan check`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use anyhow::{Context, bail};
use braid_core::approval::Approver;
use braid_core::config::Config;
use braid_core::session::CancellationToken;
use braid_core::{EventSink, Session};
use braid_orchestra::author::{AuthorError, Authored, PlanJob, PlanTarget, default_plan_path};
use braid_orchestra::plan::{self, CheckOptions};

use crate::cli::{GlobalArgs, OutputArgs, PlanArgs, PlanCheckArgs, PlanCommand, PlanReviseArgs};
use crate::exec::{
    Setup, ask_at_terminal, braid_home, interrupt_on_ctrl_c, load_config, make_sink, prepare_with, read_prompt,
    working_dir, write_last_message,
};

/// Runs `braid plan ...`.
pub async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(PlanCommand::Check(check_args)) => check(global, check_args),
        Some(PlanCommand::Revise(revise_args)) => revise(global, revise_args).await,
        None => write(global, args.goal, args.out, &args.output).await,
    }
}

/// The exit code when a plan file cannot be read, told apart from 1 (a plan has errors).
const UNREADABLE: u8 = 2;

/// Runs `braid plan check`: checks every file, printing its report on stdout (lines for people, or one
/// JSON object per line with `--json`). Returns exit code 0 when every plan passes, 1 when one has errors
/// (or warnings, with `--strict`), and 2 when a file could not be read (named on stderr; the others are
/// still checked). Fails only when stdout cannot be written.
fn check(global: &GlobalArgs, args: PlanCheckArgs) -> anyhow::Result<ExitCode> {
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let path_var = std::env::var_os("PATH");
    let mut stdout = std::io::stdout().lock();
    let mut passed = true;
    let mut unreadable = false;
    for file in &args.files {
        let path = cwd.join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => {
                let _ = writeln!(std::io::stderr().lock(), "error: cannot read plan file {}: {err}", file.display());
                unreadable = true;
                continue;
            }
        };
        let root = repo_root(path.parent().unwrap_or(&cwd));
        let (_, report) = plan::check(&text, &CheckOptions { root: &root, path_var: path_var.clone() });
        let label = file.display().to_string();
        let file_passed = report.passed(args.strict);
        if args.json {
            let mut json = report.to_json(&label);
            // `ok` follows the exit code, which `--strict` makes fail on warnings too.
            json["ok"] = file_passed.into();
            writeln!(stdout, "{json}").context("cannot write to stdout")?;
        } else {
            write!(stdout, "{}", report.human(&label)).context("cannot write to stdout")?;
        }
        passed &= file_passed;
    }
    Ok(if unreadable {
        ExitCode::from(UNREADABLE)
    } else if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `braid plan "<goal>"`: researches read-only and writes a new plan, never over an existing file.
async fn write(
    global: &GlobalArgs,
    goal: Option<String>,
    out: Option<PathBuf>,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let goal = read_prompt(goal)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let root = repo_root(&cwd);
    let path = match out {
        Some(out) => {
            let path = cwd.join(out);
            if path.exists() {
                bail!(
                    "{} already exists; braid plan never overwrites a file. Choose another --out, or change that plan with `braid plan revise {}`",
                    path.display(),
                    path.display()
                );
            }
            path
        }
        None => default_plan_path(&root, &goal),
    };
    let job = PlanJob::new_plan(target(&root, path), &goal);
    author(global, &root, job, output).await
}

/// `braid plan revise <file> "<feedback>"`.
async fn revise(global: &GlobalArgs, args: PlanReviseArgs) -> anyhow::Result<ExitCode> {
    let feedback = read_prompt(Some(args.feedback))?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let path = cwd.join(&args.file);
    let path = path.canonicalize().with_context(|| format!("the plan {} does not exist", path.display()))?;
    let root = repo_root(path.parent().unwrap_or(&cwd));
    let job = PlanJob::revision(target(&root, path), &feedback)?;
    author(global, &root, job, &args.output).await
}

/// Runs `job` in a read-only session working in `root` and reports the written plan.
async fn author(global: &GlobalArgs, root: &Path, job: PlanJob, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let authored = author_with(&config, &home, root, job, make_sink(output), &interrupt_on_ctrl_c(), |session| {
        ask_at_terminal(session, output)
    })
    .await;
    match authored {
        Ok(authored) => {
            report(&authored, output)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err)
            if matches!(
                err.downcast_ref::<AuthorError>(),
                Some(AuthorError::Session(braid_core::SessionError::Interrupted))
            ) =>
        {
            Ok(ExitCode::from(130))
        }
        Err(err) => Err(err),
    }
}

/// Writes a new plan for `goal` under `plans/` in the repository holding `cwd`, reporting the session's
/// events to `sink` and asking `approver` when a call needs consent: `/plan` in the interactive session.
/// Returns the written file.
pub(crate) async fn write_plan(
    config: &Config,
    home: &Path,
    cwd: &Path,
    goal: &str,
    sink: EventSink,
    approver: Arc<dyn Approver>,
    cancel: &CancellationToken,
) -> anyhow::Result<PathBuf> {
    let root = repo_root(cwd);
    let job = PlanJob::new_plan(target(&root, default_plan_path(&root, goal)), goal);
    let authored =
        author_with(config, home, &root, job, sink, cancel, |session| session.set_approver(approver)).await?;
    Ok(authored.path)
}

/// Runs `job` in a read-only research session working in `root`; `configure` sets the session up (its
/// approver) before the job starts.
async fn author_with(
    config: &Config,
    home: &Path,
    root: &Path,
    job: PlanJob,
    sink: EventSink,
    cancel: &CancellationToken,
    configure: impl FnOnce(&mut Session),
) -> anyhow::Result<Authored> {
    // Writing a plan is research: nothing the agent runs may change the repository. braid writes the
    // plan file itself, through the job's tool.
    let mut config = config.clone();
    config.sandbox = braid_sandbox::Policy::ReadOnly;
    let mut prepared = prepare_with(&config, home, root.to_path_buf(), &Setup { research: true, ..Setup::default() })?;
    prepared.tools.register(job.tool());
    let mut session = Session::start(prepared.options, prepared.client, prepared.tools, sink)?;
    configure(&mut session);
    Ok(job.run(&mut session, cancel).await?)
}

/// Prints where the plan went (stdout, so scripts can pick it up; stderr under `--json`) and the
/// checker's warnings.
#[allow(clippy::print_stderr)]
fn report(authored: &Authored, output: &OutputArgs) -> anyhow::Result<()> {
    write_last_message(output, authored.summary.as_deref().unwrap_or_default())?;
    if !authored.report.diagnostics.is_empty() {
        eprint!("{}", authored.report.human(&authored.label));
    }
    if output.json {
        eprintln!("plan written: {}", authored.label);
    } else {
        if let Some(summary) = &authored.summary {
            eprintln!("{}", summary.trim());
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", authored.path.display()).context("cannot write to stdout")?;
    }
    Ok(())
}

fn target(root: &Path, path: PathBuf) -> PlanTarget {
    let label = path.strip_prefix(root).unwrap_or(&path).display().to_string();
    PlanTarget { root: root.to_path_buf(), path, label, path_var: std::env::var_os("PATH") }
}

/// The root of the git repository containing `dir`, else `dir` itself.
pub(crate) fn repo_root(dir: &Path) -> PathBuf {
    braid_core::git_info::discover(dir).map(|git| git.root).unwrap_or_else(|| dir.to_path_buf())
}
