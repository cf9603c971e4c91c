//! The plain data of a comparison: the evidence gathered for each attempt of a run and the ranking built
//! from it. `braid compare --json` prints a [`Comparison`]; the HTML report renders one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checks::{CheckOutcome, CheckSource, CheckSpec, Warning};
use crate::store::{AttemptState, Tokens};

/// A run's attempts compared: the checks, each attempt's evidence and the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub run: RunInfo,
    /// The plan's title and acceptance criteria, when the run had a plan that still parses.
    pub plan: Option<PlanInfo>,
    /// The checks run on every attempt, in the order they are declared.
    pub checks: Vec<CheckSpec>,
    pub check_source: CheckSource,
    /// Every attempt, best first (the order of `ranking`).
    pub attempts: Vec<Evidence>,
    /// One entry per attempt, best first.
    pub ranking: Vec<Ranked>,
    pub generated_at: DateTime<Utc>,
}

/// The run being compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub task: String,
    pub base_commit: String,
    pub plan_path: Option<String>,
}

/// The parts of the plan shown next to the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub title: Option<String>,
    /// Each milestone's `Acceptance:` line, in order.
    pub acceptance: Vec<Criterion>,
    /// The body of the Validation and Acceptance section, as written (Markdown).
    pub validation: Option<String>,
    pub scope: Vec<String>,
    pub forbidden: Vec<String>,
}

/// One acceptance criterion of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub milestone: u32,
    pub title: String,
    pub text: String,
    /// The checks that decide it (the milestone's `Checks:` line, or every check).
    pub checks: Vec<String>,
}

/// Everything known about one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub n: u32,
    pub agent: String,
    pub approach: Option<String>,
    pub branch: String,
    /// The attempt's commit; `None` when it never committed (then it has no diff and its checks did not
    /// run).
    pub commit: Option<String>,
    pub state: AttemptState,
    /// One per check of the comparison, in the same order; empty when there was nothing to check.
    pub checks: Vec<CheckOutcome>,
    pub diff: DiffStats,
    /// Changed files outside the plan's `scope` (empty without a plan).
    pub outside_scope: Vec<String>,
    /// Changed files matching the plan's `forbidden` globs.
    pub forbidden: Vec<String>,
    /// Warnings of the lint checks that the base commit does not have.
    pub new_warnings: Vec<Warning>,
    /// Review findings by priority; `None` when the attempt has not been reviewed.
    pub findings: Option<FindingCounts>,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
    /// From the attempt's start to its end, when both are known.
    pub wall_seconds: Option<f64>,
    /// Whether the agent said it succeeded; `None` when it did not say.
    pub claimed_success: Option<bool>,
    /// The agent's last message, when it left one.
    pub final_message: Option<String>,
    /// The attempt's change against the base commit as a unified diff (for the report).
    pub patch: String,
}

/// The size of an attempt's change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffStats {
    pub files: u64,
    pub added: u64,
    pub removed: u64,
}

/// Review findings counted by priority (P0 is the most severe).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    pub p0: u32,
    pub p1: u32,
    pub p2: u32,
    pub p3: u32,
}

/// An attempt's place in the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1 is the best.
    pub rank: u32,
    pub n: u32,
    /// Whether every required check passed (and the attempt committed).
    pub passed: bool,
    /// One line saying why the attempt is where it is, naming the evidence that decided it.
    pub reason: String,
}
