//! The approval policy applied to each tool call: which calls run without asking, which wait for a
//! decision (and whether approving lets them out of the sandbox), and the rules "approve for the
//! session" adds. Who answers is an `Approver`, supplied by the front end: a person at a prompt, or the
//! configured default where nobody can be asked.

use braid_protocol::{ApprovalDecision, ApprovalPolicy, ApprovalReason, ApprovalRequest, DecidedBy};
use braid_sandbox::safe_command;
use braid_tools::Exposure;
use futures::future::BoxFuture;

/// Answers approval requests.
pub trait Approver: Send + Sync {
    /// The decision on `request` and who made it. May wait as long as it likes: the session stops
    /// waiting (and aborts the turn) when the turn is interrupted.
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, (ApprovalDecision, DecidedBy)>;
}

/// Gives the same answer to every request: what `exec` uses where it cannot ask anyone.
#[derive(Debug, Clone, Copy)]
pub struct DefaultApprover(pub ApprovalDecision);

impl Approver for DefaultApprover {
    fn decide<'a>(&'a self, _request: &'a ApprovalRequest) -> BoxFuture<'a, (ApprovalDecision, DecidedBy)> {
        Box::pin(std::future::ready((self.0, DecidedBy::Default)))
    }
}

/// What to do with a call before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Run it; outside the sandbox when `unconfined`.
    Run { unconfined: bool },
    /// Ask first; approving runs it outside the sandbox when `unconfined`.
    Ask { reason: ApprovalReason, unconfined: bool, justification: Option<String> },
}

/// Programs whose first argument is a subcommand, so that approving `cargo test` for the session
/// covers `cargo test -p foo` but not `cargo publish`. For every other program the session rule is the
/// exact command: approving `rm -rf target` must not approve `rm -rf /`.
const SUBCOMMAND_PROGRAMS: &[&str] = &[
    "cargo", "git", "npm", "pnpm", "yarn", "npx", "go", "make", "just", "uv", "pip", "pip3", "docker", "podman",
    "kubectl", "gh", "rustup", "poetry", "bundle", "mvn", "gradle", "dotnet", "deno", "bun",
];

/// A command the user approved for the rest of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// One per simple command: its words, and whether further arguments may follow them. A later
    /// command matches when each of its simple commands matches one of them. `None` for a command braid
    /// cannot split, which then matches only itself.
    prefixes: Option<Vec<(Vec<String>, bool)>>,
    /// The whole argv, for the exact match.
    argv: Vec<String>,
    /// Whether the approval let the command out of the sandbox.
    unconfined: bool,
}

/// The policy and what the user approved so far in this session.
#[derive(Debug, Clone)]
pub(crate) struct Approvals {
    policy: ApprovalPolicy,
    /// Whether commands run confined at all; under `full-access` there is no sandbox to leave.
    confined: bool,
    rules: Vec<Rule>,
    edits_approved: bool,
    /// MCP tools approved for the session, as (server, tool).
    external_approved: Vec<(String, String)>,
}

impl Approvals {
    pub(crate) fn new(policy: ApprovalPolicy, sandbox: braid_sandbox::Policy) -> Approvals {
        Approvals {
            policy,
            confined: sandbox != braid_sandbox::Policy::FullAccess,
            rules: Vec::new(),
            edits_approved: false,
            external_approved: Vec::new(),
        }
    }

    /// What to do with a call that would do `exposure`.
    pub(crate) fn gate(&self, exposure: &Exposure) -> Gate {
        match exposure {
            Exposure::ReadOnly => Gate::Run { unconfined: false },
            Exposure::Edit if self.policy == ApprovalPolicy::Untrusted && !self.edits_approved => {
                Gate::Ask { reason: ApprovalReason::Untrusted, unconfined: false, justification: None }
            }
            Exposure::Edit => Gate::Run { unconfined: false },
            // An MCP tool runs in its server, outside braid's sandbox whatever the policy, so there is
            // nothing to escalate: only `untrusted` asks, and not for tools the server marks read-only.
            Exposure::External { server, tool, read_only, .. } => {
                let approved = self.external_approved.iter().any(|(s, t)| s == server && t == tool);
                if self.policy == ApprovalPolicy::Untrusted && !read_only && !approved {
                    Gate::Ask { reason: ApprovalReason::Untrusted, unconfined: false, justification: None }
                } else {
                    Gate::Run { unconfined: false }
                }
            }
            Exposure::Command { argv, escalation, .. } => {
                let escalate = escalation.is_some() && self.confined;
                match self.rule_for(argv) {
                    Some(unconfined) if unconfined || !escalate => return Gate::Run { unconfined },
                    _ => {}
                }
                match self.policy {
                    ApprovalPolicy::Untrusted if !safe_command::is_known_safe(argv) => {
                        Gate::Ask { reason: ApprovalReason::Untrusted, unconfined: false, justification: None }
                    }
                    ApprovalPolicy::OnRequest if escalate => Gate::Ask {
                        reason: ApprovalReason::Escalation,
                        unconfined: true,
                        justification: escalation.clone().filter(|j| !j.trim().is_empty()),
                    },
                    _ => Gate::Run { unconfined: false },
                }
            }
        }
    }

