//! `braid` with no command: the interactive terminal session. The front end (braid-tui) runs on a thread
//! of its own and draws the session's events; this module owns the session, carries out what the front
//! end asks for, and hands approval answers back to the tool call waiting for them.

use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use braid_core::approval::Approver;
use braid_core::config::Config;
use braid_core::prompt_history::PromptHistory;
use braid_core::session::CancellationToken;
use braid_core::{EventSink, Session, SessionError, rollout};
use braid_protocol::{ApprovalDecision, ApprovalRequest, DecidedBy};
use braid_tui::{Intent, SessionView, SlashCommand, Update};
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use crate::cli::{GlobalArgs, InteractiveArgs};
use crate::exec::{
    ModelChoice, Setup, add_mcp_tools, braid_home, load_config, model_client, session_parts, working_dir,
};

/// Opens the interactive session and returns when the person quits.
pub async fn run(global: &GlobalArgs, args: InteractiveArgs) -> anyhow::Result<ExitCode> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        bail!(
            "`braid` without a command opens an interactive session, which needs a terminal on stdin and \
             stdout; in scripts and pipes use `braid exec \"<task>\"`"
        );
    }
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let model = model_client(&config, &home, 1)?;
    let history = PromptHistory::new(&home);

    let (updates, update_rx) = std::sync::mpsc::channel::<Update>();
    let (intent_tx, intents) = mpsc::unbounded_channel::<Intent>();
    let approver = Arc::new(TuiApprover::default());
    let mut driver = Driver { config, home, cwd: cwd.clone(), model, updates: updates.clone(), approver, history };
    let session = driver.new_session().await?;

    let view =
        SessionView { cwd, history: driver.history.load(), model: driver.model.model.clone(), prompt: args.prompt };
    let ui = std::thread::Builder::new()
        .name("braid-tui".into())
        .spawn(move || {
            let send: Box<dyn FnMut(Intent) + Send> = Box::new(move |intent| {
                // The driver is gone only when braid is shutting down; nothing is left to tell.
                let _ = intent_tx.send(intent);
            });
            braid_tui::run_session(view, update_rx, send)
        })
        .context("cannot start the terminal front end's thread")?;

    let served = driver.serve(session, intents).await;
    let _ = updates.send(Update::Exit);
    let drawn = ui.join();
    served?;
    match drawn {
        Ok(result) => result.context("the terminal front end failed")?,
        Err(_) => bail!("the terminal front end panicked; the terminal was restored"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Owns everything a session is made from, so `/new` and `/resume` can make another.
struct Driver {
    config: Config,
    home: PathBuf,
    cwd: PathBuf,
    /// Loaded once: a fresh session reuses the client (and the embedded model's weights).
    model: ModelChoice,
    updates: Sender<Update>,
    approver: Arc<TuiApprover>,
    history: PromptHistory,
}

/// How a stretch of work ended, as far as the session loop cares.
enum Ended {
    /// Keep reading intents.
    Continue,
    /// The person quit while the work ran.
    Quit,
}

impl Driver {
    /// Sends an update to the front end; a front end that has gone away is not an error here (the loop
    /// ends when its intents stop).
    fn show(&self, update: Update) {
        let _ = self.updates.send(update);
    }

    /// The sink that forwards the session's events to the front end.
    fn sink(&self) -> EventSink {
        let updates = self.updates.clone();
        Box::new(move |event| {
            let _ = updates.send(Update::Agent(event.clone()));
        })
    }

    /// A fresh session in the working directory, with the configured MCP servers' tools.
    async fn new_session(&self) -> anyhow::Result<Session> {
        let mut prepared = session_parts(&self.config, &self.home, self.cwd.clone(), &Setup::default(), &self.model)?;
        add_mcp_tools(&self.config, &mut prepared.options, &mut prepared.tools).await;
        let mut session = Session::start(prepared.options, prepared.client, prepared.tools, self.sink())?;
        session.set_approver(self.approver.clone());
        Ok(session)
    }

    /// The saved session `query` names (the newest with `None`), continued here.
    async fn resumed_session(&self, query: Option<&str>) -> anyhow::Result<Session> {
        let path = rollout::find(&self.home, query)?;
        let mut prepared = session_parts(&self.config, &self.home, self.cwd.clone(), &Setup::default(), &self.model)?;
        add_mcp_tools(&self.config, &mut prepared.options, &mut prepared.tools).await;
        let mut session = Session::resume(prepared.options, prepared.client, prepared.tools, self.sink(), &path)?;
        session.set_approver(self.approver.clone());
        Ok(session)
    }

    /// Reads intents until the person quits or the front end goes away.
    async fn serve(
        &mut self,
        mut session: Session,
        mut intents: mpsc::UnboundedReceiver<Intent>,
    ) -> anyhow::Result<()> {
        // Prompts and commands sent while other work ran, in the order they came.
        let mut queued = VecDeque::new();
        loop {
            let intent = match queued.pop_front() {
                Some(intent) => intent,
                None => match intents.recv().await {
                    Some(intent) => intent,
                    None => return Ok(()),
                },
            };
            let ended = match intent {
                Intent::Quit => return Ok(()),
                // Answers and interrupts only mean something while work runs; a stale one is dropped.
                Intent::Approve { .. } | Intent::Interrupt => Ended::Continue,
                Intent::Submit { text } => {
                    if let Err(err) = self.history.append(session.id(), &text) {
                        self.show(Update::Error(err.to_string()));
                    }
                    let cancel = CancellationToken::new();
                    let (result, ended) =
                        while_running(session.run_turn(&text, &cancel), &cancel, &mut intents, &mut queued, self).await;
                    match result {
                        // The turn's own events (`turn_completed`, `turn_failed`) already told the front end.
                        Ok(_) | Err(SessionError::Interrupted) => {}
                        Err(err) => self.show(Update::Error(err.to_string())),
                    }
                    ended
                }
                Intent::Command(command) => self.command(&mut session, command, &mut intents, &mut queued).await,
            };
            if let Ended::Quit = ended {
                return Ok(());
            }
        }
    }

    /// Carries out a slash command.
    async fn command(
        &mut self,
        session: &mut Session,
        command: SlashCommand,
        intents: &mut mpsc::UnboundedReceiver<Intent>,
        queued: &mut VecDeque<Intent>,
    ) -> Ended {
        match command {
            SlashCommand::Compact => {
                let cancel = CancellationToken::new();
                let (result, ended) = while_running(session.compact(&cancel), &cancel, intents, queued, self).await;
                match result {
                    Ok(()) | Err(SessionError::Interrupted) => {}
                    Err(err) => self.show(Update::Error(format!("cannot compact the conversation: {err}"))),
                }
                return ended;
            }
            SlashCommand::Diff => match uncommitted_diff(&self.cwd) {
                Ok(patch) if patch.is_empty() => self.show(Update::Info("No uncommitted changes.".into())),
                Ok(patch) => self.show(Update::Diff(patch)),
                Err(err) => self.show(Update::Error(format!("{err:#}"))),
            },
            SlashCommand::Status => self.show(Update::Info(self.status(session))),
            SlashCommand::Model(None) => self.show(Update::Info(format!(
                "Model: {} (provider {}). `/model <name>` switches for the next turns.",
                self.model.model, self.model.provider_name
            ))),
            SlashCommand::Model(Some(name)) => {
                session.set_model(&name);
                self.show(Update::Info(format!("The next turns use {name}.")));
            }
            SlashCommand::New => match self.new_session().await {
                Ok(fresh) => *session = fresh,
                Err(err) => self.show(Update::Error(format!("cannot start a new session: {err:#}"))),
            },
            SlashCommand::Resume(query) => match self.resumed_session(query.as_deref()).await {
                Ok(resumed) => {
                    *session = resumed;
                    self.show(Update::Info(format!("Resumed session {}.", session.id())));
                }
                Err(err) => self.show(Update::Error(format!("cannot resume: {err:#}"))),
            },
            SlashCommand::Review => return self.review(intents, queued).await,
            SlashCommand::Plan(goal) => return self.plan(&goal, intents, queued).await,
        }
        Ended::Continue
    }

    /// `/status`: what this session is and how full its context is.
    fn status(&self, session: &Session) -> String {
        let usage = session.total_usage();
        let mut lines = vec![
            format!("Session:   {}", session.id()),
            format!("Model:     {} (provider {})", session.model(), self.model.provider_name),
            format!("Directory: {}", self.cwd.display()),
            format!("Sandbox:   {}", self.config.sandbox.name()),
            format!("Approval:  {}", self.config.approval_policy.name()),
            format!("Tokens:    {} in, {} out", usage.input_tokens, usage.output_tokens),
        ];
        if let Some(window) = session.context_window() {
            lines.push(format!("Context:   {window} tokens"));
        }
        if let Some(path) = session.rollout_path() {
            lines.push(format!("Recorded:  {}", path.display()));
        }
        lines.join("\n")
    }

    /// `/review`: the reviewer on the uncommitted changes, its text shown as a notice.
    async fn review(&mut self, intents: &mut mpsc::UnboundedReceiver<Intent>, queued: &mut VecDeque<Intent>) -> Ended {
        let cancel = CancellationToken::new();
        let job = crate::review_cmd::review_uncommitted(
            &self.config,
            &self.home,
            &self.cwd,
            self.sink(),
            self.approver.clone(),
            &cancel,
        );
        let (result, ended) = while_running(job, &cancel, intents, queued, self).await;
        match result {
            Ok(Some(review)) => self.show(Update::Info(crate::review_cmd::review_text(&review))),
            Ok(None) => self.show(Update::Info("No uncommitted changes to review.".into())),
            Err(err) => self.show(Update::Error(format!("the review failed: {err:#}"))),
        }
        ended
    }

    /// `/plan <goal>`: an execution plan written by the agent under `plans/`.
    async fn plan(
        &mut self,
        goal: &str,
        intents: &mut mpsc::UnboundedReceiver<Intent>,
        queued: &mut VecDeque<Intent>,
    ) -> Ended {
        if goal.trim().is_empty() {
            self.show(Update::Error("`/plan` needs a goal, such as `/plan add a --json flag to list`.".into()));
            return Ended::Continue;
        }
        let cancel = CancellationToken::new();
        let job = crate::plan_cmd::write_plan(
            &self.config,
            &self.home,
            &self.cwd,
            goal,
            self.sink(),
            self.approver.clone(),
            &cancel,
        );
        let (result, ended) = while_running(job, &cancel, intents, queued, self).await;
        match result {
            Ok(path) => self.show(Update::Info(format!("Wrote the plan {}.", path.display()))),
            Err(err) => self.show(Update::Error(format!("no plan was written: {err:#}"))),
        }
        ended
    }
}

/// Runs `work` while answering the intents that matter during it: approval answers go to the waiting
/// tool call, Ctrl-C cancels, and prompts typed meanwhile wait in `queued` for their turn.
async fn while_running<T>(
    work: impl Future<Output = T>,
    cancel: &CancellationToken,
    intents: &mut mpsc::UnboundedReceiver<Intent>,
    queued: &mut VecDeque<Intent>,
    driver: &Driver,
) -> (T, Ended) {
    let mut work = std::pin::pin!(work);
    let mut ended = Ended::Continue;
    let mut open = true;
    loop {
        tokio::select! {
            result = &mut work => return (result, ended),
            intent = intents.recv(), if open => match intent {
                Some(Intent::Approve { call_id, decision }) => driver.approver.answer(&call_id, decision),
                Some(Intent::Interrupt) => cancel.cancel(),
                Some(Intent::Quit) | None => {
                    // Quitting stops the work first, so nothing runs on after the terminal is given back.
                    open = intent.is_some();
                    ended = Ended::Quit;
                    cancel.cancel();
                }
                Some(other @ (Intent::Submit { .. } | Intent::Command(_))) => queued.push_back(other),
            },
        }
    }
}

/// The uncommitted changes under `cwd` (staged, unstaged and untracked) as a unified diff.
fn uncommitted_diff(cwd: &Path) -> anyhow::Result<String> {
    let repo = braid_git::Repo::discover(cwd).context("`/diff` shows a git repository's changes")?;
    Ok(repo.diff_uncommitted()?.diff.patch)
}

/// Answers approval requests with what the person picks in the front end.
#[derive(Default)]
struct TuiApprover {
    state: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    /// Tool calls waiting for an answer.
    waiting: HashMap<String, oneshot::Sender<ApprovalDecision>>,
    /// Answers that arrived before their call started waiting. The request is shown as the session
    /// emits it, just before it waits, so a quick enough answer can overtake the wait.
    early: HashMap<String, ApprovalDecision>,
}

impl TuiApprover {
    /// Delivers the person's answer for `call_id`.
    fn answer(&self, call_id: &str, decision: ApprovalDecision) {
        let Ok(mut state) = self.state.lock() else { return };
        match state.waiting.remove(call_id) {
            Some(waiting) => {
                let _ = waiting.send(decision);
            }
            None => {
                state.early.insert(call_id.to_string(), decision);
            }
        }
    }
}

impl Approver for TuiApprover {
    fn decide<'a>(&'a self, request: &'a ApprovalRequest) -> BoxFuture<'a, (ApprovalDecision, DecidedBy)> {
        Box::pin(async move {
            let receiver = {
                let Ok(mut state) = self.state.lock() else {
                    return (ApprovalDecision::Abort, DecidedBy::Default);
                };
                if let Some(decision) = state.early.remove(&request.call_id) {
                    return (decision, DecidedBy::User);
                }
                let (sender, receiver) = oneshot::channel();
                state.waiting.insert(request.call_id.clone(), sender);
                receiver
            };
            match receiver.await {
                Ok(decision) => (decision, DecidedBy::User),
                // The front end went away without answering: nothing may run unasked.
                Err(_) => (ApprovalDecision::Abort, DecidedBy::Interrupt),
            }
        })
    }
}
