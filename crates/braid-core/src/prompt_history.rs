//! The prompts a person typed into interactive sessions, kept in `$BRAID_HOME/history.jsonl` so the
//! composer's Up arrow reaches prompts from earlier sessions too.
//!
//! Each line is one JSON object `{"ts": <unix seconds>, "session": "<id>", "text": "<prompt>"}`. Lines are
//! appended with one `write` each on a file opened for appending, so two sessions typing at once never
//! interleave inside a line. A line that does not parse (a crash mid-write, a hand edit) is skipped on
//! reading rather than failing the session: history is a convenience, never a reason not to start.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How many prompts are read back: enough to scroll through, few enough to read at start-up in a blink.
pub const MAX_LOADED: usize = 1000;

/// The history file under a braid home.
#[derive(Debug, Clone)]
pub struct PromptHistory {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    ts: i64,
    session: String,
    text: String,
}

/// A failure to record a prompt.
#[derive(Debug, thiserror::Error)]
#[error("cannot append to the prompt history {path}: {source}")]
pub struct HistoryError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl PromptHistory {
    /// The history kept in `home` (the file need not exist yet).
    pub fn new(home: &Path) -> PromptHistory {
        PromptHistory { path: home.join("history.jsonl") }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last [`MAX_LOADED`] prompts, oldest first, with consecutive repeats folded into one. A missing
    /// or unreadable file is an empty history.
    pub fn load(&self) -> Vec<String> {
        let Ok(text) = std::fs::read_to_string(&self.path) else { return Vec::new() };
        let mut prompts: Vec<String> = Vec::new();
        for line in text.lines() {
            let Ok(entry) = serde_json::from_str::<Entry>(line) else { continue };
            if prompts.last() != Some(&entry.text) {
                prompts.push(entry.text);
            }
        }
        let skip = prompts.len().saturating_sub(MAX_LOADED);
        prompts.split_off(skip)
    }

    /// Appends `text`, typed in session `session`, creating the file (and `home`) when missing. Blank
    /// prompts are not recorded.
    pub fn append(&self, session: &str, text: &str) -> Result<(), HistoryError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let error = |source| HistoryError { path: self.path.clone(), source };
        let entry = Entry { ts: chrono::Utc::now().timestamp(), session: session.to_string(), text: text.to_string() };
        let mut line = serde_json::to_string(&entry).map_err(|err| error(std::io::Error::other(err)))?;
        line.push('\n');
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(error)?;
        }
        let mut file =
            std::fs::OpenOptions::new().create(true).read(true).append(true).open(&self.path).map_err(error)?;
        // A line cut short by a crash must not swallow this one: start afresh after it.
        if !ends_with_newline(&mut file).map_err(error)? {
            line.insert(0, '\n');
        }
        // One write call per line: with O_APPEND the kernel places it whole at the end.
        file.write_all(line.as_bytes()).map_err(error)
    }
}

/// Whether `file` is empty or ends with a newline.
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_prompts_come_back_in_order_with_repeats_folded_and_bad_lines_skipped() {
        let home = tempfile::tempdir().unwrap();
        let history = PromptHistory::new(&home.path().join("nested"));
        assert!(history.load().is_empty());
        history.append("s1", "first").unwrap();
        history.append("s1", "second\nwith two lines").unwrap();
        history.append("s2", "second\nwith two lines").unwrap();
        history.append("s2", "   ").unwrap();
        let mut file = std::fs::OpenOptions::new().append(true).open(history.path()).unwrap();
        file.write_all(b"{\"ts\": 1, \"sess").unwrap();
        drop(file);
        history.append("s2", "third").unwrap();
        assert_eq!(history.load(), ["first", "second\nwith two lines", "third"]);
    }

    #[test]
    fn only_the_newest_prompts_are_loaded() {
        let home = tempfile::tempdir().unwrap();
        let history = PromptHistory::new(home.path());
        for i in 0..MAX_LOADED + 5 {
            history.append("s", &format!("prompt {i}")).unwrap();
        }
        let loaded = history.load();
        assert_eq!(loaded.len(), MAX_LOADED);
        assert_eq!(loaded[0], "prompt 5");
    }

    #[test]
    fn an_unwritable_home_is_an_error_naming_the_file() {
        let home = tempfile::tempdir().unwrap();
        let blocker = home.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let err = PromptHistory::new(&blocker).append("s", "x").unwrap_err();
        assert!(err.to_string().contains("history.jsonl"), "{err}");
    }
}
