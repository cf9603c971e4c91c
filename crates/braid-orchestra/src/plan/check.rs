//! The rules `braid plan check` applies (docs/plan-format.md, "What `braid plan check` reports"). Pure
//! except for two reads of the file system: the walk that tells whether a glob matches any file, and the
//! `PATH` lookup that tells whether a check's program exists.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use braid_sandbox::globs::PathGlobs;

use super::machine::MachineLines;
use super::parse::{self, Parsed};
use super::runnable::{NotRunnable, runnable};
use super::{Diagnostic, Plan, Report, SectionKind};

/// What checking needs from outside the plan text.
#[derive(Debug, Clone)]
pub struct CheckOptions<'a> {
    /// The repository root: globs match paths relative to it, and relative programs are resolved from it.
    pub root: &'a Path,
    /// The `PATH` to look programs up on; the library never reads the environment itself, so `None` means
    /// that only builtins and files in the repository count as runnable.
    pub path_var: Option<OsString>,
}

/// Parses `text` and applies every rule of the plan format. Returns the plan and a report of all findings
/// (the parser's included), sorted by line. Never fails: an unreadable repository simply has no files.
pub fn check(text: &str, options: &CheckOptions) -> (Plan, Report) {
    let parsed = parse::parse(text);
    let mut found = parsed.diagnostics.clone();
    structure(&parsed.plan, &mut found);
    progress_and_decisions(&parsed, &mut found);
    milestones(&parsed.plan, &mut found);
    machine(&parsed, options, &mut found);
    (parsed.plan, Report::new(found))
}

/// Title, missing and duplicated sections, and their order.
fn structure(plan: &Plan, found: &mut Vec<Diagnostic>) {
    let top = plan.title.as_ref().map_or(1, |title| title.line);
    if plan.title.is_none() {
        found.push(Diagnostic::error(1, "no-title", "the plan has no title; start it with `# <what this plan does>`"));
    }
    let mut seen: Vec<SectionKind> = Vec::new();
    let mut firsts = Vec::new();
    for section in &plan.sections {
        let Some(kind) = section.kind else { continue };
        if seen.contains(&kind) {
            let first = plan.section(kind).map_or(0, |s| s.line);
            found.push(Diagnostic::error(
                section.line,
                "duplicate-section",
                format!(
                    "`## {}` appears again (first at line {first}); merge the two into one section",
                    kind.heading()
                ),
            ));
            continue;
        }
        seen.push(kind);
        firsts.push(section);
    }
    // The sections out of order are the ones outside a longest run in the usual order, so that one
    // section moved elsewhere gives one warning about it rather than one about each of its neighbours.
    let in_order = longest_ordered(&seen);
    for (position, section) in firsts.iter().enumerate() {
        if in_order.contains(&position) {
            continue;
        }
        let Some(kind) = section.kind else { continue };
        let index = kind.index();
        let place = match (index.checked_sub(1).map(|i| SectionKind::ALL[i]), SectionKind::ALL.get(index + 1)) {
            (None, _) => "to the top".to_string(),
            (Some(before), None) => format!("after `## {}`", before.heading()),
            (Some(before), Some(after)) => {
                format!("between `## {}` and `## {}`", before.heading(), after.heading())
            }
        };
        found.push(Diagnostic::warning(
            section.line,
            "section-order",
            format!("`## {}` is out of the usual order; move it {place}", kind.heading()),
        ));
    }
    for kind in SectionKind::ALL {
        if !seen.contains(&kind) {
            found.push(Diagnostic::error(
                top,
                "missing-section",
                format!("missing section `## {}`; add it, even if it only says what will go there", kind.heading()),
            ));
        }
    }
}

/// The positions in `kinds` of a longest subsequence in the usual order (the earliest such one).
fn longest_ordered(kinds: &[SectionKind]) -> Vec<usize> {
    // length[i]: the longest ordered run ending at i; previous[i]: the element before i in it.
    let mut length = vec![1usize; kinds.len()];
    let mut previous: Vec<Option<usize>> = vec![None; kinds.len()];
    for i in 0..kinds.len() {
        for j in 0..i {
            if kinds[j] < kinds[i] && length[j] + 1 > length[i] {
                length[i] = length[j] + 1;
                previous[i] = Some(j);
            }
        }
    }
    let mut best = (0..kinds.len()).max_by_key(|&i| (length[i], std::cmp::Reverse(i)));
    let mut positions = Vec::new();
    while let Some(i) = best {
        positions.push(i);
        best = previous[i];
    }
    positions
}

