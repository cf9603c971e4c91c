//! The agent session: holds the conversation, sends it to the model, dispatches the tool calls the model
//! makes, and loops until a response has no tool calls or the turn limit is hit.
//!
//! Invariants: a tool call runs only after the response that carries it has completed (so a retried or
//! dropped stream can never make it run twice), and every tool call in the history gets exactly one
//! output, even when the turn is interrupted while the tool runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use braid_model::{ModelClient, ModelError};
use braid_protocol::{AgentEvent, Item, ModelEvent, Prompt, ReasoningEffort, Role, Usage};
use braid_sandbox::paths::{PathError, WorkspacePolicy};
use braid_tools::{ToolContext, ToolRegistry};
use chrono::Utc;
use futures::StreamExt;
pub use tokio_util::sync::CancellationToken;

use crate::agents_md::{self, AgentsOptions};
use crate::environment;
use crate::git_info;
use crate::rollout::{self, RolloutError, RolloutLine, RolloutWriter, SessionMeta};

/// The instructions braid sends when no others are configured.
pub const BASE_INSTRUCTIONS: &str = include_str!("prompts/base_instructions.md");
/// Shorter instructions for small local models: every token of prompt costs them time, and they
/// follow a numbered procedure better than general advice.
pub const LOCAL_INSTRUCTIONS: &str = include_str!("prompts/local_instructions.md");

/// Receives every event of a session, in order.
pub type EventSink = Box<dyn FnMut(&AgentEvent) + Send>;

/// Everything a session needs to know besides the model client and the tools.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub model: String,
    pub provider_name: String,
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Where the agent works; the file tools are confined to it.
    pub cwd: PathBuf,
    /// braid's home, for the global AGENTS.md and the rollout; `None` records nothing.
    pub home: Option<PathBuf>,
    /// Model requests allowed in one user turn.
    pub max_turns: u32,
    pub project_doc_max_bytes: usize,
    pub project_doc_fallback_filenames: Vec<String>,
    /// Replaces `BASE_INSTRUCTIONS` when set.
    pub instructions: Option<String>,
}

/// Why a session could not start or a turn did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Rollout(#[from] RolloutError),
    #[error("working directory: {0}")]
    Workspace(#[from] PathError),
    #[error("the model stream from {provider} ended without completing the response")]
    StreamEnded { provider: String },
    #[error("the turn was interrupted")]
    Interrupted,
    #[error("stopped after {max_turns} model requests in one turn; raise `max_turns` in config.toml or split the task")]
    TurnLimit { max_turns: u32 },
}

/// How a completed turn ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutcome {
    /// The last assistant message of the turn, if the model wrote one.
    pub last_message: Option<String>,
    pub usage: Usage,
}

/// A running agent session.
pub struct Session {
    id: String,
    options: SessionOptions,
    client: Arc<dyn ModelClient>,
    tools: ToolRegistry,
    tool_ctx: ToolContext,
    history: Vec<Item>,
    rollout: Option<RolloutWriter>,
    total_usage: Usage,
    sink: EventSink,
}

