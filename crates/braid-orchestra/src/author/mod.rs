//! Writing and revising plans with the agent (`braid plan "<goal>"`, `braid plan revise`).
//!
//! The agent researches the repository with read-only tools and hands braid the plan through a tool
//! (`write_plan`, `revise_plan`) whose answer is the plan checker's verdict, so that it can fix what the
//! checker finds. braid renders and writes the file itself; a job ends when the file is written, and a
//! model that answers in prose instead is reminded, a bounded number of times, to call the tool.

mod render;
mod revise;
mod tools;

use std::path::{Path, PathBuf};

use braid_core::Session;
use braid_core::session::CancellationToken;
use braid_tools::Tool;

pub use render::one_line;
pub use render::{NewCheck, NewDecision, NewMilestone, NewPlan, render};
pub use revise::{REVISION_NOTES, Revision, SectionEdit, apply as apply_revision};
pub use tools::PlanTarget;

use crate::plan::{Report, format_timestamp};
use tools::{REVISE_PLAN, RevisePlanTool, Shared, WRITE_PLAN, WritePlanTool};

/// How many times a model that has not called the tool is reminded before the job gives up.
const REMINDERS: usize = 2;

/// Why a plan job failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthorError {
    #[error(transparent)]
    Session(#[from] braid_core::SessionError),
    #[error(
        "the model did not produce a plan that passes `braid plan check` after {turns} turns, so nothing was written to {}{}",
        path.display(),
        last_refusal.as_ref().map(|r| format!("; the last problem was: {r}")).unwrap_or_default()
    )]
    NotWritten { path: PathBuf, turns: usize, last_refusal: Option<String> },
    #[error("cannot read the plan {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

/// A plan the job wrote.
#[derive(Debug)]
pub struct Authored {
    pub path: PathBuf,
    pub label: String,
    /// The checker's report on the written plan (warnings at most).
    pub report: Report,
    /// The model's closing summary, if it wrote one.
    pub summary: Option<String>,
}

/// One authoring job: a new plan for a goal, or a revision of an existing plan after feedback.
pub struct PlanJob {
    target: PlanTarget,
    written: Shared,
    kind: Kind,
}

enum Kind {
    New { goal: String },
    Revise { original: String, feedback: String },
}

impl PlanJob {
    /// A job writing a new plan for `goal` to `target`.
    pub fn new_plan(target: PlanTarget, goal: &str) -> PlanJob {
        PlanJob { target, written: Shared::default(), kind: Kind::New { goal: goal.trim().to_string() } }
    }

    /// A job revising the plan at `target` after `feedback`. Fails when the plan cannot be read.
    pub fn revision(target: PlanTarget, feedback: &str) -> Result<PlanJob, AuthorError> {
        let original = std::fs::read_to_string(&target.path)
            .map_err(|source| AuthorError::Read { path: target.path.clone(), source })?;
        let kind = Kind::Revise { original, feedback: feedback.trim().to_string() };
        Ok(PlanJob { target, written: Shared::default(), kind })
    }

    /// The tool the session must offer for this job.
    pub fn tool(&self) -> Box<dyn Tool> {
        match &self.kind {
            Kind::New { .. } => Box::new(WritePlanTool { target: self.target.clone(), written: self.written.clone() }),
            Kind::Revise { original, feedback } => Box::new(RevisePlanTool {
                target: self.target.clone(),
                original: original.clone(),
                feedback: feedback.clone(),
                written: self.written.clone(),
            }),
        }
    }

