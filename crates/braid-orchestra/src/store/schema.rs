//! The store's schema as an ordered list of migrations. `PRAGMA user_version` holds how many have been
//! applied; opening a store applies the rest, each in its own transaction, and refuses a database that a
//! newer braid has migrated further than this one knows.
//!
//! Append new steps at the end; never edit a step that has shipped, since databases in the wild have
//! already run it.

use rusqlite::Connection;

/// Migration steps; step `i` (0-based) takes a database from `user_version` `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: runs, attempts, their state transitions and per-attempt event counts.
    r#"
    CREATE TABLE runs (
        id            TEXT PRIMARY KEY NOT NULL,
        created_at    TEXT NOT NULL,
        task          TEXT NOT NULL,
        plan_path     TEXT,
        base_commit   TEXT NOT NULL,
        agents        TEXT NOT NULL,
        attempts      INTEGER NOT NULL CHECK (attempts >= 0),
        concurrency   INTEGER NOT NULL CHECK (concurrency >= 1),
        state         TEXT NOT NULL
                      CHECK (state IN ('running', 'finished', 'interrupted', 'cancelled')),
        finished_at   TEXT,
        error         TEXT,
        -- The braid process that owns the run, so a dead owner can be told from a live one.
        pid           INTEGER,
        hostname      TEXT,
        process_start INTEGER
    ) STRICT;
    CREATE INDEX runs_by_created_at ON runs (created_at);

    CREATE TABLE attempts (
        run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        n             INTEGER NOT NULL CHECK (n >= 1),
        agent         TEXT NOT NULL,
        approach      TEXT,
        branch        TEXT NOT NULL,
        worktree      TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'creating', 'created', 'setting_up',
                      'running', 'committing', 'committed', 'failed', 'cancelled', 'archived',
                      'removed')),
        turns         INTEGER NOT NULL DEFAULT 0 CHECK (turns >= 0),
        input_tokens  INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
        cached_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
        output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
        cost_usd      REAL,
        commit_sha    TEXT,
        error         TEXT,
        started_at    TEXT,
        finished_at   TEXT,
        last_action   TEXT,
        port          INTEGER CHECK (port BETWEEN 1 AND 65535),
        PRIMARY KEY (run_id, n)
    ) STRICT;
    -- gc and resume look attempts up by state across runs.
    CREATE INDEX attempts_by_state ON attempts (state);
    CREATE UNIQUE INDEX attempts_by_branch ON attempts (branch);

    CREATE TABLE transitions (
        id          INTEGER PRIMARY KEY,
        run_id      TEXT NOT NULL,
        n           INTEGER NOT NULL,
        from_state  TEXT NOT NULL,
        to_state    TEXT NOT NULL,
        at          TEXT NOT NULL,
        note        TEXT,
        FOREIGN KEY (run_id, n) REFERENCES attempts (run_id, n) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX transitions_by_attempt ON transitions (run_id, n, id);
    -- The history of an attempt is a record of what happened: rows are added, never changed.
    CREATE TRIGGER transitions_append_only BEFORE UPDATE ON transitions
    BEGIN
        SELECT RAISE(ABORT, 'transitions are append-only');
    END;

    CREATE TABLE event_counts (
        run_id  TEXT NOT NULL,
        n       INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        count   INTEGER NOT NULL CHECK (count >= 0),
        PRIMARY KEY (run_id, n, kind),
        FOREIGN KEY (run_id, n) REFERENCES attempts (run_id, n) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    "#,
    // 2: what the agent said at the end, and the checks `braid compare` ran on each attempt's commit.
    r#"
    ALTER TABLE attempts ADD COLUMN final_message TEXT;
    ALTER TABLE attempts ADD COLUMN claimed_success INTEGER CHECK (claimed_success IN (0, 1));

    -- One row per check per attempt commit. `n` is 0 for the run's base commit (the baseline that new
    -- warnings are measured against), which is why there is no foreign key to attempts. The outcome is
    -- the JSON of `checks::CheckOutcome`; the columns beside it are what queries filter on.
    CREATE TABLE check_results (
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        n           INTEGER NOT NULL CHECK (n >= 0),
        name        TEXT NOT NULL,
        commit_sha  TEXT NOT NULL,
        command     TEXT NOT NULL,
        passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
        exit_code   INTEGER,
        seconds     REAL NOT NULL,
        at          TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        PRIMARY KEY (run_id, n, name)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 3: the branch a run started from, the reviews braid made, and the attempt the user picked.
    r#"
    -- The branch HEAD was on (or that --base named) when the run started; NULL when it was a bare commit.
    -- `braid pick --merge` merges into it.
    ALTER TABLE runs ADD COLUMN base_ref TEXT;

    -- One row per review. Reviews of an attempt carry its run and number; reviews of uncommitted changes,
    -- commits and ranges have none. The review is the JSON of `review::Review`; the columns beside it
    -- are what queries filter on.
    CREATE TABLE reviews (
        id           INTEGER PRIMARY KEY,
        run_id       TEXT REFERENCES runs (id) ON DELETE CASCADE,
        n            INTEGER CHECK (n >= 1),
        head_commit  TEXT,
        base_commit  TEXT NOT NULL,
        verdict      TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect')),
        blocking     INTEGER NOT NULL CHECK (blocking >= 0),
        at           TEXT NOT NULL,
        review       TEXT NOT NULL,
        CHECK ((run_id IS NULL) = (n IS NULL))
    ) STRICT;
    CREATE INDEX reviews_by_attempt ON reviews (run_id, n, id);

    -- The attempt of a run the user chose, and what became of it. A run is picked at most once.
    CREATE TABLE picks (
        run_id         TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        n              INTEGER NOT NULL CHECK (n >= 1),
        how            TEXT NOT NULL CHECK (how IN ('merge', 'squash', 'pr')),
        at             TEXT NOT NULL,
        -- The branch merged into, or the pull request's base branch.
        target_branch  TEXT NOT NULL,
        -- The commit the target branch points at after a merge; NULL for a pull request.
        result_commit  TEXT,
        pr_url         TEXT,
        FOREIGN KEY (run_id, n) REFERENCES attempts (run_id, n) ON DELETE CASCADE
    ) STRICT;
    "#,
];

/// The schema version this braid writes: the number of known migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why migrating failed, before the caller attaches the file's path.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The database is at a version this braid does not know.
    TooNew {
        found: u32,
    },
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(err: rusqlite::Error) -> Self {
        MigrateError::Sqlite(err)
    }
}

/// Applies the migrations `conn` has not run yet, each in its own transaction together with the bump of
/// `user_version`, so a crash between two steps leaves a database at a well-defined version. Returns the
/// version found before migrating; fails when the database is newer than [`SCHEMA_VERSION`] or a step fails.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, MigrateError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(MigrateError::TooNew { found });
    }
    for (index, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // IMMEDIATE takes the write lock up front, so two processes opening a fresh store at once do not
        // both run step 1: the second waits (busy_timeout), then sees the new version and skips it.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: u32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if current as usize > index {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(found)
}
