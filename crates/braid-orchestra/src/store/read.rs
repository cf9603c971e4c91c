//! Reading the store back: the run list for `braid runs`, one run in full for `braid show`, the attempts a
//! resume must finish, and whether an attempt still belongs to a live run (for `braid gc`).
//!
//! Liveness is decided here, at read time, from the owner recorded with the run: a run written as
//! `running` whose process is gone reads as `interrupted`. Reads never write, so looking at the runs does
//! not race with the run's own process.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::records::{AttemptRecord, EventCount, RunDetail, RunRecord, RunSummary, Tokens, TransitionRecord};
use super::{AttemptState, ProcessStamp, RunState, Store, StoreError};

/// How many candidates an ambiguous id prefix error lists.
const MAX_CANDIDATES: usize = 10;

const RUN_COLUMNS: &str = "id, created_at, task, plan_path, base_commit, agents, attempts, concurrency, \
    state, finished_at, error, pid, hostname, process_start, base_ref";

const ATTEMPT_COLUMNS: &str = "run_id, n, agent, approach, branch, worktree, state, turns, input_tokens, \
    cached_tokens, output_tokens, cost_usd, commit_sha, error, started_at, finished_at, last_action, port, \
    final_message, claimed_success";

/// A value read from a row that does not parse; becomes [`StoreError::Corrupt`] with the store's path.
pub(super) struct Bad(pub(super) String);

impl From<rusqlite::Error> for Bad {
    fn from(err: rusqlite::Error) -> Self {
        Bad(err.to_string())
    }
}

