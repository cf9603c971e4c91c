//! The agent session: holds the conversation, sends it to the model, dispatches the tool calls the model
//! makes, and loops until a response has no tool calls or the turn limit is hit. Before each request it
//! checks how full the context window is and compacts when needed (`compact.rs`).
//!
//! Invariants: a tool call runs only after the response that carries it has completed (so a retried or
//! dropped stream can never make it run twice), and every tool call in the history gets exactly one
//! output, even when the turn is interrupted while the tool runs or braid is killed (resume answers the
//! calls a crash left open as interrupted, without running them).

mod compact;
mod skills;
mod tool_call;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_model::{ModelClient, ModelError};
use braid_protocol::{
    AgentEvent, ApprovalDecision, ApprovalPolicy, ContextUsage, Item, ModelEvent, Prompt, ReasoningEffort, Role,
    ToolChoice, Usage,
};
use braid_sandbox::PathGlobs;
use braid_sandbox::paths::{PathError, WorkspacePolicy};
use braid_tools::{ToolContext, ToolRegistry};
use chrono::Utc;
use futures::StreamExt;
pub use tokio_util::sync::CancellationToken;

use crate::agents_md::{self, AgentsOptions};
use crate::approval::{Approvals, Approver, DefaultApprover};
use crate::compaction::PlanState;
use crate::config::DEFAULT_AUTO_COMPACT_THRESHOLD;
use crate::context::{self, TokenMeter};
use crate::environment;
use crate::git_info;
use crate::rollout::{self, ForkOrigin, Rollout, RolloutError, RolloutLine, RolloutWriter, SessionMeta};

/// The instructions braid sends when no others are configured.
pub const BASE_INSTRUCTIONS: &str = include_str!("../prompts/base_instructions.md");
/// Shorter instructions for small local models: every token of prompt costs them time, and they
/// follow a numbered procedure better than general advice.
pub const LOCAL_INSTRUCTIONS: &str = include_str!("../prompts/local_instructions.md");

/// What the model is told about a tool call that braid never saw finish because it was killed.
pub const INTERRUPTED_CALL_OUTPUT: &str = "braid stopped (it was killed or crashed) while this tool call was \
    running, so its result is unknown: it may have run partly, fully or not at all. It was not run again. \
    Check the state it would have changed before deciding whether to repeat it.";

/// Receives every event of a session, in order. `Sync` so that a session can run on any thread of a
/// multi-threaded runtime: a run drives several sessions as spawned tasks.
pub type EventSink = Box<dyn FnMut(&AgentEvent) + Send + Sync>;

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
    /// The model's context window from config; the client's own figure (the embedded model's) wins,
    /// and braid's table of known models fills in when neither is set.
    pub context_window: Option<u64>,
    /// Compact when the next request would pass this share of the window.
    pub auto_compact_threshold: f64,
    /// Most tokens one tool output may take; derived from the window when unset.
    pub tool_output_token_limit: Option<u64>,
    /// The sandbox policy: under `read-only` the file tools write nothing either.
    pub sandbox: braid_sandbox::Policy,
    /// Globs, relative to `cwd`, of files the file tools must not change (a plan's `forbidden` list);
    /// empty for none. Commands get the same protection from the confinement (`SandboxSpec::read_only`).
    pub forbidden: PathGlobs,
    /// When tool calls wait for a decision.
    pub approval_policy: ApprovalPolicy,
    /// The answer to approval requests while nobody can be asked, which is until a front end sets an
    /// approver that asks a person (`Session::set_approver`).
    pub approval_default: ApprovalDecision,
    /// Whether to look for SKILL.md skills in the repository and braid's home (`crate::skills`).
    pub skills: bool,
    /// Warnings from setting the session up (an MCP server that failed to start), emitted once the
    /// session has started.
    pub startup_warnings: Vec<String>,
}

