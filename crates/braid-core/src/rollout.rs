//! Session rollouts: every session is appended, line by line as it happens, to
//! `<home>/sessions/YYYY/MM/DD/<id>.jsonl`, so that a crash loses at most the line being written and
//! `braid resume` can rebuild the conversation.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use braid_protocol::{AgentEvent, CompactionTrigger, Item, Role, ToolEffect};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::compaction::PlanState;

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
    #[error("{} has {turns} user turns; --at takes 0 to {turns}", path.display())]
    NoSuchTurn { path: PathBuf, turns: usize },
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
    /// Set when this session was forked from another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ForkOrigin>,
}

/// Where a forked session came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkOrigin {
    pub session_id: String,
    /// How many user turns of the original the fork kept.
    pub turns: usize,
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
    /// The conversation was compacted: `history` replaces every item before this line.
    Compacted {
        timestamp: DateTime<Utc>,
        trigger: CompactionTrigger,
        summary: String,
        history: Vec<Item>,
    },
    /// The plan carried into this session from another (a fork); later `update_plan` calls are
    /// recorded as their events.
    Plan {
        timestamp: DateTime<Utc>,
        plan: PlanState,
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

    /// Opens an existing rollout to continue appending to it (for resume). A partial last line (a crash
    /// mid-write, which `read` drops) is cut off first; appending after it would glue the next line to
    /// it and corrupt both.
    pub fn reopen(path: &Path) -> Result<RolloutWriter, RolloutError> {
        let write_error = |source| RolloutError::Write { path: path.to_path_buf(), source };
        let text = fs::read(path).map_err(|source| RolloutError::Read { path: path.to_path_buf(), source })?;
        let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |newline| newline + 1);
        let file = OpenOptions::new().append(true).open(path).map_err(write_error)?;
        if complete < text.len() {
            file.set_len(complete as u64).map_err(write_error)?;
        }
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
    /// The conversation as it stands, compactions applied, in order.
    pub items: Vec<Item>,
    /// The plan as `update_plan` last set it.
    pub plan: Option<PlanState>,
    /// User turns recorded (user messages appended as items; those inside a compacted history are
    /// not new turns).
    pub turns: usize,
    /// Set when the last line was partial (a crash mid-write) and was dropped.
    pub dropped_partial_line: bool,
}

