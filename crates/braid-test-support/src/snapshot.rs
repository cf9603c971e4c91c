//! A comparable record of everything a user could lose in a checkout: every file under the root
//! (tracked, untracked and ignored; bytes and mode), the index's bytes, HEAD, and the refs that are not
//! braid's own. Tests take one before and after braid runs and assert the two are equal.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The state of a checkout; see [`tree_snapshot`]. Compare two with `assert_eq!` (the `Debug` form is
/// one line per item) or [`TreeSnapshot::assert_same`] (prints only the lines that differ).
#[derive(Clone, PartialEq, Eq)]
pub struct TreeSnapshot {
    items: BTreeMap<String, String>,
}

/// Records the checkout at `root`: every file and symlink below it except in `.git/` and `.braid/`
/// (braid's own state), `.git/index` and `.git/HEAD` byte for byte, what HEAD resolves to, and `git
/// for-each-ref` without `refs/braid/*` and `braid/*` branches.
///
/// Panics when something cannot be read or git fails.
pub fn tree_snapshot(root: &Path) -> TreeSnapshot {
    let mut items = BTreeMap::new();
    walk(root, root, &mut items);
    for name in ["index", "HEAD"] {
        let path = root.join(".git").join(name);
        let bytes =
            std::fs::read(&path).unwrap_or_else(|err| panic!("tree_snapshot: cannot read {}: {err}", path.display()));
        items.insert(format!(".git/{name}"), describe(&bytes));
    }
    let head = git(root, &["rev-parse", "--verify", "--quiet", "HEAD"]);
    items.insert("HEAD resolves to".to_string(), head.trim().to_string());
    let refs = git(root, &["for-each-ref", "--format=%(refname) %(objectname) %(symref)"]);
    for line in refs.lines() {
        let name = line.split(' ').next().unwrap_or_default();
        if name.starts_with("refs/braid/") || name.starts_with("refs/heads/braid/") {
            continue;
        }
        items.insert(format!("ref {name}"), line.to_string());
    }
    TreeSnapshot { items }
}

impl TreeSnapshot {
    /// Returns the lines that differ, `-` for `self` and `+` for `other`.
    pub fn diff(&self, other: &TreeSnapshot) -> Vec<String> {
        let mut lines = Vec::new();
        for (key, value) in &self.items {
            match other.items.get(key) {
                Some(new) if new == value => {}
                Some(new) => {
                    lines.push(format!("- {key}: {value}"));
                    lines.push(format!("+ {key}: {new}"));
                }
                None => lines.push(format!("- {key}: {value}")),
            }
        }
        for (key, value) in &other.items {
            if !self.items.contains_key(key) {
                lines.push(format!("+ {key}: {value}"));
            }
        }
        lines
    }

    /// Panics, listing the differences, when `after` is not the same as `self`.
    pub fn assert_same(&self, after: &TreeSnapshot) {
        let diff = self.diff(after);
        assert!(diff.is_empty(), "the checkout changed:\n{}", diff.join("\n"));
    }

    /// Returns whether the snapshot has an item named `key` (a path relative to the root, `.git/index`,
    /// `.git/HEAD`, `HEAD resolves to` or `ref <name>`).
    pub fn contains(&self, key: &str) -> bool {
        self.items.contains_key(key)
    }
}

impl fmt::Debug for TreeSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "TreeSnapshot {{")?;
        for (key, value) in &self.items {
            writeln!(f, "  {key}: {value}")?;
        }
        write!(f, "}}")
    }
}

fn walk(root: &Path, dir: &Path, items: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("tree_snapshot: cannot read {}: {err}", dir.display()))
        .map(|entry| entry.expect("tree_snapshot: cannot read a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(root).expect("under the root").to_string_lossy().into_owned();
        if dir == root && (rel == ".git" || rel == ".braid") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|err| panic!("tree_snapshot: cannot stat {}: {err}", path.display()));
        let mode = meta.permissions().mode();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).expect("tree_snapshot: cannot read a symlink");
            items.insert(rel, format!("symlink -> {}", target.display()));
        } else if meta.is_dir() {
            items.insert(format!("{rel}/"), format!("dir {mode:o}"));
            walk(root, &path, items);
        } else {
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|err| panic!("tree_snapshot: cannot read {}: {err}", path.display()));
            items.insert(rel, format!("{mode:o} {}", describe(&bytes)));
        }
    }
}

/// Short text for small text files (so a diff shows the change), a length and hash otherwise.
fn describe(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.len() <= 200 => format!("{text:?}"),
        _ => format!("{} bytes, fnv1a {:016x}", bytes.len(), fnv1a(bytes)),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn git(root: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap_or_else(|err| panic!("tree_snapshot: cannot run git: {err}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}
