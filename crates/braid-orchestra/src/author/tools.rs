//! The tools through which the agent hands braid a plan: `write_plan` (a new plan, as structured fields)
//! and `revise_plan` (replaced sections plus the decision behind them). Each checks the result with the
//! plan checker, answers the model with the findings when there are errors, and otherwise writes the
//! file atomically.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolSpec};
use braid_tools::{Exposure, Tool, ToolContext, ToolResult};

use super::render::{self, NewPlan};
use super::revise::{self, Revision};
use crate::fsutil::write_atomic;
use crate::plan::{CheckOptions, Report, check};

/// Where a plan goes, and what the checker needs to judge it.
#[derive(Debug, Clone)]
pub struct PlanTarget {
    /// The repository root: globs and relative programs are resolved against it.
    pub root: PathBuf,
    /// The plan file.
    pub path: PathBuf,
    /// The path as shown to people and the model, relative to the root where possible.
    pub label: String,
    /// `PATH`, for deciding whether a check's program exists.
    pub path_var: Option<OsString>,
}

/// What the tools wrote, shared with the job that waits for it.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The checker's report on the text last written (warnings only).
    pub report: Option<Report>,
    /// Calls refused, for the closing error when none succeeded.
    pub refusals: Vec<String>,
}

pub(crate) type Shared = Arc<Mutex<Written>>;

/// The `write_plan` tool.
pub(crate) struct WritePlanTool {
    pub target: PlanTarget,
    pub written: Shared,
}

/// The `revise_plan` tool, for the plan text it was started with.
pub(crate) struct RevisePlanTool {
    pub target: PlanTarget,
    pub original: String,
    pub feedback: String,
    pub written: Shared,
}

pub(crate) const WRITE_PLAN: &str = "write_plan";
pub(crate) const REVISE_PLAN: &str = "revise_plan";

#[async_trait]
impl Tool for WritePlanTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: WRITE_PLAN.into(),
            description: format!(
                "Write the execution plan to {}. braid lays out the Markdown, checks it and answers with any problems to fix; call again with the whole plan after fixing them.",
                self.target.label
            ),
            parameters: render::new_plan_schema(),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> Exposure {
        // braid writes one file it chose itself; the model cannot aim it elsewhere.
        Exposure::ReadOnly
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let mut plan: NewPlan = match serde_json::from_value(args) {
            Ok(plan) => plan,
            Err(err) => {
                return refuse(
                    &self.written,
                    format!(
                        "invalid arguments for `{WRITE_PLAN}`: {err}; send a JSON object matching the tool's schema"
                    ),
                );
            }
        };
        if plan.milestones.is_empty() {
            return refuse(
                &self.written,
                "the plan has no milestones; split the work into at least one milestone".into(),
            );
        }
        let notes = plan.normalize(&self.target.root);
        let text = render::render(&plan, chrono::Utc::now());
        let mut result = finish(&self.target, &self.written, text, "written");
        if !notes.is_empty() {
            result.output = format!("braid adjusted the plan: {}.\n{}", notes.join("; "), result.output);
        }
        result
    }
}

#[async_trait]
impl Tool for RevisePlanTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: REVISE_PLAN.into(),
            description: format!(
                "Revise the plan in {}: replace whole sections and, when needed, the scope, forbidden, checks or approaches lists. braid appends your decision to the Decision Log and a revision note at the bottom, checks the result and answers with any problems to fix.",
                self.target.label
            ),
            parameters: revise::revision_schema(),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> Exposure {
        Exposure::ReadOnly
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let revision: Revision = match serde_json::from_value(args) {
            Ok(revision) => revision,
            Err(err) => {
                return refuse(
                    &self.written,
                    format!(
                        "invalid arguments for `{REVISE_PLAN}`: {err}; send a JSON object matching the tool's schema"
                    ),
                );
            }
        };
        // Every call revises the plan as it was before the job, so a retry after a refusal does not stack
        // two revision notes.
        match revise::apply(&self.original, &revision, &self.feedback, chrono::Utc::now()) {
            Ok(text) => finish(&self.target, &self.written, text, "revised"),
            Err(err) => refuse(&self.written, format!("the plan was not changed: {err}")),
        }
    }
}

fn refuse(written: &Shared, message: String) -> ToolResult {
    if let Ok(mut written) = written.lock() {
        written.refusals.push(message.clone());
    }
    ToolResult::error(message)
}

/// Checks `text` and writes it when the checker finds no errors; the answer tells the model which.
fn finish(target: &PlanTarget, written: &Shared, text: String, verb: &str) -> ToolResult {
    let options = CheckOptions { root: &target.root, path_var: target.path_var.clone() };
    let (_, report) = check(&text, &options);
    let errors = report.errors().count();
    if errors > 0 {
        return refuse(
            written,
            format!(
                "the plan was not {verb}: `braid plan check` found {errors} error(s):\n{}\nFix them and call the tool again.",
                report.human(&target.label).trim_end()
            ),
        );
    }
    if let Err(err) = write_atomic(&target.path, text.as_bytes()) {
        return refuse(written, format!("the plan was not {verb}: {err}"));
    }
    let warnings = report.diagnostics.len();
    let mut message = format!("The plan was {verb} to {}.", target.label);
    if warnings > 0 {
        message.push_str(&format!(
            " The checker noted {warnings} warning(s), which do not block it:\n{}",
            report.human(&target.label).trim_end()
        ));
    }
    message.push_str("\nNow reply with a two-sentence summary of the plan for the user, and call no more tools.");
    if let Ok(mut written) = written.lock() {
        written.report = Some(report);
    }
    ToolResult::ok(message, ToolEffect::None)
}
