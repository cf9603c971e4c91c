//! The AI reviewer (`braid review`): the model reads a change with read-only tools and answers through a
//! tool whose schema is the review's, and braid keeps only the findings that are confident, on or near the
//! changed lines, and not repeated.
//!
//! The change is resolved first (`Change`): its base, the reviewed commit, the diff, and for an attempt the
//! run's plan and the checks `braid compare` stored. The reviewer reads a checkout of exactly the reviewed
//! code: the working tree itself for uncommitted changes, a scratch checkout of the commit otherwise.

mod filter;
mod hunks;
mod model;
mod prompt;
mod tools;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use braid_core::Session;
use braid_core::session::CancellationToken;
use braid_git::{Diff, Repo};
use braid_tools::Tool;

use crate::checks::CheckOutcome;
use crate::store::Store;

pub use filter::{FilterOptions, filter};
pub use hunks::ChangedLines;
pub use model::{DropReason, Dropped, Finding, Priority, Review, ReviewTarget, TestEvidence, Verdict};
pub use tools::TestSettings;
use tools::{RunTestTool, SUBMIT_REVIEW, Shared, SubmitReviewTool};

/// How many times a model that has not submitted a review is asked again, the call then being forced.
const REMINDERS: usize = 2;

/// Why a review failed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Session(#[from] braid_core::SessionError),
    #[error(transparent)]
    Git(#[from] braid_git::GitError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("no run `{run}` in this repository; `braid runs` lists them")]
    NoSuchRun { run: String },
    #[error("attempt {run}/{n} has no commit to review (it made no change, or never finished)")]
    NoCommit { run: String, n: u32 },
    #[error("there is nothing to review: {what} has no changes")]
    Empty { what: String },
    #[error(
        "there is nothing to review: commit {rev} is the first commit, so it has no parent to compare with, and has no changes"
    )]
    NoParent { rev: String },
    #[error("cannot read the plan {}: {source}", path.display())]
    Plan { path: PathBuf, source: std::io::Error },
    #[error(
        "the reviewer gave no usable review after {turns} turns{}; try a stronger model (-m) or a smaller change",
        last_problem.as_ref().map(|p| format!(" (the last problem: {p})")).unwrap_or_default()
    )]
    NoReview { turns: usize, last_problem: Option<String> },
}

/// A change to review, resolved against the repository.
#[derive(Debug, Clone)]
pub struct Change {
    pub target: ReviewTarget,
    pub base_commit: String,
    /// The reviewed commit; `None` for uncommitted changes.
    pub head_commit: Option<String>,
    /// A commit whose files are the reviewed code: the head, or a snapshot of the uncommitted state.
    pub tree_commit: String,
    pub diff: Diff,
    /// The plan the change carries out, as text.
    pub plan: Option<String>,
    /// The checks `braid compare` ran on the reviewed commit.
    pub checks: Vec<CheckOutcome>,
}

impl Change {
    /// Resolves `target` in `repo`. An attempt is looked up in `store`; `plan` is the plan file for
    /// targets other than attempts (an attempt's plan is the run's, read from its commit).
    ///
    /// Fails when a revision names no commit, the attempt or its commit does not exist, the plan cannot be
    /// read, or the change is empty.
    pub fn resolve(
        repo: &Repo,
        store: Option<&Store>,
        target: ReviewTarget,
        plan: Option<&Path>,
    ) -> Result<Change, ReviewError> {
        let mut checks = Vec::new();
        let mut plan_text = match plan {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|source| ReviewError::Plan { path: path.to_path_buf(), source })?,
            ),
            None => None,
        };
        // The base and the reviewed code: a commit, or a snapshot of the uncommitted state.
        let (target, base_commit, reviewed) = match target {
            ReviewTarget::Uncommitted => {
                let state = repo.diff_uncommitted()?;
                (ReviewTarget::Uncommitted, state.head.clone(), Reviewed::Uncommitted(state))
            }
            ReviewTarget::Base { branch } => {
                let head = repo.resolve_commit("HEAD")?;
                let base = repo.merge_base(&branch, &head)?;
                (ReviewTarget::Base { branch }, base, Reviewed::Commit(head))
            }
            ReviewTarget::Commit { rev } => {
                let head = repo.resolve_commit(&rev)?;
                let Some(base) = repo.parent(&head)? else { return Err(ReviewError::NoParent { rev }) };
                (ReviewTarget::Commit { rev }, base, Reviewed::Commit(head))
            }
            ReviewTarget::Range { from, to } => {
                let (base, head) = (repo.resolve_commit(&from)?, repo.resolve_commit(&to)?);
                (ReviewTarget::Range { from, to }, base, Reviewed::Commit(head))
            }
            ReviewTarget::Attempt { run, n } => {
                let detail = match store {
                    Some(store) => store.run(&run)?,
                    None => None,
                }
                .ok_or(ReviewError::NoSuchRun { run })?;
                let attempt = detail.attempts.iter().find(|a| a.n == n);
                let Some(head) = attempt.and_then(|a| a.commit.clone()) else {
                    return Err(ReviewError::NoCommit { run: detail.run.id.clone(), n });
                };
                if let Some(store) = store {
                    checks = store
                        .checks(&detail.run.id)?
                        .into_iter()
                        .filter(|c| c.n == n && c.commit == head)
                        .map(|c| c.outcome)
                        .collect();
                }
                if plan_text.is_none()
                    && let Some(path) = &detail.run.plan_path
                {
                    let bytes = repo.file_at(&head, &path.to_string_lossy())?;
                    plan_text = bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
                }
                // The run as the store names it, not the prefix the user typed.
                (ReviewTarget::Attempt { run: detail.run.id, n }, detail.run.base_commit, Reviewed::Commit(head))
            }
        };
        let (head_commit, tree_commit, diff) = match reviewed {
            Reviewed::Uncommitted(state) => (None, state.snapshot, state.diff),
            Reviewed::Commit(head) => {
                let diff = repo.diff_commits(&base_commit, &head)?;
                (Some(head.clone()), head, diff)
            }
        };
        if diff.files.is_empty() {
            return Err(ReviewError::Empty { what: target.to_string() });
        }
        Ok(Change { target, base_commit, head_commit, tree_commit, diff, plan: plan_text, checks })
    }
}

