//! The environment context message: what the model should know about where it runs (directory, OS,
//! shell, git branch, date) to pick the right commands.

use std::path::Path;

use crate::git_info::GitInfo;

/// The environment description sent as the first developer message of a session.
pub fn context_text(cwd: &Path, git: Option<&GitInfo>) -> String {
    let shell = std::env::var("SHELL").ok().and_then(|s| s.rsplit('/').next().map(str::to_string));
    let mut lines = vec![
        "<environment_context>".to_string(),
        format!("cwd: {}", cwd.display()),
        format!("os: {} ({})", std::env::consts::OS, std::env::consts::ARCH),
        format!("shell: {}", shell.as_deref().unwrap_or("sh")),
        format!("date: {}", chrono::Utc::now().format("%Y-%m-%d")),
    ];
    match git {
        Some(git) => {
            lines.push(format!("git root: {}", git.root.display()));
            let branch = git.branch.as_deref().unwrap_or("(detached HEAD)");
            match &git.sha {
                Some(sha) => lines.push(format!("git branch: {branch} at {}", &sha[..sha.len().min(12)])),
                None => lines.push(format!("git branch: {branch} (no commits yet)")),
            }
        }
        None => lines.push("git: not a repository".to_string()),
    }
    lines.push("</environment_context>".to_string());
    lines.join("\n")
}
