//! Parsing a plan's Markdown: lines and code fences, the title, `## ` sections, Progress items, Decision Log
//! entries and milestones. Pure: text in, data and diagnostics out. The `toml plan` block is handed to
//! `machine`.

use std::ops::Range;

use super::machine::{self, MachineLines};
use super::{Decision, Diagnostic, Milestone, Plan, ProgressItem, Section, SectionKind, Title, parse_timestamp};

/// A parsed plan with what the checker needs beyond the public [`Plan`].
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub plan: Plan,
    /// Sorted by line.
    pub diagnostics: Vec<Diagnostic>,
    /// The opening lines of every `toml plan` block.
    pub machine_blocks: Vec<usize>,
    /// The lines of the Decision Log entries whose `Date:` is malformed (and reported as `bad-timestamp`).
    pub bad_dates: Vec<usize>,
    /// Where the parts of the first block's TOML are, when it parsed.
    pub machine_lines: Option<MachineLines>,
}

/// One line of the file.
#[derive(Debug)]
pub(crate) struct Line<'t> {
    /// 1-based.
    pub number: usize,
    /// Byte offset of the line's first character.
    pub start: usize,
    /// Byte offset just past the line's newline (or the end of the file).
    pub end: usize,
    /// The line without its line ending.
    pub text: &'t str,
    /// Whether the line is a code fence or inside one, where Markdown structure does not count.
    pub fenced: bool,
}

/// A fenced code block.
#[derive(Debug)]
struct Fence {
    /// 1-based line of the opening fence.
    line: usize,
    info: String,
    /// Byte range of the content, between the fences (to the end of the file when never closed).
    content: Range<usize>,
    /// Byte range of the whole block, both fence lines included.
    block: Range<usize>,
}

/// Parses `text`; see [`Plan::parse`].
pub(crate) fn parse(text: &str) -> Parsed {
    let (lines, fences) = split_lines(text);
    let mut parsed = Parsed::default();
    let headings: Vec<(usize, usize, String)> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| !line.fenced)
        .filter_map(|(index, line)| heading(line.text).map(|(level, text)| (index, level, text.to_string())))
        .collect();

    for (position, (index, level, heading_text)) in headings.iter().enumerate() {
        let line = &lines[*index];
        if *level == 1 && parsed.plan.title.is_none() && !heading_text.is_empty() {
            parsed.plan.title = Some(Title { line: line.number, text: heading_text.clone() });
        }
        if *level == 2 {
            let end = headings[position + 1..]
                .iter()
                .find(|(_, next_level, _)| *next_level <= 2)
                .map_or(text.len(), |(next, _, _)| lines[*next].start);
            parsed.plan.sections.push(Section {
                kind: SectionKind::from_heading(heading_text),
                heading: heading_text.clone(),
                line: line.number,
                body: line.end..end,
            });
        }
    }

    let body_lines = |kind: SectionKind| -> Vec<&Line<'_>> {
        match parsed.plan.section(kind) {
            Some(section) => lines_in(&lines, &section.body),
            None => Vec::new(),
        }
    };
    let mut diagnostics = Vec::new();
    let progress = progress_items(&body_lines(SectionKind::Progress), &mut diagnostics);
    let mut decision_found = Vec::new();
    let decisions = decisions(&body_lines(SectionKind::DecisionLog), &mut decision_found);
    // Every finding about an entry is about its `Date:`, on a line after the entry's first.
    let bad_dates = decision_found
        .iter()
        .filter_map(|d| decisions.iter().rev().find(|entry| entry.line < d.line).map(|entry| entry.line))
        .collect();
    diagnostics.extend(decision_found);
    let milestones = match parsed.plan.section(SectionKind::PlanOfWork) {
        Some(section) => milestones(&lines, section.body.clone(), &mut diagnostics),
        None => Vec::new(),
    };
    parsed.plan.progress = progress;
    parsed.plan.decisions = decisions;
    parsed.bad_dates = bad_dates;
    parsed.plan.milestones = milestones;

    for fence in fences.iter().filter(|fence| is_machine_info(&fence.info)) {
        if parsed.machine_blocks.is_empty() {
            parsed.plan.machine_block = Some(fence.block.clone());
            let content_line = fence.line + 1;
            let (machine, found) = machine::parse(&text[fence.content.clone()], fence.line, content_line);
            if let Some((machine, machine_lines)) = machine {
                parsed.plan.machine = Some(machine);
                parsed.machine_lines = Some(machine_lines);
            }
            diagnostics.extend(found);
        } else {
            diagnostics.push(Diagnostic::error(
                fence.line,
                "machine-duplicate",
                format!(
                    "a second `toml plan` block (the first is at line {}); keep one block and merge the two",
                    parsed.machine_blocks[0]
                ),
            ));
        }
        parsed.machine_blocks.push(fence.line);
    }

    diagnostics.sort_by_key(|diagnostic| diagnostic.line);
    parsed.diagnostics = diagnostics;
    parsed
}