impl SessionOptions {
    /// Options for `model` from `provider_name` working in `cwd`, with every other setting at its
    /// default and nothing recorded.
    pub fn new(model: impl Into<String>, provider_name: impl Into<String>, cwd: PathBuf) -> SessionOptions {
        SessionOptions {
            model: model.into(),
            provider_name: provider_name.into(),
            reasoning_effort: None,
            cwd,
            home: None,
            max_turns: crate::config::DEFAULT_MAX_TURNS,
            project_doc_max_bytes: crate::config::DEFAULT_PROJECT_DOC_MAX_BYTES,
            project_doc_fallback_filenames: Vec::new(),
            instructions: None,
            context_window: None,
            auto_compact_threshold: DEFAULT_AUTO_COMPACT_THRESHOLD,
            tool_output_token_limit: None,
            sandbox: braid_sandbox::Policy::WorkspaceWrite,
            forbidden: PathGlobs::empty(),
            approval_policy: ApprovalPolicy::OnRequest,
            approval_default: ApprovalDecision::Deny,
            skills: true,
            startup_warnings: Vec::new(),
        }
    }
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
    #[error("the turn was stopped at an approval prompt ({tool} call {call_id})")]
    Aborted { tool: String, call_id: String },
    #[error("stopped after {max_turns} model requests in one turn; raise `max_turns` in config.toml or split the task")]
    TurnLimit { max_turns: u32 },
    #[error("compaction failed: {message}")]
    CompactionFailed { message: String },
}

/// How a completed turn ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutcome {
    /// The last assistant message of the turn, if the model wrote one.
    pub last_message: Option<String>,
    pub usage: Usage,
}

/// A completed model response.
struct Response {
    items: Vec<Item>,
    usage: Option<Usage>,
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
    meter: TokenMeter,
    /// The context window in tokens, when known.
    window: Option<u64>,
    /// The plan as `update_plan` last set it; carried across compactions.
    plan: Option<PlanState>,
    /// Set when a response of the current turn reported no usage and braid estimated it.
    turn_estimated: bool,
    /// The approval policy and what was approved for the session.
    approvals: Approvals,
    /// Who answers approval requests.
    approver: Arc<dyn Approver>,
    /// The skills found when the session started, for `$name` invocations.
    skills: Vec<crate::skills::Skill>,
    /// Skill files skipped at start, reported once `SessionStarted` is out.
    skill_warnings: Vec<String>,
}

impl Session {
    /// Starts a new session: builds the initial context (environment, AGENTS.md, skills), opens the rollout and
    /// emits `SessionStarted`.
    pub fn start(
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
    ) -> Result<Session, SessionError> {
        let git = git_info::discover(&options.cwd);
        let id = uuid::Uuid::now_v7().to_string();
        let mut session = Session::assemble(id.clone(), options, client, tools, sink, Vec::new())?;
        session.open_rollout(
            git.as_ref().and_then(|g| g.branch.clone()),
            git.as_ref().and_then(|g| g.sha.clone()),
            None,
        )?;
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
        let repo_root = git.as_ref().map_or_else(|| session.options.cwd.clone(), |g| g.root.clone());
        session.load_skills(&repo_root, true)?;
        session.emit_started(false, None);
        session.emit_skill_warnings();
        session.emit_startup_warnings();
        for path in &doc.truncated {
            session.emit(AgentEvent::Warning {
                message: format!(
                    "AGENTS.md text was cut at {} bytes; {} lost content (raise project_doc_max_bytes)",
                    session.options.project_doc_max_bytes,
                    path.display()
                ),
            });
        }
        session.warn_unknown_window();
        Ok(session)
    }

    /// Resumes the session recorded at `rollout_path`: the conversation is rebuilt from its items and
    /// compactions, and new lines are appended to the same file. A partial last line (a crash
    /// mid-write) is dropped with a warning, and tool calls a crash left without an output are answered
    /// as interrupted, never run again.
    pub fn resume(
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
        rollout_path: &Path,
    ) -> Result<Session, SessionError> {
        let recorded = rollout::read(rollout_path)?;
        let writer = RolloutWriter::reopen(rollout_path)?;
        let mut session =
            Session::assemble(recorded.meta.id.clone(), options, client, tools, sink, recorded.items.clone())?;
        session.rollout = Some(writer);
        session.plan = recorded.plan.clone();
        // The recorded context already lists the skills; they are found again for `$name` invocations.
        let repo_root = crate::skills::repo_root(&session.options.cwd);
        session.load_skills(&repo_root, false)?;
        session.emit_started(true, None);
        session.emit_skill_warnings();
        session.emit_startup_warnings();
        if recorded.dropped_partial_line {
            session.emit(AgentEvent::Warning {
                message: format!(
                    "{} ended with a partial line (braid stopped mid-write); it was dropped",
                    rollout_path.display()
                ),
            });
        }
        session.answer_interrupted_calls(&recorded)?;
        session.warn_unknown_window();
        Ok(session)
    }

