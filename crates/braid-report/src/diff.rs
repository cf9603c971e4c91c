//! A parser for the unified diffs `git diff` writes (an attempt's `Evidence::patch`), into files, hunks
//! and numbered lines that the side-by-side view lays out.
//!
//! It is lenient on purpose: the report must render whatever a repository produced, so a line it does
//! not understand is skipped rather than failing the whole page.

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Modified,
    Added,
    Deleted,
    Renamed,
}

impl FileStatus {
    /// The word the report shows next to the file name.
    pub fn label(self) -> &'static str {
        match self {
            FileStatus::Modified => "modified",
            FileStatus::Added => "added",
            FileStatus::Deleted => "deleted",
            FileStatus::Renamed => "renamed",
        }
    }
}

/// One file of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// The path before the change (`None` for an added file).
    pub old_path: Option<String>,
    /// The path after the change (`None` for a deleted file).
    pub new_path: Option<String>,
    pub status: FileStatus,
    /// Git said the file is binary: there are no hunks to show.
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

impl FileDiff {
    /// The path to show and to choose a highlighter by: the new path, or the old one for a deletion.
    pub fn path(&self) -> &str {
        self.new_path.as_deref().or(self.old_path.as_deref()).unwrap_or("")
    }

    /// The number of added and removed lines.
    pub fn counts(&self) -> (usize, usize) {
        let lines = self.hunks.iter().flat_map(|h| &h.lines);
        lines.fold((0, 0), |(a, r), l| match l.kind {
            LineKind::Added => (a + 1, r),
            LineKind::Removed => (a, r + 1),
            LineKind::Context => (a, r),
        })
    }
}

/// One `@@ -a,b +c,d @@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: u32,
    pub new_start: u32,
    /// The text after the second `@@` (git puts the enclosing function there), trimmed.
    pub section: String,
    pub lines: Vec<Line>,
}

/// Whether a line is kept, added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

/// One line of a hunk, with its numbers in the old and new file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    /// The line without its `+`, `-` or space prefix.
    pub text: String,
    /// Followed by `\ No newline at end of file`.
    pub no_newline: bool,
}

/// Parses a unified git diff. Returns its files in order; text before the first `diff --git` (or `---`)
/// header and lines it does not recognise are ignored, so it never fails.
pub fn parse(patch: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut lines = patch.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let (old, new) = split_git_header(rest);
            files.push(FileDiff {
                old_path: old,
                new_path: new,
                status: FileStatus::Modified,
                binary: false,
                hunks: Vec::new(),
            });
            continue;
        }
        if line.starts_with("--- ") && files.last().is_none_or(|f| !f.hunks.is_empty()) {
            // A plain `diff -u` without a `diff --git` line starts its file here.
            files.push(FileDiff {
                old_path: None,
                new_path: None,
                status: FileStatus::Modified,
                binary: false,
                hunks: Vec::new(),
            });
        }
        let Some(file) = files.last_mut() else { continue };
        if let Some(path) = line.strip_prefix("--- ") {
            match strip_side(path, "a/") {
                Some(path) => file.old_path = Some(path),
                None => {
                    file.old_path = None;
                    file.status = FileStatus::Added;
                }
            }
        } else if let Some(path) = line.strip_prefix("+++ ") {
            match strip_side(path, "b/") {
                Some(path) => file.new_path = Some(path),
                None => {
                    file.new_path = None;
                    file.status = FileStatus::Deleted;
                }
            }
        } else if line.starts_with("new file mode") {
            file.status = FileStatus::Added;
            file.old_path = None;
        } else if line.starts_with("deleted file mode") {
            file.status = FileStatus::Deleted;
            file.new_path = None;
        } else if let Some(path) = line.strip_prefix("rename from ") {
            file.status = FileStatus::Renamed;
            file.old_path = Some(path.to_string());
        } else if let Some(path) = line.strip_prefix("rename to ") {
            file.status = FileStatus::Renamed;
            file.new_path = Some(path.to_string());
        } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
            file.binary = true;
        } else if let Some((old_start, old_len, new_start, new_len, section)) = parse_hunk_header(line) {
            let mut hunk = Hunk { old_start, new_start, section, lines: Vec::new() };
            read_hunk_body(&mut lines, &mut hunk, old_len, new_len);
            file.hunks.push(hunk);
        }
    }
    files
}

