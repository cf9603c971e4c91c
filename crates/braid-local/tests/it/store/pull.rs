//! `ModelStore::pull` through the real pip against the local index: the happy path, resuming, a killed
//! pull, a checksum mismatch, and pip missing.

use std::path::PathBuf;

use braid_local::store::{CatalogEntry, ModelStore, PullOptions, PullProgress, StoreError};
use sha2::{Digest, Sha256};

use super::index::{Index, build_wheel};
use super::{data, entry};

const PART_SIZE: usize = 200_000;

/// A store in a temp dir, an index serving a model split into `parts` packages, and the entry for it.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: ModelStore,
    index: Index,
    model: Vec<u8>,
    prefix: String,
    parts: usize,
}

impl Fixture {
    async fn new(prefix: &str, parts: usize) -> Fixture {
        let mut model = Vec::new();
        let mut wheels = Vec::new();
        for n in 1..=parts {
            // The last part is shorter, as in the real split models.
            let len = if n == parts { PART_SIZE / 3 } else { PART_SIZE };
            let part = data(len, n as u32);
            model.extend_from_slice(&part);
            let dist = format!("{prefix}-part{n}");
            let inner = format!("{}_part{n}/data/part{n:02}.bin", prefix.replace('-', "_"));
            wheels.push((dist.clone(), build_wheel(&dist, "1.0.0", &inner, &part)));
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("models");
        Fixture {
            store: ModelStore::new(&root),
            root,
            _dir: dir,
            index: Index::start(wheels).await,
            model,
            prefix: prefix.to_string(),
            parts,
        }
    }

    fn sha256(&self) -> String {
        Sha256::digest(&self.model).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The catalog entry for this model with the right size and hash.
    fn entry(&self, name: &str) -> &'static CatalogEntry {
        entry(name, &self.prefix, self.parts, self.model.len() as u64, &self.sha256())
    }

    fn opts(&self) -> PullOptions {
        PullOptions {
            extra_args: ["--index-url", self.index.url(), "--no-cache-dir"].map(String::from).to_vec(),
            ..PullOptions::default()
        }
    }

    async fn pull(
        &self,
        entry: &CatalogEntry,
    ) -> (Result<braid_local::store::InstalledModel, StoreError>, Vec<PullProgress>) {
        let mut events = Vec::new();
        let result = self.store.pull(entry, &self.opts(), &mut |event| events.push(event)).await;
        (result, events)
    }

    fn downloads(&self, part: usize) -> usize {
        self.index.downloads(&format!("{}-part{part}", self.prefix))
    }

    /// The files directly under the store root, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.root)
            .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_joins_verifies_and_installs_then_second_pull_fetches_nothing() {
    let fx = Fixture::new("tm-happy", 3).await;
    let entry = fx.entry("test-happy");
    let (model, events) = fx.pull(entry).await;
    let model = model.unwrap();

    assert_eq!(std::fs::read(&model.path).unwrap(), fx.model);
    assert_eq!(model.sha256, fx.sha256());
    assert_eq!(model.source, "pip:tm-happy-part1==1.0.0,tm-happy-part2==1.0.0,tm-happy-part3==1.0.0");
    assert_eq!(fx.files(), ["test-happy.gguf", "test-happy.json"]);
    assert_eq!(fx.store.resolve("test-happy").unwrap(), model);

    let fetching: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            PullProgress::Fetching { part, parts, .. } => Some((*part, *parts)),
            _ => None,
        })
        .collect();
    assert_eq!(fetching, [(1, 3), (2, 3), (3, 3)]);
    let total = fx.model.len() as u64;
    assert!(events.contains(&PullProgress::Joining { done: total, total }), "{events:?}");
    assert_eq!(events.last(), Some(&PullProgress::Verifying));

    let listed = fx.store.list().unwrap();
    assert_eq!(listed[0].name, "test-happy");
    assert_eq!(listed[0].path.as_deref(), Some(model.path.as_path()));

