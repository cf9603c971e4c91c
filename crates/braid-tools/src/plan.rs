//! The update_plan tool: the agent keeps its own todo list, surfaced to front ends as events.
//!
//! The tool does nothing but validate the plan and echo it back as a `ToolEffect::Plan`: the plan lives
//! in the conversation history, and front ends show it from the effect.

use async_trait::async_trait;
use braid_protocol::{PlanItem, PlanStatus, ToolEffect, ToolSpec};
use serde::Deserialize;
use serde_json::json;

use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "update_plan";

/// Records the agent's plan: a list of steps, each pending, in progress or completed.
#[derive(Debug, Clone, Default)]
pub struct UpdatePlanTool;

impl UpdatePlanTool {
    /// The plan tool (it has no configuration).
    pub fn new() -> Self {
        UpdatePlanTool
    }
}

#[derive(Debug, Deserialize)]
struct PlanArgs {
    #[serde(default)]
    explanation: Option<String>,
    plan: Vec<PlanItem>,
}

/// Parses and checks a plan. Returns the effect to report, or an error result when the arguments do not
/// parse or more than one step is in progress.
fn validate(args: serde_json::Value) -> Result<ToolEffect, ToolResult> {
    let PlanArgs { explanation, plan } = args::parse(NAME, args)?;
    let in_progress: Vec<&str> =
        plan.iter().filter(|item| item.status == PlanStatus::InProgress).map(|item| item.step.as_str()).collect();
    if in_progress.len() > 1 {
        return Err(ToolResult::error(format!(
            "at most one step may be in_progress, but {} are: {}; mark the others pending or completed",
            in_progress.len(),
            in_progress.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(empty) = plan.iter().position(|item| item.step.trim().is_empty()) {
        return Err(ToolResult::error(format!(
            "step {} of the plan has an empty description; describe every step",
            empty + 1
        )));
    }
    let explanation = explanation.filter(|text| !text.trim().is_empty());
    Ok(ToolEffect::Plan { explanation, items: plan })
}

#[async_trait]
impl Tool for UpdatePlanTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Updates your plan for the task: the full list of steps with their status. \
                          Send the whole plan each time. At most one step may be in_progress; mark \
                          steps completed as you finish them."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "explanation": {
                        "type": "string",
                        "description": "Optional note on why the plan changed."
                    },
                    "plan": {
                        "type": "array",
                        "description": "Every step of the plan, in order.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "step": { "type": "string", "description": "What this step does, in a short sentence." },
                                "status": {
                                    "type": "string",
                                    "enum": ["pending", "in_progress", "completed"],
                                    "description": "Whether the step is still to do, being done now, or done."
                                }
                            },
                            "required": ["step", "status"],
                            "additionalProperties": false
                        }
                    }
                },
                "required": ["plan"],
                "additionalProperties": false
            }),
        }
    }

    fn preview(&self, _ctx: &ToolContext, args: &serde_json::Value) -> ToolEffect {
        validate(args.clone()).unwrap_or(ToolEffect::None)
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::ReadOnly
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        match validate(args) {
            Ok(effect) => ToolResult::ok("Plan updated.", effect),
            Err(result) => result,
        }
    }
}
