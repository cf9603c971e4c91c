//! The workspace path policy: resolving tool paths and refusing those that escape the allowed roots.
//!
//! Paths are checked after symlinks are resolved, so a link inside the workspace that points outside it
//! does not let a tool escape. Writes are also refused in git's and braid's own state, and in files a
//! plan's `forbidden` list names (`WorkspacePolicy::with_forbidden`).

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::globs::PathGlobs;

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
    #[error(
        "`{}` must not change: it matches `{glob}` in the plan's `forbidden` list; leave this file alone and reach the goal another way, or ask the user to change the plan if it really must change",
        path.display()
    )]
    Forbidden { path: PathBuf, glob: String },
}

/// Directory names whose contents no tool may change, wherever they appear in a workspace: git's
/// repository data (hooks there would run on the user's next commit) and braid's own state.
const PROTECTED_NAMES: &[&str] = &[".git", ".braid"];

/// The directories the agent's file tools may read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspacePolicy {
    roots: Vec<PathBuf>,
    writable: bool,
    forbidden: Option<Forbidden>,
}

/// Files that must not change, as globs relative to `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Forbidden {
    /// The root as given, against which lexical paths (before symlinks are resolved) are matched.
    root: PathBuf,
    /// The root with symlinks resolved, against which resolved paths are matched.
    canonical: PathBuf,
    globs: PathGlobs,
}

impl WorkspacePolicy {
    /// A policy allowing `roots` (each must exist; they are canonicalized).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Result<Self, PathError> {
        let roots = roots
            .into_iter()
            .map(|root| root.canonicalize().map_err(|source| PathError::Resolve { path: root, source }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WorkspacePolicy { roots, writable: true, forbidden: None })
    }

    /// The same policy, also refusing to write any path whose form relative to `root` matches one of
    /// `globs` (a plan's `forbidden` list). Both the path as written (with `.` and `..` folded) and the
    /// path with symlinks resolved are matched, so neither a `..` detour nor a symlink reaches a
    /// forbidden file. An empty list refuses nothing.
    pub fn with_forbidden(mut self, root: PathBuf, globs: PathGlobs) -> Self {
        if globs.is_empty() {
            self.forbidden = None;
            return self;
        }
        // A root that cannot be resolved (it does not exist) is matched as written.
        let canonical = root.canonicalize().unwrap_or_else(|_| normalize(&root));
        self.forbidden = Some(Forbidden { root: normalize(&root), canonical, globs });
        self
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
    /// Resolves `path` as `resolve` does, for writing: also refused when the policy is read-only, the
    /// path lies in a protected directory (`.git`, `.braid`) at any depth of a root, or it matches the
    /// `forbidden` globs (`with_forbidden`).
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
        if let Some(forbidden) = &self.forbidden {
            let lexical = normalize(&cwd.join(path));
            let candidates = [
                resolved.strip_prefix(&forbidden.canonical),
                lexical.strip_prefix(&forbidden.root),
                lexical.strip_prefix(&forbidden.canonical),
            ];
            for relative in candidates.into_iter().flatten() {
                if let Some(glob) = forbidden.globs.matching(relative) {
                    return Err(PathError::Forbidden { path: PathBuf::from(path), glob: glob.to_string() });
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

    fn forbidding(dir: &Path, globs: &[&str]) -> WorkspacePolicy {
        let globs = PathGlobs::new(&globs.iter().map(|g| g.to_string()).collect::<Vec<_>>()).unwrap();
        policy(dir).with_forbidden(dir.to_path_buf(), globs)
    }

    /// Resolves `path` for writing from `cwd` and returns the glob that refused it, or `None` when allowed.
    fn refusal(p: &WorkspacePolicy, cwd: &Path, path: &str) -> Option<String> {
        match p.resolve_for_write(cwd, path) {
            Ok(_) => None,
            Err(PathError::Forbidden { glob, .. }) => Some(glob),
            Err(other) => panic!("{path}: unexpected refusal: {other}"),
        }
    }

    #[test]
    fn forbidden_globs_refuse_writes_and_name_the_glob() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::write(dir.path().join("Cargo.lock"), "lock").unwrap();
        let p = forbidding(dir.path(), &["Cargo.lock", "migrations/**", "*.env", "src/**/generated.rs"]);
        let sub = dir.path().join("src/sub");
        for (cwd, path, expected) in [
            (dir.path(), "Cargo.lock", Some("Cargo.lock")),
            (dir.path(), "./Cargo.lock", Some("Cargo.lock")),
            (dir.path(), "migrations/001.sql", Some("migrations/**")),
            (dir.path(), "migrations/new/002.sql", Some("migrations/**")),
            (dir.path(), "prod.env", Some("*.env")),
            (dir.path(), "src/a/b/generated.rs", Some("src/**/generated.rs")),
            (sub.as_path(), "../../Cargo.lock", Some("Cargo.lock")),
            (sub.as_path(), "../../migrations/x.sql", Some("migrations/**")),
            (dir.path(), "src/../Cargo.lock", Some("Cargo.lock")),
            // Absolute paths are matched by their place under the root.
            (dir.path(), &dir.path().join("Cargo.lock").display().to_string(), Some("Cargo.lock")),
            // Siblings stay writable.
            (dir.path(), "Cargo.toml", None),
            (dir.path(), "sub/Cargo.lock", None),
            (dir.path(), "sub/prod.env", None),
            (dir.path(), "migrations", None),
            (dir.path(), "migrationsx/1.sql", None),
            (sub.as_path(), "lib.rs", None),
        ] {
            assert_eq!(refusal(&p, cwd, path).as_deref(), expected, "{path} from {}", cwd.display());
        }
        // Reading a forbidden file is fine.
        assert!(p.resolve(dir.path(), "Cargo.lock").is_ok());
    }

    #[test]
    fn symlinks_into_a_forbidden_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret.env"), "KEY=1").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.env"), dir.path().join("src/config")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("src/up")).unwrap();
        let p = forbidding(dir.path(), &["*.env"]);
        assert_eq!(refusal(&p, dir.path(), "src/config").as_deref(), Some("*.env"));
        assert_eq!(refusal(&p, dir.path(), "src/up/secret.env").as_deref(), Some("*.env"));
        assert_eq!(refusal(&p, dir.path(), "src/up/new.env").as_deref(), Some("*.env"));
        assert_eq!(refusal(&p, dir.path(), "src/up/src/lib.rs"), None);
    }

    #[test]
    fn forbidden_is_matched_against_a_root_given_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("alias")).unwrap();
        let alias = dir.path().join("alias");
        let p = forbidding(&alias, &["locked.txt"]);
        assert_eq!(refusal(&p, &alias, "locked.txt").as_deref(), Some("locked.txt"));
        assert_eq!(refusal(&p, &dir.path().join("real"), "locked.txt").as_deref(), Some("locked.txt"));
        assert_eq!(refusal(&p, &alias, "free.txt"), None);
    }

    #[test]
    fn the_refusal_says_where_it_comes_from_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let p = forbidding(dir.path(), &["Cargo.lock"]);
        let text = p.resolve_for_write(dir.path(), "Cargo.lock").unwrap_err().to_string();
        for needle in ["`Cargo.lock`", "plan's `forbidden` list", "leave this file alone", "ask the user"] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        let none = policy(dir.path()).with_forbidden(dir.path().to_path_buf(), PathGlobs::empty());
        assert_eq!(none, policy(dir.path()));
    }
}
