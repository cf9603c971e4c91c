//! The reviewer benchmark: `braid review --commit HEAD --json --no-tests` on every case of
//! `bench/review/cases/` (small changes, half with a known bug), with the embedded model and with every
//! remote model the user configured, scored for recall (bugs caught), precision (findings that point at
//! a bug), verdict accuracy and time. Each case runs in a fresh two-commit repository: the files before
//! the change, then the change.

mod cases;
mod score;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use crate::Common;
use crate::agents::Endpoint;
use crate::measure;
use crate::report::one_line;
use cases::{Case, CaseKind};
use score::{Judged, Reviewed, Run, Score, ratio_cell};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    common: Common,
    /// The embedded model: a catalog name (pulled with `braid model pull` when missing) or a GGUF path.
    #[arg(long, default_value = "qwen-coder-0.5b")]
    model: String,
    /// Skip the embedded model (measure only remote models).
    #[arg(long)]
    no_local: bool,
    /// A profile of the user's config.toml naming a remote model to measure too (repeatable). Without
    /// it, every profile in `$BRAID_HOME/config.toml` whose `model_provider` is not `local`.
    #[arg(long = "remote-profile", value_name = "NAME")]
    remote_profiles: Vec<String>,
    /// Only these cases (ids or id prefixes, comma-separated); all of them by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Seconds each review gets.
    #[arg(long, default_value_t = 600)]
    limit: u64,
    /// Context window of the embedded model, in tokens.
    #[arg(long, default_value_t = 16384)]
    context_tokens: u32,
    /// The evaluation set's directory.
    #[arg(long, default_value = "bench/review/cases")]
    cases: PathBuf,
    /// Check that every case is well formed (its patch applies, its bug is on changed lines, its demo
    /// exits as declared) and list them, without reviewing anything.
    #[arg(long)]
    validate: bool,
}

/// A model braid reviews with, and how to start braid on it.
#[derive(Debug, Clone)]
pub struct Reviewer {
    /// The name tables show.
    pub label: String,
    /// The name in the JSON file's name (`review-<slug>.json`).
    pub slug: String,
    pub setup: Setup,
}

/// Where a reviewer's model comes from.
#[derive(Debug, Clone)]
pub enum Setup {
    /// The embedded model, through a private braid home whose config selects it.
    Local { home: PathBuf },
    /// A profile of the user's own configuration (`braid -p NAME`), with the user's environment.
    Profile { name: String },
}

impl Reviewer {
    /// The command reviewing `HEAD` in `repo` with `braid`.
    fn command(&self, braid: &Path, repo: &Path) -> Command {
        let mut command = Command::new(braid);
        command.current_dir(repo).stdin(Stdio::null());
        match &self.setup {
            Setup::Local { home } => {
                // Nothing of the user's remote setup may reach a local measurement.
                for var in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "RUST_LOG"] {
                    command.env_remove(var);
                }
                command.env("BRAID_HOME", home).args(["-c", "model_provider=local"]);
            }
            Setup::Profile { name } => {
                command.args(["-p", name]);
            }
        }
        command.args(["review", "--commit", "HEAD", "--json", "--no-tests"]);
        command
    }
}

/// One case's run, as the JSON report records it.
#[derive(Debug, Serialize)]
struct CaseReport<'a> {
    id: &'a str,
    kind: CaseKind,
    caught: bool,
    verdict_right: bool,
    wall_secs: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<&'a Reviewed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a str>,
}

/// Everything one model's run writes to `review-<slug>.json`.
#[derive(Debug, Serialize)]
struct ModelReport<'a> {
    model: &'a str,
    command: &'a str,
    score: &'a Score,
    cases: Vec<CaseReport<'a>>,
}

