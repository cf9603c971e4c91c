//! A new plan as the model describes it (`write_plan`'s arguments) and the Markdown braid renders from it.
//!
//! braid, not the model, lays out the document: the twelve sections, the Progress list with its first
//! timestamped item, the machine-readable block and the milestone fields always come out in the format
//! `braid plan check` accepts, whatever model wrote the content.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::plan::{SectionKind, format_timestamp};

/// `write_plan`'s arguments.
#[derive(Debug, Clone, Deserialize)]
pub struct NewPlan {
    pub title: String,
    pub purpose: String,
    pub context: String,
    #[serde(default)]
    pub plan_of_work: String,
    pub milestones: Vec<NewMilestone>,
    #[serde(default)]
    pub concrete_steps: String,
    pub validation: String,
    #[serde(default)]
    pub idempotence: String,
    #[serde(default)]
    pub artifacts: String,
    #[serde(default)]
    pub interfaces: String,
    #[serde(default)]
    pub decisions: Vec<NewDecision>,
    pub scope: Vec<String>,
    #[serde(default)]
    pub forbidden: Vec<String>,
    pub checks: Vec<NewCheck>,
    #[serde(default)]
    pub approaches: Vec<String>,
}

/// One milestone of a new plan.
#[derive(Debug, Clone, Deserialize)]
pub struct NewMilestone {
    pub title: String,
    pub scope: String,
    pub acceptance: String,
    /// Names from the plan's checks; empty means every check.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// A named acceptance command.
#[derive(Debug, Clone, Deserialize)]
pub struct NewCheck {
    pub name: String,
    pub command: String,
}

/// A decision made while researching.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDecision {
    pub decision: String,
    pub rationale: String,
}

impl NewPlan {
    /// Repairs what models commonly get wrong in a way whose intent is plain, and returns a note per
    /// repair for the model: an absolute glob inside the repository at `root` (made relative), check
    /// names trimmed or made up when empty, a check declared twice (the same command dropped, another
    /// command renamed), and a milestone naming a check by its command (mapped to that check's name, or
    /// declared as a new check when no check has it).
    pub fn normalize(&mut self, root: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        // Small models copy the absolute working directory they were shown into globs. A path under the
        // repository means that path; one outside it is left for the checker to refuse.
        let canonical = root.canonicalize().ok();
        for (field, globs) in [("scope", &mut self.scope), ("forbidden", &mut self.forbidden)] {
            for glob in globs.iter_mut() {
                let path = Path::new(glob.as_str());
                let inside = path.strip_prefix(root).ok().or_else(|| path.strip_prefix(canonical.as_ref()?).ok());
                if let Some(relative) = inside.filter(|_| path.is_absolute()) {
                    let relative = match relative.to_str() {
                        Some("") => "**".to_string(),
                        Some(relative) => relative.to_string(),
                        None => continue,
                    };
                    notes.push(format!("the {field} glob `{glob}` was absolute; it is `{relative}`"));
                    *glob = relative;
                }
            }
        }
        let mut checks: Vec<NewCheck> = Vec::new();
        for (i, check) in self.checks.iter().enumerate() {
            let command = check.command.trim().to_string();
            let mut name = check.name.trim().to_string();
            if name.is_empty() {
                name = format!("check-{}", i + 1);
                notes.push(format!("the check `{command}` had no name; it is `{name}`"));
            }
            if checks.iter().any(|c| c.command == command) {
                notes.push(format!("the check `{command}` was declared twice; it is kept once"));
                continue;
            }
            if checks.iter().any(|c| c.name == name) {
                let renamed = (2..).map(|n| format!("{name}-{n}")).find(|n| !checks.iter().any(|c| &c.name == n));
                let renamed = renamed.unwrap_or_else(|| format!("{name}-{i}"));
                notes.push(format!("two checks were named `{name}`; the one running `{command}` is `{renamed}`"));
                name = renamed;
            }
            checks.push(NewCheck { name, command });
        }
        for (m, milestone) in self.milestones.iter_mut().enumerate() {
            for reference in &mut milestone.checks {
                let wanted = reference.trim().trim_matches('`').to_string();
                if checks.iter().any(|c| c.name == wanted) {
                    *reference = wanted;
                } else if let Some(check) = checks.iter().find(|c| c.command == wanted) {
                    notes.push(format!(
                        "milestone {} named the command `{wanted}`; it refers to check `{}`",
                        m + 1,
                        check.name
                    ));
                    *reference = check.name.clone();
                } else if wanted.contains(' ') {
                    let name = format!("milestone-{}", m + 1);
                    let name = if checks.iter().any(|c| c.name == name) {
                        format!("{name}-{}", checks.len() + 1)
                    } else {
                        name
                    };
                    notes.push(format!(
                        "milestone {} named the command `{wanted}`; it is declared as check `{name}`",
                        m + 1
                    ));
                    checks.push(NewCheck { name: name.clone(), command: wanted });
                    *reference = name;
                } else {
                    *reference = wanted;
                }
            }
        }
        self.checks = checks;
        notes
    }
}

