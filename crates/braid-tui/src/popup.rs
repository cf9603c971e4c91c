//! The composer's popups: the `@` fuzzy file picker (files under the working directory, respecting
//! `.gitignore`) and the `/` slash command list.

use std::path::Path;

use ratatui::text::{Line, Span};

use crate::palette;
use crate::wrap::truncate;

/// How many entries a popup shows at once.
pub(crate) const VISIBLE: usize = 8;
/// The picker stops listing after this many files, so a huge tree cannot stall the terminal.
const MAX_FILES: usize = 50_000;

/// The slash commands, with what they do, in the order the popup lists them.
pub(crate) const COMMANDS: [(&str, &str); 9] = [
    ("plan", "write an execution plan for a goal"),
    ("compact", "summarise the conversation now"),
    ("diff", "show the working tree's changes"),
    ("review", "review the uncommitted changes"),
    ("status", "model, directory, sandbox, tokens and context left"),
    ("model", "show the model, or switch to another"),
    ("new", "start a fresh session here"),
    ("resume", "continue a saved session"),
    ("quit", "leave braid"),
];

/// Lists the files under `root` (relative paths with `/` separators), respecting `.gitignore`, `.ignore`
/// and hidden files, sorted. Unreadable entries are skipped: the picker is a convenience.
pub(crate) fn list_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root).require_git(false).build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
        if files.len() >= MAX_FILES {
            break;
        }
    }
    files.sort();
    files
}

/// Scores `candidate` against `query` as a case-insensitive subsequence: `None` when it does not
/// match. Consecutive matches, matches at the start of a path component or word, and matches in the
/// file name score higher; longer paths score a little lower.
pub(crate) fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(-(candidate.len() as i64));
    }
    let cand: Vec<char> = candidate.chars().collect();
    let name_start = candidate.rfind('/').map_or(0, |i| candidate[..=i].chars().count());
    let mut score = 0i64;
    let mut ci = 0usize;
    let mut prev: Option<usize> = None;
    for q in query.chars().flat_map(char::to_lowercase) {
        let found = (ci..cand.len()).find(|&i| cand[i].to_lowercase().eq(std::iter::once(q)))?;
        score += 10;
        if prev.is_some_and(|p| p + 1 == found) {
            score += 15;
        }
        if found == 0 || matches!(cand[found - 1], '/' | '_' | '-' | '.' | ' ') {
            score += 20;
        }
        if found >= name_start {
            score += 5;
        }
        prev = Some(found);
        ci = found + 1;
    }
    Some(score * 100 - cand.len() as i64)
}

/// The best `VISIBLE * 4` matches of `query` among `files`, best first.
pub(crate) fn filter_files(files: &[String], query: &str) -> Vec<String> {
    let mut scored: Vec<(i64, &String)> = files.iter().filter_map(|f| fuzzy_score(query, f).map(|s| (s, f))).collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(VISIBLE * 4).map(|(_, f)| f.clone()).collect()
}

/// The commands whose names start with (or fuzzily match) `query`, in the popup's order.
pub(crate) fn filter_commands(query: &str) -> Vec<(&'static str, &'static str)> {
    let prefix: Vec<_> = COMMANDS.iter().copied().filter(|(name, _)| name.starts_with(query)).collect();
    if !prefix.is_empty() {
        return prefix;
    }
    COMMANDS.iter().copied().filter(|(name, _)| fuzzy_score(query, name).is_some()).collect()
}

/// A popup's rows at `width`: each entry on one line, the selected one highlighted, scrolled so the
/// selection is visible. `empty` is shown when there is nothing to list.
pub(crate) fn render_list(
    entries: &[(String, String)],
    selected: usize,
    width: usize,
    empty: &str,
) -> Vec<Line<'static>> {
    if entries.is_empty() {
        return vec![Line::styled(format!("  {empty}"), palette::dim())];
    }
    let first = selected.saturating_sub(VISIBLE - 1);
    entries
        .iter()
        .enumerate()
        .skip(first)
        .take(VISIBLE)
        .map(|(i, (name, description))| {
            let name = truncate(name, width.saturating_sub(4));
            let room = width.saturating_sub(crate::wrap::width(&name) + 6);
            let mut spans = vec![Span::raw(if i == selected { "▸ " } else { "  " }), Span::raw(name)];
            if !description.is_empty() && room > 4 {
                spans.push(Span::raw("  "));
                spans.push(Span::styled(truncate(description, room), palette::dim()));
            }
            let line = Line::from(spans);
            if i == selected { line.style(palette::selected()) } else { line }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;

    #[test]
    fn fuzzy_prefers_tight_and_file_name_matches() {
        let files: Vec<String> =
            ["src/main.rs", "src/markdown.rs", "docs/manual.md", "crates/braid-tui/src/lib.rs", "Makefile"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(filter_files(&files, "mdown")[0], "src/markdown.rs");
        assert_eq!(filter_files(&files, "man")[0], "docs/manual.md");
        assert_eq!(filter_files(&files, "main")[0], "src/main.rs");
        assert_eq!(filter_files(&files, "tuilib"), vec!["crates/braid-tui/src/lib.rs"]);
        assert!(filter_files(&files, "zzz").is_empty());
        assert!(fuzzy_score("MAKE", "Makefile").is_some(), "matching ignores case");
    }

    #[test]
    fn lists_files_respecting_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
        std::fs::write(dir.path().join("target/out"), "").unwrap();
        std::fs::write(dir.path().join("debug.log"), "").unwrap();
        std::fs::write(dir.path().join("README.md"), "").unwrap();
        assert_eq!(list_files(dir.path()), vec!["README.md", "src/lib.rs"]);
        assert!(list_files(&dir.path().join("missing")).is_empty(), "a missing directory lists nothing");
    }

    #[test]
    fn slash_popup_filters_as_you_type() {
        let names = |q: &str| filter_commands(q).iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(names("re"), vec!["review", "resume"]);
        assert_eq!(names("q"), vec!["quit"]);
        assert_eq!(names("xyz"), Vec::<&str>::new());
        let entries: Vec<(String, String)> =
            filter_commands("").iter().map(|(n, d)| (format!("/{n}"), d.to_string())).collect();
        let text: Vec<String> = render_list(&entries, 1, 50, "no commands").iter().map(plain).collect();
        insta::assert_snapshot!(text.join("\n"), @r"
              /plan  write an execution plan for a goal
            ▸ /compact  summarise the conversation now
              /diff  show the working tree's changes
              /review  review the uncommitted changes
              /status  model, directory, sandbox, tokens an…
              /model  show the model, or switch to another
              /new  start a fresh session here
              /resume  continue a saved session
        ");
    }
}