    /// Starts a new session from the first `turns` user turns of the one recorded at `source` (all of
    /// it with `None`), with a new id and rollout; the original is left as it was.
    pub fn fork(
        options: SessionOptions,
        client: Arc<dyn ModelClient>,
        tools: ToolRegistry,
        sink: EventSink,
        source: &Path,
        turns: Option<usize>,
    ) -> Result<Session, SessionError> {
        let recorded = rollout::read_prefix(source, turns)?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut session = Session::assemble(id, options, client, tools, sink, Vec::new())?;
        let origin = ForkOrigin { session_id: recorded.meta.id.clone(), turns: recorded.turns };
        session.open_rollout(recorded.meta.git_branch.clone(), recorded.meta.git_sha.clone(), Some(origin))?;
        for item in recorded.items.iter().cloned() {
            session.record_item(item)?;
        }
        if let Some(plan) = recorded.plan.clone() {
            session.set_plan(plan);
        }
        let repo_root = crate::skills::repo_root(&session.options.cwd);
        session.load_skills(&repo_root, false)?;
        session.emit_started(false, Some(recorded.meta.id.clone()));
        session.emit_skill_warnings();
        session.emit_startup_warnings();
        session.answer_interrupted_calls(&recorded)?;
        session.warn_unknown_window();
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
    ) -> Result<Session, SessionError> {
        let mut policy =
            WorkspacePolicy::new([options.cwd.clone()])?.with_forbidden(options.cwd.clone(), options.forbidden.clone());
        if options.sandbox == braid_sandbox::Policy::ReadOnly {
            policy = policy.read_only();
        }
        let tool_ctx = ToolContext::new(options.cwd.clone(), policy);
        let window = client
            .context_window()
            .or(options.context_window)
            .or_else(|| braid_model::known_context_window(&options.model));
        let approvals = Approvals::new(options.approval_policy, options.sandbox);
        Ok(Session {
            approvals,
            approver: Arc::new(DefaultApprover(options.approval_default)),
            id,
            options,
            client,
            tools,
            tool_ctx,
            history,
            rollout: None,
            total_usage: Usage::default(),
            sink,
            meter: TokenMeter::default(),
            window,
            plan: None,
            turn_estimated: false,
            skills: Vec::new(),
            skill_warnings: Vec::new(),
        })
    }

    /// Creates the rollout file under braid's home, when there is one, and writes its meta line.
    fn open_rollout(
        &mut self,
        git_branch: Option<String>,
        git_sha: Option<String>,
        forked_from: Option<ForkOrigin>,
    ) -> Result<(), SessionError> {
        let Some(home) = &self.options.home else { return Ok(()) };
        let meta = SessionMeta {
            id: self.id.clone(),
            timestamp: Utc::now(),
            cwd: self.options.cwd.clone(),
            model: self.options.model.clone(),
            provider: self.options.provider_name.clone(),
            git_branch,
            git_sha,
            braid_version: env!("CARGO_PKG_VERSION").to_string(),
            forked_from,
        };
        self.rollout = Some(RolloutWriter::create(home, &meta)?);
        Ok(())
    }

    /// Records an interrupted output for every call `recorded` left unanswered, so the history is valid
    /// again, and tells the user which calls those were.
    fn answer_interrupted_calls(&mut self, recorded: &Rollout) -> Result<(), SessionError> {
        for (call_id, name) in recorded.unanswered_calls() {
            self.emit(AgentEvent::Warning {
                message: format!(
                    "the {name} call {call_id} was still running when braid stopped; it is reported to the model as interrupted and was not run again"
                ),
            });
            self.record_item(Item::tool_output(call_id, INTERRUPTED_CALL_OUTPUT, false))?;
        }
        Ok(())
    }

    fn warn_unknown_window(&mut self) {
        if self.window.is_none() {
            let message = format!(
                "braid does not know the context window of `{}`, so it will not compact the conversation before it overflows; set model_context_window in config.toml",
                self.options.model
            );
            self.emit(AgentEvent::Warning { message });
        }
    }

    /// Sets who answers approval requests (by default `approval_default` answers them all).
    pub fn set_approver(&mut self, approver: Arc<dyn Approver>) {
        self.approver = approver;
    }

    /// The answer approval requests get where nobody can be asked.
    pub fn approval_default(&self) -> ApprovalDecision {
        self.options.approval_default
    }

    /// The session id (also the rollout's file name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model the next request goes to.
    pub fn model(&self) -> &str {
        &self.options.model
    }

    /// Sends the next requests to `model` on the same provider (`/model` in the interactive session). The
    /// conversation carries over as it is.
    pub fn set_model(&mut self, model: &str) {
        self.options.model = model.to_string();
    }

    /// The tokens used by every turn so far.
    pub fn total_usage(&self) -> Usage {
        self.total_usage
    }

