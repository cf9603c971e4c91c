//! The plan format (docs/plan-format.md): the types a parsed plan file is made of, its timestamps, and the
//! diagnostics parsing and checking produce. Parsing lives in `parse` (Markdown) and `machine` (the
//! `toml plan` block); the rules `braid plan check` applies live in `check`.

mod check;
mod machine;
mod parse;
mod report;
mod runnable;

use std::ops::Range;

use chrono::{DateTime, NaiveDateTime, Utc};

pub use check::{CheckOptions, check};
pub use report::Report;

/// How long a check may run when its table does not say (`timeout_secs`).
pub const DEFAULT_CHECK_TIMEOUT_SECS: u64 = 600;

/// A plan file, parsed. Every part is optional or possibly empty: parsing never fails, and `check` says
/// what is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The first `# ` heading.
    pub title: Option<Title>,
    /// Every `## ` section outside code fences, in file order (known and unknown ones, duplicates included).
    pub sections: Vec<Section>,
    /// The first `toml plan` block, when it parsed.
    pub machine: Option<Machine>,
    /// The byte range of the first `toml plan` block, fences included, whether or not its TOML parsed.
    pub machine_block: Option<std::ops::Range<usize>>,
    /// The checkbox items of the first Progress section.
    pub progress: Vec<ProgressItem>,
    /// The `Decision:` entries of the first Decision Log section.
    pub decisions: Vec<Decision>,
    /// The `### Milestone N: Title` headings of the first Plan of Work section.
    pub milestones: Vec<Milestone>,
}

/// The plan's title: its first `# ` heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// 1-based line of the heading.
    pub line: usize,
    pub text: String,
}

/// The twelve sections every plan has, in their usual order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    Purpose,
    Progress,
    Surprises,
    DecisionLog,
    Outcomes,
    Context,
    PlanOfWork,
    ConcreteSteps,
    Validation,
    Idempotence,
    Artifacts,
    Interfaces,
}

impl SectionKind {
    /// Every kind, in the usual order of a plan.
    pub const ALL: [SectionKind; 12] = [
        SectionKind::Purpose,
        SectionKind::Progress,
        SectionKind::Surprises,
        SectionKind::DecisionLog,
        SectionKind::Outcomes,
        SectionKind::Context,
        SectionKind::PlanOfWork,
        SectionKind::ConcreteSteps,
        SectionKind::Validation,
        SectionKind::Idempotence,
        SectionKind::Artifacts,
        SectionKind::Interfaces,
    ];

    /// The canonical heading text, without the `## `.
    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::Purpose => "Purpose / Big Picture",
            SectionKind::Progress => "Progress",
            SectionKind::Surprises => "Surprises & Discoveries",
            SectionKind::DecisionLog => "Decision Log",
            SectionKind::Outcomes => "Outcomes & Retrospective",
            SectionKind::Context => "Context and Orientation",
            SectionKind::PlanOfWork => "Plan of Work",
            SectionKind::ConcreteSteps => "Concrete Steps",
            SectionKind::Validation => "Validation and Acceptance",
            SectionKind::Idempotence => "Idempotence and Recovery",
            SectionKind::Artifacts => "Artifacts and Notes",
            SectionKind::Interfaces => "Interfaces and Dependencies",
        }
    }

    /// The kind a `## ` heading's text names, matched case-insensitively with `&` and `and`
    /// interchangeable and runs of spaces (and spaces around `/`) collapsed; `None` for other headings.
    pub fn from_heading(text: &str) -> Option<SectionKind> {
        let wanted = normalize_heading(text);
        SectionKind::ALL.into_iter().find(|kind| normalize_heading(kind.heading()) == wanted)
    }

    /// The position of this kind in [`SectionKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Lower-cases a heading, spells `&` as `and` and collapses whitespace, so that equivalent spellings of a
/// section name compare equal.
fn normalize_heading(text: &str) -> String {
    let spaced = text.to_lowercase().replace('&', " and ");
    let collapsed = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace(" / ", "/").replace("/ ", "/").replace(" /", "/")
}

/// One `## ` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Which of the twelve it is; `None` for other sections (for example `## Revision Notes`).
    pub kind: Option<SectionKind>,
    /// The heading text as written, without the `## `.
    pub heading: String,
    /// 1-based line of the heading.
    pub line: usize,
    /// Byte range of the body: from the line after the heading up to the next `# ` or `## ` heading
    /// outside code fences, or the end of the file.
    pub body: Range<usize>,
}

impl Section {
    /// The body's text, given the text the plan was parsed from.
    pub fn body_text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.body.clone()).unwrap_or("")
    }
}

/// One checkbox item of Progress: `- [x] (2026-11-22 09:30Z) text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressItem {
    /// 1-based line of the item.
    pub line: usize,
    pub done: bool,
    /// The time right after the box, when there is a valid one.
    pub timestamp: Option<DateTime<Utc>>,
    /// The rest of the item's first line, after the box and the timestamp.
    pub text: String,
}

