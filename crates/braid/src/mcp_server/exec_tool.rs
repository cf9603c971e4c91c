//! `braid_exec`: one agent task in a directory, set up like `braid exec` (config, profiles, sandbox,
//! `approval_default` answering approvals), with a summary of what it changed: from git when the
//! directory is in a repository, else from the session's file-change events.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use braid_core::session::CancellationToken;
use braid_core::{EventSink, Session, render};
use braid_git::{FileStatus, Repo};
use braid_protocol::{AgentEvent, FileChangeKind, ToolEffect, Usage};
use braid_sandbox::PathGlobs;
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::exec::{add_mcp_tools, braid_home, load_config, prepare, working_dir};

/// What a `braid_exec` call did.
#[derive(Debug, Serialize)]
pub(super) struct ExecReport {
    pub session_id: String,
    /// The agent's last message (empty when it wrote none).
    pub final_message: String,
    pub changes: Changes,
    /// Tokens over the whole session.
    pub usage: Usage,
}

/// The files a task changed.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Changes {
    /// `git` (the repository's state before and after, so commands' edits count too) or `events` (the
    /// file edits the agent's tools reported, without line counts).
    pub source: &'static str,
    pub files: Vec<ChangedFile>,
    pub insertions: u64,
    pub deletions: u64,
}

/// One changed file.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct ChangedFile {
    /// Relative to the repository root (git) or as the tool named it (events).
    pub path: String,
    /// `added`, `modified`, `deleted`, `renamed`, ...
    pub status: String,
    /// Lines added; `None` when unknown (events, binary files).
    pub insertions: Option<u64>,
    pub deletions: Option<u64>,
}

impl ExecReport {
    /// The report for people (and the calling model): the final message, then the changes and usage.
    pub fn text(&self) -> String {
        let mut out = self.final_message.trim_end().to_string();
        if out.is_empty() {
            out.push_str("(the agent wrote no final message)");
        }
        out.push_str("\n\n");
        out.push_str(&self.changes.text());
        out.push_str(&format!(
            "Tokens: {} ({} input, {} output). Session {} (`braid resume {}` continues it).\n",
            self.usage.total(),
            self.usage.input_tokens,
            self.usage.output_tokens,
            self.session_id,
            self.session_id
        ));
        out
    }
}

impl Changes {
    fn text(&self) -> String {
        if self.files.is_empty() {
            return "No files changed.\n".to_string();
        }
        let mut out = match self.source {
            "git" => format!("Changed {} file(s), +{} -{} lines:\n", self.files.len(), self.insertions, self.deletions),
            _ => format!("Changed {} file(s):\n", self.files.len()),
        };
        for file in &self.files {
            let counts = match (file.insertions, file.deletions) {
                (Some(added), Some(removed)) => format!(" +{added} -{removed}"),
                _ => String::new(),
            };
            out.push_str(&format!("  {} {}{counts}\n", file.status, file.path));
        }
        out
    }
}

/// Runs `prompt` as one turn in `global.cd` and reports it. Fails when the config, the directory or the
/// model cannot be set up, or the turn fails (the model is unreachable, `cancel` fired).
pub(super) async fn exec(global: &GlobalArgs, prompt: &str, cancel: &CancellationToken) -> anyhow::Result<ExecReport> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    // The state before the task, so that the summary holds only what the task changed, whatever was
    // uncommitted already. Without a repository (or a first commit) the tools' events tell instead.
    let repo = Repo::discover(&cwd).ok();
    let before = repo.as_ref().and_then(|repo| repo.diff_uncommitted().ok()).map(|state| state.snapshot);
    let (mut options, client, mut tools) = prepare(&config, &home, cwd, &PathGlobs::empty())?;
    // Set up as `braid exec` is: the configured MCP servers' tools too.
    add_mcp_tools(&config, &mut options, &mut tools).await;
    let edits = Arc::new(Mutex::new(Vec::new()));
    // No approver is set: nobody can be asked, so `approval_default` answers, as under `exec --json`.
    let mut session = Session::start(options, client, tools, sink(Arc::clone(&edits)))?;
    let outcome = session.run_turn(prompt, cancel).await?;
    let from_events = || event_changes(&edits.lock().map(|e| e.clone()).unwrap_or_default());
    let changes = match (&repo, &before) {
        (Some(repo), Some(before)) => git_changes(repo, before).unwrap_or_else(|_| from_events()),
        _ => from_events(),
    };
    Ok(ExecReport {
        session_id: session.id().to_string(),
        final_message: outcome.last_message.unwrap_or_default(),
        changes,
        usage: session.total_usage(),
    })
}