impl Session {
    /// Starts a new session: builds the initial context (environment, AGENTS.md), opens the rollout and
    /// emits `SessionStarted`.
    pub fn start(
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
    ) -> Result<Session, SessionError> {
        let git = git_info::discover(&options.cwd);
        let id = uuid::Uuid::now_v7().to_string();
        let mut session = Session::assemble(id.clone(), options, client, tools, sink, Vec::new(), None)?;
        if let Some(home) = &session.options.home {
            let meta = SessionMeta {
                id,
                timestamp: Utc::now(),
                cwd: session.options.cwd.clone(),
                model: session.options.model.clone(),
                provider: session.options.provider_name.clone(),
                git_branch: git.as_ref().and_then(|g| g.branch.clone()),
                git_sha: git.as_ref().and_then(|g| g.sha.clone()),
                braid_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            session.rollout = Some(RolloutWriter::create(home, &meta)?);
        }

        session.record_item(Item::developer(environment::context_text(&session.options.cwd, git.as_ref())))?;
        let doc = agents_md::discover(&AgentsOptions {
            home: session.options.home.as_deref(),
            repo_root: git.as_ref().map(|g| g.root.as_path()),
            cwd: &session.options.cwd,
            fallback_names: &session.options.project_doc_fallback_filenames,
            max_bytes: session.options.project_doc_max_bytes,
        });
        if !doc.text.is_empty() {
            session.record_item(Item::developer(format!("<agents_md>\n{}\n</agents_md>", doc.text)))?;
        }
        session.emit_started(false);
        for path in &doc.truncated {
            session.emit(AgentEvent::Warning {
                message: format!(
                    "AGENTS.md text was cut at {} bytes; {} lost content (raise project_doc_max_bytes)",
                    session.options.project_doc_max_bytes,
                    path.display()
                ),
            });
        }
        Ok(session)
    }

    /// Resumes the session recorded at `rollout_path`: the conversation is rebuilt from its items and
    /// new items are appended to the same file. A partial last line (a crash mid-write) is dropped with
    /// a warning.
    pub fn resume(
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
        rollout_path: &std::path::Path,
    ) -> Result<Session, SessionError> {
        let recorded = rollout::read(rollout_path)?;
        let writer = RolloutWriter::reopen(rollout_path)?;
        let mut session =
            Session::assemble(recorded.meta.id, options, client, tools, sink, recorded.items, Some(writer))?;
        session.emit_started(true);
        if recorded.dropped_partial_line {
            session.emit(AgentEvent::Warning {
                message: format!(
                    "{} ended with a partial line (braid stopped mid-write); it was dropped",
                    rollout_path.display()
                ),
            });
        }
        Ok(session)
    }

    /// The fields every session starts with; the tools are confined to the working directory.
    fn assemble(
        id: String,
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
        history: Vec<Item>,
        rollout: Option<RolloutWriter>,
    ) -> Result<Session, SessionError> {
        let tool_ctx = ToolContext { cwd: options.cwd.clone(), policy: WorkspacePolicy::new([options.cwd.clone()])? };
        Ok(Session { id, options, client, tools, tool_ctx, history, rollout, total_usage: Usage::default(), sink })
    }

    /// The session id (also the rollout's file name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The conversation so far.
    pub fn history(&self) -> &[Item] {
        &self.history
    }

    /// Where the session is recorded, if it is.
    pub fn rollout_path(&self) -> Option<&std::path::Path> {
        self.rollout.as_ref().map(|r| r.path())
    }

    /// Runs one user turn to completion: the model is asked again after every batch of tool calls until
    /// it answers without one. Emits `TurnCompleted` or `TurnFailed` at the end.
    pub async fn run_turn(&mut self, input: &str, cancel: &CancellationToken) -> Result<TurnOutcome, SessionError> {
        self.emit(AgentEvent::TurnStarted);
        let result = self.turn_loop(input, cancel).await;
        match &result {
            Ok(outcome) => self.emit(AgentEvent::TurnCompleted {
                usage: outcome.usage,
                total_usage: self.total_usage,
                context: braid_protocol::ContextUsage::default(),
                last_message: outcome.last_message.clone(),
            }),
            Err(err) => self.emit(AgentEvent::TurnFailed { message: err.to_string() }),
        }
        result
    }

    async fn turn_loop(&mut self, input: &str, cancel: &CancellationToken) -> Result<TurnOutcome, SessionError> {
        self.record_item(Item::user(input))?;
        let mut usage = Usage::default();
        let mut last_message = None;
        for _ in 0..self.options.max_turns {
            let items = self.request(&mut usage, cancel).await?;
            let mut calls = Vec::new();
            for item in items {
                match &item {
                    Item::Message { role: Role::Assistant, text } => {
                        last_message = Some(text.clone());
                        self.emit(AgentEvent::AgentMessage { text: text.clone() });
                    }
                    Item::Reasoning { text, .. } if !text.is_empty() => {
                        self.emit(AgentEvent::Reasoning { text: text.clone() })
                    }
                    Item::ToolCall { call_id, name, arguments } => {
                        calls.push((call_id.clone(), name.clone(), arguments.clone()))
                    }
                    _ => {}
                }
                self.record_item(item)?;
            }
            if calls.is_empty() {
                return Ok(TurnOutcome { last_message, usage });
            }
            for (call_id, name, arguments) in calls {
                self.run_tool(call_id, name, arguments, cancel).await?;
            }
            if cancel.is_cancelled() {
                return Err(SessionError::Interrupted);
            }
        }
        Err(SessionError::TurnLimit { max_turns: self.options.max_turns })
    }

    /// Streams one model response and returns its items once it has completed.
    async fn request(&mut self, usage: &mut Usage, cancel: &CancellationToken) -> Result<Vec<Item>, SessionError> {
        let prompt = Prompt {
            model: self.options.model.clone(),
            instructions: self.options.instructions.clone().unwrap_or_else(|| BASE_INSTRUCTIONS.to_string()),
            input: self.history.clone(),
            tools: self.tools.specs(),
            tool_choice: braid_protocol::ToolChoice::Auto,
            reasoning_effort: self.options.reasoning_effort,
            max_output_tokens: None,
        };
        let mut stream = self.client.stream(prompt);
        // Items are held back until the response completes: a retry voids them.
        let mut pending = Vec::new();
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return Err(SessionError::Interrupted),
                next = stream.next() => next,
            };
            match next {
                None => return Err(SessionError::StreamEnded { provider: self.client.provider_name().to_string() }),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(event)) => match event {
                    ModelEvent::Created { .. } => {}
                    ModelEvent::TextDelta { delta } => self.emit(AgentEvent::AgentMessageDelta { delta }),
                    ModelEvent::ReasoningDelta { delta } => self.emit(AgentEvent::ReasoningDelta { delta }),
                    ModelEvent::ItemDone { item } => pending.push(item),
                    ModelEvent::Retrying { attempt, max_attempts, delay_ms, reason } => {
                        pending.clear();
                        self.emit(AgentEvent::StreamRetry { attempt, max_attempts, delay_ms, reason });
                    }
                    ModelEvent::Completed { usage: reported, .. } => {
                        if let Some(reported) = reported {
                            usage.add(&reported);
                            self.total_usage.add(&reported);
                        }
                        return Ok(pending);
                    }
                },
            }
        }
    }

    /// Runs one tool call and records its output. An interruption while the tool runs still records an
    /// output, so the history stays valid for the next request.
    async fn run_tool(
        &mut self,
        call_id: String,
        name: String,
        arguments: String,
        cancel: &CancellationToken,
    ) -> Result<(), SessionError> {
        let effect = self.tools.preview(&self.tool_ctx, &name, &arguments);
        self.emit(AgentEvent::ToolCallBegin {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
            effect,
        });
        let started = Instant::now();
        let result = tokio::select! {
            result = self.tools.dispatch(&self.tool_ctx, &name, &arguments) => result,
            _ = cancel.cancelled() => braid_tools::ToolResult::error("the user interrupted this tool call before it finished"),
        };
        self.emit(AgentEvent::ToolCallEnd {
            call_id: call_id.clone(),
            name,
            output: result.output.clone(),
            success: result.success,
            effect: result.effect,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        self.record_item(Item::ToolOutput { call_id, output: result.output, success: result.success })?;
        Ok(())
    }

    fn emit_started(&mut self, resumed: bool) {
        let event = AgentEvent::SessionStarted {
            session_id: self.id.clone(),
            model: self.options.model.clone(),
            provider: self.options.provider_name.clone(),
            cwd: self.options.cwd.display().to_string(),
            rollout_path: self.rollout_path().map(|p| p.display().to_string()),
            resumed,
        };
        self.emit(event);
    }

    /// Sends an event to the front end and records it, except deltas (the items they add up to are
    /// recorded instead). A failure to record an event is not worth failing the turn over; items are.
    fn emit(&mut self, event: AgentEvent) {
        (self.sink)(&event);
        let is_delta = matches!(event, AgentEvent::AgentMessageDelta { .. } | AgentEvent::ReasoningDelta { .. });
        if let (Some(rollout), false) = (self.rollout.as_mut(), is_delta)
            && let Err(err) = rollout.append(&RolloutLine::Event { timestamp: Utc::now(), event })
        {
            tracing::warn!("{err}");
        }
    }

    fn record_item(&mut self, item: Item) -> Result<(), SessionError> {
        if let Some(rollout) = self.rollout.as_mut() {
            rollout.append(&RolloutLine::Item { timestamp: Utc::now(), item: item.clone() })?;
        }
        self.history.push(item);
        Ok(())
    }
}
