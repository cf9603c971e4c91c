//! Path globs as plans write them (`scope`, `forbidden`): matched against paths relative to the repository
//! root, with `/` separators, `*` and `?` inside one component and `**` across any number.
//!
//! They live here rather than with plans because the path policy enforces `forbidden`, and one definition
//! of what a glob matches keeps the plan checker and the enforcement from disagreeing.

use std::path::{Component, Path};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Why a glob was refused.
#[derive(Debug, thiserror::Error)]
pub enum GlobError {
    #[error("glob `{glob}` is empty; write a path relative to the repository root, like `src/**`")]
    Empty { glob: String },
    #[error("glob `{glob}` is absolute; write it relative to the repository root, like `src/**`")]
    Absolute { glob: String },
    #[error("glob `{glob}` contains `..`; globs match paths inside the repository only")]
    ParentDir { glob: String },
    #[error("glob `{glob}` is invalid: {reason}")]
    Invalid { glob: String, reason: String },
}

/// A compiled list of globs that remembers which glob matched.
#[derive(Debug, Clone)]
pub struct PathGlobs {
    globs: Vec<String>,
    set: GlobSet,
}

impl PathGlobs {
    /// Compiles `globs`. Fails on the first one that is empty, absolute, climbs out with `..`, or does not
    /// parse.
    pub fn new(globs: &[String]) -> Result<PathGlobs, GlobError> {
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            builder.add(compile(glob)?);
        }
        let set = builder.build().map_err(|e| GlobError::Invalid { glob: globs.join(", "), reason: e.to_string() })?;
        Ok(PathGlobs { globs: globs.to_vec(), set })
    }

    /// An empty list, which matches nothing.
    pub fn empty() -> PathGlobs {
        PathGlobs { globs: Vec::new(), set: GlobSet::empty() }
    }

    /// The globs as written.
    pub fn globs(&self) -> &[String] {
        &self.globs
    }

    /// Whether there are no globs.
    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// The first glob (in the order written) matching `relative`, a path relative to the root.
    pub fn matching(&self, relative: &Path) -> Option<&str> {
        self.set.matches(relative).into_iter().min().map(|index| self.globs[index].as_str())
    }

    /// Whether any glob matches `relative`.
    pub fn is_match(&self, relative: &Path) -> bool {
        self.set.is_match(relative)
    }
}

/// Two lists are equal when they hold the same globs in the same order (the compiled sets follow).
impl PartialEq for PathGlobs {
    fn eq(&self, other: &Self) -> bool {
        self.globs == other.globs
    }
}

impl Eq for PathGlobs {}

/// Checks one glob's shape and compiles it.
fn compile(glob: &str) -> Result<globset::Glob, GlobError> {
    let trimmed = glob.trim();
    if trimmed.is_empty() {
        return Err(GlobError::Empty { glob: glob.to_string() });
    }
    let path = Path::new(trimmed);
    if path.is_absolute() || trimmed.starts_with('~') {
        return Err(GlobError::Absolute { glob: glob.to_string() });
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(GlobError::ParentDir { glob: glob.to_string() });
    }
    // A leading `./` is a common way to say "at the root"; the matcher sees paths without it.
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    GlobBuilder::new(trimmed)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| GlobError::Invalid { glob: glob.to_string(), reason: e.kind().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(list: &[&str]) -> PathGlobs {
        PathGlobs::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn star_stays_in_one_component_and_double_star_spans() {
        let g = globs(&["src/*.rs", "docs/**", "Cargo.lock", "./README.md"]);
        assert_eq!(g.matching(Path::new("src/lib.rs")), Some("src/*.rs"));
        assert_eq!(g.matching(Path::new("src/a/b.rs")), None);
        assert_eq!(g.matching(Path::new("docs/a/b/c.md")), Some("docs/**"));
        assert_eq!(g.matching(Path::new("Cargo.lock")), Some("Cargo.lock"));
        assert_eq!(g.matching(Path::new("sub/Cargo.lock")), None);
        assert_eq!(g.matching(Path::new("README.md")), Some("./README.md"));
    }

    #[test]
    fn the_first_glob_written_is_the_one_named() {
        let g = globs(&["src/**", "src/*.rs"]);
        assert_eq!(g.matching(Path::new("src/main.rs")), Some("src/**"));
    }

    #[test]
    fn bad_globs_are_refused_with_the_reason() {
        let err = |g: &str| PathGlobs::new(&[g.to_string()]).unwrap_err().to_string();
        assert!(err("").contains("is empty"), "{}", err(""));
        assert!(err("/etc/**").contains("absolute"));
        assert!(err("~/x").contains("absolute"));
        assert!(err("src/../../x").contains("`..`"));
        assert!(err("src/[a").contains("invalid"), "{}", err("src/[a"));
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        assert!(!PathGlobs::empty().is_match(Path::new("a")));
        assert!(PathGlobs::empty().is_empty());
    }
}
