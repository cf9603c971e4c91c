//! Session rollouts: every session is appended, line by line as it happens, to
//! `<home>/sessions/YYYY/MM/DD/<id>.jsonl`, so that a crash loses at most the line being written and
//! `braid resume` can rebuild the conversation.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use braid_protocol::{AgentEvent, Item};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// Why a rollout could not be written, found or read.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("cannot write session file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read session file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: not a braid session line: {message}", path.display())]
    Corrupt { path: PathBuf, line: usize, message: String },
    #[error("{} does not start with a session_meta line; it is not a braid session", path.display())]
    NoMeta { path: PathBuf },
    #[error("no session matches `{query}` under {}; `ls` that directory to see the saved sessions", dir.display())]
    NotFound { query: String, dir: PathBuf },
    #[error("`{query}` matches several sessions ({}); give more of the id", candidates.join(", "))]
    Ambiguous { query: String, candidates: Vec<String> },
}

/// Where the session ran, recorded once at the top of its rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub cwd: PathBuf,
    pub model: String,
    pub provider: String,
    #[serde(default)]
    pub git_branch: Option<String>,
    #[serde(default)]
    pub git_sha: Option<String>,
    pub braid_version: String,
}

/// One line of a rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RolloutLine {
    SessionMeta(SessionMeta),
    /// A conversation item, in history order.
    Item {
        timestamp: DateTime<Utc>,
        item: Item,
    },
    /// An event front ends saw (deltas are not recorded: the items they add up to are).
    Event {
        timestamp: DateTime<Utc>,
        event: AgentEvent,
    },
}

/// Appends lines to one session's rollout file.
#[derive(Debug)]
pub struct RolloutWriter {
    path: PathBuf,
    file: File,
}

impl RolloutWriter {
    /// Creates `<home>/sessions/YYYY/MM/DD/<id>.jsonl` and writes the meta line.
    pub fn create(home: &Path, meta: &SessionMeta) -> Result<RolloutWriter, RolloutError> {
        let date = meta.timestamp;
        let dir = home
            .join("sessions")
            .join(format!("{:04}", date.year()))
            .join(format!("{:02}", date.month()))
            .join(format!("{:02}", date.day()));
        let path = dir.join(format!("{}.jsonl", meta.id));
        fs::create_dir_all(&dir).map_err(|source| RolloutError::Write { path: dir.clone(), source })?;
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|source| RolloutError::Write { path: path.clone(), source })?;
        let mut writer = RolloutWriter { path, file };
        writer.append(&RolloutLine::SessionMeta(meta.clone()))?;
        Ok(writer)
    }

    /// Opens an existing rollout to continue appending to it (for resume).
    pub fn reopen(path: &Path) -> Result<RolloutWriter, RolloutError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|source| RolloutError::Write { path: path.to_path_buf(), source })?;
        Ok(RolloutWriter { path: path.to_path_buf(), file })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line. Each line is written with a single `write_all` of the full JSON plus newline, so
    /// a crash leaves at most one partial last line, which the reader drops.
    pub fn append(&mut self, line: &RolloutLine) -> Result<(), RolloutError> {
        let mut text = serde_json::to_string(line)
            .map_err(|err| RolloutError::Write { path: self.path.clone(), source: std::io::Error::other(err) })?;
        text.push('\n');
        self.file.write_all(text.as_bytes()).map_err(|source| RolloutError::Write { path: self.path.clone(), source })
    }
}

/// A rollout read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    pub path: PathBuf,
    pub meta: SessionMeta,
    /// The conversation items, in order.
    pub items: Vec<Item>,
    /// Set when the last line was partial (a crash mid-write) and was dropped.
    pub dropped_partial_line: bool,
}

/// Reads a rollout. A partial last line (no trailing newline and not valid JSON) is dropped and reported
/// in `dropped_partial_line`; any other bad line is an error naming the line.
pub fn read(path: &Path) -> Result<Rollout, RolloutError> {
    let text = fs::read_to_string(path).map_err(|source| RolloutError::Read { path: path.to_path_buf(), source })?;
    let ends_cleanly = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut meta = None;
    let mut items = Vec::new();
    let mut dropped_partial_line = false;
    for (index, raw) in lines.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let parsed: RolloutLine = match serde_json::from_str(raw) {
            Ok(parsed) => parsed,
            Err(_) if index + 1 == lines.len() && !ends_cleanly => {
                dropped_partial_line = true;
                break;
            }
            Err(err) => {
                return Err(RolloutError::Corrupt {
                    path: path.to_path_buf(),
                    line: index + 1,
                    message: err.to_string(),
                });
            }
        };
        match parsed {
            RolloutLine::SessionMeta(m) if meta.is_none() => meta = Some(m),
            RolloutLine::SessionMeta(_) => {}
            RolloutLine::Item { item, .. } => items.push(item),
            RolloutLine::Event { .. } => {}
        }
    }
    let meta = meta.ok_or_else(|| RolloutError::NoMeta { path: path.to_path_buf() })?;
    Ok(Rollout { path: path.to_path_buf(), meta, items, dropped_partial_line })
}

