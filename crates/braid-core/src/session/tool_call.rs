//! Running one tool call: the approval gate before it, the sandbox it runs in (or, once approved,
//! outside it), the offer to run it again outside when the sandbox refused it, and the output recorded
//! for the model, cut to the budget.

use std::sync::Arc;
use std::time::Instant;

use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalReason, ApprovalRequest, DecidedBy, Item, ToolEffect, ToolImage,
};
use braid_tools::Exposure;

use super::{CancellationToken, MIN_TOOL_OUTPUT_TOKENS, Session, SessionError};
use crate::approval::{self, Gate};
use crate::compaction::PlanState;
use crate::context;

impl Session {
    /// Most tokens one tool output may take: the configured limit, else a tenth of the window within
    /// 256..=10 000 tokens.
    pub(super) fn tool_output_tokens(&self) -> u64 {
        self.options
            .tool_output_token_limit
            .unwrap_or_else(|| self.window.map_or(10_000, |w| (w / 10).clamp(MIN_TOOL_OUTPUT_TOKENS, 10_000)))
    }

    /// Most tokens all the outputs of one response may take together: a quarter of the window.
    pub(super) fn batch_output_tokens(&self) -> u64 {
        self.window.map_or(40_000, |w| w / 4).max(self.tool_output_tokens())
    }

