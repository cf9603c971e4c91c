//! `braid model add`: taking a GGUF the user already has into the store, after checking its header.

use std::fs::File;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Family, InstalledModel, ModelStore, StoreError, files, gguf, valid_name};

impl ModelStore {
    /// Installs the GGUF at `path` as model `name`.
    ///
    /// The header is read first (magic, version, metadata) and the family detected from it. The file is
    /// hard-linked into the store when it is on the same filesystem (no copy of a gigabyte), else copied;
    /// either way through `<name>.gguf.partial` and a rename, and hashed on the way so the manifest pins
    /// what was added. Fails when the name is invalid or taken, the file is not a readable GGUF (the
    /// error names the path), or the store cannot be written.
    pub fn add(&self, path: &Path, name: &str) -> Result<InstalledModel, StoreError> {
        if !valid_name(name) {
            return Err(StoreError::InvalidName { name: name.to_string() });
        }
        let target = self.gguf_path(name);
        if self.manifest(name)?.is_some() {
            return Err(StoreError::AlreadyInstalled { name: name.to_string(), path: target });
        }
        let info = gguf::read_header(path)?;
        let family = Family::detect(info.architecture.as_deref(), info.name.as_deref());
        let source = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());

        std::fs::create_dir_all(&self.root).map_err(StoreError::io("cannot create the model store", &self.root))?;
        let partial = self.partial_path(name);
        files::remove_if_exists(&partial)?;
        let sha256 = match std::fs::hard_link(path, &partial) {
            Ok(()) => files::hash_file(&partial)?,
            // Another filesystem (or one without hard links): copy instead.
            Err(_) => copy_into(path, &partial)?,
        };
        files::rename_durably(&partial, &target)?;
        self.record(name, family, sha256, format!("file:{}", source.display()))
    }
}

/// Copies `from` to `to`, fsyncing it, and returns the sha256 of what was copied.
fn copy_into(from: &Path, to: &Path) -> Result<String, StoreError> {
    let mut reader = File::open(from).map_err(StoreError::io("cannot open", from))?;
    let mut writer = File::create(to).map_err(StoreError::io("cannot create", to))?;
    let mut hasher = Sha256::new();
    files::copy_hashing(&mut reader, &mut writer, &mut hasher, &mut |_| true).map_err(|err| {
        // Whether reading or writing failed, the half copy must not stay behind.
        let _ = std::fs::remove_file(to);
        StoreError::io("cannot copy the model to", to)(err)
    })?;
    writer.sync_all().map_err(StoreError::io("cannot sync", to))?;
    drop(writer);
    Ok(files::hex(&hasher.finalize()))
}
