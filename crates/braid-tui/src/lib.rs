//! The terminal front end: an inline ratatui view over braid's event stream, for the interactive session
//! and for the live view of a run's attempts. It holds no business logic; it draws events and hands the
//! user's intents back to its caller.

mod app;
mod cells;
mod composer;
mod diff;
mod markdown;
mod palette;
mod popup;
mod run_panel;
mod terminal;
mod timeline;
mod wrap;

#[cfg(test)]
mod frames;
#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod panel_tests;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use braid_protocol::{AgentEvent, ApprovalDecision, RunEvent};

pub use app::App;
pub use run_panel::RunPanel;

/// Why the front end could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// stdin or stdout is not a terminal (piped, redirected, or run from a script).
    #[error(
        "the interactive view needs a terminal, but stdin or stdout is not one; run braid from a terminal, \
         or use `braid exec` for scripts"
    )]
    NotATerminal,
    /// Reading from or writing to the terminal failed.
    #[error("terminal error while {doing}: {source}")]
    Io {
        /// What the front end was doing, e.g. "entering raw mode".
        doing: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Runs the interactive session view on the terminal (stdin/stdout) until the user quits or the caller
/// sends `Update::Exit` (or drops the sender). Blocking: the caller runs it on its own thread. The
/// terminal is restored on every way out, including a panic (a panic hook restores it, then calls the
/// hook that was installed before). `Intent::Quit` is sent after the terminal is restored.
///
/// Fails with `TuiError::NotATerminal` when stdin or stdout is not a terminal, and with `TuiError::Io`
/// when the terminal cannot be read or written.
pub fn run_session(
    view: SessionView,
    updates: Receiver<Update>,
    intents: Box<dyn FnMut(Intent) + Send>,
) -> Result<(), TuiError> {
    terminal::run_session(view, updates, intents)
}

/// Runs the live view of a run: one row per attempt (n, agent, state, turns, tokens, elapsed, last
/// action), updated from `RunEvent`s. Returns after `RunFinished` (or when `updates` closes), leaving
/// the final table in the scrollback. Up/Down select a row; Enter opens that attempt's transcript, Esc
/// goes back; every Ctrl-C sends `RunIntent::Cancel` (the caller decides what a second one means).
///
/// Fails like [`run_session`].
pub fn run_panel(
    view: RunView,
    updates: Receiver<RunEvent>,
    intents: Box<dyn FnMut(RunIntent) + Send>,
) -> Result<(), TuiError> {
    terminal::run_panel(view, updates, intents)
}

/// What the user asked for, handed to the caller, which owns the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// A prompt from the composer, as typed (`@path` mentions and `$skill` names left in the text).
    Submit { text: String },
    /// The answer to the approval request for `call_id`.
    Approve { call_id: String, decision: ApprovalDecision },
    /// Stop the running turn (the first Ctrl-C while a turn runs). The session stays usable.
    Interrupt,
    /// A slash command other than `/quit`.
    Command(SlashCommand),
    /// Leave: `/quit`, Ctrl-D on an empty composer, or a second Ctrl-C. The front end has already
    /// restored the terminal when the caller sees this.
    Quit,
}

/// The slash commands the composer knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlashCommand {
    /// `/plan <goal>`: write an execution plan for the goal.
    Plan(String),
    /// `/compact`: summarise the conversation now.
    Compact,
    /// `/diff`: the working tree's changes.
    Diff,
    /// `/review`: review the uncommitted changes.
    Review,
    /// `/status`: model, directory, sandbox, approval policy, tokens and context left.
    Status,
    /// `/model [name]`: show the model, or switch to another for the next turns.
    Model(Option<String>),
    /// `/new`: start a fresh session in the same directory.
    New,
    /// `/resume [id]`: continue a saved session (the newest when no id is given).
    Resume(Option<String>),
}

/// What the caller tells the front end.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// An event of the session.
    Agent(AgentEvent),
    /// The text answer to a slash command (`/status`, `/model`), shown as a notice.
    Info(String),
    /// A unified diff to show coloured (`/diff`).
    Diff(String),
    /// Something went wrong outside a turn (a slash command failed); shown, and the session goes on.
    Error(String),
    /// The caller is done: the front end restores the terminal and returns.
    Exit,
}

/// How the interactive front end starts.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The working directory: the `@` file picker lists files under it, respecting `.gitignore`.
    pub cwd: PathBuf,
    /// Earlier prompts, oldest first, for Up/Down in the composer.
    pub history: Vec<String>,
    /// Shown in the header and the status line.
    pub model: String,
    /// A first prompt (given on the command line), shown and sent as soon as the view opens.
    pub prompt: Option<String>,
}

/// How the live view of a run starts.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    /// The task or plan, shown above the rows.
    pub title: String,
}

/// What the run view sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum RunIntent {
    /// Ctrl-C: cancel the run (attempts are stopped and their work kept).
    Cancel,
}
