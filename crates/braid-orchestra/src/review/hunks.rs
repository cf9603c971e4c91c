//! The lines a change touches, read from its unified diff, on the new side of each file (where findings
//! point): the review's filter drops findings far from them, and a pull request places findings as
//! comments only inside its hunks.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// For each file the change leaves in place, the new-side lines it added or changed (for removals the
/// line that now stands where the removed lines were), and the new-side range of each hunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedLines {
    files: BTreeMap<String, Vec<u32>>,
    hunks: BTreeMap<String, Vec<RangeInclusive<u32>>>,
}

impl ChangedLines {
    /// Reads `patch`, a unified git diff with `b/` destination prefixes. Deleted files are left out:
    /// they have no new side to point at. Lines that are not part of a diff are skipped.
    pub fn parse(patch: &str) -> ChangedLines {
        let mut files: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut hunks: BTreeMap<String, Vec<RangeInclusive<u32>>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in DiffLines::new(patch) {
            match line {
                DiffLine::Added { new, .. } | DiffLine::Removed { anchor: new, .. } => {
                    if let Some(lines) = current.as_ref().and_then(|file| files.get_mut(file)) {
                        lines.push(new);
                    }
                }
                DiffLine::Context { .. } => {}
                DiffLine::Hunk { start, count, .. } => {
                    if let Some(file) = current.as_ref().filter(|_| count > 0) {
                        hunks.entry(file.clone()).or_default().push(start..=start + count - 1);
                    }
                }
                DiffLine::Meta(text) => {
                    if text.starts_with("diff --git ") {
                        current = None;
                    } else if let Some(path) = text.strip_prefix("+++ ") {
                        current = new_path(path);
                        if let Some(file) = &current {
                            files.entry(file.clone()).or_default();
                        }
                    }
                }
            }
        }
        for lines in files.values_mut() {
            lines.sort_unstable();
            lines.dedup();
        }
        ChangedLines { files, hunks }
    }

    /// The new-side line range of every hunk, by file; files whose hunks add no lines are absent.
    pub fn into_hunks(self) -> BTreeMap<String, Vec<RangeInclusive<u32>>> {
        self.hunks
    }

    /// The files the change leaves in place, in path order.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Whether the change touched `file`.
    pub fn touches(&self, file: &str) -> bool {
        self.files.contains_key(file)
    }

    /// Whether lines `start..=end` of `file` come within `radius` lines of a line the change touched. A
    /// file whose only change is its mode or name counts as touched everywhere.
    pub fn near(&self, file: &str, start: u32, end: u32, radius: u32) -> bool {
        let Some(lines) = self.files.get(file) else { return false };
        if lines.is_empty() {
            return true;
        }
        let (low, high) = (start.saturating_sub(radius), end.saturating_add(radius));
        let first_at_or_after_low = lines.partition_point(|&line| line < low);
        lines.get(first_at_or_after_low).is_some_and(|&line| line <= high)
    }
}

