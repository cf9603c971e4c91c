//! The run store: a SQLite database (`.braid/braid.db`) recording runs of parallel attempts, each
//! attempt's state transitions, progress, tokens and costs, and a summary of its events.
//!
//! Several processes use one store at once (`braid runs` while a run writes; two runs side by side), so
//! the database is in WAL mode, waits for locks instead of failing, and every write that reads first takes
//! the write lock up front (`BEGIN IMMEDIATE`). Calls are synchronous and short; async callers may call
//! them directly. `docs/store.md` describes the schema and the crash-recovery contract.

mod checks;
mod id;
mod process;
mod read;
mod records;
mod reviews;
mod schema;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, ffi, params};

pub use checks::StoredCheck;
pub use id::new_run_id;
pub use process::{ProcessStamp, hostname};
pub use records::{
    AttemptRecord, AttemptUpdate, EventCount, NewAttempt, NewRun, RunDetail, RunRecord, RunSummary, Tokens,
    TransitionRecord,
};
pub use reviews::{PickHow, PickRecord, StoredReview};
pub use schema::SCHEMA_VERSION;
pub use state::{AttemptState, RunState, UnknownState};

/// How long a call waits for another process's write lock before giving up. Writes are short, so this
/// is only reached when something holds the database far longer than braid ever does.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong with the run store. Every variant names the database file or the run it is about.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database could not be created.
    #[error("cannot create the directory for the run store {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    /// The file exists but is not a SQLite database.
    #[error(
        "{} is not a braid run store (not a SQLite database: {reason}); move it aside or delete it, and \
         braid will create a fresh store there",
        path.display()
    )]
    NotADatabase { path: PathBuf, reason: String },
    /// The database was migrated by a newer braid.
    #[error(
        "the run store {} has schema version {found}, but this braid knows only up to version {known}; \
         upgrade braid to use this repository's runs",
        path.display()
    )]
    TooNew { path: PathBuf, found: u32, known: u32 },
    /// Any other SQLite failure.
    #[error("run store {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    /// A stored value that this braid cannot read back (edited by hand, or a bug).
    #[error("run store {}: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// No run has this id (or id prefix).
    #[error("no run `{id}` in {}", path.display())]
    NoSuchRun { path: PathBuf, id: String },
    /// More than one run id starts with the prefix given.
    #[error("run id `{prefix}` is ambiguous: it begins {}; give more characters", candidates.join(", "))]
    AmbiguousRun { prefix: String, candidates: Vec<String> },
    /// `create_run` with an id already used.
    #[error("run {id} already exists in {}", path.display())]
    RunExists { path: PathBuf, id: String },
    /// The run's pick is already recorded: a run is picked once.
    #[error(
        "run {run} was already picked (attempt {n}), so nothing was changed; `braid restore {run}/<n>` brings \
         back another attempt's branch to work on (store {})",
        path.display()
    )]
    AlreadyPicked { path: PathBuf, run: String, n: u32 },
    /// No such attempt in this run.
    #[error("run {run} has no attempt {n}")]
    NoSuchAttempt { run: String, n: u32 },
    /// `add_attempt` with a number (or branch) the run already has.
    #[error("run {run} already has an attempt {n} (or another attempt uses its branch)")]
    AttemptExists { run: String, n: u32 },
    /// A state change the attempt state machine does not allow.
    #[error("attempt {n} of run {run} cannot move from {from} to {to}")]
    IllegalTransition { run: String, n: u32, from: AttemptState, to: AttemptState },
    /// `finish_run` called with `running`, which is not an end state.
    #[error("run {run} cannot be finished as `running`; use finished, interrupted or cancelled")]
    NotAnEndState { run: String },
}

