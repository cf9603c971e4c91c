//! The reviewer's tools: `submit_review`, whose JSON schema is the review's (so the model's answer is
//! constrained to it and checked by braid), and `run_test`, which writes a test into a scratch checkout of
//! the reviewed code and runs it, so a finding can carry proof.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use braid_git::Repo;
use braid_protocol::{ToolEffect, ToolSpec};
use braid_sandbox::{Confinement, EnvPolicy};
use braid_tools::{Exposure, Tool, ToolContext, ToolResult};
use serde::Deserialize;
use serde_json::json;

use super::model::{Finding, Priority, TestEvidence, Verdict};
use crate::checks::{CheckSpec, CheckTarget, RunChecksOptions, run_checks};

pub(crate) const SUBMIT_REVIEW: &str = "submit_review";
pub(crate) const RUN_TEST: &str = "run_test";

/// How long a reviewer's test may run.
const TEST_TIMEOUT_SECS: u64 = 120;
/// How much of a test's output goes back to the model and into the evidence.
const OUTPUT_TAIL: usize = 2_000;

/// A review as the model submitted it, checked but not yet filtered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Submission {
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    pub explanation: String,
    pub confidence: f64,
}

/// What the tools collected, shared with the job.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub submission: Option<Submission>,
    /// Problems with submissions, for the closing error when none was accepted.
    pub refusals: Vec<String>,
    /// The tests run so far, by id (`t1`, `t2`, ...).
    pub tests: Vec<(String, TestEvidence)>,
}

pub(crate) type Shared = Arc<Mutex<Collected>>;

/// The schema of `submit_review`: the review, findings first so the verdict follows from them.
pub(crate) fn review_schema(with_tests: bool) -> serde_json::Value {
    let mut finding = json!({
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 120, "description": "The problem in one line."},
            "body": {"type": "string", "maxLength": 1200, "description": "The input or situation that goes wrong, and what happens then."},
            "priority": {"type": "integer", "enum": [0, 1, 2, 3], "description": "0: must fix before merging (breaks things); 1: should fix (a real bug in a likely case); 2: a real bug in a rare case; 3: minor."},
            "confidence": {"type": "number", "description": "From 0 to 1: how sure you are that this is a real problem."},
            "file": {"type": "string", "description": "The file's path relative to the repository root."},
            "start_line": {"type": "integer", "description": "First line of the problem in the file after the change."},
            "end_line": {"type": "integer", "description": "Last line of the problem in the file after the change."},
        },
        "required": ["title", "body", "priority", "confidence", "file", "start_line", "end_line"],
    });
    if with_tests {
        finding["properties"]["test_id"] = json!({
            "type": ["string", "null"],
            "description": "The id `run_test` gave a test that demonstrates this problem, if you ran one.",
        });
    }
    json!({
        "type": "object",
        "properties": {
            "findings": {"type": "array", "items": finding, "description": "Only discrete, provable problems the change introduces; empty when there are none."},
            "verdict": {"type": "string", "enum": ["correct", "incorrect"], "description": "incorrect when a finding should block the change."},
            "explanation": {"type": "string", "maxLength": 1500, "description": "Why, in a few sentences."},
            "confidence": {"type": "number", "description": "From 0 to 1: how sure you are of the verdict."},
        },
        "required": ["findings", "verdict", "explanation", "confidence"],
    })
}

/// The `submit_review` tool.
pub(crate) struct SubmitReviewTool {
    pub shared: Shared,
    pub with_tests: bool,
}

