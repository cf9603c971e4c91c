//! The per-attempt sections: what each attempt changed, as a side-by-side (old | new) diff per file with
//! line numbers and syntax highlighting, plus the attempt's own facts (branch, commit, final message,
//! new warnings, files outside scope). Each attempt is a `<details>`, the winner's open.

use braid_orchestra::compare::{Comparison, Evidence};

use crate::diff::{self, FileDiff, Hunk, Line, LineKind};
use crate::escape::push_escaped as esc;
use crate::format;
use crate::highlight::{self, State, Syntax};
use crate::page::ranked;

/// Writes one collapsible section per attempt, in rank order.
pub fn attempts(out: &mut String, c: &Comparison) {
    out.push_str(
        "<section id=\"attempts\">\n<div class=\"section-head\"><h2>Attempts</h2>\
        <span id=\"diff-tools\"></span></div>\n",
    );
    for (i, (rank, e)) in ranked(c).into_iter().enumerate() {
        let open = i == 0 && rank.is_some_and(|r| r.passed);
        attempt(out, e, open);
    }
    out.push_str("</section>\n");
}

/// Writes one attempt's `<details>`.
fn attempt(out: &mut String, e: &Evidence, open: bool) {
    out.push_str(&format!(
        "<details class=\"attempt\" id=\"attempt-{}\" data-attempt=\"{}\"{}>\n<summary><span class=\"title\">#{} ",
        e.n,
        e.n,
        if open { " open" } else { "" },
        e.n
    ));
    esc(out, &e.agent);
    if let Some(approach) = &e.approach {
        out.push_str(" <span class=\"muted\">· ");
        esc(out, approach);
        out.push_str("</span>");
    }
    out.push_str(&format!(
        "</span> <span class=\"stat\">{} files <span class=\"plus\">+{}</span> <span class=\"minus\">−{}</span></span></summary>\n",
        e.diff.files, e.diff.added, e.diff.removed
    ));
    out.push_str("<div class=\"attempt-body\">\n<dl class=\"meta\"><div><dt>branch</dt><dd><code>");
    esc(out, &e.branch);
    out.push_str("</code></dd></div><div><dt>commit</dt><dd>");
    match &e.commit {
        Some(commit) => {
            out.push_str("<code>");
            esc(out, format::short_hash(commit));
            out.push_str("</code>");
        }
        None => out.push_str("none"),
    }
    out.push_str("</dd></div><div><dt>state</dt><dd>");
    esc(out, e.state.as_str());
    out.push_str("</dd></div></dl>\n");
    if let Some(message) = &e.final_message {
        out.push_str("<blockquote class=\"final\"><div class=\"small muted\">the agent's last message</div>");
        esc(out, message);
        out.push_str("</blockquote>\n");
    }
    file_list(out, "Forbidden files changed", "bad", &e.forbidden);
    file_list(out, "Changed outside the plan's scope", "warn", &e.outside_scope);
    if !e.new_warnings.is_empty() {
        out.push_str("<div class=\"notes warn\"><strong>New warnings</strong><ul>");
        for w in &e.new_warnings {
            out.push_str("<li>");
            if let Some(file) = &w.file {
                out.push_str("<code>");
                esc(out, file);
                if let Some(line) = w.line {
                    out.push_str(&format!(":{line}"));
                }
                out.push_str("</code> ");
            }
            esc(out, &w.message);
            if let Some(code) = &w.code {
                out.push_str(" <span class=\"muted\">(");
                esc(out, code);
                out.push_str(")</span>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></div>\n");
    }
    patch(out, &e.patch);
    out.push_str("</div>\n</details>\n");
}

/// Writes a titled list of files, when there are any.
fn file_list(out: &mut String, title: &str, class: &str, files: &[String]) {
    if files.is_empty() {
        return;
    }
    out.push_str(&format!("<div class=\"notes {class}\"><strong>{title}</strong><ul>"));
    for f in files {
        out.push_str("<li><code>");
        esc(out, f);
        out.push_str("</code></li>");
    }
    out.push_str("</ul></div>\n");
}

/// Writes the diff of one attempt: one side-by-side table per file, or the raw text when it does not
/// parse as a diff.
fn patch(out: &mut String, patch: &str) {
    if patch.trim().is_empty() {
        out.push_str("<p class=\"muted\">No changes.</p>\n");
        return;
    }
    let files = diff::parse(patch);
    if files.is_empty() {
        out.push_str("<pre class=\"raw\">");
        esc(out, patch);
        out.push_str("</pre>\n");
        return;
    }
    for file in &files {
        file_diff(out, file);
    }
}

/// Writes one file's header and side-by-side table.
fn file_diff(out: &mut String, file: &FileDiff) {
    let (added, removed) = file.counts();
    out.push_str(&format!(
        "<div class=\"file\">\n<div class=\"file-head\"><span class=\"status {0}\">{0}</span> <code>",
        file.status.label()
    ));
    if let (diff::FileStatus::Renamed, Some(old)) = (file.status, &file.old_path) {
        esc(out, old);
        out.push_str(" → ");
    }
    esc(out, file.path());
    out.push_str(&format!(
        "</code> <span class=\"plus\">+{added}</span> <span class=\"minus\">−{removed}</span></div>\n"
    ));
    if file.binary {
        out.push_str("<p class=\"muted pad\">Binary file, not shown.</p>\n</div>\n");
        return;
    }
    if file.hunks.is_empty() {
        out.push_str("<p class=\"muted pad\">No content changes.</p>\n</div>\n");
        return;
    }
    let syntax = highlight::syntax_for(file.path());
    out.push_str("<table class=\"sbs\"><colgroup><col class=\"ln\"><col><col class=\"ln\"><col></colgroup><tbody>\n");
    let mut sides = Sides { syntax, old: State::Normal, new: State::Normal };
    for hunk in &file.hunks {
        hunk_rows(out, hunk, &mut sides);
    }
    out.push_str("</tbody></table>\n</div>\n");
}

/// The highlighter of a file and where each side's lexer stands.
struct Sides {
    syntax: Option<&'static Syntax>,
    old: State,
    new: State,
}

/// Writes a hunk's header row and its lines, pairing each run of removed lines with the run of added
/// lines after it so that a changed line sits next to its replacement.
fn hunk_rows(out: &mut String, hunk: &Hunk, sides: &mut Sides) {
    out.push_str(&format!("<tr class=\"hunk\"><td colspan=\"4\">@@ −{} +{} @@ ", hunk.old_start, hunk.new_start));
    esc(out, &hunk.section);
    out.push_str("</td></tr>\n");
    let lines = &hunk.lines;
    let mut i = 0;
    while i < lines.len() {
        if lines[i].kind == LineKind::Context {
            row(out, sides, Some(&lines[i]), Some(&lines[i]));
            i += 1;
            continue;
        }
        let removed_end = i + lines[i..].iter().take_while(|l| l.kind == LineKind::Removed).count();
        let added_end = removed_end + lines[removed_end..].iter().take_while(|l| l.kind == LineKind::Added).count();
        let (removed, added) = (&lines[i..removed_end], &lines[removed_end..added_end]);
        for k in 0..removed.len().max(added.len()) {
            row(out, sides, removed.get(k), added.get(k));
        }
        i = added_end;
    }
}

/// Writes one row: the old side's line (or an empty cell) and the new side's.
fn row(out: &mut String, sides: &mut Sides, old: Option<&Line>, new: Option<&Line>) {
    out.push_str("<tr>");
    sides.old = side(out, sides.syntax, old, old.and_then(|l| l.old_no), sides.old);
    sides.new = side(out, sides.syntax, new, new.and_then(|l| l.new_no), sides.new);
    out.push_str("</tr>\n");
}

/// Writes the number cell and code cell of one side; returns that side's lexer state afterwards.
fn side(out: &mut String, syntax: Option<&Syntax>, line: Option<&Line>, no: Option<u32>, state: State) -> State {
    let Some(line) = line else {
        out.push_str("<td class=\"ln\"></td><td class=\"code empty\"></td>");
        return state;
    };
    let (class, mark) = match line.kind {
        LineKind::Added => ("add", "+"),
        LineKind::Removed => ("del", "−"),
        LineKind::Context => ("ctx", " "),
    };
    out.push_str(&format!(
        "<td class=\"ln {class}\">{}</td><td class=\"code {class}\"><span class=\"mark\" aria-hidden=\"true\">{mark}</span>",
        no.map_or(String::new(), |n| n.to_string())
    ));
    let state = highlight::push_highlighted(out, syntax, &line.text, state);
    if line.no_newline {
        out.push_str("<span class=\"eof\" title=\"No newline at end of file\">⏎̸</span>");
    }
    out.push_str("</td>");
    state
}

#[cfg(test)]
mod tests {
    use super::patch;
    use pretty_assertions::assert_eq;

    /// Renders `diff` and reads back each table row as `old-number:class | new-number:class`, with `hunk`
    /// for hunk headers, so the pairing of removed and added lines is visible.
    fn check(diff: &str, expected: &[&str]) {
        let mut html = String::new();
        patch(&mut html, diff);
        let rows: Vec<String> = html
            .split("<tr")
            .skip(1)
            .map(|row| {
                if row.starts_with(" class=\"hunk\"") {
                    return "hunk".to_string();
                }
                let cells: Vec<String> = row
                    .split("<td class=\"ln")
                    .skip(1)
                    .map(|cell| {
                        let class = cell[..cell.find('"').unwrap()].trim().to_string();
                        let no = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                        if class.is_empty() { "_".to_string() } else { format!("{no}:{class}") }
                    })
                    .collect();
                cells.join(" | ")
            })
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn removed_lines_sit_next_to_the_lines_that_replace_them() {
        check(
            "diff --git a/a.rs b/a.rs\n--- a/a.rs\n+++ b/a.rs\n@@ -1,5 +1,5 @@\n keep\n-old1\n-old2\n+new1\n+new2\n+new3\n end\n-gone\n",
            &["hunk", "1:ctx | 1:ctx", "2:del | 2:add", "3:del | 3:add", "_ | 4:add", "4:ctx | 5:ctx", "5:del | _"],
        );
    }

    #[test]
    fn code_is_highlighted_and_escaped_in_the_cells() {
        let mut html = String::new();
        patch(&mut html, "diff --git a/a.rs b/a.rs\n--- a/a.rs\n+++ b/a.rs\n@@ -0,0 +1 @@\n+let x = \"<b>\";\n");
        assert!(
            html.contains("<span class=\"k\">let</span> x = <span class=\"s\">&quot;&lt;b&gt;&quot;</span>;"),
            "{html}"
        );
    }
}
