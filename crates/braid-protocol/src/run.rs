//! Events of a best-of-N run (`braid run`): attempts changing state, and each attempt's own agent events,
//! so that the terminal progress, `--json` consumers and later the dashboard follow a run the same way.

use serde::{Deserialize, Serialize};

use crate::{AgentEvent, Usage};

/// Something that happened in a run. `n` numbers attempts from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEvent {
    /// The run is recorded and its attempts are about to start.
    RunStarted { run: String, base: String, attempts: Vec<AttemptInfo>, resumed: bool },
    /// An attempt moved to `state` (one of the store's attempt states, e.g. `running`, `committed`).
    AttemptState { n: u32, state: String, note: Option<String> },
    /// An event of the agent working in attempt `n`.
    Agent { n: u32, event: AgentEvent },
    /// A step of attempt `n` beyond its agent's own events, in one line for people: a plan milestone
    /// started or accepted, a check passed or failed.
    Progress { n: u32, text: String },
    /// Attempt `n` is over: committed (with or without a change), failed or cancelled.
    AttemptFinished { n: u32, summary: AttemptSummary },
    /// Every attempt is over.
    RunFinished { run: String, committed: u32, failed: u32, cancelled: u32 },
}

/// What an attempt is, as announced when the run starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptInfo {
    pub n: u32,
    /// The agent backend, e.g. `braid`, `codex`, `cmd:...`.
    pub agent: String,
    /// The approach this attempt was asked to take, when the run has several.
    pub approach: Option<String>,
    /// The attempt's branch, `braid/<run>/<n>`.
    pub branch: String,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptSummary {
    /// `committed`, `failed` or `cancelled`.
    pub state: String,
    /// The commit on the attempt's branch holding its work; `None` when it changed nothing.
    pub commit: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
    pub turns: u32,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub elapsed_ms: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
}