/// One Decision Log entry: `- Decision: ...` with `Rationale:` and `Date:` continuation lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 1-based line of the `Decision:` item.
    pub line: usize,
    pub decision: String,
    pub rationale: Option<String>,
    /// The `Date:`, when present and valid.
    pub date: Option<DateTime<Utc>>,
}

/// One `### Milestone N: Title` of Plan of Work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// The number as written.
    pub number: u32,
    pub title: String,
    /// 1-based line of the heading.
    pub line: usize,
    /// The `Scope:` line's text, when present and not empty.
    pub scope: Option<String>,
    /// The `Acceptance:` line's text, when present and not empty.
    pub acceptance: Option<String>,
    /// The check names of the `Checks:` line; `None` without one, which means every check.
    pub checks: Option<Vec<String>>,
    /// Byte range of the body: from the line after the heading to the next heading of level 1 to 3, or the
    /// end of Plan of Work.
    pub body: Range<usize>,
}

/// The machine-readable part: the `toml plan` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// 1-based line of the block's opening fence.
    pub line: usize,
    pub scope: Vec<String>,
    pub forbidden: Vec<String>,
    /// In the order the block declares them.
    pub checks: Vec<Check>,
    pub approaches: Vec<String>,
}

impl Machine {
    /// The check called `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|check| check.name == name)
    }
}

/// One named check: a shell command run with `sh -c` from the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub command: String,
    pub timeout_secs: u64,
    /// Whether a failure blocks acceptance (a check that is not required is reported only).
    pub required: bool,
}

impl Plan {
    /// Parses a plan. Tolerant: always yields a Plan, plus the diagnostics found while parsing (TOML errors,
    /// malformed timestamps, a second `toml plan` block, milestone headings without a number), sorted by
    /// line.
    pub fn parse(text: &str) -> (Plan, Vec<Diagnostic>) {
        let parsed = parse::parse(text);
        (parsed.plan, parsed.diagnostics)
    }

    /// The first section of this kind.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|section| section.kind == Some(kind))
    }

    /// The first section whose heading reads as `heading`, compared as section names are (case, `&` and
    /// `and`, and spacing do not matter), for known and other sections alike.
    pub fn section_named(&self, heading: &str) -> Option<&Section> {
        let wanted = normalize_heading(heading);
        self.sections.iter().find(|section| normalize_heading(&section.heading) == wanted)
    }

    /// The checks that decide whether `milestone` is done, in declared order: the ones its `Checks:` line
    /// names, or every check when it has none. Names that are not declared are skipped (`check` reports
    /// them). Empty without a machine-readable part.
    pub fn checks_for(&self, milestone: &Milestone) -> Vec<&Check> {
        let Some(machine) = &self.machine else { return Vec::new() };
        match &milestone.checks {
            None => machine.checks.iter().collect(),
            Some(names) => machine.checks.iter().filter(|check| names.contains(&check.name)).collect(),
        }
    }
}

/// One finding about a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line of the plan file it is about.
    pub line: usize,
    pub severity: Severity,
    /// A short, stable kebab-case name (for example `missing-section`); part of the API.
    pub code: &'static str,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn error(line: usize, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, severity: Severity::Error, code, message: message.into() }
    }

    pub(crate) fn warning(line: usize, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, severity: Severity::Warning, code, message: message.into() }
    }
}

/// How bad a finding is: errors fail `braid plan check`, warnings only with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The format plans write times in: `2026-11-22 09:30Z`.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%MZ";

/// Formats `t` the way plans write times: `2026-11-22 09:30Z` (minutes, UTC).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.format(TIMESTAMP_FORMAT).to_string()
}

/// Parses a plan time: `2026-11-22 09:30Z`, or RFC 3339 in UTC with `Z` (`2026-11-22T09:30:00Z`). Returns
/// `None` for anything else, including RFC 3339 with a numeric offset.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, TIMESTAMP_FORMAT) {
        return Some(naive.and_utc());
    }
    if !(s.ends_with('Z') || s.ends_with('z')) {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_round_trip_and_accept_rfc3339_in_utc_only() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap();
        assert_eq!(format_timestamp(t), "2026-11-22 09:30Z");
        assert_eq!(parse_timestamp("2026-11-22 09:30Z"), Some(t));
        assert_eq!(parse_timestamp(" 2026-11-22T09:30:00Z "), Some(t));
        for bad in ["2026-11-22 09:30", "2026-11-22T09:30:00+01:00", "2026-13-01 09:30Z", "yesterday", ""] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn headings_match_whatever_the_spelling() {
        let check = |text: &str, expected: Option<SectionKind>| {
            assert_eq!(SectionKind::from_heading(text), expected, "{text}");
        };
        check("Purpose / Big Picture", Some(SectionKind::Purpose));
        check("purpose/big  picture", Some(SectionKind::Purpose));
        check("Surprises and Discoveries", Some(SectionKind::Surprises));
        check("OUTCOMES &   RETROSPECTIVE", Some(SectionKind::Outcomes));
        check("Context & Orientation", Some(SectionKind::Context));
        check("Revision Notes", None);
        check("Progress so far", None);
        for kind in SectionKind::ALL {
            check(kind.heading(), Some(kind));
        }
    }
}