impl Rollout {
    /// Tool calls in `items` that have no output: braid stopped (crashed or was killed) between
    /// recording a call and recording its result. Returned as (call id, tool name), in order.
    pub fn unanswered_calls(&self) -> Vec<(String, String)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| match item {
                Item::ToolCall { call_id, name, .. } => {
                    let answered = self.items[index + 1..]
                        .iter()
                        .any(|later| matches!(later, Item::ToolOutput { call_id: id, .. } if id == call_id));
                    (!answered).then(|| (call_id.clone(), name.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// Reads a rollout. A partial last line (no trailing newline and not valid JSON) is dropped and reported
/// in `dropped_partial_line`; any other bad line is an error naming the line.
pub fn read(path: &Path) -> Result<Rollout, RolloutError> {
    read_prefix(path, None)
}

/// Reads a rollout up to, not including, user turn `turns + 1`: the state the session was in when its
/// first `turns` user turns were done (`None` reads it all). Fails with `NoSuchTurn` when the session
/// has fewer turns.
pub fn read_prefix(path: &Path, turns: Option<usize>) -> Result<Rollout, RolloutError> {
    let text = fs::read_to_string(path).map_err(|source| RolloutError::Read { path: path.to_path_buf(), source })?;
    let ends_cleanly = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut meta = None;
    let mut items = Vec::new();
    let mut plan = None;
    let mut seen_turns = 0usize;
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
            RolloutLine::Item { item, .. } => {
                if matches!(item, Item::Message { role: Role::User, .. }) {
                    if turns.is_some_and(|limit| seen_turns == limit) {
                        break;
                    }
                    seen_turns += 1;
                }
                items.push(item);
            }
            RolloutLine::Compacted { history, .. } => items = history,
            RolloutLine::Plan { plan: carried, .. } => plan = Some(carried),
            RolloutLine::Event { event: AgentEvent::ToolCallEnd { effect, success: true, .. }, .. } => {
                if let ToolEffect::Plan { explanation, items: steps } = effect {
                    plan = Some(PlanState { explanation, items: steps });
                }
            }
            RolloutLine::Event { .. } => {}
        }
    }
    let meta = meta.ok_or_else(|| RolloutError::NoMeta { path: path.to_path_buf() })?;
    if turns.is_some_and(|limit| limit > seen_turns) {
        return Err(RolloutError::NoSuchTurn { path: path.to_path_buf(), turns: seen_turns });
    }
    Ok(Rollout { path: path.to_path_buf(), meta, items, plan, turns: seen_turns, dropped_partial_line })
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
            forked_from: None,
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
        // Appending after a resume starts on a fresh line, so the file reads back whole.
        let mut writer = RolloutWriter::reopen(&path).unwrap();
        writer.append(&item_line(Item::user("after"))).unwrap();
        let rollout = read(&path).unwrap();
        assert_eq!(rollout.items, vec![Item::user("kept"), Item::user("after")]);
        assert!(!rollout.dropped_partial_line);
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

    fn event_line(event: AgentEvent) -> RolloutLine {
        RolloutLine::Event { timestamp: Utc::now(), event }
    }

    fn plan_event(step: &str) -> RolloutLine {
        event_line(AgentEvent::ToolCallEnd {
            call_id: "p".into(),
            name: "update_plan".into(),
            output: "ok".into(),
            success: true,
            effect: ToolEffect::Plan {
                explanation: None,
                items: vec![braid_protocol::PlanItem {
                    step: step.into(),
                    status: braid_protocol::PlanStatus::Pending,
                }],
            },
            duration_ms: 1,
        })
    }

    /// A session of three user turns with a compaction in the second and a plan set in each.
    fn three_turns(home: &Path) -> PathBuf {
        let mut writer = RolloutWriter::create(home, &meta("0193cccc-1")).unwrap();
        for line in [
            item_line(Item::developer("env")),
            item_line(Item::user("one")),
            item_line(Item::assistant("a1")),
            plan_event("first"),
            item_line(Item::user("two")),
            RolloutLine::Compacted {
                timestamp: Utc::now(),
                trigger: CompactionTrigger::Auto,
                summary: "S".into(),
                history: vec![Item::developer("env"), Item::user("two"), Item::developer("<handoff_summary>S")],
            },
            item_line(Item::assistant("a2")),
            plan_event("second"),
            item_line(Item::user("three")),
            item_line(Item::ToolCall { call_id: "c9".into(), name: "shell".into(), arguments: "{}".into() }),
        ] {
            writer.append(&line).unwrap();
        }
        writer.path().to_path_buf()
    }

    #[test]
    fn compactions_replace_history_and_prefixes_stop_before_a_turn() {
        let home = tempfile::tempdir().unwrap();
        let path = three_turns(home.path());
        let whole = read(&path).unwrap();
        assert_eq!(whole.turns, 3);
        assert_eq!(whole.items.len(), 3 + 3);
        assert_eq!(whole.items[3], Item::assistant("a2"));
        assert_eq!(whole.plan.as_ref().unwrap().items[0].step, "second");
        assert_eq!(whole.unanswered_calls(), vec![("c9".to_string(), "shell".to_string())]);

        let first = read_prefix(&path, Some(1)).unwrap();
        assert_eq!(first.items, vec![Item::developer("env"), Item::user("one"), Item::assistant("a1")]);
        assert_eq!(first.plan.unwrap().items[0].step, "first");
        let none = read_prefix(&path, Some(0)).unwrap();
        assert_eq!((none.items.len(), none.turns, none.plan), (1, 0, None));
        let two = read_prefix(&path, Some(2)).unwrap();
        assert_eq!(two.items.last(), Some(&Item::assistant("a2")));
        assert!(two.unanswered_calls().is_empty());
        assert!(matches!(read_prefix(&path, Some(4)), Err(RolloutError::NoSuchTurn { turns: 3, .. })));
    }
}