    let (again, events) = fx.pull(entry).await;
    assert_eq!(again.unwrap(), model);
    assert!(events.is_empty(), "an installed model is not fetched again: {events:?}");
    assert_eq!((fx.downloads(1), fx.downloads(2), fx.downloads(3)), (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_fetch_resumes_from_the_cache() {
    let fx = Fixture::new("tm-resume", 2).await;
    let entry = fx.entry("test-resume");
    fx.index.hide("tm-resume-part2", true);
    let err = fx.pull(entry).await.0.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::PipFailed { .. }), "{text}");
    assert!(text.contains("download --no-deps") && text.contains("tm-resume-part2==1.0.0"), "{text}");
    assert!(fx.store.resolve("test-resume").is_err());
    assert_eq!(fx.files(), [".cache"]);

    fx.index.hide("tm-resume-part2", false);
    let (model, events) = fx.pull(entry).await;
    assert_eq!(std::fs::read(model.unwrap().path).unwrap(), fx.model);
    assert_eq!((fx.downloads(1), fx.downloads(2)), (1, 1), "part 1 came from the cache");
    assert!(matches!(events[1], PullProgress::Fetched { part: 1, cached: true, .. }), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_pull_leaves_nothing_loadable_and_a_rerun_succeeds() {
    let fx = Fixture::new("tm-killed", 2).await;
    let entry = fx.entry("test-killed");
    // What a pull killed while joining leaves: a half wheel in the cache and a partial file of the
    // right size but the wrong content.
    let cache = fx.root.join(".cache/test-killed");
    std::fs::create_dir_all(&cache).unwrap();
    let half = build_wheel("tm-killed-part1", "1.0.0", "tm_killed_part1/data/part01.bin", &data(PART_SIZE, 1));
    std::fs::write(cache.join(&half.file_name), &half.bytes[..half.bytes.len() / 2]).unwrap();
    std::fs::write(fx.root.join("test-killed.gguf.partial"), vec![0u8; fx.model.len()]).unwrap();

    let err = fx.store.resolve("test-killed").unwrap_err();
    assert!(matches!(err, StoreError::UnknownModel { .. }), "{err}");
    assert!(fx.store.list().unwrap().iter().all(|m| m.name != "test-killed"));

    let model = fx.pull(entry).await.0.unwrap();
    assert_eq!(std::fs::read(&model.path).unwrap(), fx.model);
    assert_eq!(fx.downloads(1), 1, "the half wheel was fetched again");
    assert_eq!(fx.files(), ["test-killed.gguf", "test-killed.json"], "the wheels are deleted once installed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksum_mismatch_is_refused_and_nothing_is_installed() {
    let fx = Fixture::new("tm-bad", 2).await;
    let good = fx.entry("test-bad");
    let wrong = "0".repeat(64);
    let entry = super::entry("test-bad", "tm-bad", 2, good.size, &wrong);
    let err = fx.pull(entry).await.0.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::ChecksumMismatch { .. }), "{text}");
    assert!(text.contains(&wrong) && text.contains(&fx.sha256()), "names expected and actual: {text}");
    assert!(text.contains("nothing was installed"), "{text}");
    assert!(fx.files().is_empty(), "no .gguf, .partial, .json or wheel is left: {:?}", fx.files());

    let short = super::entry("test-bad", "tm-bad", 2, good.size + 1, good.sha256);
    let err = fx.pull(short).await.0.unwrap_err();
    assert!(matches!(err, StoreError::SizeMismatch { .. }), "{err}");
    assert!(fx.store.resolve("test-bad").is_err());
}

#[tokio::test]
async fn pip_missing_names_the_package_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let empty_path = dir.path().join("empty-bin");
    std::fs::create_dir(&empty_path).unwrap();
    let opts = PullOptions { path_env: Some(empty_path.into_os_string()), ..PullOptions::default() };
    let entry = super::entry("test-nopip", "tm-nopip", 1, 1, &"0".repeat(64));
    let err = store.pull(entry, &opts, &mut |_| {}).await.unwrap_err();
    assert!(matches!(err, StoreError::PipMissing), "{err}");
    assert!(err.to_string().contains("apt-get install python3-pip"), "{err}");
}