/// Progress items and their times, and Decision Log entries.
fn progress_and_decisions(parsed: &Parsed, found: &mut Vec<Diagnostic>) {
    let plan = &parsed.plan;
    if let Some(section) = plan.section(SectionKind::Progress)
        && plan.progress.is_empty()
    {
        found.push(Diagnostic::error(
            section.line,
            "progress-empty",
            "Progress has no checkbox items; add at least one, like `- [ ] Milestone 1: ...`",
        ));
    }
    // An item whose time was written but is malformed already has a `bad-timestamp` error.
    let malformed = |line: usize| parsed.diagnostics.iter().any(|d| d.line == line && d.code == "bad-timestamp");
    for item in plan.progress.iter().filter(|item| item.done && item.timestamp.is_none() && !malformed(item.line)) {
        found.push(Diagnostic::error(
            item.line,
            "progress-timestamp",
            "a checked item needs the UTC time it was done right after the box, like `- [x] (2026-11-22 09:30Z) ...`",
        ));
    }
    for decision in &plan.decisions {
        let mut missing = Vec::new();
        if decision.decision.is_empty() {
            missing.push("the decision after `Decision:`");
        }
        if decision.rationale.as_deref().is_none_or(str::is_empty) {
            missing.push("a `Rationale:` line");
        }
        if decision.date.is_none() && !parsed.bad_dates.contains(&decision.line) {
            missing.push("a `Date:` line with a UTC time");
        }
        if !missing.is_empty() {
            found.push(Diagnostic::error(
                decision.line,
                "decision-incomplete",
                format!("this Decision Log entry lacks {}; add what is missing to the entry", missing.join(" and ")),
            ));
        }
    }
}

/// Milestones: present, numbered in order, with Scope and Acceptance, naming declared checks only.
fn milestones(plan: &Plan, found: &mut Vec<Diagnostic>) {
    if let Some(section) = plan.section(SectionKind::PlanOfWork)
        && plan.milestones.is_empty()
    {
        found.push(Diagnostic::error(
            section.line,
            "no-milestones",
            "Plan of Work has no milestones; add `### Milestone 1: <title>` headings with `Scope:` and `Acceptance:` lines",
        ));
    }
    for (index, milestone) in plan.milestones.iter().enumerate() {
        let expected = index + 1;
        if milestone.number as usize != expected {
            found.push(Diagnostic::error(
                milestone.line,
                "milestone-number",
                format!(
                    "this is milestone {expected} but is numbered {}; number milestones 1, 2, 3… in order",
                    milestone.number
                ),
            ));
        }
        if milestone.scope.is_none() {
            found.push(Diagnostic::error(
                milestone.line,
                "milestone-scope",
                format!("Milestone {} has no `Scope:` line; say what it changes", milestone.number),
            ));
        }
        if milestone.acceptance.is_none() {
            found.push(Diagnostic::error(
                milestone.line,
                "milestone-acceptance",
                format!("Milestone {} has no `Acceptance:` line; say what shows it is done", milestone.number),
            ));
        }
        let Some(machine) = &plan.machine else { continue };
        for name in milestone.checks.iter().flatten() {
            if machine.check(name).is_none() {
                let declared: Vec<&str> = machine.checks.iter().map(|check| check.name.as_str()).collect();
                found.push(Diagnostic::error(
                    milestone.line,
                    "unknown-check",
                    format!(
                        "Milestone {} names check `{name}`, which the `toml plan` block does not declare (declared: {}); \
                         add it under `[checks]` or fix the name",
                        milestone.number,
                        if declared.is_empty() { "none".to_string() } else { declared.join(", ") }
                    ),
                ));
            }
        }
    }
}