#[async_trait]
impl Tool for SubmitReviewTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: SUBMIT_REVIEW.into(),
            description: "Submit the review: the findings and the verdict. braid checks it and answers with any problem to fix; call it once you are done reading.".into(),
            parameters: review_schema(self.with_tests),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> Exposure {
        // It only hands data to braid.
        Exposure::ReadOnly
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let tests = self.shared.lock().map(|c| c.tests.clone()).unwrap_or_default();
        match parse_submission(args, &tests) {
            Ok(submission) => {
                let count = submission.findings.len();
                if let Ok(mut collected) = self.shared.lock() {
                    collected.submission = Some(submission);
                }
                ToolResult::ok(
                    format!("braid received the review ({count} finding(s)). You are done: call no more tools."),
                    ToolEffect::None,
                )
            }
            Err(problem) => {
                let message = format!(
                    "the review was not accepted: {problem}. Call `{SUBMIT_REVIEW}` again with the whole review."
                );
                if let Ok(mut collected) = self.shared.lock() {
                    collected.refusals.push(problem);
                }
                ToolResult::error(message)
            }
        }
    }
}

/// The arguments of `submit_review` as sent, before braid's checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubmission {
    findings: Vec<RawFinding>,
    verdict: String,
    explanation: String,
    confidence: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFinding {
    title: String,
    body: String,
    priority: i64,
    confidence: f64,
    file: String,
    start_line: i64,
    end_line: i64,
    #[serde(default)]
    test_id: Option<String>,
}