/// Whether a fence's info string marks the machine-readable block (`toml plan`).
fn is_machine_info(info: &str) -> bool {
    let words: Vec<&str> = info.split_whitespace().collect();
    words == ["toml", "plan"]
}

/// Splits `text` into lines, marking the ones that belong to code fences, and collects the fences.
fn split_lines(text: &str) -> (Vec<Line<'_>>, Vec<Fence>) {
    let mut lines = Vec::new();
    let mut fences = Vec::new();
    // The open fence: its character, its length, and the index of its Fence.
    let mut open: Option<(char, usize, usize)> = None;
    let mut start = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let end = start + raw.len();
        let content = raw.trim_end_matches('\n').trim_end_matches('\r');
        let number = index + 1;
        let fenced = match open {
            Some((fence_char, fence_len, fence_index)) => {
                if closes_fence(content, fence_char, fence_len) {
                    let fence: &mut Fence = &mut fences[fence_index];
                    fence.content.end = start;
                    fence.block.end = end;
                    open = None;
                }
                true
            }
            None => match opens_fence(content) {
                Some((fence_char, fence_len, info)) => {
                    open = Some((fence_char, fence_len, fences.len()));
                    fences.push(Fence { line: number, info, content: end..text.len(), block: start..text.len() });
                    true
                }
                None => false,
            },
        };
        lines.push(Line { number, start, end, text: content, fenced });
        start = end;
    }
    (lines, fences)
}

/// The fence character, fence length and info string when `line` opens a code fence. Fences may be
/// indented (they often are inside list items).
fn opens_fence(line: &str) -> Option<(char, usize, String)> {
    let trimmed = line.trim_start();
    let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == fence_char).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    // CommonMark: a backtick fence's info string cannot contain backticks (that is inline code instead).
    if fence_char == '`' && info.contains('`') {
        return None;
    }
    Some((fence_char, len, info.to_string()))
}

/// Whether `line` closes a fence opened with `len` times `fence_char`.
fn closes_fence(line: &str, fence_char: char, len: usize) -> bool {
    let trimmed = line.trim();
    let run = trimmed.chars().take_while(|c| *c == fence_char).count();
    run >= len && trimmed.chars().all(|c| c == fence_char)
}

/// The level and text of an ATX heading (`## Progress`), with at most three spaces before it and an
/// optional closing run of `#`.
pub(crate) fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
        return None;
    }
    let mut text = after.trim();
    let without_closing = text.trim_end_matches('#');
    if without_closing.is_empty() || without_closing.ends_with(' ') || without_closing.ends_with('\t') {
        text = without_closing.trim_end();
    }
    Some((level, text))
}

/// The lines outside code fences that start inside `range`.
fn lines_in<'a, 't>(lines: &'a [Line<'t>], range: &Range<usize>) -> Vec<&'a Line<'t>> {
    lines.iter().filter(|line| range.contains(&line.start) && !line.fenced).collect()
}