/// The code a review reads: a commit, or the uncommitted state of the checkout.
enum Reviewed {
    Commit(String),
    Uncommitted(braid_git::Uncommitted),
}

/// What the review is asked for, beyond the change.
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    pub filter: FilterOptions,
    /// What the reviewer should pay most attention to.
    pub focus: Option<String>,
    /// The model reviewing, recorded in the review.
    pub model: String,
}

/// One review: the change, the tools the session must offer, and the scratch checkouts it made.
pub struct ReviewJob {
    repo: Repo,
    change: Change,
    options: ReviewOptions,
    shared: Shared,
    /// The checkout the reviewer reads, when it is a scratch checkout braid made.
    reading: Option<PathBuf>,
    /// How the reviewer's tests run; `None` when it may not write tests.
    tests: Option<TestSettings>,
    /// The checkout the reviewer's tests run in, made on the first test.
    testing: Arc<Mutex<Option<PathBuf>>>,
}

impl ReviewJob {
    /// Prepares the review of `change`: for a committed change, a scratch checkout of the reviewed commit
    /// for the reviewer to read (see [`ReviewJob::workdir`]). With `tests`, the reviewer may write and run
    /// tests in another scratch checkout of the reviewed code. Fails when a checkout cannot be made.
    pub fn new(
        repo: Repo,
        change: Change,
        options: ReviewOptions,
        tests: Option<TestSettings>,
    ) -> Result<ReviewJob, ReviewError> {
        let reading = match change.head_commit {
            Some(ref head) => Some(repo.create_scratch(&scratch_name("read", head), head)?.path),
            None => None,
        };
        Ok(ReviewJob { repo, change, options, shared: Shared::default(), reading, tests, testing: Arc::default() })
    }

    /// The directory the reviewer's session must work in: a checkout of exactly the reviewed code.
    pub fn workdir(&self) -> PathBuf {
        self.reading.clone().unwrap_or_else(|| self.repo.root().to_path_buf())
    }

    /// Records the model that reviews (known once the session is prepared).
    pub fn set_model(&mut self, model: &str) {
        self.options.model = model.to_string();
    }

    pub fn change(&self) -> &Change {
        &self.change
    }

    /// The tools the session must offer besides its read-only ones: `submit_review`, and `run_test` when
    /// the job was given test settings.
    pub fn tools(&self) -> Vec<Box<dyn Tool>> {
        let with_tests = self.tests.is_some();
        let mut tools: Vec<Box<dyn Tool>> =
            vec![Box::new(SubmitReviewTool { shared: self.shared.clone(), with_tests })];
        if let Some(settings) = &self.tests {
            tools.push(Box::new(RunTestTool {
                repo: self.repo.clone(),
                commit: self.change.tree_commit.clone(),
                scratch_name: scratch_name("test", &self.change.tree_commit),
                settings: settings.clone(),
                shared: self.shared.clone(),
                scratch: self.testing.clone(),
            }));
        }
        tools
    }

