//! Finds the real GGUF models that tests of the embedded engine need, and says plainly when a test
//! runs without one.
//!
//! `cargo xtask test` pulls the smallest model into the user's store before the suite runs and sets
//! `BRAID_REQUIRE_LOCAL_MODEL=1` when that worked; a missing model is then a failure, never a silent
//! skip. Without that variable (a bare `cargo test`, or a machine where the pull truly failed) the
//! test prints why it is skipping.

use std::path::PathBuf;

/// The smallest catalog model, which the test suite uses.
pub const TEST_MODEL: &str = "smollm2-135m";

/// The path of model `name` (`<name>.gguf`) if it is installed: in `$BRAID_TEST_MODELS`, in
/// `$BRAID_HOME/models`, or in `~/.braid/models`. Returns `None` after printing the skip reason
/// when it is not there and not required; panics when `BRAID_REQUIRE_LOCAL_MODEL=1`.
pub fn local_model(name: &str) -> Option<PathBuf> {
    let file = format!("{name}.gguf");
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("BRAID_TEST_MODELS") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(home) = std::env::var_os("BRAID_HOME") {
        dirs.push(PathBuf::from(home).join("models"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".braid").join("models"));
    }
    if let Some(path) = dirs.iter().map(|dir| dir.join(&file)).find(|path| path.is_file()) {
        return Some(path);
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let reason = format!(
        "local model {name} is not installed (looked in: {}); run `braid model pull {name}` or `cargo xtask test`, which pulls it",
        searched.join(", ")
    );
    crate::unavailable("BRAID_REQUIRE_LOCAL_MODEL", &reason);
    None
}
