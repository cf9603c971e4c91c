//! Writing a planned patch to disk: each file via a temporary file in its own directory and a rename, and,
//! if a write fails midway, restoring the files (and removing the directories) already written.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::apply::ApplyError;

/// A file as it was before the patch: its bytes and permissions, so it can be put back.
#[derive(Debug, Clone)]
pub(crate) struct Original {
    bytes: Vec<u8>,
    permissions: Permissions,
}

impl Original {
    /// Reads the regular file at `path`; `None` when nothing is there.
    ///
    /// Fails when the path exists but cannot be read.
    pub(crate) fn read(path: &Path) -> io::Result<Option<Original>> {
        match fs::metadata(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
            Ok(meta) => Ok(Some(Original { bytes: fs::read(path)?, permissions: meta.permissions() })),
        }
    }
}

/// One path the patch changes: what was there before and what should be there after (`None`: no file).
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    pub(crate) path: PathBuf,
    /// The path as the patch named it, for messages.
    pub(crate) shown: String,
    pub(crate) original: Option<Original>,
    pub(crate) new: Option<Vec<u8>>,
}

/// Writes every staged change in order.
///
/// Fails with `ApplyError::Write` naming the path whose write failed, after restoring the paths already
/// written and removing the directories created; the error says so if restoring failed too.
pub(crate) fn commit(staged: &[Staged]) -> Result<(), ApplyError> {
    let mut created_dirs = Vec::new();
    for (index, entry) in staged.iter().enumerate() {
        let unchanged = match (&entry.original, &entry.new) {
            (None, None) => true,
            (Some(original), Some(new)) => original.bytes == *new,
            _ => false,
        };
        if unchanged {
            continue;
        }
        let result = match &entry.new {
            Some(bytes) => {
                let permissions = entry.original.as_ref().map(|o| &o.permissions);
                create_parents(&entry.path, &mut created_dirs)
                    .and_then(|()| replace_file(&entry.path, bytes, permissions))
            }
            None => fs::remove_file(&entry.path),
        };
        if let Err(source) = result {
            let restore = restore(&staged[..index], &created_dirs);
            return Err(ApplyError::Write { path: entry.shown.clone(), source, restore });
        }
    }
    Ok(())
}

/// Puts `written` back as it was and removes `created_dirs` (deepest last in the list). Returns an empty
/// string when all went well, or a sentence listing what could not be restored.
fn restore(written: &[Staged], created_dirs: &[PathBuf]) -> String {
    let mut failures = Vec::new();
    for entry in written.iter().rev() {
        let result = match &entry.original {
            Some(original) => replace_file(&entry.path, &original.bytes, Some(&original.permissions)),
            None => match fs::remove_file(&entry.path) {
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        if let Err(err) = result {
            failures.push(format!("`{}` ({err})", entry.shown));
        }
    }
    for dir in created_dirs.iter().rev() {
        // A directory that is not empty holds something the patch did not put there; leave it.
        let _ = fs::remove_dir(dir);
    }
    if failures.is_empty() {
        "; the files already written were restored, nothing was changed".to_string()
    } else {
        format!("; restoring the files already written also failed for {}", failures.join(", "))
    }
}

/// Creates the missing ancestors of `path`, recording each directory created (outermost first).
fn create_parents(path: &Path, created: &mut Vec<PathBuf>) -> io::Result<()> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    let missing: Vec<PathBuf> = parent.ancestors().take_while(|dir| !dir.exists()).map(Path::to_path_buf).collect();
    for dir in missing.into_iter().rev() {
        fs::create_dir(&dir)?;
        created.push(dir);
    }
    Ok(())
}

/// Atomically replaces (or creates) `path` with `bytes`: writes a temporary file next to it and renames
/// it over the target, so a reader never sees a half-written file. Applies `permissions` when given (the
/// original file's), so an executable script stays executable.
fn replace_file(path: &Path, bytes: &[u8], permissions: Option<&Permissions>) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp =
        dir.join(format!(".{name}.braid-patch-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Some(permissions) = permissions {
            fs::set_permissions(&temp, permissions.clone())?;
        }
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_restores_earlier_files_and_removes_created_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.txt"), "old a\n").unwrap();
        fs::write(root.join("gone.txt"), "gone\n").unwrap();
        fs::write(root.join("blocker"), "a file where a directory is needed\n").unwrap();
        let stage = |name: &str, new: Option<&str>| Staged {
            path: root.join(name),
            shown: name.to_string(),
            // `blocker/c.txt` cannot even be inspected (its parent is a file): treat it as absent.
            original: Original::read(&root.join(name)).unwrap_or(None),
            new: new.map(|s| s.as_bytes().to_vec()),
        };
        let staged = vec![
            stage("a.txt", Some("new a\n")),
            stage("gone.txt", None),
            stage("new/deep/b.txt", Some("b\n")),
            stage("blocker/c.txt", Some("c\n")),
        ];
        let err = commit(&staged).unwrap_err().to_string();
        assert!(err.starts_with("cannot write `blocker/c.txt`"), "{err}");
        assert!(err.contains("restored, nothing was changed"), "{err}");
        assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "old a\n");
        assert_eq!(fs::read_to_string(root.join("gone.txt")).unwrap(), "gone\n");
        assert!(!root.join("new").exists());
        let mut names: Vec<String> =
            fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["a.txt", "blocker", "gone.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_survive_an_update() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        fs::write(&path, "echo hi\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o755)).unwrap();
        let staged = [Staged {
            path: path.clone(),
            shown: "run.sh".into(),
            original: Original::read(&path).unwrap(),
            new: Some(b"echo bye\n".to_vec()),
        }];
        commit(&staged).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "echo bye\n");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o755);
    }
}
