//! A revision as the model describes it (`revise_plan`'s arguments) and its application to the plan text:
//! whole sections replaced, the machine-readable block rewritten when its values change, a Decision Log
//! entry and a revision note appended. Everything else stays byte for byte as it was.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::render::{
    NewCheck, body, checks_schema, decision_entry, machine_block, one_line, strings_schema, text_schema,
};
use crate::plan::{Plan, SectionKind, format_timestamp};

/// The heading of the section at the bottom of a plan where revision notes accumulate.
pub const REVISION_NOTES: &str = "Revision Notes";

/// `revise_plan`'s arguments.
#[derive(Debug, Clone, Deserialize)]
pub struct Revision {
    /// Sections to replace, each by its heading and new body.
    #[serde(default)]
    pub sections: Vec<SectionEdit>,
    #[serde(default)]
    pub scope: Option<Vec<String>>,
    #[serde(default)]
    pub forbidden: Option<Vec<String>>,
    #[serde(default)]
    pub checks: Option<Vec<NewCheck>>,
    #[serde(default)]
    pub approaches: Option<Vec<String>>,
    /// The change of course, for the Decision Log.
    pub decision: String,
    pub rationale: String,
    /// One sentence on what changed, for the revision note.
    pub summary: String,
}

/// One replaced section.
#[derive(Debug, Clone, Deserialize)]
pub struct SectionEdit {
    pub heading: String,
    pub body: String,
}

/// The JSON schema of `revise_plan`'s arguments.
pub fn revision_schema() -> serde_json::Value {
    let (text, strings) = (text_schema, strings_schema);
    serde_json::json!({
        "type": "object",
        "properties": {
            "sections": {
                "type": "array",
                "description": "Sections to replace, each with its whole new body (Markdown without its `## ` heading). Plan of Work includes the `### Milestone N: Title` subsections with their Scope:, Acceptance: and Checks: lines. Progress and Decision Log are history and cannot be replaced.",
                "items": {
                    "type": "object",
                    "properties": {
                        "heading": text("The section's heading, e.g. \"Plan of Work\".", 80),
                        "body": text("The section's new body.", 3000),
                    },
                    "required": ["heading", "body"],
                },
            },
            "scope": strings("New scope globs, replacing the old list; omit to keep it.", 12),
            "forbidden": strings("New forbidden globs, replacing the old list; omit to keep it.", 12),
            "checks": checks_schema("New checks, replacing the old ones; omit to keep them."),
            "approaches": strings("New approaches, replacing the old list; omit to keep it.", 4),
            "decision": text("The change of course, for the Decision Log.", 300),
            "rationale": text("Why, citing the feedback or evidence.", 500),
            "summary": text("One sentence on what changed in the plan.", 300),
        },
        "required": ["decision", "rationale", "summary"],
    })
}

/// Why a revision could not be applied; the message is for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviseError {
    #[error("the plan has no section `{heading}`; use one of its headings: {known}")]
    UnknownSection { heading: String, known: String },
    #[error(
        "`{heading}` is history and braid keeps it: revise_plan adds the Decision Log entry itself from `decision` and `rationale`, and Progress changes only as work is done"
    )]
    History { heading: String },
    #[error("section `{heading}` is replaced twice; send each section once")]
    Twice { heading: String },
    #[error("the plan has no `toml plan` block to update; add one to the plan first")]
    NoMachineBlock,
    #[error("`{field}` is empty; say what changed and why")]
    Empty { field: &'static str },
}

/// Applies `revision`, asked for with `feedback`, to `text` at `now`. Returns the new text; the caller
/// checks it before writing it.
pub fn apply(text: &str, revision: &Revision, feedback: &str, now: DateTime<Utc>) -> Result<String, ReviseError> {
    for (field, value) in
        [("decision", &revision.decision), ("rationale", &revision.rationale), ("summary", &revision.summary)]
    {
        if value.trim().is_empty() {
            return Err(ReviseError::Empty { field });
        }
    }
    let (plan, _) = Plan::parse(text);
    // Replacements as (byte range, new text), applied from the end so earlier ranges stay valid.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for edit in &revision.sections {
        let Some(section) = plan.section_named(&edit.heading) else {
            let known: Vec<&str> = plan.sections.iter().map(|s| s.heading.as_str()).collect();
            return Err(ReviseError::UnknownSection { heading: edit.heading.clone(), known: known.join(", ") });
        };
        if matches!(section.kind, Some(SectionKind::Progress | SectionKind::DecisionLog)) {
            return Err(ReviseError::History { heading: section.heading.clone() });
        }
        if edits.iter().any(|(range, _)| *range == section.body) {
            return Err(ReviseError::Twice { heading: section.heading.clone() });
        }
        edits.push((section.body.clone(), format!("\n{}\n", body(&edit.body).trim_end())));
    }
    if revision.scope.is_some()
        || revision.forbidden.is_some()
        || revision.checks.is_some()
        || revision.approaches.is_some()
    {
        let range = plan.machine_block.clone().ok_or(ReviseError::NoMachineBlock)?;
        let old = plan.machine.as_ref();
        let keep = |new: &Option<Vec<String>>, old: Option<&Vec<String>>| {
            new.clone().or_else(|| old.cloned()).unwrap_or_default()
        };
        let checks = revision.checks.clone().unwrap_or_else(|| {
            old.map(|m| {
                m.checks.iter().map(|c| NewCheck { name: c.name.clone(), command: c.command.clone() }).collect()
            })
            .unwrap_or_default()
        });
        let block = machine_block(
            &keep(&revision.scope, old.map(|m| &m.scope)),
            &keep(&revision.forbidden, old.map(|m| &m.forbidden)),
            &checks,
            &keep(&revision.approaches, old.map(|m| &m.approaches)),
        );
        edits.push((range, block));
    }
    if let Some(log) = plan.section(SectionKind::DecisionLog) {
        let entry = decision_entry(&revision.decision, &revision.rationale, now);
        let current = &text[log.body.clone()];
        let new_body = if plan.decisions.is_empty() && !current.contains("- Decision:") {
            // The placeholder of a fresh plan ("No decisions yet.") gives way to the first entry.
            format!("\n{entry}\n")
        } else {
            format!("{}\n{entry}\n", current.trim_end())
        };
        edits.push((log.body.clone(), new_body));
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_string();
    for (range, replacement) in edits {
        out.replace_range(range, &replacement);
    }
    Ok(append_note(
        &out,
        &format!("({}) {} Feedback: \"{}\"", format_timestamp(now), one_line(&revision.summary), one_line(feedback)),
    ))
}

/// `text` with `note` appended as an item of the Revision Notes section, which is created at the bottom
/// when missing.
fn append_note(text: &str, note: &str) -> String {
    let (plan, _) = Plan::parse(text);
    match plan.section_named(REVISION_NOTES) {
        Some(section) => {
            let mut out = text.to_string();
            let current = text[section.body.clone()].trim_end().to_string();
            out.replace_range(section.body.clone(), &format!("{current}\n- {note}\n\n"));
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
            out
        }
        None => format!("{}\n\n## {REVISION_NOTES}\n\n- {note}\n", text.trim_end()),
    }
}
