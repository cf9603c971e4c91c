//! What `braid pick --pr` sends to GitHub, as pure functions: the pull request's title and Markdown body
//! (the plan's purpose or the task, the attempt's check matrix, the review's verdict) and which review
//! findings become comments on diff lines. GitHub accepts a comment only on lines of the pull request's
//! diff hunks (others are a 422 that fails the whole review), so a finding elsewhere goes in the body.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::RangeInclusive;

use crate::checks::CheckOutcome;
use crate::plan::{Plan, SectionKind};
use crate::review::{ChangedLines, Finding, Review};

/// The longest title GitHub shows without cutting it; longer first lines are shortened.
const TITLE_MAX: usize = 120;

/// The parts of a plan a pull request shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanSummary {
    /// The plan's `# ` heading.
    pub title: Option<String>,
    /// The body of its Purpose / Big Picture section, trimmed.
    pub purpose: Option<String>,
}

impl PlanSummary {
    /// Reads the title and purpose from a plan's text (an unparsable plan gives an empty summary).
    pub fn from_text(text: &str) -> PlanSummary {
        let (plan, _) = Plan::parse(text);
        let purpose = plan
            .section(SectionKind::Purpose)
            .map(|section| section.body_text(text).trim().to_string())
            .filter(|purpose| !purpose.is_empty());
        PlanSummary { title: plan.title.map(|title| title.text.trim().to_string()), purpose }
    }
}

/// Everything the pull request is made from.
#[derive(Debug, Clone)]
pub struct PrInput<'a> {
    pub run_id: &'a str,
    pub n: u32,
    /// The run's task as the user gave it (may be empty for a plan-driven run).
    pub task: &'a str,
    pub plan: Option<&'a PlanSummary>,
    /// The checks stored for this attempt's current commit.
    pub checks: &'a [CheckOutcome],
    /// The stored review of the attempt's current commit, if any.
    pub review: Option<&'a Review>,
    /// The attempt's unified diff against the pull request's base.
    pub patch: &'a str,
}

/// A finding placed on lines of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedComment {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Markdown.
    pub body: String,
}

/// The pull request to open and the review comments to post on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrDraft {
    pub title: String,
    pub body: String,
    /// The findings placed on diff lines; empty when there is no review or none could be placed.
    pub comments: Vec<PlacedComment>,
    /// The body of the review that carries the comments.
    pub review_body: String,
}

/// Builds the pull request for `input`.
pub fn draft(input: &PrInput<'_>) -> PrDraft {
    let hunks = hunks(input.patch);
    let (placed, unplaced) = match input.review {
        Some(review) => place_findings(&review.findings, &hunks),
        None => (Vec::new(), Vec::new()),
    };
    let comments: Vec<PlacedComment> = placed
        .into_iter()
        .map(|finding| PlacedComment {
            path: finding.file.clone(),
            start_line: finding.start_line,
            end_line: finding.end_line,
            body: comment_body(finding),
        })
        .collect();
    let review_body = match input.review {
        Some(review) => format!(
            "braid's review: **{}** ({} finding(s) on these lines; the rest are in the description).",
            review.verdict,
            comments.len()
        ),
        None => String::new(),
    };
    PrDraft { title: title(input.task, input.plan), body: body(input, &unplaced), comments, review_body }
}

