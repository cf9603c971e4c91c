//! `add`, `remove`, `resolve` and `list` on a store in a temp dir, with GGUF files written by the test.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use braid_local::store::{Family, ModelStore, StoreError};

use super::tiny_gguf;

struct Fixture {
    dir: tempfile::TempDir,
    store: ModelStore,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::new(dir.path().join("models"));
        Fixture { dir, store }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Adds `bytes` as a file and expects the add to fail with a message containing `needle` and the path.
fn check_refused(bytes: &[u8], needle: &str) {
    let fx = Fixture::new();
    let path = fx.write("input.gguf", bytes);
    let err = fx.store.add(&path, "x").unwrap_err();
    let text = err.to_string();
    assert!(text.contains(needle), "{text}");
    assert!(text.contains(&path.display().to_string()), "names the path: {text}");
    assert!(fx.store.resolve("x").is_err());
    assert!(!fx.store.root().join("x.gguf").exists());
}

#[test]
fn add_refuses_files_that_are_not_gguf() {
    let good = tiny_gguf("SmolLM2 test");
    check_refused(b"", "magic bytes `GGUF`");
    check_refused(b"PK\x03\x04this is a zip", "magic bytes `GGUF`");
    check_refused(&good[..good.len() - 10], "truncated");
    check_refused(&good[..20], "truncated");
}

#[test]
fn add_installs_a_gguf_and_detects_its_family() {
    let fx = Fixture::new();
    let path = fx.write("my.gguf", &tiny_gguf("SmolLM2 135M test"));
    let model = fx.store.add(&path, "mine").unwrap();
    assert_eq!(model.family, Family::SmolLM2);
    assert_eq!(model.size, tiny_gguf("SmolLM2 135M test").len() as u64);
    assert_eq!(model.source, format!("file:{}", path.display()));
    assert_eq!(model.path, fx.store.root().join("mine.gguf"));
    assert_eq!(std::fs::read(&model.path).unwrap(), tiny_gguf("SmolLM2 135M test"));
    assert_eq!(fx.store.resolve("mine").unwrap(), model);

    let err = fx.store.add(&path, "mine").unwrap_err();
    assert!(matches!(err, StoreError::AlreadyInstalled { .. }), "{err}");
    let err = fx.store.add(&path, "../escape").unwrap_err();
    assert!(matches!(err, StoreError::InvalidName { .. }), "{err}");

    let listed = fx.store.list().unwrap();
    let names: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["mine", "qwen-coder-1.5b", "qwen-coder-0.5b", "smollm2-135m"]);
    assert!(listed[0].path.is_some() && listed[1..].iter().all(|m| m.path.is_none()));
}

#[test]
fn remove_deletes_the_model_and_refuses_unknown_names() {
    let fx = Fixture::new();
    let path = fx.write("my.gguf", &tiny_gguf("Other"));
    fx.store.add(&path, "one").unwrap();
    fx.store.add(&path, "two").unwrap();
    fx.store.remove("one").unwrap();
    assert!(!fx.store.root().join("one.gguf").exists() && !fx.store.root().join("one.json").exists());
    assert!(path.exists(), "the user's own file stays");

    let err = fx.store.resolve("one").unwrap_err();
    assert!(matches!(err, StoreError::UnknownModel { .. }), "{err}");
    let err = fx.store.remove("one").unwrap_err().to_string();
    assert!(err.contains("unknown model `one`") && err.contains("two"), "{err}");
    assert_eq!(fx.store.resolve("two").unwrap().family, Family::ChatMl);
}

#[test]
fn resolve_of_a_catalog_model_not_pulled_names_the_pull_command() {
    let fx = Fixture::new();
    let err = fx.store.resolve("smollm2-135m").unwrap_err().to_string();
    assert!(err.contains("run `braid model pull smollm2-135m`"), "{err}");
    let err = fx.store.resolve("gpt-17").unwrap_err().to_string();
    assert!(err.contains("unknown model `gpt-17`") && err.contains("qwen-coder-0.5b"), "{err}");
}

fn set_mtime(path: &Path, when: SystemTime) {
    std::fs::File::options().write(true).open(path).unwrap().set_modified(when).unwrap();
}

#[test]
fn resolve_rehashes_a_changed_file_and_refuses_a_mismatch() {
    let fx = Fixture::new();
    let path = fx.write("my.gguf", &tiny_gguf("Other"));
    let model = fx.store.add(&path, "m").unwrap();
    let manifest = fx.store.root().join("m.json");

    // Only touched: the content still matches, so it resolves and the new mtime is recorded.
    set_mtime(&model.path, SystemTime::now() - Duration::from_secs(3600));
    let before = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(fx.store.resolve("m").unwrap(), model);
    assert_ne!(std::fs::read_to_string(&manifest).unwrap(), before, "the new mtime is recorded");

    // Same size, different bytes: refused with both hashes.
    let mut changed = tiny_gguf("Other");
    let last = changed.len() - 1;
    changed[last] ^= 0xff;
    std::fs::write(&model.path, &changed).unwrap();
    set_mtime(&model.path, SystemTime::now() - Duration::from_secs(60));
    let err = fx.store.resolve("m").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::ChecksumMismatch { .. }), "{text}");
    assert!(text.contains(&model.sha256) && text.contains("changed after it was verified"), "{text}");

    // A different size is refused without hashing.
    std::fs::write(&model.path, b"GGUF").unwrap();
    let err = fx.store.resolve("m").unwrap_err();
    assert!(matches!(err, StoreError::SizeMismatch { .. }), "{err}");
}
