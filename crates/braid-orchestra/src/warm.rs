//! Warm starts for attempt worktrees: seeding a fresh worktree's build caches (`target/`, `node_modules`,
//! virtual environments) from the user's main checkout, so an attempt's first build does not start cold.
//!
//! Only paths that git ignores in the main checkout and that are absent from the worktree are seeded; the
//! worktree's own content is never overwritten, and a seeded path appears whole or not at all (it is built
//! under a temporary name beside its destination and renamed into place at the end).
//!
//! What a seeded Rust `target/` buys, measured by `benches/warm_start.rs` (see docs/benchmarks.md): cargo
//! names and fingerprints path packages relative to the workspace root, so a target directory copied to a
//! checkout at another path is not invalidated by the path change itself. What invalidates the workspace's
//! own crates is time: `git worktree add` writes every source file now, so each source is newer than the
//! copied dep-info and cargo recompiles the workspace members (helped by their copied incremental caches).
//! Dependencies from a registry or a git source live outside the checkout, their sources keep their old
//! mtimes, and cargo reuses them as they are; those are usually most of a cold build. To reuse the
//! workspace's own crates as well, `align_source_times` gives the worktree's sources the mtimes of the
//! main checkout's identical files (measured: the first build then compiles nothing).

mod times;
mod tree;

pub use times::align_source_times;

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// How seeded files are made in the worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WarmMode {
    /// A copy-on-write clone of each file (the `FICLONE` ioctl: btrfs, XFS, bcachefs, overlayfs on those),
    /// instant and sharing no later writes; where the file system refuses, a plain copy. The default.
    #[default]
    Auto,
    /// A plain copy of every file.
    Copy,
    /// A hard link to each file: nearly free, but the worktree and the main checkout then share each
    /// file's contents, so any write into an existing file changes the main checkout's copy too. Safe
    /// for tools that replace files (write a new file and rename it over the old one, or unlink first):
    /// what npm and pip do when they install packages. Not safe for tools that rewrite a file in place
    /// with a truncating write, and cargo is one of them for its bookkeeping: fingerprint and dep-info
    /// files under `target/` are rewritten in place, so a build in the worktree would change what the main
    /// checkout's cargo believes is up to date (rustc's `.rlib` and incremental files are new files, but
    /// that does not make the whole directory safe). Build scripts may write into their `OUT_DIR`
    /// however they like, and an editor or `sed -i` on a linked file edits both. Prefer `Auto` or `Copy`
    /// for `target/`; use this for caches an attempt only reads or that its tools replace.
    Hardlink,
    /// Seed nothing.
    Off,
}

impl WarmMode {
    /// Every mode with its configuration name, in the order the error message lists them.
    const NAMES: [(WarmMode, &'static str); 4] =
        [(WarmMode::Auto, "auto"), (WarmMode::Copy, "copy"), (WarmMode::Hardlink, "hardlink"), (WarmMode::Off, "off")];

    /// Returns the mode's name as `[run] warm` spells it.
    pub fn as_str(self) -> &'static str {
        Self::NAMES.iter().find(|(mode, _)| *mode == self).map_or("auto", |(_, name)| name)
    }
}

impl fmt::Display for WarmMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `[run] warm` value that names no mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown warm-start mode `{value}`: expected one of auto, copy, hardlink, off")]
pub struct ParseWarmModeError {
    pub value: String,
}

impl FromStr for WarmMode {
    type Err = ParseWarmModeError;

    /// Parses a mode name, ignoring case and surrounding spaces; fails with the value on anything else.
    fn from_str(s: &str) -> Result<WarmMode, ParseWarmModeError> {
        let wanted = s.trim().to_ascii_lowercase();
        WarmMode::NAMES
            .iter()
            .find(|(_, name)| *name == wanted)
            .map(|(mode, _)| *mode)
            .ok_or_else(|| ParseWarmModeError { value: s.to_string() })
    }
}

/// The cache directories seeded when the configuration names none. Each is seeded only when it exists in
/// the main checkout and git ignores it there, so a tracked `build/` source directory is never touched.
pub const DEFAULT_PATHS: [&str; 9] =
    ["target", "node_modules", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache", ".gradle", "build"];

/// What to seed and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmOptions {
    pub mode: WarmMode,
    /// Paths relative to the checkout root, `/`-separated (`web/node_modules` is fine).
    pub paths: Vec<String>,
}

impl WarmOptions {
    /// Returns options for `mode` with the default cache paths.
    pub fn new(mode: WarmMode) -> WarmOptions {
        WarmOptions { mode, paths: DEFAULT_PATHS.iter().map(|p| p.to_string()).collect() }
    }
}

impl Default for WarmOptions {
    fn default() -> WarmOptions {
        WarmOptions::new(WarmMode::default())
    }
}

/// How one seeded path's files were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMethod {
    /// Every file is a copy-on-write clone.
    Reflink,
    /// Files were copied (in `Auto` mode: the file system refused a clone; in `Hardlink` mode: a link
    /// across file systems was refused).
    Copy,
    /// Every file is a hard link to the main checkout's.
    Hardlink,
}

