//! Unit tests of the approval gate: one table per policy, and the session rules.

use std::path::PathBuf;

use braid_protocol::{ApprovalDecision, ApprovalPolicy, ApprovalReason, DecidedBy};
use braid_sandbox::Policy;
use braid_tools::Exposure;

use super::*;

fn command(line: &str) -> Exposure {
    Exposure::Command {
        argv: vec!["bash".into(), "-lc".into(), line.into()],
        cwd: PathBuf::from("/repo"),
        escalation: None,
    }
}

fn escalated(line: &str) -> Exposure {
    match command(line) {
        Exposure::Command { argv, cwd, .. } => {
            Exposure::Command { argv, cwd, escalation: Some("needs the network".into()) }
        }
        other => other,
    }
}

const RUN: Gate = Gate::Run { unconfined: false };

fn ask(reason: ApprovalReason, unconfined: bool) -> Gate {
    let justification = (reason == ApprovalReason::Escalation).then(|| "needs the network".to_string());
    Gate::Ask { reason, unconfined, justification }
}

#[test]
fn untrusted_asks_for_everything_but_known_safe_commands_and_reads() {
    let approvals = Approvals::new(ApprovalPolicy::Untrusted, Policy::WorkspaceWrite);
    assert_eq!(approvals.gate(&command("git status && ls -la")), RUN);
    assert_eq!(approvals.gate(&command("cargo test")), ask(ApprovalReason::Untrusted, false));
    assert_eq!(approvals.gate(&command("ls; rm -rf ~")), ask(ApprovalReason::Untrusted, false));
    assert_eq!(approvals.gate(&Exposure::Edit), ask(ApprovalReason::Untrusted, false));
    assert_eq!(approvals.gate(&Exposure::ReadOnly), RUN);
    assert!(!approvals.retries_denials());
}

#[test]
fn on_request_asks_only_when_the_model_asks_to_leave_the_sandbox() {
    let approvals = Approvals::new(ApprovalPolicy::OnRequest, Policy::WorkspaceWrite);
    assert_eq!(approvals.gate(&command("rm -rf target")), RUN);
    assert_eq!(approvals.gate(&Exposure::Edit), RUN);
    assert_eq!(approvals.gate(&escalated("cargo publish")), ask(ApprovalReason::Escalation, true));
    // Under full-access there is no sandbox to leave, so there is nothing to ask.
    let open = Approvals::new(ApprovalPolicy::OnRequest, Policy::FullAccess);
    assert_eq!(open.gate(&escalated("cargo publish")), RUN);
}

#[test]
fn on_failure_and_never_run_everything_confined() {
    for policy in [ApprovalPolicy::OnFailure, ApprovalPolicy::Never] {
        let approvals = Approvals::new(policy, Policy::WorkspaceWrite);
        assert_eq!(approvals.gate(&command("curl https://example.com")), RUN, "{policy:?}");
        assert_eq!(approvals.gate(&escalated("curl https://example.com")), RUN, "{policy:?}");
        assert_eq!(approvals.retries_denials(), policy == ApprovalPolicy::OnFailure);
    }
    assert!(!Approvals::new(ApprovalPolicy::OnFailure, Policy::FullAccess).retries_denials());
}

