//! Coloured diffs: apply_patch's patches (`*** Update File:` sections), edit_file's replacements and git's
//! unified diffs (`/diff`),
//! each file with a header and its +/- counts, added lines green, removed red, hunk headers cyan.

use braid_protocol::{FileChange, FileChangeKind};
use ratatui::text::{Line, Span};

use crate::palette;
use crate::wrap::wrap_line;

/// One file's part of a diff.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct FileDiff {
    /// What happened to the file, as a verb (`Add`, `Delete`, `Update`, `Move`).
    pub verb: String,
    pub path: String,
    pub lines: Vec<String>,
}

impl FileDiff {
    /// Lines added and removed. The parsers keep no file headers in `lines`, so every `+` or `-` line is
    /// a change, also one whose text itself begins with `++` or `--`.
    fn counts(&self) -> (usize, usize) {
        let added = self.lines.iter().filter(|l| l.starts_with('+')).count();
        let removed = self.lines.iter().filter(|l| l.starts_with('-')).count();
        (added, removed)
    }
}

/// Splits an apply_patch patch into files. Lines outside any file section are ignored.
pub(crate) fn parse_patch(patch: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    for line in patch.lines() {
        let header = [("*** Add File: ", "Add"), ("*** Delete File: ", "Delete"), ("*** Update File: ", "Update")]
            .into_iter()
            .find_map(|(p, verb)| line.strip_prefix(p).map(|path| (verb, path)));
        if let Some((verb, path)) = header {
            files.push(FileDiff { verb: verb.to_string(), path: path.trim().to_string(), lines: Vec::new() });
        } else if let Some(to) = line.strip_prefix("*** Move to: ") {
            if let Some(f) = files.last_mut() {
                f.verb = "Move".to_string();
                f.path = format!("{} → {}", f.path, to.trim());
            }
        } else if line.starts_with("*** ") {
            continue;
        } else if let Some(f) = files.last_mut() {
            f.lines.push(line.to_string());
        }
    }
    files
}

/// Splits a git unified diff into files. The `index`, `---` and `+++` header lines are dropped only before
/// a file's first hunk: inside a hunk, `--- x` is a removed line reading `-- x`.
pub(crate) fn parse_unified(diff: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut in_hunk = false;
    for line in diff.lines() {
        if line.starts_with("@@") {
            in_hunk = true;
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            in_hunk = false;
            let path = rest.split(" b/").nth(1).unwrap_or(rest).to_string();
            files.push(FileDiff { verb: "Update".to_string(), path, lines: Vec::new() });
        } else if line.starts_with("new file mode") {
            if let Some(f) = files.last_mut() {
                f.verb = "Add".to_string();
            }
        } else if line.starts_with("deleted file mode") {
            if let Some(f) = files.last_mut() {
                f.verb = "Delete".to_string();
            }
        } else if !in_hunk && (line.starts_with("index ") || line.starts_with("--- ") || line.starts_with("+++ ")) {
            continue;
        } else if let Some(f) = files.last_mut() {
            f.lines.push(line.to_string());
        } else {
            // A diff without `diff --git` headers (plain `diff -u`): one unnamed file.
            files.push(FileDiff { verb: "Update".to_string(), path: String::new(), lines: vec![line.to_string()] });
        }
    }
    files
}

/// The files a patch names, when its text is not available: headers without bodies.
pub(crate) fn from_changes(changes: &[FileChange]) -> Vec<FileDiff> {
    changes
        .iter()
        .map(|c| {
            let verb = match (c.kind, &c.move_to) {
                (_, Some(_)) => "Move",
                (FileChangeKind::Add, None) => "Add",
                (FileChangeKind::Delete, None) => "Delete",
                (FileChangeKind::Update, None) => "Update",
            };
            let path = match &c.move_to {
                Some(to) => format!("{} → {}", c.path, to),
                None => c.path.clone(),
            };
            FileDiff { verb: verb.to_string(), path, lines: Vec::new() }
        })
        .collect()
}

