//! `braid review`: the AI reviewer on uncommitted changes, a branch, a commit, a range or an attempt.
//! Prints the review for people or as JSON; exit code 1 when a P0 or P1 finding remains, 2 when the
//! review itself failed, so CI can tell "blocked" from "broken".

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use braid_core::approval::Approver;
use braid_core::config::Config;
use braid_core::session::CancellationToken;
use braid_core::{EventSink, Session};
use braid_git::Repo;
use braid_orchestra::review::{
    Change, DropReason, FilterOptions, Review, ReviewError, ReviewJob, ReviewOptions, ReviewTarget, TestSettings,
};
use braid_sandbox::globs::PathGlobs;

use crate::cli::{GlobalArgs, OutputArgs, ReviewArgs};
use crate::exec::{
    Setup, braid_home, confinement, interrupt_on_ctrl_c, load_config, make_sink, prepare_with, working_dir,
};

/// The exit code of a review that could not be made (1 means "blocking findings").
const REVIEW_FAILED: u8 = 2;

/// How many model requests the reviewer gets for reading before it is made to submit. A review reads a
/// change and its surroundings, not a whole repository; without a bound a small model can keep reading
/// until the configured `max_turns`, which agents set high for long tasks.
const REVIEW_STEPS: u32 = 10;

/// Runs `braid review`.
pub async fn review(global: &GlobalArgs, args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let review = match review_change(global, &args, &interrupt_on_ctrl_c()).await? {
        Reviewed::Done(review) => review,
        Reviewed::Nothing(why) => {
            writeln!(std::io::stderr().lock(), "{why}")?;
            return Ok(ExitCode::SUCCESS);
        }
        Reviewed::Interrupted => return Ok(ExitCode::from(130)),
        Reviewed::Failed(err) => {
            writeln!(std::io::stderr().lock(), "error: {err}")?;
            return Ok(ExitCode::from(REVIEW_FAILED));
        }
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&review)?)?;
    } else {
        write!(stdout, "{}", review_text(&review))?;
    }
    Ok(if review.blocks() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// What a review came to, when it could be set up.
pub(crate) enum Reviewed {
    /// The filtered review (already stored with its attempt when it reviewed one).
    Done(Review),
    /// There was nothing to review (no change, or a commit without a parent); the text says why.
    Nothing(String),
    /// `cancel` stopped the reviewer.
    Interrupted,
    /// The reviewer ran but no review came of it (the model failed, or never submitted one).
    Failed(ReviewError),
}

/// Reviews what `args` name in the repository holding `global.cd` (else the current directory), with
/// the configured model under a read-only sandbox; progress goes to stderr, nothing to stdout. Fails
/// when the arguments are bad, the change cannot be resolved or the model cannot be set up.
pub(crate) async fn review_change(
    global: &GlobalArgs,
    args: &ReviewArgs,
    cancel: &CancellationToken,
) -> anyhow::Result<Reviewed> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        bail!("--min-confidence {} is not between 0 and 1", args.min_confidence);
    }
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let repo = Repo::discover(&cwd)?;
    let target = target(args)?;
    // Only a review of an attempt touches the store: it is what `braid compare` ranks on, and a
    // repository without braid runs should not get a `.braid/` directory from a review.
    let store = match &target {
        ReviewTarget::Attempt { .. } => Some(crate::run_cmd::open_store(&repo)?),
        _ => None,
    };
    let plan = args.plan.as_ref().map(|p| cwd.join(p));
    let change = match Change::resolve(&repo, store.as_ref(), target, plan.as_deref()) {
        Ok(change) => change,
        Err(err @ (ReviewError::Empty { .. } | ReviewError::NoParent { .. })) => {
            return Ok(Reviewed::Nothing(err.to_string()));
        }
        Err(err) => return Err(err.into()),
    };
    let tests = if args.no_tests { None } else { Some(test_settings(&config, &repo)?) };
    let options = ReviewOptions {
        filter: FilterOptions { min_confidence: args.min_confidence, ..FilterOptions::default() },
        focus: args.focus.clone(),
        model: String::new(),
    };
    // Progress goes to stderr, so that stdout holds only the review (or, under `mcp-server`, only MCP).
    let quiet = OutputArgs { json: false, output_last_message: None, skip_git_repo_check: false };
    let reviewed = run_review(&config, &home, &repo, change, options, tests, make_sink(&quiet), cancel, |_| {}).await?;
    let review = match reviewed {
        Ok(review) => review,
        Err(ReviewError::Session(braid_core::SessionError::Interrupted)) => return Ok(Reviewed::Interrupted),
        Err(err) => return Ok(Reviewed::Failed(err)),
    };
    if let (Some(store), ReviewTarget::Attempt { run, n }) = (&store, &review.target) {
        store.save_review(Some((run, *n)), &review)?;
    }
    Ok(Reviewed::Done(review))
}

/// Reviews `change` of `repo` in a read-only session whose events go to `sink`; `configure` sets the
/// session up (its approver) before the reviewer starts. The outer error is a failure to set the review
/// up; the inner one a review that could not be made.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_review(
    config: &Config,
    home: &Path,
    repo: &Repo,
    change: Change,
    options: ReviewOptions,
    tests: Option<TestSettings>,
    sink: EventSink,
    cancel: &CancellationToken,
    configure: impl FnOnce(&mut Session),
) -> anyhow::Result<Result<Review, ReviewError>> {
    let mut job = ReviewJob::new(repo.clone(), change, options, tests)?;
    // Reviewing is reading: nothing the reviewer runs may change the code. Its tests run apart, in a
    // scratch checkout of their own.
    let mut config = config.clone();
    config.sandbox = braid_sandbox::Policy::ReadOnly;
    let mut prepared = prepare_with(&config, home, job.workdir(), &Setup { research: true, ..Setup::default() })?;
    job.set_model(&prepared.options.model);
    prepared.options.max_turns = prepared.options.max_turns.min(REVIEW_STEPS);
    for tool in job.tools() {
        prepared.tools.register(tool);
    }
    let mut session = Session::start(prepared.options, prepared.client, prepared.tools, sink)?;
    configure(&mut session);
    Ok(job.run(&mut session, cancel).await)
}

