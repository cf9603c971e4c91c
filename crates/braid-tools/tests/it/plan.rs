//! update_plan: valid plans become a `ToolEffect::Plan`; bad ones are refused with a reason.

use braid_protocol::{PlanItem, PlanStatus, ToolEffect};
use braid_tools::{Tool, UpdatePlanTool};
use serde_json::json;

use crate::{assert_error, call, workspace};

#[tokio::test]
async fn a_valid_plan_is_echoed_as_an_effect() {
    let (_dir, ctx) = workspace();
    let args = json!({
        "explanation": "found the bug",
        "plan": [
            {"step": "reproduce", "status": "completed"},
            {"step": "fix parser", "status": "in_progress"},
            {"step": "add test", "status": "pending"}
        ]
    });
    let result = call(&UpdatePlanTool::new(), &ctx, args.clone()).await;
    assert!(result.success);
    assert_eq!(result.output, "Plan updated.");
    let item = |step: &str, status| PlanItem { step: step.into(), status };
    let expected = ToolEffect::Plan {
        explanation: Some("found the bug".into()),
        items: vec![
            item("reproduce", PlanStatus::Completed),
            item("fix parser", PlanStatus::InProgress),
            item("add test", PlanStatus::Pending),
        ],
    };
    assert_eq!(result.effect, expected);
    assert_eq!(UpdatePlanTool::new().preview(&ctx, &args), expected);
}

#[tokio::test]
async fn bad_plans_are_refused() {
    let (_dir, ctx) = workspace();
    let check = |args: serde_json::Value, needles: &'static [&'static str]| {
        let ctx = ctx.clone();
        async move {
            let result = call(&UpdatePlanTool::new(), &ctx, args).await;
            assert_error(&result, needles);
            assert_eq!(result.effect, ToolEffect::None);
        }
    };
    check(
        json!({"plan": [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "in_progress"}]}),
        &["at most one step may be in_progress", "\"a\", \"b\""],
    )
    .await;
    check(json!({"plan": [{"step": "a", "status": "doing"}]}), &["invalid arguments for `update_plan`", "doing"]).await;
    check(json!({"explanation": "x"}), &["missing field `plan`"]).await;
    check(json!({"plan": [{"step": "  ", "status": "pending"}]}), &["step 1", "empty"]).await;
}

#[test]
fn the_schema_names_the_statuses() {
    let spec = UpdatePlanTool::new().spec();
    assert_eq!(spec.name, "update_plan");
    let statuses = &spec.parameters["properties"]["plan"]["items"]["properties"]["status"]["enum"];
    assert_eq!(statuses, &json!(["pending", "in_progress", "completed"]));
}
