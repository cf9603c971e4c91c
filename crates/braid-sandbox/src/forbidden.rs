//! Turning a plan's `forbidden` globs into paths the confinement mounts read-only, so that a command the
//! model runs cannot change them any more than braid's own edit tools can (those are refused by
//! `WorkspacePolicy::with_forbidden`).
//!
//! A mount needs something to mount on, so only what exists when the confinement is prepared can be
//! covered:
//! - every existing file or directory under the root whose root-relative path matches a glob;
//! - for a glob of the form `<literal dir>/**` (like `migrations/**`), that directory itself when it
//!   exists, so a command cannot create new files in it either.
//!
//! What is NOT covered: a file that does not exist yet but would match a glob outside such a directory
//! (a new `*.lock` at the root, a new `src/**/generated.rs`), and a forbidden path reached through a
//! symlink that points outside the root. A command may create those; the plan's milestone gate compares
//! the changed files against `forbidden` afterwards and catches them.

use std::path::{Path, PathBuf};

use crate::globs::PathGlobs;

/// Directories the walk never enters: git's repository data and braid's state are mounted read-only
/// already, and git's can be large.
const SKIPPED: &[&str] = &[".git", ".braid"];

/// The existing paths under `root` a confined command must not change because `globs` forbid them,
/// for `SandboxSpec::read_only`: matching files and directories (a directory that is covered is not
/// walked into), and the directory of each `<literal dir>/**` glob. Walks the whole tree without
/// `.gitignore` filtering, because forbidden files such as `.env` are usually ignored, but skips `.git`
/// and `.braid`. Symlinks are not followed; a matching symlink contributes its target when that lies
/// inside the root. Unreadable directories are skipped. Returns absolute paths with symlinks resolved,
/// sorted, none inside another; empty when `globs` is empty or `root` does not exist.
pub fn forbidden_mounts(root: &Path, globs: &PathGlobs) -> Vec<PathBuf> {
    if globs.is_empty() {
        return Vec::new();
    }
    let Ok(root) = root.canonicalize() else { return Vec::new() };
    let literal_dirs: Vec<PathBuf> = globs.globs().iter().filter_map(|glob| literal_dir(glob)).collect();
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(relative) = path.strip_prefix(&root) else { continue };
            if SKIPPED.iter().any(|name| entry.file_name() == *name) {
                continue;
            }
            let Ok(kind) = entry.file_type() else { continue };
            if globs.is_match(relative) || literal_dirs.iter().any(|d| d == relative) {
                if kind.is_symlink() {
                    // Mounting follows the link; only a target inside the root is the workspace's to protect.
                    if let Ok(target) = path.canonicalize()
                        && target.starts_with(&root)
                    {
                        found.push(target);
                    }
                } else {
                    found.push(path);
                }
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found.dedup();
    // A path inside another one in the list is covered by that mount already.
    let mut outermost: Vec<PathBuf> = Vec::new();
    for path in found {
        if !outermost.iter().any(|outer| path.starts_with(outer)) {
            outermost.push(path);
        }
    }
    outermost
}

/// The directory a `<literal dir>/**` glob protects as a whole (`migrations` for `migrations/**` or
/// `./migrations/**`), or `None` for any other glob or one whose directory part has wildcards.
fn literal_dir(glob: &str) -> Option<PathBuf> {
    let trimmed = glob.trim();
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    let dir = trimmed.strip_suffix("/**")?.trim_end_matches('/');
    if dir.is_empty() || dir.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return None;
    }
    Some(PathBuf::from(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(list: &[&str]) -> PathGlobs {
        PathGlobs::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    /// Creates `files` (a trailing `/` makes a directory) under a temp dir and returns the mounts for
    /// `list`, relative to it.
    fn check(files: &[&str], list: &[&str], expected: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            if file.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "x").unwrap();
            }
        }
        let root = dir.path().canonicalize().unwrap();
        let got: Vec<String> = forbidden_mounts(dir.path(), &globs(list))
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(got, expected, "files {files:?}, globs {list:?}");
    }

    #[test]
    fn matching_files_and_literal_directories_are_mounted() {
        let tree = &[
            "Cargo.lock",
            "Cargo.toml",
            ".env",
            "sub/.env",
            "migrations/001.sql",
            "migrations/old/000.sql",
            "src/lib.rs",
            "src/gen/generated.rs",
            ".git/config",
            ".git/x.env",
            "empty/",
        ];
        check(tree, &["Cargo.lock"], &["Cargo.lock"]);
        check(tree, &["*.lock", "**/.env"], &[".env", "Cargo.lock", "sub/.env"]);
        check(tree, &["migrations/**"], &["migrations"]);
        check(tree, &["./migrations/**", "migrations/*.sql"], &["migrations"]);
        check(tree, &["src/**/generated.rs"], &["src/gen/generated.rs"]);
        // Only a literal directory is mounted as a whole; under a wildcard one, the files that exist.
        check(tree, &["src/*/**"], &["src/gen/generated.rs"]);
        check(tree, &["empty/**"], &["empty"]);
        // `.git` is never walked, and a glob matching nothing mounts nothing.
        check(tree, &["**/*.env"], &[".env", "sub/.env"]);
        check(tree, &["missing/**", "*.nope"], &[]);
        check(tree, &[], &[]);
    }

    #[test]
    fn symlinks_mount_their_target_inside_the_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real.txt"), "x").unwrap();
        std::fs::write(outside.path().join("far.txt"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real.txt"), dir.path().join("near.lock")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("far.txt"), dir.path().join("far.lock")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let got = forbidden_mounts(dir.path(), &globs(&["*.lock"]));
        assert_eq!(got, vec![dir.path().canonicalize().unwrap().join("real.txt")]);
    }

    #[test]
    fn literal_directories_are_recognised() {
        assert_eq!(literal_dir("docs/**"), Some(PathBuf::from("docs")));
        assert_eq!(literal_dir("./a/b/**"), Some(PathBuf::from("a/b")));
        assert_eq!(literal_dir("**"), None);
        assert_eq!(literal_dir("a/*/**"), None);
        assert_eq!(literal_dir("a/**/b"), None);
        assert_eq!(literal_dir("a/*.rs"), None);
    }
}