/// Every rollout file under `<home>/sessions`, newest first. Ids are time-ordered (UUIDv7) and the
/// directories are dated, so sorting paths sorts by creation time.
pub fn list(home: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect_jsonl(&home.join("sessions"), 0, &mut found);
    found.sort();
    found.reverse();
    found
}

fn collect_jsonl(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if depth < 3 && path.is_dir() {
            collect_jsonl(&path, depth + 1, out);
        } else if depth == 3 && path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
}

/// Finds a session by id or unique id prefix (at least 4 characters), or the newest with `None`.
pub fn find(home: &Path, query: Option<&str>) -> Result<PathBuf, RolloutError> {
    let sessions_dir = home.join("sessions");
    let all = list(home);
    let Some(query) = query else {
        return all
            .into_iter()
            .next()
            .ok_or_else(|| RolloutError::NotFound { query: "--last".to_string(), dir: sessions_dir });
    };
    let query = query.trim();
    if Path::new(query).is_file() {
        return Ok(PathBuf::from(query));
    }
    let matches: Vec<PathBuf> = all
        .into_iter()
        .filter(|p| query.len() >= 4 && p.file_stem().and_then(|s| s.to_str()).is_some_and(|s| s.starts_with(query)))
        .collect();
    match matches.as_slice() {
        [] => Err(RolloutError::NotFound { query: query.to_string(), dir: sessions_dir }),
        [only] => Ok(only.clone()),
        _ => Err(RolloutError::Ambiguous {
            query: query.to_string(),
            candidates: matches.iter().filter_map(|p| p.file_stem()?.to_str().map(str::to_string)).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> SessionMeta {
        SessionMeta {
            id: id.to_string(),
            timestamp: "2026-11-21T10:00:00Z".parse().unwrap(),
            cwd: PathBuf::from("/repo"),
            model: "m".into(),
            provider: "p".into(),
            git_branch: Some("main".into()),
            git_sha: None,
            braid_version: "0.1.0".into(),
        }
    }

    fn item_line(item: Item) -> RolloutLine {
        RolloutLine::Item { timestamp: Utc::now(), item }
    }

    #[test]
    fn round_trip_under_dated_directory() {
        let home = tempfile::tempdir().unwrap();
        let mut writer = RolloutWriter::create(home.path(), &meta("0193abcd-1")).unwrap();
        assert!(writer.path().ends_with("sessions/2026/11/21/0193abcd-1.jsonl"));
        writer.append(&item_line(Item::user("hi"))).unwrap();
        writer.append(&RolloutLine::Event { timestamp: Utc::now(), event: AgentEvent::TurnStarted }).unwrap();
        writer.append(&item_line(Item::assistant("hello"))).unwrap();
        let rollout = read(writer.path()).unwrap();
        assert_eq!(rollout.meta, meta("0193abcd-1"));
        assert_eq!(rollout.items, vec![Item::user("hi"), Item::assistant("hello")]);
        assert!(!rollout.dropped_partial_line);
    }

    #[test]
    fn partial_last_line_is_dropped_with_a_flag() {
        let home = tempfile::tempdir().unwrap();
        let mut writer = RolloutWriter::create(home.path(), &meta("0193abcd-2")).unwrap();
        writer.append(&item_line(Item::user("kept"))).unwrap();
        let path = writer.path().to_path_buf();
        drop(writer);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"type":"item","timestamp":"2026-11-21T10:00:00Z","item":{"type":"mess"#).unwrap();
        let rollout = read(&path).unwrap();
        assert_eq!(rollout.items, vec![Item::user("kept")]);
        assert!(rollout.dropped_partial_line);
    }

    #[test]
    fn corrupt_middle_line_names_the_line() {
        let home = tempfile::tempdir().unwrap();
        let writer = RolloutWriter::create(home.path(), &meta("0193abcd-3")).unwrap();
        let path = writer.path().to_path_buf();
        drop(writer);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"garbage\n{\"type\":\"event\"}\n").unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains(":2:"), "{err}");
    }

    #[test]
    fn find_by_prefix_newest_and_errors() {
        let home = tempfile::tempdir().unwrap();
        RolloutWriter::create(home.path(), &meta("0193aaaa-old")).unwrap();
        RolloutWriter::create(home.path(), &meta("0193bbbb-new")).unwrap();
        assert!(find(home.path(), None).unwrap().ends_with("0193bbbb-new.jsonl"));
        assert!(find(home.path(), Some("0193aaaa")).unwrap().ends_with("0193aaaa-old.jsonl"));
        assert!(matches!(find(home.path(), Some("0193")), Err(RolloutError::Ambiguous { .. })));
        assert!(matches!(find(home.path(), Some("ffff")), Err(RolloutError::NotFound { .. })));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(find(empty.path(), None), Err(RolloutError::NotFound { .. })));
    }
}