/// Runs the benchmark (or, with `--validate`, checks the set) and publishes the results.
pub fn main(args: &ReviewArgs) -> anyhow::Result<()> {
    if args.validate {
        let problems = cases::validate_all(&args.cases, 15)?;
        for case in cases::load(&args.cases)? {
            println!("{:<40} {:?} {:?}", case.id, case.kind, case.language);
        }
        if !problems.is_empty() {
            bail!("the evaluation set is not well formed:\n{}", problems.join("\n"));
        }
        return Ok(());
    }
    let common = &args.common;
    let mut set = cases::load(&args.cases)?;
    if !args.only.is_empty() {
        set.retain(|case| args.only.iter().any(|prefix| case.id.starts_with(prefix.as_str())));
        if set.is_empty() {
            bail!("no case id starts with any of: {}", args.only.join(", "));
        }
    }
    let braid = common.braid()?;
    let work = common.work("review")?;
    let mut notes = vec![format!("braid: `{}` ({})", braid.display(), crate::machine::version_of(&braid))];
    let mut reviewers = Vec::new();
    if !args.no_local {
        let gguf = crate::tasks::model_path(&braid, &args.model)?;
        let home = work.join("local-home");
        std::fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
        let config = crate::agents::braid_config(&Endpoint::Embedded {
            gguf: gguf.clone(),
            context_tokens: args.context_tokens,
        });
        let path = home.join("config.toml");
        std::fs::write(&path, config).with_context(|| format!("cannot write {}", path.display()))?;
        notes.push(format!("embedded model: `{}`, {}-token context", gguf.display(), args.context_tokens));
        reviewers.push(Reviewer {
            label: format!("local {}", args.model),
            slug: slug(&args.model),
            setup: Setup::Local { home },
        });
    }
    let profiles =
        if args.remote_profiles.is_empty() { remote_profiles(&user_config()?)? } else { args.remote_profiles.clone() };
    if profiles.is_empty() {
        eprintln!("no remote model configured: skipped");
        notes.push("no remote model configured: skipped".to_owned());
    }
    for name in profiles {
        notes.push(format!("remote model: profile `{name}` of the user's config.toml"));
        reviewers.push(Reviewer {
            label: format!("profile {name}"),
            slug: slug(&name),
            setup: Setup::Profile { name },
        });
    }
    if reviewers.is_empty() {
        bail!("nothing to measure: --no-local and no remote model configured");
    }
    let json_dir = Common::target_dir()?.join("bench");
    std::fs::create_dir_all(&json_dir).with_context(|| format!("cannot create {}", json_dir.display()))?;
    let command_line = common.command_line.clone().unwrap_or_else(|| std::env::args().collect::<Vec<_>>().join(" "));
    let limit = Duration::from_secs(args.limit);
    let mut columns = Vec::new();
    for reviewer in &reviewers {
        let runs = run_all(reviewer, &set, &braid, &work.join(&reviewer.slug), limit);
        let json = json_dir.join(format!("review-{}.json", reviewer.slug));
        write_report(&json, reviewer, &command_line, &set, &runs)?;
        eprintln!("wrote {}", json.display());
        columns.push(runs);
    }
    notes.push(format!(
        "{} cases ({} with a bug); a bug is caught when a kept finding is in its file within {} lines of it; logs in `{}`",
        set.len(),
        set.iter().filter(|c| c.kind == CaseKind::Bug).count(),
        score::SLACK_LINES,
        work.display()
    ));
    let table = tables(&reviewers, &set, &columns);
    let all_failed = columns.iter().flatten().all(|run| run.result.is_err());
    if all_failed {
        println!("{table}");
        let first = columns.iter().flatten().find_map(|run| run.result.as_ref().err()).cloned().unwrap_or_default();
        bail!("every review failed (the first: {first}), so {} is left alone", common.docs.display());
    }
    common.publish("review", "Reviewer precision and recall", &table, &notes)
}

/// Runs `reviewer` on every case, one after another, each in `work/<id>/`. A case that cannot even be
/// prepared or started is recorded as a failed run, never aborting the others.
pub fn run_all(reviewer: &Reviewer, set: &[Case], braid: &Path, work: &Path, limit: Duration) -> Vec<Run> {
    let mut runs = Vec::new();
    for case in set {
        let dir = work.join(&case.id);
        let run = run_one(reviewer, case, braid, &dir, limit)
            .unwrap_or_else(|err| Run { wall: Duration::ZERO, result: Err(format!("{err:#}")) });
        let judged = Judged { kind: case.kind, bug: case.bug.as_ref(), run: &run };
        eprintln!(
            "{:<36} {:<24} {:>6.1}s {}",
            case.id,
            reviewer.label,
            run.wall.as_secs_f64(),
            match &run.result {
                Ok(review) => format!(
                    "{} finding(s), verdict {:?}{}",
                    review.findings.len(),
                    review.verdict,
                    if judged.caught() { ", bug caught" } else { "" }
                ),
                Err(err) => format!("failed: {}", one_line(err)),
            }
        );
        runs.push(run);
    }
    runs
}

/// Prepares the case's repository in `dir/repo` and reviews it, keeping braid's output in `dir`.
fn run_one(reviewer: &Reviewer, case: &Case, braid: &Path, dir: &Path, limit: Duration) -> anyhow::Result<Run> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let repo = dir.join("repo");
    case.prepare(&repo)?;
    let out_path = dir.join("review.json");
    let err_path = dir.join("review.err");
    let stdout = std::fs::File::create(&out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let stderr = std::fs::File::create(&err_path).with_context(|| format!("cannot create {}", err_path.display()))?;
    let mut command = reviewer.command(braid, &repo);
    command.stdout(stdout).stderr(stderr);
    let measured = measure::run(&mut command, limit)?;
    let result = if measured.timed_out {
        Err(format!("no review within the {} s limit", limit.as_secs()))
    } else {
        let out = std::fs::read_to_string(&out_path).unwrap_or_default();
        score::parse_review(&out, measured.code).map_err(|problem| {
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            format!("{problem}; stderr: {}", one_line(crate::suite::tail(&err, 600)))
        })
    };
    Ok(Run { wall: measured.wall, result })
}

