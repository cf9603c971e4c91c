//! Compaction, driven: when to compact, asking the model for the handoff summary (trimming the request
//! when it is itself too long), and swapping the history for the compacted one in memory and in the
//! rollout.

use braid_protocol::{AgentEvent, CompactionTrigger, Prompt, ToolChoice, Usage};
use chrono::Utc;

use super::{CancellationToken, Session, SessionError};
use crate::compaction::{CompactionInput, initial_context_len, rebuild};
use crate::context;
use crate::rollout::RolloutLine;

/// How many times a compaction request may be trimmed and sent again before braid gives up. Each trim
/// drops at least a quarter of what is left, so this many leaves almost nothing.
const MAX_TRIMS: usize = 8;

impl Session {
    /// Compacts the conversation now, on the user's request. A no-op on a conversation with nothing
    /// after its initial context.
    pub async fn compact(&mut self, cancel: &CancellationToken) -> Result<(), SessionError> {
        if initial_context_len(&self.history) == self.history.len() {
            self.emit(AgentEvent::Warning {
                message: "nothing to compact yet: the conversation has not started".into(),
            });
            return Ok(());
        }
        let mut usage = Usage::default();
        let prompt = self.prompt(self.history.clone(), ToolChoice::Auto, None);
        let tokens_before = self.prompt_tokens(&prompt).await;
        self.compact_with(CompactionTrigger::Manual, tokens_before, &mut usage, cancel).await?;
        Ok(())
    }

    /// Tokens `prompt` takes: the model's own count when the client has a tokenizer, else the meter's
    /// estimate.
    pub(super) async fn prompt_tokens(&self, prompt: &Prompt) -> u64 {
        match self.client.count_tokens(prompt).await {
            Some(tokens) => tokens,
            None => self.meter.estimate(context::prompt_bytes(prompt)),
        }
    }

    /// The next request when the conversation as it stands fits under the threshold share of the
    /// window; otherwise compacts first and returns the request for the compacted conversation.
    /// Compacts at most once per request: when the compacted conversation is still over, the user is
    /// told and the request goes ahead (the provider's refusal, if it comes, is handled by `request`).
    pub(super) async fn prompt_within_threshold(
        &mut self,
        choice: ToolChoice,
        usage: &mut Usage,
        cancel: &CancellationToken,
    ) -> Result<Prompt, SessionError> {
        let prompt = self.prompt(self.history.clone(), choice.clone(), None);
        let Some(window) = self.window else { return Ok(prompt) };
        let limit = (window as f64 * self.options.auto_compact_threshold) as u64;
        let tokens = self.prompt_tokens(&prompt).await;
        if tokens <= limit {
            return Ok(prompt);
        }
        let after = self.compact_with(CompactionTrigger::Auto, tokens, usage, cancel).await?;
        if after > limit {
            self.emit(AgentEvent::Warning {
                message: format!(
                    "after compaction the conversation still takes about {after} of the {window} tokens of the context window (the recent user messages or the instructions are that long); the model may refuse the next request"
                ),
            });
        }
        Ok(self.prompt(self.history.clone(), choice, None))
    }

    /// Asks the model for a handoff summary of the conversation and replaces the history with the
    /// compacted one. When the request does not fit the window (by braid's count, or by the provider's
    /// refusal), the oldest items are left out of it and it is sent again, at most `MAX_TRIMS` times.
    /// `tokens_before` is the size of the request compaction replaces; returns the size after.
    pub(super) async fn compact_with(
        &mut self,
        trigger: CompactionTrigger,
        tokens_before: u64,
        usage: &mut Usage,
        cancel: &CancellationToken,
    ) -> Result<u64, SessionError> {
        let summary_tokens = self.window.map_or(8192, |w| (w / 8).clamp(256, 8192));
        let mut input = CompactionInput::new(&self.history);
        let mut trims = 0usize;
        let summary = loop {
            let prompt = self.prompt(input.items(), ToolChoice::None, u32::try_from(summary_tokens).ok());
            // When braid can tell the request will not fit, it trims before sending rather than wait
            // for a refusal.
            let over = match self.window {
                Some(window) => {
                    let tokens = self.prompt_tokens(&prompt).await;
                    let room = window.saturating_sub(summary_tokens);
                    (tokens > room).then(|| {
                        let excess = self.meter.bytes_for_tokens(tokens - room) as u64;
                        (excess, format!("about {tokens} tokens, with room for {room} in a {window}-token window"))
                    })
                }
                None => None,
            };
            if let Some((excess, reason)) = over {
                self.trim(&mut input, &mut trims, excess, reason)?;
                continue;
            }
            match self.stream_response(&prompt, false, cancel).await {
                Ok(response) => {
                    self.account(&prompt, &response, usage);
                    let text = response
                        .items
                        .iter()
                        .filter_map(|item| match item {
                            braid_protocol::Item::Message { role: braid_protocol::Role::Assistant, text } => {
                                Some(text.as_str())
                            }
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    if text.trim().is_empty() {
                        return Err(SessionError::CompactionFailed {
                            message: "the model answered the compaction request without writing a summary".into(),
                        });
                    }
                    break text;
                }
                Err(SessionError::Model(err)) if err.is_context_overflow() => {
                    let quarter = context::items_bytes(&input.rest) / 4;
                    self.trim(&mut input, &mut trims, quarter, err.to_string())?;
                }
                Err(err) => return Err(err),
            }
        };

        let user_budget = self.meter.bytes_for_tokens(self.window.map_or(20_000, |w| (w / 5).min(20_000)));
        let rebuilt = rebuild(&self.history, &summary, self.plan.as_ref(), user_budget);
        if let Some(rollout) = self.rollout.as_mut() {
            rollout.append(&RolloutLine::Compacted {
                timestamp: Utc::now(),
                trigger,
                summary: summary.clone(),
                history: rebuilt.items.clone(),
            })?;
        }
        self.history = rebuilt.items;
        self.meter.reset();
        let tokens_after = self.prompt_tokens(&self.prompt(self.history.clone(), ToolChoice::Auto, None)).await;
        self.emit(AgentEvent::ContextCompacted {
            trigger,
            tokens_before,
            tokens_after,
            kept_user_messages: rebuilt.kept_user_messages,
            summary,
        });
        Ok(tokens_after)
    }

    /// Leaves the oldest items (at least `bytes` of them) out of the compaction request and says so.
    /// Fails when nothing more can be left out or the request was trimmed `MAX_TRIMS` times already.
    fn trim(
        &mut self,
        input: &mut CompactionInput,
        trims: &mut usize,
        bytes: u64,
        reason: String,
    ) -> Result<(), SessionError> {
        *trims += 1;
        let dropped = if *trims > MAX_TRIMS { 0 } else { input.drop_oldest(bytes) };
        if dropped == 0 {
            return Err(SessionError::CompactionFailed {
                message: format!(
                    "the compaction request is still too long ({reason}) with every older item left out; the instructions, AGENTS.md or the latest user message alone are too long for this model's context window"
                ),
            });
        }
        self.emit(AgentEvent::CompactionTrimmed { dropped_items: dropped, remaining_items: input.remaining(), reason });
        Ok(())
    }
}