/// One path seeded into the worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededPath {
    /// The path relative to the checkout root, as configured.
    pub path: String,
    pub method: SeedMethod,
    /// Regular files seeded (symbolic links and directories not counted).
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    pub duration: Duration,
}

/// Why a configured path was not seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The main checkout has nothing there.
    Missing,
    /// Git does not ignore it in the main checkout, so it is (or may be) the user's source.
    NotIgnored,
    /// The worktree already has something at that path; it is left alone.
    Present,
    /// It is a symbolic link in the main checkout (often to a cache shared on purpose), or its parent in
    /// the worktree is missing or a symbolic link: seeding it would mean following a link.
    Symlink,
}

/// A configured path that was left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedPath {
    pub path: String,
    pub reason: SkipReason,
}

/// What `seed` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmReport {
    pub entries: Vec<SeededPath>,
    pub skipped: Vec<SkippedPath>,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum WarmError {
    #[error(
        "warm-start path `{path}` must be relative to the checkout and stay inside it (no `..`, not absolute): \
         fix the paths in the [run] warm configuration"
    )]
    BadPath { path: String },
    #[error("cannot read the ignore rules in {}: {message}", file.display())]
    Ignore { file: PathBuf, message: String },
    #[error("cannot seed `{path}` (nothing of it was left in the worktree): {}: {source}", at.display())]
    Io { path: String, at: PathBuf, source: std::io::Error },
    #[error("cannot align the modification time of {} with the main checkout's: {source}", at.display())]
    Times { at: PathBuf, source: std::io::Error },
}

/// Seeds the worktree at `worktree` with the configured cache paths of the checkout at `main_root`.
///
/// Returns what was seeded and what was skipped. Fails on a configured path that is absolute or leaves
/// the checkout, on an unreadable `.gitignore`, or on the first file that cannot be read or written; the
/// path being seeded then leaves nothing behind, and paths seeded before it stay.
pub fn seed(main_root: &Path, worktree: &Path, options: &WarmOptions) -> Result<WarmReport, WarmError> {
    let mut report = WarmReport::default();
    if options.mode == WarmMode::Off {
        return Ok(report);
    }
    let rels: Vec<(&String, PathBuf)> =
        options.paths.iter().map(|p| Ok((p, relative(p)?))).collect::<Result<_, WarmError>>()?;
    let mut cloning = tree::Cloning::new();
    for (name, rel) in rels {
        let skip = |reason| SkippedPath { path: name.clone(), reason };
        let source = main_root.join(&rel);
        let meta = match std::fs::symlink_metadata(&source) {
            Ok(meta) => meta,
            Err(_) => {
                report.skipped.push(skip(SkipReason::Missing));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            report.skipped.push(skip(SkipReason::Symlink));
            continue;
        }
        if !is_ignored(main_root, &rel, meta.is_dir())? {
            report.skipped.push(skip(SkipReason::NotIgnored));
            continue;
        }
        let dest = worktree.join(&rel);
        if std::fs::symlink_metadata(&dest).is_ok() {
            report.skipped.push(skip(SkipReason::Present));
            continue;
        }
        if !parents_are_real_dirs(worktree, &rel) {
            report.skipped.push(skip(SkipReason::Symlink));
            continue;
        }
        let started = Instant::now();
        let fail = |(at, source)| WarmError::Io { path: name.clone(), at, source };
        let counts = tree::seed_one(&source, &dest, options.mode, &mut cloning).map_err(fail)?;
        report.entries.push(SeededPath {
            path: name.clone(),
            method: counts.method,
            files: counts.files,
            bytes: counts.bytes,
            duration: started.elapsed(),
        });
    }
    Ok(report)
}

/// Turns a configured path into a relative path of normal components; fails on anything that could
/// name a place outside the checkout.
fn relative(path: &str) -> Result<PathBuf, WarmError> {
    let bad = || WarmError::BadPath { path: path.to_string() };
    let mut rel = PathBuf::new();
    for component in Path::new(path.trim_end_matches('/')).components() {
        match component {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(bad()),
        }
    }
    if rel.as_os_str().is_empty() { Err(bad()) } else { Ok(rel) }
}

/// Returns whether every directory between the worktree root and `rel` exists there as a real directory,
/// so that creating `rel` cannot follow a symbolic link out of the tree.
fn parents_are_real_dirs(worktree: &Path, rel: &Path) -> bool {
    let mut dir = worktree.to_path_buf();
    let Some(parent) = rel.parent() else { return true };
    for part in parent.components() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            _ => return false,
        }
    }
    true
}