/// Writes one model's score and per-case results as JSON.
fn write_report(path: &Path, reviewer: &Reviewer, command: &str, set: &[Case], runs: &[Run]) -> anyhow::Result<()> {
    let judged = judge(set, runs);
    let score = score::score(&judged);
    let cases = set
        .iter()
        .zip(&judged)
        .map(|(case, j)| CaseReport {
            id: &case.id,
            kind: case.kind,
            caught: j.caught(),
            verdict_right: j.verdict_right(),
            wall_secs: j.run.wall.as_secs_f64(),
            review: j.run.result.as_ref().ok(),
            failure: j.run.result.as_ref().err().map(String::as_str),
        })
        .collect();
    let report = ModelReport { model: &reviewer.label, command, score: &score, cases };
    let text = serde_json::to_string_pretty(&report).context("cannot serialise the review report")?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

fn judge<'a>(set: &'a [Case], runs: &'a [Run]) -> Vec<Judged<'a>> {
    set.iter().zip(runs).map(|(case, run)| Judged { kind: case.kind, bug: case.bug.as_ref(), run }).collect()
}

/// The summary table (one row per model), the per-case matrix and the failures.
fn tables(reviewers: &[Reviewer], set: &[Case], columns: &[Vec<Run>]) -> String {
    let mut out = String::from(
        "| model | recall (bugs caught) | precision (findings on a bug) | verdict accuracy | clean cases flagged | failed runs | mean time per case |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (reviewer, runs) in reviewers.iter().zip(columns) {
        let s = score::score(&judge(set, runs));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}/{} | {} | {} |\n",
            reviewer.label,
            ratio_cell(s.recall, s.caught, s.bug_cases),
            ratio_cell(s.precision, s.true_findings, s.findings),
            ratio_cell(s.verdict_accuracy, s.verdicts_right, s.cases),
            s.clean_flagged,
            s.cases - s.bug_cases,
            s.failures,
            s.mean_wall_secs.map_or_else(|| "n/a".to_owned(), |w| format!("{w:.1} s")),
        ));
    }
    out.push_str("\n| case |");
    for reviewer in reviewers {
        out.push_str(&format!(" {} |", reviewer.label));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(reviewers.len()));
    out.push('\n');
    let mut failures = Vec::new();
    for (index, case) in set.iter().enumerate() {
        out.push_str(&format!("| {} |", case.id));
        for (reviewer, runs) in reviewers.iter().zip(columns) {
            let Some(run) = runs.get(index) else { continue };
            let judged = Judged { kind: case.kind, bug: case.bug.as_ref(), run };
            let cell = match &run.result {
                Err(err) => {
                    failures.push(format!("{} / {}: {}", case.id, reviewer.label, one_line(err)));
                    "failed".to_owned()
                }
                Ok(review) => {
                    let n = review.findings.len();
                    let mark = match (case.kind, judged.caught()) {
                        (CaseKind::Bug, true) => "caught",
                        (CaseKind::Bug, false) => "missed",
                        (CaseKind::Clean, _) if n == 0 => "quiet",
                        (CaseKind::Clean, _) => "flagged",
                    };
                    format!("{mark}, {n} finding(s), {:.0} s", run.wall.as_secs_f64())
                }
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    if !failures.is_empty() {
        out.push_str("\nFailed runs:\n");
        for failure in failures {
            out.push_str(&format!("- {failure}\n"));
        }
    }
    out
}

/// A model or profile name as a file-name part: a GGUF path's file stem, then letters, digits, `.`, `-`
/// and `_` kept and the rest `-`.
fn slug(name: &str) -> String {
    let stem = Path::new(name).file_stem().filter(|_| name.ends_with(".gguf"));
    let name = stem.map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned());
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect()
}

/// The user's config.toml (`$BRAID_HOME`, else `~/.braid`) as text, or `None` when there is none.
///
/// Fails when it exists but cannot be read.
fn user_config() -> anyhow::Result<Option<(PathBuf, String)>> {
    let home = std::env::var_os("BRAID_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".braid")));
    let Some(home) = home else { return Ok(None) };
    let path = home.join("config.toml");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some((path, text)))
}

/// The profiles of a config.toml whose model provider, their own or else the top level's, is set and is
/// not `local`: the remote models the user configured. Sorted by name.
///
/// Fails naming the file when it is not valid TOML.
fn remote_profiles(config: &Option<(PathBuf, String)>) -> anyhow::Result<Vec<String>> {
    let Some((path, text)) = config else { return Ok(Vec::new()) };
    let value: toml::Table = toml::from_str(text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let top = value.get("model_provider").and_then(toml::Value::as_str);
    let Some(profiles) = value.get("profiles").and_then(toml::Value::as_table) else { return Ok(Vec::new()) };
    let mut names: Vec<String> = profiles
        .iter()
        .filter(|(_, profile)| {
            let provider = profile.get("model_provider").and_then(toml::Value::as_str).or(top);
            provider.is_some_and(|p| p != "local")
        })
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    Ok(names)
}