/// The machine-readable block: present once, with scope and checks, valid globs that match something, and
/// runnable checks.
fn machine(parsed: &Parsed, options: &CheckOptions, found: &mut Vec<Diagnostic>) {
    if parsed.machine_blocks.is_empty() {
        let line = parsed.plan.title.as_ref().map_or(1, |title| title.line);
        found.push(Diagnostic::error(
            line,
            "machine-missing",
            "no machine-readable part; add a fenced block with info string `toml plan` holding `scope` and `[checks]`",
        ));
        return;
    }
    let (Some(machine), Some(lines)) = (&parsed.plan.machine, &parsed.machine_lines) else { return };
    if machine.scope.is_empty() {
        found.push(Diagnostic::error(
            lines.scope_line,
            "scope-empty",
            "`scope` is empty or missing; list globs of the files this plan will likely change, like `scope = [\"src/**\"]`",
        ));
    }
    if machine.checks.is_empty() {
        found.push(Diagnostic::error(
            lines.checks_line,
            "checks-empty",
            "no checks; add at least one under `[checks]`, like `test = \"cargo test\"`",
        ));
    }
    globs(machine.scope.iter().zip(&lines.scope), "scope", options.root, found);
    globs(machine.forbidden.iter().zip(&lines.forbidden), "forbidden", options.root, found);
    checks(machine, lines, options, found);
}

/// Every glob must compile, and should match some file or directory of the repository.
fn globs<'a>(list: impl Iterator<Item = (&'a String, &'a usize)>, key: &str, root: &Path, found: &mut Vec<Diagnostic>) {
    let mut paths: Option<BTreeSet<PathBuf>> = None;
    for (glob, line) in list {
        let compiled = match PathGlobs::new(std::slice::from_ref(glob)) {
            Ok(compiled) => compiled,
            Err(err) => {
                found.push(Diagnostic::error(*line, "bad-glob", format!("in `{key}`: {err}")));
                continue;
            }
        };
        let paths = paths.get_or_insert_with(|| repository_paths(root));
        if !paths.iter().any(|path| compiled.is_match(path)) {
            found.push(Diagnostic::warning(
                *line,
                "glob-matches-nothing",
                format!(
                    "`{key}` glob `{glob}` matches no file in the repository; fine if the plan creates it, \
                     otherwise fix the path"
                ),
            ));
        }
    }
}

/// Every file of the repository under `root` (respecting `.gitignore`, without `.git`) and every directory
/// above one, relative to `root`, so that `src` and `src/**` both count as matching `src/a.rs`.
fn repository_paths(root: &Path) -> BTreeSet<PathBuf> {
    let mut paths = BTreeSet::new();
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .parents(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    for entry in walk.flatten() {
        if entry.file_type().is_some_and(|kind| kind.is_dir()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else { continue };
        let mut ancestor = Some(relative);
        while let Some(path) = ancestor.filter(|path| !path.as_os_str().is_empty()) {
            if !paths.insert(path.to_path_buf()) {
                break;
            }
            ancestor = path.parent();
        }
    }
    paths
}

/// Every check's command must be runnable.
fn checks(machine: &super::Machine, lines: &MachineLines, options: &CheckOptions, found: &mut Vec<Diagnostic>) {
    for (check, line) in machine.checks.iter().zip(&lines.checks) {
        let Err(reason) = runnable(&check.command, options.root, options.path_var.as_deref()) else { continue };
        let name = &check.name;
        let message = match reason {
            NotRunnable::Empty => {
                format!("check `{name}` has an empty command; write the shell command that decides it")
            }
            NotRunnable::UnbalancedQuotes => {
                format!("check `{name}` has an unclosed quote in `{}`; close it", check.command)
            }
            NotRunnable::Missing(program) => format!(
                "check `{name}` runs `{program}`, which is not a shell builtin, not on PATH and not a file in the \
                 repository; install it or fix the command"
            ),
            NotRunnable::NotExecutable(program) => format!(
                "check `{name}` runs `{program}`, which is not an executable file in the repository; create it or \
                 `chmod +x` it"
            ),
        };
        found.push(Diagnostic::error(*line, "check-not-runnable", message));
    }
}