/// The JSON schema of `write_plan`'s arguments. Required fields are the ones a plan cannot do without;
/// the rest get honest placeholders, since a small model forced to fill every field writes filler.
pub fn new_plan_schema() -> serde_json::Value {
    let (text, strings) = (text_schema, strings_schema);
    let non_empty = |mut schema: serde_json::Value| {
        schema["minItems"] = 1.into();
        schema
    };
    serde_json::json!({
        "type": "object",
        "properties": {
            "title": text("A short imperative title, e.g. \"Add retry with backoff to the HTTP client\".", 100),
            "purpose": text("Purpose / Big Picture: what someone gains once this is done and how they can see it working.", 500),
            "context": text("Context and Orientation: the files, modules and terms a newcomer needs, by full path.", 700),
            "plan_of_work": text("Plan of Work: the approach in prose, before the milestones.", 700),
            "milestones": {
                "type": "array",
                "minItems": 1,
                "description": "Small, independently verifiable steps, in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "title": text("What this milestone achieves.", 100),
                        "scope": text("What it changes: files, functions, new modules.", 400),
                        "acceptance": text("Observable behaviour that shows it is done.", 400),
                        "checks": strings("Names of checks that decide it; empty means all.", 6),
                    },
                    "required": ["title", "scope", "acceptance"],
                },
            },
            "concrete_steps": text("Concrete Steps: exact commands to run, where, and what they print.", 600),
            "validation": text("Validation and Acceptance: how to prove the whole goal is met.", 500),
            "idempotence": text("Idempotence and Recovery: how to repeat steps safely and back out.", 400),
            "artifacts": text("Artifacts and Notes: short excerpts, sample outputs.", 400),
            "interfaces": text("Interfaces and Dependencies: types, functions and libraries to add or use.", 400),
            "decisions": {
                "type": "array",
                "description": "Design decisions already made while researching.",
                "items": {
                    "type": "object",
                    "properties": { "decision": text("The decision.", 300), "rationale": text("Why.", 400) },
                    "required": ["decision", "rationale"],
                },
            },
            "scope": non_empty(strings("Globs (relative to the repository root) of files likely to change, e.g. \"src/**\".", 12)),
            "forbidden": strings("Globs of files that must not change, e.g. \"Cargo.lock\".", 12),
            "checks": non_empty(checks_schema("Shell commands, run from the repository root, that exit 0 when the work is right.")),
            "approaches": strings("Optional alternative approaches, for parallel attempts.", 4),
        },
        "required": ["title", "purpose", "context", "milestones", "validation", "scope", "checks"],
    })
}

/// A string field's schema, at most `max_length` characters. The bounds are generous for a plan written
/// by hand and matter for the embedded model, whose grammar enforces them: a small model that starts
/// repeating a phrase inside a field is made to close it instead of filling its whole output budget.
pub(super) fn text_schema(description: &str, max_length: u32) -> serde_json::Value {
    serde_json::json!({ "type": "string", "maxLength": max_length, "description": description })
}

/// A list-of-strings field's schema, at most `max_items` short strings (globs, names, one-line
/// approaches).
pub(super) fn strings_schema(description: &str, max_items: u32) -> serde_json::Value {
    serde_json::json!({
        "type": "array",
        "maxItems": max_items,
        "items": { "type": "string", "maxLength": SHORT },
        "description": description,
    })
}

/// The bound on one short string: a glob, a check's name, a one-line approach.
const SHORT: u32 = 300;

/// The schema of a list of named checks (`NewCheck`), shared by `write_plan` and `revise_plan`.
pub(super) fn checks_schema(description: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "array",
        "maxItems": 8,
        "description": description,
        "items": {
            "type": "object",
            "properties": {
                "name": text_schema("A short name, e.g. \"test\".", 40),
                "command": text_schema("The command.", SHORT),
            },
            "required": ["name", "command"],
        },
    })
}