impl Store {
    /// Every run, newest first, with its attempts counted by state and its token and cost totals. A
    /// `running` run whose owner process has died is reported as `interrupted`. Fails on a database error
    /// or a stored value this braid cannot read.
    pub fn runs(&self) -> Result<Vec<RunSummary>, StoreError> {
        let conn = self.lock();
        let runs = self.query(
            &conn,
            &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC"),
            [],
            run_record,
        )?;
        let mut stmt = conn
            .prepare(
                "SELECT run_id, state, COUNT(*), SUM(input_tokens), SUM(cached_tokens),
                    SUM(output_tokens), SUM(cost_usd)
                 FROM attempts GROUP BY run_id, state",
            )
            .map_err(|err| self.sqlite(err))?;
        type Totals = (BTreeMap<AttemptState, u32>, Tokens, Option<f64>);
        let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, u32>(2)?,
                    Tokens { input: count(row, 3)?, cached: count(row, 4)?, output: count(row, 5)? },
                    row.get::<_, Option<f64>>(6)?,
                ))
            })
            .map_err(|err| self.sqlite(err))?;
        for row in rows {
            let (run, state, n, tokens, cost) = row.map_err(|err| self.sqlite(err))?;
            let state: AttemptState =
                state.parse().map_err(|err: super::UnknownState| self.corrupt(err.to_string()))?;
            let entry = totals.entry(run).or_default();
            entry.0.insert(state, n);
            entry.1.add(tokens);
            entry.2 = match (entry.2, cost) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
        }
        Ok(runs
            .into_iter()
            .map(|run| {
                let (attempts_by_state, tokens, cost_usd) = totals.remove(&run.id).unwrap_or_default();
                RunSummary { run, attempts_by_state, tokens, cost_usd }
            })
            .collect())
    }

    /// The run `id` with its attempts, transitions and event counts. `id` may be a unique prefix of a run
    /// id, as with git's short shas. Returns `None` when no run matches; fails when the prefix matches
    /// several runs ([`StoreError::AmbiguousRun`], listing them) or on a database error.
    pub fn run(&self, id: &str) -> Result<Option<RunDetail>, StoreError> {
        let conn = self.lock();
        let Some(id) = self.resolve(&conn, id)? else {
            return Ok(None);
        };
        let mut runs =
            self.query(&conn, &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"), [&id], run_record)?;
        let Some(run) = runs.pop() else {
            return Ok(None);
        };
        let attempts = self.query(
            &conn,
            &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ?1 ORDER BY n"),
            [&id],
            attempt_record,
        )?;
        let transitions = self.query(
            &conn,
            "SELECT n, from_state, to_state, at, note FROM transitions WHERE run_id = ?1 ORDER BY id",
            [&id],
            |row| {
                Ok(TransitionRecord {
                    n: row.get(0)?,
                    from: state_at(row, 1)?,
                    to: state_at(row, 2)?,
                    at: time(&row.get::<_, String>(3)?)?,
                    note: row.get(4)?,
                })
            },
        )?;
        let events = self.query(
            &conn,
            "SELECT n, kind, count FROM event_counts WHERE run_id = ?1 ORDER BY n, kind",
            [&id],
            |row| Ok(EventCount { n: row.get(0)?, kind: row.get(1)?, count: count(row, 2)? }),
        )?;
        Ok(Some(RunDetail { run, attempts, transitions, events }))
    }

    /// The attempts of `run` that have work left: those in `pending` up to `committing`, by number. A
    /// resume moves each one that was interrupted mid-work back to `pending` (noting why) and redoes it;
    /// see `docs/store.md`. Fails when the run does not exist.
    pub fn attempts_to_resume(&self, run: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        let conn = self.lock();
        let exists: bool = conn
            .query_row("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)", [run], |row| row.get(0))
            .map_err(|err| self.sqlite(err))?;
        if !exists {
            return Err(StoreError::NoSuchRun { path: self.path_buf(), id: run.to_string() });
        }
        let attempts = self.query(
            &conn,
            &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ?1 ORDER BY n"),
            [run],
            attempt_record,
        )?;
        Ok(attempts.into_iter().filter(|attempt| attempt.state.is_unfinished()).collect())
    }

    /// True when `braid gc` must leave attempt `n` of `run` alone: the attempt is recorded, not yet
    /// `removed`, and its run is still `running` with a live owner process. False for an attempt or run
    /// the store does not know, whose worktree is therefore an orphan. Fails on a database error.
    pub fn live_attempt(&self, run: &str, n: u32) -> Result<bool, StoreError> {
        let conn = self.lock();
        let found = conn
            .query_row(
                "SELECT attempts.state, runs.state, runs.pid, runs.hostname, runs.process_start
                 FROM attempts JOIN runs ON runs.id = attempts.run_id
                 WHERE attempts.run_id = ?1 AND attempts.n = ?2",
                params![run, n],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, owner_at(row, 2)?)),
            )
            .optional()
            .map_err(|err| self.sqlite(err))?;
        let Some((attempt_state, run_state, owner)) = found else {
            return Ok(false);
        };
        let attempt_state: AttemptState =
            attempt_state.parse().map_err(|err: super::UnknownState| self.corrupt(err.to_string()))?;
        let run_state: RunState =
            run_state.parse().map_err(|err: super::UnknownState| self.corrupt(err.to_string()))?;
        Ok(attempt_state != AttemptState::Removed && effective_state(run_state, owner.as_ref()) == RunState::Running)
    }

    /// The full id of the one run whose id is `prefix` or starts with it; `None` when there is none (an
    /// empty prefix names no run, even in a store with a single one).
    fn resolve(&self, conn: &Connection, prefix: &str) -> Result<Option<String>, StoreError> {
        if prefix.is_empty() {
            return Ok(None);
        }
        let mut matches = self.query(
            conn,
            "SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT ?2",
            params![prefix, MAX_CANDIDATES as i64 + 1],
            |row| Ok(row.get::<_, String>(0)?),
        )?;
        if matches.iter().any(|id| id == prefix) {
            return Ok(Some(prefix.to_string()));
        }
        match matches.len() {
            0 => Ok(None),
            1 => Ok(matches.pop()),
            _ => {
                if matches.len() > MAX_CANDIDATES {
                    matches.truncate(MAX_CANDIDATES);
                    matches.push("…".to_string());
                }
                Err(StoreError::AmbiguousRun { prefix: prefix.to_string(), candidates: matches })
            }
        }
    }

    /// Runs `sql` and decodes each row with `decode`, turning database errors and undecodable values
    /// into store errors that name the file.
    pub(super) fn query<T, P: rusqlite::Params>(
        &self,
        conn: &Connection,
        sql: &str,
        params: P,
        decode: impl Fn(&Row<'_>) -> Result<T, Bad>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = conn.prepare(sql).map_err(|err| self.sqlite(err))?;
        let mut rows = stmt.query(params).map_err(|err| self.sqlite(err))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|err| self.sqlite(err))? {
            out.push(decode(row).map_err(|Bad(detail)| self.corrupt(detail))?);
        }
        Ok(out)
    }
}

