//! Scoring the reviewer: what one `braid review --json` run said about one case, whether it caught the
//! case's bug, and the per-model figures (recall, precision, verdict accuracy, time) over the whole set.
//!
//! The JSON read here is the subset of braid's `Review` the score needs; unknown fields are ignored so
//! that the reviewer can grow without breaking the benchmark.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cases::{BugSpot, CaseKind};

/// How many lines a finding may miss the bug by and still catch it: reviewers point at the call
/// rather than the argument, or at the loop header rather than its body.
pub const SLACK_LINES: u32 = 3;

/// One finding braid kept, as its JSON has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
    pub priority: u8,
    #[serde(default)]
    pub confidence: f64,
    #[serde(default)]
    pub title: String,
}

/// The reviewer's overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Correct,
    Incorrect,
}

#[derive(Debug, Deserialize)]
struct ReviewJson {
    findings: Vec<Finding>,
    verdict: Verdict,
}

/// What one review run produced, when it produced a usable review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reviewed {
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// 0, or 1 when a P0/P1 finding remained.
    pub exit_code: i32,
}

/// One review run on one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub wall: Duration,
    /// The review, or why the run failed (a crash, a time limit, output that is not a review).
    pub result: Result<Reviewed, String>,
}

/// Reads what `braid review --json` printed and how it exited. Exit codes 0 and 1 are answers (1 means
/// a P0/P1 finding remains); anything else, or output that is not a review, is a failure, returned as
/// its description.
pub fn parse_review(stdout: &str, code: Option<i32>) -> Result<Reviewed, String> {
    let exit_code = match code {
        Some(code @ (0 | 1)) => code,
        Some(other) => return Err(format!("exited with code {other}")),
        None => return Err("ended by a signal".to_owned()),
    };
    let review: ReviewJson = serde_json::from_str(stdout.trim())
        .map_err(|err| format!("printed no review JSON ({err}): {}", crate::report::one_line(stdout)))?;
    Ok(Reviewed { findings: review.findings, verdict: review.verdict, exit_code })
}

/// Whether `finding` points at `bug`: the same file, and its lines overlap the bug's widened by
/// [`SLACK_LINES`] on each side. A finding whose range is given backwards is read forwards.
pub fn catches(finding: &Finding, bug: &BugSpot) -> bool {
    let normalize = |path: &str| path.trim_start_matches("./").to_owned();
    if normalize(&finding.file) != normalize(&bug.file) {
        return false;
    }
    let (start, end) = if finding.start_line <= finding.end_line {
        (finding.start_line, finding.end_line)
    } else {
        (finding.end_line, finding.start_line)
    };
    let (bug_start, bug_end) = (bug.start_line.saturating_sub(SLACK_LINES), bug.end_line.saturating_add(SLACK_LINES));
    start <= bug_end && bug_start <= end
}

/// A case as the score sees it: its kind, its bug, and the run.
#[derive(Debug, Clone, Copy)]
pub struct Judged<'a> {
    pub kind: CaseKind,
    pub bug: Option<&'a BugSpot>,
    pub run: &'a Run,
}

impl Judged<'_> {
    /// Whether a kept finding catches the case's bug (never, for a clean case or a failed run).
    pub fn caught(&self) -> bool {
        match (&self.run.result, self.bug) {
            (Ok(review), Some(bug)) => review.findings.iter().any(|f| catches(f, bug)),
            _ => false,
        }
    }

    /// Whether the verdict matches the case: `incorrect` for a bug, `correct` for a clean change.
    pub fn verdict_right(&self) -> bool {
        let expected = if self.kind == CaseKind::Bug { Verdict::Incorrect } else { Verdict::Correct };
        matches!(&self.run.result, Ok(review) if review.verdict == expected)
    }
}

/// One model's figures over the whole set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub cases: usize,
    pub bug_cases: usize,
    /// Bug cases where a kept finding caught the bug.
    pub caught: usize,
    /// Kept findings over every case, and those among them that catch a bug.
    pub findings: usize,
    pub true_findings: usize,
    /// Clean cases with at least one kept finding.
    pub clean_flagged: usize,
    /// Cases whose verdict matched.
    pub verdicts_right: usize,
    /// Runs that crashed, timed out or printed no review; they count as neither catching nor right.
    pub failures: usize,
    /// `caught / bug_cases`; `None` without bug cases.
    pub recall: Option<f64>,
    /// `true_findings / findings`; `None` when the reviewer kept no finding at all.
    pub precision: Option<f64>,
    /// `verdicts_right / cases`; `None` without cases.
    pub verdict_accuracy: Option<f64>,
    /// Mean wall time per case, failed runs included, in seconds.
    pub mean_wall_secs: Option<f64>,
}

/// Scores one model's runs over the set.
pub fn score(judged: &[Judged<'_>]) -> Score {
    let ratio = |part: usize, whole: usize| if whole == 0 { None } else { Some(part as f64 / whole as f64) };
    let bug_cases = judged.iter().filter(|j| j.kind == CaseKind::Bug).count();
    let caught = judged.iter().filter(|j| j.caught()).count();
    let mut findings = 0;
    let mut true_findings = 0;
    let mut clean_flagged = 0;
    for case in judged {
        let Ok(review) = &case.run.result else { continue };
        findings += review.findings.len();
        if let Some(bug) = case.bug {
            true_findings += review.findings.iter().filter(|f| catches(f, bug)).count();
        }
        if case.kind == CaseKind::Clean && !review.findings.is_empty() {
            clean_flagged += 1;
        }
    }
    let verdicts_right = judged.iter().filter(|j| j.verdict_right()).count();
    let failures = judged.iter().filter(|j| j.run.result.is_err()).count();
    let wall: f64 = judged.iter().map(|j| j.run.wall.as_secs_f64()).sum();
    Score {
        cases: judged.len(),
        bug_cases,
        caught,
        findings,
        true_findings,
        clean_flagged,
        verdicts_right,
        failures,
        recall: ratio(caught, bug_cases),
        precision: ratio(true_findings, findings),
        verdict_accuracy: ratio(verdicts_right, judged.len()),
        mean_wall_secs: if judged.is_empty() { None } else { Some(wall / judged.len() as f64) },
    }
}

/// A ratio as a table cell: `0.75 (3/4)`, or `n/a`.
pub fn ratio_cell(value: Option<f64>, part: usize, whole: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2} ({part}/{whole})"))
}
