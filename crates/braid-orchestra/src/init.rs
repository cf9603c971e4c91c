//! `braid init`: writes the PLANS.md guide into a repository, points AGENTS.md at it, and keeps braid's
//! state directory out of git.
//!
//! Nothing a person wrote is ever lost: an existing PLANS.md is kept as it is, and an existing AGENTS.md
//! only gains a marked block at its end, once. Every write goes to a temporary file in the same directory
//! that is then renamed over the target, so an interrupted init never leaves half a file, and the target's
//! permissions carry over.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The guide written to `PLANS.md`: what an execution plan contains and how to keep it alive.
pub const PLANS_GUIDE: &str = include_str!("init/PLANS.md");

/// The line that opens braid's block in AGENTS.md; its presence means the block is there already.
pub const AGENTS_BEGIN: &str = "<!-- braid:plans -->";
/// The line that closes braid's block in AGENTS.md.
pub const AGENTS_END: &str = "<!-- /braid:plans -->";

/// The rule inside braid's AGENTS.md block, one line per element, without line endings.
const AGENTS_RULE: &[&str] = &[
    "## Execution plans",
    "",
    "For work that spans several files or sessions, or that has more than one reasonable approach, write an",
    "execution plan first as described in [PLANS.md](PLANS.md), and keep it current while you work: tick",
    "Progress with UTC timestamps, record surprises with evidence and every change of course in the Decision",
    "Log, and fill Outcomes & Retrospective at the end. Check a plan with `braid plan check <file>`.",
];

/// The heading of an AGENTS.md that init creates.
const AGENTS_TITLE: &str = "# Instructions for coding agents";

/// The line init adds to git's exclude file.
const EXCLUDE_LINE: &str = ".braid/";

/// What init did to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// The file did not exist and was written.
    Created,
    /// The file existed and braid's part was added to it.
    Updated,
    /// The file already held what init would write.
    Unchanged,
    /// The file existed with other content and was left alone on purpose (an existing PLANS.md).
    Kept,
}

impl FileStatus {
    /// The word shown for it: `created`, `updated`, `unchanged` or `kept`.
    pub fn word(self) -> &'static str {
        match self {
            FileStatus::Created => "created",
            FileStatus::Updated => "updated",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Kept => "kept",
        }
    }
}

/// One file init looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file, relative to the repository when it lies inside it (git's exclude file of a linked
    /// worktree may not), else absolute.
    pub path: PathBuf,
    pub status: FileStatus,
    /// What the file is for, in a few words.
    pub purpose: &'static str,
}

/// What `init` did, file by file, in the order it handled them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    pub repo: PathBuf,
    pub files: Vec<FileReport>,
}

/// Why init could not finish. Files handled before the failure stay as init left them (each complete).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("`{}` is not a directory; run `braid init` inside the repository, or name it with `-C <dir>`", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write `{}`: {source}; check that the directory is writable", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Sets up `repo` for execution plans: writes `PLANS.md` (kept when one exists), adds braid's rule to
/// `AGENTS.md` (created when absent, appended to once when present), and, in a git repository, adds
/// `.braid/` to git's exclude file unless it is excluded already. Running it again changes nothing.
/// Returns what happened to each file; fails when `repo` is not a directory or a file cannot be read or
/// written.
pub fn init(repo: &Path) -> Result<InitReport, InitError> {
    if !repo.is_dir() {
        return Err(InitError::NotADirectory { path: repo.to_path_buf() });
    }
    let mut files = vec![plans_md(repo)?, agents_md(repo)?];
    if let Some(exclude) = git_exclude_file(repo)? {
        files.push(exclude_braid(repo, &exclude)?);
    }
    Ok(InitReport { repo: repo.to_path_buf(), files })
}

/// Writes PLANS.md unless a file is there.
fn plans_md(repo: &Path) -> Result<FileReport, InitError> {
    let path = repo.join("PLANS.md");
    let report = |status| FileReport {
        path: PathBuf::from("PLANS.md"),
        status,
        purpose: "how to write and keep an execution plan",
    };
    match read_if_exists(&path)? {
        Some(existing) if existing == PLANS_GUIDE.as_bytes() => Ok(report(FileStatus::Unchanged)),
        Some(_) => Ok(report(FileStatus::Kept)),
        None => {
            write_atomic(&path, PLANS_GUIDE.as_bytes())?;
            Ok(report(FileStatus::Created))
        }
    }
}

