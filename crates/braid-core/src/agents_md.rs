//! Discovery of AGENTS.md instructions: braid's global file, then one per directory from the repository
//! root down to the working directory, so that closer files come later and win.

use std::path::{Path, PathBuf};

/// The name braid reads in each directory.
pub const AGENTS_MD: &str = "AGENTS.md";
/// A file that, when present, replaces `AGENTS.md` in its directory (for local, unshared instructions).
pub const AGENTS_OVERRIDE_MD: &str = "AGENTS.override.md";

/// The instructions found, joined, and what was read to make them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentsDoc {
    /// The joined text, each file introduced by a header naming it; empty when no file was found.
    pub text: String,
    /// The files read, in order.
    pub sources: Vec<PathBuf>,
    /// Set when the joined text was cut at the byte cap; holds the files that lost content.
    pub truncated: Vec<PathBuf>,
}

/// Options for discovery.
#[derive(Debug, Clone)]
pub struct AgentsOptions<'a> {
    /// braid's home, for the global file; `None` skips it.
    pub home: Option<&'a Path>,
    /// The repository root; `None` when the working directory is not in a repository, in which case only
    /// the working directory itself is searched.
    pub repo_root: Option<&'a Path>,
    pub cwd: &'a Path,
    /// Names tried, in order, when a directory has neither override nor AGENTS.md.
    pub fallback_names: &'a [String],
    /// The joined text is cut to at most this many bytes.
    pub max_bytes: usize,
}

/// Reads the AGENTS.md hierarchy. Unreadable files are skipped: instructions are advisory, and a
/// permission problem on one file must not stop the agent from working.
pub fn discover(options: &AgentsOptions<'_>) -> AgentsDoc {
    let mut files = Vec::new();
    if let Some(home) = options.home
        && let Some(found) = pick_file(home, &[])
    {
        files.push(found);
    }
    for dir in directories(options.repo_root, options.cwd) {
        if let Some(found) = pick_file(&dir, options.fallback_names) {
            files.push(found);
        }
    }

    let mut doc = AgentsDoc::default();
    for (path, content) in files {
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        let section = format!("# Instructions from {}\n\n{}\n\n", path.display(), content);
        let room = options.max_bytes.saturating_sub(doc.text.len());
        if section.len() > room {
            doc.text.push_str(crate::context::cut_at_char_boundary(&section, room));
            doc.truncated.push(path.clone());
        } else {
            doc.text.push_str(&section);
        }
        doc.sources.push(path);
    }
    doc.text = doc.text.trim_end().to_string();
    doc
}

/// The directories from `root` down to `cwd`, inclusive; just `cwd` when there is no root or `cwd` is not
/// below it.
fn directories(root: Option<&Path>, cwd: &Path) -> Vec<PathBuf> {
    let Some(root) = root else { return vec![cwd.to_path_buf()] };
    let Ok(relative) = cwd.strip_prefix(root) else { return vec![cwd.to_path_buf()] };
    let mut dirs = vec![root.to_path_buf()];
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        dirs.push(current.clone());
    }
    dirs
}

/// The instructions file of one directory: the override, else AGENTS.md, else the first fallback name.
fn pick_file(dir: &Path, fallback_names: &[String]) -> Option<(PathBuf, String)> {
    let names = [AGENTS_OVERRIDE_MD, AGENTS_MD].into_iter().chain(fallback_names.iter().map(String::as_str));
    names.map(|name| dir.join(name)).find_map(|path| {
        let content = std::fs::read_to_string(&path).ok()?;
        Some((path, content))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Fixture {
        home: tempfile::TempDir,
        repo: tempfile::TempDir,
    }

    impl Fixture {
        fn new(files: &[(&str, &str)]) -> Fixture {
            let fixture = Fixture { home: tempfile::tempdir().unwrap(), repo: tempfile::tempdir().unwrap() };
            for (path, content) in files {
                let full = match path.strip_prefix("~/") {
                    Some(rest) => fixture.home.path().join(rest),
                    None => fixture.repo.path().join(path),
                };
                fs::create_dir_all(full.parent().unwrap()).unwrap();
                fs::write(full, content).unwrap();
            }
            fixture
        }

        fn discover(&self, cwd: &str, fallback: &[&str], max_bytes: usize) -> AgentsDoc {
            let fallback: Vec<String> = fallback.iter().map(|s| s.to_string()).collect();
            let cwd = self.repo.path().join(cwd);
            fs::create_dir_all(&cwd).unwrap();
            discover(&AgentsOptions {
                home: Some(self.home.path()),
                repo_root: Some(self.repo.path()),
                cwd: &cwd,
                fallback_names: &fallback,
                max_bytes,
            })
        }

        /// The sources relative to home (`~/`) or the repo, for compact assertions.
        fn names(&self, doc: &AgentsDoc) -> Vec<String> {
            doc.sources
                .iter()
                .map(|p| match p.strip_prefix(self.home.path()) {
                    Ok(rest) => format!("~/{}", rest.display()),
                    Err(_) => p.strip_prefix(self.repo.path()).unwrap().display().to_string(),
                })
                .collect()
        }
    }

    #[test]
    fn global_then_root_down_to_cwd() {
        let f = Fixture::new(&[
            ("~/AGENTS.md", "global"),
            ("AGENTS.md", "root"),
            ("crates/AGENTS.md", "crates"),
            ("crates/core/AGENTS.md", "core"),
            ("other/AGENTS.md", "not on the path"),
        ]);
        let doc = f.discover("crates/core/src", &[], 1 << 20);
        assert_eq!(f.names(&doc), ["~/AGENTS.md", "AGENTS.md", "crates/AGENTS.md", "crates/core/AGENTS.md"]);
        let order: Vec<usize> =
            ["global", "root", "crates", "core"].iter().map(|s| doc.text.find(s).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "closer files come later: {}", doc.text);
        assert!(!doc.text.contains("not on the path"));
    }

    #[test]
    fn override_replaces_agents_md_in_its_directory() {
        let f = Fixture::new(&[("AGENTS.md", "shared"), ("AGENTS.override.md", "mine")]);
        let doc = f.discover("", &[], 1 << 20);
        assert_eq!(f.names(&doc), ["AGENTS.override.md"]);
        assert!(doc.text.contains("mine") && !doc.text.contains("shared"));
    }

    #[test]
    fn fallback_names_apply_only_without_agents_md() {
        let f = Fixture::new(&[("CLAUDE.md", "claude root"), ("sub/AGENTS.md", "sub"), ("sub/CLAUDE.md", "ignored")]);
        let doc = f.discover("sub", &["CLAUDE.md"], 1 << 20);
        assert_eq!(f.names(&doc), ["CLAUDE.md", "sub/AGENTS.md"]);
    }

    #[test]
    fn cap_cuts_the_text_and_says_which_file_lost_content() {
        let f = Fixture::new(&[("AGENTS.md", &"a".repeat(100)), ("sub/AGENTS.md", &"é".repeat(100))]);
        let doc = f.discover("sub", &[], 200);
        assert!(doc.text.len() <= 200);
        assert_eq!(doc.truncated.len(), 1);
        assert!(doc.truncated[0].ends_with("sub/AGENTS.md"));
    }

    #[test]
    fn no_files_no_text() {
        let f = Fixture::new(&[]);
        let doc = f.discover("", &[], 100);
        assert_eq!(doc, AgentsDoc::default());
    }
}
