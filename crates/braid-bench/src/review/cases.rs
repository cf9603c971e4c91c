//! The reviewer's evaluation set on disk (`bench/review/cases/`): one directory per small change, either
//! with a known bug or clean, read and checked here, and the repository each review runs in: the files
//! before the change as one commit and the change as the next.
//!
//! A case directory holds:
//! - `case.toml`: `kind` (`bug` or `clean`), `language`, `summary`, and for a bug a `[bug]` table with
//!   `file`, `start_line`, `end_line` (lines after the change, 1-based, inclusive) and `description`;
//! - `before/`: the files before the change;
//! - `change.patch`: the change, as `git diff` prints it, applied with `git apply` on `before/`;
//! - `demo.sh` (optional): run with `sh` in the repository after the change; it exits 3 when the bug
//!   shows (bug cases) or 0 when the behaviour is right (clean cases). Any other exit means the demo
//!   itself is broken, so a typo in a demo cannot pass for a demonstrated bug.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use crate::measure;
use crate::suite::{self, copy_tree};

/// The exit code of a bug case's demo that shows the bug.
pub const DEMO_BUG_SHOWN: i32 = 3;

/// How long a demo may run; they are a few process starts each.
const DEMO_LIMIT: Duration = Duration::from_secs(60);

/// Whether a case's change has a known bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    Bug,
    Clean,
}

/// The languages the set covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
    Javascript,
    Go,
    Shell,
}

/// Where a bug is and what goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugSpot {
    /// The file, relative to the repository root.
    pub file: String,
    /// The first and last line of the bug in the file after the change (1-based, inclusive).
    pub start_line: u32,
    pub end_line: u32,
    /// The input that goes wrong and what happens.
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseToml {
    kind: CaseKind,
    language: Language,
    summary: String,
    bug: Option<BugSpot>,
}

/// One case of the set.
#[derive(Debug, Clone)]
pub struct Case {
    /// The directory name, e.g. `py-bug-chunk-drops-tail`.
    pub id: String,
    pub dir: PathBuf,
    pub kind: CaseKind,
    pub language: Language,
    pub summary: String,
    /// Present exactly when `kind` is `Bug`.
    pub bug: Option<BugSpot>,
}