/// Reads the lines of one hunk: exactly as many as the header's counts promise (so a removed line that
/// itself starts with `--` is not mistaken for a header), then any `\ No newline` marker.
fn read_hunk_body<'a>(
    lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
    hunk: &mut Hunk,
    old_len: u32,
    new_len: u32,
) {
    let (mut old_left, mut new_left) = (old_len, new_len);
    let (mut old_no, mut new_no) = (hunk.old_start, hunk.new_start);
    while let Some(&next) = lines.peek() {
        if next.starts_with('\\') {
            if let Some(last) = hunk.lines.last_mut() {
                last.no_newline = true;
            }
            lines.next();
            continue;
        }
        if old_left == 0 && new_left == 0 {
            break;
        }
        // Some tools strip the trailing space of an empty context line; treat a bare empty line as one.
        let (kind, text) = match next.chars().next() {
            Some('+') => (LineKind::Added, &next[1..]),
            Some('-') => (LineKind::Removed, &next[1..]),
            Some(' ') => (LineKind::Context, &next[1..]),
            None => (LineKind::Context, ""),
            Some(_) => break,
        };
        lines.next();
        let line = match kind {
            LineKind::Added => {
                new_left = new_left.saturating_sub(1);
                new_no += 1;
                Line { kind, old_no: None, new_no: Some(new_no - 1), text: text.to_string(), no_newline: false }
            }
            LineKind::Removed => {
                old_left = old_left.saturating_sub(1);
                old_no += 1;
                Line { kind, old_no: Some(old_no - 1), new_no: None, text: text.to_string(), no_newline: false }
            }
            LineKind::Context => {
                old_left = old_left.saturating_sub(1);
                new_left = new_left.saturating_sub(1);
                old_no += 1;
                new_no += 1;
                let (o, n) = (Some(old_no - 1), Some(new_no - 1));
                Line { kind, old_no: o, new_no: n, text: text.to_string(), no_newline: false }
            }
        };
        hunk.lines.push(line);
    }
}

/// Parses `@@ -12,5 +12,7 @@ fn main()` into (old start, old length, new start, new length, section).
/// A missing length means 1, as in the unified format.
fn parse_hunk_header(line: &str) -> Option<(u32, u32, u32, u32, String)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, section) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (new_start, new_len) = range(new)?;
    Some((old_start, old_len, new_start, new_len, section.trim().to_string()))
}

/// The path of a `---`/`+++` line without its `a/`/`b/` prefix (and any tab-separated timestamp);
/// `None` for `/dev/null`.
fn strip_side(path: &str, prefix: &str) -> Option<String> {
    let path = path.split('\t').next().unwrap_or(path).trim_end();
    if path == "/dev/null" {
        return None;
    }
    Some(path.strip_prefix(prefix).unwrap_or(path).to_string())
}

