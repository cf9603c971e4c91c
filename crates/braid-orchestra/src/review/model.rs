//! The plain data of a review: what was reviewed, the findings braid kept, those it dropped and why, and
//! the overall verdict. `braid review --json` prints a [`Review`], the store keeps one per review, and
//! `braid pick --pr` turns one into pull-request review comments.

use serde::{Deserialize, Serialize};

use crate::compare::FindingCounts;

/// How severe a finding is. P0 must be fixed before anything ships; P3 is a nit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    /// P0 and P1: the findings that make `braid review` exit 1 and lower an attempt's rank.
    pub fn is_blocking(self) -> bool {
        matches!(self, Priority::P0 | Priority::P1)
    }

    /// The number as the schema spells it (0 for P0).
    pub fn number(self) -> u8 {
        self.into()
    }
}

impl From<Priority> for u8 {
    fn from(priority: Priority) -> u8 {
        match priority {
            Priority::P0 => 0,
            Priority::P1 => 1,
            Priority::P2 => 2,
            Priority::P3 => 3,
        }
    }
}

impl TryFrom<u8> for Priority {
    type Error = String;

    fn try_from(number: u8) -> Result<Priority, String> {
        match number {
            0 => Ok(Priority::P0),
            1 => Ok(Priority::P1),
            2 => Ok(Priority::P2),
            3 => Ok(Priority::P3),
            other => Err(format!("priority {other} is not one of 0, 1, 2, 3")),
        }
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{}", self.number())
    }
}

/// The reviewer's overall judgement of the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The change does what it sets out to do and introduces no problem worth blocking on.
    Correct,
    /// The change has at least one problem that should be fixed first.
    Incorrect,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Correct => "correct",
            Verdict::Incorrect => "incorrect",
        })
    }
}

/// One problem the reviewer reports in the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// One line, imperative or descriptive ("Off-by-one drops the last item").
    pub title: String,
    /// Why it is a problem: the input or situation that goes wrong and what happens.
    pub body: String,
    pub priority: Priority,
    /// How sure the reviewer is that this is a real problem, from 0 to 1.
    pub confidence: f64,
    /// The file, relative to the repository root, as it is after the change.
    pub file: String,
    /// The first and last line the finding is about, in the file after the change (1-based, inclusive).
    pub start_line: u32,
    pub end_line: u32,
    /// A test the reviewer wrote and ran to show the problem, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<TestEvidence>,
}

/// A test the reviewer wrote to demonstrate a finding, run in a scratch checkout of the reviewed code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEvidence {
    /// The file the reviewer wrote, relative to the checkout's root.
    pub path: String,
    /// The command braid ran.
    pub command: String,
    pub exit_code: Option<i32>,
    /// True when the command's exit shows the problem (the test failed on the reviewed code).
    pub demonstrates: bool,
    /// The end of the command's output.
    pub output: String,
}

/// Why braid left a finding the reviewer reported out of the review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// The reviewer's confidence was below the threshold.
    LowConfidence { threshold: f64 },
    /// The finding is about lines the change did not touch, nor any line near them.
    OutsideChange,
    /// The finding repeats an earlier kept finding (its index in `Review::findings`).
    Duplicate { of: usize },
    /// The finding names a file or lines that do not exist after the change.
    NoSuchLocation,
}

/// A finding braid dropped, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub finding: Finding,
    #[serde(flatten)]
    pub reason: DropReason,
}

/// What was reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReviewTarget {
    /// The working tree and index against HEAD.
    Uncommitted,
    /// The current HEAD against its merge base with `branch`.
    Base { branch: String },
    /// One commit against its first parent.
    Commit { rev: String },
    /// A revision range `from..to` as git understands it.
    Range { from: String, to: String },
    /// An attempt of a run: its commit against the run's base.
    Attempt { run: String, n: u32 },
}

impl std::fmt::Display for ReviewTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReviewTarget::Uncommitted => f.write_str("uncommitted changes"),
            ReviewTarget::Base { branch } => write!(f, "changes against {branch}"),
            ReviewTarget::Commit { rev } => write!(f, "commit {rev}"),
            ReviewTarget::Range { from, to } => write!(f, "{from}..{to}"),
            ReviewTarget::Attempt { run, n } => write!(f, "attempt {run}/{n}"),
        }
    }
}

/// A finished review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub target: ReviewTarget,
    /// The commit the change is measured from.
    pub base_commit: String,
    /// The reviewed commit; `None` for uncommitted changes.
    pub head_commit: Option<String>,
    /// The files the change touches, relative to the repository root.
    pub files: Vec<String>,
    pub verdict: Verdict,
    /// The reviewer's reasons for the verdict.
    pub explanation: String,
    /// How sure the reviewer is of the verdict, from 0 to 1.
    pub confidence: f64,
    /// The findings that survived braid's filters, most severe first.
    pub findings: Vec<Finding>,
    /// The findings braid dropped, with the reasons, in the order the reviewer gave them.
    pub dropped: Vec<Dropped>,
    /// The model that reviewed.
    pub model: String,
}

impl Review {
    /// The kept findings counted by priority.
    pub fn counts(&self) -> FindingCounts {
        let mut counts = FindingCounts::default();
        for finding in &self.findings {
            match finding.priority {
                Priority::P0 => counts.p0 += 1,
                Priority::P1 => counts.p1 += 1,
                Priority::P2 => counts.p2 += 1,
                Priority::P3 => counts.p3 += 1,
            }
        }
        counts
    }

    /// True when a P0 or P1 finding remains: `braid review` exits 1.
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.priority.is_blocking())
    }
}
