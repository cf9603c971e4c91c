//! Giving a fresh worktree's sources the modification times of the main checkout's identical files, so
//! that cargo (which decides freshness by comparing mtimes) also reuses a seeded `target/` for the
//! workspace's own crates, not only for its dependencies.

use std::fs::{File, FileTimes};
use std::io::Read;
use std::path::Path;

use super::WarmError;

/// Gives every regular file of `worktree` whose twin at the same path in `main_root` has the same bytes
/// the twin's modification time. `.git` and the directories named in `skip` (the seeded caches) are
/// left out, and symbolic links are neither followed nor changed.
///
/// Why this is as sound as cargo itself: cargo in the main checkout trusts that a file older than its
/// last build was compiled as it is now. A worktree file with the same bytes and the same mtime makes
/// cargo in the worktree reach the same verdict about the same content; a file that differs keeps its
/// new mtime and is rebuilt. `git status` stays clean (git re-hashes files whose times changed).
///
/// Returns how many files were given older times. Fails with the file at fault when one cannot be read
/// or its times cannot be set.
pub fn align_source_times(main_root: &Path, worktree: &Path, skip: &[String]) -> Result<u64, WarmError> {
    let mut aligned = 0;
    walk(main_root, worktree, Path::new(""), skip, &mut aligned)?;
    Ok(aligned)
}

fn walk(main_root: &Path, worktree: &Path, rel: &Path, skip: &[String], aligned: &mut u64) -> Result<(), WarmError> {
    let dir = worktree.join(rel);
    let fail = |at: &Path| {
        let at = at.to_path_buf();
        move |source| WarmError::Times { at, source }
    };
    for entry in std::fs::read_dir(&dir).map_err(fail(&dir))? {
        let entry = entry.map_err(fail(&dir))?;
        let child = rel.join(entry.file_name());
        if child == Path::new(".git") || skip.iter().any(|s| Path::new(s.trim_end_matches('/')) == child) {
            continue;
        }
        let kind = entry.file_type().map_err(fail(&entry.path()))?;
        if kind.is_dir() {
            walk(main_root, worktree, &child, skip, aligned)?;
        } else if kind.is_file() {
            let (ours, theirs) = (worktree.join(&child), main_root.join(&child));
            let Ok(twin) = std::fs::symlink_metadata(&theirs) else { continue };
            let meta = entry.metadata().map_err(fail(&ours))?;
            if !twin.is_file() || twin.len() != meta.len() || !same_bytes(&ours, &theirs).map_err(fail(&ours))? {
                continue;
            }
            let Ok(modified) = twin.modified() else { continue };
            if meta.modified().ok() == Some(modified) {
                continue;
            }
            // Setting times needs ownership, not write permission: a read-only source file is aligned too.
            let file = File::open(&ours).map_err(fail(&ours))?;
            file.set_times(FileTimes::new().set_modified(modified)).map_err(fail(&ours))?;
            *aligned += 1;
        }
    }
    Ok(())
}

/// Returns whether two files of the same length hold the same bytes, reading both in blocks.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut block_a, mut block_b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = a.read(&mut block_a)?;
        if n == 0 {
            return Ok(b.read(&mut block_b)? == 0);
        }
        match b.read_exact(&mut block_b[..n]) {
            Ok(()) => {}
            // The other file shrank since its length was read: not the same bytes.
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(err) => return Err(err),
        }
        if block_a[..n] != block_b[..n] {
            return Ok(false);
        }
    }
}
