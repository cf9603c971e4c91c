//! Approvals: when a tool call needs the user's consent (the policy), what the user is asked (the
//! request) and what they answered (the decision).

use serde::{Deserialize, Serialize};

use crate::FileChange;

/// When braid asks before running a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicy {
    /// Ask before every command that is not known to only read, and before every file edit.
    Untrusted,
    /// Run everything inside the sandbox without asking; the model may ask to run a command outside it,
    /// with a justification, and that is asked.
    OnRequest,
    /// Run everything inside the sandbox without asking; when the sandbox refuses a command, ask
    /// whether to run it again outside.
    OnFailure,
    /// Never ask: everything runs inside the sandbox, and refusals go back to the model.
    Never,
}

impl ApprovalPolicy {
    /// Every policy, in the order people read them.
    pub const ALL: [ApprovalPolicy; 4] =
        [ApprovalPolicy::Untrusted, ApprovalPolicy::OnRequest, ApprovalPolicy::OnFailure, ApprovalPolicy::Never];

    /// The name used in config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ApprovalPolicy::Untrusted => "untrusted",
            ApprovalPolicy::OnRequest => "on-request",
            ApprovalPolicy::OnFailure => "on-failure",
            ApprovalPolicy::Never => "never",
        }
    }

    /// Parses a name as used in config and on the command line.
    pub fn parse(name: &str) -> Option<ApprovalPolicy> {
        ApprovalPolicy::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Why a tool call needs approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalReason {
    /// The `untrusted` policy: the command is not known to only read, or the call edits files.
    Untrusted,
    /// The model asked to run the command outside the sandbox.
    Escalation,
    /// The sandbox refused the command; approving runs it again outside the sandbox.
    SandboxDenied,
}

/// What the user is asked about one tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub call_id: String,
    /// The tool the model called.
    pub tool: String,
    /// The command as a person would type it, for command calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where the command runs (or the edits apply).
    pub cwd: String,
    /// The files an edit would touch, for edit calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FileChange>,
    pub reason: ApprovalReason,
    /// Whether approving runs the call outside the sandbox.
    pub unconfined: bool,
    /// The model's reason for asking, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// What "approve for the session" would cover, as a person reads it (a command prefix such as
    /// `cargo test`, or "file edits").
    pub session_scope: String,
}

/// The answer to an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// Run this call, this once.
    Approve,
    /// Run this call, and the rest of the session runs calls within its `session_scope` without asking.
    ApproveForSession,
    /// Do not run it; the model is told and the turn goes on.
    Deny,
    /// Do not run it, and end the turn.
    Abort,
}

impl ApprovalDecision {
    /// The name used in config (`approval_default`) and in logs.
    pub fn name(self) -> &'static str {
        match self {
            ApprovalDecision::Approve => "approve",
            ApprovalDecision::ApproveForSession => "approve-for-session",
            ApprovalDecision::Deny => "deny",
            ApprovalDecision::Abort => "abort",
        }
    }

    /// Parses a name as used in config.
    pub fn parse(name: &str) -> Option<ApprovalDecision> {
        [
            ApprovalDecision::Approve,
            ApprovalDecision::ApproveForSession,
            ApprovalDecision::Deny,
            ApprovalDecision::Abort,
        ]
        .into_iter()
        .find(|d| d.name() == name)
    }

    /// Whether the call runs.
    pub fn approves(self) -> bool {
        matches!(self, ApprovalDecision::Approve | ApprovalDecision::ApproveForSession)
    }
}

/// Who answered an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// A person, at a prompt.
    User,
    /// The configured default, because nobody could be asked (`exec` without a terminal).
    Default,
    /// The turn was interrupted while the question was open.
    Interrupt,
}