#[test]
fn a_session_rule_covers_a_subcommand_prefix_but_other_programs_only_exactly() {
    let mut approvals = Approvals::new(ApprovalPolicy::Untrusted, Policy::WorkspaceWrite);
    approvals.approve_for_session(&command("cargo test -p core"), false);
    assert_eq!(approvals.gate(&command("cargo test --workspace")), RUN);
    assert_eq!(
        approvals.gate(&Exposure::Command {
            argv: vec!["cargo".into(), "test".into()],
            cwd: PathBuf::from("/repo"),
            escalation: None
        }),
        RUN,
        "the same command without the shell wrapper"
    );
    assert_eq!(approvals.gate(&command("cargo test && git status")), RUN, "each part is covered");
    assert_eq!(approvals.gate(&command("cargo publish")), ask(ApprovalReason::Untrusted, false));
    assert_eq!(approvals.gate(&command("cargo test; rm -rf /")), ask(ApprovalReason::Untrusted, false));

    approvals.approve_for_session(&command("rm -rf target"), false);
    assert_eq!(approvals.gate(&command("rm -rf target")), RUN);
    assert_eq!(approvals.gate(&command("rm -rf /")), ask(ApprovalReason::Untrusted, false));
    assert_eq!(approvals.gate(&command("rm -rf target /")), ask(ApprovalReason::Untrusted, false));

    // A script braid cannot split is remembered as itself only.
    approvals.approve_for_session(&command("echo $HOME > out"), false);
    assert_eq!(approvals.gate(&command("echo $HOME > out")), RUN);
    assert_eq!(approvals.gate(&command("echo $HOME > other")), ask(ApprovalReason::Untrusted, false));

    approvals.approve_for_session(&Exposure::Edit, false);
    assert_eq!(approvals.gate(&Exposure::Edit), RUN);
}

#[test]
fn an_unconfined_session_rule_lets_matching_commands_out_but_a_confined_one_does_not() {
    let mut approvals = Approvals::new(ApprovalPolicy::OnRequest, Policy::WorkspaceWrite);
    approvals.approve_for_session(&escalated("npm install left-pad"), true);
    assert_eq!(approvals.gate(&escalated("npm install react")), Gate::Run { unconfined: true });
    assert_eq!(approvals.gate(&command("npm install react")), Gate::Run { unconfined: true });

    let mut approvals = Approvals::new(ApprovalPolicy::OnRequest, Policy::WorkspaceWrite);
    approvals.approve_for_session(&command("cargo build"), false);
    assert_eq!(approvals.gate(&escalated("cargo build")), ask(ApprovalReason::Escalation, true));
}

#[test]
fn session_scope_says_what_approving_for_the_session_covers() {
    let check = |exposure: Exposure, expected: &str| assert_eq!(session_scope(&exposure), expected);
    check(command("cargo test -p core"), "`cargo test …`");
    check(command("rm -rf target"), "`rm -rf target`");
    check(command("git add -A && git commit -m 'x y'"), "`git add …`, `git commit …`");
    check(command("cat $FILE"), "this exact command");
    check(Exposure::Edit, "file edits in the workspace");
}

#[test]
fn refusals_tell_the_model_who_refused() {
    let text = refusal_output(ApprovalDecision::Deny, DecidedBy::Default);
    assert!(text.contains("approval_default") && text.contains("did not run"), "{text}");
    let text = refusal_output(ApprovalDecision::Abort, DecidedBy::User);
    assert!(text.starts_with("The user stopped the turn"), "{text}");
}

fn external(tool: &str, read_only: bool) -> Exposure {
    Exposure::External { server: "fs".into(), tool: tool.into(), arguments: "{}".into(), read_only }
}

#[test]
fn mcp_calls_ask_only_under_untrusted_and_not_for_read_only_tools() {
    let check = |policy: ApprovalPolicy, read_only: bool, expected: Gate| {
        let approvals = Approvals::new(policy, Policy::WorkspaceWrite);
        assert_eq!(approvals.gate(&external("write_file", read_only)), expected, "{policy:?} read_only={read_only}");
    };
    check(ApprovalPolicy::Untrusted, false, ask(ApprovalReason::Untrusted, false));
    check(ApprovalPolicy::Untrusted, true, RUN);
    check(ApprovalPolicy::OnRequest, false, RUN);
    check(ApprovalPolicy::OnFailure, false, RUN);
    check(ApprovalPolicy::Never, false, RUN);
}

#[test]
fn approving_an_mcp_tool_for_the_session_covers_that_tool_only() {
    let mut approvals = Approvals::new(ApprovalPolicy::Untrusted, Policy::WorkspaceWrite);
    approvals.approve_for_session(&external("write_file", false), false);
    assert_eq!(approvals.gate(&external("write_file", false)), RUN);
    assert_eq!(approvals.gate(&external("move_file", false)), ask(ApprovalReason::Untrusted, false));
    assert_eq!(session_scope(&external("write_file", false)), "every call of tool `write_file` of MCP server `fs`");
}