    /// Runs the job in `session`, which must offer `self.tool()`. Returns the written plan, or fails when
    /// the model never produced one that passes the checker.
    pub async fn run(&self, session: &mut Session, cancel: &CancellationToken) -> Result<Authored, AuthorError> {
        let now = format_timestamp(chrono::Utc::now());
        let mut prompt = match &self.kind {
            Kind::New { goal } => new_plan_prompt(goal, &self.target.label, &now),
            Kind::Revise { original, feedback } => revision_prompt(original, feedback, &self.target.label),
        };
        let tool = match self.kind {
            Kind::New { .. } => WRITE_PLAN,
            Kind::Revise { .. } => REVISE_PLAN,
        };
        for turn in 0..=REMINDERS {
            // Reminders force the call: a model that spent its turn researching, or answered in prose,
            // gets a request whose only valid answer is the tool, so it writes down what it found.
            let result = if turn == 0 {
                session.run_turn(&prompt, cancel).await
            } else {
                session.run_turn_calling(&prompt, tool, cancel).await
            };
            let summary = match result {
                Ok(outcome) => outcome.last_message,
                // Running out of steps while researching is not the end of the job: what the model read
                // is still in the conversation, and the reminder asks it to write the plan from that.
                Err(braid_core::SessionError::TurnLimit { .. }) if turn < REMINDERS => None,
                Err(err) => return Err(err.into()),
            };
            let report = self.written.lock().ok().and_then(|mut w| w.report.take());
            if let Some(report) = report {
                return Ok(Authored {
                    path: self.target.path.clone(),
                    label: self.target.label.clone(),
                    report,
                    summary,
                });
            }
            if turn < REMINDERS {
                prompt = format!(
                    "The plan is not written yet: nothing reaches {} until `{tool}` succeeds. Call `{tool}` now with the whole plan as JSON matching its schema, from what you have found so far.",
                    self.target.label
                );
            }
        }
        let last_refusal = self.written.lock().ok().and_then(|w| w.refusals.last().cloned());
        Err(AuthorError::NotWritten { path: self.target.path.clone(), turns: REMINDERS + 1, last_refusal })
    }
}

/// Where a new plan for `goal` goes by default: `plans/<slug>.md` under `root`, or `<slug>-2.md` and so
/// on when that exists, so that an earlier plan is never overwritten.
pub fn default_plan_path(root: &Path, goal: &str) -> PathBuf {
    let slug = slug(goal);
    let dir = root.join("plans");
    let mut candidate = dir.join(format!("{slug}.md"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{slug}-{n}.md"));
        n += 1;
    }
    candidate
}

/// A file-name slug for `goal`: its first words, lowercase ASCII letters and digits joined by `-`.
pub fn slug(goal: &str) -> String {
    let mut slug = String::new();
    for word in
        goal.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).take(6)
    {
        if slug.len() + word.len() + 1 > 48 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if slug.is_empty() { "plan".to_string() } else { slug }
}

fn new_plan_prompt(goal: &str, label: &str, now: &str) -> String {
    format!(
        "Write an execution plan for this goal:\n\n<goal>\n{goal}\n</goal>\n\n\
First research the repository: read the code the goal touches and find how it is built and tested. \
Nothing you run can change files here. Then call `{WRITE_PLAN}` once with the whole plan; braid lays it out \
as Markdown, checks it, writes it to {label} and tells you about any problem to fix. \
The current UTC time is {now}.\n\n\
A good plan:\n\
- lets a newcomer with only the plan and this repository succeed: name files, functions and commands;\n\
- splits the work into small milestones, each with its scope (what changes), its acceptance (behaviour \
someone can observe) and the checks that decide it;\n\
- has `checks` that run from the repository root and exit 0 only when the work is right (use the \
repository's real test commands);\n\
- lists in `scope` globs of the files likely to change (paths relative to the repository root, such as \
`src/**`), and in `forbidden` globs of existing files that must not change; leave `forbidden` empty when \
nothing needs protecting.\n\
Name checks briefly (`test`, `lint`); a milestone's `checks` lists those names."
    )
}

fn revision_prompt(original: &str, feedback: &str, label: &str) -> String {
    format!(
        "Revise the execution plan in {label} after this feedback:\n\n<feedback>\n{feedback}\n</feedback>\n\n\
The plan as it stands:\n\n<plan>\n{original}\n</plan>\n\n\
Read the code you need first (nothing you run can change files). Then call `{REVISE_PLAN}` with the sections \
that must change (each with its whole new body), any new scope, forbidden, checks or approaches, the decision \
you took and its rationale, and a one-sentence summary. braid records the decision in the Decision Log, adds a \
revision note at the bottom, checks the result and tells you about any problem to fix."
    )
}