    /// The conversation so far.
    pub fn history(&self) -> &[Item] {
        &self.history
    }

    /// Where the session is recorded, if it is.
    pub fn rollout_path(&self) -> Option<&Path> {
        self.rollout.as_ref().map(|r| r.path())
    }

    /// The context window braid works with, when known.
    pub fn context_window(&self) -> Option<u64> {
        self.window
    }

    /// Runs one user turn to completion: the model is asked again after every batch of tool calls until
    /// it answers without one. Emits `TurnCompleted` or `TurnFailed` at the end.
    pub async fn run_turn(&mut self, input: &str, cancel: &CancellationToken) -> Result<TurnOutcome, SessionError> {
        self.run_turn_with(input, ToolChoice::Auto, cancel).await
    }

    /// Runs one user turn like `run_turn`, except that the first response must call `tool`. A job that
    /// only ends through one tool (a plan is only written by `write_plan`) uses it to remind a model that
    /// keeps researching or answers in prose; after that call the model decides as usual.
    pub async fn run_turn_calling(
        &mut self,
        input: &str,
        tool: &str,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, SessionError> {
        self.run_turn_with(input, ToolChoice::Tool(tool.to_string()), cancel).await
    }

    async fn run_turn_with(
        &mut self,
        input: &str,
        first: ToolChoice,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, SessionError> {
        self.emit(AgentEvent::TurnStarted);
        self.turn_estimated = false;
        let mut usage = Usage::default();
        let result = self.turn_loop(input, first, &mut usage, cancel).await;
        match &result {
            Ok(outcome) => {
                let context = self.context_usage();
                self.emit(AgentEvent::TurnCompleted {
                    usage: outcome.usage,
                    total_usage: self.total_usage,
                    context,
                    last_message: outcome.last_message.clone(),
                })
            }
            Err(err) => self.emit(AgentEvent::TurnFailed { message: err.to_string() }),
        }
        result
    }

    async fn turn_loop(
        &mut self,
        input: &str,
        first: ToolChoice,
        usage: &mut Usage,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, SessionError> {
        self.record_item(Item::user(input))?;
        self.record_invoked_skills(input)?;
        let mut last_message = None;
        let mut choice = first;
        for _ in 0..self.options.max_turns {
            let items = self.request(std::mem::take(&mut choice), usage, cancel).await?;
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
                return Ok(TurnOutcome { last_message, usage: *usage });
            }
            // All outputs of one response share a budget, so many calls cannot flood the window together.
            let mut batch_tokens = self.batch_output_tokens();
            let mut aborted = None;
            for (call_id, name, arguments) in calls {
                if aborted.is_some() {
                    // Every call needs an output, even those the abort kept from running.
                    self.record_item(Item::tool_output(call_id, NOT_RUN_AFTER_ABORT, false))?;
                    continue;
                }
                let cap_tokens = self.tool_output_tokens().min(batch_tokens).max(MIN_TOOL_OUTPUT_TOKENS);
                match self.run_tool(call_id, name, arguments, cap_tokens, cancel).await {
                    Ok(spent) => batch_tokens = batch_tokens.saturating_sub(spent),
                    Err(err @ SessionError::Aborted { .. }) => aborted = Some(err),
                    Err(err) => return Err(err),
                }
            }
            if let Some(err) = aborted {
                return Err(err);
            }
            if cancel.is_cancelled() {
                return Err(SessionError::Interrupted);
            }
        }
        Err(SessionError::TurnLimit { max_turns: self.options.max_turns })
    }

    /// Sends the conversation and returns the response's items once it has completed. Compacts first
    /// when the request would pass the threshold, and once more (then retries) when the provider refuses
    /// it as too long anyway.
    async fn request(
        &mut self,
        choice: ToolChoice,
        usage: &mut Usage,
        cancel: &CancellationToken,
    ) -> Result<Vec<Item>, SessionError> {
        let mut prompt = self.prompt_within_threshold(choice.clone(), usage, cancel).await?;
        let mut compacted_on_overflow = false;
        loop {
            match self.stream_response(&prompt, true, cancel).await {
                Ok(response) => {
                    self.account(&prompt, &response, usage);
                    return Ok(response.items);
                }
                Err(SessionError::Model(err)) if err.is_context_overflow() && !compacted_on_overflow => {
                    compacted_on_overflow = true;
                    self.emit(AgentEvent::Warning {
                        message: format!("{err}; compacting the conversation and trying again"),
                    });
                    let tokens_before = self.prompt_tokens(&prompt).await;
                    self.compact_with(braid_protocol::CompactionTrigger::Overflow, tokens_before, usage, cancel)
                        .await?;
                    prompt = self.prompt(self.history.clone(), choice.clone(), None);
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// The instructions every request carries.
    fn instructions(&self) -> &str {
        self.options.instructions.as_deref().unwrap_or(BASE_INSTRUCTIONS)
    }

    /// A request for `input` with the session's instructions and tools.
    fn prompt(&self, input: Vec<Item>, tool_choice: ToolChoice, max_output_tokens: Option<u32>) -> Prompt {
        Prompt {
            model: self.options.model.clone(),
            instructions: self.instructions().to_string(),
            input,
            tools: self.tools.specs(),
            tool_choice,
            reasoning_effort: self.options.reasoning_effort,
            max_output_tokens,
        }
    }

    /// Adds a completed response's usage (or braid's estimate of it) to the turn and the session, and
    /// lets the meter learn from it.
    fn account(&mut self, prompt: &Prompt, response: &Response, usage: &mut Usage) {
        let request_bytes = context::prompt_bytes(prompt);
        let conversation_bytes = request_bytes + context::items_bytes(&response.items);
        let (counted, estimated) = self.meter.observe(request_bytes, conversation_bytes, response.usage);
        usage.add(&counted);
        self.total_usage.add(&counted);
        self.turn_estimated |= estimated;
    }

    /// How full the window is with the conversation as it stands.
    fn context_usage(&self) -> ContextUsage {
        let bytes = context::request_bytes(self.instructions(), &self.tools.specs(), &self.history);
        ContextUsage { tokens: self.meter.estimate(bytes), window: self.window, estimated: self.turn_estimated }
    }

    /// Streams one model response and returns it once it has completed. `live` shows its text as it
    /// arrives; compaction requests are not shown.
    async fn stream_response(
        &mut self,
        prompt: &Prompt,
        live: bool,
        cancel: &CancellationToken,
    ) -> Result<Response, SessionError> {
        let mut stream = self.client.stream(prompt.clone());
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
                    ModelEvent::TextDelta { delta } if live => self.emit(AgentEvent::AgentMessageDelta { delta }),
                    ModelEvent::ReasoningDelta { delta } if live => self.emit(AgentEvent::ReasoningDelta { delta }),
                    ModelEvent::TextDelta { .. } | ModelEvent::ReasoningDelta { .. } => {}
                    ModelEvent::ItemDone { item } => pending.push(item),
                    ModelEvent::Retrying { attempt, max_attempts, delay_ms, reason } => {
                        pending.clear();
                        self.emit(AgentEvent::StreamRetry { attempt, max_attempts, delay_ms, reason });
                    }
                    ModelEvent::Completed { usage, .. } => return Ok(Response { items: pending, usage }),
                },
            }
        }
    }

    fn set_plan(&mut self, plan: PlanState) {
        if let Some(rollout) = self.rollout.as_mut()
            && let Err(err) = rollout.append(&RolloutLine::Plan { timestamp: Utc::now(), plan: plan.clone() })
        {
            tracing::warn!("{err}");
        }
        self.plan = Some(plan);
    }

    fn emit_startup_warnings(&mut self) {
        for message in std::mem::take(&mut self.options.startup_warnings) {
            self.emit(AgentEvent::Warning { message });
        }
    }

    fn emit_started(&mut self, resumed: bool, forked_from: Option<String>) {
        let event = AgentEvent::SessionStarted {
            session_id: self.id.clone(),
            model: self.options.model.clone(),
            provider: self.options.provider_name.clone(),
            cwd: self.options.cwd.display().to_string(),
            rollout_path: self.rollout_path().map(|p| p.display().to_string()),
            resumed,
            forked_from,
        };
        self.emit(event);
    }

    /// Sends an event to the front end and records it, except deltas (the items they add up to are
    /// recorded instead). A failure to record an event is not worth failing the turn over; items are.
    fn emit(&mut self, event: AgentEvent) {
        (self.sink)(&event);
        let is_delta = matches!(
            event,
            AgentEvent::AgentMessageDelta { .. }
                | AgentEvent::ReasoningDelta { .. }
                | AgentEvent::ToolOutputDelta { .. }
        );
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

/// What the model is told about calls of a batch that an earlier call's abort kept from running.
const NOT_RUN_AFTER_ABORT: &str = "Not run: the user stopped the turn at an approval prompt for an earlier call.";

/// Every tool output may take at least this many tokens, however full the batch budget is: less than
/// this cannot even carry an exit code and an error line.
const MIN_TOOL_OUTPUT_TOKENS: u64 = 256;