/// A handle on the run store. Clones share one connection; open the store again (another `Store::open`)
/// for a second, independent connection, as a second process would have.
#[derive(Clone)]
pub struct Store {
    path: Arc<PathBuf>,
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Formats a time as the store writes it: RFC 3339 in UTC with milliseconds, which sorts as text.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Opens the store at `path`, creating the file and its parent directories if needed, and migrates it
    /// to [`SCHEMA_VERSION`]. Fails when the directory cannot be created, the file is not a SQLite
    /// database, or it was migrated by a newer braid.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let sqlite = |source| classify(path, source);
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        // SQLite answers "busy" at once, without calling the busy handler, when waiting could deadlock:
        // two connections setting up a fresh file both hold a read lock and want the write lock. One of
        // them must let go and start again, so the whole setup is retried until the busy timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match set_up(&mut conn) {
                Ok(()) => break,
                Err(SetupError::Sqlite(source))
                    if error_code(&source) == Some(ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() + pause < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                Err(SetupError::TooNew { found }) => {
                    return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
                }
                Err(SetupError::Sqlite(source)) => return Err(classify(path, source)),
            }
        }
        Ok(Store { path: Arc::new(path.to_path_buf()), conn: Arc::new(Mutex::new(conn)) })
    }

    /// The database file this store was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a new run in state `running`. Fails with [`StoreError::RunExists`] when the id is taken.
    pub fn create_run(&self, run: &NewRun) -> Result<(), StoreError> {
        let conn = self.lock();
        let owner = run.owner.as_ref();
        conn.execute(
            "INSERT INTO runs (id, created_at, task, plan_path, base_commit, agents, attempts,
                concurrency, state, pid, hostname, process_start, base_ref)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10, ?11, ?12)",
            params![
                run.id,
                format_time(run.created_at),
                run.task,
                run.plan_path.as_ref().map(|p| p.to_string_lossy().into_owned()),
                run.base_commit,
                run.agents,
                run.attempts,
                run.concurrency.max(1),
                owner.map(|o| o.pid),
                owner.map(|o| o.hostname.clone()),
                owner.map(|o| o.start_ticks as i64),
                run.base_ref,
            ],
        )
        .map_err(|err| {
            if is_duplicate(&err) {
                StoreError::RunExists { path: self.path_buf(), id: run.id.clone() }
            } else {
                self.sqlite(err)
            }
        })?;
        Ok(())
    }

    /// Records a new attempt of `run` in state `pending`. Fails when the run does not exist or already has
    /// an attempt with this number or branch.
    pub fn add_attempt(&self, run: &str, attempt: &NewAttempt) -> Result<(), StoreError> {
        let conn = self.lock();
        let known: bool = conn
            .query_row("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)", [run], |row| row.get(0))
            .map_err(|err| self.sqlite(err))?;
        if !known {
            return Err(StoreError::NoSuchRun { path: self.path_buf(), id: run.to_string() });
        }
        conn.execute(
            "INSERT INTO attempts (run_id, n, agent, approach, branch, worktree, state, port)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
            params![
                run,
                attempt.n,
                attempt.agent,
                attempt.approach,
                attempt.branch,
                attempt.worktree.to_string_lossy(),
                attempt.port,
            ],
        )
        .map_err(|err| {
            if is_duplicate(&err) {
                StoreError::AttemptExists { run: run.to_string(), n: attempt.n }
            } else {
                self.sqlite(err)
            }
        })?;
        Ok(())
    }

    /// Moves attempt `n` of `run` to state `to`, writing the transition row and the attempt's new state in
    /// one transaction, so the history and the current state never disagree. Leaving `pending` stamps
    /// `started_at`; reaching `committed`, `failed` or `cancelled` stamps `finished_at`; going back to
    /// `pending` clears both; failing with a note records the note as the error unless one is already
    /// recorded. Fails when the attempt does not exist or the move is not legal
    /// ([`AttemptState::can_move_to`]).
    pub fn transition(&self, run: &str, n: u32, to: AttemptState, note: Option<&str>) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let sqlite = |err| self.sqlite(err);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let from: Option<String> = tx
            .query_row("SELECT state FROM attempts WHERE run_id = ?1 AND n = ?2", params![run, n], |row| row.get(0))
            .optional()
            .map_err(sqlite)?;
        let from = from.ok_or_else(|| StoreError::NoSuchAttempt { run: run.to_string(), n })?;
        let from: AttemptState = from.parse().map_err(|err: UnknownState| self.corrupt(err.to_string()))?;
        if !from.can_move_to(to) {
            return Err(StoreError::IllegalTransition { run: run.to_string(), n, from, to });
        }
        let now = format_time(Utc::now());
        tx.execute(
            "INSERT INTO transitions (run_id, n, from_state, to_state, at, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![run, n, from.as_str(), to.as_str(), now, note],
        )
        .map_err(sqlite)?;
        let (started, finished, reset) = match to {
            AttemptState::Pending => (false, false, true),
            AttemptState::Committed | AttemptState::Failed | AttemptState::Cancelled => (false, true, false),
            _ => (from == AttemptState::Pending, false, false),
        };
        let error = if to == AttemptState::Failed { note } else { None };
        tx.execute(
            "UPDATE attempts SET state = ?3,
                started_at = CASE WHEN ?5 THEN NULL WHEN ?4 THEN ?6 ELSE started_at END,
                finished_at = CASE WHEN ?5 THEN NULL WHEN ?7 THEN ?6 ELSE finished_at END,
                error = COALESCE(error, ?8)
             WHERE run_id = ?1 AND n = ?2",
            params![run, n, to.as_str(), started, reset, now, finished, error],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// Applies the `Some` fields of `update` to attempt `n` of `run`. Fails when there is no such attempt.
    pub fn update_attempt(&self, run: &str, n: u32, update: &AttemptUpdate) -> Result<(), StoreError> {
        let conn = self.lock();
        let tokens = update.tokens;
        let changed = conn
            .execute(
                "UPDATE attempts SET
                    turns = COALESCE(?3, turns),
                    input_tokens = COALESCE(?4, input_tokens),
                    cached_tokens = COALESCE(?5, cached_tokens),
                    output_tokens = COALESCE(?6, output_tokens),
                    cost_usd = COALESCE(?7, cost_usd),
                    last_action = COALESCE(?8, last_action),
                    commit_sha = COALESCE(?9, commit_sha),
                    error = COALESCE(?10, error),
                    port = COALESCE(?11, port),
                    final_message = COALESCE(?12, final_message),
                    claimed_success = COALESCE(?13, claimed_success)
                 WHERE run_id = ?1 AND n = ?2",
                params![
                    run,
                    n,
                    update.turns,
                    tokens.map(|t| clamp(t.input)),
                    tokens.map(|t| clamp(t.cached)),
                    tokens.map(|t| clamp(t.output)),
                    update.cost_usd,
                    update.last_action,
                    update.commit,
                    update.error,
                    update.port,
                    update.final_message,
                    update.claimed_success,
                ],
            )
            .map_err(|err| self.sqlite(err))?;
        if changed == 0 {
            return Err(StoreError::NoSuchAttempt { run: run.to_string(), n });
        }
        Ok(())
    }

    /// Counts one more event of `kind` (e.g. `tool_call`, `message`, `error`) for attempt `n` of `run`.
    /// Fails when there is no such attempt.
    pub fn bump_event(&self, run: &str, n: u32, kind: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO event_counts (run_id, n, kind, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (run_id, n, kind) DO UPDATE SET count = count + 1",
            params![run, n, kind],
        )
        .map_err(|err| {
            if is_dangling(&err) { StoreError::NoSuchAttempt { run: run.to_string(), n } } else { self.sqlite(err) }
        })?;
        Ok(())
    }

    /// Records that `run` ended in `state` (finished, interrupted or cancelled), with an optional error,
    /// stamping `finished_at`. Fails when the run does not exist or `state` is `running`.
    pub fn finish_run(&self, run: &str, state: RunState, error: Option<&str>) -> Result<(), StoreError> {
        if state == RunState::Running {
            return Err(StoreError::NotAnEndState { run: run.to_string() });
        }
        let conn = self.lock();
        let changed = conn
            .execute(
                "UPDATE runs SET state = ?2, finished_at = ?3, error = ?4 WHERE id = ?1",
                params![run, state.as_str(), format_time(Utc::now()), error],
            )
            .map_err(|err| self.sqlite(err))?;
        if changed == 0 {
            return Err(StoreError::NoSuchRun { path: self.path_buf(), id: run.to_string() });
        }
        Ok(())
    }

    /// Marks `run` as running again under a new owner process, for `braid run --resume`: clears
    /// `finished_at` and the error. Fails when the run does not exist.
    pub fn resume_run(&self, run: &str, owner: Option<&ProcessStamp>) -> Result<(), StoreError> {
        let conn = self.lock();
        let changed = conn
            .execute(
                "UPDATE runs SET state = 'running', finished_at = NULL, error = NULL,
                    pid = ?2, hostname = ?3, process_start = ?4
                 WHERE id = ?1",
                params![
                    run,
                    owner.map(|o| o.pid),
                    owner.map(|o| o.hostname.clone()),
                    owner.map(|o| o.start_ticks as i64),
                ],
            )
            .map_err(|err| self.sqlite(err))?;
        if changed == 0 {
            return Err(StoreError::NoSuchRun { path: self.path_buf(), id: run.to_string() });
        }
        Ok(())
    }

    /// Locks the connection. A panic while another thread held the lock leaves the connection itself
    /// usable (every write is a transaction SQLite rolls back), so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn path_buf(&self) -> PathBuf {
        self.path.as_ref().clone()
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path_buf(), source }
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt { path: self.path_buf(), detail }
    }
}

