//! The reviews braid made and the attempt the user picked: what `braid compare` ranks on and what
//! `braid pick` records so that a run is picked at most once.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::read::{Bad, time};
use super::{Store, StoreError, format_time};
use crate::review::Review;

/// How a picked attempt became real code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickHow {
    /// Merged into the base branch (fast-forward, or a merge commit).
    Merge,
    /// Squashed into one commit on the base branch.
    Squash,
    /// Pushed and opened as a pull request.
    Pr,
}

impl PickHow {
    fn as_str(self) -> &'static str {
        match self {
            PickHow::Merge => "merge",
            PickHow::Squash => "squash",
            PickHow::Pr => "pr",
        }
    }

    fn parse(text: &str) -> Option<PickHow> {
        match text {
            "merge" => Some(PickHow::Merge),
            "squash" => Some(PickHow::Squash),
            "pr" => Some(PickHow::Pr),
            _ => None,
        }
    }
}

/// The attempt picked from a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PickRecord {
    pub run_id: String,
    pub n: u32,
    pub how: PickHow,
    pub at: DateTime<Utc>,
    /// The branch merged into, or the pull request's base branch.
    pub target_branch: String,
    /// The commit the target branch points at after a merge.
    pub result_commit: Option<String>,
    pub pr_url: Option<String>,
}

/// A stored review and when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReview {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub review: Review,
}

impl Store {
    /// Records `review`; an attempt's review carries its run and number. Returns the review's id.
    pub fn save_review(&self, attempt: Option<(&str, u32)>, review: &Review) -> Result<i64, StoreError> {
        let json = serde_json::to_string(review)
            .map_err(|err| self.corrupt(format!("cannot encode a review of {}: {err}", review.target)))?;
        let conn = self.lock();
        conn.execute(
            "INSERT INTO reviews (run_id, n, head_commit, base_commit, verdict, blocking, at, review)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                attempt.map(|(run, _)| run),
                attempt.map(|(_, n)| n),
                review.head_commit,
                review.base_commit,
                review.verdict.to_string(),
                review.findings.iter().filter(|f| f.priority.is_blocking()).count() as i64,
                format_time(Utc::now()),
                json
            ],
        )
        .map_err(|err| self.sqlite(err))?;
        Ok(conn.last_insert_rowid())
    }

    /// The latest review of each attempt of `run` whose reviewed commit is still the attempt's commit,
    /// by attempt number. A review of an older commit of the attempt no longer describes it.
    pub fn latest_reviews(&self, run: &str) -> Result<Vec<(u32, StoredReview)>, StoreError> {
        let conn = self.lock();
        self.query(
            &conn,
            "SELECT r.n, r.id, r.at, r.review FROM reviews r
             JOIN attempts a ON a.run_id = r.run_id AND a.n = r.n
             WHERE r.run_id = ?1 AND r.head_commit IS a.commit_sha
               AND r.id = (SELECT MAX(id) FROM reviews WHERE run_id = r.run_id AND n = r.n
                           AND head_commit IS a.commit_sha)
             ORDER BY r.n",
            [run],
            |row| {
                let json: String = row.get(3)?;
                let review = serde_json::from_str(&json)
                    .map_err(|err| Bad(format!("a stored review of run {run} does not parse: {err}")))?;
                let at = time(&row.get::<_, String>(2)?)?;
                Ok((row.get(0)?, StoredReview { id: row.get(1)?, at, review }))
            },
        )
    }

    /// Records that attempt `n` of `run` was picked. Fails with [`StoreError::AlreadyPicked`] when the
    /// run already has a pick.
    pub fn record_pick(&self, pick: &PickRecord) -> Result<(), StoreError> {
        let conn = self.lock();
        let existing: Option<u32> = conn
            .query_row("SELECT n FROM picks WHERE run_id = ?1", [&pick.run_id], |row| row.get(0))
            .optional()
            .map_err(|err| self.sqlite(err))?;
        if let Some(n) = existing {
            return Err(StoreError::AlreadyPicked { path: self.path_buf(), run: pick.run_id.clone(), n });
        }
        conn.execute(
            "INSERT INTO picks (run_id, n, how, at, target_branch, result_commit, pr_url)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                pick.run_id,
                pick.n,
                pick.how.as_str(),
                format_time(pick.at),
                pick.target_branch,
                pick.result_commit,
                pick.pr_url
            ],
        )
        .map_err(|err| self.sqlite(err))?;
        Ok(())
    }

    /// The pick of `run`, if it has one.
    pub fn pick(&self, run: &str) -> Result<Option<PickRecord>, StoreError> {
        let conn = self.lock();
        let mut picks = self.query(
            &conn,
            "SELECT run_id, n, how, at, target_branch, result_commit, pr_url FROM picks WHERE run_id = ?1",
            [run],
            |row| {
                let how: String = row.get(2)?;
                Ok(PickRecord {
                    run_id: row.get(0)?,
                    n: row.get(1)?,
                    how: PickHow::parse(&how).ok_or_else(|| Bad(format!("unknown pick kind `{how}`")))?,
                    at: time(&row.get::<_, String>(3)?)?,
                    target_branch: row.get(4)?,
                    result_commit: row.get(5)?,
                    pr_url: row.get(6)?,
                })
            },
        )?;
        Ok(picks.pop())
    }
}
