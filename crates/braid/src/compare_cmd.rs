//! `braid compare <run>`: runs the same checks on every attempt, ranks the attempts, and prints the
//! ranking as a table (or JSON), optionally writing the HTML report.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use braid_orchestra::compare::{CompareOptions, Comparison, compare as compare_run, scratch_root};
use braid_sandbox::globs::PathGlobs;

use crate::cli::{CompareArgs, GlobalArgs};
use crate::exec::{braid_home, confinement, load_config};
use crate::run_cmd::{repo_and_store, warm_options};

/// Runs `braid compare`. Exit code 0 when at least one attempt passes, 1 when none does.
pub async fn compare(global: &GlobalArgs, args: CompareArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let (repo, store) = repo_and_store(global)?;
    // The checks run in scratch checkouts under this directory, which must exist for the sandbox to
    // make it writable.
    let detail = store
        .run(&args.run)?
        .with_context(|| format!("no run {} in this repository; `braid runs` lists them", args.run))?;
    let scratch = scratch_root(&repo, &detail.run.id);
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let options = CompareOptions {
        concurrency: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        env_policy: config.command_env_policy(),
        confinement: confinement(&config, &scratch, &PathGlobs::empty())?,
        rerun: args.rerun,
        warm: warm_options(&config)?,
    };
    let result = compare_run(&repo, &store, &detail.run.id, &options).await;
    // An empty scratch directory is all a comparison leaves there.
    let _ = std::fs::remove_dir(&scratch);
    let comparison = result?;
    if let Some(path) = &args.html {
        let page = braid_report::render_html(&comparison);
        braid_orchestra::fsutil::write_atomic(path, page.as_bytes())?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&comparison)?)?;
    } else {
        write!(stdout, "{}", comparison_text(&comparison, repo.root()))?;
        if let Some(path) = &args.html {
            writeln!(stdout, "report: {}", path.display())?;
        }
    }
    let any_passes = comparison.ranking.iter().any(|r| r.passed);
    Ok(if any_passes { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The comparison for people: the checks, the ranking with a reason per attempt, and each attempt's
/// check results with their logs (relative to the repository `root`).
pub fn comparison_text(comparison: &Comparison, root: &std::path::Path) -> String {
    let mut out = String::new();
    let source = match comparison.check_source {
        braid_orchestra::checks::CheckSource::Plan => "the plan",
        braid_orchestra::checks::CheckSource::LocalConfig => ".braid/config.toml",
        braid_orchestra::checks::CheckSource::RepoConfig => "braid.toml",
        braid_orchestra::checks::CheckSource::Detected => "detection",
    };
    let checks: Vec<String> = comparison
        .checks
        .iter()
        .map(|c| format!("{}{}", c.name, if c.required { "" } else { " (optional)" }))
        .collect();
    out.push_str(&format!(
        "run {} · {} attempts · checks from {source}: {}\n\n",
        comparison.run.id,
        comparison.attempts.len(),
        checks.join(", ")
    ));
    let mut rows = vec![[
        "rank".to_string(),
        "attempt".to_string(),
        "verdict".to_string(),
        "tests".to_string(),
        "diff".to_string(),
        "plan".to_string(),
        "warn".to_string(),
        "review".to_string(),
        "cost".to_string(),
    ]];
    for (ranked, evidence) in comparison.ranking.iter().zip(&comparison.attempts) {
        let counted: Vec<_> = evidence.checks.iter().filter_map(|c| c.tests.as_ref()).collect();
        let tests = if counted.is_empty() {
            "-".to_string()
        } else {
            let passed: u64 = counted.iter().map(|t| t.passed).sum();
            let failed: u64 = counted.iter().map(|t| t.failed).sum();
            format!("{passed}/{}", passed + failed)
        };
        let plan = if !evidence.forbidden.is_empty() {
            format!("{} forbidden", evidence.forbidden.len())
        } else if !evidence.outside_scope.is_empty() {
            format!("{} outside", evidence.outside_scope.len())
        } else {
            "ok".to_string()
        };
        // The most severe findings of the attempt's review: what the ranking weighs.
        let review = match evidence.findings {
            None => "-".to_string(),
            Some(f) if f.p0 > 0 => format!("{} P0", f.p0),
            Some(f) if f.p1 > 0 => format!("{} P1", f.p1),
            Some(f) if f.p2 + f.p3 > 0 => format!("{} minor", f.p2 + f.p3),
            Some(_) => "clean".to_string(),
        };
        let tokens = evidence.tokens.input + evidence.tokens.output;
        let cost = match evidence.cost_usd {
            Some(dollars) => format!("${dollars:.2}"),
            None if tokens > 0 => format!("{tokens} tok"),
            None => "-".to_string(),
        };
        rows.push([
            ranked.rank.to_string(),
            format!("#{} {}", evidence.n, evidence.agent),
            if ranked.passed { "passed" } else { "failed" }.to_string(),
            tests,
            format!("{} files +{} −{}", evidence.diff.files, evidence.diff.added, evidence.diff.removed),
            plan,
            evidence.new_warnings.len().to_string(),
            review,
            cost,
        ]);
    }
    let widths: Vec<usize> = (0..9).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push('\n');
    for (ranked, evidence) in comparison.ranking.iter().zip(&comparison.attempts) {
        out.push_str(&format!("{}. #{}: {}\n", ranked.rank, evidence.n, ranked.reason));
        for check in &evidence.checks {
            let mark = if check.passed { "✓" } else { "✗" };
            let counts =
                check.tests.as_ref().map(|t| format!(" {}/{}", t.passed, t.passed + t.failed)).unwrap_or_default();
            let how = if check.passed {
                String::new()
            } else if check.timed_out {
                " timed out".to_string()
            } else {
                check.exit_code.map_or_else(|| " killed".to_string(), |c| format!(" exit {c}"))
            };
            out.push_str(&format!(
                "   {mark} {}{counts}{how} ({:.1} s) · {}\n",
                check.name,
                check.seconds,
                check.log.strip_prefix(root).unwrap_or(&check.log).display()
            ));
        }
        if evidence.claimed_success == Some(true) && !ranked.passed {
            out.push_str("   ! the agent claimed success, but the checks say otherwise\n");
        }
    }
    out
}