/// Reads every case under `root`, sorted by id.
///
/// Fails naming the directory and the problem when a case lacks a file or has a malformed
/// `case.toml`, or when `root` holds no case at all.
pub fn load(root: &Path) -> anyhow::Result<Vec<Case>> {
    let entries =
        std::fs::read_dir(root).with_context(|| format!("cannot read the review cases at {}", root.display()))?;
    let mut cases = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        if entry.file_type().with_context(|| format!("cannot stat {}", entry.path().display()))?.is_dir() {
            cases.push(load_case(&entry.path())?);
        }
    }
    if cases.is_empty() {
        bail!("{} holds no case directories", root.display());
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

/// Reads one case directory.
///
/// Fails when a file is missing, `case.toml` does not parse, a bug case has no `[bug]` table (or a
/// clean case has one), or the bug's lines are not a range of lines counted from 1.
pub fn load_case(dir: &Path) -> anyhow::Result<Case> {
    let id = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    for needed in ["case.toml", "before", "change.patch"] {
        if !dir.join(needed).exists() {
            bail!("case {} lacks `{needed}`; a case needs case.toml, before/ and change.patch", dir.display());
        }
    }
    let toml_path = dir.join("case.toml");
    let text = std::fs::read_to_string(&toml_path).with_context(|| format!("cannot read {}", toml_path.display()))?;
    let parsed: CaseToml =
        toml::from_str(&text).with_context(|| format!("{} is not a valid case.toml", toml_path.display()))?;
    match (parsed.kind, &parsed.bug) {
        (CaseKind::Bug, None) => {
            bail!(
                "{}: a bug case needs a [bug] table with file, start_line, end_line and description",
                toml_path.display()
            )
        }
        (CaseKind::Clean, Some(_)) => {
            bail!("{}: a clean case has no [bug] table; remove it or make the kind \"bug\"", toml_path.display())
        }
        (_, Some(bug)) if bug.start_line == 0 || bug.end_line < bug.start_line => bail!(
            "{}: the bug's lines {}..{} are not a range counted from 1 (start_line <= end_line)",
            toml_path.display(),
            bug.start_line,
            bug.end_line
        ),
        _ => {}
    }
    if parsed.summary.trim().is_empty() {
        bail!("{}: the summary is empty; say what the change does", toml_path.display());
    }
    Ok(Case {
        id,
        dir: dir.to_path_buf(),
        kind: parsed.kind,
        language: parsed.language,
        summary: parsed.summary,
        bug: parsed.bug,
    })
}

impl Case {
    /// Makes `dest` (absent or empty) a git repository whose first commit holds `before/` and whose
    /// second commit, `HEAD`, is the change: what `braid review --commit HEAD` reviews.
    ///
    /// Fails when the files cannot be copied, git fails, or the patch does not apply (`git apply
    /// --check` names the hunk).
    pub fn prepare(&self, dest: &Path) -> anyhow::Result<()> {
        copy_tree(&self.dir.join("before"), dest)?;
        suite::commit_fresh_repo(dest, "before the change")?;
        // git runs inside `dest`, so a relative case directory would not name the patch there.
        let patch = self.dir.join("change.patch");
        let patch = std::fs::canonicalize(&patch).with_context(|| format!("cannot resolve {}", patch.display()))?;
        let patch = patch.to_string_lossy();
        suite::git(dest, &["apply", "--check", &patch])
            .with_context(|| format!("the change of case {} does not apply to its before/", self.id))?;
        suite::git(dest, &["apply", &patch])?;
        suite::git(dest, &["add", "-A"])?;
        let identity =
            ["-c", "user.name=braid-bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"];
        suite::git(dest, &[&identity[..], &["commit", "-qm", &self.summary]].concat())
    }

    /// The patch's text.
    pub fn patch(&self) -> anyhow::Result<String> {
        let path = self.dir.join("change.patch");
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// Runs `demo.sh` in `repo` (prepared by [`Case::prepare`]) and returns its exit code; `None` when
    /// the case has no demo. Fails when the demo cannot be started or outlives its time limit.
    pub fn run_demo(&self, repo: &Path) -> anyhow::Result<Option<(Option<i32>, String)>> {
        let demo = self.dir.join("demo.sh");
        if !demo.exists() {
            return Ok(None);
        }
        let demo = std::fs::canonicalize(&demo).with_context(|| format!("cannot resolve {}", demo.display()))?;
        let log = tempfile::NamedTempFile::new().context("cannot create a temporary file for the demo's output")?;
        let out = log.reopen().context("cannot reopen the demo's output file")?;
        let err = out.try_clone().context("cannot duplicate the demo's output file")?;
        let mut command = Command::new("sh");
        command.arg(&demo).current_dir(repo).stdin(Stdio::null()).stdout(out).stderr(err);
        let measured = measure::run(&mut command, DEMO_LIMIT)?;
        if measured.timed_out {
            bail!("{} ran longer than {} s", demo.display(), DEMO_LIMIT.as_secs());
        }
        Ok(Some((measured.code, std::fs::read_to_string(log.path()).unwrap_or_default())))
    }
}

/// The lines each file's change touches, on the side after the change: every added line, and for a
/// removed line the lines on either side of where it was (a bug can be a deleted check). Keyed by the
/// file's path after the change.
pub fn touched_lines(patch: &str) -> BTreeMap<String, BTreeSet<u32>> {
    let mut touched: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut file: Option<String> = None;
    let mut line = 0u32;
    for text in patch.lines() {
        if let Some(path) = text.strip_prefix("+++ ") {
            file = path.strip_prefix("b/").map(str::to_owned).filter(|_| path != "/dev/null");
        } else if text.starts_with("--- ") || text.starts_with("diff ") {
            // A file header; the `+++` line that follows names the file.
        } else if let Some(header) = text.strip_prefix("@@ ") {
            line = hunk_new_start(header).unwrap_or(0);
        } else if let Some(name) = &file {
            match text.chars().next() {
                Some('+') => {
                    touched.entry(name.clone()).or_default().insert(line);
                    line += 1;
                }
                Some('-') => {
                    let lines = touched.entry(name.clone()).or_default();
                    lines.insert(line);
                    lines.insert(line.saturating_sub(1).max(1));
                }
                Some(' ') | None => line += 1,
                // `\ No newline at end of file` and the like.
                Some(_) => {}
            }
        }
    }
    touched
}

/// The first new-side line of a hunk from the text after `@@ `: `-10,3 +10,9 @@ ...` gives 10.
fn hunk_new_start(header: &str) -> Option<u32> {
    let new = header.split_whitespace().find_map(|part| part.strip_prefix('+'))?;
    new.split(',').next()?.parse().ok()
}

/// Proves one case well formed: its patch applies, a bug lies on or next to lines the change touches,
/// and the demo, if any, exits as declared (3 for a bug, 0 for a clean change).
///
/// Fails describing the first problem found.
pub fn validate(case: &Case) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let repo = scratch.path().join("repo");
    case.prepare(&repo)?;
    let touched = touched_lines(&case.patch()?);
    if let Some(bug) = &case.bug {
        let Some(lines) = touched.get(&bug.file) else {
            bail!("the bug's file {} is not among the files the change touches", bug.file);
        };
        let near = (bug.start_line.saturating_sub(1)..=bug.end_line + 1).any(|l| lines.contains(&l));
        if !near {
            bail!(
                "the bug's lines {}..{} of {} are not on or next to a changed line",
                bug.start_line,
                bug.end_line,
                bug.file
            );
        }
        let after = std::fs::read_to_string(repo.join(&bug.file)).unwrap_or_default();
        let count = u32::try_from(after.lines().count()).unwrap_or(u32::MAX);
        if bug.end_line > count {
            bail!("the bug ends on line {} but {} has {count} lines after the change", bug.end_line, bug.file);
        }
    }
    if let Some((code, output)) = case.run_demo(&repo)? {
        let expected = if case.kind == CaseKind::Bug { DEMO_BUG_SHOWN } else { 0 };
        if code != Some(expected) {
            bail!(
                "demo.sh exited {code:?} after the change where {expected} was declared; its output:\n{}",
                suite::tail(&output, 2000)
            );
        }
    }
    Ok(())
}

/// Checks every case under `root` and the set as a whole: ids unique, at least `minimum` of each kind.
/// Returns one line per broken case (empty when all are well formed).
///
/// Fails when the set cannot be read.
pub fn validate_all(root: &Path, minimum: usize) -> anyhow::Result<Vec<String>> {
    let cases = load(root)?;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &cases {
        if !seen.insert(case.id.to_lowercase()) {
            problems.push(format!("{}: the id is used twice (ignoring case)", case.id));
        }
        if let Err(err) = validate(case) {
            problems.push(format!("{}: {err:#}", case.id));
        }
    }
    for kind in [CaseKind::Bug, CaseKind::Clean] {
        let count = cases.iter().filter(|c| c.kind == kind).count();
        if count < minimum {
            problems.push(format!("only {count} {kind:?} cases; the set needs at least {minimum}"));
        }
    }
    Ok(problems)
}