/// Progress lines on stderr (never stdout, the MCP transport), and every successful file edit recorded
/// in `edits`.
fn sink(edits: Arc<Mutex<Vec<(String, FileChangeKind)>>>) -> EventSink {
    Box::new(move |event| {
        if let Some(line) = render::progress_line(event) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
        if let AgentEvent::ToolCallEnd { success: true, effect: ToolEffect::FileChange { changes }, .. } = event
            && let Ok(mut edits) = edits.lock()
        {
            for change in changes {
                let path = change.move_to.clone().unwrap_or_else(|| change.path.clone());
                edits.push((path, change.kind));
            }
        }
    })
}

/// What changed between the snapshot `before` and the repository's state now (commits the agent made
/// and uncommitted files alike). Fails when git fails.
fn git_changes(repo: &Repo, before: &str) -> anyhow::Result<Changes> {
    let after = repo.diff_uncommitted()?.snapshot;
    let diff = repo.diff_commits(before, &after)?;
    let files = diff
        .files
        .iter()
        .map(|file| ChangedFile {
            path: file.path.clone(),
            status: status_word(file.status),
            insertions: (!file.binary).then_some(file.insertions),
            deletions: (!file.binary).then_some(file.deletions),
        })
        .collect();
    Ok(Changes { source: "git", files, insertions: diff.insertions, deletions: diff.deletions })
}

fn status_word(status: FileStatus) -> String {
    match status {
        FileStatus::Added => "added".to_string(),
        FileStatus::Modified => "modified".to_string(),
        FileStatus::Deleted => "deleted".to_string(),
        FileStatus::Renamed => "renamed".to_string(),
        FileStatus::Copied => "copied".to_string(),
        FileStatus::TypeChanged => "type changed".to_string(),
        FileStatus::Other(letter) => format!("changed ({letter})"),
    }
}

/// The files the tools reported editing, once each, in the order first touched; a file added and then
/// updated is still `added`, one added and then deleted is left out.
fn event_changes(edits: &[(String, FileChangeKind)]) -> Changes {
    let mut files: Vec<(String, FileChangeKind)> = Vec::new();
    for (path, kind) in edits {
        match files.iter().position(|(seen, _)| seen == path) {
            None => files.push((path.clone(), *kind)),
            Some(at) => {
                let first = files[at].1;
                match (first, kind) {
                    (FileChangeKind::Add, FileChangeKind::Delete) => {
                        files.remove(at);
                    }
                    (FileChangeKind::Add, _) => {}
                    (_, kind) => files[at].1 = *kind,
                }
            }
        }
    }
    let files = files
        .into_iter()
        .map(|(path, kind)| ChangedFile {
            path,
            status: match kind {
                FileChangeKind::Add => "added",
                FileChangeKind::Delete => "deleted",
                FileChangeKind::Update => "modified",
            }
            .to_string(),
            insertions: None,
            deletions: None,
        })
        .collect();
    Changes { source: "events", files, insertions: 0, deletions: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(edits: &[(&str, FileChangeKind)], expected: &[(&str, &str)]) {
        let edits: Vec<(String, FileChangeKind)> = edits.iter().map(|(p, k)| (p.to_string(), *k)).collect();
        let changes = event_changes(&edits);
        let got: Vec<(&str, &str)> = changes.files.iter().map(|f| (f.path.as_str(), f.status.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn event_changes_keep_one_entry_per_file() {
        use FileChangeKind::{Add, Delete, Update};
        check(&[], &[]);
        check(&[("a", Add), ("a", Update)], &[("a", "added")]);
        check(&[("a", Add), ("a", Delete)], &[]);
        check(&[("a", Update), ("b", Add), ("a", Delete)], &[("a", "deleted"), ("b", "added")]);
        check(&[("a", Update), ("a", Update)], &[("a", "modified")]);
    }
}