/// The diff of an edit given as a replacement (edit_file's `old_text` and `new_text`): the lines both
/// share as context, the others removed and added, under one hunk header. The tool's arguments hold
/// no line numbers, so the header has none.
pub(crate) fn from_replacement(path: &str, old: &str, new: &str) -> FileDiff {
    let mut lines = vec!["@@".to_string()];
    for change in similar::TextDiff::from_lines(old, new).iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Equal => ' ',
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
        };
        lines.push(format!("{sign}{}", change.value().trim_end_matches(['\n', '\r'])));
    }
    FileDiff { verb: "Update".to_string(), path: path.to_string(), lines }
}

/// Renders files as coloured lines wrapped to `width`: a header per file, then its lines.
pub(crate) fn render(files: &[FileDiff], width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for file in files {
        let (added, removed) = file.counts();
        let mut header = vec![
            Span::styled("● ", palette::accent()),
            Span::styled(format!("{} ", file.verb), palette::bold()),
            Span::raw(file.path.clone()),
        ];
        if added + removed > 0 {
            header.push(Span::raw(" ("));
            header.push(Span::styled(format!("+{added}"), palette::good()));
            header.push(Span::raw(" "));
            header.push(Span::styled(format!("-{removed}"), palette::bad()));
            header.push(Span::raw(")"));
        }
        out.extend(wrap_line(&Line::from(header), width, &[Span::raw("  ")]));
        for line in &file.lines {
            let style = if line.starts_with("@@") {
                palette::accent()
            } else if line.starts_with('+') {
                palette::good()
            } else if line.starts_with('-') {
                palette::bad()
            } else {
                palette::dim()
            };
            let body = Line::from(vec![Span::raw("  "), Span::styled(line.clone(), style)]);
            out.extend(wrap_line(&body, width, &[Span::raw("  ")]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;

    fn text(lines: &[Line<'_>]) -> String {
        lines.iter().map(plain).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn renders_a_patch_with_counts() {
        let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@ fn main\n-    old();\n+    new();\n+    more();\n \
                     ctx\n*** Add File: notes.md\n+hello\n*** Delete File: gone.txt\n*** End Patch\n";
        insta::assert_snapshot!(text(&render(&parse_patch(patch), 60)), @r"
        ● Update src/lib.rs (+2 -1)
          @@ fn main
          -    old();
          +    new();
          +    more();
           ctx
        ● Add notes.md (+1 -0)
          +hello
        ● Delete gone.txt
        ");
    }

    #[test]
    fn colours_added_and_removed_lines() {
        let lines = render(&parse_patch("*** Update File: a\n@@\n-x\n+y\n"), 40);
        assert_eq!(lines[1].spans[1].style, palette::accent());
        assert_eq!(lines[2].spans[1].style, palette::bad());
        assert_eq!(lines[3].spans[1].style, palette::good());
    }

    #[test]
    fn parses_git_diffs() {
        let diff = "diff --git a/x.rs b/x.rs\nindex 1..2 100644\n--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n-a\n+b\n\
                    diff --git a/new.txt b/new.txt\nnew file mode 100644\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n";
        insta::assert_snapshot!(text(&render(&parse_unified(diff), 60)), @r"
        ● Update x.rs (+1 -1)
          @@ -1 +1 @@
          -a
          +b
        ● Add new.txt (+1 -0)
          @@ -0,0 +1 @@
          +hi
        ");
    }

    #[test]
    fn changed_lines_that_look_like_headers_are_kept_and_counted() {
        // A removed SQL comment (`-- note`) and an added `++i;` read `--- note` and `+++i;` in a diff.
        let diff =
            "diff --git a/q.sql b/q.sql\n--- a/q.sql\n+++ b/q.sql\n@@ -1,2 +1,2 @@\n--- note\n+++i;\n select 1;\n";
        insta::assert_snapshot!(text(&render(&parse_unified(diff), 60)), @r"
        ● Update q.sql (+1 -1)
          @@ -1,2 +1,2 @@
          --- note
          +++i;
           select 1;
        ");
        let patch = "*** Update File: q.sql\n@@\n--- note\n+++i;\n";
        assert_eq!(parse_patch(patch)[0].counts(), (1, 1));
    }
}
