//! Repository hygiene that no compiler checks: every Rust file says what it is for in a `//!` header, and
//! no source file grows past the size where it should have been split.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// Lines above which a source file must be split along a real seam.
const MAX_LINES: usize = 1000;

/// Runs every tidy check under `root` and fails listing every offending file.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        collect_rs(&root.join(dir), &mut files);
    }
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            problems.push(format!("{}: cannot read", file.display()));
            continue;
        };
        let relative = file.strip_prefix(root).unwrap_or(file).display().to_string();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            problems.push(format!("{relative}: must start with a `//!` line saying what the module is for"));
        }
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!("{relative}: {lines} lines; split it along a real seam (limit {MAX_LINES})"));
        }
    }
    if !problems.is_empty() {
        bail!("tidy found {} problem(s):\n  {}", problems.len(), problems.join("\n  "));
    }
    Ok(())
}

/// Every `.rs` file below `dir`, skipping build output and test fixtures (which are data, not modules).
fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "fixtures" && name != "snapshots" {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
