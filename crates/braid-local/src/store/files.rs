//! File plumbing for the store: hashing while copying, durable atomic writes, and the size+mtime stamp
//! that tells the store when a verified file must be hashed again.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::{StoreError, Verified};

/// The buffer size for copying and hashing model files.
const CHUNK: usize = 1024 * 1024;

/// Lowercase hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Copies everything from `reader` to `writer`, feeding the bytes to `hasher` and calling `progress`
/// with the number of bytes copied after each chunk; `progress` returns `false` to stop the copy.
///
/// Returns the number of bytes copied. Fails with the first read or write error, or with an
/// `Interrupted` error when `progress` asked to stop.
pub(crate) fn copy_hashing(
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    hasher: &mut Sha256,
    progress: &mut dyn FnMut(u64) -> bool,
) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buf[..n]);
        writer.write_all(&buf[..n])?;
        total += n as u64;
        if !progress(n as u64) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped: nobody waits for the result any more"));
        }
    }
}

/// The sha256 of the file at `path`, lowercase hex.
///
/// Fails when the file cannot be read.
pub(crate) fn hash_file(path: &Path) -> Result<String, StoreError> {
    let mut file = File::open(path).map_err(StoreError::io("cannot open", path))?;
    let mut hasher = Sha256::new();
    copy_hashing(&mut file, &mut io::sink(), &mut hasher, &mut |_| true)
        .map_err(StoreError::io("cannot read", path))?;
    Ok(hex(&hasher.finalize()))
}

/// The size and modification time of `path`, as recorded in a manifest.
///
/// Fails when the file cannot be inspected.
pub(crate) fn verified_stamp(path: &Path) -> Result<Verified, StoreError> {
    let meta = std::fs::metadata(path).map_err(StoreError::io("cannot inspect", path))?;
    let modified = meta.modified().map_err(StoreError::io("cannot read the modification time of", path))?;
    // A clock before 1970 (or after 2554) only happens on broken systems; 0 then just means "hash it
    // again next time".
    let mtime_ns = modified.duration_since(UNIX_EPOCH).ok().and_then(|d| u64::try_from(d.as_nanos()).ok()).unwrap_or(0);
    Ok(Verified { size: meta.len(), mtime_ns })
}

/// Flushes the directory entry of `dir`, so that a rename inside it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(StoreError::io("cannot sync the directory", dir))
}

/// Renames `from` to `to` (replacing it) and syncs the directory, so the new name is durable.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(StoreError::io("cannot move the finished file into place at", to))?;
    match to.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename, so that a reader sees
/// either the old contents or the new, never half a file.
///
/// Fails when the file cannot be written or renamed.
pub(crate) fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|err| StoreError::io("cannot encode", path)(io::Error::other(err)))?;
    text.push('\n');
    let tmp = path.with_extension("json.tmp");
    let mut file = File::create(&tmp).map_err(StoreError::io("cannot create", &tmp))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(StoreError::io("cannot write", &tmp))?;
    rename_durably(&tmp, path)
}

/// Removes the file at `path`; a file that is already gone is not an error.
pub(crate) fn remove_if_exists(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(StoreError::io("cannot remove", path)(err)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(hash_file(&path).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
