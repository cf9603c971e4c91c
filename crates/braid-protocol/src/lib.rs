//! Plain data shared by every braid crate: conversation items, model stream events, agent events, tool
//! specifications, approvals, usage figures and the events of best-of-N runs.
//!
//! This crate does no IO and depends on no async runtime or HTTP stack, so that the model clients, the
//! agent core, the front ends and the dashboard can all speak the same types without pulling each other in.

mod approval;
mod event;
mod item;
mod prompt;
mod run;

pub use approval::{ApprovalDecision, ApprovalPolicy, ApprovalReason, ApprovalRequest, DecidedBy};
pub use event::{
    AgentEvent, CommandStatus, CompactionTrigger, FileChange, FileChangeKind, ModelEvent, PlanItem, PlanStatus,
    ToolEffect,
};
pub use item::{Item, Role, ToolImage};
pub use prompt::{ContextUsage, Prompt, ReasoningEffort, ToolChoice, ToolSpec, Usage};
pub use run::{AttemptInfo, AttemptSummary, RunEvent};

pub mod thread_event;