/// Returns whether git ignores `rel` (or a directory above it) in the checkout at `root`, reading the
/// `.gitignore` files from the root down to `rel`'s parent and `.git/info/exclude`, as git ranks them: a
/// deeper file overrides a shallower one, and every `.gitignore` overrides `info/exclude`. The user's
/// global excludes file is not read: missing it can only make fewer paths count as ignored, which seeds
/// less and never touches the user's source.
///
/// Fails when an ignore file exists but cannot be read or parsed.
fn is_ignored(root: &Path, rel: &Path, is_dir: bool) -> Result<bool, WarmError> {
    let target = root.join(rel);
    let mut matchers = Vec::new();
    let exclude = root.join(".git").join("info").join("exclude");
    if exclude.is_file() {
        let mut builder = GitignoreBuilder::new(root);
        if let Some(err) = builder.add(&exclude) {
            return Err(WarmError::Ignore { file: exclude, message: err.to_string() });
        }
        let matcher =
            builder.build().map_err(|err| WarmError::Ignore { file: exclude.clone(), message: err.to_string() })?;
        matchers.push(matcher);
    }
    let mut dir = root.to_path_buf();
    let mut levels = vec![dir.clone()];
    if let Some(parent) = rel.parent() {
        for part in parent.components() {
            dir.push(part);
            levels.push(dir.clone());
        }
    }
    for level in levels {
        let file = level.join(".gitignore");
        if file.is_file() {
            let (matcher, err) = Gitignore::new(&file);
            if let Some(err) = err {
                return Err(WarmError::Ignore { file, message: err.to_string() });
            }
            matchers.push(matcher);
        }
    }
    // The last matcher with an opinion wins: they are in git's order of precedence, lowest first.
    let mut ignored = false;
    for matcher in &matchers {
        match matcher.matched_path_or_any_parents(&target, is_dir) {
            Match::Ignore(_) => ignored = true,
            Match::Whitelist(_) => ignored = false,
            Match::None => {}
        }
    }
    Ok(ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print() {
        fn check(input: &str, expected: Option<WarmMode>) {
            assert_eq!(input.parse::<WarmMode>().ok(), expected, "{input}");
        }
        check("auto", Some(WarmMode::Auto));
        check(" Copy ", Some(WarmMode::Copy));
        check("HARDLINK", Some(WarmMode::Hardlink));
        check("off", Some(WarmMode::Off));
        check("reflink", None);
        check("", None);
        for (mode, name) in WarmMode::NAMES {
            assert_eq!(mode.to_string(), name);
        }
        let err = "symlink".parse::<WarmMode>().unwrap_err().to_string();
        assert!(err.contains("`symlink`") && err.contains("auto, copy, hardlink, off"), "{err}");
    }

    #[test]
    fn paths_must_stay_inside() {
        fn check(input: &str, expected: Option<&str>) {
            assert_eq!(relative(input).ok(), expected.map(PathBuf::from), "{input}");
        }
        check("target", Some("target"));
        check("./web/node_modules/", Some("web/node_modules"));
        check("../target", None);
        check("a/../../b", None);
        check("/tmp/target", None);
        check("", None);
        check(".", None);
    }
}