/// One line of a unified diff, as the walk over its hunks sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DiffLine<'a> {
    /// A line outside any hunk: `diff --git`, `index`, `---`, `+++`, mode and rename lines.
    Meta(&'a str),
    /// A hunk header, with the new side's first line and line count.
    Hunk { text: &'a str, start: u32, count: u32 },
    /// An unchanged line inside a hunk, with its new-side number.
    Context { text: &'a str, new: u32 },
    /// An added line, with its new-side number.
    Added { text: &'a str, new: u32 },
    /// A removed line, anchored on the new-side line that now follows it (at least 1).
    Removed { text: &'a str, anchor: u32 },
}

/// Walks a unified diff line by line, numbering hunk lines on the new side. Inside a hunk every line is
/// content, even one that looks like a header, since the header's counts say where the hunk ends;
/// `\ No newline at end of file` markers are skipped.
pub(super) struct DiffLines<'a> {
    lines: std::str::Lines<'a>,
    new_line: u32,
    old_left: u32,
    new_left: u32,
}

impl<'a> DiffLines<'a> {
    pub(super) fn new(patch: &'a str) -> DiffLines<'a> {
        DiffLines { lines: patch.lines(), new_line: 0, old_left: 0, new_left: 0 }
    }
}

impl<'a> Iterator for DiffLines<'a> {
    type Item = DiffLine<'a>;

    fn next(&mut self) -> Option<DiffLine<'a>> {
        loop {
            let text = self.lines.next()?;
            if self.old_left == 0 && self.new_left == 0 {
                return Some(match hunk_header(text) {
                    Some((start, old_count, count)) => {
                        (self.new_line, self.old_left, self.new_left) = (start, old_count, count);
                        DiffLine::Hunk { text, start, count }
                    }
                    None => DiffLine::Meta(text),
                });
            }
            let new = self.new_line;
            return Some(match text.as_bytes().first() {
                Some(b'+') => {
                    self.new_line += 1;
                    self.new_left = self.new_left.saturating_sub(1);
                    DiffLine::Added { text, new }
                }
                Some(b'-') => {
                    self.old_left = self.old_left.saturating_sub(1);
                    DiffLine::Removed { text, anchor: new.max(1) }
                }
                Some(b'\\') => continue,
                _ => {
                    self.new_line += 1;
                    self.old_left = self.old_left.saturating_sub(1);
                    self.new_left = self.new_left.saturating_sub(1);
                    DiffLine::Context { text, new }
                }
            });
        }
    }
}

/// The path of a `+++` line, `None` for `/dev/null`. git quotes paths with unusual characters; those are
/// unquoted only for the plain cases (no escapes), which is all a finding's path can name reliably.
fn new_path(text: &str) -> Option<String> {
    let text = text.trim_end();
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    text.strip_prefix("b/").map(str::to_string)
}

/// Reads `@@ -a,b +c,d @@`: the new side's first line and both sides' line counts (a missing count is 1).
fn hunk_header(line: &str) -> Option<(u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let count = |range: &str| -> Option<(u32, u32)> {
        match range.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((range.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = count(old)?;
    let (new_start, new_count) = count(new)?;
    Some((new_start, old_count, new_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -3,3 +3,4 @@ fn a() {
 keep
-old
+new
+++looks like a header but is content
 keep
@@ -20,3 +21,2 @@
 keep
-gone
 keep
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/new.py b/new.py
new file mode 100644
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+x = 1
+y = 2
";

    #[test]
    fn added_lines_and_removal_anchors_are_on_the_new_side() {
        let changed = ChangedLines::parse(PATCH);
        assert_eq!(changed.files().collect::<Vec<_>>(), ["new.py", "src/lib.rs"]);
        assert_eq!(changed.files["src/lib.rs"], [4, 5, 22]);
        assert_eq!(changed.files["new.py"], [1, 2]);
        assert!(!changed.touches("old.txt"));
        let hunks = changed.into_hunks();
        assert_eq!(hunks.get("src/lib.rs"), Some(&vec![3..=6, 21..=22]));
        assert_eq!(hunks.get("new.py"), Some(&vec![1..=2]));
        assert_eq!(hunks.get("old.txt"), None);
    }

    #[test]
    fn nearness_widens_by_the_radius() {
        let changed = ChangedLines::parse(PATCH);
        let check = |file: &str, start: u32, end: u32, radius: u32, expected: bool| {
            assert_eq!(changed.near(file, start, end, radius), expected, "{file}:{start}-{end} ±{radius}");
        };
        check("src/lib.rs", 4, 4, 0, true);
        check("src/lib.rs", 10, 12, 0, false);
        check("src/lib.rs", 10, 12, 5, true);
        check("src/lib.rs", 14, 16, 5, false);
        check("src/lib.rs", 1, 100, 0, true);
        check("new.py", 3, 3, 1, true);
        check("other.rs", 1, 1, 100, false);
    }

    #[test]
    fn a_mode_change_is_touched_everywhere_and_a_pure_rename_nowhere() {
        let patch = "diff --git a/a.rs b/b.rs\nsimilarity index 100%\nrename from a.rs\nrename to b.rs\n";
        let changed = ChangedLines::parse(patch);
        // No `+++` line: git prints none for a pure rename, so nothing is known about its lines.
        assert!(!changed.touches("b.rs"));
        let patch = "diff --git a/s.sh b/s.sh\nold mode 100644\nnew mode 100755\n--- a/s.sh\n+++ b/s.sh\n";
        assert!(ChangedLines::parse(patch).near("s.sh", 40, 40, 0));
    }

    #[test]
    fn garbage_gives_nothing() {
        assert_eq!(ChangedLines::parse("not a diff\n@@ nonsense @@\n+++"), ChangedLines::default());
    }
}