/// Token counts are `u64` in Rust and signed 64-bit in SQLite; no real count comes near the limit, but
/// clamping keeps a bogus one from failing the whole update.
fn clamp(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The error code of a failed statement, if it was a SQLite failure (constraint, busy, not a database).
fn error_code(err: &rusqlite::Error) -> Option<ErrorCode> {
    match err {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        _ => None,
    }
}

/// True when `err` is a violated primary key or unique index: a row with that key already exists.
fn is_duplicate(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(failure, _)
        if failure.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || failure.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// True when `err` is a violated foreign key: the row refers to a run or attempt that does not exist.
fn is_dangling(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(failure, _)
        if failure.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// Turns a SQLite error met while opening `path` into a store error, telling "this file is not a
/// database" apart from other failures.
/// Why setting up a freshly opened connection failed.
enum SetupError {
    TooNew { found: u32 },
    Sqlite(rusqlite::Error),
}

/// Puts a new connection in WAL mode with foreign keys on and brings the schema up to date.
fn set_up(conn: &mut Connection) -> Result<(), SetupError> {
    // The first statement that reads the file is where a non-database is noticed.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map_err(SetupError::Sqlite)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(SetupError::Sqlite)?;
    // In WAL mode NORMAL still never corrupts the database; a power cut may lose the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(SetupError::Sqlite)?;
    schema::migrate(conn).map(drop).map_err(|err| match err {
        schema::MigrateError::TooNew { found } => SetupError::TooNew { found },
        schema::MigrateError::Sqlite(source) => SetupError::Sqlite(source),
    })
}

fn classify(path: &Path, source: rusqlite::Error) -> StoreError {
    match error_code(&source) {
        Some(ErrorCode::NotADatabase) => {
            StoreError::NotADatabase { path: path.to_path_buf(), reason: source.to_string() }
        }
        _ => StoreError::Sqlite { path: path.to_path_buf(), source },
    }
}
