//! Finding the `fake-agent` binary (see `src/bin/fake-agent.rs`) from any crate's tests, and putting it
//! on a temporary PATH under the names `codex` and `claude`.
//!
//! Cargo builds a package's binaries only for that package's own tests (or when the whole workspace is
//! built), so a test in another crate cannot count on it. Nor can it run cargo to build it: the `cargo
//! test` that started it holds the lock on the target directory. The fake agent therefore uses nothing
//! beyond std, and when cargo's copy is missing or older than its source it is compiled with plain
//! `rustc`, once per test process, next to the test executables.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The fake agent's source, compiled in so that the binary can be rebuilt when it is stale.
const SOURCE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin/fake-agent.rs");

/// The path of a `fake-agent` executable that matches its current source.
///
/// In order: the `BRAID_FAKE_AGENT` environment variable; the binary cargo built in this target
/// directory (`target/<profile>/fake-agent`, found from the running test executable), when it is newer
/// than the source; else one compiled now with `rustc` (`$RUSTC` or `rustc` on PATH) into
/// `target/<profile>/fake-agent-rustc/`. Panics with a message saying what to do when none works: this
/// is a test fixture.
pub fn fake_agent_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(locate).clone()
}

fn locate() -> PathBuf {
    if let Some(path) = std::env::var_os("BRAID_FAKE_AGENT") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("fake_agent_path: cannot find the running test executable");
    // Test executables live in target/<profile>/deps; cargo's binaries one level up.
    let deps = exe.parent().expect("test executable has a directory");
    let profile_dir = if deps.file_name().is_some_and(|n| n == "deps") { deps.parent().unwrap_or(deps) } else { deps };
    let cargo_built = profile_dir.join("fake-agent");
    if is_fresh(&cargo_built) {
        return cargo_built;
    }
    let dir = profile_dir.join("fake-agent-rustc");
    let built = dir.join("fake-agent");
    if is_fresh(&built) {
        return built;
    }
    compile_fake_agent(&dir)
}

/// Compiles the fake agent with plain `rustc` (`$RUSTC` or `rustc` on PATH) into `dir/fake-agent` and
/// returns that path. Panics when compiling fails.
pub fn compile_fake_agent(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("fake_agent_path: cannot create the build directory");
    let built = dir.join("fake-agent");
    // Several test processes may compile at once; each writes its own file and renames it into place,
    // which is atomic, so none ever runs a half-written binary.
    let partial = dir.join(format!("fake-agent.{}", std::process::id()));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = std::process::Command::new(&rustc)
        .args(["--edition", "2024", "--crate-name", "fake_agent", "-o"])
        .arg(&partial)
        .arg(SOURCE_PATH)
        .status()
        .unwrap_or_else(|err| panic!("fake_agent_path: cannot run {rustc:?} to build the fake agent: {err}"));
    assert!(
        status.success(),
        "fake_agent_path: compiling {SOURCE_PATH} failed; build it with `cargo build -p braid-test-support --bin fake-agent` \
         or point BRAID_FAKE_AGENT at a built copy"
    );
    std::fs::rename(&partial, &built).expect("fake_agent_path: cannot move the fake agent into place");
    built
}

/// Whether `binary` exists and is at least as new as the fake agent's source.
fn is_fresh(binary: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(binary), modified(Path::new(SOURCE_PATH))) {
        (Some(built), Some(source)) => built >= source,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A directory holding the fake agent as `codex`, `claude` and `fake-agent` (symlinks), to put first
/// on a PATH or to name programs in. The directory is removed when the returned value is dropped.
pub fn fake_agent_bin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    let target = fake_agent_path();
    for name in ["codex", "claude", "fake-agent"] {
        std::os::unix::fs::symlink(&target, dir.path().join(name)).expect("cannot link the fake agent");
    }
    dir
}