/// Checks a submission against the schema's rules; the error lists every problem found, naming the
/// finding, so the model can fix them all at once.
pub(crate) fn parse_submission(
    args: serde_json::Value,
    tests: &[(String, TestEvidence)],
) -> Result<Submission, String> {
    let raw: RawSubmission =
        serde_json::from_value(args).map_err(|err| format!("it does not match the schema: {err}"))?;
    let mut problems = Vec::new();
    let verdict = match raw.verdict.as_str() {
        "correct" => Verdict::Correct,
        "incorrect" => Verdict::Incorrect,
        other => {
            problems.push(format!("verdict `{other}` is neither `correct` nor `incorrect`"));
            Verdict::Incorrect
        }
    };
    if !(0.0..=1.0).contains(&raw.confidence) {
        problems.push(format!("confidence {} is not between 0 and 1", raw.confidence));
    }
    let mut findings = Vec::new();
    for (index, raw) in raw.findings.into_iter().enumerate() {
        let which = format!("finding {} (`{}`)", index + 1, raw.title.trim());
        let priority = u8::try_from(raw.priority).ok().and_then(|p| Priority::try_from(p).ok());
        if priority.is_none() {
            problems.push(format!("{which}: priority {} is not 0, 1, 2 or 3", raw.priority));
        }
        if !(0.0..=1.0).contains(&raw.confidence) {
            problems.push(format!("{which}: confidence {} is not between 0 and 1", raw.confidence));
        }
        if raw.title.trim().is_empty() {
            problems.push(format!("finding {}: the title is empty", index + 1));
        }
        if raw.file.trim().is_empty() {
            problems.push(format!("{which}: the file is empty"));
        }
        let line = |n: i64| u32::try_from(n).ok().filter(|n| *n >= 1);
        let (start, end) = (line(raw.start_line), line(raw.end_line));
        if start.is_none() || end.is_none() {
            problems.push(format!(
                "{which}: lines {}-{} are not line numbers (they count from 1)",
                raw.start_line, raw.end_line
            ));
        }
        let test = match raw.test_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            None => None,
            Some(id) => match tests.iter().find(|(known, _)| known == id) {
                Some((_, evidence)) => Some(evidence.clone()),
                None => {
                    problems.push(format!("{which}: no test has id `{id}`; use an id `{RUN_TEST}` returned, or null"));
                    None
                }
            },
        };
        if let (Some(priority), Some(start), Some(end)) = (priority, start, end) {
            findings.push(Finding {
                title: raw.title.trim().to_string(),
                body: raw.body.trim().to_string(),
                priority,
                confidence: raw.confidence.clamp(0.0, 1.0),
                file: raw.file.trim().to_string(),
                start_line: start,
                end_line: end,
                test,
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(Submission { findings, verdict, explanation: raw.explanation.trim().to_string(), confidence: raw.confidence })
}

/// Where and how the reviewer's tests run.
#[derive(Clone)]
pub struct TestSettings {
    pub env_policy: EnvPolicy,
    /// The kernel confinement the tests run under (writes only in the scratch checkout); `None` runs them
    /// unconfined.
    pub confinement: Option<Arc<Confinement>>,
    /// Where the tests' logs go.
    pub log_dir: PathBuf,
}

/// The `run_test` tool. The scratch checkout is made on the first call and kept for the next ones; the
/// job removes it at the end.
pub(crate) struct RunTestTool {
    pub repo: Repo,
    /// The commit whose files the tests run against (the reviewed code).
    pub commit: String,
    /// The scratch checkout's name under `.braid/scratch/`.
    pub scratch_name: String,
    pub settings: TestSettings,
    pub shared: Shared,
    pub scratch: Arc<Mutex<Option<PathBuf>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunTestArgs {
    path: String,
    content: String,
    command: String,
}

#[async_trait]
impl Tool for RunTestTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: RUN_TEST.into(),
            description: "Write a test file into a scratch copy of the reviewed code and run a command there, to show that a suspected problem is real. A failing test (non-zero exit) demonstrates the problem. Returns the test's id for `submit_review`, the exit code and the end of the output. Nothing you write reaches the user's files.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Where to write the test, relative to the repository root."},
                    "content": {"type": "string", "maxLength": 6000, "description": "The test file's whole content."},
                    "command": {"type": "string", "maxLength": 300, "description": "The shell command that runs the test from the repository root."},
                },
                "required": ["path", "content", "command"],
            }),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> Exposure {
        // The test runs confined to braid's own scratch checkout, never the user's files.
        Exposure::ReadOnly
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let args: RunTestArgs = match serde_json::from_value(args) {
            Ok(args) => args,
            Err(err) => return ToolResult::error(format!("invalid arguments for `{RUN_TEST}`: {err}")),
        };
        let Some(relative) = safe_relative(&args.path) else {
            return ToolResult::error(format!(
                "`{}` is not a path inside the repository: give a relative path without `..`, outside .git",
                args.path
            ));
        };
        let root = match self.checkout() {
            Ok(root) => root,
            Err(err) => {
                return ToolResult::error(format!("braid could not make a scratch checkout for the test: {err}"));
            }
        };
        let file = root.join(&relative);
        let written = file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&file, args.content.as_bytes()));
        if let Err(err) = written {
            return ToolResult::error(format!("cannot write {}: {err}", file.display()));
        }
        let id = {
            let count = self.shared.lock().map(|c| c.tests.len()).unwrap_or(0);
            format!("t{}", count + 1)
        };
        let spec = CheckSpec {
            name: format!("review-test-{id}"),
            command: args.command.clone(),
            timeout_secs: TEST_TIMEOUT_SECS,
            required: false,
            lint: false,
        };
        let options = RunChecksOptions {
            concurrency: 1,
            env_policy: self.settings.env_policy.clone(),
            confinement: self.settings.confinement.clone(),
            log_dir: self.settings.log_dir.clone(),
        };
        let results = run_checks(&[spec], &[CheckTarget { n: 0, root: root.clone() }], &options).await;
        let Some(outcome) = results.into_iter().next().and_then(|r| r.outcomes.into_iter().next()) else {
            return ToolResult::error("braid could not run the test".to_string());
        };
        let log = std::fs::read_to_string(&outcome.log).unwrap_or_default();
        let output = braid_core::context::tail_at_char_boundary(&log, OUTPUT_TAIL).to_string();
        let evidence = TestEvidence {
            path: relative.to_string_lossy().into_owned(),
            command: args.command,
            exit_code: outcome.exit_code,
            demonstrates: !outcome.passed,
            output: output.clone(),
        };
        if let Ok(mut collected) = self.shared.lock() {
            collected.tests.push((id.clone(), evidence));
        }
        let exit = outcome.exit_code.map_or_else(
            || if outcome.timed_out { "timed out".to_string() } else { "killed".to_string() },
            |code| format!("exit code {code}"),
        );
        ToolResult::ok(
            format!(
                "test {id}: {exit}; {}.\n{output}",
                if outcome.passed { "it passed, so it does not demonstrate a problem" } else { "it failed" }
            ),
            ToolEffect::None,
        )
    }
}