/// The title: the plan's title, else the task's first non-empty line, else the attempt's branch.
pub fn title(task: &str, plan: Option<&PlanSummary>) -> String {
    let chosen = plan
        .and_then(|plan| plan.title.clone())
        .filter(|title| !title.trim().is_empty())
        .or_else(|| task.lines().map(str::trim).find(|line| !line.is_empty()).map(str::to_string))
        .unwrap_or_else(|| "braid attempt".to_string());
    let chosen = chosen.trim();
    if chosen.chars().count() <= TITLE_MAX {
        return chosen.to_string();
    }
    let cut: String = chosen.chars().take(TITLE_MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The Markdown body: summary, checks, review, and the findings that could not go on diff lines.
fn body(input: &PrInput<'_>, unplaced: &[&Finding]) -> String {
    let mut out = String::new();
    out.push_str("## Summary\n\n");
    match (input.plan.and_then(|plan| plan.purpose.as_deref()), input.task.trim()) {
        (Some(purpose), _) => out.push_str(purpose),
        (None, "") => out.push_str("(no task text was recorded for this run)"),
        (None, task) => out.push_str(task),
    }
    let _ = write!(out, "\n\nMade by braid: attempt {} of run `{}`.\n\n", input.n, input.run_id);
    out.push_str(&check_matrix(input.checks, input.run_id));
    if let Some(review) = input.review {
        let _ = write!(out, "\n## Review\n\n**Verdict: {}**", review.verdict);
        let counts = review.counts();
        let _ = writeln!(
            out,
            " ({} P0, {} P1, {} P2, {} P3; reviewed by {})\n",
            counts.p0, counts.p1, counts.p2, counts.p3, review.model
        );
        out.push_str(review.explanation.trim());
        out.push('\n');
        if !unplaced.is_empty() {
            out.push_str("\n### Findings outside the diff\n\n");
            for finding in unplaced {
                let _ = writeln!(
                    out,
                    "- **{}** {} (`{}`, {})\n\n  {}",
                    finding.priority,
                    finding.title.trim(),
                    finding.file,
                    line_span(finding.start_line, finding.end_line),
                    finding.body.trim().replace('\n', "\n  ")
                );
            }
        }
    }
    out
}

/// The check matrix as a Markdown table, or a line saying how to run the checks.
fn check_matrix(checks: &[CheckOutcome], run_id: &str) -> String {
    if checks.is_empty() {
        return format!(
            "## Checks\n\nNo checks were run on this attempt; `braid compare {run_id}` runs the plan's checks on every attempt.\n"
        );
    }
    let mut out = String::from("## Checks\n\n| Check | Result | Tests | Time |\n|---|---|---|---|\n");
    for check in checks {
        let result = if check.passed {
            "✅ passed".to_string()
        } else if check.timed_out {
            "❌ timed out".to_string()
        } else {
            match check.exit_code {
                Some(code) => format!("❌ failed (exit {code})"),
                None => "❌ failed".to_string(),
            }
        };
        let result = if check.required { result } else { format!("{result} (optional)") };
        let tests = check
            .tests
            .as_ref()
            .map(|t| format!("{} passed, {} failed, {} skipped", t.passed, t.failed, t.skipped))
            .unwrap_or_else(|| "–".to_string());
        let _ = writeln!(out, "| `{}` | {result} | {tests} | {:.1}s |", check.name.replace('|', "\\|"), check.seconds);
    }
    out
}

/// The comment posted for a placed finding.
fn comment_body(finding: &Finding) -> String {
    let mut body = format!("**{}** {}\n\n{}", finding.priority, finding.title.trim(), finding.body.trim());
    let _ = write!(body, "\n\n_Confidence {:.0}%._", finding.confidence * 100.0);
    if let Some(test) = &finding.test {
        let verb = if test.demonstrates { "shows the problem" } else { "did not show the problem" };
        let _ = write!(body, " A test (`{}`, run as `{}`) {verb}.", test.path, test.command);
    }
    body
}

fn line_span(start: u32, end: u32) -> String {
    if start == end { format!("line {start}") } else { format!("lines {start}–{end}") }
}

/// The new-side line ranges of each file's hunks in a unified diff: the lines GitHub accepts review
/// comments on.
pub fn hunks(patch: &str) -> BTreeMap<String, Vec<RangeInclusive<u32>>> {
    ChangedLines::parse(patch).into_hunks()
}

/// Splits findings into those whose whole line range lies inside one hunk of their file (comments) and
/// the others (for the body), keeping their order.
pub fn place_findings<'f>(
    findings: &'f [Finding],
    hunks: &BTreeMap<String, Vec<RangeInclusive<u32>>>,
) -> (Vec<&'f Finding>, Vec<&'f Finding>) {
    findings.iter().partition(|finding| {
        let (start, end) = (finding.start_line.min(finding.end_line), finding.start_line.max(finding.end_line));
        start >= 1
            && hunks
                .get(&finding.file)
                .is_some_and(|ranges| ranges.iter().any(|range| range.contains(&start) && range.contains(&end)))
    })
}

#[cfg(test)]
mod tests;