/// Splits the `a/old b/new` of a `diff --git` line. A path may contain spaces, so when both halves are
/// the same path (the usual case) the line is split in the middle; otherwise at the last ` b/`.
fn split_git_header(rest: &str) -> (Option<String>, Option<String>) {
    let half = rest.len() / 2;
    if rest.is_char_boundary(half) && rest.len() % 2 == 1 {
        let (a, b) = (&rest[..half], &rest[half + 1..]);
        if let (Some(a), Some(b)) = (a.strip_prefix("a/"), b.strip_prefix("b/"))
            && a == b
        {
            return (Some(a.to_string()), Some(b.to_string()));
        }
    }
    match rest.rfind(" b/") {
        Some(at) => {
            let a = &rest[..at];
            let b = &rest[at + 3..];
            (Some(a.strip_prefix("a/").unwrap_or(a).to_string()), Some(b.to_string()))
        }
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Renders the parsed files compactly: one header line per file, then `kind old new text` per line.
    fn summary(patch: &str) -> String {
        let mut out = String::new();
        for f in parse(patch) {
            out.push_str(&format!(
                "{} {:?} -> {:?}{}\n",
                f.status.label(),
                f.old_path,
                f.new_path,
                if f.binary { " binary" } else { "" }
            ));
            for h in &f.hunks {
                out.push_str(&format!("@@ {} {} {}\n", h.old_start, h.new_start, h.section));
                for l in &h.lines {
                    let kind = match l.kind {
                        LineKind::Context => ' ',
                        LineKind::Added => '+',
                        LineKind::Removed => '-',
                    };
                    let no = |n: Option<u32>| n.map_or("_".to_string(), |n| n.to_string());
                    let eol = if l.no_newline { " [no newline]" } else { "" };
                    out.push_str(&format!("{kind} {} {} {}{eol}\n", no(l.old_no), no(l.new_no), l.text));
                }
            }
        }
        out
    }

    fn check(patch: &str, expected: &str) {
        assert_eq!(summary(patch), expected);
    }

    #[test]
    fn a_modified_file_has_numbered_hunks() {
        check(
            "diff --git a/src/lib.rs b/src/lib.rs\nindex 1..2 100644\n--- a/src/lib.rs\n+++ b/src/lib.rs\n\
             @@ -1,3 +1,4 @@ fn main() {\n a\n-b\n+c\n+d\n e\n@@ -10 +11 @@\n-x\n+y\n",
            "modified Some(\"src/lib.rs\") -> Some(\"src/lib.rs\")\n@@ 1 1 fn main() {\n  1 1 a\n- 2 _ b\n\
             + _ 2 c\n+ _ 3 d\n  3 4 e\n@@ 10 11 \n- 10 _ x\n+ _ 11 y\n",
        );
    }

    #[test]
    fn new_deleted_and_renamed_files() {
        check(
            "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n\
             diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n\
             diff --git a/a b.rs b/c d.rs\nsimilarity index 100%\nrename from a b.rs\nrename to c d.rs\n",
            "added None -> Some(\"new.py\")\n@@ 0 1 \n+ _ 1 x = 1\n+ _ 2 y = 2\n\
             deleted Some(\"old.txt\") -> None\n@@ 1 0 \n- 1 _ gone\n\
             renamed Some(\"a b.rs\") -> Some(\"c d.rs\")\n",
        );
    }

    #[test]
    fn binary_files_have_no_hunks() {
        check(
            "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n",
            "modified Some(\"logo.png\") -> Some(\"logo.png\") binary\n",
        );
        check(
            "diff --git a/x.bin b/x.bin\nnew file mode 100644\nGIT binary patch\nliteral 3\nKcmZ?wWB>pF\n\nliteral 0\n",
            "added None -> Some(\"x.bin\") binary\n",
        );
    }

    #[test]
    fn no_newline_markers_attach_to_the_line_before() {
        check(
            "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n",
            "modified Some(\"f\") -> Some(\"f\")\n@@ 1 1 \n- 1 _ old [no newline]\n+ _ 1 new [no newline]\n",
        );
    }

    #[test]
    fn a_removed_line_that_looks_like_a_header_stays_in_its_hunk() {
        check(
            "diff --git a/f.md b/f.md\n--- a/f.md\n+++ b/f.md\n@@ -1,2 +1,1 @@\n--- a/rule\n keep\n\n",
            "modified Some(\"f.md\") -> Some(\"f.md\")\n@@ 1 1 \n- 1 _ -- a/rule\n  2 1 keep\n",
        );
    }

    #[test]
    fn garbage_and_empty_input_give_no_files() {
        check("", "");
        check("not a diff at all\n@@ nonsense @@\n", "");
        // A hunk whose header lies about its length ends at the next unknown line without panicking.
        check(
            "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,9 +1,9 @@\n a\nzzz\n",
            "modified Some(\"f\") -> Some(\"f\")\n@@ 1 1 \n  1 1 a\n",
        );
    }
}