/// Reviews the uncommitted changes under `cwd` with the default filters, the reviewer's events going to
/// `sink` and its approval questions to `approver`: `/review` in the interactive session. `None` when
/// there is nothing to review.
pub(crate) async fn review_uncommitted(
    config: &Config,
    home: &Path,
    cwd: &Path,
    sink: EventSink,
    approver: Arc<dyn Approver>,
    cancel: &CancellationToken,
) -> anyhow::Result<Option<Review>> {
    let repo = Repo::discover(cwd)?;
    let change = match Change::resolve(&repo, None, ReviewTarget::Uncommitted, None) {
        Ok(change) => change,
        Err(ReviewError::Empty { .. } | ReviewError::NoParent { .. }) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let tests = Some(test_settings(config, &repo)?);
    let options = ReviewOptions { filter: FilterOptions::default(), focus: None, model: String::new() };
    let review =
        run_review(config, home, &repo, change, options, tests, sink, cancel, |s| s.set_approver(approver)).await??;
    Ok(Some(review))
}

/// What the arguments ask to review.
fn target(args: &ReviewArgs) -> anyhow::Result<ReviewTarget> {
    if let Some(branch) = &args.base {
        return Ok(ReviewTarget::Base { branch: branch.clone() });
    }
    if let Some(rev) = &args.commit {
        return Ok(ReviewTarget::Commit { rev: rev.clone() });
    }
    let Some(text) = args.target.as_deref() else { return Ok(ReviewTarget::Uncommitted) };
    if let Some((from, to)) = text.split_once("..") {
        if from.is_empty() || to.is_empty() || to.starts_with('.') {
            bail!(
                "`{text}` is not a range braid reviews: write `FROM..TO` with both ends, such as `main..HEAD` (three dots are not supported)"
            );
        }
        return Ok(ReviewTarget::Range { from: from.to_string(), to: to.to_string() });
    }
    if let Some((run, n)) = text.rsplit_once('/')
        && let Ok(n) = n.parse::<u32>()
    {
        return Ok(ReviewTarget::Attempt { run: run.to_string(), n });
    }
    bail!(
        "`{text}` is neither a revision range (`main..HEAD`) nor an attempt (`<run>/<n>`); for one commit use --commit {text}, for a branch --base {text}"
    )
}

/// How the reviewer's tests run: confined to braid's scratch space, with the command environment policy.
fn test_settings(config: &braid_core::config::Config, repo: &Repo) -> anyhow::Result<TestSettings> {
    // The scratch directory must exist for the sandbox to make it writable, and stay out of `git status`.
    repo.ensure_excluded()?;
    let scratch = repo.scratch_dir();
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    Ok(TestSettings {
        env_policy: config.command_env_policy(),
        confinement: confinement(config, &scratch, &PathGlobs::empty())?,
        log_dir: repo.root().join(".braid").join("reviews").join(std::process::id().to_string()),
    })
}

/// The review for people: the verdict, each kept finding with its place and body, and what was dropped.
pub fn review_text(review: &Review) -> String {
    let mut out = format!("{} · verdict: {} ({:.0}% sure)\n", review.target, review.verdict, review.confidence * 100.0);
    if !review.explanation.is_empty() {
        out.push_str(&format!("{}\n", review.explanation));
    }
    out.push('\n');
    if review.findings.is_empty() {
        out.push_str("No findings.\n");
    }
    for finding in &review.findings {
        let lines = if finding.start_line == finding.end_line {
            finding.start_line.to_string()
        } else {
            format!("{}-{}", finding.start_line, finding.end_line)
        };
        out.push_str(&format!(
            "[{}] {}:{} {} (confidence {:.2})\n",
            finding.priority, finding.file, lines, finding.title, finding.confidence
        ));
        for line in finding.body.lines() {
            out.push_str(&format!("    {line}\n"));
        }
        if let Some(test) = &finding.test {
            let exit = test.exit_code.map_or("no exit code".to_string(), |c| format!("exit {c}"));
            let shown = if test.demonstrates { "shows the problem" } else { "does not show the problem" };
            out.push_str(&format!("    test {} (`{}`): {exit}, {shown}\n", test.path, test.command));
        }
    }
    if !review.dropped.is_empty() {
        let mut reasons: Vec<(&str, usize)> = Vec::new();
        for dropped in &review.dropped {
            let reason = match dropped.reason {
                DropReason::LowConfidence { .. } => "low confidence",
                DropReason::OutsideChange => "outside the change",
                DropReason::Duplicate { .. } => "duplicate",
                DropReason::NoSuchLocation => "no such line",
            };
            match reasons.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, count)) => *count += 1,
                None => reasons.push((reason, 1)),
            }
        }
        let reasons: Vec<String> = reasons.iter().map(|(reason, count)| format!("{count} {reason}")).collect();
        out.push_str(&format!("\nDropped {} finding(s): {}.\n", review.dropped.len(), reasons.join(", ")));
    }
    out
}