/// The state a run is in as seen from here: `running` with a dead owner is `interrupted`.
fn effective_state(recorded: RunState, owner: Option<&ProcessStamp>) -> RunState {
    match owner {
        Some(owner) if recorded == RunState::Running && !owner.is_alive() => RunState::Interrupted,
        _ => recorded,
    }
}

fn run_record(row: &Row<'_>) -> Result<RunRecord, Bad> {
    let recorded_state: RunState =
        row.get::<_, String>(8)?.parse().map_err(|err: super::UnknownState| Bad(err.to_string()))?;
    let owner = owner_at(row, 11)?;
    Ok(RunRecord {
        id: row.get(0)?,
        created_at: time(&row.get::<_, String>(1)?)?,
        task: row.get(2)?,
        plan_path: row.get::<_, Option<String>>(3)?.map(PathBuf::from),
        base_commit: row.get(4)?,
        base_ref: row.get(14)?,
        agents: row.get(5)?,
        attempts: row.get(6)?,
        concurrency: row.get(7)?,
        state: effective_state(recorded_state, owner.as_ref()),
        recorded_state,
        finished_at: row.get::<_, Option<String>>(9)?.as_deref().map(time).transpose()?,
        error: row.get(10)?,
        owner,
    })
}

fn attempt_record(row: &Row<'_>) -> Result<AttemptRecord, Bad> {
    Ok(AttemptRecord {
        run_id: row.get(0)?,
        n: row.get(1)?,
        agent: row.get(2)?,
        approach: row.get(3)?,
        branch: row.get(4)?,
        worktree: PathBuf::from(row.get::<_, String>(5)?),
        state: state_at(row, 6)?,
        turns: row.get(7)?,
        tokens: Tokens { input: count(row, 8)?, cached: count(row, 9)?, output: count(row, 10)? },
        cost_usd: row.get(11)?,
        commit: row.get(12)?,
        error: row.get(13)?,
        started_at: row.get::<_, Option<String>>(14)?.as_deref().map(time).transpose()?,
        finished_at: row.get::<_, Option<String>>(15)?.as_deref().map(time).transpose()?,
        last_action: row.get(16)?,
        port: row.get(17)?,
        final_message: row.get(18)?,
        claimed_success: row.get::<_, Option<i64>>(19)?.map(|v| v != 0),
    })
}

/// The owner process recorded in columns `at` (pid), `at + 1` (host name), `at + 2` (start ticks), or
/// `None` when the run was recorded without one.
fn owner_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<ProcessStamp>> {
    let pid: Option<u32> = row.get(at)?;
    let hostname: Option<String> = row.get(at + 1)?;
    let start: Option<i64> = row.get(at + 2)?;
    Ok(match (pid, hostname, start) {
        (Some(pid), Some(hostname), Some(start)) => {
            Some(ProcessStamp { pid, hostname, start_ticks: start.max(0) as u64 })
        }
        _ => None,
    })
}

fn state_at(row: &Row<'_>, at: usize) -> Result<AttemptState, Bad> {
    row.get::<_, String>(at)?.parse().map_err(|err: super::UnknownState| Bad(err.to_string()))
}

/// A non-negative count column (a `SUM` over no rows is NULL, read as 0).
fn count(row: &Row<'_>, at: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, Option<i64>>(at)?.unwrap_or(0).max(0) as u64)
}

pub(super) fn time(text: &str) -> Result<DateTime<Utc>, Bad> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| Bad(format!("stored time `{text}` is not RFC 3339: {err}")))
}