/// Creates AGENTS.md with braid's block, or appends the block to an existing one that lacks it. The
/// existing bytes are kept exactly; the block uses the file's line endings (CRLF when it has any).
fn agents_md(repo: &Path) -> Result<FileReport, InitError> {
    let path = repo.join("AGENTS.md");
    let report =
        |status| FileReport { path: PathBuf::from("AGENTS.md"), status, purpose: "tells agents to follow PLANS.md" };
    match read_if_exists(&path)? {
        None => {
            let text = format!("{AGENTS_TITLE}\n\n{}", agents_block("\n"));
            write_atomic(&path, text.as_bytes())?;
            Ok(report(FileStatus::Created))
        }
        Some(existing) if contains(&existing, AGENTS_BEGIN.as_bytes()) => Ok(report(FileStatus::Unchanged)),
        Some(mut bytes) => {
            let eol = if contains(&bytes, b"\r\n") { "\r\n" } else { "\n" };
            if !bytes.is_empty() {
                if !bytes.ends_with(b"\n") {
                    bytes.extend_from_slice(eol.as_bytes());
                }
                bytes.extend_from_slice(eol.as_bytes());
            }
            bytes.extend_from_slice(agents_block(eol).as_bytes());
            // Writing through a symlink keeps the link and changes the file it points at.
            let target = fs::canonicalize(&path).map_err(|source| InitError::Read { path: path.clone(), source })?;
            write_atomic(&target, &bytes)?;
            Ok(report(FileStatus::Updated))
        }
    }
}

/// braid's AGENTS.md block, markers included, with `eol` after every line.
fn agents_block(eol: &str) -> String {
    let mut lines = vec![AGENTS_BEGIN];
    lines.extend_from_slice(AGENTS_RULE);
    lines.push(AGENTS_END);
    lines.iter().map(|line| format!("{line}{eol}")).collect()
}

/// Git's exclude file for `repo` (`.git/info/exclude`, or the shared one of a linked worktree, whose
/// `.git` is a file naming its git directory), or `None` when `repo` is not the root of a git
/// repository. Fails when a `.git` file cannot be read.
fn git_exclude_file(repo: &Path) -> Result<Option<PathBuf>, InitError> {
    let dot_git = repo.join(".git");
    let Ok(meta) = fs::metadata(&dot_git) else { return Ok(None) };
    if meta.is_dir() {
        return Ok(Some(dot_git.join("info/exclude")));
    }
    let text = fs::read_to_string(&dot_git).map_err(|source| InitError::Read { path: dot_git.clone(), source })?;
    let Some(git_dir) = text.lines().find_map(|line| line.strip_prefix("gitdir:")).map(str::trim) else {
        return Ok(None);
    };
    let git_dir = repo.join(git_dir);
    // A linked worktree's git directory names the shared one in `commondir`; git reads info/exclude there.
    let common = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(common) => git_dir.join(common.trim()),
        Err(_) => git_dir,
    };
    // Resolved, so that the path shown is a plain one rather than a walk through `..`.
    let common = common.canonicalize().unwrap_or(common);
    Ok(Some(common.join("info/exclude")))
}

/// Adds `.braid/` to the exclude file at `exclude` unless it, or the root `.gitignore`, already excludes
/// braid's state directory.
fn exclude_braid(repo: &Path, exclude: &Path) -> Result<FileReport, InitError> {
    let shown = exclude.strip_prefix(repo).map(Path::to_path_buf).unwrap_or_else(|_| exclude.to_path_buf());
    let report =
        |status| FileReport { path: shown.clone(), status, purpose: "keeps .braid/ (braid's state) out of git" };
    let existing = read_if_exists(exclude)?;
    let gitignore = read_if_exists(&repo.join(".gitignore"))?;
    let excluded = |bytes: &Option<Vec<u8>>| {
        bytes.as_deref().is_some_and(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .any(|line| matches!(line.trim(), ".braid" | ".braid/" | "/.braid" | "/.braid/"))
        })
    };
    if excluded(&existing) || excluded(&gitignore) {
        return Ok(report(FileStatus::Unchanged));
    }
    let created = existing.is_none();
    let mut bytes = existing.unwrap_or_default();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(format!("# braid keeps its state here (sessions, runs)\n{EXCLUDE_LINE}\n").as_bytes());
    if let Some(dir) = exclude.parent() {
        fs::create_dir_all(dir).map_err(|source| InitError::Write { path: dir.to_path_buf(), source })?;
    }
    write_atomic(exclude, &bytes)?;
    Ok(report(if created { FileStatus::Created } else { FileStatus::Updated }))
}

/// The bytes of the file at `path`, or `None` when there is none. Fails on any other read error.
fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, InitError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InitError::Read { path: path.to_path_buf(), source }),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Replaces the file at `path` with `bytes` atomically (see `fsutil::write_atomic`).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), InitError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|err| InitError::Write { path: err.path, source: err.source })
}

#[cfg(test)]
mod tests;