/// The text after a list marker (`- `, `* `, `+ `, or `1. `), if the line is a list item.
fn list_item(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = trimmed.strip_prefix(marker) {
            return Some(rest);
        }
    }
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &trimmed[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest);
        }
    }
    None
}

/// The checkbox items of Progress. A timestamp is recognised as a parenthesis right after the box that
/// starts with a digit, so that an item starting with other parenthesised prose is not taken for a
/// malformed time.
fn progress_items(lines: &[&Line<'_>], diagnostics: &mut Vec<Diagnostic>) -> Vec<ProgressItem> {
    let mut items = Vec::new();
    for line in lines {
        let Some(rest) = list_item(line.text) else { continue };
        let (done, rest) = if let Some(rest) = rest.strip_prefix("[ ]") {
            (false, rest)
        } else if let Some(rest) = rest.strip_prefix("[x]").or_else(|| rest.strip_prefix("[X]")) {
            (true, rest)
        } else {
            continue;
        };
        let rest = rest.trim_start();
        let mut timestamp = None;
        let mut text = rest;
        if let Some(inner) = rest.strip_prefix('(')
            && inner.starts_with(|c: char| c.is_ascii_digit())
            && let Some(close) = inner.find(')')
        {
            let written = &inner[..close];
            text = inner[close + 1..].trim_start();
            timestamp = parse_timestamp(written);
            if timestamp.is_none() {
                diagnostics.push(Diagnostic::error(
                    line.number,
                    "bad-timestamp",
                    format!(
                        "`({written})` is not a valid UTC time; write it as `(YYYY-MM-DD HH:MMZ)`, for example \
                         `(2026-11-22 09:30Z)`"
                    ),
                ));
            }
        }
        items.push(ProgressItem { line: line.number, done, timestamp, text: text.trim_end().to_string() });
    }
    items
}

/// The value of `Name: value` on a line, also when the name is bold (`**Name:**` or `**Name**:`) or the
/// line is a list item. Matching is case-insensitive. Returns the trimmed value, possibly empty.
pub(crate) fn field<'l>(line: &'l str, name: &str) -> Option<&'l str> {
    let mut rest = line.trim_start();
    if let Some(item) = list_item(rest) {
        rest = item;
    }
    let rest = rest.strip_prefix("**").or_else(|| rest.strip_prefix("__")).unwrap_or(rest);
    let head = rest.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    let rest = &rest[name.len()..];
    let rest = rest.strip_prefix("**").or_else(|| rest.strip_prefix("__")).unwrap_or(rest);
    let rest = rest.strip_prefix(':')?;
    let rest = rest.strip_prefix("**").or_else(|| rest.strip_prefix("__")).unwrap_or(rest);
    Some(rest.trim())
}

/// The Decision Log's entries: a list item starting `Decision:`, whose following lines (up to the next
/// unindented list item) may carry `Rationale:` and `Date:`. Lines after a field without a field name of
/// their own continue that field.
fn decisions(lines: &[&Line<'_>], diagnostics: &mut Vec<Diagnostic>) -> Vec<Decision> {
    let mut entries: Vec<Decision> = Vec::new();
    // Which text field a plain continuation line extends.
    #[derive(PartialEq)]
    enum Open {
        Decision,
        Rationale,
        Other,
    }
    let mut open = Open::Other;
    let mut in_entry = false;
    for line in lines {
        let top_level_item = list_item(line.text).is_some() && !line.text.starts_with([' ', '\t']);
        if top_level_item {
            in_entry = false;
            if let Some(value) = field(line.text, "Decision") {
                entries.push(Decision { line: line.number, decision: value.to_string(), rationale: None, date: None });
                in_entry = true;
                open = Open::Decision;
            }
            continue;
        }
        let Some(entry) = entries.last_mut().filter(|_| in_entry) else { continue };
        if let Some(value) = field(line.text, "Rationale") {
            entry.rationale = Some(value.to_string());
            open = Open::Rationale;
        } else if let Some(value) = field(line.text, "Date") {
            entry.date = parse_timestamp(value);
            if entry.date.is_none() && !value.is_empty() {
                diagnostics.push(Diagnostic::error(
                    line.number,
                    "bad-timestamp",
                    format!("`{value}` is not a valid UTC time; write it as `YYYY-MM-DD HH:MMZ`, for example `2026-11-22 09:40Z`"),
                ));
            }
            open = Open::Other;
        } else if !line.text.trim().is_empty() {
            let extra = line.text.trim();
            match open {
                Open::Decision => append(&mut entry.decision, extra),
                Open::Rationale => {
                    if let Some(rationale) = entry.rationale.as_mut() {
                        append(rationale, extra);
                    }
                }
                Open::Other => {}
            }
        }
    }
    entries
}

/// Appends a continuation line to a field's text, with one space between.
fn append(text: &mut String, extra: &str) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(extra);
}

