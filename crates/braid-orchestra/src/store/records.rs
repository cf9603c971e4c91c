//! The plain data going into the store (`NewRun`, `NewAttempt`, `AttemptUpdate`) and coming out of it
//! (`RunSummary`, `RunDetail` and their parts).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::process::ProcessStamp;
use super::state::{AttemptState, RunState};

/// A run about to start, as `Store::create_run` records it (in state `running`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewRun {
    /// From `new_run_id`.
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The task as the user gave it (or the plan's title for `--plan`).
    pub task: String,
    pub plan_path: Option<PathBuf>,
    /// The commit every attempt starts from.
    pub base_commit: String,
    /// The branch the run started from (`braid pick --merge` merges into it); `None` for a bare commit.
    pub base_ref: Option<String>,
    /// The agents as the user spelled them, e.g. `braid:2,codex:1`.
    pub agents: String,
    /// How many attempts the run makes.
    pub attempts: u32,
    /// How many attempts run at once; 0 is recorded as 1.
    pub concurrency: u32,
    /// The braid process running it (`ProcessStamp::current()`); `None` where it cannot be known, and
    /// such a run is never reported as interrupted on its own.
    pub owner: Option<ProcessStamp>,
}

/// An attempt of a run, as `Store::add_attempt` records it (in state `pending`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewAttempt {
    /// 1-based number within the run.
    pub n: u32,
    /// The backend that runs it: `braid`, `codex`, `claude` or `cmd:<template>`.
    pub agent: String,
    pub approach: Option<String>,
    /// `braid/<run>/<n>`.
    pub branch: String,
    /// `.braid/worktrees/<run>/<n>`.
    pub worktree: PathBuf,
    /// The port handed to the setup script and agent as `BRAID_PORT`.
    pub port: Option<u16>,
}

/// Token counts of an attempt, summed over its turns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    pub input: u64,
    /// The part of `input` served from the provider's prompt cache.
    pub cached: u64,
    pub output: u64,
}

impl Tokens {
    /// Adds `other` to these counts, saturating rather than wrapping.
    pub fn add(&mut self, other: Tokens) {
        self.input = self.input.saturating_add(other.input);
        self.cached = self.cached.saturating_add(other.cached);
        self.output = self.output.saturating_add(other.output);
    }
}

impl From<&braid_protocol::Usage> for Tokens {
    fn from(usage: &braid_protocol::Usage) -> Self {
        Tokens { input: usage.input_tokens, cached: usage.cached_input_tokens, output: usage.output_tokens }
    }
}

/// A partial update of an attempt's progress: each `Some` field replaces the stored value, each `None`
/// leaves it as it is. Totals (turns, tokens, cost) are absolute values, not increments, so a repeated
/// update is harmless.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AttemptUpdate {
    pub turns: Option<u32>,
    pub tokens: Option<Tokens>,
    pub cost_usd: Option<f64>,
    /// A one-line description of what the agent did last, for the live progress line.
    pub last_action: Option<String>,
    /// The sha of the attempt's commit.
    pub commit: Option<String>,
    pub error: Option<String>,
    pub port: Option<u16>,
    /// The agent's last message.
    pub final_message: Option<String>,
    /// Whether the agent reported success (for braid's own agent: its turn, or with a plan every
    /// milestone, completed; for an external one: its own result), before any check ran.
    pub claimed_success: Option<bool>,
}

/// A run as stored, with its state as this machine sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub task: String,
    pub plan_path: Option<PathBuf>,
    pub base_commit: String,
    /// The branch the run started from; `None` for a bare commit or a run recorded before schema 3.
    pub base_ref: Option<String>,
    pub agents: String,
    pub attempts: u32,
    pub concurrency: u32,
    /// The recorded state, except that a `running` run whose owner process is gone reads `interrupted`.
    pub state: RunState,
    /// The state as written in the database, before the liveness check.
    pub recorded_state: RunState,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub owner: Option<ProcessStamp>,
}

/// One line of `braid runs`: a run with its attempts counted by state and its token and cost totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunSummary {
    pub run: RunRecord,
    /// How many attempts are in each state; states no attempt is in are absent.
    pub attempts_by_state: BTreeMap<AttemptState, u32>,
    pub tokens: Tokens,
    /// The sum of the attempts' known costs; `None` when no attempt reported one.
    pub cost_usd: Option<f64>,
}

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptRecord {
    pub run_id: String,
    pub n: u32,
    pub agent: String,
    pub approach: Option<String>,
    pub branch: String,
    pub worktree: PathBuf,
    pub state: AttemptState,
    pub turns: u32,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
    pub commit: Option<String>,
    pub error: Option<String>,
    /// When the attempt last left `pending`.
    pub started_at: Option<DateTime<Utc>>,
    /// When the attempt reached `committed`, `failed` or `cancelled`.
    pub finished_at: Option<DateTime<Utc>>,
    pub last_action: Option<String>,
    pub port: Option<u16>,
    pub final_message: Option<String>,
    pub claimed_success: Option<bool>,
}

/// One recorded change of an attempt's state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TransitionRecord {
    pub n: u32,
    pub from: AttemptState,
    pub to: AttemptState,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// How many events of one kind an attempt produced (tool calls, messages, errors…).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventCount {
    pub n: u32,
    pub kind: String,
    pub count: u64,
}

/// Everything `braid show <run>` needs: the run, its attempts (by number), every transition (in the
/// order they happened) and the event counts (by attempt, then kind).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunDetail {
    pub run: RunRecord,
    pub attempts: Vec<AttemptRecord>,
    pub transitions: Vec<TransitionRecord>,
    pub events: Vec<EventCount>,
}