    /// Runs one tool call and records its output, cut to `cap_tokens`. An interruption while the tool
    /// runs still records an output, so the history stays valid for the next request. Returns the
    /// tokens the output takes.
    pub(super) async fn run_tool(
        &mut self,
        call_id: String,
        name: String,
        arguments: String,
        cap_tokens: u64,
        cancel: &CancellationToken,
    ) -> Result<u64, SessionError> {
        let (effect, exposure) = self.tools.inspect(&self.tool_ctx, &name, &arguments);
        let call = PendingCall { call_id: &call_id, name: &name, effect: &effect, exposure: &exposure };
        // Ask before announcing the call, so front ends show the question, then the call that follows.
        let gate = self.approvals.gate(&exposure);
        let verdict = match gate {
            Gate::Run { unconfined } => Ok(unconfined),
            Gate::Ask { reason, unconfined, justification } => {
                let (decision, decided_by) = self.ask(&call, reason, unconfined, justification, cancel).await;
                if decision.approves() { Ok(unconfined) } else { Err((decision, decided_by)) }
            }
        };
        self.emit(AgentEvent::ToolCallBegin {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
            effect: effect.clone(),
        });
        let cap_bytes = self.meter.bytes_for_tokens(cap_tokens);
        // Tools get a little less than the cap, so that their own cutting (which pages a file or keeps a
        // command's head and tail) usually suffices, and the session's cut below is only a backstop for
        // what they add around it.
        self.tool_ctx.output_limit = Some(cap_bytes - cap_bytes / 10);
        let started = Instant::now();
        let mut abort = false;
        let result = match verdict {
            Ok(unconfined) => {
                let mut result = self.dispatch(&call_id, &name, &arguments, unconfined, cancel).await;
                if result.sandbox_denied && !unconfined && self.approvals.retries_denials() && !cancel.is_cancelled() {
                    let (decision, decided_by) =
                        self.ask(&call, ApprovalReason::SandboxDenied, true, None, cancel).await;
                    if decision.approves() {
                        let retried = self.dispatch(&call_id, &name, &arguments, true, cancel).await;
                        result = braid_tools::ToolResult {
                            output: format!(
                                "The sandbox refused this command, and the user approved running it again outside the sandbox.\n{}",
                                retried.output
                            ),
                            ..retried
                        };
                    } else {
                        result.output.push_str(&format!(
                            "\n[braid: running it outside the sandbox was not approved. {}]",
                            approval::refusal_output(decision, decided_by)
                        ));
                        abort = approval::aborts_turn(decision, decided_by);
                    }
                }
                result
            }
            Err((decision, decided_by)) => {
                abort = approval::aborts_turn(decision, decided_by);
                braid_tools::ToolResult {
                    effect: not_run(effect),
                    ..braid_tools::ToolResult::error(approval::refusal_output(decision, decided_by))
                }
            }
        };
        let output = context::cap_output(&result.output, cap_bytes, &self.meter);
        let spent = self.meter.tokens_for_bytes(output.len() as u64);
        // Before the event, so that the event's output says which images were left out, as the model's does.
        let (images, output, spent) = fit_images(result.images, output, spent, cap_tokens);
        if let (ToolEffect::Plan { explanation, items }, true) = (&result.effect, result.success) {
            self.plan = Some(PlanState { explanation: explanation.clone(), items: items.clone() });
        }
        self.emit(AgentEvent::ToolCallEnd {
            call_id: call_id.clone(),
            name: name.clone(),
            output: output.clone(),
            success: result.success,
            effect: result.effect,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        self.record_item(Item::ToolOutput { call_id: call_id.clone(), output, success: result.success, images })?;
        if abort {
            return Err(SessionError::Aborted { tool: name, call_id });
        }
        Ok(spent)
    }

    /// Runs a call's tool, inside the sandbox unless `unconfined`, until it finishes or the turn is
    /// interrupted. Output the tool produces while it runs goes to the front end as `ToolOutputDelta`
    /// events for `call_id`, all of them before this returns (so before `ToolCallEnd`).
    async fn dispatch(
        &mut self,
        call_id: &str,
        name: &str,
        arguments: &str,
        unconfined: bool,
        cancel: &CancellationToken,
    ) -> braid_tools::ToolResult {
        self.tool_ctx.unconfined = unconfined;
        // The tool runs while the session is borrowed, so its output comes back through a channel and is
        // handed to the sink here, between polls of the tool. Deltas go to the sink directly, not through
        // `emit`: they are not recorded in the rollout.
        let (sender, mut pieces) = tokio::sync::mpsc::unbounded_channel::<String>();
        self.tool_ctx.output = Some(braid_tools::OutputSink::new(move |text| {
            let _ = sender.send(text.to_string());
        }));
        let delta = |delta: String| AgentEvent::ToolOutputDelta { call_id: call_id.to_string(), delta };
        let result = {
            let running = self.tools.dispatch(&self.tool_ctx, name, arguments);
            tokio::pin!(running);
            loop {
                tokio::select! {
                    // Pieces first, so that none waits behind the result.
                    biased;
                    Some(text) = pieces.recv() => (self.sink)(&delta(text)),
                    result = &mut running => break result,
                    _ = cancel.cancelled() => {
                        break braid_tools::ToolResult::error("the user interrupted this tool call before it finished")
                    }
                }
            }
        };
        self.tool_ctx.output = None;
        while let Ok(text) = pieces.try_recv() {
            (self.sink)(&delta(text));
        }
        self.tool_ctx.unconfined = false;
        result
    }

    /// Asks the approver about `call` and reports the question and the answer as events. An
    /// interruption while waiting counts as an abort.
    async fn ask(
        &mut self,
        call: &PendingCall<'_>,
        reason: ApprovalReason,
        unconfined: bool,
        justification: Option<String>,
        cancel: &CancellationToken,
    ) -> (ApprovalDecision, DecidedBy) {
        let (command, cwd) = match (call.effect, call.exposure) {
            (ToolEffect::Command { command, cwd, .. }, _) => (Some(command.clone()), cwd.clone()),
            (_, Exposure::Command { cwd, .. }) => (None, cwd.display().to_string()),
            // An MCP call has no command line; the request shows the server, the tool and the
            // arguments in its place, so a person sees exactly what would be sent.
            (_, Exposure::External { server, tool, arguments, .. }) => (
                Some(format!("[MCP server `{server}`, tool `{tool}`] {arguments}")),
                self.tool_ctx.cwd.display().to_string(),
            ),
            _ => (None, self.tool_ctx.cwd.display().to_string()),
        };
        let changes = match call.effect {
            ToolEffect::FileChange { changes } => changes.clone(),
            _ => Vec::new(),
        };
        let request = ApprovalRequest {
            call_id: call.call_id.to_string(),
            tool: call.name.to_string(),
            command,
            cwd,
            changes,
            reason,
            unconfined,
            justification,
            session_scope: approval::session_scope(call.exposure),
        };
        self.emit(AgentEvent::ApprovalRequested { request: request.clone() });
        let approver = Arc::clone(&self.approver);
        let (decision, decided_by) = tokio::select! {
            answer = approver.decide(&request) => answer,
            _ = cancel.cancelled() => (ApprovalDecision::Abort, DecidedBy::Interrupt),
        };
        if decision == ApprovalDecision::ApproveForSession {
            self.approvals.approve_for_session(call.exposure, unconfined);
        }
        self.emit(AgentEvent::ApprovalDecided { call_id: call.call_id.to_string(), decision, decided_by });
        (decision, decided_by)
    }
}

/// A tool call about to run, as the approval prompt describes it.
struct PendingCall<'a> {
    call_id: &'a str,
    name: &'a str,
    effect: &'a ToolEffect,
    exposure: &'a Exposure,
}

/// The effect of a call that did not run for want of approval: a command shows as declined.
fn not_run(effect: ToolEffect) -> ToolEffect {
    match effect {
        ToolEffect::Command { command, cwd, .. } => ToolEffect::Command {
            command,
            cwd,
            exit_code: None,
            aggregated_output: String::new(),
            status: braid_protocol::CommandStatus::Declined,
        },
        _ => ToolEffect::None,
    }
}

/// The images that fit in the call's budget beside its text, whichever come first, with the output
/// told about those left out, and the tokens the whole output takes. Each image is counted at
/// [`context::IMAGE_TOKENS`], because providers bill images by their pixels, which braid does not read.
fn fit_images(
    mut images: Vec<ToolImage>,
    mut output: String,
    spent: u64,
    cap_tokens: u64,
) -> (Vec<ToolImage>, String, u64) {
    let room = cap_tokens.saturating_sub(spent) / context::IMAGE_TOKENS;
    let fits = usize::try_from(room).unwrap_or(usize::MAX).min(images.len());
    let left_out = images.len() - fits;
    images.truncate(fits);
    if left_out > 0 {
        let (what, pronoun) = if left_out == 1 {
            ("the last image was".to_string(), "it")
        } else {
            (format!("the last {left_out} images were"), "they")
        };
        output.push_str(&format!(
            "\n[braid: {what} not attached: {pronoun} would take more than this call's share of the context window]"
        ));
    }
    let spent = spent + fits as u64 * context::IMAGE_TOKENS;
    (images, output, spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize) -> Vec<ToolImage> {
        (0..n).map(|i| ToolImage { mime_type: "image/png".into(), data: format!("{i}") }).collect()
    }

    #[test]
    fn images_are_attached_while_they_fit_and_the_rest_are_named_as_left_out() {
        let cap = 3 * context::IMAGE_TOKENS + 100;
        let (kept, output, spent) = fit_images(images(2), "text".into(), 100, cap);
        assert_eq!((kept.len(), output.as_str(), spent), (2, "text", 100 + 2 * context::IMAGE_TOKENS));

        let (kept, output, spent) = fit_images(images(5), "text".into(), 100, cap);
        assert_eq!(kept, images(3), "the first ones are kept");
        assert_eq!(
            output,
            "text\n[braid: the last 2 images were not attached: they would take more than this call's share of the context window]"
        );
        assert_eq!(spent, cap);

        let (kept, output, _) = fit_images(images(1), "text".into(), cap, cap);
        assert!(kept.is_empty());
        assert!(output.ends_with("[braid: the last image was not attached: it would take more than this call's share of the context window]"), "{output}");
    }
}