/// The `### Milestone N: Title` headings inside Plan of Work (`body`) with their fields.
fn milestones(lines: &[Line<'_>], body: Range<usize>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Milestone> {
    let inside = lines_in(lines, &body);
    let headings: Vec<(usize, usize, &str)> = inside
        .iter()
        .enumerate()
        .filter_map(|(position, line)| heading(line.text).map(|(level, text)| (position, level, text)))
        .collect();
    let mut milestones = Vec::new();
    for (at, (position, level, text)) in headings.iter().enumerate() {
        if *level != 3 {
            continue;
        }
        let line = inside[*position];
        let Some(rest) = strip_prefix_ignore_case(text, "milestone") else { continue };
        let rest = rest.trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let number = digits.parse::<u32>().ok();
        let title = rest[digits.len()..].trim_start().trim_start_matches([':', '.', '-', '—']).trim();
        let Some(number) = number else {
            diagnostics.push(Diagnostic::error(
                line.number,
                "milestone-number",
                format!("milestone heading `### {text}` has no number; write `### Milestone N: Title`"),
            ));
            continue;
        };
        let end = headings[at + 1..]
            .iter()
            .find(|(_, next_level, _)| *next_level <= 3)
            .map_or(body.end, |(next, _, _)| inside[*next].start);
        let mut milestone = Milestone {
            number,
            title: title.to_string(),
            line: line.number,
            scope: None,
            acceptance: None,
            checks: None,
            body: line.end..end,
        };
        for field_line in inside.iter().filter(|l| l.start >= line.end && l.start < end) {
            let non_empty = |value: &str| (!value.is_empty()).then(|| value.to_string());
            if let Some(value) = field(field_line.text, "Scope") {
                milestone.scope = milestone.scope.or(non_empty(value));
            } else if let Some(value) = field(field_line.text, "Acceptance") {
                milestone.acceptance = milestone.acceptance.or(non_empty(value));
            } else if let Some(value) = field(field_line.text, "Checks") {
                milestone.checks = Some(check_names(value));
            }
        }
        milestones.push(milestone);
    }
    milestones
}

/// The names of a `Checks:` line: comma-separated, each optionally in backticks.
fn check_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|name| name.trim().trim_matches('`').trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// `text` without `prefix`, compared case-insensitively.
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn headings_need_a_space_and_at_most_three_spaces_of_indent() {
        assert_eq!(heading("## Progress"), Some((2, "Progress")));
        assert_eq!(heading("   ### Milestone 1: x ##"), Some((3, "Milestone 1: x")));
        assert_eq!(heading("##Progress"), None);
        assert_eq!(heading("    ## Progress"), None);
        assert_eq!(heading("## C# notes"), Some((2, "C# notes")));
        assert_eq!(heading("#"), Some((1, "")));
    }

    #[test]
    fn fields_accept_bold_names_and_list_markers() {
        assert_eq!(field("Scope: src/a.rs", "Scope"), Some("src/a.rs"));
        assert_eq!(field("**Scope:** src/a.rs", "Scope"), Some("src/a.rs"));
        assert_eq!(field("- **Acceptance**: tests pass", "Acceptance"), Some("tests pass"));
        assert_eq!(field("  date:   2026-11-22 09:40Z", "Date"), Some("2026-11-22 09:40Z"));
        assert_eq!(field("Scoped: no", "Scope"), None);
        assert_eq!(field("Scope", "Scope"), None);
    }

    #[test]
    fn headings_inside_code_fences_do_not_count() {
        let text =
            "# T\n## Progress\n````markdown\n```\n## Decision Log\n```\n````\n- [ ] a\n~~~\n## Plan of Work\n~~~\n";
        let parsed = parse(text);
        let headings: Vec<_> = parsed.plan.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["Progress"]);
        assert_eq!(parsed.plan.progress.len(), 1);
        assert_eq!(parsed.plan.progress[0].line, 8);
        assert_eq!(parsed.plan.sections[0].body_text(text).lines().count(), 9);
    }

    #[test]
    fn progress_items_with_and_without_times() {
        let text = "## Progress\n- [x] (2026-11-22 09:30Z) Wrote it.\n- [ ] Next.\n* [X] no time\n- [ ] (2026-11-22) bad\n- [ ] (see below) prose\n- not a box\n";
        let parsed = parse(text);
        let items = &parsed.plan.progress;
        assert_eq!(items.len(), 5);
        assert_eq!(items[0].timestamp, Some(Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap()));
        assert_eq!((items[0].done, items[0].text.as_str(), items[0].line), (true, "Wrote it.", 2));
        assert_eq!((items[1].done, items[1].timestamp), (false, None));
        assert_eq!((items[2].done, items[2].timestamp), (true, None));
        assert_eq!(items[3].text, "bad");
        assert_eq!(items[4].text, "(see below) prose");
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(codes, [(5, "bad-timestamp")]);
    }

    #[test]
    fn decision_entries_collect_continuation_lines() {
        let text = "## Decision Log\n- Decision: Retry only\n  idempotent methods.\n  Rationale: A POST\n  could charge twice.\n  Date: 2026-11-22 09:40Z\n- Decision: Second\n  Date: soon\n- Unrelated note\n  Rationale: ignored\n";
        let parsed = parse(text);
        let d = &parsed.plan.decisions;
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].decision, "Retry only idempotent methods.");
        assert_eq!(d[0].rationale.as_deref(), Some("A POST could charge twice."));
        assert_eq!(d[0].date, Some(Utc.with_ymd_and_hms(2026, 11, 22, 9, 40, 0).unwrap()));
        assert_eq!((d[1].line, d[1].rationale.as_deref(), d[1].date), (7, None, None));
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(codes, [(8, "bad-timestamp")]);
    }

    #[test]
    fn milestones_with_fields_and_bodies() {
        let text = "## Plan of Work\nIntro.\n### Milestone 1: The type\n**Scope:** src/a.rs\nAcceptance: tests\nChecks: `test`, lint\n#### Detail\nScope: later lines do not override\n### Milestone two\n### Notes\nScope: not a milestone\n### milestone 3 - Last\nScope:\n## Concrete Steps\n";
        let parsed = parse(text);
        let m = &parsed.plan.milestones;
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].number, m[0].title.as_str(), m[0].line), (1, "The type", 3));
        assert_eq!(m[0].scope.as_deref(), Some("src/a.rs"));
        assert_eq!(m[0].acceptance.as_deref(), Some("tests"));
        assert_eq!(m[0].checks, Some(vec!["test".to_string(), "lint".to_string()]));
        assert!(m[0].body.start < m[0].body.end && text[m[0].body.clone()].contains("#### Detail"));
        assert_eq!(
            (m[1].number, m[1].title.as_str(), m[1].scope.as_deref(), m[1].checks.as_ref()),
            (3, "Last", None, None)
        );
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(codes, [(9, "milestone-number")]);
    }
}
