//! The checks `braid compare` ran, kept per attempt commit so that comparing again reuses them instead of
//! running every test suite anew.

use chrono::Utc;
use rusqlite::params;

use super::read::Bad;
use super::{Store, StoreError, format_time};
use crate::checks::CheckOutcome;

/// One stored check result.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCheck {
    /// The attempt, or 0 for the run's base commit.
    pub n: u32,
    /// The commit the check ran on.
    pub commit: String,
    pub outcome: CheckOutcome,
}

impl Store {
    /// Records `outcome` of a check run on `commit` of attempt `n` of `run` (0: the base commit),
    /// replacing an earlier result of the same check. Fails when the run is unknown.
    pub fn save_check(&self, run: &str, n: u32, commit: &str, outcome: &CheckOutcome) -> Result<(), StoreError> {
        let json = serde_json::to_string(outcome)
            .map_err(|err| self.corrupt(format!("cannot encode the result of check {}: {err}", outcome.name)))?;
        let conn = self.lock();
        conn.execute(
            "INSERT OR REPLACE INTO check_results
                (run_id, n, name, commit_sha, command, passed, exit_code, seconds, at, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                run,
                n,
                outcome.name,
                commit,
                outcome.command,
                outcome.passed,
                outcome.exit_code,
                outcome.seconds,
                format_time(Utc::now()),
                json
            ],
        )
        .map_err(|err| self.sqlite(err))?;
        Ok(())
    }

    /// Every stored check result of `run`, by attempt then check name.
    pub fn checks(&self, run: &str) -> Result<Vec<StoredCheck>, StoreError> {
        let conn = self.lock();
        self.query(
            &conn,
            "SELECT n, commit_sha, outcome FROM check_results WHERE run_id = ?1 ORDER BY n, name",
            [run],
            |row| {
                let json: String = row.get(2)?;
                let outcome = serde_json::from_str(&json)
                    .map_err(|err| Bad(format!("a stored check result of run {run} does not parse: {err}")))?;
                Ok(StoredCheck { n: row.get(0)?, commit: row.get(1)?, outcome })
            },
        )
    }
}