    /// Whether a command the sandbox refused may be offered to run again outside it.
    pub(crate) fn retries_denials(&self) -> bool {
        self.policy == ApprovalPolicy::OnFailure && self.confined
    }

    /// Remembers a call approved for the session.
    pub(crate) fn approve_for_session(&mut self, exposure: &Exposure, unconfined: bool) {
        match exposure {
            Exposure::ReadOnly => {}
            Exposure::Edit => self.edits_approved = true,
            Exposure::External { server, tool, .. } => {
                self.external_approved.push((server.clone(), tool.clone()));
            }
            Exposure::Command { argv, .. } => {
                let prefixes = safe_command::simple_commands(argv)
                    .map(|commands| commands.iter().map(|words| session_prefix(words)).collect());
                self.rules.push(Rule { prefixes, argv: argv.clone(), unconfined });
            }
        }
    }

    /// Whether a session rule covers `argv`, and if so whether it runs outside the sandbox (only when
    /// every rule it matched was approved that way).
    fn rule_for(&self, argv: &[String]) -> Option<bool> {
        if let Some(rule) = self.rules.iter().find(|r| r.argv == argv) {
            return Some(rule.unconfined);
        }
        let commands = safe_command::simple_commands(argv)?;
        let mut unconfined = true;
        let mut matched = false;
        for words in &commands {
            // A part known to only read needs no rule: `cargo test && git status` is covered by an
            // approved `cargo test`.
            if safe_command::is_known_safe(words) {
                continue;
            }
            let rule = self.rules.iter().find(|rule| {
                rule.prefixes.as_ref().is_some_and(|prefixes| {
                    prefixes
                        .iter()
                        .any(|(prefix, open)| if *open { words.starts_with(prefix) } else { words == prefix })
                })
            })?;
            unconfined &= rule.unconfined;
            matched = true;
        }
        matched.then_some(unconfined)
    }
}

/// The words "approve for the session" remembers for one simple command: the program and its
/// subcommand for programs that have subcommands (`true`: any arguments may follow), else the whole
/// command (`false`: only itself, though a match by prefix still allows trailing words to be absent).
fn session_prefix(words: &[String]) -> (Vec<String>, bool) {
    let program = words.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    let is_plain = |w: &String| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match (program, words.get(1)) {
        (Some(program), Some(sub))
            if SUBCOMMAND_PROGRAMS.contains(&program) && !sub.starts_with('-') && is_plain(sub) =>
        {
            (words[..2].to_vec(), true)
        }
        _ => (words.to_vec(), false),
    }
}

/// What "approve for the session" would cover, as a person reads it.
pub(crate) fn session_scope(exposure: &Exposure) -> String {
    match exposure {
        Exposure::ReadOnly => "nothing".to_string(),
        Exposure::Edit => "file edits in the workspace".to_string(),
        Exposure::External { server, tool, .. } => format!("every call of tool `{tool}` of MCP server `{server}`"),
        Exposure::Command { argv, .. } => match safe_command::simple_commands(argv) {
            Some(commands) => {
                let shown: Vec<String> = commands
                    .iter()
                    .map(|words| {
                        let (prefix, open) = session_prefix(words);
                        let text =
                            shlex::try_join(prefix.iter().map(String::as_str)).unwrap_or_else(|_| prefix.join(" "));
                        if open { format!("`{text} …`") } else { format!("`{text}`") }
                    })
                    .collect();
                shown.join(", ")
            }
            None => "this exact command".to_string(),
        },
    }
}

/// Whether an answer ends the turn as aborted. An interruption while the question was open is not an
/// abort: the turn ends as interrupted, which the turn loop reports itself.
pub(crate) fn aborts_turn(decision: ApprovalDecision, decided_by: DecidedBy) -> bool {
    decision == ApprovalDecision::Abort && decided_by != DecidedBy::Interrupt
}

/// What the model is told when a call it made was not approved.
pub(crate) fn refusal_output(decision: ApprovalDecision, decided_by: DecidedBy) -> String {
    let who = match decided_by {
        DecidedBy::User => "The user",
        DecidedBy::Default => {
            "Nobody could be asked (braid runs unattended), and the configured answer (approval_default)"
        }
        DecidedBy::Interrupt => "The user interrupted the turn and",
    };
    match decision {
        ApprovalDecision::Abort => format!("{who} stopped the turn instead of approving this call; it did not run."),
        _ => format!(
            "{who} declined this call; it did not run. Do not try to get the same effect another way: continue without it, or explain what you need and why."
        ),
    }
}

#[cfg(test)]
mod tests;