impl RunTestTool {
    /// The scratch checkout, made on first use.
    fn checkout(&self) -> Result<PathBuf, braid_git::GitError> {
        let mut slot = self.scratch.lock().map_err(|_| braid_git::GitError::NotAWorktree {
            path: self.repo.scratch_dir(),
            reason: "a previous test panicked".into(),
        })?;
        if let Some(path) = slot.as_ref() {
            return Ok(path.clone());
        }
        let scratch = self.repo.create_scratch(&self.scratch_name, &self.commit)?;
        *slot = Some(scratch.path.clone());
        Ok(scratch.path)
    }
}

/// `path` as a relative path that stays inside the checkout and out of `.git`, or `None`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let path = Path::new(path.trim());
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) if part != ".git" => clean.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!clean.as_os_str().is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> serde_json::Value {
        json!({
            "findings": [{
                "title": " Off-by-one ", "body": "b", "priority": 1, "confidence": 0.9,
                "file": "src/a.rs", "start_line": 3, "end_line": 4, "test_id": "t1"
            }],
            "verdict": "incorrect", "explanation": "e", "confidence": 0.8
        })
    }

    fn evidence() -> TestEvidence {
        TestEvidence {
            path: "t.py".into(),
            command: "python3 t.py".into(),
            exit_code: Some(1),
            demonstrates: true,
            output: "boom".into(),
        }
    }

    #[test]
    fn a_good_submission_is_parsed_with_its_test_attached() {
        let submission = parse_submission(good(), &[("t1".into(), evidence())]).unwrap();
        assert_eq!(submission.verdict, Verdict::Incorrect);
        let finding = &submission.findings[0];
        assert_eq!((finding.title.as_str(), finding.priority, finding.start_line), ("Off-by-one", Priority::P1, 3));
        assert_eq!(finding.test, Some(evidence()));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let check = |edit: &dyn Fn(&mut serde_json::Value), expected: &str| {
            let mut args = good();
            edit(&mut args);
            assert_eq!(parse_submission(args, &[]).unwrap_err(), expected);
        };
        check(
            &|a| {
                a["findings"][0]["priority"] = json!(7);
                a["findings"][0]["start_line"] = json!(0);
                a["verdict"] = json!("lgtm");
            },
            "verdict `lgtm` is neither `correct` nor `incorrect`; finding 1 (`Off-by-one`): priority 7 is not 0, 1, 2 or 3; \
             finding 1 (`Off-by-one`): lines 0-4 are not line numbers (they count from 1); \
             finding 1 (`Off-by-one`): no test has id `t1`; use an id `run_test` returned, or null",
        );
        check(
            &|a| {
                a["findings"][0]["test_id"] = json!(null);
                a["confidence"] = json!(3);
            },
            "confidence 3 is not between 0 and 1",
        );
        check(
            &|a| {
                a.as_object_mut().unwrap().remove("verdict");
            },
            "it does not match the schema: missing field `verdict`",
        );
        check(
            &|a| a["findings"] = json!("none"),
            "it does not match the schema: invalid type: string \"none\", expected a sequence",
        );
    }

    #[test]
    fn test_paths_stay_inside() {
        assert_eq!(safe_relative("tests/t.py"), Some(PathBuf::from("tests/t.py")));
        assert_eq!(safe_relative("./t.py"), Some(PathBuf::from("t.py")));
        for bad in ["../t.py", "/etc/t.py", ".git/hooks/pre-commit", "", "."] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