/// Renders `plan` as a plan file written at `now`.
pub fn render(plan: &NewPlan, now: DateTime<Utc>) -> String {
    let stamp = format_timestamp(now);
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", one_line(&plan.title)));
    out.push_str(&machine_block(&plan.scope, &plan.forbidden, &plan.checks, &plan.approaches));
    out.push('\n');

    section(&mut out, SectionKind::Purpose, &body_or(&plan.purpose, "(not written yet)"));
    let mut progress = format!("- [x] ({stamp}) Wrote this plan (`braid plan`).\n");
    for (i, milestone) in plan.milestones.iter().enumerate() {
        progress.push_str(&format!("- [ ] Milestone {}: {}\n", i + 1, one_line(&milestone.title)));
    }
    section(&mut out, SectionKind::Progress, &progress);
    section(&mut out, SectionKind::Surprises, "None yet.\n");
    let decisions = if plan.decisions.is_empty() {
        "No decisions yet.\n".to_string()
    } else {
        plan.decisions.iter().map(|d| decision_entry(&d.decision, &d.rationale, now)).collect()
    };
    section(&mut out, SectionKind::DecisionLog, &decisions);
    section(&mut out, SectionKind::Outcomes, "To be written when the work is done.\n");
    section(&mut out, SectionKind::Context, &body_or(&plan.context, "(not written yet)"));
    let mut work = body(&plan.plan_of_work);
    for (i, milestone) in plan.milestones.iter().enumerate() {
        if !work.is_empty() {
            work.push('\n');
        }
        work.push_str(&format!("### Milestone {}: {}\n\n", i + 1, one_line(&milestone.title)));
        work.push_str(&format!("- Scope: {}\n", one_line(&milestone.scope)));
        work.push_str(&format!("- Acceptance: {}\n", one_line(&milestone.acceptance)));
        if !milestone.checks.is_empty() {
            let names: Vec<String> = milestone.checks.iter().map(|c| format!("`{}`", c.trim())).collect();
            work.push_str(&format!("- Checks: {}\n", names.join(", ")));
        }
    }
    section(&mut out, SectionKind::PlanOfWork, &work);
    let steps =
        if plan.concrete_steps.trim().is_empty() { default_steps(&plan.checks) } else { body(&plan.concrete_steps) };
    section(&mut out, SectionKind::ConcreteSteps, &steps);
    section(&mut out, SectionKind::Validation, &body_or(&plan.validation, "(not written yet)"));
    section(&mut out, SectionKind::Idempotence, &body_or(&plan.idempotence, "(not written yet)"));
    section(&mut out, SectionKind::Artifacts, &body_or(&plan.artifacts, "None yet."));
    section(&mut out, SectionKind::Interfaces, &body_or(&plan.interfaces, "(not written yet)"));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// One Decision Log entry, as the format wants it.
pub fn decision_entry(decision: &str, rationale: &str, now: DateTime<Utc>) -> String {
    format!(
        "- Decision: {}\n  Rationale: {}\n  Date: {}\n",
        one_line(decision),
        one_line(rationale),
        format_timestamp(now)
    )
}

/// The fenced `toml plan` block for these values, with the checks in the order given.
pub fn machine_block(scope: &[String], forbidden: &[String], checks: &[NewCheck], approaches: &[String]) -> String {
    let list = |values: &[String]| {
        let quoted: Vec<String> = values.iter().map(|v| toml_string(v.trim())).collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut out = String::from("```toml plan\n");
    out.push_str(&format!("scope = {}\n", list(scope)));
    if !forbidden.is_empty() {
        out.push_str(&format!("forbidden = {}\n", list(forbidden)));
    }
    if !approaches.is_empty() {
        out.push_str("approaches = [\n");
        for approach in approaches {
            out.push_str(&format!("  {},\n", toml_string(&one_line(approach))));
        }
        out.push_str("]\n");
    }
    out.push_str("\n[checks]\n");
    for check in checks {
        out.push_str(&format!("{} = {}\n", toml_key(check.name.trim()), toml_string(check.command.trim())));
    }
    out.push_str("```\n");
    out
}

/// Concrete Steps when the model gave none: the checks to run, which is true of every plan.
fn default_steps(checks: &[NewCheck]) -> String {
    let mut out = String::from("From the repository root, after each milestone:\n\n");
    for check in checks {
        out.push_str(&format!("    {}\n", check.command.trim()));
    }
    out
}

fn section(out: &mut String, kind: SectionKind, body: &str) {
    out.push_str(&format!("## {}\n\n", kind.heading()));
    out.push_str(body.trim_end());
    out.push_str("\n\n");
}

fn body_or(text: &str, placeholder: &str) -> String {
    let text = body(text);
    if text.is_empty() { format!("{placeholder}\n") } else { text }
}

/// Model-written Markdown made safe to place under a `## ` heading: headings of levels 1 and 2 become
/// level 3, so they cannot end the section (milestones are level 3 and count only in Plan of Work).
/// Lines in fenced code stay as written.
pub fn body(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in text.trim().lines() {
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect());
        } else if let Some(level) = heading_level(trimmed).filter(|level| *level <= 2) {
            out.push_str(&"#".repeat(3 - level));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|c| *c == '#').count();
    (level > 0 && line[level..].starts_with(' ')).then_some(level)
}

/// Text meant for one line (titles, fields) with its line breaks folded into spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn toml_key(name: &str) -> String {
    let bare = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { name.to_string() } else { toml_string(name) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn plan() -> NewPlan {
        serde_json::from_value(serde_json::json!({
            "title": "Retry\nrequests",
            "purpose": "Flaky networks stop failing builds.\n\n# A heading the model added",
            "context": "`src/http.rs` sends requests.",
            "milestones": [
                {"title": "Policy", "scope": "src/retry.rs", "acceptance": "delays double", "checks": ["test"]},
                {"title": "Wire it", "scope": "src/http.rs", "acceptance": "a 503 is retried"}
            ],
            "validation": "`cargo test` passes.",
            "scope": ["src/**"],
            "checks": [{"name": "test", "command": "cargo test"}, {"name": "odd name", "command": "echo \"hi\""}]
        }))
        .unwrap()
    }

    #[test]
    fn a_new_plan_renders_every_section_with_progress_milestones_and_the_machine_block() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap();
        insta::assert_snapshot!(render(&plan(), now), @r#"
# Retry requests

```toml plan
scope = ["src/**"]

[checks]
test = "cargo test"
"odd name" = 'echo "hi"'
```

## Purpose / Big Picture

Flaky networks stop failing builds.

### A heading the model added

## Progress

- [x] (2026-11-22 09:30Z) Wrote this plan (`braid plan`).
- [ ] Milestone 1: Policy
- [ ] Milestone 2: Wire it

## Surprises & Discoveries

None yet.

## Decision Log

No decisions yet.

## Outcomes & Retrospective

To be written when the work is done.

## Context and Orientation

`src/http.rs` sends requests.

## Plan of Work

### Milestone 1: Policy

- Scope: src/retry.rs
- Acceptance: delays double
- Checks: `test`

### Milestone 2: Wire it

- Scope: src/http.rs
- Acceptance: a 503 is retried

## Concrete Steps

From the repository root, after each milestone:

    cargo test
    echo "hi"

## Validation and Acceptance

`cargo test` passes.

## Idempotence and Recovery

(not written yet)

## Artifacts and Notes

None yet.

## Interfaces and Dependencies

(not written yet)
"#);
    }

    #[test]
    fn normalize_repairs_check_names_duplicates_and_commands_named_as_checks() {
        let mut plan = plan();
        plan.checks = serde_json::from_value(serde_json::json!([
            {"name": "test", "command": "cargo test"},
            {"name": "test", "command": "cargo test"},
            {"name": "test", "command": "cargo test --doc"},
            {"name": " ", "command": "make lint"}
        ]))
        .unwrap();
        plan.milestones[0].checks = vec!["`test`".into(), "make lint".into(), "python3 -m unittest".into()];
        plan.milestones[1].checks = vec!["cargo test --doc".into()];
        let notes = plan.normalize(Path::new("/repo"));
        let checks: Vec<(&str, &str)> = plan.checks.iter().map(|c| (c.name.as_str(), c.command.as_str())).collect();
        assert_eq!(
            checks,
            [
                ("test", "cargo test"),
                ("test-2", "cargo test --doc"),
                ("check-4", "make lint"),
                ("milestone-1", "python3 -m unittest")
            ]
        );
        assert_eq!(plan.milestones[0].checks, ["test", "check-4", "milestone-1"]);
        assert_eq!(plan.milestones[1].checks, ["test-2"]);
        assert_eq!(notes.len(), 6, "{notes:?}");
    }

    #[test]
    fn normalize_makes_absolute_globs_inside_the_repository_relative() {
        let mut plan = plan();
        plan.scope = vec!["/repo/src/lib.rs".into(), "/repo".into(), "/elsewhere/x".into(), "src/**".into()];
        plan.forbidden = vec!["/repo/Cargo.lock".into()];
        let notes = plan.normalize(Path::new("/repo"));
        assert_eq!(plan.scope, ["src/lib.rs", "**", "/elsewhere/x", "src/**"]);
        assert_eq!(plan.forbidden, ["Cargo.lock"]);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("`/repo/src/lib.rs` was absolute; it is `src/lib.rs`"), "{notes:?}");
    }

    #[test]
    fn headings_in_model_text_cannot_end_a_section_but_code_stays_as_written() {
        assert_eq!(body("## Two\n### Three\n```\n# comment\n```\n"), "### Two\n### Three\n```\n# comment\n```\n");
    }
}
