//! What the working tree looked like at a moment, to tell afterwards which files a milestone changed.
//!
//! braid compares fingerprints (size and a content hash) rather than asking git, so a tree that was
//! already dirty when the plan started, or one that is not a repository at all, is judged the same way:
//! by what changed since the snapshot.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

use braid_sandbox::globs::PathGlobs;

/// Directories never walked: git's data and braid's own state.
const SKIPPED: &[&str] = &[".git", ".braid"];

/// File fingerprints keyed by path relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    files: BTreeMap<PathBuf, (u64, u64)>,
}

impl Snapshot {
    /// Fingerprints every file under `root` that `.gitignore` does not exclude, plus every file matching
    /// `forbidden` even where it is ignored (a forbidden `.env` usually is). Files that cannot be read are
    /// left out; they cannot be compared either way.
    pub fn take(root: &Path, forbidden: &PathGlobs) -> Snapshot {
        let mut files = BTreeMap::new();
        let skip = |entry: &ignore::DirEntry| !SKIPPED.iter().any(|name| entry.file_name() == *name);
        let walk = ignore::WalkBuilder::new(root).hidden(false).require_git(false).filter_entry(skip).build();
        for entry in walk.flatten() {
            record(root, entry.path(), &mut files);
        }
        if !forbidden.is_empty() {
            let walk = ignore::WalkBuilder::new(root).standard_filters(false).filter_entry(skip).build();
            for entry in walk.flatten() {
                let Ok(relative) = entry.path().strip_prefix(root) else { continue };
                if forbidden.is_match(relative) {
                    record(root, entry.path(), &mut files);
                }
            }
        }
        Snapshot { files }
    }

    /// The paths (relative to the root) that differ between `self` and `later`: changed, added or removed,
    /// in path order.
    pub fn changed(&self, later: &Snapshot) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = later
            .files
            .iter()
            .filter(|(path, print)| self.files.get(*path) != Some(print))
            .map(|(path, _)| path.clone())
            .collect();
        paths.extend(self.files.keys().filter(|path| !later.files.contains_key(*path)).cloned());
        paths.sort();
        paths
    }
}

fn record(root: &Path, path: &Path, files: &mut BTreeMap<PathBuf, (u64, u64)>) {
    if !path.is_file() {
        return;
    }
    let (Ok(relative), Ok(bytes)) = (path.strip_prefix(root), std::fs::read(path)) else { return };
    let mut hasher = DefaultHasher::new();
    hasher.write(&bytes);
    files.insert(relative.to_path_buf(), (bytes.len() as u64, hasher.finish()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_additions_and_removals_are_found_and_ignored_files_only_when_forbidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), ".env\nbuild/\n").unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join("gone.txt"), "g").unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        std::fs::create_dir(root.join("build")).unwrap();
        std::fs::write(root.join("build/out"), "1").unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "x").unwrap();
        let forbidden = PathGlobs::new(&[".env".to_string()]).unwrap();
        let before = Snapshot::take(root, &forbidden);

        std::fs::write(root.join("a.txt"), "b").unwrap();
        std::fs::remove_file(root.join("gone.txt")).unwrap();
        std::fs::write(root.join("new.txt"), "n").unwrap();
        std::fs::write(root.join(".env"), "SECRET=2").unwrap();
        std::fs::write(root.join("build/out"), "2").unwrap();
        std::fs::write(root.join(".git/HEAD"), "y").unwrap();
        let after = Snapshot::take(root, &forbidden);

        let changed: Vec<String> = before.changed(&after).iter().map(|p| p.display().to_string()).collect();
        assert_eq!(changed, [".env", "a.txt", "gone.txt", "new.txt"]);
        assert!(after.changed(&Snapshot::take(root, &forbidden)).is_empty());
    }
}