    /// Runs the review in `session`, which must offer [`ReviewJob::tools`], and filters what the model
    /// submitted. A model that answers in prose is asked again, the call then being forced; a submission
    /// that breaks the schema's rules is answered with the problems so the model can fix them.
    ///
    /// Fails when the session fails or no acceptable review arrives after the reminders.
    pub async fn run(&self, session: &mut Session, cancel: &CancellationToken) -> Result<Review, ReviewError> {
        let with_tests = self.tests.is_some();
        let mut input = prompt::review_prompt(&self.change, self.options.focus.as_deref(), with_tests);
        for turn in 0..=REMINDERS {
            let result = if turn == 0 {
                session.run_turn(&input, cancel).await
            } else {
                session.run_turn_calling(&input, SUBMIT_REVIEW, cancel).await
            };
            let last_message = match result {
                Ok(outcome) => outcome.last_message,
                // Running out of steps while reading is not the end: the reminder asks for the review.
                Err(braid_core::SessionError::TurnLimit { .. }) if turn < REMINDERS => None,
                Err(err) => return Err(err.into()),
            };
            if let Some(submission) = self.take_submission(last_message.as_deref()) {
                return Ok(self.build(submission));
            }
            input = format!(
                "braid has no review yet: call `{SUBMIT_REVIEW}` now with your findings (an empty list if the change has no real problem) and the verdict, as JSON matching its schema."
            );
        }
        let last_problem = self.shared.lock().ok().and_then(|c| c.refusals.last().cloned());
        Err(ReviewError::NoReview { turns: REMINDERS + 1, last_problem })
    }

    /// The accepted submission, or else one the model wrote as JSON in its message instead of calling the
    /// tool (models without reliable tool calls do this); such JSON passes the same checks.
    fn take_submission(&self, last_message: Option<&str>) -> Option<tools::Submission> {
        let mut collected = self.shared.lock().ok()?;
        if let Some(submission) = collected.submission.take() {
            return Some(submission);
        }
        let mut value = last_message.and_then(json_object_in)?;
        // A call written out as text: `{"name": "submit_review", "arguments": {...}}`.
        if value.get("name").and_then(serde_json::Value::as_str) == Some(SUBMIT_REVIEW)
            && let Some(arguments) = value.get_mut("arguments").map(serde_json::Value::take)
        {
            value = arguments;
        }
        match tools::parse_submission(value, &collected.tests) {
            Ok(submission) => Some(submission),
            Err(problem) => {
                collected.refusals.push(problem);
                None
            }
        }
    }

    fn build(&self, submission: tools::Submission) -> Review {
        let changed = ChangedLines::parse(&self.change.diff.patch);
        let read =
            |file: &str| self.repo.file_at(&self.change.tree_commit, file).ok().flatten().map(|b| count_lines(&b));
        // The changed files are read once; a finding naming another file costs one more read.
        let counts: HashMap<&str, Option<u32>> = changed.files().map(|file| (file, read(file))).collect();
        let line_count = |file: &str| counts.get(file).copied().unwrap_or_else(|| read(file));
        let (findings, dropped) = filter(submission.findings, &changed, &line_count, self.options.filter);
        Review {
            target: self.change.target.clone(),
            base_commit: self.change.base_commit.clone(),
            head_commit: self.change.head_commit.clone(),
            files: self.change.diff.files.iter().map(|f| f.path.clone()).collect(),
            verdict: submission.verdict,
            explanation: submission.explanation,
            confidence: submission.confidence,
            findings,
            dropped,
            model: self.options.model.clone(),
        }
    }
}

impl Drop for ReviewJob {
    fn drop(&mut self) {
        // Scratch checkouts are braid's own; leaving them would only cost disk space, so a failure to
        // remove one is not worth failing the review over (`braid gc` finds leftovers).
        let testing = self.testing.lock().ok().and_then(|mut slot| slot.take());
        for path in self.reading.iter().chain(testing.iter()) {
            let _ = self.repo.remove_scratch(path);
        }
    }
}

/// How many lines `bytes` has; a last line without a newline counts.
fn count_lines(bytes: &[u8]) -> u32 {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    let unterminated = usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    (newlines + unterminated) as u32
}

/// A scratch checkout name unique to this process and commit, so parallel reviews do not collide.
fn scratch_name(kind: &str, commit: &str) -> String {
    let short = commit.get(..12).unwrap_or(commit);
    format!("review-{}-{kind}-{short}", std::process::id())
}

/// The first JSON object in `text` that parses (a bare object, or one inside a fenced block).
fn json_object_in(text: &str) -> Option<serde_json::Value> {
    let mut search = 0;
    while let Some(offset) = text[search..].find('{') {
        let start = search + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(value)) = stream.next()
            && value.is_object()
        {
            return Some(value);
        }
        search = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_in_prose_and_fences() {
        let check = |text: &str, expected: Option<serde_json::Value>| assert_eq!(json_object_in(text), expected);
        check("Here it is:\n```json\n{\"a\": {\"b\": 1}}\n```\n", Some(serde_json::json!({"a": {"b": 1}})));
        check("a {broken and then {\"ok\": true} after", Some(serde_json::json!({"ok": true})));
        check("no json at all", None);
        check(
            "{ \"name\": \"submit_review\", \"arguments\": {} }",
            Some(serde_json::json!({"name": "submit_review", "arguments": {}})),
        );
        check("[1, 2]", None);
    }
}
