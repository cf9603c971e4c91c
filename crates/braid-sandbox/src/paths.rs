//! The workspace path policy: resolving tool paths and refusing those that escape the allowed roots.
//!
//! Paths are checked after symlinks are resolved, so a link inside the workspace that points outside it
//! does not let a tool escape.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused or could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error(
        "`{}` is outside the workspace ({}); use a path inside it",
        path.display(),
        roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Escapes { path: PathBuf, roots: Vec<PathBuf> },
    #[error("cannot resolve `{}`: {source}", path.display())]
    Resolve { path: PathBuf, source: io::Error },
    #[error(
        "`{}` is inside `{area}`, which the agent may read but not change (git history and braid's own state are protected); change files in the working tree instead",
        path.display()
    )]
    Protected { path: PathBuf, area: String },
    #[error("`{}` cannot be written: the sandbox is read-only; say what you would change instead", path.display())]
    ReadOnly { path: PathBuf },
}

/// Directory names whose contents no tool may change, wherever they appear in a workspace: git's
/// repository data (hooks there would run on the user's next commit) and braid's own state.
const PROTECTED_NAMES: &[&str] = &[".git", ".braid"];

/// The directories the agent's file tools may read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspacePolicy {
    roots: Vec<PathBuf>,
    writable: bool,
}

impl WorkspacePolicy {
    /// A policy allowing `roots` (each must exist; they are canonicalized).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Result<Self, PathError> {
        let roots = roots
            .into_iter()
            .map(|root| root.canonicalize().map_err(|source| PathError::Resolve { path: root, source }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WorkspacePolicy { roots, writable: true })
    }

    /// The same roots, readable but not writable (the `read-only` sandbox).
    pub fn read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    /// The canonical roots.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Resolves `path` (absolute, or relative to `cwd`) to an absolute path with symlinks resolved as far
    /// as the path exists, and checks that it lies inside one of the roots. The path itself need not exist,
    /// so that a file can be created.
    pub fn resolve(&self, cwd: &Path, path: &str) -> Result<PathBuf, PathError> {
        if path.trim().is_empty() {
            return Err(PathError::Empty);
        }
        let joined = normalize(&cwd.join(path));
        let resolved = canonicalize_existing_prefix(&joined)?;
        if self.roots.iter().any(|root| resolved.starts_with(root)) {
            Ok(resolved)
        } else {
            Err(PathError::Escapes { path: PathBuf::from(path), roots: self.roots.clone() })
        }
    }
}

impl WorkspacePolicy {
    /// Resolves `path` as `resolve` does, for writing: also refused when the policy is read-only or the
    /// path lies in a protected directory (`.git`, `.braid`) at any depth of a root.
    pub fn resolve_for_write(&self, cwd: &Path, path: &str) -> Result<PathBuf, PathError> {
        let resolved = self.resolve(cwd, path)?;
        if !self.writable {
            return Err(PathError::ReadOnly { path: PathBuf::from(path) });
        }
        for root in &self.roots {
            let Ok(inside) = resolved.strip_prefix(root) else { continue };
            let mut area = root.clone();
            for component in inside.components() {
                area.push(component);
                if PROTECTED_NAMES.iter().any(|name| component.as_os_str() == *name) {
                    return Err(PathError::Protected { path: PathBuf::from(path), area: area.display().to_string() });
                }
            }
        }
        Ok(resolved)
    }
}

/// Removes `.` and folds `..` lexically. `..` at the root stays at the root.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Canonicalizes the longest existing ancestor of `path` and appends the remaining components, so that
/// symlinks are resolved wherever the path already exists.
fn canonicalize_existing_prefix(path: &Path) -> Result<PathBuf, PathError> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(canonical) => {
                let mut out = canonical;
                for part in rest.iter().rev() {
                    out.push(part);
                }
                return Ok(out);
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
                    return Err(PathError::Resolve { path: path.to_path_buf(), source: err });
                };
                rest.push(name);
                if !existing.pop() {
                    return Err(PathError::Resolve { path: path.to_path_buf(), source: err });
                }
            }
            Err(source) => return Err(PathError::Resolve { path: path.to_path_buf(), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(dir: &Path) -> WorkspacePolicy {
        WorkspacePolicy::new([dir.to_path_buf()]).unwrap()
    }

    #[test]
    fn relative_paths_inside_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let p = policy(dir.path());
        let got = p.resolve(dir.path(), "src/new.rs").unwrap();
        assert_eq!(got, dir.path().canonicalize().unwrap().join("src/new.rs"));
    }

    #[test]
    fn writes_into_git_and_braid_state_or_read_only_roots_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = policy(dir.path());
        for path in [".git/hooks/pre-commit", "vendor/lib/.git/config", ".braid/braid.db", "./.git"] {
            let err = p.resolve_for_write(dir.path(), path).unwrap_err();
            assert!(matches!(err, PathError::Protected { .. }), "{path}: {err}");
        }
        for path in [".gitignore", ".github/workflows/ci.yml", "src/git.rs", "braid/x"] {
            assert!(p.resolve_for_write(dir.path(), path).is_ok(), "{path}");
        }
        assert!(p.resolve(dir.path(), ".git/HEAD").is_ok(), "reading is fine");
        let read_only = p.read_only();
        assert!(matches!(read_only.resolve_for_write(dir.path(), "a.txt"), Err(PathError::ReadOnly { .. })));
        assert!(read_only.resolve(dir.path(), "a.txt").is_ok());
    }

    #[test]
    fn dot_dot_escape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = policy(dir.path());
        let err = p.resolve(dir.path(), "../../etc/passwd").unwrap_err();
        assert!(matches!(err, PathError::Escapes { .. }), "{err}");
        assert!(err.to_string().contains("outside the workspace"));
    }

    #[test]
    fn absolute_path_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = policy(dir.path());
        assert!(matches!(p.resolve(dir.path(), "/etc/hosts"), Err(PathError::Escapes { .. })));
    }

    #[test]
    fn symlink_pointing_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let p = policy(dir.path());
        assert!(matches!(p.resolve(dir.path(), "link/secret"), Err(PathError::Escapes { .. })));
    }
}
