//! Progress lines for people, one per `PlanEvent`, printed by the binary beside the session's own lines.

use super::PlanEvent;

/// Lines of a refusal's problems shown per problem; the agent gets them whole.
const PROBLEM_LINES: usize = 3;

/// The text for one event.
pub fn progress_line(event: &PlanEvent) -> String {
    match event {
        PlanEvent::MilestoneStarted { number, total, title } => format!("▶ milestone {number}/{total}: {title}"),
        PlanEvent::MilestoneSkipped { number, title } => {
            format!("· milestone {number} ({title}) is already ticked in Progress; skipped")
        }
        PlanEvent::CheckFinished { result, .. } => {
            let mark = if result.passed { "✓" } else { "✗" };
            format!("  {mark} check {} · `{}`", result.summary(), result.command)
        }
        PlanEvent::GateRefused { milestone, round, problems } => {
            let mut text = format!("  milestone {milestone} not accepted after turn {round}:");
            for problem in problems {
                let lines: Vec<&str> = problem.lines().take(PROBLEM_LINES).collect();
                text.push_str(&format!("\n    - {}", lines.join("\n      ")));
            }
            text
        }
        PlanEvent::OutOfScope { milestone, paths } => {
            format!("  milestone {milestone} changed files outside the plan's scope: {}", paths.join(", "))
        }
        PlanEvent::MilestoneAccepted { number, rounds } => {
            let turns = if *rounds == 1 { "1 turn".to_string() } else { format!("{rounds} turns") };
            format!("✓ milestone {number} accepted after {turns}")
        }
        PlanEvent::Finished { completed: true, accepted, total } => {
            format!("plan complete: {accepted}/{total} milestones accepted")
        }
        PlanEvent::Finished { completed: false, accepted, total } => {
            format!("plan stopped: {accepted}/{total} milestones accepted")
        }
    }
}
